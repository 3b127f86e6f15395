import { ArnFormat, RemovalPolicy, Stack, aws_iam as iam, aws_kms as kms, aws_logs as logs, aws_rds as rds, custom_resources as cr } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { CUSTOM_RESOURCE_TIMEOUT } from './defaults';
import { acknowledge, nagResource } from './nag';

/** CDK's singleton LogRetention function id suffix. */
const LOG_RETENTION_UUID = 'aae0aa3c5b4d4f87b02d85b201efdd8a';
/** CDK's singleton AwsCustomResource function id (`AWS` + its uuid without dashes). */
const AWS_CUSTOM_RESOURCE_ID = 'AWS679f53fac002430cb0da5b7982bd2287';
/** The logs the instance exports to CloudWatch Logs (`/aws/rds/instance/<identifier>/<type>`). */
export const LOG_EXPORTS = ['postgresql', 'upgrade'];

/**
 * The exported log groups, encrypted with the platform key. RDS creates them itself, named
 * after the instance identifier that CloudFormation generates, as soon as the instance logs:
 * no template can create them first, and a log group resource after the instance would find
 * the name taken. So CDK's LogRetention creates a missing group and sets the retention, and
 * then `AssociateKmsKey` (through an AwsCustomResource) puts the key on it. CloudWatch Logs
 * encrypts only what it ingests afterwards with the key (up to 5 minutes later): the instance's
 * first log lines stay under CloudWatch Logs' own encryption until the retention ends.
 * A replaced instance's groups get the key the same way (its new name is an Update).
 */
export function encryptLogGroups(
  scope: Construct, instance: rds.DatabaseInstance, key: kms.IKey, retention: logs.RetentionDays, removalPolicy: RemovalPolicy,
): void {
  const stack = Stack.of(scope);
  // The singleton function's own logs, encrypted, unless another construct made it first.
  const logGroup = stack.node.tryFindChild(AWS_CUSTOM_RESOURCE_ID) ? undefined
    : new logs.LogGroup(scope, 'LogEncryptionFunctionLogs', { encryptionKey: key, retention, removalPolicy });
  for (const logType of LOG_EXPORTS) {
    const logGroupName = rdsLogGroupName(instance, logType);
    const groupArn = logGroupArnOf(stack, instance, logType);
    const associate: cr.AwsSdkCall = {
      service: 'CloudWatchLogs',
      action: 'associateKmsKey',
      parameters: { logGroupName, kmsKeyId: key.keyArn },
      physicalResourceId: cr.PhysicalResourceId.of(logGroupName),
    };
    const association = new cr.AwsCustomResource(scope, logKeyIdOf(logType), {
      resourceType: 'Custom::LiteLlmRdsLogGroupKey',
      onCreate: associate,
      onUpdate: associate,
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({
          actions: ['logs:AssociateKmsKey'],
          // CloudWatch Logs' guide wants `log-group:NAME:*` for every action but tagging
          // (iam-access-control-overview-cwl.html); the Service Authorization Reference's
          // log-group type is `log-group:NAME`. Both, each for this one group.
          resources: [groupArn, `${groupArn}:*`],
        }),
        // CloudWatch Logs checks the key on the caller's behalf (kms:ViaService).
        new iam.PolicyStatement({
          actions: ['kms:DescribeKey', 'kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [key.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `logs.${stack.region}.amazonaws.com` } },
        }),
      ]),
      installLatestAwsSdk: false,
      logGroup,
      serviceTimeout: CUSTOM_RESOURCE_TIMEOUT,
    });
    // After the group exists: RDS made it, or LogRetention did.
    association.node.addDependency(instance.node.findChild(`LogRetention${logType}`));
  }
}

/**
 * What the rule packs report on the steps behind the exported logs: CDK's stack-wide
 * LogRetention and AwsCustomResource functions, and each log group's key policy.
 */
export function acknowledgeLogFindings(scope: Construct, instance: rds.DatabaseInstance): void {
  // RDS log retention runs through CDK's stack-wide LogRetention function.
  const logRetention = Stack.of(scope).node.tryFindChild(`LogRetention${LOG_RETENTION_UUID}`);
  if (logRetention) {
    acknowledge(logRetention, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'CDK\'s LogRetention function, which sets the retention of the RDS log groups RDS creates itself.');
    acknowledge(logRetention, 'AwsSolutions-IAM5[Resource::*]',
      'CDK\'s LogRetention function must set retention on log groups whose names RDS chooses at deploy.');
    acknowledge(logRetention, 'NIST.800.53.R5-IAMNoInlinePolicy', 'CDK\'s LogRetention function role, created and scoped by aws-cdk-lib.');
  }
  // The key on the RDS log groups goes on through CDK's stack-wide AwsCustomResource function.
  const logKeyFunction = Stack.of(scope).node.tryFindChild(AWS_CUSTOM_RESOURCE_ID);
  if (logKeyFunction) {
    acknowledge(logKeyFunction, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      'CDK\'s AwsCustomResource function, which puts the platform key on the RDS log groups; the policy only lets it write its own logs.');
    acknowledge(logKeyFunction, 'AwsSolutions-L1',
      'CDK\'s AwsCustomResource function: aws-cdk-lib picks its Node.js runtime (a supported LTS) for the SDK it bundles; no prop sets it.');
    acknowledge(logKeyFunction, 'NIST.800.53.R5-LambdaInsideVPC',
      'CDK\'s AwsCustomResource function calls the CloudWatch Logs API only (AssociateKmsKey) and reaches nothing inside the VPC.');
    acknowledge(logKeyFunction, 'NIST.800.53.R5-LambdaConcurrency',
      'Runs when the instance is created or replaced; reserving concurrency fails in accounts at the minimum unreserved quota.');
    acknowledge(logKeyFunction, 'NIST.800.53.R5-LambdaDLQ',
      'CloudFormation invokes it at deploy and waits for its answer: a failure fails and rolls back the deploy with the reason.');
    acknowledge(logKeyFunction, 'NIST.800.53.R5-IAMNoInlinePolicy', 'CDK\'s AwsCustomResource function role, created and scoped by aws-cdk-lib.');
  }
  const stack = Stack.of(scope);
  for (const logType of LOG_EXPORTS) {
    const policy = scope.node.findChild(logKeyIdOf(logType)).node.findChild('CustomResourcePolicy');
    acknowledge(policy, 'NIST.800.53.R5-IAMNoInlinePolicy',
      'AssociateKmsKey on one RDS log group and the key through CloudWatch Logs only, attached to CDK\'s AwsCustomResource function role.');
    acknowledge(policy, `AwsSolutions-IAM5[Resource::${nagResource(scope, `${logGroupArnOf(stack, instance, logType)}:*`)}]`,
      'AssociateKmsKey on one RDS log group in the `log-group:NAME:*` form CloudWatch Logs documents for its actions (the `:*` stands for the group\'s streams, not other groups).');
  }
}

/** The id of the step that puts the key on the `logType` log group: `LogKeyPostgresql`, `LogKeyUpgrade`. */
function logKeyIdOf(logType: string): string {
  return `LogKey${logType[0].toUpperCase()}${logType.slice(1)}`;
}

/** The log group RDS creates for one exported log of the instance. */
function rdsLogGroupName(instance: rds.IDatabaseInstance, logType: string): string {
  return `/aws/rds/instance/${instance.instanceIdentifier}/${logType}`;
}

function logGroupArnOf(stack: Stack, instance: rds.IDatabaseInstance, logType: string): string {
  return stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: rdsLogGroupName(instance, logType), arnFormat: ArnFormat.COLON_RESOURCE_NAME });
}
