import { Annotations, Token, aws_elasticloadbalancingv2 as elbv2, aws_route53 as route53, aws_route53_targets as route53targets } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { check } from './validate';
import type { LiteLlmLoadBalancerProps } from '../load-balancer';

/**
 * The alias records of `domainName` in `domainZone` (AAAA too on a dual-stack load balancer),
 * and the URL the domain gives, if any.
 */
export function addDomainRecords(
  scope: Construct, loadBalancer: elbv2.ApplicationLoadBalancer, props: LiteLlmLoadBalancerProps,
): { record?: route53.ARecord; ipv6Record?: route53.AaaaRecord; url?: string } {
  if (props.domainName !== undefined && props.domainZone) {
    const alias = {
      zone: props.domainZone,
      recordName: props.domainName,
      target: route53.RecordTarget.fromAlias(new route53targets.LoadBalancerTarget(loadBalancer)),
    };
    const record = new route53.ARecord(scope, 'AliasRecord', alias);
    const ipv6Record = props.dualStack ? new route53.AaaaRecord(scope, 'AliasRecordIpv6', alias) : undefined;
    return { record, ipv6Record, url: `https://${fqdn(props.domainName, props.domainZone.zoneName)}` };
  } else if (props.domainName !== undefined) {
    return { url: `https://${props.domainName}` };
  } else if (props.certificate && props.publicUrl === undefined) {
    Annotations.of(scope).addWarningV2('cdk-litellm:certificateName', 'With `certificate` and no `domainName`, the URL (and the Url output) is the load '
      + 'balancer\'s own DNS name, which the certificate does not name: clients would fail its TLS check. Set `domainName` to the name your DNS points at the load balancer.');
  }
  return {};
}

/**
 * `publicUrl` without a trailing slash. An origin only: the load balancer forwards paths as
 * they come, so LiteLLM serves at the root and a path in its `PROXY_BASE_URL` would break the
 * admin UI's links.
 */
export function publicUrl(url: string): string {
  if (Token.isUnresolved(url)) return url;
  check(url, u => /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?\/?$/.test(u),
    u => `\`publicUrl\` ("${u}") must be an https:// or http:// origin with no path, query or user, e.g. "https://llm.example.com"`);
  return url.replace(/\/$/, '');
}

/** `recordName` in `zoneName`, unless it already ends with the zone. */
export function fqdn(recordName: string, zoneName: string): string {
  if (Token.isUnresolved(recordName) || Token.isUnresolved(zoneName)) return `${recordName}.${zoneName}`;
  const zone = zoneName.replace(/\.$/, '');
  return recordName === zone || recordName.endsWith(`.${zone}`) ? recordName : `${recordName}.${zone}`;
}
