import { Duration, aws_cloudwatch as cloudwatch, aws_ecs as ecs, aws_logs as logs } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import * as YAML from 'yaml';
import { check } from './private/validate';

/**
 * LiteLLM's own metrics (per model group) in CloudWatch.
 */
export interface LiteLlmMetricsOptions {
  /**
   * Turn LiteLLM's Prometheus metrics on, on a port of their own, and a collector in each
   * task that writes a bounded set of them to CloudWatch (namespace `LiteLLM`, per model
   * group).
   *
   * @default - true in PRODUCTION, false in DEVELOPMENT
   */
  readonly enabled?: boolean;
  /**
   * The port LiteLLM serves `/metrics` on, inside the task only: the service security group
   * lets nothing in on it and the load balancer never forwards to it.
   *
   * @default 9090
   */
  readonly port?: number;
  /**
   * The collector image: the AWS Distro for OpenTelemetry collector (its Prometheus receiver
   * and CloudWatch EMF exporter). Pass a copy in your ECR when the tasks have no NAT.
   *
   * @default - `LiteLlmMetrics.DEFAULT_COLLECTOR_IMAGE` from Amazon ECR Public
   */
  readonly collectorImage?: ecs.ContainerImage;
  /**
   * How often the collector reads the metrics: each read is one data point per metric.
   *
   * @default Duration.minutes(1)
   */
  readonly scrapeInterval?: Duration;
}

/** Properties of a `LiteLlmMetrics`. */
export interface LiteLlmMetricsProps extends LiteLlmMetricsOptions {
  /** The serving task definition: the collector runs beside LiteLLM in it. */
  readonly taskDefinition: ecs.FargateTaskDefinition;
  /** Where the collector writes the metrics (as embedded-metric-format log events, stream `metrics`). */
  readonly logGroup: logs.ILogGroup;
  /** The cluster's name: every metric carries it as the `ClusterName` dimension. */
  readonly clusterName: string;
}

/** A gateway metric: its CloudWatch name, LiteLLM's Prometheus name and the label that names the model group. */
interface GatewayMetric {
  readonly name: string;
  readonly prometheus: string;
  readonly groupLabel?: 'model_group' | 'requested_model';
}

/**
 * The metrics the collector keeps, by model group where LiteLLM labels them with one
 * (litellm/types/integrations/prometheus.py `PrometheusMetricLabels`): the deployment
 * counters and latencies carry `model_group`; tokens, spend and fallbacks carry the group
 * the client asked for as `requested_model`.
 */
const GATEWAY_METRICS: GatewayMetric[] = [
  { name: 'ModelRequests', prometheus: 'litellm_deployment_total_requests', groupLabel: 'model_group' },
  { name: 'ModelFailures', prometheus: 'litellm_deployment_failure_responses', groupLabel: 'model_group' },
  { name: 'ModelLatency', prometheus: 'litellm_llm_api_latency_metric', groupLabel: 'model_group' },
  { name: 'RequestLatency', prometheus: 'litellm_request_total_latency_metric', groupLabel: 'model_group' },
  { name: 'InputTokens', prometheus: 'litellm_input_tokens_metric', groupLabel: 'requested_model' },
  { name: 'OutputTokens', prometheus: 'litellm_output_tokens_metric', groupLabel: 'requested_model' },
  { name: 'Spend', prometheus: 'litellm_spend_metric', groupLabel: 'requested_model' },
  { name: 'ModelFallbacks', prometheus: 'litellm_deployment_successful_fallbacks', groupLabel: 'requested_model' },
  { name: 'ModelFailedFallbacks', prometheus: 'litellm_deployment_failed_fallbacks', groupLabel: 'requested_model' },
  // Per deployment only (no group label): kept as one platform-wide count.
  { name: 'DeploymentCooldowns', prometheus: 'litellm_deployment_cooled_down' },
];

/** The Prometheus receiver's own `up`, one sample per task and scrape: how many tasks report. */
const REPORTING_TASKS = 'ReportingTasks';

/**
 * The file the init container writes beside the config and the callback that loads it.
 * LiteLLM mounts an unauthenticated `/metrics` on the serving port whenever its callbacks
 * name "prometheus" (litellm/proxy/proxy_server.py:6605-6612,
 * litellm/proxy/common_utils/callback_utils.py:402-405); a callback loaded from a module
 * beside the config (proxy/types_utils/utils.py:37-55) registers the same PrometheusLogger
 * without that mount, so the metrics are served on their own port only.
 */
export const METRICS_MODULE = 'cdk_litellm_metrics';
const METRICS_CALLBACK = `${METRICS_MODULE}.prometheus_logger`;

/**
 * LiteLLM's Prometheus metrics in CloudWatch: the proxy serves them on their own port
 * (`--prometheus_metrics_port`, a process that merges its workers' samples), and an AWS
 * Distro for OpenTelemetry collector beside it scrapes them and writes them as embedded
 * metric format to the service's log group, which CloudWatch turns into metrics in the
 * `LiteLLM` namespace, with the dimensions `ClusterName` and, per model group,
 * `model_group`. LiteLLM emits only these metrics and only the model group label
 * (`prometheus_metrics_config`), so keys, teams and users never become dimensions.
 */
export class LiteLlmMetrics extends Construct {
  /** The CloudWatch namespace. */
  public static readonly NAMESPACE = 'LiteLLM';
  /**
   * The AWS Distro for OpenTelemetry collector release the configuration is written for
   * (2025-05-16, aws-otel.github.io/download), for x86_64 and ARM64.
   */
  public static readonly DEFAULT_COLLECTOR_IMAGE = 'public.ecr.aws/aws-observability/aws-otel-collector:v0.43.3';
  /** The CloudWatch metric names, per model group (`model_group`) and platform-wide. */
  public static readonly METRIC_NAMES = GATEWAY_METRICS.map(m => m.name);

  /** The `litellm_settings.callbacks` entry that loads `moduleSource()`. */
  public static readonly CALLBACK = METRICS_CALLBACK;

  /** The Python module the init container writes beside the config: it registers LiteLLM's PrometheusLogger. */
  public static moduleSource(): string {
    // Each metric keeps one label, its group's. Cooldowns have no group (they are counted per
    // deployment) and keep their deployment labels: LiteLLM records them without the label
    // filter, so one there would drop every sample (measured in test/boot-metrics.test.ts).
    const groups = [
      { group: 'per-model-group', label: 'model_group' },
      { group: 'per-requested-model', label: 'requested_model' },
      { group: 'platform', label: undefined },
    ].map(({ group, label }) => ({
      group,
      metrics: GATEWAY_METRICS.filter(m => m.groupLabel === label).map(m => m.prometheus),
      include_labels: label ? [label] : [],
    }));
    return [
      '# Written by cdk-litellm: LiteLLM\'s Prometheus metrics, served on --prometheus_metrics_port only.',
      'import litellm',
      'from litellm.integrations.prometheus import PrometheusLogger',
      '',
      `litellm.prometheus_metrics_config = ${JSON.stringify(groups)}`,
      'prometheus_logger = PrometheusLogger()',
      '',
    ].join('\n');
  }

  /** The port LiteLLM serves its metrics on, inside the task. */
  public readonly port: number;
  /** The collector container. */
  public readonly collector: ecs.ContainerDefinition;
  /** How often the collector reads the metrics. */
  public readonly scrapeInterval: Duration;
  /** The cluster name the metrics carry. */
  private readonly clusterName: string;

  constructor(scope: Construct, id: string, props: LiteLlmMetricsProps) {
    super(scope, id);
    this.port = props.port ?? 9090;
    check(this.port, n => Number.isInteger(n) && n >= 1024 && n <= 65535 && n !== 4000,
      n => `\`metrics.port\` (${n}) must be an integer from 1024 to 65535 other than 4000, the port the load balancer serves`);
    this.scrapeInterval = props.scrapeInterval ?? Duration.minutes(1);
    const seconds = this.scrapeInterval.toSeconds();
    check(seconds, n => n >= 10 && n <= 300, n => `\`metrics.scrapeInterval\` (${n} s) must be from 10 to 300 seconds`);
    this.clusterName = props.clusterName;
    this.collector = props.taskDefinition.addContainer('metrics', {
      image: props.collectorImage ?? ecs.ContainerImage.fromRegistry(LiteLlmMetrics.DEFAULT_COLLECTOR_IMAGE),
      // A collector that stops leaves a gap in the metrics, never the proxy without its task.
      essential: false,
      memoryReservationMiB: 128,
      command: ['--config=env:AOT_CONFIG_CONTENT'],
      environment: {
        AOT_CONFIG_CONTENT: collectorConfig(this.port, seconds, props.clusterName, props.logGroup.logGroupName),
      },
      logging: ecs.LogDrivers.awsLogs({ logGroup: props.logGroup, streamPrefix: 'metrics' }),
    });
    props.logGroup.grantWrite(props.taskDefinition.taskRole);
  }

  /** Attempts LiteLLM sent to a model group's deployments, retries included (Sum, 5 minutes). */
  public metricModelRequests(modelGroup: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ModelRequests', modelGroup, { statistic: 'Sum', ...props });
  }

  /** Attempts that failed at a model group's deployments (Sum, 5 minutes). */
  public metricModelFailures(modelGroup: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ModelFailures', modelGroup, { statistic: 'Sum', ...props });
  }

  /** Failed attempts per 100 attempts of a model group, once it had at least 10 (5 minutes). */
  public metricModelFailureRate(modelGroup: string, props?: cloudwatch.MathExpressionOptions): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({
      expression: 'IF(requests >= 10, 100 * FILL(failures, 0) / requests, 0)',
      usingMetrics: { requests: this.metricModelRequests(modelGroup), failures: this.metricModelFailures(modelGroup) },
      label: `${modelGroup} failed attempts %`,
      period: Duration.minutes(5),
      ...props,
    });
  }

  /** Time the provider took to answer a model group's requests, in seconds (Average, 5 minutes). */
  public metricModelLatency(modelGroup: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ModelLatency', modelGroup, { statistic: 'Average', ...props });
  }

  /** Time LiteLLM took end to end for a model group's requests, in seconds (Average, 5 minutes). */
  public metricRequestLatency(modelGroup: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('RequestLatency', modelGroup, { statistic: 'Average', ...props });
  }

  /** Input tokens, of one model group or of all (Sum, 5 minutes). */
  public metricInputTokens(modelGroup?: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('InputTokens', modelGroup, { statistic: 'Sum', ...props });
  }

  /** Output tokens, of one model group or of all (Sum, 5 minutes). */
  public metricOutputTokens(modelGroup?: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('OutputTokens', modelGroup, { statistic: 'Sum', ...props });
  }

  /** Input and output tokens, of one model group or of all (5 minutes). */
  public metricTokens(modelGroup?: string, props?: cloudwatch.MathExpressionOptions): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({
      expression: 'FILL(tokensIn, 0) + FILL(tokensOut, 0)',
      usingMetrics: { tokensIn: this.metricInputTokens(modelGroup), tokensOut: this.metricOutputTokens(modelGroup) },
      label: `${modelGroup ?? 'all'} tokens`,
      period: Duration.minutes(5),
      ...props,
    });
  }

  /** What LiteLLM priced the requests at, in USD, of one model group or of all (Sum, 5 minutes). */
  public metricSpend(modelGroup?: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('Spend', modelGroup, { statistic: 'Sum', ...props });
  }

  /** Requests a fallback answered after the model group failed (Sum, 5 minutes). */
  public metricModelFallbacks(modelGroup?: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ModelFallbacks', modelGroup, { statistic: 'Sum', ...props });
  }

  /** Times a deployment was put in cooldown after failing, across all groups (Sum, 5 minutes). */
  public metricDeploymentCooldowns(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('DeploymentCooldowns', undefined, { statistic: 'Sum', ...props });
  }

  /** Tasks whose metrics the collectors read in the period, one sample per task and scrape (Sum, 1 minute). */
  public metricReportingTasks(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(REPORTING_TASKS, undefined, { statistic: 'Sum', period: Duration.minutes(1), ...props });
  }

  /** A metric of the `LiteLLM` namespace, of one model group or of the whole platform. */
  public metric(metricName: string, modelGroup?: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: LiteLlmMetrics.NAMESPACE,
      metricName,
      dimensionsMap: { ClusterName: this.clusterName, ...(modelGroup !== undefined ? { model_group: modelGroup } : {}) },
      period: Duration.minutes(5),
      ...props,
    });
  }
}

/**
 * The collector's configuration: scrape LiteLLM's metrics port, give each metric its
 * CloudWatch name (the Prometheus receiver may or may not keep a counter's `_total`), name
 * the group label `model_group` everywhere, and write embedded metric format with the
 * dimension sets [ClusterName, model_group] and [ClusterName].
 */
export function collectorConfig(port: number, scrapeSeconds: number, clusterName: string, logGroupName: string): string {
  const renames = GATEWAY_METRICS.map(m => ({
    include: `^${m.prometheus}(_total)?$`,
    match_type: 'regexp',
    action: 'update',
    new_name: m.name,
    ...(m.groupLabel === 'requested_model' ? { operations: [{ action: 'update_label', label: 'requested_model', new_label: 'model_group' }] } : {}),
  }));
  const perGroup = GATEWAY_METRICS.filter(m => m.groupLabel).map(m => m.name);
  const platformOnly = GATEWAY_METRICS.filter(m => !m.groupLabel).map(m => m.name);
  const config = {
    receivers: {
      prometheus: {
        config: {
          scrape_configs: [{
            job_name: 'litellm',
            scrape_interval: `${scrapeSeconds}s`,
            scrape_timeout: `${Math.min(10, scrapeSeconds)}s`,
            // The metrics server answers /metrics with a redirect to /metrics/.
            metrics_path: '/metrics/',
            static_configs: [{ targets: [`127.0.0.1:${port}`], labels: { ClusterName: clusterName } }],
          }],
        },
      },
    },
    processors: {
      metricstransform: {
        transforms: [
          ...renames,
          { include: 'up', match_type: 'strict', action: 'update', new_name: REPORTING_TASKS },
        ],
      },
      batch: { timeout: '60s' },
    },
    exporters: {
      awsemf: {
        namespace: LiteLlmMetrics.NAMESPACE,
        log_group_name: logGroupName,
        log_stream_name: 'metrics',
        dimension_rollup_option: 'NoDimensionRollup',
        metric_declarations: [
          { dimensions: [['ClusterName', 'model_group'], ['ClusterName']], metric_name_selectors: perGroup.map(n => `^${n}$`) },
          { dimensions: [['ClusterName']], metric_name_selectors: [...platformOnly, REPORTING_TASKS].map(n => `^${n}$`) },
        ],
      },
    },
    service: {
      pipelines: { metrics: { receivers: ['prometheus'], processors: ['metricstransform', 'batch'], exporters: ['awsemf'] } },
    },
  };
  return YAML.stringify(config, { lineWidth: 0 });
}
