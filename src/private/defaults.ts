import { Duration, RemovalPolicy, Token, aws_ec2 as ec2, aws_logs as logs } from 'aws-cdk-lib';
import { DeploymentProfile } from '../profile';

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
  /** For stateful data (database, retained logs). */
  readonly dataRemovalPolicy: RemovalPolicy;
  /** For resources that hold no data worth a snapshot (keys, buckets, log groups). */
  readonly removalPolicy: RemovalPolicy;
  readonly waf: boolean;
  readonly containerInsights: boolean;
  readonly performanceInsights: boolean;
  readonly logRetention: logs.RetentionDays;
  readonly litellmLog: string;
}

export function profileDefaults(profile: DeploymentProfile = DeploymentProfile.DEVELOPMENT): ProfileDefaults {
  const production = profile === DeploymentProfile.PRODUCTION;
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
export function capacityOf(profile: DeploymentProfile | undefined, minCapacity?: number, maxCapacity?: number): { min: number; max: number } {
  const defaults = profileDefaults(profile);
  const literal = (n?: number) => n !== undefined && !Token.isUnresolved(n);
  const min = minCapacity ?? (literal(maxCapacity) ? Math.min(defaults.minCapacity, maxCapacity!) : defaults.minCapacity);
  return { min, max: maxCapacity ?? (literal(min) ? Math.max(defaults.maxCapacity, min) : defaults.maxCapacity) };
}

/** Whether a VPC with this many NAT gateways gets interface endpoints unless told otherwise. */
export function interfaceEndpointsByDefault(profile: DeploymentProfile | undefined, natGateways: number): boolean {
  return profileDefaults(profile).interfaceEndpoints || natGateways === 0;
}
