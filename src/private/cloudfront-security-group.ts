import { aws_cloudfront as cloudfront, aws_ec2 as ec2, aws_iam as iam, custom_resources as cr } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { CUSTOM_RESOURCE_TIMEOUT } from './defaults';
import { acknowledge } from './nag';
import type { LiteLlmLoadBalancer } from '../load-balancer';

/** The security group CloudFront creates in the VPC with its first VPC origin there. */
export const VPC_ORIGIN_SECURITY_GROUP_NAME = 'CloudFront-VPCOrigins-Service-SG';

/**
 * Port 80 of the load balancer from CloudFront's VPC origin only. CloudFront documents two
 * sources to admit (aws-cdk-lib's aws-cloudfront-origins README, "Restrict traffic coming to the
 * VPC origin", after "Restrict access with VPC origins" in the CloudFront Developer Guide): the
 * managed prefix list `com.amazonaws.global.cloudfront.origin-facing`, or the security group
 * `CloudFront-VPCOrigins-Service-SG` that CloudFront creates in the VPC with the origin. The
 * group is the narrower (the VPC origins of this account in this VPC, where the prefix list is
 * every CloudFront origin-facing server) and one rule; the prefix list counts its maximum
 * entries (about 55) against the 60 inbound rules of the group, and its id differs per region,
 * so a region-agnostic stack would need a lookup all the same. The group exists only once the
 * origin does, and CloudFormation does not return it: a lookup by name in the VPC
 * (ec2:DescribeSecurityGroups) after the distribution finds it at deploy. The rule sits in this
 * construct's stack, so a split keeps its references one way (CloudFront → load balancer → network).
 */
export function allowVpcOrigin(scope: Construct, loadBalancer: LiteLlmLoadBalancer, distribution: cloudfront.Distribution): void {
  const vpc = loadBalancer.loadBalancer.vpc!;
  const describe: cr.AwsSdkCall = {
    service: 'EC2',
    action: 'describeSecurityGroups',
    parameters: {
      Filters: [
        { Name: 'vpc-id', Values: [vpc.vpcId] },
        { Name: 'group-name', Values: [VPC_ORIGIN_SECURITY_GROUP_NAME] },
      ],
    },
    physicalResourceId: cr.PhysicalResourceId.fromResponse('SecurityGroups.0.GroupId'),
    outputPaths: ['SecurityGroups.0.GroupId'],
  };
  const lookup = new cr.AwsCustomResource(scope, 'VpcOriginSecurityGroup', {
    resourceType: 'Custom::LiteLlmVpcOriginSecurityGroup',
    onCreate: describe,
    onUpdate: describe,
    policy: cr.AwsCustomResourcePolicy.fromStatements([
      // DescribeSecurityGroups takes no resource-level permission (Service Authorization Reference, Amazon EC2).
      new iam.PolicyStatement({ actions: ['ec2:DescribeSecurityGroups'], resources: ['*'] }),
    ]),
    installLatestAwsSdk: false,
    serviceTimeout: CUSTOM_RESOURCE_TIMEOUT,
  });
  lookup.node.addDependency(distribution);
  const policy = lookup.node.findChild('CustomResourcePolicy');
  acknowledge(policy, 'AwsSolutions-IAM5[Resource::*]', 'ec2:DescribeSecurityGroups takes no resource-level permission; the call finds CloudFront\'s VPC origin security group by name in one VPC.');
  acknowledge(policy, 'NIST.800.53.R5-IAMNoInlinePolicy', 'ec2:DescribeSecurityGroups only, attached to CDK\'s AwsCustomResource function role.');

  const securityGroup = loadBalancer.loadBalancer.connections.securityGroups[0];
  new ec2.CfnSecurityGroupIngress(scope, 'FromVpcOrigin', {
    groupId: securityGroup.securityGroupId,
    ipProtocol: 'tcp',
    fromPort: 80,
    toPort: 80,
    sourceSecurityGroupId: lookup.getResponseField('SecurityGroups.0.GroupId'),
    description: 'HTTP from the CloudFront VPC origin',
  });
}
