// cfn-lint (from PyPI, in .venv-cfnlint via `npx projen cfn-lint:setup`) over every
// template of the scenarios cdk-nag checks: zero errors and zero warnings, with the
// three warnings of test/cfn-lint/cfnlintrc.yaml turned off (each with its reason there).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SCENARIOS } from './support/scenarios';

const CFN_LINT = path.join(__dirname, '..', '.venv-cfnlint', 'bin', 'cfn-lint');
/** Three warnings are off, each with its reason, in this file. */
const CONFIG = path.join(__dirname, 'cfn-lint', 'cfnlintrc.yaml');

function lint(files: string[]): { status: number | null; output: string } {
  // --format parseable: one finding per line, `file:line:col:...:rule:message`.
  const args = ['--config-file', CONFIG, '--format', 'parseable', '--', ...files];
  const result = spawnSync(CFN_LINT, args, { encoding: 'utf8', timeout: 300_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

function writeTemplates(name: string): string[] {
  const { app, stacks } = SCENARIOS[name]();
  const assembly = app.synth();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfn-lint-'));
  return stacks.map(stack => {
    const file = path.join(dir, `${stack.stackName}.template.json`);
    fs.writeFileSync(file, JSON.stringify(assembly.getStackByName(stack.stackName).template, null, 1));
    return file;
  });
}

beforeAll(() => {
  if (!fs.existsSync(CFN_LINT)) throw new Error(`${CFN_LINT} is missing: run \`npx projen cfn-lint:setup\` (the test task runs it first)`);
});

test.each(Object.keys(SCENARIOS))('%s: cfn-lint reports nothing', (name) => {
  const result = lint(writeTemplates(name));
  expect(result.output).toBe('');
  expect(result.status).toBe(0);
});

test('cfn-lint does report a broken template (the check can fail)', () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cfn-lint-')), 'broken.template.json');
  fs.writeFileSync(file, JSON.stringify({
    Resources: { Bucket: { Type: 'AWS::S3::Bucket', Properties: { BucketNam: 'typo' } } },
  }));
  const result = lint([file]);
  expect(result.status).not.toBe(0);
  expect(result.output).toMatch(/E3002.*BucketNam/);
});

test('only the three documented checks are turned off', () => {
  expect(fs.readFileSync(CONFIG, 'utf8')).toMatch(/ignore_checks:\n {2}- W3005\n {2}- W3010\n {2}- W6001\n(?! {2}-)/);
});
