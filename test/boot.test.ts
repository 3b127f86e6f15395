// Boots the real LiteLLM proxy (pinned to LiteLlmImage.DEFAULT_VERSION, installed in
// .venv-litellm by `npx projen boot:setup`) from the synthesized task definition of the
// default and production platforms, and checks that LiteLLM accepts what we deploy.
//
// Left out, and only that: the DATABASE_* secrets. The proxy's database layer needs
// Prisma engine binaries that it downloads from the internet, which this machine
// cannot reach, so the proxy runs here without a database.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as YAML from 'yaml';
import { LiteLlmDeploymentProfile, LiteLlmModel, LiteLlmPlatform, LiteLlmPlatformProps } from '../src';
import { BootedProxy, ContainerDefinition, VENV, containersOf, runMigrationContainer } from './boot/proxy';
import { LocalRedis } from './boot/redis';

const MOCK_TEXT = 'pong from the boot test';
const MODELS = () => [
  LiteLlmModel.mock({ name: 'mock-gpt', response: MOCK_TEXT }),
  LiteLlmModel.bedrock({ name: 'claude-sonnet', modelId: 'us.anthropic.claude-sonnet-4-20250514-v1:0' }),
  LiteLlmModel.openAi({ name: 'gpt-4o', modelId: 'gpt-4o' }),
];

function synthContainers(profile: LiteLlmDeploymentProfile, props: Partial<LiteLlmPlatformProps> = {}): Record<string, ContainerDefinition> {
  const stack = new Stack(new App(), 'Boot', { env: { account: '123456789012', region: 'us-east-1' } });
  new LiteLlmPlatform(stack, 'LiteLlm', { profile, models: MODELS(), ...props });
  return containersOf(Template.fromStack(stack).toJSON());
}

beforeAll(() => {
  if (!fs.existsSync(`${VENV}/bin/litellm`)) {
    throw new Error(`${VENV} has no LiteLLM proxy: run \`npx projen boot:setup\` (the test task runs it first)`);
  }
});

describe.each([LiteLlmDeploymentProfile.DEVELOPMENT, LiteLlmDeploymentProfile.PRODUCTION])('the %s task definition boots the real proxy', (profile) => {
  let containers: Record<string, ContainerDefinition>;
  let proxy: BootedProxy;
  let redis: LocalRedis;
  const masterKey = () => proxy.env.LITELLM_MASTER_KEY;

  beforeAll(async () => {
    containers = synthContainers(profile, profile === LiteLlmDeploymentProfile.PRODUCTION ? { loadBalancer: { allowHttp: true } } : {});
    // PRODUCTION runs up to 4 tasks, so it has a cache: a local TLS Redis stands in
    // (DEVELOPMENT's one task has none, and ignores it).
    redis = await LocalRedis.start({ tls: true });
    proxy = await BootedProxy.start(containers, { redis });
    await proxy.waitUntilLive();
  }, 180_000);

  afterAll(async () => {
    await proxy?.stop();
    await redis?.stop();
  });

  test('the container\'s own health check, run as ECS runs it, exits 0', () => {
    const result = proxy.runHealthCheck();
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });

  test('/health/liveliness answers 200 without a key', async () => {
    const res = await fetch(`${proxy.baseUrl}/health/liveliness`);
    expect(res.status).toBe(200);
  });

  test('/v1/models with the master key lists exactly the configured models', async () => {
    const res = await fetch(`${proxy.baseUrl}/v1/models`, { headers: { Authorization: `Bearer ${masterKey()}` } });
    expect(res.status).toBe(200);
    const body = await res.json() as { data: { id: string }[] };
    expect(body.data.map(m => m.id).sort()).toEqual(MODELS().map(m => m.name).sort());
  });

  test('/v1/models without a key is 401', async () => {
    const res = await fetch(`${proxy.baseUrl}/v1/models`);
    expect(res.status).toBe(401);
  });

  test('a chat completion to the mock model returns its text', async () => {
    const res = await fetch(`${proxy.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'Authorization': `Bearer ${masterKey()}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ model: 'mock-gpt', messages: [{ role: 'user', content: 'ping' }] }),
    });
    expect(res.status).toBe(200);
    const body = await res.json() as { choices: { message: { content: string } }[] };
    expect(body.choices[0].message.content).toBe(MOCK_TEXT);
  });

  test('the proxy loaded its models from the config at the path the task definition gives', () => {
    // The init container wrote the config to the volume path the litellm container's
    // --config names; the proxy lists the models it loaded from that file.
    expect(proxy.configPath()).toBe('/litellm-config/config.yaml');
    const fromFile = YAML.parse(proxy.configText()).model_list.map((m: { model_name: string }) => m.model_name);
    expect(fromFile).toEqual(MODELS().map(m => m.name));
    const plain = proxy.log.replace(/\u001b\[[0-9;]*m/g, '');
    const listed = plain.split('LiteLLM: Proxy initialized with Config, Set models:\n')[1];
    expect(listed).toBeDefined();
    expect(listed.split('\n').slice(0, fromFile.length).map(l => l.trim())).toEqual(fromFile);
  });

  test('the task gives the proxy every secret, no database password or URL (the boot has no database)', () => {
    const names = (containers.litellm.Secrets ?? []).map(s => s.Name);
    expect(names).toEqual(expect.arrayContaining(['LITELLM_MASTER_KEY', 'LITELLM_SALT_KEY', 'UI_USERNAME', 'UI_PASSWORD', 'OPENAI_API_KEY']));
    expect(Object.keys(proxy.env).filter(n => n.startsWith('DATABASE_') && n !== 'DATABASE_SSLMODE')).toEqual([]);
    expect(names).not.toContain('DATABASE_URL');
  });
});

describe('a broken task definition fails with LiteLLM\'s own message', () => {
  let containers: Record<string, ContainerDefinition>;
  beforeAll(() => {
    // One task, one worker: no cache to stand in for.
    containers = synthContainers(LiteLlmDeploymentProfile.DEVELOPMENT, { service: { maxCapacity: 1 } });
  });

  async function bootAndExpectExit(proxy: BootedProxy): Promise<string> {
    try {
      const code = await proxy.waitForExit();
      expect(code).not.toBe(0);
      return proxy.log;
    } finally {
      await proxy.stop();
    }
  }

  test('a model entry without litellm_params', async () => {
    const proxy = await BootedProxy.start(containers, {
      editConfig: yaml => {
        const config = YAML.parse(yaml);
        delete config.model_list[0].litellm_params;
        return YAML.stringify(config);
      },
    });
    const log = await bootAndExpectExit(proxy);
    expect(log).toContain("KeyError: 'litellm_params'");
    expect(log).toContain('Application startup failed');
  }, 180_000);

  test('a config that references an environment variable the task does not set', async () => {
    const proxy = await BootedProxy.start(containers, { omitSecrets: ['LITELLM_MASTER_KEY'] });
    const log = await bootAndExpectExit(proxy);
    expect(log).toContain('LiteLLM proxy refused to start');
    expect(log).toContain('LITELLM_MASTER_KEY');
  }, 180_000);
});

describe('the migration task, run from its task definition, retries LiteLLM\'s migration with a new token each time', () => {
  // No PostgreSQL runs here that LiteLLM's Prisma engines could use (they download from
  // outside the registries), so the migration stops at the database. It must stop for
  // that reason: an unknown option would exit 2 too, with Click's "No such option".
  test('each attempt mints an IAM token for the database the task names, fails only because that host does not exist, and the task exits non-zero after three', () => {
    const containers = synthContainers(LiteLlmDeploymentProfile.PRODUCTION, { loadBalancer: { allowHttp: true } });
    expect(containers.migrate.Secrets ?? []).toEqual([]);
    // .invalid never resolves (RFC 2606), whatever runs on this machine. Minting a token
    // is local signing: any credentials do (in ECS they are the task role's).
    const started = Date.now();
    const result = runMigrationContainer(containers,
      { DATABASE_HOST: 'db.litellm-boot.invalid', DATABASE_PORT: '5432' },
      { AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: 'boot-test-not-a-secret', MIGRATION_RETRY_PAUSE_SECONDS: '1' });
    const seconds = Math.round((Date.now() - started) / 1000);
    expect(result.output).not.toMatch(/No such option|Usage: litellm|required DB env var|DATABASE_USER unset|AWS region not set/);
    for (const attempt of [1, 2, 3]) expect(result.output).toContain(`cdk-litellm: migration attempt ${attempt} of 3: litellm --skip_server_startup`);
    // The observer (test/boot/mint-observer) prints once per token botocore signs.
    expect(result.output.match(/boot-test: minted an RDS IAM token for db\.litellm-boot\.invalid:5432 as litellm_proxy/g)).toHaveLength(3);
    expect(result.output.match(/Database migration cannot proceed/g)).toHaveLength(3);
    expect(result.output).toContain("P1001: Can't reach database server at `db.litellm-boot.invalid:5432`");
    expect(result.output).toContain('cdk-litellm: migration attempt 3 of 3 exited 2');
    expect(result.output).not.toContain('X-Amz-Signature');
    expect(result.status).toBe(2);
    console.log(`three failed migration attempts took ${seconds} s`);
  }, 420_000);

  test('LiteLLM\'s exit 0 without a database (it skips migrating) fails the task, and is not retried', () => {
    const containers = synthContainers(LiteLlmDeploymentProfile.PRODUCTION, { loadBalancer: { allowHttp: true } });
    // No host and no IAM login: LiteLLM builds no DATABASE_URL, skips the database block and
    // exits 0 (proxy_cli.py:1359-1372, 1573-1575).
    const result = runMigrationContainer(containers, { DATABASE_HOST: '', DATABASE_PORT: '5432' }, { IAM_TOKEN_DB_AUTH: 'false', MIGRATION_RETRY_PAUSE_SECONDS: '1' });
    expect(result.output).toContain('LiteLLM: Setup complete. Skipping server startup as requested.');
    expect(result.output).toContain('cdk-litellm: LiteLLM exited 0 but never ran prisma migrate deploy');
    expect(result.output).not.toContain('cdk-litellm: migration attempt 2 of 3');
    expect(result.status).toBe(3);
  }, 180_000);

  test('with the program\'s setting, LiteLLM\'s own v2 resolver runs `prisma migrate deploy` once per process (4 times without it), so every retry gets a new token', () => {
    const script: string = (synthContainers(LiteLlmDeploymentProfile.DEVELOPMENT).migrate.Command ?? [])[0];
    const setting = /"\s*(extras\.MAX_MIGRATE_DEPLOY_ATTEMPTS = \d+)"/.exec(script)![1];
    // LiteLLM's _run_database_v2 (litellm_proxy_extras/utils.py:1031-1143), with Prisma replaced by a deploy that times out.
    const deploys = (patch: string) => spawnSync(`${VENV}/bin/python3`, ['-c', [
      'import subprocess',
      'import litellm_proxy_extras.utils as extras',
      'from litellm_proxy_extras import prisma_toolchain',
      patch,
      'calls = []',
      'def timed_out(argv, **kw):',
      '    calls.append(argv)',
      '    raise subprocess.TimeoutExpired(argv, kw["timeout"])',
      'prisma_toolchain.run_prisma = timed_out',
      'extras.ProxyExtrasDBManager._warn_if_db_ahead_of_head = staticmethod(lambda d: None)',
      'extras.time.sleep = lambda s: None',
      'try:',
      '    extras.ProxyExtrasDBManager._run_database_v2(True)',
      'except RuntimeError as e:',
      '    print(e)',
      'print("deploys:", sum(1 for c in calls if list(c[1:]) == ["migrate", "deploy"]))',
    ].join('\n')], { encoding: 'utf8', env: { ...process.env, LITELLM_LOCAL_MODEL_COST_MAP: 'True' }, timeout: 120_000 }).stdout;
    expect(deploys(setting)).toContain('deploys: 1');
    expect(deploys('pass')).toContain('deploys: 4');
  }, 240_000);

  test('the README\'s `prisma migrate resolve` runbook, run as its override of the migration task, gives Prisma an IAM-token URL with verified TLS, in LiteLLM\'s migrations folder', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('#### Recovering an unfinished migration'));
    const overrides = JSON.parse(/```json\n([\s\S]*?)```/.exec(section)![1]);
    const [override] = overrides.containerOverrides;
    expect(override.name).toBe('migrate');
    const containers = synthContainers(LiteLlmDeploymentProfile.PRODUCTION, { loadBalancer: { allowHttp: true } });
    const withOverride = { ...containers, migrate: { ...containers.migrate, Command: override.command } };
    // A stand-in for the Prisma CLI (its engines cannot download here): it prints what it was given.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-prisma-'));
    try {
      const prisma = path.join(dir, 'prisma');
      fs.writeFileSync(prisma, '#!/bin/sh\necho "fake prisma: $* in $(pwd)"\necho "fake prisma url: $DATABASE_URL" | sed "s/X-Amz-Signature%3D[0-9a-f]*/X-Amz-Signature%3DSIG/"\n', { mode: 0o755 });
      const result = runMigrationContainer(withOverride, { DATABASE_HOST: 'db.litellm-boot.invalid', DATABASE_PORT: '5432' }, {
        AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: 'boot-test-not-a-secret', PRISMA_OFFLINE_MODE: 'true', PRISMA_CLI_PATH: prisma,
      });
      expect(result.output).toMatch(/fake prisma: migrate resolve --rolled-back 20261001100000_rename_lens in \S+\/litellm_proxy_extras\n/);
      const url = /fake prisma url: (\S+)/.exec(result.output)![1];
      expect(url).toMatch(/^postgresql:\/\/litellm_proxy:[^@]*X-Amz-Signature%3DSIG[^@]*@db\.litellm-boot\.invalid:5432\/litellm\?/);
      expect(url).toContain('sslmode=require');
      expect(url).toContain('sslaccept=strict');
      expect(url).toMatch(/sslcert=[^&]*rds-ca\.pem/);
      expect(result.status).toBe(0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
