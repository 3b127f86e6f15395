import { Duration, aws_ecs as ecs, aws_logs as logs } from 'aws-cdk-lib';
import { LiteLlmCache } from '../cache';
import { LiteLlmConfigOptions } from '../config';
import { LiteLlmDatabase } from '../database';
import { LiteLlmImage } from '../image';
import { LiteLlmLoadBalancer } from '../load-balancer';
import { LiteLlmServiceMetricsOptions } from '../metrics';
import { LiteLlmModel } from '../models';
import { LiteLlmNetwork } from '../network';
import { LiteLlmDeploymentProfile } from '../profile';
import { LiteLlmSecurity } from '../security';

/**
 * Service settings of a LiteLLM platform.
 */
export interface LiteLlmServiceOptions {
  /**
   * Task CPU units. LiteLLM's production guide gives each worker one vCPU.
   *
   * @default - 1024 (PRODUCTION) or 512 (DEVELOPMENT) × `numWorkers`, rounded up to a Fargate size that holds 4 GiB per worker
   */
  readonly cpu?: number;
  /**
   * Task memory in MiB. LiteLLM's production guide gives each worker 4 GiB: below
   * that, one large request can run a task out of memory (a warning); below 2048
   * synth fails.
   *
   * @default - 4096 × `numWorkers`, rounded up to a Fargate size
   */
  readonly memoryLimitMiB?: number;
  /**
   * CPU architecture of the tasks.
   *
   * @default ecs.CpuArchitecture.X86_64
   */
  readonly cpuArchitecture?: ecs.CpuArchitecture;
  /**
   * Fewest tasks. Two or more spread over both AZs.
   *
   * @default - 1 (DEVELOPMENT), 2 (PRODUCTION), at most `maxCapacity`
   */
  readonly minCapacity?: number;
  /**
   * Most tasks autoscaling may run.
   *
   * @default - 1 (DEVELOPMENT), 4 (PRODUCTION), at least `minCapacity`
   */
  readonly maxCapacity?: number;
  /**
   * Uvicorn workers per task (`--num_workers`); each opens its own database pool.
   *
   * @default 1
   */
  readonly numWorkers?: number;
  /**
   * How long a whole request may take, retries and fallbacks included. LiteLLM has no such
   * bound, so each provider attempt gets this divided by the most attempts the config allows
   * (`request_timeout`), and LiteLLM is capped at that many (`num_retries_per_request`). The
   * load balancer's idle timeout must be at least this long.
   *
   * @default Duration.seconds(600)
   */
  readonly requestTimeout?: Duration;
  /**
   * Connections each worker's database pool may open.
   *
   * @default - derived: (max_connections - 10) × 0.9 ÷ (maxCapacity × 2 for rolling deploys × numWorkers), at most 20
   */
  readonly databaseConnectionPoolLimit?: number;
  /**
   * Run tasks in public subnets with a public IP. Only for a DEVELOPMENT platform
   * whose VPC has no NAT gateway.
   *
   * @default false
   */
  readonly assignPublicIp?: boolean;
  /**
   * Run on Fargate Spot.
   *
   * @default - true (DEVELOPMENT), false (PRODUCTION)
   */
  readonly fargateSpot?: boolean;
  /**
   * Container Insights on the cluster (`ecs.ClusterProps.containerInsightsV2`): `ENABLED`,
   * `ENHANCED` (per-task and per-container metrics, more custom metrics to pay for) or `DISABLED`.
   *
   * @default - ecs.ContainerInsights.DISABLED (DEVELOPMENT), ecs.ContainerInsights.ENABLED (PRODUCTION)
   */
  readonly containerInsights?: ecs.ContainerInsights;
  /**
   * How much LiteLLM logs (`LITELLM_LOG`).
   *
   * @default - LiteLlmLogLevel.INFO (DEVELOPMENT), LiteLlmLogLevel.ERROR (PRODUCTION)
   */
  readonly logLevel?: LiteLlmLogLevel;
  /**
   * Retention of every log group the service creates: the container's, the migration
   * step's and the redeploy-after-rotation function's.
   *
   * @default - 14 days (DEVELOPMENT), 90 days (PRODUCTION)
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Also scale out when the requests per task (ALB `RequestCountPerTarget`, per minute)
   * exceed this. CPU (60 %) always scales; memory never does (it ratchets up after one
   * large request and would never scale in).
   *
   * @default - CPU only
   */
  readonly requestsPerTarget?: number;
  /**
   * Also scale out when the tokens (input and output) per task per minute exceed this,
   * from LiteLLM's own metrics (`metrics` must be on). Target tracking divides the tokens
   * all tasks reported by the number of tasks that reported.
   *
   * @default - no token-based scaling
   */
  readonly tokensPerTarget?: number;
  /**
   * More environment variables for the LiteLLM container (never secrets: use the provider keys secret).
   *
   * @default - none
   */
  readonly environment?: { [name: string]: string };
}

/**
 * Properties of a `LiteLlmService`.
 */
export interface LiteLlmServiceProps extends LiteLlmServiceOptions {
  /** The models the proxy serves; may be empty when `config.configFile` brings them. */
  readonly models: LiteLlmModel[];
  /**
   * LiteLLM's config beyond the models: routing, fallbacks, callbacks, raw settings, a config file.
   *
   * @default - the platform's defaults
   */
  readonly config?: LiteLlmConfigOptions;
  /** VPC and security groups. */
  readonly network: LiteLlmNetwork;
  /** Key and secrets. */
  readonly security: LiteLlmSecurity;
  /** The database. */
  readonly database: LiteLlmDatabase;
  /** The load balancer whose target group the service joins. */
  readonly loadBalancer: LiteLlmLoadBalancer;
  /**
   * The cache LiteLLM's processes share rate limits, router state and cached responses
   * through. Without one, more than one process (tasks × workers) is a synth warning.
   *
   * @default - none: each process keeps its own state
   */
  readonly cache?: LiteLlmCache;
  /**
   * The LiteLLM image.
   *
   * @default LiteLlmImage.fromRegistry()
   */
  readonly image?: LiteLlmImage;
  /**
   * Defaults for everything not set explicitly.
   *
   * @default LiteLlmDeploymentProfile.DEVELOPMENT
   */
  readonly profile?: LiteLlmDeploymentProfile;
  /**
   * LiteLLM's own metrics per model group in CloudWatch (requests, failures, fallbacks,
   * cooldowns, latency, tokens, spend).
   *
   * @default - on in PRODUCTION, off in DEVELOPMENT
   */
  readonly metrics?: LiteLlmServiceMetricsOptions;
}

/** How much LiteLLM logs (`LITELLM_LOG`, Python's levels). */
export enum LiteLlmLogLevel {
  /** Everything, including request and response bodies: never in production. */
  DEBUG = 'DEBUG',
  /** Each request and LiteLLM's decisions. */
  INFO = 'INFO',
  /** Problems LiteLLM recovered from (retries, fallbacks) and errors. */
  WARNING = 'WARNING',
  /** Errors only. */
  ERROR = 'ERROR',
}
