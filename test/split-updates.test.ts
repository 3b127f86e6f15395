// The five-stack split survives the changes a team makes after the first deploy. CloudFormation
// updates the upstream stacks first, and refuses to delete or change an export another stack
// still imports. So for each change: every import of the old downstream stacks must still find
// its export in the new upstream stacks, with the same value, from a resource the change does
// not replace.
import { App, Duration, Stack, aws_certificatemanager as acm, aws_ec2 as ec2 } from 'aws-cdk-lib';
import { fiveStacks } from '../integ/five-stacks-app';
import { LiteLlmCloudFrontOptions, LiteLlmLoadBalancerOptions, LiteLlmModel } from '../src';

interface SplitOptions {
  readonly containerPort?: number;
  readonly loadBalancer?: LiteLlmLoadBalancerOptions;
  readonly withCertificate?: boolean;
  readonly instanceType?: ec2.InstanceType;
  readonly maxCapacity?: number;
  readonly cloudFront?: LiteLlmCloudFrontOptions;
}

/** The README's split (integ/five-stacks-app.ts), with the knobs a team turns later. */
function split(o: SplitOptions = {}): Record<string, any> {
  const app = new App();
  const env = { account: '123456789012', region: 'us-east-1' };
  fiveStacks({
    stack: id => new Stack(app, id, { env }),
    models: [LiteLlmModel.bedrock({ name: 'claude-sonnet', modelId: 'us.anthropic.claude-sonnet-4-20250514-v1:0' })],
    network: { containerPort: o.containerPort },
    loadBalancer: lbStack => ({
      ...o.loadBalancer,
      containerPort: o.containerPort,
      certificate: o.withCertificate ? acm.Certificate.fromCertificateArn(lbStack, 'Cert', 'arn:aws:acm:us-east-1:123456789012:certificate/abc') : undefined,
      domainName: o.withCertificate ? 'llm.example.com' : undefined,
    }),
    database: { instanceType: o.instanceType },
    service: { maxCapacity: o.maxCapacity },
    cloudFront: o.cloudFront,
  });
  const assembly = app.synth();
  return Object.fromEntries(assembly.stacks.map(s => [s.stackName, s.template]));
}

/** Properties whose change replaces the resource (CloudFormation's "Update requires: Replacement"). */
const REPLACED_BY: Record<string, string[]> = {
  'AWS::ElasticLoadBalancingV2::TargetGroup': ['Port', 'Protocol', 'ProtocolVersion', 'TargetType', 'VpcId', 'Name'],
  'AWS::ElasticLoadBalancingV2::LoadBalancer': ['Scheme', 'Type', 'Name'],
  'AWS::ElasticLoadBalancingV2::Listener': ['LoadBalancerArn'],
  'AWS::RDS::DBInstance': ['DBInstanceIdentifier', 'DBName', 'Engine', 'KmsKeyId', 'StorageEncrypted', 'DBSubnetGroupName'],
  'AWS::ElastiCache::ReplicationGroup': ['ReplicationGroupId', 'Engine', 'AtRestEncryptionEnabled', 'CacheSubnetGroupName', 'KmsKeyId'],
  'AWS::EC2::SecurityGroup': ['GroupDescription', 'GroupName', 'VpcId'],
  'AWS::SecretsManager::Secret': ['Name'],
  'AWS::SNS::Topic': ['TopicName', 'FifoTopic'],
  'AWS::KMS::Key': [],
  // No property of a distribution replaces it. A VPC origin is replaced by its Name only; a new
  // origin ARN (or port, or protocol) updates it in place, which CloudFront refuses with a 409 while
  // a distribution uses it (aws-resource-cloudfront-vpcorigin.html; aws/aws-cdk#34629): the
  // changes below must leave it as it is (the test after them).
  'AWS::CloudFront::Distribution': [],
  'AWS::CloudFront::VpcOrigin': ['Name'],
};

function importsOf(template: any): string[] {
  return [...new Set([...JSON.stringify(template).matchAll(/"Fn::ImportValue":"([^"]+)"/g)].map(m => m[1]))];
}

function exportsOf(templates: Record<string, any>): Map<string, any> {
  const all = new Map<string, any>();
  for (const t of Object.values(templates)) {
    for (const o of Object.values<any>(t.Outputs ?? {})) if (o.Export) all.set(o.Export.Name, o.Value);
  }
  return all;
}

/** The logical id an export's value reads (Ref or GetAtt). */
function sourceOf(value: any): string | undefined {
  return value?.Ref ?? value?.['Fn::GetAtt']?.[0];
}

/** What would block updating from `before` to `after`: imports of `before` whose export `after` drops, changes, or replaces. */
function blockers(before: Record<string, any>, after: Record<string, any>): string[] {
  const oldExports = exportsOf(before);
  const newExports = exportsOf(after);
  const problems: string[] = [];
  for (const [stackName, template] of Object.entries(before)) {
    for (const name of importsOf(template)) {
      const exporter = name.split(':')[0];
      const oldValue = oldExports.get(name);
      const newValue = newExports.get(name);
      if (newValue === undefined) {
        problems.push(`${stackName} imports ${name}, which ${exporter} no longer exports`);
        continue;
      }
      if (JSON.stringify(newValue) !== JSON.stringify(oldValue)) problems.push(`${name} changes value`);
      const id = sourceOf(newValue);
      const oldResource = before[exporter]?.Resources?.[id!];
      const newResource = after[exporter]?.Resources?.[id!];
      if (!newResource) continue;
      for (const prop of REPLACED_BY[newResource.Type] ?? []) {
        if (JSON.stringify(oldResource?.Properties?.[prop]) !== JSON.stringify(newResource.Properties?.[prop])) {
          problems.push(`${name} comes from ${id} (${newResource.Type}), which the change replaces (${prop})`);
        }
      }
    }
  }
  return problems;
}

const before = split();

test('the split crosses stacks through exports (the check below has something to check)', () => {
  expect(importsOf(before.Service).length).toBeGreaterThan(10);
  expect(blockers(before, before)).toEqual([]);
});

test.each([
  ['adding a certificate (HTTPS, port 80 redirects)', { withCertificate: true }],
  ['changing the container port', { containerPort: 8080 }],
  ['turning WAF on', { loadBalancer: { waf: { enabled: true } } }],
  ['a longer idle timeout', { loadBalancer: { idleTimeout: Duration.seconds(900) } }],
  ['a larger database instance', { instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.SMALL) }],
  ['more tasks', { maxCapacity: 4 }],
] as [string, SplitOptions][])('%s: every import of the old stacks still has its export, unchanged, from a resource the change keeps', (_, change) => {
  expect(blockers(before, split(change))).toEqual([]);
});

test('the check catches a change that would block: the service alarms no longer import the listener', () => {
  // Adding a certificate replaces the HTTP listener with a redirect; metrics read through a
  // listener (CDK's targetGroup.metrics) imported its ARN, which the load balancer stack then dropped.
  expect(importsOf(before.Service).filter(i => /Http|Listener/.test(i))).toEqual([]);
  const withCert = split({ withCertificate: true });
  expect(Object.values<any>(withCert.LoadBalancer.Resources).filter(r => r.Type === 'AWS::ElasticLoadBalancingV2::Listener')).toHaveLength(2);
});

test('the check finds what would block: a dropped export, and an export from a replaced target group', () => {
  // GIVEN: the load balancer stack without one of its exports, and with its target group's port changed
  const lb = JSON.parse(JSON.stringify(before.LoadBalancer));
  const [exportKey] = Object.keys(lb.Outputs).filter(k => lb.Outputs[k].Export?.Name.includes('TargetGroup'));
  const dropped = { ...before, LoadBalancer: { ...lb, Outputs: Object.fromEntries(Object.entries(lb.Outputs).filter(([k]) => k !== exportKey)) } };
  const replaced = JSON.parse(JSON.stringify(before));
  for (const r of Object.values<any>(replaced.LoadBalancer.Resources)) if (r.Type === 'AWS::ElasticLoadBalancingV2::TargetGroup') r.Properties.Port = 8080;

  // THEN
  expect(blockers(before, dropped)).toEqual([expect.stringMatching(/^Service imports LoadBalancer:\S*TargetGroup\S*, which LoadBalancer no longer exports$/)]);
  expect(blockers(before, replaced)).toEqual(expect.arrayContaining([expect.stringMatching(/TargetGroup\S* comes from \S+ \(AWS::ElasticLoadBalancingV2::TargetGroup\), which the change replaces \(Port\)$/)]));
});

test('turning CloudFront on in a deployed split replaces the load balancer (internet-facing to internal), which the service stack imports from: not one update', () => {
  // The README says what to do instead (deploy the split anew, or keep `cloudFront` off).
  const problems = blockers(before, split({ cloudFront: {} }));
  expect(problems).toEqual(expect.arrayContaining([
    expect.stringMatching(/DNSName\S* comes from LoadBalancer\w+ \(AWS::ElasticLoadBalancingV2::LoadBalancer\), which the change replaces \(Scheme\)$/),
    expect.stringMatching(/LoadBalancerFullName\S* comes from LoadBalancer\w+ \(AWS::ElasticLoadBalancingV2::LoadBalancer\), which the change replaces \(Scheme\)$/),
  ]));
});

describe('behind CloudFront, the distribution in the load balancer\'s stack', () => {
  const front = split({ cloudFront: {} });

  /** The Service stack's imports of the load balancer stack's CloudFront resources. */
  function distributionImports(templates: Record<string, any>): string[] {
    const lb = templates.LoadBalancer;
    const exported = new Map(Object.values<any>(lb.Outputs ?? {}).filter(o => o.Export).map(o => [o.Export.Name, sourceOf(o.Value)]));
    return importsOf(templates.Service).filter(name => lb.Resources[exported.get(name) ?? '']?.Type === 'AWS::CloudFront::Distribution');
  }

  test('the distribution and its VPC origin sit in the load balancer\'s stack, and the service imports the distribution\'s name (its PROXY_BASE_URL) and id (an output)', () => {
    const types = (name: string) => Object.values<any>(front[name].Resources).map(r => r.Type);
    expect(types('LoadBalancer')).toEqual(expect.arrayContaining(['AWS::CloudFront::Distribution', 'AWS::CloudFront::VpcOrigin']));
    for (const other of ['Security', 'Network', 'Database', 'Service']) expect(types(other)).not.toContain('AWS::CloudFront::Distribution');
    expect(distributionImports(front)).toHaveLength(2);
    // the split's outputs name the distribution, as the one-liner's do
    const output = Object.entries<any>(front.Service.Outputs).find(([k]) => k.startsWith('LiteLlmDistributionId'));
    expect(output?.[1].Value).toEqual({ 'Fn::ImportValue': expect.stringMatching(/^LoadBalancer:\S*CloudFrontDistribution/) });
    expect(Object.keys(front.LoadBalancer.Outputs).filter(k => /DistributionId/.test(k))).toEqual([]);
    expect(blockers(front, front)).toEqual([]);
  });

  test.each([
    ['more tasks', { maxCapacity: 4 }],
    ['a larger database instance', { instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.SMALL) }],
    ['a shorter origin response timeout', { cloudFront: { originResponseTimeout: Duration.seconds(30) } }],
    ['turning WAF on (the viewer-address function joins the distribution)', { loadBalancer: { waf: { enabled: true } } }],
    ['a longer idle timeout', { loadBalancer: { idleTimeout: Duration.seconds(900) } }],
    ['changing the container port', { containerPort: 8080 }],
  ] as [string, SplitOptions][])('%s: the distribution\'s exports survive, from the same distribution', (_, change) => {
    const after = split({ cloudFront: {}, ...change });
    expect(JSON.stringify(after)).not.toBe(JSON.stringify(front)); // the change changes something
    expect(blockers(front, after)).toEqual([]);
    expect(distributionImports(after)).toEqual(distributionImports(front));
    // the VPC origin is updated by no change here (CloudFront would refuse while the distribution uses it)
    const origin = (t: Record<string, any>) => Object.values<any>(t.LoadBalancer.Resources).filter(r => r.Type === 'AWS::CloudFront::VpcOrigin');
    expect(origin(after)).toEqual(origin(front));
  });
});
