import * as fs from 'fs';
import * as path from 'path';
import * as YAML from 'yaml';
import { azurePipelinesValidator } from './support/azure-schema';

const validate = azurePipelinesValidator();
const pipelineText = fs.readFileSync(path.join(__dirname, '..', 'azure-pipelines.yml'), 'utf8');

function isValid(doc: unknown): boolean {
  return validate(doc) as boolean;
}

test('azure-pipelines.yml is valid against the Azure Pipelines schema', () => {
  const ok = isValid(YAML.parse(pipelineText));
  expect(validate.errors ?? []).toEqual([]);
  expect(ok).toBe(true);
});

const doc = () => YAML.parse(pipelineText);
const stage = (name: string) => doc().stages.find((s: any) => s.stage === name);
const integSteps = () => stage('Integration').jobs[0].strategy.runOnce.deploy.steps;

test('stages: Build, then Integration, then Release', () => {
  expect(doc().stages.map((s: any) => s.stage)).toEqual(['Build', 'Integration', 'Release']);
  expect(stage('Integration').dependsOn).toBe('Build');
  expect(stage('Release').dependsOn).toBe('Integration');
});

test('Build runs the README\'s command (the same task list as .ci/run) on Node 22, then fails on any drift of generated files', () => {
  const steps = stage('Build').jobs[0].steps;
  const build = steps.findIndex((s: any) => s.script === 'npx projen build');
  const drift = steps.findIndex((s: any) => /git diff --exit-code/.test(s.script ?? ''));
  expect(build).toBeGreaterThan(-1);
  expect(drift).toBeGreaterThan(build);
  // .ci/run installs with the README's first command (npm ci && npx projen example) before the same build.
  expect(fs.readFileSync(path.join(__dirname, '..', '.ci', 'run'), 'utf8')).toMatch(/\nnpx projen build\n/);
  expect(fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8')).toMatch(/```sh\nnpm ci && npx projen example/);
  for (const s of doc().stages) {
    const all = s.jobs.flatMap((j: any) => j.steps ?? j.strategy.runOnce.deploy.steps);
    expect(all.find((x: any) => x.task === 'NodeTool@0').inputs.versionSpec).toBe('22.x');
  }
});

test('pull requests are checked for conventional commit subjects', () => {
  const check = stage('Build').jobs[0].steps.find((s: any) => s.displayName === 'Conventional commits');
  expect(check.condition).toBe("eq(variables['Build.Reason'], 'PullRequest')");
  expect(check.script).toContain('(feat|fix|docs|style|refactor|perf|test|build|ci|chore|revert)');
});

test('Integration never runs for a pull request: only on main, on the schedule or on demand', () => {
  const condition = stage('Integration').condition;
  expect(condition).toContain("ne(variables['Build.Reason'], 'PullRequest')");
  expect(condition).toContain("eq(variables['Build.SourceBranch'], 'refs/heads/main')");
  expect(condition).toContain("eq(variables['Build.Reason'], 'Schedule')");
  expect(condition).toContain("eq('${{ parameters.runIntegration }}', 'true')");
  expect(doc().parameters).toEqual([expect.objectContaining({ name: 'runIntegration', type: 'boolean', default: 'false' })]);
  expect(doc().schedules[0].branches.include).toEqual(['main']);
});

test('Integration is a deployment job on an environment (approval, exclusive lock), with stack names unique to the run', () => {
  const job = stage('Integration').jobs[0];
  expect(job.deployment).toBeDefined();
  expect(job.environment).toBe('cdk-litellm-aws');
  expect(stage('Integration').lockBehavior).toBe('sequential');
  expect(job.variables).toEqual([{ name: 'INTEG_STACK_SUFFIX', value: '-run$(Build.BuildId)' }]);
  const steps = integSteps();
  const integ = steps.find((s: any) => /integ-runner/.test(s.inputs?.inlineScript ?? ''));
  expect(integ.task).toBe('AWSShellScript@1');
  expect(integ.inputs.awsCredentials).toBe('$(AWS_SERVICE_CONNECTION)');
  expect(integ.inputs.inlineScript).toContain('--force');
  // A fresh agent has no assets/: the Lambda handlers must be bundled before integ-runner synthesizes.
  const bundle = steps.findIndex((s: any) => s.script === 'npx projen bundle');
  expect(bundle).toBeGreaterThan(steps.findIndex((s: any) => s.script === 'npm ci'));
  expect(bundle).toBeLessThan(steps.indexOf(integ));
});

test('after a failure or a cancel, a cleanup step deletes the stacks of this run only', () => {
  const cleanup = integSteps()[integSteps().length - 1];
  expect(cleanup.condition).toBe('always()');
  expect(cleanup.inputs.inlineScript).toContain("ends_with(StackName, '$(INTEG_STACK_SUFFIX)')");
  expect(cleanup.inputs.inlineScript).toContain('aws cloudformation delete-stack');
});

test('the release tokens\' variable group is declared in the Release stage only', () => {
  expect(JSON.stringify(doc().variables)).not.toContain('group');
  expect(stage('Release').variables).toEqual([{ group: 'cdk-litellm-release' }]);
  for (const name of ['Build', 'Integration']) expect(JSON.stringify(stage(name))).not.toMatch(/cdk-litellm-release|NPM_TOKEN|PYPI_TOKEN/);
  expect(stage('Release').condition).toBe("and(succeeded(), eq(variables['Build.SourceBranch'], 'refs/heads/main'), ne(variables['Build.Reason'], 'PullRequest'))");
});

test('Release bumps with projen and publishes with publib (idempotent), then tags once', () => {
  const scripts = stage('Release').jobs[0].steps.map((s: any) => s.script).filter(Boolean);
  expect(scripts.slice(0, 4)).toEqual(['npm ci', 'npx projen release', 'npx publib-npm dist/js', 'npx publib-pypi dist/python']);
  expect(scripts[4]).toContain('git ls-remote --exit-code --tags origin');
  expect(pipelineText).not.toMatch(/npm publish|twine upload/);
});

test('no token or password is written into the pipeline file', () => {
  // Secrets arrive from the variable group as $(NAME) macros only.
  const publishSteps = stage('Release').jobs[0].steps.filter((s: any) => s.env);
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
    ['an unknown input on a known task', (d: any) => { d.stages[0].jobs[0].steps[1].inputs.versionSpecc = '22.x'; }],
  ])('rejects %s', (_name, breakIt) => {
    const broken = YAML.parse(pipelineText);
    breakIt(broken);
    expect(isValid(broken)).toBe(false);
  });
});
