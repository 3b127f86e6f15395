// LiteLLM's own metrics in the templates: the proxy serves them on their own port, a
// collector writes a bounded set to CloudWatch, alarms, a dashboard row and token scaling
// use them, and the load balancer never forwards /metrics.
import { App, Duration, Stack, aws_certificatemanager as acm, aws_ecr as ecr, aws_ecs as ecs, aws_elasticloadbalancingv2 as elbv2 } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as YAML from 'yaml';
import {
  LiteLlmDeploymentProfile, LiteLlmImage, LiteLlmMetrics, LiteLlmModel, LiteLlmPlatform, LiteLlmPlatformProps, LiteLlmService,
  LiteLlmServiceMetricsOptions,
} from '../src';
import { buildingBlocks } from './support/blocks';
import { joinedText, servingTaskDefinition } from './support/template';
import { metricsModuleSource } from '../src/private/gateway-metrics';

const ENV = { account: '123456789012', region: 'us-east-1' };
const MODELS = () => [
  LiteLlmModel.openAi({ name: 'gpt-4o', modelId: 'gpt-4o' }),
  LiteLlmModel.bedrock({ name: 'claude-sonnet', modelId: 'us.anthropic.claude-sonnet-4-20250514-v1:0' }),
];

interface Built {
  readonly stack: Stack;
  readonly platform: LiteLlmPlatform;
  readonly template: Template;
}

function build(props: Partial<LiteLlmPlatformProps> = {}): Built {
  const stack = new Stack(new App(), 'Metrics', { env: ENV });
  const platform = new LiteLlmPlatform(stack, 'LiteLlm', { models: MODELS(), ...props });
  return { stack, platform, template: Template.fromStack(stack) };
}

const production = (props: Partial<LiteLlmPlatformProps> = {}) =>
  build({ profile: LiteLlmDeploymentProfile.PRODUCTION, loadBalancer: { allowHttp: true }, ...props });

function containers(template: Template): Record<string, any> {
  return Object.fromEntries(servingTaskDefinition(template).Properties.ContainerDefinitions.map((c: any) => [c.Name, c]));
}

function env(container: any, name: string): any {
  return (container.Environment ?? []).find((e: any) => e.Name === name)?.Value;
}

function collectorConfig(template: Template): any {
  return YAML.parse(joinedText(env(containers(template).metrics, 'AOT_CONFIG_CONTENT')));
}

function idOf(b: Built, construct: any): string {
  return b.stack.getLogicalId(construct.node.defaultChild ?? construct);
}

describe('on by default in PRODUCTION', () => {
  const b = production();
  const c = containers(b.template);

  test('LiteLLM serves its metrics on 9090 (--prometheus_metrics_port), a port the task maps to nothing', () => {
    const args: string[] = c.litellm.Command;
    expect(args.slice(args.indexOf('--prometheus_metrics_port'), args.indexOf('--prometheus_metrics_port') + 2)).toEqual(['--prometheus_metrics_port', '9090']);
    expect(c.litellm.PortMappings).toEqual([{ ContainerPort: 4000, Name: 'http', Protocol: 'tcp' }]);
    expect(c.metrics.PortMappings ?? []).toEqual([]);
  });

  test('nothing may reach 9090 from outside the task: the service security group lets in only the load balancer, on 4000', () => {
    const ingress = Object.values<any>(b.template.findResources('AWS::EC2::SecurityGroupIngress'))
      .filter(r => JSON.stringify(r.Properties.GroupId).includes(idOf(b, b.platform.network.serviceSecurityGroup)));
    expect(ingress.map(r => [r.Properties.FromPort, r.Properties.ToPort])).toEqual([[4000, 4000]]);
  });

  test('the init container writes the module that registers LiteLLM\'s PrometheusLogger, and the config loads it instead of `prometheus`', () => {
    expect(c.config.Command[0]).toContain('open("/litellm-config/cdk_litellm_metrics.py", "w").write(os.environ["LITELLM_METRICS_MODULE"])');
    const module: string = env(c.config, 'LITELLM_METRICS_MODULE');
    expect(module).toBe(metricsModuleSource());
    expect(module).toContain('prometheus_logger = PrometheusLogger()');
    const settings = YAML.parse(b.platform.service.renderedConfig).litellm_settings;
    expect(settings.callbacks).toContain('cdk_litellm_metrics.prometheus_logger');
    expect(JSON.stringify(settings)).not.toContain('"prometheus"');
  });

  test('LiteLLM emits only the selected metrics, each with its model group label only (no keys, teams or users)', () => {
    const line = metricsModuleSource().split('\n').find(l => l.startsWith('litellm.prometheus_metrics_config = '))!;
    const groups = JSON.parse(line.slice(line.indexOf('=') + 1));
    expect(groups.map((g: any) => [g.group, g.include_labels])).toEqual([
      ['per-model-group', ['model_group']], ['per-requested-model', ['requested_model']], ['platform', []],
    ]);
    expect(groups.flatMap((g: any) => g.metrics)).toHaveLength(LiteLlmMetrics.METRIC_NAMES.length);
  });

  test('the collector: ADOT pinned by version, non-essential, scraping 127.0.0.1:9090 into the service log group as EMF', () => {
    expect(c.metrics.Image).toBe('public.ecr.aws/aws-observability/aws-otel-collector:v0.43.3');
    expect(c.metrics.Essential).toBe(false);
    // ECS restarts a collector that exits.
    expect(c.metrics.RestartPolicy).toEqual({ Enabled: true });
    expect(c.metrics.Command).toEqual(['--config=env:AOT_CONFIG_CONTENT']);
    const config = collectorConfig(b.template);
    const scrape = config.receivers.prometheus.config.scrape_configs[0];
    expect(scrape.static_configs).toEqual([{ targets: ['127.0.0.1:9090'], labels: { ClusterName: '<token>' } }]);
    expect(scrape.scrape_interval).toBe('60s');
    expect(config.exporters.awsemf).toEqual(expect.objectContaining({
      namespace: 'LiteLLM', log_group_name: '<token>', log_stream_name: 'metrics', dimension_rollup_option: 'NoDimensionRollup',
    }));
    expect(config.service.pipelines.metrics).toEqual({ receivers: ['prometheus'], processors: ['metricstransform', 'cumulativetodelta', 'batch'], exporters: ['awsemf'] });
    // The tokens are the cluster's and the log group's names.
    expect(JSON.stringify(env(c.metrics, 'AOT_CONFIG_CONTENT'))).toContain(idOf(b, b.platform.service.cluster));
    expect(JSON.stringify(env(c.metrics, 'AOT_CONFIG_CONTENT'))).toContain(idOf(b, b.platform.service.logGroup));
  });

  test('counters and histograms become each scrape\'s increase in the collector, first samples kept, never forgotten; batches of 10 s', () => {
    const config = collectorConfig(b.template);
    // ADOT v0.43.3 builds cumulativetodelta (pkg/defaultcomponents/defaults.go:140, contrib v0.117.0).
    expect(config.processors.cumulativetodelta).toEqual({ initial_value: 'keep' });
    expect(config.processors.batch).toEqual({ timeout: '10s' });
    // awsemf then converts nothing: its own first-sample drop and 5-minute expiry never apply.
    expect(config.exporters.awsemf.retain_initial_value_of_delta_metric).toBeUndefined();
  });

  test('ReportingTasks is `up` scaled by the scrape interval over 60 s: its per-minute Sum counts tasks', () => {
    const up = (t: Template) => collectorConfig(t).processors.metricstransform.transforms.find((x: any) => x.include === 'up');
    expect(up(b.template)).toEqual({
      include: 'up',
      match_type: 'strict',
      action: 'update',
      new_name: 'ReportingTasks',
      operations: [{ action: 'experimental_scale_value', experimental_scale: 1 }],
    });
    expect(up(production({ metrics: { scrapeInterval: Duration.seconds(15) } }).template).operations[0].experimental_scale).toBe(0.25);
  });

  test('dimensions are bounded: [ClusterName, model_group] and [ClusterName], nothing else', () => {
    const declarations = collectorConfig(b.template).exporters.awsemf.metric_declarations;
    expect(declarations.map((d: any) => d.dimensions)).toEqual([[['ClusterName', 'model_group'], ['ClusterName']], [['ClusterName']]]);
    const selected = declarations.flatMap((d: any) => d.metric_name_selectors).map((r: string) => r.replace(/^\^|\$$/g, ''));
    expect(selected.sort()).toEqual([...LiteLlmMetrics.METRIC_NAMES, 'ReportingTasks'].sort());
  });

  test('the task role may write the collector\'s log events to the service log group', () => {
    const roleId = b.template.toJSON().Resources[idOf(b, b.platform.service.taskDefinition)].Properties.TaskRoleArn['Fn::GetAtt'][0];
    const statements = Object.values<any>(b.template.findResources('AWS::IAM::Policy'))
      .filter(p => p.Properties.Roles.some((r: any) => r.Ref === roleId)).flatMap(p => p.Properties.PolicyDocument.Statement);
    expect(statements).toContainEqual(expect.objectContaining({
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: { 'Fn::GetAtt': [idOf(b, b.platform.service.logGroup), 'Arn'] },
    }));
  });

  test('an alarm per model group on its failed attempts %, and one on deployments in cooldown, all to the alarm topic', () => {
    const alarms = b.platform.monitoring.modelFailureAlarms;
    expect(alarms).toHaveLength(2);
    const topic = { Ref: idOf(b, b.platform.monitoring.alarmTopic) };
    for (const [alarm, group] of [[alarms[0], 'gpt-4o'], [alarms[1], 'claude-sonnet']] as const) {
      const props = b.template.toJSON().Resources[idOf(b, alarm)].Properties;
      expect(props.Threshold).toBe(10);
      expect(props.EvaluationPeriods).toBe(2);
      expect(props.AlarmActions).toEqual([topic]);
      const expression = props.Metrics.find((m: any) => m.Expression);
      expect(expression.Expression).toBe('IF(requests >= 10, 100 * FILL(failures, 0) / requests, 0)');
      const stats = props.Metrics.filter((m: any) => m.MetricStat).map((m: any) => m.MetricStat.Metric);
      expect(stats.map((m: any) => m.MetricName).sort()).toEqual(['ModelFailures', 'ModelRequests']);
      for (const m of stats) {
        expect(m.Namespace).toBe('LiteLLM');
        expect(m.Dimensions).toContainEqual({ Name: 'model_group', Value: group });
      }
    }
    const cooldown = b.template.toJSON().Resources[idOf(b, b.platform.monitoring.deploymentCooldownAlarm!)].Properties;
    expect(cooldown).toEqual(expect.objectContaining({ MetricName: 'DeploymentCooldowns', Namespace: 'LiteLLM', Threshold: 1, AlarmActions: [topic] }));
  });

  test('the dashboard has a row per model group and the platform\'s fallbacks, cooldowns and spend', () => {
    const body = JSON.stringify(b.template.toJSON().Resources[idOf(b, b.platform.monitoring.dashboard)].Properties.DashboardBody);
    for (const group of ['gpt-4o', 'claude-sonnet']) {
      for (const title of ['attempts / failures', 'latency (s)', 'tokens']) expect(body).toContain(`${group}: ${title}`);
    }
    for (const title of ['Fallbacks', 'Deployments put in cooldown', 'Spend (USD)', 'Tasks reporting metrics']) expect(body).toContain(title);
  });

  test('a platform-wide failure-rate alarm on the ClusterName-only metrics covers groups the config does not name', () => {
    const alarm = b.template.toJSON().Resources[idOf(b, b.platform.monitoring.platformFailureRateAlarm!)].Properties;
    expect(alarm.Threshold).toBe(10);
    expect(alarm.EvaluationPeriods).toBe(2);
    expect(alarm.TreatMissingData).toBe('notBreaching');
    const stats = alarm.Metrics.filter((m: any) => m.MetricStat).map((m: any) => m.MetricStat.Metric);
    expect(stats.map((m: any) => [m.MetricName, m.Dimensions.map((d: any) => d.Name)]).sort())
      .toEqual([['ModelFailures', ['ClusterName']], ['ModelRequests', ['ClusterName']]]);
    expect(b.platform.monitoring.alarms).toContain(b.platform.monitoring.platformFailureRateAlarm);
  });

  test('an alarm when a healthy task\'s metrics stop: healthy targets − ReportingTasks, per minute, 5 of 6, no tasks is no alarm', () => {
    const alarm = b.template.toJSON().Resources[idOf(b, b.platform.monitoring.metricsReportingAlarm!)].Properties;
    expect(alarm).toEqual(expect.objectContaining({
      Threshold: 0.5,
      EvaluationPeriods: 6,
      DatapointsToAlarm: 5,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: idOf(b, b.platform.monitoring.alarmTopic) }],
    }));
    const expression = alarm.Metrics.find((m: any) => m.Expression);
    expect(expression.Expression).toBe('healthy - FILL(reporting, 0)');
    const byId = Object.fromEntries(alarm.Metrics.filter((m: any) => m.MetricStat).map((m: any) => [m.Id, m.MetricStat]));
    expect(byId.healthy).toEqual(expect.objectContaining({ Stat: 'Minimum', Period: 60 }));
    expect(byId.healthy.Metric).toEqual(expect.objectContaining({ Namespace: 'AWS/ApplicationELB', MetricName: 'HealthyHostCount' }));
    expect(byId.reporting).toEqual(expect.objectContaining({ Stat: 'Sum', Period: 60 }));
    expect(byId.reporting.Metric).toEqual(expect.objectContaining({ Namespace: 'LiteLLM', MetricName: 'ReportingTasks' }));
  });

  test('platform.metrics is the service\'s LiteLlmMetrics: the LiteLLM namespace, the cluster and the model group', () => {
    const metrics = b.platform.metrics!;
    expect(metrics).toBe(b.platform.service.metrics);
    const metric = metrics.metricModelRequests({ modelGroup: 'gpt-4o' });
    expect(metric.namespace).toBe('LiteLLM');
    expect(metric.metricName).toBe('ModelRequests');
    expect(Object.keys(metric.dimensions!)).toEqual(['ClusterName', 'model_group']);
    expect(metrics.metricModelFailures({ modelGroup: 'gpt-4o' }).metricName).toBe('ModelFailures');
    expect(metrics.metricModelLatency({ modelGroup: 'gpt-4o' }).statistic).toBe('Average');
    expect(Object.keys(metrics.metricTokens().usingMetrics)).toEqual(['tokensIn', 'tokensOut']);
  });

  test('every metricXxx takes MetricOptions (with modelGroup where LiteLLM reports per group); metric(name, props) like CDK\'s', () => {
    const metrics = b.platform.metrics!;
    const perGroup = [
      metrics.metricModelRequests, metrics.metricModelFailures, metrics.metricModelLatency, metrics.metricRequestLatency,
      metrics.metricInputTokens, metrics.metricOutputTokens, metrics.metricSpend, metrics.metricModelFallbacks, metrics.metricModelFailedFallbacks,
    ].map(f => f.call(metrics, { modelGroup: 'gpt-4o', period: Duration.minutes(1), statistic: 'SampleCount', label: 'x' }));
    expect(perGroup.map(m => m.metricName)).toEqual(LiteLlmMetrics.METRIC_NAMES.filter(n => n !== 'DeploymentCooldowns'));
    for (const m of perGroup) {
      expect(m).toMatchObject({ namespace: 'LiteLLM', statistic: 'SampleCount', label: 'x' });
      expect(m.period.toMinutes()).toBe(1);
      expect(Object.keys(m.dimensions!)).toEqual(['ClusterName', 'model_group']);
      expect(m.dimensions!.model_group).toBe('gpt-4o');
    }
    // Without a model group: the ClusterName-only series, every group together.
    expect(Object.keys(metrics.metricModelLatency().dimensions!)).toEqual(['ClusterName']);
    for (const m of [metrics.metricDeploymentCooldowns({ statistic: 'Maximum' }), metrics.metricReportingTasks({ statistic: 'Maximum' })]) {
      expect(m.statistic).toBe('Maximum');
      expect(Object.keys(m.dimensions!)).toEqual(['ClusterName']);
    }
    const custom = metrics.metric('Spend', { modelGroup: 'gpt-4o', statistic: 'Maximum' });
    expect(custom).toMatchObject({ metricName: 'Spend', statistic: 'Maximum', dimensions: { model_group: 'gpt-4o' } });
    expect(metrics.metric('Spend').statistic).toBe('Average');
    const rate = metrics.metricModelFailureRate({ modelGroup: 'gpt-4o', period: Duration.minutes(10), label: 'rate' });
    expect(rate.period.toMinutes()).toBe(10);
    expect(rate.label).toBe('rate');
    expect((rate.usingMetrics.requests as any).dimensions.model_group).toBe('gpt-4o');
    expect(metrics.metricTokens({ modelGroup: 'gpt-4o' }).label).toBe('gpt-4o tokens');
  });
});

describe('off by default in DEVELOPMENT', () => {
  const b = build();

  test('no collector, no metrics port, no callback, no alarms, no platform.metrics', () => {
    const c = containers(b.template);
    expect(Object.keys(c).sort()).toEqual(['config', 'litellm']);
    expect(c.litellm.Command).not.toContain('--prometheus_metrics_port');
    expect(YAML.parse(b.platform.service.renderedConfig).litellm_settings.callbacks ?? []).not.toContain('cdk_litellm_metrics.prometheus_logger');
    expect(b.platform.monitoring.modelFailureAlarms).toEqual([]);
    expect(b.platform.monitoring.deploymentCooldownAlarm).toBeUndefined();
    expect(b.platform.monitoring.platformFailureRateAlarm).toBeUndefined();
    expect(b.platform.monitoring.metricsReportingAlarm).toBeUndefined();
    expect(b.platform.metrics).toBeUndefined();
  });

  test('metrics: { enabled: true } turns it on', () => {
    expect(Object.keys(containers(build({ metrics: { enabled: true } }).template))).toContain('metrics');
  });
});

describe('/metrics never through the load balancer', () => {
  test.each([
    ['DEVELOPMENT, HTTP', () => build()],
    ['PRODUCTION, HTTP', () => production()],
    ['PRODUCTION, HTTPS', () => {
      const stack = new Stack(new App(), 'Https', { env: ENV });
      const certificate = acm.Certificate.fromCertificateArn(stack, 'Cert', 'arn:aws:acm:us-east-1:123456789012:certificate/abc');
      const platform = new LiteLlmPlatform(stack, 'LiteLlm', { profile: LiteLlmDeploymentProfile.PRODUCTION, models: MODELS(), loadBalancer: { certificate } });
      return { stack, platform, template: Template.fromStack(stack) };
    }],
  ])('%s: the serving listener answers /metrics and /metrics/* with a fixed 404', (_, make) => {
    const b: Built = make();
    const listener = idOf(b, b.platform.loadBalancer.listener);
    b.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      ListenerArn: { Ref: listener },
      Priority: 1,
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/metrics', '/metrics/*'] } }],
      Actions: [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain', MessageBody: 'Not Found' } }],
    });
  });

  test('a raw `prometheus` callback is refused, with metrics on or off', () => {
    expect(() => production({ config: { litellmSettings: { callbacks: ['prometheus'] } } }))
      .toThrow('`metrics` already registers LiteLLM\'s Prometheus metrics, on their own port: remove it');
    expect(() => build({ config: { litellmSettings: { success_callback: ['prometheus'] } } }))
      .toThrow('serves /metrics on the port the load balancer serves to any valid key, so every tenant would read every team\'s series');
  });
});

describe('checks at synth', () => {
  test('the metrics port may not be the serving port, nor privileged', () => {
    expect(() => production({ metrics: { port: 4000 } })).toThrow('`metrics.port` (4000) must be an integer from 1024 to 65535 other than 4000');
    expect(() => production({ metrics: { port: 80 } })).toThrow('`metrics.port` (80)');
  });

  test('the scrape interval divides a minute (token scaling\'s fixed 60 s period, ReportingTasks per minute)', () => {
    const message = (n: number) => `\`metrics.scrapeInterval\` (${n} s) must divide a minute: 10, 12, 15, 20, 30 or 60 seconds (token scaling and ReportingTasks add up whole minutes)`;
    expect(() => production({ metrics: { scrapeInterval: Duration.seconds(5) } })).toThrow(message(5));
    expect(() => production({ metrics: { scrapeInterval: Duration.seconds(45) } })).toThrow(message(45));
    expect(() => production({ metrics: { scrapeInterval: Duration.seconds(120) } })).toThrow(message(120));
    expect(() => production({ service: { tokensPerTarget: 1000 }, metrics: { scrapeInterval: Duration.seconds(90) } })).toThrow(message(90));
    for (const n of [10, 12, 15, 20, 30, 60]) expect(() => production({ metrics: { scrapeInterval: Duration.seconds(n) } })).not.toThrow();
  });

  test('the metrics port may not be the configured containerPort (building blocks)', () => {
    const service = (containerPort: number, metrics: LiteLlmServiceMetricsOptions) => () => {
      const stack = new Stack(new App(), 'Blocks', { env: ENV });
      const blocks = buildingBlocks(stack, { providerKeyNames: ['OPENAI_API_KEY'] }, { containerPort });
      new LiteLlmService(stack, 'Service', { ...blocks, models: MODELS().slice(0, 1), metrics: { enabled: true, ...metrics } });
    };
    expect(service(9090, {}))
      .toThrow('`metrics.port` (9090) must be an integer from 1024 to 65535 other than 9090, the port the load balancer serves (`containerPort`)');
    expect(service(9090, { port: 4000 })).not.toThrow();
  });

  test('model group names CloudWatch refuses as dimension values fail at synth', () => {
    const named = (name: string) => () => production({ models: [LiteLlmModel.openAi({ name, modelId: 'gpt-4o' })] });
    const message = (name: string) => `model group ${JSON.stringify(name)} cannot be a CloudWatch dimension value (printable ASCII, not blank, at most 1,024 characters): rename the model, or turn \`metrics\` off`;
    expect(named('gpt-4o-ü')).toThrow(message('gpt-4o-ü'));
    expect(named(' ')).toThrow(message(' '));
    expect(named('a\tb')).toThrow(message('a\tb'));
  });

  test('a name LiteLLM escapes gets its alarm on the escaped value; a wildcard name gets none', () => {
    const b = production({
      models: [LiteLlmModel.openAi({ name: 'say "hi"', modelId: 'gpt-4o' }), LiteLlmModel.openAi({ name: 'openai/*', modelId: '*' })],
    });
    const alarms = b.platform.monitoring.modelFailureAlarms;
    expect(alarms).toHaveLength(1);
    const props = b.template.toJSON().Resources[idOf(b, alarms[0])].Properties;
    const dims = props.Metrics.filter((m: any) => m.MetricStat).map((m: any) => m.MetricStat.Metric.Dimensions.find((d: any) => d.Name === 'model_group').Value);
    expect(dims).toEqual(['say \\"hi\\"', 'say \\"hi\\"']);
    expect(JSON.stringify(b.template.toJSON().Resources[idOf(b, b.platform.monitoring.dashboard)].Properties.DashboardBody)).not.toContain('openai/*: ');
  });

  test('listener rule priority 1 is the /metrics 404\'s: another rule there fails at synth', () => {
    const app = new App();
    const stack = new Stack(app, 'Metrics', { env: ENV });
    const platform = new LiteLlmPlatform(stack, 'LiteLlm', { models: MODELS() });
    platform.loadBalancer.listener.addAction('Mine', {
      priority: 1,
      conditions: [elbv2.ListenerCondition.pathPatterns(['/x'])],
      action: elbv2.ListenerAction.fixedResponse(200),
    });
    expect(() => app.synth())
      .toThrow('the listener rule Metrics/LiteLlm/LoadBalancer/LoadBalancer/Http/MineRule/Resource has priority 1, which the platform\'s /metrics 404 rule holds: give it another priority');
  });

  test('the model failure threshold is a percentage above 0', () => {
    expect(() => production({ monitoring: { modelFailureRatePercent: 0 } })).toThrow('`modelFailureRatePercent` (0) must be above 0 and at most 100');
    expect(() => production({ monitoring: { modelFailureRatePercent: 150 } })).toThrow('`modelFailureRatePercent` (150) must be above 0 and at most 100');
  });

  test('without NAT the collector image must come from your ECR', () => {
    const noNat = { network: { natGateways: 0 }, image: LiteLlmImage.fromEcrRepository(ecr.Repository.fromRepositoryName(new Stack(), 'R', 'litellm'), 'v1') };
    const models = [LiteLlmModel.bedrock({ name: 'claude-sonnet', modelId: 'us.anthropic.claude-sonnet-4-20250514-v1:0' })];
    expect(() => production({ ...noNat, models }))
      .toThrow('the metrics collector\'s image (public.ecr.aws/aws-observability/aws-otel-collector:v0.43.3, Amazon ECR Public) needs internet egress');
    const stack = new Stack(new App(), 'NoNat', { env: ENV });
    const repo = ecr.Repository.fromRepositoryName(stack, 'Collector', 'aws-otel-collector');
    expect(() => new LiteLlmPlatform(stack, 'LiteLlm', {
      profile: LiteLlmDeploymentProfile.PRODUCTION,
      loadBalancer: { allowHttp: true },
      models,
      network: { natGateways: 0 },
      image: LiteLlmImage.fromEcrRepository(ecr.Repository.fromRepositoryName(stack, 'Image', 'litellm'), 'v1.108.7'),
      metrics: { collectorImage: ecs.ContainerImage.fromEcrRepository(repo, 'v0.43.3') },
    })).not.toThrow();
  });
});

describe('tokensPerTarget', () => {
  test('target tracking on (input + output tokens) ÷ reporting tasks, per minute', () => {
    const b = production({ service: { tokensPerTarget: 50_000 } });
    const [policy] = Object.values<any>(b.template.findResources('AWS::ApplicationAutoScaling::ScalingPolicy'))
      .filter(p => p.Properties.TargetTrackingScalingPolicyConfiguration?.CustomizedMetricSpecification?.Metrics);
    const config = policy.Properties.TargetTrackingScalingPolicyConfiguration;
    expect(config.TargetValue).toBe(50_000);
    const metrics = config.CustomizedMetricSpecification.Metrics;
    expect(metrics.map((m: any) => m.Id)).toEqual(['tokensIn', 'tokensOut', 'tasks', 'tokensPerTask']);
    expect(metrics.map((m: any) => m.MetricStat?.Metric.MetricName)).toEqual(['InputTokens', 'OutputTokens', 'ReportingTasks', undefined]);
    expect(metrics[3]).toEqual(expect.objectContaining({ Expression: '(FILL(tokensIn, 0) + FILL(tokensOut, 0)) / tasks', ReturnData: true }));
    expect(metrics.slice(0, 3).every((m: any) => m.ReturnData === false && m.MetricStat.Stat === 'Sum')).toBe(true);
    expect(metrics[0].MetricStat.Metric.Dimensions).toEqual([{ Name: 'ClusterName', Value: { Ref: idOf(b, b.platform.service.cluster) } }]);
  });

  test('needs metrics and a whole number', () => {
    expect(() => build({ service: { tokensPerTarget: 1000 } })).toThrow('`tokensPerTarget` scales on LiteLLM\'s token metrics, but `metrics` is off');
    expect(() => production({ service: { tokensPerTarget: 0.5 } })).toThrow('`tokensPerTarget` (0.5) must be an integer >= 1');
  });
});
