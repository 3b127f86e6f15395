// The README's claims a user acts on, held against the synthesized templates and the code:
// the teardown (the outputs it reads, what it says is left, the key last), the warnings the
// one-liners print, when the provider-keys output appears, the attempt cap, what CI runs.
import * as fs from 'fs';
import * as path from 'path';
import { App, Stack, aws_ec2 as ec2, aws_route53 as route53 } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as YAML from 'yaml';
import {
  LiteLlmDeploymentProfile, LiteLlmCallback, LiteLlmImage, LiteLlmModel, LiteLlmOutputs, LiteLlmPlatform, LiteLlmPlatformProps,
} from '../src';
import { ENV, SETUPS, defaultPlatform, productionPlatform } from './support/scenarios';
import { CREATE_SECONDS } from '../src/cost/prices';

const README = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
const claude = () => LiteLlmModel.bedrock({ name: 'claude-sonnet', modelId: 'us.anthropic.claude-sonnet-4-20250514-v1:0' });

/** The README's text from `heading` to the next heading of the same or a higher level. */
function section(heading: string): string {
  const start = README.indexOf(`${heading}\n`);
  if (start < 0) throw new Error(`README.md has no "${heading}"`);
  const level = /^#+/.exec(heading)![0].length;
  const lines = README.slice(start + heading.length + 1).split('\n');
  let fenced = false;
  const end = lines.findIndex(line => {
    if (line.startsWith('```')) fenced = !fenced;
    return !fenced && /^(#+) /.test(line) && /^#+/.exec(line)![0].length <= level;
  });
  return lines.slice(0, end < 0 ? undefined : end).join('\n');
}

function platform(props: Partial<LiteLlmPlatformProps> = {}, env = ENV): { stack: Stack; platform: LiteLlmPlatform; template: Template } {
  const stack = new Stack(new App(), 'LiteLlm', { env });
  const p = new LiteLlmPlatform(stack, 'LiteLlm', { models: [claude()], ...props });
  return { stack, platform: p, template: Template.fromStack(stack) };
}

const resourcesOf = (template: Template, type: string) => Object.values<any>(template.findResources(type));

describe('the teardown', () => {
  const teardown = section('### Tearing down a platform');
  const script = /```sh\n([\s\S]*?)```/.exec(teardown)![1];

  test.each([['PRODUCTION', productionPlatform], ['DEVELOPMENT', defaultPlatform]])('every output it reads is one a %s platform has', (_name, make) => {
    const [stack] = make().stacks;
    const outputs = Template.fromStack(stack).toJSON().Outputs;
    const read = [...script.matchAll(/OutputKey=='(\w+)'/g)].map(m => m[1]);
    expect(read).toContain('LiteLlmDatabaseInstanceId');
    for (const key of read) expect(Object.keys(outputs)).toContain(key);
    // The instance identifier, which names the final snapshot and the RDS log groups.
    const [dbId] = Object.keys(Template.fromStack(stack).findResources('AWS::RDS::DBInstance'));
    expect(outputs.LiteLlmDatabaseInstanceId.Value).toEqual({ Ref: dbId });
  });

  test('LiteLlmOutputs without `database` has no instance output (the split passes it when it wants one)', () => {
    const { stack, platform: p } = platform();
    const outputs = new LiteLlmOutputs(stack, 'Other', { loadBalancer: p.loadBalancer, security: p.security, service: p.service });
    expect(outputs.keys.DatabaseInstanceId).toBeUndefined();
    const withDatabase = new LiteLlmOutputs(stack, 'Third', { loadBalancer: p.loadBalancer, security: p.security, service: p.service, database: p.database });
    expect(withDatabase.keys.DatabaseInstanceId).toBe('ThirdDatabaseInstanceId');
  });

  test('PRODUCTION keeps what it names: key, secrets, log groups, both buckets; the database and the cache leave a final snapshot', () => {
    const template = Template.fromStack(productionPlatform().stacks[0]);
    const policies = (type: string) => resourcesOf(template, type).map(r => r.DeletionPolicy);
    expect(policies('AWS::KMS::Key')).toEqual(['Retain']);
    expect(new Set(policies('AWS::SecretsManager::Secret'))).toEqual(new Set(['Retain']));
    expect(new Set(policies('AWS::Logs::LogGroup'))).toEqual(new Set(['Retain']));
    // The access-log bucket and the request-log bucket of s3Logging().
    expect(policies('AWS::S3::Bucket')).toEqual(['Retain', 'Retain']);
    expect(policies('AWS::RDS::DBInstance')).toEqual(['Snapshot']);
    expect(policies('AWS::ElastiCache::ReplicationGroup')).toEqual(['Snapshot']);
    expect(teardown).toContain('request-log bucket of\n`LiteLlmCallback.s3Logging()`');
  });

  test.each([['PRODUCTION', productionPlatform], ['DEVELOPMENT', defaultPlatform]])(
    'in %s the RDS postgresql and upgrade log groups are no resources of the stack: they outlive it, with the platform key on them',
    (_name, make) => {
      const template = Template.fromStack(make().stacks[0]);
      const [dbId] = Object.keys(template.findResources('AWS::RDS::DBInstance'));
      const [keyId] = Object.keys(template.findResources('AWS::KMS::Key'));
      for (const type of ['postgresql', 'upgrade']) {
        const name = { 'Fn::Join': ['', ['/aws/rds/instance/', { Ref: dbId }, `/${type}`]] };
        // CDK's LogRetention creates or adopts the group and, without RemovalPolicy: destroy, leaves it on delete.
        const retention = resourcesOf(template, 'Custom::LogRetention').filter(r => JSON.stringify(r.Properties.LogGroupName) === JSON.stringify(name));
        expect(retention).toHaveLength(1);
        expect(retention[0].Properties.RemovalPolicy).toBeUndefined();
        expect(resourcesOf(template, 'AWS::Logs::LogGroup').filter(r => JSON.stringify(r.Properties.LogGroupName) === JSON.stringify(name))).toEqual([]);
        const key = resourcesOf(template, 'Custom::LiteLlmRdsLogGroupKey').find(r => JSON.stringify(r.Properties.Create).includes(`/${type}\\"`));
        expect(JSON.stringify(key.Properties.Create)).toContain(JSON.stringify({ 'Fn::GetAtt': [keyId, 'Arn'] }));
      }
    });

  test.each([['PRODUCTION', productionPlatform], ['DEVELOPMENT', defaultPlatform]])(
    'in %s only CDK\'s helper functions log to the groups Lambda creates itself, which the teardown names', (_name, make) => {
      const template = Template.fromStack(make().stacks[0]).toJSON();
      const unmanaged = Object.entries<any>(template.Resources)
        .filter(([, r]) => r.Type === 'AWS::Lambda::Function' && !r.Properties.LoggingConfig?.LogGroup).map(([id]) => id);
      expect(unmanaged.every(id => /^(CustomVpcRestrictDefaultSG|CustomS3AutoDeleteObjects|LogRetention)/.test(id))).toBe(true);
      expect(unmanaged.length).toBeGreaterThan(0);
      expect(script).toContain('--log-group-name-prefix "/aws/lambda/$STACK-"');
    });

  test('DEVELOPMENT deletes every resource of the stack but the database\'s snapshot, its credentials, the key and the salt key', () => {
    const template = Template.fromStack(defaultPlatform().stacks[0]);
    const kept = Object.entries<any>(template.toJSON().Resources)
      .filter(([, r]) => r.DeletionPolicy !== undefined && r.DeletionPolicy !== 'Delete').map(([, r]) => `${r.Type} ${r.DeletionPolicy}`);
    expect(kept.sort()).toEqual(['AWS::KMS::Key Retain', 'AWS::RDS::DBInstance Snapshot', 'AWS::SecretsManager::Secret Retain', 'AWS::SecretsManager::Secret Retain']);
    expect(teardown).toContain('DEVELOPMENT platform\'s `cdk destroy` leaves the database\'s final snapshot, its credentials secret, the\nKMS key and the salt key');
    expect(teardown).toContain('In both profiles it also leaves the database\'s `postgresql` and\n`upgrade` log groups');
  });

  test('the script removes the RDS log groups and both buckets, and schedules the key\'s deletion last', () => {
    for (const line of ['"/aws/rds/instance/$DB/postgresql"', '"/aws/rds/instance/$DB/upgrade"', 's3://<access-log-bucket>', 's3://<request-log-bucket>']) {
      expect(script).toContain(line);
    }
    const key = script.indexOf('aws kms schedule-key-deletion');
    const lastRemoval = Math.max(...['delete-log-group', 's3 rb', 'delete-secret', 'delete-db-snapshot', 'elasticache delete-snapshot'].map(c => script.lastIndexOf(c)));
    expect(key).toBeGreaterThan(lastRemoval);
    expect(script.indexOf('STACK_ID=')).toBeLessThan(script.indexOf('npx cdk destroy'));
    expect(script.indexOf('LiteLlmDatabaseInstanceId')).toBeLessThan(script.indexOf('npx cdk destroy'));
  });
});

describe('the warnings the one-liners print', () => {
  const warnings = (stack: Stack) => Annotations.fromStack(stack).findWarning('*', Match.anyValue())
    .map(w => /\[ack: ([^\]]+)\]$/.exec(String(w.entry.data))?.[1] ?? String(w.entry.data));
  const hostedZone = (stack: Stack) => route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'example.com' });

  test('the minimal example (DEVELOPMENT, region-agnostic as in the README) prints no warning: CloudFront serves HTTPS', () => {
    const stack = new Stack(new App(), 'LiteLlm');
    new LiteLlmPlatform(stack, 'LiteLlm', { models: [claude()] });
    expect(warnings(stack)).toEqual([]);
    expect(section('## Minimal example')).toContain('is internal and admits CloudFront\'s VPC origin only, and synth prints no warning');
  });

  test('with CloudFront off it prints cdk-litellm:httpOnly and nothing else', () => {
    const stack = new Stack(new App(), 'LiteLlm');
    new LiteLlmPlatform(stack, 'LiteLlm', { models: [claude()], cloudFront: { enabled: false } });
    expect(warnings(stack)).toEqual(['cdk-litellm:httpOnly']);
    expect(section('## Minimal example')).toContain('synth says so with the warning\n`cdk-litellm:httpOnly`');
  });

  test.each([['DEVELOPMENT', undefined], ['PRODUCTION', LiteLlmDeploymentProfile.PRODUCTION]])('with a domain, %s prints none', (_name, profile) => {
    const stack = new Stack(new App(), 'LiteLlm');
    new LiteLlmPlatform(stack, 'LiteLlm', { profile, models: [claude()], loadBalancer: { domainName: 'llm', domainZone: hostedZone(stack) } });
    expect(warnings(stack)).toEqual([]);
    expect(section('## Minimal example')).toContain('That is the one warning such a platform prints; with `loadBalancer.domainName` and `domainZone` it prints none');
  });

  test('the PRODUCTION one-liner without a domain fails at synth, as the README says', () => {
    const stack = new Stack(new App(), 'LiteLlm');
    expect(() => new LiteLlmPlatform(stack, 'LiteLlm', { profile: LiteLlmDeploymentProfile.PRODUCTION, models: [claude()] }))
      .toThrow(/An internet-facing PRODUCTION load balancer without a certificate/);
  });
});

describe('secrets and outputs', () => {
  test('the salt key is retained in both profiles, with the database snapshot and the key', () => {
    const saltPolicy = (make: () => { stacks: Stack[] }) => {
      const template = Template.fromStack(make().stacks[0]).toJSON();
      return Object.entries<any>(template.Resources).find(([id, r]) => r.Type === 'AWS::SecretsManager::Secret' && id.includes('SaltKey'))![1].DeletionPolicy;
    };
    expect(saltPolicy(productionPlatform)).toBe('Retain');
    expect(saltPolicy(defaultPlatform)).toBe('Retain');
    expect(README).toContain('salt key (never rotated; retained with the database\'s snapshot unless `removalPolicy` is `DESTROY`)');
    expect(README).not.toContain('always retained');
  });

  const providerKeysOutput = (props: Partial<LiteLlmPlatformProps>) => 'LiteLlmProviderKeysSecretArn' in platform(props).template.toJSON().Outputs;

  test.each<[string, Partial<LiteLlmPlatformProps>, boolean]>([
    ['Bedrock models only', {}, false],
    ['a non-Bedrock model', { models: [LiteLlmModel.openAi({ name: 'gpt-4o', modelId: 'gpt-4o' })] }, true],
    ['Langfuse', { config: { callbacks: [LiteLlmCallback.langfuse({ host: 'https://langfuse.example.com' })] } }, true],
    ['OpenTelemetry without headersFromSecret', { config: { callbacks: [LiteLlmCallback.openTelemetry({ endpoint: 'http://otel.internal:4318/v1/traces' })] } }, false],
    ['OpenTelemetry with headersFromSecret', { config: { callbacks: [LiteLlmCallback.openTelemetry({ endpoint: 'http://otel.internal:4318/v1/traces', headersFromSecret: true })] } }, true],
    ['an os.environ/ reference in the raw settings', { config: { litellmSettings: { langsmith_api_key: 'os.environ/LANGSMITH_API_KEY' } } }, true],
    ['secretEnvNames', { config: { secretEnvNames: ['SENTRY_DSN'] } }, true],
  ])('the provider-keys output with %s', (_name, props, expected) => {
    expect(providerKeysOutput(props)).toBe(expected);
  });

  test('the README lists what brings the provider-keys output, and OTEL_HEADERS only with headersFromSecret', () => {
    const row = README.split('\n').find(l => l.startsWith('| `LiteLlmProviderKeysSecretArn`'))!;
    for (const cause of ['non-Bedrock model', 'langfuse()', 'headersFromSecret: true', '`os.environ/`', '`secretEnvNames`']) expect(row).toContain(cause);
    const otel = (headersFromSecret: boolean) => {
      const { template } = platform({ config: { callbacks: [LiteLlmCallback.openTelemetry({ endpoint: 'http://otel.internal:4318/v1/traces', headersFromSecret })] } });
      return resourcesOf(template, 'AWS::ECS::TaskDefinition').flatMap(t => t.Properties.ContainerDefinitions)
        .some((c: any) => (c.Secrets ?? []).some((s: any) => s.Name === 'OTEL_HEADERS'));
    };
    expect(otel(true)).toBe(true);
    expect(otel(false)).toBe(false);
    expect(section('### Callbacks')).toContain('with\n`headersFromSecret: true` its headers');
  });
});

describe('the attempt cap in "Routing, retries and fallbacks"', () => {
  // The load balancer's own budget; behind CloudFront (DEVELOPMENT's default) each share is capped at its origin timeout.
  const settings = (props: Partial<LiteLlmPlatformProps>) =>
    YAML.parse(platform({ cloudFront: { enabled: false }, ...props }).platform.service.renderedConfig).litellm_settings;
  const gpt = LiteLlmModel.openAi({ name: 'gpt-4o', modelId: 'gpt-4o' });
  const haiku = LiteLlmModel.bedrock({ name: 'claude-haiku', modelId: 'us.anthropic.claude-3-5-haiku-20241022-v1:0' });

  test.each<[string, Partial<LiteLlmPlatformProps>, number, number, number]>([
    // [case, props, numRetries R, steps S, request_timeout the README names (or computes)]
    ['the defaults', {}, 2, 1, 191],
    ['numRetries: 1 and one fallback', { models: [claude(), gpt], config: { numRetries: 1, fallbacks: [{ model: 'claude-sonnet', fallbackModels: ['gpt-4o'] }] } }, 1, 2, 111],
    ['numRetries: 1 and two fallbacks', {
      models: [claude(), gpt, haiku],
      config: { numRetries: 1, fallbacks: [{ model: 'claude-sonnet', fallbackModels: ['gpt-4o'] }, { model: 'gpt-4o', fallbackModels: ['claude-haiku'] }] },
    }, 1, 3, 66],
    ['numRetries: 0', { config: { numRetries: 0 } }, 0, 1, 591],
  ])('%s: a cap of (numRetries + 2) × S − 1 (S without retries)', (_name, props, retries, steps, timeout) => {
    const cap = retries > 0 ? (retries + 2) * steps - 1 : steps;
    expect(settings(props)).toMatchObject({ num_retries_per_request: cap, request_timeout: timeout });
    expect(Math.floor(600 / cap - 8.75)).toBe(timeout);
  });

  test('behind CloudFront (the DEVELOPMENT default) each attempt gets at most the origin response timeout, as the README says', () => {
    const rendered = YAML.parse(platform({}).platform.service.renderedConfig).litellm_settings;
    expect(rendered).toMatchObject({ num_retries_per_request: 3, request_timeout: 60 });
    expect(section('### Routing, retries and fallbacks'))
      .toContain('each attempt gets at most CloudFront\'s origin response timeout (`cloudFront.originResponseTimeout`, 60 s)');
  });

  test('the README states that formula and the numbers', () => {
    const text = section('### Routing, retries and fallbacks').replace(/\s+/g, ' ');
    expect(text).toContain('caps LiteLLM at (`numRetries` + 2) × S − 1 (`num_retries_per_request`; S with `numRetries: 0`)');
    expect(text).toContain('191 s with the defaults (a cap of 3)');
    expect(text).toContain('111 s with `numRetries: 1` and one fallback (a cap of 5)');
    expect(text).toContain('(591 s)');
  });
});

describe('what the README says about the setups', () => {
  test('every log group the platform creates follows the profile\'s retention, the migration step\'s and the redeploy function\'s too', () => {
    for (const [make, profileDays] of [[defaultPlatform, 14], [productionPlatform, 90]] as const) {
      const { app } = make();
      const days = app.node.findAll().filter((c: any) => c.cfnResourceType === 'AWS::Logs::LogGroup').map((c: any) => c.retentionInDays);
      expect(days.length).toBeGreaterThan(0);
      expect(new Set(days)).toEqual(new Set([profileDays]));
    }
    expect(README).toContain('| log retention (`logRetention`, every log group) | 14 days | 90 days |');
  });

  test('the default setups\' endpoints are the sketch\'s: none in DEVELOPMENT; Secrets Manager, Logs and bedrock-runtime in PRODUCTION, ECR only for an image in ECR', () => {
    const endpoints = (template: Template) => resourcesOf(template, 'AWS::EC2::VPCEndpoint').filter(r => r.Properties.VpcEndpointType === 'Interface')
      .map(r => JSON.stringify(r.Properties.ServiceName).match(/com\.amazonaws\.[^"]*?\.([a-z.-]+)"/)?.[1] ?? JSON.stringify(r.Properties.ServiceName)).sort();
    expect(endpoints(platform().template)).toEqual([]);
    const hosted = (stack: Stack) => route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'example.com' });
    const stack = new Stack(new App(), 'Prod', { env: ENV });
    new LiteLlmPlatform(stack, 'LiteLlm', { profile: LiteLlmDeploymentProfile.PRODUCTION, models: [claude()], loadBalancer: { domainName: 'llm', domainZone: hosted(stack) } });
    expect(endpoints(Template.fromStack(stack))).toEqual(['bedrock-runtime', 'logs', 'secretsmanager']);
    const sketch = section('## What it deploys');
    expect(sketch).toContain('Bedrock: bedrock-runtime VPC endpoint (PRODUCTION) or NAT');
    expect(sketch).toContain('Secrets Manager, Logs: VPC endpoints (PRODUCTION) or NAT; ECR endpoints only for an image in ECR');
  });

  test('the cost column "PRODUCTION, internal load balancer" is a PRODUCTION platform', () => {
    const template = Template.fromStack(SETUPS['PRODUCTION, internal load balancer']().stacks[0]);
    expect(resourcesOf(template, 'AWS::RDS::DBInstance')[0].Properties.MultiAZ).toBe(true);
    expect(resourcesOf(template, 'AWS::ElasticLoadBalancingV2::LoadBalancer')[0].Properties.Scheme).toBe('internal');
    expect(README).toContain('| PRODUCTION, internal load balancer |');
  });

  test('the digest is checked for its form only: a well-formed digest no registry has synthesizes', () => {
    const image = LiteLlmImage.fromRegistry(`ghcr.io/berriai/litellm:v1.108.7@sha256:${'0'.repeat(64)}`);
    expect(() => platform({ image })).not.toThrow();
    expect(() => LiteLlmImage.fromRegistry('ghcr.io/berriai/litellm:v1.108.7@sha256:abc')).toThrow(/malformed digest/);
    expect(README).toContain('Synth checks only their form');
  });

  test('the platform\'s own VPC gets the private ranges; only an imported VPC with a literal CIDR gets its CIDR', () => {
    const trusted = (p: LiteLlmPlatform) => YAML.parse(p.service.renderedConfig).general_settings.mcp_trusted_proxy_ranges;
    expect(trusted(platform().platform)).toEqual(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10']);
    const stack = new Stack(new App(), 'Imported', { env: ENV });
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
      vpcId: 'vpc-0123456789abcdef0',
      vpcCidrBlock: '10.20.0.0/16',
      availabilityZones: ['us-east-1a', 'us-east-1b'],
      publicSubnetIds: ['subnet-0a', 'subnet-0b'],
      privateSubnetIds: ['subnet-1a', 'subnet-1b'],
    });
    expect(trusted(new LiteLlmPlatform(stack, 'LiteLlm', { models: [claude()], vpc }))).toEqual(['10.20.0.0/16']);
    expect(README.replace(/\s+/g, ' ')).toContain('which the platform\'s own VPC always gets: its CIDR is a deploy-time value');
  });

  test('the deploy-time text adds up the model\'s own create times, the migration step included', () => {
    const minutes = (type: string) => CREATE_SECONDS[type] / 60;
    const text = section('## What it costs').replace(/\s+/g, ' ');
    expect(text).toContain(`the database (about ${minutes('AWS::RDS::DBInstance')} minutes, ${minutes('AWS::RDS::DBInstance/MultiAZ')} Multi-AZ)`);
    expect(text).toContain(`the migration step (about ${minutes('Custom::LiteLlmMigration')} minutes`);
    expect(text).toContain(`steady state (about ${minutes('AWS::ECS::Service')} minutes)`);
  });

  test('CI: the Azure pipeline builds on the Node.js the README names and runs npm ci and npx projen build, not .ci/run', () => {
    const pipeline = YAML.parse(fs.readFileSync(path.join(__dirname, '..', 'azure-pipelines.yml'), 'utf8'));
    const build = pipeline.stages.find((s: any) => s.stage === 'Build').jobs[0].steps;
    const major = /^(\d+)\./.exec(build.find((s: any) => s.task === 'NodeTool@0').inputs.versionSpec)![1];
    const scripts = build.filter((s: any) => s.script).map((s: any) => s.script);
    expect(scripts).toEqual(expect.arrayContaining(['npm ci', 'npx projen build']));
    expect(scripts.some((s: string) => s.includes('.ci/run'))).toBe(false);
    expect(README).toContain(`(the Azure pipeline builds on ${major})`);
    expect(README.replace(/\s+/g, ' ')).toContain(`(\`azure-pipelines.yml\`, Node.js ${major}) runs \`npm ci\` and \`npx projen build\` only`);
    expect(README).not.toContain('CI runs on 20.20');
    expect(README).not.toContain('is what CI runs');
  });
});
