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

/** CloudFormation's answer is refused above 4,096 bytes; the reason stays well below. */
const MAX_REASON = 2_000;
const MAX_LINE = 240;

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

/**
 * Why a stopped task failed, for the stack events: the exit code or, for a task that never
 * ran its container, ECS's stop reason, then the last lines of its log.
 */
export function failureReason(task: Task, container: Container | undefined, logTail: string[]): string {
  const id = taskId(task.taskArn ?? '');
  const why = container?.exitCode !== undefined
    ? `exited ${container.exitCode}`
    : `never ran (${[task.stoppedReason, container?.reason].filter(Boolean).join('; ') || task.stopCode || 'no reason given'})`;
  let reason = `The LiteLLM migration task ${id} ${why}; nothing was deployed to the service.`;
  const lines = logTail.map(l => redact(l).slice(0, MAX_LINE));
  if (lines.length > 0) {
    const head = `${reason} Last lines of its log:`;
    const kept: string[] = [];
    for (const line of [...lines].reverse()) {
      if (head.length + kept.reduce((n, l) => n + l.length + 1, 0) + line.length + 1 > MAX_REASON) break;
      kept.unshift(line);
    }
    reason = [head, ...kept].join('\n');
  }
  return reason;
}
