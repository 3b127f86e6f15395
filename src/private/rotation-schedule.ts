// What Secrets Manager refuses in a rotation schedule and window, checked at synth instead of
// failing the deploy. The rules are those of "Schedule expressions in Secrets Manager rotation"
// (https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_schedule.html):
// cron minutes must be 0 and the year *; a rate is 4 hours or more and at most 999 days; a
// secret rotates at most every four hours; a window must not run into the next UTC day nor
// into the next rotation window.

const SCHEDULE = '`masterKeyRotationSchedule`';
const WINDOW = '`masterKeyRotationWindow`';

/**
 * Throws, naming the prop, the value and the fix, when Secrets Manager would refuse
 * `schedule` (a literal) with a window of `windowHours` (whole hours from 1 to 24).
 */
export function checkRotationSchedule(schedule: string, windowHours?: number): void {
  const example = 'e.g. cron(0 4 ? * SUN#1 *) or rate(30 days)';
  const rate = /^rate\((\d+) (hours?|days?)\)$/.exec(schedule);
  if (rate) {
    const value = Number(rate[1]);
    if (rate[2].startsWith('hour')) {
      if (value < 4 || value > 23) {
        throw new Error(`${SCHEDULE} ("${schedule}") must rotate every 4 to 23 hours in hours, or use days: Secrets Manager rotates at most every 4 hours, ${example}`);
      }
      // For a rate in hours AWS documents one rule: the window fits between two rotations.
      if (windowHours !== undefined && windowHours > value) throw windowTooLong(schedule, windowHours, value);
    } else if (value < 1 || value > 999) {
      throw new Error(`${SCHEDULE} ("${schedule}") must be from rate(1 day) to rate(999 days), the longest period Secrets Manager allows`);
    } else {
      checkWindow(schedule, [0], windowHours);
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
  checkWindow(schedule, hours, windowHours);
}

/** The rotation window of each start hour must close before the next one opens and by midnight. */
function checkWindow(schedule: string, starts: number[], windowHours?: number): void {
  const gaps = starts.slice(1).map((h, i) => h - starts[i]);
  const shortest = Math.min(...gaps);
  if (shortest < 4) {
    throw new Error(`${SCHEDULE} ("${schedule}") opens windows ${shortest} hour(s) apart: Secrets Manager rotates a secret at most every 4 hours; space the hours 4 or more apart`);
  }
  if (windowHours === undefined) return;
  const last = starts[starts.length - 1];
  if (windowHours > shortest) throw windowTooLong(schedule, windowHours, shortest, Math.min(shortest, 24 - last));
  if (last + windowHours > 24) {
    throw new Error(`${WINDOW} (${windowHours} hours) from ${String(last).padStart(2, '0')}:00 UTC (${SCHEDULE} "${schedule}") would run into the next UTC day, which Secrets Manager refuses: `
      + `make the window at most ${24 - last} hours, or start the schedule earlier`);
  }
}

function windowTooLong(schedule: string, windowHours: number, gap: number, most = gap): Error {
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
