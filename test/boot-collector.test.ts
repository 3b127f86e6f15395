// The platform's own collector configuration, run by a real collector (the ADOT v0.43.3
// components at contrib v0.117.0, built by test/collector/build.sh) against the real proxy
// booted from the synthesized PRODUCTION task: what reaches the embedded-metric-format lines
// CloudWatch would turn into metrics. Only the destination changes: awsemf writes to stdout.
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as YAML from 'yaml';
import { LiteLlmDeploymentProfile, LiteLlmModel, LiteLlmPlatform } from '../src';
import { BootedProxy, ContainerDefinition, VENV, containersOf } from './boot/proxy';
import { LocalRedis } from './boot/redis';
import { joinedText } from './support/template';
import { EMF_EVENT_BYTES } from '../src/cost/model';
import { modelGroupDimension } from '../src/private/gateway-metrics';

const OK = 'mock-gpt';
/** A name LiteLLM escapes in its labels (litellm/types/integrations/prometheus.py:45-71). */
const QUOTED = 'say "hi"';
const FLAKY = 'flaky';
const FAILURE = 'litellm.InternalServerError';
const SCRAPE_SECONDS = 10;
const CLUSTER = 'boot-cluster';

/** One EMF event: its CloudWatch metric names, dimension sets and fields. */
interface EmfEvent {
  readonly metrics: string[];
  readonly dimensions: string[][];
  readonly fields: Record<string, any>;
}

function synth(): Record<string, ContainerDefinition> {
  const stack = new Stack(new App(), 'BootCollector', { env: { account: '123456789012', region: 'us-east-1' } });
  new LiteLlmPlatform(stack, 'LiteLlm', {
    profile: LiteLlmDeploymentProfile.PRODUCTION,
    loadBalancer: { allowHttp: true },
    metrics: { scrapeInterval: Duration.seconds(SCRAPE_SECONDS) },
    // Cooldowns count per process: one worker sees all ten failures.
    service: { numWorkers: 1 },
    models: [
      LiteLlmModel.mock({ name: OK, response: 'pong' }),
      LiteLlmModel.mock({ name: QUOTED, response: 'hi' }),
      // Two failing deployments, so the router puts both in cooldown once.
      LiteLlmModel.mock({ name: FLAKY, response: FAILURE }),
      LiteLlmModel.custom({ name: FLAKY, litellmParams: { model: 'openai/mock-2', mock_response: FAILURE }, needsInternet: false }),
    ],
    config: { fallbacks: [{ model: FLAKY, fallbackModels: [OK] }] },
  });
  return containersOf(Template.fromStack(stack).toJSON());
}

/** The task's collector config, pointed at the booted proxy, the cluster named, awsemf to stdout. */
function runnableConfig(container: ContainerDefinition, metricsPort: number): string {
  const config = YAML.parse(joinedText(container.Environment!.find(e => e.Name === 'AOT_CONFIG_CONTENT')!.Value));
  const scrape = config.receivers.prometheus.config.scrape_configs[0];
  const [target] = scrape.static_configs[0].targets;
  if (!/^127\.0\.0\.1:\d+$/.test(target) || scrape.static_configs[0].labels.ClusterName !== '<token>') {
    throw new Error(`unexpected scrape target ${JSON.stringify(scrape.static_configs)}`);
  }
  scrape.static_configs[0] = { targets: [`127.0.0.1:${metricsPort}`], labels: { ClusterName: CLUSTER } };
  config.exporters.awsemf = { ...config.exporters.awsemf, log_group_name: 'boot', output_destination: 'stdout', region: 'us-east-1' };
  return YAML.stringify(config);
}

/** The EMF events in the collector's stdout. */
function emfEvents(stdout: string): EmfEvent[] {
  return stdout.split('\n').filter(l => l.startsWith('{') && l.includes('"_aws"')).map(line => {
    const fields = JSON.parse(line);
    const declared: any[] = fields._aws.CloudWatchMetrics;
    return {
      metrics: declared.flatMap(d => d.Metrics.map((m: any) => m.Name)),
      dimensions: declared.flatMap(d => d.Dimensions),
      fields,
    };
  });
}

describe('the platform\'s collector config, run by the real collector against the booted proxy', () => {
  let containers: Record<string, ContainerDefinition>;
  let proxy: BootedProxy;
  let redis: LocalRedis;
  let collector: ChildProcess;
  let stdout = '';
  let stderr = '';
  /** LiteLLM's cumulative values at the end, from its metrics port. */
  let exposition = '';
  const workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'otelcol-'));

  async function complete(model: string): Promise<void> {
    const res = await fetch(`${proxy.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'Authorization': `Bearer ${proxy.env.LITELLM_MASTER_KEY}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'ping' }] }),
    });
    await res.text();
  }

  /** Waits until the collector has written `n` more ReportingTasks events than now. */
  async function scrapes(n: number): Promise<void> {
    const seen = () => emfEvents(stdout).filter(e => e.metrics.includes('ReportingTasks')).length;
    const until = seen() + n;
    const deadline = Date.now() + (n + 2) * (SCRAPE_SECONDS + 10) * 1000;
    while (seen() < until) {
      if (collector.exitCode !== null) throw new Error(`the collector exited (${collector.exitCode}):\n${stderr.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`no ${n} scrape(s) written in time:\n${stderr.slice(-3000)}`);
      await new Promise(r => setTimeout(r, 500));
    }
  }

  beforeAll(async () => {
    if (!fs.existsSync(`${VENV}/bin/litellm`)) throw new Error(`${VENV} has no LiteLLM proxy: run \`npx projen boot:setup\``);
    const build = spawnSync('bash', [path.join(__dirname, 'collector', 'build.sh')], { encoding: 'utf8', timeout: 1_800_000 });
    if (build.status !== 0) throw new Error(`test/collector/build.sh failed (${build.status}):\n${build.stderr}`);
    const binary = build.stdout.trim().split('\n').pop()!;

    containers = synth();
    redis = await LocalRedis.start({ tls: true });
    proxy = await BootedProxy.start(containers, { redis });
    await proxy.waitUntilLive(180_000);

    const configFile = path.join(workdir, 'config.yaml');
    fs.writeFileSync(configFile, runnableConfig(containers.metrics, proxy.metricsPort!));
    collector = spawn(binary, [`--config=${configFile}`], {
      cwd: workdir,
      // awsemf builds its AWS client even when it writes to stdout; nothing is sent.
      env: { PATH: '/usr/bin:/bin', HOME: workdir, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'example' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    collector.stdout!.on('data', d => { stdout += d.toString(); });
    collector.stderr!.on('data', d => { stderr += d.toString(); });

    // A scrape before any request: LiteLLM has no labelled series yet.
    await scrapes(1);
    for (let i = 0; i < 3; i++) await complete(OK);
    await complete(QUOTED);
    // Ten failures over two deployments put both in cooldown, once; each falls back to OK.
    for (let i = 0; i < 10; i++) await complete(FLAKY);
    await scrapes(2);
    for (let i = 0; i < 2; i++) await complete(OK);
    // LiteLLM records a request's metrics after answering it: wait until all 15 are recorded.
    const deadline = Date.now() + 30_000;
    do {
      await new Promise(r => setTimeout(r, 500));
      exposition = await (await fetch(`http://127.0.0.1:${proxy.metricsPort}/metrics/`)).text();
    } while (cumulative(/^litellm_request_total_latency_metric_count$/, { model_group: OK }) < 15 && Date.now() < deadline);
    // Three more scrapes: the first reads the last requests, the next two only LiteLLM's
    // unchanged totals, which lifetime totals would count twice more.
    await scrapes(3);
    exposition = await (await fetch(`http://127.0.0.1:${proxy.metricsPort}/metrics/`)).text();
    if (process.env.EMF_DUMP) fs.writeFileSync(process.env.EMF_DUMP, stdout);
  }, 2_400_000);

  afterAll(async () => {
    if (collector?.exitCode === null) {
      collector.kill('SIGTERM');
      await new Promise(r => setTimeout(r, 1_000));
    }
    await proxy?.stop();
    await redis?.stop();
    fs.rmSync(workdir, { recursive: true, force: true });
  });

  /** LiteLLM's final cumulative value of a series (summed over label sets matching `labels`). */
  function cumulative(name: RegExp, labels: Record<string, string> = {}): number {
    return exposition.split('\n').filter(l => l && !l.startsWith('#')).map(line => {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)!;
      const found = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)].map(x => [x[1], x[2]]));
      return { name: m[1], labels: found, value: Number(m[3]) };
    }).filter(s => name.test(s.name) && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
      .reduce((sum, s) => sum + s.value, 0);
  }

  /** The values a metric reached the EMF lines with, for one model group (or none). */
  function emitted(metric: string, group?: string): any[] {
    return emfEvents(stdout).filter(e => e.metrics.includes(metric) && e.fields.model_group === group).map(e => e.fields[metric]);
  }

  test('counters arrive as each scrape\'s increase, the first sample of every series included: they add up to LiteLLM\'s totals', () => {
    const requests = emitted('ModelRequests', OK);
    expect(requests.length).toBeGreaterThanOrEqual(3);
    // 3 + 2 asked for, 10 fallbacks from FLAKY.
    expect(cumulative(/^litellm_deployment_total_requests(_total)?$/, { model_group: OK })).toBe(15);
    expect(requests.reduce((a, b) => a + b, 0)).toBe(15);
    // The series' first sample (awsemf alone drops it) holds the first requests.
    expect(requests[0]).toBeGreaterThan(0);
    expect(emitted('ModelFailures', FLAKY).reduce((a, b) => a + b, 0)).toBe(cumulative(/^litellm_deployment_failure_responses(_total)?$/, { model_group: FLAKY }));
    expect(emitted('ModelFallbacks', FLAKY).reduce((a, b) => a + b, 0)).toBe(10);
    const tokens = emitted('InputTokens', OK).reduce((a, b) => a + b, 0);
    expect(tokens).toBeGreaterThan(0);
    expect(tokens).toBe(cumulative(/^litellm_input_tokens_metric(_total)?$/, { requested_model: OK }));
  });

  test('a one-off cooldown is counted: its series exists for one increment only', () => {
    expect(cumulative(/^litellm_deployment_cooled_down(_total)?$/)).toBe(2);
    expect(emitted('DeploymentCooldowns').reduce((a, b) => a + b, 0)).toBe(2);
  });

  test('latency arrives as each scrape\'s new requests, not lifetime totals; Min and Max are 0 (not meaningful)', () => {
    const latency = emitted('ModelLatency', OK);
    expect(latency.length).toBeGreaterThanOrEqual(3);
    const count = latency.reduce((a, l) => a + l.Count, 0);
    expect(count).toBe(cumulative(/^litellm_llm_api_latency_metric_count$/, { model_group: OK }));
    expect(count).toBe(15);
    // The scrapes after the one that read the last requests add nothing.
    expect({ counts: latency.map(l => l.Count) }).toEqual({ counts: [...latency.slice(0, -2).map(l => l.Count), 0, 0] });
    const sum = latency.reduce((a, l) => a + l.Sum, 0);
    expect(sum).toBeCloseTo(cumulative(/^litellm_llm_api_latency_metric_sum$/, { model_group: OK }), 6);
    expect(latency.every(l => l.Min === 0 && l.Max === 0)).toBe(true);
    const endToEnd = emitted('RequestLatency', OK).reduce((a, l) => a + l.Count, 0);
    expect(endToEnd).toBe(cumulative(/^litellm_request_total_latency_metric_count$/, { model_group: OK }));
  });

  test('ReportingTasks: one task contributes 10/60 per 10-second scrape, so a minute adds up to 1 task, by ClusterName only', () => {
    const events = emfEvents(stdout).filter(e => e.metrics.includes('ReportingTasks'));
    expect(events.length).toBeGreaterThanOrEqual(5);
    for (const e of events) {
      expect(e.fields.ReportingTasks).toBeCloseTo(SCRAPE_SECONDS / 60, 12);
      expect(e.dimensions).toEqual([['ClusterName']]);
      expect(e.fields.ClusterName).toBe(CLUSTER);
    }
  });

  test('an event is about the size the cost report prices the collector\'s log events at', () => {
    const lines = stdout.split('\n').filter(l => l.startsWith('{') && l.includes('"_aws"'));
    const average = lines.reduce((a, l) => a + Buffer.byteLength(l), 0) / lines.length;
    expect(Math.abs(average - EMF_EVENT_BYTES) / EMF_EVENT_BYTES).toBeLessThan(0.2);
  });

  test('dimensions are [ClusterName, model_group] and [ClusterName]; a name LiteLLM escapes arrives as the value the platform\'s metrics name', () => {
    const perGroup = emfEvents(stdout).filter(e => e.metrics.includes('ModelRequests'));
    expect(perGroup.every(e => JSON.stringify(e.dimensions) === JSON.stringify([['ClusterName', 'model_group'], ['ClusterName']]))).toBe(true);
    const groups = new Set(perGroup.map(e => e.fields.model_group));
    expect(groups).toContain(modelGroupDimension(QUOTED));
    expect(modelGroupDimension(QUOTED)).toBe('say \\"hi\\"');
    expect(groups).not.toContain(QUOTED);
  });
});
