import {
  Annotations, ArnFormat, Aws, Duration, Fn, Names, Stack, Token,
  aws_cloudwatch as cloudwatch, aws_cloudwatch_actions as actions, aws_elasticloadbalancingv2 as elbv2, aws_iam as iam,
  aws_kms as kms, aws_sns as sns,
  aws_sns_subscriptions as subscriptions,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { LiteLlmCache } from './cache';
import { LiteLlmDatabase } from './database';
import { LiteLlmLoadBalancer } from './load-balancer';
import { LiteLlmMetrics } from './metrics';
import { check } from './private/validate';
import { LiteLlmService } from './service';

/**
 * Monitoring settings of a LiteLLM platform.
 */
export interface LiteLlmMonitoringOptions {
  /**
   * E-mail addresses subscribed to the alarm topic (each must confirm).
   *
   * @default - none
   */
  readonly alarmEmails?: string[];
  /**
   * With `metrics` on, each model group alarms when more than this share of its attempts
   * fail (per 5 minutes, twice in a row, once it had at least 10).
   *
   * @default 10
   */
  readonly modelFailureRatePercent?: number;
}

/**
 * Properties of `LiteLlmMonitoring.createAlarmTopic`.
 */
export interface LiteLlmAlarmTopicProps {
  /** Key that encrypts the topic. */
  readonly encryptionKey: kms.IKey;
  /**
   * E-mail addresses subscribed to the topic (each must confirm).
   *
   * @default - none
   */
  readonly alarmEmails?: string[];
}

/**
 * Properties of a `LiteLlmMonitoring`.
 */
export interface LiteLlmMonitoringProps extends LiteLlmMonitoringOptions {
  /** Key that encrypts the topic. */
  readonly encryptionKey: kms.IKey;
  /**
   * The topic the alarms notify. In a split across stacks, an alarm in one stack that
   * notifies a topic in a later stack is a dependency cycle: create the topic early with
   * `LiteLlmMonitoring.createAlarmTopic` (in the security stack) and pass it here; its
   * e-mail subscriptions are then the topic's, not `alarmEmails`.
   *
   * @default - a topic of its own, encrypted with `encryptionKey`
   */
  readonly alarmTopic?: sns.ITopic;
  /** The service to chart and whose alarms notify the topic. */
  readonly service: LiteLlmService;
  /** The database to chart and whose alarms notify the topic. */
  readonly database: LiteLlmDatabase;
  /** The load balancer to chart. */
  readonly loadBalancer: LiteLlmLoadBalancer;
  /**
   * The cache to chart and whose alarms notify the topic.
   *
   * @default - none
   */
  readonly cache?: LiteLlmCache;
  /**
   * More alarms that notify the topic (e.g. `LiteLlmSecurity.alarms`); `addAlarm` adds more later.
   *
   * @default []
   */
  readonly additionalAlarms?: cloudwatch.IAlarm[];
}

/**
 * The alarm topic every alarm of the platform notifies (ALARM and OK), and a dashboard.
 */
export class LiteLlmMonitoring extends Construct {
  /**
   * An encrypted SNS topic that this account's CloudWatch alarms may publish to (ALARM and
   * OK), with the e-mail subscriptions given. `LiteLlmMonitoring` creates one unless it is
   * given `alarmTopic`; create it yourself when the alarms live in several stacks.
   */
  public static createAlarmTopic(scope: Construct, id: string, props: LiteLlmAlarmTopicProps): sns.Topic {
    for (const email of props.alarmEmails ?? []) {
      if (!Token.isUnresolved(email) && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) {
        throw new Error(`\`alarmEmails\` has "${email}", which is not an e-mail address: fix it or remove it`);
      }
    }
    const stack = Stack.of(scope);
    // A name known at synth lets the key policy name this topic without referencing it
    // (the topic references the key: a reference back would be a cycle). SNS takes 1-256 of
    // A-Z a-z 0-9 _ -, and a construct id may hold anything but "/": drop the rest.
    const topicName = `${stack.stackName}-${id.replace(/[^A-Za-z0-9_-]/g, '')}-${Names.uniqueId(scope).slice(-8)}`.slice(-256);
    const topic = new sns.Topic(scope, id, { topicName, masterKey: props.encryptionKey, enforceSSL: true });
    const topicArn = stack.formatArn({ service: 'sns', resource: topicName, arnFormat: ArnFormat.NO_RESOURCE_NAME });
    // SNS encrypts each message with a data key whose encryption context names the topic
    // (kms:EncryptionContext:aws:sns:topicArn): CloudWatch may use the key for this topic only.
    const added = props.encryptionKey.addToResourcePolicy(new iam.PolicyStatement({
      sid: `CloudWatchAlarmsTo${Names.uniqueId(topic).slice(-24)}`.replace(/[^A-Za-z0-9]/g, ''),
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: {
        StringEquals: { 'aws:SourceAccount': stack.account, 'kms:EncryptionContext:aws:sns:topicArn': topicArn },
      },
    }), false);
    if (!added.statementAdded) {
      Annotations.of(topic).addWarningV2('cdk-litellm:alarmTopicKey', 'The alarm topic\'s key is not managed here: its key policy must let '
        + `cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey* with kms:EncryptionContext:aws:sns:topicArn ${topicName}, or no alarm reaches the topic.`);
    }
    // A topic policy replaces SNS's default one, so with only enforceSSL's Deny nothing
    // could publish: let this account's alarms in (the key policy already lets them encrypt).
    topic.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'CloudWatchAlarmsPublish',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: {
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*` },
      },
    }));
    for (const email of props.alarmEmails ?? []) topic.addSubscription(new subscriptions.EmailSubscription(email));
    return topic;
  }

  /** Encrypted SNS topic for ALARM and OK notifications. */
  public readonly alarmTopic: sns.ITopic;
  /** Dashboard of the load balancer, the service and the database. */
  public readonly dashboard: cloudwatch.Dashboard;
  /** Every alarm that notifies the topic (see `addAlarm`). */
  public get alarms(): cloudwatch.IAlarm[] {
    return [...this._alarms];
  }
  /**
   * With `metrics` on: one alarm per model group of the config on its share of failed
   * attempts (not for wildcard names, which LiteLLM never emits as a group).
   */
  public get modelFailureAlarms(): cloudwatch.Alarm[] {
    return [...this._modelFailureAlarms];
  }
  /**
   * With `metrics` on: the share of failed attempts across all model groups, those added at
   * runtime (`/model/new`), wildcard routes and aliases included.
   */
  public readonly platformFailureRateAlarm?: cloudwatch.Alarm;
  /**
   * With `metrics` on: a healthy task whose metrics no collector read in 5 of the last 6 minutes
   * (the collector stopped, cannot reach LiteLLM or cannot write). Token scaling stops without them.
   */
  public readonly metricsReportingAlarm?: cloudwatch.Alarm;
  /** With `metrics` on: deployments put in cooldown in two 5-minute periods in a row. */
  public readonly deploymentCooldownAlarm?: cloudwatch.Alarm;
  private readonly _alarms: cloudwatch.IAlarm[] = [];
  private readonly _modelFailureAlarms: cloudwatch.Alarm[];
  private readonly topicAction: cloudwatch.IAlarmAction;

  constructor(scope: Construct, id: string, props: LiteLlmMonitoringProps) {
    super(scope, id);
    if (props.alarmTopic && props.alarmEmails?.length) {
      throw new Error('`alarmEmails` subscribe to the topic LiteLlmMonitoring creates; with `alarmTopic`, pass them to `LiteLlmMonitoring.createAlarmTopic` (or subscribe them to your topic)');
    }
    const topic = props.alarmTopic ?? LiteLlmMonitoring.createAlarmTopic(this, 'AlarmTopic', props);
    this.alarmTopic = topic;

    const gateway = props.service.metrics;
    // LiteLLM labels a request with the model it names (litellm/router.py:4273-4275), so a
    // wildcard route's requests never carry the pattern: its alarm would watch nothing.
    const groups = [...new Set(props.service.models.map(m => m.name))].filter(g => !g.includes('*'));
    const percent = props.modelFailureRatePercent ?? 10;
    this._modelFailureAlarms = gateway ? modelFailureAlarms(this, gateway, groups, percent) : [];
    this.platformFailureRateAlarm = gateway?.metricModelFailureRate().createAlarm(this, 'PlatformFailureRateAlarm', {
      alarmDescription: `More than ${percent} % of LiteLLM's attempts across all model groups failed in two 5-minute periods in a row`,
      threshold: percent,
      evaluationPeriods: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.metricsReportingAlarm = gateway && new cloudwatch.MathExpression({
      // Healthy targets are the serving tasks; ReportingTasks' per-minute Sum the tasks whose
      // metrics were read. A new task is healthy up to a scrape interval before its first read.
      expression: 'healthy - FILL(reporting, 0)',
      usingMetrics: {
        healthy: props.loadBalancer.metricHealthyHostCount({ period: Duration.minutes(1), statistic: 'Minimum' }),
        reporting: gateway.metricReportingTasks(),
      },
      label: 'Healthy tasks whose metrics were not read',
      period: Duration.minutes(1),
    }).createAlarm(this, 'MetricsReportingAlarm', {
      alarmDescription: 'A healthy LiteLLM task\'s metrics were not read in 5 of the last 6 minutes (its collector stopped or cannot reach LiteLLM '
        + 'or CloudWatch Logs: see the `metrics` log streams): the gateway alarms and token scaling are blind',
      threshold: 0.5,
      // 5 of 6, not 5 in a row: a newest minute whose HealthyHostCount has not arrived yet reads
      // 0 − 0 (missing terms count as 0 in arithmetic, FILL fills the rest), which would reset a
      // run of 5; CloudWatch's metric-math guide suggests M out of N for exactly this.
      evaluationPeriods: 6,
      datapointsToAlarm: 5,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      // A silent healthy task breaches with data (healthy − 0); the value is missing only when no
      // task is registered (no HealthyHostCount at all), which is not the collector's fault.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.deploymentCooldownAlarm = gateway?.metricDeploymentCooldowns().createAlarm(this, 'DeploymentCooldownAlarm', {
      alarmDescription: 'LiteLLM put deployments in cooldown (failing too often) in two 5-minute periods in a row: check the model groups\' failures',
      threshold: 1,
      evaluationPeriods: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.topicAction = new actions.SnsAction(topic);
    for (const alarm of [
      ...props.service.alarms, ...props.database.alarms, ...props.cache?.alarms ?? [],
      ...props.loadBalancer.alarms, ...this._modelFailureAlarms,
      ...[this.platformFailureRateAlarm, this.metricsReportingAlarm, this.deploymentCooldownAlarm]
        .filter((a): a is cloudwatch.Alarm => a !== undefined),
      ...props.additionalAlarms ?? [],
    ]) this.addAlarm(alarm);

    this.dashboard = this.createDashboard(props, gateway, groups);
  }

  /** The dashboard: requests, errors and latency; tasks; the database; the cache; the gateway's rows; WAF. */
  private createDashboard(props: LiteLlmMonitoringProps, gateway: LiteLlmMetrics | undefined, groups: string[]): cloudwatch.Dashboard {
    const stack = Stack.of(this);
    const alb = props.loadBalancer.loadBalancer.metrics;
    const service = props.service.service;
    const db = props.database.instance;
    const five = Duration.minutes(5);
    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: dashboardName(this),
      defaultInterval: Duration.hours(3),
    });
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'Requests', left: [alb.requestCount({ period: five })] }),
      new cloudwatch.GraphWidget({
        title: '4xx / 5xx',
        left: [
          alb.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_4XX_COUNT, { period: five }),
          alb.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period: five }),
          // The load balancer's own codes: 502/503 when no task answers, 4xx it rejects itself.
          alb.httpCodeElb(elbv2.HttpCodeElb.ELB_4XX_COUNT, { period: five }),
          alb.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { period: five }),
        ],
      }),
      new cloudwatch.GraphWidget({
        title: 'Latency p50 / p99',
        left: [alb.targetResponseTime({ statistic: 'p50', period: five }), alb.targetResponseTime({ statistic: 'p99', period: five })],
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'ECS CPU %', left: [service.metricCpuUtilization({ period: five })] }),
      new cloudwatch.GraphWidget({ title: 'ECS memory %', left: [service.metricMemoryUtilization({ period: five })] }),
      // Healthy targets are the running tasks that serve traffic, and unlike Container
      // Insights' RunningTaskCount they have data in every profile.
      new cloudwatch.GraphWidget({
        title: 'Running tasks',
        left: [props.loadBalancer.metricHealthyHostCount({ period: five, statistic: 'Minimum' })],
      }),
    );
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'RDS CPU %', left: [db.metricCPUUtilization({ period: five })] }),
      new cloudwatch.GraphWidget({ title: 'RDS connections', left: [db.metricDatabaseConnections({ period: five })] }),
      new cloudwatch.GraphWidget({ title: 'RDS free storage', left: [db.metricFreeStorageSpace({ period: five })] }),
      new cloudwatch.GraphWidget({
        title: 'RDS read / write latency',
        left: [db.metric('ReadLatency', { period: five }), db.metric('WriteLatency', { period: five })],
      }),
    );
    const cache = props.cache;
    if (cache) {
      dashboard.addWidgets(
        new cloudwatch.GraphWidget({ title: 'Cache engine CPU %', left: [cache.metricEngineCpuUtilization()] }),
        new cloudwatch.GraphWidget({ title: 'Cache memory %', left: [cache.metricDatabaseMemoryUsagePercentage()] }),
        new cloudwatch.GraphWidget({ title: 'Cache evictions', left: [cache.metricEvictions()] }),
        new cloudwatch.GraphWidget({ title: 'Cache connections', left: [cache.metricCurrConnections()] }),
      );
    }
    if (gateway) addGatewayRows(dashboard, gateway, groups);
    const webAcl = props.loadBalancer.webAcl;
    if (webAcl) {
      const waf = (metricName: string) => new cloudwatch.Metric({
        namespace: 'AWS/WAFV2',
        metricName,
        period: five,
        statistic: 'Sum',
        // The ARN is arn:…:regional/webacl/<name>/<id>; CloudFormation names the web ACL.
        dimensionsMap: { WebACL: Fn.select(2, Fn.split('/', webAcl.attrArn)), Region: stack.region, Rule: 'ALL' },
      });
      dashboard.addWidgets(new cloudwatch.GraphWidget({
        title: 'WAF allowed / blocked', left: [waf('AllowedRequests'), waf('BlockedRequests')],
      }));
    }
    return dashboard;
  }

  /**
   * Notify the alarm topic of an alarm's ALARM and OK states, and list it in `alarms`. The
   * alarm must be created in this app (`Alarm` or `CompositeAlarm`): an imported alarm's
   * actions are set where it is defined.
   */
  public addAlarm(alarm: cloudwatch.IAlarm): void {
    if (!(alarm instanceof cloudwatch.Alarm || alarm instanceof cloudwatch.CompositeAlarm)) {
      throw new Error(`\`addAlarm\` sets the alarm topic as the actions of ${alarm.node.path}, but it is an imported alarm whose actions CloudFormation does not manage here: `
        + 'add the topic (`alarmTopic`) to its actions where it is defined, or pass an `Alarm` or `CompositeAlarm` created in this app');
    }
    if (this._alarms.includes(alarm)) return;
    alarm.addAlarmAction(this.topicAction);
    alarm.addOkAction(this.topicAction);
    this._alarms.push(alarm);
  }
}

/**
 * Dashboards are global to the account: the name holds the deployed stack's name and
 * region (two copies of one app never collide) and a hash of the construct path (two
 * platforms in one stack neither).
 */
function dashboardName(scope: Construct): string {
  const stack = Stack.of(scope);
  return Fn.join('-', [Aws.STACK_NAME, stack.region, 'LiteLLM', Names.uniqueId(scope).slice(-8)]);
}

/** One alarm per model group on its share of failed attempts, ids from the group names. */
function modelFailureAlarms(scope: Construct, metrics: LiteLlmMetrics, groups: string[], percent: number): cloudwatch.Alarm[] {
  check(percent, n => n > 0 && n <= 100, n => `\`modelFailureRatePercent\` (${n}) must be above 0 and at most 100`);
  const ids = new Set<string>();
  return groups.map(group => {
    let id = `ModelFailureRateAlarm${group.replace(/[^A-Za-z0-9]/g, '')}`;
    for (let n = 2; ids.has(id); n++) id = `${id}${n}`;
    ids.add(id);
    return metrics.metricModelFailureRate({ modelGroup: group }).createAlarm(scope, id, {
      alarmDescription: `More than ${percent} % of LiteLLM's attempts at model group "${group}" failed in two 5-minute periods in a row`,
      threshold: percent,
      evaluationPeriods: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  });
}

/** A dashboard row per model group (attempts and failures, latency, tokens), then the platform's fallbacks, cooldowns and spend. */
function addGatewayRows(dashboard: cloudwatch.Dashboard, metrics: LiteLlmMetrics, groups: string[]): void {
  for (const group of groups) {
    dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: `${group}: attempts / failures`,
        left: [metrics.metricModelRequests({ modelGroup: group, label: 'attempts' }), metrics.metricModelFailures({ modelGroup: group, label: 'failures' })],
      }),
      new cloudwatch.GraphWidget({
        title: `${group}: latency (s)`,
        left: [metrics.metricModelLatency({ modelGroup: group, label: 'provider' }), metrics.metricRequestLatency({ modelGroup: group, label: 'end to end' })],
      }),
      new cloudwatch.GraphWidget({
        title: `${group}: tokens`,
        left: [metrics.metricInputTokens({ modelGroup: group, label: 'input' }), metrics.metricOutputTokens({ modelGroup: group, label: 'output' })],
      }),
    );
  }
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({ title: 'Fallbacks', left: groups.map(g => metrics.metricModelFallbacks({ modelGroup: g, label: g })) }),
    new cloudwatch.GraphWidget({ title: 'Deployments put in cooldown', left: [metrics.metricDeploymentCooldowns()] }),
    new cloudwatch.GraphWidget({ title: 'Spend (USD)', left: [metrics.metricSpend({ label: 'all groups' })] }),
    new cloudwatch.GraphWidget({ title: 'Tasks reporting metrics', left: [metrics.metricReportingTasks()] }),
  );
}
