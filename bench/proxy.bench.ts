// `npx projen bench:proxy`: the real LiteLLM proxy (.venv-litellm, the pinned release) run
// from the synthesized task definition, against a local fake OpenAI-compatible upstream
// (50 ms per answer), side by side in one run: direct to the upstream, through the proxy
// without a cache (one task, one worker), and through the proxy with the cache the
// platform adds (a local TLS Redis with an AUTH token, as ElastiCache is set up).
// The proxy runs 1 worker pinned to core 0; the load generator and upstream run here.
// BENCH_SECONDS sets the measured window (default 15), BENCH_CONCURRENCY the clients (32).
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { startFakeUpstream } from './fake-upstream';
import { LoadResult, runLoad, startProxy } from './proxy-harness';
import { LiteLlmModel, LiteLlmPlatform, LiteLlmPlatformProps } from '../src';
import { containersOf, localEnvironment } from '../test/boot/proxy';
import { LocalRedis } from '../test/boot/redis';

const seconds = Number(process.env.BENCH_SECONDS ?? 15);
const concurrency = Number(process.env.BENCH_CONCURRENCY ?? 32);
const MODEL = 'bench';

/** The litellm container's config and environment, with local values for its secrets. */
function taskOf(upstreamUrl: string, props: Partial<LiteLlmPlatformProps>): { config: string; env: Record<string, string>; masterKey: string } {
  const stack = new Stack(new App(), 'Bench', { env: { account: '123456789012', region: 'us-east-1' } });
  new LiteLlmPlatform(stack, 'LiteLlm', {
    models: [LiteLlmModel.openAiCompatible({ name: MODEL, modelId: MODEL, apiBase: `${upstreamUrl}/v1`, apiKeyEnvName: 'BENCH_API_KEY' })],
    ...props,
  });
  const containers = containersOf(Template.fromStack(stack).toJSON());
  const env = localEnvironment(containers.litellm);
  const config = (containers.config.Environment ?? []).find(e => e.Name === 'LITELLM_CONFIG_YAML')!.Value as string;
  return { config, env, masterKey: env.LITELLM_MASTER_KEY };
}

async function throughProxy(upstreamUrl: string, props: Partial<LiteLlmPlatformProps>, redis?: LocalRedis): Promise<LoadResult> {
  const task = taskOf(upstreamUrl, props);
  const hasCache = 'REDIS_HOST' in task.env || task.config.includes('redis_host');
  if (hasCache !== (redis !== undefined)) throw new Error(`the task ${hasCache ? 'has' : 'has no'} cache settings, but the scenario ${redis ? 'runs' : 'has no'} Redis`);
  const proxy = await startProxy({ configYaml: task.config, env: { ...task.env, ...redis?.env() }, numWorkers: 1, cpu: 0 });
  try {
    return await runLoad({
      url: `${proxy.url}/v1/chat/completions`,
      headers: { Authorization: `Bearer ${task.masterKey}` },
      body: { model: MODEL, messages: [{ role: 'user', content: 'ping' }] },
      concurrency,
      durationMs: seconds * 1000,
      warmupMs: 5000,
    });
  } finally {
    await proxy.stop();
  }
}

async function main(): Promise<void> {
  const upstream = await startFakeUpstream(50);
  const redis = await LocalRedis.start({ tls: true });
  try {
    const rows: [string, LoadResult][] = [];
    rows.push(['direct to the upstream', await runLoad({
      url: `${upstream.url}/v1/chat/completions`, body: { model: MODEL, messages: [] }, concurrency, durationMs: seconds * 1000, warmupMs: 2000,
    })]);
    rows.push(['proxy, no cache (maxCapacity 1)', await throughProxy(upstream.url, { service: { maxCapacity: 1 } })]);
    rows.push(['proxy + Redis (TLS, AUTH; the default cache)', await throughProxy(upstream.url, {}, redis)]);
    console.log(`\n${concurrency} concurrent clients, ${seconds} s measured, 50 ms upstream, proxy: 1 worker on core 0\n`);
    console.log('| scenario | req/s | p50 ms | p99 ms | errors |');
    console.log('|---|---|---|---|---|');
    for (const [name, r] of rows) console.log(`| ${name} | ${r.rps.toFixed(1)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.errors} |`);
    const [, plain, cached] = rows.map(([, r]) => r.rps);
    console.log(`\nRedis costs ${(100 * (1 - cached / plain)).toFixed(1)} % of the proxy's throughput (budget: 15 %)`);
    for (const [name, r] of rows) {
      if (r.errors > 0) throw new Error(`${name}: ${r.errors} errors, e.g. ${r.errorSamples.join('; ')}`);
    }
  } finally {
    await redis.stop();
    await upstream.stop();
  }
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
