// The README's cost table over the scenarios the quality gates check (`npx projen cost`).
import { StackTemplate } from '../../src/cost/critical-path';
import { MODEL_NOTE, dollars, minutes, report } from '../../src/cost/report';
import { Scenario, SETUPS } from '../../test/support/scenarios';

/** The stacks of a scenario the library creates resources in, synthesized. */
export function scenarioStacks(scenario: Scenario): StackTemplate[] {
  const assembly = scenario.app.synth();
  const names = new Set(scenario.stacks.map(s => s.stackName));
  return scenario.stacks.map(s => ({
    name: s.stackName,
    template: assembly.getStackByName(s.stackName).template,
    dependencies: s.dependencies.map(d => d.stackName).filter(d => names.has(d)),
  }));
}

/** The README block `npx projen cost -- --readme` rewrites. */
export const README_START = '<!-- cost table: npx projen cost -- --readme -->';
export const README_END = '<!-- end of cost table -->';

/** The README's table: each scenario the quality gates check, by component. */
export function costTable(): string {
  const reports = Object.entries(SETUPS).map(([name, make]) => [name, report(scenarioStacks(make()))] as const);
  const header = `| component | ${reports.map(([name]) => name).join(' | ')} |`;
  const rule = `|---|${reports.map(() => '---:').join('|')}|`;
  const rows = reports[0][1].byComponent.map(([component], i) =>
    `| ${component} | ${reports.map(([, r]) => dollars(r.byComponent[i][1])).join(' | ')} |`);
  const total = `| **total a month** | ${reports.map(([, r]) => `**${dollars(r.total)}**`).join(' | ')} |`;
  const deploy = `| fresh deploy (critical path) | ${reports.map(([, r]) => minutes(r.deploy.seconds)).join(' | ')} |`;
  return [header, rule, ...rows, total, deploy, '', MODEL_NOTE].join('\n');
}
