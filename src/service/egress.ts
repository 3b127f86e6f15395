import { Annotations, aws_ec2 as ec2 } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { LiteLlmNetwork } from '../network';
import { egressPorts, egressRanges, egressRuleDescription, unresolvedEndpoints } from '../private/egress';

/**
 * Outbound rules LiteLlmNetwork gives the service security group (443 anywhere, the database,
 * the cache; the IPv6 443 rule counts apart), out of the 60 a security group holds by default
 * (https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html).
 */
const PLATFORM_EGRESS_RULES = 3;
/** Rules the config's ports may take. */
const MAX_CONFIG_EGRESS_RULES = 60 - PLATFORM_EGRESS_RULES;

/**
 * The service security group lets tasks out on 443 only (besides the database and the
 * cache): open each other port a model, callback or setting of the config calls, one rule
 * per run of adjacent ports, in this stack, so the rule comes and goes with the config that needs it.
 */
export function openEgress(
  scope: Construct, network: LiteLlmNetwork, config: string, environment: { [name: string]: string }, wired: string[],
): void {
  const ranges = egressRanges(egressPorts(config, environment));
  if (ranges.length > MAX_CONFIG_EGRESS_RULES) {
    throw new Error(`the config calls ${ranges.length} separate port ranges other than 443 (${ranges.map(r => (r.fromPort === r.toPort ? r.fromPort : `${r.fromPort}-${r.toPort}`)).join(', ')}), `
      + `over the ${MAX_CONFIG_EGRESS_RULES} egress rules the service security group has room for (a security group holds 60 outbound rules, `
      + `the platform uses ${PLATFORM_EGRESS_RULES}): serve those endpoints on 443 or on adjacent ports (one rule opens a run of adjacent ports), or put them behind one proxy`);
  }
  for (const egress of ranges) {
    const rule = {
      groupId: network.serviceSecurityGroup.securityGroupId,
      ipProtocol: 'tcp',
      fromPort: egress.fromPort,
      toPort: egress.toPort,
      description: egressRuleDescription(egress),
    };
    const id = `Egress${egress.fromPort}${egress.toPort === egress.fromPort ? '' : `to${egress.toPort}`}`;
    new ec2.CfnSecurityGroupEgress(scope, id, { ...rule, cidrIp: '0.0.0.0/0' });
    // Tasks with an IPv6 address try AAAA first: a dropped packet would stall each call.
    if (network.dualStack) new ec2.CfnSecurityGroupEgress(scope, `${id}Ipv6`, { ...rule, cidrIpv6: '::/0' });
  }
  // The database and the cache, which the platform wires and opens itself, are not the user's to open.
  const unresolved = unresolvedEndpoints(config, environment, wired);
  if (unresolved.length > 0) {
    Annotations.of(scope).addWarningV2('cdk-litellm:egressUnresolved',
      `${unresolved.join(', ')} ${unresolved.length === 1 ? 'is' : 'are'} only known at deploy or run time, so no egress rule is opened for `
      + `${unresolved.length === 1 ? 'it' : 'them'}: tasks reach 443 only; for another port add a rule to \`network.serviceSecurityGroup\``);
  }
}
