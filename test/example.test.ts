// `npx projen example`: synthesizes the example into cdk.out and prints where the template is,
// the modeled monthly cost of what it synthesized and the outputs `cdk deploy` prints.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as YAML from 'yaml';
import { LiteLlmDeploymentProfile, LiteLlmModel, LiteLlmPlatform } from '../src';
import { dollars, report, stacksAt } from '../src/cost/report';

const ROOT = path.join(__dirname, '..');

test('prints the template, its modeled monthly cost and deploy time, and the stack outputs', () => {
  // GIVEN: a directory of its own, so cdk.out lands there
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'example-'));
  try {
    // WHEN
    const run = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'ts-node'),
      ['-T', '-P', path.join(ROOT, 'tsconfig.dev.json'), '--prefer-ts-exts', path.join(ROOT, 'scripts', 'example.ts')],
      { cwd, encoding: 'utf8', timeout: 120_000 });

    // THEN
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const modeled = report(stacksAt(path.join(cwd, 'cdk.out')));
    expect(run.stdout).toMatch(/^LiteLlmExample: \d+ resources -> cdk\.out\/LiteLlmExample\.template\.json$/m);
    expect(run.stdout).toContain(`Modeled cost: ${dollars(modeled.total)} a month (NAT gateways $32.85;`);
    expect(run.stdout).toContain(`A first deploy takes about ${Math.round(modeled.deploy.seconds / 60)} minutes`);
    // The stable keys the README's `out` function reads, each with its description.
    expect(run.stdout).toMatch(/LiteLlmExample\.LiteLlmUrl = https:\/\/<LiteLlmCloudFrontDistribution\w+\.DomainName>\n\s+Base URL of the LiteLLM proxy/);
    expect(run.stdout).toMatch(/LiteLlmExample\.LiteLlmMasterKeySecretArn = <LiteLlmSecurityMasterKey\w+>\n\s+Secret holding the LiteLLM master key/);
    const keys = [...run.stdout.matchAll(/^ {2}LiteLlmExample\.(\w+) = /gm)].map(m => m[1]);
    expect(keys).toEqual(['LiteLlmUrl', 'LiteLlmAdminUi', 'LiteLlmMasterKeySecretArn', 'LiteLlmUiCredentialsSecretArn', 'LiteLlmClusterName',
      'LiteLlmServiceName', 'LiteLlmLogGroupName', 'LiteLlmDatabaseInstanceId', 'LiteLlmDistributionId', 'LiteLlmDashboardName', 'LiteLlmAlarmTopicArn']);
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    for (const key of keys) expect(readme).toContain(`\`${key}\``);
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true });
  }
});

describe('examples/litellm/config.yaml, the team config the README brings', () => {
  const file = path.join(ROOT, 'examples', 'litellm', 'config.yaml');
  const arn = (resource: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:bedrock:us-east-1:123456789012:${resource}`]] });
  let stack: Stack;
  let platform: LiteLlmPlatform;
  let template: Template;
  let statements: any[];

  beforeAll(() => {
    // GIVEN: the README's app ("Bringing a config.yaml"), in PRODUCTION for the WAF logs
    stack = new Stack(new App(), 'Held', { env: { account: '123456789012', region: 'us-east-1' } });
    platform = new LiteLlmPlatform(stack, 'LiteLlm', {
      profile: LiteLlmDeploymentProfile.PRODUCTION,
      loadBalancer: { allowHttp: true },
      models: [LiteLlmModel.mock({ name: 'smoke-test' })],
      config: { configFile: file },
    });
    template = Template.fromStack(stack);
    statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
  });

  test('holds a Bedrock guardrail, a content filter, an MCP server, a knowledge base and a prompt', () => {
    const held = YAML.parse(fs.readFileSync(file, 'utf8'));
    expect(Object.keys(held)).toEqual(expect.arrayContaining(['guardrails', 'mcp_servers', 'vector_store_registry', 'prompts']));
    expect(held.guardrails.map((g: any) => g.litellm_params.guardrail)).toEqual(['bedrock', 'litellm_content_filter']);
    expect(held.mcp_servers.github.authentication_token).toBe('os.environ/GITHUB_MCP_TOKEN');
  });

  test('every section reaches the rendered config as written', () => {
    // WHEN
    const rendered = YAML.parse(platform.service.renderedConfig);
    const held = YAML.parse(fs.readFileSync(file, 'utf8'));

    // THEN
    for (const section of ['guardrails', 'mcp_servers', 'vector_store_registry', 'prompts']) expect(rendered[section]).toEqual(held[section]);
  });

  test('the task role may apply exactly the file\'s Bedrock guardrail and retrieve from exactly its knowledge base', () => {
    expect(statements.filter((s: any) => JSON.stringify(s.Action).includes('bedrock:ApplyGuardrail'))).toEqual([
      { Sid: 'ApplyConfiguredBedrockGuardrails', Effect: 'Allow', Action: 'bedrock:ApplyGuardrail', Resource: arn('guardrail/ff6ujrregl1q') },
    ]);
    expect(statements.filter((s: any) => JSON.stringify(s.Action).includes('bedrock:Retrieve'))).toEqual([
      { Sid: 'RetrieveFromConfiguredKnowledgeBases', Effect: 'Allow', Action: 'bedrock:Retrieve', Resource: arn('knowledge-base/KB12345678') },
    ]);
  });

  test('the MCP server\'s token and the model\'s key are fields of the provider keys secret', () => {
    const secretArn = stack.resolve(platform.security.providerKeysSecret!.secretArn);
    for (const name of ['GITHUB_MCP_TOKEN', 'OPENAI_API_KEY']) {
      template.hasResourceProperties('AWS::ECS::TaskDefinition', {
        ContainerDefinitions: Match.arrayWith([Match.objectLike({
          Name: 'litellm', Secrets: Match.arrayWith([{ Name: name, ValueFrom: { 'Fn::Join': ['', [secretArn, `:${name}::`]] } }]),
        })]),
      });
    }
  });

  test('the WAF logs redact the headers callers send the MCP server\'s credentials in', () => {
    template.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
      RedactedFields: Match.arrayWith([{ SingleHeader: { Name: 'x-mcp-github-authorization' } }, { SingleHeader: { Name: 'x-mcp-github-x-api-key' } }]),
    });
  });
});

test('the example and the README do not run a placeholder Bedrock guardrail on every request', () => {
  // GIVEN: the example's config.yaml and the README's Guardrails snippet, as pasted
  const example = YAML.parse(fs.readFileSync(path.join(ROOT, 'examples', 'litellm', 'config.yaml'), 'utf8'), { version: '1.1' });
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

  // THEN: a guardrail id nobody has would fail every request with default_on (bedrock_guardrails.py:1334-1340)
  const bedrockGuardrails = example.guardrails.filter((g: any) => g.litellm_params.guardrail === 'bedrock');
  expect(bedrockGuardrails.map((g: any) => [g.litellm_params.guardrailIdentifier, g.litellm_params.default_on])).toEqual([['ff6ujrregl1q', false]]);
  const snippet = [...readme.matchAll(/LiteLlmGuardrail\.bedrock\(\{[^}]*\}\)/g)].map(m => m[0]);
  expect(snippet.length).toBeGreaterThan(0);
  for (const s of snippet) expect(s).not.toMatch(/defaultOn: true/);
});
