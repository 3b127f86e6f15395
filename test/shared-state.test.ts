// Two real LiteLLM proxies started from the synthesized task definition of a platform
// with a cache, as two ECS tasks would run, against a local Redis set up the way the
// platform's ElastiCache is (TLS only, AUTH token). What differs from AWS is said in
// test/boot/redis.ts: a self-signed CA (REDIS_SSL_CA_CERTS, test only), loopback, one node.
//
// They share state through it: a response one process cached is served by the other, and
// the router and rate-limit state lands in the one Redis. The control runs the same two
// processes with a Redis each: then the other process answers with a response of its own.
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as YAML from 'yaml';
import { LiteLlmModel, LiteLlmPlatform } from '../src';
import { BootedProxy, ContainerDefinition, containersOf } from './boot/proxy';
import { LocalRedis } from './boot/redis';

function synthContainers(): Record<string, ContainerDefinition> {
  const stack = new Stack(new App(), 'Shared', { env: { account: '123456789012', region: 'us-east-1' } });
  new LiteLlmPlatform(stack, 'LiteLlm', {
    models: [LiteLlmModel.mock({ name: 'mock-gpt', response: 'pong' })],
    service: { minCapacity: 2, maxCapacity: 6 },
    cache: { responseCaching: true },
  });
  return containersOf(Template.fromStack(stack).toJSON());
}

async function chat(proxy: BootedProxy, content: string): Promise<{ status: number; id: string }> {
  const res = await fetch(`${proxy.baseUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'Authorization': `Bearer ${proxy.env.LITELLM_MASTER_KEY}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ model: 'mock-gpt', messages: [{ role: 'user', content }] }),
  });
  const body = await res.json() as { id: string };
  return { status: res.status, id: body.id };
}

describe.each([
  ['share one Redis', true],
  ['have a Redis each (control)', false],
])('two proxies from the task definition %s', (_name, shared) => {
  const containers = synthContainers();
  const redises: LocalRedis[] = [];
  const proxies: BootedProxy[] = [];

  beforeAll(async () => {
    redises.push(await LocalRedis.start({ tls: true }));
    if (!shared) redises.push(await LocalRedis.start({ tls: true }));
    // Same master key in both, as both tasks read the same secret.
    const first = await BootedProxy.start(containers, { redis: redises[0] });
    proxies.push(first);
    const masterKey = { LITELLM_MASTER_KEY: first.env.LITELLM_MASTER_KEY };
    proxies.push(await BootedProxy.start(containers, { redis: redises[redises.length - 1], env: masterKey }));
    await Promise.all(proxies.map(p => p.waitUntilLive(180_000)));
  }, 240_000);

  afterAll(async () => {
    await Promise.all(proxies.map(p => p.stop()));
    await Promise.all(redises.map(r => r.stop()));
  });

  test('the task points LiteLLM at the cache with the keys it reads', () => {
    const config = YAML.parse(proxies[0].configText());
    expect(config.router_settings).toMatchObject({ redis_host: 'os.environ/REDIS_HOST', redis_password: 'os.environ/REDIS_PASSWORD' });
    expect(config.litellm_settings.cache_params).toMatchObject({ type: 'redis', ssl: true });
    expect(proxies[0].env.REDIS_SSL).toBe('True');
    // Spend updates go through the cache too (test/spend-buffer.test.ts). LiteLLM refuses to start
    // with the buffer on and no Redis (litellm/proxy/proxy_server.py:1609-1612): these proxies started.
    expect(config.general_settings).toMatchObject({ use_redis_transaction_buffer: true, coordination_redis: { host: 'os.environ/REDIS_HOST', ssl: true } });
  });

  test(`a response cached by one process ${shared ? 'is' : 'is not'} served by the other`, async () => {
    const [a, b] = proxies;
    const prompt = `cache me ${Date.now()}`;
    const first = await chat(a, prompt);
    const again = await chat(a, prompt);
    const other = await chat(b, prompt);
    expect([first.status, again.status, other.status]).toEqual([200, 200, 200]);
    // Each process answers a repeat from its cache, whatever the setup.
    expect(again.id).toBe(first.id);
    if (shared) expect(other.id).toBe(first.id);
    else expect(other.id).not.toBe(first.id);
  }, 60_000);

  test(`both processes write their state to ${shared ? 'the one' : 'their own'} Redis`, async () => {
    await chat(proxies[1], `state ${Date.now()}`);
    const keys = await Promise.all(redises.map(r => r.keys('*')));
    for (const k of keys) expect(k.length).toBeGreaterThan(0);
    expect(keys).toHaveLength(shared ? 1 : 2);
  }, 60_000);
});
