#!/usr/bin/env node
// cdk-litellm-cost: the modeled monthly cost and fresh-deploy critical path of a synthesized
// app (its cdk.out directory) or of template files, as `npx projen cost` prints them.
import * as fs from 'fs';
import { MODEL_NOTE, formatReport, report, stacksAt } from './report';

export const USAGE = `usage: cdk-litellm-cost [CDK_OUT_DIR | TEMPLATE.json ...]

Prints the modeled monthly cost of the synthesized stacks by component and resource, and the
modeled critical path of a first deploy. Default: ./cdk.out (run \`cdk synth\` first).
Resource types the model does not price count as $0.

Exit status: 0 when it printed a report, 2 on a usage error or a location it cannot read.`;

/** Runs the command; returns its exit status. */
export function main(argv: string[], out: (line: string) => void = console.log, err: (line: string) => void = console.error): number {
  if (argv.includes('--help') || argv.includes('-h')) {
    out(USAGE);
    return 0;
  }
  const locations = argv.length > 0 ? argv : ['cdk.out'];
  const missing = locations.filter(l => !fs.existsSync(l));
  if (missing.length > 0) {
    err(`cdk-litellm-cost: no such file or directory: ${missing.join(', ')}${argv.length === 0 ? ' (run `cdk synth` first, or name the cdk.out directory)' : ''}\n\n${USAGE}`);
    return 2;
  }
  try {
    out(formatReport(locations.join(' + '), report(locations.flatMap(stacksAt))));
  } catch (e) {
    err(`cdk-litellm-cost: ${e instanceof Error ? e.message : e}`);
    return 2;
  }
  out(MODEL_NOTE);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
