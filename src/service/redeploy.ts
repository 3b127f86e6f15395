import {
  Duration, RemovalPolicy,
  aws_cloudwatch as cloudwatch, aws_ecs as ecs, aws_events as events, aws_events_targets as targets, aws_iam as iam, aws_logs as logs,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { anyErrorAlarm } from '../private/alarms';
import { functionRole } from '../private/function-role';
import { acknowledgeFunction } from '../private/nag';
import { rotationSucceededPattern } from '../private/rotation-pattern';
import { RedeployFunction } from '../rotation/redeploy-function';
import { LiteLlmSecurity } from '../security';

/**
 * After the master key rotates, new tasks must read the new value: a rule on Secrets
 * Manager's RotationSucceeded event forces a rolling deployment (min healthy 100 %,
 * so no downtime). The database password's rotation concerns administrators only:
 * the tasks log in with IAM tokens. Returns the alarm on the function's errors.
 */
export function addRedeployOnRotation(
  scope: Construct, cluster: ecs.ICluster, service: ecs.FargateService,
  security: LiteLlmSecurity, removalPolicy: RemovalPolicy, retention: logs.RetentionDays,
): cloudwatch.Alarm {
  const logGroup = new logs.LogGroup(scope, 'RedeployFunctionLogs', {
    encryptionKey: security.encryptionKey,
    retention,
    removalPolicy,
  });
  const fn = new RedeployFunction(scope, 'RedeployFunction', {
    description: 'Forces a new LiteLLM deployment after a master key rotation',
    timeout: Duration.minutes(1),
    environment: { CLUSTER_ARN: cluster.clusterArn, SERVICE_NAME: service.serviceName },
    logGroup,
    role: functionRole(scope, 'RedeployFunctionRole', logGroup),
  });
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['ecs:UpdateService'], resources: [service.serviceArn] }));
  const alarm = anyErrorAlarm(scope, 'RedeployErrorsAlarm', fn.metricErrors(),
    'Redeploying LiteLLM after a master key rotation failed: old tasks hold the previous key until they are replaced');
  acknowledgeFunction(fn, fn.role!,
    'Lambda first retries a failed invocation twice (an operator can then redeploy with `aws ecs update-service --force-new-deployment`)');
  new events.Rule(scope, 'RedeployOnRotation', {
    description: 'Redeploy LiteLLM when its master key rotation succeeds',
    eventPattern: rotationSucceededPattern([security.masterKeySecret.secretArn]),
    targets: [new targets.LambdaFunction(fn, { retryAttempts: 4 })],
  });
  return alarm;
}
