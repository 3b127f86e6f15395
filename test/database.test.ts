import {
  App, CfnElement, Duration, RemovalPolicy, Stack,
  aws_ec2 as ec2, aws_ecr as ecr, aws_ecs as ecs, aws_kms as kms, aws_logs as logs, aws_rds as rds,
} from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import {
  LiteLlmDeploymentProfile, LiteLlmDatabase, LiteLlmDatabaseOptions, LiteLlmImage, LiteLlmModel, LiteLlmNetwork, LiteLlmPlatform, LiteLlmSecurity,
} from '../src';

const ENV = { account: '123456789012', region: 'us-east-1' };
const FIVE_GIB_IN_BYTES = 5 * 1024 ** 3;

/** The database as the platform builds it: next to a LiteLlmNetwork and a LiteLlmSecurity. */
function platformStack(options: LiteLlmDatabaseOptions & { profile?: LiteLlmDeploymentProfile } = {}) {
  const stack = new Stack(new App(), 'Stack', { env: ENV });
  const security = new LiteLlmSecurity(stack, 'Security', { profile: options.profile });
  const network = new LiteLlmNetwork(stack, 'Network', { encryptionKey: security.encryptionKey, profile: options.profile });
  const database = new LiteLlmDatabase(stack, 'Database', {
    vpc: network.vpc,
    securityGroup: network.databaseSecurityGroup,
    rotationSecurityGroup: network.rotationSecurityGroup,
    encryptionKey: security.encryptionKey,
    ...options,
  });
  return { stack, security, network, database, template: Template.fromStack(stack) };
}

/** The database alone, with a plain VPC (isolated subnets only), two security groups and a key. */
function standalone(options: LiteLlmDatabaseOptions = {}) {
  const stack = new Stack(new App(), 'Stack', { env: ENV });
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [{ name: 'Data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
  });
  const securityGroup = new ec2.SecurityGroup(stack, 'DbSg', { vpc, allowAllOutbound: false });
  const rotationSecurityGroup = new ec2.SecurityGroup(stack, 'RotationSg', { vpc, allowAllOutbound: false });
  const key = new kms.Key(stack, 'Key');
  const make = () => new LiteLlmDatabase(stack, 'Database', { vpc, securityGroup, rotationSecurityGroup, encryptionKey: key, ...options });
  return { stack, vpc, securityGroup, rotationSecurityGroup, key, make };
}

function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as rds.CfnDBInstance);
}

/** The logical IDs `resource` refers to: Ref, Fn::GetAtt and DependsOn. */
function referencesOf(resource: any): string[] {
  const found = new Set<string>([].concat(resource.DependsOn ?? []));
  const walk = (v: any): void => {
    if (Array.isArray(v)) {
      v.forEach(walk);
    } else if (v && typeof v === 'object') {
      if (typeof v.Ref === 'string') found.add(v.Ref);
      if (Array.isArray(v['Fn::GetAtt'])) found.add(v['Fn::GetAtt'][0]);
      Object.values(v).forEach(walk);
    }
  };
  walk(resource.Properties);
  return [...found];
}

/** A resource that depends on itself through others: CloudFormation refuses such a template. */
function dependencyCycle(resources: { [id: string]: any }): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, path: string[]): string[] | undefined => {
    if (state.get(id) === 'done' || !(id in resources)) return undefined;
    if (state.get(id) === 'visiting') return [...path, id];
    state.set(id, 'visiting');
    for (const next of referencesOf(resources[id])) {
      const cycle = visit(next, [...path, id]);
      if (cycle) return cycle;
    }
    state.set(id, 'done');
    return undefined;
  };
  for (const id of Object.keys(resources)) {
    const cycle = visit(id, []);
    if (cycle) return cycle;
  }
  return undefined;
}

describe('LiteLlmDatabase (DEVELOPMENT) in a platform', () => {
  let stack: Stack;
  let security: LiteLlmSecurity;
  let network: LiteLlmNetwork;
  let database: LiteLlmDatabase;
  let template: Template;
  let keyArn: unknown;
  beforeAll(() => {
    // GIVEN / WHEN
    ({ stack, security, network, database, template } = platformStack());
    keyArn = stack.resolve(security.encryptionKey.keyArn);
  });

  test('runs PostgreSQL 17 (major only: RDS picks and patches the minor) on a db.t4g.micro', () => {
    // THEN
    template.resourceCountIs('AWS::RDS::DBInstance', 1);
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      Engine: 'postgres',
      EngineVersion: '17',
      AutoMinorVersionUpgrade: true,
      DBInstanceClass: 'db.t4g.micro',
    });
    // cfn-lint knows full versions only; the instance tells it why a major alone is fine.
    template.hasResource('AWS::RDS::DBInstance', { Metadata: { 'cfn-lint': { config: { ignore_checks: ['W3691'] } } } });
  });

  test('allows major version upgrades: a permission only, RDS never upgrades a major version by itself', () => {
    // THEN
    template.hasResourceProperties('AWS::RDS::DBInstance', { AllowMajorVersionUpgrade: true });
  });

  test('forces TLS through its parameter group', () => {
    // THEN
    template.hasResourceProperties('AWS::RDS::DBParameterGroup', {
      Family: 'postgres17',
      Parameters: { 'rds.force_ssl': '1' },
    });
    const [parameterGroupId] = Object.keys(template.findResources('AWS::RDS::DBParameterGroup'));
    template.hasResourceProperties('AWS::RDS::DBInstance', { DBParameterGroupName: { Ref: parameterGroupId } });
  });

  test('stores on gp3, 20 GiB growing to 100 GiB, encrypted with the key', () => {
    // THEN
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      StorageType: 'gp3',
      AllocatedStorage: '20',
      MaxAllocatedStorage: 100,
      StorageEncrypted: true,
      KmsKeyId: keyArn,
    });
  });

  test('sits in the private subnets behind the database security group, not publicly accessible', () => {
    // THEN
    template.hasResourceProperties('AWS::RDS::DBSubnetGroup', {
      SubnetIds: stack.resolve(network.vpc.privateSubnets.map(s => s.subnetId)),
    });
    const [subnetGroupId] = Object.keys(template.findResources('AWS::RDS::DBSubnetGroup'));
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      DBSubnetGroupName: { Ref: subnetGroupId },
      VPCSecurityGroups: [stack.resolve(network.databaseSecurityGroup.securityGroupId)],
      PubliclyAccessible: false,
    });
    expect(database.connections.securityGroups).toEqual([network.databaseSecurityGroup]);
  });

  test('single-AZ, no deletion protection, a final snapshot when it leaves the stack (as rds.DatabaseInstance)', () => {
    // THEN
    template.hasResource('AWS::RDS::DBInstance', {
      Properties: Match.objectLike({ MultiAZ: false, DeletionProtection: false }),
      DeletionPolicy: 'Snapshot',
      UpdateReplacePolicy: 'Snapshot',
    });
  });

  test('keeps 7 days of backups, backs up 03:00-04:00 and is maintained Sun:04:00-Sun:05:00', () => {
    // THEN
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      BackupRetentionPeriod: 7,
      PreferredBackupWindow: '03:00-04:00',
      PreferredMaintenanceWindow: 'Sun:04:00-Sun:05:00',
    });
  });

  test('has Performance Insights and enhanced monitoring off', () => {
    // THEN
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      EnablePerformanceInsights: false,
      PerformanceInsightsKMSKeyId: Match.absent(),
      MonitoringInterval: Match.absent(),
    });
  });

  test('exports the postgresql log, kept 14 days, and allows IAM authentication', () => {
    // THEN
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      EnableCloudwatchLogsExports: Match.arrayWith(['postgresql']),
      EnableIAMDatabaseAuthentication: true,
    });
    template.hasResourceProperties('Custom::LogRetention', {
      LogGroupName: { 'Fn::Join': ['', ['/aws/rds/instance/', stack.resolve(database.instance.instanceIdentifier), '/postgresql']] },
      RetentionInDays: 14,
    });
  });

  test('keeps the upgrade log 14 days as well', () => {
    // THEN
    template.hasResourceProperties('Custom::LogRetention', {
      LogGroupName: { 'Fn::Join': ['', ['/aws/rds/instance/', stack.resolve(database.instance.instanceIdentifier), '/upgrade']] },
      RetentionInDays: 14,
    });
  });

  test.each(['postgresql', 'upgrade'])('puts the key on the %s log group once it exists (RDS or LogRetention created it)', logType => {
    // WHEN
    const logGroupName = { 'Fn::Join': ['', ['/aws/rds/instance/', stack.resolve(database.instance.instanceIdentifier), `/${logType}`]] };
    const [retentionId] = Object.keys(template.findResources('Custom::LogRetention', { Properties: { LogGroupName: logGroupName } }));
    const associations = Object.values(template.findResources('Custom::LiteLlmRdsLogGroupKey'))
      .filter((r: any) => JSON.stringify(r.Properties.Create).includes(`/${logType}\\"`));

    // THEN
    expect(associations).toHaveLength(1);
    const [association] = associations as any[];
    for (const call of [association.Properties.Create, association.Properties.Update]) {
      const rendered = JSON.stringify(call);
      expect(rendered).toContain('\\"service\\":\\"CloudWatchLogs\\",\\"action\\":\\"associateKmsKey\\"');
      expect(rendered).toContain(JSON.stringify(keyArn));
      expect(rendered).toContain(`/${logType}\\",\\"kmsKeyId`);
    }
    expect(association.Properties.Delete).toBeUndefined();
    expect(association.DependsOn).toContain(retentionId);
    // Minutes, like every other custom resource of the platform, not CloudFormation's hour.
    expect(association.Properties.ServiceTimeout).toBe('300');
  });

  test.each(['postgresql', 'upgrade'])('may associate a key with the %s log group only, and use the key only through CloudWatch Logs', logType => {
    // WHEN
    const policies = Object.values(template.findResources('AWS::IAM::Policy', {
      Properties: { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'logs:AssociateKmsKey' })]) } },
    })).filter((p: any) => JSON.stringify(p).includes(`/${logType}"`));

    // THEN
    expect(policies).toHaveLength(1);
    expect((policies[0] as any).Properties.PolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: 'logs:AssociateKmsKey',
        // The `:*` form CloudWatch Logs documents for every action but tagging, and the
        // Service Authorization Reference's `log-group:NAME`: the same single group.
        Resource: ['', ':*'].map(suffix => ({
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:us-east-1:123456789012:log-group:/aws/rds/instance/',
            stack.resolve(database.instance.instanceIdentifier), `/${logType}${suffix}`]],
        })),
      },
      {
        Effect: 'Allow',
        Action: ['kms:DescribeKey', 'kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: keyArn,
        Condition: { StringEquals: { 'kms:ViaService': 'logs.us-east-1.amazonaws.com' } },
      },
    ]);
  });

  test('the function that puts the key on the log groups logs into a group encrypted with the key', () => {
    // WHEN
    const fn = template.findResources('AWS::Lambda::Function', {
      Properties: { Role: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AWS679f53fac002430cb0da5b7982bd2287'), 'Arn'] } },
    });
    const [logGroupRef] = Object.values(fn).map((f: any) => f.Properties.LoggingConfig.LogGroup.Ref);

    // THEN
    expect(Object.keys(fn)).toHaveLength(1);
    expect(template.toJSON().Resources[logGroupRef].Properties).toEqual({ KmsKeyId: keyArn, RetentionInDays: 14 });
  });

  test('generates the credentials of user litellm into a secret encrypted with the key', () => {
    // THEN
    const secrets = template.findResources('AWS::SecretsManager::Secret', {
      Properties: { GenerateSecretString: { SecretStringTemplate: JSON.stringify({ username: 'litellm' }) } },
    });
    expect(Object.values(secrets)).toHaveLength(1);
    const [secret] = Object.values(secrets);
    expect(secret.Properties).toMatchObject({ KmsKeyId: keyArn, GenerateSecretString: { GenerateStringKey: 'password' } });
    expect(secret.Properties.SecretString).toBeUndefined();
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      DBName: 'litellm',
      MasterUsername: 'litellm',
      MasterUserPassword: { 'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: Object.keys(secrets)[0] }, ':SecretString:password::}}']] },
    });
    expect(LiteLlmDatabase.USERNAME).toBe('litellm');
    expect(LiteLlmDatabase.DATABASE_NAME).toBe('litellm');
  });

  test('rotates the password every 30 days with the hosted single-user PostgreSQL rotation, in the VPC with the rotation group', () => {
    // THEN
    const [subnet1, subnet2] = stack.resolve(network.vpc.privateSubnets.map(s => s.subnetId));
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      SecretId: stack.resolve(database.secret.secretArn),
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
      RotateImmediatelyOnUpdate: false,
      HostedRotationLambda: Match.objectLike({
        RotationType: 'PostgreSQLSingleUser',
        KmsKeyArn: keyArn,
        VpcSecurityGroupIds: stack.resolve(network.rotationSecurityGroup.securityGroupId),
        VpcSubnetIds: { 'Fn::Join': ['', [subnet1, ',', subnet2]] },
      }),
    });
    expect(template.toJSON().Transform).toBe('AWS::SecretsManager-2024-09-16');
  });

  test('adds no security group that allows all outbound traffic (the hosted rotation uses the rotation group)', () => {
    // THEN
    template.resourcePropertiesCountIs('AWS::EC2::SecurityGroup', {
      SecurityGroupEgress: Match.arrayWith([Match.objectLike({ IpProtocol: '-1' })]),
    }, 0);
    template.resourcePropertiesCountIs('AWS::EC2::SecurityGroupEgress', { IpProtocol: '-1' }, 0);
    // The network's six (load balancer, service, database, rotation, cache, endpoints); the database adds none.
    template.resourceCountIs('AWS::EC2::SecurityGroup', 6);
  });

  test('knows max_connections of a db.t4g.micro', () => {
    // THEN
    expect(database.maxConnections).toBe(84);
  });

  test('alarms on CPU > 80 % for 3 × 5 minutes', () => {
    // THEN
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/RDS',
      MetricName: 'CPUUtilization',
      Dimensions: [{ Name: 'DBInstanceIdentifier', Value: stack.resolve(database.instance.instanceIdentifier) }],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 80,
      Period: 300,
      EvaluationPeriods: 3,
    });
  });

  test('does not alarm on free storage when the metric is missing (a stopped metric is not a full disk)', () => {
    // THEN
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'FreeStorageSpace', TreatMissingData: 'notBreaching' });
  });

  test('alarms on free storage < 5 GiB (in bytes) for 3 × 5 minutes', () => {
    // THEN
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/RDS',
      MetricName: 'FreeStorageSpace',
      ComparisonOperator: 'LessThanThreshold',
      Threshold: FIVE_GIB_IN_BYTES,
      Period: 300,
      EvaluationPeriods: 3,
    });
  });

  test('alarms on connections > 80 % of max_connections for 3 × 5 minutes', () => {
    // THEN
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/RDS',
      MetricName: 'DatabaseConnections',
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 67, // floor(84 × 0.8)
      Period: 300,
      EvaluationPeriods: 3,
    });
  });

  test('names the hosted rotation function and alarms on any error of it', () => {
    // THEN
    const rotation = Object.values(template.findResources('AWS::SecretsManager::RotationSchedule', {
      Properties: { SecretId: stack.resolve(database.secret.secretArn) },
    }));
    expect(rotation).toHaveLength(1);
    const functionName = rotation[0].Properties.HostedRotationLambda.RotationLambdaName;
    // The deployed stack name leads: the same app deployed as dev and staging in one account must not collide.
    expect(functionName).toMatch(/^Stack-db-rotation-[0-9A-F]{8}$/);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: functionName }],
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  test('the rotation function name follows the deployed stack name and stays within 64 characters', () => {
    // GIVEN
    const nameIn = (stackName: string) => {
      const app = new App();
      const other = new Stack(app, 'Db', { env: ENV, stackName });
      const vpc = new ec2.Vpc(other, 'Vpc', { maxAzs: 2 });
      new LiteLlmDatabase(other, 'Database', {
        vpc,
        securityGroup: new ec2.SecurityGroup(other, 'DbSg', { vpc }),
        rotationSecurityGroup: new ec2.SecurityGroup(other, 'RotSg', { vpc }),
        encryptionKey: new kms.Key(other, 'Key'),
      });
      return Object.values(Template.fromStack(other).findResources('AWS::SecretsManager::RotationSchedule'))[0]
        .Properties.HostedRotationLambda.RotationLambdaName as string;
    };

    // WHEN
    const dev = nameIn('litellm-dev');
    const staging = nameIn('litellm-staging');
    const long = nameIn('x'.repeat(128));

    // THEN
    expect(dev).toMatch(/^litellm-dev-db-rotation-[0-9A-F]{8}$/);
    expect(staging).toMatch(/^litellm-staging-db-rotation-[0-9A-F]{8}$/);
    expect(dev.slice(-8)).toBe(staging.slice(-8));
    expect(long).toHaveLength(64);
  });

  test('exposes exactly those four alarms', () => {
    // THEN: the fifth alarm of the stack is the security's master-key function errors
    template.resourceCountIs('AWS::CloudWatch::Alarm', 5);
    expect(database.alarms).toEqual([database.cpuAlarm, database.freeStorageAlarm, database.connectionsAlarm, database.passwordRotationAlarm]);
  });

  test('stateful resources keep their logical IDs', () => {
    // THEN
    const credentials = template.findResources('AWS::SecretsManager::Secret', {
      Properties: { GenerateSecretString: { SecretStringTemplate: JSON.stringify({ username: 'litellm' }) } },
    });
    expect({
      instance: logicalId(stack, database.instance),
      credentials: Object.keys(credentials),
      attachment: stack.resolve(database.secret.secretArn),
    }).toEqual({
      instance: 'DatabaseInstanceAA8A5FDE',
      credentials: ['StackDatabaseInstanceSecret909C24DC1d89ec5d5e2383762bcfdfbc9a6eaeed'],
      attachment: { Ref: 'DatabaseInstanceSecretAttachmentFCA06D38' },
    });
  });
});

describe('LiteLlmDatabase (PRODUCTION) in a platform', () => {
  let stack: Stack;
  let security: LiteLlmSecurity;
  let database: LiteLlmDatabase;
  let template: Template;
  beforeAll(() => {
    // GIVEN / WHEN
    ({ stack, security, database, template } = platformStack({ profile: LiteLlmDeploymentProfile.PRODUCTION }));
  });

  test('runs on a db.t4g.small (a size up from DEVELOPMENT), Multi-AZ', () => {
    // THEN
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      DBInstanceClass: 'db.t4g.small',
      MultiAZ: true,
      EngineVersion: '17',
    });
  });

  test('retains the credentials secret, so a final snapshot stays usable', () => {
    // THEN
    template.hasResource('AWS::SecretsManager::Secret', {
      Properties: Match.objectLike({ GenerateSecretString: Match.objectLike({ SecretStringTemplate: '{"username":"litellm"}' }) }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('has deletion protection and snapshots on delete or replacement', () => {
    // THEN
    template.hasResource('AWS::RDS::DBInstance', {
      Properties: Match.objectLike({ DeletionProtection: true }),
      DeletionPolicy: 'Snapshot',
      UpdateReplacePolicy: 'Snapshot',
    });
  });

  test('has Performance Insights on, encrypted with the key', () => {
    // THEN
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      EnablePerformanceInsights: true,
      PerformanceInsightsKMSKeyId: stack.resolve(security.encryptionKey.keyArn),
    });
  });

  test('keeps the same storage, backups, windows, log exports and TLS as in development', () => {
    // THEN
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      StorageType: 'gp3',
      AllocatedStorage: '20',
      MaxAllocatedStorage: 100,
      StorageEncrypted: true,
      BackupRetentionPeriod: 7,
      PreferredBackupWindow: '03:00-04:00',
      PreferredMaintenanceWindow: 'Sun:04:00-Sun:05:00',
      EnableCloudwatchLogsExports: Match.arrayWith(['postgresql']),
      EnableIAMDatabaseAuthentication: true,
    });
    template.hasResourceProperties('AWS::RDS::DBParameterGroup', { Parameters: { 'rds.force_ssl': '1' } });
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
      HostedRotationLambda: Match.objectLike({ RotationType: 'PostgreSQLSingleUser' }),
    });
  });

  test('keeps the postgresql log 90 days', () => {
    // THEN
    template.hasResourceProperties('Custom::LogRetention', {
      LogGroupName: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith(['/postgresql'])] }),
      RetentionInDays: 90,
    });
  });

  test('sizes the connections alarm from max_connections of a db.t4g.small', () => {
    // THEN
    expect(database.maxConnections).toBe(168);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'DatabaseConnections',
      Threshold: 134, // floor(168 × 0.8)
      Period: 300,
      EvaluationPeriods: 3,
    });
  });
});

describe('LiteLlmDatabase options', () => {
  test('explicit props win over the PRODUCTION profile', () => {
    // GIVEN / WHEN
    const { template } = platformStack({
      profile: LiteLlmDeploymentProfile.PRODUCTION,
      multiAz: false,
      deletionProtection: false,
      enablePerformanceInsights: false,
      passwordRotation: { automaticallyAfter: Duration.days(7) },
      allocatedStorage: 50,
      maxAllocatedStorage: 200,
      engineVersion: rds.PostgresEngineVersion.of('16.8', '16'),
    });

    // THEN
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      MultiAZ: false,
      DeletionProtection: false,
      EnablePerformanceInsights: false,
      PerformanceInsightsKMSKeyId: Match.absent(),
      AllocatedStorage: '50',
      MaxAllocatedStorage: 200,
      EngineVersion: '16.8',
    });
    template.hasResourceProperties('AWS::RDS::DBParameterGroup', { Family: 'postgres16' });
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', { RotationRules: { ScheduleExpression: 'rate(7 days)' } });
  });

  test('a ceiling exactly 10 % above the storage turns storage autoscaling on (20 → 22, whole GiB)', () => {
    // GIVEN
    const { stack, make } = standalone({ allocatedStorage: 20, maxAllocatedStorage: 22 });

    // WHEN
    make();

    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::RDS::DBInstance', { AllocatedStorage: '20', MaxAllocatedStorage: 22 });
  });

  test('a ceiling equal to the storage means fixed storage: no MaxAllocatedStorage, no warning', () => {
    // GIVEN
    const { stack, make } = standalone({ allocatedStorage: 50, maxAllocatedStorage: 50 });

    // WHEN
    make();

    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::RDS::DBInstance', { AllocatedStorage: '50', MaxAllocatedStorage: Match.absent() });
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('Storage autoscaling'));
  });

  test('allocatedStorage 100 with the default ceiling (100): fixed storage, and a warning that names the fix', () => {
    // GIVEN
    const { stack, make } = standalone({ allocatedStorage: 100 });

    // WHEN
    make();

    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::RDS::DBInstance', { AllocatedStorage: '100', MaxAllocatedStorage: Match.absent() });
    Annotations.fromStack(stack).hasWarning('/Stack/Database', Match.stringLikeRegexp(
      'Storage autoscaling is off: `maxAllocatedStorage` defaults to 100 GiB, the same as `allocatedStorage`\\. '
      + 'Set maxAllocatedStorage to 110 or more to let RDS grow the storage, or to 100 to say that fixed storage is meant\\.'));
  });

  test('raising engineVersion 17 → 18 upgrades the same instance in place, its parameter group moving to postgres18', () => {
    // GIVEN
    const before = standalone({ engineVersion: rds.PostgresEngineVersion.VER_17 });
    const after = standalone({ engineVersion: rds.PostgresEngineVersion.VER_18 });

    // WHEN
    const [from, to] = [before.make(), after.make()];

    // THEN: same logical ID (an update, not a replacement), the new major allowed
    expect(logicalId(after.stack, to.instance)).toBe(logicalId(before.stack, from.instance));
    const template = Template.fromStack(after.stack);
    template.hasResourceProperties('AWS::RDS::DBInstance', { EngineVersion: '18', AllowMajorVersionUpgrade: true });
    template.hasResourceProperties('AWS::RDS::DBParameterGroup', { Family: 'postgres18', Parameters: { 'rds.force_ssl': '1' } });
  });

  test('the default engine major stays 17, with major upgrades allowed: changing it is a breaking release (CONTRIBUTING.md)', () => {
    // GIVEN: a database that keeps the default engine
    const { stack, make } = standalone();

    // WHEN
    make();

    // THEN: a new default major would upgrade every such database at its next deploy.
    Template.fromStack(stack).hasResourceProperties('AWS::RDS::DBInstance', { EngineVersion: '17', AllowMajorVersionUpgrade: true });
  });

  test('a db.r6g.large: known max_connections and its connections alarm', () => {
    // GIVEN
    const { stack, make } = standalone({ instanceType: ec2.InstanceType.of(ec2.InstanceClass.R6G, ec2.InstanceSize.LARGE) });

    // WHEN
    const database = make();

    // THEN
    expect(database.maxConnections).toBe(1351);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::RDS::DBInstance', { DBInstanceClass: 'db.r6g.large' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'DatabaseConnections', Threshold: 1080 });
  });

  test('an unknown class with maxConnections uses it', () => {
    // GIVEN
    const { make } = standalone({ instanceType: new ec2.InstanceType('z1d.large'), maxConnections: 500 });

    // WHEN
    const database = make();

    // THEN
    expect(database.maxConnections).toBe(500);
  });

  test('maxConnections wins over the class', () => {
    // GIVEN
    const { stack, make } = standalone({ maxConnections: 100 });

    // WHEN
    const database = make();

    // THEN
    expect(database.maxConnections).toBe(100);
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'DatabaseConnections', Threshold: 80 });
  });

  test('alone in its stack, with a VPC of isolated subnets and its own groups and key', () => {
    // GIVEN
    const { stack, vpc, securityGroup, rotationSecurityGroup, key, make } = standalone();

    // WHEN
    make();

    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::RDS::DBInstance', 1);
    template.hasResourceProperties('AWS::RDS::DBSubnetGroup', { SubnetIds: stack.resolve(vpc.isolatedSubnets.map(s => s.subnetId)) });
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      KmsKeyId: stack.resolve(key.keyArn),
      VPCSecurityGroups: [stack.resolve(securityGroup.securityGroupId)],
    });
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      HostedRotationLambda: Match.objectLike({
        RotationType: 'PostgreSQLSingleUser',
        VpcSecurityGroupIds: stack.resolve(rotationSecurityGroup.securityGroupId),
      }),
    });
  });
});

describe('LiteLlmDatabase.containerSecrets() (the master user, for administration tools)', () => {
  let database: LiteLlmDatabase;
  let secrets: { [env: string]: ecs.Secret };
  let template: Template;
  let stack: Stack;
  beforeAll(() => {
    // GIVEN
    const fixture = standalone();
    stack = fixture.stack;
    database = fixture.make();
    const taskDefinition = new ecs.FargateTaskDefinition(stack, 'ThrowawayTask');

    // WHEN
    secrets = database.containerSecrets();
    taskDefinition.addContainer('app', { image: ecs.ContainerImage.fromRegistry('example/app:1'), secrets });
    template = Template.fromStack(stack);
  });

  test('returns host, port, user, password and name, and no DATABASE_URL', () => {
    // THEN
    expect(Object.keys(secrets).sort()).toEqual(['DATABASE_HOST', 'DATABASE_NAME', 'DATABASE_PASSWORD', 'DATABASE_PORT', 'DATABASE_USERNAME']);
    expect(secrets.DATABASE_URL).toBeUndefined();
  });

  test.each([
    ['DATABASE_HOST', 'host'],
    ['DATABASE_PORT', 'port'],
    ['DATABASE_USERNAME', 'username'],
    ['DATABASE_PASSWORD', 'password'],
    ['DATABASE_NAME', 'dbname'],
  ])('%s reads the %s field of the credentials secret', (env, field) => {
    // THEN
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: [Match.objectLike({
        Secrets: Match.arrayWith([{
          Name: env,
          ValueFrom: { 'Fn::Join': ['', [stack.resolve(database.secret.secretArn), `:${field}::`]] },
        }]),
      })],
    });
  });

  test('the task definition holds no DATABASE_URL, neither as secret nor as environment', () => {
    // THEN
    const [task] = Object.values(template.findResources('AWS::ECS::TaskDefinition'));
    const container = task.Properties.ContainerDefinitions[0];
    expect(container.Secrets.map((s: { Name: string }) => s.Name)).not.toContain('DATABASE_URL');
    expect(container.Environment).toBeUndefined();
  });
});

describe('the proxy role (IAM authentication, no password)', () => {
  let stack: Stack;
  let network: LiteLlmNetwork;
  let security: LiteLlmSecurity;
  let database: LiteLlmDatabase;
  let template: Template;
  beforeAll(() => {
    ({ stack, network, security, database, template } = platformStack());
  });

  test('a deploy-time step creates litellm_proxy with the master credentials, after the instance and its secret exist', () => {
    // WHEN
    const [id, resource] = Object.entries(template.findResources('Custom::LiteLlmDatabaseUser'))[0];

    // THEN
    expect(Object.keys(template.findResources('Custom::LiteLlmDatabaseUser'))).toHaveLength(1);
    expect(resource.Properties.SecretId).toEqual(stack.resolve(database.secret.secretArn));
    expect(resource.Properties.UserName).toBe(LiteLlmDatabase.PROXY_USERNAME);
    expect(resource.Properties.ServiceTimeout).toBe('300');
    expect(stack.getLogicalId(database.proxyUser.node.defaultChild as CfnElement)).toBe(id);
    // The secret's ARN is the target attachment's: it exists once the instance does.
    expect(JSON.stringify(resource.Properties.SecretId)).toContain('SecretAttachment');
  });

  test('runs again on a new instance: it carries the instance\'s DbiResourceId, which a replacement or restore changes', () => {
    // WHEN
    const [resource] = Object.values(template.findResources('Custom::LiteLlmDatabaseUser'));

    // THEN
    expect(resource.Properties.DbiResourceId).toEqual({ 'Fn::GetAtt': [logicalId(stack, database.instance), 'DbiResourceId'] });
  });

  test('its function runs in the private subnets with the rotation group, trusting the RDS certificate authorities', () => {
    // WHEN
    const fns = Object.values(template.findResources('AWS::Lambda::Function', {
      Properties: { Description: Match.stringLikeRegexp('logs in with IAM tokens') },
    }));

    // THEN
    expect(fns).toHaveLength(1);
    const fn = fns[0].Properties;
    expect(fn.VpcConfig.SecurityGroupIds).toEqual([stack.resolve(network.rotationSecurityGroup.securityGroupId)]);
    expect(fn.VpcConfig.SubnetIds).toEqual(stack.resolve(network.vpc.privateSubnets.map(s => s.subnetId)));
    expect(fn.Environment.Variables.NODE_EXTRA_CA_CERTS).toBe('/var/runtime/ca-cert.pem');
  });

  test('its role may read the master secret and cancel its rotation, decrypt through Secrets Manager only, write its own logs and use the VPC', () => {
    // WHEN
    const roleId = Object.keys(template.findResources('AWS::IAM::Role')).find(r => r.includes('ProxyUserFunctionRole'))!;
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement);

    // THEN
    expect(statements).toEqual(expect.arrayContaining([
      {
        Effect: 'Allow',
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret', 'secretsmanager:CancelRotateSecret', 'secretsmanager:ListSecretVersionIds'],
        Resource: stack.resolve(database.secret.secretArn),
      },
      {
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: stack.resolve(security.encryptionKey.keyArn),
        Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' } },
      },
    ]));
    expect(statements.flatMap((st: any) => [].concat(st.Action)).sort()).toEqual([
      'cloudformation:DescribeStacks', 'kms:Decrypt', 'logs:CreateLogStream', 'logs:PutLogEvents', 'secretsmanager:CancelRotateSecret', 'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue', 'secretsmanager:ListSecretVersionIds',
    ]);
    // Its own stack's status only (src/rotation/cancel-rotation.ts: a rollback's Update is never refused).
    expect(statements).toEqual(expect.arrayContaining([{ Effect: 'Allow', Action: 'cloudformation:DescribeStacks', Resource: { Ref: 'AWS::StackId' } }]));
    // Lambda needs it to create the function's network interfaces in the VPC.
    expect(template.toJSON().Resources[roleId].Properties.ManagedPolicyArns).toEqual([{
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole']],
    }]);
  });

  test('containerEnvironment() names the endpoint, the role and TLS, and holds no password', () => {
    // WHEN
    const env = stack.resolve(database.containerEnvironment());

    // THEN
    expect(env).toEqual({
      IAM_TOKEN_DB_AUTH: 'true',
      DATABASE_HOST: { 'Fn::GetAtt': [logicalId(stack, database.instance), 'Endpoint.Address'] },
      DATABASE_PORT: { 'Fn::GetAtt': [logicalId(stack, database.instance), 'Endpoint.Port'] },
      DATABASE_USER: 'litellm_proxy',
      DATABASE_USERNAME: 'litellm_proxy',
      DATABASE_NAME: 'litellm',
      DATABASE_SSLMODE: 'require',
    });
  });
});

describe('LiteLlmDatabase.addProxyUserDependency() (what the step needs to answer CloudFormation)', () => {
  test('the function and the step are created after the given VPC endpoints and deleted before them', () => {
    // GIVEN: no NAT gateway; the endpoints are the only way to S3 (the answer) and Secrets Manager
    const { stack, vpc, make } = standalone();
    const s3 = vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
    const secretsManager = vpc.addInterfaceEndpoint('SecretsManager', { service: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER });
    const database = make();

    // WHEN
    database.addProxyUserDependency(s3, secretsManager);

    // THEN
    const resources = Template.fromStack(stack).toJSON().Resources;
    const endpoints = [s3, secretsManager].map(e => stack.getLogicalId(e.node.defaultChild as CfnElement));
    const fnId = Object.keys(resources).find(id => resources[id].Type === 'AWS::Lambda::Function'
      && /logs in with IAM tokens/.test(resources[id].Properties.Description))!;
    const stepId = stack.getLogicalId(database.proxyUser.node.defaultChild as CfnElement);
    expect(resources[fnId].DependsOn).toEqual(expect.arrayContaining(endpoints));
    expect(resources[stepId].DependsOn).toEqual(expect.arrayContaining(endpoints));
  });

  test('without it, the step depends on no endpoint (a NAT gateway\'s route the function waits for by itself)', () => {
    // GIVEN
    const { stack, vpc, make } = standalone();
    vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });

    // WHEN
    const database = make();

    // THEN
    const resources = Template.fromStack(stack).toJSON().Resources;
    const stepId = stack.getLogicalId(database.proxyUser.node.defaultChild as CfnElement);
    expect(JSON.stringify(resources[stepId].DependsOn ?? [])).not.toMatch(/S3/);
  });

  test('the platform\'s VPC endpoints as dependencies (the line for LiteLlmPlatform): no dependency cycle', () => {
    // GIVEN: no NAT gateway, so the network creates the S3 and Secrets Manager endpoints
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const platform = new LiteLlmPlatform(stack, 'LiteLlm', {
      models: [LiteLlmModel.bedrock({ name: 'claude-sonnet', modelId: 'us.anthropic.claude-sonnet-4-20250514-v1:0' })],
      network: { natGateways: 0 },
      image: LiteLlmImage.fromEcrRepository(ecr.Repository.fromRepositoryName(stack, 'Repo', 'litellm'), 'v1.0.0'),
    });

    // WHEN
    platform.database.addProxyUserDependency(...platform.network.node.children.filter(c =>
      c instanceof ec2.GatewayVpcEndpoint || c instanceof ec2.InterfaceVpcEndpoint));

    // THEN
    const resources = Template.fromStack(stack).toJSON().Resources;
    const stepId = stack.getLogicalId(platform.database.proxyUser.node.defaultChild as CfnElement);
    const endpointIds = Object.keys(resources).filter(id => resources[id].Type === 'AWS::EC2::VPCEndpoint');
    expect(endpointIds.map(id => id.replace(/[0-9A-F]{8}$/, ''))).toEqual(expect.arrayContaining(
      ['LiteLlmNetworkS3Endpoint', 'LiteLlmNetworkSecretsManagerEndpoint']));
    expect(resources[stepId].DependsOn).toEqual(expect.arrayContaining(endpointIds));
    expect(dependencyCycle(resources)).toBeUndefined();
  });

  test('across stacks it needs nothing more: the database stack already depends on the network stack, which CloudFormation deletes later', () => {
    // GIVEN
    const app = new App();
    const networkStack = new Stack(app, 'NetworkStack', { env: ENV });
    const databaseStack = new Stack(app, 'DatabaseStack', { env: ENV });
    const key = new kms.Key(new Stack(app, 'KeyStack', { env: ENV }), 'Key');
    const network = new LiteLlmNetwork(networkStack, 'Network', { natGateways: 0 });
    const database = new LiteLlmDatabase(databaseStack, 'Database', {
      vpc: network.vpc, securityGroup: network.databaseSecurityGroup, rotationSecurityGroup: network.rotationSecurityGroup, encryptionKey: key,
    });

    // WHEN
    database.addProxyUserDependency(...network.node.children.filter(c =>
      c instanceof ec2.GatewayVpcEndpoint || c instanceof ec2.InterfaceVpcEndpoint));

    // THEN
    const assembly = app.synth();
    expect(assembly.getStackByName('DatabaseStack').dependencies.map(d => d.id)).toContain('NetworkStack');
    expect(assembly.getStackByName('NetworkStack').dependencies.map(d => d.id)).not.toContain('DatabaseStack');
  });
});

describe('LiteLlmDatabase validation', () => {
  test('rejects PostgreSQL older than 15', () => {
    // GIVEN
    const { make } = standalone({ engineVersion: rds.PostgresEngineVersion.of('14.17', '14') });

    // WHEN / THEN
    expect(make).toThrow('`engineVersion` (PostgreSQL 14) is too old: LiteLLM needs PostgreSQL 15 or newer, e.g. rds.PostgresEngineVersion.VER_17');
  });

  test('accepts PostgreSQL 15', () => {
    // GIVEN
    const { make } = standalone({ engineVersion: rds.PostgresEngineVersion.of('15.12', '15') });

    // WHEN / THEN
    expect(make).not.toThrow();
  });

  test('rejects an instance class it does not know without maxConnections', () => {
    // GIVEN
    const { make } = standalone({ instanceType: new ec2.InstanceType('z1d.large') });

    // WHEN / THEN
    expect(make).toThrow(
      '`instanceType` (z1d.large) is not a class whose max_connections this library knows: set `maxConnections` to the instance\'s max_connections');
  });

  test.each([
    ['0 days', Duration.days(0), 0],
    ['36 days', Duration.days(36), 36],
    ['12 hours', Duration.hours(12), 0.5],
  ])('rejects backupRetention of %s', (_label, backupRetention, days) => {
    // GIVEN
    const { make } = standalone({ backupRetention });

    // WHEN / THEN
    expect(make).toThrow(`\`backupRetention\` (${days} days) must be whole days from 1 to 35, as RDS allows, e.g. Duration.days(7)`);
  });

  test.each([
    [{ schedule: 'rate(2 hours)' }, '`passwordRotation.schedule` ("rate(2 hours)") must rotate every 4 to 23 hours in hours, or use days: Secrets Manager rotates at most every 4 hours, e.g. cron(0 4 ? * SUN#1 *) or rate(30 days)'],
    [{ automaticallyAfter: Duration.days(0) }, '`passwordRotation.automaticallyAfter` (0 days) must be whole days from 1 to 999, as Secrets Manager\'s rate() allows'],
    [{ enabled: false, schedule: 'rate(7 days)' }, '`passwordRotation.schedule` and `passwordRotation.window` need rotation: remove them, or `passwordRotation.enabled: false`'],
    [{ schedule: 'rate(7 days)', automaticallyAfter: Duration.days(7) }, '`passwordRotation.schedule` replaces `passwordRotation.automaticallyAfter`: set one of them'],
    [{ window: Duration.hours(30) }, '`passwordRotation.window` (30 hours) must be whole hours from 1 to 24, as Secrets Manager allows'],
  ])('rejects passwordRotation %j', (passwordRotation, message) => {
    // GIVEN
    const { make } = standalone({ passwordRotation });

    // WHEN / THEN
    expect(make).toThrow(message);
  });

  test.each([19, 5001, 100.5])('rejects maxConnections %d', maxConnections => {
    // GIVEN
    const { make } = standalone({ maxConnections });

    // WHEN / THEN
    expect(make).toThrow(`\`maxConnections\` (${maxConnections}) must be an integer from 20 to 5000`);
  });

  test.each([19, 65537, 20.5])('rejects allocatedStorage %d', allocatedStorage => {
    // GIVEN
    const { make } = standalone({ allocatedStorage, maxAllocatedStorage: 70000 });

    // WHEN / THEN
    expect(make).toThrow(`\`allocatedStorage\` (${allocatedStorage}) must be an integer from 20 to 65536 (gp3 limits)`);
  });

  test('rejects maxAllocatedStorage below allocatedStorage', () => {
    // GIVEN
    const { make } = standalone({ allocatedStorage: 50, maxAllocatedStorage: 40 });

    // WHEN / THEN
    expect(make).toThrow('`maxAllocatedStorage` (40) must be >= `allocatedStorage` (50): raise maxAllocatedStorage');
  });

  test('rejects maxAllocatedStorage less than 10 % above allocatedStorage, naming both fixes', () => {
    // GIVEN: RDS refuses it at deploy ("Invalid max storage size")
    const { make } = standalone({ allocatedStorage: 100, maxAllocatedStorage: 105 });

    // WHEN / THEN
    expect(make).toThrow('`maxAllocatedStorage` (105) must be at least 10 % above `allocatedStorage` (100), or RDS refuses it: '
      + 'raise maxAllocatedStorage to 110 or more, or set it to 100 for fixed storage without autoscaling');
  });

  test('rejects the default maxAllocatedStorage (100) less than 10 % above allocatedStorage 95', () => {
    // GIVEN
    const { make } = standalone({ allocatedStorage: 95 });

    // WHEN / THEN
    expect(make).toThrow('`maxAllocatedStorage` (100) must be at least 10 % above `allocatedStorage` (95), or RDS refuses it: '
      + 'raise maxAllocatedStorage to 105 or more, or set it to 95 for fixed storage without autoscaling');
  });

  test('rejects the default maxAllocatedStorage (100) below a larger allocatedStorage', () => {
    // GIVEN
    const { make } = standalone({ allocatedStorage: 200 });

    // WHEN / THEN
    expect(make).toThrow('`maxAllocatedStorage` (100) must be >= `allocatedStorage` (200): raise maxAllocatedStorage');
  });
});

describe('the three building blocks in three stacks of one app', () => {
  test('synthesize, the database stack importing the key, VPC and groups', () => {
    // GIVEN
    const app = new App();
    const securityStack = new Stack(app, 'SecurityStack', { env: ENV });
    const networkStack = new Stack(app, 'NetworkStack', { env: ENV });
    const databaseStack = new Stack(app, 'DatabaseStack', { env: ENV });
    const profile = LiteLlmDeploymentProfile.PRODUCTION;

    // WHEN
    const security = new LiteLlmSecurity(securityStack, 'Security', { profile });
    const network = new LiteLlmNetwork(networkStack, 'Network', { encryptionKey: security.encryptionKey, profile });
    new LiteLlmDatabase(databaseStack, 'Database', {
      vpc: network.vpc,
      securityGroup: network.databaseSecurityGroup,
      rotationSecurityGroup: network.rotationSecurityGroup,
      encryptionKey: security.encryptionKey,
      profile,
    });

    // THEN
    const assembly = app.synth();
    expect(assembly.getStackByName('DatabaseStack').dependencies.map(d => d.id)).toEqual(
      expect.arrayContaining(['SecurityStack', 'NetworkStack']));
    expect(assembly.getStackByName('SecurityStack').dependencies.map(d => d.id)).not.toEqual(
      expect.arrayContaining(['NetworkStack']));
    const template = Template.fromStack(databaseStack);
    template.resourceCountIs('AWS::RDS::DBInstance', 1);
    template.hasResourceProperties('AWS::RDS::DBInstance', {
      KmsKeyId: { 'Fn::ImportValue': Match.stringLikeRegexp('^SecurityStack:') },
      VPCSecurityGroups: [{ 'Fn::ImportValue': Match.stringLikeRegexp('^NetworkStack:') }],
    });
    Template.fromStack(networkStack).resourceCountIs('AWS::EC2::VPC', 1);
    Template.fromStack(securityStack).resourceCountIs('AWS::KMS::Key', 1);
  });
});

describe('LiteLlmDatabase rotation, backups, removal policy and log retention', () => {
  const rotationRules = (template: Template) => Object.values(template.findResources('AWS::SecretsManager::RotationSchedule'))[0].Properties.RotationRules;

  test('the password rotates on a schedule, within a window, like the master key', () => {
    // GIVEN
    const { stack, make } = standalone({ passwordRotation: { schedule: 'cron(0 3 ? * SUN *)', window: Duration.hours(2) } });

    // WHEN
    make();

    // THEN
    expect(rotationRules(Template.fromStack(stack))).toEqual({ ScheduleExpression: 'cron(0 3 ? * SUN *)', Duration: '2h' });
  });

  /** The statements of every policy that grant `action`. */
  const grantsOf = (template: Template, action: string) => Object.values(template.findResources('AWS::IAM::Policy'))
    .flatMap((p: any) => p.Properties.PolicyDocument.Statement.map((st: any) => ({ policy: p, st })))
    .filter(({ st }: any) => [st.Action].flat().includes(action));

  test('rotation off: no automatic rules, and the database-user function cancels the rotation the secret keeps (aws-cdk issue 27460)', () => {
    // GIVEN
    const { stack, make } = standalone({ passwordRotation: { enabled: false } });

    // WHEN
    const database = make();

    // THEN
    const template = Template.fromStack(stack);
    expect(rotationRules(template)).toBeUndefined();
    const [[, off]] = Object.entries(template.findResources('Custom::LiteLlmPasswordRotationOff'));
    const [[scheduleId, schedule]] = Object.entries(template.findResources('AWS::SecretsManager::RotationSchedule'));
    const fn = database.node.findChild('ProxyUser').node.findChild('Function') as CfnElement & { functionArn: string };
    const [roleId] = Object.keys(template.findResources('AWS::IAM::Role')).filter(id => id.startsWith('DatabaseProxyUserFunctionRole'));
    const [policyId] = Object.keys(template.findResources('AWS::IAM::Policy')).filter(id => id.startsWith('DatabaseProxyUserFunctionRoleDefaultPolicy'));
    const hosted = schedule.Properties.HostedRotationLambda;
    expect(off.Properties).toEqual({
      ServiceToken: stack.resolve(fn.functionArn),
      SecretId: stack.resolve(database.secret.secretArn),
      Schedule: {
        HostedRotationLambda: {
          rotationType: hosted.RotationType,
          kmsKeyArn: hosted.KmsKeyArn,
          rotationLambdaName: hosted.RotationLambdaName,
          vpcSecurityGroupIds: hosted.VpcSecurityGroupIds,
          vpcSubnetIds: hosted.VpcSubnetIds,
          excludeCharacters: hosted.ExcludeCharacters,
        },
        RotateImmediatelyOnUpdate: false,
      },
      ServiceTimeout: '300',
    });
    expect(off.DependsOn).toEqual(expect.arrayContaining([scheduleId, roleId, policyId]));
    // No CDK AwsCustomResource singleton grant, and the singleton's logs are still the encrypted group.
    expect(grantsOf(template, 'secretsmanager:CancelRotateSecret').map(g => g.st)).toEqual([{
      Effect: 'Allow',
      Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret', 'secretsmanager:CancelRotateSecret', 'secretsmanager:ListSecretVersionIds'],
      Resource: stack.resolve(database.secret.secretArn),
    }]);
    expect(Object.keys(template.findResources('AWS::Logs::LogGroup')).filter(id => id.startsWith('DatabaseLogEncryptionFunctionLogs'))).toHaveLength(1);
  });

  test('rotation off: a change to the schedule\'s inputs (which turns rotation back on) changes the cancelling step, which cancels again', () => {
    // GIVEN
    const propertiesOf = (change?: (schedule: any) => void) => {
      const { stack, make } = standalone({ passwordRotation: { enabled: false } });
      const database = make();
      const cfn = database.secret.node.findChild('Rotation').node.defaultChild as any;
      change?.(cfn);
      return Object.values(Template.fromStack(stack).findResources('Custom::LiteLlmPasswordRotationOff'))[0].Properties;
    };

    // WHEN
    const before = propertiesOf();
    const after = propertiesOf(cfn => { cfn.hostedRotationLambda = { ...cfn.hostedRotationLambda, excludeCharacters: '"@/' }; });

    // THEN
    expect(after.Schedule.HostedRotationLambda.excludeCharacters).toBe('"@/');
    expect(after).not.toEqual(before);
    expect({ ...after, Schedule: undefined }).toEqual({ ...before, Schedule: undefined });
  });

  test('the database-user function may cancel the password\'s rotation whether or not it is on, so turning it off later does not call it seconds after IAM got the grant', () => {
    // GIVEN
    const on = standalone();
    const off = standalone({ passwordRotation: { enabled: false } });

    // WHEN
    const onDatabase = on.make();
    off.make();

    // THEN
    const onGrants = grantsOf(Template.fromStack(on.stack), 'secretsmanager:CancelRotateSecret');
    expect(onGrants.map(g => g.st)).toEqual([{
      Effect: 'Allow',
      Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret', 'secretsmanager:CancelRotateSecret', 'secretsmanager:ListSecretVersionIds'],
      Resource: on.stack.resolve(onDatabase.secret.secretArn),
    }]);
    expect(onGrants[0].policy.Properties.Roles).toEqual([{ Ref: expect.stringMatching(/^DatabaseProxyUserFunctionRole/) }]);
    expect(grantsOf(Template.fromStack(off.stack), 'secretsmanager:CancelRotateSecret').map(g => g.st)).toEqual(onGrants.map(g => g.st));
  });

  test('rotation on (the default): nothing cancels it, every 30 days', () => {
    // GIVEN
    const { stack, make } = standalone();

    // WHEN
    make();

    // THEN
    const template = Template.fromStack(stack);
    expect(rotationRules(template)).toEqual({ ScheduleExpression: 'rate(30 days)' });
    expect(template.findResources('Custom::LiteLlmPasswordRotationOff')).toEqual({});
  });

  test('backupRetention sets the backup retention period', () => {
    // GIVEN
    const { stack, make } = standalone({ backupRetention: Duration.days(21) });

    // WHEN
    make();

    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::RDS::DBInstance', { BackupRetentionPeriod: 21 });
  });

  test.each([
    [RemovalPolicy.DESTROY, 'Delete', 'Delete'],
    [RemovalPolicy.RETAIN, 'Retain', 'Retain'],
    [RemovalPolicy.SNAPSHOT, 'Snapshot', 'Retain'],
  ])('removalPolicy %s: the instance %s, its credentials secret %s', (removalPolicy, instancePolicy, secretPolicy) => {
    // GIVEN
    const { stack, make } = standalone({ removalPolicy });

    // WHEN
    make();

    // THEN
    const template = Template.fromStack(stack);
    template.hasResource('AWS::RDS::DBInstance', { DeletionPolicy: instancePolicy, UpdateReplacePolicy: instancePolicy });
    template.hasResource('AWS::SecretsManager::Secret', {
      Properties: Match.objectLike({ GenerateSecretString: Match.objectLike({ SecretStringTemplate: '{"username":"litellm"}' }) }),
      DeletionPolicy: secretPolicy,
    });
  });

  test('logRetention sets the retention of the exported logs and of every log group the database creates', () => {
    // GIVEN
    const { stack, make } = standalone({ logRetention: logs.RetentionDays.ONE_YEAR });

    // WHEN
    make();

    // THEN
    const template = Template.fromStack(stack);
    expect(Object.values(template.findResources('AWS::Logs::LogGroup')).map((g: any) => g.Properties.RetentionInDays))
      .toEqual(expect.arrayContaining([365]));
    expect(Object.values(template.findResources('AWS::Logs::LogGroup')).every((g: any) => g.Properties.RetentionInDays === 365)).toBe(true);
    expect(Object.values(template.findResources('Custom::LogRetention')).map((r: any) => r.Properties.RetentionInDays)).toEqual([365, 365]);
  });
});
