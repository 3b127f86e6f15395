import { App, Lazy, Stack, aws_ec2 as ec2, aws_kms as kms, aws_logs as logs } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { LiteLlmDeploymentProfile, LiteLlmLoadBalancer, LiteLlmLoadBalancerOptions, LiteLlmNetwork, LiteLlmNetworkProps } from '../src';

const ENV = { account: '123456789012', region: 'us-east-1' };

const CONFLICT_MESSAGE = '`ipAddresses` and `natGateways` describe a VPC to create and cannot be used with `vpc`: remove them, or remove `vpc`';
const cidrMessage = (cidr: string) => `\`ipAddresses\` (${cidr}) must be a /16 to a /24 (four subnets split it), e.g. ec2.IpAddresses.cidr('10.0.0.0/16')`;
const natMessage = (n: number) =>
  `\`natGateways\` (${n}) must be an integer from 0 to 2 (the VPC spans 2 AZs): use 1 for one shared NAT gateway, 2 for one per AZ`;

/**
 * A network in its own stack, with a key for the flow logs like the platform passes; with
 * `loadBalancer`, a load balancer on it too, which opens its security group to clients.
 */
function networkStack(props: LiteLlmNetworkProps = {}, withKey = true, loadBalancer?: LiteLlmLoadBalancerOptions) {
  const stack = new Stack(new App(), 'Stack', { env: ENV });
  const key = withKey ? new kms.Key(stack, 'Key') : undefined;
  const network = new LiteLlmNetwork(stack, 'Network', { encryptionKey: key, ...props });
  if (loadBalancer) onNetwork(network, loadBalancer);
  return { stack, key, network, template: Template.fromStack(stack) };
}

/** A `LiteLlmLoadBalancer` on `network`, wired as `LiteLlmPlatform` wires it. */
function onNetwork(network: LiteLlmNetwork, options: LiteLlmLoadBalancerOptions = {}): LiteLlmLoadBalancer {
  return new LiteLlmLoadBalancer(Stack.of(network), 'LoadBalancer', {
    ...options, vpc: network.vpc, securityGroup: network.loadBalancerSecurityGroup, dualStack: network.dualStack,
  });
}

/** `{ Fn::GetAtt: [<sg>, GroupId] }` as it appears in the template. */
function groupId(stack: Stack, sg: ec2.ISecurityGroup): unknown {
  return stack.resolve(sg.securityGroupId);
}

function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as ec2.CfnSecurityGroup);
}

/** Interface endpoint service names, e.g. `com.amazonaws.us-east-1.ecr.api`. */
function interfaceEndpointServices(template: Template): string[] {
  return Object.values(template.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } }))
    .map(r => r.Properties.ServiceName as string)
    .sort();
}

const S3_SERVICE = { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, '.s3']] };
const DEFAULT_INTERFACE_SERVICES = [
  'com.amazonaws.us-east-1.ecr.api',
  'com.amazonaws.us-east-1.ecr.dkr',
  'com.amazonaws.us-east-1.logs',
  'com.amazonaws.us-east-1.secretsmanager',
];

describe('LiteLlmNetwork with a new VPC (DEVELOPMENT, defaults)', () => {
  let stack: Stack;
  let key: kms.Key;
  let network: LiteLlmNetwork;
  let template: Template;
  beforeAll(() => {
    // GIVEN / WHEN
    const created = networkStack();
    ({ stack, network, template } = created);
    key = created.key!;
  });

  test('creates one VPC of 10.0.0.0/16', () => {
    // THEN
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.0.0.0/16' });
  });

  test('has 2 public and 2 private subnets of /20 in 2 AZs', () => {
    // THEN
    template.resourceCountIs('AWS::EC2::Subnet', 4);
    // Nothing in the public subnets needs an automatic public IP (NIST AC-4).
    template.resourcePropertiesCountIs('AWS::EC2::Subnet', {
      MapPublicIpOnLaunch: false,
      Tags: Match.arrayWith([{ Key: 'aws-cdk:subnet-type', Value: 'Public' }]),
    }, 2);
    template.resourcePropertiesCountIs('AWS::EC2::Subnet', {
      MapPublicIpOnLaunch: false,
      Tags: Match.arrayWith([{ Key: 'aws-cdk:subnet-type', Value: 'Private' }]),
    }, 2);
    const subnets = Object.values(template.findResources('AWS::EC2::Subnet')).map(r => r.Properties);
    expect(subnets.map(s => s.CidrBlock).sort()).toEqual(['10.0.0.0/20', '10.0.16.0/20', '10.0.32.0/20', '10.0.48.0/20']);
    expect(new Set(subnets.map(s => JSON.stringify(s.AvailabilityZone))).size).toBe(2);
    expect(network.vpc.publicSubnets).toHaveLength(2);
    expect(network.vpc.privateSubnets).toHaveLength(2);
  });

  test('has one NAT gateway and exposes the count', () => {
    // THEN
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
    expect(network.natGateways).toBe(1);
    expect(network.containerPort).toBe(4000);
  });

  test('logs all VPC traffic to a CloudWatch log group encrypted with the key, kept 14 days and destroyed with the stack', () => {
    // THEN
    const flowLogGroup = network.node.findChild('FlowLogs') as logs.LogGroup;
    template.resourceCountIs('AWS::EC2::FlowLog', 1);
    template.hasResourceProperties('AWS::EC2::FlowLog', {
      ResourceType: 'VPC',
      ResourceId: stack.resolve(network.vpc.vpcId),
      TrafficType: 'ALL',
      LogDestinationType: 'cloud-watch-logs',
      LogGroupName: stack.resolve(flowLogGroup.logGroupName),
    });
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { KmsKeyId: stack.resolve(key.keyArn), RetentionInDays: 14 },
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
    });
  });

  test('creates an S3 gateway endpoint on every route table', () => {
    // THEN
    template.resourcePropertiesCountIs('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway' }, 1);
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: S3_SERVICE,
      VpcId: stack.resolve(network.vpc.vpcId),
      RouteTableIds: Match.arrayWith(stack.resolve(network.vpc.privateSubnets.map(s => s.routeTable.routeTableId))),
    });
  });

  test('creates no interface endpoint: the NAT gateway carries the AWS API calls (over TLS) for free', () => {
    // THEN
    expect(interfaceEndpointServices(template)).toEqual([]);
    expect(Object.entries(network.vpcEndpoints).filter(([, e]) => e).map(([k]) => k)).toEqual(['s3']);
    expect(network.interfaceEndpoints).toEqual([]);
  });

  test('creates exactly six security groups, none allowing all outbound traffic', () => {
    // THEN
    template.resourceCountIs('AWS::EC2::SecurityGroup', 6);
    template.resourcePropertiesCountIs('AWS::EC2::SecurityGroup', {
      SecurityGroupEgress: Match.arrayWith([Match.objectLike({ IpProtocol: '-1' })]),
    }, 0);
    template.resourcePropertiesCountIs('AWS::EC2::SecurityGroupEgress', { IpProtocol: '-1' }, 0);
  });

  test('load balancer: nothing in (LiteLlmLoadBalancer opens 80/443 to its peers), out only to the service on 4000', () => {
    // THEN
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'LiteLLM load balancer',
      SecurityGroupIngress: Match.absent(),
      SecurityGroupEgress: Match.absent(),
    });
    template.resourcePropertiesCountIs('AWS::EC2::SecurityGroupEgress', { GroupId: groupId(stack, network.loadBalancerSecurityGroup) }, 1);
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      GroupId: groupId(stack, network.loadBalancerSecurityGroup),
      DestinationSecurityGroupId: groupId(stack, network.serviceSecurityGroup),
      IpProtocol: 'tcp',
      FromPort: 4000,
      ToPort: 4000,
    });
    template.resourcePropertiesCountIs('AWS::EC2::SecurityGroupIngress', { GroupId: groupId(stack, network.loadBalancerSecurityGroup) }, 0);
  });

  test('service: 4000 in from the load balancer only; out 443, 5432 to the database and 6379 to the cache only', () => {
    // THEN
    const service = groupId(stack, network.serviceSecurityGroup);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'LiteLLM tasks',
      SecurityGroupIngress: Match.absent(),
      SecurityGroupEgress: [Match.objectLike({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: '0.0.0.0/0' })],
    });
    template.resourcePropertiesCountIs('AWS::EC2::SecurityGroupIngress', { GroupId: service }, 1);
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: service,
      SourceSecurityGroupId: groupId(stack, network.loadBalancerSecurityGroup),
      IpProtocol: 'tcp',
      FromPort: 4000,
      ToPort: 4000,
    });
    template.resourcePropertiesCountIs('AWS::EC2::SecurityGroupEgress', { GroupId: service }, 2);
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      GroupId: service,
      DestinationSecurityGroupId: groupId(stack, network.databaseSecurityGroup),
      IpProtocol: 'tcp',
      FromPort: 5432,
      ToPort: 5432,
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      GroupId: service,
      DestinationSecurityGroupId: groupId(stack, network.cacheSecurityGroup),
      IpProtocol: 'tcp',
      FromPort: 6379,
      ToPort: 6379,
    });
  });

  test('cache: 6379 in from the service only, nothing out', () => {
    // THEN
    const cache = groupId(stack, network.cacheSecurityGroup);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'LiteLLM cache',
      SecurityGroupIngress: Match.absent(),
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '255.255.255.255/32', Description: 'Disallow all traffic' })],
    });
    template.resourcePropertiesCountIs('AWS::EC2::SecurityGroupIngress', { GroupId: cache }, 1);
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: cache, SourceSecurityGroupId: groupId(stack, network.serviceSecurityGroup), IpProtocol: 'tcp', FromPort: 6379, ToPort: 6379,
    });
    template.resourcePropertiesCountIs('AWS::EC2::SecurityGroupEgress', { GroupId: cache }, 0);
  });

  test('database: 5432 in from the service and the rotation function only, nothing out', () => {
    // THEN
    const database = groupId(stack, network.databaseSecurityGroup);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'LiteLLM database',
      SecurityGroupIngress: Match.absent(),
      // CDK's placeholder for "no egress rule at all".
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '255.255.255.255/32', Description: 'Disallow all traffic' })],
    });
    template.resourcePropertiesCountIs('AWS::EC2::SecurityGroupIngress', { GroupId: database }, 2);
    for (const source of [network.serviceSecurityGroup, network.rotationSecurityGroup]) {
      template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
        GroupId: database, SourceSecurityGroupId: groupId(stack, source), IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432,
      });
    }
    template.resourcePropertiesCountIs('AWS::EC2::SecurityGroupEgress', { GroupId: database }, 0);
  });

  test('rotation: nothing in; out 5432 to the database and 443', () => {
    // THEN
    const rotation = groupId(stack, network.rotationSecurityGroup);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'LiteLLM secret rotation',
      SecurityGroupIngress: Match.absent(),
      SecurityGroupEgress: [Match.objectLike({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: '0.0.0.0/0' })],
    });
    template.resourcePropertiesCountIs('AWS::EC2::SecurityGroupIngress', { GroupId: rotation }, 0);
    template.resourcePropertiesCountIs('AWS::EC2::SecurityGroupEgress', { GroupId: rotation }, 1);
    template.hasResourceProperties('AWS::EC2::SecurityGroupEgress', {
      GroupId: rotation, DestinationSecurityGroupId: groupId(stack, network.databaseSecurityGroup), IpProtocol: 'tcp', FromPort: 5432, ToPort: 5432,
    });
  });

  test('endpoints: 443 in from the VPC CIDR only, nothing out', () => {
    // THEN
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'LiteLLM VPC interface endpoints',
      SecurityGroupIngress: [
        Match.objectLike({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: stack.resolve(network.vpc.vpcCidrBlock) }),
      ],
      SecurityGroupEgress: [Match.objectLike({ CidrIp: '255.255.255.255/32', Description: 'Disallow all traffic' })],
    });
    template.resourcePropertiesCountIs('AWS::EC2::SecurityGroupIngress', { GroupId: groupId(stack, network.endpointSecurityGroup) }, 0);
  });

  test('the VPC and the security groups keep their logical IDs; the groups belong to the VPC', () => {
    // THEN
    template.resourcePropertiesCountIs('AWS::EC2::SecurityGroup', { VpcId: stack.resolve(network.vpc.vpcId) }, 6);
    expect([
      network.loadBalancerSecurityGroup, network.serviceSecurityGroup, network.databaseSecurityGroup,
      network.rotationSecurityGroup, network.endpointSecurityGroup,
    ].map(sg => logicalId(stack, sg))).toEqual([
      'NetworkLoadBalancerSecurityGroupB58E20FF',
      'NetworkServiceSecurityGroup61AA808E',
      'NetworkDatabaseSecurityGroup2B3F4679',
      'NetworkRotationSecurityGroup27815DCC',
      'NetworkEndpointSecurityGroup6DEF6240',
    ]);
    expect(stack.getLogicalId((network.vpc as ec2.Vpc).node.defaultChild as ec2.CfnVPC)).toBe('NetworkVpc7FB7348F');
  });
});

describe('LiteLlmNetwork with a new VPC (PRODUCTION)', () => {
  const production = (props: LiteLlmNetworkProps = {}) => networkStack({ profile: LiteLlmDeploymentProfile.PRODUCTION, ...props });

  test('keeps flow logs 90 days and retains the log group', () => {
    // GIVEN / WHEN
    const { stack, key, template } = production();

    // THEN
    template.resourceCountIs('AWS::EC2::FlowLog', 1);
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { KmsKeyId: stack.resolve(key!.keyArn), RetentionInDays: 90 },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('has a NAT gateway per AZ, each private subnet routing through its own AZ\'s', () => {
    // GIVEN / WHEN
    const { stack, network, template } = production();

    // THEN
    expect(network.natGateways).toBe(2);
    const nats = template.findResources('AWS::EC2::NatGateway');
    expect(Object.keys(nats)).toHaveLength(2);
    const natOfRoute = network.vpc.privateSubnets.map(s => {
      const routes = template.findResources('AWS::EC2::Route', {
        Properties: { RouteTableId: stack.resolve(s.routeTable.routeTableId), DestinationCidrBlock: '0.0.0.0/0' },
      });
      return Object.values(routes)[0].Properties.NatGatewayId.Ref;
    });
    expect(new Set(natOfRoute)).toEqual(new Set(Object.keys(nats)));
  });

  test('natGateways 1 overrides the profile', () => {
    production({ natGateways: 1 }).template.resourceCountIs('AWS::EC2::NatGateway', 1);
  });

  test('creates the ECR API, ECR Docker, Secrets Manager and Logs interface endpoints next to the NAT gateways, and no bedrock-runtime endpoint', () => {
    expect(interfaceEndpointServices(production().template)).toEqual(DEFAULT_INTERFACE_SERVICES);
  });

  test('places each interface endpoint in the private subnets with private DNS and the endpoint security group', () => {
    // GIVEN / WHEN
    const { stack, network, template } = production();

    // THEN
    template.resourcePropertiesCountIs('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Interface',
      PrivateDnsEnabled: true,
      SecurityGroupIds: [groupId(stack, network.endpointSecurityGroup)],
      SubnetIds: stack.resolve(network.vpc.privateSubnets.map(s => s.subnetId)),
    }, 4);
  });

  test.each([
    ['s3', DEFAULT_INTERFACE_SERVICES, 0],
    ['ecr', ['com.amazonaws.us-east-1.logs', 'com.amazonaws.us-east-1.secretsmanager'], 1],
    ['secretsManager', ['com.amazonaws.us-east-1.ecr.api', 'com.amazonaws.us-east-1.ecr.dkr', 'com.amazonaws.us-east-1.logs'], 1],
    ['logs', ['com.amazonaws.us-east-1.ecr.api', 'com.amazonaws.us-east-1.ecr.dkr', 'com.amazonaws.us-east-1.secretsmanager'], 1],
  ])('endpoints.%s = false switches that endpoint off', (name, interfaces, gateways) => {
    // GIVEN / WHEN
    const { template } = production({ endpoints: { [name]: false } });

    // THEN
    expect(interfaceEndpointServices(template)).toEqual(interfaces);
    template.resourcePropertiesCountIs('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway' }, gateways);
  });
});

describe('LiteLlmNetwork options', () => {
  test('without a key, the flow-log group uses CloudWatch Logs encryption', () => {
    // GIVEN / WHEN
    const { template } = networkStack({}, false);

    // THEN
    template.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: Match.absent(), RetentionInDays: 14 });
    template.resourceCountIs('AWS::KMS::Key', 0);
  });

  test('a /24 CIDR is split into four /26 subnets', () => {
    // GIVEN / WHEN
    const { template } = networkStack({ ipAddresses: ec2.IpAddresses.cidr('192.168.10.0/24') });

    // THEN
    template.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '192.168.10.0/24' });
    const cidrs = Object.values(template.findResources('AWS::EC2::Subnet')).map(r => r.Properties.CidrBlock).sort();
    expect(cidrs).toEqual(['192.168.10.0/26', '192.168.10.128/26', '192.168.10.192/26', '192.168.10.64/26']);
  });

  test('natGateways 0 makes the private subnets isolated and places the endpoints there', () => {
    // GIVEN / WHEN
    const { stack, network, template } = networkStack({ natGateways: 0 });

    // THEN
    expect(network.natGateways).toBe(0);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourcePropertiesCountIs('AWS::EC2::Subnet', {
      Tags: Match.arrayWith([{ Key: 'aws-cdk:subnet-type', Value: 'Isolated' }]),
    }, 2);
    template.resourcePropertiesCountIs('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Interface',
      SubnetIds: stack.resolve(network.vpc.isolatedSubnets.map(s => s.subnetId)),
    }, 4);
  });

  test('natGateways 2 creates one NAT gateway per AZ', () => {
    // GIVEN / WHEN
    const { network, template } = networkStack({ natGateways: 2 });

    // THEN
    template.resourceCountIs('AWS::EC2::NatGateway', 2);
    expect(network.natGateways).toBe(2);
  });

  test('bedrockRuntime adds the bedrock-runtime interface endpoint', () => {
    // GIVEN / WHEN
    const { stack, network, template } = networkStack({ endpoints: { bedrockRuntime: true } });

    // THEN
    expect(interfaceEndpointServices(template)).toEqual(['com.amazonaws.us-east-1.bedrock-runtime']);
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: 'com.amazonaws.us-east-1.bedrock-runtime',
      PrivateDnsEnabled: true,
      SecurityGroupIds: [groupId(stack, network.endpointSecurityGroup)],
    });
  });

  test.each([['ecr', ['ecrApi', 'ecrDocker']], ['secretsManager', ['secretsManager']], ['logs', ['logs']]])(
    'endpoints.%s = true creates that endpoint next to a DEVELOPMENT NAT gateway', (name, members) => {
      const { network, template } = networkStack({ endpoints: { [name as string]: true } });
      expect(template.findResources('AWS::EC2::VPCEndpoint', { Properties: { VpcEndpointType: 'Interface' } })).not.toEqual({});
      expect(Object.entries(network.vpcEndpoints).filter(([, e]) => e).map(([k]) => k)).toEqual(['s3', ...members]);
    });

  test('reports the endpoints it created and whether the VPC is its own', () => {
    // GIVEN / WHEN
    const created = networkStack({ endpoints: { logs: false, bedrockRuntime: true } }).network;
    const stack = new Stack(new App(), 'Other', { env: ENV });
    const imported = new LiteLlmNetwork(stack, 'Network', { vpc: new ec2.Vpc(stack, 'Vpc') });

    // THEN
    expect(created.vpcImported).toBe(false);
    expect(created.vpcEndpoints.s3).toBeInstanceOf(ec2.GatewayVpcEndpoint);
    expect(created.vpcEndpoints.bedrockRuntime).toBeInstanceOf(ec2.InterfaceVpcEndpoint);
    expect(created.interfaceEndpoints).toEqual([created.vpcEndpoints.bedrockRuntime]);
    expect(created.vpcEndpoints.bedrockRuntime!.node.id).toBe('BedrockRuntimeEndpoint');
    expect(imported.vpcImported).toBe(true);
    expect(Object.values(imported.vpcEndpoints).filter(e => e)).toEqual([]);
    expect(imported.interfaceEndpoints).toEqual([]);
  });

  test('the interface endpoints list is a copy: changing it changes nothing', () => {
    const { network } = networkStack({ endpoints: { logs: true } });
    network.interfaceEndpoints.pop();
    expect(network.interfaceEndpoints).toHaveLength(1);
  });

  test('with a load balancer on it, 80 and 443 are open from anywhere', () => {
    // GIVEN / WHEN
    const { template } = networkStack({}, true, {});

    // THEN
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'LiteLLM load balancer',
      SecurityGroupIngress: [
        Match.objectLike({ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, CidrIp: '0.0.0.0/0' }),
        Match.objectLike({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: '0.0.0.0/0' }),
      ],
    });
  });

  test('the load balancer\'s allowedPeers replace 0.0.0.0/0 on both listener ports', () => {
    // GIVEN / WHEN
    const { template } = networkStack({}, true, { allowedPeers: [ec2.Peer.ipv4('203.0.113.0/24'), ec2.Peer.ipv4('198.51.100.7/32')] });

    // THEN
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'LiteLLM load balancer',
      SecurityGroupIngress: [
        Match.objectLike({ FromPort: 80, ToPort: 80, CidrIp: '203.0.113.0/24' }),
        Match.objectLike({ FromPort: 443, ToPort: 443, CidrIp: '203.0.113.0/24' }),
        Match.objectLike({ FromPort: 80, ToPort: 80, CidrIp: '198.51.100.7/32' }),
        Match.objectLike({ FromPort: 443, ToPort: 443, CidrIp: '198.51.100.7/32' }),
      ],
    });
  });

  test('internal load balancer: 80 and 443 only from the VPC CIDR', () => {
    // GIVEN / WHEN
    const { stack, network, template } = networkStack({}, true, { internetFacing: false });

    // THEN
    const vpcCidr = stack.resolve(network.vpc.vpcCidrBlock);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'LiteLLM load balancer',
      SecurityGroupIngress: [
        Match.objectLike({ IpProtocol: 'tcp', FromPort: 80, ToPort: 80, CidrIp: vpcCidr }),
        Match.objectLike({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: vpcCidr }),
      ],
    });
  });

  test('allowedPeers take IPv6 peers as CidrIpv6 rules', () => {
    // GIVEN / WHEN
    const { template } = networkStack({}, true, { allowedPeers: [ec2.Peer.ipv4('203.0.113.0/24'), ec2.Peer.ipv6('2001:db8:1234::/48')] });

    // THEN
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'LiteLLM load balancer',
      SecurityGroupIngress: [
        Match.objectLike({ FromPort: 80, CidrIp: '203.0.113.0/24' }),
        Match.objectLike({ FromPort: 443, CidrIp: '203.0.113.0/24' }),
        Match.objectLike({ FromPort: 80, CidrIpv6: '2001:db8:1234::/48' }),
        Match.objectLike({ FromPort: 443, CidrIpv6: '2001:db8:1234::/48' }),
      ],
    });
  });

  test('containerPort moves the load balancer → service rule', () => {
    // GIVEN / WHEN
    const { stack, network, template } = networkStack({ containerPort: 8080 });

    // THEN
    expect(network.containerPort).toBe(8080);
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: groupId(stack, network.serviceSecurityGroup),
      SourceSecurityGroupId: groupId(stack, network.loadBalancerSecurityGroup),
      FromPort: 8080,
      ToPort: 8080,
    });
    template.resourcePropertiesCountIs('AWS::EC2::SecurityGroupIngress', { FromPort: 4000 }, 0);
    template.resourcePropertiesCountIs('AWS::EC2::SecurityGroupEgress', { FromPort: 4000 }, 0);
  });
});

describe('LiteLlmNetwork with an existing VPC', () => {
  function importedVpc(stack: Stack): ec2.IVpc {
    return ec2.Vpc.fromVpcAttributes(stack, 'ExistingVpc', {
      vpcId: 'vpc-0123456789abcdef0',
      vpcCidrBlock: '10.20.0.0/16',
      availabilityZones: ['us-east-1a', 'us-east-1b'],
      publicSubnetIds: ['subnet-pub1', 'subnet-pub2'],
      publicSubnetRouteTableIds: ['rtb-pub1', 'rtb-pub2'],
      privateSubnetIds: ['subnet-priv1', 'subnet-priv2'],
      privateSubnetRouteTableIds: ['rtb-priv1', 'rtb-priv2'],
    });
  }

  describe('imported with fromVpcAttributes, nothing else asked', () => {
    let stack: Stack;
    let network: LiteLlmNetwork;
    let vpc: ec2.IVpc;
    let template: Template;
    beforeAll(() => {
      // GIVEN
      stack = new Stack(new App(), 'Stack', { env: ENV });
      vpc = importedVpc(stack);
      // WHEN
      network = new LiteLlmNetwork(stack, 'Network', { vpc, encryptionKey: new kms.Key(stack, 'Key') });
      onNetwork(network);
      template = Template.fromStack(stack);
    });

    test('uses the VPC as is', () => {
      // THEN
      expect(network.vpc).toBe(vpc);
      expect(network.natGateways).toBe(1);
    });

    test('creates no VPC, subnet, NAT gateway, flow log or endpoint', () => {
      // THEN
      for (const type of ['AWS::EC2::VPC', 'AWS::EC2::Subnet', 'AWS::EC2::NatGateway', 'AWS::EC2::FlowLog', 'AWS::Logs::LogGroup', 'AWS::EC2::VPCEndpoint']) {
        template.resourceCountIs(type, 0);
      }
    });

    test('creates the six security groups in that VPC, the endpoints one open to its CIDR', () => {
      // THEN
      template.resourcePropertiesCountIs('AWS::EC2::SecurityGroup', { VpcId: 'vpc-0123456789abcdef0' }, 6);
      template.hasResourceProperties('AWS::EC2::SecurityGroup', {
        GroupDescription: 'LiteLLM VPC interface endpoints',
        SecurityGroupIngress: [Match.objectLike({ FromPort: 443, ToPort: 443, CidrIp: '10.20.0.0/16' })],
      });
      template.hasResourceProperties('AWS::EC2::SecurityGroup', {
        GroupDescription: 'LiteLLM load balancer',
        SecurityGroupIngress: [Match.objectLike({ FromPort: 80, CidrIp: '0.0.0.0/0' }), Match.objectLike({ FromPort: 443, CidrIp: '0.0.0.0/0' })],
      });
    });
  });

  test('endpoints are created in an imported VPC when asked, in its private subnets', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const vpc = importedVpc(stack);

    // WHEN
    onNetwork(new LiteLlmNetwork(stack, 'Network', { vpc, endpoints: { s3: true, secretsManager: true, bedrockRuntime: true } }), { internetFacing: false });

    // THEN
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: S3_SERVICE,
      VpcId: 'vpc-0123456789abcdef0',
      RouteTableIds: Match.arrayWith(['rtb-priv1', 'rtb-priv2']),
    });
    expect(interfaceEndpointServices(template)).toEqual(['com.amazonaws.us-east-1.bedrock-runtime', 'com.amazonaws.us-east-1.secretsmanager']);
    template.resourcePropertiesCountIs('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Interface', SubnetIds: ['subnet-priv1', 'subnet-priv2'],
    }, 2);
    // internal: the load balancer is reachable from the imported VPC's CIDR only
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'LiteLLM load balancer',
      SecurityGroupIngress: [Match.objectLike({ FromPort: 80, CidrIp: '10.20.0.0/16' }), Match.objectLike({ FromPort: 443, CidrIp: '10.20.0.0/16' })],
    });
    template.resourceCountIs('AWS::EC2::FlowLog', 0);
  });

  test('an imported VPC with isolated subnets only has no NAT gateway', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'IsolatedVpc', {
      vpcId: 'vpc-isolated',
      vpcCidrBlock: '10.30.0.0/16',
      availabilityZones: ['us-east-1a', 'us-east-1b'],
      isolatedSubnetIds: ['subnet-iso1', 'subnet-iso2'],
    });

    // WHEN
    const network = new LiteLlmNetwork(stack, 'Network', { vpc, endpoints: { logs: true } });

    // THEN
    expect(network.natGateways).toBe(0);
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: 'com.amazonaws.us-east-1.logs', SubnetIds: ['subnet-iso1', 'subnet-iso2'],
    });
  });

  test('a VPC from another stack: the network stack holds only security groups, referencing the VPC by export', () => {
    // GIVEN
    const app = new App();
    const vpcStack = new Stack(app, 'VpcStack', { env: ENV });
    const vpc = new ec2.Vpc(vpcStack, 'Vpc', { maxAzs: 2 });
    const networkStackUnderTest = new Stack(app, 'NetworkStack', { env: ENV });

    // WHEN
    new LiteLlmNetwork(networkStackUnderTest, 'Network', { vpc });

    // THEN
    const template = Template.fromStack(networkStackUnderTest);
    expect(Object.values(template.toJSON().Resources).map((r: any) => r.Type).filter((t: string) => !t.startsWith('AWS::EC2::SecurityGroup')))
      .toEqual([]);
    template.resourceCountIs('AWS::EC2::SecurityGroup', 6);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      VpcId: { 'Fn::ImportValue': Match.stringLikeRegexp('VpcStack:ExportsOutputRefVpc') },
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'LiteLLM VPC interface endpoints',
      SecurityGroupIngress: [Match.objectLike({ CidrIp: { 'Fn::ImportValue': Match.stringLikeRegexp('VpcStack:ExportsOutputFnGetAttVpc.*CidrBlock') } })],
    });
    expect(() => app.synth()).not.toThrow();
  });
});

describe('LiteLlmNetwork validation', () => {
  const newNetwork = (props: LiteLlmNetworkProps) => () => new LiteLlmNetwork(new Stack(new App(), 'Stack'), 'Network', props);

  test.each(['10.0.0.0/15', '10.0.0.0/8', '10.0.0.0/25', '10.0.0.0/28'])(
    'rejects ipAddresses %s', cidr => {
      expect(newNetwork({ ipAddresses: ec2.IpAddresses.cidr(cidr) })).toThrow(new Error(cidrMessage(cidr)));
    });

  test.each(['10.0.0.0/16', '172.31.0.0/20', '10.0.0.0/24'])('accepts ipAddresses %s', cidr => {
    expect(newNetwork({ ipAddresses: ec2.IpAddresses.cidr(cidr) })).not.toThrow();
  });

  test('an IPAM pool is judged by its netmask length', () => {
    const ipam = (ipv4NetmaskLength: number) => ec2.IpAddresses.awsIpamAllocation({ ipv4IpamPoolId: 'ipam-pool-0123', ipv4NetmaskLength });
    expect(newNetwork({ ipAddresses: ipam(12) })).toThrow(new Error(
      '`ipAddresses` (an IPAM allocation of /12) must be a /16 to a /24 (four subnets split it), e.g. ec2.IpAddresses.cidr(\'10.0.0.0/16\')'));
    const stack = new Stack(new App(), 'Stack');
    new LiteLlmNetwork(stack, 'Network', { ipAddresses: ipam(20) });
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::VPC', { Ipv4IpamPoolId: 'ipam-pool-0123', Ipv4NetmaskLength: 20 });
    Template.fromStack(stack).resourcePropertiesCountIs('AWS::EC2::Subnet', { CidrBlock: Match.anyValue() }, 4);
  });

  test.each([3, -1, 1.5])('rejects natGateways %d', natGateways => {
    expect(newNetwork({ natGateways })).toThrow(natMessage(natGateways));
  });

  test('rejects ipAddresses together with vpc', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Stack');
    const vpc = new ec2.Vpc(stack, 'Vpc');

    // WHEN / THEN
    expect(() => new LiteLlmNetwork(stack, 'Network', { vpc, ipAddresses: ec2.IpAddresses.cidr('10.0.0.0/16') })).toThrow(CONFLICT_MESSAGE);
  });

  test('rejects natGateways together with vpc, even 0', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Stack');
    const vpc = new ec2.Vpc(stack, 'Vpc');

    // WHEN / THEN
    expect(() => new LiteLlmNetwork(stack, 'Network', { vpc, natGateways: 0 })).toThrow(CONFLICT_MESSAGE);
  });

  test('a token natGateways is refused as a token, not silently ignored', () => {
    // GIVEN
    const natGateways = Lazy.number({ produce: () => 7 });

    // WHEN / THEN
    expect(newNetwork({ natGateways })).toThrow(new Error('`natGateways` is a token: it shapes the VPC at synth, so it must be a literal'));
  });
});

describe('an imported VPC from another stack', () => {
  test('the S3 gateway endpoint it asks for lives in the network\'s stack, not the VPC\'s', () => {
    // GIVEN
    const app = new App();
    const vpcStack = new Stack(app, 'VpcStack', { env: ENV });
    const vpc = new ec2.Vpc(vpcStack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const netStack = new Stack(app, 'NetworkStack', { env: ENV });
    // WHEN
    new LiteLlmNetwork(netStack, 'Network', { vpc, endpoints: { s3: true } });
    // THEN
    const gateway = { VpcEndpointType: 'Gateway' };
    Template.fromStack(netStack).resourcePropertiesCountIs('AWS::EC2::VPCEndpoint', gateway, 1);
    Template.fromStack(vpcStack).resourcePropertiesCountIs('AWS::EC2::VPCEndpoint', gateway, 0);
  });
});

describe('LiteLlmNetwork dual-stack', () => {
  /** Every IPv6 CIDR any security group rule of the template names. */
  function ipv6Rules(template: Template): unknown[] {
    return Object.values(template.findResources('AWS::EC2::SecurityGroup'))
      .flatMap((g: any) => [...(g.Properties.SecurityGroupIngress ?? []), ...(g.Properties.SecurityGroupEgress ?? [])])
      .filter((r: any) => r.CidrIpv6 !== undefined);
  }

  test('is off by default: no IPv6 block, no egress-only gateway, no IPv6 rule', () => {
    // GIVEN / WHEN
    const { network, template } = networkStack();

    // THEN
    expect(network.dualStack).toBe(false);
    template.resourceCountIs('AWS::EC2::VPCCidrBlock', 0);
    template.resourceCountIs('AWS::EC2::EgressOnlyInternetGateway', 0);
    expect(ipv6Rules(template)).toEqual([]);
  });

  describe('on a VPC the network creates', () => {
    let stack: Stack;
    let network: LiteLlmNetwork;
    let template: Template;
    beforeAll(() => {
      ({ stack, network, template } = networkStack({ dualStack: true }, true, {}));
    });

    test('the VPC gets an Amazon-provided IPv6 block and every subnet a /64 of it', () => {
      // THEN
      expect(network.dualStack).toBe(true);
      template.hasResourceProperties('AWS::EC2::VPCCidrBlock', { AmazonProvidedIpv6CidrBlock: true });
      const subnets = Object.values(template.findResources('AWS::EC2::Subnet'));
      expect(subnets).toHaveLength(4);
      for (const subnet of subnets) {
        expect(subnet.Properties.Ipv6CidrBlock).toEqual({ 'Fn::Select': [expect.any(Number), { 'Fn::Cidr': [expect.anything(), 4, '64'] }] });
        expect(subnet.Properties.MapPublicIpOnLaunch).toBe(false);
      }
    });

    test('public subnets assign no IPv6 address on their own (the ALB and NAT bring theirs); private ones do, for the tasks', () => {
      // THEN
      const assigns = (subnets: ec2.ISubnet[]) => subnets.map(subnet =>
        template.toJSON().Resources[logicalId(stack, subnet as ec2.Subnet)].Properties.AssignIpv6AddressOnCreation);
      expect(assigns(network.vpc.publicSubnets)).toEqual([false, false]);
      expect(assigns(network.vpc.privateSubnets)).toEqual([true, true]);
    });

    test('private subnets reach IPv6 through an egress-only internet gateway, public ones through the internet gateway', () => {
      // THEN
      template.resourceCountIs('AWS::EC2::EgressOnlyInternetGateway', 1);
      const routes = Object.values(template.findResources('AWS::EC2::Route', { Properties: { DestinationIpv6CidrBlock: '::/0' } }));
      expect(routes.filter(r => r.Properties.EgressOnlyInternetGatewayId)).toHaveLength(2);
      expect(routes.filter(r => r.Properties.GatewayId)).toHaveLength(2);
    });

    test('the load balancer accepts IPv6 clients on 80 and 443, next to IPv4', () => {
      // THEN
      template.hasResourceProperties('AWS::EC2::SecurityGroup', {
        GroupDescription: 'LiteLLM load balancer',
        SecurityGroupIngress: [
          Match.objectLike({ FromPort: 80, CidrIp: '0.0.0.0/0' }),
          Match.objectLike({ FromPort: 443, CidrIp: '0.0.0.0/0' }),
          Match.objectLike({ FromPort: 80, ToPort: 80, CidrIpv6: '::/0' }),
          Match.objectLike({ FromPort: 443, ToPort: 443, CidrIpv6: '::/0' }),
        ],
      });
    });

    test('the tasks may reach providers on 443 over IPv6; nothing else gets an IPv6 rule', () => {
      // THEN
      template.hasResourceProperties('AWS::EC2::SecurityGroup', {
        GroupDescription: 'LiteLLM tasks',
        SecurityGroupEgress: Match.arrayWith([Match.objectLike({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIpv6: '::/0' })]),
      });
      expect(ipv6Rules(template)).toHaveLength(3);
    });
  });

  test('internal: 80 and 443 from the VPC\'s IPv4 CIDR and its IPv6 block', () => {
    // GIVEN / WHEN
    const { stack, network, template } = networkStack({ dualStack: true }, true, { internetFacing: false });

    // THEN
    const vpcId = logicalId(stack, network.vpc as ec2.Vpc);
    const ipv6Block = { 'Fn::Select': [0, { 'Fn::GetAtt': [vpcId, 'Ipv6CidrBlocks'] }] };
    // The group names the block, so it must wait for the block to be attached to the VPC.
    const [cidrBlockId] = Object.keys(template.findResources('AWS::EC2::VPCCidrBlock'));
    expect(template.toJSON().Resources[logicalId(stack, network.loadBalancerSecurityGroup as ec2.SecurityGroup)].DependsOn).toEqual([cidrBlockId]);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'LiteLLM load balancer',
      SecurityGroupIngress: [
        Match.objectLike({ FromPort: 80, CidrIp: stack.resolve(network.vpc.vpcCidrBlock) }),
        Match.objectLike({ FromPort: 443, CidrIp: stack.resolve(network.vpc.vpcCidrBlock) }),
        Match.objectLike({ FromPort: 80, CidrIpv6: ipv6Block }),
        Match.objectLike({ FromPort: 443, CidrIpv6: ipv6Block }),
      ],
    });
  });

  test('on an imported VPC: creates no VPC, opens the load balancer and task egress to IPv6', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Imported', {
      vpcId: 'vpc-12345678',
      vpcCidrBlock: '10.20.0.0/16',
      availabilityZones: ['us-east-1a', 'us-east-1b'],
      publicSubnetIds: ['subnet-pub1', 'subnet-pub2'],
      privateSubnetIds: ['subnet-priv1', 'subnet-priv2'],
    });

    // WHEN
    onNetwork(new LiteLlmNetwork(stack, 'Network', { vpc, dualStack: true }));

    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::EC2::VPC', 0);
    template.resourceCountIs('AWS::EC2::VPCCidrBlock', 0);
    expect(ipv6Rules(template)).toEqual([
      expect.objectContaining({ FromPort: 80, CidrIpv6: '::/0' }),
      expect.objectContaining({ FromPort: 443, CidrIpv6: '::/0' }),
      expect.objectContaining({ FromPort: 443, CidrIpv6: '::/0', Description: 'HTTPS to LLM providers over IPv6' }),
    ]);
  });
});
