// `npx projen bench`: median synth time and resource count of each scenario, in one
// process, against ecs_patterns.ApplicationLoadBalancedFargateService as the
// baseline. A benchmark, not a timed test: BENCH_RUNS sets the runs (default 7).
import { performance } from 'perf_hooks';
import { App, Stack, aws_ecs as ecs, aws_ecs_patterns as patterns } from 'aws-cdk-lib';
import { LiteLlmImage } from '../src';
import { ENV, SCENARIOS, Scenario } from '../test/support/scenarios';

const runs = Number(process.env.BENCH_RUNS ?? 7);

function baseline(): Scenario {
  const app = new App();
  const stack = new Stack(app, 'Baseline', { env: ENV });
  new patterns.ApplicationLoadBalancedFargateService(stack, 'Baseline', {
    taskImageOptions: {
      image: ecs.ContainerImage.fromRegistry(`${LiteLlmImage.DEFAULT_REPOSITORY}:v${LiteLlmImage.DEFAULT_VERSION}`),
      containerPort: 4000,
    },
    memoryLimitMiB: 2048,
    cpu: 1024,
  });
  return { app, stacks: [stack] };
}

function timeSynth(make: () => Scenario): { ms: number; resources: number } {
  const start = performance.now();
  const { app, stacks } = make();
  const assembly = app.synth();
  const ms = performance.now() - start;
  const resources = stacks
    .map(s => Object.keys(assembly.getStackByName(s.stackName).template.Resources ?? {}).length)
    .reduce((a, b) => a + b, 0);
  return { ms, resources };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const all: Record<string, () => Scenario> = { 'baseline: ecs_patterns.ApplicationLoadBalancedFargateService': baseline, ...SCENARIOS };
// A warm-up run of each, so module loading is not billed to the first one.
for (const make of Object.values(all)) timeSynth(make);

const rows: { name: string; ms: number; resources: number }[] = [];
for (const [name, make] of Object.entries(all)) {
  const samples = Array.from({ length: runs }, () => timeSynth(make));
  rows.push({ name, ms: median(samples.map(s => s.ms)), resources: samples[0].resources });
}
const base = rows[0].ms;
console.log(`median synth time over ${runs} runs (node ${process.version})`);
console.log('| scenario | median ms | × baseline | resources |');
console.log('|---|---|---|---|');
for (const r of rows) console.log(`| ${r.name} | ${r.ms.toFixed(0)} | ${(r.ms / base).toFixed(2)} | ${r.resources} |`);
