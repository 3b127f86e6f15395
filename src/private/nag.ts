import { Stack, Validations, aws_iam as iam } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';

/**
 * Records why a finding of a rule pack (cdk-nag and others reading CDK's
 * acknowledged-rules metadata) is accepted on this one construct and its children.
 * Every reason is listed in the README.
 */
export function acknowledge(construct: IConstruct, id: string, reason: string): void {
  if (id.split('::').length <= 2) {
    Validations.of(construct).acknowledge({ id, reason });
    return;
  }
  // Finding ids that name an ARN (`...[Policy::arn:<AWS::Partition>:...]`) hold more
  // than one '::', which Validations.acknowledge reserves; record them under the
  // same metadata key it writes, merged as it merges them.
  const key = Validations.ACKNOWLEDGED_RULES_METADATA_KEY;
  const previous = construct.node.metadata.filter(m => m.type === key).pop()?.data ?? {};
  construct.node.addMetadata(key, { ...previous, [id]: reason });
}

/**
 * The findings every small control-plane function of the platform shares: it calls
 * AWS APIs only (no VPC), runs rarely (no reserved concurrency, which an account
 * with the minimum quota cannot spare), and its failures raise an alarm.
 */
export function acknowledgeFunction(fn: IConstruct, role: IConstruct, failure: string): void {
  acknowledge(fn, 'NIST.800.53.R5-LambdaInsideVPC', 'The function calls AWS APIs only and reaches no resource inside the VPC.');
  acknowledge(fn, 'NIST.800.53.R5-LambdaConcurrency',
    'Runs a few times a month; reserving concurrency fails in accounts at the minimum unreserved quota.');
  acknowledge(fn, 'NIST.800.53.R5-LambdaDLQ', `Failures raise a CloudWatch alarm, and ${failure}.`);
  acknowledge(role, 'NIST.800.53.R5-IAMNoInlinePolicy', INLINE_POLICY_REASON);
}

export const INLINE_POLICY_REASON = 'A policy of its own for this one role, scoped to the exact resources it uses; nothing else may attach it.';

/** How cdk-nag prints a resource in a finding id: `<LogicalId.Arn>/*`, `arn:<AWS::Partition>:s3:::name/*`. */
export function nagResource(scope: Construct, arn: string): string {
  const resolved = Stack.of(scope).resolve(arn);
  const parts: unknown[] = typeof resolved === 'string' ? [resolved] : resolved['Fn::Join'][1];
  return parts.map((p: any) => typeof p === 'string' ? p : p.Ref ? `<${p.Ref}>` : `<${p['Fn::GetAtt'].join('.')}>`).join('');
}

/** Whether the role's default policy grants ecr:GetAuthorizationToken (on `*`, its only resource). */
export function pullsFromEcr(role: iam.IRole): boolean {
  const policy = role.node.tryFindChild('DefaultPolicy') as iam.Policy | undefined;
  const statements: { Action?: string | string[] }[] = policy?.document.toJSON()?.Statement ?? [];
  return statements.some(st => ([] as string[]).concat(st.Action ?? []).includes('ecr:GetAuthorizationToken'));
}
