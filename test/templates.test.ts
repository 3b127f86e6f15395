// The Azure Pipelines templates under templates/ for apps built on the library: each is valid
// against Microsoft's schema, the templates fit together (every parameter used is declared,
// every nested template exists and gets what it requires), and their bash scripts, rendered as
// Azure renders them, do what they say against stand-ins for the aws and npx commands.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as YAML from 'yaml';
import { azurePipelinesValidator } from './support/azure-schema';

const TEMPLATES = path.join(__dirname, '..', 'templates');
const FILES = fs.readdirSync(TEMPLATES).filter(f => f.endsWith('.yml')).sort();

const validate = azurePipelinesValidator();

// How the templates are checked against a schema written for pipelines:
// - Each is validated as a pipeline document: `parameters:` + `stages:` (the three stages
//   templates) or `parameters:` + `steps:` (the two steps templates) are both pipeline shapes
//   in the schema, and template parameters have the pipeline parameters' shape.
// - The schema types every scalar as a string, because Azure reads every YAML scalar as a
//   string and converts it where it is used (its own editor validates the same way). So the
//   documents are parsed with the YAML failsafe schema, where every scalar is a string:
//   `default: false` or `timeoutInMinutes: 180` are then accepted, as Azure accepts them.
// - The schema has no place for conditional or loop insertions (`${{ if ... }}:` or
//   `${{ each ... }}:` as keys): every step, job and stage has `additionalProperties: false`.
//   The templates use none. Loops over the stacks are bash loops over
//   `${{ join(' ', parameters.stacks) }}`, and steps that apply to one language only carry a
//   runtime `condition:` that compares the parameter, e.g.
//   `eq('${{ parameters.language }}', 'python')`. A `${{ parameters.x }}` value is a string
//   wherever it appears, so it validates wherever a string does.
function parseForSchema(text: string): unknown {
  return YAML.parse(text, { schema: 'failsafe' });
}

function read(file: string): string {
  return fs.readFileSync(path.join(TEMPLATES, file), 'utf8');
}

function load(file: string): any {
  return YAML.parse(read(file));
}

/** Every step of a document, wherever it is (stages, jobs, deployment hooks, top level). */
function stepsOf(node: any): any[] {
  if (Array.isArray(node)) return node.flatMap(stepsOf);
  if (!node || typeof node !== 'object') return [];
  const own = Array.isArray(node.steps) ? node.steps : [];
  return [...own, ...Object.entries(node).filter(([k]) => k !== 'steps').flatMap(([, v]) => stepsOf(v)), ...own.flatMap(stepsOf)];
}

function awsScripts(node: any): string[] {
  return stepsOf(node).filter(s => s.task === 'AWSShellScript@1').map(s => s.inputs.inlineScript);
}

function stage(doc: any, id: string): any {
  const found = doc.stages.find((s: any) => s.stage === id);
  if (!found) throw new Error(`no stage ${id}: ${doc.stages.map((s: any) => s.stage)}`);
  return found;
}

/** Parameter values for rendering; booleans render as Azure renders them (True / False). */
type Params = Record<string, string | boolean | number | string[]>;

/**
 * Renders a script as Azure does at compile time, for the expressions the templates use:
 * `${{ parameters.x }}` and `${{ join('sep', parameters.x) }}`, and the macros given. Any other
 * expression or `$(Some.Variable)` macro is an error, so nothing is left unrendered unnoticed.
 */
function render(script: string, params: Params, macros: Record<string, string> = {}): string {
  const value = (name: string) => {
    if (!(name in params)) throw new Error(`no value for parameters.${name}`);
    return params[name];
  };
  let out = script.replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_m, expr: string) => {
    let m = /^parameters\.(\w+)$/.exec(expr);
    if (m) {
      const v = value(m[1]);
      if (Array.isArray(v)) throw new Error(`parameters.${m[1]} is a list: use join`);
      return typeof v === 'boolean' ? (v ? 'True' : 'False') : String(v);
    }
    m = /^join\('([^']*)', parameters\.(\w+)\)$/.exec(expr);
    if (m) return (value(m[2]) as string[]).join(m[1]);
    throw new Error(`the test renders no expression like \${{ ${expr} }}`);
  });
  out = out.replace(/\$\(([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)+)\)/g, (_m, name: string) => {
    if (!(name in macros)) throw new Error(`no value for the macro $(${name})`);
    return macros[name];
  });
  return out;
}

/**
 * Runs a rendered bash script with stand-ins for `aws` and `npx` on PATH. `aws` answers with
 * `awsAnswers` (a bash `case "$*" in ... esac` body); both record their arguments.
 */
function runScript(script: string, awsAnswers: string, cwd: string): { status: number | null; output: string; calls: string[] } {
  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'template-bin-'));
  const calls = path.join(bin, 'calls');
  try {
    fs.writeFileSync(path.join(bin, 'aws'), `#!/bin/bash\necho "aws $*" >> "${calls}"\ncase "$*" in\n${awsAnswers}\n  *) echo "unexpected aws call: $*" >&2; exit 255 ;;\nesac\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(bin, 'npx'), `#!/bin/bash\necho "npx $*" >> "${calls}"\n`, { mode: 0o755 });
    const file = path.join(bin, 'script.sh');
    fs.writeFileSync(file, script);
    const result = spawnSync('bash', [file], { cwd, env: { PATH: `${bin}:/usr/bin:/bin`, HOME: bin }, encoding: 'utf8', timeout: 30_000 });
    const recorded = fs.existsSync(calls) ? fs.readFileSync(calls, 'utf8').trim().split('\n') : [];
    return { status: result.status, output: `${result.stdout}${result.stderr}`, calls: recorded };
  } finally {
    fs.rmSync(bin, { recursive: true, force: true });
  }
}

/** A bash case pattern that matches exactly `text`. */
function pattern(text: string): string {
  return `"${text.replace(/[\\"$`]/g, '\\$&')}"`;
}

const COMMON: Params = {
  awsServiceConnection: 'aws-test', region: 'eu-west-1', stacks: ['Security', 'Network', 'Service'], workingDirectory: 'infra',
};

describe.each(FILES)('templates/%s', (file) => {
  test('parses as YAML without warnings', () => {
    const doc = YAML.parseDocument(read(file));
    expect(doc.errors).toEqual([]);
    expect(doc.warnings).toEqual([]);
  });

  test('is valid against the Azure Pipelines schema', () => {
    const ok = validate(parseForSchema(read(file)));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  test('declares every parameter it uses, and uses every parameter it declares', () => {
    const doc = load(file);
    const declared = doc.parameters.map((p: any) => p.name);
    const text = read(file).split('\n').filter(l => !l.trim().startsWith('#')).join('\n');
    const used = [...new Set([...text.matchAll(/parameters\.(\w+)/g)].map(m => m[1]))];
    expect(used.filter(u => !declared.includes(u))).toEqual([]);
    expect(declared.filter((d: string) => !used.includes(d))).toEqual([]);
  });

  test('passes every nested template the parameters it declares, and all it requires', () => {
    for (const step of stepsOf(load(file)).filter(s => s.template)) {
      expect(FILES).toContain(step.template);
      const nested = load(step.template).parameters;
      const passed = Object.keys(step.parameters ?? {});
      expect(passed.filter(p => !nested.some((n: any) => n.name === p))).toEqual([]);
      const required = nested.filter((n: any) => !('default' in n)).map((n: any) => n.name);
      expect(required.filter((r: string) => !passed.includes(r))).toEqual([]);
      // A passed value is the same-named parameter of the caller, or a literal.
      for (const [name, v] of Object.entries(step.parameters ?? {})) {
        if (typeof v === 'string' && v.startsWith('${{')) expect([`\${{ parameters.${name} }}`, '${{ parameters.smokeModel }}']).toContain(v);
      }
    }
  });

  test('every AWS step uses a service connection and the region of the parameters', () => {
    for (const step of stepsOf(load(file)).filter(s => s.task === 'AWSShellScript@1')) {
      expect(step.inputs).toMatchObject({ regionName: '${{ parameters.region }}', scriptType: 'inline' });
      expect(['${{ parameters.awsServiceConnection }}', '${{ parameters.lookupServiceConnection }}']).toContain(step.inputs.awsCredentials);
      expect(step.inputs.inlineScript).toMatch(/^set -euo pipefail\n/);
    }
  });
});

test('the three stages templates and the two steps templates are there', () => {
  expect(FILES).toEqual([
    'cdk-litellm-deploy.yml', 'cdk-litellm-redeploy.yml', 'cdk-litellm-setup.yml', 'cdk-litellm-smoke.yml', 'cdk-litellm-teardown.yml',
  ]);
});

describe('the schema check can fail', () => {
  test.each([
    ['a misspelled environment key on the deployment job', (d: any) => {
      const job = d.stages[2].jobs[0]; job.environmnt = job.environment; delete job.environment;
    }],
    ['an each-insertion among the steps', (d: any) => {
      d.stages[0].jobs[0].steps.push({ '${{ each stack in parameters.stacks }}': [{ script: 'echo' }] });
    }],
    ['an unknown AWSShellScript input', (d: any) => { d.stages[0].jobs[0].steps[2].inputs.awsCredential = 'x'; }],
    ['a deployment job without a strategy key name', (d: any) => {
      const job = d.stages[2].jobs[0]; job.strategy = { runonce: job.strategy.runOnce };
    }],
  ])('rejects the deploy template with %s', (_name, breakIt) => {
    const doc: any = parseForSchema(read('cdk-litellm-deploy.yml'));
    breakIt(doc);
    expect(validate(doc)).toBe(false);
  });
});

describe('cdk-litellm-deploy.yml', () => {
  const doc = load('cdk-litellm-deploy.yml');

  test('has the parameters of the brief, with their defaults', () => {
    const byName = Object.fromEntries(doc.parameters.map((p: any) => [p.name, p]));
    for (const name of ['awsServiceConnection', 'lookupServiceConnection', 'region', 'environment', 'smokeModel']) expect(byName[name]).toEqual({ name, type: 'string' });
    expect(byName.stacks).toEqual({ name: 'stacks', type: 'object' });
    expect(byName.nodeVersion.default).toBe('22.x');
    expect(byName.workingDirectory.default).toBe('.');
    expect(byName.urlOutput.default).toBe('Url');
    expect(byName.masterKeySecretOutput.default).toBe('MasterKeySecretArn');
  });

  test('runs Synth, Diff, Deploy and Validate in that order', () => {
    expect(doc.stages.map((s: any) => s.stage)).toEqual(['Synth', 'Diff', 'Deploy', 'Validate'].map(s => `\${{ parameters.stagePrefix }}${s}`));
    expect(doc.stages.slice(1).map((s: any) => s.dependsOn)).toEqual(doc.stages.slice(0, -1).map((s: any) => s.stage));
  });

  test('Synth runs cdk synth and publishes the cloud assembly the later stages deploy', () => {
    const synth = stage(doc, '${{ parameters.stagePrefix }}Synth');
    expect(awsScripts(synth)[0]).toContain('npx cdk synth --quiet --output cdk.out');
    expect(stepsOf(synth).find(s => s.publish)).toMatchObject({ publish: '${{ parameters.workingDirectory }}/cdk.out', artifact: '${{ parameters.stagePrefix }}cdk-out' });
    expect(stepsOf(synth).find(s => s.template)).toMatchObject({ template: 'cdk-litellm-setup.yml', parameters: { installApp: true } });
  });

  test('Diff runs cdk diff per stack against the synthesized assembly, from the template (no change set: no deploy role)', () => {
    const script = awsScripts(stage(doc, '${{ parameters.stagePrefix }}Diff'))[0];
    expect(script).toContain('for s in ${{ join(\' \', parameters.stacks) }}; do');
    expect(script).toContain('npx cdk diff "$s" --app "$(Pipeline.Workspace)/${{ parameters.stagePrefix }}cdk-out" --exclusively --method=template');
  });

  test('Synth and Diff, which run pull-request code, use the lookup-only connection; Deploy and Validate the deploy connection', () => {
    const connections = (id: string) => [...new Set(stepsOf(stage(doc, `\${{ parameters.stagePrefix }}${id}`))
      .filter(s => s.task === 'AWSShellScript@1' || s.template === 'cdk-litellm-smoke.yml')
      .map(s => s.inputs?.awsCredentials ?? s.parameters.awsServiceConnection))];
    expect(connections('Synth')).toEqual(['${{ parameters.lookupServiceConnection }}']);
    expect(connections('Diff')).toEqual(['${{ parameters.lookupServiceConnection }}']);
    expect(connections('Deploy')).toEqual(['${{ parameters.awsServiceConnection }}']);
    expect(connections('Validate')).toEqual(['${{ parameters.awsServiceConnection }}']);
  });

  test('the CDK CLI the app installs knows --method=template and says a change-set diff uses the deploy role', () => {
    const r = spawnSync(path.join(__dirname, '..', 'node_modules', '.bin', 'cdk'), ['diff', '--help'], { encoding: 'utf8', timeout: 60_000 });
    const help = r.stdout.replace(/\s+/g, ' ');
    expect(help).toMatch(/--method.*\[choices: "auto", "change-set", "template"\]/);
    expect(help).toContain('Both use the deploy role');
  });

  test('Deploy is a deployment job on the environment that deploys each stack in order, exclusively, without prompting', () => {
    const deploy = stage(doc, '${{ parameters.stagePrefix }}Deploy');
    expect(deploy.jobs).toHaveLength(1);
    const job = deploy.jobs[0];
    expect(job.deployment).toBe('DeployStacks');
    expect(job.environment).toBe('${{ parameters.environment }}');
    const steps = job.strategy.runOnce.deploy.steps;
    expect(steps[0]).toEqual({ checkout: 'self' });
    expect(steps.find((s: any) => s.download)).toMatchObject({ download: 'current', artifact: '${{ parameters.stagePrefix }}cdk-out' });
    const script = awsScripts(job)[0];
    const rendered = render(script, { ...COMMON, stagePrefix: '' }, { 'System.DefaultWorkingDirectory': '.', 'Pipeline.Workspace': '/pw' });
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-'));
    try {
      fs.mkdirSync(path.join(cwd, 'infra'));
      const run = runScript(rendered, '', cwd);
      expect(run.status).toBe(0);
      expect(run.calls).toEqual(['Security', 'Network', 'Service'].map(s => `npx cdk deploy ${s} --app /pw/cdk-out --require-approval never --exclusively --progress events`));
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  });

  test('Deploy and Validate run from main only by default, never for pull requests', () => {
    const condition = doc.parameters.find((p: any) => p.name === 'deployCondition').default;
    expect(condition).toBe('and(succeeded(), ne(variables[\'Build.Reason\'], \'PullRequest\'), eq(variables[\'Build.SourceBranch\'], \'refs/heads/main\'))');
    expect(stage(doc, '${{ parameters.stagePrefix }}Deploy').condition).toBe('${{ parameters.deployCondition }}');
    expect(stage(doc, '${{ parameters.stagePrefix }}Validate').condition).toBe('${{ parameters.deployCondition }}');
  });

  test('Validate runs the smoke test template, which calls cdk-litellm-smoke with the URL, model and key secret', () => {
    const validateStage = stage(doc, '${{ parameters.stagePrefix }}Validate');
    const smoke = stepsOf(validateStage).find(s => s.template === 'cdk-litellm-smoke.yml');
    expect(smoke.parameters).toMatchObject({ model: '${{ parameters.smokeModel }}', stacks: '${{ parameters.stacks }}' });
    const script = awsScripts(load('cdk-litellm-smoke.yml'))[0];
    expect(script).toContain('npx --no cdk-litellm-smoke --url "$url" --model "${{ parameters.model }}" --key-secret-arn "$secret_arn"');
  });
});

describe.each([
  ['cdk-litellm-deploy.yml', '${{ parameters.stagePrefix }}Deploy', 'deployTimeoutInMinutes'],
  ['cdk-litellm-redeploy.yml', '${{ parameters.stagePrefix }}Redeploy', 'stableTimeoutInMinutes'],
  ['cdk-litellm-teardown.yml', '${{ parameters.stagePrefix }}Teardown', undefined],
])('%s: credentials that last as long as the job', (file, stageId, timeoutParameter) => {
  const doc = load(file);
  const job = stage(doc, stageId).jobs[0];
  const defaultOf = (name: string) => doc.parameters.find((p: any) => p.name === name).default;

  test('the job sets aws.rolecredential.maxduration from credentialDurationSeconds (the toolkit assumes the role once per step, for 900 s by default)', () => {
    expect(job.variables).toEqual([{ name: 'aws.rolecredential.maxduration', value: '${{ parameters.credentialDurationSeconds }}' }]);
    const seconds = defaultOf('credentialDurationSeconds');
    expect(seconds).toBeGreaterThanOrEqual(900);
    expect(seconds).toBeLessThanOrEqual(43200);
    // The AWS step may run as long as the job (or the wait) does.
    const minutes = timeoutParameter ? defaultOf(timeoutParameter) : Number(job.timeoutInMinutes);
    expect(seconds).toBeGreaterThanOrEqual(minutes * 60);
  });
});

describe('cdk-litellm-smoke.yml finds the outputs and runs cdk-litellm-smoke', () => {
  const script = awsScripts(load('cdk-litellm-smoke.yml'))[0];
  let cwd: string;
  beforeEach(() => {
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'smoke-'));
    fs.mkdirSync(path.join(cwd, 'infra', 'node_modules', '.bin'), { recursive: true });
    fs.writeFileSync(path.join(cwd, 'infra', 'node_modules', '.bin', 'cdk-litellm-smoke'), '', { mode: 0o755 });
  });
  afterEach(() => fs.rmSync(cwd, { recursive: true, force: true }));

  const SMOKE_DEFAULTS: Params = {
    stacks: ['Prod/Network', 'Prod/LiteLlm'],
    model: 'claude-sonnet',
    outputStack: '',
    urlOutput: 'Url',
    masterKeySecretOutput: 'MasterKeySecretArn',
    expectDatabase: true,
    timeoutSeconds: 60,
  };
  const params = (extra: Params = {}): Params => ({ ...COMMON, ...SMOKE_DEFAULTS, ...extra });
  const run = (p: Params, answers: string) => runScript(render(script, p, { 'System.DefaultWorkingDirectory': cwd }), answers, cwd);
  const outputs = (stack: string, rows: string[]) =>
    `  ${pattern(`cloudformation describe-stacks --stack-name ${stack} --query Stacks[0].Outputs[].[OutputKey,OutputValue] --output text`)}) printf '${rows.join('\\n')}\\n' ;;`;
  const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:LiteLlmMasterKey-AbCdEf';

  test('the outputs CDK named with the construct path and a hash are found in the listed stacks (Stage/Stack named Stage-Stack)', () => {
    const r = run(params(), [
      outputs('Prod-Network', ['ExportsOutputRefNetworkVpc7FB7348F649FC110\\tvpc-1']),
      outputs('Prod-LiteLlm', ['LiteLlmUrl6395DAD7\\thttp://alb.example.com', `LiteLlmMasterKeySecretArn638EFF72\\t${ARN}`, 'ExportsOutputFnGetAttLiteLlmLoadBalancerDNSName5CBBD2BF\\talb.example.com']),
    ].join('\n'));
    expect(r.output).toContain('Url: Prod-LiteLlm LiteLlmUrl6395DAD7 -> http://alb.example.com');
    expect(r.status).toBe(0);
    expect(r.calls[r.calls.length - 1]).toBe(`npx --no cdk-litellm-smoke --url http://alb.example.com --model claude-sonnet --key-secret-arn ${ARN} --timeout-seconds 60`);
  });

  test('the stable keys of LiteLlmOutputs are found beside the platform\'s other outputs (the admin UI\'s URL is not the Url)', () => {
    const r = run(params(), [
      outputs('Prod-Network', ['ExportsOutputRefNetworkVpc7FB7348F649FC110\\tvpc-1']),
      outputs('Prod-LiteLlm', ['LiteLlmUrl\\thttp://alb.example.com', 'LiteLlmAdminUi\\thttp://alb.example.com/ui', `LiteLlmMasterKeySecretArn\\t${ARN}`,
        'LiteLlmUiCredentialsSecretArn\\tarn:ui', 'LiteLlmClusterName\\tc', 'LiteLlmServiceName\\ts', 'LiteLlmLogGroupName\\tl', 'LiteLlmDashboardName\\td', 'LiteLlmAlarmTopicArn\\tarn:t']),
    ].join('\n'));
    expect(r.output).toContain('Url: Prod-LiteLlm LiteLlmUrl -> http://alb.example.com');
    expect(r.status).toBe(0);
    expect(r.calls[r.calls.length - 1]).toBe(`npx --no cdk-litellm-smoke --url http://alb.example.com --model claude-sonnet --key-secret-arn ${ARN} --timeout-seconds 60`);
  });

  test('expectDatabase false adds --no-database; an exact output key and one stack narrow the search', () => {
    const r = run(params({ expectDatabase: false, outputStack: 'Other', urlOutput: 'ProxyUrl', masterKeySecretOutput: 'KeyArn' }), [
      outputs('Other', ['ProxyUrl\\thttps://llm.example.com', `KeyArn\\t${ARN}`, 'DashboardUrl\\thttps://console']),
    ].join('\n'));
    expect(r.status).toBe(0);
    expect(r.calls.filter(c => c.startsWith('aws')).every(c => c.includes('--stack-name Other '))).toBe(true);
    expect(r.calls[r.calls.length - 1]).toBe(`npx --no cdk-litellm-smoke --url https://llm.example.com --model claude-sonnet --key-secret-arn ${ARN} --timeout-seconds 60 --no-database`);
  });

  test('no matching output fails with what to pass, and two fail naming both', () => {
    const none = run(params(), [outputs('Prod-Network', ['None']), outputs('Prod-LiteLlm', ['None'])].join('\n'));
    expect(none.status).toBe(1);
    expect(none.output).toContain('##vso[task.logissue type=error]No output whose key ends in \'Url\' in the stacks: Prod-Network Prod-LiteLlm.');
    expect(none.calls.some(c => c.startsWith('npx'))).toBe(false);
    const two = run(params(), [
      outputs('Prod-Network', ['LiteLlmUrl6395DAD7\\thttp://a']),
      outputs('Prod-LiteLlm', ['OtherUrlABCDEF12\\thttp://b']),
    ].join('\n'));
    expect(two.status).toBe(1);
    expect(two.output).toContain('More than one output matches \'Url\' (stack key value): Prod-Network LiteLlmUrl6395DAD7 http://a Prod-LiteLlm OtherUrlABCDEF12 http://b.');
  });

  test('a stack that does not exist fails with the AWS CLI\'s message', () => {
    const r = run(params(), `  ${pattern('cloudformation describe-stacks --stack-name Prod-Network')}*) echo "An error occurred (ValidationError): Stack with id Prod-Network does not exist" >&2; exit 254 ;;`);
    expect(r.status).toBe(254);
    expect(r.output).toContain('Stack with id Prod-Network does not exist');
  });

  test('without the cdk-litellm-smoke command it fails saying where it comes from', () => {
    fs.rmSync(path.join(cwd, 'infra', 'node_modules'), { recursive: true });
    const r = run(params(), outputs('Prod-LiteLlm', ['LiteLlmUrl6395DAD7\\thttp://a', `LiteLlmMasterKeySecretArn638EFF72\\t${ARN}`]) + '\n' + outputs('Prod-Network', ['None']));
    expect(r.status).toBe(1);
    expect(r.output).toContain('node_modules/.bin/cdk-litellm-smoke not found in infra: it comes with the cdk-litellm npm package');
  });
});

describe('cdk-litellm-redeploy.yml', () => {
  const doc = load('cdk-litellm-redeploy.yml');
  const job = doc.stages[0].jobs[0];
  const script = awsScripts(job)[0];

  test('is a deployment job on the environment that forces a new deployment, waits, then runs the smoke test', () => {
    expect(job.deployment).toBe('ForceNewDeployment');
    expect(job.environment).toBe('${{ parameters.environment }}');
    // DescribeStackResources returns the first 100 resources only (CloudFormation API Reference).
    expect(script).toContain('aws cloudformation list-stack-resources');
    expect(script).not.toContain('describe-stack-resources');
    expect(script).toContain('AWS::ECS::Service');
    expect(script).toContain('--force-new-deployment');
    expect(script).toContain('aws ecs wait services-stable');
    const steps = job.strategy.runOnce.deploy.steps;
    expect(steps[steps.length - 1]).toMatchObject({ template: 'cdk-litellm-smoke.yml', parameters: { model: '${{ parameters.smokeModel }}' } });
  });

  const params: Params = { ...COMMON, serviceStack: '', stableTimeoutInMinutes: 30 };
  const SERVICE_ARN = 'arn:aws:ecs:eu-west-1:123456789012:service/LiteLlm-Cluster-AbC/LiteLlm-Service-XyZ';
  const resources = (stack: string, type: string, ids: string) =>
    `  ${pattern(`cloudformation list-stack-resources --stack-name ${stack} --query StackResourceSummaries[?ResourceType=='${type}'].PhysicalResourceId --output text`)}) echo "${ids}" ;;`;

  test('runs from deployBranch only (default main)', () => {
    expect(doc.parameters.find((p: any) => p.name === 'deployBranch')).toEqual({ name: 'deployBranch', type: 'string', default: 'refs/heads/main' });
    expect(doc.stages[0].condition).toBe('and(succeeded(), eq(variables[\'Build.SourceBranch\'], \'${{ parameters.deployBranch }}\'))');
  });
  const serviceIn = (stack: string, arn = SERVICE_ARN) => ['Security', 'Network', 'Service']
    .map(s => resources(s, 'AWS::ECS::Service', s === stack ? arn : 'None')).join('\n');
  const SVC = '--cluster LiteLlm-Cluster-AbC --service LiteLlm-Service-XyZ';
  const SVCS = '--cluster LiteLlm-Cluster-AbC --services LiteLlm-Service-XyZ';
  const ecs = (primaryAfter: string, rollout: string) => [
    `  ${pattern(`ecs update-service ${SVC} --force-new-deployment --query service.deployments[?status==\`PRIMARY\`] | [0].id --output text`)}) echo ecs-svc/111 ;;`,
    `  ${pattern(`ecs wait services-stable ${SVCS}`)}) exit 0 ;;`,
    `  ${pattern(`ecs describe-services ${SVCS} --query services[0].deployments[?status==\`PRIMARY\`] | [0].[id,rolloutState] --output text`)}) printf '${primaryAfter}\\t${rollout}\\n' ;;`,
    `  ${pattern(`ecs describe-services ${SVCS} --query services[0].events[:10].[createdAt,message] --output text`)}) echo "(service LiteLlm-Service-XyZ) rolling back to deployment ecs-svc/000" ;;`,
  ].join('\n');
  const run = (answers: string, p: Params = params) => runScript(render(script, p), answers, os.tmpdir());

  test('finds the one service in the stacks, takes its cluster from the ARN, and succeeds when the new deployment completes', () => {
    const r = run(`${serviceIn('Service')}\n${ecs('ecs-svc/111', 'COMPLETED')}`);
    expect(r.output).toContain('Deployment ecs-svc/111 completed');
    expect(r.status).toBe(0);
    expect(r.calls.filter(c => c.startsWith('aws ecs')).map(c => c.split(' ').slice(0, 3).join(' '))).toEqual([
      'aws ecs update-service', 'aws ecs wait', 'aws ecs describe-services',
    ]);
  });

  test('a deployment the circuit breaker rolled back fails, with the service events', () => {
    const r = run(`${serviceIn('Service')}\n${ecs('ecs-svc/222', 'COMPLETED')}`);
    expect(r.status).toBe(1);
    expect(r.output).toContain('The new deployment ecs-svc/111 did not complete: the primary deployment is ecs-svc/222 (COMPLETED); the circuit breaker rolled it back.');
    expect(r.output).toContain('rolling back to deployment ecs-svc/000');
  });

  test('no service, or more than one, fails asking for serviceStack', () => {
    const none = run(serviceIn('Nowhere'));
    expect(none.status).toBe(1);
    expect(none.output).toContain('Expected one AWS::ECS::Service in the stacks: Security Network Service; found 0: none. Pass serviceStack');
    const two = run(['Security', 'Network', 'Service'].map(s => resources(s, 'AWS::ECS::Service', s === 'Security' ? 'None' : `${SERVICE_ARN}${s}`)).join('\n'));
    expect(two.status).toBe(1);
    expect(two.output).toContain('found 2:');
    expect(two.calls.some(c => c.includes('update-service'))).toBe(false);
  });

  test('serviceStack narrows the search to one stack; an old-format ARN takes the stack\'s cluster', () => {
    const r = run([
      resources('Svc', 'AWS::ECS::Service', 'arn:aws:ecs:eu-west-1:123456789012:service/LiteLlm-Service-XyZ'),
      resources('Svc', 'AWS::ECS::Cluster', 'LiteLlm-Cluster-AbC'),
      ecs('ecs-svc/111', 'COMPLETED'),
    ].join('\n'), { ...params, serviceStack: 'Svc' });
    expect(r.status).toBe(0);
    expect(r.calls.filter(c => c.includes('list-stack-resources')).every(c => c.includes('--stack-name Svc '))).toBe(true);
  });
});

describe('cdk-litellm-teardown.yml', () => {
  const doc = load('cdk-litellm-teardown.yml');

  test('confirmTeardown is a boolean that defaults to false', () => {
    expect(doc.parameters.find((p: any) => p.name === 'confirmTeardown')).toEqual({ name: 'confirmTeardown', type: 'boolean', default: false });
  });

  test('the first step of the first stage is the guard, which fails with a clear message unless confirmTeardown is true', () => {
    const guard = doc.stages[0].jobs[0].steps[0];
    expect(guard.displayName).toBe('Guard: confirmTeardown must be true');
    for (const [confirm, status] of [[false, 1], [true, 0]] as const) {
      const r = runScript(render(guard.script, { ...COMMON, confirmTeardown: confirm }), '', os.tmpdir());
      expect(r.status).toBe(status);
      expect(r.calls).toEqual([]);
      if (!confirm) {
        expect(r.output).toContain('##vso[task.logissue type=error]Teardown not confirmed: nothing was destroyed. To destroy the stacks Security, Network, Service in eu-west-1, run the pipeline again with confirmTeardown set to true.');
      }
    }
  });

  test('the teardown stage runs only after the guard and only when confirmed, as a deployment job on the environment', () => {
    const teardown = doc.stages[1];
    expect(teardown.dependsOn).toBe(doc.stages[0].stage);
    expect(teardown.condition).toBe('and(succeeded(), eq(\'${{ parameters.confirmTeardown }}\', \'true\'), eq(variables[\'Build.SourceBranch\'], \'${{ parameters.deployBranch }}\'))');
    expect(doc.parameters.find((p: any) => p.name === 'deployBranch').default).toBe('refs/heads/main');
    expect(teardown.jobs[0].deployment).toBe('DestroyStacks');
    expect(teardown.jobs[0].environment).toBe('${{ parameters.environment }}');
  });

  test('destroys the stacks last first, each with --force', () => {
    const script = awsScripts(doc)[0];
    const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'teardown-'));
    try {
      fs.mkdirSync(path.join(cwd, 'infra'));
      const r = runScript(render(script, COMMON, { 'System.DefaultWorkingDirectory': cwd }), '', cwd);
      expect(r.status).toBe(0);
      expect(r.calls).toEqual(['Service', 'Network', 'Security'].map(s => `npx cdk destroy ${s} --force --exclusively`));
    } finally {
      fs.rmSync(cwd, { recursive: true, force: true });
    }
  });
});

describe('templates/README.md', () => {
  const readme = fs.readFileSync(path.join(TEMPLATES, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map(m => m[1]);

  test('has one pipeline snippet that pulls the templates from a tagged release of the GitHub repository', () => {
    expect(blocks).toHaveLength(1);
    const snippet = YAML.parse(blocks[0]);
    expect(snippet.resources.repositories).toEqual([expect.objectContaining({
      repository: 'cdklitellm', type: 'github', name: 'cdk-litellm/cdk-litellm', ref: expect.stringMatching(/^refs\/tags\/v/), endpoint: expect.any(String),
    })]);
  });

  test('lists ListStackResources, not DescribeStackResources, among the permissions, and both connections', () => {
    expect(readme).toContain('`cloudformation:ListStackResources`');
    expect(readme).not.toContain('DescribeStackResources');
    expect(readme).toContain('`lookupServiceConnection` (Synth, Diff)');
    expect(readme).toContain('cdk-hnb659fds-lookup-role-<account>-<region>');
    expect(readme.replace(/\s+/g, ' ')).toContain('**Branch control** with allowed branches `refs/heads/main` and "Verify branch protection" on');
    expect(readme).toContain('--max-session-duration');
    expect(readme).toContain('stops after 60 minutes');
  });

  test('uses the three stages templates with the parameters they declare and all they require', () => {
    const snippet = YAML.parse(blocks[0]);
    const uses = snippet.stages.flatMap((s: any) => Object.values(s).flat()) as any[];
    expect(uses.map(u => u.template)).toEqual(['deploy', 'redeploy', 'teardown'].map(t => `templates/cdk-litellm-${t}.yml@cdklitellm`));
    for (const use of uses) {
      const declared = load(path.basename(use.template.split('@')[0])).parameters;
      const passed = Object.keys(use.parameters);
      expect(passed.filter(p => !declared.some((d: any) => d.name === p))).toEqual([]);
      expect(declared.filter((d: any) => !('default' in d)).map((d: any) => d.name).filter((n: string) => !passed.includes(n))).toEqual([]);
    }
  });
});
