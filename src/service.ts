import {
  Annotations, Duration, RemovalPolicy, Stack, Token,
  aws_cloudwatch as cloudwatch, aws_ec2 as ec2, aws_ecs as ecs, aws_s3 as s3,
  aws_elasticloadbalancingv2 as elbv2, aws_events as events, aws_events_targets as targets, aws_iam as iam, aws_logs as logs,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import * as YAML from 'yaml';
import { LiteLlmCache } from './cache';
import { LiteLlmConfig, LiteLlmConfigOptions } from './config';
import { LiteLlmDatabase } from './database';
import { LiteLlmImage } from './image';
import { LiteLlmLoadBalancer } from './load-balancer';
import { LiteLlmMetrics, LiteLlmServiceMetricsOptions } from './metrics';
import { LiteLlmMigration } from './migration';
import { LiteLlmModel, LiteLlmProvider } from './models';
import { LiteLlmNetwork } from './network';
import { anyErrorAlarm } from './private/alarms';
import { bedrockInvokeArns } from './private/bedrock';
import { ipv4CidrWithin } from './private/cidr';
import { envReferences } from './private/credentials';
import { DEFAULT_NUM_WORKERS, capacityOf, followingKey, profileDefaults } from './private/defaults';
import { egressPorts, egressRanges, egressRuleDescription, unresolvedEndpoints } from './private/egress';
import { functionRole } from './private/function-role';
import { METRICS_CALLBACK, METRICS_MODULE, metricsModuleSource } from './private/gateway-metrics';
import { migrationSettings } from './private/migration-settings';
import { acknowledge, acknowledgeFunction, INLINE_POLICY_REASON, pullsFromEcr } from './private/nag';
import { rotationSucceededPattern } from './private/rotation-pattern';
import { fargateSize } from './private/sizing';
import { dependOnStacksOf, secretFor } from './private/stacks';
import { privateSubnetsOf } from './private/subnets';
import { scaleOnTokens } from './private/token-scaling';
import { check } from './private/validate';
import { configKeyHeaders } from './private/web-acl';
import { LiteLlmDeploymentProfile } from './profile';
import { RedeployFunction } from './rotation/redeploy-function';
import { LiteLlmSecurity } from './security';

/** Where the init container writes the rendered config and the proxy reads it. */
const CONFIG_PATH = '/litellm-config/config.yaml';
/** The init container's variable that carries the rendered config. */
const CONFIG_ENV = 'LITELLM_CONFIG_YAML';
/** The RDS CA the init container writes beside the config, from this variable. */
const CA_PATH = '/litellm-config/rds-ca.pem';
const CA_ENV = 'DATABASE_CA_PEM';
/** The module that registers LiteLLM's Prometheus metrics (`LiteLlmMetrics`), beside the config. */
const METRICS_MODULE_PATH = `/litellm-config/${METRICS_MODULE}.py`;
const METRICS_MODULE_ENV = 'LITELLM_METRICS_MODULE';
/** How much longer than the load balancer's idle timeout uvicorn keeps an idle connection. */
const KEEPALIVE_MARGIN_SECONDS = 5;
/**
 * Outbound rules LiteLlmNetwork gives the service security group (443 anywhere, the database,
 * the cache; the IPv6 443 rule counts apart), out of the 60 a security group holds by default
 * (https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html).
 */
const PLATFORM_EGRESS_RULES = 3;
/** Rules the config's ports may take. */
const MAX_CONFIG_EGRESS_RULES = 60 - PLATFORM_EGRESS_RULES;
/** Fargate's longest stop timeout: SIGTERM, then SIGKILL this much later. */
const STOP_TIMEOUT = Duration.seconds(120);
/** Connections kept free for the rotation function, admin sessions and RDS itself. */
const RESERVED_CONNECTIONS = 10;
/**
 * LiteLLM fetches these from GitHub unless told to use the copy in the image. Only the
 * cost map is fetched at start (litellm/__init__.py:572), the others on first use; a task
 * without internet would wait on each. The local copies are the pinned release's own.
 */
const LOCAL_COPIES: { [name: string]: string } = {
  // litellm/litellm_core_utils/get_model_cost_map.py:676
  LITELLM_LOCAL_MODEL_COST_MAP: 'True',
  // litellm/anthropic_beta_headers_manager.py:148
  LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS: 'True',
  // litellm/proxy/management_endpoints/policy_endpoints/endpoints.py:660-666
  LITELLM_LOCAL_POLICY_TEMPLATES: 'True',
  // litellm/proxy/public_endpoints/public_endpoints.py:571
  LITELLM_LOCAL_AUTOROUTER_PRESETS: 'True',
  // litellm/litellm_core_utils/get_blog_posts.py:132
  LITELLM_LOCAL_BLOG_POSTS: 'True',
};

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

/**
 * The LiteLLM proxy on ECS Fargate: cluster, task definition, autoscaled service,
 * alarms, and a redeploy whenever the master key rotates.
 */
export class LiteLlmService extends Construct implements ec2.IConnectable, iam.IGrantable {
  /** The cluster. */
  public readonly cluster: ecs.Cluster;
  /** The service. */
  public readonly service: ecs.FargateService;
  /** The task definition. */
  public readonly taskDefinition: ecs.FargateTaskDefinition;
  /** The LiteLLM container. */
  public readonly container: ecs.ContainerDefinition;
  /**
   * The deploy step that migrates the database once, in a one-off task, before the service
   * changes (it replaced the `migrate` container of earlier versions); serving tasks never
   * migrate.
   */
  public readonly migration: LiteLlmMigration;
  /** The container log group (KMS-encrypted). */
  public readonly logGroup: logs.ILogGroup;
  /** LiteLLM's metrics in CloudWatch, when `metrics` is on. */
  public readonly metrics?: LiteLlmMetrics;
  /** Network connections of the tasks. */
  public readonly connections: ec2.Connections;
  /** The LiteLLM config the tasks read (`config.yaml`), rendered from `models` and `config`. */
  public readonly renderedConfig: string;
  /** Every deployment the proxy serves: `models` and those of `config.configFile`. */
  public readonly models: LiteLlmModel[];
  /**
   * The tasks' role (`taskDefinition.taskRole`): grant it what LiteLLM calls, e.g.
   * `bucket.grantRead(service)`.
   */
  public readonly grantPrincipal: iam.IPrincipal;
  /** The bucket request logs go to, with `LiteLlmCallback.s3Logging`. */
  public readonly requestLogsBucket?: s3.IBucket;
  /** `database_connection_pool_limit` in the config. */
  public readonly databaseConnectionPoolLimit: number;
  /** CPU > 85 % for 3 × 5 minutes. */
  public readonly cpuAlarm: cloudwatch.Alarm;
  /** Memory > 90 % for 3 × 5 minutes. */
  public readonly memoryAlarm: cloudwatch.Alarm;
  /** Unhealthy targets ≥ 1 for 3 × 1 minute. */
  public readonly unhealthyHostsAlarm: cloudwatch.Alarm;
  /** Errors of the redeploy-after-rotation function > 0 in 5 minutes. */
  public readonly redeployAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: LiteLlmServiceProps) {
    super(scope, id);
    const defaults = profileDefaults(props.profile);
    const image = props.image ?? LiteLlmImage.fromRegistry();
    const sizing = resolveSizing(props);
    dependOnStacksOf(this, props.security, props.network, props.database, props.loadBalancer, ...(props.cache ? [props.cache] : []));
    // In a split, the URL the tasks and outputs read is the load balancer's DNS name until a
    // domain or certificate name replaces it; keep exporting it then, or CloudFormation would
    // refuse to update the load balancer stack while this one still imports it.
    const lbStack = Stack.of(props.loadBalancer);
    if (lbStack !== Stack.of(this)) lbStack.exportValue(props.loadBalancer.loadBalancer.loadBalancerDnsName);
    const config = LiteLlmConfig.load(props.models, props.config);
    this.models = config.models;
    this.validate(props, config, sizing, image, defaults.production);
    this.databaseConnectionPoolLimit = poolLimit(props.database, sizing.maxCapacity, sizing.workers, props.databaseConnectionPoolLimit);
    warnIfStateIsPerProcess(this, props.cache, sizing.maxCapacity, sizing.workers);
    if (!Token.isUnresolved(sizing.workers) && sizing.workers > 1) {
      // LiteLLM mints the IAM token once, in the parent, before it starts the workers
      // (proxy_cli.py:1244-1255), and uvicorn starts a replacement worker with that environment
      // (uvicorn/supervisors/multiprocess.py:214-238). The worker notices the expired token on its
      // first connect, schedules a refresh and fails that attempt (db/prisma_client.py:926-947);
      // connect() retries three times within 10 s (proxy/utils.py:6632-6640), so it usually
      // recovers, but only if the refresh wins that race: a risk one worker per task never takes.
      Annotations.of(this).addWarningV2('cdk-litellm:workersWithIamToken', `\`numWorkers\` is ${sizing.workers}: the proxy logs in to the database with a `
        + '15-minute IAM token that LiteLLM 1.108 mints once per task, so a worker uvicorn restarts after that (a missed health ping, an out-of-memory kill) '
        + 'starts with an expired token; LiteLLM refreshes it and retries the connection for 10 s, and a worker that loses that race fails its start. '
        + 'Prefer one worker and more tasks (maxCapacity).');
    }

    const containerInsights = props.containerInsights
      ?? (defaults.containerInsights ? ecs.ContainerInsights.ENABLED : ecs.ContainerInsights.DISABLED);
    const logRetention = props.logRetention ?? defaults.logRetention;
    this.cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: props.network.vpc,
      enableFargateCapacityProviders: true,
      containerInsightsV2: containerInsights,
    });
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      cpu: sizing.cpu,
      memoryLimitMiB: sizing.memory,
      runtimePlatform: {
        cpuArchitecture: props.cpuArchitecture ?? ecs.CpuArchitecture.X86_64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    this.grantPrincipal = this.taskDefinition.taskRole;
    const bedrockArns = this.grantBedrock(config.models);
    // What the platform key encrypts goes with it when it is deleted.
    const removalPolicy = followingKey(props.security.encryptionKey, defaults.removalPolicy);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      encryptionKey: props.security.encryptionKey,
      retention: logRetention,
      removalPolicy,
    });

    const metricsOn = props.metrics?.enabled ?? defaults.production;
    const rendered = this.renderConfig(config, props, sizing.requestTimeout, removalPolicy, metricsOn);
    this.renderedConfig = rendered.text;
    this.requestLogsBucket = rendered.bucket;

    const { secrets, platformSecrets } = this.containerSecrets(props, config.secretEnvNames);
    const platformEnvironment = containerEnvironment(props, Stack.of(this).region, props.logLevel ?? defaults.litellmLog, sizing.workers);
    const environment = { ...platformEnvironment, ...rendered.environment };
    validateEnvironment(props, config, new Set([...platformSecrets, ...Object.keys(environment), CONFIG_ENV]));
    const boundImage = image.bind(this);
    const metricsPort = metricsOn ? props.metrics?.port ?? 9090 : undefined;
    this.container = this.addContainers(boundImage, props.network.containerPort, sizing.workers, secrets,
      { ...props.environment, ...environment }, props.database.caCertificatePemFor(this), metricsPort);
    if (metricsOn) {
      this.metrics = new LiteLlmMetrics(this, 'Metrics', {
        ...props.metrics,
        taskDefinition: this.taskDefinition,
        logGroup: this.logGroup,
        clusterName: this.cluster.clusterName,
        servingPort: props.network.containerPort,
      });
    }
    this.migration = this.addMigration(props, boundImage, sizing.assignPublicIp, removalPolicy, logRetention);

    this.service = this.createService(props, sizing, props.fargateSpot ?? defaults.fargateSpot);
    this.connections = this.service.connections;
    const wired = [...platformSecrets, ...Object.keys(platformEnvironment)];
    this.openEgress(props.network, rendered.text, { ...props.environment, ...rendered.environment }, wired);
    // The WAF logs redact the key headers this config adds to LiteLLM's own.
    props.loadBalancer._redactHeaders(configKeyHeaders(rendered.text, { ...props.environment, ...rendered.environment }),
      'The config (`litellm_key_header_name`, `mcp_client_side_auth_header_name`, pass-through `litellm_user_api_key` headers)');
    this.addScaling(props, sizing);
    this.redeployAlarm = this.addRedeployOnRotation(props.security, removalPolicy, logRetention);
    this.acknowledgeFindings(containerInsights !== ecs.ContainerInsights.DISABLED, bedrockArns);

    const alarms = this.createAlarms(props.loadBalancer);
    this.cpuAlarm = alarms.cpu;
    this.memoryAlarm = alarms.memory;
    this.unhealthyHostsAlarm = alarms.unhealthyHosts;
  }

  /**
   * Binds the callbacks (a bucket, grants) and renders the config with the values the platform
   * owns; returns it with the variables the callbacks need.
   */
  private renderConfig(config: LiteLlmConfig, props: LiteLlmServiceProps, requestTimeout: Duration, removalPolicy: RemovalPolicy, metrics: boolean): {
    text: string; environment: { [name: string]: string }; bucket?: s3.IBucket;
  } {
    const callbacks = config.callbacks.map(c => c.bind(this, {
      encryptionKey: props.security.encryptionKey, role: this.taskDefinition.taskRole, removalPolicy,
    }));
    if (metrics) callbacks.push({ litellmSettings: { callbacks: [METRICS_CALLBACK] }, environment: {} });
    const buckets = callbacks.filter(c => c.bucket).map(c => c.bucket!);
    if (buckets.length > 1) {
      throw new Error('`config.callbacks` has LiteLlmCallback.s3Logging() twice: LiteLLM has one s3_callback_params; keep one');
    }
    const text = config.render({
      requestTimeoutSeconds: requestTimeout.toSeconds(),
      databaseConnectionPoolLimit: this.databaseConnectionPoolLimit,
      jsonLogs: true,
      sharedState: props.cache && {
        responseCacheTtlSeconds: props.cache.responseCaching ? Math.ceil(props.cache.responseCacheTtl.toSeconds({ integral: false })) : undefined,
      },
      callbacks,
      trustedProxyCidrs: trustedProxyCidrs(props.network.vpc),
      // Not behind a proxy (`publicUrl`): every client behind it would share its address's limit.
      limitSignInsPerAddress: (props.loadBalancer.loadBalancer.node.defaultChild as elbv2.CfnLoadBalancer).scheme !== 'internal'
        && !props.loadBalancer._behindProxy,
    });
    validatePrometheusCallback(text, metrics);
    return { text, environment: Object.assign({}, ...callbacks.map(c => c.environment)), bucket: buckets[0] };
  }

  /**
   * The service security group lets tasks out on 443 only (besides the database and the
   * cache): open each other port a model, callback or setting of the config calls, one rule
   * per run of adjacent ports, in this stack, so the rule comes and goes with the config that needs it.
   */
  private openEgress(network: LiteLlmNetwork, config: string, environment: { [name: string]: string }, wired: string[]): void {
    const ranges = egressRanges(egressPorts(config, environment));
    if (ranges.length > MAX_CONFIG_EGRESS_RULES) {
      throw new Error(`the config calls ${ranges.length} separate port ranges other than 443 (${ranges.map(r => (r.fromPort === r.toPort ? r.fromPort : `${r.fromPort}-${r.toPort}`)).join(', ')}), `
        + `over the ${MAX_CONFIG_EGRESS_RULES} egress rules the service security group has room for (a security group holds 60 outbound rules, `
        + `the platform uses ${PLATFORM_EGRESS_RULES}): serve those endpoints on 443 or on adjacent ports (one rule opens a run of adjacent ports), or put them behind one proxy`);
    }
    for (const egress of ranges) {
      const rule = {
        groupId: network.serviceSecurityGroup.securityGroupId,
        ipProtocol: 'tcp',
        fromPort: egress.fromPort,
        toPort: egress.toPort,
        description: egressRuleDescription(egress),
      };
      const id = `Egress${egress.fromPort}${egress.toPort === egress.fromPort ? '' : `to${egress.toPort}`}`;
      new ec2.CfnSecurityGroupEgress(this, id, { ...rule, cidrIp: '0.0.0.0/0' });
      // Tasks with an IPv6 address try AAAA first: a dropped packet would stall each call.
      if (network.dualStack) new ec2.CfnSecurityGroupEgress(this, `${id}Ipv6`, { ...rule, cidrIpv6: '::/0' });
    }
    // The database and the cache, which the platform wires and opens itself, are not the user's to open.
    const unresolved = unresolvedEndpoints(config, environment, wired);
    if (unresolved.length > 0) {
      Annotations.of(this).addWarningV2('cdk-litellm:egressUnresolved',
        `${unresolved.join(', ')} ${unresolved.length === 1 ? 'is' : 'are'} only known at deploy or run time, so no egress rule is opened for `
        + `${unresolved.length === 1 ? 'it' : 'them'}: tasks reach 443 only; for another port add a rule to \`network.serviceSecurityGroup\``);
    }
  }

  /** Checks what can be checked at synth: sizes, capacities, timeouts, subnets and egress. */
  private validate(props: LiteLlmServiceProps, config: LiteLlmConfig, sizing: Sizing, image: LiteLlmImage, production: boolean): void {
    const { memory, workers, minCapacity, maxCapacity, requestTimeout, assignPublicIp } = sizing;
    validateProviderKeys(config.secretEnvNames, props.security);
    if (config.replacedFileKeys.length > 0) {
      Annotations.of(this).addWarningV2('cdk-litellm:configFileKeysReplaced',
        `\`config.configFile\` sets ${config.replacedFileKeys.join(', ')}, which the platform owns: the platform's values replace them`);
    }
    check(memory, m => m >= 2048, m => `\`memoryLimitMiB\` (${m}) is too low: LiteLLM needs 2048 MiB or more per task`);
    if (!Token.isUnresolved(memory) && !Token.isUnresolved(workers) && memory < 4096 * workers) {
      Annotations.of(this).addWarningV2('cdk-litellm:memoryPerWorker',
        `\`memoryLimitMiB\` (${memory}) is below 4096 per worker (${workers} × 4096 = ${4096 * workers}), LiteLLM's production sizing: one large request can run a task out of memory. Raise memoryLimitMiB or lower numWorkers`);
    }
    check(minCapacity, n => Number.isInteger(n) && n >= 1, n => `\`minCapacity\` (${n}) must be an integer >= 1: keep at least one task running`);
    check(maxCapacity, n => Number.isInteger(n) && n >= minCapacity,
      n => `\`maxCapacity\` (${n}) must be >= \`minCapacity\` (${minCapacity}): raise maxCapacity or lower minCapacity`);
    const idleSeconds = props.loadBalancer.idleTimeout.toSeconds();
    check(requestTimeout.toSeconds(), s => Token.isUnresolved(idleSeconds) || s <= idleSeconds,
      s => `\`requestTimeout\` (${s} s) exceeds the load balancer's idle timeout (${props.loadBalancer.idleTimeout.toSeconds()} s): streams would be cut; raise \`idleTimeout\` or lower requestTimeout`);
    if (assignPublicIp && (production || props.network.natGateways > 0)) {
      throw new Error('`assignPublicIp` (true) is only for a DEVELOPMENT platform whose VPC has no NAT gateway: remove it and keep tasks in private subnets');
    }
    const collectorFromPublicRegistry = (props.metrics?.enabled ?? production) && props.metrics?.collectorImage === undefined;
    if (!assignPublicIp && props.network.natGateways === 0) validateEgress(Stack.of(this), props, config, image, collectorFromPublicRegistry);
    if (props.network.natGateways === 0) validateDatabaseStepEndpoints(props);
  }

  /** The task role may invoke the configured Bedrock models and nothing else; returns the ARNs. */
  private grantBedrock(models: LiteLlmModel[]): string[] {
    const bedrockArns = bedrockInvokeArns(Stack.of(this), models);
    if (bedrockArns.length > 0) {
      this.taskDefinition.addToTaskRolePolicy(new iam.PolicyStatement({
        sid: 'InvokeConfiguredBedrockModels',
        actions: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
        resources: bedrockArns,
      }));
    }
    return bedrockArns;
  }

  /**
   * The migration step, in the tasks' subnets and security group, with the variables that
   * decide how LiteLLM starts (the region, its offline copies) but not the config.
   */
  private addMigration(
    props: LiteLlmServiceProps, image: ecs.ContainerImage, assignPublicIp: boolean, removalPolicy: RemovalPolicy, logRetention: logs.RetentionDays,
  ): LiteLlmMigration {
    return new LiteLlmMigration(this, 'Migration', {
      cluster: this.cluster,
      image,
      database: props.database,
      vpc: props.network.vpc,
      vpcSubnets: assignPublicIp ? { subnetType: ec2.SubnetType.PUBLIC } : privateSubnetsOf(props.network.vpc),
      securityGroup: props.network.serviceSecurityGroup,
      logGroup: this.logGroup,
      encryptionKey: props.security.encryptionKey,
      assignPublicIp,
      cpuArchitecture: props.cpuArchitecture,
      // The settings of `environment` that act only while LiteLLM migrates (private/migration-settings.ts).
      environment: { ...migrationSettings(props.environment), LITELLM_MODE: 'PRODUCTION', ...LOCAL_COPIES, AWS_REGION: Stack.of(this).region },
      removalPolicy,
      logRetention,
    });
  }

  /** The Fargate service in the target group, after the secrets are ready and the cluster's capacity providers exist. */
  private createService(props: LiteLlmServiceProps, sizing: Sizing, fargateSpot: boolean): ecs.FargateService {
    const service = new ecs.FargateService(this, 'Service', {
      cluster: this.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: sizing.minCapacity,
      securityGroups: [props.network.serviceSecurityGroup],
      vpcSubnets: sizing.assignPublicIp
        ? { subnetType: ec2.SubnetType.PUBLIC }
        : privateSubnetsOf(props.network.vpc),
      assignPublicIp: sizing.assignPublicIp,
      capacityProviderStrategies: [{ capacityProvider: fargateSpot ? 'FARGATE_SPOT' : 'FARGATE', weight: 1 }],
      circuitBreaker: { enable: true, rollback: true },
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      // ECS spreads a service's Fargate tasks over the AZs of its subnets; with this it also
      // moves them back after an AZ recovers, so two tasks end up in two AZs again.
      availabilityZoneRebalancing: ecs.AvailabilityZoneRebalancing.ENABLED,
      healthCheckGracePeriod: Duration.seconds(600),
      enableExecuteCommand: false,
    });
    service.attachToApplicationTargetGroup(props.loadBalancer.targetGroup);
    service.node.addDependency(props.security.secretsReady);
    // Both containers log in as the database role this step creates.
    props.database.grantConnect(this.taskDefinition.taskRole);
    service.node.addDependency(props.database.proxyUser);
    // No task of a new revision starts before the schema it expects.
    service.node.addDependency(this.migration.resource);
    // The cluster's capacity-provider association is added at synth (by an aspect):
    // depending on the whole cluster orders the service after it on create and before
    // it on delete, when ECS refuses to remove a capacity provider a service still uses.
    service.node.addDependency(this.cluster);
    return service;
  }

  /**
   * LiteLLM's production guide: scale on CPU at about 60 %, never on memory, which rises
   * after one large request and stays up, so a memory target would never scale in.
   */
  private addScaling(props: LiteLlmServiceProps, sizing: Sizing): void {
    const scaling = this.service.autoScaleTaskCount({ minCapacity: sizing.minCapacity, maxCapacity: sizing.maxCapacity });
    const cooldowns = { scaleInCooldown: Duration.seconds(300), scaleOutCooldown: Duration.seconds(60) };
    scaling.scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: 60, ...cooldowns });
    if (props.requestsPerTarget !== undefined) {
      check(props.requestsPerTarget, n => Number.isInteger(n) && n >= 1,
        n => `\`requestsPerTarget\` (${n}) must be an integer >= 1 (requests per task per minute)`);
      scaling.scaleOnRequestCount('Requests', { requestsPerTarget: props.requestsPerTarget, targetGroup: props.loadBalancer.targetGroup, ...cooldowns });
    }
    if (props.tokensPerTarget !== undefined) {
      check(props.tokensPerTarget, n => Number.isInteger(n) && n >= 1,
        n => `\`tokensPerTarget\` (${n}) must be an integer >= 1 (input and output tokens per task per minute)`);
      if (!this.metrics) {
        throw new Error('`tokensPerTarget` scales on LiteLLM\'s token metrics, but `metrics` is off (the DEVELOPMENT default): set `metrics: { enabled: true }` or remove tokensPerTarget');
      }
      scaleOnTokens(this, scaling, this.metrics, props.tokensPerTarget, cooldowns);
    }
  }

  /** cdk-nag acknowledgements of the task definition, its roles and the cluster, each with its reason. */
  private acknowledgeFindings(containerInsights: boolean, bedrockArns: string[]): void {
    acknowledge(this.taskDefinition.taskRole, 'NIST.800.53.R5-IAMNoInlinePolicy', INLINE_POLICY_REASON);
    acknowledge(this.taskDefinition.obtainExecutionRole(), 'NIST.800.53.R5-IAMNoInlinePolicy', INLINE_POLICY_REASON);
    if (pullsFromEcr(this.taskDefinition.obtainExecutionRole())) {
      acknowledge(this.taskDefinition.obtainExecutionRole(), 'AwsSolutions-IAM5[Resource::*]',
        'ecr:GetAuthorizationToken, which pulling an image from ECR needs, has no resource-level permissions; the pull itself is granted on the one repository.');
    }
    acknowledge(this.taskDefinition, 'AwsSolutions-ECS2',
      'The environment holds settings only (log level, mode, the rendered config without keys); every key and password is an ECS secret.');
    if (!containerInsights) {
      acknowledge(this.cluster, 'AwsSolutions-ECS4', 'Container Insights is off by choice (DEVELOPMENT profile or containerInsights: false).');
    }
    for (const arn of bedrockArns.filter(a => a.includes(':bedrock:*::foundation-model/'))) {
      acknowledge(this.taskDefinition.taskRole, `AwsSolutions-IAM5[Resource::${arn.replace(/^arn:[^:]+:/, 'arn:<AWS::Partition>:')}]`,
        'A cross-region inference profile routes to this one foundation model in several regions; the region is the only wildcard.');
    }
  }

  /** CPU, memory and unhealthy hosts alarms (LiteLLM's 5xx are the load balancer's: `LiteLlmLoadBalancer.target5xxAlarm`). */
  private createAlarms(lb: LiteLlmLoadBalancer): {
    cpu: cloudwatch.Alarm; memory: cloudwatch.Alarm; unhealthyHosts: cloudwatch.Alarm;
  } {
    const five = Duration.minutes(5);
    const cpu = this.service.metricCpuUtilization({ period: five }).createAlarm(this, 'CpuAlarm', {
      alarmDescription: 'LiteLLM tasks CPU above 85 % for 15 minutes',
      threshold: 85,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const memory = this.service.metricMemoryUtilization({ period: five }).createAlarm(this, 'MemoryAlarm', {
      alarmDescription: 'LiteLLM tasks memory above 90 % for 15 minutes',
      threshold: 90,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const unhealthyHosts = lb.metricUnhealthyHostCount({ period: Duration.minutes(1), statistic: 'Maximum' }).createAlarm(this, 'UnhealthyHostsAlarm', {
      alarmDescription: 'A LiteLLM task failed its load balancer health check for 3 minutes',
      threshold: 1,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    return { cpu, memory, unhealthyHosts };
  }

  /**
   * Every secret the proxy reads, as ECS secrets from secret fields; the execution role
   * may decrypt them.
   */
  private containerSecrets(props: LiteLlmServiceProps, providerKeys: string[]): {
    secrets: { [name: string]: ecs.Secret }; platformSecrets: string[];
  } {
    const security = props.security;
    const stack = Stack.of(this);
    const uiCredentials = secretFor(this, 'UiCredentialsSecret', security.uiCredentialsSecret);
    const secrets: { [name: string]: ecs.Secret } = {
      LITELLM_MASTER_KEY: ecs.Secret.fromSecretsManager(secretFor(this, 'MasterKeySecret', security.masterKeySecret)),
      LITELLM_SALT_KEY: ecs.Secret.fromSecretsManager(secretFor(this, 'SaltKeySecret', security.saltKeySecret)),
      UI_USERNAME: ecs.Secret.fromSecretsManager(uiCredentials, 'UI_USERNAME'),
      UI_PASSWORD: ecs.Secret.fromSecretsManager(uiCredentials, 'UI_PASSWORD'),
      ...props.cache?.containerSecrets(secretFor(this, 'CacheAuthSecret', props.cache.authSecret)),
    };
    const platformSecrets = Object.keys(secrets);
    if (providerKeys.length > 0) {
      const providerSecret = secretFor(this, 'ProviderKeysSecret', security.providerKeysSecret!);
      for (const name of providerKeys) {
        if (!(name in secrets)) secrets[name] = ecs.Secret.fromSecretsManager(providerSecret, name);
      }
    }

    // Across stacks the secrets' key is imported, and an imported key drops the
    // decrypt grant that reading a secret implies: grant it on the role itself.
    const secretKeys = [security.masterKeySecret, security.saltKeySecret, security.uiCredentialsSecret,
      ...(providerKeys.length > 0 ? [security.providerKeysSecret!] : []), ...(props.cache ? [props.cache.authSecret] : [])]
      .map(secret => secret.encryptionKey?.keyArn).filter((arn): arn is string => arn !== undefined);
    if (secretKeys.length > 0) {
      this.taskDefinition.obtainExecutionRole().addToPrincipalPolicy(new iam.PolicyStatement({
        sid: 'DecryptSecrets',
        actions: ['kms:Decrypt'],
        resources: [...new Set(secretKeys)],
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.amazonaws.com` } },
      }));
    }
    return { secrets, platformSecrets };
  }

  /**
   * Two containers from one image, started in order: `config` writes the rendered
   * config and the RDS CA to a task volume, `litellm` serves.
   */
  private addContainers(
    image: ecs.ContainerImage, port: number, workers: number, secrets: { [name: string]: ecs.Secret },
    environment: { [name: string]: string }, caCertificatePem: string, metricsPort?: number,
  ): ecs.ContainerDefinition {
    const logging = (prefix: string) => ecs.LogDrivers.awsLogs({ logGroup: this.logGroup, streamPrefix: prefix });
    // The image has no init: Prisma's query and schema engines are child processes of
    // the proxy, and an init reaps them when they exit.
    const linuxParameters = new ecs.LinuxParameters(this, 'LinuxParameters', { initProcessEnabled: true });

    // The config travels in the task definition, so a change is a new revision and a
    // rolling deploy, and deploying needs no image build. An init container from the
    // same image writes it to a task volume; the proxy keeps the image's entrypoint.
    const volume = 'litellm-config';
    this.taskDefinition.addVolume({ name: volume });
    const configDir = CONFIG_PATH.slice(0, CONFIG_PATH.lastIndexOf('/'));
    // The RDS CA the database is verified against travels the same way: no fetch at start.
    const write = (file: string, env: string) => `open(${JSON.stringify(file)}, "w").write(os.environ[${JSON.stringify(env)}])`;
    const init = this.taskDefinition.addContainer('config', {
      image,
      essential: false,
      entryPoint: ['python3', '-c'],
      command: [[
        `import os; ${write(CONFIG_PATH, CONFIG_ENV)}; ${write(CA_PATH, CA_ENV)}`,
        ...(metricsPort !== undefined ? [write(METRICS_MODULE_PATH, METRICS_MODULE_ENV)] : []),
      ].join('; ')],
      environment: {
        [CONFIG_ENV]: this.renderedConfig,
        [CA_ENV]: caCertificatePem,
        ...(metricsPort !== undefined ? { [METRICS_MODULE_ENV]: metricsModuleSource() } : {}),
      },
      logging: logging('config'),
    });
    init.addMountPoints({ containerPath: configDir, sourceVolume: volume, readOnly: false });

    const proxy = this.taskDefinition.addContainer('litellm', {
      image,
      essential: true,
      command: [
        '--config', CONFIG_PATH, '--port', String(port), '--num_workers', String(workers),
        // A process of its own serves the workers' merged samples there (proxy_cli.py:1577-1597).
        ...(metricsPort !== undefined ? ['--prometheus_metrics_port', String(metricsPort)] : []),
      ],
      portMappings: [{ containerPort: port, name: 'http' }],
      environment,
      secrets,
      linuxParameters,
      healthCheck: {
        // The image has python but no curl.
        command: ['CMD', 'python3', '-c', livelinessProbe(port)],
        interval: Duration.seconds(30),
        timeout: Duration.seconds(10),
        retries: 3,
        // Imports and the database pool, not migrations: the migration step ran before the deploy.
        startPeriod: Duration.seconds(180),
      },
      logging: logging('litellm'),
      stopTimeout: STOP_TIMEOUT,
    });
    proxy.addMountPoints({ containerPath: configDir, sourceVolume: volume, readOnly: true });
    proxy.addContainerDependencies({ container: init, condition: ecs.ContainerDependencyCondition.SUCCESS });
    return proxy;
  }

  /** The service alarms: CPU, memory, unhealthy hosts, redeploy errors. */
  public get alarms(): cloudwatch.IAlarm[] {
    return [this.cpuAlarm, this.memoryAlarm, this.unhealthyHostsAlarm, this.redeployAlarm];
  }

  /**
   * After the master key rotates, new tasks must read the new value: a rule on Secrets
   * Manager's RotationSucceeded event forces a rolling deployment (min healthy 100 %,
   * so no downtime). The database password's rotation concerns administrators only:
   * the tasks log in with IAM tokens.
   */
  private addRedeployOnRotation(security: LiteLlmSecurity, removalPolicy: RemovalPolicy, retention: logs.RetentionDays): cloudwatch.Alarm {
    const logGroup = new logs.LogGroup(this, 'RedeployFunctionLogs', {
      encryptionKey: security.encryptionKey,
      retention,
      removalPolicy,
    });
    const fn = new RedeployFunction(this, 'RedeployFunction', {
      description: 'Forces a new LiteLLM deployment after a master key rotation',
      timeout: Duration.minutes(1),
      environment: { CLUSTER_ARN: this.cluster.clusterArn, SERVICE_NAME: this.service.serviceName },
      logGroup,
      role: functionRole(this, 'RedeployFunctionRole', logGroup),
    });
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['ecs:UpdateService'], resources: [this.service.serviceArn] }));
    const alarm = anyErrorAlarm(this, 'RedeployErrorsAlarm', fn.metricErrors(),
      'Redeploying LiteLLM after a master key rotation failed: old tasks hold the previous key until they are replaced');
    acknowledgeFunction(fn, fn.role!,
      'Lambda first retries a failed invocation twice (an operator can then redeploy with `aws ecs update-service --force-new-deployment`)');
    new events.Rule(this, 'RedeployOnRotation', {
      description: 'Redeploy LiteLLM when its master key rotation succeeds',
      eventPattern: rotationSucceededPattern([security.masterKeySecret.secretArn]),
      targets: [new targets.LambdaFunction(fn, { retryAttempts: 4 })],
    });
    return alarm;
  }
}

/** Task size, capacities and timeouts after defaults. */
interface Sizing {
  readonly workers: number;
  readonly cpu: number;
  readonly memory: number;
  readonly minCapacity: number;
  readonly maxCapacity: number;
  readonly requestTimeout: Duration;
  readonly assignPublicIp: boolean;
}

function resolveSizing(props: LiteLlmServiceProps): Sizing {
  const workers = props.numWorkers ?? DEFAULT_NUM_WORKERS;
  check(workers, n => Number.isInteger(n) && n >= 1 && n <= 16,
    n => `\`numWorkers\` (${n}) must be an integer from 1 to 16: scale out with more tasks (maxCapacity) rather than more workers`);
  const size = fargateSize(workers, profileDefaults(props.profile).cpuPerWorker);
  const capacity = capacityOf(props.profile, props.minCapacity, props.maxCapacity);
  const requestTimeout = props.requestTimeout ?? Duration.seconds(600);
  if (Token.isUnresolved(requestTimeout.toSeconds())) {
    throw new Error('`requestTimeout` is a token: it is written into config.yaml at synth, so it must be a literal Duration');
  }
  return {
    workers,
    cpu: props.cpu ?? size.cpu,
    memory: props.memoryLimitMiB ?? size.memoryMiB,
    minCapacity: capacity.min,
    maxCapacity: capacity.max,
    requestTimeout,
    assignPublicIp: props.assignPublicIp ?? false,
  };
}

/** The proxy's settings as environment variables (never secrets). */
function containerEnvironment(props: LiteLlmServiceProps, region: string, logLevel: string, workers: number): { [name: string]: string } {
  const idleSeconds = props.loadBalancer.idleTimeout.toSeconds();
  if (Token.isUnresolved(idleSeconds)) {
    // CloudFormation has no arithmetic: idle + margin of a token is a meaningless number.
    throw new Error('`loadBalancer.idleTimeout` is a token: the tasks keep idle connections KEEPALIVE_TIMEOUT seconds, which must exceed it and is computed at synth. Give a literal Duration, e.g. Duration.seconds(600)');
  }
  return {
    LITELLM_MODE: 'PRODUCTION',
    LITELLM_LOG: logLevel,
    STORE_MODEL_IN_DB: 'True',
    ...LOCAL_COPIES,
    // IAM database authentication, over TLS: no password that a rotation could make stale.
    // The IAM token is a bearer password for 15 minutes: verify the server (chain and host
    // name) against RDS's CA before sending it. LiteLLM turns verify-full and the file into
    // Prisma's sslmode=require&sslcert=<file>&sslaccept=strict (litellm/proxy/db/db_url_settings.py:221-253, 420-437).
    ...props.database.containerEnvironment(CA_PATH),
    // Without it Python block-buffers stdout off a TTY and startup lines reach the logs late or never.
    PYTHONUNBUFFERED: '1',
    AWS_REGION: region,
    // The migration step has migrated before the service changes; a serving proxy that
    // migrated would also build the request-log indexes (proxy_cli.py:1509-1517)
    // (litellm/proxy/db/prisma_client.py:1108-1132, proxy_cli.py:1486-1487).
    DISABLE_SCHEMA_UPDATE: 'true',
    // On SIGTERM LiteLLM finishes open requests for this long (default 30 s:
    // litellm/proxy/graceful_shutdown_manager.py:54-71); ECS kills at the stop timeout.
    GRACEFUL_SHUTDOWN_TIMEOUT: String(STOP_TIMEOUT.toSeconds() - 10),
    // uvicorn closes an idle keep-alive connection after 5 s unless told otherwise
    // (proxy_cli.py:328-329, 980-984); the load balancer reuses it for its idle timeout, and
    // a target that closes first answers the next request on it with a 502. Outlast the ALB.
    KEEPALIVE_TIMEOUT: String(idleSeconds + KEEPALIVE_MARGIN_SECONDS),
    // The public origin: LiteLLM builds the admin UI's redirects from it and marks its cookies
    // Secure when it is https (proxy/utils.py:9362-9368, proxy/auth/ip_address_utils.py:200-227).
    PROXY_BASE_URL: props.loadBalancer.url,
    // With several workers uvicorn restarts one that misses a 5 s health ping, and a new
    // worker spends longer than that importing LiteLLM: it would restart forever
    // (litellm/proxy/proxy_cli.py:300-335, 987-995).
    ...(workers > 1 ? { TIMEOUT_WORKER_HEALTHCHECK: '60' } : {}),
    ...props.cache?.containerEnvironment(),
  };
}

/**
 * Private tasks without NAT reach only what VPC endpoints serve: every model and the
 * image must be reachable that way, and the endpoints must be on.
 */
function validateEgress(
  stack: Stack, props: LiteLlmServiceProps, config: LiteLlmConfig, image: LiteLlmImage, collectorFromPublicRegistry: boolean,
): void {
  const models = config.models;
  // The bedrock-runtime endpoint serves the stack's region only.
  const otherRegion = (m: LiteLlmModel) => m.bedrockRegion !== undefined && !Token.isUnresolved(m.bedrockRegion)
    && !Token.isUnresolved(stack.region) && m.bedrockRegion !== stack.region;
  const needing = models.filter(m => m.needsInternet || otherRegion(m)).map(m => m.name);
  const what = needing.length > 0 ? `models ${needing.join(', ')} need`
    : config.callbacks.some(c => c.needsInternet) ? 'a callback (Langfuse Cloud) needs'
      : image.needsInternet ? 'the image from a public registry needs' : undefined;
  if (what) {
    throw new Error(`${what} internet egress, but \`natGateways\` is 0 and tasks run in private subnets: set natGateways to 1, or use Bedrock models and an ECR image (LiteLlmImage.fromEcrRepository)`);
  }
  if (collectorFromPublicRegistry) {
    throw new Error(`the metrics collector's image (${LiteLlmMetrics.DEFAULT_COLLECTOR_IMAGE}, Amazon ECR Public) needs internet egress, but \`natGateways\` is 0 and tasks run `
      + 'in private subnets: copy it to your ECR and pass `metrics.collectorImage` (ecs.ContainerImage.fromEcrRepository), set natGateways to 1, or turn `metrics` off');
  }
  if (props.network.vpcImported) return;
  const endpoints = props.network.vpcEndpoints;
  const off = [
    ...(endpoints.ecrApi && endpoints.s3 ? [] : ['ecr and s3 (the image pull)']),
    ...(endpoints.secretsManager ? [] : ['secretsManager (the task\'s secrets)']),
    ...(endpoints.logs ? [] : ['logs (the container log)']),
    ...(models.some(m => m.provider === LiteLlmProvider.BEDROCK) && !endpoints.bedrockRuntime ? ['bedrockRuntime (the Bedrock models)'] : []),
  ];
  if (off.length > 0) {
    throw new Error(`\`natGateways\` is 0 and tasks run in private subnets, so they reach AWS only through VPC endpoints, but \`endpoints\` has no ${off.join(', ')}: turn them on, or set natGateways to 1`);
  }
}

/**
 * A raw `prometheus` callback would register LiteLLM's metrics a second time beside the
 * platform's (prometheus_client refuses a name twice) and mount `/metrics`, without
 * authentication, on the port the load balancer serves (proxy/proxy_server.py:6605-6612).
 */
function validatePrometheusCallback(text: string, metrics: boolean): void {
  const settings = YAML.parse(text)?.litellm_settings ?? {};
  const named: unknown[] = ['callbacks', 'success_callback', 'failure_callback'].flatMap(k => ([] as unknown[]).concat(settings[k] ?? []));
  if (named.includes('prometheus')) {
    throw new Error(metrics
      ? '`litellm_settings` names the `prometheus` callback, but `metrics` already registers LiteLLM\'s Prometheus metrics, on their own port: remove it'
      : '`litellm_settings` names the `prometheus` callback, which serves /metrics on the port the load balancer serves to any valid key, so every tenant would read every team\'s series: '
        + 'remove it and turn `metrics` on (the same metrics on their own port, in CloudWatch)');
  }
}

/**
 * Database settings LiteLLM would read besides the ones the service sets: a URL or a
 * password (its password path) or a schema (the proxy's role owns only `public`).
 */
const DATABASE_OVERRIDES = ['DATABASE_URL', 'DATABASE_PASSWORD', 'DATABASE_SCHEMA'];

/**
 * Without NAT, the database-role step (a function in the private subnets, whatever the
 * tasks do) reaches Secrets Manager and CloudFormation's response URL (S3) only through
 * VPC endpoints; without them it never answers and the deploy fails after 5 minutes.
 */
function validateDatabaseStepEndpoints(props: LiteLlmServiceProps): void {
  if (props.network.vpcImported) return;
  const endpoints = props.network.vpcEndpoints;
  const off = [...(endpoints.secretsManager ? [] : ['secretsManager']), ...(endpoints.s3 ? [] : ['s3'])];
  if (off.length > 0) {
    throw new Error(`\`natGateways\` is 0, so the step that creates the proxy's database role (a function in the private subnets) reaches Secrets Manager and CloudFormation (through S3) only through VPC endpoints, but \`endpoints\` has no ${off.join(', ')}: turn them on, or set natGateways to 1`);
  }
}

function livelinessProbe(port: number): string {
  return `import sys, urllib.request; sys.exit(0 if urllib.request.urlopen("http://127.0.0.1:${port}/health/liveliness", timeout=5).status == 200 else 1)`;
}

/**
 * Neither a provider key (a model's, a callback's or a setting's) nor `environment` may
 * take a name the service sets itself (`platform`), and `environment` may not shadow a
 * provider key either.
 */
function validateEnvironment(props: LiteLlmServiceProps, config: LiteLlmConfig, platform: Set<string>): void {
  const taken = (n: string) => platform.has(n) || DATABASE_OVERRIDES.includes(n);
  for (const model of config.models) {
    const name = model.secretEnvNames.find(taken);
    if (name) {
      throw new Error(`model "${model.name}" reads its key from ${name}, which the service sets itself: give the key another environment variable name`);
    }
  }
  // LiteLLM reads os.environ/NAME from the task's environment (litellm/proxy/proxy_server.py:5860-5900):
  // a NAME nothing sets would reach the provider call as nothing.
  const provided = (n: string) => config.secretEnvNames.includes(n) || props.environment?.[n] !== undefined || platform.has(n);
  for (const model of config.models) {
    for (const [param, value] of Object.entries(model.litellmParams)) {
      const unset = envReferences(value).find(n => !provided(n));
      if (unset !== undefined) {
        throw new Error(`model "${model.name}": \`litellmParams.${param}\` reads os.environ/${unset}, which nothing sets in the task: `
          + `list "${unset}" in \`secretEnvNames\` (a field of the provider keys secret) or set it in \`service.environment\``);
      }
    }
  }
  const name = config.secretEnvNames.find(taken);
  if (name) {
    throw new Error(`\`config\` reads os.environ/${name} as a provider key, but the service sets ${name} itself: give the key another environment variable name`);
  }
  for (const env of Object.keys(props.environment ?? {})) {
    if (DATABASE_OVERRIDES.includes(env)) {
      throw new Error(`\`environment\` sets ${env}: the proxy reaches the database as litellm_proxy with IAM tokens, from which LiteLLM builds the URL itself (DATABASE_HOST, DATABASE_PORT, DATABASE_USER, DATABASE_NAME). Remove it`);
    }
    if (platform.has(env) || config.secretEnvNames.includes(env)) {
      throw new Error(`\`environment\` sets ${env}, which the service sets itself${env === 'LITELLM_LOG' ? ' (use `logLevel`)' : ''}: remove it`);
    }
  }
}

/**
 * Without a cache, LiteLLM keeps rate limits, router cooldowns and its response cache
 * in each process: with several, every limit is multiplied by their number.
 */
function warnIfStateIsPerProcess(scope: Construct, cache: LiteLlmCache | undefined, maxCapacity: number, workers: number): void {
  if (cache || Token.isUnresolved(maxCapacity) || Token.isUnresolved(workers)) return;
  const processes = maxCapacity * workers;
  if (processes <= 1) return;
  Annotations.of(scope).addWarningV2('cdk-litellm:stateIsPerProcess',
    `up to ${processes} LiteLLM processes (maxCapacity ${maxCapacity} × numWorkers ${workers}, twice that during a deploy) and no cache: `
    + 'rate limits (rpm, tpm and parallel requests per key, team and model), router cooldowns and the response cache are kept per process, '
    + `so every limit is multiplied by up to ${processes}. Add a cache (LiteLlmPlatform: remove \`cache.enabled: false\`; LiteLlmService: pass \`cache\`), or set maxCapacity and numWorkers to 1`);
}

function validateProviderKeys(needed: string[], security: LiteLlmSecurity): void {
  if (needed.length > 0 && !security.providerKeysSecret) {
    throw new Error(`models need provider keys (${needed.join(', ')}) but the security has no provider keys secret: pass \`providerKeyNames\` or \`providerKeysSecret\` to LiteLlmSecurity`);
  }
  const missing = needed.filter(n => !security.providerKeyNames.includes(n));
  if (missing.length > 0 && security.providerKeyNames.length > 0) {
    throw new Error(`the provider keys secret has no field for ${missing.join(', ')}: add them to LiteLlmSecurity's \`providerKeyNames\``);
  }
}

function poolLimit(database: LiteLlmDatabase, maxCapacity: number, workers: number, explicit?: number): number {
  if (explicit !== undefined && Token.isUnresolved(explicit)) {
    throw new Error('`databaseConnectionPoolLimit` is a token: it is written into config.yaml at synth, so it must be a literal number');
  }
  if (Token.isUnresolved(maxCapacity) || Token.isUnresolved(workers)) {
    if (explicit !== undefined) return explicit;
    throw new Error('`maxCapacity` or `numWorkers` is a token, so the database pool cannot be sized at synth: set `databaseConnectionPoolLimit` to a literal');
  }
  // Rolling deploys run up to twice the tasks (max healthy 200 %).
  const pools = maxCapacity * 2 * workers;
  const available = database.maxConnections - RESERVED_CONNECTIONS;
  if (explicit !== undefined) {
    check(explicit, n => Number.isInteger(n) && n >= 1, n => `\`databaseConnectionPoolLimit\` (${n}) must be an integer >= 1`);
    if (explicit * pools > available) {
      throw new Error(`\`databaseConnectionPoolLimit\` (${explicit}) × ${pools} pools (maxCapacity ${maxCapacity} × 2 during deploys × ${workers} workers) = ${explicit * pools} exceeds the database's ${available} usable connections (max_connections ${database.maxConnections} - ${RESERVED_CONNECTIONS}): lower it, lower maxCapacity or numWorkers, or choose a larger database instanceType`);
    }
    return explicit;
  }
  const derived = Math.min(Math.floor((available * 0.9) / pools), 20);
  if (derived < 2) {
    throw new Error(`\`maxCapacity\` (${maxCapacity}) × 2 during deploys × \`numWorkers\` (${workers}) = ${pools} connection pools leave fewer than 2 connections each of the database's ${available} usable connections: lower maxCapacity or numWorkers, or choose a larger database instanceType`);
  }
  return derived;
}

/**
 * Where X-Forwarded-* headers may come from: the VPC's CIDR when synth knows it, else the
 * private ranges a VPC can use. Either way only the load balancer reaches the tasks' port
 * (the service security group admits it alone), so the headers a task trusts are the ALB's;
 * a literal keeps the config free of deploy-time values (it travels as one string).
 */
function trustedProxyCidrs(vpc: ec2.IVpc): string[] {
  const cidr = vpc.vpcCidrBlock;
  if (Token.isUnresolved(cidr)) return ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10'];
  // An imported VPC's subnets may lie in a secondary CIDR block: a load balancer there would not
  // be trusted, and LiteLLM would take its own (private) address for the client's, which MCP
  // counts as internal (ip_address_utils.py:344-350).
  const outside = [...vpc.publicSubnets, ...vpc.privateSubnets, ...vpc.isolatedSubnets].flatMap(subnet => {
    try {
      return [subnet.ipv4CidrBlock];
    } catch {
      return []; // imported without its CIDR (fromVpcAttributes)
    }
  }).filter(block => !Token.isUnresolved(block) && !ipv4CidrWithin(block, cidr));
  return [...new Set([cidr, ...outside])];
}
