// Writes the synthesized template of every scenario in test/support/scenarios.ts (with and
// without a region) to a folder, one JSON file per stack, so two revisions can be compared:
//   npx ts-node -T -P tsconfig.dev.json --prefer-ts-exts scripts/scenario-templates.ts <dir>
//   diff -r <dir before> <dir after>
// Asset hashes are kept: a changed Lambda bundle shows as a changed S3Key.
import { mkdirSync, writeFileSync } from 'fs';
import { join } from 'path';
import { Template } from 'aws-cdk-lib/assertions';
import { SCENARIOS } from '../test/support/scenarios';

const out = process.argv[2];
if (!out) throw new Error('usage: scenario-templates.ts <output folder>');
mkdirSync(out, { recursive: true });
for (const [name, make] of Object.entries(SCENARIOS)) {
  const { stacks } = make();
  for (const stack of stacks) {
    const file = join(out, `${name.replace(/[^A-Za-z0-9]+/g, '-')}--${stack.stackName}.json`);
    writeFileSync(file, `${JSON.stringify(Template.fromStack(stack).toJSON(), null, 1)}\n`);
  }
}
console.log(`wrote ${Object.keys(SCENARIOS).length} scenarios to ${out}`);
