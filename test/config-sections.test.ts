// The config's sections beyond model_list and the settings: what each layer may carry, how the
// typed ones (guardrails, MCP servers, vector stores) render, and what they give the service
// (grants scoped to one guardrail or knowledge base, egress, redacted headers, endpoints).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, IResolvable, Lazy, Stack, aws_bedrock as bedrock, aws_ec2 as ec2, aws_ecr as ecr, aws_kms as kms } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as YAML from 'yaml';
import {
  LiteLlmDatabase, LiteLlmGuardrail, LiteLlmGuardrailMode, LiteLlmImage, LiteLlmLoadBalancer, LiteLlmMcpAuthType, LiteLlmMcpServer, LiteLlmModel,
  LiteLlmNetwork, LiteLlmNetworkProps, LiteLlmPlatform, LiteLlmSecurity, LiteLlmService, LiteLlmVectorStore,
} from '../src';
import { LiteLlmConfig, LiteLlmConfigOptions } from '../src/config';
import { SECTION_RULES, SectionKind } from '../src/config/sections';
import { egressPorts } from '../src/private/egress';

const ENV = { account: '123456789012', region: 'us-east-1' };
const PLATFORM = { requestTimeoutSeconds: 600, databaseConnectionPoolLimit: 20, jsonLogs: true };
const MOCK = LiteLlmModel.mock({ name: 'm' });
const BEDROCK_GUARDRAIL = () => LiteLlmGuardrail.bedrock({
  name: 'pii', guardrailIdentifier: 'gr0abc123', guardrailVersion: '1', mode: LiteLlmGuardrailMode.PRE_CALL, defaultOn: true,
});
const KNOWLEDGE_BASE = () => LiteLlmVectorStore.bedrockKnowledgeBase({ name: 'docs', knowledgeBaseId: 'KB12345678' });
const URL = 'https://mcp.example.com/mcp';
const HOLDS = 'holds a value; it would be written into the template. Write "os.environ/NAME": NAME becomes a field of the provider keys secret';

function doc(options: LiteLlmConfigOptions, models = [MOCK]): any {
  return YAML.parse(LiteLlmConfig.load(models, options).render(PLATFORM));
}

function configFile(text: string, name = 'config.yaml', dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-litellm-sections-'))): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

/** A service in one stack; the WAF on, so its logging configuration shows the redacted headers. */
function service(
  config: LiteLlmConfigOptions, network: Omit<LiteLlmNetworkProps, 'encryptionKey'> = {}, providerKeyNames: string[] = [], app = new App(), env = ENV,
) {
  const stack = new Stack(app, 'Stack', { env });
  const security = new LiteLlmSecurity(stack, 'Security', { providerKeyNames });
  const net = new LiteLlmNetwork(stack, 'Network', { ...network, encryptionKey: security.encryptionKey });
  const loadBalancer = new LiteLlmLoadBalancer(stack, 'LoadBalancer', {
    vpc: net.vpc, securityGroup: net.loadBalancerSecurityGroup, waf: { enabled: true }, allowHttp: true,
  });
  const database = new LiteLlmDatabase(stack, 'Database', {
    vpc: net.vpc, securityGroup: net.databaseSecurityGroup, rotationSecurityGroup: net.rotationSecurityGroup, encryptionKey: security.encryptionKey,
  });
  // Without NAT the image must come from ECR, through its endpoints.
  const image = LiteLlmImage.fromEcrRepository(ecr.Repository.fromRepositoryName(stack, 'Repo', 'litellm'), `v${LiteLlmImage.DEFAULT_VERSION}`);
  const svc = new LiteLlmService(stack, 'Service', { models: [MOCK], config, security, network: net, loadBalancer, database, image });
  return { stack, service: svc, template: Template.fromStack(stack) };
}

/** The task role's statements. */
function taskStatements(template: Template): any[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter(p => JSON.stringify(p.Properties.Roles).includes('TaskDefinitionTaskRole'))
    .flatMap(p => p.Properties.PolicyDocument.Statement);
}

describe('what each layer may carry', () => {
  test('every other section LiteLLM reads is rendered as written, after the settings', () => {
    // GIVEN
    const sections = {
      callback_settings: { otel: { message_logging: false } },
      credential_list: [{ credential_name: 'azure', credential_values: { api_key: 'os.environ/AZURE_KEY' }, credential_info: {} }],
      prompts: [{ prompt_id: 'hello', litellm_params: { prompt_integration: 'dotprompt' } }],
    };

    // WHEN
    const config = LiteLlmConfig.load([MOCK], { sections });
    const rendered = YAML.parse(config.render(PLATFORM));

    // THEN
    expect(Object.keys(rendered)).toEqual(['model_list', 'litellm_settings', 'general_settings', 'router_settings', 'callback_settings', 'credential_list', 'prompts']);
    expect(rendered.credential_list).toEqual(sections.credential_list);
    expect(config.secretEnvNames).toContain('AZURE_KEY');
  });

  test('the file\'s sections and `sections` merge: lists joined, mappings key by key, `sections` winning', () => {
    const file = configFile('callback_settings: { otel: { a: 1 }, langfuse: { b: 2 } }\nagents: [{ agent_name: one }]\n');
    const rendered = doc({ configFile: file, sections: { callback_settings: { otel: { a: 3 } }, agents: [{ agent_name: 'two' }] } });
    expect(rendered.callback_settings).toEqual({ otel: { a: 3 }, langfuse: { b: 2 } });
    expect(rendered.agents).toEqual([{ agent_name: 'one' }, { agent_name: 'two' }]);
  });

  test('the file\'s `include`s are merged at synth as LiteLLM merges them (lists joined, relative to the file that names them)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-litellm-include-'));
    fs.mkdirSync(path.join(dir, 'more'));
    configFile('guardrails:\n  - guardrail_name: nested\n    litellm_params: { guardrail: litellm_content_filter, mode: post_call }\n', 'nested.yaml', path.join(dir, 'more'));
    configFile('include: [nested.yaml]\nguardrails:\n  - guardrail_name: included\n    litellm_params: { guardrail: block_code_execution, mode: pre_call }\n', 'guards.yaml', path.join(dir, 'more'));
    const file = configFile('include: [more/guards.yaml]\nguardrails:\n  - guardrail_name: own\n    litellm_params: { guardrail: litellm_content_filter, mode: pre_call }\n', 'config.yaml', dir);
    expect(doc({ configFile: file }).guardrails.map((g: any) => g.guardrail_name)).toEqual(['own', 'included', 'nested']);
  });

  test('an include not next to the file that declares it is read from next to the root config, as LiteLLM does', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-litellm-sections-'));
    configFile('guardrails:\n  - guardrail_name: shared\n    litellm_params: { guardrail: block_code_execution, mode: pre_call }\n', 'shared.yaml', dir);
    fs.mkdirSync(path.join(dir, 'teams'));
    configFile('include: [shared.yaml]\nvector_store_registry: []\n', 'team.yaml', path.join(dir, 'teams'));
    const file = configFile('include: [teams/team.yaml]\n', 'config.yaml', dir);
    expect(doc({ configFile: file }).guardrails.map((g: any) => g.guardrail_name)).toEqual(['shared']);
  });

  test.each([
    ['model_list', 'use `models` (LiteLlmModel factories), or bring the file in `config.configFile`'],
    ['litellm_settings', 'use `config.litellmSettings`'],
    ['general_settings', 'use `config.generalSettings`'],
    ['router_settings', 'use `config.routerSettings`'],
  ])('`sections.%s` is refused, naming its prop', (name, fix) => {
    expect(() => LiteLlmConfig.load([MOCK], { sections: { [name]: {} } })).toThrow(new Error(`\`config.sections.${name}\` is not carried: ${fix}`));
  });

  test('environment_variables is refused with the fix, in `sections` and in the file', () => {
    const fix = 'set plain variables in `service.environment`, and credentials as fields of the provider keys secret (reference them as "os.environ/NAME", or list them in `config.secretEnvNames`)';
    expect(() => LiteLlmConfig.load([MOCK], { sections: { environment_variables: { FOO: 'bar' } } }))
      .toThrow(new Error(`\`config.sections.environment_variables\` is not carried: ${fix}`));
    const file = configFile('environment_variables: { FOO: bar }\n');
    expect(() => LiteLlmConfig.load([MOCK], { configFile: file })).toThrow(new Error(`\`config.configFile\` (${file}) \`environment_variables\` is not carried: ${fix}`));
  });

  test('an unknown section name is refused, naming the closest known one', () => {
    expect(() => LiteLlmConfig.load([MOCK], { sections: { guardrail: [] } }))
      .toThrow(new Error('`config.sections.guardrail` is not a section LiteLLM reads: did you mean "guardrails"? Fix the name or remove it'));
    const file = configFile('mcp_server: {}\n');
    expect(() => LiteLlmConfig.load([MOCK], { configFile: file }))
      .toThrow(new Error(`\`config.configFile\` (${file}) \`mcp_server\` is not a section LiteLLM reads: did you mean "mcp_servers"? Fix the name or remove it`));
  });

  test('JWT auth at the top level, which LiteLLM ignores, is refused naming general_settings', () => {
    expect(() => LiteLlmConfig.load([MOCK], { sections: { enable_jwt_auth: true } }))
      .toThrow(new Error('`config.sections.enable_jwt_auth` is not carried: it belongs in general_settings: use `config.generalSettings.enable_jwt_auth`'));
  });

  test('a literal credential in any section is refused, in `sections` and in the file', () => {
    expect(() => LiteLlmConfig.load([MOCK], { sections: { credential_list: [{ credential_name: 'x', credential_values: { api_key: 'sk-live' } }] } }))
      .toThrow(new Error('`config.sections.credential_list[0].credential_values.api_key` holds a value; it would be written into the template. Write "os.environ/NAME": NAME becomes a field of the provider keys secret'));
    const file = configFile('search_tools:\n  - search_tool_name: web\n    litellm_params: { search_provider: tavily, api_key: tvly-123 }\n');
    expect(() => LiteLlmConfig.load([MOCK], { configFile: file })).toThrow(/holds a credential at `search_tools\[0\].litellm_params.api_key`/);
    expect(() => LiteLlmMcpServer.custom('gh', { url: 'https://mcp.example.com/mcp', auth_value: 'ghp_123' }))
      .toThrow(new Error('LiteLlmMcpServer.custom "gh": `mcp_servers.gh.auth_value` holds a value; it would be written into the template. Write "os.environ/NAME": NAME becomes a field of the provider keys secret'));
    expect(() => LiteLlmMcpServer.custom('gh', { url: 'https://mcp.example.com/mcp', static_headers: { Authorization: 'Bearer ghp_123' } }))
      .toThrow(/`mcp_servers.gh.static_headers.Authorization` holds a value/);
  });

  test('the size guard holds for the other sections too', () => {
    const prompts = Array.from({ length: 500 }, (_, i) => ({ prompt_id: `p${i}`, litellm_params: { prompt_integration: 'dotprompt', text: 'x'.repeat(100) } }));
    expect(() => doc({ sections: { prompts } })).toThrow(/^the rendered LiteLLM config takes \d+ bytes of the task definition, over the 40960 it may use/);
  });

  test('every section is classified, and only the three typed ones are parsed', () => {
    expect(Object.entries(SECTION_RULES).filter(([, r]) => r.kind === SectionKind.TYPED).map(([n]) => n)).toEqual(['guardrails', 'mcp_servers', 'vector_store_registry']);
  });
});

describe('typed sections', () => {
  test('a Bedrock guardrail renders as LiteLLM reads it', () => {
    expect(doc({ guardrails: [BEDROCK_GUARDRAIL()] }).guardrails).toEqual([{
      guardrail_name: 'pii',
      litellm_params: { guardrail: 'bedrock', mode: 'pre_call', guardrailIdentifier: 'gr0abc123', guardrailVersion: '1', default_on: true },
    }]);
  });

  test('a Bedrock guardrail without a version is refused, typed or from the file', () => {
    expect(() => LiteLlmGuardrail.bedrock({ name: 'pii', guardrailIdentifier: 'gr0abc123', mode: LiteLlmGuardrailMode.PRE_CALL } as any))
      .toThrow(new Error('LiteLlmGuardrail.bedrock "pii": a Bedrock guardrail needs `guardrailVersion` ("DRAFT" or a version number, as a string): without it LiteLLM calls ApplyGuardrail on version "None", which fails every request'));
    const file = configFile('guardrails:\n  - guardrail_name: g\n    litellm_params: { guardrail: bedrock, mode: pre_call, guardrailIdentifier: abc }\n');
    expect(() => LiteLlmConfig.load([MOCK], { configFile: file })).toThrow(/^guardrails\[0\]: a Bedrock guardrail needs `guardrailVersion`/);
    const numeric = configFile('guardrails:\n  - guardrail_name: g\n    litellm_params: { guardrail: bedrock, mode: pre_call, guardrailIdentifier: abc, guardrailVersion: 1 }\n');
    expect(() => LiteLlmConfig.load([MOCK], { configFile: numeric })).toThrow(/`guardrailVersion` \(1\) must be a string .*quote it, e.g. "1"/);
  });

  test('a guardrail with neither or both of an identifier and a CfnGuardrail is refused', () => {
    const stack = new Stack();
    const guardrail = new bedrock.CfnGuardrail(stack, 'G', { name: 'g', blockedInputMessaging: 'no', blockedOutputsMessaging: 'no' });
    expect(() => LiteLlmGuardrail.bedrock({ name: 'g', guardrailVersion: 'DRAFT', mode: LiteLlmGuardrailMode.PRE_CALL }))
      .toThrow(new Error('LiteLlmGuardrail.bedrock "g": give exactly one of `guardrailIdentifier` (an id or ARN) and `guardrail` (a bedrock.CfnGuardrail)'));
    expect(() => LiteLlmGuardrail.bedrock({ name: 'g', guardrail, guardrailIdentifier: 'x', guardrailVersion: 'DRAFT', mode: LiteLlmGuardrailMode.PRE_CALL }))
      .toThrow(/give exactly one of/);
  });

  test('a guardrail mode LiteLLM does not run is refused', () => {
    expect(() => LiteLlmGuardrail.custom({ guardrail_name: 'g', litellm_params: { guardrail: 'litellm_content_filter', mode: 'before_call' } }))
      .toThrow(/`litellm_params.mode` \("before_call"\) is not a mode LiteLLM runs: use one of pre_call, during_call, post_call/);
  });

  test('names must differ across the file, `sections` and the props', () => {
    const file = configFile('guardrails:\n  - guardrail_name: pii\n    litellm_params: { guardrail: litellm_content_filter, mode: pre_call }\n');
    expect(() => LiteLlmConfig.load([MOCK], { configFile: file, guardrails: [BEDROCK_GUARDRAIL()] }))
      .toThrow(new Error('`guardrails` has "pii" twice (across `config.configFile`, `config.sections` and `config.guardrails`): give each a name of its own, or remove one'));
  });

  test('an MCP server renders under its name; its secret field becomes a provider key', () => {
    const server = LiteLlmMcpServer.streamableHttp({
      name: 'github', url: 'https://mcp.example.com/mcp', authHeaderSecretField: 'GITHUB_MCP_TOKEN', accessGroups: ['dev'], availableOnPublicInternet: false,
    });
    const config = LiteLlmConfig.load([MOCK], { mcpServers: [server] });
    expect(YAML.parse(config.render(PLATFORM)).mcp_servers).toEqual({
      github: {
        url: 'https://mcp.example.com/mcp',
        transport: 'http',
        auth_type: 'bearer_token',
        authentication_token: 'os.environ/GITHUB_MCP_TOKEN',
        available_on_public_internet: false,
        access_groups: ['dev'],
      },
    });
    expect(config.secretEnvNames).toEqual(['GITHUB_MCP_TOKEN']);
  });

  test('an MCP server on a port no TCP connection reaches is refused at synth', () => {
    expect(() => LiteLlmMcpServer.sse({ name: 'x', url: 'http://mcp.internal:70000/sse' }))
      .toThrow(new Error('LiteLlmMcpServer.sse "x": `url` ("http://mcp.internal:70000/sse") has port 70000, which no TCP connection reaches, so the platform cannot open egress to it: use a port from 1 to 65535'));
    const file = configFile('mcp_servers:\n  x: { url: "http://mcp.internal:0/mcp" }\n');
    expect(() => LiteLlmConfig.load([MOCK], { configFile: file })).toThrow(/^mcp_servers.x: `url` \("http:\/\/mcp.internal:0\/mcp"\) has port 0/);
  });

  test('an MCP server name with LiteLLM\'s separator is refused', () => {
    expect(() => LiteLlmMcpServer.streamableHttp({ name: 'my-server', url: 'https://mcp.example.com/mcp' }))
      .toThrow(new Error('LiteLlmMcpServer.streamableHttp "my-server": the name has "-", LiteLLM\'s tool-prefix separator, which it refuses in a server name at start: use "my_server"'));
  });

  test('a knowledge base renders as a bedrock vector store', () => {
    expect(doc({ vectorStores: [KNOWLEDGE_BASE()] }).vector_store_registry).toEqual([
      { vector_store_name: 'docs', litellm_params: { vector_store_id: 'KB12345678', custom_llm_provider: 'bedrock' } },
    ]);
  });
});

describe('what they give the service', () => {
  test('the task role may apply exactly the configured guardrail and retrieve from exactly the configured knowledge base', () => {
    // GIVEN a typed guardrail and knowledge base, a raw guardrail in the team's file and a raw knowledge base in `sections`
    const file = configFile('guardrails:\n  - guardrail_name: eu\n    litellm_params:\n      guardrail: bedrock\n      mode: post_call\n'
      + '      guardrailIdentifier: gr0eu\n      guardrailVersion: DRAFT\n      aws_region_name: eu-west-1\n');
    const { template } = service({
      configFile: file,
      guardrails: [BEDROCK_GUARDRAIL()],
      vectorStores: [KNOWLEDGE_BASE()],
      sections: { vector_store_registry: [{ vector_store_name: 'faq', litellm_params: { vector_store_id: 'KBFAQ', custom_llm_provider: 'bedrock' } }] },
    });

    // THEN
    const statements = taskStatements(template);
    expect(statements.find(s => s.Sid === 'ApplyConfiguredBedrockGuardrails')).toEqual({
      Sid: 'ApplyConfiguredBedrockGuardrails',
      Effect: 'Allow',
      Action: 'bedrock:ApplyGuardrail',
      Resource: [
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:eu-west-1:123456789012:guardrail/gr0eu']] },
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:us-east-1:123456789012:guardrail/gr0abc123']] },
      ],
    });
    expect(statements.find(s => s.Sid === 'RetrieveFromConfiguredKnowledgeBases')).toEqual({
      Sid: 'RetrieveFromConfiguredKnowledgeBases',
      Effect: 'Allow',
      Action: 'bedrock:Retrieve',
      Resource: [
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:us-east-1:123456789012:knowledge-base/KBFAQ']] },
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:us-east-1:123456789012:knowledge-base/KB12345678']] },
      ],
    });
  });

  test('a CfnGuardrail is granted by its ARN and configured by its id; an os.environ id is warned about, naming the permission', () => {
    // GIVEN
    const app = new App();
    const stack = new Stack(app, 'Guardrails', { env: ENV });
    const guardrail = new bedrock.CfnGuardrail(stack, 'Guardrail', { name: 'g', blockedInputMessaging: 'no', blockedOutputsMessaging: 'no' });
    const typed = LiteLlmGuardrail.bedrock({ name: 'cfn', guardrail, guardrailVersion: 'DRAFT', mode: LiteLlmGuardrailMode.DURING_CALL });
    const { stack: serviceStack, template } = service({
      guardrails: [typed],
      sections: {
        guardrails: [{ guardrail_name: 'env', litellm_params: { guardrail: 'bedrock', mode: 'pre_call', guardrailIdentifier: 'os.environ/GUARDRAIL_ID', guardrailVersion: '2' } }],
        vector_store_registry: [{ vector_store_name: 'kb', litellm_params: { vector_store_id: 'os.environ/KB_ID', custom_llm_provider: 'bedrock' } }],
      },
    }, {}, ['GUARDRAIL_ID', 'KB_ID'], app);

    // THEN
    const statement = taskStatements(template).find(s => s.Sid === 'ApplyConfiguredBedrockGuardrails');
    expect(JSON.stringify(statement.Resource)).toMatch(/GuardrailGuardrailArn/);
    expect(JSON.stringify(statement.Resource)).not.toMatch(/GUARDRAIL_ID/);
    Annotations.fromStack(serviceStack).hasWarning('/Stack/Service', Match.stringLikeRegexp(
      '^guardrail "env": its guardrailIdentifier is read from os.environ/GUARDRAIL_ID at runtime, so the task role is not granted bedrock:ApplyGuardrail on it .*'
      + 'arn:<partition>:bedrock:<region>:<account>:guardrail/<id>'));
    Annotations.fromStack(serviceStack).hasWarning('/Stack/Service', Match.stringLikeRegexp(
      '^vector store "kb": its vector_store_id is read from os.environ/KB_ID at runtime, so the task role is not granted bedrock:Retrieve on it .*'
      + 'arn:<partition>:bedrock:<region>:<account>:knowledge-base/<id>'));
    expect(taskStatements(template).map(s => s.Sid)).not.toContain('RetrieveFromConfiguredKnowledgeBases');
  });

  test('a guardrail that assumes a role of its own gets no grant', () => {
    const { template } = service({
      sections: { guardrails: [{ guardrail_name: 'x', litellm_params: { guardrail: 'bedrock', mode: 'pre_call', guardrailIdentifier: 'a', guardrailVersion: '1', aws_role_name: 'arn:aws:iam::111111111111:role/g' } }] },
    });
    expect(taskStatements(template).map(s => s.Sid)).not.toContain('ApplyConfiguredBedrockGuardrails');
  });

  test('MCP servers on other ports and a guardrail\'s api_base get egress rules, as models do', () => {
    const { template } = service({
      mcpServers: [LiteLlmMcpServer.streamableHttp({ name: 'tools', url: 'http://tools.internal:8931/mcp', needsInternet: false })],
      guardrails: [LiteLlmGuardrail.custom({ guardrail_name: 'presidio', litellm_params: { guardrail: 'presidio', mode: 'pre_call', presidio_analyzer_api_base: 'http://presidio.internal:5002' } })],
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', { FromPort: 8931, ToPort: 8931, CidrIp: '0.0.0.0/0', Description: 'LiteLLM to TCP 8931: tools.internal' });
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', { FromPort: 5002, ToPort: 5002, Description: 'LiteLLM to TCP 5002: presidio.internal' });
  });

  test('the WAF logs redact each MCP server\'s credential headers and forwarded headers', () => {
    const { template } = service({
      mcpServers: [LiteLlmMcpServer.streamableHttp({ name: 'github', url: 'https://mcp.example.com/mcp', extraHeaders: ['X-GitHub-Token'] })],
      sections: { mcp_servers: { zapier: { url: 'https://mcp.zapier.com/api/mcp', alias: 'zap' } } },
    });
    const fields = Object.values(template.findResources('AWS::WAFv2::LoggingConfiguration'))[0].Properties.RedactedFields
      .filter((f: any) => f.SingleHeader).map((f: any) => f.SingleHeader.Name);
    expect(fields).toEqual(expect.arrayContaining([
      'x-mcp-zapier-authorization', 'x-mcp-zapier-x-api-key', 'x-mcp-zap-authorization', 'x-mcp-zap-x-api-key',
      'x-mcp-github-authorization', 'x-mcp-github-x-api-key', 'x-github-token',
    ]));
  });

  test('without NAT, Bedrock guardrails and knowledge bases get their interface endpoints; an MCP server on the internet is refused', () => {
    const noNat = { natGateways: 0, endpoints: { bedrockRuntime: true, bedrockAgentRuntime: true } };
    const { template } = service({ guardrails: [BEDROCK_GUARDRAIL()], vectorStores: [KNOWLEDGE_BASE()] }, noNat);
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', { ServiceName: 'com.amazonaws.us-east-1.bedrock-agent-runtime', VpcEndpointType: 'Interface' });
    expect(() => service({ vectorStores: [KNOWLEDGE_BASE()] }, { natGateways: 0, endpoints: { bedrockRuntime: true } })).toThrow(new Error(
      '`natGateways` is 0 and tasks run in private subnets, so they reach AWS only through VPC endpoints, but `endpoints` has no bedrockAgentRuntime (the Bedrock knowledge bases): turn them on, or set natGateways to 1'));
    expect(() => service({ mcpServers: [LiteLlmMcpServer.streamableHttp({ name: 'gh', url: 'https://mcp.example.com/mcp' })] }, noNat)).toThrow(new Error(
      'MCP server "gh" needs internet egress, but `natGateways` is 0 and tasks run in private subnets: '
      + 'set natGateways to 1, or say `needsInternet` false for one in the VPC (the factories\' option, `custom`\'s last argument: '
      + 'move a file\'s entry there, e.g. `LiteLlmMcpServer.custom(name, entry, { needsInternet: false })`); an entry at a private address (RFC 1918, or the VPC\'s range) needs no NAT'));
    // The same server in the VPC, said so, is reached without NAT.
    expect(() => service({ mcpServers: [LiteLlmMcpServer.custom('gh', { url: 'https://mcp.internal/mcp' }, { needsInternet: false })] }, noNat)).not.toThrow();
  });

  test('a platform without NAT creates bedrock-runtime for a guardrail and bedrock-agent-runtime for a knowledge base, with no Bedrock model', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Platform', { env: ENV });
    const image = LiteLlmImage.fromEcrRepository(ecr.Repository.fromRepositoryName(stack, 'Repo', 'litellm'), `v${LiteLlmImage.DEFAULT_VERSION}`);

    // WHEN
    new LiteLlmPlatform(stack, 'LiteLlm', {
      models: [MOCK], image, network: { natGateways: 0 }, config: { guardrails: [BEDROCK_GUARDRAIL()], vectorStores: [KNOWLEDGE_BASE()] },
    });

    // THEN
    const services = Object.values(Template.fromStack(stack).findResources('AWS::EC2::VPCEndpoint')).map(e => JSON.stringify(e.Properties.ServiceName));
    expect(services.filter(n => /bedrock/.test(n)).sort()).toEqual(['"com.amazonaws.us-east-1.bedrock-agent-runtime"', '"com.amazonaws.us-east-1.bedrock-runtime"']);
  });

  test('an MCP server with an auth type names the header LiteLLM sends', () => {
    expect(LiteLlmMcpServer.streamableHttp({ name: 'k', url: 'https://k.example.com/mcp', authType: LiteLlmMcpAuthType.API_KEY, authHeaderSecretField: 'K_KEY' }).configEntry)
      .toMatchObject({ auth_type: 'api_key', authentication_token: 'os.environ/K_KEY' });
  });
});

describe('review of issue 32', () => {
  const ARN = 'arn:aws:bedrock:eu-west-1:123456789012:guardrail/gr0abc123';
  const NO_NAT = { natGateways: 0, endpoints: { bedrockRuntime: true, bedrockAgentRuntime: true } };
  const warnings = (stack: Stack) => Annotations.fromStack(stack).findWarning('*', Match.anyValue()).map(w => String(w.entry.data));

  test('a guardrail ARN is rendered as its id with the ARN\'s region (LiteLLM puts it into the URL path), and granted by the ARN', () => {
    // GIVEN
    const typed = LiteLlmGuardrail.bedrock({ name: 'arn', guardrailIdentifier: ARN, guardrailVersion: '1', mode: LiteLlmGuardrailMode.PRE_CALL });
    const file = { guardrail_name: 'file', litellm_params: { guardrail: 'bedrock', mode: 'pre_call', guardrailIdentifier: ARN, guardrailVersion: '1' } };

    // WHEN
    const { guardrails } = doc({ guardrails: [typed], sections: { guardrails: [file] } });
    const { template } = service({ guardrails: [typed] });

    // THEN
    expect(guardrails.map((g: any) => [g.litellm_params.guardrailIdentifier, g.litellm_params.aws_region_name])).toEqual([['gr0abc123', 'eu-west-1'], ['gr0abc123', 'eu-west-1']]);
    expect(taskStatements(template).find(s => s.Sid === 'ApplyConfiguredBedrockGuardrails').Resource).toEqual(ARN);
    expect(() => LiteLlmGuardrail.bedrock({ name: 'x', guardrailIdentifier: 'arn:aws:bedrock:eu-west-1:123456789012:guardrail-profile/us.guardrail.v1:0', guardrailVersion: '1', mode: LiteLlmGuardrailMode.PRE_CALL }))
      .toThrow(/`guardrailIdentifier` \("arn:aws:bedrock:eu-west-1:123456789012:guardrail-profile\/us.guardrail.v1:0"\) is not a guardrail ARN/);
  });

  test('an ARN in another region is refused without NAT, like a region given outright', () => {
    expect(() => service({ guardrails: [LiteLlmGuardrail.bedrock({ name: 'arn', guardrailIdentifier: ARN, guardrailVersion: '1', mode: LiteLlmGuardrailMode.PRE_CALL })] }, NO_NAT))
      .toThrow(/^guardrail "arn" \(Bedrock in eu-west-1\) needs internet egress/);
  });

  test('a CfnGuardrail with cross-Region inference is granted its guardrail profile in every region; a deploy-time one is warned about', () => {
    // GIVEN
    const app = new App();
    const stack = new Stack(app, 'Guardrails', { env: ENV });
    const profile = 'arn:aws:bedrock:us-east-1:123456789012:guardrail-profile/us.guardrail.v1:0';
    const cross = new bedrock.CfnGuardrail(stack, 'Cross', { name: 'c', blockedInputMessaging: 'no', blockedOutputsMessaging: 'no', crossRegionConfig: { guardrailProfileArn: profile } });
    const { stack: serviceStack, template } = service({
      guardrails: [
        LiteLlmGuardrail.bedrock({ name: 'cross', guardrail: cross, guardrailVersion: 'DRAFT', mode: LiteLlmGuardrailMode.PRE_CALL }),
        LiteLlmGuardrail.bedrock({ name: 'byid', guardrailIdentifier: 'gr0def456', guardrailVersion: '1', mode: LiteLlmGuardrailMode.PRE_CALL, guardrailProfileArn: profile }),
      ],
    }, {}, [], app);

    // THEN
    const resources = JSON.stringify(taskStatements(template).find(s => s.Sid === 'ApplyConfiguredBedrockGuardrails').Resource);
    expect(resources).toContain(JSON.stringify(profile));
    expect(resources).toContain('":bedrock:*:123456789012:guardrail-profile/us.guardrail.v1:0"');
    expect(resources).toContain('guardrail/gr0def456');
    expect(warnings(serviceStack).filter(w => /guardrail profile/.test(w))).toEqual([]);

    // A crossRegionConfig known only at deploy time
    const app2 = new App();
    const stack2 = new Stack(app2, 'Guardrails', { env: ENV });
    const tokenCross = new bedrock.CfnGuardrail(stack2, 'Cross', {
      name: 'c', blockedInputMessaging: 'no', blockedOutputsMessaging: 'no', crossRegionConfig: { guardrailProfileArn: profile },
    });
    tokenCross.crossRegionConfig = Lazy.any({ produce: () => ({ guardrailProfileArn: profile }) }) as IResolvable;
    const { stack: s2 } = service({ guardrails: [LiteLlmGuardrail.bedrock({ name: 'later', guardrail: tokenCross, guardrailVersion: '1', mode: LiteLlmGuardrailMode.PRE_CALL })] }, {}, [], app2);
    expect(warnings(s2).find(w => w.startsWith('guardrail "later": its `crossRegionConfig` is only known at deploy time'))).toMatch(/bedrock:ApplyGuardrail on arn:<partition>:bedrock:\*:<account>:guardrail-profile\/<profile id>/);
  });

  test('an MCP server, alias or access group with "_" is warned about (the load balancer drops its headers) and still redacted', () => {
    const { stack, template } = service({
      litellmSettings: { mcp_aliases: { wiki_docs: 'wiki' } },
      sections: { mcp_servers: { boot_tools: { url: 'https://t.example.com/mcp' }, wiki: { url: 'https://w.example.com/mcp', access_groups: ['eng'] } } },
    });
    const fields = Object.values(template.findResources('AWS::WAFv2::LoggingConfiguration'))[0].Properties.RedactedFields
      .filter((f: any) => f.SingleHeader).map((f: any) => f.SingleHeader.Name);
    expect(fields).toEqual(expect.arrayContaining([
      'x-mcp-boot_tools-authorization', 'x-mcp-boot_tools-x-api-key', 'x-mcp-wiki_docs-authorization', 'x-mcp-eng-authorization', 'x-mcp-eng-x-api-key',
    ]));
    const dropped = warnings(stack).filter(w => /which the load balancer drops/.test(w));
    expect(dropped).toEqual([
      expect.stringMatching(/^MCP server "boot_tools": callers' credential headers for "boot_tools" .*name the server \(or its alias or access group\) with letters and digits only/),
      expect.stringMatching(/^MCP server "wiki": callers' credential headers for "wiki_docs" /),
    ]);
  });

  test('an aws_sigv4 MCP server is warned about, naming the permission', () => {
    const { stack } = service({ mcpServers: [LiteLlmMcpServer.custom('gateway', { url: 'https://gw.example.com/mcp', auth_type: 'aws_sigv4', aws_service_name: 'bedrock-agentcore' })] });
    expect(warnings(stack)).toEqual(expect.arrayContaining([expect.stringMatching(/^MCP server "gateway" uses auth_type aws_sigv4.*bedrock-agentcore:InvokeGateway/)]));
  });

  test('worker_registry without LITELLM_LICENSE is warned about; with the license field it is not', () => {
    const entry = { worker_registry: [{ worker_id: 'a', name: 'a', url: 'https://a.example.com' }] };
    expect(warnings(service({ sections: entry }).stack)).toEqual(expect.arrayContaining([expect.stringMatching(/^`worker_registry` is a LiteLLM Enterprise section/)]));
    expect(warnings(service({ sections: entry, secretEnvNames: ['LITELLM_LICENSE'] }, {}, ['LITELLM_LICENSE']).stack).filter(w => /worker_registry/.test(w))).toEqual([]);
  });

  test('outside model_list and the settings only endpoint keys open egress: a keyword that is a URL opens nothing', () => {
    const ports = egressPorts({
      guardrails: [{ guardrail_name: 'f', litellm_params: { guardrail: 'litellm_content_filter', blocked_words: [{ keyword: 'http://evil.example:4444' }], api_base: 'http://p.internal:5002' } }],
      mcp_servers: { s: { url: 'http://s.internal:8931/mcp', spec_path: 'http://spec.internal:8080/openapi.json' } },
      general_settings: { pass_through_endpoints: [{ target: 'http://pt.internal:9000' }] },
    });
    expect(ports.map(p => p.port)).toEqual([5002, 8080, 8931, 9000]);
  });

  test('a file entry at a private address, or in the VPC\'s range, needs no NAT; a public one still does', () => {
    expect(() => service({
      sections: {
        mcp_servers: { wiki: { url: 'http://10.0.3.7:8080/mcp' } },
        guardrails: [{ guardrail_name: 'p', litellm_params: { guardrail: 'presidio', mode: 'pre_call', api_base: 'http://192.168.4.2:5002' } }],
        vector_store_registry: [{ vector_store_name: 'v', litellm_params: { vector_store_id: 'x', custom_llm_provider: 'pg_vector', api_base: 'http://172.20.0.9:8000' } }],
      },
    }, NO_NAT)).not.toThrow();
    // 198.19.0.0/16 (a VPC may use it) is neither RFC 1918 nor RFC 6598: only the VPC's own range makes it private.
    expect(() => service({ sections: { mcp_servers: { wiki: { url: 'http://198.19.3.7:8080/mcp' } } } }, { ...NO_NAT, ipAddresses: ec2.IpAddresses.cidr('198.19.0.0/16') })).not.toThrow();
    expect(() => service({ sections: { mcp_servers: { wiki: { url: 'http://198.20.3.7:8080/mcp' } } } }, { ...NO_NAT, ipAddresses: ec2.IpAddresses.cidr('198.19.0.0/16') })).toThrow(/^MCP server "wiki" needs internet egress/);
    // RFC 6598's shared space, which VPCs use as a secondary block, is private like RFC 1918.
    expect(() => service({ sections: { mcp_servers: { wiki: { url: 'http://100.65.3.7:8080/mcp' } } } }, NO_NAT)).not.toThrow();
  });

  test('a server name used twice across the file and `sections` is refused', () => {
    const file = configFile('mcp_servers:\n  wiki:\n    url: https://a.example.com/mcp\n');
    expect(() => doc({ configFile: file, sections: { mcp_servers: { wiki: { url: 'https://b.example.com/mcp' } } } })).toThrow(new Error(
      '`mcp_servers` has "wiki" twice (across `config.configFile`, `config.sections` and `config.mcpServers`): give each a name of its own, or remove one'));
  });

  test('what LiteLLM would ignore or leave unresolved is refused: agents with agent_list, attachments without policies, os.environ in a string list', () => {
    expect(() => doc({ sections: { agents: [{ agent_name: 'a' }], agent_list: [{ agent_name: 'b' }] } })).toThrow(/^`agents` and `agent_list` are both set/);
    expect(() => doc({ sections: { policy_attachments: [{ policy: 'p', scope: '*' }] } })).toThrow(/^`policy_attachments` is set without `policies`/);
    expect(() => doc({ sections: { mcp_servers: { local: { transport: 'stdio', command: 'npx', args: ['tool', 'os.environ/TOOL_TOKEN'] } } } }))
      .toThrow(/^`mcp_servers.local.args\[1\]` is an "os.environ\/" reference that is an item of a list, or inside a list in a list, which LiteLLM passes on as written/);
    // In a mapping, even inside a list, LiteLLM resolves it.
    expect(() => doc({ sections: { credential_list: [{ credential_name: 'c', credential_values: { api_key: 'os.environ/C_KEY' } }] } })).not.toThrow();
  });

  test('a mapping inside a list inside a list is passed on as written: its os.environ/ is refused, and so it is in a typed prop\'s own entry', () => {
    expect(() => doc({ sections: { search_tools: [{ search_tool_name: 's', litellm_params: { headers_sets: [[{ token: 'os.environ/T' }]] } }] } }))
      .toThrow(/^`search_tools\[0\].litellm_params.headers_sets\[0\]\[0\].token` is an "os.environ\/" reference that is an item of a list, or inside a list in a list/);
    const local = LiteLlmMcpServer.custom('local', { transport: 'stdio', command: 'npx', args: ['tool', 'os.environ/TOOL_TOKEN'] });
    expect(() => doc({ mcpServers: [local] })).toThrow(/^`config.mcpServers.local.args\[1\]` is an "os.environ\/" reference that is an item of a list/);
  });
});

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
    }, {}, [], app);

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
    const { template } = service({ guardrails: [LiteLlmGuardrail.bedrock({ name: 'a', guardrail: plain, guardrailVersion: 'DRAFT', mode: LiteLlmGuardrailMode.PRE_CALL })] }, {}, [], app);
    expect(taskStatements(template).map(s => s.Sid)).not.toContain('DecryptConfiguredBedrockGuardrails');
  });

  test('a Bedrock guardrail with an api_key is still called as the task role, so it is granted', () => {
    const { template } = service({
      sections: { guardrails: [{ guardrail_name: 'k', litellm_params: { guardrail: 'bedrock', mode: 'pre_call', guardrailIdentifier: 'gr0abc123', guardrailVersion: '1', api_key: 'os.environ/BEDROCK_KEY' } }] },
    }, {}, ['BEDROCK_KEY']);
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
    expect(() => service({ guardrails: [typed()] }, {}, [], new App(), { account: '111122223333', region: 'us-east-1' })).not.toThrow();
    // An environment-agnostic stack: the account is a deploy-time token, nothing to compare.
    expect(() => service({ guardrails: [typed()] }, {}, [], new App(), {} as typeof ENV)).not.toThrow();
    // Its own credentials: LiteLLM calls as that role, in its account.
    expect(() => service({
      sections: { guardrails: [{ guardrail_name: 'role', litellm_params: { guardrail: 'bedrock', mode: 'pre_call', guardrailIdentifier: arn, guardrailVersion: '1', aws_role_name: 'arn:aws:iam::111122223333:role/g' } }] },
    })).not.toThrow();
  });
});
