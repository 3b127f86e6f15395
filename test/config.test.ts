import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CfnParameter, Duration, Stack, aws_ec2 as ec2 } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as YAML from 'yaml';
import { LiteLlmConfig, LiteLlmConfigOptions, LiteLlmPlatformSettings, LiteLlmRoutingStrategy, MAX_CONFIG_BYTES } from '../src/config';
import { LiteLlmModel, LiteLlmProvider } from '../src/models';
import { LiteLlmPlatform } from '../src/platform';
import { LiteLlmDeploymentProfile } from '../src/profile';

const PLATFORM: LiteLlmPlatformSettings = { requestTimeoutSeconds: 600, databaseConnectionPoolLimit: 20, jsonLogs: true };
const TEAM_CONFIG = path.join(__dirname, 'fixtures', 'team-config.yaml');

function render(models: LiteLlmModel[], platform: Partial<LiteLlmPlatformSettings> = {}, options: LiteLlmConfigOptions = {}): string {
  return LiteLlmConfig.load(models, options).render({ ...PLATFORM, ...platform });
}

function parse(text: string): any {
  return YAML.parse(text);
}

/** A config file with `text`, in a fresh temporary directory. */
function configFile(text: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-litellm-config-')), 'config.yaml');
  fs.writeFileSync(file, text);
  return file;
}

const MOCK = (name: string, response?: string) => LiteLlmModel.mock({ name, response });

describe('rendering', () => {
  test('renders the exact config for one OpenAI model', () => {
    // GIVEN
    const models = [LiteLlmModel.openAi({ name: 'gpt', modelId: 'gpt-4o' })];

    // WHEN
    const text = render(models);

    // THEN
    expect(text).toBe([
      'model_list:',
      '  - model_name: gpt',
      '    litellm_params:',
      '      model: openai/gpt-4o',
      '      api_key: os.environ/OPENAI_API_KEY',
      'litellm_settings:',
      '  drop_params: true',
      '  num_retries: 2',
      '  json_logs: true',
      '  request_timeout: 191',
      '  num_retries_per_request: 3',
      'general_settings:',
      '  proxy_batch_write_at: 60',
      '  disable_spend_logs: false',
      '  master_key: os.environ/LITELLM_MASTER_KEY',
      '  database_connection_pool_limit: 20',
      'router_settings:',
      '  routing_strategy: simple-shuffle',
      '  num_retries: 2',
      '  timeout: 191',
      '',
    ].join('\n'));
  });

  test.each<[string, () => LiteLlmModel, object]>([
    [
      'bedrock foundation model',
      () => LiteLlmModel.bedrock({ name: 'haiku', modelId: 'anthropic.claude-3-haiku-20240307-v1:0' }),
      { model_name: 'haiku', litellm_params: { model: 'bedrock/anthropic.claude-3-haiku-20240307-v1:0' } },
    ],
    [
      'bedrock inference profile in another region',
      () => LiteLlmModel.bedrock({ name: 'claude-sonnet', modelId: 'eu.anthropic.claude-sonnet-4-20250514-v1:0', region: 'eu-west-1' }),
      {
        model_name: 'claude-sonnet',
        litellm_params: { model: 'bedrock/eu.anthropic.claude-sonnet-4-20250514-v1:0', aws_region_name: 'eu-west-1' },
      },
    ],
    [
      'openAi',
      () => LiteLlmModel.openAi({ name: 'gpt', modelId: 'gpt-4o' }),
      { model_name: 'gpt', litellm_params: { model: 'openai/gpt-4o', api_key: 'os.environ/OPENAI_API_KEY' } },
    ],
    [
      'anthropic',
      () => LiteLlmModel.anthropic({ name: 'claude', modelId: 'claude-sonnet-4-20250514' }),
      { model_name: 'claude', litellm_params: { model: 'anthropic/claude-sonnet-4-20250514', api_key: 'os.environ/ANTHROPIC_API_KEY' } },
    ],
    [
      'azureOpenAi',
      () => LiteLlmModel.azureOpenAi({ name: 'azure-gpt', deployment: 'gpt4o-prod', apiBase: 'https://my-resource.openai.azure.com', apiVersion: '2024-06-01' }),
      {
        model_name: 'azure-gpt',
        litellm_params: {
          model: 'azure/gpt4o-prod',
          api_base: 'https://my-resource.openai.azure.com',
          api_version: '2024-06-01',
          api_key: 'os.environ/AZURE_API_KEY',
        },
      },
    ],
    [
      'openAiCompatible',
      () => LiteLlmModel.openAiCompatible({ name: 'llama', modelId: 'llama-3.3-70b', apiBase: 'https://api.together.xyz/v1', apiKeyEnvName: 'TOGETHER_API_KEY' }),
      {
        model_name: 'llama',
        litellm_params: { model: 'openai/llama-3.3-70b', api_base: 'https://api.together.xyz/v1', api_key: 'os.environ/TOGETHER_API_KEY' },
      },
    ],
    [
      'mock',
      () => LiteLlmModel.mock({ name: 'mock' }),
      { model_name: 'mock', litellm_params: { model: 'openai/mock', mock_response: 'Hello from the LiteLLM mock model' } },
    ],
    [
      'custom',
      () => LiteLlmModel.custom({
        name: 'mistral',
        litellmParams: { model: 'mistral/mistral-large-latest', api_key: 'os.environ/MISTRAL_API_KEY', rpm: 60, tags: ['a', 'b'] },
        secretEnvNames: ['MISTRAL_API_KEY'],
      }),
      {
        model_name: 'mistral',
        litellm_params: { model: 'mistral/mistral-large-latest', api_key: 'os.environ/MISTRAL_API_KEY', rpm: 60, tags: ['a', 'b'] },
      },
    ],
  ])('renders the model_list entry of %s exactly', (_name, factory, expected) => {
    // WHEN
    const doc = parse(render([factory()]));

    // THEN
    expect(doc.model_list).toEqual([expected]);
  });

  test('keeps models in the order given', () => {
    // GIVEN
    const models = [
      LiteLlmModel.mock({ name: 'b' }),
      LiteLlmModel.mock({ name: 'a' }),
      LiteLlmModel.mock({ name: 'c' }),
    ];

    // WHEN
    const doc = parse(render(models));

    // THEN
    expect(doc.model_list.map((m: any) => m.model_name)).toEqual(['b', 'a', 'c']);
  });

  test('is pure: the same input gives identical text, from distinct but equal models too', () => {
    // GIVEN
    const make = () => [
      LiteLlmModel.bedrock({ name: 'claude-sonnet', modelId: 'us.anthropic.claude-sonnet-4-20250514-v1:0' }),
      LiteLlmModel.openAi({ name: 'gpt', modelId: 'gpt-4o' }),
    ];
    const models = make();

    // WHEN
    const first = render(models);
    const second = render(models);
    const fromOtherInstances = render(make());

    // THEN
    expect(second).toBe(first);
    expect(fromOtherInstances).toBe(first);
  });

  test('a different model gives different text', () => {
    // WHEN
    const a = render([LiteLlmModel.openAi({ name: 'gpt', modelId: 'gpt-4o' })]);
    const b = render([LiteLlmModel.openAi({ name: 'gpt', modelId: 'gpt-4o-mini' })]);

    // THEN
    expect(b).not.toBe(a);
  });

  test('does not mutate its input', () => {
    // GIVEN
    const model = LiteLlmModel.azureOpenAi({ name: 'azure-gpt', deployment: 'd', apiBase: 'https://r.openai.azure.com' });
    const options: LiteLlmConfigOptions = {
      litellmSettings: { success_callback: ['datadog'] },
      routerSettings: { retry_after: 5 },
      fallbacks: [{ model: 'azure-gpt', fallbackModels: ['other'] }],
    };
    const models = [model, LiteLlmModel.mock({ name: 'other' })];
    const before = JSON.stringify({ options, params: model.litellmParams });

    // WHEN
    render(models, {}, options);

    // THEN
    expect(JSON.stringify({ options, params: model.litellmParams })).toBe(before);
  });

  test('references every key as os.environ/NAME and holds no literal key', () => {
    // GIVEN
    const models = [
      LiteLlmModel.openAi({ name: 'gpt', modelId: 'gpt-4o' }),
      LiteLlmModel.anthropic({ name: 'claude', modelId: 'claude-sonnet-4-20250514' }),
      LiteLlmModel.azureOpenAi({ name: 'azure', deployment: 'd', apiBase: 'https://r.openai.azure.com' }),
      LiteLlmModel.openAiCompatible({ name: 'together', modelId: 'm', apiBase: 'https://api.together.xyz/v1', apiKeyEnvName: 'TOGETHER_API_KEY' }),
    ];

    // WHEN
    const text = render(models);
    const doc = parse(text);

    // THEN
    expect(doc.model_list.map((m: any) => m.litellm_params.api_key)).toEqual([
      'os.environ/OPENAI_API_KEY',
      'os.environ/ANTHROPIC_API_KEY',
      'os.environ/AZURE_API_KEY',
      'os.environ/TOGETHER_API_KEY',
    ]);
    expect(doc.general_settings.master_key).toBe('os.environ/LITELLM_MASTER_KEY');
    expect(text).not.toMatch(/sk-/);
  });

  test('renders the settings from its input (each of up to 3 attempts gets 300 s ÷ 3, less 8.75 s of back-off)', () => {
    // WHEN
    const doc = parse(render([LiteLlmModel.mock({ name: 'mock' })], {
      requestTimeoutSeconds: 300, databaseConnectionPoolLimit: 7, jsonLogs: false,
    }));

    // THEN
    expect(doc.litellm_settings).toEqual({ drop_params: true, num_retries: 2, json_logs: false, request_timeout: 91, num_retries_per_request: 3 });
    expect(doc.general_settings).toEqual({
      proxy_batch_write_at: 60,
      disable_spend_logs: false,
      master_key: 'os.environ/LITELLM_MASTER_KEY',
      database_connection_pool_limit: 7,
    });
    expect(doc.router_settings).toEqual({ routing_strategy: 'simple-shuffle', num_retries: 2, timeout: 91 });
  });

  test('quotes strings YAML would otherwise read as something else', () => {
    // GIVEN
    const models = [
      LiteLlmModel.mock({ name: 'model: with colon', response: 'true' }),
      LiteLlmModel.mock({ name: '123', response: 'null' }),
      LiteLlmModel.mock({ name: '#hash', response: 'line one\nline two: "quoted"' }),
    ];

    // WHEN
    const doc = parse(render(models));

    // THEN
    expect(doc.model_list).toEqual([
      { model_name: 'model: with colon', litellm_params: { model: 'openai/mock', mock_response: 'true' } },
      { model_name: '123', litellm_params: { model: 'openai/mock', mock_response: 'null' } },
      { model_name: '#hash', litellm_params: { model: 'openai/mock', mock_response: 'line one\nline two: "quoted"' } },
    ]);
  });
});

describe('YAML 1.1, as LiteLLM (PyYAML) reads it', () => {
  test('a date-like api_version and boolean-like texts stay strings', () => {
    // GIVEN
    const models = [
      LiteLlmModel.azureOpenAi({ name: 'on', deployment: 'gpt4o', apiBase: 'https://x.openai.azure.com' }),
      LiteLlmModel.mock({ name: 'm', response: 'yes' }),
    ];

    // WHEN
    const doc = YAML.parse(render(models), { version: '1.1' });

    // THEN
    expect(doc.model_list[0].model_name).toBe('on');
    expect(doc.model_list[0].litellm_params.api_version).toBe('2024-10-21');
    expect(doc.model_list[1].litellm_params.mock_response).toBe('yes');
  });
});

describe('model groups', () => {
  test('deployments that share a name render as one group, each with its rpm, tpm, weight, order and model_info', () => {
    // GIVEN
    const models = [
      LiteLlmModel.bedrock({ name: 'claude', modelId: 'us.anthropic.claude-sonnet-4-20250514-v1:0', rpm: 100, weight: 2, order: 1 }),
      LiteLlmModel.bedrock({ name: 'claude', modelId: 'eu.anthropic.claude-sonnet-4-20250514-v1:0', region: 'eu-west-1', tpm: 50_000, order: 2 }),
      LiteLlmModel.openAi({ name: 'embed', modelId: 'text-embedding-3-small', modelInfo: { mode: 'embedding' } }),
    ];

    // WHEN
    const doc = parse(render(models));

    // THEN
    expect(doc.model_list).toEqual([
      { model_name: 'claude', litellm_params: { model: 'bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0', rpm: 100, weight: 2, order: 1 } },
      {
        model_name: 'claude',
        litellm_params: { model: 'bedrock/eu.anthropic.claude-sonnet-4-20250514-v1:0', aws_region_name: 'eu-west-1', tpm: 50_000, order: 2 },
      },
      {
        model_name: 'embed',
        litellm_params: { model: 'openai/text-embedding-3-small', api_key: 'os.environ/OPENAI_API_KEY' },
        model_info: { mode: 'embedding' },
      },
    ]);
  });

  test('two deployments that differ only in their mock response are a group', () => {
    expect(parse(render([MOCK('g', 'a'), MOCK('g', 'b')])).model_list.map((m: any) => m.model_name)).toEqual(['g', 'g']);
  });

  test('two identical deployments are refused, whatever the order of their params', () => {
    // GIVEN
    const a = LiteLlmModel.custom({ name: 'g', litellmParams: { model: 'mistral/x', api_base: 'https://a' } });
    const b = LiteLlmModel.custom({ name: 'g', litellmParams: { api_base: 'https://a', model: 'mistral/x' } });

    // THEN
    expect(() => LiteLlmConfig.load([a, b])).toThrow(new Error(
      '`models` has two identical deployments of "g" ({"api_base":"https://a","model":"mistral/x"}): '
      + 'LiteLLM would keep only one; remove one or make them differ (region, endpoint, model id)'));
  });

  test('an empty model list is refused', () => {
    expect(() => LiteLlmConfig.load([])).toThrow(new Error(
      '`models` is empty: add at least one model, e.g. LiteLlmModel.bedrock({ name, modelId }), or bring them in `config.configFile`'));
  });
});

describe('routing and fallbacks', () => {
  const models = () => [MOCK('a'), MOCK('a', 'second'), MOCK('b'), MOCK('big')];

  test('typed routing renders into router_settings (and num_retries into both sections)', () => {
    // WHEN
    const doc = parse(render(models(), {}, {
      routingStrategy: LiteLlmRoutingStrategy.LATENCY_BASED,
      fallbacks: [{ model: 'a', fallbackModels: ['b'] }, { model: '*', fallbackModels: ['b', 'big'] }],
      contextWindowFallbacks: [{ model: 'a', fallbackModels: ['big'] }],
      numRetries: 0,
      allowedFails: 1,
      cooldownTime: Duration.seconds(30),
    }));

    // THEN
    expect(doc.router_settings).toEqual({
      routing_strategy: 'latency-based-routing',
      num_retries: 0,
      fallbacks: [{ a: ['b'] }, { '*': ['b', 'big'] }],
      context_window_fallbacks: [{ a: ['big'] }],
      allowed_fails: 1,
      cooldown_time: 30,
      // No retries, and a, b, big on the longest walk: 3 attempts of 600 s ÷ 3 less 8.75 s.
      timeout: 191,
    });
    expect(doc.litellm_settings).toMatchObject({ num_retries: 0, request_timeout: 191, num_retries_per_request: 3 });
  });

  test('every strategy is one LiteLLM 1.108.7 accepts', () => {
    // litellm/router_utils/routing_groups.py:20 (VALID_ROUTING_STRATEGIES)
    expect(Object.values(LiteLlmRoutingStrategy).sort()).toEqual([
      'cost-based-routing', 'lar1', 'latency-based-routing', 'least-busy', 'provider-budget-routing',
      'simple-shuffle', 'usage-based-routing', 'usage-based-routing-v2',
    ]);
  });

  test.each<[string, LiteLlmConfigOptions, string]>([
    ['a fallback from an unknown model', { fallbacks: [{ model: 'x', fallbackModels: ['b'] }] },
      '`config.fallbacks` falls back from "x", which is not a model name: use one of a, b, big'],
    ['a fallback to an unknown model', { fallbacks: [{ model: 'a', fallbackModels: ['b', 'y'] }] },
      '`config.fallbacks` for "a" falls back to "y", which is not a model name: use one of a, b, big'],
    ['a context-window fallback to an unknown model', { contextWindowFallbacks: [{ model: 'a', fallbackModels: ['huge'] }] },
      '`config.contextWindowFallbacks` for "a" falls back to "huge", which is not a model name: use one of a, b, big'],
    ['a fallback to itself', { fallbacks: [{ model: 'a', fallbackModels: ['a'] }] },
      '`config.fallbacks` for "a" falls back to itself: remove "a" from fallbackModels'],
    ['a fallback with no fallback models', { fallbacks: [{ model: 'a', fallbackModels: [] }] },
      '`config.fallbacks` for "a" has no `fallbackModels`: name at least one'],
    ['negative retries', { numRetries: -1 }, '`config.numRetries` (-1) must be an integer >= 0'],
    ['fractional allowed fails', { allowedFails: 0.5 }, '`config.allowedFails` (0.5) must be an integer >= 0'],
  ])('%s is refused', (_name, options, message) => {
    expect(() => LiteLlmConfig.load(models(), options)).toThrow(new Error(message));
  });

  test('a stream_timeout longer than an attempt\'s share of the request timeout is refused', () => {
    // 300 s over the 3 attempts of numRetries 2: 91 s each.
    expect(() => render(models(), { requestTimeoutSeconds: 300 }, { routerSettings: { stream_timeout: 92 } })).toThrow(new Error(
      '`config.routerSettings.stream_timeout` (92 s) exceeds the per-attempt timeout (91 s: `service.requestTimeout` 300 s shared by up to 3 attempts): '
      + 'a request\'s attempts would outlast the load balancer\'s idle timeout; lower it'));
    const doc = parse(render(models(), { requestTimeoutSeconds: 300 }, { routerSettings: { stream_timeout: 91 } }));
    expect(doc.router_settings.stream_timeout).toBe(91);
  });

  test('a stream_timeout in the file is held to the same limit and named as the file\'s', () => {
    const file = configFile('router_settings: { stream_timeout: 250 }\n');
    expect(() => render([MOCK('m')], { requestTimeoutSeconds: 300 }, { configFile: file })).toThrow(
      /^`configFile router_settings.stream_timeout` \(250 s\) exceeds the per-attempt timeout \(91 s/);
  });
});

describe('raw settings', () => {
  test('merge order, later wins: platform defaults, configFile, raw settings, typed props, platform-owned keys', () => {
    // GIVEN: num_retries 4 and routing least-busy in the file; drop_params false in the file, true by default.
    // The router reads num_retries from router_settings first, so the file's value goes there too.
    const file = configFile([
      'litellm_settings: { drop_params: false, num_retries: 4, set_verbose: false, success_callback: [langfuse] }',
      'router_settings: { routing_strategy: least-busy, retry_after: 1 }',
      'general_settings: { alerting_threshold: 100 }',
    ].join('\n'));

    // WHEN
    const doc = parse(render([MOCK('m')], {}, {
      configFile: file,
      litellmSettings: { set_verbose: true, success_callback: ['datadog'], json_logs: false },
      routerSettings: { retry_after: 2 },
      generalSettings: { alerting_threshold: 200, disable_spend_logs: true },
      routingStrategy: LiteLlmRoutingStrategy.USAGE_BASED_V2,
    }));

    // THEN
    expect(doc.litellm_settings).toEqual({
      drop_params: false, // the file over the default
      num_retries: 4, // the file over the default; no typed prop given
      set_verbose: true, // raw over the file
      json_logs: false, // raw over the default
      success_callback: ['langfuse', 'datadog'], // callback lists are joined
      request_timeout: 111, // the platform's: 600 s over 5 attempts, less 8.75 s of back-off each
      num_retries_per_request: 5, // the platform's
    });
    expect(doc.router_settings).toEqual({ routing_strategy: 'usage-based-routing-v2', num_retries: 4, retry_after: 2, timeout: 111 });
    expect(doc.general_settings).toEqual({
      proxy_batch_write_at: 60,
      disable_spend_logs: true,
      alerting_threshold: 200,
      master_key: 'os.environ/LITELLM_MASTER_KEY',
      database_connection_pool_limit: 20,
    });
  });

  test('an os.environ/NAME reference in a setting becomes a provider key, like a model\'s key', () => {
    // WHEN
    const config = LiteLlmConfig.load([LiteLlmModel.openAi({ name: 'gpt', modelId: 'gpt-4o' })], {
      litellmSettings: { success_callback: ['datadog'] },
      generalSettings: { alerting: ['slack'], alerting_args: { webhook: 'os.environ/SLACK_WEBHOOK_URL' } },
      routerSettings: { provider_budget_config: { openai: { budget_limit: 'os.environ/OPENAI_BUDGET' } } },
    });

    // THEN
    expect(config.secretEnvNames).toEqual(['OPENAI_API_KEY', 'SLACK_WEBHOOK_URL', 'OPENAI_BUDGET']);
  });

  test('secretEnvNames adds fields for what LiteLLM reads from its environment directly', () => {
    const config = LiteLlmConfig.load([MOCK('m')], { litellmSettings: { success_callback: ['datadog'] }, secretEnvNames: ['DD_API_KEY'] });
    expect(config.secretEnvNames).toEqual(['DD_API_KEY']);
  });

  test('a literal credential in a raw setting is refused', () => {
    expect(() => LiteLlmConfig.load([MOCK('m')], { litellmSettings: { langfuse_secret: 'sk-lf-123' } })).toThrow(new Error(
      '`config.litellmSettings.langfuse_secret` holds a value; it would be written into the template. Write "os.environ/NAME": NAME becomes a field of the provider keys secret'));
    expect(() => LiteLlmConfig.load([MOCK('m')], { generalSettings: { alerting_args: { api_key: 'abc' } } })).toThrow(
      /^`config.generalSettings.alerting_args.api_key` holds a value/);
  });

  // The messages are the contract: each names the prop to use instead.
  test.each<[keyof LiteLlmConfigOptions, string, string]>([
    ['litellmSettings', 'request_timeout', 'use `service.requestTimeout` (checked against the load balancer\'s idle timeout)'],
    ['litellmSettings', 'num_retries_per_request', 'remove it: the platform caps each request at the attempts `config.numRetries` and the fallbacks allow, so the request fits `service.requestTimeout`'],
    ['litellmSettings', 'cache', 'use `cache.responseCaching` (the platform\'s ElastiCache, TLS and AUTH)'],
    ['litellmSettings', 'cache_params', 'use `cache.responseCaching` and `cache.responseCacheTtl`'],
    ['generalSettings', 'master_key', 'remove it: the master key is read from LiteLlmSecurity\'s `masterKeySecret`, which rotates'],
    ['generalSettings', 'database_url', 'remove it: the proxy reaches the platform\'s `database` as litellm_proxy with RDS IAM tokens, and LiteLLM builds the URL itself'],
    ['generalSettings', 'database_connection_pool_limit', 'use `service.databaseConnectionPoolLimit` (checked against the database\'s connection limit)'],
    ['generalSettings', 'disable_prisma_schema_update', 'remove it: the migration step migrates once per deploy, before the service changes'],
    ['generalSettings', 'coordination_redis', 'use `cache` (the platform\'s ElastiCache)'],
    ['routerSettings', 'redis_host', 'use `cache` (the platform\'s ElastiCache)'],
    ['routerSettings', 'redis_port', 'use `cache` (the platform\'s ElastiCache)'],
    ['routerSettings', 'redis_password', 'use `cache` (the platform\'s ElastiCache)'],
    ['routerSettings', 'redis_url', 'use `cache` (the platform\'s ElastiCache)'],
    ['routerSettings', 'timeout', 'use `service.requestTimeout` (checked against the load balancer\'s idle timeout)'],
    ['generalSettings', 'mcp_xff_num_trusted_hops', 'remove it: the platform sets the proxies in front, 1 (the load balancer appends the address it saw) or 2 behind CloudFront (CloudFront appends the client\'s, then the load balancer CloudFront\'s); a larger count would read an entry that a client writes itself'],
    ['generalSettings', 'trusted_proxy_ranges', 'remove it: behind an internet-facing load balancer with no proxy in front (`loadBalancer.publicUrl`), or behind CloudFront, the platform sets it to the VPC, where the load balancer is, so the admin UI\'s sign-in limit counts per client address'],
  ])('the platform-owned %s.%s is refused', (prop, key, instead) => {
    expect(() => LiteLlmConfig.load([MOCK('m')], { [prop]: { [key]: 'os.environ/X' } }))
      .toThrow(new Error(`\`config.${prop}.${key}\` is set by the platform: ${instead}`));
  });

  // A key with a typed prop means the same raw as in configFile: it merges over the file and the defaults.
  test.each<[keyof LiteLlmConfigOptions, string, unknown, string, unknown]>([
    ['litellmSettings', 'num_retries', 1, 'router_settings', 1],
    ['litellmSettings', 'allowed_fails', 5, 'router_settings', 5],
    ['litellmSettings', 'fallbacks', [{ a: ['b'] }], 'router_settings', [{ a: ['b'] }]],
    ['litellmSettings', 'context_window_fallbacks', [{ a: ['b'] }], 'router_settings', [{ a: ['b'] }]],
    ['routerSettings', 'routing_strategy', 'least-busy', 'router_settings', 'least-busy'],
    ['routerSettings', 'fallbacks', [{ a: ['b'] }], 'router_settings', [{ a: ['b'] }]],
    ['routerSettings', 'context_window_fallbacks', [{ a: ['b'] }], 'router_settings', [{ a: ['b'] }]],
    ['routerSettings', 'num_retries', 1, 'litellm_settings', 1],
    ['routerSettings', 'allowed_fails', 5, 'router_settings', 5],
    ['routerSettings', 'cooldown_time', 30, 'router_settings', 30],
  ])('%s.%s, which has a typed prop, is accepted raw and is what the router reads', (prop, key, value, section, expected) => {
    // GIVEN: the same key in the file, which the raw setting overrides
    const file = configFile(`${prop === 'litellmSettings' ? 'litellm_settings' : 'router_settings'}:\n  ${key}: ${key.endsWith('fallbacks') ? '[{ b: [a] }]' : key === 'routing_strategy' ? 'latency-based-routing' : 3}\n`);

    // WHEN
    const doc = parse(render([MOCK('a'), MOCK('b')], {}, { configFile: file, [prop]: { [key]: value } }));

    // THEN: written where it was, and where the router reads it first
    expect(doc[prop === 'litellmSettings' ? 'litellm_settings' : 'router_settings'][key]).toEqual(value);
    expect(doc[section][key]).toEqual(expected);
  });

  test('a raw litellm_settings.num_retries is not shadowed by the platform\'s router_settings default', () => {
    // LiteLLM's router takes router_settings.num_retries before litellm_settings' (litellm/router.py:1413-1419).
    const doc = parse(render([MOCK('m')], {}, { litellmSettings: { num_retries: 0 } }));
    expect([doc.litellm_settings.num_retries, doc.router_settings.num_retries]).toEqual([0, 0]);
  });

  test('within one layer router_settings wins over litellm_settings, as in LiteLLM', () => {
    const file = configFile('litellm_settings: { num_retries: 4 }\nrouter_settings: { num_retries: 1 }\n');
    const doc = parse(render([MOCK('m')], {}, { configFile: file }));
    expect([doc.litellm_settings.num_retries, doc.router_settings.num_retries]).toEqual([1, 1]);
  });

  test('a typed prop still wins over the same key in configFile', () => {
    const file = configFile('router_settings: { allowed_fails: 1, routing_strategy: least-busy }\nlitellm_settings: { num_retries: 4 }\n');
    const doc = parse(render([MOCK('m')], {}, { configFile: file, allowedFails: 3, numRetries: 1, routingStrategy: LiteLlmRoutingStrategy.LATENCY_BASED }));
    expect(doc.router_settings).toMatchObject({ allowed_fails: 3, num_retries: 1, routing_strategy: 'latency-based-routing' });
    expect(doc.litellm_settings.num_retries).toBe(1);
  });

  // Raw and typed are both props of one object: setting a key twice is a mistake, not a layer.
  test.each<[keyof LiteLlmConfigOptions, string, keyof LiteLlmConfigOptions, LiteLlmConfigOptions]>([
    ['litellmSettings', 'num_retries', 'numRetries', { numRetries: 1 }],
    ['litellmSettings', 'allowed_fails', 'allowedFails', { allowedFails: 1 }],
    ['litellmSettings', 'fallbacks', 'fallbacks', { fallbacks: [{ model: 'm', fallbackModels: ['n'] }] }],
    ['litellmSettings', 'context_window_fallbacks', 'contextWindowFallbacks', { contextWindowFallbacks: [{ model: 'm', fallbackModels: ['n'] }] }],
    ['routerSettings', 'routing_strategy', 'routingStrategy', { routingStrategy: LiteLlmRoutingStrategy.LEAST_BUSY }],
    ['routerSettings', 'fallbacks', 'fallbacks', { fallbacks: [{ model: 'm', fallbackModels: ['n'] }] }],
    ['routerSettings', 'context_window_fallbacks', 'contextWindowFallbacks', { contextWindowFallbacks: [{ model: 'm', fallbackModels: ['n'] }] }],
    ['routerSettings', 'num_retries', 'numRetries', { numRetries: 1 }],
    ['routerSettings', 'allowed_fails', 'allowedFails', { allowedFails: 1 }],
    ['routerSettings', 'cooldown_time', 'cooldownTime', { cooldownTime: Duration.seconds(10) }],
    ['generalSettings', 'maximum_spend_logs_retention_period', 'spendLogsRetention', { spendLogsRetention: Duration.days(30) }],
    ['generalSettings', 'maximum_spend_logs_retention_interval', 'spendLogsCleanupInterval', { spendLogsCleanupInterval: Duration.hours(6) }],
  ])('%s.%s beside its typed prop is refused, naming both', (prop, key, typed, typedOptions) => {
    expect(() => LiteLlmConfig.load([MOCK('m'), MOCK('n')], { ...typedOptions, [prop]: { [key]: 1 } }))
      .toThrow(new Error(`\`config.${prop}.${key}\` and \`config.${typed}\` both set ${key}: keep one (the typed prop would win)`));
  });

  test.each<[string, LiteLlmConfigOptions | (() => LiteLlmConfigOptions), string]>([
    ['a negative raw num_retries', { routerSettings: { num_retries: -1 } }, '`config.routerSettings.num_retries` (-1) must be an integer >= 0'],
    ['a text raw allowed_fails', { litellmSettings: { allowed_fails: '3' } }, '`config.litellmSettings.allowed_fails` ("3") must be an integer >= 0'],
    ['a fractional max_fallbacks in the file', () => ({ configFile: configFile('router_settings: { max_fallbacks: 1.5 }\n') }),
      '`configFile router_settings.max_fallbacks` (1.5) must be an integer >= 0'],
    ['a raw fallback to an unknown model', { routerSettings: { fallbacks: [{ m: ['zzz'] }] } },
      '`config.routerSettings.fallbacks` for "m" falls back to "zzz", which is not a model name: use one of m'],
    ['a fallback in the file\'s litellm_settings to an unknown model', () => ({ configFile: configFile('litellm_settings: { context_window_fallbacks: [{ m: [zzz] }] }\n') }),
      '`configFile litellm_settings.context_window_fallbacks` for "m" falls back to "zzz", which is not a model name: use one of m'],
  ])('the typed props\' checks hold raw and in the file: %s is refused', (_name, options, message) => {
    expect(() => LiteLlmConfig.load([MOCK('m')], typeof options === 'function' ? options() : options)).toThrow(new Error(message));
  });
});

describe('spend writes and spend logs', () => {
  const CACHE: Partial<LiteLlmPlatformSettings> = { sharedState: {} };
  const general = (platform: Partial<LiteLlmPlatformSettings>, options: LiteLlmConfigOptions = {}) => parse(render([MOCK('m')], platform, options)).general_settings;

  test('with a cache, spend updates go through the coordination Redis; without one they do not', () => {
    // WHEN
    const withCache = general(CACHE);
    const without = general({});

    // THEN
    expect(withCache).toMatchObject({ use_redis_transaction_buffer: true, coordination_redis: { host: 'os.environ/REDIS_HOST', ssl: true } });
    expect(without.use_redis_transaction_buffer).toBeUndefined();
    expect(without.coordination_redis).toBeUndefined();
  });

  test('a raw or file use_redis_transaction_buffer wins over the default', () => {
    expect(general(CACHE, { generalSettings: { use_redis_transaction_buffer: false } }).use_redis_transaction_buffer).toBe(false);
    const file = configFile('general_settings: { use_redis_transaction_buffer: false }\n');
    expect(general(CACHE, { configFile: file }).use_redis_transaction_buffer).toBe(false);
  });

  test('the platform\'s own PRODUCTION platform (which has a cache) buffers, DEVELOPMENT (none) does not', () => {
    const buffered = (profile: LiteLlmDeploymentProfile) => {
      const stack = new Stack(new App(), 'Spend', { env: { account: '123456789012', region: 'us-east-1' } });
      new LiteLlmPlatform(stack, 'LiteLlm', { profile, models: [MOCK('m')], loadBalancer: { allowHttp: true } });
      const init = Object.values<any>(Template.fromStack(stack).findResources('AWS::ECS::TaskDefinition'))
        .flatMap(t => t.Properties.ContainerDefinitions).find((c: any) => c.Name === 'config');
      const text = init.Environment.find((e: any) => e.Name === 'LITELLM_CONFIG_YAML').Value;
      return parse(text).general_settings.use_redis_transaction_buffer;
    };
    expect(buffered(LiteLlmDeploymentProfile.PRODUCTION)).toBe(true);
    expect(buffered(LiteLlmDeploymentProfile.DEVELOPMENT)).toBeUndefined();
  });

  test.each<[string, LiteLlmConfigOptions | (() => LiteLlmConfigOptions), string]>([
    ['raw', { generalSettings: { use_redis_transaction_buffer: true } }, 'config.generalSettings'],
    ['raw, as text', { generalSettings: { use_redis_transaction_buffer: 'True' } }, 'config.generalSettings'],
    ['in the file', () => ({ configFile: configFile('general_settings: { use_redis_transaction_buffer: true }\n') }), 'configFile general_settings'],
  ])('the buffer without a cache is refused (%s): LiteLLM would not start', (_name, options, where) => {
    expect(() => render([MOCK('m')], {}, typeof options === 'function' ? options() : options)).toThrow(new Error(
      `\`${where}.use_redis_transaction_buffer\` needs a Redis and the platform has no cache: LiteLLM would refuse to start. `
      + 'Remove it, or add a cache (LiteLlmPlatform: `cache.enabled: true`; LiteLlmService: pass `cache`), which turns it on by default'));
  });

  test('spend-log retention is off by default', () => {
    const doc = general({});
    expect(Object.keys(doc).filter(k => k.startsWith('maximum_'))).toEqual([]);
  });

  test.each<[string, Duration, Duration | undefined, object]>([
    ['30 days, LiteLLM\'s daily interval', Duration.days(30), undefined, { maximum_spend_logs_retention_period: '30d' }],
    ['90 days every 6 hours', Duration.days(90), Duration.hours(6), { maximum_spend_logs_retention_period: '90d', maximum_spend_logs_retention_interval: '6h' }],
    ['36 hours every 90 minutes', Duration.hours(36), Duration.minutes(90), { maximum_spend_logs_retention_period: '36h', maximum_spend_logs_retention_interval: '90m' }],
    ['a day and a second every hour', Duration.seconds(86401), Duration.seconds(3600), { maximum_spend_logs_retention_period: '86401s', maximum_spend_logs_retention_interval: '1h' }],
  ])('retention renders in LiteLLM\'s duration format: %s', (_name, retention, interval, expected) => {
    // WHEN
    const doc = general({}, { spendLogsRetention: retention, spendLogsCleanupInterval: interval });

    // THEN
    expect(Object.fromEntries(Object.entries(doc).filter(([k]) => k.startsWith('maximum_')))).toEqual(expected);
  });

  test('the rendered durations are what LiteLLM\'s own parser reads as the same seconds', () => {
    // duration_in_seconds (litellm/litellm_core_utils/duration_parser.py:52-80), ported: digits, then the unit.
    const UNIT: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
    const litellmSeconds = (text: string) => {
      const m = /^(\d+)(mo|[smhdw]?)/.exec(text)!;
      return Number(m[1]) * UNIT[m[2]];
    };
    for (const d of [Duration.days(1), Duration.days(400), Duration.hours(25), Duration.minutes(1441), Duration.seconds(90061)]) {
      const doc = general({}, { spendLogsRetention: d });
      expect(litellmSeconds(doc.maximum_spend_logs_retention_period)).toBe(d.toSeconds());
    }
  });

  test.each<[string, LiteLlmConfigOptions, string]>([
    ['a retention under a day', { spendLogsRetention: Duration.hours(23) }, '`config.spendLogsRetention` (23 hours) is shorter than 1 day: raise it'],
    ['an interval under an hour', { spendLogsRetention: Duration.days(7), spendLogsCleanupInterval: Duration.minutes(59) },
      '`config.spendLogsCleanupInterval` (59 minutes) is shorter than 1 hour: raise it'],
    ['a fraction of a second', { spendLogsRetention: Duration.millis(86_400_500) },
      '`config.spendLogsRetention` (1 day 500 millis) is not a whole number of seconds, which LiteLLM\'s durations need'],
    ['an interval without a retention', { spendLogsCleanupInterval: Duration.hours(6) },
      '`config.spendLogsCleanupInterval` is set but no retention is: set `config.spendLogsRetention`, or the interval schedules nothing'],
    ['an interval beside a raw cron, which LiteLLM would use instead',
      { spendLogsRetention: Duration.days(7), spendLogsCleanupInterval: Duration.hours(6), generalSettings: { maximum_spend_logs_cleanup_cron: '0 3 * * *' } },
      '`config.generalSettings.maximum_spend_logs_cleanup_cron` replaces `config.spendLogsCleanupInterval` in LiteLLM: keep one'],
    ['a raw retention LiteLLM cannot parse', { generalSettings: { maximum_spend_logs_retention_period: '30 days' } },
      '`config.generalSettings.maximum_spend_logs_retention_period` ("30 days") is not a LiteLLM duration: write e.g. "30d", or use `config.spendLogsRetention`'],
    ['a raw interval as a number, which LiteLLM refuses', { generalSettings: { maximum_spend_logs_retention_period: 30, maximum_spend_logs_retention_interval: 86400 } },
      '`config.generalSettings.maximum_spend_logs_retention_interval` (86400) is not a LiteLLM duration: write e.g. "1d", or use `config.spendLogsCleanupInterval`'],
  ])('%s is refused at synth', (_name, options, message) => {
    expect(() => render([MOCK('m')], {}, options)).toThrow(new Error(message));
  });

  test('a token Duration is refused: the config is written at synth', () => {
    const days = new CfnParameter(new Stack(), 'Days', { type: 'Number' }).valueAsNumber;
    expect(() => render([MOCK('m')], {}, { spendLogsRetention: Duration.days(days) }))
      .toThrow(new Error('`config.spendLogsRetention` is a token: it is written into config.yaml at synth, so it must be a literal Duration'));
  });

  test('raw retention in LiteLLM\'s forms merges like any setting, and a raw cron without the typed interval is kept', () => {
    const doc = general({}, { generalSettings: { maximum_spend_logs_retention_period: 30, maximum_spend_logs_cleanup_cron: '0 3 * * *' } });
    expect(doc).toMatchObject({ maximum_spend_logs_retention_period: 30, maximum_spend_logs_cleanup_cron: '0 3 * * *' });
    expect(general({}, { generalSettings: { maximum_spend_logs_retention_period: 'weekly' } }).maximum_spend_logs_retention_period).toBe('weekly');
  });

  test('the typed retention wins over the file\'s', () => {
    const file = configFile('general_settings: { maximum_spend_logs_retention_period: 7d }\n');
    expect(general({}, { configFile: file, spendLogsRetention: Duration.days(60) }).maximum_spend_logs_retention_period).toBe('60d');
  });
});

describe('configFile', () => {
  test('its models join `models`: Bedrock, OpenAI and a custom provider, with their keys as provider keys', () => {
    // WHEN
    const config = LiteLlmConfig.load([MOCK('platform-mock')], { configFile: TEAM_CONFIG });

    // THEN
    expect(config.models.map(m => [m.name, m.provider, m.needsInternet])).toEqual([
      ['platform-mock', LiteLlmProvider.MOCK, false],
      ['claude-sonnet', LiteLlmProvider.BEDROCK, false],
      ['gpt-4o', LiteLlmProvider.CUSTOM, true],
      ['mistral-large', LiteLlmProvider.CUSTOM, true],
      ['team-mock', LiteLlmProvider.CUSTOM, false],
    ]);
    const bedrock = config.models[1];
    expect([bedrock.bedrockModelId, bedrock.bedrockRegion]).toEqual(['us.anthropic.claude-sonnet-4-20250514-v1:0', 'us-east-1']);
    expect(config.secretEnvNames).toEqual(['OPENAI_API_KEY', 'MISTRAL_API_KEY']);
    expect(config.replacedFileKeys).toEqual(['litellm_settings.request_timeout', 'general_settings.master_key']);
  });

  test('renders the file\'s models and settings under the typed props; the platform replaces the keys it owns', () => {
    // WHEN
    const doc = parse(render([], { requestTimeoutSeconds: 600 }, { configFile: TEAM_CONFIG, numRetries: 1 }));

    // THEN
    expect(doc.model_list).toEqual([
      { model_name: 'claude-sonnet', litellm_params: { model: 'bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0', aws_region_name: 'us-east-1' } },
      { model_name: 'gpt-4o', litellm_params: { model: 'openai/gpt-4o', api_key: 'os.environ/OPENAI_API_KEY', rpm: 500 } },
      { model_name: 'mistral-large', litellm_params: { model: 'mistral/mistral-large-latest', api_key: 'os.environ/MISTRAL_API_KEY' }, model_info: { mode: 'chat' } },
      { model_name: 'team-mock', litellm_params: { model: 'openai/mock', mock_response: 'hello from the team\'s config file' } },
    ]);
    // gpt-4o, then claude-sonnet, each tried twice: 5 attempts as LiteLLM counts them, 111 s each.
    expect(doc.litellm_settings).toEqual({ drop_params: false, num_retries: 1, request_timeout: 111, num_retries_per_request: 5, json_logs: true });
    expect(doc.router_settings).toEqual({ routing_strategy: 'least-busy', num_retries: 1, fallbacks: [{ 'gpt-4o': ['claude-sonnet'] }], timeout: 111 });
    expect(doc.general_settings).toMatchObject({ alerting_threshold: 300, master_key: 'os.environ/LITELLM_MASTER_KEY' });
  });

  test('an os.environ region of a Bedrock model leaves the region to the stack', () => {
    const file = configFile('model_list:\n  - model_name: c\n    litellm_params: { model: bedrock/converse/anthropic.claude-3-haiku-20240307-v1:0, aws_region_name: os.environ/BEDROCK_REGION }\n');
    const [model] = LiteLlmConfig.load([], { configFile: file }).models;
    expect([model.provider, model.bedrockModelId, model.bedrockRegion, model.secretEnvNames])
      .toEqual([LiteLlmProvider.BEDROCK, 'anthropic.claude-3-haiku-20240307-v1:0', undefined, ['BEDROCK_REGION']]);
  });

  test('a literal key in the file is refused', () => {
    const file = configFile('model_list:\n  - model_name: gpt\n    litellm_params:\n      model: openai/gpt-4o\n      api_key: sk-proj-abc123\n');
    expect(() => LiteLlmConfig.load([], { configFile: file })).toThrow(new Error(
      `\`config.configFile\` (${file}) holds a credential at \`model_list[0].litellm_params.api_key\`; it would be written into the template. `
      + 'Write "os.environ/NAME" instead: NAME becomes a field of the provider keys secret'));
  });

  test('a literal master key in the file is refused too, though the platform would replace it', () => {
    const file = configFile('model_list: []\ngeneral_settings:\n  master_key: sk-1234\n');
    expect(() => LiteLlmConfig.load([MOCK('m')], { configFile: file })).toThrow(/holds a credential at `general_settings.master_key`/);
  });

  test('environment_variables in the file is refused with the fix (test/config-sections.test.ts has the rest)', () => {
    const file = configFile('model_list: []\nenvironment_variables:\n  FOO: bar\n');
    expect(() => LiteLlmConfig.load([MOCK('m')], { configFile: file })).toThrow(new Error(
      `\`config.configFile\` (${file}) \`environment_variables\` is not carried: set plain variables in \`service.environment\`, `
      + 'and credentials as fields of the provider keys secret (reference them as "os.environ/NAME", or list them in `config.secretEnvNames`)'));
  });

  test('a model entry without a model is refused', () => {
    const file = configFile('model_list:\n  - model_name: x\n');
    expect(() => LiteLlmConfig.load([], { configFile: file }))
      .toThrow(new Error(`\`config.configFile\` (${file}): model_list[0] needs a model_name and litellm_params with a model`));
  });

  test('a missing file is refused with the path', () => {
    expect(() => LiteLlmConfig.load([], { configFile: '/nonexistent/config.yaml' }))
      .toThrow(/^`config.configFile` \(\/nonexistent\/config.yaml\) cannot be read: ENOENT/);
  });

  test('a fallback in the file to a model nobody configured is refused', () => {
    const file = configFile('router_settings:\n  fallbacks: [{ gpt: [nope] }]\nmodel_list:\n  - model_name: gpt\n    litellm_params: { model: openai/mock, mock_response: hi }\n');
    expect(() => LiteLlmConfig.load([], { configFile: file }))
      .toThrow(new Error('`configFile router_settings.fallbacks` for "gpt" falls back to "nope", which is not a model name: use one of gpt'));
  });

  test('typed fallbacks may name the file\'s models', () => {
    const config = LiteLlmConfig.load([MOCK('mine')], { configFile: TEAM_CONFIG, fallbacks: [{ model: 'mine', fallbackModels: ['team-mock'] }] });
    expect(parse(config.render(PLATFORM)).router_settings.fallbacks).toEqual([{ mine: ['team-mock'] }]);
  });
});

describe('the request budget: retries and fallbacks share service.requestTimeout', () => {
  /** The per-attempt timeout and LiteLLM's attempt cap a config renders. */
  const budget = (models: LiteLlmModel[], options: LiteLlmConfigOptions, requestTimeoutSeconds = 600) => {
    const doc = parse(render(models, { requestTimeoutSeconds }, options));
    expect(doc.router_settings.timeout).toBe(doc.litellm_settings.request_timeout);
    return [doc.litellm_settings.request_timeout, doc.litellm_settings.num_retries_per_request];
  };
  const AB = () => [MOCK('a'), MOCK('b'), MOCK('c')];

  // attempt = floor(requestTimeout ÷ cap − 8.75 s); cap = (retries + 2) × steps − 1, or steps without retries.
  test.each<[string, () => LiteLlmModel[], LiteLlmConfigOptions, number, [number, number]]>([
    ['the defaults: 3 tries of one group', AB, {}, 600, [191, 3]],
    ['no retries: one attempt gets nearly all of it', AB, { numRetries: 0 }, 600, [591, 1]],
    ['a fallback: 2 groups tried twice, LiteLLM counting the hop', AB, { numRetries: 1, fallbacks: [{ model: 'a', fallbackModels: ['b'] }] }, 600, [111, 5]],
    ['a fallback\'s own fallback is a third step', AB,
      { numRetries: 0, fallbacks: [{ model: 'a', fallbackModels: ['b'] }, { model: 'b', fallbackModels: ['c'] }] }, 600, [191, 3]],
    ['`*` does not add a step after a group with its own chain (the hop resumes that chain)', AB,
      { numRetries: 0, fallbacks: [{ model: 'a', fallbackModels: ['b'] }, { model: '*', fallbackModels: ['c'] }] }, 600, [291, 2]],
    ['context-window fallbacks count as steps', AB, { numRetries: 0, contextWindowFallbacks: [{ model: 'a', fallbackModels: ['b'] }] }, 600, [291, 2]],
    ['raw default_fallbacks count as a `*` chain', AB, { numRetries: 0, routerSettings: { default_fallbacks: ['b', 'c'] } }, 600, [191, 3]],
    ['max_fallbacks 0 stops every hop', AB, { numRetries: 1, fallbacks: [{ model: 'a', fallbackModels: ['b'] }], routerSettings: { max_fallbacks: 0 } }, 600, [291, 2]],
    ['each order level of a group is a step',
      () => [LiteLlmModel.mock({ name: 'a', response: '1', order: 1 }), LiteLlmModel.mock({ name: 'a', response: '2', order: 2 }), MOCK('b')],
      { numRetries: 1, fallbacks: [{ model: 'a', fallbackModels: ['b'] }] }, 600, [66, 8]],
    ['a deployment\'s own num_retries counts when higher',
      () => [LiteLlmModel.custom({ name: 'a', litellmParams: { model: 'openai/mock', mock_response: 'x', num_retries: 3 } })], {}, 600, [141, 4]],
    ['raw num_retries counts like numRetries', AB, { routerSettings: { num_retries: 0 } }, 300, [291, 1]],
  ])('%s', (_name, models, options, requestTimeout, expected) => {
    expect(budget(models(), options, requestTimeout)).toEqual(expected);
  });

  test.each<[string, LiteLlmConfigOptions]>([
    ['defaults', {}],
    ['fallbacks', { numRetries: 3, fallbacks: [{ model: 'a', fallbackModels: ['b', 'c'] }] }],
    ['no retries', { numRetries: 0, fallbacks: [{ model: '*', fallbackModels: ['a', 'b', 'c'] }] }],
  ])('the cap\'s attempts with their back-off fit the request timeout (%s)', (_name, options) => {
    for (const requestTimeout of [600, 900, 1800, 3600]) {
      const [attempt, cap] = budget(AB(), options, requestTimeout);
      expect(cap * (attempt + 8.75)).toBeLessThanOrEqual(requestTimeout);
    }
  });

  test('an attempt under 30 s fails synth with the numbers, the walk and what to change', () => {
    expect(() => render(AB(), { requestTimeoutSeconds: 300 }, { fallbacks: [{ model: 'a', fallbackModels: ['b', 'c'] }] })).toThrow(new Error(
      '`service.requestTimeout` (300 s) leaves 18 s per provider attempt, under the 30 s an attempt needs: a request to "a" may be tried 3 times '
      + '(`numRetries` 2) at each of 3 steps of its fallbacks (a, b, c), with up to 8.75 s of back-off before each retry. '
      + 'Lower numRetries, shorten the fallbacks, or raise requestTimeout (and the load balancer\'s idleTimeout)'));
    expect(() => render(AB(), { requestTimeoutSeconds: 100 })).toThrow(
      /^`service.requestTimeout` \(100 s\) leaves 24 s per provider attempt, under the 30 s an attempt needs: a request to "a" may be tried 3 times \(`numRetries` 2\) in its group,/);
    // One retry fewer: 2 attempts of 100 s ÷ 2 less 8.75 s.
    expect(parse(render(AB(), { requestTimeoutSeconds: 100 }, { numRetries: 1 })).litellm_settings.request_timeout).toBe(41);
  });

  test.each<[string, { [key: string]: any }]>([
    ['timeout', { timeout: 300 }],
    ['request_timeout', { request_timeout: 300 }],
    ['stream_timeout', { stream_timeout: 300 }],
    ['timeout_by_service_tier.flex', { timeout_by_service_tier: { flex: 300 } }],
  ])('a deployment\'s own %s longer than an attempt\'s share is refused', (key, params) => {
    const model = LiteLlmModel.custom({ name: 'slow', litellmParams: { model: 'openai/mock', mock_response: 'x', ...params } });
    expect(() => render([model])).toThrow(new Error(
      `model "slow": \`litellm_params.${key}\` (300 s) exceeds the per-attempt timeout (191 s: \`service.requestTimeout\` 600 s shared by up to 3 attempts): lower it or remove it`));
  });

  test('a deployment\'s max_retries (SDK retries inside one attempt, outside the budget) is refused; 0 is kept', () => {
    const model = (max: number) => LiteLlmModel.custom({ name: 'sdk', litellmParams: { model: 'openai/mock', mock_response: 'x', max_retries: max } });
    expect(() => render([model(2)])).toThrow(new Error(
      'model "sdk": `litellm_params.max_retries` (2) makes the provider\'s SDK retry inside one attempt, each try with the per-attempt timeout '
      + '(191 s: `service.requestTimeout` 600 s shared by up to 3 attempts): remove it and retry with `config.numRetries`, which the platform budgets'));
    expect(parse(render([model(0)])).model_list[0].litellm_params.max_retries).toBe(0);
  });

  test('a deployment timeout within the share is kept', () => {
    const model = LiteLlmModel.custom({ name: 'quick', litellmParams: { model: 'openai/mock', mock_response: 'x', timeout: 60 } });
    expect(parse(render([model])).model_list[0].litellm_params.timeout).toBe(60);
  });

  test('the file\'s num_retries_per_request is replaced like its request_timeout', () => {
    const file = configFile('litellm_settings: { num_retries_per_request: 50, request_timeout: 5000 }\n');
    const config = LiteLlmConfig.load([MOCK('m')], { configFile: file });
    expect(config.replacedFileKeys).toEqual(['litellm_settings.num_retries_per_request', 'litellm_settings.request_timeout']);
    expect(parse(config.render(PLATFORM)).litellm_settings).toMatchObject({ request_timeout: 191, num_retries_per_request: 3 });
  });
});

describe('the size guard', () => {
  /** `n` deployments of one group, each with a long mock response. */
  const many = (n: number, size: number) => Array.from({ length: n }, (_, i) => MOCK('big', `${i}:${'x'.repeat(size)}`));

  test('a config at the limit renders; one byte of text more fails with the sizes and what to do', () => {
    // GIVEN: one large deployment whose size we tune to the limit
    const overhead = JSON.stringify(render([MOCK('big', 'x')])).length - 1;
    const fits = [MOCK('big', 'x'.repeat(MAX_CONFIG_BYTES - overhead))];
    const over = [MOCK('big', 'x'.repeat(MAX_CONFIG_BYTES - overhead + 1))];

    // THEN
    expect(JSON.stringify(render(fits)).length).toBe(MAX_CONFIG_BYTES);
    expect(() => render(over)).toThrow(new Error(
      `the rendered LiteLLM config takes ${MAX_CONFIG_BYTES + 1} bytes of the task definition, over the ${MAX_CONFIG_BYTES} it may use `
      + '(ECS caps a whole task definition at 64 KiB): split the deployments across platforms, shorten model_info, '
      + 'or add models at runtime through the admin UI or /model/new (STORE_MODEL_IN_DB is on)'));
  });

  test('counts the config as the task definition holds it: JSON-escaped newlines and quotes, UTF-8 bytes', () => {
    // 2000 lines of `"é"` take 2 bytes each for é and 2 for each escaped quote and newline.
    expect(() => render(many(400, 100))).toThrow(/^the rendered LiteLLM config takes \d+ bytes/);
    expect(() => render([MOCK('big', '"é"\n'.repeat(MAX_CONFIG_BYTES / 8))])).toThrow(/^the rendered LiteLLM config takes \d+ bytes/);
  });

  test.each([LiteLlmDeploymentProfile.DEVELOPMENT, LiteLlmDeploymentProfile.PRODUCTION])(
    'measured: the rest of the %s task definition plus the largest config stays under ECS\'s 64 KiB', (profile) => {
      // GIVEN: a platform with a cache, a provider key and a callback; each deploy-time value
      // (Ref, GetAtt, Join…) counted as 200 characters, longer than any ARN it resolves to.
      const stack = new Stack(new App(), 'Size', { env: { account: '123456789012', region: 'us-east-1' } });
      new LiteLlmPlatform(stack, 'LiteLlm', { profile, loadBalancer: { allowHttp: true }, models: [LiteLlmModel.openAi({ name: 'gpt', modelId: 'gpt-4o' })] });
      const task = Object.values<any>(Template.fromStack(stack).toJSON().Resources).find(r => r.Type === 'AWS::ECS::TaskDefinition');
      const resolved = (v: any): any => {
        if (Array.isArray(v)) return v.map(resolved);
        if (v === null || typeof v !== 'object') return v;
        const keys = Object.keys(v);
        if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'))) return 'x'.repeat(200);
        return Object.fromEntries(keys.map(k => [k, resolved(v[k])]));
      };
      const config = task.Properties.ContainerDefinitions.find((c: any) => c.Name === 'config').Environment[0].Value;

      // WHEN
      const rest = Buffer.byteLength(JSON.stringify(resolved(task.Properties))) - Buffer.byteLength(JSON.stringify(config));

      // THEN: 8,952 bytes when measured (cdk-litellm 1.x, Dec 2026); the config's 40 KiB on top
      // must leave at least 12 KiB of the 64 KiB for more secrets and variables.
      expect(rest + MAX_CONFIG_BYTES).toBeLessThan(64 * 1024 - 12 * 1024);
    });
});

describe('behind the load balancer', () => {
  test('X-Forwarded-* headers are trusted from the VPC\'s private ranges only, and the keys are the platform\'s', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Xff', { env: { account: '123456789012', region: 'us-east-1' } });
    // An internet-facing load balancer (CloudFront, DEVELOPMENT's default, is in test/cloudfront.test.ts)
    const platform = new LiteLlmPlatform(stack, 'LiteLlm', { models: [LiteLlmModel.mock({ name: 'm' })], cloudFront: { enabled: false } });

    // WHEN
    const config = YAML.parse(platform.service.renderedConfig);

    // THEN
    expect(config.general_settings.use_x_forwarded_for).toBe(true);
    expect(config.general_settings.mcp_trusted_proxy_ranges).toEqual(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10']);
    expect(config.general_settings.mcp_xff_num_trusted_hops).toBe(1);
    expect(config.general_settings.trusted_proxy_ranges).toEqual(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10']);
    expect(() => new LiteLlmPlatform(new Stack(new App(), 'Raw'), 'LiteLlm', {
      models: [LiteLlmModel.mock({ name: 'm' })], config: { generalSettings: { use_x_forwarded_for: false } },
    })).toThrow('the load balancer is the one proxy in front of the tasks');
  });

  test('an imported VPC\'s subnets in a secondary CIDR block are trusted too: the load balancer may be there', () => {
    // GIVEN: public subnets in 100.64.0.0/16, a block added to the VPC after 10.20.0.0/16
    const trusted = (publicSubnetIpv4CidrBlocks?: string[]) => {
      const stack = new Stack(new App(), 'Imported', { env: { account: '123456789012', region: 'us-east-1' } });
      const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
        vpcId: 'vpc-0123456789abcdef0',
        vpcCidrBlock: '10.20.0.0/16',
        availabilityZones: ['us-east-1a', 'us-east-1b'],
        publicSubnetIds: ['subnet-0a', 'subnet-0b'],
        publicSubnetIpv4CidrBlocks,
        privateSubnetIds: ['subnet-1a', 'subnet-1b'],
        privateSubnetIpv4CidrBlocks: publicSubnetIpv4CidrBlocks && ['10.20.1.0/24', '10.20.2.0/24'],
      });
      const general = YAML.parse(new LiteLlmPlatform(stack, 'LiteLlm', {
        models: [LiteLlmModel.mock({ name: 'm' })], vpc, cloudFront: { enabled: false },
      }).service.renderedConfig).general_settings;
      return [general.mcp_trusted_proxy_ranges, general.trusted_proxy_ranges];
    };

    // THEN
    const ranges = ['10.20.0.0/16', '100.64.0.0/24', '100.64.1.0/24'];
    expect(trusted(['100.64.0.0/24', '100.64.1.0/24'])).toEqual([ranges, ranges]);
    // Subnets inside the VPC's CIDR add nothing; subnets imported without their CIDR cannot be known
    expect(trusted(['10.20.3.0/24', '10.20.4.0/24'])).toEqual([['10.20.0.0/16'], ['10.20.0.0/16']]);
    expect(trusted()).toEqual([['10.20.0.0/16'], ['10.20.0.0/16']]);
  });

  test('behind an internal load balancer the sign-in limit does not count per address: every client would share the load balancer\'s', () => {
    const stack = new Stack(new App(), 'Internal', { env: { account: '123456789012', region: 'us-east-1' } });
    const platform = new LiteLlmPlatform(stack, 'LiteLlm', { models: [LiteLlmModel.mock({ name: 'm' })], loadBalancer: { internetFacing: false } });
    const general = YAML.parse(platform.service.renderedConfig).general_settings;
    expect(general.trusted_proxy_ranges).toBeUndefined();
    expect(general.mcp_xff_num_trusted_hops).toBe(1);
  });

  test('the load balancer appends the address it saw to X-Forwarded-For (its default, written out)', () => {
    const stack = new Stack(new App(), 'Append');
    new LiteLlmPlatform(stack, 'LiteLlm', { models: [LiteLlmModel.mock({ name: 'm' })] });
    Template.fromStack(stack).hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'routing.http.xff_header_processing.mode', Value: 'append' }]),
    });
  });

  test.each([
    ['enable_oauth2_proxy_auth', true],
    ['custom_ui_sso_sign_in_handler', 'my_module.handler'],
  ])('a sign-in from request headers (%s) is refused: the load balancer passes them through', (key, value) => {
    expect(() => render([MOCK('m')], { trustedProxyCidrs: ['10.0.0.0/16'] }, { generalSettings: { [key]: value } })).toThrow(new Error(
      `\`config.generalSettings.${key}\` takes the user's identity from request headers, which the load balancer passes through from any client unchanged: `
      + 'anyone could sign in as anyone. Remove it; sign users in with LiteLLM\'s SSO or JWT auth (`enable_jwt_auth`) instead'));
    // Without a proxy trusted, LiteLLM refuses the headers itself (trusted_proxy_utils.py:66-71).
    expect(() => render([MOCK('m')], {}, { generalSettings: { [key]: value } })).not.toThrow();
  });
});
