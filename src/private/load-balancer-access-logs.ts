import { Duration, RemovalPolicy, aws_elasticloadbalancingv2 as elbv2, aws_iam as iam, aws_logs as logs, aws_s3 as s3 } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { logAccessLogs } from './access-logs';
import { acknowledge } from './nag';
import { check } from './validate';

/** Each of `readers` must be an IAM role or user ARN (the access logs bucket's policy names them). */
export function checkAccessLogReaders(readers: string[]): void {
  for (const arn of readers) {
    check(arn, a => /^arn:[^:]+:iam::[^:]*:(role|user)\/.+/.test(a),
      a => `\`accessLogReaders\` has "${a}", which is not an IAM role or user ARN: write e.g. "arn:aws:iam::123456789012:role/SecurityAudit"`);
  }
}

/** The access logs bucket (SSE-S3, the only encryption log delivery supports), and delivery into it. */
export function addAccessLogs(
  scope: Construct, loadBalancer: elbv2.ApplicationLoadBalancer, retentionDays: number, removalPolicy: RemovalPolicy, readers: string[],
): s3.Bucket {
  const bucket = new s3.Bucket(scope, 'AccessLogs', {
    // ALB access logs support SSE-S3 only.
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    versioned: true,
    lifecycleRules: [{
      expiration: retentionDays === logs.RetentionDays.INFINITE ? undefined : Duration.days(retentionDays),
      noncurrentVersionExpiration: Duration.days(1),
    }],
    removalPolicy,
    autoDeleteObjects: removalPolicy === RemovalPolicy.DESTROY,
  });
  logAccessLogs(loadBalancer, bucket, 'alb');
  // Request lines carry keys LiteLLM accepts in the URL (`?key=`: user_api_key_auth.py:1418-1425;
  // `/key/{key}/regenerate`, `/key/{key}/reset_spend`: key_management_endpoints.py:6059, 6521),
  // which ALB access logs record as sent: an account-wide read grant must not reach them.
  bucket.addToResourcePolicy(new iam.PolicyStatement({
    sid: 'OnlyListedReadersReadAccessLogs',
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: ['s3:GetObject', 's3:GetObjectVersion'],
    resources: [bucket.arnForObjects('*')],
    conditions: readers.length > 0 ? { ArnNotLike: { 'aws:PrincipalArn': readers } } : undefined,
  }));
  const logsReason = 'This bucket receives the load balancer\'s access logs; logging its own access would recurse.';
  acknowledge(bucket, 'AwsSolutions-S1', logsReason);
  acknowledge(bucket, 'NIST.800.53.R5-S3BucketLoggingEnabled', logsReason);
  acknowledge(bucket, 'NIST.800.53.R5-S3DefaultEncryptionKMS', 'Load balancer access log delivery supports SSE-S3 only.');
  acknowledge(bucket, 'NIST.800.53.R5-S3BucketReplicationEnabled',
    `${retentionDays === logs.RetentionDays.INFINITE ? 'Access logs are kept' : `Access logs expire after ${retentionDays} days`}; replicate them with your organization's log archive if you need a copy.`);
  return bucket;
}
