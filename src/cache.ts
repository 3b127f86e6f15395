import {
  Duration, Fn, RemovalPolicy, Token,
  aws_cloudwatch as cloudwatch, aws_ec2 as ec2, aws_ecs as ecs, aws_elasticache as elasticache, aws_kms as kms,
  aws_secretsmanager as secretsmanager,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { followingKey, profileDefaults } from './private/defaults';
import { acknowledge } from './private/nag';
import { privateSubnetsOf } from './private/subnets';
import { check } from './private/validate';
import { LiteLlmDeploymentProfile } from './profile';

/**
 * The engine of the cache. Both speak the Redis protocol LiteLLM uses.
 */
export enum LiteLlmCacheEngine {
  /** Valkey, the open-source fork of Redis; node-hours cost about 20 % less than Redis OSS. */
  VALKEY = 'valkey',
  /** Redis OSS. */
  REDIS = 'redis',
}

/**
 * Settings of a `LiteLlmCache`: the Redis-protocol store LiteLLM's processes share rate
 * limits, router state and, optionally, cached responses through.
 */
export interface LiteLlmCacheOptions {
  /**
   * Engine.
   *
   * @default LiteLlmCacheEngine.VALKEY
   */
  readonly engine?: LiteLlmCacheEngine;
  /**
   * Engine version (7 or newer).
   *
   * @default - '8.0' for Valkey, '7.1' for Redis OSS
   */
  readonly engineVersion?: string;
  /**
   * Node type.
   *
   * @default - cache.t4g.micro (DEVELOPMENT), cache.t4g.small (PRODUCTION)
   */
  readonly nodeType?: string;
  /**
   * A replica in a second Availability Zone with automatic failover.
   *
   * @default - false (DEVELOPMENT), true (PRODUCTION)
   */
  readonly multiAz?: boolean;
  /**
   * Cache LLM responses in it too (LiteLLM's `litellm_settings.cache`): the same request
   * to the same model is answered from the cache, by any task.
   *
   * @default false
   */
  readonly responseCaching?: boolean;
  /**
   * How long a cached response is served, when `responseCaching` is on.
   *
   * @default Duration.hours(1)
   */
  readonly responseCacheTtl?: Duration;
}

/**
 * The cache of a `LiteLlmPlatform`: whether the platform creates one (`enabled`) and its settings.
 */
export interface LiteLlmPlatformCacheOptions extends LiteLlmCacheOptions {
  /**
   * Whether the platform creates a cache. With several LiteLLM processes and no cache, rate
   * limits, router state and cached responses are per process (the platform warns).
   *
   * @default - true when more than one LiteLLM process can serve at once (`maxCapacity` > 1 or `numWorkers` > 1)
   */
  readonly enabled?: boolean;
}

/**
 * Properties of a `LiteLlmCache`.
 */
export interface LiteLlmCacheProps extends LiteLlmCacheOptions {
  /** VPC to place the nodes in (private subnets). */
  readonly vpc: ec2.IVpc;
  /** Security group of the nodes (`LiteLlmNetwork.cacheSecurityGroup`: 6379 in from the service only). */
  readonly securityGroup: ec2.ISecurityGroup;
  /** Key that encrypts the data at rest and the auth token secret. */
  readonly encryptionKey: kms.IKey;
  /**
   * Defaults for everything not set explicitly.
   *
   * @default LiteLlmDeploymentProfile.DEVELOPMENT
   */
  readonly profile?: LiteLlmDeploymentProfile;
}

/**
 * ElastiCache for Valkey or Redis OSS in the private subnets: TLS required, encrypted
 * at rest with the platform key, an AUTH token generated in Secrets Manager, Multi-AZ
 * with automatic failover in PRODUCTION, and alarms.
 *
 * Node-based and not Serverless: LiteLLM's Redis client is not cluster-aware, and a
 * Serverless endpoint is a cluster whose multi-key commands (LiteLLM's rate limiter
 * runs multi-key scripts) fail across slots; a node is also one network hop from
 * the tasks, with no proxy fleet in between.
 */
export class LiteLlmCache extends Construct implements ec2.IConnectable {
  /** The port the cache listens on. */
  public static readonly PORT = 6379;

  /** The replication group. */
  public readonly replicationGroup: elasticache.CfnReplicationGroup;
  /** Host name of the primary endpoint. */
  public readonly host: string;
  /** Port of the primary endpoint. */
  public readonly port: number;
  /** The AUTH token (generated at deploy, never rotated by this library). */
  public readonly authSecret: secretsmanager.ISecret;
  /** Network connections of the nodes. */
  public readonly connections: ec2.Connections;
  /** Whether LiteLLM caches responses in it. */
  public readonly responseCaching: boolean;
  /** How long a cached response is served (`responseCacheTtl`). */
  public readonly responseCacheTtl: Duration;
  /** Engine CPU > 80 % for 3 × 5 minutes (busiest node). */
  public readonly cpuAlarm: cloudwatch.Alarm;
  /** Memory used > 85 % of maxmemory for 3 × 5 minutes (fullest node). */
  public readonly memoryAlarm: cloudwatch.Alarm;
  /** Keys evicted in 3 consecutive 5-minute periods: rate-limit counters may be lost. */
  public readonly evictionsAlarm: cloudwatch.Alarm;
  private readonly memberIds: string[];

  constructor(scope: Construct, id: string, props: LiteLlmCacheProps) {
    super(scope, id);
    const defaults = profileDefaults(props.profile);
    const engine = props.engine ?? LiteLlmCacheEngine.VALKEY;
    const engineVersion = props.engineVersion ?? (engine === LiteLlmCacheEngine.VALKEY ? '8.0' : '7.1');
    check(engineVersion, v => Token.isUnresolved(v) || Number(v.split('.')[0]) >= 7,
      v => `\`cache.engineVersion\` (${v}) is too old: TLS with an AUTH token and LiteLLM's commands need ${engine} 7 or newer`);
    const multiAz = props.multiAz ?? defaults.production;
    const nodeType = props.nodeType ?? (defaults.production ? 'cache.t4g.small' : 'cache.t4g.micro');
    check(nodeType, t => Token.isUnresolved(t) || /^cache\.[a-z0-9]+\.[a-z0-9]+$/.test(t),
      t => `\`cache.nodeType\` ("${t}") is not an ElastiCache node type, e.g. cache.t4g.micro`);
    const ttl = props.responseCacheTtl ?? Duration.hours(1);
    check(ttl.toSeconds({ integral: false }), s => s >= 1, s => `\`cache.responseCacheTtl\` (${s} s) must be at least 1 second`);
    this.responseCaching = props.responseCaching ?? false;
    this.responseCacheTtl = ttl;

    // ElastiCache allows printable ASCII but @, " and / in a token; letters and digits keep it simple.
    const authSecret = new secretsmanager.Secret(this, 'AuthToken', {
      description: 'LiteLLM cache AUTH token (REDIS_PASSWORD)',
      encryptionKey: props.encryptionKey,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: followingKey(props.encryptionKey, defaults.removalPolicy),
    });
    this.authSecret = authSecret;

    const subnetGroup = new elasticache.CfnSubnetGroup(this, 'Subnets', {
      description: 'LiteLLM cache: private subnets',
      subnetIds: props.vpc.selectSubnets(privateSubnetsOf(props.vpc)).subnetIds,
    });
    subnetGroup.applyRemovalPolicy(RemovalPolicy.DESTROY);

    const nodes = multiAz ? 2 : 1;
    this.replicationGroup = new elasticache.CfnReplicationGroup(this, 'Resource', {
      replicationGroupDescription: 'LiteLLM shared state: rate limits, router state, response cache',
      engine,
      engineVersion,
      cacheNodeType: nodeType,
      numCacheClusters: nodes,
      automaticFailoverEnabled: multiAz,
      multiAzEnabled: multiAz,
      cacheSubnetGroupName: subnetGroup.ref,
      securityGroupIds: [props.securityGroup.securityGroupId],
      port: LiteLlmCache.PORT,
      transitEncryptionEnabled: true,
      transitEncryptionMode: 'required',
      atRestEncryptionEnabled: true,
      kmsKeyId: props.encryptionKey.keyArn,
      // A dynamic reference: the token is resolved by CloudFormation, never in the template.
      authToken: authSecret.secretValue.unsafeUnwrap(),
      autoMinorVersionUpgrade: true,
      snapshotRetentionLimit: 0,
    });
    // PRODUCTION keeps a final snapshot, unless the key that encrypts it goes; nothing keeps
    // running (and billing) after a destroy.
    this.replicationGroup.applyRemovalPolicy(followingKey(props.encryptionKey, defaults.dataRemovalPolicy));
    this.host = this.replicationGroup.attrPrimaryEndPointAddress;
    this.port = LiteLlmCache.PORT;
    this.connections = new ec2.Connections({ securityGroups: [props.securityGroup], defaultPort: ec2.Port.tcp(LiteLlmCache.PORT) });
    this.memberIds = Array.from({ length: nodes }, (_, i) => Fn.join('-', [this.replicationGroup.ref, `00${i + 1}`]));

    this.cpuAlarm = this.addAlarm('CpuAlarm', this.metricEngineCpuUtilization(), 'LiteLLM cache engine CPU above 80 % for 15 minutes', 80);
    this.memoryAlarm = this.addAlarm('MemoryAlarm', this.metricDatabaseMemoryUsagePercentage(),
      'LiteLLM cache memory above 85 % of maxmemory for 15 minutes: evictions follow', 85);
    this.evictionsAlarm = this.addAlarm('EvictionsAlarm', this.metricEvictions(),
      'The LiteLLM cache evicted keys for 15 minutes: rate-limit counters and router state may be lost; use a larger nodeType', 0);
    this.acknowledgeFindings(authSecret, multiAz);
  }

  /** An alarm on `metric` above `threshold` for 3 × 5 minutes. */
  private addAlarm(id: string, metric: cloudwatch.IMetric, alarmDescription: string, threshold: number): cloudwatch.Alarm {
    return new cloudwatch.Alarm(this, id, {
      metric,
      alarmDescription,
      threshold,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /** The cdk-nag findings the cache answers by design, with the reasons. */
  private acknowledgeFindings(authSecret: secretsmanager.Secret, multiAz: boolean): void {
    const stateReason = 'LiteLLM keeps counters, router state and cached responses here; it rebuilds them, so there is nothing to restore from a backup.';
    acknowledge(this.replicationGroup, 'AwsSolutions-AEC5',
      'LiteLLM and its Redis client expect 6379; only the service security group may reach it, over TLS with an AUTH token.');
    acknowledge(this.replicationGroup, 'NIST.800.53.R5-ElastiCacheRedisClusterAutomaticBackup', stateReason);
    if (!multiAz) {
      acknowledge(this.replicationGroup, 'AwsSolutions-AEC4', 'Single node by choice (DEVELOPMENT profile or cache.multiAz: false).');
      acknowledge(this.replicationGroup, 'NIST.800.53.R5-ElastiCacheRedisClusterMultiAZ', 'Single node by choice (DEVELOPMENT profile or cache.multiAz: false).');
    }
    for (const rule of ['AwsSolutions-SMG4', 'NIST.800.53.R5-SecretsManagerRotationEnabled']) {
      acknowledge(authSecret, rule,
        'ElastiCache changes an AUTH token only through a two-step ModifyReplicationGroup (ROTATE, then SET) that Secrets Manager rotation cannot drive; the token never leaves the VPC and TLS.');
    }
  }

  /**
   * The settings the LiteLLM container reads as plain environment: host, port and TLS
   * (LiteLLM's Redis clients take REDIS_* from the environment: litellm/_redis.py).
   */
  public containerEnvironment(): { [env: string]: string } {
    return { REDIS_HOST: this.host, REDIS_PORT: String(this.port), REDIS_SSL: 'True' };
  }

  /**
   * The AUTH token as an ECS secret (`REDIS_PASSWORD`), never plain environment.
   *
   * @param secret the auth secret as seen from the caller's stack
   * @default - `this.authSecret`
   */
  public containerSecrets(secret?: secretsmanager.ISecret): { [env: string]: ecs.Secret } {
    return { REDIS_PASSWORD: ecs.Secret.fromSecretsManager(secret ?? this.authSecret) };
  }

  /** The cache alarms: CPU, memory, evictions. */
  public get alarms(): cloudwatch.IAlarm[] {
    return [this.cpuAlarm, this.memoryAlarm, this.evictionsAlarm];
  }

  /** Engine CPU % of the busiest node (Average, 5 minutes). */
  public metricEngineCpuUtilization(props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    return this.metric('EngineCPUUtilization', { statistic: 'Average', ...props });
  }

  /** Memory used, in % of maxmemory, of the fullest node (Maximum, 5 minutes). */
  public metricDatabaseMemoryUsagePercentage(props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    return this.metric('DatabaseMemoryUsagePercentage', { statistic: 'Maximum', ...props });
  }

  /** Keys evicted for lack of memory, on the node that evicted most (Sum, 5 minutes). */
  public metricEvictions(props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    return this.metric('Evictions', { statistic: 'Sum', ...props });
  }

  /** Client connections of the busiest node (Maximum, 5 minutes). */
  public metricCurrConnections(props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    return this.metric('CurrConnections', { statistic: 'Maximum', ...props });
  }

  /**
   * An `AWS/ElastiCache` metric of the busiest node (Average, 5 minutes): ElastiCache reports
   * per node (cluster id `<group>-001`, `-002`), and which one is primary changes on
   * failover, so with two nodes this is the `MAX` of both (a math expression; `label` and
   * `color` are the expression's, the other options each node's).
   */
  public metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.IMetric {
    const { label, color, ...options } = props ?? {};
    const perNode = this.memberIds.map(clusterId => new cloudwatch.Metric({
      namespace: 'AWS/ElastiCache', metricName, statistic: 'Average', period: Duration.minutes(5), dimensionsMap: { CacheClusterId: clusterId }, ...options,
    }));
    if (perNode.length === 1) return perNode[0].with({ label, color });
    return new cloudwatch.MathExpression({
      expression: `MAX([${perNode.map((_, i) => `m${i}`).join(', ')}])`,
      usingMetrics: Object.fromEntries(perNode.map((m, i) => [`m${i}`, m])),
      label: label ?? `${metricName} (busiest node)`,
      color,
      period: options.period ?? Duration.minutes(5),
    });
  }
}
