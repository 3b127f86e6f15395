import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Lazy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { LiteLlmCallback, LiteLlmOtlpProtocol } from '../src/callbacks';
import { LiteLlmConfig, LiteLlmConfigOptions } from '../src/config';
import { LiteLlmModel } from '../src/models';
import { LiteLlmPlatform } from '../src/platform';
import { egressPorts, egressRanges, egressRuleDescription, unresolvedEndpoints } from '../src/private/egress';
import { LiteLlmDeploymentProfile } from '../src/profile';

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
      LiteLlmCallback.openTelemetry({ endpoint: 'http://otel-collector.internal:4318/v1/traces', protocol: LiteLlmOtlpProtocol.HTTP }),
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
    const callbacks = [LiteLlmCallback.openTelemetry({ endpoint: 'otel-collector.internal:4317', protocol: LiteLlmOtlpProtocol.GRPC })];
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

  test('a reference to what the platform wires itself (the cache) is not unresolved', () => {
    // GIVEN: the cache's settings, as the platform renders them with a cache
    const text = LiteLlmConfig.load([MOCK]).render({ ...PLATFORM, sharedState: {} });

    // WHEN
    const all = unresolvedEndpoints(text, {});
    const wired = unresolvedEndpoints(text, {}, ['REDIS_HOST', 'REDIS_PORT']);

    // THEN
    expect(all).toEqual(['general_settings.coordination_redis.host (os.environ/REDIS_HOST)', 'router_settings.redis_host (os.environ/REDIS_HOST)']);
    expect(wired).toEqual([]);
  });

  test('a default PRODUCTION platform (with its cache) warns about no endpoint; a model whose api_base is a secret does', () => {
    // GIVEN
    const synth = (models: LiteLlmModel[]) => {
      const stack = new Stack(new App(), 'Egress');
      new LiteLlmPlatform(stack, 'LiteLlm', { models, profile: LiteLlmDeploymentProfile.PRODUCTION, loadBalancer: { allowHttp: true } });
      return Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('egressUnresolved'));
    };

    // WHEN
    const plain = synth([MOCK]);
    const secret = synth([MOCK, LiteLlmModel.custom({ name: 'private', litellmParams: { model: 'openai/x', api_base: 'os.environ/PRIVATE_BASE' }, secretEnvNames: ['PRIVATE_BASE'] })]);

    // THEN
    expect(plain).toEqual([]);
    expect(secret.map(w => w.entry.data)).toEqual([expect.stringContaining('model "private" litellm_params.api_base (os.environ/PRIVATE_BASE) is only known at deploy or run time')]);
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
    expect(egressRuleDescription(egressRanges(ports)[0])).toBe('LiteLLM to TCP 8000: a deploy-time host');
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
    expect(egressRuleDescription({ fromPort: 4318, toPort: 4318, hosts: ['otel-collector.internal', '[fd00::1]'] }))
      .toBe('LiteLLM to TCP 4318: otel-collector.internal, [fd00::1]');
  });

  test('keeps to the characters EC2 allows and to 255 of them', () => {
    const description = egressRuleDescription({ fromPort: 8000, toPort: 8000, hosts: ['bücher.example', ...Array.from({ length: 40 }, (_, i) => `host-${i}.internal`)] });
    expect(description).toMatch(/^LiteLLM to TCP 8000: b_cher\.example, host-0\.internal/);
    expect(description).toMatch(/^[a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]+$/);
    expect(description.length).toBe(255);
  });
});

describe('egress rules', () => {
  const api = (port: number) => LiteLlmModel.openAiCompatible({ name: `m${port}`, modelId: 'x', apiBase: `http://vllm-${port}.internal:${port}/v1` });
  const synth = (ports: number[]) => {
    const stack = new Stack(new App(), 'Rules');
    new LiteLlmPlatform(stack, 'LiteLlm', { models: ports.map(api) });
    return Template.fromStack(stack);
  };

  test('adjacent ports share one rule, with every host', () => {
    // WHEN
    const template = synth([8000, 8001, 8002, 9000]);

    // THEN
    const rules = Object.values(template.findResources('AWS::EC2::SecurityGroupEgress', { Properties: { CidrIp: '0.0.0.0/0' } }))
      .map(r => [r.Properties.FromPort, r.Properties.ToPort, r.Properties.Description]);
    expect(rules).toEqual([
      [8000, 8002, 'LiteLLM to TCP 8000-8002: vllm-8000.internal, vllm-8001.internal, vllm-8002.internal'],
      [9000, 9000, 'LiteLLM to TCP 9000: vllm-9000.internal'],
    ]);
  });

  test('more port ranges than the security group holds fail synth', () => {
    // GIVEN: 58 ports two apart (no two adjacent); 57 fit beside the platform's 3 rules
    const ports = Array.from({ length: 58 }, (_, i) => 10000 + 2 * i);

    // THEN
    expect(() => synth(ports.slice(0, 57))).not.toThrow();
    expect(() => synth(ports)).toThrow(new Error(`the config calls 58 separate port ranges other than 443 (${ports.join(', ')}), `
      + 'over the 57 egress rules the service security group has room for (a security group holds 60 outbound rules, '
      + 'the platform uses 3): serve those endpoints on 443 or on adjacent ports (one rule opens a run of adjacent ports), or put them behind one proxy'));
  });
});
