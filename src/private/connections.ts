import { aws_ec2 as ec2 } from 'aws-cdk-lib';

const GIB = 1024 ** 3;

/** Memory of one unit of size, per instance family letter, in GiB (large = 8 for t/m, 16 for r…). */
const MEMORY_PER_LARGE: Record<string, number> = { t: 8, m: 8, r: 16, x: 32, c: 4 };
const SIZE_UNITS: Record<string, number> = {
  nano: 1 / 16, micro: 1 / 8, small: 1 / 4, medium: 1 / 2, large: 1, xlarge: 2,
};

/**
 * PostgreSQL's `max_connections` on RDS: LEAST(DBInstanceClassMemory / 9531392, 5000).
 * DBInstanceClassMemory is the class's memory less what the OS and RDS use (about a
 * fifth on the smallest classes); this takes 75 % of the nominal memory, which keeps
 * the estimate on the safe side (db.t4g.small: 168).
 * Returns undefined for a class it does not know.
 */
export function postgresMaxConnections(instanceType: ec2.InstanceType): number | undefined {
  const [family, size] = instanceType.toString().split('.');
  const perLarge = MEMORY_PER_LARGE[family?.[0] ?? ''];
  if (!perLarge || !size) return undefined;
  let units = SIZE_UNITS[size];
  const multiple = /^(\d+)xlarge$/.exec(size);
  if (units === undefined && multiple) units = Number(multiple[1]) * 2;
  if (units === undefined) return undefined;
  const memoryBytes = perLarge * units * GIB;
  return Math.min(Math.floor((memoryBytes * 0.75) / 9531392), 5000);
}
