import { Duration, Token, aws_cloudwatch as cloudwatch, aws_ecs as ecs, aws_logs as logs } from 'aws-cdk-lib';
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
   * The collector image: the AWS Distro for OpenTelemetry collector (its Prometheus receiver,
   * cumulativetodelta processor and CloudWatch EMF exporter). Pass a copy in your ECR when the
   * tasks have no NAT, or to keep ECR Public out of task starts: the container is not
   * essential, but a failed image pull stops the task all the same.
   *
   * @default - `LiteLlmMetrics.DEFAULT_COLLECTOR_IMAGE` from Amazon ECR Public
   */
  readonly collectorImage?: ecs.ContainerImage;
  /**
   * How often the collector reads the metrics: each read is one data point per metric. It
   * must divide a minute (10, 12, 15, 20, 30 or 60 seconds): token scaling and
   * `ReportingTasks` add up whole minutes (Application Auto Scaling reads custom metrics
   * at a fixed 60-second period), so every minute must hold the same number of reads.
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
  /**
   * The port LiteLLM serves clients on (the load balancer's target): the metrics port must differ.
   *
   * @default 4000
   */
  readonly servingPort?: number;
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
 * counters and latencies carry `model_group`, the group whose deployment made the attempt
 * (a fallback's attempts count in the fallback's group); tokens, spend and fallbacks carry
 * `requested_model`, the group the client asked for, whichever group answered. The
 * collector names both `model_group`.
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

/**
 * The Prometheus receiver's own `up` (1 when a scrape succeeds), scaled by the scrape
 * interval over 60 s: its per-minute Sum is the number of tasks that reported.
 */
const REPORTING_TASKS = 'ReportingTasks';

/**
 * The file the init container writes beside the config and the callback that loads it.
 * LiteLLM mounts `/metrics` on the serving port whenever its callbacks name "prometheus"
 * (litellm/proxy/proxy_server.py:6605-6612, litellm/proxy/common_utils/callback_utils.py:402-405).
 * In 1.108.7 that route asks for a key, but any valid key will do
 * (litellm/__init__.py:194 `require_auth_for_metrics_endpoint = True`,
 * proxy/middleware/prometheus_auth_middleware.py:51-66 runs `user_api_key_auth` only), so
 * every tenant could read every team's series. A callback loaded from a module beside the
 * config (proxy/types_utils/utils.py:37-55) registers the same PrometheusLogger without that
 * mount, so the metrics are served on their own port only, inside the task.
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
    const servingPort = props.servingPort ?? 4000;
    check(this.port, n => Number.isInteger(n) && n >= 1024 && n <= 65535 && n !== servingPort,
      n => `\`metrics.port\` (${n}) must be an integer from 1024 to 65535 other than ${servingPort}, the port the load balancer serves (\`containerPort\`)`);
    this.scrapeInterval = props.scrapeInterval ?? Duration.minutes(1);
    const seconds = this.scrapeInterval.toSeconds();
    check(seconds, n => Number.isInteger(n) && n >= 10 && n <= 60 && 60 % n === 0,
      n => `\`metrics.scrapeInterval\` (${n} s) must divide a minute: 10, 12, 15, 20, 30 or 60 seconds `
        + '(token scaling and ReportingTasks add up whole minutes)');
    this.clusterName = props.clusterName;
    this.collector = props.taskDefinition.addContainer('metrics', {
      image: props.collectorImage ?? ecs.ContainerImage.fromRegistry(LiteLlmMetrics.DEFAULT_COLLECTOR_IMAGE),
      // A collector that stops leaves a gap in the metrics, never the proxy without its task;
      // ECS restarts it (and the ReportingTasks alarm notices one that does not come back).
      essential: false,
      enableRestartPolicy: true,
      memoryReservationMiB: 128,
      command: ['--config=env:AOT_CONFIG_CONTENT'],
      environment: {
        AOT_CONFIG_CONTENT: collectorConfig(this.port, seconds, props.clusterName, props.logGroup.logGroupName),
      },
      logging: ecs.LogDrivers.awsLogs({ logGroup: props.logGroup, streamPrefix: 'metrics' }),
    });
    props.logGroup.grantWrite(props.taskDefinition.taskRole);
  }

  /** Attempts LiteLLM sent to a model group's deployments (or all groups'), retries included (Sum, 5 minutes). */
  public metricModelRequests(modelGroup?: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ModelRequests', modelGroup, { statistic: 'Sum', ...props });
  }

  /** Attempts that failed at a model group's deployments (or all groups') (Sum, 5 minutes). */
  public metricModelFailures(modelGroup?: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ModelFailures', modelGroup, { statistic: 'Sum', ...props });
  }

  /**
   * Failed attempts per 100 attempts of a model group, or of all groups (those added at
   * runtime, wildcard routes and aliases too), once it had at least 10 (5 minutes).
   */
  public metricModelFailureRate(modelGroup?: string, props?: cloudwatch.MathExpressionOptions): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({
      expression: 'IF(requests >= 10, 100 * FILL(failures, 0) / requests, 0)',
      usingMetrics: { requests: this.metricModelRequests(modelGroup), failures: this.metricModelFailures(modelGroup) },
      label: `${modelGroup ?? 'all groups'} failed attempts %`,
      period: Duration.minutes(5),
      ...props,
    });
  }

  /**
   * Time the provider took to answer a model group's requests, in seconds (Average, 5 minutes).
   * The collector sends each scrape's new requests (a delta of LiteLLM's histogram): Average,
   * Sum and SampleCount mean what they say; Minimum, Maximum and percentiles do not (the
   * Prometheus histogram carries neither, so CloudWatch sees 0).
   */
  public metricModelLatency(modelGroup: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ModelLatency', modelGroup, { statistic: 'Average', ...props });
  }

  /** Time LiteLLM took end to end for a model group's requests, in seconds (Average, 5 minutes; statistics as `metricModelLatency`). */
  public metricRequestLatency(modelGroup: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('RequestLatency', modelGroup, { statistic: 'Average', ...props });
  }

  /** Input tokens, of the model group the clients asked for or of all (Sum, 5 minutes). */
  public metricInputTokens(modelGroup?: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('InputTokens', modelGroup, { statistic: 'Sum', ...props });
  }

  /** Output tokens, of the model group the clients asked for or of all (Sum, 5 minutes). */
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

  /**
   * Tasks whose metrics the collectors read, per minute (Sum, 1 minute): each scrape counts
   * the scrape interval over 60 s, so a minute adds up to the reporting tasks at every
   * allowed interval. Over a longer period the Sum is task-minutes.
   */
  public metricReportingTasks(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(REPORTING_TASKS, undefined, { statistic: 'Sum', period: Duration.minutes(1), ...props });
  }

  /**
   * A metric of the `LiteLLM` namespace, of one model group or of the whole platform. The
   * group's dimension value is the label value LiteLLM emits for that name.
   */
  public metric(metricName: string, modelGroup?: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: LiteLlmMetrics.NAMESPACE,
      metricName,
      dimensionsMap: { ClusterName: this.clusterName, ...(modelGroup !== undefined ? { model_group: modelGroupDimension(modelGroup) } : {}) },
      period: Duration.minutes(5),
      ...props,
    });
  }
}

/**
 * The `model_group` value LiteLLM emits for a model group name: its label sanitiser
 * (litellm/types/integrations/prometheus.py:45-71) turns newlines into spaces, drops CR,
 * U+2028 and U+2029, and puts a backslash before each backslash and double quote, which
 * prometheus_client escapes once more for the exposition: the collector reads `a\"b` for `a"b`.
 * A name CloudWatch refuses as a dimension value (not printable ASCII, blank, over 1,024
 * characters) fails here, at synth, instead of failing the alarms at deploy.
 */
export function modelGroupDimension(name: string): string {
  if (Token.isUnresolved(name)) return name;
  check(name, n => /^[\x20-\x7e]{1,1024}$/.test(n) && n.trim() !== '',
    n => `model group ${JSON.stringify(n)} cannot be a CloudWatch dimension value (printable ASCII, not blank, at most 1,024 characters): `
      + 'rename the model, or turn `metrics` off');
  return name.replace(/[\\"]/g, c => `\\${c}`);
}

/**
 * The collector's configuration: scrape LiteLLM's metrics port, give each metric its
 * CloudWatch name (the Prometheus receiver may or may not keep a counter's `_total`), name
 * the group label `model_group` everywhere, turn LiteLLM's cumulative counters and
 * histograms into each scrape's increase, and write embedded metric format with the
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
          {
            include: 'up',
            match_type: 'strict',
            action: 'update',
            new_name: REPORTING_TASKS,
            operations: [{ action: 'experimental_scale_value', experimental_scale: scrapeSeconds / 60 }],
          },
        ],
      },
      // awsemf (contrib v0.117.0) sends histograms as they come, lifetime totals with Min and
      // Max 0 (awsemfexporter datapoint.go:191-207); for counters it drops the first sample of
      // each series (retain_initial_value_of_delta_metric, false in factory.go:48; datapoint.go:
      // 153-168) and forgets a series after 5 minutes (internal/aws/metrics metric_calculator.go:15).
      // Convert here instead: awsemf passes delta sums through as they are.
      // `keep`: the collector starts with the task, so a series it has not seen is new, and its
      // first value is that series' first increase (LiteLLM creates a labelled series on its
      // first increment). `auto` would drop it: LiteLLM's multiprocess exposition has no
      // `_created`, so a first point's start time is its own timestamp (cumulativetodelta
      // internal/tracking/tracker.go:128-134). A collector ECS restarts sends each series'
      // running total once. No max_staleness: a quiet series' next value is still a delta.
      cumulativetodelta: { initial_value: 'keep' },
      // Each scrape leaves in its own batch, well inside a minute.
      batch: { timeout: '10s' },
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
      pipelines: { metrics: { receivers: ['prometheus'], processors: ['metricstransform', 'cumulativetodelta', 'batch'], exporters: ['awsemf'] } },
    },
  };
  return YAML.stringify(config, { lineWidth: 0 });
}
