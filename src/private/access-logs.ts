import { Aws, CfnCondition, CfnMapping, Fn, Stack, Token, aws_elasticloadbalancingv2 as elbv2, aws_iam as iam, aws_s3 as s3 } from 'aws-cdk-lib';
import { RegionInfo } from 'aws-cdk-lib/region-info';

const NEW_REGION = 'none';

/**
 * Turns on a load balancer's access logs into `bucket`, in any stack. With a concrete
 * region CDK's own `logAccessLogs` names the delivery principal. In a region-agnostic
 * stack the principal is resolved at deploy: regions opened before August 2022 deliver
 * from a regional ELB account (a mapping from CDK's region facts), newer ones from the
 * `logdelivery.elasticloadbalancing.amazonaws.com` service principal. A region this CDK
 * version does not know fails the deploy at the mapping lookup; give such a stack its region.
 */
export function logAccessLogs(loadBalancer: elbv2.ApplicationLoadBalancer, bucket: s3.Bucket, prefix: string): void {
  const stack = Stack.of(loadBalancer);
  if (!Token.isUnresolved(stack.region)) {
    loadBalancer.logAccessLogs(bucket, prefix);
    return;
  }
  loadBalancer.setAttribute('access_logs.s3.enabled', 'true');
  loadBalancer.setAttribute('access_logs.s3.bucket', bucket.bucketName);
  loadBalancer.setAttribute('access_logs.s3.prefix', prefix);
  const logs = bucket.arnForObjects(`${prefix}/AWSLogs/${stack.account}/*`);

  const account = deliveryAccounts(stack).findInMap(Aws.REGION, 'account');
  const legacy = stack.node.tryFindChild('LiteLlmElbLegacyRegion') as CfnCondition | undefined
    ?? new CfnCondition(stack, 'LiteLlmElbLegacyRegion', { expression: Fn.conditionNot(Fn.conditionEquals(account, NEW_REGION)) });
  // In a newer region the statement names the stack's own account, which changes nothing.
  const principal = Fn.conditionIf(legacy.logicalId,
    `arn:${Aws.PARTITION}:iam::${account}:root`, `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:root`).toString();
  bucket.addToResourcePolicy(new iam.PolicyStatement({
    actions: ['s3:PutObject'], principals: [new iam.ArnPrincipal(principal)], resources: [logs],
  }));
  bucket.addToResourcePolicy(new iam.PolicyStatement({
    actions: ['s3:PutObject'],
    principals: [new iam.ServicePrincipal('logdelivery.elasticloadbalancing.amazonaws.com')],
    resources: [logs],
  }));
  const policy = bucket.policy?.node.defaultChild;
  if (policy) loadBalancer.node.defaultChild?.node.addDependency(policy);
}

function deliveryAccounts(stack: Stack): CfnMapping {
  const id = 'LiteLlmElbLogDelivery';
  const existing = stack.node.tryFindChild(id) as CfnMapping | undefined;
  if (existing) return existing;
  const mapping: Record<string, Record<string, string>> = {};
  for (const region of RegionInfo.regions) {
    mapping[region.name] = { account: region.elbv2Account ?? NEW_REGION };
  }
  // Lazy: rendered because findInMap's region is only known at deploy, and no synth INFO.
  return new CfnMapping(stack, id, { mapping, lazy: true });
}
