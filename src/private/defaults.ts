import { Duration, RemovalPolicy, aws_ec2 as ec2, aws_logs as logs } from 'aws-cdk-lib';
import { DeploymentProfile } from '../profile';

/** How long CloudFormation waits for the library's custom resources to answer. */
export const CUSTOM_RESOURCE_TIMEOUT = Duration.minutes(5);
/** Most tasks autoscaling may run, unless `maxCapacity` says otherwise (the platform sizes its cache default from it). */
export const DEFAULT_MAX_CAPACITY = 4;
/** Uvicorn workers per task, unless `numWorkers` says otherwise. */
export const DEFAULT_NUM_WORKERS = 1;

/** What a profile decides; each building block reads only what it needs. */
export interface ProfileDefaults {
  readonly production: boolean;
  readonly multiAz: boolean;
  readonly fargateSpot: boolean;
  readonly databaseInstanceType: ec2.InstanceType;
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
    databaseInstanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, production ? ec2.InstanceSize.MEDIUM : ec2.InstanceSize.SMALL),
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
