import { aws_ec2 as ec2 } from 'aws-cdk-lib';

/**
 * The VPC's private subnets: with egress when it has a NAT gateway, isolated when
 * it has none. Tasks, database, rotation, endpoints and an internal ALB live there.
 */
export function privateSubnetsOf(vpc: ec2.IVpc): ec2.SubnetSelection {
  return { subnets: vpc.privateSubnets.length ? vpc.privateSubnets : vpc.isolatedSubnets };
}
