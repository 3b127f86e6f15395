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
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import { App, Stack, aws_route53 as route53 } from 'aws-cdk-lib';
import { LiteLlmModel, LiteLlmPlatform } from '../src';
import { BootedProxy, ContainerDefinition, VENV, containersOf, envOf } from './boot/proxy';

function platformContainers(): Record<string, ContainerDefinition> {
  const app = new App();
  const stack = new Stack(app, 'Alb', { env: { account: '123456789012', region: 'us-east-1' } });
  const hostedZone = route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'example.com' });
  new LiteLlmPlatform(stack, 'LiteLlm', { models: [LiteLlmModel.mock({ name: 'mock' })], loadBalancer: { domain: { hostedZone, recordName: 'llm' } } });
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

/**
 * The Set-Cookie and redirect LiteLLM's /login would send for a request the ALB forwards over
 * HTTP, with the task's environment and, as the control, without its PROXY_BASE_URL: one
 * Python process, as importing LiteLLM takes seconds.
 */
interface Login { readonly cookie: string; readonly redirect: string }

function loginResponses(task: Record<string, string>): { platform: Login; control: Login } {
  const script = [
    'import os',
    'from starlette.requests import Request',
    'from starlette.responses import RedirectResponse',
    'from litellm.proxy.management_endpoints.ui_sso import set_session_token_cookie',
    'from litellm.proxy.utils import get_custom_url',
    // What the target sees: plain HTTP from the load balancer's address inside the VPC.
    'scope = {"type": "http", "scheme": "http", "method": "POST", "path": "/login", "query_string": b"", "root_path": "",',
    '         "server": ("10.0.1.23", 4000), "client": ("10.0.0.45", 51234),',
    '         "headers": [(b"host", b"llm.example.com"), (b"x-forwarded-proto", b"https"), (b"x-forwarded-for", b"203.0.113.7")]}',
    'def login():',
    '    request = Request(scope)',
    // proxy_server.py:17857-17860: the /login redirect target.
    '    response = RedirectResponse(url=get_custom_url(str(request.base_url)).rstrip("/") + "/ui?login=success", status_code=303)',
    '    set_session_token_cookie(response, request, "jwt")',
    '    print(response.headers["set-cookie"]); print(response.headers["location"])',
    'login()',
    'del os.environ["PROXY_BASE_URL"]',
    'login()',
  ].join('\n');
  const settings = Object.fromEntries(Object.entries(task).filter(([n]) => !n.startsWith('DATABASE_') && n !== 'IAM_TOKEN_DB_AUTH'));
  const out = execFileSync(`${VENV}/bin/python3`, ['-c', script], { encoding: 'utf8', env: { ...settings, PATH: '/usr/bin:/bin' } }).trim().split('\n');
  return { platform: { cookie: out[0], redirect: out[1] }, control: { cookie: out[2], redirect: out[3] } };
}

test('LiteLLM\'s login response behind the HTTPS load balancer sets a Secure cookie and redirects to the platform\'s URL (control: neither)', () => {
  // WHEN
  const { platform, control } = loginResponses(envOf(platformContainers().litellm));

  // THEN
  expect(platform.cookie).toMatch(/^token=jwt;.*[Ss]ecure/);
  expect(platform.redirect).toBe('https://llm.example.com/ui?login=success');
  expect(control.cookie).not.toMatch(/[Ss]ecure/);
  expect(control.redirect).toBe('http://llm.example.com/ui?login=success');
}, 60_000);
