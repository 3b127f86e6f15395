import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Lazy, Stack } from 'aws-cdk-lib';
import { LiteLlmCallback, OtlpProtocol } from '../src/callbacks';
import { LiteLlmConfig, LiteLlmConfigOptions } from '../src/config';
import { LiteLlmModel } from '../src/models';
import { egressPorts, egressRuleDescription, unresolvedEndpoints } from '../src/private/egress';

const PLATFORM = { requestTimeoutSeconds: 600, databaseConnectionPoolLimit: 20, jsonLogs: true };
const MOCK = LiteLlmModel.mock({ name: 'mock' });

/** The rendered config and the callbacks' environment, as LiteLlmService builds them. */
function platform(models: LiteLlmModel[], options: LiteLlmConfigOptions = {}): { text: string; environment: { [name: string]: string } } {
  const config = LiteLlmConfig.load(models, options);
  const bindings = config.callbacks.map(c => c.bind(new Stack(), {} as any));
  return {
    text: config.render({ ...PLATFORM, callbacks: bindings }),
    environment: Object.assign({}, ...bindings.map(b => b.environment)),
  };
}

function portsOf(models: LiteLlmModel[], options: LiteLlmConfigOptions = {}, environment: { [name: string]: string } = {}) {
  const p = platform(models, options);
  return egressPorts(p.text, { ...p.environment, ...environment });
}

describe('egressPorts', () => {
  test('the README\'s callbacks: the OTLP collector on 4318 needs a rule, Langfuse over HTTPS does not', () => {
    // GIVEN
    const callbacks = [
      LiteLlmCallback.openTelemetry({ endpoint: 'http://otel-collector.internal:4318/v1/traces', protocol: OtlpProtocol.HTTP }),
      LiteLlmCallback.langfuse({ host: 'https://langfuse.example.com' }),
    ];

    // WHEN
    const ports = portsOf([MOCK], { callbacks });

    // THEN
    expect(ports).toEqual([{
      port: 4318,
      hosts: ['otel-collector.internal'],
      needs: [{ source: 'OTEL_ENDPOINT', url: 'http://otel-collector.internal:4318/v1/traces' }],
    }]);
  });

  test.each<[string, string, number]>([
    ['http:// without a port', 'http://langfuse.internal', 80],
    ['a port of its own', 'https://langfuse.internal:3000', 3000],
    ['no scheme: LiteLLM adds http://', 'langfuse.internal', 80],
    ['no scheme, a port', 'langfuse.internal:3000', 3000],
  ])('a self-hosted Langfuse, %s', (_name, host, port) => {
    expect(portsOf([MOCK], { callbacks: [LiteLlmCallback.langfuse({ host })] })).toEqual([
      { port, hosts: ['langfuse.internal'], needs: [{ source: 'LANGFUSE_HOST', url: host }] },
    ]);
  });

  test('an OTLP gRPC collector written host:port', () => {
    const callbacks = [LiteLlmCallback.openTelemetry({ endpoint: 'otel-collector.internal:4317', protocol: OtlpProtocol.GRPC })];
    expect(portsOf([MOCK], { callbacks }).map(p => [p.port, p.hosts])).toEqual([[4317, ['otel-collector.internal']]]);
  });

  test('models\' api_base: another port is needed, 443 is not; one entry per port, ascending, with every URL', () => {
    // GIVEN
    const models = [
      LiteLlmModel.openAiCompatible({ name: 'llama', modelId: 'llama-3.3-70b', apiBase: 'http://vllm.internal:8000/v1', needsInternet: false }),
      LiteLlmModel.openAiCompatible({ name: 'llama', modelId: 'llama-3.3-70b', apiBase: 'http://vllm-2.internal:8000/v1', needsInternet: false }),
      LiteLlmModel.openAiCompatible({ name: 'together', modelId: 'm', apiBase: 'https://api.together.xyz/v1', apiKeyEnvName: 'TOGETHER_API_KEY' }),
      LiteLlmModel.custom({ name: 'gateway', litellmParams: { model: 'openai/x', api_base: 'https://gateway.example.com:8443/v1' } }),
      LiteLlmModel.azureOpenAi({ name: 'azure', deployment: 'd', apiBase: 'https://r.openai.azure.com' }),
      LiteLlmModel.bedrock({ name: 'claude', modelId: 'anthropic.claude-3-haiku-20240307-v1:0' }),
    ];

    // WHEN
    const ports = portsOf(models);

    // THEN
    expect(ports).toEqual([
      {
        port: 8000,
        hosts: ['vllm.internal', 'vllm-2.internal'],
        needs: [
          { source: 'model "llama" litellm_params.api_base', url: 'http://vllm.internal:8000/v1' },
          { source: 'model "llama" litellm_params.api_base', url: 'http://vllm-2.internal:8000/v1' },
        ],
      },
      {
        port: 8443,
        hosts: ['gateway.example.com'],
        needs: [{ source: 'model "gateway" litellm_params.api_base', url: 'https://gateway.example.com:8443/v1' }],
      },
    ]);
  });

  test('a model from configFile and a URL anywhere in the settings count too', () => {
    // GIVEN
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-litellm-egress-')), 'config.yaml');
    fs.writeFileSync(file, 'model_list:\n  - model_name: tgi\n    litellm_params: { model: huggingface/tgi, api_base: "http://tgi.internal:8080" }\n');

    // WHEN
    const ports = portsOf([MOCK], {
      configFile: file,
      generalSettings: { pass_through_endpoints: [{ path: '/v1/rerank', target: 'http://rerank.internal:9000/v1/rerank' }] },
    });

    // THEN
    expect(ports.map(p => [p.port, p.needs.map(n => n.source)])).toEqual([
      [8080, ['model "tgi" litellm_params.api_base']],
      [9000, ['general_settings.pass_through_endpoints[0].target']],
    ]);
  });

  test('an os.environ/NAME address is read from the environment given; from a secret it is unresolved', () => {
    // GIVEN
    const models = [
      LiteLlmModel.custom({ name: 'plain', litellmParams: { model: 'openai/x', api_base: 'os.environ/VLLM_BASE' } }),
      LiteLlmModel.custom({ name: 'secret', litellmParams: { model: 'openai/x', api_base: 'os.environ/PRIVATE_BASE' } }),
    ];
    const p = platform(models);

    // WHEN
    const ports = egressPorts(p.text, { VLLM_BASE: 'http://vllm.internal:8000/v1' });
    const unresolved = unresolvedEndpoints(p.text, { VLLM_BASE: 'http://vllm.internal:8000/v1' });

    // THEN
    expect(ports.map(e => [e.port, e.needs])).toEqual([[8000, [
      { source: 'model "plain" litellm_params.api_base (VLLM_BASE)', url: 'http://vllm.internal:8000/v1' },
      { source: 'VLLM_BASE', url: 'http://vllm.internal:8000/v1' },
    ]]]);
    expect(unresolved).toEqual(['model "secret" litellm_params.api_base (os.environ/PRIVATE_BASE)']);
  });

  test('a deploy-time host keeps its port; a deploy-time endpoint is unresolved', () => {
    // GIVEN: an internal load balancer's DNS name, known only at deploy
    const dns = Lazy.string({ produce: () => 'internal-vllm-123.us-east-1.elb.amazonaws.com' });
    const models = [LiteLlmModel.openAiCompatible({ name: 'llama', modelId: 'm', apiBase: `http://${dns}:8000/v1`, needsInternet: false })];
    const p = platform(models);

    // WHEN
    const ports = egressPorts(p.text, { MY_COLLECTOR_ENDPOINT: Lazy.string({ produce: () => 'http://c:4318' }), MY_FLAG: Lazy.string({ produce: () => 'on' }) });

    // THEN
    expect(ports.map(e => e.port)).toEqual([8000]);
    expect(egressRuleDescription(ports[0])).toBe('LiteLLM to TCP 8000: a deploy-time host');
    expect(unresolvedEndpoints(p.text, { MY_COLLECTOR_ENDPOINT: Lazy.string({ produce: () => 'http://c:4318' }) })).toEqual(['MY_COLLECTOR_ENDPOINT']);
  });

  test.each<[string, { [key: string]: any }, { [name: string]: string }]>([
    ['HTTPS without a port', { api_base: 'https://api.mistral.ai/v1' }, {}],
    ['an address in the task', { api_base: 'http://localhost:8000/v1' }, { OTEL_ENDPOINT: 'http://127.0.0.1:4318' }],
    ['a mock response that reads like a URL', { mock_response: 'http://example.com:8080' }, {}],
    ['a plain variable that reads like host:port', {}, { LITELLM_MODE: 'PRODUCTION', SOMETHING: 'a:1' }],
    ['a port out of range', { api_base: 'http://x.internal:70000' }, {}],
    ['a scheme without a known default port', { api_base: 'grpc://x.internal' }, {}],
  ])('needs no rule: %s', (_name, params, environment) => {
    const model = LiteLlmModel.custom({ name: 'm', litellmParams: { model: 'openai/x', ...params } });
    expect(portsOf([model], {}, environment)).toEqual([]);
  });

  test('accepts the parsed document and IPv6 literals', () => {
    expect(egressPorts({ model_list: [{ model_name: 'v6', litellm_params: { api_base: 'http://[fd00::1]:8000/v1' } }] })).toEqual([
      { port: 8000, hosts: ['[fd00::1]'], needs: [{ source: 'model "v6" litellm_params.api_base', url: 'http://[fd00::1]:8000/v1' }] },
    ]);
  });
});

describe('egressRuleDescription', () => {
  test('names the port and the hosts', () => {
    expect(egressRuleDescription({ port: 4318, hosts: ['otel-collector.internal', '[fd00::1]'], needs: [] }))
      .toBe('LiteLLM to TCP 4318: otel-collector.internal, [fd00::1]');
  });

  test('keeps to the characters EC2 allows and to 255 of them', () => {
    const description = egressRuleDescription({ port: 8000, hosts: ['bücher.example', ...Array.from({ length: 40 }, (_, i) => `host-${i}.internal`)], needs: [] });
    expect(description).toMatch(/^LiteLLM to TCP 8000: b_cher\.example, host-0\.internal/);
    expect(description).toMatch(/^[a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]+$/);
    expect(description.length).toBe(255);
  });
});
