import { Duration, RemovalPolicy, Stack, aws_cloudfront as cloudfront, aws_cloudwatch as cloudwatch, aws_iam as iam, aws_logs as logs, aws_ec2 as ec2, aws_elasticloadbalancingv2 as elbv2, aws_sns as sns } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { LiteLlmCache, LiteLlmPlatformCacheOptions } from './cache';
import { LiteLlmCloudFront, LiteLlmCloudFrontOptions } from './cloudfront';
import { LiteLlmConfig, LiteLlmConfigOptions } from './config';
import { LiteLlmDatabase, LiteLlmDatabaseOptions } from './database';
import { LiteLlmImage } from './image';
import { LiteLlmLoadBalancer, LiteLlmLoadBalancerOptions } from './load-balancer';
import { LiteLlmMetrics, LiteLlmServiceMetricsOptions } from './metrics';
import { LiteLlmModel } from './models';
import { LiteLlmMonitoring, LiteLlmMonitoringOptions } from './monitoring';
import { LiteLlmNetwork, LiteLlmNetworkOptions } from './network';
import { LiteLlmOutputs } from './outputs';
import { markFrontedByCloudFront } from './private/cloudfront-front';
import { cloudFrontEnabled } from './private/cloudfront-platform';
import { DEFAULT_NUM_WORKERS, capacityOf, interfaceEndpointsByDefault, profileDefaults } from './private/defaults';
import { LiteLlmDeploymentProfile } from './profile';
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
   * @default LiteLlmDeploymentProfile.DEVELOPMENT
   */
  readonly profile?: LiteLlmDeploymentProfile;
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
  readonly cache?: LiteLlmPlatformCacheOptions;
  /**
   * LiteLLM's own metrics per model group in CloudWatch (requests, failures, fallbacks,
   * cooldowns, latency, tokens, spend), with an alarm per model group and a dashboard row.
   *
   * @default - on in PRODUCTION, off in DEVELOPMENT
   */
  readonly metrics?: LiteLlmServiceMetricsOptions;
  /**
   * CloudFront in front of the load balancer: HTTPS for clients from the first deploy, without a
   * domain, and the load balancer internal, reachable through CloudFront's VPC origin only.
   *
   * @default - on in DEVELOPMENT unless `loadBalancer.internetFacing`, `allowedPeers`,
   * `domainName`, `domainZone`, `certificate`, `allowHttp` or `publicUrl` is set; off in PRODUCTION
   */
  readonly cloudFront?: LiteLlmCloudFrontOptions;
  /**
   * What happens on delete to what holds or unlocks the platform's data: the database
   * (`SNAPSHOT`, `RETAIN` or `DESTROY`), its credentials, the KMS key and the salt key; the
   * default of `database.removalPolicy` and `security.removalPolicy`. `DESTROY` suits
   * throwaway stacks (CI, experiments); other resources follow the profile.
   *
   * @default - the database keeps a final snapshot and the key and the salt key are retained, in both profiles
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Retention of every log group the platform creates (the service's container, migration
   * step and functions, the database's exports and functions, the master-key function, the
   * VPC's flow logs, the WAF's logs): the default of each block's `logRetention`. The load
   * balancer's access logs in S3 keep their own retention.
   *
   * @default - 14 days (DEVELOPMENT), 90 days (PRODUCTION)
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * A production LiteLLM proxy on AWS in one construct: KMS and Secrets Manager with
 * rotation, a VPC with endpoints, an ALB, RDS PostgreSQL, an autoscaled ECS Fargate
 * service, alarms and a dashboard.
 */
export class LiteLlmPlatform extends Construct implements ec2.IConnectable, iam.IGrantable {
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
  /** CloudFront in front of the load balancer, when `cloudFront` is on. */
  public readonly cloudFront?: LiteLlmCloudFront;
  /** The CloudFront distribution clients reach the proxy through, when `cloudFront` is on. */
  public readonly distribution?: cloudfront.IDistribution;
  /** Alarm topic and dashboard. */
  public readonly monitoring: LiteLlmMonitoring;
  /** The topic every alarm of the platform notifies (ALARM and OK): `monitoring.alarmTopic`. */
  public readonly alarmTopic: sns.ITopic;
  /**
   * LiteLLM's own metrics per model group (`metricModelRequests({ modelGroup })`…), when
   * `metrics` is on: `service.metrics`.
   */
  public readonly metrics?: LiteLlmMetrics;
  /** Base URL of the proxy: the distribution's with CloudFront, else the load balancer's. */
  public readonly url: string;
  /**
   * The load balancer's connections, with the listener's port (443 with a certificate, else
   * 80) as default: `platform.connections.allowDefaultPortFrom(client)` lets a client call the
   * proxy through HTTPS and WAF. The tasks' own are `service.connections`.
   */
  public readonly connections: ec2.Connections;
  /**
   * The stack outputs under stable keys that start with this construct's id (letters
   * and digits only): `LiteLlmUrl`, `LiteLlmMasterKeySecretArn`… for the id `LiteLlm`.
   */
  public readonly outputs: LiteLlmOutputs;
  /**
   * The LiteLLM tasks' role (`service.grantPrincipal`): `bucket.grantRead(platform)` lets
   * the proxy read a bucket, e.g. for a callback.
   */
  public readonly grantPrincipal: iam.IPrincipal;

  constructor(scope: Construct, id: string, props: LiteLlmPlatformProps) {
    super(scope, id);
    const profile = props.profile ?? LiteLlmDeploymentProfile.DEVELOPMENT;
    const config = LiteLlmConfig.load(props.models, props.config);
    const image = props.image ?? LiteLlmImage.fromRegistry();

    checkRemovalPolicies(props);
    this.security = new LiteLlmSecurity(this, 'Security', {
      ...props.security,
      removalPolicy: props.security?.removalPolicy ?? props.removalPolicy,
      logRetention: props.security?.logRetention ?? props.logRetention,
      profile,
      providerKeyNames: config.secretEnvNames,
    });
    this.network = this.createNetwork(props, profile, config, image);
    const cloudFrontOn = cloudFrontEnabled(props.cloudFront, props.loadBalancer, profile, Stack.of(this).region);
    if (cloudFrontOn) markFrontedByCloudFront(this);
    this.loadBalancer = new LiteLlmLoadBalancer(this, 'LoadBalancer', {
      ...props.loadBalancer,
      // Behind CloudFront: in the private subnets, and no rule but the VPC origin's.
      ...(cloudFrontOn ? { internetFacing: false, allowedPeers: [] } : {}),
      logRetention: props.loadBalancer?.logRetention ?? props.logRetention,
      // Dual-stack is the VPC's: its subnets need IPv6 CIDRs, which only the network knows.
      dualStack: this.network.dualStack,
      vpc: this.network.vpc,
      securityGroup: this.network.loadBalancerSecurityGroup,
      containerPort: this.network.containerPort,
      encryptionKey: this.security.encryptionKey,
      profile,
    });
    this.database = new LiteLlmDatabase(this, 'Database', {
      ...props.database,
      removalPolicy: props.database?.removalPolicy ?? props.removalPolicy,
      logRetention: props.database?.logRetention ?? props.logRetention,
      vpc: this.network.vpc,
      securityGroup: this.network.databaseSecurityGroup,
      rotationSecurityGroup: this.network.rotationSecurityGroup,
      encryptionKey: this.security.encryptionKey,
      profile,
    });
    // The database-role step reads the master secret and answers CloudFormation through S3:
    // without a NAT gateway only the endpoints carry that, so they must outlive it on delete.
    const s3Endpoint = this.network.vpcEndpoints.s3;
    this.database.addProxyUserDependency(...(s3Endpoint ? [s3Endpoint] : []), ...this.network.interfaceEndpoints);
    this.cache = this.createCache(props, profile);
    // Before the service: its PROXY_BASE_URL is the distribution's URL.
    this.cloudFront = cloudFrontOn ? new LiteLlmCloudFront(this, 'CloudFront', { ...props.cloudFront, loadBalancer: this.loadBalancer }) : undefined;
    this.distribution = this.cloudFront?.distribution;
    this.service = new LiteLlmService(this, 'Service', {
      ...props.service,
      logRetention: props.service?.logRetention ?? props.logRetention,
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
      additionalAlarms: this.security.alarms,
    });
    this.alarmTopic = this.monitoring.alarmTopic;
    this.metrics = this.service.metrics;
    this.grantPrincipal = this.service.grantPrincipal;
    this.url = this.loadBalancer.url;
    this.connections = this.loadBalancer.connections;

    this.outputs = new LiteLlmOutputs(this, 'Outputs', {
      prefix: id.replace(/[^A-Za-z0-9]/g, '') || 'LiteLlm',
      loadBalancer: this.loadBalancer,
      cloudFront: this.cloudFront,
      security: this.security,
      service: this.service,
      monitoring: this.monitoring,
      database: this.database,
    });
  }

  /**
   * The network, with the interface endpoints the tasks would use by default: bedrock-runtime
   * for Bedrock models and guardrails, bedrock-agent-runtime for knowledge bases, ECR for an image in ECR.
   */
  private createNetwork(props: LiteLlmPlatformProps, profile: LiteLlmDeploymentProfile, config: LiteLlmConfig, image: LiteLlmImage): LiteLlmNetwork {
    const usesBedrock = config.usesBedrockRuntime;
    const interfaceEndpoints = props.vpc === undefined
      && interfaceEndpointsByDefault(profile, props.network?.natGateways ?? profileDefaults(profile).natGateways);
    return new LiteLlmNetwork(this, 'Network', {
      ...props.network,
      logRetention: props.network?.logRetention ?? props.logRetention,
      endpoints: {
        bedrockRuntime: interfaceEndpoints && usesBedrock,
        bedrockAgentRuntime: interfaceEndpoints && config.usesBedrockAgentRuntime,
        ecr: interfaceEndpoints && !image.needsInternet,
        ...props.network?.endpoints,
      },
      vpc: props.vpc,
      encryptionKey: this.security.encryptionKey,
      profile,
    });
  }

  /** The cache, when `cache.enabled`, or by default when more than one LiteLLM process may run. */
  private createCache(props: LiteLlmPlatformProps, profile: LiteLlmDeploymentProfile): LiteLlmCache | undefined {
    const tasks = capacityOf(profile, props.service?.minCapacity, props.service?.maxCapacity).max;
    const processes = tasks * (props.service?.numWorkers ?? DEFAULT_NUM_WORKERS);
    if (props.cache?.enabled ?? processes > 1) {
      return new LiteLlmCache(this, 'Cache', {
        ...props.cache,
        vpc: this.network.vpc,
        securityGroup: this.network.cacheSecurityGroup,
        encryptionKey: this.security.encryptionKey,
        profile,
      });
    }
    return undefined;
  }

  /**
   * Lets `grantee` read the master key (`security.grantReadMasterKey`), e.g. a job that calls
   * LiteLLM's admin API. The key rotates: read it at each use.
   */
  public grantReadMasterKey(grantee: iam.IGrantable): iam.Grant {
    return this.security.grantReadMasterKey(grantee);
  }

  /** Requests the load balancer received (Sum, 5 minutes). */
  public metricRequestCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.loadBalancer.metricRequestCount(props);
  }

  /** Responses of one class from LiteLLM, e.g. `elbv2.HttpCodeTarget.TARGET_5XX_COUNT` (Sum, 5 minutes). */
  public metricHttpCodeTarget(code: elbv2.HttpCodeTarget, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.loadBalancer.metricHttpCodeTarget(code, props);
  }

  /** Responses of one class the load balancer generated itself, e.g. `elbv2.HttpCodeElb.ELB_5XX_COUNT` when no task answers (Sum, 5 minutes). */
  public metricHttpCodeElb(code: elbv2.HttpCodeElb, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.loadBalancer.metricHttpCodeElb(code, props);
  }

  /** Time LiteLLM takes to answer, in seconds (p99, 5 minutes). Streams count until the last byte. */
  public metricTargetResponseTime(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.loadBalancer.metricTargetResponseTime(props);
  }

  /** CPU utilization of the service (Average, 5 minutes). */
  public metricCpuUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.service.service.metricCpuUtilization({ period: Duration.minutes(5), ...props });
  }

  /** Memory utilization of the service (Average, 5 minutes). */
  public metricMemoryUtilization(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.service.service.metricMemoryUtilization({ period: Duration.minutes(5), ...props });
  }

  /** Connections to the database (Maximum, 5 minutes). */
  public metricDatabaseConnections(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.database.instance.metricDatabaseConnections({ statistic: 'Maximum', period: Duration.minutes(5), ...props });
  }
}

/**
 * A database snapshot kept after the key that encrypts it is deleted cannot be restored, and
 * stored model credentials cannot be decrypted without the salt key: keep them together.
 */
function checkRemovalPolicies(props: LiteLlmPlatformProps): void {
  const database = props.database?.removalPolicy ?? props.removalPolicy;
  const keys = props.security?.removalPolicy ?? props.removalPolicy;
  if (database !== RemovalPolicy.DESTROY && keys === RemovalPolicy.DESTROY) {
    throw new Error(`\`security.removalPolicy\` (destroy) would delete the key and the salt key the database needs to be read after it leaves the stack (\`database.removalPolicy\`: ${database ?? 'snapshot, the default'}): `
      + 'set security.removalPolicy to RemovalPolicy.RETAIN, or the platform\'s `removalPolicy` to RemovalPolicy.DESTROY to delete all of them');
  }
}
