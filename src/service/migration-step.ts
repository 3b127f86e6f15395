import { RemovalPolicy, Stack, aws_ec2 as ec2, aws_ecs as ecs, aws_logs as logs } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { LiteLlmMigration } from '../migration';
import { LOCAL_COPIES } from './environment';
import { LiteLlmServiceProps } from './props';
import { migrationSettings } from '../private/migration-settings';
import { privateSubnetsOf } from '../private/subnets';

/**
 * The migration step, in the tasks' subnets and security group, with the variables that
 * decide how LiteLLM starts (the region, its offline copies) but not the config.
 */
export function addMigration(
  scope: Construct, props: LiteLlmServiceProps, cluster: ecs.Cluster, logGroup: logs.ILogGroup, image: ecs.ContainerImage,
  assignPublicIp: boolean, removalPolicy: RemovalPolicy, logRetention: logs.RetentionDays,
): LiteLlmMigration {
  return new LiteLlmMigration(scope, 'Migration', {
    cluster,
    image,
    database: props.database,
    vpc: props.network.vpc,
    vpcSubnets: assignPublicIp ? { subnetType: ec2.SubnetType.PUBLIC } : privateSubnetsOf(props.network.vpc),
    securityGroup: props.network.serviceSecurityGroup,
    logGroup,
    encryptionKey: props.security.encryptionKey,
    assignPublicIp,
    cpuArchitecture: props.cpuArchitecture,
    // The settings of `environment` that act only while LiteLLM migrates (private/migration-settings.ts).
    environment: { ...migrationSettings(props.environment), LITELLM_MODE: 'PRODUCTION', ...LOCAL_COPIES, AWS_REGION: Stack.of(scope).region },
    removalPolicy,
    logRetention,
  });
}
