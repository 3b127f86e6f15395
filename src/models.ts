import { Token } from 'aws-cdk-lib';
import { envReference, isCredentialKey, isHeadersKey, literalCredentials } from './private/credentials';
import { check } from './private/validate';

/**
 * Options shared by every model factory.
 */
export interface LiteLlmModelBaseOptions {
  /**
   * The model name clients send in `model` (LiteLLM's `model_name`).
   */
  readonly name: string;
  /**
   * Requests per minute this deployment accepts (`litellm_params.rpm`): the router skips
   * it once reached and, with `simple-shuffle`, weighs deployments of a group by it.
   *
   * @default - no limit
   */
  readonly rpm?: number;
  /**
   * Tokens per minute this deployment accepts (`litellm_params.tpm`).
   *
   * @default - no limit
   */
  readonly tpm?: number;
  /**
   * Relative share of a group's traffic under `simple-shuffle` (`litellm_params.weight`).
   *
   * @default - an equal share
   */
  readonly weight?: number;
  /**
   * Priority within the group (`litellm_params.order`): the router uses the deployments
   * with the lowest order and moves to the next order only when those are unavailable.
   *
   * @default - no order: every deployment of the group is used
   */
  readonly order?: number;
  /**
   * LiteLLM's `model_info` for this deployment (e.g. `{ mode: 'embedding' }`, `base_model`,
   * costs per token, `max_tokens`).
   *
   * @default - none
   */
  readonly modelInfo?: { [key: string]: any };
}

/**
 * Options for `LiteLlmModel.bedrock`.
 */
export interface LiteLlmBedrockModelOptions extends LiteLlmModelBaseOptions {
  /**
   * A Bedrock foundation-model id (`anthropic.claude-3-haiku-20240307-v1:0`) or a
   * cross-region inference-profile id (`us.anthropic.claude-sonnet-4-20250514-v1:0`).
   */
  readonly modelId: string;
  /**
   * Region to call Bedrock in.
   *
   * @default - the stack's region
   */
  readonly region?: string;
}

/**
 * Options for `LiteLlmModel.openAi` and `LiteLlmModel.anthropic`.
 */
export interface LiteLlmProviderModelOptions extends LiteLlmModelBaseOptions {
  /**
   * The provider's model id, e.g. `gpt-4o` or `claude-sonnet-4-20250514`.
   */
  readonly modelId: string;
}

/**
 * Options for `LiteLlmModel.azureOpenAi`.
 */
export interface LiteLlmAzureOpenAiModelOptions extends LiteLlmModelBaseOptions {
  /** The Azure OpenAI deployment name. */
  readonly deployment: string;
  /** The resource endpoint, e.g. `https://my-resource.openai.azure.com`. */
  readonly apiBase: string;
  /**
   * The Azure OpenAI API version.
   *
   * @default '2024-10-21'
   */
  readonly apiVersion?: string;
}

/**
 * Options for `LiteLlmModel.openAiCompatible`.
 */
export interface LiteLlmOpenAiCompatibleModelOptions extends LiteLlmModelBaseOptions {
  /** The model id the endpoint expects. */
  readonly modelId: string;
  /** Base URL of the OpenAI-compatible endpoint, e.g. `https://api.together.xyz/v1`. */
  readonly apiBase: string;
  /**
   * Environment variable (a field of the provider keys secret) that holds the endpoint's API key.
   *
   * @default - the endpoint needs no key
   */
  readonly apiKeyEnvName?: string;
  /**
   * Whether the endpoint is reached over the internet (through NAT).
   *
   * @default true
   */
  readonly needsInternet?: boolean;
}

/**
 * Options for `LiteLlmModel.mock`.
 */
export interface LiteLlmMockModelOptions extends LiteLlmModelBaseOptions {
  /**
   * The text every completion returns.
   *
   * @default 'Hello from the LiteLLM mock model'
   */
  readonly response?: string;
}

/**
 * Options for `LiteLlmModel.custom`.
 */
export interface LiteLlmCustomModelOptions extends LiteLlmModelBaseOptions {
  /**
   * LiteLLM `litellm_params` exactly as LiteLLM documents them. Reference keys as
   * `os.environ/NAME`, never as literals; list each NAME in `secretEnvNames`. Synth
   * fails when a credential param (`api_key`, `aws_secret_access_key`, `*_token`,
   * `*_credentials`…) holds a literal or reads a NAME that is not listed, and, in a service,
   * when any other param (`api_base`…) reads a NAME neither listed nor set in `service.environment`.
   */
  readonly litellmParams: { [key: string]: any };
  /**
   * Names of provider-key environment variables the params reference; each becomes a
   * field of the provider keys secret and an ECS secret of the container.
   *
   * @default []
   */
  readonly secretEnvNames?: string[];
  /**
   * Whether the model is reached over the internet (through NAT).
   *
   * @default true
   */
  readonly needsInternet?: boolean;
}

/**
 * The provider family of a model.
 */
export enum LiteLlmProvider {
  /** Amazon Bedrock, reached through the bedrock-runtime VPC endpoint. */
  BEDROCK = 'BEDROCK',
  /** OpenAI. */
  OPENAI = 'OPENAI',
  /** Anthropic. */
  ANTHROPIC = 'ANTHROPIC',
  /** Azure OpenAI. */
  AZURE_OPENAI = 'AZURE_OPENAI',
  /** Any OpenAI-compatible endpoint. */
  OPENAI_COMPATIBLE = 'OPENAI_COMPATIBLE',
  /** LiteLLM's built-in mock (`mock_response`); calls no provider. */
  MOCK = 'MOCK',
  /** Anything else LiteLLM supports, configured through raw params. */
  CUSTOM = 'CUSTOM',
}

/**
 * A model the proxy serves: one entry of LiteLLM's `model_list`.
 */
export class LiteLlmModel {
  /** The text `LiteLlmModel.mock` answers with when none is given. */
  public static readonly DEFAULT_MOCK_RESPONSE = 'Hello from the LiteLLM mock model';

  /**
   * A model on Amazon Bedrock. The task role may invoke exactly this model
   * (and, for an inference profile, the model in the regions it routes to).
   */
  public static bedrock(options: LiteLlmBedrockModelOptions): LiteLlmModel {
    const params: { [key: string]: any } = { model: `bedrock/${options.modelId}` };
    if (options.region) params.aws_region_name = options.region;
    return new LiteLlmModel(options, LiteLlmProvider.BEDROCK, params, [], false, options.modelId, options.region);
  }

  /** A model at OpenAI; its key is read from `OPENAI_API_KEY`. */
  public static openAi(options: LiteLlmProviderModelOptions): LiteLlmModel {
    return new LiteLlmModel(options, LiteLlmProvider.OPENAI,
      { model: `openai/${options.modelId}`, api_key: 'os.environ/OPENAI_API_KEY' }, ['OPENAI_API_KEY'], true);
  }

  /** A model at Anthropic; its key is read from `ANTHROPIC_API_KEY`. */
  public static anthropic(options: LiteLlmProviderModelOptions): LiteLlmModel {
    return new LiteLlmModel(options, LiteLlmProvider.ANTHROPIC,
      { model: `anthropic/${options.modelId}`, api_key: 'os.environ/ANTHROPIC_API_KEY' }, ['ANTHROPIC_API_KEY'], true);
  }

  /** An Azure OpenAI deployment; its key is read from `AZURE_API_KEY`. */
  public static azureOpenAi(options: LiteLlmAzureOpenAiModelOptions): LiteLlmModel {
    return new LiteLlmModel(options, LiteLlmProvider.AZURE_OPENAI, {
      model: `azure/${options.deployment}`,
      api_base: options.apiBase,
      api_version: options.apiVersion ?? '2024-10-21',
      api_key: 'os.environ/AZURE_API_KEY',
    }, ['AZURE_API_KEY'], true);
  }

  /** Any endpoint that speaks the OpenAI API (vLLM, Together, a self-hosted gateway…). */
  public static openAiCompatible(options: LiteLlmOpenAiCompatibleModelOptions): LiteLlmModel {
    const params: { [key: string]: any } = { model: `openai/${options.modelId}`, api_base: options.apiBase };
    const env = options.apiKeyEnvName ? [options.apiKeyEnvName] : [];
    if (options.apiKeyEnvName) params.api_key = `os.environ/${options.apiKeyEnvName}`;
    return new LiteLlmModel(options, LiteLlmProvider.OPENAI_COMPATIBLE, params, env, options.needsInternet ?? true);
  }

  /**
   * LiteLLM's mock model: every completion returns `response` without calling a
   * provider. For tests and integration checks without provider keys.
   */
  public static mock(options: LiteLlmMockModelOptions): LiteLlmModel {
    return new LiteLlmModel(options, LiteLlmProvider.MOCK, {
      model: 'openai/mock',
      mock_response: options.response ?? LiteLlmModel.DEFAULT_MOCK_RESPONSE,
    }, [], false);
  }

  /** Raw `litellm_params` for what the other factories do not cover. */
  public static custom(options: LiteLlmCustomModelOptions): LiteLlmModel {
    const secretEnvNames = options.secretEnvNames ?? [];
    for (const [param, value] of Object.entries(options.litellmParams)) {
      // Numbers are settings such as input_cost_per_token, never credentials.
      if (!isCredentialKey(param) || typeof value === 'number' || typeof value === 'boolean') continue;
      const env = envReference(value);
      if (env === undefined) {
        throw new Error(`LiteLlmModel.custom "${options.name}": \`litellmParams.${param}\` holds a value; it would be written into the template. `
          + 'Write "os.environ/NAME" and list NAME in `secretEnvNames`');
      }
      if (!secretEnvNames.includes(env)) {
        throw new Error(`LiteLlmModel.custom "${options.name}": \`litellmParams.${param}\` reads os.environ/${env}, `
          + `which is not in \`secretEnvNames\`: add "${env}" so the task receives it from the provider keys secret`);
      }
    }
    // A credential header (`extra_headers`: Authorization, x-api-key…) is a credential too.
    const headers = Object.fromEntries(Object.entries(options.litellmParams).filter(([param]) => isHeadersKey(param)));
    const literal = literalCredentials(headers, 'litellmParams')[0];
    if (literal !== undefined) {
      throw new Error(`LiteLlmModel.custom "${options.name}": \`${literal}\` holds a value; it would be written into the template. `
        + 'Write "os.environ/NAME" and list NAME in `secretEnvNames`');
    }
    return new LiteLlmModel(options, LiteLlmProvider.CUSTOM, { ...options.litellmParams },
      secretEnvNames, options.needsInternet ?? true);
  }

  /**
   * A deployment read from a team's config.yaml (`configFile`), already checked for
   * literal credentials.
   *
   * @internal
   */
  public static _fromConfigFile(name: string, params: { [key: string]: any }, modelInfo: { [key: string]: any } | undefined,
    secretEnvNames: string[], needsInternet: boolean, bedrock?: { modelId: string; region?: string }): LiteLlmModel {
    return new LiteLlmModel({ name, modelInfo }, bedrock ? LiteLlmProvider.BEDROCK : LiteLlmProvider.CUSTOM, params,
      secretEnvNames, needsInternet, bedrock?.modelId, bedrock?.region);
  }

  /** The name clients send in `model`; deployments that share it form one model group. */
  public readonly name: string;
  /** LiteLLM's `model_info` for this deployment, if any. */
  public readonly modelInfo?: { [key: string]: any };
  private readonly params: { [key: string]: any };

  private constructor(
    options: LiteLlmModelBaseOptions,
    /** The provider family. */
    public readonly provider: LiteLlmProvider,
    params: { [key: string]: any },
    /** Provider-key environment variables this model reads. */
    public readonly secretEnvNames: string[],
    /** Whether reaching the model needs internet egress (NAT). */
    public readonly needsInternet: boolean,
    /** The Bedrock model or inference-profile id, for Bedrock models. */
    public readonly bedrockModelId?: string,
    /** The Bedrock region, when it differs from the stack's. */
    public readonly bedrockRegion?: string,
  ) {
    this.name = options.name;
    this.modelInfo = options.modelInfo && { ...options.modelInfo };
    const deployment: { [key: string]: number } = {};
    for (const key of ['rpm', 'tpm', 'weight', 'order'] as const) {
      const value = options[key];
      if (value === undefined) continue;
      if (Token.isUnresolved(value)) {
        throw new Error(`model "${options.name}": \`${key}\` is a token: it is written into config.yaml at synth, so it must be a literal number`);
      }
      check(value, n => Number.isInteger(n) && n >= (key === 'order' ? 1 : 0),
        n => `model "${options.name}": \`${key}\` (${n}) must be an integer >= ${key === 'order' ? 1 : 0}`);
      deployment[key] = value;
    }
    this.params = { ...params, ...deployment };
  }

  /** LiteLLM's `litellm_params` for this model. */
  public get litellmParams(): { [key: string]: any } {
    return { ...this.params };
  }
}
