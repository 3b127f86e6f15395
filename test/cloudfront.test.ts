// CloudFront in front of an internal load balancer: the distribution, the VPC origin and its
// security group, what LiteLLM is told (hops, URL, timeouts), the defaults per profile and per
// choice, and every refusal. Synthesized platforms are shared across assertions.
import { App, Duration, Stack, Tags, aws_certificatemanager as acm, aws_ec2 as ec2, aws_route53 as route53 } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as YAML from 'yaml';
import {
  LiteLlmCloudFront, LiteLlmCloudFrontProps, LiteLlmDeploymentProfile, LiteLlmLoadBalancer, LiteLlmLoadBalancerOptions, LiteLlmModel,
  LiteLlmPlatform, LiteLlmPlatformProps, LiteLlmService,
} from '../src';
import { buildingBlocks } from './support/blocks';
import { nagFindings } from './support/nag';
import { joinedText, servingTaskDefinition } from './support/template';
import { checkRegion } from '../src/private/cloudfront-checks';
import { cloudFrontEnabled } from '../src/private/cloudfront-platform';

const claude = () => LiteLlmModel.bedrock({ name: 'claude-sonnet', modelId: 'us.anthropic.claude-sonnet-4-20250514-v1:0' });
const US_EAST_1_CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555';

interface PlatformSynth {
  readonly app: App;
  readonly stack: Stack;
  readonly platform: LiteLlmPlatform;
  readonly template: Template;
}

/** A platform in a region-agnostic stack (`new Stack(app, 'X')`), as the README's one-liner. */
function synth(props: Partial<LiteLlmPlatformProps> = {}): PlatformSynth {
  const app = new App();
  const stack = new Stack(app, 'X');
  const platform = new LiteLlmPlatform(stack, 'LiteLlm', { models: [claude()], ...props });
  return { app, stack, platform, template: Template.fromStack(stack) };
}

/** Builds a platform without synthesizing it: for refusals, which fail in the constructor. */
function build(props: Partial<LiteLlmPlatformProps>): void {
  new LiteLlmPlatform(new Stack(new App(), 'X'), 'LiteLlm', { models: [claude()], ...props });
}

const only = (template: Template, type: string): any => {
  const found = Object.values(template.findResources(type));
  expect(found).toHaveLength(1);
  return found[0];
};
const config = (s: PlatformSynth) => YAML.parse(s.platform.service.renderedConfig);
const environment = (s: PlatformSynth) => servingTaskDefinition(s.template).Properties.ContainerDefinitions
  .find((c: any) => c.Name === 'litellm').Environment as { Name: string; Value: unknown }[];
const httpOnlyWarnings = (s: PlatformSynth) => Annotations.fromStack(s.stack).findWarning('*', Match.stringLikeRegexp('cdk-litellm:httpOnly'));
const webAclRule = (template: Template, name: string) => only(template, 'AWS::WAFv2::WebACL').Properties.Rules.find((r: any) => r.Name === name);

describe('the DEVELOPMENT one-liner: CloudFront in front by default', () => {
  let s: PlatformSynth;
  beforeAll(() => {
    s = synth();
  });

  test('the load balancer is internal, in the private subnets, with HTTP on 80 only and no httpOnly warning', () => {
    const alb = only(s.template, 'AWS::ElasticLoadBalancingV2::LoadBalancer');
    expect(alb.Properties.Scheme).toBe('internal');
    const privateSubnets = s.platform.network.vpc.privateSubnets.map(n => s.stack.resolve(n.subnetId));
    expect(alb.Properties.Subnets).toEqual(privateSubnets);
    const listeners = Object.values<any>(s.template.findResources('AWS::ElasticLoadBalancingV2::Listener'));
    expect(listeners.map(l => [l.Properties.Port, l.Properties.Protocol])).toEqual([[80, 'HTTP']]);
    expect(httpOnlyWarnings(s)).toEqual([]);
  });

  test('one distribution reaches it through a VPC origin over HTTP on 80, waiting 60 s for a byte', () => {
    const origin = only(s.template, 'AWS::CloudFront::VpcOrigin');
    expect(origin.Properties.VpcOriginEndpointConfig).toEqual(expect.objectContaining({
      Arn: s.stack.resolve(s.platform.loadBalancer.loadBalancer.loadBalancerArn),
      HTTPPort: 80,
      OriginProtocolPolicy: 'http-only',
    }));
    const distribution = only(s.template, 'AWS::CloudFront::Distribution').Properties.DistributionConfig;
    expect(distribution.Origins).toHaveLength(1);
    expect(distribution.Origins[0].VpcOriginConfig).toEqual({
      OriginReadTimeout: 60,
      VpcOriginId: s.stack.resolve(s.platform.cloudFront!.vpcOrigin.vpcOriginId),
    });
    // No bound on a whole response: a stream may run as long as LiteLLM's request timeout.
    expect(distribution.Origins[0].ResponseCompletionTimeout).toBeUndefined();
    expect(s.platform.cloudFront!.originResponseTimeout.toSeconds()).toBe(60);
  });

  test('nothing cached, every method, every viewer header (Authorization included), cookie and query string forwarded, HTTPS for viewers', () => {
    const behavior = only(s.template, 'AWS::CloudFront::Distribution').Properties.DistributionConfig.DefaultCacheBehavior;
    expect(behavior).toEqual(expect.objectContaining({
      CachePolicyId: '4135ea2d-6df8-44a3-9df3-4b5a84be39ad', // Managed-CachingDisabled
      OriginRequestPolicyId: '216adef6-5c7f-47e4-b989-5492eafa07d3', // Managed-AllViewer
      AllowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
      ViewerProtocolPolicy: 'redirect-to-https',
      Compress: false,
    }));
    // Without WAF no function runs on the requests.
    expect(behavior.FunctionAssociations).toBeUndefined();
    s.template.resourceCountIs('AWS::CloudFront::Function', 0);
  });

  test('the load balancer admits only the VPC origin\'s security group, found by name in the VPC after the distribution', () => {
    const albGroup = s.stack.resolve(s.platform.network.loadBalancerSecurityGroup.securityGroupId);
    const rules = Object.values<any>(s.template.findResources('AWS::EC2::SecurityGroupIngress')).filter(r => JSON.stringify(r.Properties.GroupId) === JSON.stringify(albGroup));
    expect(rules).toHaveLength(1);
    const lookupId = s.stack.getLogicalId(s.platform.cloudFront!.node.findChild('VpcOriginSecurityGroup').node.findChild('Resource').node.defaultChild as any);
    expect(rules[0].Properties).toEqual({
      GroupId: albGroup,
      IpProtocol: 'tcp',
      FromPort: 80,
      ToPort: 80,
      SourceSecurityGroupId: { 'Fn::GetAtt': [lookupId, 'SecurityGroups.0.GroupId'] },
      Description: 'HTTP from the CloudFront VPC origin',
    });
    // Nothing from outside the VPC: the security group itself has no inline ingress.
    const group = s.template.toJSON().Resources[albGroup['Fn::GetAtt'][0]];
    expect(group.Properties.SecurityGroupIngress).toBeUndefined();
    const lookup = s.template.toJSON().Resources[lookupId];
    expect(lookup.DependsOn).toEqual(expect.arrayContaining([s.stack.getLogicalId(s.platform.cloudFront!.distribution.node.defaultChild as any)]));
    const create = JSON.parse(joinedText(lookup.Properties.Create));
    expect(create).toEqual(expect.objectContaining({
      service: 'EC2',
      action: 'describeSecurityGroups',
      parameters: { Filters: [{ Name: 'vpc-id', Values: ['<token>'] }, { Name: 'group-name', Values: ['CloudFront-VPCOrigins-Service-SG'] }] },
      outputPaths: ['SecurityGroups.0.GroupId'],
    }));
    expect(lookup.Properties.Create['Fn::Join'][1]).toContainEqual(s.stack.resolve(s.platform.network.vpc.vpcId));
    const policies = Object.values<any>(s.template.findResources('AWS::IAM::Policy'))
      .filter(p => p.Properties.PolicyDocument.Statement.some((st: any) => st.Action === 'ec2:DescribeSecurityGroups'));
    expect(policies.map(p => p.Properties.PolicyDocument.Statement)).toEqual([[{ Action: 'ec2:DescribeSecurityGroups', Effect: 'Allow', Resource: '*' }]]);
  });

  test('the URL, the outputs and PROXY_BASE_URL are the distribution\'s HTTPS URL', () => {
    const domain = s.stack.resolve(s.platform.distribution!.distributionDomainName);
    const url = { 'Fn::Join': ['', ['https://', domain]] };
    expect(s.stack.resolve(s.platform.url)).toEqual(url);
    expect(s.stack.resolve(s.platform.cloudFront!.url)).toEqual(url);
    const outputs = s.template.findOutputs('*');
    expect(outputs.LiteLlmUrl.Value).toEqual(url);
    expect(outputs.LiteLlmAdminUi.Value).toEqual({ 'Fn::Join': ['', ['https://', domain, '/ui']] });
    expect(outputs.LiteLlmDistributionId.Value).toEqual(s.stack.resolve(s.platform.distribution!.distributionId));
    expect(environment(s)).toContainEqual({ Name: 'PROXY_BASE_URL', Value: url });
  });

  test('LiteLLM reads the client two hops from the right; proxies trusted from the VPC only; sign-ins limited per client address; allowed_ips owned by the config', () => {
    const general = config(s).general_settings;
    expect(general.mcp_xff_num_trusted_hops).toBe(2);
    expect(general.use_x_forwarded_for).toBe(true);
    expect(general.mcp_trusted_proxy_ranges).toEqual(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10']);
    expect(general.trusted_proxy_ranges).toEqual(general.mcp_trusted_proxy_ranges);
    expect(general).toHaveProperty('allowed_ips', null);
  });

  test('streams get LiteLLM\'s keep-alive 15 s before CloudFront would give up, at least half the origin response timeout', () => {
    expect(config(s).litellm_settings.sse_keepalive_ping_interval_seconds).toBe(45);
    const slower = synth({ cloudFront: { originResponseTimeout: Duration.seconds(120) } });
    expect(config(slower).litellm_settings.sse_keepalive_ping_interval_seconds).toBe(105);
    const short = synth({ cloudFront: { originResponseTimeout: Duration.seconds(20) } });
    expect(config(short).litellm_settings.sse_keepalive_ping_interval_seconds).toBe(10);
  });

  test('the default request timeout gives each provider attempt at most the origin response timeout', () => {
    const rendered = config(s);
    expect(rendered.litellm_settings.request_timeout).toBe(60);
    expect(rendered.router_settings.timeout).toBe(60);
  });

  test('cdk-nag: no unacknowledged finding, region-agnostic', () => {
    expect(nagFindings(s.app, 'AwsSolutions')).toEqual([]);
  });
});

describe('PRODUCTION with cloudFront.enabled: WAF keys its rate limit on the address CloudFront writes', () => {
  let s: PlatformSynth;
  beforeAll(() => {
    s = synth({ profile: LiteLlmDeploymentProfile.PRODUCTION, cloudFront: { enabled: true, originResponseTimeout: Duration.seconds(120) } });
  });

  test('a viewer-request function overwrites our header with the viewer\'s address', () => {
    const fn = only(s.template, 'AWS::CloudFront::Function');
    expect(fn.Properties.FunctionCode).toContain("request.headers['x-litellm-viewer-address'] = { value: event.viewer.ip };");
    expect(fn.Properties.FunctionConfig.Runtime).toBe('cloudfront-js-2.0');
    const behavior = only(s.template, 'AWS::CloudFront::Distribution').Properties.DistributionConfig.DefaultCacheBehavior;
    expect(behavior.FunctionAssociations).toEqual([{ EventType: 'viewer-request', FunctionARN: s.stack.resolve(s.platform.cloudFront!.viewerAddressFunction!.functionArn) }]);
  });

  test('the regional web ACL stays on the internal load balancer and counts per forwarded address from that header', () => {
    expect(webAclRule(s.template, 'RateLimitPerIp').Statement.RateBasedStatement).toEqual(expect.objectContaining({
      AggregateKeyType: 'FORWARDED_IP',
      ForwardedIPConfig: { HeaderName: 'x-litellm-viewer-address', FallbackBehavior: 'MATCH' },
    }));
    s.template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
  });

  test('no httpOnly warning: the internal load balancer\'s HTTP is the VPC origin\'s', () => {
    expect(only(s.template, 'AWS::ElasticLoadBalancingV2::LoadBalancer').Properties.Scheme).toBe('internal');
    expect(httpOnlyWarnings(s)).toEqual([]);
  });

  test('a raised origin response timeout goes to the origin and caps each attempt', () => {
    expect(only(s.template, 'AWS::CloudFront::Distribution').Properties.DistributionConfig.Origins[0].VpcOriginConfig.OriginReadTimeout).toBe(120);
    expect(config(s).litellm_settings.request_timeout).toBe(120);
  });

  test('cdk-nag: no unacknowledged finding in either pack', () => {
    expect(nagFindings(s.app, 'AwsSolutions')).toEqual([]);
    expect(nagFindings(s.app, 'NIST.800.53.R5')).toEqual([]);
  });
});

describe('the default per profile and per choice', () => {
  const dev = LiteLlmDeploymentProfile.DEVELOPMENT;
  const choices: [string, LiteLlmLoadBalancerOptions][] = [
    ['internetFacing: true', { internetFacing: true }],
    ['internetFacing: false', { internetFacing: false }],
    ['allowedPeers', { allowedPeers: [ec2.Peer.ipv4('203.0.113.0/24')] }],
    ['domainName', { domainName: 'llm.example.com' }],
    ['certificate', { certificate: {} as acm.ICertificate }],
    ['allowHttp', { allowHttp: true }],
    ['publicUrl', { publicUrl: 'https://llm.example.com' }],
  ];

  test('on in DEVELOPMENT without a load balancer choice, off in PRODUCTION, and as `enabled` says', () => {
    expect(cloudFrontEnabled(undefined, undefined, dev)).toBe(true);
    expect(cloudFrontEnabled(undefined, { idleTimeout: Duration.seconds(300) }, dev)).toBe(true);
    expect(cloudFrontEnabled(undefined, undefined, LiteLlmDeploymentProfile.PRODUCTION)).toBe(false);
    expect(cloudFrontEnabled({ enabled: true }, undefined, LiteLlmDeploymentProfile.PRODUCTION)).toBe(true);
    expect(cloudFrontEnabled({ enabled: false }, undefined, dev)).toBe(false);
  });

  test.each([
    ['cn-north-1', 'aws-cn'], ['cn-northwest-1', 'aws-cn'], ['us-gov-west-1', 'aws-us-gov'], ['us-iso-east-1', 'an ISO partition'],
    ['us-isob-east-1', 'an ISO partition'], ['eu-isoe-west-1', 'an ISO partition'], ['eusc-de-east-1', 'aws-eusc'],
  ])('off by default in %s (%s, no VPC origins), refused when asked, and refused for the building block', (region, partition) => {
    expect(cloudFrontEnabled(undefined, undefined, dev, region)).toBe(false);
    expect(() => cloudFrontEnabled({ originResponseTimeout: Duration.seconds(30) }, undefined, dev, region)).toThrow(new Error(
      `\`cloudFront.originResponseTimeout\` configures the CloudFront distribution, but CloudFront is off (CloudFront has no VPC origins in ${region} (${partition})): remove them`));
    expect(() => cloudFrontEnabled({ enabled: true }, undefined, dev, region)).toThrow(new Error(
      `\`cloudFront.enabled\` is true, but the stack is in ${region} (${partition}), where CloudFront has no VPC origins: `
      + 'remove `cloudFront`, and serve HTTPS from the load balancer (`loadBalancer.domainName` with `domainZone` or `certificate`)'));
    const stack = new Stack(new App(), 'Partition', { env: { account: '123456789012', region } });
    // No vendored RDS CA in these partitions: the database takes one (any PEM passes synth).
    const caCertificatePem = '-----BEGIN CERTIFICATE-----\nMIIBstand-in\n-----END CERTIFICATE-----';
    const platform = new LiteLlmPlatform(stack, 'LiteLlm', { models: [LiteLlmModel.mock({ name: 'mock' })], database: { caCertificatePem } });
    expect(platform.cloudFront).toBeUndefined();
    Template.fromStack(stack).resourceCountIs('AWS::CloudFront::Distribution', 0);
    expect(() => checkRegion(region)).toThrow(new Error(`LiteLlmCloudFront: the stack is in ${region} (${partition}), where CloudFront has no VPC origins: `
      + 'serve HTTPS from the load balancer instead (`domainName` with `domainZone` or `certificate`)'));
  });

  test('on by default in a region-agnostic stack and in the commercial partition', () => {
    expect(cloudFrontEnabled(undefined, undefined, dev, new Stack().region)).toBe(true);
    expect(cloudFrontEnabled(undefined, undefined, dev, 'eu-west-1')).toBe(true);
  });

  test.each(choices)('DEVELOPMENT with `loadBalancer.%s` keeps today\'s shape (off)', (_name, loadBalancer) => {
    expect(cloudFrontEnabled(undefined, loadBalancer, dev)).toBe(false);
  });

  test('`cloudFront.enabled: false` keeps today\'s shape: internet-facing, no distribution, the httpOnly warning', () => {
    const s = synth({ cloudFront: { enabled: false } });
    expect(only(s.template, 'AWS::ElasticLoadBalancingV2::LoadBalancer').Properties.Scheme).toBe('internet-facing');
    s.template.resourceCountIs('AWS::CloudFront::Distribution', 0);
    expect(s.platform.cloudFront).toBeUndefined();
    expect(s.platform.distribution).toBeUndefined();
    expect(httpOnlyWarnings(s)).toHaveLength(1);
    expect(config(s).general_settings.mcp_xff_num_trusted_hops).toBe(1);
    expect(config(s).general_settings).not.toHaveProperty('allowed_ips');
    expect(config(s).litellm_settings).not.toHaveProperty('sse_keepalive_ping_interval_seconds');
    expect(config(s).litellm_settings.request_timeout).toBe(191);
    expect(s.template.findOutputs('LiteLlmDistributionId')).toEqual({});
  });
});

describe('refusals', () => {
  test.each([
    [{ internetFacing: true }, '`loadBalancer.internetFacing` (true) puts the load balancer on the internet, where clients could bypass CloudFront: remove it (CloudFront makes the load balancer internal)'],
    [{ internetFacing: false }, '`loadBalancer.internetFacing` (false) keeps the proxy off the internet altogether, while CloudFront serves it to the internet: keep one of them'],
    [{ allowedPeers: [ec2.Peer.ipv4('203.0.113.0/24')] }, '`loadBalancer.allowedPeers` ("1 peer") opens the load balancer to other peers, but behind CloudFront it admits the VPC origin only: remove it, '
      + 'or add clients inside the VPC with `platform.connections.allowDefaultPortFrom(...)`'],
    [{ domainName: 'llm.example.com' }, '`loadBalancer.domainName` ("llm.example.com") names the load balancer, but the clients\' name is now CloudFront\'s: move it to `cloudFront.domainName` with a us-east-1 `cloudFront.certificate`'],
    [{ allowHttp: true }, '`loadBalancer.allowHttp` (true) lets the load balancer serve plain HTTP to the internet, but behind CloudFront clients use HTTPS: remove it'],
    [{ publicUrl: 'https://llm.example.com' }, '`loadBalancer.publicUrl` ("https://llm.example.com") names a proxy in front, but CloudFront is the proxy and gives the URL itself: remove it (a domain of your own goes to `cloudFront.domainName`)'],
  ])('cloudFront.enabled with loadBalancer %j is refused, with the fix', (loadBalancer, message) => {
    expect(() => cloudFrontEnabled({ enabled: true }, loadBalancer as LiteLlmLoadBalancerOptions, LiteLlmDeploymentProfile.PRODUCTION))
      .toThrow(new Error(`\`cloudFront.enabled\` is true, and ${message}; or remove \`cloudFront.enabled\` to keep the load balancer as it is`));
  });

  test('a keep-alive interval of the config is kept when it is shorter than the origin response timeout, refused when not', () => {
    const keepalive = (seconds: number) => config(synth({ config: { litellmSettings: { sse_keepalive_ping_interval_seconds: seconds } } }))
      .litellm_settings.sse_keepalive_ping_interval_seconds;
    expect(keepalive(5)).toBe(5);
    expect(keepalive(0)).toBe(0);
    expect(() => build({ config: { litellmSettings: { sse_keepalive_ping_interval_seconds: 60 } } })).toThrow(new Error(
      '`litellm_settings.sse_keepalive_ping_interval_seconds` (60) is not shorter than CloudFront\'s origin response timeout (`cloudFront.originResponseTimeout`, 60 s): '
      + 'a stream whose first token takes longer would be cut with a 504 before LiteLLM\'s first ping. Remove it (the platform sets 45 s behind CloudFront), or set it under 60 s'));
    expect(() => build({ config: { litellmSettings: { sse_keepalive_ping_interval_seconds: 60 } }, cloudFront: { enabled: false } })).not.toThrow();
    const slowPings = LiteLlmModel.custom({ name: 'slow-pings', litellmParams: { model: 'openai/x', keepalive_seconds: 90 }, needsInternet: false });
    expect(() => build({ models: [slowPings] })).toThrow(new Error(
      'model "slow-pings": `keepalive_seconds` (90) is not shorter than CloudFront\'s origin response timeout (`cloudFront.originResponseTimeout`, 60 s): '
      + 'a stream whose first token takes longer would be cut with a 504 before LiteLLM\'s first ping. Remove it (the platform\'s 45 s then applies), or set it under 60 s'));
    const quickPings = LiteLlmModel.custom({ name: 'quick-pings', litellmParams: { model: 'openai/x', keepalive_seconds: 20 }, needsInternet: false });
    expect(() => build({ models: [quickPings] })).not.toThrow();
  });

  test('general_settings.allowed_ips is refused behind CloudFront (the header LiteLLM compares holds two addresses); kept without it', () => {
    const generalSettings = { allowed_ips: ['203.0.113.7'] };
    expect(() => build({ config: { generalSettings } })).toThrow(new Error(
      '`general_settings.allowed_ips` (["203.0.113.7"]) would refuse every request behind CloudFront: LiteLLM compares the whole X-Forwarded-For header, '
      + 'which then holds the client\'s address and the VPC origin\'s. Remove it, and allow clients with a web ACL at the edge (`cloudFront.webAclArn`, an IP set rule), '
      + 'or turn CloudFront off (`cloudFront.enabled: false`) and use `loadBalancer.allowedPeers`'));
    expect(() => build({ config: { generalSettings }, cloudFront: { enabled: false } })).not.toThrow();
  });

  test('the load balancer\'s certificate is refused too (it moves to cloudFront), in the platform', () => {
    expect(() => build({ cloudFront: { enabled: true }, loadBalancer: { certificate: acm.Certificate.fromCertificateArn(new Stack(), 'C', US_EAST_1_CERT) } }))
      .toThrow(/^`cloudFront.enabled` is true, and `loadBalancer.certificate` \("set"\) gives the load balancer HTTPS, but the VPC origin speaks HTTP to it/);
  });

  test('settings of the distribution while it is off are refused', () => {
    expect(() => cloudFrontEnabled({ enabled: false, originResponseTimeout: Duration.seconds(30) }, undefined, LiteLlmDeploymentProfile.DEVELOPMENT))
      .toThrow(new Error('`cloudFront.originResponseTimeout` configures the CloudFront distribution, but CloudFront is off (`cloudFront.enabled: false`): set `cloudFront.enabled: true`, or remove them'));
    expect(() => cloudFrontEnabled({ priceClass: undefined, webAclArn: 'arn' }, undefined, LiteLlmDeploymentProfile.PRODUCTION))
      .toThrow(new Error('`cloudFront.webAclArn` configures the CloudFront distribution, but CloudFront is off (PRODUCTION turns it on only when asked): set `cloudFront.enabled: true`, or remove them'));
    expect(() => cloudFrontEnabled({ originResponseTimeout: Duration.seconds(30) }, { allowHttp: true }, LiteLlmDeploymentProfile.DEVELOPMENT))
      .toThrow(new Error('`cloudFront.originResponseTimeout` configures the CloudFront distribution, but CloudFront is off (the load balancer\'s own choices (`loadBalancer.allowHttp`) turn it off): set `cloudFront.enabled: true`, or remove them'));
  });

  test.each([0, 121, 1.5])('originResponseTimeout of %d s is refused (a VPC origin takes 1 to 120 s)', (seconds) => {
    expect(() => build({ cloudFront: { originResponseTimeout: Duration.millis(seconds * 1000) } })).toThrow(new Error(
      `\`cloudFront.originResponseTimeout\` (${seconds} s) must be a whole number of seconds from 1 to 120 (a VPC origin's limits; above 60 only after raising the CloudFront quota "Response timeout per origin"), e.g. Duration.seconds(60)`));
  });

  test('an explicit request timeout whose attempts cannot fit the origin response timeout is refused, with the ways out', () => {
    expect(() => build({ service: { requestTimeout: Duration.seconds(600) } })).toThrow(new Error(
      '`service.requestTimeout` (600 s) gives each of up to 3 provider attempts 191 s, longer than CloudFront waits for an answer (`cloudFront.originResponseTimeout`, 60 s): '
      + 'a non-streamed answer taking longer would be cut with a 504. Lower requestTimeout to 206 s or less (clients that need longer answers stream them: CloudFront then waits 60 s between chunks only), '
      + 'raise the account\'s CloudFront quota "Response timeout per origin" and `cloudFront.originResponseTimeout` (up to 120 s, the most a VPC origin takes), '
      + 'or serve HTTPS from the load balancer\'s own domain (`loadBalancer.domainName`) with `cloudFront.enabled: false`'));
  });

  test('an explicit request timeout that fits is kept as it is (control: the fix the message names works)', () => {
    const s = synth({ service: { requestTimeout: Duration.seconds(206) } });
    expect(config(s).litellm_settings.request_timeout).toBe(59);
  });
});

const IGW_MISSING = new Error('LiteLlmCloudFront: the VPC of X/LoadBalancer has no internet gateway, which CloudFront VPC origins need '
  + '(the traffic itself stays private): give it a public subnet and leave `createInternetGateway` on (LiteLlmNetwork does both), or leave CloudFront off');

describe('the building block on its own', () => {
  /** A network-less stack: a VPC, a security group and a load balancer. */
  function blocks(
    loadBalancer: LiteLlmLoadBalancerOptions = { internetFacing: false, allowedPeers: [] }, vpcProps: ec2.VpcProps = { maxAzs: 2, natGateways: 0 },
  ) {
    const stack = new Stack(new App(), 'X');
    const vpc = new ec2.Vpc(stack, 'Vpc', vpcProps);
    const securityGroup = new ec2.SecurityGroup(stack, 'Sg', { vpc, allowAllOutbound: false });
    const lb = new LiteLlmLoadBalancer(stack, 'LoadBalancer', { vpc, securityGroup, ...loadBalancer });
    const front = (props: Partial<LiteLlmCloudFrontProps> = {}) => new LiteLlmCloudFront(stack, 'CloudFront', { loadBalancer: lb, ...props });
    return { stack, lb, front };
  }
  const cert = (stack: Stack, arn = US_EAST_1_CERT) => acm.Certificate.fromCertificateArn(stack, 'Cert', arn);

  test('with a domain of its own: the URL, the aliases, the certificate and TLSv1.2_2021', () => {
    const { stack, lb, front } = blocks();
    const cf = front({ domainName: 'llm.example.com', certificate: cert(stack) });
    expect(cf.url).toBe('https://llm.example.com');
    expect(lb.url).toBe('https://llm.example.com');
    const distribution = only(Template.fromStack(stack), 'AWS::CloudFront::Distribution').Properties.DistributionConfig;
    expect(distribution.Aliases).toEqual(['llm.example.com']);
    expect(distribution.ViewerCertificate).toEqual({ AcmCertificateArn: US_EAST_1_CERT, MinimumProtocolVersion: 'TLSv1.2_2021', SslSupportMethod: 'sni-only' });
  });

  test('cdk-nag: the block in a stack of its own (a split without the database) brings no unacknowledged finding', () => {
    const { stack, front } = blocks();
    const cf = front();
    const app = stack.node.root as App;
    const lookupFunction = stack.node.findChild('AWS679f53fac002430cb0da5b7982bd2287');
    for (const pack of ['AwsSolutions', 'NIST.800.53.R5'] as const) {
      expect([...nagFindings(app, pack, cf), ...nagFindings(app, pack, lookupFunction)]).toEqual([]);
    }
  });

  test('an internet-facing load balancer is refused', () => {
    const { front } = blocks({});
    expect(front).toThrow(new Error('LiteLlmCloudFront: the load balancer X/LoadBalancer is internet-facing, so clients could bypass CloudFront: '
      + 'create it with `internetFacing: false` and `allowedPeers: []` (LiteLlmPlatform does this itself when `cloudFront` is on)'));
  });

  test('a load balancer with a certificate is refused', () => {
    const stack = new Stack(new App(), 'X');
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 });
    const securityGroup = new ec2.SecurityGroup(stack, 'Sg', { vpc });
    const lb = new LiteLlmLoadBalancer(stack, 'LoadBalancer', { vpc, securityGroup, internetFacing: false, domainName: 'llm.example.com', certificate: cert(stack) });
    expect(() => new LiteLlmCloudFront(stack, 'CloudFront', { loadBalancer: lb })).toThrow(new Error(
      'LiteLlmCloudFront: the load balancer X/LoadBalancer has a certificate and serves HTTPS, but the VPC origin speaks HTTP to it on port 80: '
      + 'remove its `certificate`/`domainName` and give the name to CloudFront instead (`cloudFront.domainName` and a us-east-1 `cloudFront.certificate`)'));
  });

  test('a load balancer with publicUrl is refused', () => {
    const { front } = blocks({ internetFacing: false, publicUrl: 'https://llm.example.com' });
    expect(front).toThrow(new Error('LiteLlmCloudFront: the load balancer X/LoadBalancer has `publicUrl`, but CloudFront gives the URL itself: remove publicUrl '
      + '(in LiteLlmPlatform, a domain of your own goes to `cloudFront.domainName`)'));
  });

  test('a VPC without an internet gateway is refused', () => {
    const { front } = blocks(undefined, { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    expect(front).toThrow(IGW_MISSING);
  });

  test('a VPC with public subnets but `createInternetGateway: false` is refused too: the gateway, not the subnets, is what counts', () => {
    const { front } = blocks(undefined, { maxAzs: 2, natGateways: 0, createInternetGateway: false });
    expect(front).toThrow(IGW_MISSING);
  });

  test('the VPC origin is created after the internet gateway is attached (and deleted before it is detached)', () => {
    const { stack, front } = blocks();
    front();
    const template = Template.fromStack(stack);
    const [gateway] = Object.keys(template.findResources('AWS::EC2::InternetGateway'));
    const [attachment] = Object.keys(template.findResources('AWS::EC2::VPCGatewayAttachment'));
    const dependsOn: string[] = only(template, 'AWS::CloudFront::VpcOrigin').DependsOn;
    expect(dependsOn).toContain(gateway);
    // the public subnets' default routes, which wait for the attachment
    const routes = template.findResources('AWS::EC2::Route', { Properties: { GatewayId: Match.anyValue() } });
    expect(Object.keys(routes)).toHaveLength(2);
    for (const [id, route] of Object.entries<any>(routes)) {
      expect(dependsOn).toContain(id);
      expect(route.DependsOn).toContain(attachment);
    }
  });

  test('a second distribution for the same load balancer is refused', () => {
    const { stack, lb, front } = blocks();
    front();
    expect(() => new LiteLlmCloudFront(stack, 'Other', { loadBalancer: lb })).toThrow(new Error(
      'LiteLlmCloudFront: the load balancer X/LoadBalancer is already behind a LiteLlmCloudFront: create one per load balancer'));
  });

  test('a distribution created after the service that uses the load balancer is refused: the service\'s URL and hops would be stale', () => {
    const stack = new Stack(new App(), 'X');
    const wired = buildingBlocks(stack);
    const lb = new LiteLlmLoadBalancer(stack, 'InternalLoadBalancer', {
      vpc: wired.network.vpc, securityGroup: wired.network.loadBalancerSecurityGroup, internetFacing: false, allowedPeers: [],
    });
    new LiteLlmService(stack, 'Service', { ...wired, loadBalancer: lb, models: [claude()] });
    expect(() => new LiteLlmCloudFront(stack, 'CloudFront', { loadBalancer: lb })).toThrow(new Error(
      'LiteLlmCloudFront: a LiteLlmService already uses the load balancer X/InternalLoadBalancer, with its URL and the client\'s address as they were without CloudFront: '
      + 'create the LiteLlmCloudFront before the LiteLlmService'));
  });

  test('`enabled: false` on the block is refused', () => {
    const { front } = blocks();
    expect(() => front({ enabled: false })).toThrow(/^LiteLlmCloudFront: `enabled` is false, but a LiteLlmCloudFront is always on/);
  });

  test('a domain without a certificate, and a certificate without a domain, are refused', () => {
    expect(() => blocks().front({ domainName: 'llm.example.com' })).toThrow(new Error(
      '`cloudFront.domainName` ("llm.example.com") needs `cloudFront.certificate`: an ACM certificate for that name in us-east-1, where CloudFront reads certificates'));
    const { stack, front } = blocks();
    expect(() => front({ certificate: cert(stack) })).toThrow(new Error(
      '`cloudFront.certificate` is set without `cloudFront.domainName`: set domainName to the name the certificate holds and your DNS points at the distribution, or remove the certificate'));
  });

  test('a certificate outside us-east-1 is refused', () => {
    const { stack, front } = blocks();
    expect(() => front({ domainName: 'llm.example.com', certificate: cert(stack, 'arn:aws:acm:eu-west-1:123456789012:certificate/abc') })).toThrow(new Error(
      '`cloudFront.certificate` is in eu-west-1, but CloudFront reads certificates from us-east-1 only: '
      + 'request or import the certificate in us-east-1 (e.g. in a stack in us-east-1 with `crossRegionReferences: true`)'));
  });

  test('a regional web ACL is refused; a global one is associated', () => {
    const regional = 'arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/acl/1234';
    expect(() => blocks().front({ webAclArn: regional })).toThrow(new Error(
      `\`cloudFront.webAclArn\` ("${regional}") must be the ARN of a web ACL of scope CLOUDFRONT (arn:aws:wafv2:us-east-1:<account>:global/webacl/<name>/<id>): `
      + 'a regional web ACL cannot be associated with a distribution; the load balancer\'s own (`loadBalancer.waf`) stays regional'));
    const global = 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/acl/1234';
    const { stack, front } = blocks();
    front({ webAclArn: global });
    expect(only(Template.fromStack(stack), 'AWS::CloudFront::Distribution').Properties.DistributionConfig.WebACLId).toBe(global);
  });
});

describe('turning CloudFront on or off in one deploy: the target group is replaced with the load balancer', () => {
  const logicalIds = (s: PlatformSynth, type: string) => Object.keys(s.template.findResources(type));

  test('the scheme change replaces the load balancer, and the target group gets a new logical id, so the new listener forwards to a new group', () => {
    // GIVEN: a deployed DEVELOPMENT one-liner from before CloudFront (internet-facing), and the same app today
    const without = synth({ cloudFront: { enabled: false } });
    const fronted = synth();

    // THEN: Scheme differs (CloudFormation replaces the load balancer, and its listener with it) ...
    expect(only(without.template, 'AWS::ElasticLoadBalancingV2::LoadBalancer').Properties.Scheme).toBe('internet-facing');
    expect(only(fronted.template, 'AWS::ElasticLoadBalancingV2::LoadBalancer').Properties.Scheme).toBe('internal');
    // ... and no target group survives under the same logical id to be claimed by two load balancers
    const [oldGroup] = logicalIds(without, 'AWS::ElasticLoadBalancingV2::TargetGroup');
    const [newGroup] = logicalIds(fronted, 'AWS::ElasticLoadBalancingV2::TargetGroup');
    expect(oldGroup).toMatch(/TargetGroup/);
    expect(newGroup).toMatch(/CloudFrontTargetGroup/);
    expect(newGroup).not.toBe(oldGroup);
    // each listener forwards to its own template's group, and the service registers its tasks there
    for (const [s, group] of [[without, oldGroup], [fronted, newGroup]] as [PlatformSynth, string][]) {
      const forwards = Object.values<any>(s.template.findResources('AWS::ElasticLoadBalancingV2::Listener'))
        .flatMap(l => l.Properties.DefaultActions).filter((a: any) => a.Type === 'forward');
      expect(forwards.map((a: any) => a.TargetGroupArn)).toEqual([{ Ref: group }]);
      expect(only(s.template, 'AWS::ECS::Service').Properties.LoadBalancers).toEqual([expect.objectContaining({ TargetGroupArn: { Ref: group } })]);
    }
  });

  test('a load balancer that was internal all along keeps its group (a new one would take traffic before the service registered into it)', () => {
    const internal = { profile: LiteLlmDeploymentProfile.PRODUCTION, loadBalancer: { internetFacing: false } };
    const ids = logicalIds(synth(internal), 'AWS::ElasticLoadBalancingV2::TargetGroup');
    expect(ids).toHaveLength(1);
    expect(ids[0]).toMatch(/^LiteLlmLoadBalancerTargetGroup[0-9A-F]{8}$/);
  });

  test('the same load balancer keeps its group when the scheme stays (no needless replacement)', () => {
    const a = synth({ cloudFront: { enabled: false } });
    const b = synth({ cloudFront: { enabled: false }, service: { maxCapacity: 4 } });
    expect(logicalIds(b, 'AWS::ElasticLoadBalancingV2::TargetGroup')).toEqual(logicalIds(a, 'AWS::ElasticLoadBalancingV2::TargetGroup'));
  });
});

describe('names unique per account: region, stack name and a hash of the construct path', () => {
  const NAME = /^[A-Za-z0-9_-]{1,64}$/;

  function fronted(stackProps: { stackName?: string; env?: { account: string; region: string } } = {}, id = 'X') {
    const stack = new Stack(new App(), id, stackProps);
    const platform = new LiteLlmPlatform(stack, 'LiteLlm', { models: [claude()], loadBalancer: { waf: { enabled: true } } });
    const template = Template.fromStack(stack);
    return {
      stack,
      platform,
      origin: only(template, 'AWS::CloudFront::VpcOrigin').Properties.VpcOriginEndpointConfig.Name,
      fn: only(template, 'AWS::CloudFront::Function').Properties.Name,
    };
  }
  /** A name as CloudFormation resolves it in `region` (the longest region names have 15 characters). */
  const resolved = (name: any, region = 'us-isof-south-1') => (typeof name === 'string' ? name
    : name['Fn::Join'][1].map((p: any) => (typeof p === 'string' ? p : p.Ref === 'AWS::Region' ? region : '?')).join(name['Fn::Join'][0]));

  test('in a region-agnostic stack: AWS::Region, then the stack name, then a hash; within CloudFront\'s pattern in any region', () => {
    const { origin, fn } = fronted({ stackName: 'litellm-dev' });
    for (const name of [origin, fn]) {
      expect(JSON.stringify(name)).toContain('{"Ref":"AWS::Region"}');
      expect(resolved(name, 'eu-west-1')).toMatch(/^eu-west-1-litellm-dev-[0-9a-f]{8}$/);
      expect(resolved(name)).toMatch(NAME);
    }
    expect(resolved(origin)).not.toBe(resolved(fn));
  });

  test('one app under two stack names, or in two regions, gets two names (CDK\'s default would give one)', () => {
    const a = fronted({ stackName: 'litellm-run-1' });
    const b = fronted({ stackName: 'litellm-run-2' });
    expect(resolved(a.origin)).not.toBe(resolved(b.origin));
    expect(resolved(a.fn)).not.toBe(resolved(b.fn));
    const east = fronted({ env: { account: '123456789012', region: 'us-east-1' } });
    const west = fronted({ env: { account: '123456789012', region: 'eu-west-1' } });
    expect(east.origin).toMatch(/^us-east-1-X-[0-9a-f]{8}$/);
    expect(west.origin).toMatch(/^eu-west-1-X-[0-9a-f]{8}$/);
    expect(west.fn).toMatch(/^eu-west-1-X-[0-9a-f]{8}$/);
  });

  test('a long stack name is cut so that the name stays within 64 characters, in any region', () => {
    const long = 'a'.repeat(120);
    const { origin, fn } = fronted({ stackName: long });
    for (const name of [origin, fn]) expect(resolved(name)).toMatch(NAME);
    const concrete = fronted({ stackName: long, env: { account: '123456789012', region: 'ap-southeast-1' } });
    expect(concrete.origin).toHaveLength(64);
    expect(concrete.origin).toMatch(NAME);
  });

  test('two long stack names that differ only past the cut get two names (the hash covers the whole stack name)', () => {
    const prefix = 'acme-platform-llm-gateway-preview-environment-feature-';
    const env = { account: '123456789012', region: 'eu-central-1' };
    const a = fronted({ stackName: `${prefix}a`, env });
    const b = fronted({ stackName: `${prefix}b`, env });
    expect(a.origin.slice(0, -9)).toBe(b.origin.slice(0, -9));
    expect(a.origin).not.toBe(b.origin);
    expect(a.fn).not.toBe(b.fn);
  });

  test('the names are pinned: a VPC origin a distribution uses refuses a new name (409), so a change here breaks every deployed stack', () => {
    const env = { account: '123456789012', region: 'us-east-1' };
    const { origin, fn } = fronted({ stackName: 'litellm-dev', env });
    expect([origin, fn]).toEqual(['us-east-1-litellm-dev-e053364c', 'us-east-1-litellm-dev-25ed9fab']);
  });
});

describe('the VPC origin is never updated in place (CloudFront refuses while a distribution uses it)', () => {
  test('tags applied to the whole app reach the distribution but not the VPC origin', () => {
    const app = new App();
    const stack = new Stack(app, 'X');
    new LiteLlmPlatform(stack, 'LiteLlm', { models: [claude()] });
    Tags.of(app).add('team', 'platform');
    const template = Template.fromStack(stack);
    expect(only(template, 'AWS::CloudFront::Distribution').Properties.Tags).toEqual([{ Key: 'team', Value: 'platform' }]);
    expect(only(template, 'AWS::CloudFront::VpcOrigin').Properties.Tags).toBeUndefined();
  });
});

describe('the certificate\'s region and the domain', () => {
  function fronted(region: string) {
    const app = new App();
    const stack = new Stack(app, 'X', { env: { account: '123456789012', region } });
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 });
    const securityGroup = new ec2.SecurityGroup(stack, 'Sg', { vpc, allowAllOutbound: false });
    const lb = new LiteLlmLoadBalancer(stack, 'LoadBalancer', { vpc, securityGroup, internetFacing: false, allowedPeers: [] });
    return { stack, front: (props: Partial<LiteLlmCloudFrontProps>) => new LiteLlmCloudFront(stack, 'CloudFront', { loadBalancer: lb, ...props }) };
  }

  test('a certificate made in us-east-1 by a stack elsewhere (DnsValidatedCertificate with region) is accepted', () => {
    const { stack, front } = fronted('eu-west-1');
    const hostedZone = route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z123', zoneName: 'example.com' });
    const certificate = new acm.DnsValidatedCertificate(stack, 'Cert', { domainName: 'llm.example.com', hostedZone, region: 'us-east-1' });
    expect(() => front({ domainName: 'llm.example.com', certificate })).not.toThrow();
  });

  test('an acm.Certificate of a stack in another region is refused (its region is known); in a us-east-1 stack it is accepted', () => {
    const other = fronted('eu-west-1');
    const euCert = new acm.Certificate(other.stack, 'Cert', { domainName: 'llm.example.com' });
    expect(() => other.front({ domainName: 'llm.example.com', certificate: euCert })).toThrow(/^`cloudFront.certificate` is in eu-west-1, but CloudFront reads certificates from us-east-1 only/);
    const east = fronted('us-east-1');
    const usCert = new acm.Certificate(east.stack, 'Cert', { domainName: 'llm.example.com' });
    expect(() => east.front({ domainName: 'llm.example.com', certificate: usCert })).not.toThrow();
  });

  test('a wildcard domain is refused: it would be the URL', () => {
    const { stack, front } = fronted('us-east-1');
    const certificate = acm.Certificate.fromCertificateArn(stack, 'Cert', US_EAST_1_CERT);
    expect(() => front({ domainName: '*.example.com', certificate })).toThrow(new Error(
      '`cloudFront.domainName` ("*.example.com") must be a fully qualified DNS name such as "llm.example.com", without a wildcard '
      + '(it is the URL clients and LiteLLM use): name one host, which a wildcard certificate ("*.example.com") may cover'));
  });

  test('120 s, the most a VPC origin takes, is accepted and reaches the origin', () => {
    const s = synth({ cloudFront: { originResponseTimeout: Duration.seconds(120) } });
    expect(only(s.template, 'AWS::CloudFront::Distribution').Properties.DistributionConfig.Origins[0].VpcOriginConfig.OriginReadTimeout).toBe(120);
  });
});
