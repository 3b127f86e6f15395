import * as fs from 'fs';
import { Duration, Token } from 'aws-cdk-lib';
import * as YAML from 'yaml';
import { LiteLlmCallback, LiteLlmCallbackBinding } from './callbacks';
import { LiteLlmModel } from './models';
import { envReference, envReferences, literalCredentials } from './private/credentials';
import { check } from './private/validate';

/**
 * How LiteLLM's router picks a deployment of a model group (`router_settings.routing_strategy`;
 * the names LiteLLM accepts: litellm/router_utils/routing_groups.py:20, litellm/types/router.py:1161-1167).
 */
export enum LiteLlmRoutingStrategy {
  /** Random, weighted by `weight`, then `rpm`, then `tpm` (LiteLLM's default and its recommendation for production). */
  SIMPLE_SHUFFLE = 'simple-shuffle',
  /** The deployment with the fewest requests in flight. */
  LEAST_BUSY = 'least-busy',
  /** The deployment with the lowest recent latency. */
  LATENCY_BASED = 'latency-based-routing',
  /** The deployment with the lowest tokens-per-minute use (needs Redis with several processes). */
  USAGE_BASED = 'usage-based-routing',
  /** The async, Redis-backed version of usage-based routing. */
  USAGE_BASED_V2 = 'usage-based-routing-v2',
  /** The cheapest deployment. */
  COST_BASED = 'cost-based-routing',
  /** Within provider budgets (`provider_budget_config` in `routerSettings`). */
  PROVIDER_BUDGET = 'provider-budget-routing',
  /** LiteLLM's latency-aware routing with a single-deployment affinity (`lar1`). */
  LAR1 = 'lar1',
}

/**
 * Where a model group's requests go when it fails.
 */
export interface LiteLlmFallback {
  /** The model name (group) that fails, or `*` for every group without its own fallback. */
  readonly model: string;
  /** The model names to try next, in order. */
  readonly fallbackModels: string[];
}

/**
 * LiteLLM's whole config: typed where it pays, raw where LiteLLM moves fast. Merge
 * order, later wins: the platform's defaults, `configFile`'s settings, the raw settings,
 * the typed props, then the keys the platform owns (which no other layer may set).
 */
export interface LiteLlmConfigOptions {
  /**
   * A team's existing LiteLLM `config.yaml`, read at synth. Its `model_list` joins
   * `models` (Bedrock entries get the same grants and endpoint rules as
   * `LiteLlmModel.bedrock`), its `os.environ/NAME` references become fields of the
   * provider keys secret, and its settings merge under everything else. Keys the platform
   * owns are replaced with a warning; a literal credential fails synth.
   *
   * @default - no file
   */
  readonly configFile?: string;
  /**
   * How the router picks a deployment within a model group.
   *
   * @default LiteLlmRoutingStrategy.SIMPLE_SHUFFLE
   */
  readonly routingStrategy?: LiteLlmRoutingStrategy;
  /**
   * Model groups to try when a group fails after its retries (`router_settings.fallbacks`).
   *
   * @default - none
   */
  readonly fallbacks?: LiteLlmFallback[];
  /**
   * Model groups with a larger context window to try when a request is too long for a
   * group (`router_settings.context_window_fallbacks`).
   *
   * @default - none
   */
  readonly contextWindowFallbacks?: LiteLlmFallback[];
  /**
   * Retries of a failed request within its group, before fallbacks (`num_retries`). Every
   * attempt, retries and fallbacks included, shares `service.requestTimeout`: each gets that
   * time divided by the most attempts a request may make, and synth fails if that leaves an
   * attempt under 30 seconds.
   *
   * @default 2
   */
  readonly numRetries?: number;
  /**
   * Failures a deployment may have in a minute before it cools down (`router_settings.allowed_fails`).
   *
   * @default - LiteLLM's default (3)
   */
  readonly allowedFails?: number;
  /**
   * How long a deployment that failed too often is left out (`router_settings.cooldown_time`).
   *
   * @default - LiteLLM's default (5 seconds)
   */
  readonly cooldownTime?: Duration;
  /**
   * How long LiteLLM keeps each request's spend-log row (`LiteLLM_SpendLogs`, and the tool
   * index rows derived from it) before its cleanup job deletes it
   * (`general_settings.maximum_spend_logs_retention_period`). The daily aggregates the usage
   * views read (`LiteLLM_DailyUserSpend`, `LiteLLM_DailyTeamSpend`…) and the spend totals of
   * keys, users and teams stay. At least one day, in whole seconds.
   *
   * @default - rows are kept for good
   */
  readonly spendLogsRetention?: Duration;
  /**
   * How often the cleanup job runs (`general_settings.maximum_spend_logs_retention_interval`;
   * LiteLLM adds up to a minute of jitter, and with a cache one task at a time runs it).
   * Needs `spendLogsRetention` (or another `maximum_*_retention_period` setting). At least
   * one hour, in whole seconds.
   *
   * @default - LiteLLM's default (1 day) when a retention is set
   */
  readonly spendLogsCleanupInterval?: Duration;
  /**
   * Where each request's log, trace or span goes.
   *
   * @default - none
   */
  readonly callbacks?: LiteLlmCallback[];
  /**
   * More fields of the provider keys secret for what LiteLLM reads straight from its
   * environment rather than from the config, e.g. `DD_API_KEY` for the `datadog` callback or
   * `SLACK_WEBHOOK_URL` for Slack alerting. Each becomes an ECS secret of the proxy.
   *
   * @default - only the names the models, callbacks and settings reference
   */
  readonly secretEnvNames?: string[];
  /**
   * Raw `litellm_settings`, merged over the platform's defaults. Reference secrets as
   * `os.environ/NAME`: NAME becomes a field of the provider keys secret.
   *
   * @default - none
   */
  readonly litellmSettings?: { [key: string]: any };
  /**
   * Raw `general_settings`, merged over the platform's defaults.
   *
   * @default - none
   */
  readonly generalSettings?: { [key: string]: any };
  /**
   * Raw `router_settings`, merged over the platform's defaults.
   *
   * @default - none
   */
  readonly routerSettings?: { [key: string]: any };
}

type Settings = { [key: string]: any };
type Section = 'litellm_settings' | 'general_settings' | 'router_settings';
const SECTIONS: Section[] = ['litellm_settings', 'general_settings', 'router_settings'];
/** The prop that holds each section's raw settings. */
const RAW_PROP: Record<Section, 'litellmSettings' | 'generalSettings' | 'routerSettings'> = {
  litellm_settings: 'litellmSettings', general_settings: 'generalSettings', router_settings: 'routerSettings',
};

/**
 * Keys the platform sets itself, with the prop to use instead. Set anywhere else they
 * would break a rule the platform keeps (rotation, pool sizing, shared state, timeouts).
 */
const RESERVED: Record<Section, { [key: string]: string }> = {
  litellm_settings: {
    request_timeout: 'use `service.requestTimeout` (checked against the load balancer\'s idle timeout)',
    num_retries_per_request: 'remove it: the platform caps each request at the attempts `config.numRetries` and the fallbacks allow, so the request fits `service.requestTimeout`',
    cache: 'use `cache.responseCaching` (the platform\'s ElastiCache, TLS and AUTH)',
    cache_params: 'use `cache.responseCaching` and `cache.responseCacheTtl`',
  },
  general_settings: {
    master_key: 'remove it: the master key is read from LiteLlmSecurity\'s `masterKeySecret`, which rotates',
    database_url: 'remove it: the proxy reaches the platform\'s `database` as litellm_proxy with RDS IAM tokens, and LiteLLM builds the URL itself',
    database_connection_pool_limit: 'use `service.databaseConnectionPoolLimit` (checked against the database\'s connection limit)',
    disable_prisma_schema_update: 'remove it: the migration step migrates once per deploy, before the service changes',
    coordination_redis: 'use `cache` (the platform\'s ElastiCache)',
    use_x_forwarded_for: 'remove it: the load balancer is the one proxy in front of the tasks, and the platform trusts its X-Forwarded-* headers from the VPC only',
    mcp_trusted_proxy_ranges: 'remove it: the platform trusts X-Forwarded-* headers from the VPC, where the load balancer is',
    mcp_xff_num_trusted_hops: 'remove it: the platform sets 1, the address the load balancer saw; a larger count would read an entry that a client calling the load balancer directly writes itself',
    trusted_proxy_ranges: 'remove it: behind an internet-facing load balancer with no proxy in front (`loadBalancer.publicUrl`) the platform sets it to the VPC, where the load balancer is, so the admin UI\'s sign-in limit counts per client address',
  },
  router_settings: {
    redis_host: 'use `cache` (the platform\'s ElastiCache)',
    redis_port: 'use `cache` (the platform\'s ElastiCache)',
    redis_password: 'use `cache` (the platform\'s ElastiCache)',
    redis_url: 'use `cache` (the platform\'s ElastiCache)',
    timeout: 'use `service.requestTimeout` (checked against the load balancer\'s idle timeout)',
  },
};

/**
 * Keys a typed prop of `LiteLlmConfigOptions` sets, with that prop, in each section LiteLLM
 * reads them from: the router takes `num_retries`, `allowed_fails` and the fallbacks from
 * `litellm_settings` when `router_settings` lacks them (litellm/router.py:1393-1396, 1413-1419,
 * 1442, 1458). Written raw or in `configFile` they merge like any setting; written raw beside
 * their typed prop they conflict.
 */
const TYPED: Record<Section, { [key: string]: keyof LiteLlmConfigOptions }> = {
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
const ROUTER_KEYS_READ_FROM_BOTH = [
  'num_retries', 'max_fallbacks', 'allowed_fails', 'fallbacks', 'default_fallbacks', 'context_window_fallbacks', 'content_policy_fallbacks',
];

/**
 * LiteLLM's longest wait before a retry: exponential back-off capped at MAX_RETRY_DELAY (8 s),
 * `retry_after` capped the same way, plus up to JITTER (0.75 s)
 * (litellm/utils.py:7695-7718, litellm/constants.py:549-551).
 */
const MAX_RETRY_WAIT_SECONDS = 8.75;

/**
 * The shortest time a provider attempt may be given: below it a long completion could never
 * finish. (A provider's Retry-After, which LiteLLM honours up to 60 s before a retry in a
 * group with one deployment or none healthy (litellm/router.py:8731-8770,
 * litellm/utils.py:7706-7708), is the provider asking to wait and is not budgeted.)
 */
const MIN_ATTEMPT_SECONDS = 30;

/** `litellm_settings` lists every layer adds to rather than replaces. */
const CALLBACK_LISTS = ['callbacks', 'success_callback', 'failure_callback'];

/**
 * The config travels in the task definition (the init container's environment, JSON-escaped)
 * and ECS caps a task definition at 64 KiB. Everything else in it measures about 9 KiB with
 * each deploy-time value counted as 200 characters (test/config.test.ts, "the size guard"):
 * 40 KiB for the config leaves 15 KiB for more secrets and variables.
 */
export const MAX_CONFIG_BYTES = 40 * 1024;

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
    ])];
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
    const typed = this.typedSettings();
    const callbacks = platform.callbacks ?? [];
    const raw = this.options.litellmSettings ?? {};
    const taken = callbacks.flatMap(c => Object.keys(c.litellmSettings)).find(k => !CALLBACK_LISTS.includes(k) && k in raw);
    if (taken) throw new Error(`\`config.litellmSettings.${taken}\` is set by a callback in \`config.callbacks\`: remove one of them`);
    // JSON lines are the platform's default for CloudWatch Logs; nothing depends on them, so a raw setting may turn them off.
    const defaults = {
      ...PLATFORM_DEFAULTS,
      litellm_settings: { ...PLATFORM_DEFAULTS.litellm_settings, json_logs: platform.jsonLogs },
      general_settings: { ...PLATFORM_DEFAULTS.general_settings, ...(platform.sharedState ? SPEND_BUFFER : {}) },
    };
    const rawLayer = Object.fromEntries(SECTIONS.map(s => [s, this.options[RAW_PROP[s]] ?? {}])) as Record<Section, Settings>;
    const layers = [defaults, this.fileSettings, rawLayer, typed];
    const settings = {} as Record<Section, Settings>;
    for (const section of SECTIONS) {
      settings[section] = merge(
        ...layers.map(layer => layer[section]),
        section === 'litellm_settings' ? merge(...callbacks.map(c => c.litellmSettings)) : {},
      );
    }
    alignRouterKeys(settings, layers);
    checkSpendSettings(settings.general_settings, this.options, platform.sharedState !== undefined);
    if (platform.trustedProxyCidrs?.length) checkHeaderIdentity(settings.general_settings, this.options);
    const budget = attemptBudget(this.models, settings.router_settings, platform.requestTimeoutSeconds);
    this.checkAttemptTimeouts(settings.router_settings, budget);
    const owned = platformOwned(platform, budget);
    const doc: Settings = {
      model_list: this.models.map(m => ({
        model_name: m.name,
        litellm_params: m.litellmParams,
        ...(m.modelInfo ? { model_info: m.modelInfo } : {}),
      })),
    };
    for (const section of SECTIONS) doc[section] = merge(settings[section], owned[section]);
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

  /**
   * A timeout set per stream or per deployment replaces the per-attempt one for its
   * requests (litellm/router.py:4577-4610), so it may not be longer.
   */
  private checkAttemptTimeouts(router: Settings, budget: AttemptBudget): void {
    const limit = `the per-attempt timeout (${budget.attemptSeconds} s: \`service.requestTimeout\` ${budget.requestSeconds} s shared by up to ${budget.maxAttempts} attempts)`;
    const within = (n: unknown) => typeof n !== 'number' || n <= budget.attemptSeconds;
    const where = this.options.routerSettings?.stream_timeout !== undefined ? 'config.routerSettings' : 'configFile router_settings';
    check(router.stream_timeout, within,
      s => `\`${where}.stream_timeout\` (${s} s) exceeds ${limit}: a request's attempts would outlast the load balancer's idle timeout; lower it`);
    for (const m of this.models) {
      const params = m.litellmParams;
      const timeouts: [string, unknown][] = ['timeout', 'request_timeout', 'stream_timeout'].map(k => [k, params[k]]);
      for (const key of ['timeout_by_service_tier', 'stream_timeout_by_service_tier']) {
        const tiers = params[key];
        if (tiers !== null && typeof tiers === 'object') timeouts.push(...Object.entries(tiers).map(([t, v]): [string, unknown] => [`${key}.${t}`, v]));
      }
      for (const [key, value] of timeouts) {
        check(value, within, v => `model "${m.name}": \`litellm_params.${key}\` (${v} s) exceeds ${limit}: lower it or remove it`);
      }
      // The router builds its SDK clients with max_retries 0 unless a deployment sets it
      // (litellm/router.py:1475); set, the SDK retries inside one attempt, each try with the
      // attempt's whole timeout, so one attempt could take several shares of the budget.
      check(params.max_retries, (n: unknown) => n === 0 || n === null,
        n => `model "${m.name}": \`litellm_params.max_retries\` (${JSON.stringify(n)}) makes the provider's SDK retry inside one attempt, each try with ${limit}: `
          + 'remove it and retry with `config.numRetries`, which the platform budgets');
    }
  }

  private typedSettings(): Record<Section, Settings> {
    const o = this.options;
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
}

/** The values the platform owns, known once the service is sized. */
export interface LiteLlmPlatformSettings {
  /**
   * Seconds a whole request may take, retries and fallbacks included: at most the load
   * balancer's idle timeout, which cuts the client off. Each provider attempt gets its share
   * (`request_timeout`), and LiteLLM is capped at that many attempts (`num_retries_per_request`).
   */
  readonly requestTimeoutSeconds: number;
  /** Connections each worker's database pool may open (`database_connection_pool_limit`). */
  readonly databaseConnectionPoolLimit: number;
  /** Whether the proxy logs JSON lines (`json_logs`). */
  readonly jsonLogs: boolean;
  /**
   * Where LiteLLM's processes share state: REDIS_HOST, REDIS_PORT, REDIS_PASSWORD and
   * REDIS_SSL in the container's environment.
   */
  readonly sharedState?: LiteLlmSharedStateInput;
  /** The callbacks, bound. */
  readonly callbacks?: LiteLlmCallbackBinding[];
  /**
   * Where the load balancer connects from (the VPC's CIDR): LiteLLM takes the client's
   * address and scheme from X-Forwarded-* headers only from these.
   */
  readonly trustedProxyCidrs?: string[];
  /**
   * Whether clients reach the load balancer from the internet, outside `trustedProxyCidrs`,
   * themselves: the admin UI's sign-in limit then also counts per client address
   * (`trusted_proxy_ranges`). Behind an internal load balancer clients have addresses inside
   * those ranges, which LiteLLM skips as proxies, and behind a proxy in front (`publicUrl`) the
   * address is the proxy's: either way every client would be counted under one address.
   */
  readonly limitSignInsPerAddress?: boolean;
}

/** The cache's part of the config. */
export interface LiteLlmSharedStateInput {
  /** Seconds a cached response is served; no response caching when undefined. */
  readonly responseCacheTtlSeconds?: number;
}

const PLATFORM_NUM_RETRIES = 2;
const PLATFORM_DEFAULTS: Record<Section, Settings> = {
  litellm_settings: { drop_params: true, num_retries: PLATFORM_NUM_RETRIES },
  general_settings: { proxy_batch_write_at: 60, disable_spend_logs: false },
  router_settings: { routing_strategy: LiteLlmRoutingStrategy.SIMPLE_SHUFFLE, num_retries: PLATFORM_NUM_RETRIES },
};

/**
 * With a cache, spend updates go through it (LiteLLM's "high availability setup" against
 * database deadlocks). Without the buffer, each process commits its own key, user, team and
 * daily-spend `UPDATE`s every `proxy_batch_write_at`, which LiteLLM's own code says deadlocks
 * in production (litellm/proxy/db/db_spend_update_writer.py:1820-1832). With it, each process
 * pushes its aggregated updates to Redis lists and only the process that takes the
 * `cronjob_lock:db_spend_update_job` lock writes them, in one transaction
 * (db_spend_update_writer.py:1574-1640; the switch: redis_update_buffer.py:161-175). It needs
 * nothing but the coordination Redis the platform already gives LiteLLM: that becomes
 * `redis_usage_cache` (litellm/proxy/proxy_server.py:6393-6397, 5974), which startup hands to
 * the spend writer and its lock (proxy_server.py:1563-1575, litellm/proxy/utils.py:1861-1865);
 * neither `litellm_settings.cache` nor response caching is involved. A push that fails keeps the
 * updates in memory for the next interval (redis_update_buffer.py:367-385). Without any Redis
 * LiteLLM refuses to start with the buffer on (proxy_server.py:1609-1612, 10438-10466), so it
 * is a default only with a cache, and written raw without one it fails synth.
 */
const SPEND_BUFFER = { use_redis_transaction_buffer: true };

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
function checkSpendSettings(general: Settings, options: LiteLlmConfigOptions, hasCache: boolean): void {
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

/**
 * Sign-ins that take the user's identity from request headers trust them from any peer in
 * `trusted_proxy_ranges` (litellm/proxy/auth/trusted_proxy_utils.py:48-84, called by
 * oauth2_proxy_hook.py:59-66 and integrations/custom_sso_handler.py:23-32). The platform sets
 * that to the VPC, where the load balancer is, and the load balancer passes a client's headers
 * through unchanged: anyone could sign in as anyone.
 */
function checkHeaderIdentity(general: Settings, options: LiteLlmConfigOptions): void {
  const where = (key: string) => (options.generalSettings?.[key] !== undefined ? 'config.generalSettings' : 'configFile general_settings');
  // LiteLLM turns the first on for `true` only (litellm/proxy/auth/user_api_key_auth.py:2235).
  const key = general.enable_oauth2_proxy_auth === true ? 'enable_oauth2_proxy_auth' : general.custom_ui_sso_sign_in_handler ? 'custom_ui_sso_sign_in_handler' : undefined;
  if (key !== undefined) {
    throw new Error(`\`${where(key)}.${key}\` takes the user's identity from request headers, which the load balancer passes through from any client unchanged: `
      + 'anyone could sign in as anyone. Remove it; sign users in with LiteLLM\'s SSO or JWT auth (`enable_jwt_auth`) instead');
  }
}

function platformOwned(input: LiteLlmPlatformSettings, budget: AttemptBudget): Record<Section, Settings> {
  // The router (cooldowns, usage) reads router_settings.redis_*; the rate limiters use the
  // coordination Redis. Given explicitly, a task that started while the cache was
  // unreachable still joins it later; from REDIS_* alone it would keep its own state
  // for good (litellm/proxy/proxy_server.py:5974-6065 in 1.108.7). TLS comes from REDIS_SSL.
  const redis = input.sharedState && {
    redis_host: 'os.environ/REDIS_HOST',
    redis_port: 'os.environ/REDIS_PORT',
    redis_password: 'os.environ/REDIS_PASSWORD',
  };
  const coordination = input.sharedState && {
    coordination_redis: { host: 'os.environ/REDIS_HOST', port: 'os.environ/REDIS_PORT', password: 'os.environ/REDIS_PASSWORD', ssl: true },
  };
  const responseTtl = input.sharedState?.responseCacheTtlSeconds;
  return {
    litellm_settings: {
      // The router gives each attempt litellm_settings.request_timeout before router_settings.timeout
      // (litellm/router.py:1429-1434, 4588-4600); both say the same.
      request_timeout: budget.attemptSeconds,
      num_retries_per_request: budget.maxAttempts,
      ...(responseTtl !== undefined ? {
        cache: true,
        cache_params: { type: 'redis', host: 'os.environ/REDIS_HOST', port: 'os.environ/REDIS_PORT', password: 'os.environ/REDIS_PASSWORD', ssl: true, ttl: responseTtl },
      } : {}),
    },
    general_settings: {
      master_key: 'os.environ/LITELLM_MASTER_KEY',
      database_connection_pool_limit: input.databaseConnectionPoolLimit,
      ...coordination,
      // Requests reach the tasks from the load balancer: its X-Forwarded-For names the client
      // (for logs and IP rules) and X-Forwarded-Proto the scheme, trusted from the VPC only
      // (litellm/proxy/auth/ip_address_utils.py:144-197, auth_utils.py:93-102). The client writes
      // the leftmost entry and the ALB appends the address it saw (its default `append` mode),
      // so MCP's internal/external check reads one hop from the right
      // (ip_address_utils.py:356-371, 230-256), not the leftmost (ip_address_utils.py:372-374).
      // trusted_proxy_ranges turns on the sign-in limit per source address, which walks the
      // chain from the right past trusted hops (litellm/proxy/auth/login_throttle.py:290-305,
      // network.py:79-93), so only where clients are outside those ranges; the header sign-ins
      // it also gates are refused (checkHeaderIdentity).
      ...(input.trustedProxyCidrs?.length ? {
        use_x_forwarded_for: true,
        mcp_trusted_proxy_ranges: input.trustedProxyCidrs,
        mcp_xff_num_trusted_hops: 1,
        ...(input.limitSignInsPerAddress ? { trusted_proxy_ranges: input.trustedProxyCidrs } : {}),
      } : {}),
    },
    router_settings: { timeout: budget.attemptSeconds, ...redis },
  };
}

/** A whole request's time, split over the attempts LiteLLM may make for it. */
interface AttemptBudget {
  /** Seconds the whole request may take (`service.requestTimeout`). */
  readonly requestSeconds: number;
  /** Seconds each provider attempt may take (`request_timeout`, `router_settings.timeout`). */
  readonly attemptSeconds: number;
  /**
   * LiteLLM's cap on a request (`num_retries_per_request`): it makes no provider call once
   * the request's retries and fallback hops together reach it, so it makes at most this many.
   */
  readonly maxAttempts: number;
}

/**
 * Nothing in LiteLLM bounds a whole request in time: a group is tried `num_retries` + 1
 * times (litellm/router.py:8386-8590), each attempt with the full `request_timeout` and a
 * back-off after each failure (router.py:8497-8505, 8570-8578), then each fallback group the
 * same way, and its fallbacks in turn (litellm/router_utils/fallback_event_handlers.py:723-866).
 * So the platform counts the attempts the config allows on the longest fallback walk, caps
 * LiteLLM at that count and gives each attempt its share of `requestSeconds`.
 *
 * LiteLLM counts one per retry and one per fallback hop (litellm/router.py:8485, 8530, 9138-9188;
 * fallback_event_handlers.py:815) and refuses a call once the count reaches the cap
 * (litellm/litellm_core_utils/core_helpers.py:367-374, litellm/utils.py:1757-1760). A walk
 * of S steps with R retries makes (R + 1) × S calls and counts (R + 1) × S + S − 1, the last
 * call at (R + 2) × S − 2: a cap of (R + 2) × S − 1 lets it through (S without retries, which
 * count nothing). Any walk under that cap makes at most cap calls, each followed by a
 * back-off of at most MAX_RETRY_WAIT_SECONDS.
 */
function attemptBudget(models: LiteLlmModel[], router: Settings, requestSeconds: number): AttemptBudget {
  // A deployment's own num_retries replaces the router's for its errors (litellm/router.py:8427-8434).
  const count = (n: unknown) => (typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : 0);
  const retries = Math.max(count(router.num_retries), ...models.map(m => count(m.litellmParams.num_retries)));
  const walk = longestFallbackWalk(models, router);
  const steps = walk.steps.length;
  const maxAttempts = retries > 0 ? (retries + 2) * steps - 1 : steps;
  const attemptSeconds = Math.floor(requestSeconds / maxAttempts - MAX_RETRY_WAIT_SECONDS);
  if (attemptSeconds < MIN_ATTEMPT_SECONDS) {
    const where = steps === 1 ? 'in its group' : `at each of ${steps} steps of its fallbacks (${walk.steps.join(', ')})`;
    throw new Error(`\`service.requestTimeout\` (${requestSeconds} s) leaves ${Math.max(attemptSeconds, 0)} s per provider attempt, under the ${MIN_ATTEMPT_SECONDS} s an attempt needs: `
      + `a request to "${walk.from}" may be tried ${retries + 1} times (\`numRetries\` ${retries}) ${where}, `
      + `with up to ${MAX_RETRY_WAIT_SECONDS} s of back-off before each retry. Lower numRetries, shorten the fallbacks, or raise requestTimeout (and the load balancer's idleTimeout)`);
  }
  return { requestSeconds, attemptSeconds, maxAttempts };
}

/**
 * The model group whose failing request goes through the most steps: itself, then each group
 * its fallbacks reach, each tried once per request (litellm/router_utils/fallback_event_handlers.py:174-196,
 * 786-812). A failing hop follows its own chain, else the chain of the group the request was
 * for, else the `*` chain (fallback_event_handlers.py:529-570); the same holds for
 * context-window and content-policy fallbacks (litellm/router.py:7968-8248). A group whose
 * deployments have several `order` values is one step per value (router.py:8022-8076).
 * `max_fallbacks: 0` stops every hop (fallback_event_handlers.py:762-764).
 */
function longestFallbackWalk(models: LiteLlmModel[], router: Settings): { from: string; steps: string[] } {
  const orders = new Map<string, Set<number>>();
  for (const m of models) {
    const order = m.litellmParams.order;
    const seen = orders.get(m.name) ?? new Set<number>();
    if (typeof order === 'number') seen.add(order);
    orders.set(m.name, seen);
  }
  const stepsOf = (group: string): string[] => {
    const levels = [...(orders.get(group) ?? [])].sort((a, b) => a - b);
    return levels.length > 1 ? levels.map(o => `${group} order ${o}`) : [group];
  };
  // default_fallbacks joins the fallbacks as a `*` entry (litellm/router.py:1447-1456).
  const defaults = Array.isArray(router.default_fallbacks) ? [{ '*': router.default_fallbacks }] : [];
  const lists = [
    fromLiteLlmFallbacks([...(Array.isArray(router.fallbacks) ? router.fallbacks : []), ...defaults]),
    fromLiteLlmFallbacks(router.context_window_fallbacks),
    fromLiteLlmFallbacks(router.content_policy_fallbacks),
  ];
  const chain = (list: LiteLlmFallback[], group: string, origin: string): unknown[] => (
    list.find(f => f.model === group) ?? list.find(f => f.model === origin) ?? list.find(f => f.model === '*')
  )?.fallbackModels ?? [];
  const stop = router.max_fallbacks === 0;
  let longest = { from: models[0].name, steps: [models[0].name] };
  for (const from of orders.keys()) {
    const reached = [from];
    for (let i = 0; i < reached.length && !stop; i++) {
      for (const n of lists.flatMap(list => chain(list, reached[i], from))) {
        if (typeof n === 'string' && !reached.includes(n)) reached.push(n);
      }
    }
    const steps = stop ? [from] : reached.flatMap(stepsOf);
    if (steps.length > longest.steps.length) longest = { from, steps };
  }
  return longest;
}

/**
 * For each key LiteLLM's router reads from either section, the value of the last layer that
 * sets it (`router_settings` first within a layer, as LiteLLM reads it), in both sections.
 */
function alignRouterKeys(settings: Record<Section, Settings>, layers: Record<Section, Settings>[]): void {
  for (const key of ROUTER_KEYS_READ_FROM_BOTH) {
    let winner: unknown;
    for (const layer of layers) winner = layer.router_settings[key] ?? layer.litellm_settings[key] ?? winner;
    if (winner === undefined) continue;
    settings.router_settings[key] = winner;
    if (key in settings.litellm_settings) settings.litellm_settings[key] = winner;
  }
}

/** What `text` takes in the task definition's JSON: escaped, in UTF-8. */
export function taskDefinitionBytes(text: string): number {
  return Buffer.byteLength(JSON.stringify(text), 'utf8');
}

/** Later layers win key by key; callback lists are joined, each name once. */
function merge(...layers: Settings[]): Settings {
  const out: Settings = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      if (CALLBACK_LISTS.includes(key) && Array.isArray(out[key]) && Array.isArray(value)) {
        out[key] = [...new Set([...out[key], ...value])];
      } else {
        out[key] = value;
      }
    }
  }
  return out;
}

/**
 * A raw key merges like a key of `configFile`, except a key the platform owns, and a key
 * whose typed prop is set too: the typed prop would win silently.
 */
function validateRaw(section: Section, options: LiteLlmConfigOptions): void {
  const prop = `config.${RAW_PROP[section]}`;
  const settings = options[RAW_PROP[section]] ?? {};
  for (const key of Object.keys(settings)) {
    const reserved = RESERVED[section][key];
    if (reserved) throw new Error(`\`${prop}.${key}\` is set by the platform: ${reserved}`);
    const typed = TYPED[section][key];
    if (typed !== undefined && options[typed] !== undefined) {
      throw new Error(`\`${prop}.${key}\` and \`config.${typed}\` both set ${key}: keep one (the typed prop would win)`);
    }
  }
  const literals = literalCredentials(settings, prop);
  if (literals.length > 0) {
    throw new Error(`\`${literals[0]}\` holds a value; it would be written into the template. Write "os.environ/NAME": NAME becomes a field of the provider keys secret`);
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

function validateFallbacks(prop: string, fallbacks: LiteLlmFallback[], names: Set<string>): void {
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
function toLiteLlmFallbacks(fallbacks: LiteLlmFallback[]): Settings[] {
  return fallbacks.map(f => ({ [f.model]: [...f.fallbackModels] }));
}

function fromLiteLlmFallbacks(value: unknown): LiteLlmFallback[] {
  if (!Array.isArray(value)) return [];
  return value.filter(v => v !== null && typeof v === 'object')
    .flatMap(v => Object.entries(v as Settings).map(([model, to]) => ({ model, fallbackModels: Array.isArray(to) ? to : [to] })));
}

function sortKeys(value: any): any {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.keys(value).sort().map(k => [k, sortKeys(value[k])]));
}

interface ConfigFile {
  readonly models: LiteLlmModel[];
  readonly settings: Partial<Record<Section, Settings>>;
}

/** A Bedrock `model` (`bedrock/<id>`, `bedrock/converse/<id>`, `bedrock/invoke/<id>`) and its model id. */
const BEDROCK_MODEL = /^bedrock\/(?:converse\/|invoke\/)?(.+)$/;

function readConfigFile(path: string): ConfigFile {
  let doc: any;
  try {
    // LiteLLM reads its config with PyYAML: YAML 1.1.
    doc = YAML.parse(fs.readFileSync(path, 'utf8'), { version: '1.1' }) ?? {};
  } catch (e) {
    throw new Error(`\`config.configFile\` (${path}) cannot be read: ${(e as Error).message}`);
  }
  const literals = literalCredentials(doc, 'configFile');
  if (literals.length > 0) {
    throw new Error(`\`config.configFile\` (${path}) holds a credential at \`${literals[0].replace(/^configFile\./, '')}\`; it would be written into the template. `
      + 'Write "os.environ/NAME" instead: NAME becomes a field of the provider keys secret');
  }
  const unsupported = Object.keys(doc).filter(k => !['model_list', ...SECTIONS].includes(k));
  if (unsupported.length > 0) {
    throw new Error(`\`config.configFile\` (${path}) has ${unsupported.join(', ')}, which the platform does not carry over: `
      + 'remove them, or keep only model_list, litellm_settings, general_settings and router_settings');
  }
  const models = ((doc.model_list ?? []) as any[]).map((entry, i) => {
    const params = entry?.litellm_params;
    if (typeof entry?.model_name !== 'string' || params === null || typeof params !== 'object' || typeof params.model !== 'string') {
      throw new Error(`\`config.configFile\` (${path}): model_list[${i}] needs a model_name and litellm_params with a model`);
    }
    const bedrock = BEDROCK_MODEL.exec(params.model);
    const region = typeof params.aws_region_name === 'string' ? params.aws_region_name : undefined;
    const internet = !bedrock && params.mock_response === undefined;
    return LiteLlmModel._fromConfigFile(entry.model_name, { ...params }, entry.model_info, envReferences(params), internet,
      bedrock ? { modelId: bedrock[1], region: envReference(region) === undefined ? region : undefined } : undefined);
  });
  const settings: Partial<Record<Section, Settings>> = {};
  for (const section of SECTIONS) settings[section] = doc[section] ?? {};
  return { models, settings };
}
