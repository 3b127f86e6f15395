import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeTasksCommand, ECSClient } from '@aws-sdk/client-ecs';
import type { MigrationEvent } from './start-task.lambda';
import { failureReason, MigrationProperties, taskId } from './task';

export type WaitEvent = MigrationEvent & { readonly Data?: { readonly TaskArn?: string } };

export interface WaitResult {
  readonly IsComplete: boolean;
}

/** How many log lines the failure reason may carry (it is cut to fit besides). */
const TAIL_LINES = 25;
const ecs = new ECSClient({});
const logs = new CloudWatchLogsClient({});

/**
 * The provider framework's isComplete, asked every 30 s: complete when the migration task
 * stopped with exit code 0; an error (the deploy fails and rolls back before the service
 * changes) when it stopped otherwise or never started, with the end of its log.
 */
export async function handler(event: WaitEvent): Promise<WaitResult> {
  const taskArn = event.Data?.TaskArn;
  if (event.RequestType === 'Delete' || !taskArn) return { IsComplete: true };
  const p = event.ResourceProperties;
  const out = await ecs.send(new DescribeTasksCommand({ cluster: p.Cluster, tasks: [taskArn] }));
  const task = out.tasks?.[0];
  if (!task) {
    const failures = (out.failures ?? []).map(f => f.reason).join('; ');
    throw new Error(`ECS no longer knows the LiteLLM migration task ${taskId(taskArn)} (${failures || 'not found'})`);
  }
  if (task.lastStatus !== 'STOPPED') return { IsComplete: false };
  const container = task.containers?.find(c => c.name === p.ContainerName);
  if (container?.exitCode === 0) {
    console.log(`The LiteLLM migration task ${taskArn} completed`);
    return { IsComplete: true };
  }
  throw new Error(failureReason(task, container, await logTail(p, taskArn)));
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
