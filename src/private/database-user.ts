import {
  CustomResource, Duration, IResolvable, RemovalPolicy, Stack, aws_ec2 as ec2, aws_iam as iam, aws_kms as kms, aws_logs as logs,
  aws_secretsmanager as secretsmanager,
} from 'aws-cdk-lib';
import { Construct, IDependable } from 'constructs';
import { CUSTOM_RESOURCE_TIMEOUT } from './defaults';
import { functionRole } from './function-role';
import { INLINE_POLICY_REASON, acknowledge } from './nag';
import { privateSubnetsOf } from './subnets';
import { DatabaseUserFunction } from '../rotation/database-user-function';

export interface DatabaseUserProps {
  readonly vpc: ec2.IVpc;
  /** Reaches the database on 5432 and Secrets Manager on 443. */
  readonly securityGroup: ec2.ISecurityGroup;
  /** The master credentials. */
  readonly masterSecret: secretsmanager.ISecret;
  /**
   * The instance's `DbiResourceId`: a new instance (replacement, restore) has a new one,
   * so CloudFormation sends the step an Update and the role is created there too.
   */
  readonly instanceResourceId: string;
  readonly userName: string;
  readonly encryptionKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  /** When set, the function also cancels the master secret's automatic rotation after this schedule. */
  readonly rotationOff?: RotationOffProps;
}

export interface RotationOffProps {
  /** The master secret's rotation schedule, which the cancelling waits for. */
  readonly schedule: secretsmanager.RotationSchedule;
  /** The schedule's inputs (`scheduleInputsOf`): a change to them cancels rotation again. */
  readonly scheduleInputs: IResolvable;
}

/**
 * A deploy-time step, inside the VPC, that creates the database role LiteLLM logs in
 * as with IAM tokens. Whatever connects as that role depends on `resource`.
 */
export class DatabaseUser extends Construct {
  public readonly resource: CustomResource;
  /** Cancels the master secret's automatic rotation (`passwordRotation.enabled: false`). */
  public readonly rotationOff?: CustomResource;
  /** The function CloudFormation invokes; it answers through an S3 pre-signed URL. */
  public readonly function: DatabaseUserFunction;

  constructor(scope: Construct, id: string, props: DatabaseUserProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'FunctionLogs', {
      encryptionKey: props.encryptionKey, retention: props.logRetention, removalPolicy: props.removalPolicy,
    });
    const role = functionRole(this, 'FunctionRole', logGroup);
    // Lambda creates the function's network interfaces in the VPC with its role.
    role.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaVPCAccessExecutionRole'));
    const fn = this.function = new DatabaseUserFunction(this, 'Function', {
      description: 'Creates the LiteLLM database role that logs in with IAM tokens (rds_iam)',
      timeout: Duration.minutes(2),
      vpc: props.vpc,
      vpcSubnets: privateSubnetsOf(props.vpc),
      securityGroups: [props.securityGroup],
      environment: { NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem' },
      logGroup,
      role,
    });
    // On the role only: a grant on the key's policy would make the key's stack refer
    // back to this one when the platform is split across stacks. CancelRotateSecret (with
    // ListSecretVersionIds, which dates an AWSPENDING version, and DescribeStacks on this
    // stack, which tells a rollback: src/rotation/cancel-rotation.ts) is granted whether or not
    // rotation is on, so the deploy that turns it off does not call it seconds after IAM got
    // the grant (IAM is eventually consistent).
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret', 'secretsmanager:CancelRotateSecret', 'secretsmanager:ListSecretVersionIds'],
      resources: [props.masterSecret.secretArn],
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['cloudformation:DescribeStacks'], resources: [Stack.of(this).stackId] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['kms:Decrypt'],
      resources: [props.encryptionKey.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` } },
    }));
    acknowledge(fn, 'NIST.800.53.R5-LambdaDLQ',
      'CloudFormation invokes it at deploy and waits for its answer: a failure fails and rolls back the deploy with the reason; deploying again runs the step again.');
    acknowledge(fn, 'NIST.800.53.R5-LambdaConcurrency', 'Runs when the database instance is created or replaced; reserving concurrency fails in accounts at the minimum unreserved quota.');
    acknowledge(role, 'NIST.800.53.R5-IAMNoInlinePolicy', INLINE_POLICY_REASON);
    acknowledge(role, 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
      'The policy Lambda documents for functions in a VPC: it manages the function\'s network interfaces only.');

    // CloudFormation calls the function itself (it answers the ResponseURL).
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: fn.functionArn,
      resourceType: 'Custom::LiteLlmDatabaseUser',
      properties: { SecretId: props.masterSecret.secretArn, UserName: props.userName, DbiResourceId: props.instanceResourceId },
      serviceTimeout: CUSTOM_RESOURCE_TIMEOUT,
    });
    this.resource.node.addDependency(role);

    if (props.rotationOff) {
      // Rules left out of a schedule are kept by the secret, which goes on rotating (aws-cdk
      // issue 27460), so after the schedule's update the function cancels rotation. The
      // schedule and its hosted function stay, for an operator's `rotate-secret`.
      this.rotationOff = new CustomResource(this, 'PasswordRotationOff', {
        serviceToken: fn.functionArn,
        resourceType: 'Custom::LiteLlmPasswordRotationOff',
        properties: { SecretId: props.masterSecret.secretArn, Schedule: props.rotationOff.scheduleInputs },
        serviceTimeout: CUSTOM_RESOURCE_TIMEOUT,
      });
      this.rotationOff.node.addDependency(props.rotationOff.schedule, role);
    }
  }

  /**
   * Creates the function and the step after `dependencies` and deletes them before: what the
   * function needs to reach Secrets Manager and to answer CloudFormation (VPC endpoints).
   */
  public addDependency(...dependencies: IDependable[]): void {
    this.function.node.addDependency(...dependencies);
    this.resource.node.addDependency(...dependencies);
    this.rotationOff?.node.addDependency(...dependencies);
  }
}
