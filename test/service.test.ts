import {
  App, CfnElement, CfnParameter, Duration, Lazy, Stack, Token,
  aws_ec2 as ec2, aws_ecr as ecr, aws_ecs as ecs, aws_iam as iam, aws_logs as logs, aws_s3 as s3,
} from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { IConstruct } from 'constructs';
import * as YAML from 'yaml';
import {
  LiteLlmDeploymentProfile, LiteLlmCallback, LiteLlmImage, LiteLlmModel, LiteLlmEndpointOptions, LiteLlmLogLevel, LiteLlmPlatform,
  LiteLlmPlatformProps, LiteLlmSecurityProps, LiteLlmService,
} from '../src';
import { buildingBlocks } from './support/blocks';
import { servingTaskDefinition } from './support/template';
import { postgresMaxConnections } from '../src/private/connections';

const ENV = { account: '123456789012', region: 'us-east-1' };
const SONNET_PROFILE = 'us.anthropic.claude-sonnet-4-20250514-v1:0';
const CONFIG_PATH = '/litellm-config/config.yaml';

function bedrockAndOpenAi(): LiteLlmModel[] {
  return [
    LiteLlmModel.bedrock({ name: 'claude-sonnet', modelId: SONNET_PROFILE }),
    LiteLlmModel.openAi({ name: 'gpt', modelId: 'gpt-4o' }),
  ];
}

interface Built {
  readonly stack: Stack;
  readonly platform: LiteLlmPlatform;
}

interface Synth extends Built {
  readonly template: Template;
}

function build(props: Partial<LiteLlmPlatformProps> = {}): Built {
  const stack = new Stack(new App(), 'Stack', { env: ENV });
  const platform = new LiteLlmPlatform(stack, 'LiteLlm', { models: bedrockAndOpenAi(), ...props });
  return { stack, platform };
}

function synth(props: Partial<LiteLlmPlatformProps> = {}): Synth {
  const built = build(props);
  return { ...built, template: Template.fromStack(built.stack) };
}

/** The building blocks of a platform, wired by hand in one stack. */
function blocks(securityProps: LiteLlmSecurityProps = {}, natGateways?: number, endpoints?: LiteLlmEndpointOptions) {
  const stack = new Stack(new App(), 'Stack', { env: ENV });
  return { stack, ...buildingBlocks(stack, securityProps, { natGateways, endpoints }) };
}

function logicalId(stack: Stack, construct: IConstruct): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

function onlyResource(template: Template, type: string): { id: string; resource: any } {
  const found = Object.entries(template.findResources(type));
  expect(found).toHaveLength(1);
  return { id: found[0][0], resource: found[0][1] };
}

/** The serving task definition's containers (the migration step's task has only `migrate`). */
function containerDefinitions(template: Template): any[] {
  return servingTaskDefinition(template).Properties.ContainerDefinitions;
}

function container(template: Template, name: string): any {
  const found = Object.values<any>(template.findResources('AWS::ECS::TaskDefinition'))
    .flatMap(t => t.Properties.ContainerDefinitions).filter((c: any) => c.Name === name);
  expect(found).toHaveLength(1);
  return found[0];
}

function environmentOf(containerDefinition: any): { [name: string]: string } {
  return Object.fromEntries((containerDefinition.Environment ?? []).map((e: any) => [e.Name, e.Value]));
}

function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** Statements of every IAM policy attached to the role. */
function roleStatements(template: Template, roleId: string): any[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
    .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

/** A CloudFormation ARN value as text, with the partition as `aws`. */
function arnText(value: any): string {
  if (typeof value === 'string') return value;
  if (value['Fn::Join']) {
    const [separator, parts] = value['Fn::Join'];
    return parts.map(arnText).join(separator);
  }
  if (value.Ref === 'AWS::Partition') return 'aws';
  if (value['Fn::GetAtt']) return `\${${value['Fn::GetAtt'].join('.')}}`;
  throw new Error(`not a literal ARN: ${JSON.stringify(value)}`);
}

/** The ECS `ValueFrom` of one JSON field of a secret (its ARN resolved). */
function secretField(secretArn: any, field: string): any {
  return { 'Fn::Join': ['', [secretArn, `:${field}::`]] };
}

function byName<T extends { Name: string }>(list: T[]): T[] {
  return [...list].sort((a, b) => a.Name.localeCompare(b.Name));
}

function expectedSecrets(stack: Stack, platform: LiteLlmPlatform, providerKeys: string[]): any[] {
  const arn = (s: { secretArn: string }) => stack.resolve(s.secretArn);
  const { security } = platform;
  return byName([
    { Name: 'LITELLM_MASTER_KEY', ValueFrom: arn(security.masterKeySecret) },
    { Name: 'LITELLM_SALT_KEY', ValueFrom: arn(security.saltKeySecret) },
    { Name: 'UI_USERNAME', ValueFrom: secretField(arn(security.uiCredentialsSecret), 'UI_USERNAME') },
    { Name: 'UI_PASSWORD', ValueFrom: secretField(arn(security.uiCredentialsSecret), 'UI_PASSWORD') },
    ...(platform.cache ? [{ Name: 'REDIS_PASSWORD', ValueFrom: arn(platform.cache.authSecret) }] : []),
    ...providerKeys.map(name => ({ Name: name, ValueFrom: secretField(arn(security.providerKeysSecret!), name) })),
  ]);
}

/** The role's statements about Bedrock. */
function bedrockStatements(template: Template, roleId: string): any[] {
  return roleStatements(template, roleId).filter(st => asArray<string>(st.Action).some(a => a.startsWith('bedrock:')));
}

/** The execution role may use the platform key: in its own policy, or named in the key policy. */
function executionRoleMayDecrypt({ stack, platform, template }: Synth): boolean {
  const roleId = logicalId(stack, platform.service.taskDefinition.executionRole!);
  const keyArn = JSON.stringify(stack.resolve(platform.security.encryptionKey.keyArn));
  const inRolePolicy = roleStatements(template, roleId).some(s => s.Effect === 'Allow'
    && asArray(s.Action).includes('kms:Decrypt')
    && asArray(s.Resource).some(r => JSON.stringify(r) === keyArn));
  const key = template.toJSON().Resources[logicalId(stack, platform.security.encryptionKey)];
  const inKeyPolicy = key.Properties.KeyPolicy.Statement.some((s: any) => s.Effect === 'Allow'
    && asArray(s.Action).includes('kms:Decrypt')
    && s.Principal?.AWS?.['Fn::GetAtt']?.[0] === roleId);
  return inRolePolicy || inKeyPolicy;
}

/** EventBridge matching for the subset the rule uses: an array lists allowed values, an object nests. */
function eventMatches(pattern: any, event: any): boolean {
  return Object.entries(pattern).every(([key, expected]) => {
    const actual = event?.[key];
    if (Array.isArray(expected)) {
      return asArray(actual).some(value => expected.includes(value));
    }
    if (typeof expected === 'object' && expected !== null) {
      return typeof actual === 'object' && actual !== null && eventMatches(expected, actual);
    }
    throw new Error(`pattern field ${key} is neither a list of values nor a nested pattern`);
  });
}

/** Replaces every value whose JSON is a key of `values` by its text. */
function substitute(value: any, values: Map<string, string>): any {
  const text = values.get(JSON.stringify(value));
  if (text !== undefined) return text;
  if (Array.isArray(value)) return value.map(v => substitute(v, values));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, values)]));
  }
  return value;
}

function rotationEvent(eventName: string, secretArn: string): any {
  return {
    'version': '0',
    'id': '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
    'detail-type': 'AWS Service Event via CloudTrail',
    'source': 'aws.secretsmanager',
    'account': '123456789012',
    'time': '2025-01-01T00:00:00Z',
    'region': 'us-east-1',
    'resources': [],
    'detail': {
      eventVersion: '1.08',
      eventSource: 'secretsmanager.amazonaws.com',
      eventName,
      awsRegion: 'us-east-1',
      additionalEventData: { SecretId: secretArn },
      eventType: 'AwsServiceEvent',
    },
  };
}

describe('default DEVELOPMENT platform (Bedrock inference profile + OpenAI)', () => {
  let s: Synth;
  beforeAll(() => {
    s = synth();
  });

  test('cluster has Container Insights off', () => {
    s.template.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterSettings: [{ Name: 'containerInsights', Value: 'disabled' }],
    });
  });

  test('task definition: 512 CPU, 4096 MiB (half a vCPU and LiteLLM\'s 4 GiB per worker in DEVELOPMENT), X86_64 Linux on Fargate', () => {
    s.template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Cpu: '512',
      Memory: '4096',
      NetworkMode: 'awsvpc',
      RequiresCompatibilities: ['FARGATE'],
      RuntimePlatform: { CpuArchitecture: 'X86_64', OperatingSystemFamily: 'LINUX' },
      Volumes: [{ Name: 'litellm-config' }],
    });
  });

  test('the serving task has two containers, the config init container and litellm: no serving task migrates', () => {
    expect(containerDefinitions(s.template).map(c => c.Name)).toEqual(['config', 'litellm']);
  });

  test('the proxy keeps its own schema update off (so it neither migrates nor builds indexes) and runs an init process', () => {
    // WHEN
    const litellm = container(s.template, 'litellm');

    // THEN
    expect(environmentOf(litellm).DISABLE_SCHEMA_UPDATE).toBe('true');
    expect(litellm.Command).not.toContain('--skip_server_startup');
    expect(litellm.LinuxParameters).toEqual(expect.objectContaining({ InitProcessEnabled: true }));
  });

  test('every file LiteLLM would fetch from GitHub comes from the image (cost map, Anthropic beta headers, policy templates, router presets, blog)', () => {
    for (const name of ['migrate', 'litellm']) {
      expect(environmentOf(container(s.template, name))).toEqual(expect.objectContaining({
        LITELLM_LOCAL_MODEL_COST_MAP: 'True',
        LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS: 'True',
        LITELLM_LOCAL_POLICY_TEMPLATES: 'True',
        LITELLM_LOCAL_AUTOROUTER_PRESETS: 'True',
        LITELLM_LOCAL_BLOG_POSTS: 'True',
      }));
    }
  });

  test('litellm listens on 4000, keeps the image entrypoint and reads the rendered config', () => {
    // WHEN
    const litellm = container(s.template, 'litellm');

    // THEN
    expect(litellm.Essential).toBe(true);
    expect(litellm.EntryPoint).toBeUndefined();
    expect(litellm.Image).toBe(`ghcr.io/berriai/litellm:v${LiteLlmImage.DEFAULT_VERSION}`);
    expect(litellm.PortMappings).toEqual([{ ContainerPort: 4000, Name: 'http', Protocol: 'tcp' }]);
    expect(litellm.Command).toEqual(['--config', CONFIG_PATH, '--port', '4000', '--num_workers', '1']);
    expect(litellm.StopTimeout).toBe(120);
  });

  test('the config container is non-essential and writes LITELLM_CONFIG_YAML, which equals the service config, to the shared volume', () => {
    // WHEN
    const init = container(s.template, 'config');

    // THEN
    expect(init.Essential).toBe(false);
    expect(init.Image).toBe(container(s.template, 'litellm').Image);
    expect(init.EntryPoint).toEqual(['python3', '-c']);
    expect(init.Command).toEqual([
      `import os; open("${CONFIG_PATH}", "w").write(os.environ["LITELLM_CONFIG_YAML"]); open("/litellm-config/rds-ca.pem", "w").write(os.environ["DATABASE_CA_PEM"])`,
    ]);
    expect(init.Environment).toEqual([
      { Name: 'LITELLM_CONFIG_YAML', Value: s.platform.service.renderedConfig },
      // The region's RDS CA (test/database-tls.test.ts proves the proxy verifies against it).
      { Name: 'DATABASE_CA_PEM', Value: expect.stringContaining('-----BEGIN CERTIFICATE-----') },
    ]);
    expect(init.MountPoints).toEqual([{ ContainerPath: '/litellm-config', ReadOnly: false, SourceVolume: 'litellm-config' }]);
    expect(init.Secrets).toBeUndefined();
  });

  test('litellm waits for the config container to succeed and mounts the volume read-only', () => {
    // WHEN
    const litellm = container(s.template, 'litellm');

    // THEN
    expect(litellm.DependsOn).toEqual([{ ContainerName: 'config', Condition: 'SUCCESS' }]);
    expect(litellm.MountPoints).toEqual([{ ContainerPath: '/litellm-config', ReadOnly: true, SourceVolume: 'litellm-config' }]);
  });

  test('the config served is the rendered model list with the derived pool limit', () => {
    // WHEN
    const config = YAML.parse(s.platform.service.renderedConfig);

    // THEN
    expect(config.model_list).toEqual([
      { model_name: 'claude-sonnet', litellm_params: { model: `bedrock/${SONNET_PROFILE}` } },
      { model_name: 'gpt', litellm_params: { model: 'openai/gpt-4o', api_key: 'os.environ/OPENAI_API_KEY' } },
    ]);
    // 600 s shared by the three attempts the defaults allow (numRetries 2), less LiteLLM's longest back-off each
    // (191 s), capped at CloudFront's origin response timeout (DEVELOPMENT's default: see test/cloudfront.test.ts).
    expect(config.litellm_settings.request_timeout).toBe(60);
    expect(config.litellm_settings.num_retries_per_request).toBe(3);
    expect(config.general_settings.database_connection_pool_limit).toBe(s.platform.service.databaseConnectionPoolLimit);
  });

  test('environment: production mode, INFO logs, models in DB, local cost map', () => {
    expect(environmentOf(container(s.template, 'litellm'))).toEqual(expect.objectContaining({
      LITELLM_MODE: 'PRODUCTION',
      LITELLM_LOG: 'INFO',
      STORE_MODEL_IN_DB: 'True',
      LITELLM_LOCAL_MODEL_COST_MAP: 'True',
      AWS_REGION: 'us-east-1',
    }));
  });

  test('database: IAM authentication as litellm_proxy over TLS, at the instance endpoint, no password anywhere', () => {
    // WHEN
    const litellm = container(s.template, 'litellm');
    const instanceId = logicalId(s.stack, s.platform.database.instance);

    // THEN: the token refresh reads DATABASE_USER, the password path DATABASE_USERNAME
    expect(environmentOf(litellm)).toEqual(expect.objectContaining({
      IAM_TOKEN_DB_AUTH: 'true',
      DATABASE_HOST: { 'Fn::GetAtt': [instanceId, 'Endpoint.Address'] },
      DATABASE_PORT: { 'Fn::GetAtt': [instanceId, 'Endpoint.Port'] },
      DATABASE_USER: 'litellm_proxy',
      DATABASE_USERNAME: 'litellm_proxy',
      DATABASE_NAME: 'litellm',
      DATABASE_SSLMODE: 'verify-full',
      DATABASE_SSLROOTCERT: '/litellm-config/rds-ca.pem',
    }));
    expect(litellm.Secrets.filter((e: any) => e.Name.startsWith('DATABASE_'))).toEqual([]);
  });

  test('task role may connect to the database as litellm_proxy only, and the service waits for that role', () => {
    // WHEN
    const statements = roleStatements(s.template, logicalId(s.stack, s.platform.service.taskDefinition.taskRole))
      .filter(st => asArray<string>(st.Action).includes('rds-db:connect'));
    const userResource = onlyResource(s.template, 'Custom::LiteLlmDatabaseUser');

    // THEN
    expect(statements).toHaveLength(1);
    expect(statements[0].Action).toBe('rds-db:connect');
    expect(arnText(statements[0].Resource))
      .toBe(`arn:aws:rds-db:us-east-1:123456789012:dbuser:\${${logicalId(s.stack, s.platform.database.instance)}.DbiResourceId}/litellm_proxy`);
    expect(userResource.resource.Properties.UserName).toBe('litellm_proxy');
    expect(onlyResource(s.template, 'AWS::ECS::Service').resource.DependsOn).toContain(userResource.id);
  });

  test('secrets: master key, salt, UI credentials, database fields and the OpenAI key field, nothing else', () => {
    // WHEN
    const secrets = byName(container(s.template, 'litellm').Secrets);

    // THEN
    expect(secrets).toEqual(expectedSecrets(s.stack, s.platform, ['OPENAI_API_KEY']));
  });

  test('OPENAI_API_KEY is read from its field of the provider keys secret', () => {
    // WHEN
    const secret = container(s.template, 'litellm').Secrets.find((e: any) => e.Name === 'OPENAI_API_KEY');

    // THEN
    const parts = secret.ValueFrom['Fn::Join'][1];
    expect(parts[parts.length - 1]).toMatch(/:OPENAI_API_KEY::$/);
    expect(parts[0]).toEqual(s.stack.resolve(s.platform.security.providerKeysSecret!.secretArn));
  });

  test('no DATABASE_URL anywhere in the template', () => {
    expect(JSON.stringify(s.template.toJSON())).not.toContain('DATABASE_URL');
  });

  test('no Environment entry holds a secret', () => {
    // GIVEN
    const secretNames = new Set(container(s.template, 'litellm').Secrets.map((e: any) => e.Name));

    // WHEN
    const entries = containerDefinitions(s.template).flatMap(c => c.Environment ?? []);

    // THEN
    const endpoints: Record<string, unknown> = {
      ...(s.platform.cache ? { REDIS_HOST: { 'Fn::GetAtt': [s.stack.getLogicalId(s.platform.cache.replicationGroup), 'PrimaryEndPoint.Address'] } } : {}),
      DATABASE_HOST: { 'Fn::GetAtt': [logicalId(s.stack, s.platform.database.instance), 'Endpoint.Address'] },
      DATABASE_PORT: { 'Fn::GetAtt': [logicalId(s.stack, s.platform.database.instance), 'Endpoint.Port'] },
      // The platform's public URL: the load balancer's DNS name.
      PROXY_BASE_URL: s.stack.resolve(s.platform.url),
    };
    for (const entry of entries) {
      expect(secretNames.has(entry.Name)).toBe(false);
      // Literals, but for the endpoints of the cache and the database.
      if (entry.Name in endpoints) {
        expect(entry.Value).toEqual(endpoints[entry.Name]);
        continue;
      }
      expect(typeof entry.Value).toBe('string');
      expect(entry.Value).not.toMatch(/resolve:secretsmanager|REPLACE_WITH_THE_REAL_KEY|sk-[A-Za-z0-9]/);
    }
  });

  test('health check: python3 against /health/liveliness with a 180 s start period (migrations ran before)', () => {
    expect(container(s.template, 'litellm').HealthCheck).toEqual({
      Command: [
        'CMD', 'python3', '-c',
        'import sys, urllib.request; sys.exit(0 if urllib.request.urlopen("http://127.0.0.1:4000/health/liveliness", timeout=5).status == 200 else 1)',
      ],
      Interval: 30,
      Timeout: 10,
      Retries: 3,
      StartPeriod: 180,
    });
  });

  test('log group is KMS-encrypted with the platform key and kept 14 days; both containers log to it', () => {
    // GIVEN
    const logGroupId = logicalId(s.stack, s.platform.service.logGroup);

    // THEN
    expect(s.template.toJSON().Resources[logGroupId].Properties).toEqual({
      KmsKeyId: s.stack.resolve(s.platform.security.encryptionKey.keyArn),
      RetentionInDays: 14,
    });
    for (const c of containerDefinitions(s.template)) {
      expect(c.LogConfiguration.LogDriver).toBe('awslogs');
      expect(c.LogConfiguration.Options['awslogs-group']).toEqual({ Ref: logGroupId });
    }
  });

  test('service: private subnets, no public IP, service security group, Fargate Spot', () => {
    s.template.hasResourceProperties('AWS::ECS::Service', {
      NetworkConfiguration: {
        AwsvpcConfiguration: {
          AssignPublicIp: 'DISABLED',
          Subnets: s.platform.network.vpc.privateSubnets.map(subnet => s.stack.resolve(subnet.subnetId)),
          SecurityGroups: [s.stack.resolve(s.platform.network.serviceSecurityGroup.securityGroupId)],
        },
      },
      CapacityProviderStrategy: [{ CapacityProvider: 'FARGATE_SPOT', Weight: 1 }],
      LaunchType: Match.absent(),
    });
  });

  test('service: circuit breaker with rollback, 100/200 %, grace period 600 s, joined to the target group', () => {
    s.template.hasResourceProperties('AWS::ECS::Service', {
      DesiredCount: 1,
      DeploymentConfiguration: Match.objectLike({
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
        MinimumHealthyPercent: 100,
        MaximumPercent: 200,
      }),
      HealthCheckGracePeriodSeconds: 600,
      LoadBalancers: [{
        ContainerName: 'litellm',
        ContainerPort: 4000,
        TargetGroupArn: s.stack.resolve(s.platform.loadBalancer.targetGroup.targetGroupArn),
      }],
    });
  });

  test('service depends on the master key and provider-key custom resources', () => {
    // GIVEN
    const masterKey = onlyResource(s.template, 'Custom::LiteLlmMasterKey');
    const providerKeys = onlyResource(s.template, 'Custom::LiteLlmProviderKeys');

    // THEN: ECS resolves OPENAI_API_KEY from a field that must exist when the first task starts
    const service = onlyResource(s.template, 'AWS::ECS::Service');
    expect(service.resource.DependsOn).toEqual(expect.arrayContaining([masterKey.id, providerKeys.id]));
  });

  test('autoscaling 1 to 1 task: one process, so no cache', () => {
    expect(s.platform.cache).toBeUndefined();
    s.template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 1,
      MaxCapacity: 1,
      ScalableDimension: 'ecs:service:DesiredCount',
      ServiceNamespace: 'ecs',
    });
  });

  test('target tracking on CPU 60 % only (never memory), scale in after 300 s, out after 60 s', () => {
    // WHEN
    const policies = Object.values(s.template.findResources('AWS::ApplicationAutoScaling::ScalingPolicy'))
      .map((p: any) => p.Properties.TargetTrackingScalingPolicyConfiguration);

    // THEN
    expect(policies).toEqual([{
      PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
      TargetValue: 60,
      ScaleInCooldown: 300,
      ScaleOutCooldown: 60,
    }]);
    // The memory alarm stays.
    expect(s.platform.service.alarms).toContain(s.platform.service.memoryAlarm);
  });

  test('LiteLLM drains for 110 s on SIGTERM, under ECS\'s 120 s stop timeout', () => {
    const litellm = container(s.template, 'litellm');
    expect(environmentOf(litellm).GRACEFUL_SHUTDOWN_TIMEOUT).toBe('110');
    expect(litellm.StopTimeout).toBe(120);
  });

  test('task role may invoke exactly the inference profile and its foundation model in any region', () => {
    // GIVEN
    const roleId = logicalId(s.stack, s.platform.service.taskDefinition.taskRole);

    // WHEN
    const statements = bedrockStatements(s.template, roleId);

    // THEN
    expect(statements).toHaveLength(1);
    expect(statements[0].Effect).toBe('Allow');
    expect(statements[0].Action).toEqual(['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream']);
    expect(asArray(statements[0].Resource).map(arnText)).toEqual([
      `arn:aws:bedrock:us-east-1:123456789012:inference-profile/${SONNET_PROFILE}`,
      'arn:aws:bedrock:*::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0',
    ]);
  });

  test('no foundation-model/* anywhere', () => {
    expect(JSON.stringify(s.template.toJSON())).not.toContain('foundation-model/*');
  });

  test('execution role reads only the referenced secrets', () => {
    // GIVEN
    const roleId = logicalId(s.stack, s.platform.service.taskDefinition.executionRole!);
    const { security } = s.platform;
    const expected = [security.masterKeySecret, security.saltKeySecret, security.uiCredentialsSecret, security.providerKeysSecret!]
      .map(secret => JSON.stringify(s.stack.resolve(secret.secretArn))).sort();

    // WHEN
    const statements = roleStatements(s.template, roleId);
    const secretStatements = statements.filter(st => asArray<string>(st.Action).some(a => a.startsWith('secretsmanager:')));

    // THEN
    for (const st of secretStatements) {
      expect(st.Effect).toBe('Allow');
      expect(st.Action).toEqual(['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret']);
    }
    expect(secretStatements.flatMap(st => asArray(st.Resource)).map(r => JSON.stringify(r)).sort()).toEqual(expected);
    const allowed = new Set([
      'secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret', 'logs:CreateLogStream', 'logs:PutLogEvents', 'kms:Decrypt',
    ]);
    expect(statements.flatMap(st => asArray<string>(st.Action)).filter(a => !allowed.has(a))).toEqual([]);
  });

  test('execution role may decrypt with the platform key', () => {
    expect(executionRoleMayDecrypt(s)).toBe(true);
  });

  describe('redeploy after rotation', () => {
    const MASTER_KEY_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:LiteLlmMasterKey-AbCdEf';
    const DB_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:LiteLlmDatabaseSecret-GhIjKl';
    let rule: any;
    let pattern: any;

    beforeAll(() => {
      rule = onlyResource(s.template, 'AWS::Events::Rule').resource;
      pattern = substitute(rule.Properties.EventPattern, new Map([
        [JSON.stringify(s.stack.resolve(s.platform.security.masterKeySecret.secretArn)), MASTER_KEY_ARN],
        [JSON.stringify(s.stack.resolve(s.platform.database.secret.secretArn)), DB_SECRET_ARN],
      ]));
    });

    test('the rule matches RotationSucceeded for exactly the master key (the tasks hold no database password)', () => {
      expect(rule.Properties.EventPattern).toEqual({
        'source': ['aws.secretsmanager'],
        'detail-type': ['AWS Service Event via CloudTrail'],
        'detail': {
          eventName: ['RotationSucceeded'],
          additionalEventData: {
            SecretId: [s.stack.resolve(s.platform.security.masterKeySecret.secretArn)],
          },
        },
      });
      expect(rule.Properties.State).toBe('ENABLED');
    });

    test('a RotationSucceeded event for the master key matches', () => {
      expect(eventMatches(pattern, rotationEvent('RotationSucceeded', MASTER_KEY_ARN))).toBe(true);
    });

    test('a RotationSucceeded event for the database secret does not match: no task needs replacing', () => {
      expect(eventMatches(pattern, rotationEvent('RotationSucceeded', DB_SECRET_ARN))).toBe(false);
    });

    test('a RotationSucceeded event for another secret does not match', () => {
      expect(eventMatches(pattern, rotationEvent('RotationSucceeded',
        'arn:aws:secretsmanager:us-east-1:123456789012:secret:SomeoneElses-MnOpQr'))).toBe(false);
    });

    test('a RotationFailed event for the master key does not match', () => {
      expect(eventMatches(pattern, rotationEvent('RotationFailed', MASTER_KEY_ARN))).toBe(false);
    });

    test('the rule targets the redeploy function, which may update only this service', () => {
      // GIVEN
      const functions = Object.entries(s.template.findResources('AWS::Lambda::Function', {
        Properties: { Description: 'Forces a new LiteLLM deployment after a master key rotation' },
      }));
      expect(functions).toHaveLength(1);
      const [functionId, fn] = functions[0] as [string, any];
      const roleId = fn.Properties.Role['Fn::GetAtt'][0];
      const serviceId = onlyResource(s.template, 'AWS::ECS::Service').id;

      // THEN
      expect(rule.Properties.Targets).toEqual([expect.objectContaining({ Arn: { 'Fn::GetAtt': [functionId, 'Arn'] } })]);
      expect(fn.Properties.Environment.Variables).toEqual(expect.objectContaining({
        CLUSTER_ARN: { 'Fn::GetAtt': [logicalId(s.stack, s.platform.service.cluster), 'Arn'] },
        SERVICE_NAME: { 'Fn::GetAtt': [serviceId, 'Name'] },
      }));
      const logGroupId = Object.keys(s.template.findResources('AWS::Logs::LogGroup'))
        .find(id => id.includes('RedeployFunctionLogs'))!;
      expect(roleStatements(s.template, roleId)).toEqual([
        { Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow', Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] } },
        { Action: 'ecs:UpdateService', Effect: 'Allow', Resource: { Ref: serviceId } },
      ]);
    });
  });
});

describe('default PRODUCTION platform', () => {
  let s: Synth;
  beforeAll(() => {
    s = synth({ profile: LiteLlmDeploymentProfile.PRODUCTION, loadBalancer: { allowHttp: true } });
  });

  test('cluster has Container Insights on', () => {
    s.template.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
    });
  });

  test('service runs on on-demand Fargate', () => {
    s.template.hasResourceProperties('AWS::ECS::Service', {
      CapacityProviderStrategy: [{ CapacityProvider: 'FARGATE', Weight: 1 }],
    });
  });

  test('LITELLM_LOG is ERROR', () => {
    expect(environmentOf(container(s.template, 'litellm')).LITELLM_LOG).toBe('ERROR');
  });

  test('log group is KMS-encrypted, kept 90 days and retained', () => {
    expect(s.template.toJSON().Resources[logicalId(s.stack, s.platform.service.logGroup)]).toEqual({
      Type: 'AWS::Logs::LogGroup',
      Properties: { KmsKeyId: s.stack.resolve(s.platform.security.encryptionKey.keyArn), RetentionInDays: 90 },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('the rest of the service is as in DEVELOPMENT', () => {
    s.template.hasResourceProperties('AWS::ECS::Service', {
      NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'DISABLED' }) },
      DeploymentConfiguration: Match.objectLike({
        DeploymentCircuitBreaker: { Enable: true, Rollback: true }, MinimumHealthyPercent: 100, MaximumPercent: 200,
      }),
      HealthCheckGracePeriodSeconds: 600,
    });
    expect(container(s.template, 'litellm').HealthCheck.StartPeriod).toBe(180);
  });
});

describe('service props', () => {
  let s: Synth;
  beforeAll(() => {
    s = synth({
      service: {
        cpu: 2048,
        memoryLimitMiB: 4096,
        cpuArchitecture: ecs.CpuArchitecture.ARM64,
        minCapacity: 2,
        maxCapacity: 6,
        numWorkers: 2,
        requestTimeout: Duration.seconds(300),
        databaseConnectionPoolLimit: 5,
        environment: { LITELLM_EXTRA: 'on' },
      },
      database: { maxConnections: 200 },
      // 300 s gives each attempt 91 s, more than CloudFront (DEVELOPMENT's default) waits: test/cloudfront.test.ts
      cloudFront: { enabled: false },
    });
  });

  test('cpu and memoryLimitMiB size the task', () => {
    s.template.hasResourceProperties('AWS::ECS::TaskDefinition', { Cpu: '2048', Memory: '4096' });
  });

  test('ARM64 sets the runtime platform', () => {
    s.template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
    });
  });

  test('minCapacity and maxCapacity bound autoscaling; minCapacity is the desired count', () => {
    s.template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 2, MaxCapacity: 6 });
    s.template.hasResourceProperties('AWS::ECS::Service', { DesiredCount: 2 });
  });

  test('numWorkers reaches the command', () => {
    expect(container(s.template, 'litellm').Command).toEqual(['--config', CONFIG_PATH, '--port', '4000', '--num_workers', '2']);
  });

  test('requestTimeout and databaseConnectionPoolLimit reach the config', () => {
    // WHEN
    const config = YAML.parse(environmentOf(container(s.template, 'config')).LITELLM_CONFIG_YAML);

    // THEN
    expect(config.litellm_settings.request_timeout).toBe(91);
    expect(config.router_settings.timeout).toBe(91);
    expect(config.general_settings.database_connection_pool_limit).toBe(5);
    expect(s.platform.service.databaseConnectionPoolLimit).toBe(5);
  });

  test('extra environment is added and cannot replace the fixed entries', () => {
    expect(environmentOf(container(s.template, 'litellm'))).toEqual(expect.objectContaining({
      LITELLM_EXTRA: 'on', LITELLM_MODE: 'PRODUCTION', LITELLM_LOG: 'INFO',
    }));
  });
});

describe('a config change', () => {
  let base: Synth;
  let same: Synth;
  let changed: Synth;
  beforeAll(() => {
    base = synth();
    same = synth();
    changed = synth({
      models: [
        LiteLlmModel.bedrock({ name: 'claude-sonnet', modelId: SONNET_PROFILE }),
        LiteLlmModel.openAi({ name: 'gpt', modelId: 'gpt-4o-mini' }),
      ],
    });
  });

  test('the same models give identical container definitions (no new revision)', () => {
    expect(containerDefinitions(same.template)).toEqual(containerDefinitions(base.template));
  });

  test('a different model gives different container definitions (a new revision)', () => {
    // WHEN
    const before = containerDefinitions(base.template);
    const after = containerDefinitions(changed.template);

    // THEN
    expect(after).not.toEqual(before);
    expect(environmentOf(after[0]).LITELLM_CONFIG_YAML).toBe(changed.platform.service.renderedConfig);
    expect(changed.platform.service.renderedConfig).toContain('model: openai/gpt-4o-mini');
    // Only the config differs.
    const withoutConfig = (defs: any[]) => defs.map(d => ({ ...d, Environment: d.Name === 'config' ? 'config' : d.Environment }));
    expect(withoutConfig(after)).toEqual(withoutConfig(before));
  });
});

describe('Bedrock foundation-model ids', () => {
  let s: Synth;
  beforeAll(() => {
    s = synth({
      models: [
        LiteLlmModel.bedrock({ name: 'haiku', modelId: 'anthropic.claude-3-haiku-20240307-v1:0' }),
        LiteLlmModel.bedrock({ name: 'titan', modelId: 'amazon.titan-text-express-v1', region: 'us-west-2' }),
      ],
    });
  });

  test('each gives only its foundation-model ARN in its region', () => {
    // WHEN
    const statements = bedrockStatements(s.template, logicalId(s.stack, s.platform.service.taskDefinition.taskRole));

    // THEN
    expect(statements).toHaveLength(1);
    expect(statements[0].Action).toEqual(['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream']);
    expect(asArray(statements[0].Resource).map(arnText)).toEqual([
      'arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0',
      'arn:aws:bedrock:us-west-2::foundation-model/amazon.titan-text-express-v1',
    ]);
  });

  test('no provider key secret is created or injected', () => {
    // master key, salt, UI, database (one task: no cache token)
    s.template.resourceCountIs('AWS::SecretsManager::Secret', 4);
    expect(byName(container(s.template, 'litellm').Secrets)).toEqual(expectedSecrets(s.stack, s.platform, []));
  });
});

describe('without Bedrock models', () => {
  let s: Synth;
  beforeAll(() => {
    s = synth({
      models: [
        LiteLlmModel.anthropic({ name: 'claude', modelId: 'claude-sonnet-4-20250514' }),
        LiteLlmModel.azureOpenAi({ name: 'azure', deployment: 'gpt4o', apiBase: 'https://r.openai.azure.com' }),
        LiteLlmModel.mock({ name: 'mock' }),
      ],
    });
  });

  test('the task role has no Bedrock statement', () => {
    expect(bedrockStatements(s.template, logicalId(s.stack, s.platform.service.taskDefinition.taskRole))).toEqual([]);
    expect(JSON.stringify(s.template.toJSON())).not.toContain('bedrock:Invoke');
  });

  test('each provider key field the models need becomes an ECS secret', () => {
    expect(byName(container(s.template, 'litellm').Secrets))
      .toEqual(expectedSecrets(s.stack, s.platform, ['ANTHROPIC_API_KEY', 'AZURE_API_KEY']));
  });
});

describe('assignPublicIp', () => {
  test('with natGateways 0 in DEVELOPMENT runs tasks in public subnets with a public IP', () => {
    // GIVEN
    const s = synth({
      models: [LiteLlmModel.openAi({ name: 'gpt', modelId: 'gpt-4o' })],
      network: { natGateways: 0 },
      service: { assignPublicIp: true },
    });

    // THEN
    s.template.hasResourceProperties('AWS::ECS::Service', {
      NetworkConfiguration: {
        AwsvpcConfiguration: Match.objectLike({
          AssignPublicIp: 'ENABLED',
          Subnets: s.platform.network.vpc.publicSubnets.map(subnet => s.stack.resolve(subnet.subnetId)),
        }),
      },
    });
  });

  test('in PRODUCTION is rejected', () => {
    expect(() => build({
      profile: LiteLlmDeploymentProfile.PRODUCTION,
      loadBalancer: { allowHttp: true },
      network: { natGateways: 0 },
      service: { assignPublicIp: true },
    })).toThrow(new Error('`assignPublicIp` (true) is only for a DEVELOPMENT platform whose VPC has no NAT gateway: remove it and keep tasks in private subnets'));
  });

  test('with a NAT gateway is rejected', () => {
    expect(() => build({ service: { assignPublicIp: true } }))
      .toThrow(new Error('`assignPublicIp` (true) is only for a DEVELOPMENT platform whose VPC has no NAT gateway: remove it and keep tasks in private subnets'));
  });
});

describe('validation', () => {
  test('models that need the internet, with natGateways 0 and private tasks', () => {
    expect(() => build({
      models: [
        LiteLlmModel.bedrock({ name: 'claude-sonnet', modelId: SONNET_PROFILE }),
        LiteLlmModel.openAi({ name: 'gpt', modelId: 'gpt-4o' }),
        LiteLlmModel.anthropic({ name: 'claude', modelId: 'claude-sonnet-4-20250514' }),
      ],
      network: { natGateways: 0 },
    })).toThrow(new Error('models gpt, claude need internet egress, but `natGateways` is 0 and tasks run in private subnets: set natGateways to 1, or use Bedrock models and an ECR image (LiteLlmImage.fromEcrRepository)'));
  });

  test('an image from a public registry with natGateways 0 (Bedrock model only)', () => {
    expect(() => build({
      models: [LiteLlmModel.bedrock({ name: 'claude-sonnet', modelId: SONNET_PROFILE })],
      network: { natGateways: 0 },
    })).toThrow(new Error('the image from a public registry needs internet egress, but `natGateways` is 0 and tasks run in private subnets: set natGateways to 1, or use Bedrock models and an ECR image (LiteLlmImage.fromEcrRepository)'));
  });

  test('maxCapacity below minCapacity', () => {
    expect(() => build({ service: { minCapacity: 3, maxCapacity: 2 } }))
      .toThrow(new Error('`maxCapacity` (2) must be >= `minCapacity` (3): raise maxCapacity or lower minCapacity'));
  });

  test('minCapacity 0', () => {
    expect(() => build({ service: { minCapacity: 0 } }))
      .toThrow(new Error('`minCapacity` (0) must be an integer >= 1: keep at least one task running'));
  });

  test('memoryLimitMiB 1024', () => {
    expect(() => build({ service: { memoryLimitMiB: 1024 } }))
      .toThrow(new Error('`memoryLimitMiB` (1024) is too low: LiteLLM needs 2048 MiB or more per task'));
  });

  test('numWorkers 17', () => {
    expect(() => build({ service: { numWorkers: 17 } }))
      .toThrow(new Error('`numWorkers` (17) must be an integer from 1 to 16: scale out with more tasks (maxCapacity) rather than more workers'));
  });

  test('two identical deployments in one group', () => {
    expect(() => build({
      models: [
        LiteLlmModel.bedrock({ name: 'claude', modelId: SONNET_PROFILE }),
        LiteLlmModel.bedrock({ name: 'claude', modelId: SONNET_PROFILE }),
      ],
    })).toThrow(new Error(`\`models\` has two identical deployments of "claude" ({"model":"bedrock/${SONNET_PROFILE}"}): `
      + 'LiteLLM would keep only one; remove one or make them differ (region, endpoint, model id)'));
  });

  test('empty models', () => {
    expect(() => build({ models: [] }))
      .toThrow(new Error('`models` is empty: add at least one model, e.g. LiteLlmModel.bedrock({ name, modelId }), or bring them in `config.configFile`'));
  });

  test('maxCapacity whose pools exceed a db.t4g.micro', () => {
    // GIVEN: 100 tasks × 2 during deploys = 200 pools share a micro's few connections.
    const micro = ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MICRO);
    const usable = postgresMaxConnections(micro)! - 10;
    expect(usable).toBeLessThan(2 * 200);

    // THEN
    expect(() => build({ service: { maxCapacity: 100 }, database: { instanceType: micro } }))
      .toThrow(new Error(`\`maxCapacity\` (100) × 2 during deploys × \`numWorkers\` (1) = 200 connection pools leave fewer than 2 connections each of the database's ${usable} usable connections: lower maxCapacity or numWorkers, or choose a larger database instanceType`));
  });

  test('maxCapacity whose pools exceed an explicit maxConnections', () => {
    // 4 tasks × 2 × 2 workers = 16 pools; 40 - 10 = 30 usable; 30 × 0.9 ÷ 16 < 2.
    expect(() => build({ service: { numWorkers: 2, maxCapacity: 4 }, database: { maxConnections: 40 } }))
      .toThrow(new Error('`maxCapacity` (4) × 2 during deploys × `numWorkers` (2) = 16 connection pools leave fewer than 2 connections each of the database\'s 30 usable connections: lower maxCapacity or numWorkers, or choose a larger database instanceType'));
  });

  test('explicit databaseConnectionPoolLimit too high', () => {
    // 4 tasks × 2 × 1 worker = 8 pools of 30 = 240 > 200 - 10.
    expect(() => build({ service: { databaseConnectionPoolLimit: 30, maxCapacity: 4 }, database: { maxConnections: 200 } }))
      .toThrow(new Error('`databaseConnectionPoolLimit` (30) × 8 pools (maxCapacity 4 × 2 during deploys × 1 workers) = 240 exceeds the database\'s 190 usable connections (max_connections 200 - 10): lower it, lower maxCapacity or numWorkers, or choose a larger database instanceType'));
  });

  test('explicit databaseConnectionPoolLimit exactly at the limit is accepted', () => {
    // 8 pools × 23 = 184 <= 194 usable.
    const { platform } = build({ service: { databaseConnectionPoolLimit: 23 }, database: { maxConnections: 194 } });
    expect(platform.service.databaseConnectionPoolLimit).toBe(23);
  });

  test('explicit databaseConnectionPoolLimit 0', () => {
    expect(() => build({ service: { databaseConnectionPoolLimit: 0 } }))
      .toThrow(new Error('`databaseConnectionPoolLimit` (0) must be an integer >= 1'));
  });

  test('requestTimeout above the load balancer idle timeout', () => {
    expect(() => build({ service: { requestTimeout: Duration.seconds(900) } }))
      .toThrow(new Error('`requestTimeout` (900 s) exceeds the load balancer\'s idle timeout (600 s): streams would be cut; raise `idleTimeout` or lower requestTimeout'));
  });

  test('a custom model\'s os.environ/NAME that nothing sets is refused; listed or set in service.environment it is read', () => {
    const model = (secretEnvNames?: string[]) => LiteLlmModel.custom({
      name: 'private', litellmParams: { model: 'openai/x', api_base: 'os.environ/PRIVATE_BASE' }, secretEnvNames,
    });
    expect(() => build({ models: [model()] })).toThrow(new Error('model "private": `litellmParams.api_base` reads os.environ/PRIVATE_BASE, which nothing sets in the task: '
      + 'list "PRIVATE_BASE" in `secretEnvNames` (a field of the provider keys secret) or set it in `service.environment`'));
    expect(() => build({ models: [model(['PRIVATE_BASE'])] })).not.toThrow();
    expect(() => build({ models: [model()], service: { environment: { PRIVATE_BASE: 'https://llm.internal/v1' } } })).not.toThrow();
  });

  test('a token idle timeout is refused: KEEPALIVE_TIMEOUT would be a meaningless number', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const idle = new CfnParameter(stack, 'Idle', { type: 'Number', default: 600 });
    expect(() => new LiteLlmPlatform(stack, 'LiteLlm', {
      models: bedrockAndOpenAi(),
      service: { requestTimeout: Duration.seconds(300) },
      loadBalancer: { idleTimeout: Duration.seconds(idle.valueAsNumber) },
      cloudFront: { enabled: false },
    })).toThrow(new Error('`loadBalancer.idleTimeout` is a token: the tasks keep idle connections KEEPALIVE_TIMEOUT seconds, which must exceed it and is computed at synth. Give a literal Duration, e.g. Duration.seconds(600)'));
  });

  test('requestTimeout equal to a raised idle timeout is accepted', () => {
    expect(() => build({
      service: { requestTimeout: Duration.seconds(900) },
      loadBalancer: { idleTimeout: Duration.seconds(900) },
      cloudFront: { enabled: false },
    })).not.toThrow();
  });

  test('a model key with no provider keys secret', () => {
    // GIVEN
    const b = blocks();

    // THEN
    expect(() => new LiteLlmService(b.stack, 'Service', {
      ...b, models: [LiteLlmModel.openAi({ name: 'gpt', modelId: 'gpt-4o' })],
    })).toThrow(new Error('models need provider keys (OPENAI_API_KEY) but the security has no provider keys secret: pass `providerKeyNames` or `providerKeysSecret` to LiteLlmSecurity'));
  });

  test('a model key missing from the provider keys secret', () => {
    // GIVEN
    const b = blocks({ providerKeyNames: ['ANTHROPIC_API_KEY'] });

    // THEN
    expect(() => new LiteLlmService(b.stack, 'Service', {
      ...b, models: [LiteLlmModel.openAi({ name: 'gpt', modelId: 'gpt-4o' })],
    })).toThrow(new Error('the provider keys secret has no field for OPENAI_API_KEY: add them to LiteLlmSecurity\'s `providerKeyNames`'));
  });

  test('a token minCapacity is not judged as a literal', () => {
    // WHEN
    const s = synth({
      profile: LiteLlmDeploymentProfile.PRODUCTION, loadBalancer: { allowHttp: true }, service: { minCapacity: Lazy.number({ produce: () => 2 }) },
    });

    // THEN
    s.template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 2, MaxCapacity: 4 });
    s.template.hasResourceProperties('AWS::ECS::Service', { DesiredCount: 2 });
  });

  test('a token maxCapacity without a literal pool limit cannot size the database pool', () => {
    expect(() => build({ service: { maxCapacity: Token.asNumber({ Ref: 'MaxTasks' }) } }))
      .toThrow(new Error('`maxCapacity` or `numWorkers` is a token, so the database pool cannot be sized at synth: set `databaseConnectionPoolLimit` to a literal'));
  });

  test('a token maxCapacity with a literal pool limit uses that limit', () => {
    const s = synth({ service: { maxCapacity: Token.asNumber({ Ref: 'MaxTasks' }), databaseConnectionPoolLimit: 5 } });
    expect(s.platform.service.databaseConnectionPoolLimit).toBe(5);
  });

  test('a token databaseConnectionPoolLimit is refused: it goes into config.yaml at synth', () => {
    expect(() => build({ service: { databaseConnectionPoolLimit: Token.asNumber({ Ref: 'Pool' }) } }))
      .toThrow(new Error('`databaseConnectionPoolLimit` is a token: it is written into config.yaml at synth, so it must be a literal number'));
  });

  test('a token requestTimeout is refused: it goes into config.yaml at synth', () => {
    expect(() => build({ service: { requestTimeout: Duration.seconds(Token.asNumber({ Ref: 'Timeout' })) } }))
      .toThrow(new Error('`requestTimeout` is a token: it is written into config.yaml at synth, so it must be a literal Duration'));
  });

  test('a Bedrock model in another region needs internet egress: the endpoint serves the stack\'s region only', () => {
    expect(() => build({
      models: [LiteLlmModel.bedrock({ name: 'claude-eu', modelId: 'anthropic.claude-3-haiku-20240307-v1:0', region: 'eu-central-1' })],
      image: LiteLlmImage.fromEcrRepository(ecr.Repository.fromRepositoryName(new Stack(), 'Repo', 'litellm'), 'v1'),
      network: { natGateways: 0 },
    })).toThrow(new Error('models claude-eu need internet egress, but `natGateways` is 0 and tasks run in private subnets: set natGateways to 1, or use Bedrock models and an ECR image (LiteLlmImage.fromEcrRepository)'));
  });

  test('a token memoryLimitMiB is not judged as a literal', () => {
    expect(() => build({ service: { memoryLimitMiB: Token.asNumber({ Ref: 'TaskMemory' }) } })).not.toThrow();
  });
});

describe('LiteLlmService on its own building blocks, no NAT, ECR image, Bedrock only', () => {
  let template: Template;
  let b: ReturnType<typeof blocks>;
  let service: LiteLlmService;
  beforeAll(() => {
    b = blocks({}, 0, { bedrockRuntime: true });
    service = new LiteLlmService(b.stack, 'Service', {
      ...b,
      models: [LiteLlmModel.bedrock({ name: 'claude-sonnet', modelId: SONNET_PROFILE })],
      image: LiteLlmImage.fromEcrRepository(ecr.Repository.fromRepositoryName(b.stack, 'Repo', 'litellm'), 'v1.108.7'),
      logRetention: logs.RetentionDays.ONE_MONTH,
      fargateSpot: false,
    });
    template = Template.fromStack(b.stack);
  });

  test('synthesizes with tasks in the isolated subnets', () => {
    template.hasResourceProperties('AWS::ECS::Service', {
      NetworkConfiguration: {
        AwsvpcConfiguration: Match.objectLike({
          AssignPublicIp: 'DISABLED',
          Subnets: b.network.vpc.isolatedSubnets.map(subnet => b.stack.resolve(subnet.subnetId)),
        }),
      },
      CapacityProviderStrategy: [{ CapacityProvider: 'FARGATE', Weight: 1 }],
    });
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
  });

  test('both serving containers and the migration run the ECR image', () => {
    const image = { 'Fn::Join': ['', ['123456789012.dkr.ecr.us-east-1.', { Ref: 'AWS::URLSuffix' }, '/litellm:v1.108.7']] };
    expect(containerDefinitions(template).map(c => c.Image)).toEqual([image, image]);
    expect(container(template, 'migrate').Image).toEqual(image);
  });

  test('logRetention wins', () => {
    expect(template.toJSON().Resources[logicalId(b.stack, service.logGroup)].Properties.RetentionInDays).toBe(30);
  });

  test('exposes cluster, service, task definition, container, log group, connections and alarms', () => {
    expect(service.cluster).toBeInstanceOf(ecs.Cluster);
    expect(service.service).toBeInstanceOf(ecs.FargateService);
    expect(service.taskDefinition).toBeInstanceOf(ecs.FargateTaskDefinition);
    expect(service.container.containerName).toBe('litellm');
    expect(service.logGroup).toBeInstanceOf(logs.LogGroup);
    expect(service.connections).toBe(service.service.connections);
    expect(service.alarms).toEqual([
      service.cpuAlarm, service.memoryAlarm, service.unhealthyHostsAlarm, service.redeployAlarm,
    ]);
  });
});

describe('sizing and scaling from LiteLLM\'s production guide', () => {
  const warningsOf = (stack: Stack) => Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('memoryPerWorker'));

  test.each([
    [1, '1024', '4096'],
    [2, '2048', '8192'],
    [3, '4096', '12288'],
    [4, '4096', '16384'],
    [6, '8192', '24576'],
    [9, '16384', '40960'],
  ])('PRODUCTION, %i worker(s): CPU %s, memory %s (a vCPU and 4 GiB each, on a Fargate size)', (numWorkers, cpu, memory) => {
    const instanceType = ec2.InstanceType.of(ec2.InstanceClass.M7G, ec2.InstanceSize.XLARGE);
    const s = synth({
      profile: LiteLlmDeploymentProfile.PRODUCTION,
      loadBalancer: { allowHttp: true },
      service: { numWorkers, maxCapacity: 1 },
      database: { instanceType },
    });
    s.template.hasResourceProperties('AWS::ECS::TaskDefinition', { Cpu: cpu, Memory: memory });
    expect(warningsOf(s.stack)).toHaveLength(0);
  });

  test.each([
    [1, '512', '4096'],
    [2, '1024', '8192'],
    [3, '2048', '12288'],
    [4, '2048', '16384'],
    [6, '4096', '24576'],
    [8, '8192', '32768'], // 4 vCPU hold at most 30 GiB
    [9, '8192', '36864'],
  ])('DEVELOPMENT, %i worker(s): CPU %s, memory %s (half a vCPU and 4 GiB each, on a Fargate size)', (numWorkers, cpu, memory) => {
    const instanceType = ec2.InstanceType.of(ec2.InstanceClass.M7G, ec2.InstanceSize.XLARGE);
    const s = synth({ service: { numWorkers, maxCapacity: 1 }, database: { instanceType } });
    s.template.hasResourceProperties('AWS::ECS::TaskDefinition', { Cpu: cpu, Memory: memory });
    expect(warningsOf(s.stack)).toHaveLength(0);
  });

  test('several workers get a worker health-check timeout long enough for LiteLLM\'s imports; one worker does not need it', () => {
    const env = (numWorkers: number) => environmentOf(container(synth({ service: { numWorkers, maxCapacity: 1 } }).template, 'litellm'));
    expect(env(2).TIMEOUT_WORKER_HEALTHCHECK).toBe('60');
    expect(env(1).TIMEOUT_WORKER_HEALTHCHECK).toBeUndefined();
  });

  test('memory below 4096 per worker synthesizes with a warning that names the OOM risk', () => {
    const s = synth({ service: { numWorkers: 2, memoryLimitMiB: 4096 } });
    const found = warningsOf(s.stack);
    expect(found).toHaveLength(1);
    expect(JSON.stringify(found[0].entry.data)).toContain(
      '`memoryLimitMiB` (4096) is below 4096 per worker (2 × 4096 = 8192), LiteLLM\'s production sizing: one large request can run a task out of memory.');
  });

  test('memory below 2048 stays an error', () => {
    expect(() => build({ service: { memoryLimitMiB: 1024 } })).toThrow('`memoryLimitMiB` (1024) is too low: LiteLLM needs 2048 MiB or more per task');
  });

  test('requestsPerTarget adds ALB request-count target tracking on the service\'s target group, next to CPU', () => {
    const s = synth({ service: { requestsPerTarget: 600 } });
    const policies = Object.values(s.template.findResources('AWS::ApplicationAutoScaling::ScalingPolicy'))
      .map((p: any) => p.Properties.TargetTrackingScalingPolicyConfiguration);
    expect(policies).toHaveLength(2);
    expect(policies).toEqual(expect.arrayContaining([expect.objectContaining({
      TargetValue: 600,
      PredefinedMetricSpecification: expect.objectContaining({ PredefinedMetricType: 'ALBRequestCountPerTarget' }),
    })]));
  });

  test('requestsPerTarget must be a positive integer', () => {
    expect(() => build({ service: { requestsPerTarget: 0 } })).toThrow('`requestsPerTarget` (0) must be an integer >= 1 (requests per task per minute)');
  });
});

describe('a platform built from a team\'s config.yaml', () => {
  const TEAM_CONFIG = `${__dirname}/fixtures/team-config.yaml`;
  let s: Synth;
  beforeAll(() => {
    s = synth({ models: [], config: { configFile: TEAM_CONFIG } });
  });

  test('serves the file\'s models', () => {
    expect(s.platform.service.models.map(m => m.name)).toEqual(['claude-sonnet', 'gpt-4o', 'mistral-large', 'team-mock']);
    expect(YAML.parse(s.platform.service.renderedConfig).model_list.map((m: any) => m.model_name))
      .toEqual(['claude-sonnet', 'gpt-4o', 'mistral-large', 'team-mock']);
  });

  test('its Bedrock model gets the same least-privilege grant as LiteLlmModel.bedrock', () => {
    const statements = bedrockStatements(s.template, logicalId(s.stack, s.platform.service.taskDefinition.taskRole));
    expect(statements).toHaveLength(1);
    expect(asArray(statements[0].Resource).map(arnText)).toEqual([
      `arn:aws:bedrock:us-east-1:123456789012:inference-profile/${SONNET_PROFILE}`,
      'arn:aws:bedrock:*::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0',
    ]);
  });

  test('its Bedrock model adds the bedrock-runtime endpoint wherever interface endpoints are (PRODUCTION), as LiteLlmModel.bedrock does', () => {
    const production = synth({
      profile: LiteLlmDeploymentProfile.PRODUCTION, loadBalancer: { allowHttp: true }, models: [], config: { configFile: TEAM_CONFIG },
    });
    production.template.hasResourceProperties('AWS::EC2::VPCEndpoint', { ServiceName: 'com.amazonaws.us-east-1.bedrock-runtime' });
  });

  test('its os.environ keys become provider-key fields and ECS secrets', () => {
    expect(s.platform.security.providerKeyNames).toEqual(['OPENAI_API_KEY', 'MISTRAL_API_KEY']);
    const secrets = byName(container(s.template, 'litellm').Secrets);
    expect(secrets).toEqual(expectedSecrets(s.stack, s.platform, ['OPENAI_API_KEY', 'MISTRAL_API_KEY']));
  });

  test('the keys of the file the platform owns are replaced, with a warning', () => {
    const warnings = Annotations.fromStack(s.stack).findWarning('*', Match.stringLikeRegexp('configFile'));
    expect(warnings.map(w => w.entry.data)).toEqual([expect.stringContaining(
      '`config.configFile` sets litellm_settings.request_timeout, general_settings.master_key, which the platform owns: the platform\'s values replace them')]);
  });

  test('its internet models count for the egress check', () => {
    expect(() => synth({ models: [], config: { configFile: TEAM_CONFIG }, network: { natGateways: 0 } })).toThrow(new Error(
      'models gpt-4o, mistral-large need internet egress, but `natGateways` is 0 and tasks run in private subnets: '
      + 'set natGateways to 1, or use Bedrock models and an ECR image (LiteLlmImage.fromEcrRepository)'));
  });
});

describe('egress beyond 443', () => {
  test('opens each port other than 443 the config calls, one described IPv4 rule per port, in the service\'s stack', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Egress', { env: { account: '123456789012', region: 'us-east-1' } });

    // WHEN
    new LiteLlmPlatform(stack, 'LiteLlm', {
      models: [LiteLlmModel.openAiCompatible({ name: 'llama', modelId: 'm', apiBase: 'http://vllm.internal:8000/v1', apiKeyEnvName: 'VLLM_API_KEY' })],
      config: { callbacks: [LiteLlmCallback.openTelemetry({ endpoint: 'http://otel-collector.internal:4318/v1/traces' })] },
    });

    // THEN
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      IpProtocol: 'tcp', FromPort: 4318, ToPort: 4318, CidrIp: '0.0.0.0/0', Description: 'LiteLLM to TCP 4318: otel-collector.internal',
    });
    t.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      IpProtocol: 'tcp', FromPort: 8000, ToPort: 8000, CidrIp: '0.0.0.0/0', Description: 'LiteLLM to TCP 8000: vllm.internal',
    });
  });

  test('a platform whose config calls 443 only opens nothing more', () => {
    const stack = new Stack(new App(), 'Egress', { env: { account: '123456789012', region: 'us-east-1' } });
    new LiteLlmPlatform(stack, 'LiteLlm', { models: [LiteLlmModel.openAi({ name: 'gpt', modelId: 'gpt-4o' })] });
    const rules = Object.values(Template.fromStack(stack).findResources('AWS::EC2::SecurityGroupEgress'))
      .filter((r: any) => r.Properties.Description?.startsWith('LiteLLM to TCP'));
    expect(rules).toEqual([]);
  });
});

describe('several workers with IAM database auth', () => {
  test('warn at synth that a restarted worker starts with the task\'s first token; one worker does not', () => {
    const stack = (workers: number) => {
      const s = new Stack(new App(), 'Workers', { env: { account: '123456789012', region: 'us-east-1' } });
      new LiteLlmPlatform(s, 'LiteLlm', { models: [LiteLlmModel.mock({ name: 'mock' })], service: { numWorkers: workers } });
      return s;
    };
    Annotations.fromStack(stack(2)).hasWarning('/Workers/LiteLlm/Service', Match.stringLikeRegexp('`numWorkers` is 2: the proxy logs in to the database with a 15-minute IAM token'));
    Annotations.fromStack(stack(1)).hasNoWarning('*', Match.stringLikeRegexp('cdk-litellm:workersWithIamToken'));
  });
});

describe('LiteLlmService: one log retention, CDK-shaped settings, grants', () => {
  test('service.logRetention reaches every log group of the service: container, migration step, redeploy function', () => {
    // GIVEN / WHEN
    const s = synth({ service: { logRetention: logs.RetentionDays.SIX_MONTHS } });

    // THEN
    const service = s.platform.service;
    const groups = service.node.findAll().filter((c): c is logs.LogGroup => c instanceof logs.LogGroup);
    expect(groups.map(g => g.node.path.replace('Stack/LiteLlm/Service/', '')).sort())
      .toEqual(['Logs', 'Migration/ProviderLogs', 'Migration/StartFunctionLogs', 'Migration/WaitFunctionLogs', 'RedeployFunctionLogs'].sort());
    const resources = s.template.toJSON().Resources;
    const retentionOf = (g: IConstruct) => resources[s.stack.getLogicalId(g.node.defaultChild as CfnElement)].Properties.RetentionInDays;
    expect(groups.map(retentionOf)).toEqual(groups.map(() => 180));
  });

  test('the platform\'s logRetention reaches every log group it creates, unless a block sets its own', () => {
    // GIVEN / WHEN
    const s = synth({ logRetention: logs.RetentionDays.ONE_YEAR, database: { logRetention: logs.RetentionDays.FIVE_DAYS } });

    // THEN
    const resources = s.template.toJSON().Resources;
    const retentionUnder = (block: IConstruct) => block.node.findAll().filter((c): c is logs.LogGroup => c instanceof logs.LogGroup)
      .map(g => resources[s.stack.getLogicalId(g.node.defaultChild as CfnElement)].Properties.RetentionInDays);
    const under = [...retentionUnder(s.platform.service), ...retentionUnder(s.platform.security), ...retentionUnder(s.platform.network)];
    expect(new Set(under)).toEqual(new Set([365]));
    expect(retentionUnder(s.platform.network)).toHaveLength(1);
    expect(new Set(retentionUnder(s.platform.database))).toEqual(new Set([5]));
  });

  test('without a retention, the migration step and the redeploy function follow the profile (14 days in DEVELOPMENT), no longer a fixed month', () => {
    // GIVEN / WHEN
    const s = synth();

    // THEN
    const resources = s.template.toJSON().Resources;
    const groups = s.platform.service.node.findAll().filter((c): c is logs.LogGroup => c instanceof logs.LogGroup);
    const retentionOf = (g: IConstruct) => resources[s.stack.getLogicalId(g.node.defaultChild as CfnElement)].Properties.RetentionInDays;
    expect(new Set(groups.map(retentionOf))).toEqual(new Set([14]));
  });

  test('logLevel is an enum that sets LITELLM_LOG', () => {
    // GIVEN / WHEN
    const s = synth({ service: { logLevel: LiteLlmLogLevel.WARNING } });

    // THEN
    const env = servingTaskDefinition(s.template).Properties.ContainerDefinitions
      .find((c: any) => (c.Environment ?? []).some((e: any) => e.Name === 'LITELLM_LOG')).Environment;
    expect(env).toEqual(expect.arrayContaining([{ Name: 'LITELLM_LOG', Value: 'WARNING' }]));
  });

  test('containerInsights takes ecs.ContainerInsights, ENHANCED included', () => {
    // GIVEN / WHEN
    const s = synth({ service: { containerInsights: ecs.ContainerInsights.ENHANCED } });

    // THEN
    s.template.hasResourceProperties('AWS::ECS::Cluster', { ClusterSettings: [{ Name: 'containerInsights', Value: 'enhanced' }] });
  });

  test('grantPrincipal is the task role, on the service and the platform; the platform grants reading the master key', () => {
    // GIVEN
    const s = build();
    const bucket = new s3.Bucket(s.stack, 'Bucket');
    const reader = new iam.Role(s.stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });

    // WHEN
    bucket.grantRead(s.platform);
    s.platform.grantReadMasterKey(reader);

    // THEN
    expect(s.platform.service.grantPrincipal).toBe(s.platform.service.taskDefinition.taskRole);
    expect(s.platform.grantPrincipal).toBe(s.platform.service.taskDefinition.taskRole);
    const template = Template.fromStack(s.stack);
    const taskRoleId = s.stack.getLogicalId(s.platform.service.taskDefinition.taskRole.node.defaultChild as CfnElement);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: taskRoleId }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['s3:GetObject*']) })]) },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: s.stack.getLogicalId(reader.node.defaultChild as CfnElement) }],
      PolicyDocument: { Statement: [Match.objectLike({ Resource: s.stack.resolve(s.platform.security.masterKeySecret.secretArn) })] },
    });
  });
});
