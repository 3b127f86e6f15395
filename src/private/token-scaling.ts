import { Duration, Names, aws_applicationautoscaling as appscaling, aws_cloudwatch as cloudwatch, aws_ecs as ecs } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { LiteLlmMetrics } from '../metrics';

/**
 * Target tracking on the tokens each task handles per minute: the tokens all tasks reported
 * divided by how many tasks reported (the collectors' scrapes). aws-cdk-lib's target
 * tracking takes one metric, not metric math, so the policy is written as CloudFormation's
 * `CustomizedMetricSpecification.Metrics`.
 */
export function scaleOnTokens(
  scope: Construct, scaling: ecs.ScalableTaskCount, metrics: LiteLlmMetrics, tokensPerTarget: number,
  cooldowns: { scaleInCooldown: Duration; scaleOutCooldown: Duration },
): appscaling.CfnScalingPolicy {
  const target = scaling.node.findChild('Target') as appscaling.ScalableTarget;
  const minute = Duration.minutes(1);
  const stat = (id: string, metric: cloudwatch.Metric) => {
    const config = metric.toMetricConfig().metricStat!;
    return {
      id,
      returnData: false,
      metricStat: {
        metric: {
          namespace: config.namespace,
          metricName: config.metricName,
          dimensions: config.dimensions?.map(d => ({ name: d.name, value: d.value })),
        },
        stat: 'Sum',
      },
    };
  };
  return new appscaling.CfnScalingPolicy(scope, 'TokensScaling', {
    policyName: `${Names.uniqueId(scope)}Tokens`.slice(-255),
    policyType: 'TargetTrackingScaling',
    scalingTargetId: target.scalableTargetId,
    targetTrackingScalingPolicyConfiguration: {
      targetValue: tokensPerTarget,
      scaleInCooldown: cooldowns.scaleInCooldown.toSeconds(),
      scaleOutCooldown: cooldowns.scaleOutCooldown.toSeconds(),
      customizedMetricSpecification: {
        metrics: [
          stat('tokensIn', metrics.metricInputTokens({ period: minute })),
          stat('tokensOut', metrics.metricOutputTokens({ period: minute })),
          stat('tasks', metrics.metricReportingTasks({ period: minute })),
          {
            id: 'tokensPerTask',
            // ReportingTasks' per-minute Sum is the reporting tasks at any allowed scrape interval
            // (one that divides the 60 s period Application Auto Scaling reads custom metrics at).
            expression: '(FILL(tokensIn, 0) + FILL(tokensOut, 0)) / tasks',
            label: 'Tokens per task per minute',
            returnData: true,
          },
        ],
      },
    },
  });
}
