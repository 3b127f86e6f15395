import { aws_ecs as ecs } from 'aws-cdk-lib';
import { acknowledge, INLINE_POLICY_REASON, pullsFromEcr } from '../private/nag';

/** cdk-nag acknowledgements of the task definition, its roles and the cluster, each with its reason. */
export function acknowledgeFindings(
  cluster: ecs.Cluster, taskDefinition: ecs.FargateTaskDefinition, containerInsights: boolean, bedrockArns: string[],
): void {
  acknowledge(taskDefinition.taskRole, 'NIST.800.53.R5-IAMNoInlinePolicy', INLINE_POLICY_REASON);
  acknowledge(taskDefinition.obtainExecutionRole(), 'NIST.800.53.R5-IAMNoInlinePolicy', INLINE_POLICY_REASON);
  if (pullsFromEcr(taskDefinition.obtainExecutionRole())) {
    acknowledge(taskDefinition.obtainExecutionRole(), 'AwsSolutions-IAM5[Resource::*]',
      'ecr:GetAuthorizationToken, which pulling an image from ECR needs, has no resource-level permissions; the pull itself is granted on the one repository.');
  }
  acknowledge(taskDefinition, 'AwsSolutions-ECS2',
    'The environment holds settings only (log level, mode, the rendered config without keys); every key and password is an ECS secret.');
  if (!containerInsights) {
    acknowledge(cluster, 'AwsSolutions-ECS4', 'Container Insights is off by choice (DEVELOPMENT profile or containerInsights: false).');
  }
  for (const arn of bedrockArns.filter(a => a.includes(':bedrock:*::foundation-model/'))) {
    acknowledge(taskDefinition.taskRole, `AwsSolutions-IAM5[Resource::${arn.replace(/^arn:[^:]+:/, 'arn:<AWS::Partition>:')}]`,
      'A cross-region inference profile routes to this one foundation model in several regions; the region is the only wildcard.');
  }
}
