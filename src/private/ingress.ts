import { aws_ec2 as ec2 } from 'aws-cdk-lib';
import { acknowledge } from './nag';

/** Why a rule whose CIDR is a reference (the VPC's) passes the rule packs' open-port checks. */
export function unresolvedCidrReason(what: string): string {
  return `Ingress is ${what}; the rule pack cannot resolve a CIDR reference and assumes any address.`;
}

/** Acknowledges the open-port findings a CIDR reference raises on `securityGroup`. */
export function acknowledgeCidrReference(securityGroup: ec2.ISecurityGroup, reason: string): void {
  for (const rule of ['AwsSolutions-EC23', 'NIST.800.53.R5-EC2RestrictedCommonPorts', 'NIST.800.53.R5-EC2RestrictedSSH']) {
    acknowledge(securityGroup, rule, reason);
  }
}
