/*
 * LiteLLM's config.yaml as a model of its own. This file: `LiteLlmConfig` (load, checks, render).
 * options.ts: the public option types. settings.ts: the three sections and how layers merge.
 * config-file.ts: reading `configFile`. typed.ts: typed props to raw keys. reserved-keys.ts: the
 * keys the platform owns and what it sets them to. request-budget.ts: a request's time split over
 * its attempts. defaults.ts: the platform's overridable defaults. render.ts: the layers merged
 * into YAML, and the size guard. sections.ts: every other top-level section LiteLLM reads;
 * typed-sections.ts: guardrails, MCP servers and vector stores from every layer.
 */
import { ConfigFile, readConfigFile } from './config-file';
import { LiteLlmConfigOptions, LiteLlmPlatformSettings } from './options';
import { renderConfig } from './render';
import { RESERVED, validateRaw } from './reserved-keys';
import { mergeSections, validateSectionNames } from './sections';
import { RAW_PROP, Section, SECTIONS, Settings } from './settings';
import { fromLiteLlmFallbacks, validateFallbacks } from './typed';
import { TypedSections, typedSections } from './typed-sections';
import { LiteLlmCallback } from '../callbacks';
import { LiteLlmModel, LiteLlmProvider } from '../models';
import { envReferences, literalCredentials } from '../private/credentials';
import { check, isMapping } from '../private/validate';

export { LiteLlmRoutingStrategy } from './options';
export type { LiteLlmCloudFrontInput, LiteLlmConfigEntryOptions, LiteLlmConfigOptions, LiteLlmFallback, LiteLlmPlatformSettings, LiteLlmSharedStateInput } from './options';
export { MAX_CONFIG_BYTES, taskDefinitionBytes } from './render';

/** A config, its file read and its parts checked, before the platform's values are known. */
export class LiteLlmConfig {
  /**
   * Reads `options.configFile`, joins its models to `models` and checks everything that
   * needs no platform value: model groups, fallbacks, reserved keys, literal credentials.
   */
  public static load(models: LiteLlmModel[], options: LiteLlmConfigOptions = {}): LiteLlmConfig {
    const file = options.configFile !== undefined ? readConfigFile(options.configFile) : undefined;
    return new LiteLlmConfig([...models, ...(file?.models ?? [])], options, file);
  }

  /**
   * Fields of the provider keys secret the config reads: models', callbacks' and settings'
   * `os.environ/NAME`, which LiteLLM resolves anywhere in the config (litellm/proxy/proxy_server.py:5860-5900).
   */
  public readonly secretEnvNames: string[];
  /** The file's settings after the reserved keys were dropped. */
  private readonly fileSettings: Record<Section, Settings>;
  /** Reserved keys the file set, which the platform replaces. */
  public readonly replacedFileKeys: string[];
  /** Guardrails, MCP servers and vector stores of every layer; the other sections, raw. */
  public readonly sections: TypedSections;

  private constructor(
    /** Every deployment: `models` and the file's. */
    public readonly models: LiteLlmModel[],
    private readonly options: LiteLlmConfigOptions,
    file?: ConfigFile,
  ) {
    if (models.length === 0) {
      throw new Error('`models` is empty: add at least one model, e.g. LiteLlmModel.bedrock({ name, modelId }), or bring them in `config.configFile`');
    }
    validateGroups(models);
    for (const section of SECTIONS) validateRaw(section, options);
    this.replacedFileKeys = [];
    this.fileSettings = { litellm_settings: {}, general_settings: {}, router_settings: {} };
    for (const section of SECTIONS) {
      for (const [key, value] of Object.entries(file?.settings[section] ?? {})) {
        if (key in RESERVED[section]) this.replacedFileKeys.push(`${section}.${key}`);
        else this.fileSettings[section][key] = value;
      }
    }
    const rawSections = options.sections ?? {};
    validateSectionNames(name => `\`config.sections.${name}\``, rawSections, false);
    const literals = literalCredentials(rawSections, 'config.sections');
    if (literals.length > 0) {
      throw new Error(`\`${literals[0]}\` holds a value; it would be written into the template. Write "os.environ/NAME": NAME becomes a field of the provider keys secret`);
    }
    this.sections = typedSections(mergeSections(file?.sections ?? {}, rawSections), options);
    const names = new Set(models.map(m => m.name));
    validateFallbacks('config.fallbacks', options.fallbacks ?? [], names);
    validateFallbacks('config.contextWindowFallbacks', options.contextWindowFallbacks ?? [], names);
    check(options.numRetries, n => Number.isInteger(n) && n >= 0, n => `\`config.numRetries\` (${n}) must be an integer >= 0`);
    check(options.allowedFails, n => Number.isInteger(n) && n >= 0, n => `\`config.allowedFails\` (${n}) must be an integer >= 0`);
    // The typed props' checks hold for the same keys written raw or in the file.
    for (const section of ['litellm_settings', 'router_settings'] as const) {
      const written: [string, Settings][] = [[`configFile ${section}`, this.fileSettings[section]], [`config.${RAW_PROP[section]}`, options[RAW_PROP[section]] ?? {}]];
      for (const [where, settings] of written) {
        for (const key of ['fallbacks', 'context_window_fallbacks', 'content_policy_fallbacks']) {
          validateFallbacks(`${where}.${key}`, fromLiteLlmFallbacks(settings[key]), names);
        }
        for (const key of ['num_retries', 'allowed_fails', 'max_fallbacks']) {
          check(settings[key], (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n >= 0,
            n => `\`${where}.${key}\` (${JSON.stringify(n)}) must be an integer >= 0`);
        }
      }
    }
    this.secretEnvNames = [...new Set([
      ...models.flatMap(m => m.secretEnvNames),
      ...(options.callbacks ?? []).flatMap(c => c.secretEnvNames),
      ...(options.secretEnvNames ?? []),
      ...SECTIONS.flatMap(s => envReferences(options[RAW_PROP[s]] ?? {})),
      ...SECTIONS.flatMap(s => envReferences(this.fileSettings[s])),
      ...this.sections.guardrails.flatMap(g => g.secretEnvNames),
      ...this.sections.mcpServers.flatMap(m => m.secretEnvNames),
      ...this.sections.vectorStores.flatMap(v => v.secretEnvNames),
      ...envReferences(this.sections.raw),
    ])];
  }

  /** Whether a model or a guardrail calls bedrock-runtime. */
  public get usesBedrockRuntime(): boolean {
    return this.models.some(m => m.provider === LiteLlmProvider.BEDROCK)
      || this.sections.guardrails.some(g => g.configEntry.litellm_params.guardrail === 'bedrock');
  }

  /** Whether a vector store is a Bedrock knowledge base (bedrock-agent-runtime). */
  public get usesBedrockAgentRuntime(): boolean {
    return this.sections.vectorStores.some(v => v.configEntry.litellm_params.custom_llm_provider === 'bedrock');
  }

  /**
   * `litellm_settings.mcp_aliases` as rendered (`config.litellmSettings` replaces the file's key),
   * which LiteLLM applies to `mcp_servers` (litellm/proxy/proxy_server.py:7221-7224).
   */
  public get mcpAliases(): { [alias: string]: unknown } {
    const aliases = this.options.litellmSettings?.mcp_aliases ?? this.fileSettings.litellm_settings.mcp_aliases;
    return isMapping(aliases) ? aliases : {};
  }

  /** The callbacks, to bind to the service. */
  public get callbacks(): LiteLlmCallback[] {
    return this.options.callbacks ?? [];
  }


  /**
   * Renders LiteLLM's `config.yaml`. Pure: the same input gives the same text. Keys are
   * only ever referenced as `os.environ/NAME`.
   */
  public render(platform: LiteLlmPlatformSettings): string {
    return renderConfig(this.models, this.options, this.fileSettings, platform, this.sections.render());
  }
}

/**
 * Deployments that share a name are one group LiteLLM load-balances. Two identical ones
 * would get the same id (litellm/router.py:9550-9575) and LiteLLM would silently keep one
 * (router.py:10588-10628). A group that mixes models or modes LiteLLM accepts as it is
 * (router.py:11262-11275), so the platform does too.
 */
function validateGroups(models: LiteLlmModel[]): void {
  const seen = new Map<string, string>();
  for (const m of models) {
    const key = JSON.stringify([m.name, sortKeys(m.litellmParams)]);
    if (seen.has(key)) {
      throw new Error(`\`models\` has two identical deployments of "${m.name}" (${JSON.stringify(m.litellmParams)}): LiteLLM would keep only one; remove one or make them differ (region, endpoint, model id)`);
    }
    seen.set(key, m.name);
  }
}

function sortKeys(value: any): any {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.keys(value).sort().map(k => [k, sortKeys(value[k])]));
}
