import { Duration, Token } from 'aws-cdk-lib';
import { PLATFORM_NUM_RETRIES } from './defaults';
import { LiteLlmConfigOptions, LiteLlmFallback } from './options';
import { Section, Settings } from './settings';
import { check } from '../private/validate';

/**
 * Keys a typed prop of `LiteLlmConfigOptions` sets, with that prop, in each section LiteLLM
 * reads them from: the router takes `num_retries`, `allowed_fails` and the fallbacks from
 * `litellm_settings` when `router_settings` lacks them (litellm/router.py:1393-1396, 1413-1419,
 * 1442, 1458). Written raw or in `configFile` they merge like any setting; written raw beside
 * their typed prop they conflict.
 */
export const TYPED: Record<Section, { [key: string]: keyof LiteLlmConfigOptions }> = {
  litellm_settings: { num_retries: 'numRetries', allowed_fails: 'allowedFails', fallbacks: 'fallbacks', context_window_fallbacks: 'contextWindowFallbacks' },
  general_settings: {
    maximum_spend_logs_retention_period: 'spendLogsRetention',
    maximum_spend_logs_retention_interval: 'spendLogsCleanupInterval',
  },
  router_settings: {
    routing_strategy: 'routingStrategy',
    fallbacks: 'fallbacks',
    context_window_fallbacks: 'contextWindowFallbacks',
    num_retries: 'numRetries',
    allowed_fails: 'allowedFails',
    cooldown_time: 'cooldownTime',
  },
};

/**
 * Router settings LiteLLM reads from `router_settings` and, when that lacks them, from
 * `litellm_settings` (litellm/router.py:1393-1396, 1413-1426, 1442-1460). Within a layer
 * `router_settings` wins, as in LiteLLM; across layers the later one wins, in both sections,
 * so the platform's default `router_settings.num_retries` cannot shadow a
 * `litellm_settings.num_retries` written in `configFile` or raw.
 */
export const ROUTER_KEYS_READ_FROM_BOTH = [
  'num_retries', 'max_fallbacks', 'allowed_fails', 'fallbacks', 'default_fallbacks', 'context_window_fallbacks', 'content_policy_fallbacks',
];

/** The settings the typed props of `LiteLlmConfigOptions` write. */
export function typedSettings(o: LiteLlmConfigOptions): Record<Section, Settings> {
  const retries = o.numRetries ?? PLATFORM_NUM_RETRIES;
  const cooldown = o.cooldownTime?.toSeconds();
  if (cooldown !== undefined && Token.isUnresolved(cooldown)) throw new Error('`config.cooldownTime` is a token: it is written into config.yaml at synth, so it must be a literal Duration');
  const retention = o.spendLogsRetention && liteLlmDuration('spendLogsRetention', o.spendLogsRetention, MIN_SPEND_LOGS_RETENTION);
  const interval = o.spendLogsCleanupInterval && liteLlmDuration('spendLogsCleanupInterval', o.spendLogsCleanupInterval, MIN_SPEND_LOGS_CLEANUP_INTERVAL);
  return {
    litellm_settings: o.numRetries !== undefined ? { num_retries: retries } : {},
    general_settings: {
      ...(retention ? { maximum_spend_logs_retention_period: retention } : {}),
      ...(interval ? { maximum_spend_logs_retention_interval: interval } : {}),
    },
    router_settings: {
      ...(o.routingStrategy ? { routing_strategy: o.routingStrategy } : {}),
      ...(o.numRetries !== undefined ? { num_retries: retries } : {}),
      ...(o.fallbacks ? { fallbacks: toLiteLlmFallbacks(o.fallbacks) } : {}),
      ...(o.contextWindowFallbacks ? { context_window_fallbacks: toLiteLlmFallbacks(o.contextWindowFallbacks) } : {}),
      ...(o.allowedFails !== undefined ? { allowed_fails: o.allowedFails } : {}),
      ...(cooldown !== undefined ? { cooldown_time: cooldown } : {}),
    },
  };
}

/**
 * For each key LiteLLM's router reads from either section, the value of the last layer that
 * sets it (`router_settings` first within a layer, as LiteLLM reads it), in both sections.
 */
export function alignRouterKeys(settings: Record<Section, Settings>, layers: Record<Section, Settings>[]): void {
  for (const key of ROUTER_KEYS_READ_FROM_BOTH) {
    let winner: unknown;
    for (const layer of layers) winner = layer.router_settings[key] ?? layer.litellm_settings[key] ?? winner;
    if (winner === undefined) continue;
    settings.router_settings[key] = winner;
    if (key in settings.litellm_settings) settings.litellm_settings[key] = winner;
  }
}

/** The shortest `spendLogsRetention`: under a day, the admin UI's request logs would not even hold today's requests. */
const MIN_SPEND_LOGS_RETENTION = Duration.days(1);
/** The shortest `spendLogsCleanupInterval`: each run deletes in batches for up to 5 minutes. */
const MIN_SPEND_LOGS_CLEANUP_INTERVAL = Duration.hours(1);

/**
 * LiteLLM's duration strings: digits and `s`, `m`, `h`, `d`, `w` or `mo`, or an alias
 * (`daily`…) (litellm/litellm_core_utils/duration_parser.py:17-37, 52-80).
 */
const LITELLM_DURATION = /^(\d+(mo|[smhdw])|hourly|daily|weekly|monthly)$/i;

/** `duration` in LiteLLM's format, in the largest whole unit (`30d`, `36h`, `90m`). */
function liteLlmDuration(prop: string, duration: Duration, min: Duration): string {
  if (duration.isUnresolved()) throw new Error(`\`config.${prop}\` is a token: it is written into config.yaml at synth, so it must be a literal Duration`);
  const ms = duration.toMilliseconds({ integral: false });
  if (ms % 1000 !== 0) throw new Error(`\`config.${prop}\` (${duration.toHumanString()}) is not a whole number of seconds, which LiteLLM's durations need`);
  if (ms < min.toMilliseconds()) throw new Error(`\`config.${prop}\` (${duration.toHumanString()}) is shorter than ${min.toHumanString()}: raise it`);
  const seconds = ms / 1000;
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60]] as const) {
    if (seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

/**
 * The spend settings, once merged: what LiteLLM would refuse at startup, ignore silently, or
 * skip with only a log line fails synth here.
 */
export function checkSpendSettings(general: Settings, options: LiteLlmConfigOptions, hasCache: boolean): void {
  const where = (key: string) => (options.generalSettings?.[key] !== undefined ? 'config.generalSettings' : 'configFile general_settings');
  // LiteLLM reads the flag as a bool or a str_to_bool string (redis_update_buffer.py:170-175).
  const buffer = general.use_redis_transaction_buffer;
  if (!hasCache && (buffer === true || (typeof buffer === 'string' && buffer.trim().toLowerCase() === 'true'))) {
    throw new Error(`\`${where('use_redis_transaction_buffer')}.use_redis_transaction_buffer\` needs a Redis and the platform has no cache: `
      + 'LiteLLM would refuse to start. Remove it, or add a cache (LiteLlmPlatform: `cache.enabled: true`; LiteLlmService: pass `cache`), which turns it on by default');
  }
  // The retention is a duration string or a number of days (litellm/proxy/db/db_transaction_queue/spend_log_cleanup.py:215-238);
  // the interval a duration string only (litellm/proxy/proxy_server.py:11149-11167). Anything else LiteLLM only logs.
  const retention = general.maximum_spend_logs_retention_period;
  if (retention !== undefined && options.spendLogsRetention === undefined) {
    check(retention, (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v > 0) || (typeof v === 'string' && LITELLM_DURATION.test(v.trim())),
      v => `\`${where('maximum_spend_logs_retention_period')}.maximum_spend_logs_retention_period\` (${JSON.stringify(v)}) is not a LiteLLM duration: write e.g. "30d", or use \`config.spendLogsRetention\``);
  }
  const interval = general.maximum_spend_logs_retention_interval;
  if (interval !== undefined && options.spendLogsCleanupInterval === undefined) {
    check(interval, (v: unknown) => typeof v === 'string' && LITELLM_DURATION.test(v.trim()),
      v => `\`${where('maximum_spend_logs_retention_interval')}.maximum_spend_logs_retention_interval\` (${JSON.stringify(v)}) is not a LiteLLM duration: write e.g. "1d", or use \`config.spendLogsCleanupInterval\``);
  }
  // A cron replaces the interval (proxy_server.py:11127-11167): both set, the interval would be ignored.
  if (options.spendLogsCleanupInterval !== undefined && general.maximum_spend_logs_cleanup_cron) {
    throw new Error(`\`${where('maximum_spend_logs_cleanup_cron')}.maximum_spend_logs_cleanup_cron\` replaces \`config.spendLogsCleanupInterval\` in LiteLLM: keep one`);
  }
  // The job is scheduled only when a retention is set (proxy_server.py:11119-11126).
  const retentions = Object.keys(general).filter(k => /^maximum_.+_retention_period$/.test(k) && general[k] !== null);
  if (options.spendLogsCleanupInterval !== undefined && retentions.length === 0) {
    throw new Error('`config.spendLogsCleanupInterval` is set but no retention is: set `config.spendLogsRetention`, or the interval schedules nothing');
  }
}

export function validateFallbacks(prop: string, fallbacks: LiteLlmFallback[], names: Set<string>): void {
  for (const f of fallbacks) {
    if (f.model !== '*' && !names.has(f.model)) {
      throw new Error(`\`${prop}\` falls back from "${f.model}", which is not a model name: use one of ${[...names].join(', ')}`);
    }
    if (f.fallbackModels.length === 0) throw new Error(`\`${prop}\` for "${f.model}" has no \`fallbackModels\`: name at least one`);
    const unknown = f.fallbackModels.find(n => !names.has(n));
    if (unknown !== undefined) {
      throw new Error(`\`${prop}\` for "${f.model}" falls back to "${unknown}", which is not a model name: use one of ${[...names].join(', ')}`);
    }
    if (f.fallbackModels.includes(f.model)) throw new Error(`\`${prop}\` for "${f.model}" falls back to itself: remove "${f.model}" from fallbackModels`);
  }
}

/** LiteLLM's shape: `[{ "gpt-4o": ["claude", "llama"] }]` (litellm/router_utils/fallback_event_handlers.py:573-602). */
export function toLiteLlmFallbacks(fallbacks: LiteLlmFallback[]): Settings[] {
  return fallbacks.map(f => ({ [f.model]: [...f.fallbackModels] }));
}

export function fromLiteLlmFallbacks(value: unknown): LiteLlmFallback[] {
  if (!Array.isArray(value)) return [];
  return value.filter(v => v !== null && typeof v === 'object')
    .flatMap(v => Object.entries(v as Settings).map(([model, to]) => ({ model, fallbackModels: Array.isArray(to) ? to : [to] })));
}
