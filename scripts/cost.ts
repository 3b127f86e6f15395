// `npx projen cost`: the modeled monthly cost by component and the fresh-deploy critical
// path of each scenario, or of your app: `npx projen cost -- cdk.out` (or template files),
// which is what the packaged `cdk-litellm-cost` command prints. `--readme` rewrites the
// README's cost table.
import * as fs from 'fs';
import * as path from 'path';
import { README_END, README_START, costTable, scenarioStacks } from './cost/scenarios';
import { main } from '../src/cost/cli';
import { formatReport, report } from '../src/cost/report';
import { SETUPS } from '../test/support/scenarios';

const README = path.join(__dirname, '..', 'README.md');

// projen passes the `--` of `npx projen cost -- …` on.
const args = process.argv.slice(2).filter(a => a !== '--');
if (args.includes('--readme')) {
  const text = fs.readFileSync(README, 'utf8');
  const start = text.indexOf(README_START);
  const end = text.indexOf(README_END);
  if (start < 0 || end < start) throw new Error(`README.md has no "${README_START}" … "${README_END}" block`);
  fs.writeFileSync(README, `${text.slice(0, start + README_START.length)}\n${costTable()}\n${text.slice(end)}`);
  console.log('README.md: cost table rewritten');
} else if (args.length > 0) {
  process.exitCode = main(args);
} else {
  for (const [name, make] of Object.entries(SETUPS)) console.log(`${formatReport(name, report(scenarioStacks(make())))}\n`);
  console.log(costTable());
}
