import {
  Duration, Stack,
  aws_ecs as ecs, aws_iam as iam, aws_logs as logs,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { LiteLlmModel } from '../models';
import { LiteLlmServiceProps } from './props';
import { Sizing } from './sizing';
import { bedrockInvokeArns } from '../private/bedrock';
import { METRICS_MODULE, metricsModuleSource } from '../private/gateway-metrics';

/** Where the init container writes the rendered config and the proxy reads it. */
export const CONFIG_PATH = '/litellm-config/config.yaml';
/** The init container's variable that carries the rendered config. */
export const CONFIG_ENV = 'LITELLM_CONFIG_YAML';
/** The RDS CA the init container writes beside the config, from this variable. */
export const CA_PATH = '/litellm-config/rds-ca.pem';
const CA_ENV = 'DATABASE_CA_PEM';
/** The module that registers LiteLLM's Prometheus metrics (`LiteLlmMetrics`), beside the config. */
const METRICS_MODULE_PATH = `/litellm-config/${METRICS_MODULE}.py`;
const METRICS_MODULE_ENV = 'LITELLM_METRICS_MODULE';
/** Fargate's longest stop timeout: SIGTERM, then SIGKILL this much later. */
export const STOP_TIMEOUT = Duration.seconds(120);

/** The Fargate task definition, sized and on the chosen architecture. */
export function createTaskDefinition(scope: Construct, props: LiteLlmServiceProps, sizing: Sizing): ecs.FargateTaskDefinition {
  return new ecs.FargateTaskDefinition(scope, 'TaskDefinition', {
    cpu: sizing.cpu,
    memoryLimitMiB: sizing.memory,
    runtimePlatform: {
      cpuArchitecture: props.cpuArchitecture ?? ecs.CpuArchitecture.X86_64,
      operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
    },
  });
}

/** The task role may invoke the configured Bedrock models and nothing else; returns the ARNs. */
export function grantBedrock(scope: Construct, taskDefinition: ecs.FargateTaskDefinition, models: LiteLlmModel[]): string[] {
  const bedrockArns = bedrockInvokeArns(Stack.of(scope), models);
  if (bedrockArns.length > 0) {
    taskDefinition.addToTaskRolePolicy(new iam.PolicyStatement({
      sid: 'InvokeConfiguredBedrockModels',
      actions: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
      resources: bedrockArns,
    }));
  }
  return bedrockArns;
}

/** What the two containers are made of. */
export interface ContainersSpec {
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly logGroup: logs.ILogGroup;
  readonly image: ecs.ContainerImage;
  readonly port: number;
  readonly workers: number;
  readonly secrets: { [name: string]: ecs.Secret };
  readonly environment: { [name: string]: string };
  readonly renderedConfig: string;
  readonly caCertificatePem: string;
  readonly metricsPort?: number;
}

/**
 * Two containers from one image, started in order: `config` writes the rendered
 * config and the RDS CA to a task volume, `litellm` serves.
 */
export function addContainers(scope: Construct, spec: ContainersSpec): ecs.ContainerDefinition {
  const { taskDefinition, image, port, workers, secrets, environment, caCertificatePem, metricsPort } = spec;
  const logging = (prefix: string) => ecs.LogDrivers.awsLogs({ logGroup: spec.logGroup, streamPrefix: prefix });
  // The image has no init: Prisma's query and schema engines are child processes of
  // the proxy, and an init reaps them when they exit.
  const linuxParameters = new ecs.LinuxParameters(scope, 'LinuxParameters', { initProcessEnabled: true });

  // The config travels in the task definition, so a change is a new revision and a
  // rolling deploy, and deploying needs no image build. An init container from the
  // same image writes it to a task volume; the proxy keeps the image's entrypoint.
  const volume = 'litellm-config';
  taskDefinition.addVolume({ name: volume });
  const configDir = CONFIG_PATH.slice(0, CONFIG_PATH.lastIndexOf('/'));
  // The RDS CA the database is verified against travels the same way: no fetch at start.
  const write = (file: string, env: string) => `open(${JSON.stringify(file)}, "w").write(os.environ[${JSON.stringify(env)}])`;
  const init = taskDefinition.addContainer('config', {
    image,
    essential: false,
    entryPoint: ['python3', '-c'],
    command: [[
      `import os; ${write(CONFIG_PATH, CONFIG_ENV)}; ${write(CA_PATH, CA_ENV)}`,
      ...(metricsPort !== undefined ? [write(METRICS_MODULE_PATH, METRICS_MODULE_ENV)] : []),
    ].join('; ')],
    environment: {
      [CONFIG_ENV]: spec.renderedConfig,
      [CA_ENV]: caCertificatePem,
      ...(metricsPort !== undefined ? { [METRICS_MODULE_ENV]: metricsModuleSource() } : {}),
    },
    logging: logging('config'),
  });
  init.addMountPoints({ containerPath: configDir, sourceVolume: volume, readOnly: false });

  const proxy = taskDefinition.addContainer('litellm', {
    image,
    essential: true,
    command: [
      '--config', CONFIG_PATH, '--port', String(port), '--num_workers', String(workers),
      // A process of its own serves the workers' merged samples there (proxy_cli.py:1577-1597).
      ...(metricsPort !== undefined ? ['--prometheus_metrics_port', String(metricsPort)] : []),
    ],
    portMappings: [{ containerPort: port, name: 'http' }],
    environment,
    secrets,
    linuxParameters,
    healthCheck: {
      // The image has python but no curl.
      command: ['CMD', 'python3', '-c', livelinessProbe(port)],
      interval: Duration.seconds(30),
      timeout: Duration.seconds(10),
      retries: 3,
      // Imports and the database pool, not migrations: the migration step ran before the deploy.
      startPeriod: Duration.seconds(180),
    },
    logging: logging('litellm'),
    stopTimeout: STOP_TIMEOUT,
  });
  proxy.addMountPoints({ containerPath: configDir, sourceVolume: volume, readOnly: true });
  proxy.addContainerDependencies({ container: init, condition: ecs.ContainerDependencyCondition.SUCCESS });
  return proxy;
}

function livelinessProbe(port: number): string {
  return `import sys, urllib.request; sys.exit(0 if urllib.request.urlopen("http://127.0.0.1:${port}/health/liveliness", timeout=5).status == 200 else 1)`;
}
