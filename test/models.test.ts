import { Token } from 'aws-cdk-lib';
import { LiteLlmModel, LiteLlmProvider } from '../src';

describe('LiteLlmModel.bedrock', () => {
  test('a foundation-model id calls Bedrock in the stack region and needs no key or internet', () => {
    // WHEN
    const model = LiteLlmModel.bedrock({ name: 'haiku', modelId: 'anthropic.claude-3-haiku-20240307-v1:0' });

    // THEN
    expect(model.name).toBe('haiku');
    expect(model.provider).toBe(LiteLlmProvider.BEDROCK);
    expect(model.litellmParams).toEqual({ model: 'bedrock/anthropic.claude-3-haiku-20240307-v1:0' });
    expect(model.secretEnvNames).toEqual([]);
    expect(model.needsInternet).toBe(false);
    expect(model.bedrockModelId).toBe('anthropic.claude-3-haiku-20240307-v1:0');
    expect(model.bedrockRegion).toBeUndefined();
  });

  test('an inference-profile id keeps its prefix in the LiteLLM model', () => {
    // WHEN
    const model = LiteLlmModel.bedrock({ name: 'claude-sonnet', modelId: 'us.anthropic.claude-sonnet-4-20250514-v1:0' });

    // THEN
    expect(model.litellmParams).toEqual({ model: 'bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0' });
    expect(model.bedrockModelId).toBe('us.anthropic.claude-sonnet-4-20250514-v1:0');
    expect(model.needsInternet).toBe(false);
  });

  test('an explicit region becomes aws_region_name and bedrockRegion', () => {
    // WHEN
    const model = LiteLlmModel.bedrock({ name: 'eu-sonnet', modelId: 'eu.anthropic.claude-sonnet-4-20250514-v1:0', region: 'eu-west-1' });

    // THEN
    expect(model.litellmParams).toEqual({
      model: 'bedrock/eu.anthropic.claude-sonnet-4-20250514-v1:0',
      aws_region_name: 'eu-west-1',
    });
    expect(model.bedrockRegion).toBe('eu-west-1');
  });
});

describe('LiteLlmModel.openAi', () => {
  test('reads OPENAI_API_KEY and needs the internet', () => {
    // WHEN
    const model = LiteLlmModel.openAi({ name: 'gpt', modelId: 'gpt-4o' });

    // THEN
    expect(model.provider).toBe(LiteLlmProvider.OPENAI);
    expect(model.litellmParams).toEqual({ model: 'openai/gpt-4o', api_key: 'os.environ/OPENAI_API_KEY' });
    expect(model.secretEnvNames).toEqual(['OPENAI_API_KEY']);
    expect(model.needsInternet).toBe(true);
    expect(model.bedrockModelId).toBeUndefined();
  });
});

describe('LiteLlmModel.anthropic', () => {
  test('reads ANTHROPIC_API_KEY and needs the internet', () => {
    // WHEN
    const model = LiteLlmModel.anthropic({ name: 'claude', modelId: 'claude-sonnet-4-20250514' });

    // THEN
    expect(model.provider).toBe(LiteLlmProvider.ANTHROPIC);
    expect(model.litellmParams).toEqual({
      model: 'anthropic/claude-sonnet-4-20250514',
      api_key: 'os.environ/ANTHROPIC_API_KEY',
    });
    expect(model.secretEnvNames).toEqual(['ANTHROPIC_API_KEY']);
    expect(model.needsInternet).toBe(true);
  });
});

describe('LiteLlmModel.azureOpenAi', () => {
  test('targets the deployment with the default API version and reads AZURE_API_KEY', () => {
    // WHEN
    const model = LiteLlmModel.azureOpenAi({ name: 'azure-gpt', deployment: 'gpt4o-prod', apiBase: 'https://my-resource.openai.azure.com' });

    // THEN
    expect(model.provider).toBe(LiteLlmProvider.AZURE_OPENAI);
    expect(model.litellmParams).toEqual({
      model: 'azure/gpt4o-prod',
      api_base: 'https://my-resource.openai.azure.com',
      api_version: '2024-10-21',
      api_key: 'os.environ/AZURE_API_KEY',
    });
    expect(model.secretEnvNames).toEqual(['AZURE_API_KEY']);
    expect(model.needsInternet).toBe(true);
  });

  test('an explicit apiVersion wins', () => {
    // WHEN
    const model = LiteLlmModel.azureOpenAi({
      name: 'azure-gpt', deployment: 'gpt4o-prod', apiBase: 'https://my-resource.openai.azure.com', apiVersion: '2025-01-01-preview',
    });

    // THEN
    expect(model.litellmParams.api_version).toBe('2025-01-01-preview');
  });
});

describe('LiteLlmModel.openAiCompatible', () => {
  test('with apiKeyEnvName reads that variable and needs the internet by default', () => {
    // WHEN
    const model = LiteLlmModel.openAiCompatible({
      name: 'llama', modelId: 'meta-llama/Llama-3.3-70B-Instruct-Turbo', apiBase: 'https://api.together.xyz/v1', apiKeyEnvName: 'TOGETHER_API_KEY',
    });

    // THEN
    expect(model.provider).toBe(LiteLlmProvider.OPENAI_COMPATIBLE);
    expect(model.litellmParams).toEqual({
      model: 'openai/meta-llama/Llama-3.3-70B-Instruct-Turbo',
      api_base: 'https://api.together.xyz/v1',
      api_key: 'os.environ/TOGETHER_API_KEY',
    });
    expect(model.secretEnvNames).toEqual(['TOGETHER_API_KEY']);
    expect(model.needsInternet).toBe(true);
  });

  test('without apiKeyEnvName has no api_key and no secret; needsInternet false is kept', () => {
    // WHEN
    const model = LiteLlmModel.openAiCompatible({
      name: 'vllm', modelId: 'qwen2.5', apiBase: 'http://vllm.internal:8000/v1', needsInternet: false,
    });

    // THEN
    expect(model.litellmParams).toEqual({ model: 'openai/qwen2.5', api_base: 'http://vllm.internal:8000/v1' });
    expect(model.secretEnvNames).toEqual([]);
    expect(model.needsInternet).toBe(false);
  });
});

describe('LiteLlmModel.mock', () => {
  test('answers with the default mock response and needs nothing', () => {
    // WHEN
    const model = LiteLlmModel.mock({ name: 'mock' });

    // THEN
    expect(LiteLlmModel.DEFAULT_MOCK_RESPONSE).toBe('Hello from the LiteLLM mock model');
    expect(model.provider).toBe(LiteLlmProvider.MOCK);
    expect(model.litellmParams).toEqual({ model: 'openai/mock', mock_response: 'Hello from the LiteLLM mock model' });
    expect(model.secretEnvNames).toEqual([]);
    expect(model.needsInternet).toBe(false);
  });

  test('an explicit response becomes mock_response', () => {
    // WHEN
    const model = LiteLlmModel.mock({ name: 'mock', response: 'pong' });

    // THEN
    expect(model.litellmParams).toEqual({ model: 'openai/mock', mock_response: 'pong' });
  });
});

describe('LiteLlmModel.custom', () => {
  test('passes the raw params through and lists its key variables', () => {
    // WHEN
    const model = LiteLlmModel.custom({
      name: 'mistral',
      litellmParams: { model: 'mistral/mistral-large-latest', api_key: 'os.environ/MISTRAL_API_KEY', rpm: 60 },
      secretEnvNames: ['MISTRAL_API_KEY'],
    });

    // THEN
    expect(model.provider).toBe(LiteLlmProvider.CUSTOM);
    expect(model.litellmParams).toEqual({ model: 'mistral/mistral-large-latest', api_key: 'os.environ/MISTRAL_API_KEY', rpm: 60 });
    expect(model.secretEnvNames).toEqual(['MISTRAL_API_KEY']);
    expect(model.needsInternet).toBe(true);
  });

  test('defaults to no key variables; needsInternet false is kept', () => {
    // WHEN
    const model = LiteLlmModel.custom({ name: 'ollama', litellmParams: { model: 'ollama/llama3' }, needsInternet: false });

    // THEN
    expect(model.secretEnvNames).toEqual([]);
    expect(model.needsInternet).toBe(false);
  });

  test('non-credential params may hold literals, tokens and any os.environ reference', () => {
    // WHEN
    const model = LiteLlmModel.custom({
      name: 'vllm',
      litellmParams: {
        model: 'hosted_vllm/llama', api_base: 'os.environ/VLLM_BASE', input_cost_per_token: 0.000001, rpm: Token.asNumber({ Ref: 'Rpm' }),
      },
    });

    // THEN
    expect(model.litellmParams.api_base).toBe('os.environ/VLLM_BASE');
    expect(model.secretEnvNames).toEqual([]);
  });

  test('later changes to the caller\'s params object do not leak into the model', () => {
    // GIVEN
    const params: { [key: string]: any } = { model: 'ollama/llama3' };
    const model = LiteLlmModel.custom({ name: 'ollama', litellmParams: params });

    // WHEN
    params.model = 'ollama/changed';
    params.api_key = 'sk-literal';

    // THEN
    expect(model.litellmParams).toEqual({ model: 'ollama/llama3' });
  });
});

test('litellmParams returns a copy: mutating it does not change the model', () => {
  // GIVEN
  const model = LiteLlmModel.openAi({ name: 'gpt', modelId: 'gpt-4o' });

  // WHEN
  const params = model.litellmParams;
  params.model = 'openai/other';

  // THEN
  expect(model.litellmParams.model).toBe('openai/gpt-4o');
});

describe('deployment options on every factory', () => {
  const OPTIONS = { rpm: 600, tpm: 100_000, weight: 3, order: 1, modelInfo: { mode: 'chat', base_model: 'gpt-4o' } };

  test.each<[string, () => LiteLlmModel]>([
    ['bedrock', () => LiteLlmModel.bedrock({ name: 'm', modelId: 'anthropic.claude-3-haiku-20240307-v1:0', ...OPTIONS })],
    ['openAi', () => LiteLlmModel.openAi({ name: 'm', modelId: 'gpt-4o', ...OPTIONS })],
    ['anthropic', () => LiteLlmModel.anthropic({ name: 'm', modelId: 'claude-sonnet-4-20250514', ...OPTIONS })],
    ['azureOpenAi', () => LiteLlmModel.azureOpenAi({ name: 'm', deployment: 'd', apiBase: 'https://r.openai.azure.com', ...OPTIONS })],
    ['openAiCompatible', () => LiteLlmModel.openAiCompatible({ name: 'm', modelId: 'x', apiBase: 'https://api.together.xyz/v1', ...OPTIONS })],
    ['mock', () => LiteLlmModel.mock({ name: 'm', ...OPTIONS })],
    ['custom', () => LiteLlmModel.custom({ name: 'm', litellmParams: { model: 'mistral/mistral-large-latest' }, ...OPTIONS })],
  ])('%s puts rpm, tpm, weight and order into litellm_params and keeps model_info apart', (_name, factory) => {
    // WHEN
    const model = factory();

    // THEN
    expect(model.litellmParams).toMatchObject({ rpm: 600, tpm: 100_000, weight: 3, order: 1 });
    expect(model.modelInfo).toEqual({ mode: 'chat', base_model: 'gpt-4o' });
  });

  test('without options a model has no deployment keys and no model_info', () => {
    const model = LiteLlmModel.mock({ name: 'm' });
    expect(Object.keys(model.litellmParams).sort()).toEqual(['mock_response', 'model']);
    expect(model.modelInfo).toBeUndefined();
  });

  test('an option wins over the same key in custom params', () => {
    const model = LiteLlmModel.custom({ name: 'm', litellmParams: { model: 'mistral/x', rpm: 10 }, rpm: 20 });
    expect(model.litellmParams.rpm).toBe(20);
  });

  test.each<[string, object, string]>([
    ['a negative rpm', { rpm: -1 }, 'model "m": `rpm` (-1) must be an integer >= 0'],
    ['a fractional tpm', { tpm: 1.5 }, 'model "m": `tpm` (1.5) must be an integer >= 0'],
    ['a negative weight', { weight: -2 }, 'model "m": `weight` (-2) must be an integer >= 0'],
    ['order 0', { order: 0 }, 'model "m": `order` (0) must be an integer >= 1'],
  ])('%s is refused', (_name, options, message) => {
    expect(() => LiteLlmModel.mock({ name: 'm', ...options })).toThrow(new Error(message));
  });

  test('a token is refused: the config is written at synth', () => {
    expect(() => LiteLlmModel.mock({ name: 'm', rpm: Token.asNumber({ Ref: 'Rpm' }) }))
      .toThrow(new Error('model "m": `rpm` is a token: it is written into config.yaml at synth, so it must be a literal number'));
  });
});
