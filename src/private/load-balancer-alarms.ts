import { Duration, aws_cloudwatch as cloudwatch, aws_elasticloadbalancingv2 as elbv2 } from 'aws-cdk-lib';
import type { LiteLlmLoadBalancer } from '../load-balancer';

/** The load balancer's 5xx, LiteLLM's 5xx and p99 latency alarms. */
export function createAlarms(
  scope: LiteLlmLoadBalancer, latency: Duration,
): { loadBalancer5xx: cloudwatch.Alarm; target5xx: cloudwatch.Alarm; latency: cloudwatch.Alarm } {
  const five = Duration.minutes(5);
  const loadBalancer5xx = scope.metricHttpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { period: five, statistic: 'Sum' }).createAlarm(scope, 'LoadBalancer5xxAlarm', {
    alarmDescription: 'The LiteLLM load balancer returned more than 10 of its own 5xx in 5 minutes, twice in a row',
    threshold: 10,
    evaluationPeriods: 2,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  const target5xx = scope.metricHttpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period: five, statistic: 'Sum' }).createAlarm(scope, 'Target5xxAlarm', {
    alarmDescription: 'LiteLLM returned more than 10 5xx responses in 5 minutes, twice in a row',
    threshold: 10,
    evaluationPeriods: 2,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  const latencyAlarm = scope.metricTargetResponseTime({ period: five, statistic: 'p99' }).createAlarm(scope, 'LatencyAlarm', {
    alarmDescription: `LiteLLM p99 response time above ${latency.toSeconds()} s for 15 minutes`,
    threshold: latency.toSeconds(),
    evaluationPeriods: 3,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  return { loadBalancer5xx, target5xx, latency: latencyAlarm };
}
