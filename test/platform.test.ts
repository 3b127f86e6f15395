import { App, CfnElement, Stack, aws_ec2 as ec2, aws_ecr as ecr, aws_ecs as ecs, aws_logs as logs } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { IConstruct } from 'constructs';
import * as YAML from 'yaml';
import {
  LiteLlmDeploymentProfile, LiteLlmDatabase, LiteLlmImage, LiteLlmLoadBalancer, LiteLlmModel, LiteLlmMonitoring, LiteLlmNetwork, LiteLlmOutputs,
  LiteLlmLogLevel, LiteLlmPlatform, LiteLlmPlatformProps, LiteLlmSecurity, LiteLlmService,
} from '../src';
import { servingTaskDefinition } from './support/template';

const ENV = { account: '123456789012', region: 'us-east-1' };

interface Synth {
  readonly stack: Stack;
  readonly platform: LiteLlmPlatform;
  readonly template: Template;
}

function newStack(): Stack {
  return new Stack(new App(), 'Stack', { env: ENV });
}

/** The DESIGN one-liner, exactly. */
function oneLiner(stack: Stack): LiteLlmPlatform {
  return new LiteLlmPlatform(stack, 'LiteLlm', {
    models: [LiteLlmModel.bedrock({ name: 'claude-sonnet', modelId: 'us.anthropic.claude-sonnet-4-20250514-v1:0' })],
  });
}

function platformIn(stack: Stack, props: Partial<LiteLlmPlatformProps> = {}): LiteLlmPlatform {
  return new LiteLlmPlatform(stack, 'LiteLlm', {
    models: [LiteLlmModel.bedrock({ name: 'claude-sonnet', modelId: 'us.anthropic.claude-sonnet-4-20250514-v1:0' })],
    ...props,
  });
}

const synths = new Map<string, Synth>();
/** Synthesizes each configuration once per file. */
function synthOnce(key: string, make: (stack: Stack) => LiteLlmPlatform): Synth {
  let s = synths.get(key);
  if (!s) {
    const stack = newStack();
    const platform = make(stack);
    s = { stack, platform, template: Template.fromStack(stack) };
    synths.set(key, s);
  }
  return s;
}

function logicalId(stack: Stack, construct: IConstruct): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

function only(template: Template, type: string): any {
  const found = Object.values(template.findResources(type));
  expect(found).toHaveLength(1);
  return found[0];
}

function litellmEnvironment(template: Template): { [name: string]: string } {
  const litellm = servingTaskDefinition(template).Properties.ContainerDefinitions.find((c: any) => c.Name === 'litellm');
  return Object.fromEntries(litellm.Environment.map((e: any) => [e.Name, e.Value]));
}

/** A CloudFormation string as text, pseudo parameters as `${AWS::Name}`. */
function text(value: any): string {
  if (typeof value === 'string') return value;
  if (value['Fn::Join']) return value['Fn::Join'][1].map(text).join(value['Fn::Join'][0]);
  if (typeof value.Ref === 'string' && value.Ref.startsWith('AWS::')) return `\${${value.Ref}}`;
  throw new Error(`not a literal: ${JSON.stringify(value)}`);
}

function endpointServices(template: Template): string[] {
  return Object.values(template.findResources('AWS::EC2::VPCEndpoint')).map((e: any) => text(e.Properties.ServiceName)).sort();
}

/** `database_connection_pool_limit` by the formula of src/service/sizing.ts. */
function derivedPoolLimit(maxConnections: number, maxCapacity: number, numWorkers: number): number {
  const pools = maxCapacity * 2 * numWorkers;
  return Math.min(Math.floor(((maxConnections - 10) * 0.9) / pools), 20);
}

describe('the DESIGN one-liner', () => {
  let s: Synth;
  beforeAll(() => {
    s = synthOnce('one-liner', oneLiner);
  });

  test('synthesizes the whole platform', () => {
    for (const type of [
      'AWS::EC2::VPC', 'AWS::KMS::Key', 'AWS::ElasticLoadBalancingV2::LoadBalancer', 'AWS::RDS::DBInstance',
      'AWS::ECS::Cluster', 'AWS::ECS::Service', 'AWS::SNS::Topic', 'AWS::CloudWatch::Dashboard',
    ]) {
      s.template.resourceCountIs(type, 1);
    }
  });

  test('exposes security, network, loadBalancer, database, service and monitoring', () => {
    expect(s.platform.security).toBeInstanceOf(LiteLlmSecurity);
    expect(s.platform.network).toBeInstanceOf(LiteLlmNetwork);
    expect(s.platform.loadBalancer).toBeInstanceOf(LiteLlmLoadBalancer);
    expect(s.platform.database).toBeInstanceOf(LiteLlmDatabase);
    expect(s.platform.service).toBeInstanceOf(LiteLlmService);
    expect(s.platform.monitoring).toBeInstanceOf(LiteLlmMonitoring);
  });

  test('url is the CloudFront distribution\'s HTTPS URL (DEVELOPMENT\'s default), which the load balancer reports too', () => {
    expect(s.platform.url).toBe(s.platform.loadBalancer.url);
    expect(s.stack.resolve(s.platform.url)).toEqual({
      'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [logicalId(s.stack, s.platform.distribution!), 'DomainName'] }]],
    });
  });

  test('outputs the URL and the master key secret ARN under stable keys: the platform\'s id and a name', () => {
    s.template.hasOutput('LiteLlmUrl', {
      Description: Match.stringLikeRegexp('^Base URL of the LiteLLM proxy'),
      Value: s.stack.resolve(s.platform.url),
    });
    s.template.hasOutput('LiteLlmMasterKeySecretArn', {
      Description: Match.stringLikeRegexp('^Secret holding the LiteLLM master key'),
      Value: s.stack.resolve(s.platform.security.masterKeySecret.secretArn),
    });
    expect(s.platform.outputs.keys.Url).toBe('LiteLlmUrl');
  });

  test('creates only the free S3 gateway endpoint: its Bedrock calls go through the NAT gateway', () => {
    expect(endpointServices(s.template)).toEqual(['com.amazonaws.${AWS::Region}.s3']);
  });

  test('derives database_connection_pool_limit from the db.t4g.micro and maxCapacity 1', () => {
    // GIVEN: 1 task × 2 during deploys × 1 worker = 2 pools.
    const maxConnections = s.platform.database.maxConnections;
    const expected = derivedPoolLimit(maxConnections, 1, 1);

    // THEN
    expect(maxConnections).toBe(84);
    expect(s.platform.service.databaseConnectionPoolLimit).toBe(expected);
    expect(YAML.parse(s.platform.service.renderedConfig).general_settings.database_connection_pool_limit).toBe(expected);
    expect(expected * 2).toBeLessThanOrEqual(maxConnections - 10);
  });
});

describe('database_connection_pool_limit is derived from the formula', () => {
  test.each<[string, Partial<LiteLlmPlatformProps>, number, number, number, number]>([
    ['maxConnections 100, maxCapacity 4', { database: { maxConnections: 100 }, service: { maxCapacity: 4 } }, 100, 4, 1, 10],
    ['maxConnections 100, maxCapacity 8', { database: { maxConnections: 100 }, service: { maxCapacity: 8 } }, 100, 8, 1, 5],
    ['maxConnections 100, numWorkers 2', { database: { maxConnections: 100 }, service: { maxCapacity: 4, numWorkers: 2 } }, 100, 4, 2, 5],
    ['maxConnections 400, maxCapacity 12', { database: { maxConnections: 400 }, service: { maxCapacity: 12 } }, 400, 12, 1, 14],
    ['maxConnections 1000, capped at 20', { database: { maxConnections: 1000 } }, 1000, 1, 1, 20],
    ['PRODUCTION: db.t4g.small, maxCapacity 4', { profile: LiteLlmDeploymentProfile.PRODUCTION, loadBalancer: { allowHttp: true } }, 168, 4, 1, 17],
  ])('%s', (_name, props, maxConnections, maxCapacity, numWorkers, expected) => {
    // GIVEN
    expect(derivedPoolLimit(maxConnections, maxCapacity, numWorkers)).toBe(expected);

    // WHEN
    const platform = platformIn(newStack(), props);

    // THEN
    expect(platform.database.maxConnections).toBe(maxConnections);
    expect(platform.service.databaseConnectionPoolLimit).toBe(expected);
    expect(YAML.parse(platform.service.renderedConfig).general_settings.database_connection_pool_limit).toBe(expected);
  });
});

describe('without Bedrock models', () => {
  let s: Synth;
  let bastion: ec2.SecurityGroup;
  beforeAll(() => {
    s = synthOnce('no-bedrock', stack => {
      const platform = new LiteLlmPlatform(stack, 'LiteLlm', {
        models: [LiteLlmModel.mock({ name: 'mock' }), LiteLlmModel.openAi({ name: 'gpt', modelId: 'gpt-4o' })],
      });
      // WHEN: the platform is used as an ec2.IConnectable.
      bastion = new ec2.SecurityGroup(stack, 'Bastion', { vpc: platform.network.vpc });
      const connectable: ec2.IConnectable = platform;
      connectable.connections.allowDefaultPortFrom(bastion, 'Bastion to LiteLLM');
      return platform;
    });
  });

  test('adds no bedrock-runtime endpoint, even in PRODUCTION', () => {
    const stack = newStack();
    new LiteLlmPlatform(stack, 'LiteLlm', {
      profile: LiteLlmDeploymentProfile.PRODUCTION, loadBalancer: { allowHttp: true }, models: [LiteLlmModel.openAi({ name: 'gpt', modelId: 'gpt-4o' })],
    });
    expect(endpointServices(Template.fromStack(stack))).toEqual([
      'com.amazonaws.${AWS::Region}.s3',
      'com.amazonaws.us-east-1.logs',
      'com.amazonaws.us-east-1.secretsmanager',
    ]);
  });

  test('connections are the load balancer\'s, the tasks\' stay on the service', () => {
    expect(s.platform.connections).toBe(s.platform.loadBalancer.connections);
    expect(s.platform.connections.securityGroups).toEqual([s.platform.network.loadBalancerSecurityGroup]);
    expect(s.platform.service.connections.securityGroups).toEqual([s.platform.network.serviceSecurityGroup]);
  });

  test('connections.allowDefaultPortFrom opens the listener\'s port on the load balancer\'s security group', () => {
    // THEN: port 80 (no certificate), on the load balancer, not the tasks' 4000.
    s.template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: s.stack.resolve(s.platform.network.loadBalancerSecurityGroup.securityGroupId),
      SourceSecurityGroupId: s.stack.resolve(bastion.securityGroupId),
      IpProtocol: 'tcp',
      FromPort: 80,
      ToPort: 80,
      Description: 'Bastion to LiteLLM',
    });
    expect(s.template.findResources('AWS::EC2::SecurityGroupIngress', {
      Properties: { SourceSecurityGroupId: s.stack.resolve(bastion.securityGroupId), FromPort: 4000 },
    })).toEqual({});
  });
});

describe('an imported VPC', () => {
  let s: Synth;
  let vpc: ec2.IVpc;
  beforeAll(() => {
    s = synthOnce('imported-vpc', stack => {
      vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
        vpcId: 'vpc-0123456789abcdef0',
        vpcCidrBlock: '10.1.0.0/16',
        availabilityZones: ['us-east-1a', 'us-east-1b'],
        publicSubnetIds: ['subnet-public-a', 'subnet-public-b'],
        privateSubnetIds: ['subnet-private-a', 'subnet-private-b'],
      });
      return platformIn(stack, { vpc });
    });
  });

  test('creates no VPC, subnet, NAT gateway, flow log or endpoint', () => {
    for (const type of ['AWS::EC2::VPC', 'AWS::EC2::Subnet', 'AWS::EC2::NatGateway', 'AWS::EC2::FlowLog', 'AWS::EC2::VPCEndpoint']) {
      s.template.resourceCountIs(type, 0);
    }
    expect(s.platform.network.vpc).toBe(vpc);
  });

  test('places the tasks, the database and the load balancer (behind CloudFront, DEVELOPMENT\'s default) in its private subnets', () => {
    s.template.hasResourceProperties('AWS::ECS::Service', {
      NetworkConfiguration: {
        AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'DISABLED', Subnets: ['subnet-private-a', 'subnet-private-b'] }),
      },
    });
    s.template.hasResourceProperties('AWS::RDS::DBSubnetGroup', { SubnetIds: ['subnet-private-a', 'subnet-private-b'] });
    s.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Scheme: 'internal', Subnets: ['subnet-private-a', 'subnet-private-b'] });
  });

  test('creates its security groups in the VPC', () => {
    const groups = Object.values(s.template.findResources('AWS::EC2::SecurityGroup'));
    expect(groups.length).toBeGreaterThanOrEqual(5);
    for (const group of groups) {
      expect((group as any).Properties.VpcId).toBe('vpc-0123456789abcdef0');
    }
  });
});

interface ProfileExpectation {
  readonly multiAz: boolean;
  readonly dbClass: string;
  readonly deletionProtection: boolean;
  readonly dbDeletionPolicy: string;
  readonly logDeletionPolicy: string;
  readonly performanceInsights: boolean;
  readonly capacityProvider: string;
  readonly containerInsights: string;
  readonly retentionDays: number;
  readonly litellmLog: string;
  readonly webAcls: number;
  readonly natGateways: number;
  /** Interface endpoint services, sorted, without `com.amazonaws.us-east-1.`. */
  readonly interfaceEndpoints: string[];
  readonly tasks: [min: number, max: number];
  readonly cpu: string;
  /** Cache nodes; 0 is no cache. */
  readonly cacheNodes: number;
}

function describeProfile(make: () => Synth, expected: ProfileExpectation): void {
  let s: Synth;
  beforeAll(() => {
    s = make();
  });

  test(`database: Multi-AZ ${expected.multiAz}, ${expected.dbClass}, deletion protection ${expected.deletionProtection}, Performance Insights ${expected.performanceInsights}`, () => {
    const instance = only(s.template, 'AWS::RDS::DBInstance');
    expect(instance.Properties).toEqual(expect.objectContaining({
      MultiAZ: expected.multiAz,
      DBInstanceClass: expected.dbClass,
      DeletionProtection: expected.deletionProtection,
      EnablePerformanceInsights: expected.performanceInsights,
    }));
    expect(instance.DeletionPolicy).toBe(expected.dbDeletionPolicy);
  });

  test(`load balancer deletion protection ${expected.deletionProtection}`, () => {
    s.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'deletion_protection.enabled', Value: String(expected.deletionProtection) }]),
    });
  });

  test(`${expected.webAcls} web ACL(s) on the load balancer`, () => {
    s.template.resourceCountIs('AWS::WAFv2::WebACLAssociation', expected.webAcls);
  });

  test(`service: ${expected.capacityProvider}, Container Insights ${expected.containerInsights}, LITELLM_LOG ${expected.litellmLog}`, () => {
    s.template.hasResourceProperties('AWS::ECS::Service', {
      CapacityProviderStrategy: [{ CapacityProvider: expected.capacityProvider, Weight: 1 }],
    });
    s.template.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterSettings: [{ Name: 'containerInsights', Value: expected.containerInsights }],
    });
    expect(litellmEnvironment(s.template).LITELLM_LOG).toBe(expected.litellmLog);
  });

  test(`${expected.natGateways} NAT gateway(s), interface endpoints: ${expected.interfaceEndpoints.join(', ') || 'none'}`, () => {
    s.template.resourceCountIs('AWS::EC2::NatGateway', expected.natGateways);
    const interfaces = Object.values(s.template.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } }))
      .map((e: any) => text(e.Properties.ServiceName).replace('com.amazonaws.us-east-1.', '')).sort();
    expect(interfaces).toEqual(expected.interfaceEndpoints);
  });

  test(`${expected.tasks[0]} to ${expected.tasks[1]} task(s) of ${expected.cpu} CPU and 4096 MiB, ${expected.cacheNodes} cache node(s)`, () => {
    expect(only(s.template, 'AWS::ECS::Service').Properties.DesiredCount).toBe(expected.tasks[0]);
    s.template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: expected.tasks[0], MaxCapacity: expected.tasks[1] });
    s.template.hasResourceProperties('AWS::ECS::TaskDefinition', { Cpu: expected.cpu, Memory: '4096' });
    const caches = Object.values(s.template.findResources('AWS::ElastiCache::ReplicationGroup'));
    expect(caches.reduce((n, c: any) => n + c.Properties.NumCacheClusters, 0)).toBe(expected.cacheNodes);
  });

  test(`container logs kept ${expected.retentionDays} days, removal ${expected.logDeletionPolicy}`, () => {
    const logGroup = s.template.toJSON().Resources[logicalId(s.stack, s.platform.service.logGroup)];
    expect(logGroup.Properties.RetentionInDays).toBe(expected.retentionDays);
    expect(logGroup.DeletionPolicy).toBe(expected.logDeletionPolicy);
  });
}

describe('LiteLlmDeploymentProfile defaults', () => {
  describe('DEVELOPMENT (the default)', () => {
    describeProfile(() => synthOnce('one-liner', oneLiner), {
      natGateways: 1,
      interfaceEndpoints: [],
      tasks: [1, 1],
      cpu: '512',
      cacheNodes: 0,
      multiAz: false,
      dbClass: 'db.t4g.micro',
      deletionProtection: false,
      dbDeletionPolicy: 'Snapshot',
      logDeletionPolicy: 'Delete',
      performanceInsights: false,
      capacityProvider: 'FARGATE_SPOT',
      containerInsights: 'disabled',
      retentionDays: 14,
      litellmLog: 'INFO',
      webAcls: 0,
    });
  });

  describe('PRODUCTION', () => {
    describeProfile(() => synthOnce('production', stack => platformIn(stack, { profile: LiteLlmDeploymentProfile.PRODUCTION, loadBalancer: { allowHttp: true } })), {
      natGateways: 2,
      // no ECR endpoints: the default image comes from GHCR through the NAT gateways
      interfaceEndpoints: ['bedrock-runtime', 'logs', 'secretsmanager'],
      tasks: [2, 4],
      cpu: '1024',
      cacheNodes: 2,
      multiAz: true,
      dbClass: 'db.t4g.small',
      deletionProtection: true,
      dbDeletionPolicy: 'Snapshot',
      logDeletionPolicy: 'Retain',
      performanceInsights: true,
      capacityProvider: 'FARGATE',
      containerInsights: 'enabled',
      retentionDays: 90,
      litellmLog: 'ERROR',
      webAcls: 1,
    });
  });
});

describe('every explicit prop wins over the profile', () => {
  describe('PRODUCTION with DEVELOPMENT-like props', () => {
    describeProfile(() => synthOnce('production-overridden', stack => platformIn(stack, {
      profile: LiteLlmDeploymentProfile.PRODUCTION,
      network: { natGateways: 1, endpoints: { secretsManager: false, logs: false, bedrockRuntime: false } },
      service: {
        minCapacity: 1,
        maxCapacity: 1,
        cpu: 512,
        fargateSpot: true,
        containerInsights: ecs.ContainerInsights.DISABLED,
        logLevel: LiteLlmLogLevel.WARNING,
        logRetention: logs.RetentionDays.ONE_MONTH,
      },
      database: {
        multiAz: false,
        deletionProtection: false,
        enablePerformanceInsights: false,
        instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.LARGE),
      },
      loadBalancer: { deletionProtection: false, allowHttp: true },
    })), {
      natGateways: 1,
      interfaceEndpoints: [],
      tasks: [1, 1],
      cpu: '512',
      cacheNodes: 0,
      multiAz: false,
      dbClass: 'db.t4g.large',
      deletionProtection: false,
      dbDeletionPolicy: 'Snapshot',
      logDeletionPolicy: 'Retain',
      performanceInsights: false,
      capacityProvider: 'FARGATE_SPOT',
      containerInsights: 'disabled',
      retentionDays: 30,
      litellmLog: 'WARNING',
      webAcls: 1,
    });
  });

  describe('DEVELOPMENT with PRODUCTION-like props', () => {
    describeProfile(() => synthOnce('development-overridden', stack => platformIn(stack, {
      network: { natGateways: 2, endpoints: { ecr: true, secretsManager: true, logs: true, bedrockRuntime: true } },
      service: {
        minCapacity: 2,
        maxCapacity: 4,
        cpu: 1024,
        fargateSpot: false,
        containerInsights: ecs.ContainerInsights.ENABLED,
        logLevel: LiteLlmLogLevel.DEBUG,
        logRetention: logs.RetentionDays.SIX_MONTHS,
      },
      database: {
        multiAz: true,
        deletionProtection: true,
        enablePerformanceInsights: true,
        instanceType: ec2.InstanceType.of(ec2.InstanceClass.R6G, ec2.InstanceSize.LARGE),
      },
      loadBalancer: { deletionProtection: true },
    })), {
      natGateways: 2,
      interfaceEndpoints: ['bedrock-runtime', 'ecr.api', 'ecr.dkr', 'logs', 'secretsmanager'],
      tasks: [2, 4],
      cpu: '1024',
      cacheNodes: 1,
      multiAz: true,
      dbClass: 'db.r6g.large',
      deletionProtection: true,
      dbDeletionPolicy: 'Snapshot',
      logDeletionPolicy: 'Delete',
      performanceInsights: true,
      capacityProvider: 'FARGATE',
      containerInsights: 'enabled',
      retentionDays: 180,
      litellmLog: 'DEBUG',
      webAcls: 0,
    });
  });
});

describe('five-stack split: security, network, load balancer, database and service', () => {
  let app: App;
  let stacks: { [part: string]: Stack };
  let security: LiteLlmSecurity;
  let database: LiteLlmDatabase;
  let service: LiteLlmService;
  beforeAll(() => {
    // GIVEN
    app = new App();
    const stack = (id: string) => new Stack(app, id, { env: ENV });
    stacks = {
      security: stack('LiteLlmSecurity'),
      network: stack('LiteLlmNetwork'),
      loadBalancer: stack('LiteLlmLoadBalancer'),
      database: stack('LiteLlmDatabase'),
      service: stack('LiteLlmService'),
    };
    const models = [
      LiteLlmModel.bedrock({ name: 'claude-sonnet', modelId: 'us.anthropic.claude-sonnet-4-20250514-v1:0' }),
      LiteLlmModel.openAi({ name: 'gpt', modelId: 'gpt-4o' }),
    ];

    // WHEN: wired by passing the constructs
    security = new LiteLlmSecurity(stacks.security, 'Security', { providerKeyNames: models.flatMap(m => m.secretEnvNames) });
    const network = new LiteLlmNetwork(stacks.network, 'Network', {
      encryptionKey: security.encryptionKey, endpoints: { bedrockRuntime: true },
    });
    const loadBalancer = new LiteLlmLoadBalancer(stacks.loadBalancer, 'LoadBalancer', {
      vpc: network.vpc, securityGroup: network.loadBalancerSecurityGroup,
    });
    database = new LiteLlmDatabase(stacks.database, 'Database', {
      vpc: network.vpc,
      securityGroup: network.databaseSecurityGroup,
      rotationSecurityGroup: network.rotationSecurityGroup,
      encryptionKey: security.encryptionKey,
    });
    service = new LiteLlmService(stacks.service, 'Service', { models, network, security, database, loadBalancer });
  });

  test('app.synth() succeeds: no dependency cycle', () => {
    expect(() => app.synth()).not.toThrow();
  });

  test('the execution role may decrypt the secrets with the key of the security stack', () => {
    // An imported key drops the decrypt part of a secret grant; the role policy must carry it.
    Template.fromStack(stacks.service).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Action: 'kms:Decrypt',
          Effect: 'Allow',
          Resource: stacks.service.resolve(security.encryptionKey.keyArn),
          Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' } },
        })]),
      },
    });
  });

  test('the service stack depends on the four others', () => {
    // WHEN
    const artifact = app.synth().getStackByName('LiteLlmService');

    // THEN
    expect(artifact.dependencies.map(d => d.id).filter(id => !id.endsWith('.assets')).sort())
      .toEqual(['LiteLlmDatabase', 'LiteLlmLoadBalancer', 'LiteLlmNetwork', 'LiteLlmSecurity']);
  });

  test('each building block stays in its own stack', () => {
    Template.fromStack(stacks.security).resourceCountIs('AWS::KMS::Key', 1);
    Template.fromStack(stacks.network).resourceCountIs('AWS::EC2::VPC', 1);
    Template.fromStack(stacks.loadBalancer).resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 1);
    Template.fromStack(stacks.database).resourceCountIs('AWS::RDS::DBInstance', 1);
    const serviceTemplate = Template.fromStack(stacks.service);
    serviceTemplate.resourceCountIs('AWS::ECS::Service', 1);
    for (const type of ['AWS::KMS::Key', 'AWS::SecretsManager::Secret', 'AWS::EC2::VPC', 'AWS::RDS::DBInstance', 'AWS::ElasticLoadBalancingV2::LoadBalancer']) {
      serviceTemplate.resourceCountIs(type, 0);
    }
  });

  test('the service stack reads the others\' values through Fn::ImportValue', () => {
    // WHEN
    const serviceTemplate = Template.fromStack(stacks.service);
    const secrets = servingTaskDefinition(serviceTemplate).Properties.ContainerDefinitions
      .find((c: any) => c.Name === 'litellm').Secrets;

    // THEN
    const imports = JSON.stringify(serviceTemplate.toJSON()).match(/"Fn::ImportValue":"([^"]+)"/g) ?? [];
    expect(imports.length).toBeGreaterThan(0);
    for (const stackName of ['LiteLlmSecurity', 'LiteLlmNetwork', 'LiteLlmLoadBalancer', 'LiteLlmDatabase']) {
      expect(imports.some(i => i.includes(`"${stackName}:`))).toBe(true);
    }
    const master = secrets.find((e: any) => e.Name === 'LITELLM_MASTER_KEY');
    expect(master.ValueFrom['Fn::ImportValue']).toMatch(/^LiteLlmSecurity:/);
    const environment = servingTaskDefinition(serviceTemplate).Properties.ContainerDefinitions
      .find((c: any) => c.Name === 'litellm').Environment;
    expect(environment.find((e: any) => e.Name === 'DATABASE_HOST').Value['Fn::ImportValue']).toMatch(/^LiteLlmDatabase:/);
    expect(secrets.some((e: any) => e.Name.startsWith('DATABASE_'))).toBe(false);
  });

  test('the execution role reads exactly the imported secrets', () => {
    // GIVEN
    const serviceTemplate = Template.fromStack(stacks.service);
    const roleId = logicalId(stacks.service, service.taskDefinition.executionRole!);
    const expected = [
      security.masterKeySecret, security.saltKeySecret, security.uiCredentialsSecret, security.providerKeysSecret!,
    ].map(secret => JSON.stringify(stacks.service.resolve(secret.secretArn))).sort();

    // WHEN
    const statements = Object.values(serviceTemplate.findResources('AWS::IAM::Policy'))
      .filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === roleId))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement)
      .filter((st: any) => [].concat(st.Action).some((a: string) => a.startsWith('secretsmanager:')));

    // THEN
    const resources = statements.flatMap((st: any) => [].concat(st.Resource)).map(r => JSON.stringify(r)).sort();
    expect(resources).toEqual(expected);
    expect(resources.every(r => r.includes('Fn::ImportValue'))).toBe(true);
  });

  test('the redeploy rule watches the imported master key only', () => {
    // WHEN
    const rule = only(Template.fromStack(stacks.service), 'AWS::Events::Rule');

    // THEN
    expect(rule.Properties.EventPattern.detail.additionalEventData.SecretId).toEqual([
      stacks.service.resolve(security.masterKeySecret.secretArn),
    ]);
    expect(JSON.stringify(rule.Properties.EventPattern)).toContain('Fn::ImportValue');
  });
});

describe('profile capacity, endpoints and AZs', () => {
  const scaling = (props: Partial<LiteLlmPlatformProps>) => {
    const stack = newStack();
    platformIn(stack, props);
    const target = only(Template.fromStack(stack), 'AWS::ApplicationAutoScaling::ScalableTarget').Properties;
    return [target.MinCapacity, target.MaxCapacity];
  };

  test.each<[string, Partial<LiteLlmPlatformProps>, number[]]>([
    ['PRODUCTION with maxCapacity 1 runs one task', { profile: LiteLlmDeploymentProfile.PRODUCTION, loadBalancer: { allowHttp: true }, service: { maxCapacity: 1 } }, [1, 1]],
    ['PRODUCTION with minCapacity 6 may run six', { profile: LiteLlmDeploymentProfile.PRODUCTION, loadBalancer: { allowHttp: true }, service: { minCapacity: 6 } }, [6, 6]],
    ['DEVELOPMENT with minCapacity 3 may run three', { service: { minCapacity: 3 } }, [3, 3]],
    ['DEVELOPMENT with maxCapacity 4 scales from one', { service: { maxCapacity: 4 } }, [1, 4]],
  ])('an unset bound follows the other: %s', (_name, props, expected) => {
    expect(scaling(props)).toEqual(expected);
  });

  test('DEVELOPMENT with maxCapacity 4 gets the cache again (several processes)', () => {
    const stack = newStack();
    expect(platformIn(stack, { service: { maxCapacity: 4 } }).cache).toBeDefined();
  });

  test('PRODUCTION spreads its tasks over both AZs and moves them back after an AZ recovers', () => {
    const stack = newStack();
    const platform = platformIn(stack, { profile: LiteLlmDeploymentProfile.PRODUCTION, loadBalancer: { allowHttp: true } });
    const service = only(Template.fromStack(stack), 'AWS::ECS::Service').Properties;
    expect(service.DesiredCount).toBe(2);
    expect(service.AvailabilityZoneRebalancing).toBe('ENABLED');
    expect(service.NetworkConfiguration.AwsvpcConfiguration.Subnets).toEqual(stack.resolve(platform.network.vpc.privateSubnets.map(s => s.subnetId)));
    const azs = platform.network.vpc.privateSubnets.map(s => s.availabilityZone);
    expect(new Set(azs).size).toBe(2);
  });

  test('an image in ECR gets the ECR endpoints wherever the other interface endpoints are', () => {
    const stack = newStack();
    const repository = ecr.Repository.fromRepositoryName(stack, 'Repo', 'litellm');
    platformIn(stack, { profile: LiteLlmDeploymentProfile.PRODUCTION, loadBalancer: { allowHttp: true }, image: LiteLlmImage.fromEcrRepository(repository, 'v1.108.7') });
    expect(endpointServices(Template.fromStack(stack))).toEqual(expect.arrayContaining([
      'com.amazonaws.us-east-1.ecr.api', 'com.amazonaws.us-east-1.ecr.dkr',
    ]));
  });

  test('DEVELOPMENT without a NAT gateway gets every endpoint its tasks need', () => {
    const stack = newStack();
    const repository = ecr.Repository.fromRepositoryName(stack, 'Repo', 'litellm');
    platformIn(stack, { network: { natGateways: 0 }, image: LiteLlmImage.fromEcrRepository(repository, 'v1.108.7') });
    expect(endpointServices(Template.fromStack(stack))).toEqual([
      'com.amazonaws.${AWS::Region}.s3',
      'com.amazonaws.us-east-1.bedrock-runtime',
      'com.amazonaws.us-east-1.ecr.api',
      'com.amazonaws.us-east-1.ecr.dkr',
      'com.amazonaws.us-east-1.logs',
      'com.amazonaws.us-east-1.secretsmanager',
    ]);
  });
});

describe('LiteLlmOutputs', () => {
  const models = () => [LiteLlmModel.bedrock({ name: 'claude-sonnet', modelId: 'us.anthropic.claude-sonnet-4-20250514-v1:0' })];

  test('two platforms in one stack keep their outputs apart by their ids; an id with other characters is reduced to letters and digits', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Two', { env: { account: '123456789012', region: 'us-east-1' } });

    // WHEN
    new LiteLlmPlatform(stack, 'Team-A', { models: models() });
    new LiteLlmPlatform(stack, 'TeamB', { models: models() });

    // THEN
    const keys = Object.keys(Template.fromStack(stack).toJSON().Outputs);
    expect(keys).toEqual(expect.arrayContaining(['TeamAUrl', 'TeamBUrl', 'TeamAMasterKeySecretArn', 'TeamBAdminUi', 'TeamBDashboardName']));
  });

  test('a prefix that is not letters and digits fails at synth and says why', () => {
    const stack = new Stack(new App(), 'Bad');
    const platform = new LiteLlmPlatform(stack, 'LiteLlm', { models: models() });
    expect(() => new LiteLlmOutputs(stack, 'Out', { ...platform, prefix: 'my-platform' }))
      .toThrow('LiteLlmOutputs: the prefix "my-platform" must be letters and digits only (CloudFormation output keys are alphanumeric); pass `prefix`');
  });
});
