// Every README example that builds an app runs as pasted (only `from 'cdk-litellm'` points at
// src/) and synthesizes with no warning the README does not explain by its id; a fragment that declares its stack runs with a real
// one. The five-stack split is the cost table's "five-stack split" scenario, template for template.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { fiveStacks } from './support/scenarios';

const ROOT = path.join(__dirname, '..');
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const EXAMPLES = [...README.matchAll(/```ts\n([\s\S]*?)```/g)].map(m => m[1]);

/** What a fragment declares, made real: a stack and the resources it takes from elsewhere. */
const DECLARED: Record<string, string> = {
  'declare const stack: Stack;': "const stack = new (require('aws-cdk-lib').Stack)(new (require('aws-cdk-lib').App)(), 'Example');",
  'declare const auditBucket: s3.IBucket;': "const auditBucket = s3.Bucket.fromBucketName(stack, 'Audit', 'audit-bucket');",
};

const runnable = EXAMPLES.filter(e => e.includes('new App(') || e.includes('declare const stack'));

interface Run { readonly status: number | null; readonly stderr: string; readonly assembly: CloudAssembly }

const runs = new Map<string, Promise<Run>>();

/** Runs an example once (the five-stack split's two tests share its run), two at a time: each is a ts-node process that mostly compiles. */
function run(source: string): Promise<Run> {
  let result = runs.get(source);
  if (!result) {
    result = inSlot(() => runExample(source));
    runs.set(source, result);
  }
  return result;
}

const SLOTS = 2;
let busy = 0;
const waiting: (() => void)[] = [];
async function inSlot<T>(task: () => Promise<T>): Promise<T> {
  while (busy >= SLOTS) await new Promise<void>(resolve => waiting.push(resolve));
  busy++;
  try {
    return await task();
  } finally {
    busy--;
    waiting.shift()?.();
  }
}

/** Runs an example as `cdk synth` runs an app (CDK_OUTDIR set, so the app synthesizes on exit). */
async function runExample(source: string): Promise<Run> {
  let code = source.replace(/from 'cdk-litellm'/g, `from '${path.join(ROOT, 'src')}'`);
  for (const [declared, real] of Object.entries(DECLARED)) code = code.replace(declared, real);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'readme-example-'));
  const file = path.join(dir, 'app.ts');
  fs.writeFileSync(file, code);
  const outdir = path.join(dir, 'cdk.out');
  // `configFile` is relative to where `cdk synth` runs: the README's sample lives in examples/.
  const child = spawn(path.join(ROOT, 'node_modules', '.bin', 'ts-node'), ['-T', '-P', path.join(ROOT, 'tsconfig.dev.json'), file], {
    cwd: path.join(ROOT, 'examples'), env: { ...process.env, CDK_OUTDIR: outdir, NODE_PATH: path.join(ROOT, 'node_modules') }, timeout: 120_000,
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', chunk => stderr += chunk);
  child.stdout.resume();
  const status = await new Promise<number | null>((resolve, reject) => child.on('error', reject).on('close', resolve));
  if (status !== 0) throw new Error(`the example failed (${status}):\n${stderr}\n--- the example:\n${source}`);
  return { status, stderr, assembly: new CloudAssembly(outdir) };
}

// Every example starts now, two at a time; each test waits for its own.
beforeAll(() => {
  for (const source of runnable) run(source).catch(() => undefined);
});

/** Warnings and errors the synthesis attached to constructs, but for a warning the README explains by its id. */
function findings(assembly: CloudAssembly): string[] {
  const explained = (text: string) => {
    const id = /\[ack: ([^\]]+)\]/.exec(text)?.[1];
    return id !== undefined && README.includes(`\`${id}\``);
  };
  return assembly.stacksRecursively.flatMap(s => Object.values(s.manifest.metadata ?? {}).flat()
    .filter(m => m.type === 'aws:cdk:error' || (m.type === 'aws:cdk:warning' && !explained(String(m.data))))
    .map(m => `${s.stackName}: ${m.type}: ${String(m.data)}`));
}

test('the README has the examples this test runs', () => {
  expect(runnable.length).toBeGreaterThanOrEqual(8);
  expect(runnable.filter(e => e.includes('new App(')).length).toBeGreaterThanOrEqual(4);
});

describe.each(runnable.map(e => [e.split('\n').find(l => l.startsWith('new ') || l.startsWith('const platform'))?.slice(0, 60) ?? e.slice(0, 60), e]))('README example %s', (_, source) => {
  test('synthesizes as pasted, with no warning', async () => {
    const { stderr, assembly } = await run(source);
    expect(findings(assembly)).toEqual([]);
    expect(stderr).toBe('');
    expect(assembly.stacksRecursively.length).toBeGreaterThan(0);
  });
});

test('the five-stack split in the README is the cost table\'s "five-stack split", template for template', async () => {
  // GIVEN
  const split = EXAMPLES.find(e => e.includes('new LiteLlmOutputs(serviceStack'));
  expect(split).toBeDefined();

  // WHEN
  const readme = (await run(split!)).assembly;
  const scenario = fiveStacks(null).app.synth();

  // THEN
  const names = (a: { stacks: { stackName: string }[] }) => a.stacks.map(s => s.stackName).sort();
  expect(names(readme)).toEqual(names(scenario));
  for (const stack of scenario.stacks) {
    expect(readme.getStackByName(stack.stackName).template).toEqual(stack.template);
  }
});
