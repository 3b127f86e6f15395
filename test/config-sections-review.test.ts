// Review findings on the typed sections (against LiteLLM 1.108.7): MCP OAuth settings LiteLLM
// refuses at start, Bedrock guardrail modes and `checks` it skips the guardrail for, credentials
// in header mappings and MCP `env_vars`, the KMS key of an encrypted guardrail, a guardrail's
// `api_key` (never passed to Bedrock) and a guardrail ARN in another account.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Lazy, Stack, aws_bedrock as bedrock, aws_ecr as ecr, aws_kms as kms } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as YAML from 'yaml';
import {
  LiteLlmDatabase, LiteLlmGuardrail, LiteLlmGuardrailMode, LiteLlmImage, LiteLlmLoadBalancer, LiteLlmMcpAuthType, LiteLlmMcpServer, LiteLlmModel,
  LiteLlmNetwork, LiteLlmSecurity, LiteLlmService,
} from '../src';
import { LiteLlmConfig, LiteLlmConfigOptions } from '../src/config';

const ENV = { account: '123456789012', region: 'us-east-1' };
const PLATFORM = { requestTimeoutSeconds: 600, databaseConnectionPoolLimit: 20, jsonLogs: true };
const MOCK = LiteLlmModel.mock({ name: 'm' });
const URL = 'https://mcp.example.com/mcp';
const HOLDS = 'holds a value; it would be written into the template. Write "os.environ/NAME": NAME becomes a field of the provider keys secret';

function doc(options: LiteLlmConfigOptions): any {
  return YAML.parse(LiteLlmConfig.load([MOCK], options).render(PLATFORM));
}

function configFile(text: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-litellm-review-')), 'config.yaml');
  fs.writeFileSync(file, text);
  return file;
}

function service(config: LiteLlmConfigOptions, providerKeyNames: string[] = [], app = new App(), env = ENV) {
  const stack = new Stack(app, 'Stack', { env });
  const security = new LiteLlmSecurity(stack, 'Security', { providerKeyNames });
  const net = new LiteLlmNetwork(stack, 'Network', { encryptionKey: security.encryptionKey });
  const loadBalancer = new LiteLlmLoadBalancer(stack, 'LoadBalancer', { vpc: net.vpc, securityGroup: net.loadBalancerSecurityGroup, allowHttp: true });
  const database = new LiteLlmDatabase(stack, 'Database', {
    vpc: net.vpc, securityGroup: net.databaseSecurityGroup, rotationSecurityGroup: net.rotationSecurityGroup, encryptionKey: security.encryptionKey,
  });
  const image = LiteLlmImage.fromEcrRepository(ecr.Repository.fromRepositoryName(stack, 'Repo', 'litellm'), `v${LiteLlmImage.DEFAULT_VERSION}`);
  new LiteLlmService(stack, 'Service', { models: [MOCK], config, security, network: net, loadBalancer, database, image });
  return { stack, template: Template.fromStack(stack) };
}

function taskStatements(template: Template): any[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter(p => JSON.stringify(p.Properties.Roles).includes('TaskDefinitionTaskRole'))
    .flatMap(p => p.Properties.PolicyDocument.Statement);
}

describe('MCP OAuth settings LiteLLM refuses at start (mcp_server_manager.py:2685-2718)', () => {
  test('the typed factories have no oauth2 auth type, and refuse one cast in, naming custom() and oauth2_flow', () => {
    expect(Object.values(LiteLlmMcpAuthType)).not.toContain('oauth2');
    expect(() => LiteLlmMcpServer.streamableHttp({ name: 'idp', url: URL, authType: 'oauth2' as LiteLlmMcpAuthType }))
      .toThrow(new Error('LiteLlmMcpServer.streamableHttp "idp": `authType` ("oauth2") is not one the typed factories render: '
        + 'use LiteLlmMcpServer.custom("idp", { url, transport, auth_type: "oauth2", ... }) with `oauth2_flow` ("client_credentials" with `token_url`, '
        + '`client_id` and `client_secret` as "os.environ/NAME", or "authorization_code")'));
    expect(() => LiteLlmMcpServer.sse({ name: 'x', url: URL, authType: 'aws_sigv4' as LiteLlmMcpAuthType }))
      .toThrow(/^LiteLlmMcpServer.sse "x": `authType` \("aws_sigv4"\) is not one the typed factories render: .* with the keys that auth type needs$/);
  });

  test('auth_type oauth2 without an oauth2_flow LiteLLM accepts is refused, in custom() and in the file', () => {
    const fix = 'which LiteLLM refuses at start, so the proxy would not start: set `oauth2_flow: client_credentials` (the proxy gets a token at `token_url` '
      + 'with `client_id` and `client_secret`, as "os.environ/NAME") or `oauth2_flow: authorization_code` (each user signs in)';
    expect(() => LiteLlmMcpServer.custom('idp', { url: URL, auth_type: 'oauth2' }))
      .toThrow(new Error(`LiteLlmMcpServer.custom "idp": \`auth_type\` is "oauth2" but \`oauth2_flow\` is not set, ${fix}`));
    expect(() => LiteLlmMcpServer.custom('idp', { url: URL, auth_type: 'oauth2', oauth2_flow: 'implicit' }))
      .toThrow(new Error(`LiteLlmMcpServer.custom "idp": \`auth_type\` is "oauth2" but \`oauth2_flow\` is "implicit", ${fix}`));
    const file = configFile(`mcp_servers:\n  idp: { url: "${URL}", auth_type: oauth2 }\n`);
    expect(() => LiteLlmConfig.load([MOCK], { configFile: file })).toThrow(new Error(`mcp_servers.idp: \`auth_type\` is "oauth2" but \`oauth2_flow\` is not set, ${fix}`));
    // Either flow LiteLLM names is accepted.
    expect(LiteLlmMcpServer.custom('m2m', {
      url: URL,
      auth_type: 'oauth2',
      oauth2_flow: 'client_credentials',
      token_url: 'https://idp.example.com/token',
      client_id: 'gateway',
      client_secret: 'os.environ/IDP_CLIENT_SECRET',
    }).secretEnvNames).toEqual(['IDP_CLIENT_SECRET']);
    expect(() => LiteLlmMcpServer.custom('user', { url: URL, auth_type: 'oauth2', oauth2_flow: 'authorization_code' })).not.toThrow();
  });

  test('dcr_bridge must be a boolean, and true only with true_passthrough or oauth_delegate', () => {
    expect(() => LiteLlmMcpServer.custom('b', { url: URL, auth_type: 'true_passthrough', dcr_bridge: 'yes' }))
      .toThrow(new Error('LiteLlmMcpServer.custom "b": `dcr_bridge` ("yes") must be true or false: LiteLLM refuses anything else at start'));
    expect(() => LiteLlmMcpServer.custom('b', { url: URL, auth_type: 'oauth2', oauth2_flow: 'authorization_code', dcr_bridge: true }))
      .toThrow(new Error('LiteLlmMcpServer.custom "b": `dcr_bridge` is true with `auth_type` "oauth2", which LiteLLM refuses at start: '
        + 'the DCR bridge serves only `auth_type: true_passthrough` or `oauth_delegate`; remove `dcr_bridge` or change the auth type'));
    expect(() => LiteLlmMcpServer.custom('b', { url: URL, dcr_bridge: true })).toThrow(/`dcr_bridge` is true with `auth_type` not set/);
    expect(() => LiteLlmMcpServer.custom('b', { url: URL, auth_type: 'true_passthrough', dcr_bridge: true })).not.toThrow();
    expect(() => LiteLlmMcpServer.custom('b', { url: URL, auth_type: 'oauth_delegate', dcr_bridge: true })).not.toThrow();
    expect(() => LiteLlmMcpServer.custom('b', { url: URL, auth_type: 'bearer_token', dcr_bridge: false })).not.toThrow();
  });

  test('per_server_oauth_discovery must be a boolean, and true only with oauth2 authorization_code without delegate_auth_to_upstream', () => {
    expect(() => LiteLlmMcpServer.custom('d', { url: URL, per_server_oauth_discovery: 'true' }))
      .toThrow(new Error('LiteLlmMcpServer.custom "d": `per_server_oauth_discovery` ("true") must be true or false: LiteLLM refuses anything else at start'));
    const refused = 'LiteLlmMcpServer.custom "d": `per_server_oauth_discovery` is true, which LiteLLM accepts only with `auth_type: oauth2`, '
      + '`oauth2_flow: authorization_code` and no `delegate_auth_to_upstream`, and refuses at start otherwise: set those, or remove `per_server_oauth_discovery`';
    expect(() => LiteLlmMcpServer.custom('d', { url: URL, auth_type: 'oauth2', oauth2_flow: 'client_credentials', per_server_oauth_discovery: true }))
      .toThrow(new Error(refused));
    expect(() => LiteLlmMcpServer.custom('d', {
      url: URL, auth_type: 'oauth2', oauth2_flow: 'authorization_code', delegate_auth_to_upstream: true, per_server_oauth_discovery: true,
    })).toThrow(new Error(refused));
    expect(() => LiteLlmMcpServer.custom('d', { url: URL, auth_type: 'oauth2', oauth2_flow: 'authorization_code', per_server_oauth_discovery: true })).not.toThrow();
  });
});

describe('Bedrock guardrail modes and checks LiteLLM would skip the guardrail for (init_guardrails.py:36-42)', () => {
  const bedrockEntry = (litellmParams: { [key: string]: any }) => ({
    guardrail_name: 'g', litellm_params: { guardrail: 'bedrock', guardrailIdentifier: 'gr0abc123', guardrailVersion: '1', ...litellmParams },
  });

  test.each([LiteLlmGuardrailMode.POST_MCP_CALL, LiteLlmGuardrailMode.REALTIME_INPUT_TRANSCRIPTION])('the typed factory refuses mode %s', mode => {
    expect(() => LiteLlmGuardrail.bedrock({ name: 'pii', guardrailIdentifier: 'gr0abc123', guardrailVersion: '1', mode }))
      .toThrow(new Error(`LiteLlmGuardrail.bedrock "pii": \`mode\` has "${mode}", which LiteLLM does not run a Bedrock guardrail in: it would log the error and start `
        + 'WITHOUT the guardrail. Use pre_call, during_call, post_call, pre_mcp_call, during_mcp_call, logging_only'));
  });

  test('a raw entry is refused for any such mode, as a string, a list or a tagged mode', () => {
    expect(() => LiteLlmGuardrail.custom(bedrockEntry({ mode: 'post_mcp_call' })))
      .toThrow(new Error('LiteLlmGuardrail.custom "g": `litellm_params.mode` has "post_mcp_call", which LiteLLM does not run a Bedrock guardrail in: '
        + 'it would log the error and start WITHOUT the guardrail. Use pre_call, during_call, post_call, pre_mcp_call, during_mcp_call, logging_only'));
    expect(() => LiteLlmGuardrail.custom(bedrockEntry({ mode: ['pre_call', 'post_mcp_call'] }))).toThrow(/`litellm_params.mode` has "post_mcp_call"/);
    expect(() => LiteLlmGuardrail.custom(bedrockEntry({ mode: { tags: { eu: ['pre_call', 'realtime_input_transcription'] }, default: 'pre_call' } })))
      .toThrow(/`litellm_params.mode` has "realtime_input_transcription"/);
    expect(() => LiteLlmGuardrail.custom(bedrockEntry({ mode: { tags: { eu: 'pre_call' }, default: ['post_mcp_call'] } })))
      .toThrow(/`litellm_params.mode` has "post_mcp_call"/);
    const file = configFile('guardrails:\n  - guardrail_name: g\n    litellm_params: { guardrail: bedrock, mode: post_mcp_call, guardrailIdentifier: abc, guardrailVersion: "1" }\n');
    expect(() => LiteLlmConfig.load([MOCK], { configFile: file })).toThrow(/^guardrails\[0\]: `litellm_params.mode` has "post_mcp_call", which LiteLLM does not run a Bedrock guardrail in/);
  });

  test('the modes Bedrock supports, and logging_only, are accepted; another guardrail keeps every mode', () => {
    for (const mode of ['pre_call', 'during_call', 'post_call', 'pre_mcp_call', 'during_mcp_call', 'logging_only', ['pre_call', 'post_call'], { tags: { eu: 'post_call' }, default: 'pre_call' }]) {
      expect(() => LiteLlmGuardrail.custom(bedrockEntry({ mode }))).not.toThrow();
    }
    expect(() => LiteLlmGuardrail.bedrock({ name: 'log', guardrailIdentifier: 'gr0abc123', guardrailVersion: '1', mode: LiteLlmGuardrailMode.LOGGING_ONLY })).not.toThrow();
    expect(() => LiteLlmGuardrail.custom({ guardrail_name: 'f', litellm_params: { guardrail: 'litellm_content_filter', mode: 'post_mcp_call' } })).not.toThrow();
  });

  test('`checks` with guardrailIdentifier or guardrailVersion is refused (bedrock_guardrails.py:329-335); `checks` alone is kept', () => {
    const message = 'LiteLlmGuardrail.custom "g": `checks` (InvokeGuardrailChecks) and `guardrailIdentifier`/`guardrailVersion` (ApplyGuardrail) are both set, '
      + 'which LiteLLM refuses: it would log the error and start WITHOUT the guardrail. Keep `checks`, or the identifier and version';
    expect(() => LiteLlmGuardrail.custom(bedrockEntry({ mode: 'pre_call', checks: { prompt_attack: {} } }))).toThrow(new Error(message));
    expect(() => LiteLlmGuardrail.custom({ guardrail_name: 'g', litellm_params: { guardrail: 'bedrock', mode: 'pre_call', guardrailVersion: '1', checks: { prompt_attack: {} } } }))
      .toThrow(new Error(message));
    expect(LiteLlmGuardrail.custom({ guardrail_name: 'g', litellm_params: { guardrail: 'bedrock', mode: 'pre_call', checks: { prompt_attack: {} } } })._ungranted)
      .toMatch(/^it uses `checks`/);
  });
});

describe('credentials in header mappings and MCP env_vars', () => {
  test.each([
    ['a generic guardrail\'s headers', { guardrails: [{ guardrail_name: 'g', litellm_params: { guardrail: 'generic_guardrail_api', mode: 'pre_call', api_base: 'https://g.example.com', headers: { Authorization: 'Bearer sk-1' } } }] },
      'config.sections.guardrails[0].litellm_params.headers.Authorization'],
    ['custom_headers', { guardrails: [{ guardrail_name: 'g', litellm_params: { guardrail: 'generic_guardrail_api', mode: 'pre_call', custom_headers: { 'x-api-key': 'k-1' } } }] },
      'config.sections.guardrails[0].litellm_params.custom_headers.x-api-key'],
    ['extra_headers', { vector_store_registry: [{ vector_store_name: 'v', litellm_params: { vector_store_id: 'x', custom_llm_provider: 'azure', extra_headers: { 'Ocp-Apim-Subscription-Key': 'abc' } } }] },
      'config.sections.vector_store_registry[0].litellm_params.extra_headers.Ocp-Apim-Subscription-Key'],
    ['a cookie', { search_tools: [{ search_tool_name: 's', litellm_params: { search_provider: 'searxng', headers: { Cookie: 'session=1' } } }] },
      'config.sections.search_tools[0].litellm_params.headers.Cookie'],
    ['X-Auth-Key', { search_tools: [{ search_tool_name: 's', litellm_params: { search_provider: 'searxng', headers: { 'X-Auth-Key': 'k' } } }] },
      'config.sections.search_tools[0].litellm_params.headers.X-Auth-Key'],
    ['Proxy-Authorization', { search_tools: [{ search_tool_name: 's', litellm_params: { search_provider: 'searxng', headers: { 'Proxy-Authorization': 'Basic dTpw' } } }] },
      'config.sections.search_tools[0].litellm_params.headers.Proxy-Authorization'],
    ['an MCP env_vars value', { mcp_servers: { gh: { url: URL, env_vars: [{ name: 'GH', value: 'ghp_123' }], static_headers: { Authorization: 'Bearer ${GH}' } } } },
      'config.sections.mcp_servers.gh.env_vars[0].value'],
  ])('a literal in %s is refused, naming its path', (_, sections, at) => {
    expect(() => LiteLlmConfig.load([MOCK], { sections })).toThrow(new Error(`\`${at}\` ${HOLDS}`));
  });

  test('a model\'s extra_headers in the file, and a guardrail\'s headers in custom(), are refused too', () => {
    const file = configFile('model_list:\n  - model_name: a\n    litellm_params: { model: openai/gpt-4o, api_key: os.environ/OPENAI_API_KEY, extra_headers: { X-Portkey-Api-Key: pk-1 } }\n');
    expect(() => LiteLlmConfig.load([MOCK], { configFile: file })).toThrow(new Error(`\`config.configFile\` (${file}) holds a credential at \`model_list[0].litellm_params.extra_headers.X-Portkey-Api-Key\`; `
      + 'it would be written into the template. Write "os.environ/NAME" instead: NAME becomes a field of the provider keys secret'));
    expect(() => LiteLlmGuardrail.custom({ guardrail_name: 'g', litellm_params: { guardrail: 'generic_guardrail_api', mode: 'pre_call', headers: { Authorization: 'Bearer sk-1' } } }))
      .toThrow(new Error(`LiteLlmGuardrail.custom "g": \`guardrails.litellm_params.headers.Authorization\` ${HOLDS}`));
    expect(() => LiteLlmMcpServer.custom('gh', { url: URL, env_vars: [{ name: 'GH', value: 'ghp_123' }] }))
      .toThrow(new Error(`LiteLlmMcpServer.custom "gh": \`mcp_servers.gh.env_vars[0].value\` ${HOLDS}`));
  });

  test('os.environ references, non-credential headers, header names and user-scoped hints are accepted', () => {
    const rendered = doc({
      generalSettings: {
        pass_through_endpoints: [
          { path: '/v1/rerank', target: 'https://api.cohere.com/v1/rerank', headers: { 'Authorization': 'os.environ/COHERE_AUTHORIZATION', 'content-type': 'application/json' } },
          { path: '/vendor', target: 'https://vendor.example.com', headers: { litellm_user_api_key: 'x-vendor-key' } },
        ],
      },
      sections: {
        guardrails: [{ guardrail_name: 'g', litellm_params: { guardrail: 'generic_guardrail_api', mode: 'pre_call', headers: { 'X-Api-Key': 'os.environ/G_KEY', 'X-Tenant': 'acme' } } }],
        mcp_servers: {
          gh: {
            url: URL,
            env_vars: [{ name: 'GH', value: 'os.environ/GH_TOKEN' }, { name: 'ORG', value: '' }, { name: 'PAT', value: 'your GitHub PAT', scope: 'user' }],
            static_headers: { 'Authorization': 'Bearer ${GH}', 'X-User-Token': '${PAT}', 'X-Org': 'acme', 'X-Empty-Auth': '' },
          },
        },
      },
    });
    expect(rendered.mcp_servers.gh.static_headers.Authorization).toBe('Bearer ${GH}');
    expect(rendered.general_settings.pass_through_endpoints[1].headers).toEqual({ litellm_user_api_key: 'x-vendor-key' });
  });

  test('the repo\'s example config.yaml still loads', () => {
    expect(() => LiteLlmConfig.load([], { configFile: path.join(__dirname, '..', 'examples', 'litellm', 'config.yaml') })).not.toThrow();
  });
});

describe('MCP static_headers', () => {
  test('a `${NAME}` the entry\'s env_vars does not define is refused like a literal', () => {
    expect(() => LiteLlmMcpServer.custom('gh', { url: URL, env_vars: [{ name: 'GH', value: 'os.environ/GH_TOKEN' }], static_headers: { Authorization: 'Bearer ${OTHER}' } }))
      .toThrow(new Error(`LiteLlmMcpServer.custom "gh": \`mcp_servers.gh.static_headers.Authorization\` ${HOLDS}`));
    expect(() => LiteLlmMcpServer.custom('gh', { url: URL, static_headers: { Authorization: 'Bearer ${GH}' } })).toThrow(/`mcp_servers.gh.static_headers.Authorization` holds a value/);
  });

  test('a `${NAME}` its env_vars defines is accepted, in custom() and in `sections`', () => {
    const entry = { url: URL, env_vars: [{ name: 'GH', value: 'os.environ/GH_TOKEN' }], static_headers: { Authorization: 'Bearer ${GH}' } };
    expect(LiteLlmMcpServer.custom('gh', entry).secretEnvNames).toEqual(['GH_TOKEN']);
    expect(doc({ sections: { mcp_servers: { gh: entry } } }).mcp_servers.gh).toEqual(entry);
  });

  test('a deploy-time token in a credential header is refused like a literal; in another header it is kept', () => {
    const token = Lazy.string({ produce: () => 'Bearer ghp_123' });
    expect(() => LiteLlmMcpServer.custom('gh', { url: URL, static_headers: { Authorization: token } }))
      .toThrow(new Error(`LiteLlmMcpServer.custom "gh": \`mcp_servers.gh.static_headers.Authorization\` ${HOLDS}`));
    expect(() => LiteLlmMcpServer.custom('gh', { url: URL, static_headers: { 'X-Region': Lazy.string({ produce: () => 'eu' }) } })).not.toThrow();
  });
});

describe('what guardrails get from IAM', () => {
  test('a CfnGuardrail encrypted with a customer managed key: the task role may decrypt with exactly that key', () => {
    // GIVEN
    const app = new App();
    const stack = new Stack(app, 'Guardrails', { env: ENV });
    const key = new kms.Key(stack, 'Key');
    const keyArn = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const literal = new bedrock.CfnGuardrail(stack, 'Literal', { name: 'a', blockedInputMessaging: 'no', blockedOutputsMessaging: 'no', kmsKeyArn: keyArn });
    const owned = new bedrock.CfnGuardrail(stack, 'Owned', { name: 'b', blockedInputMessaging: 'no', blockedOutputsMessaging: 'no', kmsKeyArn: key.keyArn });

    // WHEN
    const { template } = service({
      guardrails: [
        LiteLlmGuardrail.bedrock({ name: 'a', guardrail: literal, guardrailVersion: 'DRAFT', mode: LiteLlmGuardrailMode.PRE_CALL }),
        LiteLlmGuardrail.bedrock({ name: 'b', guardrail: owned, guardrailVersion: 'DRAFT', mode: LiteLlmGuardrailMode.PRE_CALL }),
      ],
    }, [], app);

    // THEN
    const statement = taskStatements(template).find(s => s.Sid === 'DecryptConfiguredBedrockGuardrails');
    expect(statement).toEqual({
      Sid: 'DecryptConfiguredBedrockGuardrails',
      Effect: 'Allow',
      Action: 'kms:Decrypt',
      Resource: [keyArn, { 'Fn::ImportValue': expect.stringMatching(/^Guardrails:ExportsOutputFnGetAttKey\w+Arn/) }],
    });
  });

  test('a guardrail without a customer managed key gets no kms:Decrypt', () => {
    const app = new App();
    const stack = new Stack(app, 'Guardrails', { env: ENV });
    const plain = new bedrock.CfnGuardrail(stack, 'Plain', { name: 'a', blockedInputMessaging: 'no', blockedOutputsMessaging: 'no' });
    const { template } = service({ guardrails: [LiteLlmGuardrail.bedrock({ name: 'a', guardrail: plain, guardrailVersion: 'DRAFT', mode: LiteLlmGuardrailMode.PRE_CALL })] }, [], app);
    expect(taskStatements(template).map(s => s.Sid)).not.toContain('DecryptConfiguredBedrockGuardrails');
  });

  test('a Bedrock guardrail with an api_key is still called as the task role, so it is granted', () => {
    const { template } = service({
      sections: { guardrails: [{ guardrail_name: 'k', litellm_params: { guardrail: 'bedrock', mode: 'pre_call', guardrailIdentifier: 'gr0abc123', guardrailVersion: '1', api_key: 'os.environ/BEDROCK_KEY' } }] },
    }, ['BEDROCK_KEY']);
    expect(taskStatements(template).find(s => s.Sid === 'ApplyConfiguredBedrockGuardrails')).toEqual({
      Sid: 'ApplyConfiguredBedrockGuardrails',
      Effect: 'Allow',
      Action: 'bedrock:ApplyGuardrail',
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:us-east-1:123456789012:guardrail/gr0abc123']] },
    });
  });

  test('a guardrail ARN in another account than the stack\'s is refused; the same account, or an unknown one, is not', () => {
    const arn = 'arn:aws:bedrock:us-east-1:111122223333:guardrail/gr0abc123';
    const typed = () => LiteLlmGuardrail.bedrock({ name: 'other', guardrailIdentifier: arn, guardrailVersion: '1', mode: LiteLlmGuardrailMode.PRE_CALL });
    expect(() => service({ guardrails: [typed()] })).toThrow(new Error(
      `guardrail "other": \`guardrailIdentifier\` ("${arn}") is a guardrail in account 111122223333, but the service deploys to account 123456789012: `
      + 'LiteLLM calls ApplyGuardrail with the guardrail\'s id, which Bedrock looks up in the task\'s own account, so every call would fail. '
      + 'Use a guardrail in account 123456789012, or LiteLlmGuardrail.custom with `aws_role_name` a role in account 111122223333 that may apply it'));
    expect(() => service({ sections: { guardrails: [{ guardrail_name: 'raw', litellm_params: { guardrail: 'bedrock', mode: 'pre_call', guardrailIdentifier: arn, guardrailVersion: '1' } }] } }))
      .toThrow(/^guardrail "raw": `guardrailIdentifier` \("arn:aws:bedrock:us-east-1:111122223333:guardrail\/gr0abc123"\) is a guardrail in account 111122223333/);
    expect(() => service({ guardrails: [typed()] }, [], new App(), { account: '111122223333', region: 'us-east-1' })).not.toThrow();
    // An environment-agnostic stack: the account is a deploy-time token, nothing to compare.
    expect(() => service({ guardrails: [typed()] }, [], new App(), {} as typeof ENV)).not.toThrow();
    // Its own credentials: LiteLLM calls as that role, in its account.
    expect(() => service({
      sections: { guardrails: [{ guardrail_name: 'role', litellm_params: { guardrail: 'bedrock', mode: 'pre_call', guardrailIdentifier: arn, guardrailVersion: '1', aws_role_name: 'arn:aws:iam::111122223333:role/g' } }] },
    })).not.toThrow();
  });
});
