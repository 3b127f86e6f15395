import { Duration, aws_cloudwatch as cloudwatch } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/**
 * Alarms when a function's `Errors` metric is above zero in 5 minutes. The platform's
 * functions run a few times a month, so a single failure (a rotation step, a redeploy)
 * is worth a notification.
 */
export function anyErrorAlarm(scope: Construct, id: string, errors: cloudwatch.Metric, description: string): cloudwatch.Alarm {
  return errors.with({ period: Duration.minutes(5), statistic: 'Sum' }).createAlarm(scope, id, {
    alarmDescription: description,
    threshold: 0,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
}
