import * as YAML from 'yaml';
import { PLATFORM_DEFAULTS, SPEND_BUFFER } from './defaults';
import { LiteLlmConfigOptions, LiteLlmPlatformSettings } from './options';
import { attemptBudget, checkAttemptTimeouts } from './request-budget';
import { checkHeaderIdentity, platformOwned } from './reserved-keys';
import { CALLBACK_LISTS, merge, Section, SECTIONS, RAW_PROP, Settings } from './settings';
import { checkStreamKeepalive, streamKeepaliveSeconds } from './stream-keepalive';
import { alignRouterKeys, checkSpendSettings, typedSettings } from './typed';
import { LiteLlmModel } from '../models';

/**
 * The config travels in the task definition (the init container's environment, JSON-escaped)
 * and ECS caps a task definition at 64 KiB. Everything else in it measures about 9 KiB with
 * each deploy-time value counted as 200 characters (test/config.test.ts, "the size guard"):
 * 40 KiB for the config leaves 15 KiB for more secrets and variables.
 */
export const MAX_CONFIG_BYTES = 40 * 1024;

/**
 * Renders LiteLLM's `config.yaml`. Pure: the same input gives the same text. Keys are
 * only ever referenced as `os.environ/NAME`.
 */
export function renderConfig(
  models: LiteLlmModel[], options: LiteLlmConfigOptions, fileSettings: Record<Section, Settings>, platform: LiteLlmPlatformSettings,
  sections: Settings = {},
): string {
  const typed = typedSettings(options);
  const callbacks = platform.callbacks ?? [];
  const raw = options.litellmSettings ?? {};
  const taken = callbacks.flatMap(c => Object.keys(c.litellmSettings)).find(k => !CALLBACK_LISTS.includes(k) && k in raw);
  if (taken) throw new Error(`\`config.litellmSettings.${taken}\` is set by a callback in \`config.callbacks\`: remove one of them`);
  // JSON lines are the platform's default for CloudWatch Logs, and behind CloudFront the stream
  // keep-alive (stream-keepalive.ts): defaults, which a raw setting may change.
  const defaults = {
    ...PLATFORM_DEFAULTS,
    litellm_settings: {
      ...PLATFORM_DEFAULTS.litellm_settings,
      json_logs: platform.jsonLogs,
      ...(platform.cloudFront ? { sse_keepalive_ping_interval_seconds: streamKeepaliveSeconds(platform.cloudFront) } : {}),
    },
    general_settings: { ...PLATFORM_DEFAULTS.general_settings, ...(platform.sharedState ? SPEND_BUFFER : {}) },
  };
  const rawLayer = Object.fromEntries(SECTIONS.map(s => [s, options[RAW_PROP[s]] ?? {}])) as Record<Section, Settings>;
  const layers = [defaults, fileSettings, rawLayer, typed];
  const settings = {} as Record<Section, Settings>;
  for (const section of SECTIONS) {
    settings[section] = merge(
      ...layers.map(layer => layer[section]),
      section === 'litellm_settings' ? merge(...callbacks.map(c => c.litellmSettings)) : {},
    );
  }
  alignRouterKeys(settings, layers);
  checkSpendSettings(settings.general_settings, options, platform.sharedState !== undefined);
  if (platform.trustedProxyCidrs?.length) checkHeaderIdentity(settings.general_settings, options);
  // LiteLLM compares the whole X-Forwarded-For with the list (auth/auth_utils.py:93-126, with
  // use_x_forwarded_for on); behind CloudFront it always holds two addresses (the client's, then
  // the VPC origin's), so it would match no entry and refuse every request with 403.
  if (platform.cloudFront && settings.general_settings.allowed_ips !== undefined) {
    throw new Error(`\`general_settings.allowed_ips\` (${JSON.stringify(settings.general_settings.allowed_ips)}) would refuse every request behind CloudFront: `
      + 'LiteLLM compares the whole X-Forwarded-For header, which then holds the client\'s address and the VPC origin\'s. Remove it, and allow clients with a '
      + 'web ACL at the edge (`cloudFront.webAclArn`, an IP set rule), or turn CloudFront off (`cloudFront.enabled: false`) and use `loadBalancer.allowedPeers`');
  }
  if (platform.cloudFront) checkStreamKeepalive(settings.litellm_settings, models, platform.cloudFront);
  const budget = attemptBudget(models, settings.router_settings, platform.requestTimeoutSeconds, platform.cloudFront);
  checkAttemptTimeouts(models, options, settings.router_settings, budget);
  const owned = platformOwned(platform, budget);
  const doc: Settings = {
    model_list: models.map(m => ({
      model_name: m.name,
      litellm_params: m.litellmParams,
      ...(m.modelInfo ? { model_info: m.modelInfo } : {}),
    })),
  };
  for (const section of SECTIONS) doc[section] = merge(settings[section], owned[section]);
  // The other sections (guardrails, MCP servers, vector stores, …), checked when loaded.
  Object.assign(doc, sections);
  // LiteLLM reads YAML 1.1 (PyYAML): quote what 1.1 would turn into dates or booleans.
  const text = YAML.stringify(doc, { version: '1.1', lineWidth: 0, sortMapEntries: false });
  const bytes = taskDefinitionBytes(text);
  if (bytes > MAX_CONFIG_BYTES) {
    throw new Error(`the rendered LiteLLM config takes ${bytes} bytes of the task definition, over the ${MAX_CONFIG_BYTES} it may use `
      + '(ECS caps a whole task definition at 64 KiB): split the deployments across platforms, shorten model_info, '
      + 'or add models at runtime through the admin UI or /model/new (STORE_MODEL_IN_DB is on)');
  }
  return text;
}

/** What `text` takes in the task definition's JSON: escaped, in UTF-8. */
export function taskDefinitionBytes(text: string): number {
  return Buffer.byteLength(JSON.stringify(text), 'utf8');
}
