// `npx projen example`: synthesizes the default platform into cdk.out with no AWS account,
// prints where the templates are, what it would cost a month (modeled) and the outputs
// `cdk deploy` would print.
import * as path from 'path';
import { exampleApp } from './example-app';
import { MODEL_NOTE, dollars, report, stacksAt } from '../src/cost/report';

const { app } = exampleApp(path.resolve('cdk.out'));
const assembly = app.synth();
for (const s of assembly.stacks) {
  const resources = Object.keys((s.template as any).Resources ?? {}).length;
  console.log(`${s.stackName}: ${resources} resources -> ${path.relative(process.cwd(), path.join(assembly.directory, s.templateFile))}`);
}

const cost = report(stacksAt(assembly.directory));
console.log(`\nModeled cost: ${dollars(cost.total)} a month (${cost.byComponent.filter(([, v]) => v > 0).map(([c, v]) => `${c} ${dollars(v)}`).join('; ')}).`);
const slowest = cost.deploy.steps.filter(s => s.seconds >= 60).map(s => `${s.type} ${Math.round(s.seconds / 60)} min`);
console.log(`A first deploy takes about ${Math.round(cost.deploy.seconds / 60)} minutes (modeled critical path; longest steps: ${slowest.join(', ')}).`);
console.log(`${MODEL_NOTE} \`npx projen cost\` has the details.`);

console.log('\nAfter `cdk deploy` the stack prints:');
for (const s of assembly.stacks) {
  for (const [id, output] of Object.entries<any>(s.template.Outputs ?? {})) {
    console.log(`  ${s.stackName}.${id} = ${valueText(output.Value)}\n      ${output.Description}`);
  }
}
console.log('Read them by key and give your apps virtual keys: README, "The first hour after deploy". Or try the proxy here first: npx projen local');

/** A template value as text, each deploy-time part as <resource.attribute>. */
function valueText(value: any): string {
  if (typeof value === 'string') return value;
  if (value.Ref) return `<${value.Ref}>`;
  if (value['Fn::GetAtt']) return `<${[value['Fn::GetAtt']].flat().join('.')}>`;
  if (value['Fn::Join']) return value['Fn::Join'][1].map(valueText).join(value['Fn::Join'][0]);
  return JSON.stringify(value);
}
