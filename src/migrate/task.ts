import type { Container, Task } from '@aws-sdk/client-ecs';

/** What the migration step passes its handlers (CloudFormation sends every value as a string). */
export interface MigrationProperties {
  readonly Cluster: string;
  readonly TaskDefinition: string;
  /** The container whose exit code decides the outcome. */
  readonly ContainerName: string;
  readonly Subnets: string[];
  readonly SecurityGroups: string[];
  /** `ENABLED` only for a DEVELOPMENT service in public subnets without NAT. */
  readonly AssignPublicIp: string;
  readonly LogGroup: string;
  /** The awslogs stream prefix: a task's stream is `<prefix>/<container>/<task id>`. */
  readonly LogStreamPrefix: string;
  /** Not read: shown in the stack events, and a new image reruns the step. */
  readonly Image?: string;
  /** Not read: a replaced or restored instance reruns the step. */
  readonly DbiResourceId?: string;
}

/** `startedBy` of every task the step runs: what Delete and a rollback stop. */
export const STARTED_BY = 'cdk-litellm-migration';

/**
 * The step's own deadline, counted from RunTask: the wait function stops the task and fails
 * there, well before CloudFormation's hour (and the provider framework's "Operation timed
 * out", which says nothing and stops nothing).
 */
export const DEADLINE_SECONDS = 50 * 60;

/**
 * CloudFormation refuses a custom resource's answer above 4,096 bytes. The provider
 * framework sends the whole JSON body (Status, Reason, StackId, RequestId, ids, Data), and
 * its Reason is the error's message, the function's log group and the stack frames
 * (aws-cdk-lib custom-resources/lib/provider-framework/runtime/framework.js
 * `invokeUserFunction`, cfn-response.js `safeHandler`/`submitResponse`). The message, as
 * JSON-encoded UTF-8, keeps to this; the rest stays well under the remaining ~1,500 bytes.
 */
export const MAX_REASON_BYTES = 2_500;
const MAX_LINE = 300;

/** UTF-8 bytes of `text` once JSON-encoded, as it travels in the response body. */
export function jsonBytes(text: string): number {
  return Buffer.byteLength(JSON.stringify(text), 'utf8');
}

/**
 * Secrets never reach the migration's environment (it logs in with an IAM token it mints
 * itself), but a database URL with a token or a password could reach its log: drop both.
 */
export function redact(line: string): string {
  return line
    .replace(/(postgres(?:ql)?:\/\/)[^\s'"]*/gi, '$1<redacted>')
    .replace(/(X-Amz-(?:Signature|Credential|Security-Token)=)[^&\s'"]*/gi, '$1<redacted>');
}

/** The id at the end of a task ARN (`arn:...:task/<cluster>/<id>`). */
export function taskId(taskArn: string): string {
  return taskArn.slice(taskArn.lastIndexOf('/') + 1);
}

/** One log event as one line: no colour codes, no line breaks (the framework repeats every line after the first). */
function oneLine(message: string): string {
  // eslint-disable-next-line no-control-regex
  const flat = redact(message).replace(/\u001b\[[0-9;]*m/g, '').replace(/\s*[\r\n]+\s*/g, ' ').trim();
  const chars = Array.from(flat);
  return chars.length > MAX_LINE ? `${chars.slice(0, MAX_LINE).join('')}…` : flat;
}

/**
 * `head`, then as many of the last log lines as fit in MAX_REASON_BYTES, on one line
 * joined by ' | ': the newest line is kept first, the oldest dropped first.
 */
export function withLogTail(head: string, logTail: string[]): string {
  const lines = logTail.map(oneLine).filter(l => l.length > 0);
  if (lines.length === 0) return head;
  const kept: string[] = [];
  const compose = (tail: string[]) => `${head} Last lines of its log: ${tail.join(' | ')}`;
  for (const line of [...lines].reverse()) {
    if (jsonBytes(compose([line, ...kept])) > MAX_REASON_BYTES) break;
    kept.unshift(line);
  }
  return kept.length > 0 ? compose(kept) : head;
}

/**
 * Why a stopped task failed, for the stack events: the exit code and ECS's reason for the
 * container (an `OutOfMemoryError` kill), or, for a task that never ran its container, ECS's
 * stop reason; then the last lines of its log.
 */
export function failureReason(task: Task, container: Container | undefined, logTail: string[]): string {
  const id = taskId(task.taskArn ?? '');
  const why = container?.exitCode !== undefined
    ? `exited ${container.exitCode}${container.reason ? ` (${container.reason})` : ''}`
    : `never ran (${[task.stoppedReason, container?.reason].filter(Boolean).join('; ') || task.stopCode || 'no reason given'})`;
  return withLogTail(`The LiteLLM migration task ${id} ${why}; nothing was deployed to the service.`, logTail);
}
