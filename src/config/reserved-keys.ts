import { LiteLlmConfigOptions, LiteLlmPlatformSettings } from './options';
import { AttemptBudget } from './request-budget';
import { RAW_PROP, Section, Settings } from './settings';
import { TYPED } from './typed';
import { literalCredentials } from '../private/credentials';

/**
 * Keys the platform sets itself, with the prop to use instead. Set anywhere else they
 * would break a rule the platform keeps (rotation, pool sizing, shared state, timeouts).
 */
export const RESERVED: Record<Section, { [key: string]: string }> = {
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
    mcp_xff_num_trusted_hops: 'remove it: the platform sets the proxies in front, 1 (the load balancer appends the address it saw) or 2 behind CloudFront (CloudFront appends the client\'s, then the load balancer CloudFront\'s); a larger count would read an entry that a client writes itself',
    trusted_proxy_ranges: 'remove it: behind an internet-facing load balancer with no proxy in front (`loadBalancer.publicUrl`), or behind CloudFront, the platform sets it to the VPC, where the load balancer is, so the admin UI\'s sign-in limit counts per client address',
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
 * A raw key merges like a key of `configFile`, except a key the platform owns, and a key
 * whose typed prop is set too: the typed prop would win silently.
 */
export function validateRaw(section: Section, options: LiteLlmConfigOptions): void {
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

export function platformOwned(input: LiteLlmPlatformSettings, budget: AttemptBudget): Record<Section, Settings> {
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
        // Behind CloudFront, CloudFront appends the address the client connected from and the
        // load balancer then appends CloudFront's
        // (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/RequestAndResponseBehaviorCustomOrigin.html#request-custom-headers-behavior,
        // X-Forwarded-For): the client is two hops from the right.
        mcp_xff_num_trusted_hops: input.cloudFront ? 2 : 1,
        // Behind CloudFront no `allowed_ips` list can match (render.ts), and one entry added in the
        // admin UI (/add/allowed_ip, proxy_setting_endpoints.py:654-698, kept in the database with
        // STORE_MODEL_IN_DB) would refuse every request, the admin UI's included, until someone
        // edits the database. A key the config file declares is the file's
        // (litellm/proxy/config_resolvers/settings_rules.py:101-111): the admin UI's write then
        // fails with LiteLLM's 400 "set in the config file" (settings_store.py:109-111,
        // proxy_setting_endpoints.py:639-651), and null admits every address (auth_utils.py:116).
        ...(input.cloudFront ? { allowed_ips: null } : {}),
        ...(input.limitSignInsPerAddress ? { trusted_proxy_ranges: input.trustedProxyCidrs } : {}),
      } : {}),
    },
    router_settings: { timeout: budget.attemptSeconds, ...redis },
  };
}

/**
 * Sign-ins that take the user's identity from request headers trust them from any peer in
 * `trusted_proxy_ranges` (litellm/proxy/auth/trusted_proxy_utils.py:48-84, called by
 * oauth2_proxy_hook.py:59-66 and integrations/custom_sso_handler.py:23-32). The platform sets
 * that to the VPC, where the load balancer is, and the load balancer passes a client's headers
 * through unchanged: anyone could sign in as anyone.
 */
export function checkHeaderIdentity(general: Settings, options: LiteLlmConfigOptions): void {
  const where = (key: string) => (options.generalSettings?.[key] !== undefined ? 'config.generalSettings' : 'configFile general_settings');
  // LiteLLM turns the first on for `true` only (litellm/proxy/auth/user_api_key_auth.py:2235).
  const key = general.enable_oauth2_proxy_auth === true ? 'enable_oauth2_proxy_auth' : general.custom_ui_sso_sign_in_handler ? 'custom_ui_sso_sign_in_handler' : undefined;
  if (key !== undefined) {
    throw new Error(`\`${where(key)}.${key}\` takes the user's identity from request headers, which the load balancer passes through from any client unchanged: `
      + 'anyone could sign in as anyone. Remove it; sign users in with LiteLLM\'s SSO or JWT auth (`enable_jwt_auth`) instead');
  }
}
