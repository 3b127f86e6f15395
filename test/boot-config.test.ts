// Boots the real LiteLLM proxy (pinned to LiteLlmImage.DEFAULT_VERSION, installed in
// .venv-litellm by `npx projen boot:setup`) from task definitions whose config uses
// model groups, fallbacks, a raw router setting and a team's config.yaml, and checks that
// LiteLLM does with them what the config says. As in test/boot.test.ts, the proxy runs
// without its database (Prisma's engines cannot be downloaded here).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as YAML from 'yaml';
import { LiteLlmConfigOptions, LiteLlmModel, LiteLlmPlatform } from '../src';
import { MAX_CONFIG_BYTES, taskDefinitionBytes } from '../src/config';
import { BootedProxy, ContainerDefinition, VENV, containersOf, litellmPython } from './boot/proxy';

const TEAM_CONFIG = path.join(__dirname, 'fixtures', 'team-config.yaml');
const FROM_A = 'answer from deployment A';
const FROM_B = 'answer from deployment B';
const FROM_FALLBACK = 'answer from the fallback';

/** Two deployments of `team`, a `flaky` one that always fails and a `stable` one. */
const MODELS = () => [
  LiteLlmModel.mock({ name: 'team', response: FROM_A }),
  LiteLlmModel.mock({ name: 'team', response: FROM_B }),
  // LiteLLM raises InternalServerError for this mock response (litellm/main.py:832-837).
  LiteLlmModel.mock({ name: 'flaky', response: 'litellm.InternalServerError' }),
  LiteLlmModel.mock({ name: 'stable', response: FROM_FALLBACK }),
];

function synth(models: LiteLlmModel[], config: LiteLlmConfigOptions): { platform: LiteLlmPlatform; containers: Record<string, ContainerDefinition> } {
  const stack = new Stack(new App(), 'Boot', { env: { account: '123456789012', region: 'us-east-1' } });
  // One task, one worker: no cache to stand in for.
  const platform = new LiteLlmPlatform(stack, 'LiteLlm', { models, config, service: { maxCapacity: 1 } });
  return { platform, containers: containersOf(Template.fromStack(stack).toJSON()) };
}

function synthContainers(models: LiteLlmModel[], config: LiteLlmConfigOptions): Record<string, ContainerDefinition> {
  return synth(models, config).containers;
}

async function chat(proxy: BootedProxy, model: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${proxy.baseUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'Authorization': `Bearer ${proxy.env.LITELLM_MASTER_KEY}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'ping' }] }),
  });
  return { status: res.status, body: await res.json() };
}

const text = (body: any): string => body.choices[0].message.content;

beforeAll(() => {
  if (!fs.existsSync(`${VENV}/bin/litellm`)) {
    throw new Error(`${VENV} has no LiteLLM proxy: run \`npx projen boot:setup\` (the test task runs it first)`);
  }
});

describe.each([
  ['with the fallback and the alias', true],
  ['without them (control)', false],
])('a platform with a model group, a failing model %s', (_name, configured) => {
  let proxy: BootedProxy;

  beforeAll(async () => {
    const config: LiteLlmConfigOptions = configured ? {
      fallbacks: [{ model: 'flaky', fallbackModels: ['stable'] }],
      // A raw router setting the platform does not type: requests for `latest` go to `team`.
      routerSettings: { model_group_alias: { latest: 'team' } },
    } : {};
    proxy = await BootedProxy.start(synthContainers(MODELS(), config));
    await proxy.waitUntilLive(180_000);
  }, 240_000);

  afterAll(async () => {
    await proxy?.stop();
  });

  test('both deployments of the group answer under its one name', async () => {
    const answers = new Set<string>();
    for (let i = 0; i < 40 && answers.size < 2; i++) {
      const { status, body } = await chat(proxy, 'team');
      expect(status).toBe(200);
      answers.add(text(body));
    }
    expect([...answers].sort()).toEqual([FROM_A, FROM_B]);
  }, 120_000);

  test(configured ? 'a request to the failing model is answered by its fallback' : 'a request to the failing model fails', async () => {
    const { status, body } = await chat(proxy, 'flaky');
    if (configured) {
      expect(status).toBe(200);
      expect(text(body)).toBe(FROM_FALLBACK);
    } else {
      expect(status).toBe(500);
      expect(JSON.stringify(body)).toContain('this is a mock internal server error');
    }
  }, 120_000);

  test(configured ? 'the merged model_group_alias routes `latest` to the group' : '`latest` is an unknown model', async () => {
    const { status, body } = await chat(proxy, 'latest');
    if (configured) {
      expect(status).toBe(200);
      expect([FROM_A, FROM_B]).toContain(text(body));
    } else {
      expect(status).toBe(400);
      expect(JSON.stringify(body)).toContain('Invalid model name passed in model=latest');
    }
  }, 60_000);
});

describe('a platform built from a team\'s config.yaml', () => {
  let proxy: BootedProxy;

  beforeAll(async () => {
    proxy = await BootedProxy.start(synthContainers([], { configFile: TEAM_CONFIG }));
    await proxy.waitUntilLive(180_000);
  }, 240_000);

  afterAll(async () => {
    await proxy?.stop();
  });

  test('/v1/models lists the file\'s models', async () => {
    const res = await fetch(`${proxy.baseUrl}/v1/models`, { headers: { Authorization: `Bearer ${proxy.env.LITELLM_MASTER_KEY}` } });
    expect(res.status).toBe(200);
    const body = await res.json() as { data: { id: string }[] };
    expect(body.data.map(m => m.id).sort()).toEqual(['claude-sonnet', 'gpt-4o', 'mistral-large', 'team-mock']);
  });

  test('the file\'s mock model answers with the file\'s text', async () => {
    const { status, body } = await chat(proxy, 'team-mock');
    expect(status).toBe(200);
    expect(text(body)).toBe('hello from the team\'s config file');
  }, 60_000);

  test('the task reads the file\'s provider keys from the provider keys secret', () => {
    expect(proxy.env).toMatchObject({ OPENAI_API_KEY: 'placeholder-openai_api_key', MISTRAL_API_KEY: 'placeholder-mistral_api_key' });
  });
});

describe('a config of the largest size the guard lets through', () => {
  let proxy: BootedProxy;
  let answer: string;

  beforeAll(async () => {
    // One mock deployment whose answer pads the config to exactly MAX_CONFIG_BYTES in the task definition.
    const overhead = taskDefinitionBytes(synth([LiteLlmModel.mock({ name: 'big', response: 'x' })], {}).platform.service.renderedConfig) - 1;
    answer = 'x'.repeat(MAX_CONFIG_BYTES - overhead);
    const { platform, containers } = synth([LiteLlmModel.mock({ name: 'big', response: answer })], {});
    expect(taskDefinitionBytes(platform.service.renderedConfig)).toBe(MAX_CONFIG_BYTES);
    proxy = await BootedProxy.start(containers);
    await proxy.waitUntilLive(180_000);
  }, 240_000);

  afterAll(async () => {
    await proxy?.stop();
  });

  test('travels through the init container to the proxy whole', async () => {
    const { status, body } = await chat(proxy, 'big');
    expect(status).toBe(200);
    expect(text(body)).toBe(answer);
  }, 60_000);
});

describe('a broken config still fails with LiteLLM\'s own message', () => {
  test('a routing strategy LiteLLM does not know, brought in a config file', async () => {
    // GIVEN: the platform types routingStrategy, but a file's router_settings pass through as they are.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-litellm-boot-'));
    const file = path.join(dir, 'config.yaml');
    fs.writeFileSync(file, 'model_list:\n  - model_name: m\n    litellm_params: { model: openai/mock, mock_response: hi }\nrouter_settings:\n  routing_strategy: fastest\n');
    const proxy = await BootedProxy.start(synthContainers([], { configFile: file }));
    try {
      // WHEN
      const code = await proxy.waitForExit(180_000);

      // THEN: litellm/router_utils/routing_groups.py:30-35
      expect(code).not.toBe(0);
      expect(proxy.log).toContain("Invalid routing_strategy: 'fastest'");
    } finally {
      await proxy.stop();
    }
  }, 240_000);
});

/**
 * The timeout LiteLLM's router gives one attempt (litellm/router.py:4577-4610), built from the
 * platform's rendered config: a stream waits for its first chunk no longer than a plain
 * request's share, and a `timeout` or `stream_timeout` in the request body replaces it. Both
 * are what the README's routing section says the budget does and does not cover.
 */
test('LiteLLM gives a stream the per-attempt share (60 s behind CloudFront) for its first chunk, and a request body\'s timeout replaces it', () => {
  // GIVEN
  // Behind CloudFront (DEVELOPMENT's default) the share, 191 s, is capped at its 60 s origin response timeout (test/cloudfront.test.ts).
  const config = YAML.parse(synth([LiteLlmModel.mock({ name: 'm' })], {}).platform.service.renderedConfig);
  const script = [
    'import json, os, litellm',
    'from litellm import Router',
    'cfg = json.loads(os.environ["CONFIG"])',
    'litellm.request_timeout = cfg["litellm_settings"]["request_timeout"]',
    'router = Router(model_list=cfg["model_list"], timeout=cfg["router_settings"]["timeout"])',
    'data = cfg["model_list"][0]["litellm_params"]',
    'print(json.dumps({"stream": router._get_timeout(kwargs={"stream": True}, data=data),',
    '                  "plain": router._get_timeout(kwargs={}, data=data),',
    '                  "bodyStreamTimeout": router._get_timeout(kwargs={"stream": True, "stream_timeout": 900}, data=data),',
    '                  "bodyTimeout": router._get_timeout(kwargs={"timeout": 900}, data=data)}))',
  ].join('\n');

  // WHEN
  const out = litellmPython(script, { CONFIG: JSON.stringify(config) });

  // THEN
  expect(out).toEqual({ stream: 60, plain: 60, bodyStreamTimeout: 900, bodyTimeout: 900 });
}, 60_000);

test('LiteLLM waits up to 60 s on a provider\'s Retry-After before a retry, where the budget counts its longest back-off (8.75 s)', () => {
  // GIVEN: litellm/utils.py:7695-7718, the wait the router takes before a retry (router.py:8727-8770)
  const script = [
    'import json, httpx, litellm',
    'from litellm.constants import MAX_RETRY_DELAY, JITTER',
    'h = httpx.Headers({"retry-after": "60"})',
    'waits = [litellm.calculate_retry_after(remaining_retries=1, max_retries=2, response_headers=h) for _ in range(50)]',
    'backoff = [litellm.calculate_retry_after(remaining_retries=0, max_retries=10) for _ in range(50)]',
    'print(json.dumps({"retryAfter": min(waits), "backoff": max(backoff), "budgeted": MAX_RETRY_DELAY + JITTER}))',
  ].join('\n');

  // WHEN
  const out = litellmPython(script);

  // THEN: the README's routing section says the budget does not cover it
  expect(out.budgeted).toBe(8.75);
  expect(out.backoff).toBeLessThanOrEqual(8.75);
  expect(out.retryAfter).toBeGreaterThanOrEqual(60);
}, 60_000);
