import { Stack, Validations, aws_cloudfront as cloudfront } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { acknowledge } from './nag';
import type { LiteLlmCloudFrontProps } from '../cloudfront';

/** CDK's singleton AwsCustomResource function id (`AWS` + its uuid without dashes). */
const AWS_CUSTOM_RESOURCE_ID = 'AWS679f53fac002430cb0da5b7982bd2287';

/** What the rule packs report on the distribution, by choice, and on the lookup's function. */
export function acknowledgeDistribution(distribution: cloudfront.Distribution, props: LiteLlmCloudFrontProps, loadBalancerWaf: boolean): void {
  acknowledge(distribution, 'AwsSolutions-CFR1',
    'An LLM gateway for a team\'s clients wherever they are; add a geo restriction on `distribution` where a policy demands one.');
  if (props.webAclArn === undefined) {
    acknowledge(distribution, 'AwsSolutions-CFR2', loadBalancerWaf
      ? 'WAF filters at the load balancer behind it (regional web ACL: body and header rules, rate limit per client address from a header only CloudFront writes). '
        + 'Its IP reputation rule group sees CloudFront\'s address, not the client\'s (the last proxy, aws-managed-rule-groups-ip-rep.html): '
        + 'for that, `cloudFront.webAclArn` adds a global web ACL at the edge.'
      : 'No WAF by choice (DEVELOPMENT default); `loadBalancer.waf.enabled` adds one at the load balancer, `cloudFront.webAclArn` one on the distribution.');
  }
  acknowledge(distribution, 'AwsSolutions-CFR3',
    'The load balancer\'s access logs record every request that reaches LiteLLM, in a bucket only named readers may read, though with CloudFront\'s address as the client\'s; '
      + 'CloudFront\'s would copy the query strings (where LiteLLM takes keys) into a bucket with ACLs. A web ACL at the edge (`cloudFront.webAclArn`) can log client addresses.');
  if (!props.certificate) {
    acknowledge(distribution, 'AwsSolutions-CFR4',
      'The *.cloudfront.net certificate, for HTTPS from the first deploy without a domain; CloudFront then sets the policy itself. `cloudFront.domainName` and `certificate` use TLSv1.2_2021.');
  }
  acknowledgeLookupFunction(Stack.of(distribution));
}

/**
 * CDK's stack-wide AwsCustomResource function, which finds the VPC origin's security group, in a
 * stack where nothing acknowledged its findings yet (with the database, LiteLlmDatabase does).
 */
function acknowledgeLookupFunction(stack: Stack): void {
  const fn = stack.node.tryFindChild(AWS_CUSTOM_RESOURCE_ID);
  if (!fn) return;
  // Validations.acknowledge records a rule id as `annotation::<id>`; ids holding '::' are recorded as they are (nag.ts).
  const acknowledged = (id: string) => fn.node.metadata.some(m => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY
    && (id in (m.data ?? {}) || `annotation::${id}` in (m.data ?? {})));
  const reasons: [string, string][] = [
    ['AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'CDK\'s AwsCustomResource function, which runs the platform\'s deploy-time lookups; the policy only lets it write its own logs.'],
    ['AwsSolutions-L1', 'CDK\'s AwsCustomResource function: aws-cdk-lib picks its Node.js runtime (a supported LTS) for the SDK it bundles; no prop sets it.'],
    ['NIST.800.53.R5-LambdaInsideVPC', 'CDK\'s AwsCustomResource function calls AWS APIs only and reaches nothing inside the VPC.'],
    ['NIST.800.53.R5-LambdaConcurrency', 'Runs at deploy only; reserving concurrency fails in accounts at the minimum unreserved quota.'],
    ['NIST.800.53.R5-LambdaDLQ', 'CloudFormation invokes it at deploy and waits for its answer: a failure fails and rolls back the deploy with the reason.'],
    ['NIST.800.53.R5-IAMNoInlinePolicy', 'CDK\'s AwsCustomResource function role, created and scoped by aws-cdk-lib.'],
  ];
  for (const [id, reason] of reasons) {
    if (!acknowledged(id)) acknowledge(fn as IConstruct, id, reason);
  }
}
