import { execFile } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { CHAT_PROBE_CODE, MOCK_MODEL, MOCK_TEXT } from '../integ/assertions';

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
/** Scenarios that call the proxy through a CloudFront distribution and assert the load balancer is internal. */
const CLOUDFRONT_FILES = ['integ.cloudfront.ts'];

const HTTP_CALL = 'Custom::DeployAssert@HttpCall';

interface Resource {
  readonly id: string;
  readonly type: string;
  readonly props: any;
}

/** The assertion stack's template of each scenario. */
const assertionTemplates = new Map<string, any>();
/** Every stack's template of each scenario, by file name. */
const allTemplates = new Map<string, Record<string, any>>();
/** The integ manifest (integ.json) of each scenario. */
const manifests = new Map<string, any>();
const outDirs: string[] = [];

/** Runs `file` the way integ-runner does and returns its templates and manifest. */
async function synth(file: string): Promise<{ templates: Record<string, any>; manifest: any }> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-litellm-integ-'));
  outDirs.push(outdir);
  await promisify(execFile)(
    path.join(ROOT, 'node_modules', '.bin', 'ts-node'),
    ['-T', '-P', 'tsconfig.dev.json', '--prefer-ts-exts', path.join('integ', file)],
    { cwd: ROOT, env: { ...process.env, CDK_OUTDIR: outdir }, maxBuffer: 64 * 1024 * 1024 },
  );
  const templates = Object.fromEntries(fs.readdirSync(outdir).filter(f => f.endsWith('.template.json'))
    .map(f => [f.replace(/\.template\.json$/, ''), JSON.parse(fs.readFileSync(path.join(outdir, f), 'utf-8'))]));
  return { templates, manifest: JSON.parse(fs.readFileSync(path.join(outdir, 'integ.json'), 'utf-8')) };
}

beforeAll(async () => {
  const synthesized = await Promise.all(INTEG_FILES.map(synth));
  INTEG_FILES.forEach((file, i) => {
    const { templates, manifest } = synthesized[i];
    const assertions = Object.keys(templates).filter(name => /DeployAssert/.test(name));
    if (assertions.length !== 1) throw new Error(`${file}: expected one *DeployAssert* template, found ${assertions.join(', ') || 'none'}`);
    assertionTemplates.set(file, templates[assertions[0]]);
    allTemplates.set(file, templates);
    manifests.set(file, manifest);
  });
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
  expect(INTEG_FILES).toEqual(expect.arrayContaining(['integ.default.ts', 'integ.five-stacks.ts', 'integ.production.ts', ...CLOUDFRONT_FILES]));
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

  test('no assertion reads the master key: the chat probe function does, and is invoked with a payload that holds no secret', () => {
    // GIVEN / WHEN
    const probes = resources(file).filter(r => r.type === 'AWS::Lambda::Function' && r.props.Code?.ZipFile === CHAT_PROBE_CODE);
    const invokes = sdkCalls(file, 'Lambda', 'invoke');

    // THEN
    expect(sdkCalls(file, 'SecretsManager', 'getSecretValue')).toEqual([]);
    expect(probes).toHaveLength(1);
    const [probe] = probes;
    expect(JSON.stringify(probe.props.Environment.Variables.MASTER_KEY_SECRET_ARN)).toMatch(/MasterKey/);
    expect(probe.props.Environment.Variables.MODEL).toBe(MOCK_MODEL);
    expect(invokes).toHaveLength(1);
    const [invoke] = invokes;
    expect(invoke.props.parameters.FunctionName).toEqual({ 'Fn::Join': ['', ['"', { Ref: probe.id }, '"']] });
    expect(JSON.parse(JSON.parse(invoke.props.parameters.Payload))).toEqual({ withKey: true });
    expect(expected(invoke)).toEqual({ $ObjectLike: { Payload: { $SerializedJson: { status: 200, content: MOCK_TEXT } } } });
    expect(invoke.props.stateMachineArn).toBeDefined();
  });

  test('no assertion sends an Authorization header: the authenticated call is the probe\'s', () => {
    expect(httpCalls(file, '/v1/chat/completions').filter(r => r.props.parameters.fetchOptions?.headers?.Authorization)).toEqual([]);
  });

  test('no assertion\'s event, which the handler logs and Step Functions keeps, refers to the master key or a secret value', () => {
    // The handler logs the whole event (lambda-handler/index.js `Event:`), the SDK call's parameters
    // and response (sdk.js), the fetch options (http.js), and a waiter's execution input is the
    // event: everything it can log is in these properties or comes back from the calls they name.
    const asserted = resources(file).filter(r => r.type.startsWith('Custom::DeployAssert@'));
    expect(asserted.length).toBeGreaterThanOrEqual(4);
    for (const r of asserted) {
      expect(JSON.stringify(r.props)).not.toMatch(/MasterKey|SecretString|resolve:secretsmanager|GetSecretValue/i);
    }
    // The only API responses that come back to an assertion are the probe's payload, health
    // checks, the 401 and the production calls at one path each.
    const apis = asserted.filter(r => r.props.service).map(r => `${r.props.service}.${r.props.api}`);
    const known = ['Lambda.invoke', 'WAFV2.getWebACLForResource', 'RDS.describeDBInstances', 'ELBv2.describeLoadBalancers', 'CloudFront.getDistributionConfig'];
    expect(apis.filter(a => !known.includes(a))).toEqual([]);
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
  /** A custom resource's response may not exceed 4,096 bytes: each call returns the path it asserts only. */
  function assertedAt(call: Resource): string {
    expect(call.props.flattenResponse).toBe('true');
    expect(call.props.outputPaths).toEqual([call.props.actualPath]);
    return call.props.actualPath;
  }

  test('WAFV2 getWebACLForResource: the web ACL on the load balancer, at WebACL.ARN only', () => {
    // GIVEN / WHEN
    const calls = sdkCalls(file, 'WAFV2', 'getWebACLForResource');

    // THEN
    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(call.props.parameters.ResourceArn).toBeDefined();
    expect(assertedAt(call)).toBe('WebACL.ARN');
    expect(JSON.stringify(call.props.expected)).toMatch(/\$Exact.*WebAcl.*Arn/);
  });

  test('RDS describeDBInstances: Multi-AZ and encrypted storage, each at its own path', () => {
    // GIVEN / WHEN
    const calls = sdkCalls(file, 'RDS', 'describeDBInstances');

    // THEN
    expect(Object.fromEntries(calls.map(c => [assertedAt(c), expected(c)]))).toEqual({
      'DBInstances.0.MultiAZ': { $Exact: true },
      'DBInstances.0.StorageEncrypted': { $Exact: true },
    });
    for (const call of calls) expect(call.props.parameters.DBInstanceIdentifier).toBeDefined();
  });
});

describe.each(INTEG_FILES.filter(f => CLOUDFRONT_FILES.includes(f)))('%s CloudFront assertions', file => {
  /** The resource an `Fn::ImportValue` of the scenario's stacks reads (Ref or GetAtt of its export), and the attribute. */
  function imported(value: any): { type: string; attribute?: string } {
    const name = value?.['Fn::ImportValue'];
    expect(typeof name).toBe('string');
    for (const template of Object.values(allTemplates.get(file)!)) {
      const output = Object.values<any>(template.Outputs ?? {}).find(o => o.Export?.Name === name);
      if (!output) continue;
      const [id, attribute] = output.Value['Fn::GetAtt'] ?? [output.Value.Ref];
      return { type: template.Resources[id].Type, attribute };
    }
    throw new Error(`no stack of ${file} exports ${name}`);
  }

  function assertedAt(call: Resource): string {
    expect(call.props.flattenResponse).toBe('true');
    expect(call.props.outputPaths).toEqual([call.props.actualPath]);
    return call.props.actualPath;
  }

  test('every HTTP call goes to https://<the distribution\'s domain name>, none to the load balancer', () => {
    // GIVEN / WHEN
    const calls = resources(file).filter(r => r.type === HTTP_CALL);

    // THEN: liveliness, readiness and the 401, each on the distribution's name over HTTPS
    expect(calls.map(c => text(c.props.parameters.url).replace(/^https:\/\/<ref>/, '')).sort())
      .toEqual(['/health/liveliness', '/health/readiness', '/v1/chat/completions']);
    for (const call of calls) {
      const [, parts] = call.props.parameters.url['Fn::Join'];
      expect(parts[0]).toBe('https://');
      expect(imported(parts[1])).toEqual({ type: 'AWS::CloudFront::Distribution', attribute: 'DomainName' });
    }
  });

  test('the chat probe calls the distribution too', () => {
    const [probe] = resources(file).filter(r => r.type === 'AWS::Lambda::Function' && r.props.Code?.ZipFile === CHAT_PROBE_CODE);
    const [, parts] = probe.props.Environment.Variables.PROXY_URL['Fn::Join'];
    expect(parts[0]).toBe('https://');
    expect(imported(parts[1])).toEqual({ type: 'AWS::CloudFront::Distribution', attribute: 'DomainName' });
  });

  test('ELBv2 describeLoadBalancers: the load balancer is internal, at LoadBalancers.0.Scheme only, with an elasticloadbalancing: permission', () => {
    // GIVEN / WHEN
    const calls = sdkCalls(file, 'ELBv2', 'describeLoadBalancers');

    // THEN
    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(assertedAt(call)).toBe('LoadBalancers.0.Scheme');
    expect(expected(call)).toEqual({ $Exact: 'internal' });
    const statements = resources(file).filter(r => r.type === 'AWS::IAM::Role')
      .flatMap(r => (r.props.Policies ?? []).flatMap((p: any) => p.PolicyDocument.Statement));
    expect(statements.flatMap((st: any) => [st.Action].flat()).filter((a: string) => /DescribeLoadBalancers/.test(a)))
      .toEqual(['elasticloadbalancing:DescribeLoadBalancers']);
  });

  test('CloudFront getDistributionConfig: the VPC origin\'s response timeout is the 60 s CloudFront allows without a quota raise', () => {
    // GIVEN / WHEN
    const calls = sdkCalls(file, 'CloudFront', 'getDistributionConfig');

    // THEN
    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(assertedAt(call)).toBe('DistributionConfig.Origins.Items.0.VpcOriginConfig.OriginReadTimeout');
    expect(expected(call)).toEqual({ $Exact: 60 });
    expect(imported(call.props.parameters.Id['Fn::Join'][1][1])).toEqual({ type: 'AWS::CloudFront::Distribution', attribute: undefined });
  });

  test('WAFV2 getWebACLForResource: the load balancer\'s web ACL (its rate rule counts the viewer header CloudFront writes)', () => {
    const calls = sdkCalls(file, 'WAFV2', 'getWebACLForResource');
    expect(calls).toHaveLength(1);
    expect(assertedAt(calls[0])).toBe('WebACL.ARN');
  });
});

describe.each(INTEG_FILES)('%s leaves nothing behind', file => {
  test('integ-runner does not deploy the committed snapshot first (stackUpdateWorkflow: false)', () => {
    const cases = Object.values<any>(manifests.get(file).testCases);
    expect(cases.length).toBeGreaterThan(0);
    for (const c of cases) expect(c.stackUpdateWorkflow).toBe(false);
  });

  test('no resource of any stack is retained or snapshotted on delete, and every bucket empties itself', () => {
    for (const [stack, template] of Object.entries(allTemplates.get(file)!)) {
      const all = Object.entries<any>(template.Resources ?? {});
      const kept = all.filter(([, r]) => ['Retain', 'Snapshot', 'RetainExceptOnCreate'].includes(r.DeletionPolicy) || ['Retain', 'Snapshot', 'RetainExceptOnCreate'].includes(r.UpdateReplacePolicy));
      expect({ stack, kept: kept.map(([id]) => id) }).toEqual({ stack, kept: [] });
      const emptied = all.filter(([, r]) => r.Type === 'Custom::S3AutoDeleteObjects').map(([, r]) => JSON.stringify(r.Properties.BucketName));
      for (const [id] of all.filter(([, r]) => r.Type === 'AWS::S3::Bucket')) expect(emptied).toContain(JSON.stringify({ Ref: id }));
    }
  });
});

describe('the chat probe, run here against a stand-in proxy and Secrets Manager', () => {
  const KEY = 'sk-integ-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH';
  const secrets = mockClient(SecretsManagerClient);
  let server: http.Server;
  let answer: (auth: string | undefined) => { status: number; body: unknown };
  const received: Array<string | undefined> = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      received.push(req.headers.authorization);
      req.resume();
      req.on('end', () => {
        const { status, body } = answer(req.headers.authorization);
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      });
    });
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>(resolve => server.close(() => resolve())));
  beforeEach(() => {
    secrets.reset();
    secrets.on(GetSecretValueCommand).resolves({ SecretString: KEY });
    received.length = 0;
  });

  /** Loads CHAT_PROBE_CODE as Lambda would and invokes it, recording everything it writes. */
  async function invoke(event: unknown): Promise<{ result: any; logged: string }> {
    const lines: string[] = [];
    const spies = (['log', 'info', 'warn', 'error', 'debug', 'trace'] as const)
      .map(level => jest.spyOn(console, level).mockImplementation((...args: unknown[]) => { lines.push(args.map(a => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')); }));
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: any) => { lines.push(String(chunk)); return true; });
    const env = { ...process.env };
    process.env.PROXY_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    process.env.MASTER_KEY_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:LiteLlmMasterKey-AbCdEf';
    process.env.MODEL = MOCK_MODEL;
    try {
      const module = { exports: {} as any };
      new Function('require', 'module', 'exports', CHAT_PROBE_CODE)(require, module, module.exports);
      const result = await module.exports.handler(event);
      return { result, logged: lines.join('\n') };
    } finally {
      process.env = env;
      spies.forEach(s => s.mockRestore());
      write.mockRestore();
    }
  }

  test('sends the key it read as a Bearer token, and returns the status and the text without logging anything', async () => {
    answer = auth => ({ status: auth === `Bearer ${KEY}` ? 200 : 401, body: { choices: [{ message: { content: MOCK_TEXT } }] } });
    const { result, logged } = await invoke({ withKey: true });
    expect(received).toEqual([`Bearer ${KEY}`]);
    expect(result).toEqual({ status: 200, content: MOCK_TEXT });
    expect(logged).toBe('');
    expect(secrets.commandCalls(GetSecretValueCommand)[0].args[0].input).toEqual({ SecretId: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:LiteLlmMasterKey-AbCdEf' });
  });

  test('an answer that echoes the key does not carry it into the result (the assertion handler logs the result)', async () => {
    answer = auth => ({ status: 401, body: { error: { message: `Authentication Error, received ${auth}` }, choices: [{ message: { content: `your key is ${KEY}` } }] } });
    const { result, logged } = await invoke({ withKey: true });
    expect(JSON.stringify(result)).not.toContain(KEY);
    expect(result).toEqual({ status: 401, content: 'your key is [master key]' });
    expect(logged).not.toContain(KEY);
  });

  test('without withKey it reads no secret and sends no Authorization', async () => {
    answer = auth => ({ status: auth ? 200 : 401, body: {} });
    const { result } = await invoke({});
    expect(received).toEqual([undefined]);
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(0);
    expect(result).toEqual({ status: 401, content: null });
  });
});
