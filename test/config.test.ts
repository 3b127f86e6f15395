import * as YAML from 'yaml';
import { renderConfig, LiteLlmConfigInput } from '../src/config';
import { LiteLlmModel } from '../src/models';

const SETTINGS = { requestTimeoutSeconds: 600, databaseConnectionPoolLimit: 20, jsonLogs: true };

function render(models: LiteLlmModel[], overrides: Partial<LiteLlmConfigInput> = {}): string {
  return renderConfig({ ...SETTINGS, models, ...overrides });
}

function parse(text: string): any {
  return YAML.parse(text);
}

describe('renderConfig', () => {
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
      '  request_timeout: 600',
      '  drop_params: true',
      '  json_logs: true',
      '  num_retries: 2',
      'general_settings:',
      '  master_key: os.environ/LITELLM_MASTER_KEY',
      '  database_connection_pool_limit: 20',
      '  proxy_batch_write_at: 60',
      '  disable_spend_logs: false',
      'router_settings:',
      '  routing_strategy: simple-shuffle',
      '  num_retries: 2',
      '  timeout: 600',
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
    const input: LiteLlmConfigInput = { ...SETTINGS, models: [model] };
    const before = JSON.stringify({ ...input, params: model.litellmParams });

    // WHEN
    renderConfig(input);

    // THEN
    expect(JSON.stringify({ ...input, params: model.litellmParams })).toBe(before);
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

  test('renders the settings from its input', () => {
    // WHEN
    const doc = parse(render([LiteLlmModel.mock({ name: 'mock' })], {
      requestTimeoutSeconds: 300, databaseConnectionPoolLimit: 7, jsonLogs: false,
    }));

    // THEN
    expect(doc.litellm_settings).toEqual({ request_timeout: 300, drop_params: true, json_logs: false, num_retries: 2 });
    expect(doc.general_settings).toEqual({
      master_key: 'os.environ/LITELLM_MASTER_KEY',
      database_connection_pool_limit: 7,
      proxy_batch_write_at: 60,
      disable_spend_logs: false,
    });
    expect(doc.router_settings).toEqual({ routing_strategy: 'simple-shuffle', num_retries: 2, timeout: 300 });
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
