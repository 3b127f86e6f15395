import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { MOCK_MODEL, MOCK_TEXT } from '../integ/assertions';

// The integration scenarios prove the proxy works only through the assertions
// they deploy. This test synthesizes each integ/integ.*.ts exactly as
// integ-runner does (ts-node, CDK_OUTDIR) and checks that its assertion stack
// still makes every call: someone deleting or weakening an assertion fails here,
// long before a pipeline with AWS credentials would notice.

const ROOT = path.resolve(__dirname, '..');
const INTEG_DIR = path.join(ROOT, 'integ');
const INTEG_FILES = fs.readdirSync(INTEG_DIR).filter(f => /^integ\..+\.ts$/.test(f)).sort();
/** Scenarios that also assert the WAF association and the Multi-AZ, encrypted database. */
const PRODUCTION_FILES = ['integ.production.ts'];

const HTTP_CALL = 'Custom::DeployAssert@HttpCall';

interface Resource {
  readonly id: string;
  readonly type: string;
  readonly props: any;
}

/** The assertion stack's template of each scenario. */
const assertionTemplates = new Map<string, any>();
const outDirs: string[] = [];

/** Runs `file` the way integ-runner does and returns its `*DeployAssert*` template. */
async function synthAssertions(file: string): Promise<any> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-litellm-integ-'));
  outDirs.push(outdir);
  await promisify(execFile)(
    path.join(ROOT, 'node_modules', '.bin', 'ts-node'),
    ['-T', '-P', 'tsconfig.dev.json', '--prefer-ts-exts', path.join('integ', file)],
    { cwd: ROOT, env: { ...process.env, CDK_OUTDIR: outdir }, maxBuffer: 64 * 1024 * 1024 },
  );
  const templates = fs.readdirSync(outdir).filter(f => /DeployAssert.*\.template\.json$/.test(f));
  if (templates.length !== 1) throw new Error(`${file}: expected one *DeployAssert*.template.json in ${outdir}, found ${templates.join(', ') || 'none'}`);
  return JSON.parse(fs.readFileSync(path.join(outdir, templates[0]), 'utf-8'));
}

beforeAll(async () => {
  const synthesized = await Promise.all(INTEG_FILES.map(synthAssertions));
  INTEG_FILES.forEach((file, i) => assertionTemplates.set(file, synthesized[i]));
}, 300_000);

afterAll(() => {
  for (const dir of outDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function resources(file: string): Resource[] {
  return Object.entries<any>(assertionTemplates.get(file).Resources)
    .map(([id, r]) => ({ id, type: r.Type, props: r.Properties ?? {} }));
}

/** A CloudFormation string as text, references as `<…>`, enough to read a URL's path. */
function text(value: any): string {
  if (typeof value === 'string') return value;
  if (value?.['Fn::Join']) return value['Fn::Join'][1].map(text).join(value['Fn::Join'][0]);
  return '<ref>';
}

function httpCalls(file: string, urlPath: string): Resource[] {
  return resources(file).filter(r => r.type === HTTP_CALL && text(r.props.parameters.url).endsWith(urlPath));
}

function sdkCalls(file: string, service: string, api: string): Resource[] {
  return resources(file).filter(r => r.type === `Custom::DeployAssert@SdkCall${service}${api}`
    && r.props.service === service && r.props.api === api);
}

function expected(r: Resource): any {
  return JSON.parse(r.props.expected);
}

const CHAT_BODY = { model: MOCK_MODEL, messages: [{ role: 'user', content: 'ping' }] };

test('the integration scenarios are all found', () => {
  // THEN
  expect(INTEG_FILES).toEqual(expect.arrayContaining(['integ.default.ts', 'integ.five-stacks.ts', 'integ.production.ts']));
});

describe.each(INTEG_FILES)('%s assertion stack', file => {
  test('GET /health/liveliness expects 200, retried until the first deploy is up', () => {
    // GIVEN / WHEN
    const calls = httpCalls(file, '/health/liveliness');

    // THEN
    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(text(call.props.parameters.url)).toMatch(/^https?:\/\/<ref>\/health\/liveliness$/);
    expect(call.props.parameters.fetchOptions?.method ?? 'GET').toBe('GET');
    expect(expected(call)).toEqual({ $ObjectLike: { status: 200 } });
    expect(call.props.stateMachineArn).toBeDefined();
  });

  test('GET /health/readiness expects the database connected', () => {
    // GIVEN / WHEN
    const calls = httpCalls(file, '/health/readiness');

    // THEN
    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(call.props.parameters.fetchOptions?.method ?? 'GET').toBe('GET');
    expect(expected(call)).toMatchObject({ $ObjectLike: { status: 200, body: { db: 'connected' } } });
    expect(call.props.stateMachineArn).toBeDefined();
  });

  test('reads the master key with SecretsManager getSecretValue', () => {
    // GIVEN / WHEN
    const calls = sdkCalls(file, 'SecretsManager', 'getSecretValue');

    // THEN
    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(JSON.stringify(call.props.parameters.SecretId)).toMatch(/MasterKey/);
    expect(call.props.outputPaths).toContain('SecretString');
  });

  test('POST /v1/chat/completions with the master key as Bearer token expects 200 and the mock text', () => {
    // GIVEN
    const [getSecret] = sdkCalls(file, 'SecretsManager', 'getSecretValue');

    // WHEN
    const authorized = httpCalls(file, '/v1/chat/completions').filter(r => r.props.parameters.fetchOptions?.headers?.Authorization);

    // THEN
    expect(authorized).toHaveLength(1);
    const [call] = authorized;
    const fetchOptions = call.props.parameters.fetchOptions;
    expect(fetchOptions.method).toBe('POST');
    expect(fetchOptions.headers.Authorization).toEqual({
      'Fn::Join': ['', ['Bearer ', { 'Fn::GetAtt': [getSecret.id, 'apiCallResponse.SecretString'] }]],
    });
    expect(JSON.parse(fetchOptions.body)).toEqual(CHAT_BODY);
    expect(expected(call)).toMatchObject({
      $ObjectLike: { status: 200, body: { choices: [{ message: { content: MOCK_TEXT } }] } },
    });
    expect(call.props.stateMachineArn).toBeDefined();
  });

  test('the same POST without Authorization expects 401', () => {
    // GIVEN / WHEN
    const anonymous = httpCalls(file, '/v1/chat/completions').filter(r => !r.props.parameters.fetchOptions?.headers?.Authorization);

    // THEN
    expect(anonymous).toHaveLength(1);
    const [call] = anonymous;
    const fetchOptions = call.props.parameters.fetchOptions;
    expect(fetchOptions.method).toBe('POST');
    expect(Object.keys(fetchOptions.headers).map(h => h.toLowerCase())).not.toContain('authorization');
    expect(JSON.parse(fetchOptions.body)).toEqual(CHAT_BODY);
    expect(expected(call)).toEqual({ $ObjectLike: { status: 401 } });
    expect(call.props.stateMachineArn).toBeDefined();
  });
});

describe.each(INTEG_FILES.filter(f => PRODUCTION_FILES.includes(f)))('%s production assertions', file => {
  test('WAFV2 getWebACLForResource finds the web ACL on the load balancer', () => {
    // GIVEN / WHEN
    const calls = sdkCalls(file, 'WAFV2', 'getWebACLForResource');

    // THEN
    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(call.props.parameters.ResourceArn).toBeDefined();
    expect(JSON.stringify(call.props.expected)).toMatch(/WebACL\\?":\{\\?"ARN\\?":/);
  });

  test('RDS describeDBInstances expects Multi-AZ and encrypted storage', () => {
    // GIVEN / WHEN
    const calls = sdkCalls(file, 'RDS', 'describeDBInstances');

    // THEN
    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(call.props.parameters.DBInstanceIdentifier).toBeDefined();
    expect(expected(call)).toMatchObject({ $ObjectLike: { DBInstances: [{ MultiAZ: true, StorageEncrypted: true }] } });
  });
});
