// Spend writes that scale: with a cache, each task pushes its spend updates to the cache and
// one task at a time writes them to the database (general_settings.use_redis_transaction_buffer,
// the reasons in src/config/defaults.ts, SPEND_BUFFER).
//
// What runs: two real proxy tasks' spend writers, each in its own process running the proxy
// app's startup (its lifespan) from the synthesized task definition's config and environment,
// against a local Redis set up as ElastiCache is (TLS, AUTH; test/boot/redis.ts). What cannot
// run here: LiteLLM queues a request's spend and schedules the job that writes it only with a
// database (litellm/proxy/db/db_spend_update_writer.py:1249, litellm/proxy/proxy_server.py:1659-1670),
// and a booted proxy has none (Prisma's engines cannot be downloaded on this machine). So
// test/boot/spend-pod.py does those two steps itself, with LiteLLM's own functions, against a
// stand-in database that records every use: what goes to Redis and what would reach the
// database is LiteLLM's doing, from the config the platform renders.
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as YAML from 'yaml';
import { LiteLlmModel, LiteLlmPlatform, LiteLlmPlatformProps } from '../src';
import { ContainerDefinition, VENV, containersOf, envOf, localEnvironment } from './boot/proxy';
import { LocalRedis } from './boot/redis';

const POD = path.join(__dirname, 'boot', 'spend-pod.py');
/** LiteLLM's list for key, user and team spend updates (litellm/constants.py:438). */
const BUFFER_KEY = 'litellm_spend_update_buffer';
/** The lock the task that writes the buffer to the database holds (pod_lock_manager.py:45-46, constants.py:1809). */
const FLUSH_LOCK = 'cronjob_lock:db_spend_update_job';

interface PodResult {
  readonly buffer: boolean;
  readonly writerHasRedis: boolean;
  readonly databaseUsed: string[];
  readonly error: string | null;
}

function synthContainers(config: LiteLlmPlatformProps['config'] = {}): Record<string, ContainerDefinition> {
  const stack = new Stack(new App(), 'Spend', { env: { account: '123456789012', region: 'us-east-1' } });
  new LiteLlmPlatform(stack, 'LiteLlm', {
    models: [LiteLlmModel.mock({ name: 'mock-gpt', response: 'pong' })],
    service: { minCapacity: 2, maxCapacity: 6 },
    config,
  });
  return containersOf(Template.fromStack(stack).toJSON());
}

/** The config the init container writes, as a file, and the proxy's environment pointed at `redis`. */
function task(containers: Record<string, ContainerDefinition>, redis: LocalRedis, dir: string): { config: any; env: Record<string, string> } {
  const text = envOf(containers.config).LITELLM_CONFIG_YAML;
  const file = path.join(dir, 'config.yaml');
  fs.writeFileSync(file, text);
  const env = localEnvironment(containers.litellm);
  // As BootedProxy: where the cache is and its test CA from the local Redis; REDIS_SSL stays the task's.
  const local = redis.env();
  delete local.REDIS_SSL;
  return {
    config: YAML.parse(text),
    env: { ...env, ...local, CONFIG_FILE_PATH: file, HOME: dir, PATH: `${path.join(VENV, 'bin')}:/usr/bin:/bin` },
  };
}

/** One task's spend writer: queues `cost` for `hashedKey`, then runs the spend job's commit step. */
function pod(env: Record<string, string>, hashedKey: string, cost: number): Promise<PodResult> {
  return new Promise((resolve, reject) => {
    execFile(path.join(VENV, 'bin', 'python'), [POD, hashedKey, String(cost)], { env, cwd: env.HOME, timeout: 180_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const line = stdout.split('\n').find(l => l.startsWith('SPEND-POD '));
        if (!line) reject(new Error(`the spend pod printed no result (${error?.message}):\n${`${stdout}\n${stderr}`.split('\n').slice(-40).join('\n')}`));
        else resolve(JSON.parse(line.slice('SPEND-POD '.length)));
      });
  });
}

describe.each([
  ['the platform\'s default with a cache: through Redis', {}, true],
  ['use_redis_transaction_buffer: false written raw (control): each task to the database', { generalSettings: { use_redis_transaction_buffer: false } }, false],
])('two tasks\' spend writes, %s', (_name, config, buffered) => {
  const containers = synthContainers(config);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spend-buffer-'));
  let redis: LocalRedis;
  let rendered: any;
  let results: PodResult[];

  beforeAll(async () => {
    redis = await LocalRedis.start({ tls: true });
    const t = task(containers, redis, dir);
    rendered = t.config;
    // A third task holds the flush lock, as one task of a fleet does for its interval: the
    // two tasks here only push, so what they push stays in Redis to be read.
    await redis.command('SET', FLUSH_LOCK, 'a-third-task', 'EX', 600);
    results = await Promise.all([pod(t.env, 'hashed-team-key', 0.25), pod(t.env, 'hashed-team-key', 0.5)]);
  }, 240_000);

  afterAll(async () => {
    await redis?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test(`the task's config ${buffered ? 'turns the buffer on' : 'keeps the buffer off'}, with the coordination Redis either way`, () => {
    expect(rendered.general_settings.use_redis_transaction_buffer).toBe(buffered);
    expect(rendered.general_settings.coordination_redis).toMatchObject({ host: 'os.environ/REDIS_HOST', ssl: true });
    expect(rendered.litellm_settings.cache).toBeUndefined();
    for (const r of results) expect(r).toMatchObject({ buffer: buffered, writerHasRedis: true });
  });

  if (buffered) {
    test('each task pushes its spend to the one Redis and leaves the database alone', async () => {
      for (const r of results) expect(r).toEqual({ buffer: true, writerHasRedis: true, databaseUsed: [], error: null });
      const entries = (await redis.command('LRANGE', BUFFER_KEY, 0, -1)).split('\n').filter(Boolean).map(e => JSON.parse(e));
      const spend = entries.map(e => e.key_list_transactions['hashed-team-key']).sort();
      expect(spend).toEqual([0.25, 0.5]);
      // The lock is still the third task's: neither of these wrote to the database.
      expect(await redis.command('GET', FLUSH_LOCK)).toBe('a-third-task');
    });
  } else {
    test('each task goes to the database itself and nothing reaches Redis', async () => {
      // The stand-in database's `db`: the commit's UPDATE transaction (litellm/proxy/db/db_spend_update_writer.py:316-319, 2094-2125).
      for (const r of results) expect(r.databaseUsed).toContain('db');
      expect(await redis.keys(`${BUFFER_KEY}*`)).toEqual([]);
    });
  }
});
