import { Token, aws_ec2 as ec2, aws_kms as kms, aws_logs as logs } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { followingKey, interfaceEndpointsByDefault, profileDefaults } from './private/defaults';
import { acknowledgeCidrReference, unresolvedCidrReason } from './private/ingress';
import { acknowledge, INLINE_POLICY_REASON } from './private/nag';
import { privateSubnetsOf } from './private/subnets';
import { check } from './private/validate';
import { LiteLlmDeploymentProfile } from './profile';

/**
 * VPC endpoints the network creates. Interface endpoints cost about $7.30 a month per AZ
 * each; with a NAT gateway the tasks reach the same AWS APIs through it (over TLS), so
 * DEVELOPMENT creates them only when the VPC has no NAT gateway, PRODUCTION always.
 */
export interface LiteLlmEndpointOptions {
  /**
   * S3 gateway endpoint (ECR image layers live in S3). Free.
   *
   * @default true for a VPC the network creates, false for an imported VPC
   */
  readonly s3?: boolean;
  /**
   * ECR API and ECR Docker interface endpoints. `LiteLlmPlatform` turns them off when the
   * image is not in ECR (nothing would use them).
   *
   * @default - for a VPC the network creates: true in PRODUCTION or without a NAT gateway, false otherwise; false for an imported VPC
   */
  readonly ecr?: boolean;
  /**
   * Secrets Manager interface endpoint (tasks read their secrets at start; rotation functions write them).
   *
   * @default - for a VPC the network creates: true in PRODUCTION or without a NAT gateway, false otherwise; false for an imported VPC
   */
  readonly secretsManager?: boolean;
  /**
   * CloudWatch Logs interface endpoint.
   *
   * @default - for a VPC the network creates: true in PRODUCTION or without a NAT gateway, false otherwise; false for an imported VPC
   */
  readonly logs?: boolean;
  /**
   * bedrock-runtime interface endpoint. `LiteLlmPlatform` turns it on when a Bedrock model is
   * configured and the other interface endpoints are on.
   *
   * @default false
   */
  readonly bedrockRuntime?: boolean;
  /**
   * bedrock-agent-runtime interface endpoint (Bedrock knowledge bases' Retrieve). `LiteLlmPlatform`
   * turns it on when a knowledge base is configured and the other interface endpoints are on.
   *
   * @default false
   */
  readonly bedrockAgentRuntime?: boolean;
}

/**
 * The VPC endpoints a `LiteLlmNetwork` created, by service. An imported VPC may have
 * endpoints of its own, which are not here.
 */
export interface LiteLlmVpcEndpoints {
  /**
   * The S3 gateway endpoint.
   *
   * @default - none created
   */
  readonly s3?: ec2.GatewayVpcEndpoint;
  /**
   * The ECR API interface endpoint.
   *
   * @default - none created
   */
  readonly ecrApi?: ec2.InterfaceVpcEndpoint;
  /**
   * The ECR Docker interface endpoint.
   *
   * @default - none created
   */
  readonly ecrDocker?: ec2.InterfaceVpcEndpoint;
  /**
   * The Secrets Manager interface endpoint.
   *
   * @default - none created
   */
  readonly secretsManager?: ec2.InterfaceVpcEndpoint;
  /**
   * The CloudWatch Logs interface endpoint.
   *
   * @default - none created
   */
  readonly logs?: ec2.InterfaceVpcEndpoint;
  /**
   * The bedrock-runtime interface endpoint.
   *
   * @default - none created
   */
  readonly bedrockRuntime?: ec2.InterfaceVpcEndpoint;
  /**
   * The bedrock-agent-runtime interface endpoint.
   *
   * @default - none created
   */
  readonly bedrockAgentRuntime?: ec2.InterfaceVpcEndpoint;
}

/**
 * Network settings of a LiteLLM platform.
 */
export interface LiteLlmNetworkOptions {
  /**
   * The IPv4 address range of the VPC to create (as `ec2.Vpc`'s `ipAddresses`): a /16 to a
   * /24, split into four subnets. Not allowed with `vpc`.
   *
   * @default ec2.IpAddresses.cidr('10.0.0.0/16')
   */
  readonly ipAddresses?: ec2.IIpAddresses;
  /**
   * NAT gateways of the VPC to create (0 to 2). Non-Bedrock providers and images
   * from public registries need one. With one, every provider call of both AZs goes
   * through the NAT gateway of one AZ. Not allowed with `vpc`.
   *
   * @default - 1 (DEVELOPMENT), 2: one per AZ (PRODUCTION)
   */
  readonly natGateways?: number;
  /**
   * VPC endpoints to create.
   *
   * @default - see `LiteLlmEndpointOptions`
   */
  readonly endpoints?: LiteLlmEndpointOptions;
  /**
   * IPv6 as well as IPv4: the VPC to create gets an Amazon-provided IPv6 block and an
   * egress-only internet gateway, the tasks may reach providers over IPv6, and in
   * `LiteLlmPlatform` the load balancer becomes dual-stack (IPv6 clients, an AAAA record).
   * With `vpc`, it says that the VPC's subnets already have IPv6 CIDRs, which an imported
   * `ec2.IVpc` cannot tell (a dual-stack load balancer fails to deploy otherwise).
   *
   * @default false
   */
  readonly dualStack?: boolean;
  /**
   * Retention of the flow logs of the VPC to create.
   *
   * @default - 14 days (DEVELOPMENT), 90 days (PRODUCTION)
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Properties of a `LiteLlmNetwork`.
 */
export interface LiteLlmNetworkProps extends LiteLlmNetworkOptions {
  /**
   * An existing VPC with public and private subnets in at least two AZs. The network
   * then creates no VPC, flow log or endpoint unless asked to in `endpoints`.
   *
   * @default - a new VPC
   */
  readonly vpc?: ec2.IVpc;
  /**
   * Key that encrypts the flow-log group.
   *
   * @default - CloudWatch Logs' own encryption
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Defaults for everything not set explicitly.
   *
   * @default LiteLlmDeploymentProfile.DEVELOPMENT
   */
  readonly profile?: LiteLlmDeploymentProfile;
  /**
   * Port the LiteLLM container listens on.
   *
   * @default 4000
   */
  readonly containerPort?: number;
}

/**
 * The VPC, its endpoints and the security groups of a LiteLLM platform:
 * ALB → service :4000 → database :5432; endpoints :443 from the VPC; rotation → database.
 */
export class LiteLlmNetwork extends Construct {
  /** The VPC (created or imported). */
  public readonly vpc: ec2.IVpc;
  /** Load balancer: out only to the service port; `LiteLlmLoadBalancer` opens 80/443 to its allowed peers. */
  public readonly loadBalancerSecurityGroup: ec2.ISecurityGroup;
  /** LiteLLM tasks: container port in from the load balancer only; out 443, 5432 to the database and 6379 to the cache. */
  public readonly serviceSecurityGroup: ec2.ISecurityGroup;
  /** Database: 5432 in from the service and the rotation function only. */
  public readonly databaseSecurityGroup: ec2.ISecurityGroup;
  /** Cache (`LiteLlmCache`): 6379 in from the service only. */
  public readonly cacheSecurityGroup: ec2.ISecurityGroup;
  /** Rotation functions: out 5432 to the database and 443 to AWS APIs. */
  public readonly rotationSecurityGroup: ec2.ISecurityGroup;
  /** Interface endpoints: 443 in from the VPC CIDR. */
  public readonly endpointSecurityGroup: ec2.ISecurityGroup;
  /** Number of NAT gateways of the VPC (for an imported VPC: 1 when it has private subnets with egress). */
  public readonly natGateways: number;
  /** Port the LiteLLM container listens on. */
  public readonly containerPort: number;
  /** Whether the VPC and the security groups carry IPv6 as well as IPv4. */
  public readonly dualStack: boolean;
  /** Whether the VPC was passed in as `vpc` rather than created here. */
  public readonly vpcImported: boolean;
  /** The VPC endpoints this network created, by service. An imported VPC may have endpoints of its own. */
  public readonly vpcEndpoints: LiteLlmVpcEndpoints;

  constructor(scope: Construct, id: string, props: LiteLlmNetworkProps = {}) {
    super(scope, id);
    const defaults = profileDefaults(props.profile);
    const imported = props.vpc !== undefined;
    this.vpcImported = imported;
    this.containerPort = props.containerPort ?? 4000;
    this.dualStack = props.dualStack ?? false;

    if (imported && (props.ipAddresses !== undefined || props.natGateways !== undefined)) {
      throw new Error('`ipAddresses` and `natGateways` describe a VPC to create and cannot be used with `vpc`: remove them, or remove `vpc`');
    }
    if (props.natGateways !== undefined && Token.isUnresolved(props.natGateways)) {
      throw new Error('`natGateways` is a token: it shapes the VPC at synth, so it must be a literal');
    }
    // ec2.IpAddresses.cidr() refuses a token or a malformed CIDR itself; an IPAM pool gives its netmask length.
    const allocation = props.ipAddresses?.allocateVpcCidr();
    const vpcPrefix = allocation?.cidrBlock !== undefined ? ipv4Prefix(allocation.cidrBlock) : allocation?.ipv4NetmaskLength;
    check(vpcPrefix, p => p >= 16 && p <= 24,
      p => `\`ipAddresses\` (${allocation?.cidrBlock ?? `an IPAM allocation of /${p}`}) must be a /16 to a /24 (four subnets split it), e.g. ec2.IpAddresses.cidr('10.0.0.0/16')`);
    check(props.natGateways, n => Number.isInteger(n) && n >= 0 && n <= 2,
      n => `\`natGateways\` (${n}) must be an integer from 0 to 2 (the VPC spans 2 AZs): use 1 for one shared NAT gateway, 2 for one per AZ`);

    if (props.vpc) {
      this.vpc = props.vpc;
      this.natGateways = props.vpc.privateSubnets.length > 0 ? 1 : 0;
    } else {
      this.natGateways = props.natGateways ?? defaults.natGateways;
      this.vpc = this.createVpc(props, vpcPrefix);
    }

    const sg = (name: string, description: string) => new ec2.SecurityGroup(this, name, {
      vpc: this.vpc, description, allowAllOutbound: false,
    });
    this.loadBalancerSecurityGroup = sg('LoadBalancerSecurityGroup', 'LiteLLM load balancer');
    this.serviceSecurityGroup = sg('ServiceSecurityGroup', 'LiteLLM tasks');
    this.databaseSecurityGroup = sg('DatabaseSecurityGroup', 'LiteLLM database');
    this.rotationSecurityGroup = sg('RotationSecurityGroup', 'LiteLLM secret rotation');
    this.cacheSecurityGroup = sg('CacheSecurityGroup', 'LiteLLM cache');
    this.endpointSecurityGroup = sg('EndpointSecurityGroup', 'LiteLLM VPC interface endpoints');

    this.connectSecurityGroups();

    this.vpcEndpoints = this.createEndpoints(props, imported);
  }

  /** The VPC: 2 AZs, public and private subnets sized from `ipAddresses`, flow logs to CloudWatch Logs. */
  private createVpc(props: LiteLlmNetworkProps, vpcPrefix: number | undefined): ec2.Vpc {
    const defaults = profileDefaults(props.profile);
    const vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: props.ipAddresses ?? ec2.IpAddresses.cidr('10.0.0.0/16'),
      ipProtocol: this.dualStack ? ec2.IpProtocol.DUAL_STACK : ec2.IpProtocol.IPV4_ONLY,
      maxAzs: 2,
      natGateways: this.natGateways,
      subnetConfiguration: [
        // Nothing here needs an automatic public IP: the ALB and NAT get theirs, tasks ask explicitly.
        {
          name: 'Public',
          subnetType: ec2.SubnetType.PUBLIC,
          cidrMask: subnetMask(vpcPrefix),
          mapPublicIpOnLaunch: false,
          ...(this.dualStack ? { ipv6AssignAddressOnCreation: false } : {}),
        },
        {
          name: 'Private',
          subnetType: this.natGateways > 0 ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PRIVATE_ISOLATED,
          cidrMask: subnetMask(vpcPrefix),
        },
      ],
      restrictDefaultSecurityGroup: true,
    });
    const flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      encryptionKey: props.encryptionKey,
      retention: props.logRetention ?? defaults.logRetention,
      removalPolicy: followingKey(props.encryptionKey, defaults.removalPolicy),
    });
    const flowLog = vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });
    acknowledge(flowLog, 'NIST.800.53.R5-IAMNoInlinePolicy', INLINE_POLICY_REASON);
    for (const subnet of vpc.publicSubnets) {
      acknowledge(subnet, 'NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW',
        'Public subnets hold only the internet-facing load balancer and the NAT gateway, which need the default route to the internet gateway.');
    }
    if (this.dualStack) {
      for (const subnet of [...vpc.privateSubnets, ...vpc.isolatedSubnets]) {
        acknowledge(subnet, 'NIST.800.53.R5-VPCSubnetAutoAssignPublicIpDisabled',
          'Only IPv6 addresses are auto-assigned in these private subnets, and their only IPv6 route out is an egress-only internet gateway (or none): nothing outside can open a connection to them.');
      }
    }
    return vpc;
  }

  /** The rules between the security groups, and their egress: each group reaches only what it needs. */
  private connectSecurityGroups(): void {
    const containerPort = ec2.Port.tcp(this.containerPort);
    const postgres = ec2.Port.tcp(5432);
    this.loadBalancerSecurityGroup.connections.allowTo(this.serviceSecurityGroup, containerPort, 'Load balancer to LiteLLM');
    this.serviceSecurityGroup.connections.allowTo(this.databaseSecurityGroup, postgres, 'LiteLLM to PostgreSQL');
    this.serviceSecurityGroup.connections.allowTo(this.cacheSecurityGroup, ec2.Port.tcp(6379), 'LiteLLM to the cache');
    this.serviceSecurityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to AWS APIs and LLM providers');
    if (this.dualStack) {
      // Tasks with an IPv6 address try a provider's AAAA first; a silently dropped packet would stall each call.
      this.serviceSecurityGroup.addEgressRule(ec2.Peer.anyIpv6(), ec2.Port.tcp(443), 'HTTPS to LLM providers over IPv6');
    }
    this.rotationSecurityGroup.connections.allowTo(this.databaseSecurityGroup, postgres, 'Rotation to PostgreSQL');
    this.rotationSecurityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to Secrets Manager');
    this.endpointSecurityGroup.addIngressRule(ec2.Peer.ipv4(this.vpc.vpcCidrBlock), ec2.Port.tcp(443), 'HTTPS from the VPC');
    acknowledgeCidrReference(this.endpointSecurityGroup, unresolvedCidrReason('the VPC CIDR on 443 only'));
  }

  /** The VPC endpoints `endpoints` asks for, by default per profile (none in an imported VPC but what is asked). */
  private createEndpoints(props: LiteLlmNetworkProps, imported: boolean): LiteLlmVpcEndpoints {
    const asked = props.endpoints ?? {};
    const iface = !imported && interfaceEndpointsByDefault(props.profile, this.natGateways);
    const endpoints = {
      s3: asked.s3 ?? !imported,
      ecr: asked.ecr ?? iface,
      secretsManager: asked.secretsManager ?? iface,
      logs: asked.logs ?? iface,
      bedrockRuntime: asked.bedrockRuntime ?? false,
      bedrockAgentRuntime: asked.bedrockAgentRuntime ?? false,
    };
    const privateSubnets = privateSubnetsOf(this.vpc);
    const endpoint = (name: string, service: ec2.InterfaceVpcEndpointAwsService) => new ec2.InterfaceVpcEndpoint(this, name, {
      vpc: this.vpc, service, privateDnsEnabled: true, securityGroups: [this.endpointSecurityGroup], subnets: privateSubnets, open: false,
    });
    return {
      s3: endpoints.s3 ? new ec2.GatewayVpcEndpoint(this, 'S3Endpoint', { vpc: this.vpc, service: ec2.GatewayVpcEndpointAwsService.S3 }) : undefined,
      ecrApi: endpoints.ecr ? endpoint('EcrApiEndpoint', ec2.InterfaceVpcEndpointAwsService.ECR) : undefined,
      ecrDocker: endpoints.ecr ? endpoint('EcrDockerEndpoint', ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER) : undefined,
      secretsManager: endpoints.secretsManager ? endpoint('SecretsManagerEndpoint', ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER) : undefined,
      logs: endpoints.logs ? endpoint('LogsEndpoint', ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS) : undefined,
      bedrockRuntime: endpoints.bedrockRuntime ? endpoint('BedrockRuntimeEndpoint', ec2.InterfaceVpcEndpointAwsService.BEDROCK_RUNTIME) : undefined,
      bedrockAgentRuntime: endpoints.bedrockAgentRuntime
        ? endpoint('BedrockAgentRuntimeEndpoint', ec2.InterfaceVpcEndpointAwsService.BEDROCK_AGENT_RUNTIME) : undefined,
    };
  }

  /** The interface endpoints this network created (a copy). */
  public get interfaceEndpoints(): ec2.InterfaceVpcEndpoint[] {
    const e = this.vpcEndpoints;
    return [e.ecrApi, e.ecrDocker, e.secretsManager, e.logs, e.bedrockRuntime, e.bedrockAgentRuntime]
      .filter((x): x is ec2.InterfaceVpcEndpoint => x !== undefined);
  }
}

/** The prefix length of an IPv4 CIDR, or undefined when `cidr` is not one. */
function ipv4Prefix(cidr: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!m || !m.slice(1, 5).every(o => Number(o) <= 255) || Number(m[5]) > 32) return undefined;
  return Number(m[5]);
}

/** Four subnets split the VPC: /16 → /20 each, /24 → /26 each. */
function subnetMask(vpcPrefix: number | undefined): number {
  const mask = vpcPrefix !== undefined && !Token.isUnresolved(vpcPrefix) ? vpcPrefix : 16;
  return Math.min(mask + 4, 26);
}
