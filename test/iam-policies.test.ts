// Every IAM policy of the platform's own functions and tasks, held against the ARNs their
// real API calls carry, with an offline IAM simulator (@cloud-copilot/iam-simulate): a
// statement that matches nothing, or a resource pattern CloudFormation renders differently
// from what the code meant, fails here. The templates are resolved with a fixed account,
// region and partition and fake physical names shaped like AWS's (test/support/iam-resolve.ts).
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { App, Stack } from 'aws-cdk-lib';
import { LiteLlmGuardrail, LiteLlmGuardrailMode, LiteLlmModel, LiteLlmPlatform, LiteLlmVectorStore } from '../src';
import { ACCOUNT, PARTITION, REGION, TASK_DEFINITION_REVISION } from './support/iam-resolve';
import { Decision, IamApp } from './support/iam-simulate';
import { defaultPlatform, fiveStacks, productionPlatform } from './support/scenarios';

const TASK_ID = '0123456789abcdef0123456789abcdef';
const arn = (service: string, resource: string) => `arn:${PARTITION}:${service}:${REGION}:${ACCOUNT}:${resource}`;
const VIA_SECRETS_MANAGER = { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com`, 'kms:CallerAccount': ACCOUNT };

/** One API call a role makes, and what IAM must answer. */
interface Call {
  readonly why: string;
  readonly role: string;
  readonly action: string;
  readonly resource: (a: IamApp) => string;
  readonly context?: (a: IamApp) => Record<string, string>;
  readonly expected: Decision;
}

const clusterArn = (a: IamApp) => a.getAtt('Service/Cluster', 'Arn');
const inCluster = (a: IamApp) => ({ 'ecs:cluster': clusterArn(a) });
/** The awslogs driver's stream: `<prefix>/<container>/<task id>`. */
const serviceStream = (a: IamApp, stream: string) => arn('logs', `log-group:${a.ref('Service/Logs')}:log-stream:${stream}`);
const migrationFamily = (a: IamApp) => a.property('Service/Migration/TaskDefinition', 'Family');
/** The `Ref` CloudFormation passes to the step (`…:task-definition/<family>:<revision>`). */
const migrationTaskDefinition = (a: IamApp, revision: number) => arn('ecs', `task-definition/${migrationFamily(a)}:${revision}`);
const migrationTask = (a: IamApp) => arn('ecs', `task/${a.ref('Service/Cluster')}/${TASK_ID}`);
const dbUser = (a: IamApp, user: string) => arn('rds-db', `dbuser:${a.getAtt('Database/Instance', 'DbiResourceId')}/${user}`);
const rdsLogGroup = (a: IamApp, type: string) => arn('logs', `log-group:/aws/rds/instance/${a.ref('Database/Instance')}/${type}`);
const keyArn = (a: IamApp) => a.getAtt('Security/Key', 'Arn');
/** A function's own log stream (Lambda names it `<date>/[<version>]<id>`). */
const functionStream = (a: IamApp, logGroup: string) => arn('logs', `log-group:${a.ref(logGroup)}:log-stream:2026/12/07/[$LATEST]${TASK_ID}`);

const START = 'Migration/StartFunctionRole';
const WAIT = 'Migration/WaitFunctionRole';
const MASTER_KEY = 'Security/MasterKeyFunctionRole';
const DATABASE_USER = 'ProxyUser/FunctionRole';
const REDEPLOY = 'Service/RedeployFunctionRole';
const TASK = 'Service/TaskDefinition/TaskRole';
const EXECUTION = 'Service/TaskDefinition/ExecutionRole';
const MIGRATION_TASK = 'Migration/TaskDefinition/TaskRole';
const MIGRATION_EXECUTION = 'Migration/TaskDefinition/ExecutionRole';
/** CDK's stack-wide AwsCustomResource function, which puts the platform key on the RDS log groups. */
const LOG_KEY = 'AWS679f53fac002430cb0da5b7982bd2287/ServiceRole';

/** The calls every platform's roles make (src/migrate, src/rotation, the task definitions). */
const CALLS: Call[] = [
  // The migration step's start function (src/migrate/start-task.lambda.ts).
  {
    why: 'RunTask on a new revision of the migration family, in the cluster: the policy never changes between deploys',
    role: START,
    action: 'ecs:RunTask',
    resource: a => migrationTaskDefinition(a, TASK_DEFINITION_REVISION + 1),
    context: inCluster,
    expected: 'Allowed',
  },
  {
    why: 'RunTask on the revision CloudFormation passes',
    role: START,
    action: 'ecs:RunTask',
    resource: a => migrationTaskDefinition(a, TASK_DEFINITION_REVISION),
    context: inCluster,
    expected: 'Allowed',
  },
  {
    why: 'not RunTask of another family',
    role: START,
    action: 'ecs:RunTask',
    resource: () => arn('ecs', 'task-definition/other:1'),
    context: inCluster,
    expected: 'ImplicitlyDenied',
  },
  {
    why: 'not RunTask in another cluster',
    role: START,
    action: 'ecs:RunTask',
    resource: a => migrationTaskDefinition(a, TASK_DEFINITION_REVISION),
    context: () => ({ 'ecs:cluster': arn('ecs', 'cluster/other') }),
    expected: 'ImplicitlyDenied',
  },
  ...['Migration/TaskDefinition/TaskRole', 'Migration/TaskDefinition/ExecutionRole'].map((role): Call => ({
    why: `PassRole of ${role} to ECS tasks`,
    role: START,
    action: 'iam:PassRole',
    resource: a => a.role(role).arn,
    context: () => ({ 'iam:PassedToService': 'ecs-tasks.amazonaws.com' }),
    expected: 'Allowed',
  })),
  {
    why: 'not PassRole of the serving task role',
    role: START,
    action: 'iam:PassRole',
    resource: a => a.role(TASK).arn,
    context: () => ({ 'iam:PassedToService': 'ecs-tasks.amazonaws.com' }),
    expected: 'ImplicitlyDenied',
  },
  {
    why: 'DescribeStacks on its own stack (a rollback does not migrate)',
    role: START,
    action: 'cloudformation:DescribeStacks',
    resource: a => a.resolver.ref(a.role(START).stack, 'AWS::StackId'),
    expected: 'Allowed',
  },
  {
    why: 'StopTask of a migration task it started (Delete, a rollback Update)',
    role: START,
    action: 'ecs:StopTask',
    resource: a => migrationTask(a),
    context: inCluster,
    expected: 'Allowed',
  },
  {
    // ListTasks names container instances, which Fargate has none of: IAM is asked about `*`.
    why: 'ListTasks in the cluster (the tasks it started, to stop them)',
    role: START,
    action: 'ecs:ListTasks',
    resource: () => '*',
    context: inCluster,
    expected: 'Allowed',
  },
  {
    why: 'not ListTasks in another cluster',
    role: START,
    action: 'ecs:ListTasks',
    resource: () => '*',
    context: () => ({ 'ecs:cluster': arn('ecs', 'cluster/other') }),
    expected: 'ImplicitlyDenied',
  },
  {
    why: 'not StopTask in another cluster',
    role: START,
    action: 'ecs:StopTask',
    resource: () => arn('ecs', `task/other/${TASK_ID}`),
    context: () => ({ 'ecs:cluster': arn('ecs', 'cluster/other') }),
    expected: 'ImplicitlyDenied',
  },
  {
    why: 'writes its own log', role: START, action: 'logs:PutLogEvents', resource: a => functionStream(a, 'Migration/StartFunctionLogs'), expected: 'Allowed',
  },
  // The migration step's wait function (src/migrate/wait-task.lambda.ts).
  {
    why: 'DescribeTasks of the migration task', role: WAIT, action: 'ecs:DescribeTasks', resource: a => migrationTask(a), context: inCluster, expected: 'Allowed',
  },
  {
    why: 'not DescribeTasks in another cluster',
    role: WAIT,
    action: 'ecs:DescribeTasks',
    resource: () => arn('ecs', `task/other/${TASK_ID}`),
    context: () => ({ 'ecs:cluster': arn('ecs', 'cluster/other') }),
    expected: 'ImplicitlyDenied',
  },
  {
    why: 'GetLogEvents on the migration task\'s stream (migrate/migrate/<task id>)',
    role: WAIT,
    action: 'logs:GetLogEvents',
    resource: a => serviceStream(a, `migrate/migrate/${TASK_ID}`),
    expected: 'Allowed',
  },
  {
    why: 'not GetLogEvents on a serving task\'s stream',
    role: WAIT,
    action: 'logs:GetLogEvents',
    resource: a => serviceStream(a, `litellm/litellm/${TASK_ID}`),
    expected: 'ImplicitlyDenied',
  },
  {
    why: 'StopTask of the migration task at the step\'s deadline', role: WAIT, action: 'ecs:StopTask', resource: a => migrationTask(a), context: inCluster, expected: 'Allowed',
  },
  {
    why: 'writes its own log', role: WAIT, action: 'logs:PutLogEvents', resource: a => functionStream(a, 'Migration/WaitFunctionLogs'), expected: 'Allowed',
  },
  // The migration task.
  {
    why: 'the migration logs in as the proxy\'s database role', role: MIGRATION_TASK, action: 'rds-db:connect', resource: a => dbUser(a, 'litellm_proxy'), expected: 'Allowed',
  },
  {
    why: 'not as the master user', role: MIGRATION_TASK, action: 'rds-db:connect', resource: a => dbUser(a, 'postgres'), expected: 'ImplicitlyDenied',
  },
  ...['logs:CreateLogStream', 'logs:PutLogEvents'].map((action): Call => ({
    why: 'the awslogs driver writes the migration\'s stream',
    role: MIGRATION_EXECUTION,
    action,
    resource: a => serviceStream(a, `migrate/migrate/${TASK_ID}`),
    expected: 'Allowed',
  })),
  // The master-key function: first write, rotation (src/rotation/master-key.lambda.ts).
  ...['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage']
    .map((action): Call => ({ why: 'on the master key secret', role: MASTER_KEY, action, resource: a => a.ref('Security/MasterKey'), expected: 'Allowed' })),
  ...['kms:Decrypt', 'kms:GenerateDataKey'].map((action): Call => ({
    why: 'the platform key through Secrets Manager', role: MASTER_KEY, action, resource: keyArn, context: () => VIA_SECRETS_MANAGER, expected: 'Allowed',
  })),
  {
    why: 'not the platform key outside Secrets Manager',
    role: MASTER_KEY,
    action: 'kms:Decrypt',
    resource: keyArn,
    context: () => ({ 'kms:CallerAccount': ACCOUNT }),
    expected: 'ImplicitlyDenied',
  },
  {
    why: 'not the salt key', role: MASTER_KEY, action: 'secretsmanager:GetSecretValue', resource: a => a.ref('Security/SaltKey'), expected: 'ImplicitlyDenied',
  },
  {
    // Granted on every platform, so the deploy that turns rotation off finds it in place.
    why: 'cancels automatic rotation of the master key (masterKeyRotation.enabled: false)',
    role: MASTER_KEY,
    action: 'secretsmanager:CancelRotateSecret',
    resource: a => a.ref('Security/MasterKey'),
    expected: 'Allowed',
  },
  {
    why: 'not of the salt key', role: MASTER_KEY, action: 'secretsmanager:CancelRotateSecret', resource: a => a.ref('Security/SaltKey'), expected: 'ImplicitlyDenied',
  },
  {
    // src/rotation/cancel-rotation.ts dates an AWSPENDING version before it cancels.
    why: 'lists the master key\'s versions (when its AWSPENDING was created)',
    role: MASTER_KEY,
    action: 'secretsmanager:ListSecretVersionIds',
    resource: a => a.ref('Security/MasterKey'),
    expected: 'Allowed',
  },
  {
    why: 'not the salt key\'s versions', role: MASTER_KEY, action: 'secretsmanager:ListSecretVersionIds', resource: a => a.ref('Security/SaltKey'), expected: 'ImplicitlyDenied',
  },
  {
    why: 'DescribeStacks on its own stack (a rollback\'s Update is never refused)',
    role: MASTER_KEY,
    action: 'cloudformation:DescribeStacks',
    resource: a => a.resolver.ref(a.role(MASTER_KEY).stack, 'AWS::StackId'),
    expected: 'Allowed',
  },
  {
    why: 'not DescribeStacks on another stack',
    role: MASTER_KEY,
    action: 'cloudformation:DescribeStacks',
    resource: () => arn('cloudformation', 'stack/Other/0a1b2c3d-4e5f-6789-abcd-ef0123456789'),
    expected: 'ImplicitlyDenied',
  },
  {
    why: 'writes its own log', role: MASTER_KEY, action: 'logs:PutLogEvents', resource: a => functionStream(a, 'Security/MasterKeyFunctionLogs'), expected: 'Allowed',
  },
  // The database-user function (src/rotation/database-user.lambda.ts).
  {
    why: 'reads the master credentials', role: DATABASE_USER, action: 'secretsmanager:GetSecretValue', resource: a => a.ref('Database/Instance/Secret'), expected: 'Allowed',
  },
  {
    why: 'decrypts them through Secrets Manager', role: DATABASE_USER, action: 'kms:Decrypt', resource: keyArn, context: () => VIA_SECRETS_MANAGER, expected: 'Allowed',
  },
  {
    why: 'not the master key secret', role: DATABASE_USER, action: 'secretsmanager:GetSecretValue', resource: a => a.ref('Security/MasterKey'), expected: 'ImplicitlyDenied',
  },
  // Granted on every platform, so the deploy that turns rotation off finds it in place.
  ...['secretsmanager:DescribeSecret', 'secretsmanager:ListSecretVersionIds', 'secretsmanager:CancelRotateSecret'].map((action): Call => ({
    why: 'cancels automatic rotation of the database password (passwordRotation.enabled: false)',
    role: DATABASE_USER,
    action,
    resource: a => a.ref('Database/Instance/Secret'),
    expected: 'Allowed',
  })),
  ...['secretsmanager:CancelRotateSecret', 'secretsmanager:ListSecretVersionIds'].map((action): Call => ({
    why: 'not of another secret', role: DATABASE_USER, action, resource: a => a.ref('Security/MasterKey'), expected: 'ImplicitlyDenied',
  })),
  {
    why: 'DescribeStacks on its own stack (a rollback\'s Update is never refused)',
    role: DATABASE_USER,
    action: 'cloudformation:DescribeStacks',
    resource: a => a.resolver.ref(a.role(DATABASE_USER).stack, 'AWS::StackId'),
    expected: 'Allowed',
  },
  {
    why: 'not DescribeStacks on another stack',
    role: DATABASE_USER,
    action: 'cloudformation:DescribeStacks',
    resource: () => arn('cloudformation', 'stack/Other/0a1b2c3d-4e5f-6789-abcd-ef0123456789'),
    expected: 'ImplicitlyDenied',
  },
  {
    why: 'writes its own log', role: DATABASE_USER, action: 'logs:PutLogEvents', resource: a => functionStream(a, 'ProxyUser/FunctionLogs'), expected: 'Allowed',
  },
  // The redeploy function (src/rotation/ecs-redeploy.ts): UpdateService with the cluster ARN and the service name.
  {
    why: 'UpdateService on the service',
    role: REDEPLOY,
    action: 'ecs:UpdateService',
    resource: a => a.ref('Service/Service/Service'),
    context: inCluster,
    expected: 'Allowed',
  },
  {
    why: 'not another service of the cluster',
    role: REDEPLOY,
    action: 'ecs:UpdateService',
    resource: a => arn('ecs', `service/${a.ref('Service/Cluster')}/other`),
    context: inCluster,
    expected: 'ImplicitlyDenied',
  },
  {
    why: 'writes its own log', role: REDEPLOY, action: 'logs:PutLogEvents', resource: a => functionStream(a, 'Service/RedeployFunctionLogs'), expected: 'Allowed',
  },
  // The serving task.
  {
    why: 'LiteLLM logs in as its database role', role: TASK, action: 'rds-db:connect', resource: a => dbUser(a, 'litellm_proxy'), expected: 'Allowed',
  },
  {
    why: 'not as the master user', role: TASK, action: 'rds-db:connect', resource: a => dbUser(a, 'postgres'), expected: 'ImplicitlyDenied',
  },
  {
    why: 'invokes the cross-region inference profile',
    role: TASK,
    action: 'bedrock:InvokeModel',
    resource: () => arn('bedrock', 'inference-profile/us.anthropic.claude-sonnet-4-20250514-v1:0'),
    expected: 'Allowed',
  },
  {
    why: 'and its foundation model in a region it routes to',
    role: TASK,
    action: 'bedrock:InvokeModelWithResponseStream',
    resource: () => `arn:${PARTITION}:bedrock:us-west-2::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0`,
    expected: 'Allowed',
  },
  {
    why: 'not another foundation model',
    role: TASK,
    action: 'bedrock:InvokeModel',
    resource: () => `arn:${PARTITION}:bedrock:${REGION}::foundation-model/anthropic.claude-3-opus-20240229-v1:0`,
    expected: 'ImplicitlyDenied',
  },
  ...['Security/MasterKey', 'Security/SaltKey', 'Security/UiCredentials'].map((secret): Call => ({
    why: `the execution role reads ${secret}`, role: EXECUTION, action: 'secretsmanager:GetSecretValue', resource: a => a.ref(secret), expected: 'Allowed',
  })),
  {
    why: 'the execution role decrypts the secrets through Secrets Manager',
    role: EXECUTION,
    action: 'kms:Decrypt',
    resource: keyArn,
    context: () => VIA_SECRETS_MANAGER,
    expected: 'Allowed',
  },
  {
    why: 'not the database master credentials', role: EXECUTION, action: 'secretsmanager:GetSecretValue', resource: a => a.ref('Database/Instance/Secret'), expected: 'ImplicitlyDenied',
  },
  ...['logs:CreateLogStream', 'logs:PutLogEvents'].map((action): Call => ({
    why: 'the awslogs driver writes the proxy\'s stream', role: EXECUTION, action, resource: a => serviceStream(a, `litellm/litellm/${TASK_ID}`), expected: 'Allowed',
  })),
  // The platform key on the RDS log groups (src/database.ts, CDK's AwsCustomResource). IAM may
  // evaluate the group's ARN with or without the trailing `:*`: both must be allowed.
  ...['postgresql', 'upgrade'].flatMap((type): Call[] => [
    { why: `AssociateKmsKey on the RDS ${type} log group`, role: LOG_KEY, action: 'logs:AssociateKmsKey', resource: a => rdsLogGroup(a, type), expected: 'Allowed' },
    { why: `AssociateKmsKey on the RDS ${type} log group (:* form)`, role: LOG_KEY, action: 'logs:AssociateKmsKey', resource: a => `${rdsLogGroup(a, type)}:*`, expected: 'Allowed' },
  ]),
  {
    why: 'not AssociateKmsKey on another log group',
    role: LOG_KEY,
    action: 'logs:AssociateKmsKey',
    resource: a => arn('logs', `log-group:${a.ref('Service/Logs')}`),
    expected: 'ImplicitlyDenied',
  },
];

/** Calls only some setups make. */
const PRODUCTION_CALLS: Call[] = [
  {
    why: 'the master-key function fills in the provider-key fields',
    role: MASTER_KEY,
    action: 'secretsmanager:PutSecretValue',
    resource: a => a.ref('Security/ProviderKeys'),
    expected: 'Allowed',
  },
  ...['Security/ProviderKeys', 'Cache/AuthToken'].map((secret): Call => ({
    why: `the execution role reads ${secret}`, role: EXECUTION, action: 'secretsmanager:GetSecretValue', resource: a => a.ref(secret), expected: 'Allowed',
  })),
  {
    why: 'the metrics collector writes its EMF stream', role: TASK, action: 'logs:PutLogEvents', resource: a => serviceStream(a, 'metrics'), expected: 'Allowed',
  },
  {
    why: 'LiteLLM writes a request log (s3_v2: one PUT per request)',
    role: TASK,
    action: 's3:PutObject',
    resource: a => `${a.getAtt('Service/RequestLogs', 'Arn')}/2026-12-07/${TASK_ID}.json`,
    expected: 'Allowed',
  },
];

const SETUPS: [string, () => { app: App }, Call[]][] = [
  ['default (DEVELOPMENT)', defaultPlatform, CALLS],
  ['PRODUCTION', productionPlatform, [...CALLS, ...PRODUCTION_CALLS]],
  ['five-stack split', fiveStacks, [...CALLS, ...PRODUCTION_CALLS.filter(c => !c.why.includes('request log') && !c.why.includes('metrics'))]],
];

describe.each(SETUPS)('%s', (_name, make, calls) => {
  const iam = new IamApp(make().app);
  test.each(calls.map(c => [`${c.role}: ${c.action} — ${c.why}`, c] as const))('%s', async (_title, c) => {
    const role = iam.role(c.role);
    const resource = c.resource(iam);
    await expect(iam.decide(role, c.action, resource, c.context?.(iam))).resolves.toBe(c.expected);
  });
});

describe.each(SETUPS.map(([name, make]) => [name, make] as const))('%s: who may invoke the platform\'s functions', (_name, make) => {
  const iam = new IamApp(make().app);
  const masterKeyFunction = iam.getAtt('Security/MasterKeyFunction', 'Arn');
  const redeployFunction = iam.getAtt('Service/RedeployFunction', 'Arn');
  const rule = iam.getAtt('Service/RedeployOnRotation', 'Arn');

  test('Secrets Manager invokes the master-key function for this account\'s secret; for another account it may not (confused deputy)', async () => {
    const secret = iam.ref('Security/MasterKey');
    await expect(iam.serviceInvokes('secretsmanager.amazonaws.com', masterKeyFunction, { 'aws:SourceAccount': ACCOUNT, 'aws:SourceArn': secret })).resolves.toBe('Allowed');
    await expect(iam.serviceInvokes('secretsmanager.amazonaws.com', masterKeyFunction, { 'aws:SourceAccount': '210987654321', 'aws:SourceArn': secret.replace(ACCOUNT, '210987654321') }))
      .resolves.toBe('ImplicitlyDenied');
  });

  test('the rotation rule invokes the redeploy function; another rule may not', async () => {
    await expect(iam.serviceInvokes('events.amazonaws.com', redeployFunction, { 'aws:SourceAccount': ACCOUNT, 'aws:SourceArn': rule })).resolves.toBe('Allowed');
    await expect(iam.serviceInvokes('events.amazonaws.com', redeployFunction, { 'aws:SourceAccount': ACCOUNT, 'aws:SourceArn': arn('events', 'rule/other') }))
      .resolves.toBe('ImplicitlyDenied');
  });
});

describe('the simulator matches ARNs as IAM does', () => {
  const iam = new IamApp(defaultPlatform().app);
  const stream = arn('logs', `log-group:${iam.ref('Service/Logs')}:log-stream:migrate/migrate/${TASK_ID}`);
  const decide = async (resource: string) => {
    const result = await runSimulation({
      identityPolicies: [{ name: 'p', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'logs:GetLogEvents', Resource: resource }] } }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      request: { action: 'logs:GetLogEvents', principal: `arn:aws:iam::${ACCOUNT}:role/r`, resource: { accountId: ACCOUNT, resource: stream }, contextVariables: {} },
    } as any, {});
    return result.resultType === 'error' ? result.errors : result.overallResult;
  };

  test('a context key the action does not have is an error, not a silent "denied"', async () => {
    await expect(iam.decide(iam.role(WAIT), 'logs:GetLogEvents', stream, { 'ecs:cluster': arn('ecs', 'cluster/other') }))
      .rejects.toThrow('the simulator ignored the context keys ecs:cluster of logs:GetLogEvents');
  });

  test('a stream pattern built on the group\'s `Arn` (which ends in `:*`) matches no stream; one built on its name does', async () => {
    await expect(decide(`${iam.getAtt('Service/Logs', 'Arn')}:log-stream:migrate/*`)).resolves.toBe('ImplicitlyDenied');
    await expect(decide(arn('logs', `log-group:${iam.ref('Service/Logs')}:log-stream:migrate/*`))).resolves.toBe('Allowed');
  });
});

describe('a Bedrock guardrail and knowledge base in the config (src/service/config-grants.ts)', () => {
  const app = new App();
  new LiteLlmPlatform(new Stack(app, 'Sections', { env: { account: ACCOUNT, region: REGION } }), 'LiteLlm', {
    models: [LiteLlmModel.mock({ name: 'm' })],
    config: {
      guardrails: [LiteLlmGuardrail.bedrock({ name: 'pii', guardrailIdentifier: 'gr0abc123', guardrailVersion: '1', mode: LiteLlmGuardrailMode.PRE_CALL })],
      vectorStores: [LiteLlmVectorStore.bedrockKnowledgeBase({ name: 'docs', knowledgeBaseId: 'KB12345678' })],
    },
  });
  const iam = new IamApp(app);
  test.each([
    ['applies the configured guardrail', 'bedrock:ApplyGuardrail', arn('bedrock', 'guardrail/gr0abc123'), 'Allowed'],
    ['not another guardrail', 'bedrock:ApplyGuardrail', arn('bedrock', 'guardrail/gr0other99'), 'ImplicitlyDenied'],
    ['retrieves from the configured knowledge base', 'bedrock:Retrieve', arn('bedrock', 'knowledge-base/KB12345678'), 'Allowed'],
    ['not from another knowledge base', 'bedrock:Retrieve', arn('bedrock', 'knowledge-base/KBOTHER999'), 'ImplicitlyDenied'],
  ] as const)('the task role %s', async (_why, action, resource, expected) => {
    await expect(iam.decide(iam.role(TASK), action, resource)).resolves.toBe(expected);
  });
});
