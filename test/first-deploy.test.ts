// Facts a first real deploy (and destroy) depends on, held in the synthesized templates:
// ordering CloudFormation cannot guess, names two copies of one app can share, policies
// that let the platform's own services in, and timeouts that bound a failed start.
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { LiteLlmDeploymentProfile, LiteLlmModel, LiteLlmPlatform } from '../src';
import { SCENARIOS, fiveStacks } from './support/scenarios';

const claude = () => LiteLlmModel.bedrock({ name: 'claude-sonnet', modelId: 'us.anthropic.claude-sonnet-4-20250514-v1:0' });

function resourcesOf(template: any, type: string): [string, any][] {
  return Object.entries(template.Resources ?? {}).filter(([, r]: [string, any]) => r.Type === type) as [string, any][];
}

function dependsOn(resource: any): string[] {
  return [resource.DependsOn ?? []].flat();
}

function platform(stackName: string, region: string | undefined, profile = LiteLlmDeploymentProfile.PRODUCTION): any {
  const app = new App();
  const stack = new Stack(app, 'Same', { stackName, env: region ? { account: '123456789012', region } : undefined });
  new LiteLlmPlatform(stack, 'LiteLlm', { profile, models: [claude()], loadBalancer: { allowHttp: true } });
  return Template.fromStack(stack).toJSON();
}

describe.each(Object.entries(SCENARIOS))('%s', (name, make) => {
  const templates = () => make().stacks.map(s => Template.fromStack(s).toJSON());
  // A region-agnostic stack names its account and region at deploy.
  const agnostic = name.endsWith('region-agnostic');
  const account = agnostic ? { Ref: 'AWS::AccountId' } : '123456789012';
  const region = agnostic ? { Ref: 'AWS::Region' } : 'us-east-1';

  test('the ECS service waits for the cluster\'s capacity-provider association (create) and goes first on delete', () => {
    const service = templates().find(t => resourcesOf(t, 'AWS::ECS::Service').length > 0)!;
    const [[, svc]] = resourcesOf(service, 'AWS::ECS::Service');
    const associations = resourcesOf(service, 'AWS::ECS::ClusterCapacityProviderAssociations').map(([id]) => id);
    expect(associations).toHaveLength(1);
    expect(dependsOn(svc)).toEqual(expect.arrayContaining(associations));
  });

  test('the master-key rotation schedule waits for the first sk- key', () => {
    const security = templates().find(t => resourcesOf(t, 'Custom::LiteLlmMasterKey').length > 0)!;
    const [[keyId]] = resourcesOf(security, 'Custom::LiteLlmMasterKey');
    const schedules = resourcesOf(security, 'AWS::SecretsManager::RotationSchedule')
      .filter(([, r]) => JSON.stringify(r.Properties.RotationLambdaARN ?? '').includes('MasterKeyFunction'));
    expect(schedules).toHaveLength(1);
    expect(dependsOn(schedules[0][1])).toContain(keyId);
  });

  test('both custom resources of the master-key function time out in minutes, not an hour', () => {
    const all = templates().flatMap(t => [
      ...resourcesOf(t, 'Custom::LiteLlmMasterKey'), ...resourcesOf(t, 'Custom::LiteLlmProviderKeys'),
    ]);
    expect(all.length).toBeGreaterThanOrEqual(1);
    for (const [, r] of all) expect(r.Properties.ServiceTimeout).toBe('300');
  });

  test('Secrets Manager may invoke the master-key function only for this account', () => {
    const permissions = templates().flatMap(t => resourcesOf(t, 'AWS::Lambda::Permission'))
      .filter(([, r]) => r.Properties.Principal === 'secretsmanager.amazonaws.com');
    expect(permissions).toHaveLength(1);
    expect(permissions[0][1].Properties.SourceAccount).toEqual(account);
  });

  test('the alarm topic lets this account\'s CloudWatch alarms publish, and still denies plain HTTP', () => {
    const policies = templates().flatMap(t => resourcesOf(t, 'AWS::SNS::TopicPolicy'));
    expect(policies).toHaveLength(1);
    const statements = policies[0][1].Properties.PolicyDocument.Statement;
    expect(statements).toEqual(expect.arrayContaining([
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Condition: {
          StringEquals: { 'aws:SourceAccount': account },
          ArnLike: {
            'aws:SourceArn': {
              'Fn::Join': ['', agnostic
                ? ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:', region, ':', account, ':alarm:*']
                : ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:us-east-1:123456789012:alarm:*']],
            },
          },
        },
      }),
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    ]));
  });
});

describe('names two copies of one app can share', () => {
  test('no dashboard or web ACL name is built from the construct path alone, and no account-level log resource policy exists', () => {
    const a = platform('litellm-eu', 'eu-west-1');
    const b = platform('litellm-us', 'us-east-1');
    const name = (t: any, type: string, prop: string) => JSON.stringify(resourcesOf(t, type).map(([, r]) => r.Properties[prop]));
    expect(resourcesOf(a, 'AWS::WAFv2::WebACL')).toHaveLength(1);
    expect(resourcesOf(a, 'AWS::WAFv2::WebACL')[0][1].Properties.Name).toBeUndefined();
    expect(name(a, 'AWS::CloudWatch::Dashboard', 'DashboardName')).not.toEqual(name(b, 'AWS::CloudWatch::Dashboard', 'DashboardName'));
    for (const t of [a, b]) {
      expect(name(t, 'AWS::CloudWatch::Dashboard', 'DashboardName')).toContain('AWS::StackName');
      expect(resourcesOf(t, 'AWS::Logs::ResourcePolicy')).toHaveLength(0);
    }
  });

  test('the dashboard name holds the stack name and the region, also in a region-agnostic stack', () => {
    const t = platform('anything', undefined, LiteLlmDeploymentProfile.DEVELOPMENT);
    const [[, dashboard]] = resourcesOf(t, 'AWS::CloudWatch::Dashboard');
    expect(dashboard.Properties.DashboardName).toEqual({
      'Fn::Join': ['-', [{ Ref: 'AWS::StackName' }, { Ref: 'AWS::Region' }, expect.stringMatching(/^LiteLLM-[A-F0-9]{8}$/)]],
    });
  });

  test('the WAF dashboard widget reads the web ACL name CloudFormation gave it', () => {
    const t = platform('litellm-eu', 'eu-west-1');
    const [[aclId]] = resourcesOf(t, 'AWS::WAFv2::WebACL');
    const [[, dashboard]] = resourcesOf(t, 'AWS::CloudWatch::Dashboard');
    expect(JSON.stringify(dashboard.Properties.DashboardBody)).toContain(
      JSON.stringify({ 'Fn::Select': [2, { 'Fn::Split': ['/', { 'Fn::GetAtt': [aclId, 'Arn'] }] }] }));
  });
});

describe('WAF logging has a resource policy of its own', () => {
  test('the WAF log group lets delivery.logs write into it only, for this account, before logging is configured', () => {
    const t = platform('litellm-eu', 'eu-west-1');
    expect(resourcesOf(t, 'AWS::Logs::ResourcePolicy')).toHaveLength(0);
    const [[groupId, group]] = resourcesOf(t, 'AWS::Logs::LogGroup').filter(([id]) => id.includes('WafLogs'));
    const text = JSON.stringify(group.Properties.ResourcePolicyDocument);
    expect(text).toContain('delivery.logs.amazonaws.com');
    expect(text).toContain('logs:CreateLogStream');
    expect(text).toContain('logs:PutLogEvents');
    expect(text).toContain(group.Properties.LogGroupName['Fn::Join'][1][0]); // the group's own name
    expect(text).not.toContain(groupId); // a resource cannot read its own attributes
    expect(text).toContain('aws:SourceAccount');
    const [[, logging]] = resourcesOf(t, 'AWS::WAFv2::LoggingConfiguration');
    expect(JSON.stringify(logging.Properties.LogDestinationConfigs)).toContain(JSON.stringify({ Ref: groupId }));
  });
});

describe('removal of the salt key follows the database', () => {
  test.each([
    [LiteLlmDeploymentProfile.DEVELOPMENT, 'Retain'],
    [LiteLlmDeploymentProfile.PRODUCTION, 'Retain'],
  ])('%s: the salt key is kept (%s) with the database snapshot, like the key that encrypts it', (profile, policy) => {
    const t = platform('x', 'us-east-1', profile);
    const salt = resourcesOf(t, 'AWS::SecretsManager::Secret').filter(([id]) => id.includes('SaltKey'));
    expect(salt).toHaveLength(1);
    expect(salt[0][1].DeletionPolicy).toBe(policy);
    const [[, key]] = resourcesOf(t, 'AWS::KMS::Key');
    expect(key.DeletionPolicy).toBe(policy);
  });
});

test('the five-stack split keeps the service after the association in its own stack', () => {
  const scenario = fiveStacks();
  const service = Template.fromStack(scenario.stacks[4]).toJSON();
  const [[, svc]] = resourcesOf(service, 'AWS::ECS::Service');
  const [[association]] = resourcesOf(service, 'AWS::ECS::ClusterCapacityProviderAssociations');
  expect(dependsOn(svc)).toContain(association);
});
