// The migration step in the templates: one task per deploy, before the service, after the
// database role, rerun by what it migrates with (image, instance) and not by the config.
import { App, Stack, aws_ecs as ecs } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { DeploymentProfile, LiteLlmImage, LiteLlmMigration, LiteLlmModel, LiteLlmPlatform, LiteLlmPlatformProps } from '../src';
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
    task: json.Resources[idOf(b, b.platform.service.migrationTaskDefinition)].Properties,
    step: only(b.template, 'Custom::LiteLlmMigration')[1].Properties,
  };
}

function envOf(container: any): Record<string, unknown> {
  return Object.fromEntries((container.Environment ?? []).map((e: any) => [e.Name, e.Value]));
}

describe('the migration task definition', () => {
  const b = build({ profile: DeploymentProfile.PRODUCTION, loadBalancer: { allowHttp: true } });
  const { task } = migrationOf(b);
  const [migrate] = task.ContainerDefinitions;

  test('one essential container, the serving image, running LiteLLM\'s migration command up to three times', () => {
    expect(task.ContainerDefinitions).toHaveLength(1);
    expect(migrate.Name).toBe('migrate');
    expect(migrate.Essential).toBe(true);
    expect(migrate.Image).toBe(`ghcr.io/berriai/litellm:v${LiteLlmImage.DEFAULT_VERSION}`);
    expect(migrate.EntryPoint).toEqual(['python3', '-c']);
    const [script] = migrate.Command;
    expect(script).toContain('subprocess.call(["litellm", "--skip_server_startup"])');
    expect(script).toContain('attempts = 3');
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
      LITELLM_PRISMA_MIGRATE_DEPLOY_TIMEOUT: '1800',
      LITELLM_MIGRATION_LOCK_TIMEOUT: '1800',
      LITELLM_LOCAL_MODEL_COST_MAP: 'True',
      AWS_REGION: 'us-east-1',
    }));
    expect(env.DISABLE_SCHEMA_UPDATE).toBeUndefined();
    // Nothing of the config: a config change must not rerun the migration.
    expect(Object.keys(env).filter(k => /CONFIG|MASTER_KEY|REDIS/.test(k))).toEqual([]);
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
  const b = build({ profile: DeploymentProfile.PRODUCTION, loadBalancer: { allowHttp: true } });
  const { step } = migrationOf(b);
  const [stepId, stepResource] = only(b.template, 'Custom::LiteLlmMigration');

  test('runs the migration task in the service\'s cluster, private subnets and security group, without a public IP', () => {
    const service = only(b.template, 'AWS::ECS::Service')[1].Properties;
    expect(step).toEqual(expect.objectContaining({
      Cluster: { 'Fn::GetAtt': [idOf(b, b.platform.service.cluster), 'Arn'] },
      TaskDefinition: { Ref: idOf(b, b.platform.service.migrationTaskDefinition) },
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
    expect(runTask).toEqual([expect.objectContaining({
      Resource: { Ref: idOf(b, b.platform.service.migrationTaskDefinition) },
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

test('LiteLlmMigration takes 1 to 5 attempts', () => {
  const b = build();
  const { cluster, logGroup } = b.platform.service;
  const props = {
    cluster,
    logGroup,
    image: ecs.ContainerImage.fromRegistry('ghcr.io/berriai/litellm:v1.108.7'),
    database: b.platform.database,
    vpc: b.platform.network.vpc,
    vpcSubnets: { subnets: b.platform.network.vpc.privateSubnets },
    securityGroup: b.platform.network.serviceSecurityGroup,
    encryptionKey: b.platform.security.encryptionKey,
  };
  const message = (n: number) => `\`attempts\` (${n}) must be an integer from 1 to 5: each attempt may take up to 30 minutes, and CloudFormation waits an hour`;
  expect(() => new LiteLlmMigration(b.stack, 'Zero', { ...props, attempts: 0 })).toThrow(message(0));
  expect(() => new LiteLlmMigration(b.stack, 'Six', { ...props, attempts: 6 })).toThrow(message(6));
  expect(() => new LiteLlmMigration(b.stack, 'Half', { ...props, attempts: 1.5 })).toThrow(message(1.5));
  expect(() => new LiteLlmMigration(b.stack, 'Five', { ...props, attempts: 5 })).not.toThrow();
});
