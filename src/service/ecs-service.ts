import { Duration, aws_ec2 as ec2, aws_ecs as ecs } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { LiteLlmMetrics } from '../metrics';
import { LiteLlmMigration } from '../migration';
import { LiteLlmServiceProps } from './props';
import { Sizing } from './sizing';
import { privateSubnetsOf } from '../private/subnets';
import { scaleOnTokens } from '../private/token-scaling';
import { check } from '../private/validate';

/** The cluster, with Fargate's capacity providers. */
export function createCluster(scope: Construct, props: LiteLlmServiceProps, containerInsights: ecs.ContainerInsights): ecs.Cluster {
  return new ecs.Cluster(scope, 'Cluster', {
    vpc: props.network.vpc,
    enableFargateCapacityProviders: true,
    containerInsightsV2: containerInsights,
  });
}

/** The Fargate service in the target group, after the secrets are ready and the cluster's capacity providers exist. */
export function createService(
  scope: Construct, props: LiteLlmServiceProps, sizing: Sizing, fargateSpot: boolean,
  cluster: ecs.Cluster, taskDefinition: ecs.FargateTaskDefinition, migration: LiteLlmMigration,
): ecs.FargateService {
  const service = new ecs.FargateService(scope, 'Service', {
    cluster,
    taskDefinition,
    desiredCount: sizing.minCapacity,
    securityGroups: [props.network.serviceSecurityGroup],
    vpcSubnets: sizing.assignPublicIp
      ? { subnetType: ec2.SubnetType.PUBLIC }
      : privateSubnetsOf(props.network.vpc),
    assignPublicIp: sizing.assignPublicIp,
    capacityProviderStrategies: [{ capacityProvider: fargateSpot ? 'FARGATE_SPOT' : 'FARGATE', weight: 1 }],
    circuitBreaker: { enable: true, rollback: true },
    minHealthyPercent: 100,
    maxHealthyPercent: 200,
    // ECS spreads a service's Fargate tasks over the AZs of its subnets; with this it also
    // moves them back after an AZ recovers, so two tasks end up in two AZs again.
    availabilityZoneRebalancing: ecs.AvailabilityZoneRebalancing.ENABLED,
    healthCheckGracePeriod: Duration.seconds(600),
    enableExecuteCommand: false,
  });
  service.attachToApplicationTargetGroup(props.loadBalancer.targetGroup);
  service.node.addDependency(props.security.secretsReady);
  // Both containers log in as the database role this step creates.
  props.database.grantConnect(taskDefinition.taskRole);
  service.node.addDependency(props.database.proxyUser);
  // No task of a new revision starts before the schema it expects.
  service.node.addDependency(migration.resource);
  // The cluster's capacity-provider association is added at synth (by an aspect):
  // depending on the whole cluster orders the service after it on create and before
  // it on delete, when ECS refuses to remove a capacity provider a service still uses.
  service.node.addDependency(cluster);
  return service;
}

/**
 * LiteLLM's production guide: scale on CPU at about 60 %, never on memory, which rises
 * after one large request and stays up, so a memory target would never scale in.
 */
export function addScaling(
  scope: Construct, service: ecs.FargateService, props: LiteLlmServiceProps, sizing: Sizing, metrics: LiteLlmMetrics | undefined,
): void {
  const scaling = service.autoScaleTaskCount({ minCapacity: sizing.minCapacity, maxCapacity: sizing.maxCapacity });
  const cooldowns = { scaleInCooldown: Duration.seconds(300), scaleOutCooldown: Duration.seconds(60) };
  scaling.scaleOnCpuUtilization('Cpu', { targetUtilizationPercent: 60, ...cooldowns });
  if (props.requestsPerTarget !== undefined) {
    check(props.requestsPerTarget, n => Number.isInteger(n) && n >= 1,
      n => `\`requestsPerTarget\` (${n}) must be an integer >= 1 (requests per task per minute)`);
    scaling.scaleOnRequestCount('Requests', { requestsPerTarget: props.requestsPerTarget, targetGroup: props.loadBalancer.targetGroup, ...cooldowns });
  }
  if (props.tokensPerTarget !== undefined) {
    check(props.tokensPerTarget, n => Number.isInteger(n) && n >= 1,
      n => `\`tokensPerTarget\` (${n}) must be an integer >= 1 (input and output tokens per task per minute)`);
    if (!metrics) {
      throw new Error('`tokensPerTarget` scales on LiteLLM\'s token metrics, but `metrics` is off (the DEVELOPMENT default): set `metrics: { enabled: true }` or remove tokensPerTarget');
    }
    scaleOnTokens(scope, scaling, metrics, props.tokensPerTarget, cooldowns);
  }
}
