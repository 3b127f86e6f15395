import { Stack, Token, aws_certificatemanager as acm, aws_ec2 as ec2, aws_elasticloadbalancingv2 as elbv2 } from 'aws-cdk-lib';
import { check } from './validate';
import type { LiteLlmCloudFrontProps } from '../cloudfront';
import type { LiteLlmLoadBalancer } from '../load-balancer';

/**
 * The longest origin response timeout a VPC origin takes, after a quota raise: "the maximum is 120
 * seconds" (`OriginReadTimeout`,
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-cloudfront-distribution-vpcoriginconfig.html).
 * aws-cdk accepts up to 180, the range of custom origins; VPC origins are the only origin here.
 */
export const MAX_ORIGIN_RESPONSE_TIMEOUT_SECONDS = 120;

/**
 * The partition of a region CloudFront VPC origins do not serve, if `region` is one: GovCloud and
 * the ISO regions have no `AWS::CloudFront::*` resource types, and China has distributions but
 * neither VPC origins nor CloudFront Functions (cfn-lint's per-region resource specifications),
 * and serves no `*.cloudfront.cn` name without an ICP-registered domain ("Amazon CloudFront",
 * Amazon Web Services in China user guide).
 */
export function unservedPartition(region: string): string | undefined {
  if (Token.isUnresolved(region)) return undefined;
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (/^(us|eu)-iso/.test(region)) return 'an ISO partition';
  // CloudFront launched in the European Sovereign Cloud; VPC origins there are not documented, and
  // its certificates and web ACLs would not live in us-east-1.
  if (region.startsWith('eusc-')) return 'aws-eusc';
  return undefined;
}

/** Refuses a LiteLlmCloudFront in a region CloudFront VPC origins do not serve. */
export function checkRegion(region: string): void {
  const partition = unservedPartition(region);
  if (partition !== undefined) {
    throw new Error(`LiteLlmCloudFront: the stack is in ${region} (${partition}), where CloudFront has no VPC origins: `
      + 'serve HTTPS from the load balancer instead (`domainName` with `domainZone` or `certificate`)');
  }
}

/** The distribution's own settings: the timeout's range, the domain and its certificate, a global web ACL. */
export function checkCloudFrontProps(props: LiteLlmCloudFrontProps): void {
  if (props.enabled === false) {
    throw new Error('LiteLlmCloudFront: `enabled` is false, but a LiteLlmCloudFront is always on: to go without CloudFront, do not create it '
      + '(in LiteLlmPlatform, `cloudFront.enabled: false`)');
  }
  check(props.originResponseTimeout?.toSeconds({ integral: false }), s => Number.isInteger(s) && s >= 1 && s <= MAX_ORIGIN_RESPONSE_TIMEOUT_SECONDS,
    s => `\`cloudFront.originResponseTimeout\` (${s} s) must be a whole number of seconds from 1 to ${MAX_ORIGIN_RESPONSE_TIMEOUT_SECONDS} (a VPC origin's limits; above 60 only after raising the CloudFront quota "Response timeout per origin"), e.g. Duration.seconds(60)`);
  if (props.domainName !== undefined && !props.certificate) {
    throw new Error(`\`cloudFront.domainName\` ("${props.domainName}") needs \`cloudFront.certificate\`: an ACM certificate for that name in us-east-1, where CloudFront reads certificates`);
  }
  if (props.certificate && props.domainName === undefined) {
    throw new Error('`cloudFront.certificate` is set without `cloudFront.domainName`: set domainName to the name the certificate holds and your DNS points at the distribution, or remove the certificate');
  }
  // No wildcard: the name becomes the URL clients and LiteLLM's PROXY_BASE_URL use; a wildcard belongs on the certificate.
  check(props.domainName, n => /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?\.[A-Za-z0-9-]+$/.test(n),
    n => `\`cloudFront.domainName\` ("${n}") must be a fully qualified DNS name such as "llm.example.com", without a wildcard `
      + '(it is the URL clients and LiteLLM use): name one host, which a wildcard certificate ("*.example.com") may cover');
  if (props.certificate) {
    const region = certificateRegion(props.certificate);
    if (region !== undefined && region !== 'us-east-1') {
      throw new Error(`\`cloudFront.certificate\` is in ${region}, but CloudFront reads certificates from us-east-1 only: `
        + 'request or import the certificate in us-east-1 (e.g. in a stack in us-east-1 with `crossRegionReferences: true`)');
    }
  }
  check(props.webAclArn, arn => /^arn:aws[A-Za-z-]*:wafv2:us-east-1:\d{12}:global\/webacl\/[^/]+\/[^/]+$/.test(arn),
    arn => `\`cloudFront.webAclArn\` ("${arn}") must be the ARN of a web ACL of scope CLOUDFRONT (arn:aws:wafv2:us-east-1:<account>:global/webacl/<name>/<id>): `
      + 'a regional web ACL cannot be associated with a distribution; the load balancer\'s own (`loadBalancer.waf`) stays regional');
}

/**
 * The region of a certificate, when synth can tell: from its ARN, else the region of the stack
 * holding an `acm.Certificate` (its resource is created there). Other certificates may live
 * elsewhere than their stack (`DnsValidatedCertificate`'s `region`, a cross-region reference):
 * unknown, accepted.
 */
function certificateRegion(certificate: acm.ICertificate): string | undefined {
  const arn = certificate.certificateArn;
  if (!Token.isUnresolved(arn)) return arn.split(':')[3] || undefined;
  if (!(certificate.node.defaultChild instanceof acm.CfnCertificate)) return undefined;
  const region = Stack.of(certificate).region;
  return Token.isUnresolved(region) ? undefined : region;
}

/**
 * A load balancer a VPC origin can reach and nothing else should: internal, serving HTTP (no
 * certificate: the VPC origin speaks HTTP to it), in a VPC with an internet gateway. (Fronted once, and
 * before a service uses it: `LiteLlmLoadBalancer._frontWith` checks.)
 */
export function checkOrigin(loadBalancer: LiteLlmLoadBalancer): void {
  const path = loadBalancer.node.path;
  if ((loadBalancer.loadBalancer.node.defaultChild as elbv2.CfnLoadBalancer).scheme !== 'internal') {
    throw new Error(`LiteLlmCloudFront: the load balancer ${path} is internet-facing, so clients could bypass CloudFront: `
      + 'create it with `internetFacing: false` and `allowedPeers: []` (LiteLlmPlatform does this itself when `cloudFront` is on)');
  }
  if (loadBalancer.certificate) {
    throw new Error(`LiteLlmCloudFront: the load balancer ${path} has a certificate and serves HTTPS, but the VPC origin speaks HTTP to it on port 80: `
      + 'remove its `certificate`/`domainName` and give the name to CloudFront instead (`cloudFront.domainName` and a us-east-1 `cloudFront.certificate`)');
  }
  const vpc = loadBalancer.loadBalancer.vpc;
  // VPC origins need an internet gateway attached to the VPC, though their traffic never uses it
  // (Prerequisites of "Restrict access with VPC origins",
  // https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-vpc-origins.html);
  // `ec2.Vpc.internetGatewayId` is set exactly when CDK attaches one (public subnets, reserved
  // ones included, and `createInternetGateway` not false). An imported VPC cannot be checked here.
  if (vpc instanceof ec2.Vpc && vpc.internetGatewayId === undefined) {
    throw new Error(`LiteLlmCloudFront: the VPC of ${path} has no internet gateway, which CloudFront VPC origins need `
      + '(the traffic itself stays private): give it a public subnet and leave `createInternetGateway` on (LiteLlmNetwork does both), or leave CloudFront off');
  }
}
