import { Duration } from 'aws-cdk-lib';
import { LiteLlmCallback, LiteLlmCallbackBinding } from '../callbacks';
import { LiteLlmGuardrail } from '../guardrails';
import { LiteLlmMcpServer } from '../mcp-servers';
import { LiteLlmVectorStore } from '../vector-stores';

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
/** Options of a raw config entry (`LiteLlmGuardrail.custom`, `LiteLlmMcpServer.custom`, `LiteLlmVectorStore.custom`). */
export interface LiteLlmConfigEntryOptions {
  /**
   * Whether the entry is reached over the internet (through NAT). Say `false` for one inside
   * the VPC, so a platform without NAT accepts it.
   *
   * @default - false for Bedrock, for what LiteLLM runs itself and for a private address or `localhost`; true otherwise
   */
  readonly needsInternet?: boolean;
}

export interface LiteLlmConfigOptions {
  /**
   * A team's existing LiteLLM `config.yaml`, read at synth. Its `model_list` joins
   * `models` (Bedrock entries get the same grants and endpoint rules as
   * `LiteLlmModel.bedrock`), its `os.environ/NAME` references become fields of the
   * provider keys secret, and its settings merge under everything else. Keys the platform
   * owns are replaced with a warning; a literal credential fails synth. Its other sections
   * (`guardrails`, `mcp_servers`, `vector_store_registry` and the rest LiteLLM reads) are
   * carried as `sections` describes, its `include`s read and merged at synth.
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
  /**
   * Guardrails (`guardrails`). A Bedrock guardrail's task role may apply exactly that guardrail;
   * another provider's keys are fields of the provider keys secret. Joined with `configFile`'s
   * and `sections.guardrails`; names must differ. Their switches (`default_on`, `mode`) are read
   * at start; guardrails created in the admin UI live in the database and stay the UI's.
   *
   * @default - none
   */
  readonly guardrails?: LiteLlmGuardrail[];
  /**
   * MCP servers the gateway serves (`mcp_servers`): egress for their ports, their credential
   * headers redacted in the WAF logs. Joined with `configFile`'s and `sections.mcp_servers`;
   * names must differ. Access groups and `available_on_public_internet` are read at start;
   * which keys and teams hold a group, and servers added in the admin UI, are the database's.
   *
   * @default - none
   */
  readonly mcpServers?: LiteLlmMcpServer[];
  /**
   * Vector stores (`vector_store_registry`). A Bedrock knowledge base's task role may retrieve
   * from exactly that knowledge base. Joined with `configFile`'s and
   * `sections.vector_store_registry`; names must differ.
   *
   * @default - none
   */
  readonly vectorStores?: LiteLlmVectorStore[];
  /**
   * The config's other top-level sections, raw, as LiteLLM reads them (`callback_settings`,
   * `credential_list`, `prompts`, `policies`, `agents`, `search_tools`…; every name LiteLLM
   * reads is listed in the library's `src/config/sections.ts`), merged over `configFile`'s
   * (lists joined, mappings merged key by key). `guardrails`, `mcp_servers` and
   * `vector_store_registry` entries get the same grants as the typed props. Refused:
   * `model_list` and the three settings sections (their own props), `environment_variables`
   * (use `service.environment`, or the provider keys secret for credentials), `include`, a
   * name LiteLLM does not read, and any literal credential (write "os.environ/NAME").
   *
   * @default - none
   */
  readonly sections?: { [section: string]: any };
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
   * themselves or through CloudFront (which appends the client's address): the admin UI's
   * sign-in limit then also counts per client address (`trusted_proxy_ranges`). Behind an
   * internal load balancer clients have addresses inside those ranges, which LiteLLM skips as
   * proxies, and behind a proxy in front (`publicUrl`) the address is the proxy's: either way
   * every client would be counted under one address.
   */
  readonly limitSignInsPerAddress?: boolean;
  /**
   * The CloudFront distribution in front of the load balancer, if any: LiteLLM then reads the
   * client's address two hops from the right of X-Forwarded-For, and each provider attempt must
   * fit CloudFront's origin response timeout.
   */
  readonly cloudFront?: LiteLlmCloudFrontInput;
}

/** What the config needs of a CloudFront distribution in front of the load balancer. */
export interface LiteLlmCloudFrontInput {
  /** Seconds CloudFront waits for an answer's first byte, and between bytes. */
  readonly originResponseTimeoutSeconds: number;
  /**
   * Whether `service.requestTimeout` was set: then an attempt that cannot fit the origin
   * response timeout fails at synth; the default is shortened to fit.
   */
  readonly requestTimeoutSet: boolean;
}

/** The cache's part of the config. */
export interface LiteLlmSharedStateInput {
  /** Seconds a cached response is served; no response caching when undefined. */
  readonly responseCacheTtlSeconds?: number;
}
