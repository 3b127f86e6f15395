import { LiteLlmRoutingStrategy } from './options';
import { Section, Settings } from './settings';

export const PLATFORM_NUM_RETRIES = 2;
export const PLATFORM_DEFAULTS: Record<Section, Settings> = {
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
export const SPEND_BUFFER = { use_redis_transaction_buffer: true };
