import { Duration, aws_cloudwatch as cloudwatch, aws_ecs as ecs, aws_logs as logs } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { GATEWAY_METRICS, METRICS_NAMESPACE, REPORTING_TASKS, collectorConfig, modelGroupDimension } from './private/gateway-metrics';
import { check } from './private/validate';

/**
 * How a `LiteLlmMetrics` collects LiteLLM's own metrics (per model group) into CloudWatch.
 */
export interface LiteLlmMetricsOptions {
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

/**
 * LiteLLM's own metrics on a service or a platform: whether the service collects them
 * (`enabled`, read by `LiteLlmService`, which creates the `LiteLlmMetrics`) and how.
 */
export interface LiteLlmServiceMetricsOptions extends LiteLlmMetricsOptions {
  /**
   * Turn LiteLLM's Prometheus metrics on, on a port of their own, and a collector in each
   * task that writes a bounded set of them to CloudWatch (namespace `LiteLLM`, per model
   * group).
   *
   * @default - true in PRODUCTION, false in DEVELOPMENT
   */
  readonly enabled?: boolean;
}

/** Options of a `LiteLlmMetrics` metric that LiteLLM reports per model group. */
export interface LiteLlmModelMetricOptions extends cloudwatch.MetricOptions {
  /**
   * The model group (a model `name`): the metric of that group only. For tokens, spend and
   * fallbacks, the group the clients asked for; for attempts, failures and latency, the group
   * whose deployment made the attempt.
   *
   * @default - all model groups together (the `ClusterName` dimension only)
   */
  readonly modelGroup?: string;
}

/** Options of a `LiteLlmMetrics` math expression over metrics LiteLLM reports per model group. */
export interface LiteLlmModelMathExpressionOptions extends cloudwatch.MathExpressionOptions {
  /**
   * The model group (a model `name`): the expression over that group's metrics only.
   *
   * @default - all model groups together (the `ClusterName` dimension only)
   */
  readonly modelGroup?: string;
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
  public static readonly NAMESPACE = METRICS_NAMESPACE;
  /**
   * The AWS Distro for OpenTelemetry collector release the configuration is written for
   * (2025-05-16, aws-otel.github.io/download), for x86_64 and ARM64.
   */
  public static readonly DEFAULT_COLLECTOR_IMAGE = 'public.ecr.aws/aws-observability/aws-otel-collector:v0.43.3';
  /** The CloudWatch metric names, per model group (`model_group`) and platform-wide. */
  public static readonly METRIC_NAMES = GATEWAY_METRICS.map(m => m.name);

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
  public metricModelRequests(props?: LiteLlmModelMetricOptions): cloudwatch.Metric {
    return this.metric('ModelRequests', { statistic: 'Sum', ...props });
  }

  /** Attempts that failed at a model group's deployments (or all groups') (Sum, 5 minutes). */
  public metricModelFailures(props?: LiteLlmModelMetricOptions): cloudwatch.Metric {
    return this.metric('ModelFailures', { statistic: 'Sum', ...props });
  }

  /**
   * Failed attempts per 100 attempts of a model group, or of all groups (those added at
   * runtime, wildcard routes and aliases too), once it had at least 10 (5 minutes).
   */
  public metricModelFailureRate(props?: LiteLlmModelMathExpressionOptions): cloudwatch.MathExpression {
    const { modelGroup, ...options } = props ?? {};
    return new cloudwatch.MathExpression({
      expression: 'IF(requests >= 10, 100 * FILL(failures, 0) / requests, 0)',
      usingMetrics: { requests: this.metricModelRequests({ modelGroup }), failures: this.metricModelFailures({ modelGroup }) },
      label: `${modelGroup ?? 'all groups'} failed attempts %`,
      period: Duration.minutes(5),
      ...options,
    });
  }

  /**
   * Time the provider took to answer a model group's requests (or all groups'), in seconds
   * (Average, 5 minutes). The collector sends each scrape's new requests (a delta of LiteLLM's
   * histogram): Average, Sum and SampleCount mean what they say; Minimum, Maximum and
   * percentiles do not (the Prometheus histogram carries neither, so CloudWatch sees 0).
   */
  public metricModelLatency(props?: LiteLlmModelMetricOptions): cloudwatch.Metric {
    return this.metric('ModelLatency', { statistic: 'Average', ...props });
  }

  /** Time LiteLLM took end to end for a model group's requests (or all groups'), in seconds (Average, 5 minutes; statistics as `metricModelLatency`). */
  public metricRequestLatency(props?: LiteLlmModelMetricOptions): cloudwatch.Metric {
    return this.metric('RequestLatency', { statistic: 'Average', ...props });
  }

  /** Input tokens, of the model group the clients asked for or of all (Sum, 5 minutes). */
  public metricInputTokens(props?: LiteLlmModelMetricOptions): cloudwatch.Metric {
    return this.metric('InputTokens', { statistic: 'Sum', ...props });
  }

  /** Output tokens, of the model group the clients asked for or of all (Sum, 5 minutes). */
  public metricOutputTokens(props?: LiteLlmModelMetricOptions): cloudwatch.Metric {
    return this.metric('OutputTokens', { statistic: 'Sum', ...props });
  }

  /** Input and output tokens, of one model group or of all (5 minutes). */
  public metricTokens(props?: LiteLlmModelMathExpressionOptions): cloudwatch.MathExpression {
    const { modelGroup, ...options } = props ?? {};
    return new cloudwatch.MathExpression({
      expression: 'FILL(tokensIn, 0) + FILL(tokensOut, 0)',
      usingMetrics: { tokensIn: this.metricInputTokens({ modelGroup }), tokensOut: this.metricOutputTokens({ modelGroup }) },
      label: `${modelGroup ?? 'all'} tokens`,
      period: Duration.minutes(5),
      ...options,
    });
  }

  /** What LiteLLM priced the requests at, in USD, of one model group or of all (Sum, 5 minutes). */
  public metricSpend(props?: LiteLlmModelMetricOptions): cloudwatch.Metric {
    return this.metric('Spend', { statistic: 'Sum', ...props });
  }

  /** Requests a fallback answered after the model group (or any group) failed (Sum, 5 minutes). */
  public metricModelFallbacks(props?: LiteLlmModelMetricOptions): cloudwatch.Metric {
    return this.metric('ModelFallbacks', { statistic: 'Sum', ...props });
  }

  /** Requests whose fallbacks failed too after the model group (or any group) failed (Sum, 5 minutes). */
  public metricModelFailedFallbacks(props?: LiteLlmModelMetricOptions): cloudwatch.Metric {
    return this.metric('ModelFailedFallbacks', { statistic: 'Sum', ...props });
  }

  /** Times a deployment was put in cooldown after failing, across all groups (Sum, 5 minutes). */
  public metricDeploymentCooldowns(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('DeploymentCooldowns', { statistic: 'Sum', ...props });
  }

  /**
   * Tasks whose metrics the collectors read, per minute (Sum, 1 minute): each scrape counts
   * the scrape interval over 60 s, so a minute adds up to the reporting tasks at every
   * allowed interval. Over a longer period the Sum is task-minutes.
   */
  public metricReportingTasks(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(REPORTING_TASKS, { statistic: 'Sum', period: Duration.minutes(1), ...props });
  }

  /**
   * A metric of the `LiteLLM` namespace (Average, 5 minutes), of one model group
   * (`modelGroup`) or of the whole platform. The group's dimension value is the label value
   * LiteLLM emits for that name. `METRIC_NAMES` lists the metrics the collector writes.
   */
  public metric(metricName: string, props?: LiteLlmModelMetricOptions): cloudwatch.Metric {
    const { modelGroup, ...options } = props ?? {};
    return new cloudwatch.Metric({
      namespace: LiteLlmMetrics.NAMESPACE,
      metricName,
      dimensionsMap: { ClusterName: this.clusterName, ...(modelGroup !== undefined ? { model_group: modelGroupDimension(modelGroup) } : {}) },
      period: Duration.minutes(5),
      ...options,
    });
  }
}
