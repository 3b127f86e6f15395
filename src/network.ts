import { Fn, Token, aws_ec2 as ec2, aws_kms as kms, aws_logs as logs } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { interfaceEndpointsByDefault, profileDefaults } from './private/defaults';
import { acknowledge, INLINE_POLICY_REASON } from './private/nag';
import { privateSubnetsOf } from './private/subnets';
import { check } from './private/validate';
import { DeploymentProfile } from './profile';

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
}

/**
 * Network settings of a LiteLLM platform.
 */
export interface LiteLlmNetworkOptions {
  /**
   * IPv4 CIDR of the VPC to create, a /16 to a /24. Ignored with `vpc`.
   *
   * @default '10.0.0.0/16'
   */
  readonly cidr?: string;
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
   * IPv4 or IPv6 CIDRs allowed to reach the load balancer on ports 80 and 443.
   *
   * @default - anywhere (`0.0.0.0/0`, and `::/0` when dual-stack) for an internet-facing
   * load balancer; the VPC's CIDR (and its IPv6 block, when this network creates a
   * dual-stack VPC) for an internal one
   */
  readonly allowedCidrs?: string[];
  /**
   * IPv6 as well as IPv4: the VPC to create gets an Amazon-provided IPv6 block and an
   * egress-only internet gateway, the load balancer accepts IPv6 clients, and the tasks may
   * reach providers over IPv6. With `vpc`, it says that the VPC's subnets already have IPv6
   * CIDRs (the load balancer cannot be dual-stack otherwise).
   *
   * @default false
   */
  readonly dualStack?: boolean;
  /**
   * Whether the load balancer is internal (its default allowed CIDR becomes the VPC's).
   *
   * @default false
   */
  readonly internal?: boolean;
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
   * @default DeploymentProfile.DEVELOPMENT
   */
  readonly profile?: DeploymentProfile;
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
  /** Load balancer: 80/443 in from the allowed CIDRs, out only to the service port. */
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
  /** The VPC endpoints this network created. An imported VPC may have endpoints of its own. */
  public readonly endpoints: LiteLlmEndpointOptions;

  constructor(scope: Construct, id: string, props: LiteLlmNetworkProps = {}) {
    super(scope, id);
    const defaults = profileDefaults(props.profile);
    const imported = props.vpc !== undefined;
    this.vpcImported = imported;
    this.containerPort = props.containerPort ?? 4000;
    this.dualStack = props.dualStack ?? false;

    if (imported && (props.cidr !== undefined || props.natGateways !== undefined)) {
      throw new Error('`cidr` and `natGateways` describe a VPC to create and cannot be used with `vpc`: remove them, or remove `vpc`');
    }
    for (const [name, value] of [['cidr', props.cidr], ['natGateways', props.natGateways]] as const) {
      if (value !== undefined && Token.isUnresolved(value)) {
        throw new Error(`\`${name}\` is a token: it shapes the VPC at synth, so it must be a literal`);
      }
    }
    check(props.cidr, validVpcCidr, v => `\`cidr\` (${v}) must be an IPv4 CIDR from /16 to /24, e.g. 10.0.0.0/16`);
    check(props.natGateways, n => Number.isInteger(n) && n >= 0 && n <= 2,
      n => `\`natGateways\` (${n}) must be an integer from 0 to 2 (the VPC spans 2 AZs): use 1 for one shared NAT gateway, 2 for one per AZ`);

    // The IPv6 block of a dual-stack VPC created here (an imported IVpc does not expose one),
    // and the resource that attaches it: a rule naming the block must wait for it.
    let ownIpv6Cidrs: string[] = [];
    let ipv6Block: IConstruct | undefined;
    if (props.vpc) {
      this.vpc = props.vpc;
      this.natGateways = props.vpc.privateSubnets.length > 0 ? 1 : 0;
    } else {
      this.natGateways = props.natGateways ?? defaults.natGateways;
      const vpc = new ec2.Vpc(this, 'Vpc', {
        ipAddresses: ec2.IpAddresses.cidr(props.cidr ?? '10.0.0.0/16'),
        ipProtocol: this.dualStack ? ec2.IpProtocol.DUAL_STACK : ec2.IpProtocol.IPV4_ONLY,
        maxAzs: 2,
        natGateways: this.natGateways,
        subnetConfiguration: [
          // Nothing here needs an automatic public IP: the ALB and NAT get theirs, tasks ask explicitly.
          {
            name: 'Public',
            subnetType: ec2.SubnetType.PUBLIC,
            cidrMask: subnetMask(props.cidr),
            mapPublicIpOnLaunch: false,
            ...(this.dualStack ? { ipv6AssignAddressOnCreation: false } : {}),
          },
          {
            name: 'Private',
            subnetType: this.natGateways > 0 ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PRIVATE_ISOLATED,
            cidrMask: subnetMask(props.cidr),
          },
        ],
        restrictDefaultSecurityGroup: true,
      });
      this.vpc = vpc;
      if (this.dualStack) {
        ownIpv6Cidrs = [Fn.select(0, vpc.vpcIpv6CidrBlocks)];
        ipv6Block = vpc.node.findChild('ipv6cidr');
      }
      const flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
        encryptionKey: props.encryptionKey,
        retention: defaults.logRetention,
        removalPolicy: defaults.removalPolicy,
      });
      const flowLog = this.vpc.addFlowLog('FlowLog', {
        destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
        trafficType: ec2.FlowLogTrafficType.ALL,
      });
      acknowledge(flowLog, 'NIST.800.53.R5-IAMNoInlinePolicy', INLINE_POLICY_REASON);
      for (const subnet of this.vpc.publicSubnets) {
        acknowledge(subnet, 'NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW',
          'Public subnets hold only the internet-facing load balancer and the NAT gateway, which need the default route to the internet gateway.');
      }
      if (this.dualStack) {
        for (const subnet of [...this.vpc.privateSubnets, ...this.vpc.isolatedSubnets]) {
          acknowledge(subnet, 'NIST.800.53.R5-VPCSubnetAutoAssignPublicIpDisabled',
            'Only IPv6 addresses are auto-assigned in these private subnets, and their only IPv6 route out is an egress-only internet gateway (or none): nothing outside can open a connection to them.');
        }
      }
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

    for (const cidr of props.allowedCidrs ?? []) {
      check(cidr, c => ipv4Prefix(c) !== undefined || validIpv6Cidr(c),
        c => `\`allowedCidrs\` entry "${c}" is not an IPv4 or IPv6 CIDR: write it like 203.0.113.0/24 or 2001:db8::/32`);
    }
    const allowedPeers = props.allowedCidrs?.map(c => (!Token.isUnresolved(c) && c.includes(':') ? ec2.Peer.ipv6(c) : ec2.Peer.ipv4(c)))
      ?? (props.internal
        ? [ec2.Peer.ipv4(this.vpc.vpcCidrBlock), ...ownIpv6Cidrs.map(c => ec2.Peer.ipv6(c))]
        : [ec2.Peer.anyIpv4(), ...(this.dualStack ? [ec2.Peer.anyIpv6()] : [])]);
    for (const peer of allowedPeers) {
      for (const port of [80, 443]) {
        this.loadBalancerSecurityGroup.addIngressRule(peer, ec2.Port.tcp(port), `HTTP${port === 443 ? 'S' : ''} from ${peer.uniqueId}`);
      }
    }
    if (ipv6Block && !props.allowedCidrs && props.internal) this.loadBalancerSecurityGroup.node.addDependency(ipv6Block);
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
    const unresolvedCidr = (what: string) => `Ingress is ${what}; the rule pack cannot resolve a CIDR reference and assumes any address.`;
    acknowledgeCidrReference(this.endpointSecurityGroup, unresolvedCidr('the VPC CIDR on 443 only'));
    if (allowedPeers.some(p => Token.isUnresolved(p.uniqueId))) {
      acknowledgeCidrReference(this.loadBalancerSecurityGroup, unresolvedCidr('the VPC\'s CIDRs (or the allowedCidrs given) on 80/443 only'));
    }
    if (allowedPeers.some(p => p.uniqueId === '0.0.0.0/0' || p.uniqueId === '::/0')) {
      acknowledge(this.loadBalancerSecurityGroup, 'AwsSolutions-EC23',
        'An internet-facing LLM gateway answers clients anywhere on 80/443; restrict with allowedCidrs, and WAF filters requests.');
    }

    const asked = props.endpoints ?? {};
    const iface = !imported && interfaceEndpointsByDefault(props.profile, this.natGateways);
    const endpoints = {
      s3: asked.s3 ?? !imported,
      ecr: asked.ecr ?? iface,
      secretsManager: asked.secretsManager ?? iface,
      logs: asked.logs ?? iface,
      bedrockRuntime: asked.bedrockRuntime ?? false,
    };
    this.endpoints = endpoints;
    if (endpoints.s3) {
      new ec2.GatewayVpcEndpoint(this, 'S3Endpoint', { vpc: this.vpc, service: ec2.GatewayVpcEndpointAwsService.S3 });
    }
    const privateSubnets = privateSubnetsOf(this.vpc);
    const endpoint = (name: string, service: ec2.InterfaceVpcEndpointAwsService) => new ec2.InterfaceVpcEndpoint(this, name, {
      vpc: this.vpc, service, privateDnsEnabled: true, securityGroups: [this.endpointSecurityGroup], subnets: privateSubnets, open: false,
    });
    if (endpoints.ecr) {
      endpoint('EcrApiEndpoint', ec2.InterfaceVpcEndpointAwsService.ECR);
      endpoint('EcrDockerEndpoint', ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER);
    }
    if (endpoints.secretsManager) endpoint('SecretsManagerEndpoint', ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER);
    if (endpoints.logs) endpoint('LogsEndpoint', ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS);
    if (endpoints.bedrockRuntime) endpoint('BedrockRuntimeEndpoint', ec2.InterfaceVpcEndpointAwsService.BEDROCK_RUNTIME);
  }
}

/** The prefix length of an IPv4 CIDR, or undefined when `cidr` is not one. */
function ipv4Prefix(cidr: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  if (!m || !m.slice(1, 5).every(o => Number(o) <= 255) || Number(m[5]) > 32) return undefined;
  return Number(m[5]);
}

function validVpcCidr(cidr: string): boolean {
  const prefix = ipv4Prefix(cidr);
  return prefix !== undefined && prefix >= 16 && prefix <= 24;
}

function validIpv6Cidr(cidr: string): boolean {
  const m = /^([0-9A-Fa-f:]+)\/(\d{1,3})$/.exec(cidr);
  if (!m || Number(m[2]) > 128) return false;
  const halves = m[1].split('::');
  if (halves.length > 2) return false;
  const groups = halves.flatMap(h => (h === '' ? [] : h.split(':')));
  if (!groups.every(g => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  return halves.length === 2 ? groups.length < 8 : groups.length === 8;
}

/** Four subnets split the VPC: /16 → /20 each, /24 → /26 each. */
function subnetMask(cidr: string | undefined): number {
  const mask = cidr && validVpcCidr(cidr) ? Number(cidr.split('/')[1]) : 16;
  return Math.min(mask + 4, 26);
}

function acknowledgeCidrReference(securityGroup: ec2.ISecurityGroup, reason: string): void {
  for (const rule of ['AwsSolutions-EC23', 'NIST.800.53.R5-EC2RestrictedCommonPorts', 'NIST.800.53.R5-EC2RestrictedSSH']) {
    acknowledge(securityGroup, rule, reason);
  }
}
