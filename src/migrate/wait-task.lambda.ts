import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeTasksCommand, DescribeTasksCommandOutput, ECSClient, StopTaskCommand } from '@aws-sdk/client-ecs';
import type { MigrationEvent } from './start-task.lambda';
import { DEADLINE_SECONDS, failureReason, MigrationProperties, taskId, withLogTail } from './task';

export type WaitEvent = MigrationEvent & { readonly Data?: { readonly TaskArn?: string; readonly StartedAt?: string } };

export interface WaitResult {
  readonly IsComplete: boolean;
}

/** How many log lines the failure reason may carry (it is cut to fit besides). */
const TAIL_LINES = 25;
/** The clock, replaced by the tests. */
export const clock = { now: () => Date.now() };
const ecs = new ECSClient({});
const logs = new CloudWatchLogsClient({});

/**
 * The provider framework's isComplete, asked every 30 s: complete when the migration task
 * stopped with exit code 0; an error (the deploy fails and rolls back before the service
 * changes) when it stopped otherwise or never started, with the end of its log. At the
 * step's deadline it stops the task and fails: CloudFormation's hour would otherwise end in
 * a bare "Operation timed out" with the task still running and holding LiteLLM's locks.
 */
export async function handler(event: WaitEvent): Promise<WaitResult> {
  const taskArn = event.Data?.TaskArn;
  if (event.RequestType === 'Delete' || !taskArn) return { IsComplete: true };
  const p = event.ResourceProperties;
  const pastDeadline = clock.now() >= Number(event.Data?.StartedAt) + DEADLINE_SECONDS * 1000;
  let out: DescribeTasksCommandOutput;
  try {
    out = await ecs.send(new DescribeTasksCommand({ cluster: p.Cluster, tasks: [taskArn] }));
  } catch (err) {
    // Throttled or a passing fault (after the SDK's own retries): ask again at the next poll,
    // up to the deadline. Stopping a healthy migration for a blip could cut
    // `prisma migrate deploy` mid-way, which LiteLLM does not get past by itself.
    if (passing(err) && !pastDeadline) return { IsComplete: false };
    // The step fails without knowing how the task ends: it must not run on unobserved (a
    // Delete or a rollback Update stops it too, but only once CloudFormation gets there).
    await stopTask(p.Cluster, taskArn, 'the migration step could not follow the task');
    throw err;
  }
  const task = out.tasks?.[0];
  if (!task) {
    const failures = (out.failures ?? []).map(f => f.reason).join('; ');
    throw new Error(`ECS no longer knows the LiteLLM migration task ${taskId(taskArn)} (${failures || 'not found'})`);
  }
  if (task.lastStatus !== 'STOPPED') {
    if (!pastDeadline) return { IsComplete: false };
    const stopped = await stopTask(p.Cluster, taskArn, 'the migration step reached its deadline');
    throw new Error(withLogTail(
      `The LiteLLM migration task ${taskId(taskArn)} still ran after ${DEADLINE_SECONDS / 60} minutes: ${stopped}; nothing was deployed to the service. `
      + 'If it stopped inside `prisma migrate deploy`, see "Recovering an unfinished migration" in the cdk-litellm README before deploying again.',
      await logTail(p, taskArn)));
  }
  const container = task.containers?.find(c => c.name === p.ContainerName);
  if (container?.exitCode === 0) {
    console.log(`The LiteLLM migration task ${taskArn} completed`);
    return { IsComplete: true };
  }
  throw new Error(failureReason(task, container, await logTail(p, taskArn)));
}

/**
 * An error the next poll may not see: a throttle (SDK v3 names the error after its code), a
 * server-side fault, or a network one.
 */
function passing(err: unknown): boolean {
  const e = err as { name?: string; code?: string; $fault?: string } | undefined;
  return /Throttl|RequestLimitExceeded|TooManyRequests|TimeoutError/.test(e?.name ?? '')
    || e?.$fault === 'server'
    || ['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNREFUSED', 'EAI_AGAIN'].includes(e?.code ?? '');
}

/** Stops the task, and says whether that worked. */
async function stopTask(cluster: string, taskArn: string, why: string): Promise<string> {
  try {
    await ecs.send(new StopTaskCommand({ cluster, task: taskArn, reason: `cdk-litellm: ${why}` }));
    return 'the step stopped it';
  } catch (err) {
    return `the step could not stop it (${err instanceof Error ? err.name : String(err)}: stop it with aws ecs stop-task)`;
  }
}

async function logTail(p: MigrationProperties, taskArn: string): Promise<string[]> {
  try {
    const out = await logs.send(new GetLogEventsCommand({
      logGroupName: p.LogGroup,
      logStreamName: `${p.LogStreamPrefix}/${p.ContainerName}/${taskId(taskArn)}`,
      limit: TAIL_LINES,
      startFromHead: false,
    }));
    return (out.events ?? []).map(e => (e.message ?? '').trimEnd()).filter(l => l.length > 0);
  } catch (err) {
    // A task that never started has no stream: the stop reason says why.
    return [`(no log: ${err instanceof Error ? err.name : String(err)})`];
  }
}
