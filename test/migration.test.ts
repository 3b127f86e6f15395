// The migration step in the templates: one task per deploy, before the service, after the
// database role, rerun by what it migrates with (image, instance) and not by the config.
import { App, Stack, aws_ecs as ecs } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { LiteLlmDeploymentProfile, LiteLlmImage, LiteLlmMigration, LiteLlmModel, LiteLlmPlatform, LiteLlmPlatformProps } from '../src';
import { fiveStacks } from './support/scenarios';

const ENV = { account: '123456789012', region: 'us-east-1' };

interface Built {
  readonly stack: Stack;
  readonly platform: LiteLlmPlatform;
  readonly template: Template;
}

function build(props: Partial<LiteLlmPlatformProps> = {}): Built {
  const stack = new Stack(new App(), 'Migration', { env: ENV });
  const platform = new LiteLlmPlatform(stack, 'LiteLlm', { models: [LiteLlmModel.openAi({ name: 'gpt-4o', modelId: 'gpt-4o' })], ...props });
  return { stack, platform, template: Template.fromStack(stack) };
}

function only(template: Template, type: string): [string, any] {
  const found = Object.entries(template.findResources(type));
  expect(found).toHaveLength(1);
  return found[0];
}

function idOf(b: Built, construct: { node: { defaultChild?: unknown } } | any): string {
  return b.stack.getLogicalId((construct.node.defaultChild ?? construct) as any);
}

/** The migration task definition and the step's properties, as CloudFormation gets them. */
function migrationOf(b: Built): { task: any; step: any } {
  const json = b.template.toJSON();
  return {
    task: json.Resources[idOf(b, b.platform.service.migration.taskDefinition)].Properties,
    step: only(b.template, 'Custom::LiteLlmMigration')[1].Properties,
  };
}

/** The props of a LiteLlmMigration beside the platform's own. */
function migrationProps(b: Built) {
  const { cluster, logGroup } = b.platform.service;
  return {
    cluster,
    logGroup,
    image: ecs.ContainerImage.fromRegistry('ghcr.io/berriai/litellm:v1.108.7'),
    database: b.platform.database,
    vpc: b.platform.network.vpc,
    vpcSubnets: { subnets: b.platform.network.vpc.privateSubnets },
    securityGroup: b.platform.network.serviceSecurityGroup,
    encryptionKey: b.platform.security.encryptionKey,
  };
}

function envOf(container: any): Record<string, unknown> {
  return Object.fromEntries((container.Environment ?? []).map((e: any) => [e.Name, e.Value]));
}

describe('the migration task definition', () => {
  const b = build({ profile: LiteLlmDeploymentProfile.PRODUCTION, loadBalancer: { allowHttp: true } });
  const { task } = migrationOf(b);
  const [migrate] = task.ContainerDefinitions;

  test('one essential container, the serving image, running LiteLLM\'s migration command up to three times, one `prisma migrate deploy` per process', () => {
    expect(task.ContainerDefinitions).toHaveLength(1);
    expect(migrate.Name).toBe('migrate');
    expect(migrate.Essential).toBe(true);
    expect(migrate.Image).toBe(`ghcr.io/berriai/litellm:v${LiteLlmImage.DEFAULT_VERSION}`);
    expect(migrate.EntryPoint).toEqual(['python3', '-c']);
    const [script] = migrate.Command;
    expect(script).toContain('subprocess.Popen([python, "-c", run, "--skip_server_startup"]');
    expect(script).toContain('"    extras.MAX_MIGRATE_DEPLOY_ATTEMPTS = 1",');
    expect(script).toContain('attempts = 3');
    expect(script).toContain('"MIGRATION_RETRY_PAUSE_SECONDS", "60"');
    expect(migrate.Secrets).toBeUndefined();
    expect(migrate.LinuxParameters).toEqual(expect.objectContaining({ InitProcessEnabled: true }));
  });

  test('logs at INFO even where the proxy logs at ERROR, and migrates (no DISABLE_SCHEMA_UPDATE) as the IAM database role over verified TLS', () => {
    const env = envOf(migrate);
    const proxyEnv = envOf(b.template.toJSON().Resources[idOf(b, b.platform.service.taskDefinition)].Properties.ContainerDefinitions
      .find((c: any) => c.Name === 'litellm'));
    expect(proxyEnv.LITELLM_LOG).toBe('ERROR');
    expect(env).toEqual(expect.objectContaining({
      LITELLM_LOG: 'INFO',
      IAM_TOKEN_DB_AUTH: 'true',
      DATABASE_USER: 'litellm_proxy',
      DATABASE_SSLMODE: 'verify-full',
      DATABASE_SSLROOTCERT: '/tmp/litellm-migration/rds-ca.pem',
      DATABASE_CA_PEM: expect.stringContaining('-----BEGIN CERTIFICATE-----'),
      LITELLM_PRISMA_BOOTSTRAP_TIMEOUT: '60',
      LITELLM_MIGRATION_LOCK_TIMEOUT: '40',
      LITELLM_PRISMA_MIGRATE_DEPLOY_TIMEOUT: '600',
      LITELLM_PRISMA_COMMAND_TIMEOUT: '60',
      LITELLM_LOCAL_MODEL_COST_MAP: 'True',
      AWS_REGION: 'us-east-1',
    }));
    expect(env.DISABLE_SCHEMA_UPDATE).toBeUndefined();
    // Nothing of the config: a config change must not rerun the migration.
    expect(Object.keys(env).filter(k => /CONFIG|MASTER_KEY|REDIS/.test(k))).toEqual([]);
  });

  test('always runs LiteLLM\'s v2 resolver, which alone honours MAX_MIGRATE_DEPLOY_ATTEMPTS and logs the marker on every success', () => {
    expect(envOf(migrate).USE_V2_MIGRATION_RESOLVER).toBe('true');
    const stack = new Stack(new App(), 'Legacy', { env: ENV });
    const platform = new LiteLlmPlatform(stack, 'LiteLlm', { models: [LiteLlmModel.openAi({ name: 'gpt-4o', modelId: 'gpt-4o' })] });
    const legacy = new LiteLlmMigration(stack, 'Legacy', { ...migrationProps({ stack, platform } as Built), environment: { USE_V2_MIGRATION_RESOLVER: 'false' } });
    const container = Template.fromStack(stack).toJSON().Resources[stack.getLogicalId(legacy.taskDefinition.node.defaultChild as any)]
      .Properties.ContainerDefinitions[0];
    expect(envOf(container).USE_V2_MIGRATION_RESOLVER).toBe('true');
  });

  test('its own task role may log in as litellm_proxy and nothing else; it writes to the service log group under `migrate`', () => {
    const roleId = task.TaskRoleArn['Fn::GetAtt'][0];
    const policies = Object.values<any>(b.template.findResources('AWS::IAM::Policy')).filter(p => p.Properties.Roles.some((r: any) => r.Ref === roleId));
    const actions = policies.flatMap(p => p.Properties.PolicyDocument.Statement).flatMap((st: any) => [].concat(st.Action));
    expect(actions).toEqual(['rds-db:connect']);
    expect(roleId).not.toBe(idOf(b, b.platform.service.taskDefinition.taskRole));
    expect(migrate.LogConfiguration.Options).toEqual(expect.objectContaining({
      'awslogs-group': { Ref: idOf(b, b.platform.service.logGroup) },
      'awslogs-stream-prefix': 'migrate',
    }));
  });
});

describe('the migration step', () => {
  const b = build({ profile: LiteLlmDeploymentProfile.PRODUCTION, loadBalancer: { allowHttp: true } });
  const { step } = migrationOf(b);
  const [stepId, stepResource] = only(b.template, 'Custom::LiteLlmMigration');

  test('runs the migration task in the service\'s cluster, private subnets and security group, without a public IP', () => {
    const service = only(b.template, 'AWS::ECS::Service')[1].Properties;
    expect(step).toEqual(expect.objectContaining({
      Cluster: { 'Fn::GetAtt': [idOf(b, b.platform.service.cluster), 'Arn'] },
      TaskDefinition: { Ref: idOf(b, b.platform.service.migration.taskDefinition) },
      ContainerName: 'migrate',
      Subnets: service.NetworkConfiguration.AwsvpcConfiguration.Subnets,
      SecurityGroups: service.NetworkConfiguration.AwsvpcConfiguration.SecurityGroups,
      AssignPublicIp: 'DISABLED',
      LogGroup: { Ref: idOf(b, b.platform.service.logGroup) },
      LogStreamPrefix: 'migrate',
      DbiResourceId: { 'Fn::GetAtt': [idOf(b, b.platform.database.instance), 'DbiResourceId'] },
    }));
    expect(stepResource.Properties.ServiceTimeout).toBe('3600');
  });

  test('comes after the database-role step, and the service after it', () => {
    const proxyUserId = idOf(b, b.platform.database.proxyUser);
    expect(stepResource.DependsOn).toEqual(expect.arrayContaining([proxyUserId]));
    const [, service] = only(b.template, 'AWS::ECS::Service');
    expect(service.DependsOn).toEqual(expect.arrayContaining([stepId]));
  });

  test('waits on the task every 30 s for at most 59 minutes, under CloudFormation\'s hour', () => {
    const [, machine] = only(b.template, 'AWS::StepFunctions::StateMachine');
    const definition = JSON.stringify(machine.Properties.DefinitionString);
    expect(definition).toMatch(/\\"IntervalSeconds\\":30/);
    expect(definition).toMatch(/\\"MaxAttempts\\":118/);
  });

  test('the start function may run only the migration task definition in this cluster and pass only its two roles', () => {
    const statements = Object.values<any>(b.template.findResources('AWS::IAM::Policy'))
      .flatMap(p => p.Properties.PolicyDocument.Statement);
    const runTask = statements.filter((st: any) => [].concat(st.Action).includes('ecs:RunTask' as never));
    const family = b.template.toJSON().Resources[idOf(b, b.platform.service.migration.taskDefinition)].Properties.Family;
    expect(runTask).toEqual([expect.objectContaining({
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:ecs:us-east-1:123456789012:task-definition/${family}:*`]] },
      Condition: { ArnEquals: { 'ecs:cluster': { 'Fn::GetAtt': [idOf(b, b.platform.service.cluster), 'Arn'] } } },
    })]);
    const passRole = statements.filter((st: any) => [].concat(st.Action).includes('iam:PassRole' as never));
    expect(passRole).toHaveLength(1);
    expect(passRole[0].Resource).toHaveLength(2);
    expect(passRole[0].Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });
  });
});

describe('what reruns the migration', () => {
  const base = migrationOf(build());

  test('a config change (another model, router settings) or a scaling change does not', () => {
    const changed = migrationOf(build({
      models: [LiteLlmModel.openAi({ name: 'gpt-4o-mini', modelId: 'gpt-4o-mini' })],
      config: { routerSettings: { num_retries: 1 } },
      service: { maxCapacity: 3 },
    }));
    expect(changed.task).toEqual(base.task);
    expect(changed.step).toEqual(base.step);
  });

  test('a new image does: its task definition (a new revision, a new ARN in the step\'s properties) and the Image property change', () => {
    const changed = migrationOf(build({ image: LiteLlmImage.fromRegistry('ghcr.io/berriai/litellm:v1.108.6') }));
    expect(changed.task.ContainerDefinitions[0].Image).toBe('ghcr.io/berriai/litellm:v1.108.6');
    expect(changed.task).not.toEqual(base.task);
    expect(changed.step.Image).toBe('ghcr.io/berriai/litellm:v1.108.6');
    expect(base.step.Image).toBe(`ghcr.io/berriai/litellm:v${LiteLlmImage.DEFAULT_VERSION}`);
  });

  test('a replaced or restored database instance does: the step carries its DbiResourceId', () => {
    expect(base.step.DbiResourceId['Fn::GetAtt'][1]).toBe('DbiResourceId');
  });
});

test('a DEVELOPMENT service in public subnets without NAT migrates from there, with a public IP to pull the image', () => {
  const b = build({ network: { natGateways: 0 }, service: { assignPublicIp: true } });
  const { step } = migrationOf(b);
  const service = only(b.template, 'AWS::ECS::Service')[1].Properties;
  expect(step.AssignPublicIp).toBe('ENABLED');
  expect(step.Subnets).toEqual(service.NetworkConfiguration.AwsvpcConfiguration.Subnets);
});

test('five stacks: the step lives with the service, after the database stack\'s role step', () => {
  const { app, stacks } = fiveStacks();
  const assembly = app.synth();
  const withStep = stacks.filter(s => Object.values<any>(assembly.getStackByName(s.stackName).template.Resources)
    .some(r => r.Type === 'Custom::LiteLlmMigration'));
  expect(withStep).toHaveLength(1);
  const template = assembly.getStackByName(withStep[0].stackName).template;
  expect(Object.values<any>(template.Resources).some(r => r.Type === 'AWS::ECS::Service')).toBe(true);
  const database = stacks.find(s => Object.values<any>(assembly.getStackByName(s.stackName).template.Resources)
    .some(r => r.Type === 'Custom::LiteLlmDatabaseUser'))!;
  expect(withStep[0].dependencies).toContain(database);
});

/** The policy statements of the role whose logical id starts with `prefix`, as rendered. */
function statementsOf(b: Built, role: RegExp): any[] {
  const roleIds = Object.keys(b.template.findResources('AWS::IAM::Role')).filter(id => role.test(id));
  expect(roleIds).toHaveLength(1);
  return Object.values<any>(b.template.findResources('AWS::IAM::Policy'))
    .filter(p => p.Properties.Roles.some((r: any) => r.Ref === roleIds[0]))
    .flatMap(p => p.Properties.PolicyDocument.Statement);
}

/** A rendered ARN as IAM sees it at deploy: `refs` gives each Ref its value. */
function rendered(value: any, refs: Record<string, string>): string {
  if (typeof value === 'string') return value;
  if (value.Ref) return value.Ref === 'AWS::Partition' ? 'aws' : refs[value.Ref] ?? `<unresolved ${value.Ref}>`;
  if (value['Fn::Join']) return value['Fn::Join'][1].map((v: any) => rendered(v, refs)).join(value['Fn::Join'][0]);
  return `<unresolved ${JSON.stringify(value)}>`;
}

/** IAM's wildcard match of a resource pattern (`*` spans any characters, `?` one). */
function iamMatches(pattern: string, arn: string): boolean {
  const re = pattern.split('').map(c => c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')).join('');
  return new RegExp(`^${re}$`).test(arn);
}

describe('the step\'s permissions, as rendered', () => {
  const b = build({ profile: LiteLlmDeploymentProfile.PRODUCTION, loadBalancer: { allowHttp: true } });
  const clusterArn = { 'Fn::GetAtt': [idOf(b, b.platform.service.cluster), 'Arn'] };
  const logGroupId = idOf(b, b.platform.service.logGroup);
  const TASK = '0123456789abcdef0123456789abcdef';

  test('GetLogEvents names the log group by its name, so the stream of a migration task matches and a serving task\'s does not', () => {
    const [getLogs] = statementsOf(b, /MigrationWaitFunctionRole/).filter(st => [].concat(st.Action).includes('logs:GetLogEvents' as never));
    expect(getLogs.Resource).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:us-east-1:123456789012:log-group:', { Ref: logGroupId }, ':log-stream:migrate/*']],
    });
    const pattern = rendered(getLogs.Resource, { [logGroupId]: 'LiteLlm-ServiceLogs' });
    const stream = (name: string) => `arn:aws:logs:us-east-1:123456789012:log-group:LiteLlm-ServiceLogs:log-stream:${name}`;
    expect(iamMatches(pattern, stream(`migrate/migrate/${TASK}`))).toBe(true);
    expect(iamMatches(pattern, stream(`litellm/litellm/${TASK}`))).toBe(false);
  });

  test('the wait function may describe and stop the tasks of this cluster only; the start function may list and stop them, for Delete and a rollback', () => {
    const tasks = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ecs:us-east-1:123456789012:task/', { Ref: idOf(b, b.platform.service.cluster) }, '/*']] };
    const inCluster = { ArnEquals: { 'ecs:cluster': clusterArn } };
    expect(statementsOf(b, /MigrationWaitFunctionRole/)).toContainEqual(expect.objectContaining({
      Action: ['ecs:DescribeTasks', 'ecs:StopTask'], Resource: tasks, Condition: inCluster,
    }));
    const start = statementsOf(b, /MigrationStartFunctionRole/);
    expect(start).toContainEqual(expect.objectContaining({ Action: 'ecs:ListTasks', Resource: '*', Condition: inCluster }));
    expect(start).toContainEqual(expect.objectContaining({ Action: 'ecs:StopTask', Resource: tasks, Condition: inCluster }));
  });

  test('the start function has 5 minutes, room for RunTask\'s capacity retries (3 minutes)', () => {
    const fn = Object.values<any>(b.template.findResources('AWS::Lambda::Function')).find(f => f.Properties.Description === 'Starts the LiteLLM migration task of a deploy');
    expect(fn.Properties.Timeout).toBe(300);
  });

  test('two images give the start function the same policy: RunTask is granted on the family, not a revision', () => {
    const other = build({ profile: LiteLlmDeploymentProfile.PRODUCTION, loadBalancer: { allowHttp: true }, image: LiteLlmImage.fromRegistry('ghcr.io/berriai/litellm:v1.108.6') });
    expect(migrationOf(other).task).not.toEqual(migrationOf(b).task);
    expect(statementsOf(other, /MigrationStartFunctionRole/)).toEqual(statementsOf(b, /MigrationStartFunctionRole/));
  });
});

describe('settings that act only while migrating', () => {
  test('reach the migration from the service\'s `environment`; other variables do not', () => {
    const b = build({
      service: {
        environment: {
          LITELLM_SET_REPLICA_IDENTITY_FULL: 'true',
          HTTPS_PROXY: 'http://proxy.internal:3128',
          NO_PROXY: '169.254.170.2',
          LITELLM_PRISMA_COMMAND_TIMEOUT: '30',
          TEAM_SETTING: 'x',
        },
      },
    });
    const env = envOf(migrationOf(b).task.ContainerDefinitions[0]);
    expect(env).toEqual(expect.objectContaining({
      LITELLM_SET_REPLICA_IDENTITY_FULL: 'true', HTTPS_PROXY: 'http://proxy.internal:3128', NO_PROXY: '169.254.170.2', LITELLM_PRISMA_COMMAND_TIMEOUT: '30',
    }));
    expect(env.TEAM_SETTING).toBeUndefined();
  });
});

describe('the time budget: every wait before a new connection within the IAM token, every attempt within the step\'s deadline', () => {
  const attemptsMessage = (n: number, max: number, perAttempt: number) => `\`attempts\` (${n}) must be an integer from 1 to ${max}: each attempt may take ${perAttempt} s `
    + '(LiteLLM\'s migration timeouts and a 60 s pause), and 300 s to start the task plus every attempt must end before the step\'s deadline of 3000 s, inside CloudFormation\'s hour';

  test('by default 1 to 3 attempts of at most 900 s each (60 + 3 × 40 + 600 + 60, and the pause) fit in 50 minutes', () => {
    const b = build();
    const props = migrationProps(b);
    expect(() => new LiteLlmMigration(b.stack, 'Zero', { ...props, attempts: 0 })).toThrow(attemptsMessage(0, 3, 900));
    expect(() => new LiteLlmMigration(b.stack, 'Four', { ...props, attempts: 4 })).toThrow(attemptsMessage(4, 3, 900));
    expect(() => new LiteLlmMigration(b.stack, 'Half', { ...props, attempts: 1.5 })).toThrow(attemptsMessage(1.5, 3, 900));
    expect(() => new LiteLlmMigration(b.stack, 'Three', { ...props, attempts: 3 })).not.toThrow();
  });

  test('shorter timeouts allow more attempts', () => {
    const b = build();
    const props = { ...migrationProps(b), environment: { LITELLM_PRISMA_MIGRATE_DEPLOY_TIMEOUT: '300' } };
    expect(() => new LiteLlmMigration(b.stack, 'Four', { ...props, attempts: 4 })).not.toThrow();
    expect(() => new LiteLlmMigration(b.stack, 'Five', { ...props, attempts: 5 })).toThrow(attemptsMessage(5, 4, 600));
  });

  test('a deploy or lock timeout that outlives the token fails at synth', () => {
    const b = build();
    expect(() => new LiteLlmMigration(b.stack, 'Long', { ...migrationProps(b), environment: { LITELLM_PRISMA_MIGRATE_DEPLOY_TIMEOUT: '1800' } })).toThrow(
      'The migration\'s waits before a new database connection add up to 2040 s (LITELLM_PRISMA_BOOTSTRAP_TIMEOUT 60 + 3 × LITELLM_MIGRATION_LOCK_TIMEOUT 40 + '
      + 'LITELLM_PRISMA_MIGRATE_DEPLOY_TIMEOUT 1800 + LITELLM_PRISMA_COMMAND_TIMEOUT 60), more than the 840 s its IAM database token leaves (15 minutes, less one to start): lower them in `environment`');
    expect(() => build({ service: { environment: { LITELLM_MIGRATION_LOCK_TIMEOUT: '1800' } } })).toThrow(
      'The migration\'s waits before a new database connection add up to 6120 s (LITELLM_PRISMA_BOOTSTRAP_TIMEOUT 60 + 3 × LITELLM_MIGRATION_LOCK_TIMEOUT 1800 + '
      + 'LITELLM_PRISMA_MIGRATE_DEPLOY_TIMEOUT 600 + LITELLM_PRISMA_COMMAND_TIMEOUT 60), more than the 840 s its IAM database token leaves (15 minutes, less one to start): lower them in `environment`');
  });

  test('a timeout that is not a positive number fails at synth (LiteLLM would fall back to its default)', () => {
    expect(() => build({ service: { environment: { LITELLM_MIGRATION_LOCK_TIMEOUT: 'soon' } } })).toThrow(
      '`environment` sets LITELLM_MIGRATION_LOCK_TIMEOUT to "soon": LiteLLM ignores anything but a positive number of seconds and falls back to its default (prisma_toolchain.py:81-100): give seconds');
  });
});
