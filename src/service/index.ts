import {
  Stack,
  aws_cloudwatch as cloudwatch, aws_ec2 as ec2, aws_ecs as ecs, aws_iam as iam, aws_logs as logs, aws_s3 as s3,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { LiteLlmConfig } from '../config';
import { LiteLlmImage } from '../image';
import { LiteLlmMetrics } from '../metrics';
import { LiteLlmMigration } from '../migration';
import { LiteLlmModel } from '../models';
import { createAlarms } from './alarms';
import { bindConfigSections } from './config-grants';
import { addScaling, createCluster, createService } from './ecs-service';
import { openEgress } from './egress';
import { containerEnvironment, containerSecrets } from './environment';
import { addMigration } from './migration-step';
import { acknowledgeFindings } from './nag';
import { LiteLlmServiceProps } from './props';
import { addRedeployOnRotation } from './redeploy';
import { renderConfig } from './render-config';
import { poolLimit, resolveSizing, warnIfStateIsPerProcess, warnIfWorkersShareIamToken } from './sizing';
import { CONFIG_ENV, addContainers, createTaskDefinition, grantBedrock } from './task-definition';
import { validateEnvironment, validateService } from './validation';
import { followingKey, profileDefaults } from '../private/defaults';
import { dependOnStacksOf } from '../private/stacks';
import { configKeyHeaders } from '../private/web-acl';

export * from './props';

/**
 * The LiteLLM proxy on ECS Fargate: cluster, task definition, autoscaled service,
 * alarms, and a redeploy whenever the master key rotates.
 */
export class LiteLlmService extends Construct implements ec2.IConnectable, iam.IGrantable {
  /** The cluster. */
  public readonly cluster: ecs.Cluster;
  /** The service. */
  public readonly service: ecs.FargateService;
  /** The task definition. */
  public readonly taskDefinition: ecs.FargateTaskDefinition;
  /** The LiteLLM container. */
  public readonly container: ecs.ContainerDefinition;
  /**
   * The deploy step that migrates the database once, in a one-off task, before the service
   * changes (it replaced the `migrate` container of earlier versions); serving tasks never
   * migrate.
   */
  public readonly migration: LiteLlmMigration;
  /** The container log group (KMS-encrypted). */
  public readonly logGroup: logs.ILogGroup;
  /** LiteLLM's metrics in CloudWatch, when `metrics` is on. */
  public readonly metrics?: LiteLlmMetrics;
  /** Network connections of the tasks. */
  public readonly connections: ec2.Connections;
  /** The LiteLLM config the tasks read (`config.yaml`), rendered from `models` and `config`. */
  public readonly renderedConfig: string;
  /** Every deployment the proxy serves: `models` and those of `config.configFile`. */
  public readonly models: LiteLlmModel[];
  /**
   * The tasks' role (`taskDefinition.taskRole`): grant it what LiteLLM calls, e.g.
   * `bucket.grantRead(service)`.
   */
  public readonly grantPrincipal: iam.IPrincipal;
  /** The bucket request logs go to, with `LiteLlmCallback.s3Logging`. */
  public readonly requestLogsBucket?: s3.IBucket;
  /** `database_connection_pool_limit` in the config. */
  public readonly databaseConnectionPoolLimit: number;
  /** CPU > 85 % for 3 × 5 minutes. */
  public readonly cpuAlarm: cloudwatch.Alarm;
  /** Memory > 90 % for 3 × 5 minutes. */
  public readonly memoryAlarm: cloudwatch.Alarm;
  /** Unhealthy targets ≥ 1 for 3 × 1 minute. */
  public readonly unhealthyHostsAlarm: cloudwatch.Alarm;
  /** Errors of the redeploy-after-rotation function > 0 in 5 minutes. */
  public readonly redeployAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: LiteLlmServiceProps) {
    super(scope, id);
    const defaults = profileDefaults(props.profile);
    const image = props.image ?? LiteLlmImage.fromRegistry();
    const sizing = resolveSizing(props);
    dependOnStacksOf(this, props.security, props.network, props.database, props.loadBalancer, ...(props.cache ? [props.cache] : []));
    // In a split, the URL the tasks and outputs read is the load balancer's DNS name until a
    // domain or certificate name replaces it; keep exporting it then, or CloudFormation would
    // refuse to update the load balancer stack while this one still imports it.
    const lbStack = Stack.of(props.loadBalancer);
    if (lbStack !== Stack.of(this)) lbStack.exportValue(props.loadBalancer.loadBalancer.loadBalancerDnsName);
    const config = LiteLlmConfig.load(props.models, props.config);
    this.models = config.models;
    validateService(this, props, config, sizing, image, defaults.production);
    this.databaseConnectionPoolLimit = poolLimit(props.database, sizing.maxCapacity, sizing.workers, props.databaseConnectionPoolLimit);
    warnIfStateIsPerProcess(this, props.cache, sizing.maxCapacity, sizing.workers);
    warnIfWorkersShareIamToken(this, sizing.workers);

    // The cluster, the task definition and the log group.
    const containerInsights = props.containerInsights
      ?? (defaults.containerInsights ? ecs.ContainerInsights.ENABLED : ecs.ContainerInsights.DISABLED);
    const logRetention = props.logRetention ?? defaults.logRetention;
    this.cluster = createCluster(this, props, containerInsights);
    this.taskDefinition = createTaskDefinition(this, props, sizing);
    this.grantPrincipal = this.taskDefinition.taskRole;
    const bedrockArns = grantBedrock(this, this.taskDefinition, config.models);
    // What the platform key encrypts goes with it when it is deleted.
    const removalPolicy = followingKey(props.security.encryptionKey, defaults.removalPolicy);
    this.logGroup = new logs.LogGroup(this, 'Logs', { encryptionKey: props.security.encryptionKey, retention: logRetention, removalPolicy });

    // The config, the secrets and the environment, then the containers that read them.
    const metricsOn = props.metrics?.enabled ?? defaults.production;
    const rendered = renderConfig(this, config, props, {
      taskDefinition: this.taskDefinition,
      requestTimeout: sizing.requestTimeout,
      removalPolicy,
      metrics: metricsOn,
      databaseConnectionPoolLimit: this.databaseConnectionPoolLimit,
    });
    this.renderedConfig = rendered.text;
    this.requestLogsBucket = rendered.bucket;
    const { secrets, platformSecrets } = containerSecrets(this, this.taskDefinition, props, config.secretEnvNames);
    const platformEnvironment = containerEnvironment(props, Stack.of(this).region, props.logLevel ?? defaults.litellmLog, sizing.workers);
    const environment = { ...platformEnvironment, ...rendered.environment };
    validateEnvironment(props, config, new Set([...platformSecrets, ...Object.keys(environment), CONFIG_ENV]));
    const boundImage = image.bind(this);
    this.container = addContainers(this, {
      taskDefinition: this.taskDefinition,
      logGroup: this.logGroup,
      image: boundImage,
      port: props.network.containerPort,
      workers: sizing.workers,
      secrets,
      environment: { ...props.environment, ...environment },
      renderedConfig: this.renderedConfig,
      caCertificatePem: props.database.caCertificatePemFor(this),
      metricsPort: metricsOn ? props.metrics?.port ?? 9090 : undefined,
    });
    if (metricsOn) {
      this.metrics = new LiteLlmMetrics(this, 'Metrics', {
        ...props.metrics,
        taskDefinition: this.taskDefinition,
        logGroup: this.logGroup,
        clusterName: this.cluster.clusterName,
        servingPort: props.network.containerPort,
      });
    }
    this.migration = addMigration(this, props, this.cluster, this.logGroup, boundImage, sizing.assignPublicIp, removalPolicy, logRetention);

    // The service, what it may reach, how it scales, and what watches it.
    this.service = createService(this, props, sizing, props.fargateSpot ?? defaults.fargateSpot, this.cluster, this.taskDefinition, this.migration);
    this.connections = this.service.connections;
    const userEnvironment = { ...props.environment, ...rendered.environment };
    openEgress(this, props.network, rendered.text, userEnvironment, [...platformSecrets, ...Object.keys(platformEnvironment)]);
    // The WAF logs redact the key headers this config adds to LiteLLM's own.
    props.loadBalancer._redactHeaders(configKeyHeaders(rendered.text, userEnvironment),
      'The config (`litellm_key_header_name`, `mcp_client_side_auth_header_name`, pass-through `litellm_user_api_key` headers)');
    // Guardrails', knowledge bases' grants and endpoints, MCP servers' redacted headers.
    bindConfigSections(this, props, config, this.taskDefinition.taskRole, !sizing.assignPublicIp && props.network.natGateways === 0);
    addScaling(this, this.service, props, sizing, this.metrics);
    this.redeployAlarm = addRedeployOnRotation(this, this.cluster, this.service, props.security, removalPolicy, logRetention);
    acknowledgeFindings(this.cluster, this.taskDefinition, containerInsights !== ecs.ContainerInsights.DISABLED, bedrockArns);
    const alarms = createAlarms(this, this.service, props.loadBalancer);
    this.cpuAlarm = alarms.cpu;
    this.memoryAlarm = alarms.memory;
    this.unhealthyHostsAlarm = alarms.unhealthyHosts;
  }

  /** The service alarms: CPU, memory, unhealthy hosts, redeploy errors. */
  public get alarms(): cloudwatch.IAlarm[] {
    return [this.cpuAlarm, this.memoryAlarm, this.unhealthyHostsAlarm, this.redeployAlarm];
  }
}
