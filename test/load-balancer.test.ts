import { runSimulation } from '@cloud-copilot/iam-simulate';
import {
  App, CfnElement, CfnParameter, Duration, Environment, Stack,
  aws_certificatemanager as acm, aws_ec2 as ec2, aws_elasticloadbalancingv2 as elbv2, aws_kms as kms, aws_logs as logs, aws_route53 as route53,
} from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Construct, IConstruct } from 'constructs';
import * as YAML from 'yaml';
import {
  LiteLlmDeploymentProfile, LiteLlmLoadBalancer, LiteLlmLoadBalancerProps, LiteLlmModel, LiteLlmPlatform, LiteLlmPlatformProps,
} from '../src';
import { ACCOUNT } from './support/iam-resolve';
import { Decision, IamApp } from './support/iam-simulate';
import { joinedText } from './support/template';
import { configKeyHeaders } from '../src/private/web-acl';

const ENV = { account: '123456789012', region: 'us-east-1' };
const CERTIFICATE_ARN = 'arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555';
const ZONE_ID = 'Z0123456789ABCDEFGHIJ';
const TLS_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06';
const BUILT_IN_GROUPS = [
  'AWSManagedRulesAmazonIpReputationList',
  'AWSManagedRulesCommonRuleSet',
  'AWSManagedRulesKnownBadInputsRuleSet',
  'AWSManagedRulesSQLiRuleSet',
];
const httpOnlyWarning = (internet: boolean) => `The load balancer serves plain HTTP${internet ? ' to the internet' : ''}: `
  + 'the master key, virtual keys, the admin UI password and every prompt cross the network unencrypted. '
  + 'Serve HTTPS with `domainName` and `domainZone` (or `certificate`), or keep it from the internet with `allowedPeers` (your addresses only) '
  + 'or `internetFacing: false`. To accept it, acknowledge the warning: Annotations.of(stack).acknowledgeWarning(\'cdk-litellm:httpOnly\'). [ack: cdk-litellm:httpOnly]';
const HTTPS_REQUIRED = 'An internet-facing PRODUCTION load balancer without a certificate would take API keys over plain HTTP. '
  + 'Serve HTTPS: set `domainName` and `domainZone` (a Route 53 hosted zone; a DNS-validated certificate is created) '
  + 'or `certificate` (an ACM certificate in the stack\'s region); in LiteLlmPlatform they sit under `loadBalancer`. '
  + 'If TLS ends in front of the load balancer, set `allowHttp: true`.';
const DUPLICATE_GROUP_ERROR = (name: string) => `\`waf.additionalManagedRuleGroups\` has "${name}" twice or repeats a built-in group `
  + `(${BUILT_IN_GROUPS.join(', ')}): list each group once`;

interface StandaloneOptions {
  /** NAT gateways of the VPC; 0 gives public and isolated subnets only. */
  readonly natGateways?: number;
  /** Stack environment; `{}` for a region-agnostic stack. */
  readonly env?: Environment;
  /** Pass a KMS key as `encryptionKey`. */
  readonly encryptionKey?: boolean;
}

interface Standalone {
  readonly stack: Stack;
  readonly vpc: ec2.Vpc;
  readonly securityGroup: ec2.SecurityGroup;
  readonly key?: kms.Key;
  readonly zone: route53.IHostedZone;
  readonly make: (props?: Partial<LiteLlmLoadBalancerProps>) => LiteLlmLoadBalancer;
}

interface Synth {
  readonly stack: Stack;
  readonly loadBalancer: LiteLlmLoadBalancer;
  readonly template: Template;
}

interface StandaloneSynth extends Synth {
  readonly vpc: ec2.Vpc;
  readonly securityGroup: ec2.SecurityGroup;
  readonly key?: kms.Key;
}

interface PlatformSynth extends Synth {
  readonly platform: LiteLlmPlatform;
}

/** The load balancer alone, in a stack with a VPC (2 AZs), a security group and a hosted zone. */
function standalone(options: StandaloneOptions = {}): Standalone {
  const stack = new Stack(new App(), 'Stack', { env: options.env ?? ENV });
  const vpc = options.natGateways === 0
    ? new ec2.Vpc(stack, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [
        { name: 'Public', subnetType: ec2.SubnetType.PUBLIC },
        { name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      ],
    })
    : new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: options.natGateways ?? 1 });
  const securityGroup = new ec2.SecurityGroup(stack, 'AlbSg', { vpc, allowAllOutbound: false });
  const key = options.encryptionKey ? new kms.Key(stack, 'Key') : undefined;
  const zone = hostedZone(stack);
  const make = (props: Partial<LiteLlmLoadBalancerProps> = {}) =>
    new LiteLlmLoadBalancer(stack, 'LoadBalancer', { vpc, securityGroup, encryptionKey: key, ...props });
  return { stack, vpc, securityGroup, key, zone, make };
}

function hostedZone(stack: Stack): route53.IHostedZone {
  return route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: ZONE_ID, zoneName: 'example.com' });
}

/** Builds and synthesizes a standalone load balancer; `props` may use the stack's zone. */
function synthStandalone(
  props: (zone: route53.IHostedZone) => Partial<LiteLlmLoadBalancerProps> = () => ({}),
  options: StandaloneOptions = {},
): StandaloneSynth {
  const { stack, vpc, securityGroup, key, zone, make } = standalone(options);
  const loadBalancer = make(props(zone));
  return { stack, vpc, securityGroup, key, loadBalancer, template: Template.fromStack(stack) };
}

function synthPlatform(props: (stack: Stack) => Partial<LiteLlmPlatformProps> = () => ({})): PlatformSynth {
  const stack = new Stack(new App(), 'Stack', { env: ENV });
  const platform = new LiteLlmPlatform(stack, 'LiteLlm', {
    models: [LiteLlmModel.bedrock({ name: 'claude-sonnet', modelId: 'us.anthropic.claude-sonnet-4-20250514-v1:0' })],
    ...props(stack),
  });
  return { stack, platform, loadBalancer: platform.loadBalancer, template: Template.fromStack(stack) };
}

function certificate(stack: Stack, id = 'Certificate', arn = CERTIFICATE_ARN): acm.ICertificate {
  return acm.Certificate.fromCertificateArn(stack, id, arn);
}

/** Logical ID of an L1 resource, or of an L2 construct's default child. */
function logicalId(stack: Stack, construct: IConstruct): string {
  return stack.getLogicalId(construct instanceof CfnElement ? construct : construct.node.defaultChild as CfnElement);
}

function only(template: Template, type: string): any {
  const found = Object.values(template.findResources(type));
  expect(found).toHaveLength(1);
  return found[0];
}

function resource(s: Synth, construct: IConstruct): any {
  return s.template.toJSON().Resources[logicalId(s.stack, construct)];
}

/** The load balancer attributes as a map. */
function albAttributes(s: Synth): { [key: string]: unknown } {
  const alb = resource(s, s.loadBalancer.loadBalancer);
  return Object.fromEntries(alb.Properties.LoadBalancerAttributes.map((a: any) => [a.Key, a.Value]));
}

function listeners(template: Template): any[] {
  return Object.values(template.findResources('AWS::ElasticLoadBalancingV2::Listener')).map((l: any) => l.Properties);
}

function listenerOn(template: Template, port: number): any {
  const found = listeners(template).filter(l => l.Port === port);
  expect(found).toHaveLength(1);
  return found[0];
}

function webAclRules(template: Template): any[] {
  return only(template, 'AWS::WAFv2::WebACL').Properties.Rules;
}

function rule(template: Template, name: string): any {
  const found = webAclRules(template).filter(r => r.Name === name);
  expect(found).toHaveLength(1);
  return found[0];
}

function ruleActionOverrides(template: Template, group: string): any {
  return rule(template, group).Statement.ManagedRuleGroupStatement.RuleActionOverrides;
}

function wafResourceCounts(template: Template) {
  const wafLogGroups = Object.values(template.findResources('AWS::Logs::LogGroup'))
    .filter((g: any) => g.Properties?.LogGroupName && joinedText(g.Properties.LogGroupName).startsWith('aws-waf-logs-'));
  return {
    webAcls: Object.keys(template.findResources('AWS::WAFv2::WebACL')).length,
    associations: Object.keys(template.findResources('AWS::WAFv2::WebACLAssociation')).length,
    loggingConfigurations: Object.keys(template.findResources('AWS::WAFv2::LoggingConfiguration')).length,
    wafLogGroups: wafLogGroups.length,
  };
}

/** `Fn::Join` of the WAF log group name: literal prefix, then the stack's UUID. */
const STACK_UUID = { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] };

const count = (name: string) => ({ Name: name, ActionToUse: { Count: {} } });
/** What the Common rule set counts instead of blocking: body size, then XSS, LFI, RFI and EC2 metadata SSRF in the body. */
const COMMON_COUNTED = ['SizeRestrictions_BODY', 'CrossSiteScripting_BODY', 'GenericLFI_BODY', 'GenericRFI_BODY', 'EC2MetaDataSSRF_BODY'].map(count);
const SQLI_COUNTED = ['SQLi_BODY', 'SQLiExtendedPatterns_BODY'].map(count);

/**
 * Headers LiteLLM 1.108.7 takes a key or a session from (litellm/types/proxy/auth/special_headers.py,
 * user_api_key_auth.py, user_api_key_auth_mcp.py; the UI's `token` cookie), lowercase.
 */
const KEY_HEADERS = [
  'authorization', 'api-key', 'x-api-key', 'x-goog-api-key', 'ocp-apim-subscription-key', 'x-litellm-api-key', 'x-mcp-auth', 'cookie',
  // Realtime clients' `openai-insecure-api-key.<key>` (user_api_key_auth.py:1240-1246); mapped pass-through routes (1451-1453).
  'sec-websocket-protocol', 'litellm_user_api_key',
];

/** The WAF log delivery statement of a log group named `aws-waf-logs-<prefix><stack UUID>`. */
function wafLogDelivery(namePrefix: string, region = 'us-east-1', account = '123456789012'): any {
  const arn = (rest: any[]) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ...rest]] });
  return {
    Version: '2012-10-17',
    Statement: [{
      Sid: 'WafLogDelivery',
      Effect: 'Allow',
      Principal: { Service: 'delivery.logs.amazonaws.com' },
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      // Built from the name: a log group cannot read its own Arn.
      Resource: arn([`:logs:${region}:${account}:log-group:${namePrefix}`, STACK_UUID, ':*']),
      Condition: {
        StringEquals: { 'aws:SourceAccount': account },
        ArnLike: { 'aws:SourceArn': arn([`:logs:${region}:${account}:*`]) },
      },
    }],
  };
}

const NO_WAF = { webAcls: 0, associations: 0, loggingConfigurations: 0, wafLogGroups: 0 };
const ONE_WAF = { webAcls: 1, associations: 1, loggingConfigurations: 1, wafLogGroups: 1 };

describe('LiteLlmLoadBalancer alone, defaults (DEVELOPMENT)', () => {
  let s: StandaloneSynth;
  beforeAll(() => {
    // GIVEN / WHEN
    s = synthStandalone();
  });

  test('is one internet-facing application load balancer in the public subnets, behind the given security group', () => {
    // THEN
    s.template.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 1);
    s.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Type: 'application',
      Scheme: 'internet-facing',
      Subnets: s.stack.resolve(s.vpc.publicSubnets.map(subnet => subnet.subnetId)),
      SecurityGroups: [s.stack.resolve(s.securityGroup.securityGroupId)],
    });
  });

  test('listens with HTTP on 80 only, forwarding to the target group', () => {
    // THEN
    expect(listeners(s.template)).toHaveLength(1);
    const http = listenerOn(s.template, 80);
    expect(http.Protocol).toBe('HTTP');
    expect(http.Certificates).toBeUndefined();
    expect(http.SslPolicy).toBeUndefined();
    expect(http.DefaultActions).toEqual([{ Type: 'forward', TargetGroupArn: { Ref: logicalId(s.stack, s.loadBalancer.targetGroup) } }]);
    expect(http.LoadBalancerArn).toEqual({ Ref: logicalId(s.stack, s.loadBalancer.loadBalancer) });
    expect(logicalId(s.stack, s.loadBalancer.listener)).toBe(Object.keys(s.template.findResources('AWS::ElasticLoadBalancingV2::Listener'))[0]);
    expect(s.loadBalancer.certificate).toBeUndefined();
    s.template.resourceCountIs('AWS::CertificateManager::Certificate', 0);
    s.template.resourceCountIs('AWS::Route53::RecordSet', 0);
    expect(s.loadBalancer.record).toBeUndefined();
  });

  test('opens 80 and 443 on its security group to anywhere (IPv4), nothing else', () => {
    // THEN
    s.template.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
    const sg = resource(s, s.securityGroup);
    expect(sg.Properties.SecurityGroupIngress).toEqual([80, 443].map(port => ({
      CidrIp: '0.0.0.0/0', Description: `HTTP${port === 443 ? 'S' : ''} from 0.0.0.0/0`, FromPort: port, IpProtocol: 'tcp', ToPort: port,
    })));
  });

  test('`allowedPeers` replace anywhere: a security group peer gets its own ingress rule', () => {
    // GIVEN
    const { stack, vpc, make } = standalone();
    const client = new ec2.SecurityGroup(stack, 'Client', { vpc });

    // WHEN
    const lb = make({ allowedPeers: [ec2.Peer.ipv4('203.0.113.0/24'), client] });

    // THEN
    const template = Template.fromStack(stack);
    const sg = template.toJSON().Resources[stack.getLogicalId(lb.loadBalancer.connections.securityGroups[0].node.defaultChild as CfnElement)];
    expect(sg.Properties.SecurityGroupIngress.map((r: any) => [r.CidrIp, r.FromPort])).toEqual([['203.0.113.0/24', 80], ['203.0.113.0/24', 443]]);
    template.resourcePropertiesCountIs('AWS::EC2::SecurityGroupIngress', { SourceSecurityGroupId: stack.resolve(client.securityGroupId) }, 2);
  });

  test('targets IPs with HTTP on 4000, probing /health/liveliness', () => {
    // THEN
    s.template.resourceCountIs('AWS::ElasticLoadBalancingV2::TargetGroup', 1);
    s.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: 4000,
      Protocol: 'HTTP',
      TargetType: 'ip',
      VpcId: s.stack.resolve(s.vpc.vpcId),
      HealthCheckPath: '/health/liveliness',
      HealthCheckIntervalSeconds: 30,
      HealthCheckTimeoutSeconds: 15,
      HealthyThresholdCount: 2,
      UnhealthyThresholdCount: 5,
      Matcher: { HttpCode: '200' },
      // As long as the idle timeout: a leaving task finishes its streams.
      TargetGroupAttributes: Match.arrayWith([{ Key: 'deregistration_delay.timeout_seconds', Value: '600' }]),
    });
  });

  test('idles out after 600 s, drops invalid header fields, has no deletion protection', () => {
    // THEN
    const attributes = albAttributes(s);
    expect(attributes['idle_timeout.timeout_seconds']).toBe('600');
    expect(s.loadBalancer.idleTimeout.toSeconds()).toBe(600);
    expect(attributes['routing.http.drop_invalid_header_fields.enabled']).toBe('true');
    expect(attributes['deletion_protection.enabled']).toBe('false');
  });

  test('writes access logs under alb/ to its own bucket', () => {
    // THEN
    const bucketId = logicalId(s.stack, s.loadBalancer.accessLogsBucket);
    const attributes = albAttributes(s);
    expect(attributes['access_logs.s3.enabled']).toBe('true');
    expect(attributes['access_logs.s3.bucket']).toEqual({ Ref: bucketId });
    expect(attributes['access_logs.s3.prefix']).toBe('alb');
    s.template.resourceCountIs('AWS::S3::Bucket', 1);
  });

  test('encrypts the access logs bucket with SSE-S3 and blocks every kind of public access', () => {
    // THEN
    s.template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    });
  });

  test('denies every request to the access logs bucket that is not over TLS', () => {
    // THEN
    const bucketId = logicalId(s.stack, s.loadBalancer.accessLogsBucket);
    s.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([{
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 's3:*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          Resource: [
            { 'Fn::GetAtt': [bucketId, 'Arn'] },
            { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/*']] },
          ],
        }]),
      },
    });
  });

  test('expires access logs after 90 days', () => {
    // THEN
    s.template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [Match.objectLike({ Status: 'Enabled', ExpirationInDays: 90 })] },
    });
  });

  test('deletes the access logs bucket and its objects with the stack', () => {
    // THEN
    s.template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
    s.template.resourceCountIs('Custom::S3AutoDeleteObjects', 1);
  });

  test('url is http:// and the load balancer DNS name', () => {
    // THEN
    expect(s.stack.resolve(s.loadBalancer.url)).toEqual({
      'Fn::Join': ['', ['http://', { 'Fn::GetAtt': [logicalId(s.stack, s.loadBalancer.loadBalancer), 'DNSName'] }]],
    });
  });

  test('has no web ACL', () => {
    // THEN
    expect(wafResourceCounts(s.template)).toEqual(NO_WAF);
    expect(s.loadBalancer.webAcl).toBeUndefined();
    expect(s.loadBalancer.wafLogGroup).toBeUndefined();
  });

  test('warns that it serves plain HTTP to the internet, and says how to close it', () => {
    // THEN
    Annotations.fromStack(s.stack).hasWarning('/Stack/LoadBalancer', httpOnlyWarning(true));
  });

  test('an internal one does not warn: the one-liner\'s warning is about the internet', () => {
    const internal = synthStandalone(() => ({ internetFacing: false }));
    Annotations.fromStack(internal.stack).hasNoWarning('*', Match.stringLikeRegexp('cdk-litellm:httpOnly'));
  });
});

describe('LiteLlmLoadBalancer alone, PRODUCTION without a certificate, `allowHttp: true`', () => {
  let s: StandaloneSynth;
  beforeAll(() => {
    // GIVEN / WHEN
    s = synthStandalone(() => ({ profile: LiteLlmDeploymentProfile.PRODUCTION, allowHttp: true }));
  });

  test('warns that it serves plain HTTP', () => {
    // THEN
    Annotations.fromStack(s.stack).hasWarning('/Stack/LoadBalancer', httpOnlyWarning(true));
  });

  test('turns deletion protection on', () => {
    // THEN
    expect(albAttributes(s)['deletion_protection.enabled']).toBe('true');
  });

  test('retains the access logs bucket', () => {
    // THEN
    s.template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    s.template.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
  });

  test('associates a web ACL, logged to a log group kept 90 days with CloudWatch Logs encryption', () => {
    // THEN
    expect(wafResourceCounts(s.template)).toEqual(ONE_WAF);
    const logGroup = resource(s, s.loadBalancer.wafLogGroup!);
    expect(logGroup.Properties.KmsKeyId).toBeUndefined();
    expect(logGroup.Properties.RetentionInDays).toBe(90);
    expect(logGroup.DeletionPolicy).toBe('Retain');
  });
});

describe('LiteLlmLoadBalancer alone, with a certificate', () => {
  let s: StandaloneSynth;
  beforeAll(() => {
    // GIVEN / WHEN
    s = synthStandalone(zone => ({ certificate: certificate(zone.stack) }));
  });

  test('serves HTTPS on 443 with the certificate and a TLS 1.3 / 1.2 policy, forwarding to the target group', () => {
    // THEN
    expect(listeners(s.template)).toHaveLength(2);
    const https = listenerOn(s.template, 443);
    expect(https.Protocol).toBe('HTTPS');
    expect(https.SslPolicy).toBe(TLS_POLICY);
    expect(https.Certificates).toEqual([{ CertificateArn: CERTIFICATE_ARN }]);
    expect(https.DefaultActions).toEqual([{ Type: 'forward', TargetGroupArn: { Ref: logicalId(s.stack, s.loadBalancer.targetGroup) } }]);
  });

  test('redirects HTTP on 80 permanently to HTTPS on 443', () => {
    // THEN
    const http = listenerOn(s.template, 80);
    expect(http.Protocol).toBe('HTTP');
    expect(http.DefaultActions).toEqual([{
      Type: 'redirect',
      RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' },
    }]);
  });

  test('exposes the HTTPS listener and the certificate', () => {
    // THEN
    const [httpsId] = Object.entries(s.template.findResources('AWS::ElasticLoadBalancingV2::Listener'))
      .filter(([, l]) => l.Properties.Port === 443).map(([id]) => id);
    expect(logicalId(s.stack, s.loadBalancer.listener)).toBe(httpsId);
    expect(s.loadBalancer.certificate?.certificateArn).toBe(CERTIFICATE_ARN);
  });

  test('connections are the listener\'s: the load balancer\'s security group, port 443', () => {
    // THEN
    const connectable: ec2.IConnectable = s.loadBalancer;
    expect(connectable.connections).toBe(s.loadBalancer.listener.connections);
    expect(s.loadBalancer.connections.securityGroups).toEqual(s.loadBalancer.loadBalancer.connections.securityGroups);
    expect(s.loadBalancer.connections.defaultPort?.toString()).toBe('443');
  });

  test('creates no certificate and no DNS record', () => {
    // THEN
    s.template.resourceCountIs('AWS::CertificateManager::Certificate', 0);
    s.template.resourceCountIs('AWS::Route53::RecordSet', 0);
  });

  test('url is https:// and the load balancer DNS name', () => {
    // THEN
    expect(s.stack.resolve(s.loadBalancer.url)).toEqual({
      'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [logicalId(s.stack, s.loadBalancer.loadBalancer), 'DNSName'] }]],
    });
  });
});

describe('LiteLlmLoadBalancer alone, PRODUCTION with a domain and a KMS key', () => {
  let s: StandaloneSynth;
  beforeAll(() => {
    // GIVEN / WHEN
    s = synthStandalone(zone => ({ profile: LiteLlmDeploymentProfile.PRODUCTION, domainName: 'llm', domainZone: zone }), { encryptionKey: true });
  });

  test('creates a certificate for llm.example.com, DNS-validated in the zone', () => {
    // THEN
    s.template.resourceCountIs('AWS::CertificateManager::Certificate', 1);
    s.template.hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: 'llm.example.com',
      ValidationMethod: 'DNS',
      DomainValidationOptions: [{ DomainName: 'llm.example.com', HostedZoneId: ZONE_ID }],
    });
  });

  test('serves HTTPS with the new certificate and redirects 80 to 443', () => {
    // THEN
    const certificateId = logicalId(s.stack, s.loadBalancer.certificate!);
    const https = listenerOn(s.template, 443);
    expect(https.Certificates).toEqual([{ CertificateArn: { Ref: certificateId } }]);
    expect(https.SslPolicy).toBe(TLS_POLICY);
    expect(listenerOn(s.template, 80).DefaultActions[0].RedirectConfig).toEqual({ Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' });
  });

  test('points an A alias record llm.example.com. at the load balancer', () => {
    // THEN
    const albId = logicalId(s.stack, s.loadBalancer.loadBalancer);
    s.template.resourceCountIs('AWS::Route53::RecordSet', 1);
    s.template.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: 'llm.example.com.',
      Type: 'A',
      HostedZoneId: ZONE_ID,
      AliasTarget: {
        DNSName: { 'Fn::Join': ['', ['dualstack.', { 'Fn::GetAtt': [albId, 'DNSName'] }]] },
        HostedZoneId: { 'Fn::GetAtt': [albId, 'CanonicalHostedZoneID'] },
      },
    });
    expect(logicalId(s.stack, s.loadBalancer.record!)).toBe(Object.keys(s.template.findResources('AWS::Route53::RecordSet'))[0]);
  });

  test('url is https://llm.example.com', () => {
    // THEN
    expect(s.loadBalancer.url).toBe('https://llm.example.com');
  });

  test('does not warn about plain HTTP', () => {
    // THEN
    Annotations.fromStack(s.stack).hasNoWarning('*', Match.stringLikeRegexp('cdk-litellm:httpOnly'));
  });

  test('web ACL: regional, allows by default, emits CloudWatch metrics', () => {
    // THEN
    s.template.hasResourceProperties('AWS::WAFv2::WebACL', {
      Scope: 'REGIONAL',
      DefaultAction: { Allow: {} },
      VisibilityConfig: { CloudWatchMetricsEnabled: true, SampledRequestsEnabled: false, MetricName: Match.stringLikeRegexp('-WebAcl$') },
    });
    expect(s.loadBalancer.webAcl).toBeDefined();
    expect(logicalId(s.stack, s.loadBalancer.webAcl!)).toBe(Object.keys(s.template.findResources('AWS::WAFv2::WebACL'))[0]);
  });

  test('the web ACL has no explicit name (CloudFormation names it per region), and metric names fit WAF naming rules', () => {
    // THEN
    const acl = only(s.template, 'AWS::WAFv2::WebACL').Properties;
    expect(acl.Name).toBeUndefined();
    const metricNames = [acl.VisibilityConfig, ...acl.Rules.map((r: any) => r.VisibilityConfig)].map((v: any) => v.MetricName);
    for (const name of metricNames) expect(name).toMatch(/^[\w#:.\-/]{1,128}$/);
    expect(new Set(metricNames).size).toBe(metricNames.length);
  });

  test('web ACL rules: rate limit first, then the four AWS managed groups, in this order', () => {
    // THEN
    expect(webAclRules(s.template).map(r => [r.Priority, r.Name])).toEqual([
      [0, 'RateLimitPerIp'],
      [1, 'AWSManagedRulesAmazonIpReputationList'],
      [2, 'AWSManagedRulesCommonRuleSet'],
      [3, 'AWSManagedRulesKnownBadInputsRuleSet'],
      [4, 'AWSManagedRulesSQLiRuleSet'],
    ]);
  });

  test('blocks an IP above 2000 requests in 5 minutes', () => {
    // THEN
    const rateRule = rule(s.template, 'RateLimitPerIp');
    expect(rateRule.Action).toEqual({ Block: {} });
    expect(rateRule.OverrideAction).toBeUndefined();
    expect(rateRule.Statement).toEqual({ RateBasedStatement: { Limit: 2000, AggregateKeyType: 'IP', EvaluationWindowSec: 300 } });
  });

  test.each(BUILT_IN_GROUPS)('runs the AWS managed group %s with its own actions (override none)', (group) => {
    // THEN
    const managed = rule(s.template, group);
    expect(managed.OverrideAction).toEqual({ None: {} });
    expect(managed.Action).toBeUndefined();
    expect(managed.Statement.ManagedRuleGroupStatement).toMatchObject({ VendorName: 'AWS', Name: group });
  });

  test('counts, does not block, SizeRestrictions_BODY and the body patterns of the Common rule set: prompts exceed 8 KB and hold code', () => {
    // THEN
    expect(ruleActionOverrides(s.template, 'AWSManagedRulesCommonRuleSet')).toEqual(COMMON_COUNTED);
  });

  test('counts, does not block, the body patterns of the SQL injection rule set: prompts hold SQL', () => {
    // THEN
    expect(ruleActionOverrides(s.template, 'AWSManagedRulesSQLiRuleSet')).toEqual(SQLI_COUNTED);
  });

  test('overrides no rule of IP reputation and Known Bad Inputs (Log4j, Java deserialization stay blocked)', () => {
    // THEN
    for (const group of ['AWSManagedRulesAmazonIpReputationList', 'AWSManagedRulesKnownBadInputsRuleSet']) {
      expect(ruleActionOverrides(s.template, group)).toBeUndefined();
    }
  });

  test('every rule emits CloudWatch metrics', () => {
    // THEN
    const rules = webAclRules(s.template);
    expect(rules).toHaveLength(5);
    for (const r of rules) {
      expect(r.VisibilityConfig).toEqual({ CloudWatchMetricsEnabled: true, SampledRequestsEnabled: false, MetricName: expect.stringMatching(new RegExp(`-${r.Name}$`)) });
    }
  });

  test('neither the web ACL nor any rule samples requests: samples show key headers unredacted in the console', () => {
    // THEN
    const acl = only(s.template, 'AWS::WAFv2::WebACL').Properties;
    const configs = [acl.VisibilityConfig, ...acl.Rules.map((r: any) => r.VisibilityConfig)];
    expect(configs).toHaveLength(6);
    for (const config of configs) expect(config.SampledRequestsEnabled).toBe(false);
  });

  test('counts EC2MetaDataSSRF_BODY: a prompt may quote 169.254.169.254; the SSRF rules on path, query and cookie still block', () => {
    // THEN
    const counted = ruleActionOverrides(s.template, 'AWSManagedRulesCommonRuleSet').map((o: any) => o.Name);
    expect(counted).toContain('EC2MetaDataSSRF_BODY');
    for (const ssrf of ['EC2MetaDataSSRF_URIPATH', 'EC2MetaDataSSRF_QUERYARGUMENTS', 'EC2MetaDataSSRF_COOKIE']) {
      expect(counted).not.toContain(ssrf);
    }
  });

  test('associates the web ACL with the load balancer', () => {
    // THEN
    s.template.resourceCountIs('AWS::WAFv2::WebACLAssociation', 1);
    s.template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      ResourceArn: { Ref: logicalId(s.stack, s.loadBalancer.loadBalancer) },
      WebACLArn: { 'Fn::GetAtt': [logicalId(s.stack, s.loadBalancer.webAcl!), 'Arn'] },
    });
  });

  test('logs the web ACL to an aws-waf-logs- log group encrypted with the key', () => {
    // THEN
    const logGroupId = logicalId(s.stack, s.loadBalancer.wafLogGroup!);
    const logGroup = resource(s, s.loadBalancer.wafLogGroup!);
    expect(logGroup.Type).toBe('AWS::Logs::LogGroup');
    // The stack's UUID ends the name, so a group retained by a deleted stack does not block a new one.
    const [separator, parts] = logGroup.Properties.LogGroupName['Fn::Join'];
    expect(separator).toBe('');
    expect(parts).toHaveLength(2);
    expect(parts[0]).toMatch(/^aws-waf-logs-[\w.\-/#]+-$/);
    expect(parts[1]).toEqual(STACK_UUID);
    expect(parts[0].length + 36).toBeLessThanOrEqual(512);
    expect(logGroup.Properties.KmsKeyId).toEqual(s.stack.resolve(s.key!.keyArn));
    s.template.resourceCountIs('AWS::WAFv2::LoggingConfiguration', 1);
    s.template.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
      ResourceArn: { 'Fn::GetAtt': [logicalId(s.stack, s.loadBalancer.webAcl!), 'Arn'] },
      LogDestinationConfigs: [{
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:us-east-1:123456789012:log-group:', { Ref: logGroupId }]],
      }],
    });
  });

  test('the WAF logs redact every header LiteLLM reads a key or session from, named in lowercase', () => {
    // THEN
    const redacted = only(s.template, 'AWS::WAFv2::LoggingConfiguration').Properties.RedactedFields;
    expect(redacted.filter((f: any) => f.SingleHeader)).toEqual(KEY_HEADERS.map(name => ({ SingleHeader: { Name: name } })));
    // WAF takes at most 100 redacted fields.
    expect(redacted.length).toBeLessThanOrEqual(100);
  });

  test('the WAF logs redact the query string: LiteLLM takes keys from `?key=` too', () => {
    // THEN
    const redacted = only(s.template, 'AWS::WAFv2::LoggingConfiguration').Properties.RedactedFields;
    expect(redacted).toContainEqual({ QueryString: {} });
  });

  test('the WAF log group carries its own resource policy: delivery.logs may write into it, for this account only', () => {
    // THEN
    const logGroup = resource(s, s.loadBalancer.wafLogGroup!);
    const [, [namePrefix]] = logGroup.Properties.LogGroupName['Fn::Join'];
    expect(logGroup.Properties.ResourcePolicyDocument).toEqual(wafLogDelivery(namePrefix));
  });

  test('creates no account-level CloudWatch Logs resource policy (an account holds at most 10 per region)', () => {
    // THEN
    s.template.resourceCountIs('AWS::Logs::ResourcePolicy', 0);
  });

  test('the logging configuration names the log group by Ref, so CloudFormation creates the group and its policy first', () => {
    // THEN
    const destinations = JSON.stringify(only(s.template, 'AWS::WAFv2::LoggingConfiguration').Properties.LogDestinationConfigs);
    expect(destinations).toContain(JSON.stringify({ Ref: logicalId(s.stack, s.loadBalancer.wafLogGroup!) }));
  });
});

describe('LiteLlmLoadBalancer domains', () => {
  test('a fully qualified record name gives the same certificate, record and url', () => {
    // GIVEN / WHEN
    const s = synthStandalone(zone => ({ domainName: 'llm.example.com', domainZone: zone }));

    // THEN
    s.template.hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: 'llm.example.com',
      DomainValidationOptions: [{ DomainName: 'llm.example.com', HostedZoneId: ZONE_ID }],
    });
    s.template.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'llm.example.com.', Type: 'A' });
    expect(s.loadBalancer.url).toBe('https://llm.example.com');
  });

  test('`certificate` with a domain serves the name: no new certificate', () => {
    // GIVEN / WHEN
    const s = synthStandalone(zone => ({ certificate: certificate(zone.stack), domainName: 'llm', domainZone: zone }));

    // THEN
    s.template.resourceCountIs('AWS::CertificateManager::Certificate', 0);
    expect(listenerOn(s.template, 443).Certificates).toEqual([{ CertificateArn: CERTIFICATE_ARN }]);
    expect(s.loadBalancer.url).toBe('https://llm.example.com');
  });

  test.each(['bad name', 'llm_proxy', 'llm.', '-llm', ''])('domain name "%s" is rejected', (domainName) => {
    // GIVEN
    const { zone, make } = standalone();

    // WHEN
    const build = () => make({ domainName, domainZone: zone });

    // THEN
    expect(build).toThrow(new Error(`\`domainName\` ("${domainName}") must be a DNS name such as "llm" or "llm.example.com"`));
  });

  test('`domainZone` without `domainName` is rejected, with the fix', () => {
    // GIVEN
    const { zone, make } = standalone();

    // WHEN
    const build = () => make({ domainZone: zone });

    // THEN
    expect(build).toThrow(new Error(
      '`domainZone` is set without `domainName`: set `domainName` to the name to serve in the zone (e.g. "llm"), or remove `domainZone`'));
  });

  test('PRODUCTION with a certificate does not warn about plain HTTP', () => {
    // GIVEN / WHEN
    const s = synthStandalone(zone => ({ profile: LiteLlmDeploymentProfile.PRODUCTION, certificate: certificate(zone.stack) }));

    // THEN
    Annotations.fromStack(s.stack).hasNoWarning('*', Match.stringLikeRegexp('cdk-litellm:httpOnly'));
  });
});

describe('LiteLlmLoadBalancer dual-stack', () => {
  test('is IPv4 only by default (no IpAddressType: CloudFormation\'s default is ipv4), with no AAAA record', () => {
    // GIVEN / WHEN
    const s = synthStandalone(zone => ({ domainName: 'llm', domainZone: zone }));

    // THEN
    expect(resource(s, s.loadBalancer.loadBalancer).Properties).not.toHaveProperty('IpAddressType');
    s.template.resourcePropertiesCountIs('AWS::Route53::RecordSet', { Type: 'AAAA' }, 0);
    expect(s.loadBalancer.ipv6Record).toBeUndefined();
  });

  test('`dualStack` makes the load balancer dualstack and adds an AAAA alias next to the A alias', () => {
    // GIVEN / WHEN
    const s = synthStandalone(zone => ({ dualStack: true, domainName: 'llm', domainZone: zone }));

    // THEN
    expect(resource(s, s.loadBalancer.loadBalancer).Properties.IpAddressType).toBe('dualstack');
    const albId = logicalId(s.stack, s.loadBalancer.loadBalancer);
    const aliasTarget = {
      DNSName: { 'Fn::Join': ['', ['dualstack.', { 'Fn::GetAtt': [albId, 'DNSName'] }]] },
      HostedZoneId: { 'Fn::GetAtt': [albId, 'CanonicalHostedZoneID'] },
    };
    for (const type of ['A', 'AAAA']) {
      s.template.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'llm.example.com.', Type: type, HostedZoneId: ZONE_ID, AliasTarget: aliasTarget });
    }
    expect(logicalId(s.stack, s.loadBalancer.ipv6Record!)).toMatch(/^LoadBalancerAliasRecordIpv6/);
    expect(s.loadBalancer.url).toBe('https://llm.example.com');
  });

  test('`dualStack` without a domain has no record at all', () => {
    // GIVEN / WHEN
    const s = synthStandalone(() => ({ dualStack: true }));

    // THEN
    expect(resource(s, s.loadBalancer.loadBalancer).Properties.IpAddressType).toBe('dualstack');
    s.template.resourceCountIs('AWS::Route53::RecordSet', 0);
  });
});

describe('LiteLlmLoadBalancer metrics and alarms', () => {
  let s: StandaloneSynth;
  beforeAll(() => {
    // GIVEN / WHEN
    s = synthStandalone(() => ({ p99LatencyThreshold: Duration.seconds(200) }));
  });
  const lbDims = () => ({ LoadBalancer: s.stack.resolve(s.loadBalancer.loadBalancer.loadBalancerFullName) });
  const tgDims = () => ({ ...lbDims(), TargetGroup: s.stack.resolve(s.loadBalancer.targetGroup.targetGroupFullName) });

  test.each([
    ['metricRequestCount', 'RequestCount', 'Sum', false],
    ['metricTargetResponseTime', 'TargetResponseTime', 'p99', false],
    ['metricHealthyHostCount', 'HealthyHostCount', 'Average', true],
    ['metricUnhealthyHostCount', 'UnHealthyHostCount', 'Average', true],
  ] as const)('%s: %s, %s over 5 minutes; takes MetricOptions', (method, metricName, statistic, targetGroup) => {
    // WHEN
    const metric = s.loadBalancer[method]();
    const overridden = s.loadBalancer[method]({ period: Duration.minutes(1), statistic: 'Maximum' });

    // THEN
    expect([metric.namespace, metric.metricName, metric.statistic, metric.period.toSeconds()]).toEqual(['AWS/ApplicationELB', metricName, statistic, 300]);
    expect(s.stack.resolve(metric.dimensions)).toEqual(targetGroup ? tgDims() : lbDims());
    expect([overridden.statistic, overridden.period.toSeconds()]).toEqual(['Maximum', 60]);
  });

  test('metricHttpCodeTarget counts the LiteLLM target group\'s responses, metricHttpCodeElb the load balancer\'s own (Sum, 5 minutes)', () => {
    // WHEN
    const target = s.loadBalancer.metricHttpCodeTarget(elbv2.HttpCodeTarget.TARGET_4XX_COUNT, { period: Duration.minutes(1) });
    const elb = s.loadBalancer.metricHttpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT);

    // THEN
    expect([target.metricName, target.statistic, target.period.toSeconds()]).toEqual(['HTTPCode_Target_4XX_Count', 'Sum', 60]);
    expect(s.stack.resolve(target.dimensions)).toEqual(tgDims());
    expect([elb.metricName, elb.statistic, elb.period.toSeconds()]).toEqual(['HTTPCode_ELB_5XX_Count', 'Sum', 300]);
    expect(s.stack.resolve(elb.dimensions)).toEqual(lbDims());
  });

  test('owns its alarms: its own 5xx, LiteLLM\'s 5xx, p99 latency at `p99LatencyThreshold`', () => {
    // THEN
    expect(s.loadBalancer.alarms).toEqual([s.loadBalancer.loadBalancer5xxAlarm, s.loadBalancer.target5xxAlarm, s.loadBalancer.latencyAlarm]);
    for (const alarm of s.loadBalancer.alarms) expect(alarm.node.scope).toBe(s.loadBalancer);
    s.template.resourceCountIs('AWS::CloudWatch::Alarm', 3);
    const alarm = (MetricName: string, AlarmDescription: string, statistic: object, EvaluationPeriods: number, Threshold: number) =>
      s.template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName, AlarmDescription, ...statistic, Period: 300, EvaluationPeriods, Threshold });
    alarm('HTTPCode_ELB_5XX_Count', 'The LiteLLM load balancer returned more than 10 of its own 5xx in 5 minutes, twice in a row', { Statistic: 'Sum' }, 2, 10);
    alarm('HTTPCode_Target_5XX_Count', 'LiteLLM returned more than 10 5xx responses in 5 minutes, twice in a row', { Statistic: 'Sum' }, 2, 10);
    alarm('TargetResponseTime', 'LiteLLM p99 response time above 200 s for 15 minutes', { ExtendedStatistic: 'p99' }, 3, 200);
  });
});

describe('LiteLlmLoadBalancer placement', () => {
  test('`internetFacing: false` uses the internal scheme in the private subnets', () => {
    // GIVEN / WHEN
    const s = synthStandalone(() => ({ internetFacing: false }));

    // THEN
    expect(s.vpc.privateSubnets).toHaveLength(2);
    s.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internal',
      Subnets: s.stack.resolve(s.vpc.privateSubnets.map(subnet => subnet.subnetId)),
    });
  });

  test('`internetFacing: false` in a VPC without NAT uses the isolated subnets', () => {
    // GIVEN / WHEN
    const s = synthStandalone(() => ({ internetFacing: false }), { natGateways: 0 });

    // THEN
    expect(s.vpc.privateSubnets).toHaveLength(0);
    expect(s.vpc.isolatedSubnets).toHaveLength(2);
    s.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internal',
      Subnets: s.stack.resolve(s.vpc.isolatedSubnets.map(subnet => subnet.subnetId)),
    });
  });

  test('`internetFacing: true` is internet-facing in the public subnets', () => {
    // GIVEN / WHEN
    const s = synthStandalone(() => ({ internetFacing: true }), { natGateways: 0 });

    // THEN
    s.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internet-facing',
      Subnets: s.stack.resolve(s.vpc.publicSubnets.map(subnet => subnet.subnetId)),
    });
  });

  test('`containerPort` leaves the target group as it is: tasks register on their port, so a port change replaces nothing another stack imports', () => {
    // GIVEN / WHEN
    const s = synthStandalone(() => ({ containerPort: 8080 }));
    const d = synthStandalone(() => ({}));

    // THEN
    const tg = (t: Template) => Object.values(t.findResources('AWS::ElasticLoadBalancingV2::TargetGroup'))[0].Properties;
    expect(tg(s.template)).toEqual(tg(d.template));
    expect(tg(s.template)).toMatchObject({ Port: 4000, Protocol: 'HTTP', TargetType: 'ip' });
    expect(tg(s.template).HealthCheckPort).toBeUndefined(); // the traffic port: the task's own
  });
});

describe('LiteLlmLoadBalancer settings', () => {
  test('`idleTimeout` sets the idle timeout attribute', () => {
    // GIVEN / WHEN
    const s = synthStandalone(() => ({ idleTimeout: Duration.minutes(15) }));

    // THEN
    expect(albAttributes(s)['idle_timeout.timeout_seconds']).toBe('900');
    expect(s.loadBalancer.idleTimeout.toSeconds()).toBe(900);
    s.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      TargetGroupAttributes: Match.arrayWith([{ Key: 'deregistration_delay.timeout_seconds', Value: '900' }]),
    });
  });

  test('the deregistration delay stops at 3600 s, the target group maximum', () => {
    // GIVEN / WHEN
    const s = synthStandalone(() => ({ idleTimeout: Duration.seconds(4000) }));

    // THEN
    s.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      TargetGroupAttributes: Match.arrayWith([{ Key: 'deregistration_delay.timeout_seconds', Value: '3600' }]),
    });
  });

  test.each([0, 4001])('`idleTimeout` of %i s is rejected', (seconds) => {
    // GIVEN
    const { make } = standalone();

    // WHEN
    const build = () => make({ idleTimeout: Duration.seconds(seconds) });

    // THEN
    expect(build).toThrow(new Error(`\`idleTimeout\` (${seconds} s) must be from 1 to 4000 seconds (ALB limits)`));
  });

  test('`accessLogRetention` sets the expiration of access logs', () => {
    // GIVEN / WHEN
    const s = synthStandalone(() => ({ accessLogRetention: logs.RetentionDays.ONE_MONTH }));

    // THEN
    s.template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [Match.objectLike({ Status: 'Enabled', ExpirationInDays: 30 })] },
    });
  });

  test('`accessLogRetention: INFINITE` keeps the access logs: no expiration, old versions still go after a day', () => {
    // GIVEN / WHEN
    const s = synthStandalone(() => ({ accessLogRetention: logs.RetentionDays.INFINITE }));

    // THEN
    s.template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [{ Status: 'Enabled', NoncurrentVersionExpiration: { NoncurrentDays: 1 } }] },
    });
  });

  test('`deletionProtection: true` wins over DEVELOPMENT', () => {
    // GIVEN / WHEN
    const s = synthStandalone(() => ({ deletionProtection: true }));

    // THEN
    expect(albAttributes(s)['deletion_protection.enabled']).toBe('true');
  });

  test('`deletionProtection: false` wins over PRODUCTION', () => {
    // GIVEN / WHEN
    const s = synthStandalone(() => ({ profile: LiteLlmDeploymentProfile.PRODUCTION, allowHttp: true, deletionProtection: false }));

    // THEN
    expect(albAttributes(s)['deletion_protection.enabled']).toBe('false');
  });

  test('in a region-agnostic stack: access logs to the region\'s delivery principal, resolved at deploy', () => {
    // GIVEN / WHEN
    const s = synthStandalone(() => ({}), { env: {} });

    // THEN
    const bucketId = logicalId(s.stack, s.loadBalancer.accessLogsBucket);
    const attributes = albAttributes(s);
    expect(attributes['access_logs.s3.enabled']).toBe('true');
    expect(attributes['access_logs.s3.bucket']).toEqual({ Ref: bucketId });
    const template = s.template.toJSON();
    const mapping = template.Mappings.LiteLlmElbLogDelivery;
    expect(mapping['us-east-1']).toEqual({ account: '127311923021' }); // opened before August 2022
    expect(mapping['eu-central-2']).toEqual({ account: 'none' }); // newer: the service principal
    expect(template.Conditions.LiteLlmElbLegacyRegion).toEqual({
      'Fn::Not': [{ 'Fn::Equals': [{ 'Fn::FindInMap': ['LiteLlmElbLogDelivery', { Ref: 'AWS::Region' }, 'account'] }, 'none'] }],
    });
    const puts = s.template.findResources('AWS::S3::BucketPolicy')[Object.keys(s.template.findResources('AWS::S3::BucketPolicy'))[0]]
      .Properties.PolicyDocument.Statement.filter((st: any) => st.Action === 's3:PutObject');
    expect(puts.map((st: any) => Object.keys(st.Principal)[0]).sort()).toEqual(['AWS', 'Service']);
    expect(puts.find((st: any) => st.Principal.Service).Principal.Service).toBe('logdelivery.elasticloadbalancing.amazonaws.com');
    expect(JSON.stringify(puts.find((st: any) => st.Principal.AWS).Principal.AWS)).toContain('LiteLlmElbLegacyRegion');
    Annotations.fromStack(s.stack).hasNoWarning('*', Match.stringLikeRegexp('accessLogsNeedRegion'));
  });
});

describe('LiteLlmLoadBalancer WAF switch', () => {
  test('`waf: { enabled: true }` wins over DEVELOPMENT', () => {
    // GIVEN / WHEN
    const s = synthStandalone(() => ({ waf: { enabled: true } }));

    // THEN
    expect(wafResourceCounts(s.template)).toEqual(ONE_WAF);
    expect(s.loadBalancer.webAcl).toBeDefined();
    expect(s.loadBalancer.wafLogGroup).toBeDefined();
  });

  test('`waf: { enabled: false }` wins over PRODUCTION', () => {
    // GIVEN / WHEN
    const s = synthStandalone(() => ({ profile: LiteLlmDeploymentProfile.PRODUCTION, allowHttp: true, waf: { enabled: false } }));

    // THEN
    expect(wafResourceCounts(s.template)).toEqual(NO_WAF);
    expect(s.loadBalancer.webAcl).toBeUndefined();
    expect(s.loadBalancer.wafLogGroup).toBeUndefined();
  });
});

describe('LiteLlmLoadBalancer WAF options', () => {
  test('`rateLimit` sets the rate-based rule limit', () => {
    // GIVEN / WHEN
    const s = synthStandalone(() => ({ waf: { enabled: true, rateLimit: 500 } }));

    // THEN
    expect(rule(s.template, 'RateLimitPerIp').Statement.RateBasedStatement).toEqual({ Limit: 500, AggregateKeyType: 'IP', EvaluationWindowSec: 300 });
  });

  test.each([9, 100.5, 2_000_000_001])('`rateLimit` of %p is rejected', (limit) => {
    // GIVEN
    const { make } = standalone();

    // WHEN
    const build = () => make({ waf: { enabled: true, rateLimit: limit } });

    // THEN
    expect(build).toThrow(new Error(`\`waf.rateLimit\` (${limit}) must be an integer from 10 to 2000000000 (WAF limits)`));
  });

  test.each([10, 2_000_000_000])('`rateLimit` of %p (a WAF limit) is accepted', (limit) => {
    // GIVEN
    const { make } = standalone();

    // WHEN
    const build = () => make({ waf: { enabled: true, rateLimit: limit } });

    // THEN
    expect(build).not.toThrow();
  });

  test('`rateLimitWindow` sets the rate-based rule\'s evaluation window', () => {
    // GIVEN / WHEN
    const s = synthStandalone(() => ({ waf: { enabled: true, rateLimit: 100, rateLimitWindow: Duration.minutes(1) } }));

    // THEN
    expect(rule(s.template, 'RateLimitPerIp').Statement.RateBasedStatement).toEqual({ Limit: 100, AggregateKeyType: 'IP', EvaluationWindowSec: 60 });
  });

  test('a `rateLimitWindow` WAF does not offer is rejected', () => {
    expect(() => standalone().make({ waf: { enabled: true, rateLimitWindow: Duration.minutes(3) } })).toThrow(new Error(
      '`waf.rateLimitWindow` (180 s) must be 1, 2, 5 or 10 minutes (WAF\'s evaluation windows), e.g. Duration.minutes(5)'));
  });

  test('settings with `enabled: false` are rejected, with the fix', () => {
    const waf = { enabled: false, rateLimit: 500, blockBodyPatterns: true };
    expect(() => standalone().make({ profile: LiteLlmDeploymentProfile.PRODUCTION, allowHttp: true, waf }))
      .toThrow(new Error('`waf.rateLimit`, `waf.blockBodyPatterns` configure the web ACL, but WAF is off (`waf.enabled: false`): set `waf.enabled: true`, or remove them'));
  });

  test('settings with WAF off by the DEVELOPMENT default are rejected, with the fix', () => {
    expect(() => standalone().make({ waf: { rateLimit: 500 } }))
      .toThrow(new Error('`waf.rateLimit` configures the web ACL, but WAF is off (the DEVELOPMENT default): set `waf.enabled: true`, or remove them'));
  });

  test('`excludedCommonRules` adds Count overrides after the built-in ones, each once', () => {
    // GIVEN / WHEN
    const s = synthStandalone(() => ({
      waf: { enabled: true, excludedCommonRules: ['NoUserAgent_HEADER', 'SizeRestrictions_BODY', 'GenericLFI_BODY'] },
    }));

    // THEN
    expect(ruleActionOverrides(s.template, 'AWSManagedRulesCommonRuleSet')).toEqual([
      ...COMMON_COUNTED,
      { Name: 'NoUserAgent_HEADER', ActionToUse: { Count: {} } },
    ]);
  });

  test('`blockBodyPatterns` lets the body-pattern rules, EC2MetaDataSSRF_BODY included, block; the body size rule still only counts', () => {
    // GIVEN / WHEN
    const s = synthStandalone(() => ({ waf: { enabled: true, blockBodyPatterns: true } }));

    // THEN
    expect(ruleActionOverrides(s.template, 'AWSManagedRulesCommonRuleSet')).toEqual([{ Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } }]);
    expect(ruleActionOverrides(s.template, 'AWSManagedRulesSQLiRuleSet')).toBeUndefined();
  });

  test('`additionalManagedRuleGroups` adds AWS managed groups after the built-in ones', () => {
    // GIVEN / WHEN
    const s = synthStandalone(() => ({
      waf: { enabled: true, additionalManagedRuleGroups: ['AWSManagedRulesLinuxRuleSet', 'AWSManagedRulesAnonymousIpList'] },
    }));

    // THEN
    expect(webAclRules(s.template).map(r => [r.Priority, r.Name])).toEqual([
      [0, 'RateLimitPerIp'],
      [1, 'AWSManagedRulesAmazonIpReputationList'],
      [2, 'AWSManagedRulesCommonRuleSet'],
      [3, 'AWSManagedRulesKnownBadInputsRuleSet'],
      [4, 'AWSManagedRulesSQLiRuleSet'],
      [10, 'AWSManagedRulesLinuxRuleSet'],
      [11, 'AWSManagedRulesAnonymousIpList'],
    ]);
    for (const group of ['AWSManagedRulesLinuxRuleSet', 'AWSManagedRulesAnonymousIpList']) {
      const added = rule(s.template, group);
      expect(added.OverrideAction).toEqual({ None: {} });
      expect(added.Statement).toEqual({ ManagedRuleGroupStatement: { VendorName: 'AWS', Name: group } });
      expect(added.VisibilityConfig).toMatchObject({ CloudWatchMetricsEnabled: true, SampledRequestsEnabled: false });
    }
  });

  test('a group listed twice in `additionalManagedRuleGroups` is rejected', () => {
    // GIVEN
    const { make } = standalone();

    // WHEN
    const build = () => make({
      waf: { enabled: true, additionalManagedRuleGroups: ['AWSManagedRulesLinuxRuleSet', 'AWSManagedRulesLinuxRuleSet'] },
    });

    // THEN
    expect(build).toThrow(new Error(DUPLICATE_GROUP_ERROR('AWSManagedRulesLinuxRuleSet')));
  });

  test.each(BUILT_IN_GROUPS)('the built-in group %s in `additionalManagedRuleGroups` is rejected', (group) => {
    // GIVEN
    const { make } = standalone();

    // WHEN
    const build = () => make({ waf: { enabled: true, additionalManagedRuleGroups: [group] } });

    // THEN
    expect(build).toThrow(new Error(DUPLICATE_GROUP_ERROR(group)));
  });
});

describe('LiteLlmLoadBalancer in a LiteLlmPlatform (DEVELOPMENT, CloudFront off)', () => {
  let s: PlatformSynth;
  beforeAll(() => {
    // GIVEN / WHEN (with CloudFront, the default, see test/cloudfront.test.ts)
    s = synthPlatform(() => ({ cloudFront: { enabled: false } }));
  });

  test('is internet-facing in the network\'s public subnets, behind the network\'s load balancer security group', () => {
    // THEN
    const { network } = s.platform;
    s.template.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 1);
    s.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internet-facing',
      Subnets: s.stack.resolve(network.vpc.publicSubnets.map(subnet => subnet.subnetId)),
      SecurityGroups: [s.stack.resolve(network.loadBalancerSecurityGroup.securityGroupId)],
    });
  });

  test('forwards HTTP on 80 to an IP target group on the container port', () => {
    // THEN
    expect(listeners(s.template)).toHaveLength(1);
    expect(listenerOn(s.template, 80).DefaultActions).toEqual([
      { Type: 'forward', TargetGroupArn: { Ref: logicalId(s.stack, s.loadBalancer.targetGroup) } },
    ]);
    s.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: s.platform.network.containerPort,
      TargetType: 'ip',
      HealthCheckPath: '/health/liveliness',
    });
    expect(s.platform.network.containerPort).toBe(4000);
  });

  test('600 s idle timeout, invalid headers dropped, no deletion protection, access logs on', () => {
    // THEN
    const attributes = albAttributes(s);
    expect(attributes['idle_timeout.timeout_seconds']).toBe('600');
    expect(attributes['routing.http.drop_invalid_header_fields.enabled']).toBe('true');
    expect(attributes['deletion_protection.enabled']).toBe('false');
    expect(attributes['access_logs.s3.enabled']).toBe('true');
    expect(attributes['access_logs.s3.bucket']).toEqual({ Ref: logicalId(s.stack, s.loadBalancer.accessLogsBucket) });
  });

  test('has no web ACL and warns that it serves plain HTTP to the internet', () => {
    // THEN
    expect(wafResourceCounts(s.template)).toEqual(NO_WAF);
    Annotations.fromStack(s.stack).hasWarning('/Stack/LiteLlm/LoadBalancer', httpOnlyWarning(true));
  });

  test('the platform url is the load balancer\'s http:// url, and an output', () => {
    // THEN
    const expected = { 'Fn::Join': ['', ['http://', { 'Fn::GetAtt': [logicalId(s.stack, s.loadBalancer.loadBalancer), 'DNSName'] }]] };
    expect(s.platform.url).toBe(s.loadBalancer.url);
    expect(s.stack.resolve(s.platform.url)).toEqual(expected);
    s.template.hasOutput('*', { Description: 'Base URL of the LiteLLM proxy (OpenAI-compatible API under /v1)', Value: expected });
  });
});

describe('LiteLlmLoadBalancer in a LiteLlmPlatform (PRODUCTION with a domain)', () => {
  let s: PlatformSynth;
  beforeAll(() => {
    // GIVEN / WHEN
    s = synthPlatform(stack => ({
      profile: LiteLlmDeploymentProfile.PRODUCTION,
      loadBalancer: { domainName: 'llm', domainZone: hostedZone(stack) },
    }));
  });

  test('serves HTTPS with a DNS-validated certificate for llm.example.com and redirects 80', () => {
    // THEN
    s.template.hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: 'llm.example.com',
      DomainValidationOptions: [{ DomainName: 'llm.example.com', HostedZoneId: ZONE_ID }],
    });
    const https = listenerOn(s.template, 443);
    expect(https.SslPolicy).toBe(TLS_POLICY);
    expect(https.Certificates).toEqual([{ CertificateArn: { Ref: logicalId(s.stack, s.loadBalancer.certificate!) } }]);
    expect(listenerOn(s.template, 80).DefaultActions[0].Type).toBe('redirect');
  });

  test('points llm.example.com. at the load balancer; the platform url is https://llm.example.com', () => {
    // THEN
    s.template.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'llm.example.com.', Type: 'A', HostedZoneId: ZONE_ID });
    expect(s.platform.url).toBe('https://llm.example.com');
    s.template.hasOutput('*', { Description: 'Base URL of the LiteLLM proxy (OpenAI-compatible API under /v1)', Value: 'https://llm.example.com' });
  });

  test('deletion protection is on', () => {
    // THEN
    expect(albAttributes(s)['deletion_protection.enabled']).toBe('true');
  });

  test('associates a web ACL that counts SizeRestrictions_BODY and the body patterns', () => {
    // THEN
    expect(wafResourceCounts(s.template)).toEqual(ONE_WAF);
    expect(ruleActionOverrides(s.template, 'AWSManagedRulesCommonRuleSet')).toEqual(COMMON_COUNTED);
    expect(ruleActionOverrides(s.template, 'AWSManagedRulesSQLiRuleSet')).toEqual(SQLI_COUNTED);
    s.template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      ResourceArn: { Ref: logicalId(s.stack, s.loadBalancer.loadBalancer) },
    });
  });

  test('encrypts the WAF log group with the platform key', () => {
    // THEN
    const logGroup = resource(s, s.loadBalancer.wafLogGroup!);
    expect(joinedText(logGroup.Properties.LogGroupName)).toMatch(/^aws-waf-logs-.*-<token>$/);
    expect(logGroup.Properties.KmsKeyId).toEqual(s.stack.resolve(s.platform.security.encryptionKey.keyArn));
  });

  test('does not warn about plain HTTP', () => {
    // THEN
    Annotations.fromStack(s.stack).hasNoWarning('*', Match.stringLikeRegexp('cdk-litellm:httpOnly'));
  });
});

describe('WAF log delivery does not grow with the number of platforms', () => {
  test('two platforms with WAF in two stacks create no account-level resource policy; each WAF log group carries its own', () => {
    // GIVEN
    const app = new App();
    const stacks = ['LiteLlmA', 'LiteLlmB'].map(name => {
      const stack = new Stack(app, name, { env: ENV });
      new LiteLlmPlatform(stack, 'LiteLlm', {
        profile: LiteLlmDeploymentProfile.PRODUCTION,
        models: [LiteLlmModel.bedrock({ name: 'claude-sonnet', modelId: 'us.anthropic.claude-sonnet-4-20250514-v1:0' })],
        loadBalancer: { allowHttp: true },
      });
      return stack;
    });

    // WHEN
    const templates = stacks.map(stack => Template.fromStack(stack));

    // THEN
    for (const template of templates) {
      expect(wafResourceCounts(template)).toEqual(ONE_WAF);
      template.resourceCountIs('AWS::Logs::ResourcePolicy', 0);
      const wafLogGroups = Object.values(template.findResources('AWS::Logs::LogGroup'))
        .filter((g: any) => g.Properties?.LogGroupName && joinedText(g.Properties.LogGroupName).startsWith('aws-waf-logs-'));
      expect(wafLogGroups).toHaveLength(1);
      const [, [namePrefix]] = (wafLogGroups[0] as any).Properties.LogGroupName['Fn::Join'];
      expect((wafLogGroups[0] as any).Properties.ResourcePolicyDocument).toEqual(wafLogDelivery(namePrefix));
    }
  });
});

describe('LiteLlmLoadBalancer in a LiteLlmPlatform, other options', () => {
  test('`loadBalancer.internal` puts an internal load balancer in the private subnets', () => {
    // GIVEN / WHEN
    const s = synthPlatform(() => ({ loadBalancer: { internetFacing: false } }));

    // THEN
    s.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internal',
      Subnets: s.stack.resolve(s.platform.network.vpc.privateSubnets.map(subnet => subnet.subnetId)),
    });
  });

  test('`network.dualStack` makes the load balancer dual-stack too, with an AAAA record for the domain', () => {
    // GIVEN / WHEN
    const s = synthPlatform(stack => ({ network: { dualStack: true }, loadBalancer: { domainName: 'llm', domainZone: hostedZone(stack) } }));

    // THEN
    expect(resource(s, s.loadBalancer.loadBalancer).Properties.IpAddressType).toBe('dualstack');
    s.template.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'llm.example.com.', Type: 'AAAA' });
  });

  test('dual-stack has one home, the network: the load balancer options have no `dualStack`', () => {
    // GIVEN / WHEN: without network.dualStack, the load balancer is IPv4 only.
    const s = synthPlatform(() => ({}));

    // THEN
    expect(resource(s, s.loadBalancer.loadBalancer).Properties).not.toHaveProperty('IpAddressType');
    s.template.resourceCountIs('AWS::EC2::VPCCidrBlock', 0);
    // @ts-expect-error dualStack is the network's, not the load balancer options'
    const options: LiteLlmPlatformProps['loadBalancer'] = { dualStack: true };
    expect(options).toBeDefined();
  });

  test('PRODUCTION without a domain or certificate, `allowHttp: true`, warns about plain HTTP', () => {
    // GIVEN / WHEN
    const s = synthPlatform(() => ({ profile: LiteLlmDeploymentProfile.PRODUCTION, loadBalancer: { allowHttp: true } }));

    // THEN
    Annotations.fromStack(s.stack).hasWarning('/Stack/LiteLlm/LoadBalancer', httpOnlyWarning(true));
  });
});

describe('HTTPS in PRODUCTION', () => {
  test('an internet-facing PRODUCTION load balancer without a certificate or domain fails at synth and says how to get HTTPS', () => {
    expect(() => synthStandalone(() => ({ profile: LiteLlmDeploymentProfile.PRODUCTION }))).toThrow(new Error(HTTPS_REQUIRED));
    expect(() => synthStandalone(() => ({ profile: LiteLlmDeploymentProfile.PRODUCTION, allowHttp: false }))).toThrow(new Error(HTTPS_REQUIRED));
    expect(() => synthPlatform(() => ({ profile: LiteLlmDeploymentProfile.PRODUCTION }))).toThrow(new Error(HTTPS_REQUIRED));
  });

  test('an internal PRODUCTION load balancer keeps the warning', () => {
    const s = synthStandalone(() => ({ profile: LiteLlmDeploymentProfile.PRODUCTION, internetFacing: false }));
    Annotations.fromStack(s.stack).hasWarning('/Stack/LoadBalancer', httpOnlyWarning(false));
  });

  test('`allowHttp` with a certificate is rejected, with the fix', () => {
    const { stack, make } = standalone();
    expect(() => make({ allowHttp: true, certificate: certificate(stack) })).toThrow(new Error(
      '`allowHttp` lets a load balancer without a certificate serve plain HTTP, but this one has a certificate '
      + '(`certificate`, or `domainName` with `domainZone`) and serves HTTPS: remove `allowHttp`'));
  });

  test('DEVELOPMENT serves plain HTTP without an error', () => {
    const s = synthStandalone(() => ({}));
    s.template.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 1);
  });
});

describe('the URL with a certificate of your own', () => {
  const cert = (scope: IConstruct) => acm.Certificate.fromCertificateArn(scope as Construct, 'Cert', 'arn:aws:acm:us-east-1:123456789012:certificate/abc');

  test('`domainName` is the host the certificate names: the URL is https://<domainName>', () => {
    const s = synthStandalone(zone => ({ certificate: cert(zone), domainName: 'llm.internal.example.com' }));
    expect(s.loadBalancer.url).toBe('https://llm.internal.example.com');
    Annotations.fromStack(s.stack).hasNoWarning('*', Match.stringLikeRegexp('cdk-litellm:certificateName'));
  });

  test('a certificate alone warns that the URL is the load balancer\'s own name, which the certificate does not match', () => {
    const s = synthStandalone(zone => ({ certificate: cert(zone) }));
    Annotations.fromStack(s.stack).hasWarning('/Stack/LoadBalancer', Match.stringLikeRegexp('Set `domainName` to the name your DNS points at the load balancer'));
  });

  test('`domainName` without a certificate or a zone fails at synth, with the fix', () => {
    expect(() => synthStandalone(() => ({ domainName: 'llm.example.com' }))).toThrow(new Error(
      '`domainName` ("llm.example.com") needs `certificate` (an ACM certificate for that name, when its DNS record is yours) '
      + 'or `domainZone` (its Route 53 hosted zone: the record and a DNS-validated certificate are then created)'));
  });
});

describe('publicUrl', () => {
  test('TLS in front of the load balancer: the URL, the outputs and LiteLLM\'s PROXY_BASE_URL are the public one', () => {
    // GIVEN
    const s = synthPlatform(() => ({ profile: LiteLlmDeploymentProfile.PRODUCTION, loadBalancer: { allowHttp: true, publicUrl: 'https://llm.example.com/' } }));

    // THEN
    expect(s.platform.url).toBe('https://llm.example.com');
    const outputs = s.template.findOutputs('*');
    expect(Object.entries(outputs).filter(([k]) => /Url$|AdminUi$/.test(k)).map(([, o]) => o.Value).sort())
      .toEqual(['https://llm.example.com', 'https://llm.example.com/ui']);
    const task = Object.values(s.template.findResources('AWS::ECS::TaskDefinition'))
      .flatMap((t: any) => t.Properties.ContainerDefinitions).find((c: any) => c.Name === 'litellm');
    expect(task.Environment).toContainEqual({ Name: 'PROXY_BASE_URL', Value: 'https://llm.example.com' });
  });

  test('behind a proxy in front, the sign-in limit does not count per address (the proxy\'s, shared by every client); MCP still reads the last hop', () => {
    const general = (publicUrl?: string) => {
      const s = synthPlatform(() => ({ profile: LiteLlmDeploymentProfile.PRODUCTION, loadBalancer: { allowHttp: true, publicUrl } }));
      return YAML.parse(s.platform.service.renderedConfig).general_settings;
    };
    expect(general('https://llm.example.com').trusted_proxy_ranges).toBeUndefined();
    expect(general('https://llm.example.com').mcp_xff_num_trusted_hops).toBe(1);
    expect(general().trusted_proxy_ranges).toEqual(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10']);
  });

  test('without it, the URL is the load balancer\'s (control)', () => {
    const s = synthPlatform(() => ({ profile: LiteLlmDeploymentProfile.PRODUCTION, loadBalancer: { allowHttp: true } }));
    expect(s.platform.url).toMatch(/^http:\/\/\$\{Token/);
  });

  test.each(['llm.example.com', 'https://llm.example.com/v1', 'ftp://llm.example.com', 'https://user@llm.example.com', 'https://llm.example.com?x=1'])(
    'publicUrl "%s" is refused', (url) => {
      const { make } = standalone();
      expect(() => make({ publicUrl: url })).toThrow(new Error(
        `\`publicUrl\` ("${url}") must be an https:// or http:// origin with no path, query or user, e.g. "https://llm.example.com"`));
    });
});

describe('WAF log redaction from the config', () => {
  const redactedHeaders = (template: Template) => only(template, 'AWS::WAFv2::LoggingConfiguration').Properties.RedactedFields
    .filter((f: any) => f.SingleHeader).map((f: any) => f.SingleHeader.Name);

  test('a custom key header, an MCP auth header, pass-through key headers and waf.redactedHeaders are redacted too', () => {
    // GIVEN
    const s = synthPlatform(() => ({
      profile: LiteLlmDeploymentProfile.PRODUCTION,
      loadBalancer: { allowHttp: true, waf: { redactedHeaders: ['X-MCP-GitHub-Authorization'] } },
      config: {
        generalSettings: {
          litellm_key_header_name: 'X-Team-Key',
          mcp_client_side_auth_header_name: 'x-upstream-mcp-auth',
          pass_through_endpoints: [{ path: '/vendor', target: 'https://vendor.example.com', headers: { litellm_user_api_key: 'x-vendor-key' } }],
        },
      },
    }));

    // THEN
    expect(redactedHeaders(s.template)).toEqual([...KEY_HEADERS, 'x-mcp-github-authorization', 'x-team-key', 'x-upstream-mcp-auth', 'x-vendor-key']);
  });

  test('a header name read from a secret cannot be known at synth: nothing is added for it', () => {
    const config = 'general_settings:\n  litellm_key_header_name: os.environ/KEY_HEADER\n  mcp_client_side_auth_header_name: X-Upstream\n';
    expect(configKeyHeaders(config, { LITELLM_MCP_CLIENT_SIDE_AUTH_HEADER_NAME: 'X-From-Env' })).toEqual(['x-upstream', 'x-from-env']);
  });

  test('a key header name the load balancer would drop (an underscore) fails synth', () => {
    const config = 'general_settings:\n  litellm_key_header_name: x_team_key\n';
    expect(() => configKeyHeaders(config, {})).toThrow(new Error(
      '`general_settings.litellm_key_header_name` ("x_team_key") is not a header name the load balancer passes on: it drops names with anything but letters, digits and hyphens, '
      + 'so LiteLLM would never see the key. Use e.g. "x-team-key"'));
  });

  test('a default platform redacts LiteLLM\'s key headers only (control)', () => {
    const s = synthPlatform(() => ({ profile: LiteLlmDeploymentProfile.PRODUCTION, loadBalancer: { allowHttp: true } }));
    expect(redactedHeaders(s.template)).toEqual(KEY_HEADERS);
  });

  test('more headers than WAF redacts fail synth', () => {
    const { make } = standalone();
    const names = Array.from({ length: 90 }, (_, i) => `x-key-${i}`);
    expect(() => make({ waf: { enabled: true, redactedHeaders: names } })).toThrow(new Error(
      '`waf.redactedHeaders` adds 90 headers to redact in the WAF logs: with LiteLLM\'s key headers and the query string that is 101 fields, '
      + 'over the 100 a WAF logging configuration redacts. Use fewer custom key header names'));
    expect(() => standalone().make({ waf: { enabled: true, redactedHeaders: names.slice(0, 89) } })).not.toThrow();
  });

  test('a header name longer than WAF\'s SingleHeader takes (64) fails synth, from the options or the config', () => {
    const long = `x-${'k'.repeat(63)}`;
    expect(() => standalone().make({ waf: { enabled: true, redactedHeaders: [long] } })).toThrow(new Error(
      `\`waf.redactedHeaders\` has the header "${long}" (65 characters): WAF redacts header names of at most 64 characters, so the deploy would fail. Use a shorter name`));
    expect(() => standalone().make({ waf: { enabled: true, redactedHeaders: [long.slice(1)] } })).not.toThrow();
    const withWaf = () => ({ config: { generalSettings: { litellm_key_header_name: long } }, loadBalancer: { waf: { enabled: true } } });
    expect(() => synthPlatform(withWaf)).toThrow(
      `has the header "${long}" (65 characters): WAF redacts header names of at most 64 characters`);
  });

  test('without a web ACL there is no WAF log, and its limits refuse nothing', () => {
    const long = `x-${'k'.repeat(63)}`;
    expect(() => synthPlatform(() => ({ config: { generalSettings: { litellm_key_header_name: long } } }))).not.toThrow();
    expect(() => standalone().make({ waf: { enabled: false } })._redactHeaders(Array.from({ length: 120 }, (_, i) => `x-key-${i}`), 'test')).not.toThrow();
  });

  test('a header name that is a deploy-time value is not judged', () => {
    const stack = new Stack();
    const name = new CfnParameter(stack, 'Header').valueAsString;
    expect(configKeyHeaders('general_settings: {}\n', { LITELLM_MCP_CLIENT_SIDE_AUTH_HEADER_NAME: name })).toEqual([]);
  });

  test('a redacted header that is not a header name is refused', () => {
    expect(() => standalone().make({ waf: { redactedHeaders: ['x-mcp-<alias>-authorization'] } })).toThrow(new Error(
      '`waf.redactedHeaders` has "x-mcp-<alias>-authorization", which is not a header name: write it as clients send it, e.g. "x-mcp-github-authorization"'));
  });
});

describe('reading the access logs', () => {
  const denyStatement = (template: Template) => only(template, 'AWS::S3::BucketPolicy').Properties.PolicyDocument.Statement
    .find((st: any) => st.Sid === 'OnlyListedReadersReadAccessLogs');

  test('nobody in the account reads the request lines (keys may sit in URLs) until listed', () => {
    const s = synthStandalone();
    expect(denyStatement(s.template)).toEqual({
      Sid: 'OnlyListedReadersReadAccessLogs',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: ['s3:GetObject', 's3:GetObjectVersion'],
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^LoadBalancerAccessLogs/), 'Arn'] }, '/*']] },
    });
  });

  test('`accessLogReaders` may read', () => {
    const reader = 'arn:aws:iam::123456789012:role/SecurityAudit*';
    const s = synthStandalone(() => ({ accessLogReaders: [reader] }));
    expect(denyStatement(s.template).Condition).toEqual({ ArnNotLike: { 'aws:PrincipalArn': [reader] } });
  });

  test('a reader that is not a role or user ARN is refused', () => {
    expect(() => standalone().make({ accessLogReaders: ['SecurityAudit'] })).toThrow(new Error(
      '`accessLogReaders` has "SecurityAudit", which is not an IAM role or user ARN: write e.g. "arn:aws:iam::123456789012:role/SecurityAudit"'));
  });

  /**
   * What S3 answers, with the synthesized bucket policy, to `principal` (a role ARN) calling
   * `action` with `allowed` in its own identity policy (nothing: only the bucket policy grants).
   */
  async function s3Decides(app: IamApp, principal: string, action: string, target: string, allowed: string[] = []): Promise<Decision> {
    const policy = app.property('LoadBalancer/AccessLogs/Policy', 'PolicyDocument');
    const result = await runSimulation({
      identityPolicies: allowed.length ? [{ name: 'own', policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: allowed, Resource: '*' }] } }] : [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: policy,
      request: {
        action,
        principal: `arn:aws:sts::${ACCOUNT}:assumed-role/${principal.split('/').pop()}/session`,
        resource: { accountId: ACCOUNT, resource: target },
        contextVariables: { 'aws:PrincipalArn': principal, 'aws:PrincipalAccount': ACCOUNT, 'aws:SecureTransport': 'true' },
      },
    } as any, {});
    if (result.resultType !== 'single') throw new Error(`unexpected simulation: ${JSON.stringify(result)}`);
    if ((result.result as any).ignoredContextKeys?.length) throw new Error(`the simulator ignored ${(result.result as any).ignoredContextKeys}`);
    return result.overallResult as Decision;
  }

  test('the Deny leaves a DEVELOPMENT stack destroyable (CDK\'s auto-delete calls) and the bucket\'s policy fixable; it denies reading to all but the listed reader', async () => {
    // GIVEN: a DEVELOPMENT load balancer, whose bucket CDK empties on destroy
    const reader = 'arn:aws:iam::123456789012:role/SecurityAudit-1';
    const { stack, make } = standalone();
    make({ accessLogReaders: ['arn:aws:iam::123456789012:role/SecurityAudit*'] });
    const app = new IamApp(stack.node.root as App);
    const bucketArn = app.getAtt('LoadBalancer/AccessLogs', 'Arn');
    const object = `${bucketArn}/AWSLogs/123456789012/elasticloadbalancing/us-east-1/2026/12/07/log.gz`;
    const autoDelete = app.role('Custom::S3AutoDeleteObjectsCustomResourceProvider/Role').arn;
    const admin = 'arn:aws:iam::123456789012:role/Admin';

    // THEN: every call of the auto-delete handler (aws-cdk-lib custom-resource-handlers/dist/aws-s3/auto-delete-objects-handler:
    // GetBucketTagging, GetBucketPolicy, PutBucketPolicy, ListObjectVersions, DeleteObjects of versions) is allowed
    const calls: [string, string][] = [
      ['s3:GetBucketTagging', bucketArn], ['s3:GetBucketPolicy', bucketArn], ['s3:PutBucketPolicy', bucketArn],
      ['s3:ListBucketVersions', bucketArn], ['s3:DeleteObject', object], ['s3:DeleteObjectVersion', object],
    ];
    for (const [action, target] of calls) expect([action, await s3Decides(app, autoDelete, action, target)]).toEqual([action, 'Allowed']);
    // An administrator still empties the bucket (the README's teardown) and can change its policy, but reads nothing
    for (const action of ['s3:ListBucketVersions', 's3:PutBucketPolicy']) expect(await s3Decides(app, admin, action, bucketArn, ['s3:*'])).toBe('Allowed');
    expect(await s3Decides(app, admin, 's3:DeleteObjectVersion', object, ['s3:*'])).toBe('Allowed');
    expect(await s3Decides(app, admin, 's3:GetObject', object, ['s3:*'])).toBe('ExplicitlyDenied');
    expect(await s3Decides(app, admin, 's3:GetObjectVersion', object, ['s3:*'])).toBe('ExplicitlyDenied');
    expect(await s3Decides(app, autoDelete, 's3:GetObject', object)).toBe('ExplicitlyDenied');
    // The listed reader (a wildcard ARN) reads
    expect(await s3Decides(app, reader, 's3:GetObject', object, ['s3:GetObject'])).toBe('Allowed');
  });

  test('with no reader listed nobody reads, the auto-delete still empties the bucket', async () => {
    const { stack, make } = standalone();
    make();
    const app = new IamApp(stack.node.root as App);
    const bucketArn = app.getAtt('LoadBalancer/AccessLogs', 'Arn');
    const object = `${bucketArn}/AWSLogs/log.gz`;
    const autoDelete = app.role('Custom::S3AutoDeleteObjectsCustomResourceProvider/Role').arn;
    expect(await s3Decides(app, 'arn:aws:iam::123456789012:role/SecurityAudit-1', 's3:GetObject', object, ['s3:GetObject'])).toBe('ExplicitlyDenied');
    expect(await s3Decides(app, autoDelete, 's3:DeleteObjectVersion', object)).toBe('Allowed');
  });
});
