// The migration step's two handlers, against mocked AWS APIs: what they ask ECS, and how
// they answer CloudFormation for each way a migration task can end.
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeTasksCommand, ECSClient, ListTasksCommand, RunTaskCommand, StopTaskCommand, Task } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { clock as startClock, handler as start, MigrationEvent } from '../../src/migrate/start-task.lambda';
import { MigrationProperties } from '../../src/migrate/task';
import { clock as waitClock, handler as wait, WaitEvent } from '../../src/migrate/wait-task.lambda';

const ecs = mockClient(ECSClient);
const logs = mockClient(CloudWatchLogsClient);
const cloudFormation = mockClient(CloudFormationClient);

const CLUSTER = 'arn:aws:ecs:us-east-1:111111111111:cluster/litellm';
const TASK_ARN = 'arn:aws:ecs:us-east-1:111111111111:task/litellm/0123456789abcdef0123456789abcdef';
const STACK_ID = 'arn:aws:cloudformation:us-east-1:111111111111:stack/LiteLlm/guid';
const PROPERTIES: MigrationProperties = {
  Cluster: CLUSTER,
  TaskDefinition: 'arn:aws:ecs:us-east-1:111111111111:task-definition/LiteLlmMigration:3',
  ContainerName: 'migrate',
  Subnets: ['subnet-a', 'subnet-b'],
  SecurityGroups: ['sg-service'],
  AssignPublicIp: 'DISABLED',
  LogGroup: 'LiteLlm-ServiceLogs',
  LogStreamPrefix: 'migrate',
  Image: 'ghcr.io/berriai/litellm:v1.108.7',
  DbiResourceId: 'db-ABCDEFGHIJKL',
};

function event(requestType: 'Create' | 'Update' | 'Delete', extra: object = {}): MigrationEvent {
  return {
    RequestType: requestType,
    ServiceToken: 'arn:aws:lambda:us-east-1:111111111111:function:provider',
    ResponseURL: 'https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x',
    StackId: STACK_ID,
    RequestId: 'request-1',
    LogicalResourceId: 'Migration',
    ResourceType: 'Custom::LiteLlmMigration',
    ResourceProperties: { ServiceToken: 'x', ...PROPERTIES },
    ...(requestType === 'Create' ? {} : { PhysicalResourceId: 'litellm-migration', OldResourceProperties: { ...PROPERTIES } }),
    ...extra,
  } as MigrationEvent;
}

/** When the step started (StartedAt), and the clocks' time unless a test moves them. */
const T0 = 1_800_000_000_000;
let now = T0;
const sleeps: number[] = [];

function waitEvent(taskArn = TASK_ARN, requestType: 'Create' | 'Update' | 'Delete' = 'Create'): WaitEvent {
  return { ...event(requestType), PhysicalResourceId: 'litellm-migration', Data: { TaskArn: taskArn, StartedAt: String(T0) } } as WaitEvent;
}

function stopped(task: Partial<Task>): Task {
  return { taskArn: TASK_ARN, lastStatus: 'STOPPED', ...task };
}

beforeEach(() => {
  ecs.reset();
  logs.reset();
  cloudFormation.reset();
  jest.spyOn(console, 'log').mockImplementation(() => {});
  now = T0;
  sleeps.length = 0;
  jest.spyOn(startClock, 'now').mockImplementation(() => now);
  jest.spyOn(startClock, 'sleep').mockImplementation(async ms => { sleeps.push(ms); now += ms; });
  jest.spyOn(waitClock, 'now').mockImplementation(() => now);
});

afterEach(() => jest.restoreAllMocks());

describe('start-task (onEvent)', () => {
  test('Create runs the migration task once on Fargate in the given subnets and security group, without a public IP', async () => {
    // GIVEN
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK_ARN }], failures: [] });

    // WHEN
    const result = await start(event('Create'));

    // THEN
    expect(result).toEqual({ PhysicalResourceId: 'litellm-migration', Data: { TaskArn: TASK_ARN, StartedAt: String(T0) } });
    const calls = ecs.commandCalls(RunTaskCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0].args[0].input).toEqual({
      cluster: CLUSTER,
      taskDefinition: PROPERTIES.TaskDefinition,
      count: 1,
      launchType: 'FARGATE',
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-a', 'subnet-b'], securityGroups: ['sg-service'], assignPublicIp: 'DISABLED' } },
      startedBy: 'cdk-litellm-migration',
      // CloudFormation's request id: a repeated onEvent for the same request gets the same task.
      clientToken: 'request-1',
    });
  });

  test('a DEVELOPMENT service in public subnets gets a public IP for the migration too', async () => {
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK_ARN }] });
    cloudFormation.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'LiteLlm', StackStatus: 'UPDATE_IN_PROGRESS', CreationTime: new Date() }] });

    await start(event('Update', { ResourceProperties: { ServiceToken: 'x', ...PROPERTIES, AssignPublicIp: 'ENABLED' } }));

    expect(ecs.commandCalls(RunTaskCommand)[0].args[0].input.networkConfiguration?.awsvpcConfiguration?.assignPublicIp).toBe('ENABLED');
  });

  test('an Update during a deploy runs it again; one during a rollback runs nothing (the schema only moves forward) and stops the migration tasks the step started', async () => {
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK_ARN }] });
    ecs.on(ListTasksCommand).resolves({ taskArns: [TASK_ARN] });
    cloudFormation.on(DescribeStacksCommand)
      .resolvesOnce({ Stacks: [{ StackName: 'LiteLlm', StackStatus: 'UPDATE_IN_PROGRESS', CreationTime: new Date() }] })
      .resolvesOnce({ Stacks: [{ StackName: 'LiteLlm', StackStatus: 'UPDATE_ROLLBACK_IN_PROGRESS', CreationTime: new Date() }] });

    expect(await start(event('Update'))).toEqual({ PhysicalResourceId: 'litellm-migration', Data: { TaskArn: TASK_ARN, StartedAt: String(T0) } });
    expect(ecs.commandCalls(StopTaskCommand)).toHaveLength(0);
    expect(await start(event('Update'))).toEqual({ PhysicalResourceId: 'litellm-migration', Data: { TaskArn: '', StartedAt: String(T0) } });
    expect(ecs.commandCalls(RunTaskCommand)).toHaveLength(1);
    expect(cloudFormation.commandCalls(DescribeStacksCommand)[0].args[0].input).toEqual({ StackName: STACK_ID });
    expect(ecs.commandCalls(ListTasksCommand).map(c => c.args[0].input)).toEqual([
      // startedBy alone: ECS refuses it beside another filter (InvalidParameterException).
      { cluster: CLUSTER, startedBy: 'cdk-litellm-migration', nextToken: undefined },
    ]);
    expect(ecs.commandCalls(StopTaskCommand).map(c => c.args[0].input)).toEqual([
      { cluster: CLUSTER, task: TASK_ARN, reason: 'cdk-litellm: the stack is rolling back' },
    ]);
  });

  test('Delete migrates nothing (the schema stays with the database) and stops every migration task the step started that still runs', async () => {
    const other = TASK_ARN.replace(/0123$/, '9999');
    ecs.on(ListTasksCommand)
      .resolvesOnce({ taskArns: [TASK_ARN], nextToken: 'page-2' })
      .resolvesOnce({ taskArns: [other] });

    expect(await start(event('Delete'))).toEqual({ PhysicalResourceId: 'litellm-migration', Data: { TaskArn: '', StartedAt: String(T0) } });
    expect(ecs.commandCalls(RunTaskCommand)).toHaveLength(0);
    expect(ecs.commandCalls(ListTasksCommand)[1].args[0].input).toEqual(expect.objectContaining({ nextToken: 'page-2' }));
    expect(ecs.commandCalls(StopTaskCommand).map(c => c.args[0].input.task)).toEqual([TASK_ARN, other]);
  });

  test('Delete and a rollback complete even when the tasks cannot be listed or stopped: an error there would leave the stack DELETE_FAILED or UPDATE_ROLLBACK_FAILED', async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => {});
    ecs.on(ListTasksCommand).rejects(Object.assign(new Error('cannot specify startedBy with other arguments'), { name: 'InvalidParameterException' }));
    cloudFormation.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'LiteLlm', StackStatus: 'UPDATE_ROLLBACK_IN_PROGRESS', CreationTime: new Date() }] });

    expect(await start(event('Delete'))).toEqual({ PhysicalResourceId: 'litellm-migration', Data: { TaskArn: '', StartedAt: String(T0) } });
    ecs.on(ListTasksCommand).resolves({ taskArns: [TASK_ARN] });
    ecs.on(StopTaskCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    expect(await start(event('Update'))).toEqual({ PhysicalResourceId: 'litellm-migration', Data: { TaskArn: '', StartedAt: String(T0) } });

    expect(log).toHaveBeenCalledWith('Could not stop the LiteLLM migration tasks (InvalidParameterException: cannot specify startedBy with other arguments); '
      + `find them with aws ecs list-tasks --cluster ${CLUSTER} --started-by cdk-litellm-migration and stop them with aws ecs stop-task`);
    expect(log).toHaveBeenCalledWith('Could not stop the LiteLLM migration tasks (ThrottlingException: Rate exceeded); '
      + `find them with aws ecs list-tasks --cluster ${CLUSTER} --started-by cdk-litellm-migration and stop them with aws ecs stop-task`);
    expect(ecs.commandCalls(RunTaskCommand)).toHaveLength(0);
  });

  test('no Fargate capacity: RunTask is retried with backoff (5, 10, 20 s...) and a new clientToken each time, then the task runs', async () => {
    const noCapacity = { tasks: [], failures: [{ reason: 'Capacity is unavailable at this time', detail: 'Please try again later or in a different availability zone' }] };
    ecs.on(RunTaskCommand).resolvesOnce(noCapacity).resolvesOnce({ tasks: [], failures: [{ reason: 'RESOURCE:MEMORY' }] })
      .rejectsOnce(Object.assign(new Error('Capacity is unavailable at this time. Please try again later or in a different availability zone'), { name: 'ClientException' }))
      .resolves({ tasks: [{ taskArn: TASK_ARN }] });

    expect((await start(event('Create'))).Data.TaskArn).toBe(TASK_ARN);
    expect(sleeps).toEqual([5_000, 10_000, 20_000]);
    expect(ecs.commandCalls(RunTaskCommand).map(c => c.args[0].input.clientToken)).toEqual(['request-1', 'request-1-1', 'request-1-2', 'request-1-3']);
  });

  test('capacity that never comes fails the step after 3 minutes of retries, with ECS\'s reason', async () => {
    ecs.on(RunTaskCommand).resolves({
      tasks: [],
      failures: [{ reason: 'Capacity is unavailable at this time', detail: 'Please try again later or in a different availability zone' }],
    });

    await expect(start(event('Create'))).rejects.toThrow(
      'ECS did not start the LiteLLM migration task (6 attempts over 135 s): Capacity is unavailable at this time: Please try again later or in a different availability zone');
    expect(sleeps).toEqual([5_000, 10_000, 20_000, 40_000, 60_000]);
  });

  test('a failure that is not about capacity fails at once', async () => {
    ecs.on(RunTaskCommand).resolves({ tasks: [], failures: [{ arn: PROPERTIES.TaskDefinition, reason: 'MISSING' }] });

    await expect(start(event('Create'))).rejects.toThrow('ECS did not start the LiteLLM migration task: MISSING');
    expect(ecs.commandCalls(RunTaskCommand)).toHaveLength(1);
  });

  test('a RunTask error (a role ECS may not pass, a throttle) fails the step with it', async () => {
    ecs.on(RunTaskCommand).rejects(Object.assign(new Error('User is not authorized to perform: iam:PassRole'), { name: 'AccessDeniedException' }));

    await expect(start(event('Create'))).rejects.toThrow('iam:PassRole');
  });
});

describe('wait-task (isComplete)', () => {
  test('a task still starting or running is not complete', async () => {
    for (const lastStatus of ['PROVISIONING', 'PENDING', 'RUNNING', 'DEPROVISIONING']) {
      ecs.on(DescribeTasksCommand).resolves({ tasks: [{ taskArn: TASK_ARN, lastStatus }] });
      expect(await wait(waitEvent())).toEqual({ IsComplete: false });
    }
    expect(ecs.commandCalls(DescribeTasksCommand)[0].args[0].input).toEqual({ cluster: CLUSTER, tasks: [TASK_ARN] });
    expect(logs.calls()).toHaveLength(0);
  });

  test('a task whose migrate container exited 0 completes the step', async () => {
    ecs.on(DescribeTasksCommand).resolves({ tasks: [stopped({ containers: [{ name: 'migrate', exitCode: 0 }], stoppedReason: 'Essential container in task exited' })] });

    expect(await wait(waitEvent())).toEqual({ IsComplete: true });
    expect(logs.calls()).toHaveLength(0);
  });

  test('exit 1 fails the step with the end of the migration\'s log, and no token or URL from it', async () => {
    // GIVEN
    ecs.on(DescribeTasksCommand).resolves({ tasks: [stopped({ containers: [{ name: 'migrate', exitCode: 1 }], stoppedReason: 'Essential container in task exited' })] });
    logs.on(GetLogEventsCommand).resolves({
      events: [
        { message: 'cdk-litellm: migration attempt 3 of 3: litellm --skip_server_startup' },
        { message: 'connecting to postgresql://litellm_proxy:db.example:5432/litellm?X-Amz-Signature=abc123&X-Amz-Credential=AKIA/x' },
        { message: 'Another process holds the migration lock, leaving the request-log indexes to the next index build' },
        { message: 'cdk-litellm: migration attempt 3 of 3 exited 1\n' },
      ],
    });

    // WHEN
    const failure = wait(waitEvent());

    // THEN
    await expect(failure).rejects.toThrow(/^The LiteLLM migration task 0123456789abcdef0123456789abcdef exited 1; nothing was deployed to the service\. Last lines of its log: cdk-litellm: migration attempt 3 of 3: litellm --skip_server_startup \| /);
    const message = await failure.then(() => '', (e: Error) => e.message);
    expect(message).toContain('Another process holds the migration lock');
    expect(message).toContain('cdk-litellm: migration attempt 3 of 3 exited 1');
    expect(message).toContain('postgresql://<redacted>');
    expect(message).not.toMatch(/abc123|AKIA|db\.example/);
    // One line: the provider framework repeats every line of a message after the first.
    expect(message).not.toContain('\n');
    expect(logs.commandCalls(GetLogEventsCommand)[0].args[0].input).toEqual({
      logGroupName: 'LiteLlm-ServiceLogs',
      logStreamName: 'migrate/migrate/0123456789abcdef0123456789abcdef',
      limit: 25,
      startFromHead: false,
    });
  });

  test('a long log is cut from the top, in UTF-8 bytes, so the reason fits CloudFormation\'s answer', async () => {
    ecs.on(DescribeTasksCommand).resolves({ tasks: [stopped({ containers: [{ name: 'migrate', exitCode: 2 }] })] });
    logs.on(GetLogEventsCommand).resolves({ events: Array.from({ length: 25 }, (_, i) => ({ message: `line ${i} ✅🚀 ${'🔥'.repeat(290)}` })) });

    const message = await wait(waitEvent()).then(() => '', (e: Error) => e.message);

    expect(Buffer.byteLength(JSON.stringify(message))).toBeLessThanOrEqual(2_500);
    expect(message).toContain('line 24 ');
    expect(message).not.toContain('line 0 ');
  });

  test('a task killed for its memory fails with ECS\'s reason beside the exit code', async () => {
    ecs.on(DescribeTasksCommand).resolves({
      tasks: [stopped({ containers: [{ name: 'migrate', exitCode: 137, reason: 'OutOfMemoryError: Container killed due to memory usage' }], stoppedReason: 'Essential container in task exited' })],
    });
    logs.on(GetLogEventsCommand).resolves({ events: [{ message: 'Running prisma migrate deploy' }] });

    await expect(wait(waitEvent())).rejects.toThrow(
      'The LiteLLM migration task 0123456789abcdef0123456789abcdef exited 137 (OutOfMemoryError: Container killed due to memory usage); nothing was deployed to the service. Last lines of its log: Running prisma migrate deploy');
  });

  test('a throttled DescribeTasks is not an answer: the step asks again at the next poll', async () => {
    ecs.on(DescribeTasksCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

    expect(await wait(waitEvent())).toEqual({ IsComplete: false });
    expect(ecs.commandCalls(StopTaskCommand)).toHaveLength(0);
  });

  test('a server-side or network fault of DescribeTasks is not an answer either, and does not stop a healthy migration; past the deadline it stops the task and fails', async () => {
    const fault = Object.assign(new Error('Service unavailable'), { name: 'ServerException', $fault: 'server' });
    ecs.on(DescribeTasksCommand).rejects(fault);

    expect(await wait(waitEvent())).toEqual({ IsComplete: false });
    ecs.on(DescribeTasksCommand).rejects(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    expect(await wait(waitEvent())).toEqual({ IsComplete: false });
    expect(ecs.commandCalls(StopTaskCommand)).toHaveLength(0);

    ecs.on(DescribeTasksCommand).rejects(fault);
    now = T0 + 50 * 60_000;
    await expect(wait(waitEvent())).rejects.toThrow('Service unavailable');
    expect(ecs.commandCalls(StopTaskCommand).map(c => c.args[0].input)).toEqual([
      { cluster: CLUSTER, task: TASK_ARN, reason: 'cdk-litellm: the migration step could not follow the task' },
    ]);
  });

  test('a throttle past the deadline stops the task and fails, instead of polling until CloudFormation\'s bare timeout', async () => {
    ecs.on(DescribeTasksCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    now = T0 + 50 * 60_000;

    await expect(wait(waitEvent())).rejects.toThrow('Rate exceeded');
    expect(ecs.commandCalls(StopTaskCommand)).toHaveLength(1);
  });

  test('any other DescribeTasks error fails the step and stops the task, which would otherwise run on unobserved', async () => {
    ecs.on(DescribeTasksCommand).rejects(Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' }));

    await expect(wait(waitEvent())).rejects.toThrow('User is not authorized');
    expect(ecs.commandCalls(StopTaskCommand).map(c => c.args[0].input)).toEqual([
      { cluster: CLUSTER, task: TASK_ARN, reason: 'cdk-litellm: the migration step could not follow the task' },
    ]);
  });

  test('at its deadline (50 minutes after the start) the step stops the task and fails with its log, pointing to the recovery', async () => {
    ecs.on(DescribeTasksCommand).resolves({ tasks: [{ taskArn: TASK_ARN, lastStatus: 'RUNNING' }] });
    logs.on(GetLogEventsCommand).resolves({ events: [{ message: 'Waiting for the Prisma migration lock (up to 60s)' }] });

    now = T0 + 50 * 60_000 - 1;
    expect(await wait(waitEvent())).toEqual({ IsComplete: false });
    expect(ecs.commandCalls(StopTaskCommand)).toHaveLength(0);
    now = T0 + 50 * 60_000;
    await expect(wait(waitEvent())).rejects.toThrow(
      'The LiteLLM migration task 0123456789abcdef0123456789abcdef still ran after 50 minutes: the step stopped it; nothing was deployed to the service. '
      + 'If it stopped inside `prisma migrate deploy`, see "Recovering an unfinished migration" in the cdk-litellm README before deploying again. '
      + 'Last lines of its log: Waiting for the Prisma migration lock (up to 60s)');
    expect(ecs.commandCalls(StopTaskCommand).map(c => c.args[0].input)).toEqual([
      { cluster: CLUSTER, task: TASK_ARN, reason: 'cdk-litellm: the migration step reached its deadline' },
    ]);
  });

  test('a StopTask that fails at the deadline still fails the step, and says the task may run on', async () => {
    ecs.on(DescribeTasksCommand).resolves({ tasks: [{ taskArn: TASK_ARN, lastStatus: 'RUNNING' }] });
    ecs.on(StopTaskCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    logs.on(GetLogEventsCommand).resolves({ events: [] });
    now = T0 + 51 * 60_000;

    await expect(wait(waitEvent())).rejects.toThrow(
      'The LiteLLM migration task 0123456789abcdef0123456789abcdef still ran after 50 minutes: the step could not stop it (ThrottlingException: stop it with aws ecs stop-task); nothing was deployed');
  });

  test('a task that never ran its container (an image pull that failed) fails the step with ECS\'s stop reason', async () => {
    ecs.on(DescribeTasksCommand).resolves({
      tasks: [stopped({
        stopCode: 'TaskFailedToStart',
        stoppedReason: 'CannotPullContainerError: pull image manifest has been retried 7 time(s): failed to resolve ref ghcr.io/berriai/litellm:v9',
        containers: [{ name: 'migrate', reason: 'CannotPullContainerError' }],
      })],
    });
    logs.on(GetLogEventsCommand).rejects(Object.assign(new Error('The specified log stream does not exist.'), { name: 'ResourceNotFoundException' }));

    const message = await wait(waitEvent()).then(() => '', (e: Error) => e.message);

    expect(message).toMatch(/^The LiteLLM migration task 0123456789abcdef0123456789abcdef never ran \(CannotPullContainerError: pull image manifest/);
    expect(message).toContain('(no log: ResourceNotFoundException)');
  });

  test('a task ECS no longer knows fails the step', async () => {
    ecs.on(DescribeTasksCommand).resolves({ tasks: [], failures: [{ arn: TASK_ARN, reason: 'MISSING' }] });

    await expect(wait(waitEvent())).rejects.toThrow('ECS no longer knows the LiteLLM migration task 0123456789abcdef0123456789abcdef (MISSING)');
  });

  test('Delete, and a rollback that started nothing, complete at once', async () => {
    expect(await wait(waitEvent(TASK_ARN, 'Delete'))).toEqual({ IsComplete: true });
    expect(await wait(waitEvent('', 'Update'))).toEqual({ IsComplete: true });
    expect(ecs.calls()).toHaveLength(0);
  });
});
