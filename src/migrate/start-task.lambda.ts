import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { ECSClient, ListTasksCommand, RunTaskCommand, RunTaskCommandOutput, StopTaskCommand } from '@aws-sdk/client-ecs';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { MigrationProperties, STARTED_BY } from './task';

export type MigrationEvent = CloudFormationCustomResourceEvent<MigrationProperties>;

export interface StartResult {
  readonly PhysicalResourceId: string;
  /** TaskArn is empty when nothing was started: the waiter answers at once. StartedAt (ms since the epoch) starts the deadline. */
  readonly Data: { readonly TaskArn: string; readonly StartedAt: string };
}

const PHYSICAL_ID = 'litellm-migration';
/**
 * How long RunTask is retried while Fargate has no capacity; the function's own timeout
 * (five minutes, LiteLlmMigration) leaves room for the last call.
 */
export const RUN_TASK_RETRY_SECONDS = 180;
/** The clock, replaced by the tests. */
export const clock = {
  now: () => Date.now(),
  sleep: (ms: number) => new Promise<void>(resolve => setTimeout(resolve, ms)),
};
const ecs = new ECSClient({});
const cloudFormation = new CloudFormationClient({});

/**
 * The provider framework's onEvent: starts the migration task once per Create or Update;
 * `wait-task` then follows it. A rollback runs nothing (LiteLLM's schema only moves forward,
 * and the previous image's migrations would run against a newer schema), and Delete leaves
 * the schema with the database: both stop any migration task this step started that still
 * runs, so none outlives the stack, a cancelled update or a rollback holding LiteLLM's locks.
 */
export async function handler(event: MigrationEvent): Promise<StartResult> {
  const startedAt = String(clock.now());
  const nothing = (id: string) => ({ PhysicalResourceId: id, Data: { TaskArn: '', StartedAt: startedAt } });
  if (event.RequestType === 'Delete') {
    await stopStartedTasks(event.ResourceProperties.Cluster, 'the stack deleted the migration step');
    return nothing(event.PhysicalResourceId);
  }
  if (event.RequestType === 'Update' && await rollingBack(event.StackId)) {
    console.log('The stack is rolling back: the migrated schema stays, and no migration runs');
    await stopStartedTasks(event.ResourceProperties.Cluster, 'the stack is rolling back');
    return nothing(event.PhysicalResourceId);
  }
  const taskArn = await runTask(event.ResourceProperties, event.RequestId);
  console.log(`Started the LiteLLM migration task ${taskArn}`);
  return { PhysicalResourceId: PHYSICAL_ID, Data: { TaskArn: taskArn, StartedAt: startedAt } };
}

/**
 * RunTask, retried with backoff while Fargate has no capacity. The first call's clientToken
 * is CloudFormation's request id, so a repeated onEvent for the same request gets the same
 * task; a retry after a capacity failure (no task started) needs a token of its own.
 */
async function runTask(p: MigrationProperties, requestId: string): Promise<string> {
  const started = clock.now();
  const giveUpAt = started + RUN_TASK_RETRY_SECONDS * 1000;
  for (let retry = 0, pause = 5_000; ; retry++, pause = Math.min(pause * 2, 60_000)) {
    const out = await ecs.send(new RunTaskCommand({
      cluster: p.Cluster,
      taskDefinition: p.TaskDefinition,
      count: 1,
      // Never Spot: an interrupted migration would fail the deploy.
      launchType: 'FARGATE',
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: p.Subnets,
          securityGroups: p.SecurityGroups,
          assignPublicIp: p.AssignPublicIp === 'ENABLED' ? 'ENABLED' : 'DISABLED',
        },
      },
      startedBy: STARTED_BY,
      clientToken: retry === 0 ? requestId : `${requestId}-${retry}`,
    })).catch((err: Error) => {
      if (!noCapacity(err.message)) throw err;
      return { failures: [{ reason: err.message }] } as Partial<RunTaskCommandOutput>;
    });
    const taskArn = out.tasks?.[0]?.taskArn;
    if (taskArn) return taskArn;
    const failures = (out.failures ?? []).map(f => [f.reason, f.detail].filter(Boolean).join(': ')).join('; ');
    if (!noCapacity(failures) || clock.now() + pause > giveUpAt) {
      const tried = retry > 0 ? ` (${retry + 1} attempts over ${Math.round((clock.now() - started) / 1000)} s)` : '';
      throw new Error(`ECS did not start the LiteLLM migration task${tried}: ${failures || 'no task and no failure returned'}`);
    }
    console.log(`No capacity for the LiteLLM migration task (${failures}); trying again in ${pause / 1000} s`);
    await clock.sleep(pause);
  }
}

/**
 * Placement failures that pass: Fargate's "Capacity is unavailable at this time" and the
 * RESOURCE:* reasons (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/api_failures_messages.html,
 * https://repost.aws/knowledge-center/ecs-fargate-runtask-capacity).
 */
function noCapacity(reason: string): boolean {
  return /RESOURCE:|capacity is unavailable|try again later/i.test(reason);
}

/**
 * Stops every task of the cluster this step started that ECS still runs. Best effort: it
 * serves Delete and a rollback, where an error would leave the stack DELETE_FAILED or
 * UPDATE_ROLLBACK_FAILED, so a failure is logged (with the command to finish by hand).
 */
async function stopStartedTasks(cluster: string, why: string): Promise<void> {
  try {
    let nextToken: string | undefined;
    do {
      // startedBy must be ListTasks' only filter: with desiredStatus too, ECS answers
      // InvalidParameterException "cannot specify startedBy with other arguments" (the API
      // model's `startedBy` doc; aws/aws-sdk-go-v2#1893). RUNNING is its default status.
      const page = await ecs.send(new ListTasksCommand({ cluster, startedBy: STARTED_BY, nextToken }));
      for (const task of page.taskArns ?? []) {
        console.log(`Stopping the LiteLLM migration task ${task}: ${why}`);
        await ecs.send(new StopTaskCommand({ cluster, task, reason: `cdk-litellm: ${why}` }));
      }
      nextToken = page.nextToken;
    } while (nextToken);
  } catch (err) {
    console.log(`Could not stop the LiteLLM migration tasks (${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}); `
      + `find them with aws ecs list-tasks --cluster ${cluster} --started-by ${STARTED_BY} and stop them with aws ecs stop-task`);
  }
}

async function rollingBack(stackId: string): Promise<boolean> {
  const out = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackId }));
  return (out.Stacks?.[0]?.StackStatus ?? '').includes('ROLLBACK');
}
