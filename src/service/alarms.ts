import { Duration, aws_cloudwatch as cloudwatch, aws_ecs as ecs } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { LiteLlmLoadBalancer } from '../load-balancer';

/** The service's own alarms. */
export interface ServiceAlarms {
  readonly cpu: cloudwatch.Alarm;
  readonly memory: cloudwatch.Alarm;
  readonly unhealthyHosts: cloudwatch.Alarm;
}

/** CPU, memory and unhealthy hosts alarms (LiteLLM's 5xx are the load balancer's: `LiteLlmLoadBalancer.target5xxAlarm`). */
export function createAlarms(scope: Construct, service: ecs.FargateService, lb: LiteLlmLoadBalancer): ServiceAlarms {
  const five = Duration.minutes(5);
  const cpu = service.metricCpuUtilization({ period: five }).createAlarm(scope, 'CpuAlarm', {
    alarmDescription: 'LiteLLM tasks CPU above 85 % for 15 minutes',
    threshold: 85,
    evaluationPeriods: 3,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  const memory = service.metricMemoryUtilization({ period: five }).createAlarm(scope, 'MemoryAlarm', {
    alarmDescription: 'LiteLLM tasks memory above 90 % for 15 minutes',
    threshold: 90,
    evaluationPeriods: 3,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  const unhealthyHosts = lb.metricUnhealthyHostCount({ period: Duration.minutes(1), statistic: 'Maximum' }).createAlarm(scope, 'UnhealthyHostsAlarm', {
    alarmDescription: 'A LiteLLM task failed its load balancer health check for 3 minutes',
    threshold: 1,
    evaluationPeriods: 3,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  return { cpu, memory, unhealthyHosts };
}
