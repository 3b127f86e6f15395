import { Token } from 'aws-cdk-lib';
import * as YAML from 'yaml';
import { check } from './validate';

/**
 * The internals of `LiteLlmMetrics` (src/metrics.ts): which LiteLLM metrics the collector
 * keeps, the Python module that registers them, and the collector's configuration. Not
 * exported from the package.
 */

/** The CloudWatch namespace of the gateway metrics. */
export const METRICS_NAMESPACE = 'LiteLLM';

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
export const GATEWAY_METRICS: GatewayMetric[] = [
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
export const REPORTING_TASKS = 'ReportingTasks';

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
/** The `litellm_settings.callbacks` entry that loads `metricsModuleSource()`. */
export const METRICS_CALLBACK = `${METRICS_MODULE}.prometheus_logger`;

/** The Python module the init container writes beside the config: it registers LiteLLM's PrometheusLogger. */
export function metricsModuleSource(): string {
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
        namespace: METRICS_NAMESPACE,
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
