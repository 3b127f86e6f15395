// Boots the real LiteLLM proxy (pinned to LiteLlmImage.DEFAULT_VERSION, installed in
// .venv-litellm by `npx projen boot:setup`) from the task definitions of platforms whose config
// carries the sections beyond the models and settings: a guardrail LiteLLM runs itself
// (`litellm_content_filter`) and an MCP server, and checks that LiteLLM does with them what the
// config says. As in test/boot.test.ts, the proxy runs without its database (Prisma's engines
// cannot be downloaded here): the master key is the one key it knows.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as YAML from 'yaml';
import { LiteLlmConfigOptions, LiteLlmGuardrail, LiteLlmMcpServer, LiteLlmModel, LiteLlmPlatform } from '../src';
import { LocalMcpServer } from './boot/mcp';
import { BootedProxy, ContainerDefinition, VENV, containersOf } from './boot/proxy';

const ANSWER = 'answer from the guarded model';

interface Synthesized { platform: LiteLlmPlatform; template: any; containers: Record<string, ContainerDefinition> }

function synth(config: LiteLlmConfigOptions): Synthesized {
  const stack = new Stack(new App(), 'Boot', { env: { account: '123456789012', region: 'us-east-1' } });
  // One task, one worker: no cache to stand in for.
  const platform = new LiteLlmPlatform(stack, 'LiteLlm', {
    models: [LiteLlmModel.mock({ name: 'guarded', response: ANSWER })], config, service: { maxCapacity: 1 },
  });
  const template = Template.fromStack(stack).toJSON();
  return { platform, template, containers: containersOf(template) };
}

async function chat(proxy: BootedProxy, content: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${proxy.baseUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'Authorization': `Bearer ${proxy.env.LITELLM_MASTER_KEY}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ model: 'guarded', messages: [{ role: 'user', content }] }),
  });
  return { status: res.status, body: await res.json() };
}

beforeAll(() => {
  if (!fs.existsSync(`${VENV}/bin/litellm`)) {
    throw new Error(`${VENV} has no LiteLLM proxy: run \`npx projen boot:setup\` (the test task runs it first)`);
  }
});

/** The content filter of the test: a code name (a blocked word) and US social security numbers (a prebuilt pattern), on every request. */
const CONTENT_FILTER = {
  guardrail_name: 'no-code-names',
  litellm_params: {
    guardrail: 'litellm_content_filter',
    mode: 'pre_call',
    default_on: true,
    blocked_words: [{ keyword: 'project-nightingale', action: 'BLOCK', description: 'internal code name' }],
    patterns: [{ pattern_type: 'prebuilt', pattern_name: 'us_ssn', action: 'BLOCK' }],
  },
};

describe('a platform with a litellm_content_filter guardrail', () => {
  let synthesized: Synthesized;
  let proxy: BootedProxy;

  beforeAll(async () => {
    synthesized = synth({ guardrails: [LiteLlmGuardrail.custom(CONTENT_FILTER)] });
    proxy = await BootedProxy.start(synthesized.containers);
    await proxy.waitUntilLive(180_000);
  }, 240_000);

  afterAll(async () => {
    await proxy?.stop();
  });

  test('the rendered config carries the guardrail as written, and it needs no grant', () => {
    expect(YAML.parse(proxy.configText()).guardrails).toEqual([CONTENT_FILTER]);
    // LiteLLM runs it in the proxy: no Bedrock guardrail to apply.
    expect(JSON.stringify(synthesized.template)).not.toContain('bedrock:ApplyGuardrail');
  });

  test('a request naming the blocked word is refused with 400 and LiteLLM\'s message', async () => {
    // litellm/proxy/guardrails/guardrail_hooks/litellm_content_filter/content_filter.py:1371-1384;
    // the guardrail's name and mode: litellm/proxy/guardrails/exception_utils.py:15-30
    const { status, body } = await chat(proxy, 'What is the launch date of Project-Nightingale?');
    expect(status).toBe(400);
    expect(body.error.message).toBe('Content blocked: keyword \'project-nightingale\' detected (internal code name)');
    expect(body.error.provider_specific_fields).toMatchObject({ guardrail_name: 'no-code-names', guardrail_mode: 'pre_call' });
  }, 60_000);

  test('a request matching the prebuilt pattern is refused', async () => {
    // content_filter.py:1337-1342
    const { status, body } = await chat(proxy, 'My SSN is 123-45-6789, can you remember it?');
    expect(status).toBe(400);
    expect(body.error.message).toBe('Content blocked: us_ssn pattern detected');
  }, 60_000);

  test('any other request reaches the model', async () => {
    const { status, body } = await chat(proxy, 'What is the launch date of the project?');
    expect(status).toBe(200);
    expect(body.choices[0].message.content).toBe(ANSWER);
  }, 60_000);
});

describe('a platform with an MCP server on 127.0.0.1, its bearer token from the provider keys secret', () => {
  // What the boot harness gives the task's secret BOOT_MCP_TOKEN (test/boot/proxy.ts, localSecretValue).
  const token = 'placeholder-boot_mcp_token';
  let mcp: LocalMcpServer;
  let platform: LiteLlmPlatform;
  let containers: Record<string, ContainerDefinition>;
  let proxy: BootedProxy;

  const listTools = (key?: string) => fetch(`${proxy.baseUrl}/mcp-rest/tools/list`, { headers: key ? { Authorization: `Bearer ${key}` } : {} });

  beforeAll(async () => {
    mcp = await LocalMcpServer.start({ bearerToken: token });
    ({ platform, containers } = synth({
      mcpServers: [LiteLlmMcpServer.streamableHttp({ name: 'boot_tools', url: mcp.url, authHeaderSecretField: 'BOOT_MCP_TOKEN', description: 'two local tools' })],
    }));
    proxy = await BootedProxy.start(containers);
    await proxy.waitUntilLive(180_000);
  }, 240_000);

  afterAll(async () => {
    await proxy?.stop();
    await mcp?.stop();
  });

  test('the task reads the token from its field of the provider keys secret', () => {
    const stack = Stack.of(platform);
    expect(containers.litellm.Secrets).toContainEqual({
      Name: 'BOOT_MCP_TOKEN', ValueFrom: { 'Fn::Join': ['', [stack.resolve(platform.security.providerKeysSecret!.secretArn), ':BOOT_MCP_TOKEN::']] },
    });
    expect(YAML.parse(proxy.configText()).mcp_servers).toEqual({
      boot_tools: { url: mcp.url, transport: 'http', auth_type: 'bearer_token', authentication_token: 'os.environ/BOOT_MCP_TOKEN', description: 'two local tools' },
    });
    expect(proxy.env.BOOT_MCP_TOKEN).toBe(token);
  });

  test('/mcp-rest/tools/list with the master key lists the server\'s tools', async () => {
    // litellm/proxy/_experimental/mcp_server/rest_endpoints.py:105-108, 999-1215
    const res = await listTools(proxy.env.LITELLM_MASTER_KEY);
    expect(res.status).toBe(200);
    const body = await res.json() as { tools: { name: string; mcp_info: { server_name: string } }[]; error: unknown; server_outcomes: unknown };
    expect(body.error).toBeNull();
    expect(body.tools.map(t => [t.name, t.mcp_info.server_name]).sort()).toEqual([['add', 'boot_tools'], ['whoami', 'boot_tools']]);
    expect(body.server_outcomes).toEqual({ boot_tools: { status: 'ok', tool_count: 2 } });
    // Every call carried the token: the server refused none.
    expect(mcp.log).not.toContain('refused a request without the bearer token');
  }, 60_000);

  test('the gateway\'s MCP endpoint lists them, prefixed with the server\'s name', async () => {
    // What an MCP client does: initialize, then tools/list in that session (streamable HTTP,
    // answers as server-sent events). The aggregate endpoint is /mcp (litellm/proxy/proxy_server.py:21073-21093).
    const post = async (body: object, session?: string) => fetch(`${proxy.baseUrl}/mcp`, {
      method: 'POST',
      headers: {
        'Authorization': `Bearer ${proxy.env.LITELLM_MASTER_KEY}`,
        'Content-Type': 'application/json',
        'Accept': 'application/json, text/event-stream',
        ...(session ? { 'mcp-session-id': session, 'mcp-protocol-version': '2025-06-18' } : {}),
      },
      body: JSON.stringify(body),
    });
    const init = await post({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'boot-test', version: '1' } } });
    expect(init.status).toBe(200);
    const session = init.headers.get('mcp-session-id')!;
    expect(session).toBeTruthy();
    await init.text();
    expect((await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, session)).status).toBe(202);
    const listed = await post({ jsonrpc: '2.0', id: 2, method: 'tools/list' }, session);
    expect(listed.status).toBe(200);
    const data = (await listed.text()).split('\n').find(l => l.startsWith('data: '))!;
    const names = (JSON.parse(data.slice('data: '.length)).result.tools as { name: string }[]).map(t => t.name).sort();
    expect(names).toEqual(['boot_tools-add', 'boot_tools-whoami']);
  }, 60_000);

  test('a tool call through the proxy reaches the server', async () => {
    // The call names the server by its id, which LiteLLM derives from the config (mcp_server_manager.py:2580-2589).
    const listed = await (await listTools(proxy.env.LITELLM_MASTER_KEY)).json() as { tools: { mcp_info: { server_id: string } }[] };
    const res = await fetch(`${proxy.baseUrl}/mcp-rest/tools/call`, {
      method: 'POST',
      headers: { 'Authorization': `Bearer ${proxy.env.LITELLM_MASTER_KEY}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ server_id: listed.tools[0].mcp_info.server_id, name: 'add', arguments: { a: 2, b: 3 } }),
    });
    expect(res.status).toBe(200);
    const body = await res.json() as { structuredContent: unknown; isError: boolean };
    expect(body).toMatchObject({ structuredContent: { result: 5 }, isError: false });
  }, 60_000);

  test('the server itself refuses a caller without the token (so the listing above carried it)', async () => {
    const res = await fetch(mcp.url, {
      method: 'POST', headers: { 'Content-Type': 'application/json', 'Accept': 'application/json, text/event-stream' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(res.status).toBe(401);
  });

  test('without a key the proxy lists nothing', async () => {
    const res = await listTools();
    expect(res.status).toBe(401);
  });
});

describe('a team\'s config.yaml with a content filter and an MCP server, brought in `configFile`', () => {
  let mcp: LocalMcpServer;
  let dir: string;
  let proxy: BootedProxy;

  beforeAll(async () => {
    // The file's os.environ/TEAM_MCP_TOKEN becomes the provider keys secret's field, which the boot harness fills so.
    mcp = await LocalMcpServer.start({ bearerToken: 'placeholder-team_mcp_token' });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-litellm-sections-'));
    const file = path.join(dir, 'config.yaml');
    fs.writeFileSync(file, YAML.stringify({
      guardrails: [CONTENT_FILTER],
      mcp_servers: { team_tools: { url: mcp.url, transport: 'http', auth_type: 'bearer_token', authentication_token: 'os.environ/TEAM_MCP_TOKEN' } },
    }));
    proxy = await BootedProxy.start(synth({ configFile: file }).containers);
    await proxy.waitUntilLive(180_000);
  }, 240_000);

  afterAll(async () => {
    await proxy?.stop();
    await mcp?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the file\'s guardrail blocks a matching request and lets the rest through', async () => {
    const blocked = await chat(proxy, 'Is project-nightingale on schedule?');
    expect(blocked.status).toBe(400);
    expect(blocked.body.error.message).toBe('Content blocked: keyword \'project-nightingale\' detected (internal code name)');
    const passed = await chat(proxy, 'Is the project on schedule?');
    expect(passed.status).toBe(200);
    expect(passed.body.choices[0].message.content).toBe(ANSWER);
  }, 60_000);

  test('the file\'s MCP server lists its tools through the proxy, with the token from the secret', async () => {
    const res = await fetch(`${proxy.baseUrl}/mcp-rest/tools/list`, { headers: { Authorization: `Bearer ${proxy.env.LITELLM_MASTER_KEY}` } });
    expect(res.status).toBe(200);
    const body = await res.json() as { tools: { name: string; mcp_info: { server_name: string } }[] };
    expect(body.tools.map(t => `${t.mcp_info.server_name}/${t.name}`).sort()).toEqual(['team_tools/add', 'team_tools/whoami']);
    expect(mcp.log).not.toContain('refused a request without the bearer token');
  }, 60_000);
});
