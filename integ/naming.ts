import { App, Stack } from 'aws-cdk-lib';

// Stack names of the integration scenarios. The pipeline appends a suffix unique to its
// run (INTEG_STACK_SUFFIX), so overlapping runs never share a stack and its cleanup step
// can find this run's stacks by name; without it (snapshots, local runs) names are fixed.
export function stackName(base: string): string {
  const suffix = process.env.INTEG_STACK_SUFFIX ?? '';
  if (!/^[A-Za-z0-9-]*$/.test(suffix)) throw new Error(`INTEG_STACK_SUFFIX "${suffix}" may hold letters, digits and - only`);
  return `${base}${suffix}`;
}

/**
 * The stack the assertions deploy into: named with the run's suffix in the pipeline,
 * integ-tests' own default (and so the committed snapshots) otherwise.
 */
export function assertionStack(app: App, base: string): Stack | undefined {
  if (!process.env.INTEG_STACK_SUFFIX) return undefined;
  return new Stack(app, `${base}Assertions`, { stackName: stackName(`${base}Assertions`) });
}
