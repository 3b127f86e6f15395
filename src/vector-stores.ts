import type { LiteLlmConfigEntryOptions } from './config/options';
import { KnowledgeBaseTarget } from './private/config-targets';
import { envReference, envReferences, literalCredentials } from './private/credentials';
import { isPrivateAddress, urlHost } from './private/egress';

/**
 * Options for `LiteLlmVectorStore.bedrockKnowledgeBase`.
 */
export interface LiteLlmBedrockKnowledgeBaseOptions {
  /** The name requests refer to it by (`vector_store_name`). */
  readonly name: string;
  /** The knowledge base's id (`vector_store_id`), e.g. `bedrock.CfnKnowledgeBase`'s `attrKnowledgeBaseId`. */
  readonly knowledgeBaseId: string;
  /**
   * The knowledge base's region (`aws_region_name`).
   *
   * @default - the stack's region
   */
  readonly region?: string;
  /**
   * What it holds (`vector_store_description`).
   *
   * @default - none
   */
  readonly description?: string;
}

/**
 * A vector store LiteLLM searches: one entry of the config's `vector_store_registry`. LiteLLM
 * loads them at start (litellm/proxy/proxy_server.py:7228-7236,
 * litellm/vector_stores/vector_store_registry.py:423-455); stores added in the admin UI live in
 * the database beside these (proxy_server.py:9050) and a deploy never touches them.
 */
export class LiteLlmVectorStore {
  /**
   * An Amazon Bedrock knowledge base, searched through bedrock-agent-runtime's Retrieve
   * (litellm/llms/bedrock/vector_stores/transformation.py:258-283). The task role may retrieve
   * from exactly this knowledge base (`bedrock:Retrieve` on its ARN); without NAT the tasks
   * reach it through the bedrock-agent-runtime interface endpoint.
   */
  public static bedrockKnowledgeBase(options: LiteLlmBedrockKnowledgeBaseOptions): LiteLlmVectorStore {
    return LiteLlmVectorStore._fromEntry({
      vector_store_name: options.name,
      litellm_params: {
        vector_store_id: options.knowledgeBaseId,
        custom_llm_provider: 'bedrock',
        ...(options.region !== undefined ? { aws_region_name: options.region } : {}),
        ...(options.description !== undefined ? { vector_store_description: options.description } : {}),
      },
    }, `LiteLlmVectorStore.bedrockKnowledgeBase "${options.name}"`);
  }

  /**
   * Any vector store, as LiteLLM's `vector_store_registry` entry
   * (`{ vector_store_name, litellm_params: { vector_store_id, custom_llm_provider, ... } }`),
   * its keys as "os.environ/NAME" (fields of the provider keys secret). A `bedrock` entry gets
   * the same grant as `LiteLlmVectorStore.bedrockKnowledgeBase`.
   *
   * @param entry the `vector_store_registry` entry
   * @param options whether the store is reached over the internet (default: false for Bedrock, true for any other provider)
   */
  public static custom(entry: { [key: string]: any }, options: LiteLlmConfigEntryOptions = {}): LiteLlmVectorStore {
    return LiteLlmVectorStore._fromEntry(entry, `LiteLlmVectorStore.custom "${entry?.vector_store_name}"`, options.needsInternet);
  }

  /**
   * An entry of a config's `vector_store_registry`, checked.
   *
   * @internal
   */
  public static _fromEntry(entry: { [key: string]: any }, where: string, needsInternet?: boolean): LiteLlmVectorStore {
    const params = entry?.litellm_params;
    // LiteLLM refuses an entry without either at start (vector_store_registry.py:433-442).
    if (typeof entry?.vector_store_name !== 'string' || params === null || typeof params !== 'object'
      || (typeof params.vector_store_id !== 'string' && typeof params.vector_store_id !== 'number') || typeof params.custom_llm_provider !== 'string') {
      throw new Error(`${where}: a vector store needs a \`vector_store_name\` and \`litellm_params\` with \`vector_store_id\` and \`custom_llm_provider\``);
    }
    const literals = literalCredentials(entry, 'vector_store_registry');
    if (literals.length > 0) {
      throw new Error(`${where}: \`${literals[0]}\` holds a value; it would be written into the template. Write "os.environ/NAME": NAME becomes a field of the provider keys secret`);
    }
    let target: KnowledgeBaseTarget | undefined;
    let ungranted: string | undefined;
    const bedrock = params.custom_llm_provider === 'bedrock';
    if (bedrock) {
      const id = String(params.vector_store_id);
      const region = params.aws_region_name;
      const fromEnv = [envReference(id), typeof region === 'string' ? envReference(region) : undefined].find(n => n !== undefined);
      if (['aws_access_key_id', 'aws_role_name', 'aws_profile_name', 'aws_web_identity_token'].some(k => params[k] !== undefined && params[k] !== null)) {
        target = undefined; // its own credentials: not the task role's call
      } else if (fromEnv !== undefined) {
        ungranted = `its ${envReference(id) !== undefined ? 'vector_store_id' : 'aws_region_name'} is read from os.environ/${fromEnv} at runtime`;
      } else {
        target = { knowledgeBaseId: id, region: typeof region === 'string' ? region : undefined };
      }
    }
    // An `api_base` at a private address is reached inside the VPC, never through NAT.
    const host = urlHost(params.api_base);
    const internet = needsInternet ?? !(bedrock || (host !== undefined && isPrivateAddress(host)));
    return new LiteLlmVectorStore({ ...entry, litellm_params: { ...params } }, envReferences(entry), internet, target, ungranted,
      needsInternet === undefined && !bedrock ? host : undefined);
  }

  /** The name requests refer to it by. */
  public readonly name: string;
  /** Fields of the provider keys secret the store's entry reads. */
  public readonly secretEnvNames: string[];
  /** Whether the store is reached over the internet (through NAT). */
  public readonly needsInternet: boolean;
  /**
   * The Bedrock knowledge base the task role retrieves from.
   *
   * @internal
   */
  public readonly _knowledgeBase?: KnowledgeBaseTarget;
  /**
   * Why the task role is not granted what this knowledge base needs.
   *
   * @internal
   */
  public readonly _ungranted?: string;
  /**
   * The host of its `api_base` when `needsInternet` was not said, for the VPC's own range.
   *
   * @internal
   */
  public readonly _defaultedHost?: string;
  private readonly entry: { [key: string]: any };

  private constructor(
    entry: { [key: string]: any }, secretEnvNames: string[], needsInternet: boolean, knowledgeBase?: KnowledgeBaseTarget, ungranted?: string,
    defaultedHost?: string,
  ) {
    this._defaultedHost = defaultedHost;
    this.entry = entry;
    this.name = entry.vector_store_name;
    this.secretEnvNames = secretEnvNames;
    this.needsInternet = needsInternet;
    this._knowledgeBase = knowledgeBase;
    this._ungranted = ungranted;
  }

  /** LiteLLM's entry for this store in `vector_store_registry`. */
  public get configEntry(): { [key: string]: any } {
    return { ...this.entry, litellm_params: { ...this.entry.litellm_params } };
  }
}
