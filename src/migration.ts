import {
  ArnFormat, CustomResource, Duration, RemovalPolicy, Stack, aws_ec2 as ec2, aws_ecs as ecs, aws_iam as iam, aws_kms as kms,
  aws_lambda as lambda, aws_logs as logs, aws_rds as rds, custom_resources as cr,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { LiteLlmDatabase } from './database';
import { StartTaskFunction } from './migrate/start-task-function';
import { DEADLINE_SECONDS } from './migrate/task';
import { WaitTaskFunction } from './migrate/wait-task-function';
import { functionRole } from './private/function-role';
import { attemptSeconds, timeoutEnvironment } from './private/migration-settings';
import { INLINE_POLICY_REASON, acknowledge, nagResource, pullsFromEcr } from './private/nag';
import { check } from './private/validate';

/** Where the migration writes the RDS CA that its database connection is verified against. */
const CA_PATH = '/tmp/litellm-migration/rds-ca.pem';
const CA_ENV = 'DATABASE_CA_PEM';
/** CloudFormation waits at most an hour for a custom resource (ServiceTimeout's maximum). */
const STEP_TIMEOUT = Duration.hours(1);
/** The container's pause between two attempts: a lock held elsewhere gets time to free up. */
const PAUSE_SECONDS = 60;
/** From the step's start to the container's first line: RunTask's capacity retries (start-task.lambda.ts) and the image pull. */
const START_SECONDS = 300;

/** Props of `LiteLlmMigration`. */
export interface LiteLlmMigrationProps {
  /** The cluster the migration task runs in. */
  readonly cluster: ecs.ICluster;
  /** The LiteLLM image: the serving tasks' own, so the schema matches the code that uses it. */
  readonly image: ecs.ContainerImage;
  /** The database to migrate; the task logs in as its `PROXY_USERNAME` with an IAM token. */
  readonly database: LiteLlmDatabase;
  /** The VPC of the task. */
  readonly vpc: ec2.IVpc;
  /** Subnets of the task: the serving tasks'. */
  readonly vpcSubnets: ec2.SubnetSelection;
  /** Security group of the task: the serving tasks', which reaches the database. */
  readonly securityGroup: ec2.ISecurityGroup;
  /** Where the task logs (stream prefix `migrate`). */
  readonly logGroup: logs.ILogGroup;
  /** Encrypts the step's own function logs. */
  readonly encryptionKey: kms.IKey;
  /**
   * A public IP for the task: only for a DEVELOPMENT service in public subnets without NAT,
   * which pulls its image that way.
   * @default false
   */
  readonly assignPublicIp?: boolean;
  /** @default ecs.CpuArchitecture.X86_64 */
  readonly cpuArchitecture?: ecs.CpuArchitecture;
  /**
   * More variables for the migration (the region, LiteLLM's offline copies, the settings that
   * act only while migrating); the database settings and the log level are the migration's
   * own. LiteLLM's migration timeouts (`LITELLM_PRISMA_BOOTSTRAP_TIMEOUT`,
   * `LITELLM_MIGRATION_LOCK_TIMEOUT`, `LITELLM_PRISMA_MIGRATE_DEPLOY_TIMEOUT`,
   * `LITELLM_PRISMA_COMMAND_TIMEOUT`) default to 60, 60, 600 and 60 s, and must keep
   * bootstrap + 3 × lock + deploy + command within 840 s, the IAM token's life less a minute.
   * @default - none
   */
  readonly environment?: { [name: string]: string };
  /**
   * How many times the task runs LiteLLM's migration command before it gives up; each run
   * mints a new IAM token, so a migration that outlives one still completes. All of them,
   * at their timeouts, must end before the step's deadline (50 minutes).
   * @default 3
   */
  readonly attempts?: number;
  /**
   * Retention of the step's function log groups (start, wait, provider); `LiteLlmService`
   * passes its own `logRetention`.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.DESTROY */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * LiteLLM's database migrations, once per deploy, before the serving tasks change: a
 * custom resource runs a one-off Fargate task (`litellm --skip_server_startup`) and waits
 * for it, up to its own deadline (50 minutes, then it stops the task). A run that exits 0
 * after `prisma migrate deploy` and the deploy goes on; anything else fails the deploy before
 * the service is touched, with the end of the migration's log in the stack events.
 *
 * It runs on the first deploy and again when the task definition changes (the image, the
 * database settings) or the instance is replaced; the config and the scaling are not part
 * of it. Make whatever serves from the migrated schema depend on `resource`.
 */
export class LiteLlmMigration extends Construct {
  /** The one-off task that migrates. */
  public readonly taskDefinition: ecs.FargateTaskDefinition;
  /** Its only container. */
  public readonly container: ecs.ContainerDefinition;
  /** The step: deploy what serves after it. */
  public readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: LiteLlmMigrationProps) {
    super(scope, id);
    const attempts = props.attempts ?? 3;
    const { timeouts, env: timeoutEnv } = timeoutEnvironment(props.environment);
    const perAttempt = attemptSeconds(timeouts, PAUSE_SECONDS);
    const fits = Math.floor((DEADLINE_SECONDS - START_SECONDS) / perAttempt);
    check(attempts, n => Number.isInteger(n) && n >= 1 && n <= fits,
      n => `\`attempts\` (${n}) must be an integer from 1 to ${fits}: each attempt may take ${perAttempt} s (LiteLLM's migration timeouts and a ${PAUSE_SECONDS} s pause), `
        + `and ${START_SECONDS} s to start the task plus every attempt must end before the step's deadline of ${DEADLINE_SECONDS} s, inside CloudFormation's hour`);
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'TaskDefinition', {
      cpu: 1024,
      memoryLimitMiB: 2048,
      runtimePlatform: {
        cpuArchitecture: props.cpuArchitecture ?? ecs.CpuArchitecture.X86_64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
    });
    props.database.grantConnect(this.taskDefinition.taskRole);
    this.container = this.taskDefinition.addContainer('migrate', {
      image: props.image,
      essential: true,
      entryPoint: ['python3', '-c'],
      command: [migrationScript(attempts, PAUSE_SECONDS)],
      environment: {
        ...props.environment,
        ...timeoutEnv,
        ...props.database.containerEnvironment(CA_PATH),
        [CA_ENV]: props.database.caCertificatePemFor(this),
        // The proxy may log at ERROR; a migration says what it did (litellm/_logging.py:660,
        // litellm_proxy_extras/_logging.py:43 read it).
        LITELLM_LOG: 'INFO',
        // LiteLLM's v2 resolver, its default (proxy_cli.py:188-195), whatever `environment`
        // says: the legacy one retries `migrate deploy` 4 times in one process whatever
        // MAX_MIGRATE_DEPLOY_ATTEMPTS says, and can succeed without the program's marker
        // (litellm_proxy_extras/utils.py:1494, the baseline path at 1595-1608).
        USE_V2_MIGRATION_RESOLVER: 'true',
        PYTHONUNBUFFERED: '1',
      },
      // No secrets: the database is reached with an IAM token (the task role's grant).
      linuxParameters: new ecs.LinuxParameters(this, 'LinuxParameters', { initProcessEnabled: true }),
      logging: ecs.LogDrivers.awsLogs({ logGroup: props.logGroup, streamPrefix: 'migrate' }),
    });

    const provider = this.createProvider(props);
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::LiteLlmMigration',
      properties: {
        Cluster: props.cluster.clusterArn,
        TaskDefinition: this.taskDefinition.taskDefinitionArn,
        ContainerName: this.container.containerName,
        Subnets: props.vpc.selectSubnets(props.vpcSubnets).subnetIds,
        SecurityGroups: [props.securityGroup.securityGroupId],
        AssignPublicIp: props.assignPublicIp ? 'ENABLED' : 'DISABLED',
        LogGroup: props.logGroup.logGroupName,
        LogStreamPrefix: 'migrate',
        Image: this.container.imageName,
        DbiResourceId: (props.database.instance.node.defaultChild as rds.CfnDBInstance).attrDbiResourceId,
      },
      serviceTimeout: STEP_TIMEOUT,
    });
    // The role LiteLLM logs in as exists before it migrates.
    this.resource.node.addDependency(props.database.proxyUser);
  }

  /** The provider framework: `start-task` starts the task, `wait-task` follows it every 30 s. */
  private createProvider(props: LiteLlmMigrationProps): cr.Provider {
    const stack = Stack.of(this);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;
    const retention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const logGroup = (id: string) => new logs.LogGroup(this, id, { encryptionKey: props.encryptionKey, retention, removalPolicy });

    const startLogs = logGroup('StartFunctionLogs');
    const start = new StartTaskFunction(this, 'StartFunction', {
      description: 'Starts the LiteLLM migration task of a deploy',
      // RunTask is retried for up to 3 minutes while Fargate has no capacity.
      timeout: Duration.minutes(5),
      logGroup: startLogs,
      role: functionRole(this, 'StartFunctionRole', startLogs),
    });
    // The family, not the revision: a new image must not rewrite this policy seconds before
    // RunTask (IAM is eventually consistent).
    const family = stack.formatArn({
      service: 'ecs', resource: 'task-definition', resourceName: `${this.taskDefinition.family}:*`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    const inCluster = { ArnEquals: { 'ecs:cluster': props.cluster.clusterArn } };
    start.addToRolePolicy(new iam.PolicyStatement({ actions: ['ecs:RunTask'], resources: [family], conditions: inCluster }));
    start.addToRolePolicy(new iam.PolicyStatement({
      actions: ['iam:PassRole'],
      resources: [this.taskDefinition.taskRole.roleArn, this.taskDefinition.obtainExecutionRole().roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
    }));
    // A rollback must not migrate back: the function reads the stack's status.
    start.addToRolePolicy(new iam.PolicyStatement({ actions: ['cloudformation:DescribeStacks'], resources: [stack.stackId] }));
    // Delete and a rollback stop the tasks this step started (startedBy). ListTasks has no
    // resource of its own on Fargate (the service authorization reference names container
    // instances): the cluster condition scopes it.
    start.addToRolePolicy(new iam.PolicyStatement({ actions: ['ecs:ListTasks'], resources: ['*'], conditions: inCluster }));

    const waitLogs = logGroup('WaitFunctionLogs');
    const wait = new WaitTaskFunction(this, 'WaitFunction', {
      description: 'Waits for the LiteLLM migration task of a deploy and reports how it ended',
      timeout: Duration.minutes(1),
      logGroup: waitLogs,
      role: functionRole(this, 'WaitFunctionRole', waitLogs),
    });
    const tasksOfCluster = stack.formatArn({
      service: 'ecs', resource: 'task', resourceName: `${props.cluster.clusterName}/*`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    wait.addToRolePolicy(new iam.PolicyStatement({ actions: ['ecs:DescribeTasks', 'ecs:StopTask'], resources: [tasksOfCluster], conditions: inCluster }));
    start.addToRolePolicy(new iam.PolicyStatement({ actions: ['ecs:StopTask'], resources: [tasksOfCluster], conditions: inCluster }));
    // From the group's name: its ARN attribute ends in `:*`, and a token cannot be trimmed.
    const migrationStreams = stack.formatArn({
      service: 'logs', resource: 'log-group', resourceName: `${props.logGroup.logGroupName}:log-stream:migrate/*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    wait.addToRolePolicy(new iam.PolicyStatement({ actions: ['logs:GetLogEvents'], resources: [migrationStreams] }));

    const providerLogs = logGroup('ProviderLogs');
    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: start,
      isCompleteHandler: wait,
      queryInterval: Duration.seconds(30),
      // Just under CloudFormation's hour, so the framework reports the timeout itself.
      totalTimeout: STEP_TIMEOUT.minus(Duration.minutes(1)),
      logGroup: providerLogs,
    });
    this.acknowledgeFindings(provider, start, wait, tasksOfCluster, migrationStreams, family);
    return provider;
  }

  /** cdk-nag acknowledgements of the task, the two functions and CDK's provider framework, each with its reason. */
  private acknowledgeFindings(
    provider: cr.Provider, start: lambda.Function, wait: lambda.Function, tasksOfCluster: string, migrationStreams: string, family: string,
  ): void {
    acknowledge(this.taskDefinition, 'AwsSolutions-ECS2',
      'The environment holds settings only (log level, the database endpoint and its CA certificate); the task logs in with an IAM token and has no secret.');
    acknowledge(this.taskDefinition.taskRole, 'NIST.800.53.R5-IAMNoInlinePolicy', INLINE_POLICY_REASON);
    const executionRole = this.taskDefinition.obtainExecutionRole();
    acknowledge(executionRole, 'NIST.800.53.R5-IAMNoInlinePolicy', INLINE_POLICY_REASON);
    if (pullsFromEcr(executionRole)) {
      acknowledge(executionRole, 'AwsSolutions-IAM5[Resource::*]',
        'ecr:GetAuthorizationToken, which pulling an image from ECR needs, has no resource-level permissions; the pull itself is granted on the one repository.');
    }
    acknowledge(wait.role!, `AwsSolutions-IAM5[Resource::${nagResource(this, tasksOfCluster)}]`,
      'DescribeTasks and StopTask on the tasks of this one cluster: the migration task\'s id is known only once it runs.');
    acknowledge(start.role!, `AwsSolutions-IAM5[Resource::${nagResource(this, tasksOfCluster)}]`,
      'StopTask on the tasks of this one cluster: Delete and a rollback stop the migration tasks the step started, whose ids are known only at run time.');
    acknowledge(start.role!, 'AwsSolutions-IAM5[Resource::*]',
      'ListTasks has no task resource (it names container instances, which Fargate has none of); the ecs:cluster condition limits it to this cluster.');
    acknowledge(start.role!, `AwsSolutions-IAM5[Resource::${nagResource(this, family)}]`,
      'RunTask on every revision of the migration task definition\'s family, so a new image does not rewrite the policy seconds before RunTask; ecs:cluster limits it to this cluster.');
    acknowledge(wait.role!, `AwsSolutions-IAM5[Resource::${nagResource(this, migrationStreams)}]`,
      'GetLogEvents on the migration\'s streams of the platform log group: each task writes a stream named after its id.');
    for (const fn of [start, wait]) {
      acknowledge(fn, 'NIST.800.53.R5-LambdaInsideVPC', 'The function calls AWS APIs only (ECS, CloudWatch Logs, CloudFormation) and reaches nothing inside the VPC.');
      acknowledge(fn, 'NIST.800.53.R5-LambdaConcurrency', 'Runs during deploys only; reserving concurrency fails in accounts at the minimum unreserved quota.');
      acknowledge(fn, 'NIST.800.53.R5-LambdaDLQ',
        'CDK\'s provider framework invokes it during a deploy and reports a failure to CloudFormation, which rolls back with the reason.');
      acknowledge(fn.role!, 'NIST.800.53.R5-IAMNoInlinePolicy', INLINE_POLICY_REASON);
    }
    // CDK's provider framework: three functions and a Step Functions waiter that aws-cdk-lib builds.
    const framework = 'CDK\'s provider framework';
    acknowledge(provider, 'AwsSolutions-L1', `${framework}: aws-cdk-lib picks the Node.js runtime of its functions; no prop sets it.`);
    acknowledge(provider, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      `${framework}: its functions' roles, created by aws-cdk-lib; the policy only lets them write their own logs.`);
    const framed = provider.node.findAll().filter((c): c is lambda.Function => c instanceof lambda.Function);
    for (const fn of [start, wait, ...framed.filter(f => /framework-(isComplete|onTimeout)$/.test(f.node.id))]) {
      acknowledge(provider, `AwsSolutions-IAM5[Resource::${nagResource(this, `${fn.functionArn}:*`)}]`,
        `${framework}: lambda:InvokeFunction on one of its own functions and that function's versions.`);
    }
    acknowledge(provider, 'NIST.800.53.R5-LambdaInsideVPC', `${framework}: its functions call Lambda and Step Functions only.`);
    acknowledge(provider, 'NIST.800.53.R5-LambdaConcurrency', `${framework}: runs during deploys only; reserving concurrency fails in accounts at the minimum unreserved quota.`);
    acknowledge(provider, 'NIST.800.53.R5-LambdaDLQ', `${framework}: it answers CloudFormation itself, which fails and rolls back the deploy on any error.`);
    acknowledge(provider, 'NIST.800.53.R5-IAMNoInlinePolicy', `${framework}: roles created and scoped by aws-cdk-lib.`);
    acknowledge(provider, 'AwsSolutions-SF1',
      `${framework}: its waiter only calls the wait function every 30 s, whose log records each answer; logging the waiter itself would grant its role logs:PutResourcePolicy on every resource.`);
    acknowledge(provider, 'AwsSolutions-SF2', `${framework}: its waiter only calls the wait function every 30 s; the functions' logs trace each step.`);
  }
}

/**
 * The migration container's program: writes the CA, then runs LiteLLM's migration command
 * until it succeeds, at most `attempts` times. Each run is a new process that mints its own
 * IAM token before it connects (litellm/proxy/proxy_cli.py:1244-1255), and LiteLLM's
 * migrations and index builds are idempotent, so a later run finishes what an earlier one
 * left (an expired token, a lock held elsewhere: proxy_cli.py:1509-1537).
 *
 * - One `prisma migrate deploy` per run: LiteLLM retries it up to
 *   MAX_MIGRATE_DEPLOY_ATTEMPTS (4) times in one process with one token
 *   (litellm_proxy_extras/utils.py:89, 1090-1138); the program sets that to 1 before it calls
 *   LiteLLM's own CLI entry point (the interpreter its `litellm` script names), so a retry
 *   always connects with a fresh token.
 * - Exit 0 is not enough: LiteLLM skips the database and exits 0 without a database URL
 *   (proxy_cli.py:1372, 1573-1575). A run succeeds only if LiteLLM logged the output of
 *   `prisma migrate deploy`, which it does after every successful deploy (utils.py:1104, 1509).
 * - No retry after a signal: a killed LiteLLM leaves Prisma, which runs in a session of its
 *   own (prisma_toolchain.py:232-239), migrating; a second deploy must not start beside it.
 *   The container exits, and ECS stops whatever is left.
 */
function migrationScript(attempts: number, pauseSeconds: number): string {
  return [
    'import os, shutil, subprocess, sys, time',
    'ca = os.environ["DATABASE_SSLROOTCERT"]',
    'os.makedirs(os.path.dirname(ca), exist_ok=True)',
    `open(ca, "w").write(os.environ.pop("${CA_ENV}"))`,
    `attempts = ${attempts}`,
    '# The pause before another attempt; not set in the task (the boot test shortens it).',
    `pause = int(os.environ.get("MIGRATION_RETRY_PAUSE_SECONDS", "${pauseSeconds}"))`,
    'python = sys.executable',
    'cli = shutil.which("litellm")',
    'first = open(cli, "rb").readline().decode(errors="replace") if cli else ""',
    'words = first[2:].split() if first.startswith("#!") else []',
    'if words and words[0].endswith("/env"):',
    '    words = [shutil.which(words[-1]) or ""]',
    'if words and "python" in os.path.basename(words[0]) and os.path.exists(words[0]):',
    '    python = words[0]',
    'run = "\\n".join([',
    '    "import sys",',
    '    "try:",',
    '    "    import litellm_proxy_extras.utils as extras",',
    '    "    extras.MAX_MIGRATE_DEPLOY_ATTEMPTS = 1",',
    '    "except ImportError:",',
    '    "    pass",',
    '    "from litellm import run_server",',
    '    "sys.exit(run_server())",',
    '])',
    'marker = "prisma migrate deploy stdout:"',
    'for attempt in range(1, attempts + 1):',
    '    print(f"cdk-litellm: migration attempt {attempt} of {attempts}: litellm --skip_server_startup", flush=True)',
    '    child = subprocess.Popen([python, "-c", run, "--skip_server_startup"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")',
    '    deployed = False',
    '    for line in child.stdout:',
    '        sys.stdout.write(line)',
    '        sys.stdout.flush()',
    '        deployed = deployed or marker in line',
    '    code = child.wait()',
    '    if code == 0 and deployed:',
    '        print(f"cdk-litellm: migration complete (attempt {attempt} of {attempts})", flush=True)',
    '        sys.exit(0)',
    '    if code == 0:',
    '        print("cdk-litellm: LiteLLM exited 0 but never ran prisma migrate deploy (no database URL, or schema updates turned off): nothing was migrated", flush=True)',
    '        sys.exit(3)',
    '    if code < 0 or code >= 128:',
    '        print(f"cdk-litellm: migration attempt {attempt} of {attempts} was killed (signal {abs(code) if code < 0 else code - 128}): not retried, a Prisma migration it started may still run", flush=True)',
    '        sys.exit(128 + abs(code) if code < 0 else code)',
    '    print(f"cdk-litellm: migration attempt {attempt} of {attempts} exited {code}", flush=True)',
    '    if attempt < attempts:',
    '        time.sleep(pause)',
    'sys.exit(code)',
  ].join('\n');
}
