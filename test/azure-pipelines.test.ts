import * as fs from 'fs';
import * as path from 'path';
import Ajv from 'ajv';
import * as YAML from 'yaml';

// Microsoft's schema (MIT, see fixtures/azure-pipelines.schema.LICENSE) lists
// Microsoft's built-in tasks only. The AWS Toolkit for Azure DevOps task that
// carries the AWS service connection is added here with its documented inputs,
// so it is held to the same `additionalProperties: false` discipline.
function loadSchema(): any {
  const schema = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'azure-pipelines.schema.json'), 'utf8'));
  schema.definitions.task.properties.task.anyOf.push({ enum: ['AWSShellScript@1'] });
  schema.definitions.task.anyOf.push({
    properties: {
      task: { pattern: '^AWSShellScript@1$' },
      displayName: { type: 'string' },
      inputs: {
        properties: {
          awsCredentials: { type: 'string' },
          regionName: { type: 'string' },
          scriptType: { enum: ['inline', 'filePath'] },
          inlineScript: { type: 'string' },
          filePath: { type: 'string' },
        },
        additionalProperties: false,
        required: ['awsCredentials', 'regionName', 'scriptType'],
      },
    },
    required: ['task', 'inputs'],
  });
  return schema;
}

const validate = new Ajv({ strict: false, unicodeRegExp: false }).compile(loadSchema());
const pipelineText = fs.readFileSync(path.join(__dirname, '..', 'azure-pipelines.yml'), 'utf8');

function isValid(doc: unknown): boolean {
  return validate(doc) as boolean;
}

test('azure-pipelines.yml is valid against the Azure Pipelines schema', () => {
  const ok = isValid(YAML.parse(pipelineText));
  expect(validate.errors ?? []).toEqual([]);
  expect(ok).toBe(true);
});

test('the pipeline builds, runs the integ scenarios through a service connection, then releases from main', () => {
  const doc = YAML.parse(pipelineText);
  expect(doc.stages.map((s: any) => s.stage)).toEqual(['Build', 'Integration', 'Release']);
  const integ = doc.stages[1].jobs[0].steps.find((s: any) => s.task === 'AWSShellScript@1');
  expect(integ.inputs.awsCredentials).toBe('$(AWS_SERVICE_CONNECTION)');
  expect(integ.inputs.inlineScript).toContain('integ-runner');
  expect(integ.inputs.inlineScript).toContain('--force');
  // A fresh agent has no assets/: the Lambda handlers must be bundled before integ-runner synthesizes.
  const steps = doc.stages[1].jobs[0].steps;
  const bundle = steps.findIndex((s: any) => s.script === 'npx projen bundle');
  expect(bundle).toBeGreaterThan(steps.findIndex((s: any) => s.script === 'npm ci'));
  expect(bundle).toBeLessThan(steps.indexOf(integ));
  expect(doc.stages[2].dependsOn).toBe('Integration');
  expect(doc.stages[2].condition).toContain('refs/heads/main');
});

test('no token or password is written into the pipeline file', () => {
  // Secrets arrive from the variable group as $(NAME) macros only.
  const doc = YAML.parse(pipelineText);
  const publishSteps = doc.stages[2].jobs[0].steps.filter((s: any) => s.env);
  expect(publishSteps.map((s: any) => s.env)).toEqual([
    { NPM_TOKEN: '$(NPM_TOKEN)' },
    { TWINE_USERNAME: '__token__', TWINE_PASSWORD: '$(PYPI_TOKEN)' },
  ]);
  expect(pipelineText).not.toMatch(/npm_[A-Za-z0-9]{20,}|pypi-[A-Za-z0-9_-]{20,}/);
});

describe('the schema check can fail', () => {
  test.each([
    ['a misspelled top-level key', (d: any) => { d.stagez = d.stages; delete d.stages; }],
    ['a step with an unknown task', (d: any) => { d.stages[0].jobs[0].steps.push({ task: 'NoSuchTask@9', inputs: {} }); }],
    ['a job with a misspelled steps key', (d: any) => { const j = d.stages[0].jobs[0]; j.step = j.steps; delete j.steps; }],
    ['an object where the schema wants a timeout string', (d: any) => { d.stages[0].jobs[0].timeoutInMinutes = { minutes: 60 }; }],
    ['an unknown input on a known task', (d: any) => { d.stages[0].jobs[0].steps[0].inputs.versionSpecc = '20.x'; }],
  ])('rejects %s', (_name, breakIt) => {
    const doc = YAML.parse(pipelineText);
    breakIt(doc);
    expect(isValid(doc)).toBe(false);
  });
});
