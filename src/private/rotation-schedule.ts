// What Secrets Manager refuses in a rotation schedule and window, checked at synth instead of
// failing the deploy. The rules are those of "Schedule expressions in Secrets Manager rotation"
// (https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_schedule.html):
// cron minutes must be 0 and the year *; a rate is 4 hours or more and at most 999 days; a
// secret rotates at most every four hours; a window must not run into the next UTC day nor
// into the next rotation window.
import { Duration, IResolvable, Lazy, Token, aws_secretsmanager as secretsmanager } from 'aws-cdk-lib';
import type { LiteLlmRotationOptions } from '../security';
import { check } from './validate';

/** A rotation's options, checked: what `addRotationSchedule` takes and the rules to override. */
export interface RotationPlan {
  readonly enabled: boolean;
  /** `Duration.days(0)` when rotation is off. */
  readonly automaticallyAfter: Duration;
  readonly rules?: { ScheduleExpression?: string; Duration?: string };
}

/**
 * Checks a rotation's options (`prop` names them in messages, e.g. `masterKeyRotation`) and
 * plans the schedule: CDK's `rate(n days)` unless a schedule or a window asks for rules.
 */
export function rotationOf(prop: string, options: LiteLlmRotationOptions = {}): RotationPlan {
  const after = options.automaticallyAfter ?? Duration.days(30);
  // Rendered as rate(N days): Secrets Manager takes whole days up to 999 (rotate-secrets_schedule.html).
  check(after.toDays({ integral: false }), d => Number.isInteger(d) && d >= 1 && d <= 999,
    d => `\`${prop}.automaticallyAfter\` (${d} days) must be whole days from 1 to 999, as Secrets Manager's rate() allows`);
  const enabled = options.enabled !== false;
  return { enabled, automaticallyAfter: enabled ? after : Duration.days(0), rules: rotationRules(prop, options) };
}

/** Sets the rules of a planned rotation on its schedule (CDK renders only `rate(n days)`). */
export function applyRotationRules(schedule: secretsmanager.RotationSchedule, plan: RotationPlan): void {
  if (plan.rules) (schedule.node.defaultChild as secretsmanager.CfnRotationSchedule).addPropertyOverride('RotationRules', plan.rules);
}

/**
 * The schedule's inputs, as its resource renders them at synth (with its rules' override), for
 * the properties of a custom resource that cancels rotation after it: any change to them
 * updates the schedule, which calls RotateSecret and turns rotation back on with the rules the
 * secret kept, and now updates the custom resource too, which cancels it again. Resolved by
 * CloudFormation, so a replaced function or security group counts as a change as well.
 */
export function scheduleInputsOf(schedule: secretsmanager.RotationSchedule, plan: RotationPlan): IResolvable {
  const cfn = schedule.node.defaultChild as secretsmanager.CfnRotationSchedule;
  return Lazy.any({
    produce: () => ({
      RotationLambdaArn: cfn.rotationLambdaArn,
      HostedRotationLambda: cfn.hostedRotationLambda,
      RotationRules: plan.rules ?? cfn.rotationRules,
      RotateImmediatelyOnUpdate: cfn.rotateImmediatelyOnUpdate,
    }),
  });
}

/** The rotation rules a schedule or a window asks for, or undefined for CDK's `rate(n days)`. */
function rotationRules(prop: string, options: LiteLlmRotationOptions): { ScheduleExpression?: string; Duration?: string } | undefined {
  const schedule = options.schedule;
  const window = options.window;
  if (options.enabled === false) {
    if (schedule || window) throw new Error(`\`${prop}.schedule\` and \`${prop}.window\` need rotation: remove them, or \`${prop}.enabled: false\``);
    return undefined;
  }
  if (schedule === undefined && window === undefined) return undefined;
  if (schedule !== undefined && options.automaticallyAfter !== undefined) {
    throw new Error(`\`${prop}.schedule\` replaces \`${prop}.automaticallyAfter\`: set one of them`);
  }
  if (window !== undefined) {
    check(window.toHours({ integral: false }), h => Number.isInteger(h) && h >= 1 && h <= 24,
      h => `\`${prop}.window\` (${h} hours) must be whole hours from 1 to 24, as Secrets Manager allows`);
  }
  const expression = schedule ?? `rate(${(options.automaticallyAfter ?? Duration.days(30)).toDays()} days)`;
  const windowHours = window?.toHours();
  if (!Token.isUnresolved(expression) && (windowHours === undefined || !Token.isUnresolved(windowHours))) {
    checkRotationSchedule(expression, windowHours, prop);
  }
  return {
    ScheduleExpression: expression,
    ...(windowHours !== undefined ? { Duration: `${windowHours}h` } : {}),
  };
}

/**
 * Throws, naming the prop, the value and the fix, when Secrets Manager would refuse
 * `schedule` (a literal) with a window of `windowHours` (whole hours from 1 to 24).
 */
export function checkRotationSchedule(schedule: string, windowHours?: number, prop = 'masterKeyRotation'): void {
  const SCHEDULE = `\`${prop}.schedule\``;
  const example = 'e.g. cron(0 4 ? * SUN#1 *) or rate(30 days)';
  const rate = /^rate\((\d+) (hours?|days?)\)$/.exec(schedule);
  if (rate) {
    const value = Number(rate[1]);
    if (rate[2].startsWith('hour')) {
      if (value < 4 || value > 23) {
        throw new Error(`${SCHEDULE} ("${schedule}") must rotate every 4 to 23 hours in hours, or use days: Secrets Manager rotates at most every 4 hours, ${example}`);
      }
      // For a rate in hours AWS documents one rule: the window fits between two rotations.
      if (windowHours !== undefined && windowHours > value) throw windowTooLong(prop, schedule, windowHours, value);
    } else if (value < 1 || value > 999) {
      throw new Error(`${SCHEDULE} ("${schedule}") must be from rate(1 day) to rate(999 days), the longest period Secrets Manager allows`);
    } else {
      checkWindow(prop, schedule, [0], windowHours);
    }
    return;
  }
  const cron = /^cron\((\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\)$/.exec(schedule);
  if (!cron) {
    throw new Error(`${SCHEDULE} ("${schedule}") must be a Secrets Manager schedule expression: cron(minutes hours day-of-month month day-of-week year), ${example}`);
  }
  const [, minutes, hoursField, , , , year] = cron;
  if (minutes !== '0') {
    throw new Error(`${SCHEDULE} ("${schedule}") must have 0 in the minutes field: Secrets Manager rotation windows open on the hour, ${example}`);
  }
  if (year !== '*') {
    throw new Error(`${SCHEDULE} ("${schedule}") must have * in the year field, as Secrets Manager requires, ${example}`);
  }
  const hours = cronHours(hoursField);
  if (!hours) {
    throw new Error(`${SCHEDULE} ("${schedule}") has an hours field ("${hoursField}") that is not hours from 0 to 23 (n, a-b, a/step, *, lists with ","), ${example}`);
  }
  checkWindow(prop, schedule, hours, windowHours);
}

/** The rotation window of each start hour must close before the next one opens and by midnight. */
function checkWindow(prop: string, schedule: string, starts: number[], windowHours?: number): void {
  const SCHEDULE = `\`${prop}.schedule\``;
  const WINDOW = `\`${prop}.window\``;
  const gaps = starts.slice(1).map((h, i) => h - starts[i]);
  const shortest = Math.min(...gaps);
  if (shortest < 4) {
    throw new Error(`${SCHEDULE} ("${schedule}") opens windows ${shortest} hour(s) apart: Secrets Manager rotates a secret at most every 4 hours; space the hours 4 or more apart`);
  }
  if (windowHours === undefined) return;
  const last = starts[starts.length - 1];
  if (windowHours > shortest) throw windowTooLong(prop, schedule, windowHours, shortest, Math.min(shortest, 24 - last));
  if (last + windowHours > 24) {
    throw new Error(`${WINDOW} (${windowHours} hours) from ${String(last).padStart(2, '0')}:00 UTC (${SCHEDULE} "${schedule}") would run into the next UTC day, which Secrets Manager refuses: `
      + `make the window at most ${24 - last} hours, or start the schedule earlier`);
  }
}

function windowTooLong(prop: string, schedule: string, windowHours: number, gap: number, most = gap): Error {
  const SCHEDULE = `\`${prop}.schedule\``;
  const WINDOW = `\`${prop}.window\``;
  return new Error(`${WINDOW} (${windowHours} hours) is longer than the ${gap} hours between the rotations of ${SCHEDULE} ("${schedule}"), which Secrets Manager refuses: `
    + `make the window at most ${most} hours`);
}

/** The hours (sorted, 0-23) a cron hours field names, or undefined when it is not one. */
export function cronHours(field: string): number[] | undefined {
  const hours = new Set<number>();
  for (const part of field.split(',')) {
    const m = /^(\*|\d+)(?:-(\d+))?(?:\/(\d+))?$/.exec(part);
    if (!m) return undefined;
    const from = m[1] === '*' ? 0 : Number(m[1]);
    const to = m[2] !== undefined ? Number(m[2]) : (m[1] === '*' || m[3] !== undefined ? 23 : from);
    const step = m[3] !== undefined ? Number(m[3]) : 1;
    if (from > 23 || to > 23 || from > to || step < 1) return undefined;
    for (const h of hoursFrom(from, to, step)) hours.add(h);
  }
  return [...hours].sort((a, b) => a - b);
}

function hoursFrom(from: number, to: number, step: number): number[] {
  const hours: number[] = [];
  for (let h = from; h <= to; h += step) hours.push(h);
  return hours;
}
