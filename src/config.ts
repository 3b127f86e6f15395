import * as YAML from 'yaml';
import { LiteLlmModel } from './models';

/** What the rendered LiteLLM config depends on. */
export interface LiteLlmConfigInput {
  readonly models: LiteLlmModel[];
  /** Seconds a request to a provider may take (`request_timeout`). */
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
}

/** The cache's part of the config. */
export interface LiteLlmSharedStateInput {
  /** Seconds a cached response is served; no response caching when undefined. */
  readonly responseCacheTtlSeconds?: number;
}

/**
 * Renders LiteLLM's `config.yaml`. Pure: the same input gives the same text.
 * Provider keys are only ever referenced as `os.environ/NAME`.
 */
export function renderConfig(input: LiteLlmConfigInput): string {
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
  const doc = {
    model_list: input.models.map(m => ({ model_name: m.name, litellm_params: m.litellmParams })),
    litellm_settings: {
      request_timeout: input.requestTimeoutSeconds,
      drop_params: true,
      json_logs: input.jsonLogs,
      num_retries: 2,
      ...(responseTtl !== undefined ? {
        cache: true,
        cache_params: { type: 'redis', host: 'os.environ/REDIS_HOST', port: 'os.environ/REDIS_PORT', password: 'os.environ/REDIS_PASSWORD', ssl: true, ttl: responseTtl },
      } : {}),
    },
    general_settings: {
      master_key: 'os.environ/LITELLM_MASTER_KEY',
      database_connection_pool_limit: input.databaseConnectionPoolLimit,
      proxy_batch_write_at: 60,
      disable_spend_logs: false,
      ...coordination,
    },
    router_settings: {
      routing_strategy: 'simple-shuffle',
      num_retries: 2,
      timeout: input.requestTimeoutSeconds,
      ...redis,
    },
  };
  // LiteLLM reads YAML 1.1 (PyYAML): quote what 1.1 would turn into dates or booleans.
  return YAML.stringify(doc, { version: '1.1', lineWidth: 0, sortMapEntries: false });
}
