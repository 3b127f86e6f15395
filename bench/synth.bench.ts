// `npx projen bench`: median synth time of LiteLlmPlatform against the
// ecs_patterns baseline, in one process. A benchmark, not a timed test.
import { performance } from 'perf_hooks';
import { App, Stack, aws_ecs as ecs, aws_ecs_patterns as patterns } from 'aws-cdk-lib';
import { LiteLlmModel, LiteLlmPlatform } from '../src';

const runs = Number(process.env.BENCH_RUNS ?? 7);
const env = { account: '123456789012', region: 'us-east-1' };

function timeSynth(build: (stack: Stack) => void): { ms: number; resources: number } {
  const start = performance.now();
  const app = new App();
  const stack = new Stack(app, 'Bench', { env });
  build(stack);
  const template = app.synth().getStackByName('Bench').template;
  return { ms: performance.now() - start, resources: Object.keys(template.Resources ?? {}).length };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const scenarios: Record<string, (stack: Stack) => void> = {
  'ecs_patterns.ApplicationLoadBalancedFargateService (baseline)': (stack) => {
    new patterns.ApplicationLoadBalancedFargateService(stack, 'Baseline', {
      taskImageOptions: { image: ecs.ContainerImage.fromRegistry('ghcr.io/berriai/litellm:main-stable'), containerPort: 4000 },
      memoryLimitMiB: 2048,
      cpu: 1024,
    });
  },
  'LiteLlmPlatform (default profile)': (stack) => {
    new LiteLlmPlatform(stack, 'LiteLlm', {
      models: [LiteLlmModel.bedrock({ name: 'claude-sonnet', modelId: 'us.anthropic.claude-sonnet-4-20250514-v1:0' })],
    });
  },
};

const results: Record<string, number> = {};
// One warm-up run each, so module loading is not billed to the first scenario.
for (const build of Object.values(scenarios)) timeSynth(build);
for (const [name, build] of Object.entries(scenarios)) {
  const samples = Array.from({ length: runs }, () => timeSynth(build));
  results[name] = median(samples.map(s => s.ms));
  console.log(`${name}: median ${results[name].toFixed(1)} ms over ${runs} runs, ${samples[0].resources} resources`);
}
const [baseline, ...others] = Object.keys(results);
for (const name of others) {
  console.log(`ratio ${name} / baseline: ${(results[name] / results[baseline]).toFixed(2)}`);
}
