// The migration step's two handlers, against mocked AWS APIs: what they ask ECS, and how
// they answer CloudFormation for each way a migration task can end.
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeTasksCommand, ECSClient, RunTaskCommand, Task } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as start, MigrationEvent } from '../../src/migrate/start-task.lambda';
import { MigrationProperties } from '../../src/migrate/task';
import { handler as wait, WaitEvent } from '../../src/migrate/wait-task.lambda';

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

function waitEvent(taskArn = TASK_ARN, requestType: 'Create' | 'Update' | 'Delete' = 'Create'): WaitEvent {
  return { ...event(requestType), PhysicalResourceId: 'litellm-migration', Data: { TaskArn: taskArn } } as WaitEvent;
}

function stopped(task: Partial<Task>): Task {
  return { taskArn: TASK_ARN, lastStatus: 'STOPPED', ...task };
}

beforeEach(() => {
  ecs.reset();
  logs.reset();
  cloudFormation.reset();
  jest.spyOn(console, 'log').mockImplementation(() => {});
});

afterEach(() => jest.restoreAllMocks());

describe('start-task (onEvent)', () => {
  test('Create runs the migration task once on Fargate in the given subnets and security group, without a public IP', async () => {
    // GIVEN
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK_ARN }], failures: [] });

    // WHEN
    const result = await start(event('Create'));

    // THEN
    expect(result).toEqual({ PhysicalResourceId: 'litellm-migration', Data: { TaskArn: TASK_ARN } });
    const calls = ecs.commandCalls(RunTaskCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0].args[0].input).toEqual({
      cluster: CLUSTER,
      taskDefinition: PROPERTIES.TaskDefinition,
      count: 1,
      launchType: 'FARGATE',
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-a', 'subnet-b'], securityGroups: ['sg-service'], assignPublicIp: 'DISABLED' } },
      startedBy: 'cdk-litellm-migration',
    });
  });

  test('a DEVELOPMENT service in public subnets gets a public IP for the migration too', async () => {
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK_ARN }] });
    cloudFormation.on(DescribeStacksCommand).resolves({ Stacks: [{ StackName: 'LiteLlm', StackStatus: 'UPDATE_IN_PROGRESS', CreationTime: new Date() }] });

    await start(event('Update', { ResourceProperties: { ServiceToken: 'x', ...PROPERTIES, AssignPublicIp: 'ENABLED' } }));

    expect(ecs.commandCalls(RunTaskCommand)[0].args[0].input.networkConfiguration?.awsvpcConfiguration?.assignPublicIp).toBe('ENABLED');
  });

  test('an Update during a deploy runs it again; one during a rollback runs nothing (the schema only moves forward)', async () => {
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK_ARN }] });
    cloudFormation.on(DescribeStacksCommand)
      .resolvesOnce({ Stacks: [{ StackName: 'LiteLlm', StackStatus: 'UPDATE_IN_PROGRESS', CreationTime: new Date() }] })
      .resolvesOnce({ Stacks: [{ StackName: 'LiteLlm', StackStatus: 'UPDATE_ROLLBACK_IN_PROGRESS', CreationTime: new Date() }] });

    expect(await start(event('Update'))).toEqual({ PhysicalResourceId: 'litellm-migration', Data: { TaskArn: TASK_ARN } });
    expect(await start(event('Update'))).toEqual({ PhysicalResourceId: 'litellm-migration', Data: { TaskArn: '' } });
    expect(ecs.commandCalls(RunTaskCommand)).toHaveLength(1);
    expect(cloudFormation.commandCalls(DescribeStacksCommand)[0].args[0].input).toEqual({ StackName: STACK_ID });
  });

  test('Delete does nothing: the migrated schema stays with the database', async () => {
    expect(await start(event('Delete'))).toEqual({ PhysicalResourceId: 'litellm-migration', Data: { TaskArn: '' } });
    expect(ecs.calls()).toHaveLength(0);
  });

  test('a task ECS could not place fails the step with ECS\'s reason', async () => {
    ecs.on(RunTaskCommand).resolves({
      tasks: [],
      failures: [{ reason: 'Capacity is unavailable at this time', detail: 'Please try again later or in a different availability zone' }],
    });

    await expect(start(event('Create'))).rejects.toThrow(
      'ECS did not start the LiteLLM migration task: Capacity is unavailable at this time: Please try again later or in a different availability zone');
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
    await expect(failure).rejects.toThrow(/^The LiteLLM migration task 0123456789abcdef0123456789abcdef exited 1; nothing was deployed to the service\. Last lines of its log:\n/);
    const message = await failure.then(() => '', (e: Error) => e.message);
    expect(message).toContain('Another process holds the migration lock');
    expect(message).toContain('cdk-litellm: migration attempt 3 of 3 exited 1');
    expect(message).toContain('postgresql://<redacted>');
    expect(message).not.toMatch(/abc123|AKIA|db\.example/);
    expect(logs.commandCalls(GetLogEventsCommand)[0].args[0].input).toEqual({
      logGroupName: 'LiteLlm-ServiceLogs',
      logStreamName: 'migrate/migrate/0123456789abcdef0123456789abcdef',
      limit: 25,
      startFromHead: false,
    });
  });

  test('a long log is cut from the top so the reason fits CloudFormation\'s 4 KiB answer', async () => {
    ecs.on(DescribeTasksCommand).resolves({ tasks: [stopped({ containers: [{ name: 'migrate', exitCode: 2 }] })] });
    logs.on(GetLogEventsCommand).resolves({ events: Array.from({ length: 25 }, (_, i) => ({ message: `line ${i} ${'x'.repeat(300)}` })) });

    const message = await wait(waitEvent()).then(() => '', (e: Error) => e.message);

    expect(message.length).toBeLessThanOrEqual(2000);
    expect(message).toContain('line 24 ');
    expect(message).not.toContain('line 0 ');
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
