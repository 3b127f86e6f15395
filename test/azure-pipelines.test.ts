import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as YAML from 'yaml';
import { azurePipelinesValidator } from './support/azure-schema';
import { CREDENTIAL_SECONDS } from '../projenrc/azure-pipelines';

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
const integJob = () => stage('Integration').jobs[0];
const integSteps = () => integJob().strategy.runOnce.deploy.steps;
const releaseSteps = () => stage('Release').jobs[0].steps;
const awsSteps = () => doc().stages.flatMap((s: any) => s.jobs).flatMap((j: any) => j.steps ?? j.strategy.runOnce.deploy.steps)
  .filter((s: any) => s.task === 'AWSShellScript@1');

/** Runs `script` with bash in `cwd`; `$(Name)` macros are replaced from `macros` (others are an error). */
function runBash(script: string, macros: Record<string, string>, cwd: string, env: Record<string, string> = {}) {
  const rendered = script.replace(/\$\(([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)\)/g, (m, name: string) => {
    if (!(name in macros)) throw new Error(`no value for the macro ${m}`);
    return macros[name];
  });
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pipeline-script-')), 'script.sh');
  fs.writeFileSync(file, rendered);
  const r = spawnSync('bash', [file], { cwd, encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH!, HOME: os.tmpdir(), ...env } });
  fs.rmSync(path.dirname(file), { recursive: true, force: true });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

function git(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { PATH: process.env.PATH!, HOME: os.tmpdir(), GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' },
  });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

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

test('coverage is published with PublishCodeCoverageResults@2 (v1 is deprecated), which takes no codeCoverageTool', () => {
  const steps = stage('Build').jobs[0].steps;
  expect(pipelineText).not.toContain('PublishCodeCoverageResults@1');
  expect(steps.find((s: any) => s.task === 'PublishCodeCoverageResults@2').inputs).toEqual({ summaryFileLocation: 'coverage/cobertura-coverage.xml' });
});

describe('the conventional-commit check of pull requests', () => {
  const check = () => stage('Build').jobs[0].steps.find((s: any) => s.displayName === 'Conventional commits');
  let work: string;
  let clone: string;
  beforeAll(() => {
    // An "origin" with main, and a clone whose HEAD is a pull request's commits on top of it,
    // with origin/main fetched as the checkout leaves it.
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'commits-'));
    const origin = path.join(work, 'origin.git');
    git(work, 'init', '-q', '--bare', '-b', 'main', origin);
    clone = path.join(work, 'clone');
    git(work, 'clone', '-q', origin, clone);
    git(clone, 'commit', '-q', '--allow-empty', '-m', 'chore: initial');
    git(clone, 'push', '-q', 'origin', 'main');
    git(clone, 'checkout', '-q', '-b', 'topic');
  });
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  test('runs for pull requests only, and only when the steps before it succeeded', () => {
    expect(check().condition).toBe("and(succeeded(), eq(variables['Build.Reason'], 'PullRequest'))");
  });

  test('passes conventional subjects and fails a bad one, naming it', () => {
    git(clone, 'commit', '-q', '--allow-empty', '-m', 'feat(cache): a good subject');
    const good = runBash(check().script, { 'System.PullRequest.targetBranchName': 'main' }, clone);
    expect(good.output).toContain('1 commit subject(s) checked against origin/main');
    expect(good.status).toBe(0);

    git(clone, 'commit', '-q', '--allow-empty', '-m', 'Fixed stuff');
    const bad = runBash(check().script, { 'System.PullRequest.targetBranchName': 'main' }, clone);
    expect(bad.status).toBe(1);
    expect(bad.output).toContain('Commit subjects must follow Conventional Commits');
    expect(bad.output).toContain('Fixed stuff');
  });

  test('uses targetBranchName: the full ref Azure Repos puts in TargetBranch fails loudly instead of passing unchecked', () => {
    expect(check().script).toContain('$(System.PullRequest.targetBranchName)');
    expect(check().script).not.toContain('System.PullRequest.TargetBranch)');
    const wrong = runBash(check().script, { 'System.PullRequest.targetBranchName': 'refs/heads/main' }, clone);
    expect(wrong.status).toBe(1);
    expect(wrong.output).toContain('origin/refs/heads/main was not fetched');
  });
});

test('Integration never runs for a pull request or another branch: main only (pushes and the nightly schedule)', () => {
  const condition = stage('Integration').condition;
  expect(condition).toBe("and(succeeded(), ne(variables['Build.Reason'], 'PullRequest'), eq(variables['Build.SourceBranch'], 'refs/heads/main'))");
  // No on-demand run from a branch: the branch check on the connection would refuse it.
  expect(doc().parameters).toBeUndefined();
  expect(doc().schedules[0].branches.include).toEqual(['main']);
});

test('Integration is a deployment job on an environment, not named with the keyword "deploy", with stack names unique to the run', () => {
  const job = integJob();
  expect(job.deployment).toMatch(/^[A-Za-z0-9_]+$/);
  expect(job.deployment.toLowerCase()).not.toBe('deploy');
  expect(job.environment).toBe('cdk-litellm-aws');
  expect(stage('Integration').lockBehavior).toBe('sequential');
  expect(job.variables).toContainEqual({ name: 'INTEG_STACK_SUFFIX', value: '-run$(Build.BuildId)' });
  const steps = integSteps();
  const integ = steps.find((s: any) => /integ-runner/.test(s.inputs?.inlineScript ?? ''));
  expect(integ.task).toBe('AWSShellScript@1');
  // A fresh agent has no assets/: the Lambda handlers must be bundled before integ-runner synthesizes.
  const bundle = steps.findIndex((s: any) => s.script === 'npx projen bundle');
  expect(bundle).toBeGreaterThan(steps.findIndex((s: any) => s.script === 'npm ci'));
  expect(bundle).toBeLessThan(steps.indexOf(integ));
});

test('integ-runner, parsing the pipeline\'s own command line, deploys with --force and without the update workflow', () => {
  // integ-runner's own parser (lib/cli.js parseCliArgs), in a child process: it loads ESM-only chalk.
  const parse = (args: string[]) => {
    const r = spawnSync(process.execPath, ['-e', 'console.log(JSON.stringify(require("@aws-cdk/integ-runner/lib/cli.js").parseCliArgs(JSON.parse(process.argv[1]))))', JSON.stringify(args)], {
      cwd: path.join(__dirname, '..'), encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout);
  };
  const command: string = integSteps().find((s: any) => /integ-runner/.test(s.inputs?.inlineScript ?? '')).inputs.inlineScript;
  const args = [...command.matchAll(/"([^"]*)"|(\S+)/g)].map(m => m[1] ?? m[2]).slice(2);
  const options = parse(args);
  expect(options.updateWorkflow).toBe(false);
  expect(options.force).toBe(true);
  expect(options.directory).toBe('integ');
  // The default is on: without the flag the committed snapshots would be deployed first.
  expect(parse(['--directory', 'integ']).updateWorkflow).toBe(true);
});

test('the AWS connection is named at compile time, so the checks on it apply', () => {
  expect(awsSteps().length).toBeGreaterThan(1);
  for (const step of awsSteps()) expect(step.inputs.awsCredentials).toBe('${{ variables.AWS_SERVICE_CONNECTION }}');
  expect(doc().variables).toContainEqual({ name: 'AWS_SERVICE_CONNECTION', value: 'cdk-litellm-integ' });
});

test('credentials outlive the longest AWS step: the toolkit\'s duration variable covers each step\'s timeout', () => {
  const job = integJob();
  const duration = Number(job.variables.find((v: any) => v.name === 'aws.rolecredential.maxduration').value);
  expect(duration).toBe(CREDENTIAL_SECONDS);
  // The toolkit accepts 900..43200 and otherwise falls back to 900 (awsConnectionParameters.ts getSessionDuration).
  expect(duration).toBeGreaterThanOrEqual(900);
  expect(duration).toBeLessThanOrEqual(43200);
  for (const step of integSteps().filter((s: any) => s.task === 'AWSShellScript@1')) {
    expect(Number(step.timeoutInMinutes) * 60).toBeLessThanOrEqual(duration);
  }
});

test('the cleanup always runs, and has time to finish after a timeout or a cancel', () => {
  const job = integJob();
  const steps = integSteps();
  const [integ, cleanup] = steps.slice(-2);
  expect(cleanup.condition).toBe('always()');
  // The job's timeout leaves the cleanup its full time after integ-runner used all of its own.
  expect(Number(integ.timeoutInMinutes) + Number(cleanup.timeoutInMinutes) + 10).toBeLessThanOrEqual(Number(job.timeoutInMinutes));
  // A cancel (or the job's timeout) gives always() steps cancelTimeoutInMinutes, 5 by default.
  expect(Number(job.cancelTimeoutInMinutes)).toBeGreaterThanOrEqual(Number(cleanup.timeoutInMinutes));
  expect(Number(cleanup.timeoutInMinutes)).toBeGreaterThanOrEqual(60);
});

describe('the cleanup script, against a CloudFormation stand-in', () => {
  const script = () => integSteps()[integSteps().length - 1].inputs.inlineScript;
  const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString();

  interface FakeStack { name: string; status: string; created: string; failDeletes?: number; importedBy?: string; retained?: string[] }

  /** A stateful `aws` stand-in: list-stacks, delete-stack (a stack still imported fails), tags, deletions. */
  function run(stacks: FakeStack[]) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cleanup-'));
    const state = path.join(dir, 'state.json');
    const calls = path.join(dir, 'calls');
    fs.writeFileSync(state, JSON.stringify(stacks));
    fs.writeFileSync(path.join(dir, 'aws'), `#!/usr/bin/env node
const fs = require('fs');
const args = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(calls)}, args.join(' ') + '\\n');
const stacks = JSON.parse(fs.readFileSync(${JSON.stringify(state)}, 'utf8'));
const save = () => fs.writeFileSync(${JSON.stringify(state)}, JSON.stringify(stacks));
const arg = (n) => args[args.indexOf(n) + 1];
const live = (s) => s.status !== 'DELETE_COMPLETE';
const cmd = args.slice(0, 2).join(' ');
if (cmd === 'cloudformation list-stacks') {
  for (const s of stacks) if (s.status === 'ROLLBACK_IN_PROGRESS') s.status = 'ROLLBACK_COMPLETE';
  save();
  for (const s of stacks.filter(live)) console.log([s.name, s.status, s.created].join('\\t'));
} else if (cmd === 'cloudformation delete-stack') {
  const s = stacks.find(x => x.name === arg('--stack-name'));
  if (/_IN_PROGRESS$/.test(s.status) && s.status !== 'REVIEW_IN_PROGRESS') { console.error('cannot delete in ' + s.status); process.exit(254); }
  const importer = s.importedBy && stacks.find(x => x.name === s.importedBy && live(x));
  if (importer || (s.failDeletes ?? 0) > 0) { s.failDeletes = (s.failDeletes ?? 0) - 1; s.status = 'DELETE_FAILED'; } else s.status = 'DELETE_COMPLETE';
  save();
} else if (cmd === 'cloudformation cancel-update-stack') {
  stacks.find(x => x.name === arg('--stack-name')).status = 'UPDATE_ROLLBACK_COMPLETE'; save();
} else if (cmd === 'resourcegroupstaggingapi get-resources') {
  const name = arg('--tag-filters').split('Values=')[1];
  console.log((stacks.find(x => x.name === name)?.retained ?? []).join('\\t') || 'None');
} else if (!['kms schedule-key-deletion', 'secretsmanager delete-secret', 'logs delete-log-group', 's3 rb', 'rds delete-db-snapshot', 'elasticache delete-snapshot'].includes(cmd)) {
  console.error('unexpected aws call: ' + args.join(' ')); process.exit(255);
}
`, { mode: 0o755 });
    try {
      const r = runBash(script(), { INTEG_STACK_SUFFIX: '-run42' }, dir, { PATH: `${dir}:${process.env.PATH}`, CLEANUP_POLL_SECONDS: '0' });
      const recorded = fs.readFileSync(calls, 'utf8').trim().split('\n');
      return { ...r, calls: recorded, final: JSON.parse(fs.readFileSync(state, 'utf8')) as FakeStack[] };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  test('deletes every stack of the run whatever its status and order, and stale leftovers of earlier runs, nothing else', () => {
    const retained = [
      'arn:aws:kms:us-east-1:123456789012:key/1111',
      'arn:aws:secretsmanager:us-east-1:123456789012:secret:LiteLlmMasterKey-AbCdEf',
      'arn:aws:logs:us-east-1:123456789012:log-group:/aws/ecs/litellm:*',
      'arn:aws:s3:::litellmproduction-run42-accesslogs',
      'arn:aws:rds:us-east-1:123456789012:snapshot:litellm-final',
      'arn:aws:elasticache:us-east-1:123456789012:snapshot:litellm-cache-final',
    ];
    const r = run([
      // Listed first, but its export is imported by the service stack: its first delete fails.
      { name: 'LiteLlmSplitSecurity-run42', status: 'CREATE_COMPLETE', created: hoursAgo(2), importedBy: 'LiteLlmSplitService-run42' },
      { name: 'LiteLlmSplitService-run42', status: 'UPDATE_IN_PROGRESS', created: hoursAgo(2) },
      { name: 'LiteLlmProduction-run42', status: 'DELETE_FAILED', created: hoursAgo(2), failDeletes: 1, retained },
      { name: 'LiteLlmProductionAssertions-run42', status: 'ROLLBACK_IN_PROGRESS', created: hoursAgo(1) },
      { name: 'LiteLlmSplitNetwork-run42', status: 'REVIEW_IN_PROGRESS', created: hoursAgo(1) },
      { name: 'LiteLlmDefault-run41', status: 'CREATE_COMPLETE', created: hoursAgo(30) },
      { name: 'LiteLlmDefault-run43', status: 'CREATE_COMPLETE', created: hoursAgo(1) },
      { name: 'SomeoneElsesStack', status: 'CREATE_COMPLETE', created: hoursAgo(100) },
    ]);
    expect(r.output).toContain('No integ stack of this run or of an earlier one is left.');
    expect(r.status).toBe(0);
    const status = Object.fromEntries(r.final.map(s => [s.name, s.status]));
    expect(status).toEqual({
      'LiteLlmSplitSecurity-run42': 'DELETE_COMPLETE',
      'LiteLlmSplitService-run42': 'DELETE_COMPLETE',
      'LiteLlmProduction-run42': 'DELETE_COMPLETE',
      'LiteLlmProductionAssertions-run42': 'DELETE_COMPLETE',
      'LiteLlmSplitNetwork-run42': 'DELETE_COMPLETE',
      'LiteLlmDefault-run41': 'DELETE_COMPLETE',
      'LiteLlmDefault-run43': 'CREATE_COMPLETE',
      'SomeoneElsesStack': 'CREATE_COMPLETE',
    });
    expect(r.calls).toContain('cloudformation cancel-update-stack --stack-name LiteLlmSplitService-run42');
    // Its delete failed while the service stack still imported its export, then was retried.
    expect(r.calls.filter(c => c === 'cloudformation delete-stack --stack-name LiteLlmSplitSecurity-run42').length).toBeGreaterThan(1);
    expect(r.calls.filter(c => c === 'cloudformation delete-stack --stack-name LiteLlmProduction-run42')).toHaveLength(2);
    expect(r.calls.some(c => /LiteLlmDefault-run43|SomeoneElsesStack/.test(c))).toBe(false);
    // What the production stack kept is deleted by its stack-name tag.
    expect(r.calls).toEqual(expect.arrayContaining([
      'kms schedule-key-deletion --key-id arn:aws:kms:us-east-1:123456789012:key/1111 --pending-window-in-days 7',
      'secretsmanager delete-secret --secret-id arn:aws:secretsmanager:us-east-1:123456789012:secret:LiteLlmMasterKey-AbCdEf --force-delete-without-recovery',
      'logs delete-log-group --log-group-name /aws/ecs/litellm',
      's3 rb s3://litellmproduction-run42-accesslogs --force',
      'rds delete-db-snapshot --db-snapshot-identifier litellm-final',
      'elasticache delete-snapshot --snapshot-name litellm-cache-final',
    ]));
  });

  test('a stack that will not delete fails the step, naming it, and its live resources are left alone', () => {
    const r = run([
      { name: 'LiteLlmDefault-run42', status: 'CREATE_COMPLETE', created: hoursAgo(1), failDeletes: 99, retained: ['arn:aws:kms:us-east-1:123456789012:key/2222'] },
    ]);
    expect(r.status).toBe(1);
    expect(r.output).toContain('##vso[task.logissue type=error]Not deleted: LiteLlmDefault-run42 DELETE_FAILED.');
    expect(r.calls.filter(c => c.startsWith('cloudformation delete-stack'))).toHaveLength(6);
    expect(r.calls.some(c => c.startsWith('kms '))).toBe(false);
  });
});

test('the release tokens\' variable group is declared in the Release stage only', () => {
  expect(JSON.stringify(doc().variables)).not.toContain('group');
  expect(stage('Release').variables).toEqual([{ group: 'cdk-litellm-release' }]);
  for (const name of ['Build', 'Integration']) expect(JSON.stringify(stage(name))).not.toMatch(/cdk-litellm-release|NPM_TOKEN|PYPI_TOKEN/);
  expect(stage('Release').condition).toBe("and(succeeded(), eq(variables['Build.SourceBranch'], 'refs/heads/main'), ne(variables['Build.Reason'], 'PullRequest'))");
});

test('Release checks out the whole history with its tags, so projen\'s bump sees the last v* tag', () => {
  // fetchTags is false by default for pipelines created since September 2022 (steps.checkout, "Sync tags").
  expect(releaseSteps()[0]).toEqual({ checkout: 'self', fetchDepth: '0', fetchTags: 'true', persistCredentials: 'true' });
});

test('Release computes the version, tags it, then builds and publishes with publib (idempotent)', () => {
  const scripts = releaseSteps().map((s: any) => s.script).filter(Boolean);
  expect(scripts[0]).toBe('npm ci');
  expect(scripts[1]).toBe('npx projen bump');
  expect(scripts[2]).toContain('git push origin "refs/tags/$tag"');
  expect(scripts[3]).toContain('npx projen release');
  expect(scripts.slice(4)).toEqual(['npx publib-npm dist/js', 'npx publib-pypi dist/python']);
  expect(pipelineText).not.toMatch(/npm publish|twine upload/);
});

test('no token or password is written into the pipeline file', () => {
  // Secrets arrive from the variable group as $(NAME) macros only.
  const publishSteps = releaseSteps().filter((s: any) => s.env);
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
    ['the v1 coverage input on the v2 coverage task', (d: any) => {
      d.stages[0].jobs[0].steps.find((s: any) => s.task === 'PublishCodeCoverageResults@2').inputs.codeCoverageTool = 'Cobertura';
    }],
  ])('rejects %s', (_name, breakIt) => {
    const broken = YAML.parse(pipelineText);
    breakIt(broken);
    expect(isValid(broken)).toBe(false);
  });
});
