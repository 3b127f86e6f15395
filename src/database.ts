import {
  Annotations, CustomResource, Duration, Names, RemovalPolicy, Size, Stack, Token,
  aws_cloudwatch as cloudwatch, aws_ec2 as ec2, aws_ecs as ecs, aws_iam as iam, aws_kms as kms, aws_logs as logs, aws_rds as rds,
  aws_secretsmanager as secretsmanager,
} from 'aws-cdk-lib';
import { Construct, IDependable } from 'constructs';
import { anyErrorAlarm } from './private/alarms';
import { postgresMaxConnections } from './private/connections';
import { LOG_EXPORTS, acknowledgeLogFindings, encryptLogGroups } from './private/database-logs';
import { DatabaseUser, RotationOffProps } from './private/database-user';
import { dataRemovalPolicies, followingKey, profileDefaults } from './private/defaults';
import { acknowledge } from './private/nag';
import { rdsServerCaPemFor, validateRdsServerCa } from './private/rds-ca';
import { applyRotationRules, rotationOf, scheduleInputsOf } from './private/rotation-schedule';
import { dependOnStacksOf } from './private/stacks';
import { privateSubnetsOf } from './private/subnets';
import { check } from './private/validate';
import { LiteLlmDeploymentProfile } from './profile';
import type { LiteLlmRotationOptions } from './security';

/** Characters the generated password avoids, so it survives every client's URL and shell quoting. */
const EXCLUDED_PASSWORD_CHARACTERS = ' %+~`#$&*()|[]{}:;<>?!\'/@"\\=,^';

/**
 * Database settings of a LiteLLM platform.
 */
export interface LiteLlmDatabaseOptions {
  /**
   * PostgreSQL engine version (15 or newer). Prefer a major version: automatic minor
   * upgrades are on, and a pinned minor fails fresh deploys once RDS retires it.
   * Raising the major version (17 → 18) upgrades the instance in place: snapshot first,
   * expect downtime (see the README).
   *
   * @default rds.PostgresEngineVersion.VER_17 (RDS picks the default 17.x and keeps it patched)
   */
  readonly engineVersion?: rds.PostgresEngineVersion;
  /**
   * Instance type.
   *
   * @default - db.t4g.micro (DEVELOPMENT), db.t4g.small (PRODUCTION)
   */
  readonly instanceType?: ec2.InstanceType;
  /**
   * The PEM of "Amazon RDS <region> Root CA RSA2048 G1", the root that signs the instance's
   * certificate, which the proxy verifies it against. The library carries it for the 32
   * commercial regions of RDS's certificate-bundle table (UsingWithRDS.SSL.html); another
   * region (a newer one, GovCloud, China) needs it from its bundle, e.g.
   * https://truststore.pki.rds.amazonaws.com/<region>/<region>-bundle.pem (GovCloud:
   * truststore.pki.us-gov-west-1.rds.amazonaws.com, China: rds-truststore.s3.cn-north-1.amazonaws.com.cn).
   * Synth fails without it when the stack's region is known; a region-agnostic stack fails
   * the deploy with "Unable to get mapping for LiteLlmRdsCaRsa2048G1::<region>::caCertificatePem".
   *
   * @default - the stack region's, from the library's table
   */
  readonly caCertificatePem?: string;
  /**
   * Multi-AZ deployment.
   *
   * @default - false (DEVELOPMENT), true (PRODUCTION)
   */
  readonly multiAz?: boolean;
  /**
   * Deletion protection.
   *
   * @default - false (DEVELOPMENT), true (PRODUCTION)
   */
  readonly deletionProtection?: boolean;
  /**
   * Performance Insights (encrypted with the platform key).
   *
   * @default - false (DEVELOPMENT), true (PRODUCTION)
   */
  readonly enablePerformanceInsights?: boolean;
  /**
   * Rotation of the master user's password (single user, hosted rotation). LiteLLM logs in
   * with IAM tokens as `PROXY_USERNAME`, so no rotation of this password reaches the proxy.
   *
   * @default - every 30 days, at a time Secrets Manager picks
   */
  readonly passwordRotation?: LiteLlmRotationOptions;
  /**
   * Storage the instance starts with, in GiB (gp3).
   *
   * @default 20
   */
  readonly allocatedStorage?: number;
  /**
   * Storage autoscaling ceiling, in GiB: at least 10 % above `allocatedStorage` (RDS
   * refuses a closer ceiling), or equal to it for fixed storage (no autoscaling).
   *
   * @default 100
   */
  readonly maxAllocatedStorage?: number;
  /**
   * How long RDS keeps automated backups (point-in-time recovery), in whole days from 1 to 35.
   *
   * @default Duration.days(7)
   */
  readonly backupRetention?: Duration;
  /**
   * What happens to the instance when it leaves the stack (or is replaced): `SNAPSHOT` keeps
   * a final snapshot, `RETAIN` the instance, `DESTROY` deletes its data. Its credentials
   * secret is kept unless the policy is `DESTROY`. In both profiles a snapshot is kept by
   * default, as `rds.DatabaseInstance` does: keep the platform key and the salt key with it
   * (`LiteLlmSecurityOptions.removalPolicy`), or the snapshot cannot be read.
   *
   * @default RemovalPolicy.SNAPSHOT
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Retention of every log group the database creates (the exported `postgresql` and
   * `upgrade` logs, its deploy-time functions' logs).
   *
   * @default - 14 days (DEVELOPMENT), 90 days (PRODUCTION)
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * `max_connections` of the instance when its class is not one this library knows
   * (the service sizes its connection pools from it).
   *
   * @default - derived from the instance class's memory
   */
  readonly maxConnections?: number;
}

/**
 * Properties of a `LiteLlmDatabase`.
 */
export interface LiteLlmDatabaseProps extends LiteLlmDatabaseOptions {
  /** VPC to place the instance in (private subnets). */
  readonly vpc: ec2.IVpc;
  /** Security group of the instance (5432 in from the service and the rotation function). */
  readonly securityGroup: ec2.ISecurityGroup;
  /** Security group of the rotation function (5432 out to the database, 443 to Secrets Manager). */
  readonly rotationSecurityGroup: ec2.ISecurityGroup;
  /** Key that encrypts storage, credentials and Performance Insights. */
  readonly encryptionKey: kms.IKey;
  /**
   * Defaults for everything not set explicitly.
   *
   * @default LiteLlmDeploymentProfile.DEVELOPMENT
   */
  readonly profile?: LiteLlmDeploymentProfile;
}

/**
 * RDS PostgreSQL for LiteLLM's keys, spend and settings, with a rotated password and alarms.
 */
export class LiteLlmDatabase extends Construct implements ec2.IConnectable {
  /** Name of the database LiteLLM uses. */
  public static readonly DATABASE_NAME = 'litellm';
  /** The master user: administrators and the deploy-time step that creates `PROXY_USERNAME`. */
  public static readonly USERNAME = 'litellm';
  /** The role LiteLLM logs in as, with RDS IAM tokens: it has no password to rotate. */
  public static readonly PROXY_USERNAME = 'litellm_proxy';

  /** The instance. */
  public readonly instance: rds.DatabaseInstance;
  /** The master user's credentials secret (`host`, `port`, `username`, `password`, `dbname`…), rotated. */
  public readonly secret: secretsmanager.ISecret;
  /** Network connections of the instance. */
  public readonly connections: ec2.Connections;
  /** The deploy-time step that creates `PROXY_USERNAME`: whatever connects as that role depends on it. */
  public readonly proxyUser: CustomResource;
  /** `max_connections` of the instance, for sizing connection pools. */
  public readonly maxConnections: number;
  /** CPU > 80 % for 3 × 5 minutes. */
  public readonly cpuAlarm: cloudwatch.Alarm;
  /** Free storage < 5 GiB for 3 × 5 minutes (no data is not a full disk: it does not alarm). */
  public readonly freeStorageAlarm: cloudwatch.Alarm;
  /** Connections > 80 % of `maxConnections` for 3 × 5 minutes. */
  public readonly connectionsAlarm: cloudwatch.Alarm;
  /** Any error of the hosted password-rotation function (a rotation step failed). */
  public readonly passwordRotationAlarm: cloudwatch.Alarm;
  private readonly databaseUser: DatabaseUser;
  private readonly caCertificateOverride?: string;

  constructor(scope: Construct, id: string, props: LiteLlmDatabaseProps) {
    super(scope, id);
    const defaults = profileDefaults(props.profile);
    const logRetention = props.logRetention ?? defaults.logRetention;
    const removalPolicy = dataRemovalPolicies(props.removalPolicy).database;
    const backupRetention = backupRetentionOf(props);
    const rotation = rotationOf('passwordRotation', props.passwordRotation);
    const performanceInsights = props.enablePerformanceInsights ?? defaults.performanceInsights;
    dependOnStacksOf(this, props.encryptionKey, props.vpc);
    const engineVersion = engineVersionOf(props);
    const { allocated, maxAllocated } = this.storageOf(props);
    const instanceType = props.instanceType ?? defaults.databaseInstanceType;
    this.maxConnections = this.maxConnectionsOf(props, instanceType);

    const engine = rds.DatabaseInstanceEngine.postgres({ version: engineVersion });
    const parameterGroup = this.createParameterGroup(engine);

    this.caCertificateOverride = props.caCertificatePem;
    // Fails at synth for a region the library has no certificate for (unless given one); a
    // region-agnostic stack looks it up where it is used (caCertificatePemFor).
    validateRdsServerCa(this, props.caCertificatePem);
    this.instance = new rds.DatabaseInstance(this, 'Instance', {
      engine,
      instanceType,
      // The authority whose regional root the tasks verify the server against.
      caCertificate: rds.CaCertificate.RDS_CA_RSA2048_G1,
      parameterGroup,
      vpc: props.vpc,
      vpcSubnets: privateSubnetsOf(props.vpc),
      securityGroups: [props.securityGroup],
      databaseName: LiteLlmDatabase.DATABASE_NAME,
      credentials: rds.Credentials.fromGeneratedSecret(LiteLlmDatabase.USERNAME, {
        encryptionKey: props.encryptionKey,
        excludeCharacters: EXCLUDED_PASSWORD_CHARACTERS,
      }),
      storageType: rds.StorageType.GP3,
      allocatedStorage: allocated,
      // Undefined: storage autoscaling off (the ceiling equals the storage).
      maxAllocatedStorage: maxAllocated,
      storageEncrypted: true,
      storageEncryptionKey: props.encryptionKey,
      multiAz: props.multiAz ?? defaults.multiAz,
      backupRetention,
      preferredBackupWindow: '03:00-04:00',
      preferredMaintenanceWindow: 'Sun:04:00-Sun:05:00',
      deletionProtection: props.deletionProtection ?? defaults.deletionProtection,
      removalPolicy,
      enablePerformanceInsights: performanceInsights,
      performanceInsightEncryptionKey: performanceInsights ? props.encryptionKey : undefined,
      cloudwatchLogsExports: LOG_EXPORTS,
      // CDK's LogRetention: creates each group unless RDS already did, and sets the retention.
      cloudwatchLogsRetention: logRetention,
      iamAuthentication: true,
      autoMinorVersionUpgrade: true,
      // Only a permission: RDS never upgrades a major version by itself, and this changes
      // nothing while `engineVersion` keeps its major. Without it RDS refuses 17 → 18.
      allowMajorVersionUpgrade: true,
      copyTagsToSnapshot: true,
      monitoringInterval: defaults.production ? Duration.seconds(60) : undefined,
    });
    this.secret = this.instance.secret!;
    this.tuneInstance(engineVersion, removalPolicy);
    this.connections = this.instance.connections;

    const { rotationSchedule, rotationFunctionName } = this.scheduleRotation(props, rotation);
    this.databaseUser = this.addProxyUser(props, logRetention, followingKey(props.encryptionKey, defaults.removalPolicy),
      rotation.enabled ? undefined : { schedule: rotationSchedule, scheduleInputs: scheduleInputsOf(rotationSchedule, rotation) });
    this.proxyUser = this.databaseUser.resource;

    encryptLogGroups(this, this.instance, props.encryptionKey, logRetention, followingKey(props.encryptionKey, defaults.removalPolicy));

    this.acknowledgeFindings(props.multiAz ?? defaults.multiAz, props.deletionProtection ?? defaults.deletionProtection, backupRetention.toDays());

    const alarms = this.createAlarms(this.maxConnections, rotationFunctionName);
    this.cpuAlarm = alarms.cpu;
    this.freeStorageAlarm = alarms.freeStorage;
    this.connectionsAlarm = alarms.connections;
    this.passwordRotationAlarm = alarms.passwordRotation;
  }

  /** The instance's max_connections: `maxConnections`, or what the instance class allows. */
  private maxConnectionsOf(props: LiteLlmDatabaseProps, instanceType: ec2.InstanceType): number {
    if (props.maxConnections !== undefined && Token.isUnresolved(props.maxConnections)) {
      throw new Error('`maxConnections` is a token: the service sizes its connection pools from it at synth, so it must be a literal number');
    }
    const maxConnections = props.maxConnections ?? postgresMaxConnections(instanceType);
    if (maxConnections === undefined) {
      throw new Error(`\`instanceType\` (${instanceType}) is not a class whose max_connections this library knows: set \`maxConnections\` to the instance's max_connections`);
    }
    check(props.maxConnections, v => Number.isInteger(v) && v >= 20 && v <= 5000,
      v => `\`maxConnections\` (${v}) must be an integer from 20 to 5000`);
    return maxConnections;
  }

  /** The parameter group: TLS only. */
  private createParameterGroup(engine: rds.IInstanceEngine): rds.ParameterGroup {
    return new rds.ParameterGroup(this, 'Parameters', {
      engine,
      description: 'LiteLLM PostgreSQL: TLS only',
      parameters: { 'rds.force_ssl': '1' },
    });
  }

  /** What the instance needs beyond its props: cfn-lint's view of a major version, and its secret's removal policy. */
  private tuneInstance(engineVersion: rds.PostgresEngineVersion, removalPolicy: RemovalPolicy): void {
    if (!engineVersion.postgresFullVersion.includes('.')) {
      // A major version alone is valid for RDS (it picks the default minor and, with
      // automatic minor upgrades, keeps it current), but cfn-lint's list of versions
      // holds full versions only and calls it deprecated.
      (this.instance.node.defaultChild as rds.CfnDBInstance).addMetadata('cfn-lint', { config: { ignore_checks: ['W3691'] } });
    }
    // A snapshot without its credentials is of little use. `instance.secret` is the
    // target attachment; the generated secret itself is the instance's `Secret` child.
    (this.instance.node.findChild('Secret') as secretsmanager.Secret).applyRemovalPolicy(
      removalPolicy === RemovalPolicy.DESTROY ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN);
  }

  /** The master password's hosted rotation (its rules off when rotation is off). */
  private scheduleRotation(
    props: LiteLlmDatabaseProps, rotation: ReturnType<typeof rotationOf>,
  ): { rotationSchedule: secretsmanager.RotationSchedule; rotationFunctionName: string } {
    // Named, so that its errors can be alarmed on: the hosted function is created at deploy.
    const rotationFunctionName = rotationFunctionNameOf(this);
    const rotationSchedule = this.secret.addRotationSchedule('Rotation', {
      hostedRotation: secretsmanager.HostedRotation.postgreSqlSingleUser({
        functionName: rotationFunctionName,
        vpc: props.vpc,
        vpcSubnets: privateSubnetsOf(props.vpc),
        securityGroups: [props.rotationSecurityGroup],
        excludeCharacters: EXCLUDED_PASSWORD_CHARACTERS,
      }),
      automaticallyAfter: rotation.automaticallyAfter,
      rotateImmediatelyOnUpdate: false,
    });
    applyRotationRules(rotationSchedule, rotation);
    return { rotationSchedule, rotationFunctionName };
  }

  /** The proxy's database user (`PROXY_USERNAME`, IAM auth), created and kept by the database-user function. */
  private addProxyUser(
    props: LiteLlmDatabaseProps, logRetention: logs.RetentionDays, removalPolicy: RemovalPolicy,
    rotationOff: RotationOffProps | undefined,
  ): DatabaseUser {
    return new DatabaseUser(this, 'ProxyUser', {
      vpc: props.vpc,
      securityGroup: props.rotationSecurityGroup,
      masterSecret: this.secret,
      instanceResourceId: (this.instance.node.defaultChild as rds.CfnDBInstance).attrDbiResourceId,
      userName: LiteLlmDatabase.PROXY_USERNAME,
      encryptionKey: props.encryptionKey,
      logRetention,
      removalPolicy,
      // Served by the database-user function: it already reaches Secrets Manager, and CDK's
      // AwsCustomResource singleton would get its grant in the deploy that first calls it.
      rotationOff,
    });
  }

  /** What the rule packs report that is right by choice or beyond this construct (each reason in the README). */
  private acknowledgeFindings(multiAz: boolean, deletionProtection: boolean, backupDays: number): void {
    acknowledge(this.instance, 'AwsSolutions-RDS11',
      'The instance listens on PostgreSQL\'s default 5432; only the service and rotation security groups may reach it, over TLS, the proxy with IAM tokens.');
    if (!multiAz) {
      acknowledge(this.instance, 'AwsSolutions-RDS3', 'Single-AZ by choice (DEVELOPMENT profile or multiAz: false).');
    }
    if (!deletionProtection) {
      acknowledge(this.instance, 'AwsSolutions-RDS10', 'Deletion protection off by choice (DEVELOPMENT profile or deletionProtection: false).');
    }
    acknowledge(this.instance, 'NIST.800.53.R5-RDSInBackupPlan',
      `Automated backups (${backupDays} days, point-in-time recovery) and a final snapshot on deletion; add the instance to your organization's AWS Backup plan if it has one.`);
    const monitoringRole = this.instance.node.tryFindChild('MonitoringRole');
    if (monitoringRole) {
      acknowledge(monitoringRole, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole]',
        'AmazonRDSEnhancedMonitoringRole is the policy RDS documents for Enhanced Monitoring; it only writes to the RDSOSMetrics log group.');
    }
    acknowledgeLogFindings(this, this.instance);
  }

  /**
   * Storage and its autoscaling ceiling. RDS refuses a ceiling less than 10 % above the
   * storage ("Invalid max storage size"); an equal one means fixed storage, sent as no
   * ceiling at all (storage autoscaling off).
   */
  private storageOf(props: LiteLlmDatabaseOptions): { allocated: number; maxAllocated?: number } {
    const allocated = props.allocatedStorage ?? 20;
    const maxAllocated = props.maxAllocatedStorage ?? 100;
    check(allocated, v => Number.isInteger(v) && v >= 20 && v <= 65536,
      v => `\`allocatedStorage\` (${v}) must be an integer from 20 to 65536 (gp3 limits)`);
    check(maxAllocated, v => v >= allocated,
      v => `\`maxAllocatedStorage\` (${v}) must be >= \`allocatedStorage\` (${allocated}): raise maxAllocatedStorage`);
    if (Token.isUnresolved(allocated) || Token.isUnresolved(maxAllocated)) return { allocated, maxAllocated };
    // 10 % above, in whole GiB, without floating point (20 × 1.1 is 22.000000000000004).
    const lowest = Math.ceil(allocated * 11 / 10);
    check(maxAllocated, v => v === allocated || v >= lowest,
      v => `\`maxAllocatedStorage\` (${v}) must be at least 10 % above \`allocatedStorage\` (${allocated}), or RDS refuses it: `
        + `raise maxAllocatedStorage to ${lowest} or more, or set it to ${allocated} for fixed storage without autoscaling`);
    if (maxAllocated !== allocated) return { allocated, maxAllocated };
    if (props.maxAllocatedStorage === undefined) {
      Annotations.of(this).addWarningV2('cdk-litellm:storageAutoscalingOff',
        `Storage autoscaling is off: \`maxAllocatedStorage\` defaults to ${maxAllocated} GiB, the same as \`allocatedStorage\`. `
        + `Set maxAllocatedStorage to ${lowest} or more to let RDS grow the storage, or to ${allocated} to say that fixed storage is meant.`);
    }
    return { allocated };
  }

  private createAlarms(maxConnections: number, rotationFunctionName: string): {
    cpu: cloudwatch.Alarm; freeStorage: cloudwatch.Alarm; connections: cloudwatch.Alarm; passwordRotation: cloudwatch.Alarm;
  } {
    const fiveMinutes = Duration.minutes(5);
    const cpu = this.instance.metricCPUUtilization({ period: fiveMinutes }).createAlarm(this, 'CpuAlarm', {
      alarmDescription: 'LiteLLM database CPU above 80 % for 15 minutes',
      threshold: 80,
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const freeStorage = this.instance.metricFreeStorageSpace({ period: fiveMinutes }).createAlarm(this, 'FreeStorageAlarm', {
      alarmDescription: 'LiteLLM database free storage below 5 GiB for 15 minutes',
      threshold: Size.gibibytes(5).toBytes(),
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      // A metric that stops (instance stopped, being replaced) says nothing about the disk.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const connections = this.instance.metricDatabaseConnections({ period: fiveMinutes, statistic: 'Maximum' }).createAlarm(this, 'ConnectionsAlarm', {
      alarmDescription: `LiteLLM database connections above 80 % of max_connections (${maxConnections}) for 15 minutes`,
      threshold: Math.floor(maxConnections * 0.8),
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const passwordRotation = anyErrorAlarm(this, 'PasswordRotationAlarm',
      new cloudwatch.Metric({ namespace: 'AWS/Lambda', metricName: 'Errors', dimensionsMap: { FunctionName: rotationFunctionName } }),
      'Rotating the LiteLLM database password failed: Secrets Manager keeps the old one and retries at the next schedule');
    return { cpu, freeStorage, connections, passwordRotation };
  }

  /**
   * Makes the deploy-time step that creates `PROXY_USERNAME` (its function and custom resource)
   * start after `dependencies` and be deleted before them. The function runs in the VPC: it
   * reads the master secret from Secrets Manager and answers CloudFormation through an S3
   * pre-signed URL. A NAT gateway's route it already waits for; in a VPC without one, only VPC
   * endpoints (S3 gateway, Secrets Manager) carry that traffic, and if CloudFormation deletes
   * them first, the step cannot answer and fails to delete. Pass those endpoints here.
   * `LiteLlmPlatform` passes its network's. Across stacks this makes the step's stack depend
   * on theirs.
   */
  public addProxyUserDependency(...dependencies: IDependable[]): void {
    this.databaseUser.addDependency(...dependencies);
  }

  /** The database alarms: CPU, free storage, connections, password rotation. */
  public get alarms(): cloudwatch.IAlarm[] {
    return [this.cpuAlarm, this.freeStorageAlarm, this.connectionsAlarm, this.passwordRotationAlarm];
  }

  /**
   * How LiteLLM reaches the database without a password: RDS IAM authentication as
   * `PROXY_USERNAME`, over TLS. LiteLLM mints a token before it migrates or serves and
   * refreshes it before the 15 minutes run out (litellm/proxy/proxy_cli.py:1244-1255,
   * litellm/proxy/db/prisma_client.py:518-562 in 1.108.7). Its refresh reads
   * `DATABASE_USER` (prisma_client.py:538-562), the password path `DATABASE_USERNAME`:
   * both are set. Grant the task role `grantConnect`, and start no task before `proxyUser`.
   *
   * @param caCertificatePath where the container finds `caCertificatePemFor(...)`: with it
   * the server is verified (`verify-full`); without it, only encrypted (`require`)
   */
  public containerEnvironment(caCertificatePath?: string): { [env: string]: string } {
    return {
      IAM_TOKEN_DB_AUTH: 'true',
      DATABASE_HOST: this.instance.dbInstanceEndpointAddress,
      DATABASE_PORT: this.instance.dbInstanceEndpointPort,
      DATABASE_USER: LiteLlmDatabase.PROXY_USERNAME,
      DATABASE_USERNAME: LiteLlmDatabase.PROXY_USERNAME,
      DATABASE_NAME: LiteLlmDatabase.DATABASE_NAME,
      // IAM tokens are accepted over TLS only (db_url_settings.py:420-437 adds it to the URL);
      // with the CA the server is verified (chain and host name) before the token is sent.
      ...(caCertificatePath
        ? { DATABASE_SSLMODE: 'verify-full', DATABASE_SSLROOTCERT: caCertificatePath }
        : { DATABASE_SSLMODE: 'require' }),
    };
  }

  /**
   * The PEM of the root CA that signs the instance's certificate, as a value of `scope`'s
   * stack (in a region-agnostic stack, a lookup by region in that stack). Write it to a
   * file in the container and pass the file's path to `containerEnvironment`.
   */
  public caCertificatePemFor(scope: Construct): string {
    return rdsServerCaPemFor(scope, this.caCertificateOverride);
  }

  /** Lets `grantee` log in as `PROXY_USERNAME` with an IAM token (`rds-db:connect` on that user only). */
  public grantConnect(grantee: iam.IGrantable): iam.Grant {
    return this.instance.grantConnect(grantee, LiteLlmDatabase.PROXY_USERNAME);
  }

  /**
   * The master user's connection settings as separate ECS secrets, for administration
   * tools that log in with the rotated password. LiteLLM itself uses
   * `containerEnvironment()`, which no rotation can break.
   *
   * @param secret the credentials secret as seen from the caller's stack
   * @default - `this.secret`
   */
  public containerSecrets(secret?: secretsmanager.ISecret): { [env: string]: ecs.Secret } {
    const from = secret ?? this.secret;
    return {
      DATABASE_HOST: ecs.Secret.fromSecretsManager(from, 'host'),
      DATABASE_PORT: ecs.Secret.fromSecretsManager(from, 'port'),
      DATABASE_USERNAME: ecs.Secret.fromSecretsManager(from, 'username'),
      DATABASE_PASSWORD: ecs.Secret.fromSecretsManager(from, 'password'),
      DATABASE_NAME: ecs.Secret.fromSecretsManager(from, 'dbname'),
    };
  }
}

/**
 * Lambda names are per account and region, and one app often deploys the same stack
 * under several names (dev, staging): the deployed stack name leads, the construct
 * path's hash follows. At most 64 characters.
 */
function rotationFunctionNameOf(scope: Construct): string {
  const stackName = Stack.of(scope).stackName;
  const pathHash = Names.uniqueId(scope).slice(-8);
  if (Token.isUnresolved(stackName)) return Names.uniqueResourceName(scope, { maxLength: 64, separator: '-' });
  return `${stackName.slice(0, 43)}-db-rotation-${pathHash}`;
}


/** `backupRetention`, checked: whole days from 1 to 35. */
function backupRetentionOf(props: LiteLlmDatabaseProps): Duration {
  const backupRetention = props.backupRetention ?? Duration.days(7);
  check(backupRetention.toDays({ integral: false }), d => Number.isInteger(d) && d >= 1 && d <= 35,
    d => `\`backupRetention\` (${d} days) must be whole days from 1 to 35, as RDS allows, e.g. Duration.days(7)`);
  return backupRetention;
}

/** `engineVersion`, checked: PostgreSQL 15 or newer. */
function engineVersionOf(props: LiteLlmDatabaseProps): rds.PostgresEngineVersion {
  const engineVersion = props.engineVersion ?? rds.PostgresEngineVersion.VER_17;
  check(engineVersion.postgresMajorVersion, v => Number(v) >= 15,
    v => `\`engineVersion\` (PostgreSQL ${v}) is too old: LiteLLM needs PostgreSQL 15 or newer, e.g. rds.PostgresEngineVersion.VER_17`);
  return engineVersion;
}
