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
  /**
   * CloudFront in front of an internal load balancer, unless a load balancer choice (its
   * exposure, peers, domain, certificate, `allowHttp`, `publicUrl`) says otherwise: HTTPS from
   * the first deploy where the platform would otherwise serve plain HTTP to the internet.
   */
  readonly cloudFront: boolean;
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
    cloudFront: !production,
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

/** The keys `followingKey` saw deleted with their stack, each checked once at synthesis. */
const KEYS_CHECKED = new WeakSet<CfnResource>();

/**
 * `RemovalPolicy.DESTROY` when `key` is a key of this app that its stack deletes, otherwise
 * `removalPolicy`: what is encrypted with a deleted key cannot be read, so it goes with it
 * rather than stay behind unreadable (secrets, log groups, a final snapshot). A `kms.Alias`
 * answers for the key it targets (`aliasTargetKey`); an imported key or alias never follows.
 *
 * The key's removal policy is read when the blocks are built: one applied to the key later
 * (`key.applyRemovalPolicy`, an aspect) is not seen. Turning a deleted key into a kept one
 * that late fails synthesis (what it encrypts would already be set to be deleted while the
 * key stays: a lost final snapshot); the other way (a kept key deleted later) leaves what it
 * encrypts behind, unreadable, as before, and is not checked: integration apps turn every
 * resource to Delete with an aspect (integ/leave-nothing.ts).
 */
export function followingKey(key: kms.IKey | undefined, removalPolicy: RemovalPolicy): RemovalPolicy {
  const target = key instanceof kms.Alias ? key.aliasTargetKey : key;
  const resource = target?.node.defaultChild;
  if (!resource || !CfnResource.isCfnResource(resource)) return removalPolicy;
  const deleted = resource.cfnOptions.deletionPolicy === CfnDeletionPolicy.DELETE;
  if (deleted && !KEYS_CHECKED.has(resource)) {
    KEYS_CHECKED.add(resource);
    resource.node.addValidation({
      // No policy at all is CloudFormation's default, Delete (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html).
      validate: () => [undefined, CfnDeletionPolicy.DELETE].includes(resource.cfnOptions.deletionPolicy) ? [] : [
        `The KMS key ${target!.node.path} was deleted with its stack when the LiteLLM blocks were built, so what it encrypts is deleted with it, `
        + `but its deletion policy is now ${resource.cfnOptions.deletionPolicy}: that data would go while the key stays. `
        + 'Apply the key\'s removal policy before passing it to the blocks (`new kms.Key(..., { removalPolicy })`), not after',
      ],
    });
  }
  return deleted ? RemovalPolicy.DESTROY : removalPolicy;
}
