// `npx projen bench:proxy`: the real LiteLLM proxy (.venv-litellm, the pinned release) run
// from the synthesized task definition, against a local fake OpenAI-compatible upstream
// (50 ms per answer), side by side in one run: direct to the upstream, through the proxy
// without a cache (DEVELOPMENT's default: one task, one worker, no cache), and through the
// proxy with a cache (`cache.enabled: true`, what PRODUCTION's several tasks get by default;
// a local TLS Redis with an AUTH token, as ElastiCache is set up). The scenarios say which
// platform they synthesize: a guard fails the run when the task and the scenario disagree
// on the cache, so a change of default cannot turn the comparison into noise.
// The proxy runs 1 worker pinned to core 0; the load generator and upstream run here.
// BENCH_SECONDS sets the measured window (default 15), BENCH_WARMUP_SECONDS the warmup
// before it (default 5 through the proxy, 2 direct; at most the window), BENCH_CONCURRENCY the
// clients (32). BENCH_METRICS_ROUNDS (default 2) interleaves that many pairs of runs without and
// with LiteLLM's metrics (`metrics.enabled`, the collector's scrape left out), because this
// machine's throughput drifts between runs. `npx projen bench:proxy:smoke` runs it with a
// 2-second window and no metrics rounds: a check that it still runs, not a measurement.
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { startFakeUpstream } from './fake-upstream';
import { LoadResult, runLoad, startProxy } from './proxy-harness';
import { LiteLlmModel, LiteLlmPlatform, LiteLlmPlatformProps } from '../src';
import { containersOf, localEnvironment } from '../test/boot/proxy';
import { LocalRedis } from '../test/boot/redis';

const seconds = positive('BENCH_SECONDS', 15);
const concurrency = positive('BENCH_CONCURRENCY', 32);
const metricsRounds = Number(process.env.BENCH_METRICS_ROUNDS ?? 2);
/** The warmup before each measured window: the given one, else 5 s (2 s direct), never longer than the window. */
const warmupMs = (direct: boolean): number => 1000 * Math.min(seconds, positive('BENCH_WARMUP_SECONDS', direct ? 2 : 5));

function positive(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} (${process.env[name]}) must be a number of seconds or clients > 0`);
  return value;
}
const MODEL = 'bench';

/** The litellm container's config, environment (local values for its secrets), metrics module and arguments. */
function taskOf(upstreamUrl: string, props: Partial<LiteLlmPlatformProps>): {
  config: string; env: Record<string, string>; masterKey: string; files: Record<string, string>; metricsPort?: string;
} {
  const stack = new Stack(new App(), 'Bench', { env: { account: '123456789012', region: 'us-east-1' } });
  new LiteLlmPlatform(stack, 'LiteLlm', {
    models: [LiteLlmModel.openAiCompatible({ name: MODEL, modelId: MODEL, apiBase: `${upstreamUrl}/v1`, apiKeyEnvName: 'BENCH_API_KEY' })],
    ...props,
  });
  const containers = containersOf(Template.fromStack(stack).toJSON());
  const env = localEnvironment(containers.litellm);
  const initEnv = (name: string) => (containers.config.Environment ?? []).find(e => e.Name === name)?.Value as string | undefined;
  const module = initEnv('LITELLM_METRICS_MODULE');
  const args = containers.litellm.Command ?? [];
  const flag = args.indexOf('--prometheus_metrics_port');
  return {
    config: initEnv('LITELLM_CONFIG_YAML')!,
    env,
    masterKey: env.LITELLM_MASTER_KEY,
    files: module ? { 'cdk_litellm_metrics.py': module } : {},
    metricsPort: flag >= 0 ? args[flag + 1] : undefined,
  };
}

async function throughProxy(upstreamUrl: string, props: Partial<LiteLlmPlatformProps>, redis?: LocalRedis): Promise<LoadResult> {
  const task = taskOf(upstreamUrl, props);
  const hasCache = 'REDIS_HOST' in task.env || task.config.includes('redis_host');
  if (hasCache !== (redis !== undefined)) throw new Error(`the task ${hasCache ? 'has' : 'has no'} cache settings, but the scenario ${redis ? 'runs' : 'has no'} Redis`);
  const proxy = await startProxy({
    configYaml: task.config,
    env: { ...task.env, ...redis?.env() },
    numWorkers: 1,
    cpu: 0,
    files: task.files,
    // The task's port, on loopback: nothing else here serves on it.
    extraArgs: task.metricsPort ? ['--prometheus_metrics_port', task.metricsPort] : [],
  });
  try {
    return await runLoad({
      url: `${proxy.url}/v1/chat/completions`,
      headers: { Authorization: `Bearer ${task.masterKey}` },
      body: { model: MODEL, messages: [{ role: 'user', content: 'ping' }] },
      concurrency,
      durationMs: seconds * 1000,
      warmupMs: warmupMs(false),
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
      url: `${upstream.url}/v1/chat/completions`, body: { model: MODEL, messages: [] }, concurrency, durationMs: seconds * 1000, warmupMs: warmupMs(true),
    })]);
    rows.push(['proxy, no cache (DEVELOPMENT\'s default)', await throughProxy(upstream.url, {})]);
    rows.push(['proxy + Redis (TLS, AUTH; `cache.enabled: true`)', await throughProxy(upstream.url, { cache: { enabled: true } }, redis)]);
    const metrics: { off: number[]; on: number[] } = { off: [], on: [] };
    for (let round = 1; round <= metricsRounds; round++) {
      for (const enabled of [false, true]) {
        const r = await throughProxy(upstream.url, { metrics: { enabled } });
        rows.push([`proxy, metrics ${enabled ? 'on' : 'off'} (round ${round})`, r]);
        metrics[enabled ? 'on' : 'off'].push(r.rps);
      }
    }
    console.log(`\n${concurrency} concurrent clients, ${seconds} s measured, 50 ms upstream, proxy: 1 worker on core 0\n`);
    console.log('| scenario | req/s | p50 ms | p99 ms | errors |');
    console.log('|---|---|---|---|---|');
    for (const [name, r] of rows) console.log(`| ${name} | ${r.rps.toFixed(1)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.errors} |`);
    const [, plain, cached] = rows.map(([, r]) => r.rps);
    console.log(`\nRedis costs ${(100 * (1 - cached / plain)).toFixed(1)} % of the proxy's throughput (budget: 15 %)`);
    if (metricsRounds > 0) {
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      console.log(`LiteLLM's metrics cost ${(100 * (1 - mean(metrics.on) / mean(metrics.off))).toFixed(1)} % of the proxy's throughput `
        + `(mean of ${metricsRounds} interleaved rounds; budget: 10 %)`);
    }
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
