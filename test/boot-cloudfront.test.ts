// Behind CloudFront and the load balancer, as LiteLLM (from the synthesized task definition of
// the one-liner, which puts CloudFront in front of a DEVELOPMENT platform) sees a request:
// - CloudFront appends the viewer's address to X-Forwarded-For and the load balancer appends the
//   address it accepted the connection from (the VPC origin's), so the chain reads
//   `<whatever the client wrote>, <client>, <VPC origin>`
//   (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/RequestAndResponseBehaviorCustomOrigin.html#RequestCustomIPAddresses);
// - CloudFront removes the client's X-Forwarded-Proto (same page, "X-Forwarded-Proto | CloudFront
//   removes the header"), and the load balancer, whose listener is HTTP on 80 behind the VPC
//   origin, writes `http`; CloudFront-Forwarded-Proto says `https` when a policy forwards it;
// - the Host is the distribution's name (the AllViewer origin request policy forwards it).
// The real proxy, started from the task, answers through those headers and hands out the
// distribution's https URL; LiteLLM's own sign-in code (which needs a database to run whole,
// see test/boot-alb.test.ts) sets a Secure cookie and redirects to that URL; its MCP client
// check takes the client, not the forged leftmost entry. Controls without PROXY_BASE_URL and
// with the load balancer's single hop show each check can fail.
import * as fs from 'fs';
import * as net from 'net';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as YAML from 'yaml';
import { LiteLlmModel, LiteLlmPlatform } from '../src';
import { BootedProxy, ContainerDefinition, VENV, containersOf, envOf, litellmPython } from './boot/proxy';
import { loginResponses } from './boot/sign-in';

/** The distribution's name as CloudFront would give it (the Developer Guide's example name). */
const DISTRIBUTION = 'd111111abcdef8.cloudfront.net';
const URL = `https://${DISTRIBUTION}`;
/** A client on the internet, and the private address it writes first to pass as internal. */
const CLIENT = '203.0.113.7';
const FORGED = '10.1.2.3';
/**
 * The address the load balancer appends: the VPC origin's. Whether the load balancer sees a
 * private address of the VPC origin's interface or one of CloudFront's origin-facing addresses
 * (the prefix list com.amazonaws.global.cloudfront.origin-facing) is not settled in any AWS text
 * found (/work/notes/cf-docs.md): both are checked.
 */
const VPC_ORIGIN = { 'private': '10.0.2.77', 'origin-facing': '130.176.0.9' } as const;
/** The load balancer's own address in the VPC: the peer LiteLLM sees. */
const LOAD_BALANCER = '10.0.1.45';

interface Synthesized {
  readonly containers: Record<string, ContainerDefinition>;
  readonly general: Record<string, unknown>;
  /** The task's PROXY_BASE_URL as the template has it (a deploy-time value). */
  readonly proxyBaseUrl: unknown;
  /** The logical id of the template's CloudFront distribution. */
  readonly distributionId: string;
}

function synthesize(): Synthesized {
  const app = new App();
  const stack = new Stack(app, 'CloudFront', { env: { account: '123456789012', region: 'us-east-1' } });
  const platform = new LiteLlmPlatform(stack, 'LiteLlm', { models: [LiteLlmModel.mock({ name: 'mock' })] });
  const template = app.synth().getStackByName('CloudFront').template;
  const containers = containersOf(template);
  const distributions = Object.entries<any>(template.Resources).filter(([, r]) => r.Type === 'AWS::CloudFront::Distribution');
  if (distributions.length !== 1) throw new Error(`expected the one-liner to have one CloudFront distribution, found ${distributions.length}`);
  return {
    containers,
    general: YAML.parse(platform.service.renderedConfig).general_settings,
    proxyBaseUrl: containers.litellm.Environment?.find(e => e.Name === 'PROXY_BASE_URL')?.Value,
    distributionId: distributions[0][0],
  };
}

/** The headers of a request CloudFront forwarded and the load balancer passed on. */
function edgeHeaders(vpcOrigin: string): Record<string, string> {
  return {
    'Host': DISTRIBUTION,
    'X-Forwarded-For': `${FORGED}, ${CLIENT}, ${vpcOrigin}`,
    'X-Forwarded-Proto': 'http',
    'X-Forwarded-Port': '80',
    'CloudFront-Forwarded-Proto': 'https',
    'Via': '2.0 0123456789abcdef0123456789abcdef.cloudfront.net (CloudFront)',
    'X-Amz-Cf-Id': 'Zf2-EXAMPLE-request-id==',
  };
}

let synthesized: Synthesized;

beforeAll(() => {
  if (!fs.existsSync(`${VENV}/bin/litellm`)) throw new Error(`${VENV} has no LiteLLM proxy: run \`npx projen boot:setup\``);
  synthesized = synthesize();
});

test('the task knows the distribution\'s https URL and reads the client two hops from the right of X-Forwarded-For', () => {
  expect(synthesized.proxyBaseUrl).toEqual({ 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [synthesized.distributionId, 'DomainName'] }]] });
  expect(synthesized.general).toMatchObject({ use_x_forwarded_for: true, mcp_xff_num_trusted_hops: 2 });
  expect(synthesized.general.mcp_trusted_proxy_ranges).toEqual(expect.arrayContaining(['10.0.0.0/8']));
});

describe.each([
  ['the platform\'s task, with the distribution\'s URL', URL],
  ['a control without PROXY_BASE_URL', ''],
] as const)('the real proxy behind CloudFront: %s', (_, proxyBaseUrl) => {
  let proxy: BootedProxy;

  beforeAll(async () => {
    // The deploy-time PROXY_BASE_URL (the distribution's name) gets the name above.
    proxy = await BootedProxy.start(synthesized.containers, { env: { PROXY_BASE_URL: proxyBaseUrl } });
    await proxy.waitUntilLive();
  }, 180_000);

  afterAll(async () => {
    await proxy?.stop();
  });

  test('answers /health/liveliness with the headers CloudFront and the load balancer send', async () => {
    const { status, body } = await rawGet(proxy.port, '/health/liveliness', edgeHeaders(VPC_ORIGIN.private));
    expect(status).toBe(200);
    expect(body).toContain('alive');
  });

  test(`hands out ${proxyBaseUrl ? 'the distribution\'s https URL' : 'an http URL (the load balancer\'s X-Forwarded-Proto, the Host)'} in its OAuth discovery`, async () => {
    const { status, body } = await rawGet(proxy.port, '/.well-known/oauth-protected-resource', edgeHeaders(VPC_ORIGIN.private));
    expect(status).toBe(200);
    const document = JSON.parse(body);
    expect(document.resource).toBe(proxyBaseUrl ? URL : `http://${DISTRIBUTION}`);
    expect(document.authorization_servers).toEqual([`${proxyBaseUrl ? URL : `http://${DISTRIBUTION}`}/mcp`]);
  });
});

/** A GET over a plain socket with exactly these headers (fetch sets Host from the URL): the status and the body. */
async function rawGet(port: number, path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    socket.setTimeout(15_000, () => socket.destroy(new Error(`GET ${path}: no answer in 15 s`)));
    socket.on('data', d => { received += d.toString(); });
    socket.on('error', reject);
    socket.on('close', () => {
      const [head, ...rest] = received.split('\r\n\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
      resolve({ status, body: dechunk(head, rest.join('\r\n\r\n')) });
    });
    const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
    socket.write(`GET ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\nConnection: close\r\n\r\n`);
  });
}

function dechunk(head: string, body: string): string {
  if (!/transfer-encoding: chunked/i.test(head)) return body;
  let out = '';
  let rest = body;
  for (;;) {
    const eol = rest.indexOf('\r\n');
    const size = parseInt(rest.slice(0, eol), 16);
    if (!size) return out;
    out += rest.slice(eol + 2, eol + 2 + size);
    rest = rest.slice(eol + 2 + size + 2);
  }
}


test.each([
  ['http, as the load balancer writes it behind CloudFront', 'http'],
  ['https', 'https'],
])('LiteLLM\'s sign-in behind CloudFront (X-Forwarded-Proto %s) sets a Secure cookie and redirects to the distribution (control: neither)', (_, forwardedProto) => {
  // WHEN
  // The deploy-time PROXY_BASE_URL (the distribution's name) gets the name above.
  const { platform, control } = loginResponses({ ...envOf(synthesized.containers.litellm), PROXY_BASE_URL: URL }, {
    headers: { ...edgeHeaders(VPC_ORIGIN.private), 'X-Forwarded-Proto': forwardedProto }, peer: LOAD_BALANCER, server: '10.0.3.12',
  });

  // THEN
  expect(platform.cookie).toMatch(/^token=jwt;.*[Ss]ecure/);
  expect(platform.redirect).toBe(`${URL}/ui?login=success`);
  expect(control.cookie).not.toMatch(/[Ss]ecure/);
  expect(control.redirect).toBe(`http://${DISTRIBUTION}/ui?login=success`);
}, 60_000);

/**
 * What LiteLLM's MCP access check (`IPAddressUtils.get_mcp_client_ip`,
 * auth/ip_address_utils.py:284-374, with `mcp_xff_num_trusted_hops` read at :356-371 and the
 * entry counted from the right at :230-257) and its internal-network test make of a request
 * whose client wrote a private address first, for each address the load balancer may append.
 */
function mcpClient(general: Record<string, unknown>): Record<string, { ip: string; internal: boolean }> {
  const script = [
    'import json, os',
    'from starlette.requests import Request',
    'from litellm.proxy.auth.ip_address_utils import IPAddressUtils',
    'settings = json.loads(os.environ["GENERAL_SETTINGS"])',
    'nets = IPAddressUtils.parse_internal_networks(settings.get("mcp_internal_ip_ranges"))',
    'out = {}',
    'for name, xff in json.loads(os.environ["CHAINS"]).items():',
    '    r = Request({"type": "http", "scheme": "http", "method": "POST", "path": "/mcp", "query_string": b"", "root_path": "",',
    '                 "server": ("10.0.3.12", 4000), "client": (os.environ["PEER"], 51234),',
    '                 "headers": [(b"host", os.environ["HOST"].encode()), (b"x-forwarded-for", xff.encode())]})',
    '    ip = IPAddressUtils.get_mcp_client_ip(r, general_settings=settings)',
    '    out[name] = {"ip": ip, "internal": IPAddressUtils.is_internal_ip(ip, nets)}',
    'print(json.dumps(out))',
  ].join('\n');
  const chains = Object.fromEntries(Object.entries(VPC_ORIGIN).map(([name, address]) => [name, `${FORGED}, ${CLIENT}, ${address}`]));
  return litellmPython(script, {
    GENERAL_SETTINGS: JSON.stringify(general), CHAINS: JSON.stringify(chains), PEER: LOAD_BALANCER, HOST: DISTRIBUTION,
  });
}

test('LiteLLM takes the client CloudFront appended, not the forged leftmost X-Forwarded-For entry, whichever address the load balancer appends (controls: one hop, or none)', () => {
  // GIVEN
  const general = synthesized.general;
  const { mcp_xff_num_trusted_hops: _hops, ...noHops } = general;

  // WHEN
  const platform = mcpClient(general);
  const oneHop = mcpClient({ ...general, mcp_xff_num_trusted_hops: 1 });
  const legacy = mcpClient(noHops);

  // THEN: the client on the internet is external, whatever it writes first
  expect(platform).toEqual({ 'private': { ip: CLIENT, internal: false }, 'origin-facing': { ip: CLIENT, internal: false } });
  // One hop (the load balancer alone) takes the VPC origin's address: every caller looks like the
  // VPC itself when that address is private.
  expect(oneHop).toEqual({ 'private': { ip: VPC_ORIGIN.private, internal: true }, 'origin-facing': { ip: VPC_ORIGIN['origin-facing'], internal: false } });
  // Without a hop count LiteLLM reads the chain from the left: the forgery passes as internal.
  expect(legacy.private.internal).toBe(true);
  expect(legacy.private.ip.startsWith(FORGED)).toBe(true);
}, 60_000);

/**
 * LiteLLM's own settings store loaded with the rendered general_settings, as the proxy loads its
 * config (proxy_server.py:5546-5549, 5407-5412), then what the admin UI's "add allowed IP" does
 * (`_store_allowed_ips`, proxy_setting_endpoints.py:639-651, called by /add/allowed_ip) and what
 * every later request meets (`_check_valid_ip`, auth_utils.py:108-126), for a request through
 * CloudFront; and the sign-in limit's source for it (login_throttle.py:290-305).
 */
interface BehindTheEdge {
  addStatus: number; addError: string; admitted: boolean; loginSource: string; loginSourceLimited: boolean;
}

function behindTheEdge(general: Record<string, unknown>): BehindTheEdge {
  const script = [
    'import json, os',
    'from fastapi import HTTPException',
    'from starlette.requests import Request',
    'from litellm.proxy.config_resolvers.settings_store import SettingsStore',
    'from litellm.proxy.proxy_server import _reload_settings_store',
    'from litellm.proxy.ui_crud_endpoints.proxy_setting_endpoints import _store_allowed_ips',
    'from litellm.proxy.auth.auth_utils import _check_valid_ip',
    'from litellm.proxy.auth.login_throttle import LoginThrottle',
    'store = SettingsStore("general_settings")',
    '_reload_settings_store("general_settings", store, json.loads(os.environ["GENERAL_SETTINGS"]))',
    'r = Request({"type": "http", "scheme": "http", "method": "POST", "path": "/login", "query_string": b"", "root_path": "",',
    '             "server": ("10.0.3.12", 4000), "client": (os.environ["PEER"], 51234),',
    '             "headers": [(b"host", os.environ["HOST"].encode()), (b"x-forwarded-for", os.environ["XFF"].encode())]})',
    'status, error = 200, ""',
    'try:',
    '    _store_allowed_ips(store, [os.environ["CLIENT"]])',
    'except HTTPException as e:',
    '    status, error = e.status_code, e.detail["error"]',
    'throttle = LoginThrottle.from_request(r, store, None)',
    'print(json.dumps({"addStatus": status, "addError": error, "admitted": _check_valid_ip(store.get("allowed_ips"), r, store.get("use_x_forwarded_for"))[0],',
    '                  "loginSource": throttle.client_ip, "loginSourceLimited": throttle.source_limit is not None}))',
  ].join('\n');
  return litellmPython(script, {
    GENERAL_SETTINGS: JSON.stringify(general), XFF: `${FORGED}, ${CLIENT}, ${VPC_ORIGIN.private}`, CLIENT, PEER: LOAD_BALANCER, HOST: DISTRIBUTION,
  });
}

test('the admin UI cannot add an allowed IP behind CloudFront, which would lock everyone out; sign-ins count per client (control: without the platform\'s keys)', () => {
  // GIVEN
  const { allowed_ips: _allowed, trusted_proxy_ranges: _ranges, ...control } = synthesized.general;

  // WHEN
  const platform = behindTheEdge(synthesized.general);
  const without = behindTheEdge(control);

  // THEN: the config owns allowed_ips (null: every address), so LiteLLM refuses the write with its
  // 400, and the client's requests still pass; its failed sign-ins count under its own address.
  expect(synthesized.general).toHaveProperty('allowed_ips', null);
  expect(platform).toEqual({
    addStatus: 400,
    addError: expect.stringContaining('general_settings.allowed_ips is set in the config file'),
    admitted: true,
    loginSource: CLIENT,
    loginSourceLimited: true,
  });
  // Without them the write is taken, and the client itself is refused from then on (LiteLLM
  // compares the whole header); sign-ins count per username only.
  expect(without).toMatchObject({ addStatus: 200, admitted: false, loginSourceLimited: false });
}, 60_000);

/**
 * A stream whose first token takes longer than CloudFront's origin response timeout: LiteLLM
 * sends nothing until the provider's first chunk unless its keep-alive is on, so CloudFront would
 * answer 504. Here the timeout is 8 s (the platform's keep-alive half of it, 4 s) and the
 * provider takes 6 s: the platform's proxy writes `: ping` within the timeout, the control
 * (the keep-alive line removed from the config) writes its first byte only after 6 s.
 */
describe.each([
  ['the platform\'s config', (yaml: string) => yaml, true],
  ['a control without the keep-alive', (yaml: string) => yaml.replace(/^ {2}sse_keepalive_ping_interval_seconds: .*\n/m, ''), false],
] as const)('a slow stream behind CloudFront: %s', (_, editConfig, pings) => {
  let proxy: BootedProxy;
  let rendered: string;

  beforeAll(async () => {
    const stack = new Stack(new App(), 'SlowStream', { env: { account: '123456789012', region: 'us-east-1' } });
    const slow = LiteLlmModel.custom({
      name: 'slow',
      needsInternet: false,
      litellmParams: { model: 'openai/mock', mock_response: 'a considered answer', mock_delay: 6 },
    });
    const platform = new LiteLlmPlatform(stack, 'LiteLlm', { models: [slow], cloudFront: { originResponseTimeout: Duration.seconds(8) } });
    rendered = platform.service.renderedConfig;
    proxy = await BootedProxy.start(containersOf(Template.fromStack(stack).toJSON()), { editConfig });
    await proxy.waitUntilLive();
  }, 180_000);

  afterAll(async () => {
    await proxy?.stop();
  });

  test(pings ? 'writes `: ping` before the first token, within the origin response timeout, then the answer' : 'writes nothing until the first token', async () => {
    // GIVEN
    expect(YAML.parse(rendered).litellm_settings.sse_keepalive_ping_interval_seconds).toBe(4);
    const started = Date.now();

    // WHEN
    const res = await fetch(`${proxy.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'Authorization': `Bearer ${proxy.env.LITELLM_MASTER_KEY}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ model: 'slow', stream: true, messages: [{ role: 'user', content: 'think first' }] }),
    });
    const reader = res.body!.getReader();
    const chunks: { at: number; text: string }[] = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push({ at: Date.now() - started, text: Buffer.from(value).toString('utf8') });
    }
    const body = chunks.map(c => c.text).join('');

    // THEN
    expect(res.status).toBe(200);
    expect(body).toContain('data: [DONE]');
    expect(body).toContain('"content":"a c"');
    if (pings) {
      expect(chunks[0].text.startsWith(': ping')).toBe(true);
      expect(chunks[0].at).toBeLessThan(8_000);
    } else {
      expect(body).not.toContain(': ping');
      expect(chunks[0].at).toBeGreaterThanOrEqual(6_000);
    }
  }, 60_000);
});
