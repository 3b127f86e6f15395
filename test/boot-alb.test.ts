// Behind the load balancer, as LiteLLM (from the synthesized task definition of a platform
// with an HTTPS domain) sees it:
// - the real proxy keeps a keep-alive connection idle for longer than uvicorn's default 5 s
//   and serves its next request (the ALB reuses idle connections for its idle timeout; a
//   target that closed first would answer 502);
// - LiteLLM's own login code marks the session cookie Secure and sends the browser to the
//   platform's https URL, although the hop from the load balancer is plain HTTP. The real
//   proxy cannot show this here: every sign-in path stops at "DATABASE_URL missing" without
//   Prisma, whose engines this machine cannot download (admin_ui_utils.py:11-29), so the
//   functions its /login calls run in the pinned venv with the task's environment.
// A control with uvicorn's and LiteLLM's defaults (KEEPALIVE_TIMEOUT 5, no PROXY_BASE_URL)
// shows each test can fail.
import * as fs from 'fs';
import * as net from 'net';
import { App, Stack, aws_ec2 as ec2, aws_route53 as route53 } from 'aws-cdk-lib';
import * as YAML from 'yaml';
import { LiteLlmModel, LiteLlmPlatform } from '../src';
import { BootedProxy, ContainerDefinition, VENV, containersOf, envOf, litellmPython } from './boot/proxy';
import { loginResponses } from './boot/sign-in';

function platformContainers(): Record<string, ContainerDefinition> {
  const app = new App();
  const stack = new Stack(app, 'Alb', { env: { account: '123456789012', region: 'us-east-1' } });
  const hostedZone = route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'example.com' });
  new LiteLlmPlatform(stack, 'LiteLlm', { models: [LiteLlmModel.mock({ name: 'mock' })], loadBalancer: { domainName: 'llm', domainZone: hostedZone } });
  return containersOf(app.synth().getStackByName('Alb').template);
}

/** Sends two keep-alive requests on one connection, `idleMs` apart; the second's status line, or why there is none. */
async function secondRequestAfterIdle(port: number, idleMs: number): Promise<string> {
  const socket = net.connect(port, '127.0.0.1');
  let received = '';
  let closed = false;
  socket.on('data', d => { received += d.toString(); });
  socket.on('close', () => { closed = true; });
  socket.on('error', () => { closed = true; });
  const request = `GET /health/liveliness HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: keep-alive\r\n\r\n`;
  const waitFor = async (what: () => boolean, ms: number) => {
    const deadline = Date.now() + ms;
    while (!what() && Date.now() < deadline) await new Promise(r => setTimeout(r, 50));
  };
  await new Promise<void>(resolve => socket.once('connect', () => resolve()));
  socket.write(request);
  await waitFor(() => received.includes('alive'), 10_000);
  if (!received.startsWith('HTTP/1.1 200')) throw new Error(`the first request failed: ${received}`);
  received = '';
  await new Promise(r => setTimeout(r, idleMs));
  if (closed) {
    socket.destroy();
    return 'closed by the proxy while idle';
  }
  socket.write(request);
  await waitFor(() => received.length > 0 || closed, 10_000);
  socket.destroy();
  return received ? received.split('\r\n')[0] : 'closed by the proxy while idle';
}

beforeAll(() => {
  if (!fs.existsSync(`${VENV}/bin/litellm`)) throw new Error(`${VENV} has no LiteLLM proxy: run \`npx projen boot:setup\``);
});

describe.each([
  ['the platform\'s task definition', {}],
  ['a control with uvicorn\'s defaults', { KEEPALIVE_TIMEOUT: '5', PROXY_BASE_URL: '' }],
] as const)('behind the load balancer: %s', (_, env) => {
  const control = Object.keys(env).length > 0;
  let containers: Record<string, ContainerDefinition>;
  let proxy: BootedProxy;

  beforeAll(async () => {
    containers = platformContainers();
    proxy = await BootedProxy.start(containers, { env });
    await proxy.waitUntilLive();
  }, 180_000);

  afterAll(async () => {
    await proxy?.stop();
  });

  test('the task keeps idle connections longer than the load balancer\'s idle timeout and knows its https URL', () => {
    const settings = envOf(containers.litellm);
    expect(Number(settings.KEEPALIVE_TIMEOUT)).toBe(600 + 5);
    expect(settings.PROXY_BASE_URL).toBe('https://llm.example.com');
  });

  test(`a keep-alive connection idle for 7 s ${control ? 'is closed' : 'still serves its next request'}`, async () => {
    const status = await secondRequestAfterIdle(proxy.port, 7_000);
    expect(status).toBe(control ? 'closed by the proxy while idle' : 'HTTP/1.1 200 OK');
  }, 30_000);
});


test('LiteLLM\'s login response behind the HTTPS load balancer sets a Secure cookie and redirects to the platform\'s URL (control: neither)', () => {
  // WHEN
  const { platform, control } = loginResponses(envOf(platformContainers().litellm), {
    // What the target sees: plain HTTP from the load balancer's address inside the VPC.
    headers: { 'Host': 'llm.example.com', 'X-Forwarded-Proto': 'https', 'X-Forwarded-For': '203.0.113.7' }, peer: '10.0.0.45', server: '10.0.1.23',
  });

  // THEN
  expect(platform.cookie).toMatch(/^token=jwt;.*[Ss]ecure/);
  expect(platform.redirect).toBe('https://llm.example.com/ui?login=success');
  expect(control.cookie).not.toMatch(/[Ss]ecure/);
  expect(control.redirect).toBe('http://llm.example.com/ui?login=success');
}, 60_000);

/**
 * What LiteLLM's own functions make of a request the ALB forwards from a client that wrote
 * a private address into X-Forwarded-For (the ALB appends the address it saw: its `append`
 * mode), with the platform's general_settings and, as the control, without the hop count and
 * the sign-in proxies: MCP's internal check (ip_address_utils.py:284-374), the sign-in
 * limit's source (login_throttle.py:290-305) and `allowed_ips` (auth_utils.py:108-126).
 */
interface ForwardedFor {
  mcpIp: string; internal: boolean; loginSource: string; loginSourceLimited: boolean; allowedIpsPasses: boolean; baseUrl: string;
}

function forwardedFor(general: Record<string, unknown>, proxyBaseUrl: string, peer = '10.0.0.45'): Record<string, ForwardedFor> {
  const script = [
    'import json, os',
    'from starlette.requests import Request',
    'from litellm.proxy.auth.ip_address_utils import IPAddressUtils',
    'from litellm.proxy.auth.auth_utils import _check_valid_ip',
    'from litellm.proxy.auth.login_throttle import LoginThrottle',
    'from litellm.proxy._experimental.mcp_server.oauth_utils import get_request_base_url',
    'settings = json.loads(os.environ["GENERAL_SETTINGS"])',
    'def request(xff):',
    // The peer is the load balancer's address in the VPC.
    '    return Request({"type": "http", "scheme": "http", "method": "POST", "path": "/mcp", "query_string": b"", "root_path": "",',
    '                    "server": ("10.0.1.23", 4000), "client": (os.environ["PEER"], 51234),',
    '                    "headers": [(b"host", b"llm.example.com"), (b"x-forwarded-host", b"evil.example"), (b"x-forwarded-for", xff.encode())]})',
    'nets = IPAddressUtils.parse_internal_networks(settings.get("mcp_internal_ip_ranges"))',
    'out = {}',
    'for name, xff in [("forged", "10.1.2.3, 203.0.113.7"), ("internal", "10.8.0.9")]:',
    '    r = request(xff)',
    '    ip = IPAddressUtils.get_mcp_client_ip(r, general_settings=settings)',
    '    throttle = LoginThrottle.from_request(r, settings, None)',
    '    out[name] = {"mcpIp": ip, "internal": IPAddressUtils.is_internal_ip(ip, nets), "loginSource": throttle.client_ip,',
    '                 "loginSourceLimited": throttle.source_limit is not None,',
    '                 "allowedIpsPasses": _check_valid_ip(["10.1.2.3"], r, settings.get("use_x_forwarded_for"))[0],',
    '                 "baseUrl": get_request_base_url(r)}',
    'print(json.dumps(out))',
  ].join('\n');
  return litellmPython(script, { GENERAL_SETTINGS: JSON.stringify(general), PROXY_BASE_URL: proxyBaseUrl, PEER: peer });
}

test('LiteLLM takes the client from the address the load balancer appended, not a forged leftmost X-Forwarded-For (control: the forgery is internal)', () => {
  // GIVEN
  const stack = new Stack(new App(), 'Xff', { env: { account: '123456789012', region: 'us-east-1' } });
  // Clients straight at the load balancer (behind CloudFront, DEVELOPMENT's default: test/boot-cloudfront.test.ts).
  const platform = new LiteLlmPlatform(stack, 'LiteLlm', { models: [LiteLlmModel.mock({ name: 'mock' })], cloudFront: { enabled: false } });
  const general = YAML.parse(platform.service.renderedConfig).general_settings;
  const { mcp_xff_num_trusted_hops: _hops, trusted_proxy_ranges: _ranges, ...control } = general;

  // WHEN
  const baseUrl = envOf(platformContainers().litellm).PROXY_BASE_URL;
  const withPlatform = forwardedFor(general, baseUrl);
  const withoutHops = forwardedFor(control, baseUrl);

  // THEN: a client on the internet is external, whatever it writes, its sign-ins count per its own
  // address, and its X-Forwarded-Host builds no URL (PROXY_BASE_URL comes first).
  expect(withPlatform.forged).toEqual({
    mcpIp: '203.0.113.7', internal: false, loginSource: '203.0.113.7', loginSourceLimited: true, allowedIpsPasses: false, baseUrl: 'https://llm.example.com',
  });
  // A client inside the network (an internal load balancer) stays internal.
  expect(withPlatform.internal).toMatchObject({ mcpIp: '10.8.0.9', internal: true });
  expect(withoutHops.forged).toMatchObject({ mcpIp: '10.1.2.3, 203.0.113.7', internal: true, loginSource: '10.0.0.45', loginSourceLimited: false, allowedIpsPasses: false });
}, 60_000);

test('a load balancer in an imported VPC\'s secondary CIDR block is trusted: a forged header stays external (control: with the VPC\'s CIDR alone its own address is internal)', () => {
  // GIVEN: public subnets in 10.21.0.0/24 and 10.21.1.0/24, a block added to the VPC after 10.20.0.0/16
  const stack = new Stack(new App(), 'Secondary', { env: { account: '123456789012', region: 'us-east-1' } });
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-0123456789abcdef0',
    vpcCidrBlock: '10.20.0.0/16',
    availabilityZones: ['us-east-1a', 'us-east-1b'],
    publicSubnetIds: ['subnet-0a', 'subnet-0b'],
    publicSubnetIpv4CidrBlocks: ['10.21.0.0/24', '10.21.1.0/24'],
    privateSubnetIds: ['subnet-1a', 'subnet-1b'],
    privateSubnetIpv4CidrBlocks: ['10.20.1.0/24', '10.20.2.0/24'],
  });
  const general = YAML.parse(new LiteLlmPlatform(stack, 'LiteLlm', { models: [LiteLlmModel.mock({ name: 'mock' })], vpc, cloudFront: { enabled: false } }).service.renderedConfig).general_settings;
  const primaryOnly = { ...general, mcp_trusted_proxy_ranges: ['10.20.0.0/16'], trusted_proxy_ranges: ['10.20.0.0/16'] };

  // WHEN: the load balancer's node in 10.21.0.0/24 forwards the forged request
  const withPlatform = forwardedFor(general, 'https://llm.example.com', '10.21.0.10');
  const control = forwardedFor(primaryOnly, 'https://llm.example.com', '10.21.0.10');

  // THEN
  expect(withPlatform.forged).toMatchObject({ mcpIp: '203.0.113.7', internal: false, loginSource: '203.0.113.7' });
  expect(control.forged).toMatchObject({ mcpIp: '10.21.0.10', internal: true, loginSource: '10.21.0.10' });
}, 60_000);
