// The smoke test the package ships (`cdk-litellm-smoke`), run against the real LiteLLM proxy
// booted from a synthesized task definition (see test/boot/proxy.ts), and against small
// local servers for the failures a healthy proxy cannot show.
//
// There is no database here: the proxy's database layer needs Prisma engine binaries it
// downloads from the internet, which this machine cannot reach, so the proxy runs without
// one and the checks against it use expectDatabase: false (--no-database). One test keeps
// the default and shows that the readiness check then fails, naming the database.
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { LiteLlmModel, LiteLlmPlatform } from '../src';
import { BootedProxy, VENV, containersOf, freePort } from './boot/proxy';
import { main } from '../src/smoke/cli';
import { SMOKE_CHECKS, SmokeResult, runSmokeTest } from '../src/smoke/smoke';

const MODEL = 'mock-gpt';
const MOCK_TEXT = 'pong';
const CHECK_NAMES = [SMOKE_CHECKS.liveliness, SMOKE_CHECKS.readiness, SMOKE_CHECKS.models, SMOKE_CHECKS.completion, SMOKE_CHECKS.noKey];
const WRONG_KEY = `sk-wrong${'x'.repeat(20)}WRONGTAIL`;

function check(result: SmokeResult, name: string) {
  const found = result.checks.find(c => c.name === name);
  if (!found) throw new Error(`no check named ${name}: ${JSON.stringify(result.checks)}`);
  return found;
}

/** Runs the CLI's main and returns its exit status and everything it printed. */
async function runCli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((...a: unknown[]) => { out.push(a.join(' ')); });
  const error = jest.spyOn(console, 'error').mockImplementation((...a: unknown[]) => { err.push(a.join(' ')); });
  try {
    const code = await main(argv);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

describe('against the real proxy booted from the synthesized platform', () => {
  let proxy: BootedProxy | undefined;
  const key = () => proxy!.env.LITELLM_MASTER_KEY;
  const url = () => proxy!.baseUrl;

  beforeAll(async () => {
    if (!fs.existsSync(`${VENV}/bin/litellm`)) {
      throw new Error(`${VENV} has no LiteLLM proxy: run \`npx projen boot:setup\` (the test task runs it first)`);
    }
    const stack = new Stack(new App(), 'Smoke', { env: { account: '123456789012', region: 'us-east-1' } });
    // One task, one worker: the platform creates no cache, so no Redis is needed here.
    new LiteLlmPlatform(stack, 'LiteLlm', {
      models: [LiteLlmModel.mock({ name: MODEL, response: MOCK_TEXT })],
      service: { maxCapacity: 1 },
    });
    proxy = await BootedProxy.start(containersOf(Template.fromStack(stack).toJSON()));
    try {
      await proxy.waitUntilLive();
    } catch (e) {
      await proxy.stop();
      proxy = undefined;
      throw e;
    }
  }, 180_000);

  afterAll(async () => {
    await proxy?.stop();
  });

  test('every check passes with the master key and a configured model', async () => {
    const result = await runSmokeTest({ url: url(), masterKey: key(), model: MODEL, expectDatabase: false });
    expect(result.checks.map(c => c.name)).toEqual(CHECK_NAMES);
    expect(result.checks.filter(c => !c.ok)).toEqual([]);
    expect(result.ok).toBe(true);
    expect(check(result, SMOKE_CHECKS.completion).detail).toContain(MOCK_TEXT);
    expect(check(result, SMOKE_CHECKS.noKey).detail).toMatch(/^40[13]/);
    expect(JSON.stringify(result)).not.toContain(key());
  });

  test('a trailing slash on the URL is fine', async () => {
    const result = await runSmokeTest({ url: `${url()}/`, masterKey: key(), model: MODEL, expectDatabase: false });
    expect(result.ok).toBe(true);
  });

  test('a wrong key fails the models check saying the key is wrong, and prints no key', async () => {
    // Without a database LiteLLM answers a key that is not its master key with 400 "No connected db."
    // (it would look the key up there); with one, as deployed, it answers 401, shown further down
    // with a stand-in that answers as LiteLLM does.
    const result = await runSmokeTest({ url: url(), masterKey: WRONG_KEY, model: MODEL, expectDatabase: false });
    expect(result.ok).toBe(false);
    const models = check(result, SMOKE_CHECKS.models);
    expect(models.ok).toBe(false);
    expect(models.detail).toMatch(/^expected 200, got 400: .*No connected db\..*: the key is wrong$/);
    expect(check(result, SMOKE_CHECKS.liveliness).ok).toBe(true);
    expect(check(result, SMOKE_CHECKS.completion).ok).toBe(false);
    expect(check(result, SMOKE_CHECKS.noKey).ok).toBe(true);
    const printed = JSON.stringify(result);
    expect(printed).not.toContain(WRONG_KEY);
    expect(printed).not.toContain('WRONGTAIL');
    expect(printed).not.toContain(key());
  });

  test('a model the proxy is not configured with fails the models check, listing the models it has', async () => {
    const result = await runSmokeTest({ url: url(), masterKey: key(), model: 'no-such-model', expectDatabase: false });
    expect(result.ok).toBe(false);
    const models = check(result, SMOKE_CHECKS.models);
    expect(models.ok).toBe(false);
    expect(models.detail).toContain('"no-such-model"');
    expect(models.detail).toContain('"mock-gpt"');
    expect(check(result, SMOKE_CHECKS.completion).ok).toBe(false);
  });

  test('by default the readiness check requires a connected database, and says so when there is none', async () => {
    const result = await runSmokeTest({ url: url(), masterKey: key(), model: MODEL });
    const readiness = check(result, SMOKE_CHECKS.readiness);
    expect(readiness.ok).toBe(false);
    expect(readiness.detail).toMatch(/expected 200 with "db": "connected", got 200 with "db": /);
    expect(result.ok).toBe(false);
  });

  describe('the CLI', () => {
    const ENV = 'CDK_LITELLM_SMOKE_TEST_KEY';
    afterEach(() => { delete process.env[ENV]; });

    test('exits 0 with the key from --key-env, one ✓ line per check, and never prints the key', async () => {
      process.env[ENV] = key();
      const { code, out, err } = await runCli(['--url', url(), '--model', MODEL, '--key-env', ENV, '--no-database']);
      expect(err).toBe('');
      expect(code).toBe(0);
      for (const name of CHECK_NAMES) expect(out).toContain(`✓ ${name}: `);
      expect(out).not.toContain('✗');
      expect(out).toContain('all 5 checks passed');
      expect(out + err).not.toContain(key());
    });

    test('exits 1 with a wrong key, with a ✗ line for the models check', async () => {
      process.env[ENV] = WRONG_KEY;
      const { code, out, err } = await runCli(['--url', url(), '--model', MODEL, `--key-env=${ENV}`, '--no-database', '--timeout-seconds', '30']);
      expect(code).toBe(1);
      expect(out).toContain(`✗ ${SMOKE_CHECKS.models}: expected 200, got 400: `);
      expect(out).toMatch(/the key is wrong\n/);
      expect(out + err).not.toContain('WRONGTAIL');
    });

    test('reads the key with the AWS CLI from --key-secret-arn, in the secret\'s region', async () => {
      const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:LiteLlmMasterKey-AbCdEf';
      const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-aws-'));
      const expected = `secretsmanager get-secret-value --secret-id ${arn} --query SecretString --output text --region eu-west-1`;
      // A stand-in for the AWS CLI: prints the key only for exactly the expected call.
      fs.writeFileSync(path.join(bin, 'aws'), [
        '#!/bin/sh',
        `if [ "$*" = "${expected}" ]; then printf '%s\\n' "$FAKE_AWS_KEY"; exit 0; fi`,
        'echo "An error occurred (AccessDeniedException): unexpected call: $*" >&2; exit 254',
      ].join('\n'), { mode: 0o755 });
      const savedPath = process.env.PATH;
      process.env.PATH = `${bin}:${savedPath}`;
      process.env.FAKE_AWS_KEY = key();
      try {
        const ok = await runCli(['--url', url(), '--model', MODEL, '--key-secret-arn', arn, '--no-database']);
        expect(ok.err).toBe('');
        expect(ok.code).toBe(0);
        expect(ok.out).not.toContain(key());
        const denied = await runCli(['--url', url(), '--model', MODEL, '--key-secret-arn', `${arn}-other`, '--no-database']);
        expect(denied.code).toBe(1);
        expect(denied.err).toContain(`cannot read the master key from ${arn}-other with the AWS CLI: An error occurred (AccessDeniedException)`);
      } finally {
        process.env.PATH = savedPath;
        delete process.env.FAKE_AWS_KEY;
        fs.rmSync(bin, { recursive: true, force: true });
      }
    });
  });
});

describe('the CLI\'s usage errors exit 2 with the usage text', () => {
  test.each([
    ['no --url', ['--model', MODEL], '--url is required'],
    ['no --model', ['--url', 'http://127.0.0.1:1'], '--model is required'],
    ['both key sources', ['--url', 'http://127.0.0.1:1', '--model', MODEL, '--key-env', 'A', '--key-secret-arn', 'B'], 'not both'],
    ['an unknown flag', ['--url', 'http://127.0.0.1:1', '--model', MODEL, '--verbose'], 'unknown argument: --verbose'],
    ['a flag without its value', ['--model', MODEL, '--url'], '--url needs a value'],
    ['a bad timeout', ['--url', 'http://127.0.0.1:1', '--model', MODEL, '--timeout-seconds', 'soon'], '--timeout-seconds must be a positive number'],
    ['a URL that is not http(s)', ['--url', 'ftp://example.com', '--model', MODEL], '--url must be an http(s) URL'],
  ])('%s', async (_name, argv, message) => {
    const { code, out, err } = await runCli(argv);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toContain(message);
    expect(err).toContain('usage: cdk-litellm-smoke --url URL --model NAME');
  });

  test('an unset key variable is a failure (1), not a usage error', async () => {
    delete process.env.CDK_LITELLM_SMOKE_UNSET;
    const { code, err } = await runCli(['--url', 'http://127.0.0.1:1', '--model', MODEL, '--key-env', 'CDK_LITELLM_SMOKE_UNSET']);
    expect(code).toBe(1);
    expect(err).toContain('the environment variable CDK_LITELLM_SMOKE_UNSET is unset or empty');
  });
});

describe('failures a healthy proxy cannot show', () => {
  const servers: http.Server[] = [];
  afterAll(async () => {
    await Promise.all(servers.map(s => new Promise(r => s.close(r))));
  });

  /** A local server that answers every request with `answer(req)`. */
  async function serve(answer: (req: http.IncomingMessage) => { status: number; body: unknown }): Promise<string> {
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const { status, body } = answer(req);
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(typeof body === 'string' ? body : JSON.stringify(body));
      });
    });
    servers.push(server);
    const port = await freePort();
    await new Promise<void>(r => server.listen(port, '127.0.0.1', r));
    return `http://127.0.0.1:${port}`;
  }

  const healthy = (req: http.IncomingMessage) => {
    if (req.url === '/health/readiness') return { status: 200, body: { status: 'healthy', db: 'connected' } };
    if (req.url === '/v1/models') return { status: 200, body: { data: [{ id: MODEL }] } };
    if (req.url === '/v1/chat/completions') return { status: 200, body: { choices: [{ message: { content: 'hi' } }] } };
    return { status: 200, body: 'I\'m alive!' };
  };

  // What LiteLLM with its database (as deployed) answers to a key that is not valid: 401, with
  // part of the key it received in the message (see litellm/proxy/auth/user_api_key_auth.py).
  test.each([
    ['an sk- key', `sk-wrong${'x'.repeat(20)}WRONGTAIL`, (k: string) => `Authentication Error, Invalid proxy server token passed. Received API Key = sk-...${k.slice(-4)}, Key Hash (Token) =0f3a. Unable to find token in cache or \`LiteLLM_VerificationTokenTable\``],
    ['a key without sk-', `wrong${'y'.repeat(20)}WRONGTAIL`, (k: string) => `Authentication Error, LiteLLM Virtual Key expected. Received=${k.slice(0, 4)}****${k.slice(-4)}, expected to start with 'sk-'.`],
  ])('a proxy with a database answers a wrong key (%s) with 401: the models check names the 401, the key is wrong, and prints no key', async (_n, wrongKey, message) => {
    const url = await serve(req => req.url!.startsWith('/health/') || req.headers.authorization === 'Bearer sk-right'
      ? healthy(req)
      : { status: 401, body: { error: { message: message(wrongKey), type: 'auth_error', param: 'None', code: '401' } } });
    const result = await runSmokeTest({ url, masterKey: wrongKey, model: MODEL });
    const models = check(result, SMOKE_CHECKS.models);
    expect(models.ok).toBe(false);
    expect(models.detail).toMatch(/^expected 200, got 401: \{"error":\{"message":"Authentication Error, .*: the proxy rejected the key, so the key is wrong/);
    const printed = JSON.stringify(result);
    expect(printed).not.toContain(wrongKey);
    expect(printed).not.toContain('TAIL');
    expect(printed).not.toContain('Received=wron');
    expect(printed).not.toMatch(/xxxx|yyyy/);
    expect(check(result, SMOKE_CHECKS.noKey).ok).toBe(true);
  });

  test('a proxy that answers without a key fails the last check', async () => {
    const url = await serve(healthy);
    const result = await runSmokeTest({ url, masterKey: 'sk-test', model: MODEL });
    expect(check(result, SMOKE_CHECKS.readiness)).toEqual({ name: SMOKE_CHECKS.readiness, ok: true, detail: '200, database connected' });
    expect(check(result, SMOKE_CHECKS.noKey)).toEqual({
      name: SMOKE_CHECKS.noKey, ok: false, detail: 'expected 401 or 403, got 200: the proxy answered without a key',
    });
    expect(result.checks.filter(c => !c.ok).map(c => c.name)).toEqual([SMOKE_CHECKS.noKey]);
  });

  test('a body that echoes the key is redacted from the message', async () => {
    const masterKey = `sk-${'k'.repeat(40)}SECRETTAIL`;
    const url = await serve(req => req.url === '/v1/chat/completions' && req.headers.authorization
      ? { status: 500, body: { error: `upstream failed for ${req.headers.authorization} (key ${masterKey.slice(-14)})` } }
      : healthy(req));
    const result = await runSmokeTest({ url, masterKey, model: MODEL });
    const completion = check(result, SMOKE_CHECKS.completion);
    expect(completion.ok).toBe(false);
    expect(completion.detail).toMatch(/^expected 200 from model "mock-gpt", got 500: /);
    expect(JSON.stringify(result)).not.toContain('SECRETTAIL');
    expect(JSON.stringify(result)).not.toContain(masterKey);
  });

  test('a 200 without a content string fails the completion check, quoting the body', async () => {
    const url = await serve(req => req.url === '/v1/chat/completions' ? { status: 200, body: { choices: [] } } : healthy(req));
    const result = await runSmokeTest({ url, masterKey: 'sk-test', model: MODEL });
    expect(check(result, SMOKE_CHECKS.completion).detail).toBe('expected 200 with choices[0].message.content a string, got 200: {"choices":[]}');
  });

  test('a proxy that does not answer fails liveliness and runs nothing else', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const result = await runSmokeTest({ url, masterKey: 'sk-test', model: MODEL, timeoutMs: 5_000 });
    expect(result.ok).toBe(false);
    expect(result.checks[0].detail).toMatch(/^no answer to GET http:\/\/127\.0\.0\.1:\d+\/health\/liveliness: .*ECONNREFUSED/);
    expect(result.checks.slice(1).map(c => c.detail)).toEqual(Array(4).fill('not run: the proxy did not answer /health/liveliness'));
  });

  test('a request that takes too long is reported with the time allowed', async () => {
    const server = http.createServer(() => { /* never answers */ });
    servers.push(server);
    const port = await freePort();
    await new Promise<void>(r => server.listen(port, '127.0.0.1', r));
    const result = await runSmokeTest({ url: `http://127.0.0.1:${port}`, masterKey: 'sk-test', model: MODEL, timeoutMs: 300 });
    expect(result.checks[0].detail).toBe(`no answer to GET http://127.0.0.1:${port}/health/liveliness within 300 ms`);
    server.closeAllConnections();
  });
});
