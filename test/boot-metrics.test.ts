// LiteLLM's metrics, from the synthesized PRODUCTION task definition, with the real proxy:
// the collector's configuration selects metrics and labels that the proxy really serves,
// on the metrics port only, and with two workers both workers' samples arrive.
import * as fs from 'fs';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as YAML from 'yaml';
import { LiteLlmDeploymentProfile, LiteLlmMetrics, LiteLlmModel, LiteLlmPlatform } from '../src';
import { BootedProxy, ContainerDefinition, VENV, containersOf } from './boot/proxy';
import { LocalRedis } from './boot/redis';
import { joinedText } from './support/template';

const OK = 'mock-gpt';
const FLAKY = 'flaky';
const DOOMED = 'doomed';
const BROKEN = 'broken';
/** LiteLLM's mock provider raises this exception instead of answering. */
const FAILURE = 'litellm.InternalServerError';

function synth(numWorkers: number): Record<string, ContainerDefinition> {
  const stack = new Stack(new App(), 'BootMetrics', { env: { account: '123456789012', region: 'us-east-1' } });
  new LiteLlmPlatform(stack, 'LiteLlm', {
    profile: LiteLlmDeploymentProfile.PRODUCTION,
    loadBalancer: { allowHttp: true },
    service: { numWorkers },
    models: [
      LiteLlmModel.mock({ name: OK, response: 'pong' }),
      // Two failing deployments in one group, so the router can put them in cooldown.
      LiteLlmModel.mock({ name: FLAKY, response: FAILURE }),
      LiteLlmModel.custom({ name: FLAKY, litellmParams: { model: 'openai/mock-2', mock_response: FAILURE }, needsInternet: false }),
      LiteLlmModel.mock({ name: DOOMED, response: FAILURE }),
      LiteLlmModel.custom({ name: BROKEN, litellmParams: { model: 'openai/mock-3', mock_response: FAILURE }, needsInternet: false }),
    ],
    // DOOMED falls back to BROKEN, which fails too and has no fallback of its own.
    config: { fallbacks: [{ model: FLAKY, fallbackModels: [OK] }, { model: DOOMED, fallbackModels: [BROKEN] }] },
  });
  return containersOf(Template.fromStack(stack).toJSON());
}

/** The exposition's samples as [name, labels, value]. */
function samples(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  return text.split('\n').filter(l => l && !l.startsWith('#')).map(line => {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample: ${line}`);
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-zA-Z_]+)="([^"]*)"/g)].map(x => [x[1], x[2]]));
    return { name: m[1], labels, value: Number(m[3]) };
  });
}

beforeAll(() => {
  if (!fs.existsSync(`${VENV}/bin/litellm`)) throw new Error(`${VENV} has no LiteLLM proxy: run \`npx projen boot:setup\``);
});

describe.each([1, 2])('PRODUCTION with %s worker(s): LiteLLM\'s metrics as the collector reads them', (workers) => {
  let containers: Record<string, ContainerDefinition>;
  let proxy: BootedProxy;
  let redis: LocalRedis;
  let scraped: ReturnType<typeof samples>;
  const sent = { [OK]: 12, [FLAKY]: 10, [DOOMED]: 2 };

  /** The collector's configuration, with `<token>` for what resolves at deploy (the cluster and log group names). */
  function collectorConfig(): any {
    const entry = containers.metrics.Environment!.find(e => e.Name === 'AOT_CONFIG_CONTENT')!;
    return YAML.parse(joinedText(entry.Value));
  }

  async function complete(model: string): Promise<number> {
    const res = await fetch(`${proxy.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      // A new connection each time, so the kernel spreads them over the workers.
      headers: { 'Authorization': `Bearer ${proxy.env.LITELLM_MASTER_KEY}`, 'Content-Type': 'application/json', 'Connection': 'close' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'ping' }] }),
    });
    await res.text();
    return res.status;
  }

  beforeAll(async () => {
    containers = synth(workers);
    redis = await LocalRedis.start({ tls: true });
    proxy = await BootedProxy.start(containers, { redis });
    await proxy.waitUntilLive(180_000);
    for (const [model, n] of Object.entries(sent)) {
      for (let i = 0; i < n; i++) await complete(model);
    }
    // LiteLLM records metrics after answering; give its callbacks a moment.
    await new Promise(r => setTimeout(r, 3_000));
    const res = await fetch(`http://127.0.0.1:${proxy.metricsPort}/metrics/`);
    expect(res.status).toBe(200);
    scraped = samples(await res.text());
  }, 300_000);

  afterAll(async () => {
    await proxy?.stop();
    await redis?.stop();
  });

  test('the collector scrapes the port the proxy serves its metrics on, and that port is not the one the load balancer reaches', () => {
    const config = collectorConfig();
    const [target] = config.receivers.prometheus.config.scrape_configs[0].static_configs[0].targets;
    const args = containers.litellm.Command!;
    expect(target).toBe(`127.0.0.1:${args[args.indexOf('--prometheus_metrics_port') + 1]}`);
    expect(args[args.indexOf('--port') + 1]).toBe('4000');
    expect(target).not.toContain(':4000');
  });

  test('every metric the collector renames is served, with the model group as its only label', () => {
    const config = collectorConfig();
    const renames = config.processors.metricstransform.transforms.filter((t: any) => t.match_type === 'regexp');
    expect(renames.map((t: any) => t.new_name).sort()).toEqual([...LiteLlmMetrics.METRIC_NAMES].sort());
    for (const rename of renames) {
      // Cooldowns count per process: two workers each see half the failures, too few to cool down.
      if (rename.new_name === 'DeploymentCooldowns' && workers > 1) continue;
      const family = new RegExp(rename.include.replace('$', '(_sum|_count|_bucket)?$'));
      const found = scraped.filter(s => family.test(s.name));
      expect({ metric: rename.new_name, found: found.length > 0 }).toEqual({ metric: rename.new_name, found: true });
      const groupLabel = rename.operations ? 'requested_model' : 'model_group';
      for (const sample of found) {
        const keys = Object.keys(sample.labels).filter(k => k !== 'le');
        if (rename.new_name === 'DeploymentCooldowns') {
          // Per deployment: bounded by the config, never by keys, teams or users.
          expect(keys.sort()).toEqual(['api_base', 'api_provider', 'exception_status', 'litellm_model_name', 'model_id']);
        } else {
          expect({ metric: sample.name, labels: keys }).toEqual({ metric: sample.name, labels: [groupLabel] });
        }
      }
    }
  });

  test('per model group: attempts, failures, fallbacks and tokens count what was sent', () => {
    const value = (name: RegExp, labels: Record<string, string>) => scraped
      .filter(s => name.test(s.name) && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
      .reduce((sum, s) => sum + s.value, 0);
    // Every request to FLAKY fell back to OK; every one to DOOMED fell back to BROKEN and failed.
    expect(value(/^litellm_deployment_total_requests(_total)?$/, { model_group: OK })).toBe(sent[OK] + sent[FLAKY]);
    expect(value(/^litellm_deployment_failure_responses(_total)?$/, { model_group: FLAKY })).toBeGreaterThanOrEqual(sent[FLAKY]);
    expect(value(/^litellm_deployment_failure_responses(_total)?$/, { model_group: OK })).toBe(0);
    expect(value(/^litellm_deployment_successful_fallbacks(_total)?$/, { requested_model: FLAKY })).toBe(sent[FLAKY]);
    expect(value(/^litellm_deployment_failed_fallbacks(_total)?$/, { requested_model: DOOMED })).toBe(sent[DOOMED]);
    expect(value(/^litellm_input_tokens_metric(_total)?$/, {})).toBeGreaterThan(0);
    expect(value(/^litellm_llm_api_latency_metric_count$/, { model_group: OK })).toBe(sent[OK] + sent[FLAKY]);
    // Ten failures over two deployments put both in cooldown (allowed_fails: LiteLLM's 3 a
    // minute), counted in the process that saw them: with one worker, exactly both.
    if (workers === 1) expect(value(/^litellm_deployment_cooled_down(_total)?$/, { litellm_model_name: FLAKY })).toBe(2);
  });

  test('the port the load balancer reaches answers /metrics with neither 200 nor data', async () => {
    for (const p of ['/metrics', '/metrics/']) {
      const res = await fetch(`${proxy.baseUrl}${p}`);
      const body = await res.text();
      expect({ path: p, status: res.status }).not.toEqual({ path: p, status: 200 });
      // LiteLLM's own answer on that port asks for a key; no exposition line may come back.
      expect(body).not.toMatch(/^# (HELP|TYPE) /m);
      expect(body).not.toMatch(/litellm_\w+\{/);
    }
  });

  if (workers === 2) {
    test('both workers\' samples reach the metrics server', () => {
      // prometheus_client's multiprocess mode: one file per process and metric type.
      const pids = new Set(fs.readdirSync(proxy.metricsDirectory).map(f => /_(\d+)\.db$/.exec(f)?.[1]).filter(Boolean));
      expect(pids.size).toBeGreaterThanOrEqual(2);
      const total = scraped.filter(s => /^litellm_deployment_total_requests(_total)?$/.test(s.name)).reduce((sum, s) => sum + s.value, 0);
      expect(total).toBe(sent[OK] + 2 * sent[FLAKY] + sent[DOOMED]);
    });
  }
});
