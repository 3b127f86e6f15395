import { CfnDeletionPolicy, CfnResource, Duration, RemovalPolicy, Token, aws_ec2 as ec2, aws_kms as kms, aws_logs as logs } from 'aws-cdk-lib';
import { LiteLlmDeploymentProfile } from '../profile';

/** How long CloudFormation waits for the library's custom resources to answer. */
export const CUSTOM_RESOURCE_TIMEOUT = Duration.minutes(5);
/** Uvicorn workers per task, unless `numWorkers` says otherwise. */
export const DEFAULT_NUM_WORKERS = 1;

/** What a profile decides; each building block reads only what it needs. */
export interface ProfileDefaults {
  readonly production: boolean;
  readonly multiAz: boolean;
  readonly fargateSpot: boolean;
  readonly databaseInstanceType: ec2.InstanceType;
  /** NAT gateways of a VPC the network creates. */
  readonly natGateways: number;
  /**
   * Interface endpoints (ECR, Secrets Manager, Logs, bedrock-runtime) even when a NAT
   * gateway could carry the traffic; without a NAT gateway they are always needed.
   */
  readonly interfaceEndpoints: boolean;
  /** Tasks always running; 2 spreads them over both AZs. */
  readonly minCapacity: number;
  /** Most tasks autoscaling may run (the platform sizes its cache default from it). */
  readonly maxCapacity: number;
  /** Task CPU units per uvicorn worker. */
  readonly cpuPerWorker: number;
  readonly deletionProtection: boolean;
  /** For the cache's data (the database, key and salt key follow `dataRemovalPolicies`). */
  readonly dataRemovalPolicy: RemovalPolicy;
  /** For resources that hold no data worth a snapshot (keys, buckets, log groups). */
  readonly removalPolicy: RemovalPolicy;
  readonly waf: boolean;
  readonly containerInsights: boolean;
  readonly performanceInsights: boolean;
  readonly logRetention: logs.RetentionDays;
  readonly litellmLog: string;
}

export function profileDefaults(profile: LiteLlmDeploymentProfile = LiteLlmDeploymentProfile.DEVELOPMENT): ProfileDefaults {
  const production = profile === LiteLlmDeploymentProfile.PRODUCTION;
  return {
    production,
    multiAz: production,
    fargateSpot: !production,
    databaseInstanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, production ? ec2.InstanceSize.SMALL : ec2.InstanceSize.MICRO),
    natGateways: production ? 2 : 1,
    interfaceEndpoints: production,
    minCapacity: production ? 2 : 1,
    maxCapacity: production ? 4 : 1,
    cpuPerWorker: production ? 1024 : 512,
    deletionProtection: production,
    dataRemovalPolicy: production ? RemovalPolicy.SNAPSHOT : RemovalPolicy.DESTROY,
    removalPolicy: production ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    waf: production,
    containerInsights: production,
    performanceInsights: production,
    logRetention: production ? logs.RetentionDays.THREE_MONTHS : logs.RetentionDays.TWO_WEEKS,
    litellmLog: production ? 'ERROR' : 'INFO',
  };
}

/**
 * The task counts of a service: what is set wins; an unset bound follows the profile but
 * never crosses the other (`maxCapacity: 1` in PRODUCTION runs one task, `minCapacity: 3`
 * in DEVELOPMENT may run three).
 */
export function capacityOf(profile: LiteLlmDeploymentProfile | undefined, minCapacity?: number, maxCapacity?: number): { min: number; max: number } {
  const defaults = profileDefaults(profile);
  const literal = (n?: number) => n !== undefined && !Token.isUnresolved(n);
  const min = minCapacity ?? (literal(maxCapacity) ? Math.min(defaults.minCapacity, maxCapacity!) : defaults.minCapacity);
  return { min, max: maxCapacity ?? (literal(min) ? Math.max(defaults.maxCapacity, min) : defaults.maxCapacity) };
}

/** Whether a VPC with this many NAT gateways gets interface endpoints unless told otherwise. */
export function interfaceEndpointsByDefault(profile: LiteLlmDeploymentProfile | undefined, natGateways: number): boolean {
  return profileDefaults(profile).interfaceEndpoints || natGateways === 0;
}

/**
 * What happens on delete to what holds or unlocks the platform's data, in both profiles:
 * the database keeps a final snapshot, the KMS key and the salt key are retained (CDK's own
 * defaults for `rds.DatabaseInstance` and `kms.Key`). A snapshot is only readable with the key
 * that encrypts it, and the credentials LiteLLM stored in it only with the salt, so the three
 * go together: `RemovalPolicy.DESTROY` deletes all of them, any other policy keeps all.
 */
export function dataRemovalPolicies(removalPolicy?: RemovalPolicy): { database: RemovalPolicy; keys: RemovalPolicy } {
  return {
    database: removalPolicy ?? RemovalPolicy.SNAPSHOT,
    // Keys and secrets cannot be snapshotted: anything but DESTROY keeps them.
    keys: removalPolicy === RemovalPolicy.DESTROY ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
  };
}

/**
 * `RemovalPolicy.DESTROY` when `key` is a key of this app that its stack deletes, otherwise
 * `removalPolicy`: what is encrypted with a deleted key cannot be read, so it goes with it
 * rather than stay behind unreadable (secrets, log groups, a final snapshot).
 */
export function followingKey(key: kms.IKey | undefined, removalPolicy: RemovalPolicy): RemovalPolicy {
  const resource = key?.node.defaultChild;
  return resource && CfnResource.isCfnResource(resource) && resource.cfnOptions.deletionPolicy === CfnDeletionPolicy.DELETE
    ? RemovalPolicy.DESTROY : removalPolicy;
}
