import { Duration, aws_cloudwatch as cloudwatch, aws_ec2 as ec2, aws_elasticloadbalancingv2 as elbv2 } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { LiteLlmCache, LiteLlmCacheOptions } from './cache';
import { LiteLlmConfig, LiteLlmConfigOptions } from './config';
import { LiteLlmDatabase, LiteLlmDatabaseOptions } from './database';
import { LiteLlmImage } from './image';
import { LiteLlmLoadBalancer, LiteLlmLoadBalancerOptions } from './load-balancer';
import { LiteLlmMetrics, LiteLlmMetricsOptions } from './metrics';
import { LiteLlmModel, LiteLlmProvider } from './models';
import { LiteLlmMonitoring, LiteLlmMonitoringOptions } from './monitoring';
import { LiteLlmNetwork, LiteLlmNetworkOptions } from './network';
import { LiteLlmOutputs } from './outputs';
import { DEFAULT_NUM_WORKERS, capacityOf, interfaceEndpointsByDefault, profileDefaults } from './private/defaults';
import { DeploymentProfile } from './profile';
import { LiteLlmSecurity, LiteLlmSecurityOptions } from './security';
import { LiteLlmService, LiteLlmServiceOptions } from './service';

/**
 * Properties of a `LiteLlmPlatform`.
 */
export interface LiteLlmPlatformProps {
  /**
   * The models the proxy serves. Several with the same `name` are one model group
   * LiteLLM load-balances. May be empty when `config.configFile` brings the models.
   */
  readonly models: LiteLlmModel[];
  /**
   * LiteLLM's config beyond the models: routing strategy, fallbacks, retries, callbacks,
   * raw `litellm_settings` / `general_settings` / `router_settings`, a team's config.yaml.
   *
   * @default - the platform's defaults
   */
  readonly config?: LiteLlmConfigOptions;
  /**
   * Defaults for everything not set explicitly.
   *
   * @default DeploymentProfile.DEVELOPMENT
   */
  readonly profile?: DeploymentProfile;
  /**
   * An existing VPC with public and private subnets in two AZs.
   *
   * @default - a new VPC
   */
  readonly vpc?: ec2.IVpc;
  /**
   * The LiteLLM image.
   *
   * @default LiteLlmImage.fromRegistry()
   */
  readonly image?: LiteLlmImage;
  /**
   * Network settings.
   *
   * @default - see `LiteLlmNetworkOptions`
   */
  readonly network?: LiteLlmNetworkOptions;
  /**
   * Key and secret settings.
   *
   * @default - see `LiteLlmSecurityOptions`
   */
  readonly security?: LiteLlmSecurityOptions;
  /**
   * Database settings.
   *
   * @default - see `LiteLlmDatabaseOptions`
   */
  readonly database?: LiteLlmDatabaseOptions;
  /**
   * Load balancer settings.
   *
   * @default - see `LiteLlmLoadBalancerOptions`
   */
  readonly loadBalancer?: LiteLlmLoadBalancerOptions;
  /**
   * Service settings.
   *
   * @default - see `LiteLlmServiceOptions`
   */
  readonly service?: LiteLlmServiceOptions;
  /**
   * Monitoring settings.
   *
   * @default - see `LiteLlmMonitoringOptions`
   */
  readonly monitoring?: LiteLlmMonitoringOptions;
  /**
   * The cache LiteLLM's processes share rate limits, router state and (optionally)
   * cached responses through.
   *
   * @default - a cache whenever more than one LiteLLM process can serve at once (`service.maxCapacity` > 1 or `service.numWorkers` > 1): by default in PRODUCTION, not in DEVELOPMENT (one task, one worker)
   */
  readonly cache?: LiteLlmCacheOptions;
  /**
   * LiteLLM's own metrics per model group in CloudWatch (requests, failures, fallbacks,
   * cooldowns, latency, tokens, spend), with an alarm per model group and a dashboard row.
   *
   * @default - on in PRODUCTION, off in DEVELOPMENT
   */
  readonly metrics?: LiteLlmMetricsOptions;
}

/**
 * A production LiteLLM proxy on AWS in one construct: KMS and Secrets Manager with
 * rotation, a VPC with endpoints, an ALB, RDS PostgreSQL, an autoscaled ECS Fargate
 * service, alarms and a dashboard.
 */
export class LiteLlmPlatform extends Construct implements ec2.IConnectable {
  /** Key and secrets. */
  public readonly security: LiteLlmSecurity;
  /** VPC, endpoints and security groups. */
  public readonly network: LiteLlmNetwork;
  /** The load balancer. */
  public readonly loadBalancer: LiteLlmLoadBalancer;
  /** The database. */
  public readonly database: LiteLlmDatabase;
  /** The ECS service. */
  public readonly service: LiteLlmService;
  /** The cache, when the platform has one. */
  public readonly cache?: LiteLlmCache;
  /** Alarm topic and dashboard. */
  public readonly monitoring: LiteLlmMonitoring;
  /** Base URL of the proxy. */
  public readonly url: string;
  /** Network connections of the LiteLLM tasks. */
  public readonly connections: ec2.Connections;
  /**
   * The stack outputs under stable keys that start with this construct's id (letters
   * and digits only): `LiteLlmUrl`, `LiteLlmMasterKeySecretArn`… for the id `LiteLlm`.
   */
  public readonly outputs: LiteLlmOutputs;

  constructor(scope: Construct, id: string, props: LiteLlmPlatformProps) {
    super(scope, id);
    const profile = props.profile ?? DeploymentProfile.DEVELOPMENT;
    const config = LiteLlmConfig.load(props.models, props.config);
    const usesBedrock = config.models.some(m => m.provider === LiteLlmProvider.BEDROCK);
    const image = props.image ?? LiteLlmImage.fromRegistry();
    // The endpoints the tasks would use: bedrock-runtime for Bedrock models, ECR for an image in ECR.
    const interfaceEndpoints = props.vpc === undefined
      && interfaceEndpointsByDefault(profile, props.network?.natGateways ?? profileDefaults(profile).natGateways);
    if (props.loadBalancer?.dualStack === true && props.network?.dualStack === false) {
      throw new Error('`loadBalancer.dualStack` is true but `network.dualStack` is false: a dual-stack load balancer needs subnets with IPv6 CIDRs. Set `network.dualStack` to true (or leave it unset)');
    }

    this.security = new LiteLlmSecurity(this, 'Security', {
      ...props.security,
      profile,
      providerKeyNames: config.secretEnvNames,
    });
    this.network = new LiteLlmNetwork(this, 'Network', {
      ...props.network,
      internal: props.network?.internal ?? props.loadBalancer?.internal,
      dualStack: props.network?.dualStack ?? props.loadBalancer?.dualStack,
      endpoints: {
        bedrockRuntime: interfaceEndpoints && usesBedrock,
        ecr: interfaceEndpoints && !image.needsInternet,
        ...props.network?.endpoints,
      },
      vpc: props.vpc,
      encryptionKey: this.security.encryptionKey,
      profile,
    });
    this.loadBalancer = new LiteLlmLoadBalancer(this, 'LoadBalancer', {
      ...props.loadBalancer,
      internal: props.loadBalancer?.internal ?? props.network?.internal,
      dualStack: props.loadBalancer?.dualStack ?? this.network.dualStack,
      vpc: this.network.vpc,
      securityGroup: this.network.loadBalancerSecurityGroup,
      containerPort: this.network.containerPort,
      encryptionKey: this.security.encryptionKey,
      profile,
    });
    this.database = new LiteLlmDatabase(this, 'Database', {
      ...props.database,
      vpc: this.network.vpc,
      securityGroup: this.network.databaseSecurityGroup,
      rotationSecurityGroup: this.network.rotationSecurityGroup,
      encryptionKey: this.security.encryptionKey,
      profile,
    });
    // The database-role step reads the master secret and answers CloudFormation through S3:
    // without a NAT gateway only the endpoints carry that, so they must outlive it on delete.
    this.database.addProxyUserDependency(...this.network.node.children.filter(c =>
      c instanceof ec2.GatewayVpcEndpoint || c instanceof ec2.InterfaceVpcEndpoint));
    const tasks = capacityOf(profile, props.service?.minCapacity, props.service?.maxCapacity).max;
    const processes = tasks * (props.service?.numWorkers ?? DEFAULT_NUM_WORKERS);
    if (props.cache?.enabled ?? processes > 1) {
      this.cache = new LiteLlmCache(this, 'Cache', {
        ...props.cache,
        vpc: this.network.vpc,
        securityGroup: this.network.cacheSecurityGroup,
        encryptionKey: this.security.encryptionKey,
        profile,
      });
    }
    this.service = new LiteLlmService(this, 'Service', {
      ...props.service,
      metrics: props.metrics,
      cache: this.cache,
      models: props.models,
      config: props.config,
      image,
      network: this.network,
      security: this.security,
      database: this.database,
      loadBalancer: this.loadBalancer,
      profile,
    });
    this.monitoring = new LiteLlmMonitoring(this, 'Monitoring', {
      ...props.monitoring,
      encryptionKey: this.security.encryptionKey,
      service: this.service,
      database: this.database,
      loadBalancer: this.loadBalancer,
      cache: this.cache,
      additionalAlarms: [this.security.masterKeyRotationAlarm],
    });
    this.url = this.loadBalancer.url;
    this.connections = this.service.connections;

    this.outputs = new LiteLlmOutputs(this, 'Outputs', {
      prefix: id.replace(/[^A-Za-z0-9]/g, '') || 'LiteLlm',
      loadBalancer: this.loadBalancer,
      security: this.security,
      service: this.service,
      monitoring: this.monitoring,
      database: this.database,
    });
  }

  /** Requests the load balancer received (Sum, 5 minutes). */
  public metricRequestCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.loadBalancer.loadBalancer.metrics.requestCount({ period: Duration.minutes(5), ...props });
  }

  /** 5xx responses from LiteLLM (Sum, 5 minutes). */
  public metricTarget5xxCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.loadBalancer.loadBalancer.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period: Duration.minutes(5), ...props });
  }

  /** 5xx responses the load balancer generated itself, e.g. no healthy target (Sum, 5 minutes). */
  public metricLoadBalancer5xxCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.loadBalancer.loadBalancer.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { period: Duration.minutes(5), ...props });
  }

  /** Time LiteLLM takes to answer, in seconds (p99, 5 minutes). Streams count until the last byte. */
  public metricTargetResponseTime(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.loadBalancer.loadBalancer.metrics.targetResponseTime({ statistic: 'p99', period: Duration.minutes(5), ...props });
  }

  /** CPU utilization of the service (Average, 5 minutes). */
  public metricCpuUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.service.service.metricCpuUtilization({ period: Duration.minutes(5), ...props });
  }

  /** Memory utilization of the service (Average, 5 minutes). */
  public metricMemoryUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.service.service.metricMemoryUtilization({ period: Duration.minutes(5), ...props });
  }

  /** Attempts LiteLLM sent to a model group's deployments, retries included (Sum, 5 minutes). Needs `metrics`. */
  public metricModelRequests(modelGroup: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.gatewayMetrics('metricModelRequests').metricModelRequests(modelGroup, props);
  }

  /** Attempts that failed at a model group's deployments (Sum, 5 minutes). Needs `metrics`. */
  public metricModelFailures(modelGroup: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.gatewayMetrics('metricModelFailures').metricModelFailures(modelGroup, props);
  }

  /** Provider latency of a model group's requests, in seconds (Average, 5 minutes). Needs `metrics`. */
  public metricModelLatency(modelGroup: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.gatewayMetrics('metricModelLatency').metricModelLatency(modelGroup, props);
  }

  /** Input and output tokens, of one model group or of all (5 minutes). Needs `metrics`. */
  public metricTokens(modelGroup?: string, props?: cloudwatch.MathExpressionOptions): cloudwatch.MathExpression {
    return this.gatewayMetrics('metricTokens').metricTokens(modelGroup, props);
  }

  /** Connections to the database (Maximum, 5 minutes). */
  public metricDatabaseConnections(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.database.instance.metricDatabaseConnections({ statistic: 'Maximum', period: Duration.minutes(5), ...props });
  }

  private gatewayMetrics(method: string): LiteLlmMetrics {
    if (!this.service.metrics) {
      throw new Error(`\`${method}\` reads LiteLLM's own metrics, but \`metrics\` is off (the DEVELOPMENT default): set \`metrics: { enabled: true }\``);
    }
    return this.service.metrics;
  }
}
