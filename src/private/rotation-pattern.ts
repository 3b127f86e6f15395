import { aws_events as events } from 'aws-cdk-lib';

/** EventBridge pattern of Secrets Manager's RotationSucceeded event for these secrets. */
export function rotationSucceededPattern(secretArns: string[]): events.EventPattern {
  return {
    source: ['aws.secretsmanager'],
    detailType: ['AWS Service Event via CloudTrail'],
    detail: { eventName: ['RotationSucceeded'], additionalEventData: { SecretId: secretArns } },
  };
}
