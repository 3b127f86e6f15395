// Cost and critical path of synthesized stacks: of a cdk.out directory or template files.
import * as fs from 'fs';
import * as path from 'path';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { StackTemplate, Step, criticalPath } from './critical-path';
import { LineItem, templateCost, totals } from './model';
import { PRICES } from './prices';

export interface Report {
  readonly items: LineItem[];
  readonly byComponent: [string, number][];
  readonly total: number;
  readonly deploy: { seconds: number; steps: Step[] };
}

export function report(stacks: StackTemplate[]): Report {
  const items = stacks.flatMap(s => templateCost(s.template));
  return { items, ...totals(items), deploy: criticalPath(stacks) };
}

/** The stacks of a cdk.out directory, or one template file. */
export function stacksAt(location: string): StackTemplate[] {
  if (fs.statSync(location).isDirectory()) {
    return new CloudAssembly(location).stacksRecursively.map(s => ({
      name: s.stackName, template: s.template, dependencies: s.dependencies.map(d => d.id),
    }));
  }
  return [{ name: path.basename(location).replace(/\.template\.json$|\.json$/, ''), template: JSON.parse(fs.readFileSync(location, 'utf8')), dependencies: [] }];
}

export const dollars = (v: number) => `$${v.toFixed(2)}`;
export const minutes = (s: number) => (s < 60 ? `${s} s` : `${Math.round(s / 60)} min`);

/** The report as the `cost` task prints it. */
export function formatReport(title: string, r: Report): string {
  const lines = [`${title}: ${dollars(r.total)} a month (modeled)`];
  // A component with line items shows even at $0 (CloudFront: its price is all traffic).
  for (const [component, value] of r.byComponent.filter(([c, v]) => v > 0 || r.items.some(i => i.component === c))) {
    lines.push(`  ${component.padEnd(28)} ${dollars(value).padStart(9)}`);
    for (const item of r.items.filter(i => i.component === component)) lines.push(`      ${item.detail.padEnd(50)} ${dollars(item.monthly).padStart(9)}`);
  }
  lines.push(`  fresh deploy, critical path: about ${minutes(r.deploy.seconds)} (typical create times, one after another)`);
  for (const s of r.deploy.steps) lines.push(`      ${minutes(s.seconds).padStart(7)}  ${s.stack}/${s.id} (${s.type})`);
  return lines.join('\n');
}

export const MODEL_NOTE = `Modeled: AWS list prices in ${PRICES.region} as of ${PRICES.asOf}, ${PRICES.hoursPerMonth} hours a month, minimum capacity running, no traffic.`;
