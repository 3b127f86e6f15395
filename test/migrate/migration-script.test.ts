// The migration container's program, from the synthesized task definition, run by python3
// against a stand-in LiteLLM: a `litellm` console script on PATH and the two modules the
// program touches (litellm.run_server, litellm_proxy_extras.utils). Each stand-in run does
// what the test scripts for that attempt: exit with a code, log LiteLLM's line after a
// `prisma migrate deploy`, or be killed by a signal. (The real LiteLLM runs in test/boot.test.ts.)
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { LiteLlmModel, LiteLlmPlatform } from '../../src';

const FAKE_RUN_SERVER = `
import os, signal, sys
import litellm_proxy_extras.utils as extras
def run_server():
    state = os.environ["FAKE_STATE"]
    attempt = len(open(state).read()) + 1 if os.path.exists(state) else 1
    open(state, "a").write("x")
    print(f"fake litellm: attempt {attempt}, argv {sys.argv[1:]}, MAX_MIGRATE_DEPLOY_ATTEMPTS={extras.MAX_MIGRATE_DEPLOY_ATTEMPTS}", flush=True)
    plan = os.environ["FAKE_PLAN"].split(",")[attempt - 1]
    if plan == "deploy":
        print("2026-12-07 03:00:00 - litellm_proxy_extras - INFO - prisma migrate deploy stdout: No pending migrations to apply.", flush=True)
        return 0
    if plan == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    return int(plan)
`;

function script(): string {
  const stack = new Stack(new App(), 'Script', { env: { account: '123456789012', region: 'us-east-1' } });
  new LiteLlmPlatform(stack, 'LiteLlm', { models: [LiteLlmModel.mock({ name: 'mock', response: 'ok' })] });
  const tasks = Object.values<any>(Template.fromStack(stack).findResources('AWS::ECS::TaskDefinition'));
  const migrate = tasks.flatMap(t => t.Properties.ContainerDefinitions).find((c: any) => c.Name === 'migrate');
  return migrate.Command[0];
}

const SCRIPT = script();
let home: string;

beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'migration-script-'));
  const lib = path.join(home, 'lib');
  fs.mkdirSync(path.join(lib, 'litellm'), { recursive: true });
  fs.mkdirSync(path.join(lib, 'litellm_proxy_extras'), { recursive: true });
  fs.writeFileSync(path.join(lib, 'litellm', '__init__.py'), FAKE_RUN_SERVER);
  fs.writeFileSync(path.join(lib, 'litellm_proxy_extras', '__init__.py'), '');
  fs.writeFileSync(path.join(lib, 'litellm_proxy_extras', 'utils.py'), 'MAX_MIGRATE_DEPLOY_ATTEMPTS = 4\n');
  // A console script like pip's: its shebang names the interpreter that has LiteLLM.
  const bin = path.join(home, 'bin');
  fs.mkdirSync(bin);
  const python = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim();
  fs.writeFileSync(path.join(bin, 'litellm'), `#!${python}\nimport sys\nfrom litellm import run_server\nsys.exit(run_server())\n`, { mode: 0o755 });
});

afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

/** Runs the program with `plan`, one entry per attempt: an exit code, `deploy` (log the deploy and exit 0) or `kill` (SIGKILL). */
function run(plan: string[]): { status: number | null; output: string } {
  const result = spawnSync('python3', ['-c', SCRIPT], {
    env: {
      PATH: `${path.join(home, 'bin')}:/usr/bin:/bin`,
      PYTHONPATH: path.join(home, 'lib'),
      DATABASE_SSLROOTCERT: path.join(home, 'ca', 'rds-ca.pem'),
      DATABASE_CA_PEM: '-----BEGIN CERTIFICATE-----',
      MIGRATION_RETRY_PAUSE_SECONDS: '0',
      FAKE_STATE: path.join(home, 'attempts'),
      FAKE_PLAN: plan.join(','),
    },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

test('a failed attempt is retried in a new process, with LiteLLM\'s own retries of `prisma migrate deploy` set to one', () => {
  const { status, output } = run(['2', 'deploy']);
  expect(output).toContain("fake litellm: attempt 1, argv ['--skip_server_startup'], MAX_MIGRATE_DEPLOY_ATTEMPTS=1");
  expect(output).toContain('cdk-litellm: migration attempt 1 of 3 exited 2');
  expect(output).toContain('fake litellm: attempt 2');
  expect(output).toContain('prisma migrate deploy stdout: No pending migrations to apply.');
  expect(output).toContain('cdk-litellm: migration complete (attempt 2 of 3)');
  expect(status).toBe(0);
  expect(fs.readFileSync(path.join(home, 'ca', 'rds-ca.pem'), 'utf8')).toBe('-----BEGIN CERTIFICATE-----');
});

test('exit 0 without `prisma migrate deploy` (no database URL) fails, and is not retried', () => {
  const { status, output } = run(['0', 'deploy']);
  expect(output).toContain('cdk-litellm: LiteLLM exited 0 but never ran prisma migrate deploy (no database URL, or schema updates turned off): nothing was migrated');
  expect(output).not.toContain('fake litellm: attempt 2');
  expect(status).toBe(3);
});

test('an attempt killed by a signal is not retried: a Prisma it started could still be migrating', () => {
  const { status, output } = run(['kill', 'deploy']);
  expect(output).toContain('cdk-litellm: migration attempt 1 of 3 was killed (signal 9): not retried, a Prisma migration it started may still run');
  expect(output).not.toContain('fake litellm: attempt 2');
  expect(status).toBe(137);
});

test('three failed attempts fail the task with the last exit code', () => {
  const { status, output } = run(['1', '2', '1']);
  expect(output.match(/cdk-litellm: migration attempt \d of 3 exited/g)).toHaveLength(3);
  expect(status).toBe(1);
});
