import { App, CfnElement, CfnParameter, Duration, Stack, aws_cloudwatch as cloudwatch, aws_elasticloadbalancingv2 as elbv2 } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Construct, IConstruct } from 'constructs';
import { LiteLlmDeploymentProfile, LiteLlmModel, LiteLlmMonitoring, LiteLlmPlatform, LiteLlmPlatformProps, LiteLlmSecurity } from '../src';
import { joinedText } from './support/template';

const ENV = { account: '123456789012', region: 'us-east-1' };
const EMAILS = ['oncall@example.com', 'platform-team@example.com'];
/**
 * Service (CPU, memory, unhealthy hosts, target 5xx, redeploy errors), database (CPU, storage,
 * connections, rotation), cache (CPU, memory, evictions), ALB 5xx, latency, master key.
 */
/** Alarms of a platform with one task (no cache); a cache adds its three. */
const PLATFORM_ALARMS = 12;
const CACHE_ALARMS = 3;
const BASE_WIDGETS = [
  'Requests', '4xx / 5xx', 'Latency p50 / p99',
  'ECS CPU %', 'ECS memory %', 'Running tasks',
  'RDS CPU %', 'RDS connections', 'RDS free storage', 'RDS read / write latency',
];
const CACHE_WIDGETS = ['Cache engine CPU %', 'Cache memory %', 'Cache evictions', 'Cache connections'];
/** PRODUCTION turns LiteLLM's metrics on: a row for its one model group, then the platform's. */
const GATEWAY_WIDGETS = [
  'claude-sonnet: attempts / failures', 'claude-sonnet: latency (s)', 'claude-sonnet: tokens',
  'Fallbacks', 'Deployments put in cooldown', 'Spend (USD)', 'Tasks reporting metrics',
];
/**
 * PRODUCTION's gateway alarms: the model group's failure rate, all groups' failure rate,
 * tasks whose metrics stopped, and deployments in cooldown.
 */
const GATEWAY_ALARMS = 4;

interface Synth {
  readonly stack: Stack;
  readonly platform: LiteLlmPlatform;
  readonly template: Template;
}

function build(props: (stack: Stack) => Partial<LiteLlmPlatformProps> = () => ({})): { stack: Stack; platform: LiteLlmPlatform } {
  const stack = new Stack(new App(), 'Stack', { env: ENV });
  const platform = new LiteLlmPlatform(stack, 'LiteLlm', {
    models: [LiteLlmModel.bedrock({ name: 'claude-sonnet', modelId: 'us.anthropic.claude-sonnet-4-20250514-v1:0' })],
    ...props(stack),
  });
  return { stack, platform };
}

function synth(props?: (stack: Stack) => Partial<LiteLlmPlatformProps>): Synth {
  const built = build(props);
  return { ...built, template: Template.fromStack(built.stack) };
}

/** Logical ID of an L1 resource, or of an L2 construct's default child. */
function logicalId(stack: Stack, construct: IConstruct): string {
  return stack.getLogicalId(construct instanceof CfnElement ? construct : construct.node.defaultChild as CfnElement);
}

function only(template: Template, type: string): any {
  const found = Object.values(template.findResources(type));
  expect(found).toHaveLength(1);
  return found[0];
}

/** The properties of one alarm of the platform. */
function alarm(s: Synth, construct: cloudwatch.IAlarm): any {
  const found = s.template.toJSON().Resources[logicalId(s.stack, construct)];
  expect(found?.Type).toBe('AWS::CloudWatch::Alarm');
  return found.Properties;
}

function topicRef(s: Synth): { Ref: string } {
  return { Ref: logicalId(s.stack, s.platform.monitoring.alarmTopic) };
}

/** ALARM and OK actions of every alarm in the template. */
function alarmActions(s: Synth): any[] {
  return Object.values(s.template.findResources('AWS::CloudWatch::Alarm'))
    .map((a: any) => ({ AlarmActions: a.Properties.AlarmActions, OKActions: a.Properties.OKActions }));
}

function everyStateToTopic(s: Synth) {
  return { AlarmActions: [topicRef(s)], OKActions: [topicRef(s)] };
}

/** The dashboard body as JSON; CloudFormation values inside it become "<token>". */
function dashboardBody(template: Template): any {
  return JSON.parse(joinedText(only(template, 'AWS::CloudWatch::Dashboard').Properties.DashboardBody));
}

function widgetTitles(template: Template): string[] {
  return dashboardBody(template).widgets.map((w: any) => w.properties.title);
}

function widget(template: Template, title: string): any {
  const found = dashboardBody(template).widgets.filter((w: any) => w.properties.title === title);
  expect(found).toHaveLength(1);
  return found[0];
}

describe('LiteLlmMonitoring in a LiteLlmPlatform (DEVELOPMENT, defaults)', () => {
  let s: Synth;
  beforeAll(() => {
    // GIVEN / WHEN
    s = synth();
  });

  test('one SNS topic, encrypted with the platform key', () => {
    // THEN
    s.template.resourceCountIs('AWS::SNS::Topic', 1);
    s.template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: s.stack.resolve(s.platform.security.encryptionKey.keyArn),
    });
    expect(logicalId(s.stack, s.platform.monitoring.alarmTopic)).toBe(Object.keys(s.template.findResources('AWS::SNS::Topic'))[0]);
  });

  test('the topic policy denies publishing without TLS', () => {
    // THEN
    s.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [topicRef(s)],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Effect: 'Deny',
          Principal: '*',
          Action: 'sns:Publish',
          Resource: topicRef(s),
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        })]),
      },
    });
  });

  test('no e-mail subscription without `alarmEmails`', () => {
    // THEN
    s.template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  test(`every alarm of the platform (${PLATFORM_ALARMS}) notifies the topic on ALARM and OK`, () => {
    // THEN
    expect(alarmActions(s)).toEqual(Array(PLATFORM_ALARMS).fill(everyStateToTopic(s)));
    expect(s.platform.monitoring.alarms).toHaveLength(PLATFORM_ALARMS);
  });

  test('`alarms` lists the service, database, load balancer and master-key alarms', () => {
    // THEN
    const { service, database, security, monitoring, loadBalancer } = s.platform;
    expect(monitoring.alarms).toEqual(expect.arrayContaining([
      ...service.alarms, ...database.alarms, security.masterKeyRotationAlarm, ...loadBalancer.alarms,
    ]));
    expect(new Set(monitoring.alarms).size).toBe(monitoring.alarms.length);
  });

  test('the platform\'s `alarmTopic` is the monitoring topic; every block\'s `alarms` is a copy the caller cannot change', () => {
    // THEN
    expect(s.platform.alarmTopic).toBe(s.platform.monitoring.alarmTopic);
    expect(s.platform.security.alarms).toEqual([s.platform.security.masterKeyRotationAlarm]);
    for (const block of [s.platform.security, s.platform.database, s.platform.service, s.platform.monitoring]) {
      block.alarms.pop();
      expect(block.alarms.length).toBeGreaterThan(0);
    }
    expect(s.platform.monitoring.alarms).toHaveLength(PLATFORM_ALARMS);
  });

  test('service CPU alarm: average > 85 % for 3 × 5 minutes', () => {
    // THEN
    expect(alarm(s, s.platform.service.cpuAlarm)).toMatchObject({
      Namespace: 'AWS/ECS',
      MetricName: 'CPUUtilization',
      Statistic: 'Average',
      Period: 300,
      EvaluationPeriods: 3,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 85,
      AlarmActions: [topicRef(s)],
      OKActions: [topicRef(s)],
    });
  });

  test('service memory alarm: average > 90 % for 3 × 5 minutes', () => {
    // THEN
    expect(alarm(s, s.platform.service.memoryAlarm)).toMatchObject({
      Namespace: 'AWS/ECS',
      MetricName: 'MemoryUtilization',
      Statistic: 'Average',
      Period: 300,
      EvaluationPeriods: 3,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 90,
      AlarmActions: [topicRef(s)],
      OKActions: [topicRef(s)],
    });
  });

  test('unhealthy hosts alarm: maximum >= 1 for 3 × 1 minute, on the target group', () => {
    // THEN
    const properties = alarm(s, s.platform.service.unhealthyHostsAlarm);
    expect(properties).toMatchObject({
      Namespace: 'AWS/ApplicationELB',
      MetricName: 'UnHealthyHostCount',
      Statistic: 'Maximum',
      Period: 60,
      EvaluationPeriods: 3,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      AlarmActions: [topicRef(s)],
      OKActions: [topicRef(s)],
    });
    expect(properties.Dimensions).toContainEqual({
      Name: 'TargetGroup', Value: { 'Fn::GetAtt': [logicalId(s.stack, s.platform.loadBalancer.targetGroup), 'TargetGroupFullName'] },
    });
  });

  test('target 5xx alarm: sum > 10 for 2 × 5 minutes', () => {
    // THEN
    expect(alarm(s, s.platform.loadBalancer.target5xxAlarm)).toMatchObject({
      Namespace: 'AWS/ApplicationELB',
      MetricName: 'HTTPCode_Target_5XX_Count',
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 2,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 10,
      AlarmActions: [topicRef(s)],
      OKActions: [topicRef(s)],
    });
  });

  test('load balancer 5xx alarm: sum > 10 for 2 × 5 minutes, on the load balancer', () => {
    // THEN
    const properties = alarm(s, s.platform.loadBalancer.loadBalancer5xxAlarm);
    expect(properties).toMatchObject({
      Namespace: 'AWS/ApplicationELB',
      MetricName: 'HTTPCode_ELB_5XX_Count',
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 2,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 10,
      TreatMissingData: 'notBreaching',
      AlarmActions: [topicRef(s)],
      OKActions: [topicRef(s)],
    });
    expect(properties.Dimensions).toEqual([{
      Name: 'LoadBalancer', Value: { 'Fn::GetAtt': [logicalId(s.stack, s.platform.loadBalancer.loadBalancer), 'LoadBalancerFullName'] },
    }]);
  });

  test('latency alarm: p99 target response time > 120 s for 3 × 5 minutes', () => {
    // THEN
    const properties = alarm(s, s.platform.loadBalancer.latencyAlarm);
    expect(properties).toMatchObject({
      Namespace: 'AWS/ApplicationELB',
      MetricName: 'TargetResponseTime',
      ExtendedStatistic: 'p99',
      Period: 300,
      EvaluationPeriods: 3,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 120,
      AlarmActions: [topicRef(s)],
      OKActions: [topicRef(s)],
    });
    expect(properties.Statistic).toBeUndefined();
  });

  test('database alarms notify the topic', () => {
    // THEN
    const { database } = s.platform;
    expect(database.alarms).toHaveLength(4);
    expect(alarm(s, database.cpuAlarm)).toMatchObject({ Namespace: 'AWS/RDS', MetricName: 'CPUUtilization', AlarmActions: [topicRef(s)], OKActions: [topicRef(s)] });
    expect(alarm(s, database.freeStorageAlarm)).toMatchObject({ Namespace: 'AWS/RDS', MetricName: 'FreeStorageSpace', AlarmActions: [topicRef(s)], OKActions: [topicRef(s)] });
    expect(alarm(s, database.connectionsAlarm)).toMatchObject({ Namespace: 'AWS/RDS', MetricName: 'DatabaseConnections', AlarmActions: [topicRef(s)], OKActions: [topicRef(s)] });
    expect(alarm(s, database.passwordRotationAlarm)).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Errors', AlarmActions: [topicRef(s)], OKActions: [topicRef(s)] });
  });

  test('master-key function errors notify the topic', () => {
    // THEN
    expect(alarm(s, s.platform.security.masterKeyRotationAlarm)).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Statistic: 'Sum',
      AlarmActions: [topicRef(s)],
      OKActions: [topicRef(s)],
    });
  });

  test('redeploy function errors notify the topic', () => {
    // THEN
    expect(alarm(s, s.platform.service.redeployAlarm)).toMatchObject({
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Statistic: 'Sum',
      AlarmActions: [topicRef(s)],
      OKActions: [topicRef(s)],
    });
  });

  test('one dashboard, named after the deployed stack, its region and a hash of the construct path, over the last 3 hours', () => {
    // THEN: unique per platform, per stack and per region (dashboards are global to the account)
    s.template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    s.template.hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardName: { 'Fn::Join': ['-', [{ Ref: 'AWS::StackName' }, 'us-east-1-LiteLLM-1C4B55ED']] },
    });
    expect(dashboardBody(s.template).start).toBe('-PT3H');
    expect(logicalId(s.stack, s.platform.monitoring.dashboard)).toBe(Object.keys(s.template.findResources('AWS::CloudWatch::Dashboard'))[0]);
  });

  test('dashboard charts the load balancer, the service and the database, without WAF', () => {
    // THEN
    expect(widgetTitles(s.template)).toEqual(BASE_WIDGETS);
  });

  test('dashboard charts p50 and p99 response times of the load balancer', () => {
    // THEN
    expect(widget(s.template, 'Latency p50 / p99').properties.metrics).toEqual([
      ['AWS/ApplicationELB', 'TargetResponseTime', 'LoadBalancer', '<token>', { stat: 'p50' }],
      ['AWS/ApplicationELB', 'TargetResponseTime', 'LoadBalancer', '<token>', { stat: 'p99' }],
    ]);
  });

  test('dashboard charts 4xx and 5xx of the targets and of the load balancer itself', () => {
    // THEN
    expect(widget(s.template, '4xx / 5xx').properties.metrics.map((m: unknown[]) => m[1])).toEqual([
      'HTTPCode_Target_4XX_Count', 'HTTPCode_Target_5XX_Count', 'HTTPCode_ELB_4XX_Count', 'HTTPCode_ELB_5XX_Count',
    ]);
  });

  test('dashboard charts RDS read and write latency', () => {
    // THEN
    expect(widget(s.template, 'RDS read / write latency').properties.metrics).toEqual([
      ['AWS/RDS', 'ReadLatency', 'DBInstanceIdentifier', '<token>'],
      ['AWS/RDS', 'WriteLatency', 'DBInstanceIdentifier', '<token>'],
    ]);
  });
});

describe('LiteLlmMonitoring in a LiteLlmPlatform (PRODUCTION, e-mails, p99 threshold)', () => {
  let s: Synth;
  beforeAll(() => {
    // GIVEN / WHEN
    s = synth(() => ({
      profile: LiteLlmDeploymentProfile.PRODUCTION,
      loadBalancer: { allowHttp: true, p99LatencyThreshold: Duration.seconds(300) },
      monitoring: { alarmEmails: EMAILS },
    }));
  });

  test('subscribes each e-mail address to the topic', () => {
    // THEN
    s.template.resourceCountIs('AWS::SNS::Subscription', EMAILS.length);
    for (const email of EMAILS) {
      s.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: email, TopicArn: topicRef(s) });
    }
  });

  test('`p99LatencyThreshold` sets the latency alarm threshold', () => {
    // THEN
    expect(alarm(s, s.platform.loadBalancer.latencyAlarm)).toMatchObject({
      ExtendedStatistic: 'p99',
      Period: 300,
      EvaluationPeriods: 3,
      Threshold: 300,
      AlarmDescription: 'LiteLLM p99 response time above 300 s for 15 minutes',
    });
  });

  test(`every alarm of the platform, its cache and its model groups (${PLATFORM_ALARMS + CACHE_ALARMS + GATEWAY_ALARMS}) notifies the topic on ALARM and OK`, () => {
    // THEN
    expect(alarmActions(s)).toEqual(Array(PLATFORM_ALARMS + CACHE_ALARMS + GATEWAY_ALARMS).fill(everyStateToTopic(s)));
  });

  test('dashboard adds the cache, the model groups\' rows, then WAF allowed / blocked last', () => {
    // THEN
    expect(widgetTitles(s.template)).toEqual([...BASE_WIDGETS, ...CACHE_WIDGETS, ...GATEWAY_WIDGETS, 'WAF allowed / blocked']);
  });

  test('the WAF widget charts the web ACL\'s allowed and blocked requests in the region', () => {
    // THEN
    // The web ACL's name comes from its ARN at deploy (CloudFormation names it).
    expect(s.platform.loadBalancer.webAcl!.name).toBeUndefined();
    const webAclName = '<token>';
    expect(widget(s.template, 'WAF allowed / blocked').properties.metrics).toEqual([
      ['AWS/WAFV2', 'AllowedRequests', 'Region', 'us-east-1', 'Rule', 'ALL', 'WebACL', webAclName, { stat: 'Sum' }],
      ['AWS/WAFV2', 'BlockedRequests', 'Region', 'us-east-1', 'Rule', 'ALL', 'WebACL', webAclName, { stat: 'Sum' }],
    ]);
  });

  test('the running tasks widget charts healthy targets, which have data in every profile', () => {
    // THEN
    expect(widget(s.template, 'Running tasks').properties.metrics[0].slice(0, 2)).toEqual(['AWS/ApplicationELB', 'HealthyHostCount']);
  });
});

describe('LiteLlmMonitoring.addAlarm', () => {
  test('an alarm or a composite alarm of the app notifies the topic on ALARM and OK, once, and joins `alarms`', () => {
    // GIVEN
    const { stack, platform } = build();
    const mine = new cloudwatch.Alarm(stack, 'Mine', {
      metric: platform.service.service.metricCpuUtilization(), threshold: 50, evaluationPeriods: 1,
    });
    const composite = new cloudwatch.CompositeAlarm(stack, 'Composite', { alarmRule: cloudwatch.AlarmRule.fromAlarm(mine, cloudwatch.AlarmState.ALARM) });
    // WHEN
    platform.monitoring.addAlarm(mine);
    platform.monitoring.addAlarm(mine);
    platform.monitoring.addAlarm(composite);
    // THEN
    const s = { stack, platform, template: Template.fromStack(stack) };
    expect(alarm(s, mine)).toMatchObject(everyStateToTopic(s));
    const compositeProps = s.template.toJSON().Resources[logicalId(stack, composite)].Properties;
    expect(compositeProps).toMatchObject(everyStateToTopic(s));
    expect(platform.monitoring.alarms).toHaveLength(PLATFORM_ALARMS + 2);
    expect(platform.monitoring.alarms.slice(-2)).toEqual([mine, composite]);
  });

  test('an imported alarm is refused: its actions are set where it is defined', () => {
    // GIVEN
    const { stack, platform } = build();
    const imported = cloudwatch.Alarm.fromAlarmArn(stack, 'Imported', 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:theirs');
    // THEN
    expect(() => platform.monitoring.addAlarm(imported)).toThrow('`addAlarm` sets the alarm topic as the actions of Stack/Imported, but it is an imported alarm '
      + 'whose actions CloudFormation does not manage here: add the topic (`alarmTopic`) to its actions where it is defined, '
      + 'or pass an `Alarm` or `CompositeAlarm` created in this app');
  });
});

describe('LiteLlmMonitoring `alarmEmails` validation', () => {
  test.each(['not-an-email', 'oncall@example', 'on call@example.com', '@example.com'])('"%s" is rejected', (email) => {
    // GIVEN / WHEN
    const make = () => build(() => ({ monitoring: { alarmEmails: ['oncall@example.com', email] } }));

    // THEN
    expect(make).toThrow(new Error(`\`alarmEmails\` has "${email}", which is not an e-mail address: fix it or remove it`));
  });

  test('a token (e.g. a parameter) is accepted and subscribed', () => {
    // GIVEN
    let parameter: CfnParameter | undefined;

    // WHEN
    const s = synth(stack => {
      parameter = new CfnParameter(stack, 'AlarmEmail', { type: 'String' });
      return { monitoring: { alarmEmails: [parameter.valueAsString] } };
    });

    // THEN
    s.template.resourceCountIs('AWS::SNS::Subscription', 1);
    s.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email', Endpoint: { Ref: logicalId(s.stack, parameter!) }, TopicArn: topicRef(s),
    });
  });
});

describe('LiteLlmPlatform metric helpers', () => {
  let stack: Stack;
  let platform: LiteLlmPlatform;
  let albDimensions: unknown;
  let serviceDimensions: unknown;
  beforeAll(() => {
    // GIVEN
    ({ stack, platform } = build());
    albDimensions = { LoadBalancer: stack.resolve(platform.loadBalancer.loadBalancer.loadBalancerFullName) };
    serviceDimensions = {
      ClusterName: stack.resolve(platform.service.cluster.clusterName),
      ServiceName: stack.resolve(platform.service.service.serviceName),
    };
  });

  function describeMetric(metric: cloudwatch.Metric) {
    return {
      namespace: metric.namespace,
      metricName: metric.metricName,
      statistic: metric.statistic,
      periodSeconds: metric.period.toSeconds(),
      dimensions: stack.resolve(metric.dimensions),
    };
  }

  test('metricRequestCount: ALB RequestCount, Sum over 5 minutes', () => {
    // WHEN
    const metric = platform.metricRequestCount();

    // THEN
    expect(describeMetric(metric)).toEqual({
      namespace: 'AWS/ApplicationELB', metricName: 'RequestCount', statistic: 'Sum', periodSeconds: 300, dimensions: albDimensions,
    });
  });

  test('metricHttpCodeTarget: HTTPCode_Target_5XX_Count of the LiteLLM target group, Sum over 5 minutes', () => {
    // WHEN
    const metric = platform.metricHttpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT);

    // THEN
    expect(describeMetric(metric)).toEqual({
      namespace: 'AWS/ApplicationELB',
      metricName: 'HTTPCode_Target_5XX_Count',
      statistic: 'Sum',
      periodSeconds: 300,
      dimensions: {
        LoadBalancer: stack.resolve(platform.loadBalancer.loadBalancer.loadBalancerFullName),
        TargetGroup: stack.resolve(platform.loadBalancer.targetGroup.targetGroupFullName),
      },
    });
  });

  test('metricHttpCodeElb: ALB HTTPCode_ELB_5XX_Count, Sum over 5 minutes', () => {
    // WHEN
    const metric = platform.metricHttpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT);

    // THEN
    expect(describeMetric(metric)).toEqual({
      namespace: 'AWS/ApplicationELB', metricName: 'HTTPCode_ELB_5XX_Count', statistic: 'Sum', periodSeconds: 300, dimensions: albDimensions,
    });
  });

  test('metricTargetResponseTime: ALB TargetResponseTime, p99 over 5 minutes', () => {
    // WHEN
    const metric = platform.metricTargetResponseTime();

    // THEN
    expect(describeMetric(metric)).toEqual({
      namespace: 'AWS/ApplicationELB', metricName: 'TargetResponseTime', statistic: 'p99', periodSeconds: 300, dimensions: albDimensions,
    });
  });

  test('metricCpuUtilization: ECS CPUUtilization of the service, Average over 5 minutes', () => {
    // WHEN
    const metric = platform.metricCpuUtilization();

    // THEN
    expect(describeMetric(metric)).toEqual({
      namespace: 'AWS/ECS', metricName: 'CPUUtilization', statistic: 'Average', periodSeconds: 300, dimensions: serviceDimensions,
    });
  });

  test('metricMemoryUtilization: ECS MemoryUtilization of the service, Average over 5 minutes', () => {
    // WHEN
    const metric = platform.metricMemoryUtilization();

    // THEN
    expect(describeMetric(metric)).toEqual({
      namespace: 'AWS/ECS', metricName: 'MemoryUtilization', statistic: 'Average', periodSeconds: 300, dimensions: serviceDimensions,
    });
  });

  test('metricDatabaseConnections: RDS DatabaseConnections of the instance, Maximum over 5 minutes', () => {
    // WHEN
    const metric = platform.metricDatabaseConnections();

    // THEN
    expect(describeMetric(metric)).toEqual({
      namespace: 'AWS/RDS',
      metricName: 'DatabaseConnections',
      statistic: 'Maximum',
      periodSeconds: 300,
      dimensions: { DBInstanceIdentifier: stack.resolve(platform.database.instance.instanceIdentifier) },
    });
  });

  test.each([
    ['metricRequestCount', 'Sum'],
    ['metricTargetResponseTime', 'p99'],
    ['metricCpuUtilization', 'Average'],
    ['metricMemoryUtilization', 'Average'],
    ['metricDatabaseConnections', 'Maximum'],
  ] as const)('%s takes `period` from its props and keeps its statistic (%s)', (helper, statistic) => {
    // WHEN
    const metric = platform[helper]({ period: Duration.minutes(1) });

    // THEN
    expect(metric.period.toSeconds()).toBe(60);
    expect(metric.statistic).toBe(statistic);
  });

  test('props override the statistic', () => {
    // WHEN
    const p50 = platform.metricTargetResponseTime({ statistic: 'p50' });
    const average = platform.metricDatabaseConnections({ statistic: 'Average', period: Duration.minutes(15) });

    // THEN
    expect(p50.statistic).toBe('p50');
    expect(p50.period.toSeconds()).toBe(300);
    expect(average.statistic).toBe('Average');
    expect(average.period.toSeconds()).toBe(900);
  });
});

describe('two platforms in one stack', () => {
  test('get two dashboards with different names', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Two', { env: { account: '123456789012', region: 'us-east-1' } });
    const models = () => [LiteLlmModel.mock({ name: 'm' })];

    // WHEN
    new LiteLlmPlatform(stack, 'Blue', { models: models() });
    new LiteLlmPlatform(stack, 'Green', { models: models() });

    // THEN
    const names = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Dashboard')).map(d => d.Properties.DashboardName);
    expect(names).toHaveLength(2);
    expect(new Set(names).size).toBe(2);
  });
});

describe('the alarm topic\'s key', () => {
  test('CloudWatch may use the platform key only for the alarm topic, named by its ARN in the encryption context', () => {
    // GIVEN
    const s = synth();
    const topic = only(s.template, 'AWS::SNS::Topic').Properties;
    const key = only(s.template, 'AWS::KMS::Key').Properties;

    // WHEN
    const forCloudWatch = key.KeyPolicy.Statement.filter((st: any) => st.Principal?.Service === 'cloudwatch.amazonaws.com');

    // THEN
    expect(topic.TopicName).toMatch(/^Stack-AlarmTopic-[0-9A-F]{8}$/);
    expect(forCloudWatch).toEqual([expect.objectContaining({
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Condition: {
        StringEquals: {
          'aws:SourceAccount': '123456789012',
          'kms:EncryptionContext:aws:sns:topicArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:sns:us-east-1:123456789012:${topic.TopicName}`]] },
        },
      },
    })]);
  });

  test.each(['Alarm Topic', 'alarms.v2', 'Ops: alarms (prod)'])('a topic created with the id "%s" gets a name SNS accepts (1-256 of A-Za-z0-9_-)', id => {
    // GIVEN
    const stack = new Stack(new App(), 'Stack', { env: { account: '123456789012', region: 'us-east-1' } });
    const security = new LiteLlmSecurity(stack, 'Security');

    // WHEN
    LiteLlmMonitoring.createAlarmTopic(new Construct(stack, 'Ops'), id, { encryptionKey: security.encryptionKey });

    // THEN
    const name = only(Template.fromStack(stack), 'AWS::SNS::Topic').Properties.TopicName;
    expect(name).toMatch(/^[A-Za-z0-9_-]{1,256}$/);
    expect(name).toMatch(new RegExp(`^Stack-${id.replace(/[^A-Za-z0-9_-]/g, '')}-[0-9A-F]{8}$`));
  });

  test('in a split the topic created beside the key scopes the key the same way, and alarms of later stacks publish to it', () => {
    // GIVEN
    const { fiveStacks } = jest.requireActual('./support/scenarios');
    const app = fiveStacks().app;
    const security = Template.fromStack(app.node.findChild('Security') as Stack);

    // THEN
    const topic = only(security, 'AWS::SNS::Topic').Properties;
    const statements = only(security, 'AWS::KMS::Key').Properties.KeyPolicy.Statement.filter((st: any) => st.Principal?.Service === 'cloudwatch.amazonaws.com');
    expect(statements).toHaveLength(1);
    expect(JSON.stringify(statements[0].Condition)).toContain(topic.TopicName);
  });
});
