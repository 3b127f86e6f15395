// The five-stack split survives the changes a team makes after the first deploy. CloudFormation
// updates the upstream stacks first, and refuses to delete or change an export another stack
// still imports. So for each change: every import of the old downstream stacks must still find
// its export in the new upstream stacks, with the same value, from a resource the change does
// not replace.
import { App, Duration, Stack, aws_certificatemanager as acm, aws_ec2 as ec2 } from 'aws-cdk-lib';
import { fiveStacks } from '../integ/five-stacks-app';
import { LiteLlmLoadBalancerOptions, LiteLlmModel } from '../src';

interface SplitOptions {
  readonly containerPort?: number;
  readonly loadBalancer?: LiteLlmLoadBalancerOptions;
  readonly withCertificate?: boolean;
  readonly instanceType?: ec2.InstanceType;
  readonly maxCapacity?: number;
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
