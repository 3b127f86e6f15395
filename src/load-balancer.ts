import {
  Annotations, ArnFormat, Duration, Fn, Lazy, Names, RemovalPolicy, Stack, Token,
  aws_certificatemanager as acm, aws_cloudwatch as cloudwatch, aws_ec2 as ec2, aws_elasticloadbalancingv2 as elbv2, aws_iam as iam, aws_kms as kms,
  aws_logs as logs, aws_route53 as route53, aws_route53_targets as route53targets, aws_s3 as s3, aws_wafv2 as wafv2,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { logAccessLogs } from './private/access-logs';
import { followingKey, profileDefaults } from './private/defaults';
import { acknowledgeCidrReference, unresolvedCidrReason } from './private/ingress';
import { acknowledge } from './private/nag';
import { privateSubnetsOf } from './private/subnets';
import { check } from './private/validate';
import { MAX_REDACTED_FIELDS, MAX_REDACTED_HEADER_LENGTH, REDACTED_HEADERS, WebAcl, redactedLogFields } from './private/web-acl';

/** The target group's nominal port (the tasks register on their container port). */
const TARGET_GROUP_PORT = 4000;
import { LiteLlmDeploymentProfile } from './profile';

/**
 * AWS WAF on the load balancer: whether there is a web ACL, and its settings.
 */
export interface LiteLlmWafOptions {
  /**
   * Associate an AWS WAF web ACL with the load balancer. The other settings need it on.
   *
   * @default - false (DEVELOPMENT), true (PRODUCTION)
   */
  readonly enabled?: boolean;
  /**
   * Requests one IP may send within `rateLimitWindow` before WAF blocks it (the rate-based
   * rule's `limit`), from 10 to 2,000,000,000.
   *
   * @default 2000
   */
  readonly rateLimit?: number;
  /**
   * The window WAF counts `rateLimit` in (the rate-based rule's `evaluationWindowSec`):
   * 1, 2, 5 or 10 minutes.
   *
   * @default Duration.minutes(5)
   */
  readonly rateLimitWindow?: Duration;
  /**
   * Rules of the AWS managed Common rule set to count instead of block.
   * `SizeRestrictions_BODY` is always counted: LLM prompts exceed its 8 KB limit.
   *
   * @default []
   */
  readonly excludedCommonRules?: string[];
  /**
   * Let the Common and SQL injection rule sets block requests whose body matches their
   * XSS, LFI, RFI or SQL injection patterns. Off by default: prompts routinely hold HTML,
   * SQL, file paths and URLs, and would get 403s; those rules count instead (in the WAF
   * metrics and logs). LiteLLM neither renders prompts as HTML nor builds SQL from them.
   *
   * @default false
   */
  readonly blockBodyPatterns?: boolean;
  /**
   * More AWS managed rule groups to add, by name (e.g. `AWSManagedRulesLinuxRuleSet`).
   *
   * @default []
   */
  readonly additionalManagedRuleGroups?: string[];
  /**
   * More request headers to redact in the WAF logs, e.g. the per-server MCP credentials your
   * clients send (`x-mcp-<server alias>-authorization`), which WAF can only match by full name.
   * LiteLLM's key headers, and those the config names, are always redacted.
   *
   * @default []
   */
  readonly redactedHeaders?: string[];
}

/**
 * Load balancer settings of a LiteLLM platform.
 */
export interface LiteLlmLoadBalancerOptions {
  /**
   * Whether the load balancer takes clients from the internet, in the public subnets
   * (elbv2's `internetFacing`); `false` makes it internal, in the private subnets, reachable
   * from the VPC and the networks connected to it.
   *
   * @default true
   */
  readonly internetFacing?: boolean;
  /**
   * Who may reach the load balancer on ports 80 and 443: CIDRs (`ec2.Peer.ipv4('203.0.113.0/24')`,
   * `ec2.Peer.ipv6(...)`), a prefix list, a security group.
   *
   * @default - anywhere (`0.0.0.0/0`, and `::/0` when dual-stack) when internet-facing; when
   * internal, the VPC's IPv4 CIDR and the IPv6 block of a dual-stack VPC created by `LiteLlmNetwork`
   */
  readonly allowedPeers?: ec2.IPeer[];
  /**
   * Certificate for HTTPS on 443; port 80 then redirects to 443. It must name `domainName`.
   *
   * @default - with `domainZone`, a new certificate for `domainName`, DNS-validated in the zone;
   * else HTTP only on port 80 (an internet-facing PRODUCTION load balancer then needs `domainName` or `allowHttp: true`)
   */
  readonly certificate?: acm.ICertificate;
  /**
   * Let an internet-facing PRODUCTION load balancer serve plain HTTP when it has neither
   * `certificate` nor `domain`, e.g. because TLS ends in front of it (CloudFront, a
   * corporate proxy). It still synthesizes with a warning.
   *
   * @default false
   */
  readonly allowHttp?: boolean;
  /**
   * The DNS name clients use, with HTTPS: the URL and the Url output become
   * `https://<domainName>`. With `domainZone`, relative to the zone (`llm`) or fully qualified
   * (`llm.example.com`): alias records are added there and, without `certificate`, a
   * certificate DNS-validated in it. Without `domainZone` the record is yours (fully qualified),
   * and `certificate` must name it.
   *
   * @default - no name: the load balancer's DNS name (with `certificate` alone, with a synth warning)
   */
  readonly domainName?: string;
  /**
   * The Route 53 hosted zone of `domainName`: it holds the alias records and validates the
   * certificate the load balancer creates when `certificate` is not given.
   *
   * @default - no DNS record
   */
  readonly domainZone?: route53.IHostedZone;
  /**
   * The URL clients use, when TLS or the name ends in front of the load balancer (CloudFront,
   * a corporate proxy): an `https://` or `http://` origin with no path, e.g.
   * `https://llm.example.com`. It becomes `url`, the Url and AdminUi outputs, and LiteLLM's
   * `PROXY_BASE_URL`, from which LiteLLM builds the admin UI's redirects and decides whether
   * its session cookie is `Secure`. The load balancer then sees the proxy's address, not the
   * clients': the admin UI's sign-in limit counts per username only (one per address would be
   * shared by every client), and MCP's internal check sees the proxy's address, which is
   * internal when it is private (narrow `mcp_internal_ip_ranges` to exclude it).
   *
   * @default - `https://<domainName>` with `domainName`, else the load balancer's DNS name
   */
  readonly publicUrl?: string;
  /**
   * AWS WAF: `enabled` and the web ACL's settings.
   *
   * @default - a web ACL in PRODUCTION, none in DEVELOPMENT; see `LiteLlmWafOptions`
   */
  readonly waf?: LiteLlmWafOptions;
  /**
   * Idle timeout; must be at least the proxy's request timeout so slow streams are not cut.
   *
   * @default Duration.seconds(600)
   */
  readonly idleTimeout?: Duration;
  /**
   * p99 target response time that raises `latencyAlarm` (3 × 5 minutes). Streamed
   * completions count until their last byte, so keep it well above a long answer.
   *
   * @default Duration.seconds(120)
   */
  readonly p99LatencyThreshold?: Duration;
  /**
   * Deletion protection.
   *
   * @default - false (DEVELOPMENT), true (PRODUCTION)
   */
  readonly deletionProtection?: boolean;
  /**
   * Retention of the WAF's log group (the access logs in S3 have their own retention).
   *
   * @default - 14 days (DEVELOPMENT), 90 days (PRODUCTION)
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * How long the access logs bucket keeps each log (its lifecycle rule); `INFINITE` keeps them.
   * Not a log group: the platform's `logRetention` does not change it (access logs are audit data).
   *
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly accessLogRetention?: logs.RetentionDays;
  /**
   * IAM role or user ARNs (wildcards allowed, e.g. `arn:aws:iam::123456789012:role/SecurityAudit*`)
   * that may read the access logs. The logs hold every request line, and LiteLLM takes keys
   * from the URL too (`?key=`, `/key/<key>/regenerate`), so the bucket policy denies reading
   * its objects to every other principal of the account. List the roles you read them with,
   * e.g. those that query them in Athena (it reads with the caller's credentials). Listing,
   * deleting (CDK's auto-delete in DEVELOPMENT, emptying the bucket) and the bucket policy
   * itself stay with IAM.
   *
   * @default - nobody reads the objects until you list a reader
   */
  readonly accessLogReaders?: string[];
}

/**
 * Properties of a `LiteLlmLoadBalancer`.
 */
export interface LiteLlmLoadBalancerProps extends LiteLlmLoadBalancerOptions {
  /** VPC of the load balancer. */
  readonly vpc: ec2.IVpc;
  /** Security group of the load balancer; the load balancer opens 80 and 443 on it to `allowedPeers`. */
  readonly securityGroup: ec2.ISecurityGroup;
  /**
   * Serve IPv6 clients as well as IPv4 (the ALB's `dualstack` address type) and, with
   * `domainZone`, add an AAAA alias record. The VPC's subnets must have IPv6 CIDRs, which only
   * the VPC knows: in `LiteLlmPlatform` this is the network's `dualStack`.
   *
   * @default false
   */
  readonly dualStack?: boolean;
  /**
   * Port the LiteLLM container listens on.
   *
   * @default 4000
   */
  readonly containerPort?: number;
  /**
   * Key that encrypts the WAF log group.
   *
   * @default - CloudWatch Logs' own encryption
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Defaults for everything not set explicitly.
   *
   * @default LiteLlmDeploymentProfile.DEVELOPMENT
   */
  readonly profile?: LiteLlmDeploymentProfile;
}

/**
 * The Application Load Balancer in front of the LiteLLM tasks: HTTP (or HTTPS with
 * a redirect), a target group probing `/health/liveliness`, encrypted access logs.
 */
export class LiteLlmLoadBalancer extends Construct implements ec2.IConnectable {
  /**
   * The listener's connections: the load balancer's security group, with the listener's port
   * (443 with a certificate, else 80) as default port. `allowFrom(peer)` lets a client reach the
   * proxy the way every client does, through HTTPS and WAF.
   */
  public readonly connections: ec2.Connections;
  /** The load balancer. */
  public readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  /**
   * The listener that forwards to LiteLLM (HTTPS when a certificate is set, else HTTP). Its
   * rule priority 1 is the platform's (a fixed 404 for /metrics): give your rules 2 and up.
   */
  public readonly listener: elbv2.ApplicationListener;
  /** IP target group on the container port; the service registers into it. */
  public readonly targetGroup: elbv2.ApplicationTargetGroup;
  /** Access logs bucket (SSE-S3, SSL only, no public access, expiring). */
  public readonly accessLogsBucket: s3.IBucket;
  /** Idle timeout of the load balancer. */
  public readonly idleTimeout: Duration;
  /** Base URL of the proxy: `publicUrl` when set, `https://<record name>` with a domain, else `http(s)://<ALB DNS name>`. */
  public readonly url: string;
  /** The certificate of the HTTPS listener, if any. */
  public readonly certificate?: acm.ICertificate;
  /** The alias A record, with `domainZone`. */
  public readonly record?: route53.ARecord;
  /** The alias AAAA record, with `domainZone` on a dual-stack load balancer. */
  public readonly ipv6Record?: route53.AaaaRecord;
  /** The web ACL, when WAF is on. */
  public readonly webAcl?: wafv2.CfnWebACL;
  /** The WAF log group (`aws-waf-logs-…`), when WAF is on. */
  public readonly wafLogGroup?: logs.ILogGroup;
  /** The load balancer's own 5xx (e.g. no healthy target) > 10 for 2 × 5 minutes. */
  public readonly loadBalancer5xxAlarm: cloudwatch.Alarm;
  /** LiteLLM's 5xx (the target group's) > 10 for 2 × 5 minutes. */
  public readonly target5xxAlarm: cloudwatch.Alarm;
  /** p99 target response time above `p99LatencyThreshold` for 3 × 5 minutes. */
  public readonly latencyAlarm: cloudwatch.Alarm;
  /**
   * Whether a proxy in front (`publicUrl`) connects to the load balancer rather than the clients:
   * the address the load balancer appends to X-Forwarded-For is then that proxy's.
   *
   * @internal
   */
  public readonly _behindProxy: boolean;
  /** Headers the WAF logs redact, lowercase. */
  private readonly redactedHeaders: string[] = [...REDACTED_HEADERS];

  constructor(scope: Construct, id: string, props: LiteLlmLoadBalancerProps) {
    super(scope, id);
    const defaults = profileDefaults(props.profile);
    this.idleTimeout = props.idleTimeout ?? Duration.seconds(600);
    const idleSeconds = this.idleTimeout.toSeconds();
    check(idleSeconds, s => s >= 1 && s <= 4000, s => `\`idleTimeout\` (${s} s) must be from 1 to 4000 seconds (ALB limits)`);
    const retentionDays: number = props.accessLogRetention ?? logs.RetentionDays.THREE_MONTHS;


    const internal = props.internetFacing === false;
    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      internetFacing: !internal,
      ipAddressType: props.dualStack ? elbv2.IpAddressType.DUAL_STACK : undefined, // unset is ipv4
      vpcSubnets: internal
        ? privateSubnetsOf(props.vpc)
        : { subnetType: ec2.SubnetType.PUBLIC },
      securityGroup: props.securityGroup,
      idleTimeout: this.idleTimeout,
      deletionProtection: props.deletionProtection ?? defaults.deletionProtection,
      dropInvalidHeaderFields: true,
      // The ALB's default, written out because LiteLLM relies on it: the address the ALB saw
      // ends X-Forwarded-For, after whatever the client wrote (mcp_xff_num_trusted_hops: 1).
      xffHeaderProcessingMode: elbv2.XffHeaderProcessingMode.APPEND,
    });
    for (const arn of props.accessLogReaders ?? []) {
      check(arn, a => /^arn:[^:]+:iam::[^:]*:(role|user)\/.+/.test(a),
        a => `\`accessLogReaders\` has "${a}", which is not an IAM role or user ARN: write e.g. "arn:aws:iam::123456789012:role/SecurityAudit"`);
    }
    this.allowIngress(props.securityGroup, props.vpc, internal, props.dualStack ?? false, props.allowedPeers);
    this.accessLogsBucket = this.addAccessLogs(retentionDays, defaults.removalPolicy, props.accessLogReaders ?? []);

    this.targetGroup = new elbv2.ApplicationTargetGroup(this, 'TargetGroup', {
      vpc: props.vpc,
      // ECS registers each task with its container port, so the group's own port is only a
      // default, and health checks go to the traffic port. Fixed, so that changing
      // containerPort does not replace the group: in a split, the service stack imports its
      // ARN, and CloudFormation refuses to change an export in use.
      port: TARGET_GROUP_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.IP,
      // A task leaving (deploy, scale-in, redeploy after rotation) keeps serving its open
      // streams as long as the idle timeout allows; an idle task leaves at once.
      deregistrationDelay: Duration.seconds(Token.isUnresolved(idleSeconds) ? 600 : Math.min(idleSeconds, 3600)),
      healthCheck: {
        path: '/health/liveliness',
        interval: Duration.seconds(30),
        timeout: Duration.seconds(15),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 5,
        healthyHttpCodes: '200',
      },
    });

    this.certificate = this.resolveCertificate(props);
    const served = this.addListeners(props, defaults.production, this.certificate);
    this.listener = served.listener;
    this.connections = this.listener.connections;
    // LiteLLM mounts its Prometheus metrics on the port it serves whenever its callbacks name
    // `prometheus` (proxy/proxy_server.py:6605-6612), to any valid key
    // (proxy/middleware/prometheus_auth_middleware.py:51-66), so every tenant could read every
    // team's series; the platform serves them on a port of their own (LiteLlmMetrics) and
    // never through the load balancer.
    this.listener.addAction('NoMetrics', {
      priority: 1,
      conditions: [elbv2.ListenerCondition.pathPatterns(['/metrics', '/metrics/*'])],
      action: elbv2.ListenerAction.fixedResponse(404, { contentType: 'text/plain', messageBody: 'Not Found' }),
    });
    const listener = this.listener;
    listener.node.addValidation({
      validate: () => Stack.of(listener).node.findAll()
        .filter((c): c is elbv2.CfnListenerRule => c instanceof elbv2.CfnListenerRule && c.listenerArn === listener.listenerArn
          && c.priority === 1 && !c.node.path.startsWith(`${listener.node.path}/NoMetricsRule`))
        .map(c => `the listener rule ${c.node.path} has priority 1, which the platform's /metrics 404 rule holds: give it another priority`),
    });
    this.url = served.url;

    if (props.domainName !== undefined && props.domainZone) {
      const alias = {
        zone: props.domainZone,
        recordName: props.domainName,
        target: route53.RecordTarget.fromAlias(new route53targets.LoadBalancerTarget(this.loadBalancer)),
      };
      this.record = new route53.ARecord(this, 'AliasRecord', alias);
      if (props.dualStack) this.ipv6Record = new route53.AaaaRecord(this, 'AliasRecordIpv6', alias);
      this.url = `https://${fqdn(props.domainName, props.domainZone.zoneName)}`;
    } else if (props.domainName !== undefined) {
      this.url = `https://${props.domainName}`;
    } else if (props.certificate && props.publicUrl === undefined) {
      Annotations.of(this).addWarningV2('cdk-litellm:certificateName', 'With `certificate` and no `domainName`, the URL (and the Url output) is the load '
        + 'balancer\'s own DNS name, which the certificate does not name: clients would fail its TLS check. Set `domainName` to the name your DNS points at the load balancer.');
    }

    if (props.publicUrl !== undefined) this.url = publicUrl(props.publicUrl);
    this._behindProxy = props.publicUrl !== undefined;

    for (const name of props.waf?.redactedHeaders ?? []) {
      check(name, n => /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(n), n => `\`waf.redactedHeaders\` has "${n}", which is not a header name: write it as clients send it, e.g. "x-mcp-github-authorization"`);
    }
    const wafOn = props.waf?.enabled ?? defaults.waf;
    const wafSettings = Object.entries(props.waf ?? {}).filter(([k, v]) => k !== 'enabled' && v !== undefined).map(([k]) => `\`waf.${k}\``);
    if (!wafOn && wafSettings.length > 0) {
      throw new Error(`${wafSettings.join(', ')} configure${wafSettings.length === 1 ? 's' : ''} the web ACL, but WAF is off (${props.waf?.enabled === false ? '`waf.enabled: false`' : 'the DEVELOPMENT default'}): `
        + 'set `waf.enabled: true`, or remove them');
    }
    this._redactHeaders(props.waf?.redactedHeaders ?? [], '`waf.redactedHeaders`');
    if (wafOn) {
      const waf = this.addWaf(props, props.logRetention ?? defaults.logRetention, followingKey(props.encryptionKey, defaults.removalPolicy));
      this.webAcl = waf.webAcl;
      this.wafLogGroup = waf.logGroup;
    }

    const alarms = this.createAlarms(props.p99LatencyThreshold ?? Duration.seconds(120));
    this.loadBalancer5xxAlarm = alarms.loadBalancer5xx;
    this.target5xxAlarm = alarms.target5xx;
    this.latencyAlarm = alarms.latency;
  }

  /** The load balancer's alarms: its own 5xx, LiteLLM's 5xx, p99 latency. */
  public get alarms(): cloudwatch.IAlarm[] {
    return [this.loadBalancer5xxAlarm, this.target5xxAlarm, this.latencyAlarm];
  }

  /** Requests the load balancer received (Sum, 5 minutes). */
  public metricRequestCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.loadBalancer.metrics.requestCount({ period: Duration.minutes(5), ...props });
  }

  /**
   * Responses of one class from LiteLLM, e.g. `elbv2.HttpCodeTarget.TARGET_5XX_COUNT`
   * (Sum, 5 minutes), of the LiteLLM target group only.
   */
  public metricHttpCodeTarget(code: elbv2.HttpCodeTarget, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.targetGroupMetric(code, 'Sum', props);
  }

  /**
   * Responses of one class the load balancer generated itself, e.g.
   * `elbv2.HttpCodeElb.ELB_5XX_COUNT` when no task answers (Sum, 5 minutes).
   */
  public metricHttpCodeElb(code: elbv2.HttpCodeElb, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.loadBalancer.metrics.httpCodeElb(code, { period: Duration.minutes(5), ...props });
  }

  /** Time LiteLLM takes to answer, in seconds (p99, 5 minutes). Streams count until the last byte. */
  public metricTargetResponseTime(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.loadBalancer.metrics.targetResponseTime({ statistic: 'p99', period: Duration.minutes(5), ...props });
  }

  /** Tasks passing the health check (Average, 5 minutes; `Minimum` shows the dips). */
  public metricHealthyHostCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.targetGroupMetric('HealthyHostCount', 'Average', props);
  }

  /** Tasks failing the health check (Average, 5 minutes; `Maximum` shows any). */
  public metricUnhealthyHostCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.targetGroupMetric('UnHealthyHostCount', 'Average', props);
  }

  /**
   * A metric of the target group (AWS/ApplicationELB), by the load balancer's and the target
   * group's names, not through a listener: in a split, adding a certificate replaces the
   * listener, and an alarm that imported it would block the update.
   */
  private targetGroupMetric(metricName: string, statistic: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/ApplicationELB',
      metricName,
      dimensionsMap: { LoadBalancer: this.loadBalancer.loadBalancerFullName, TargetGroup: this.targetGroup.targetGroupFullName },
      period: Duration.minutes(5),
      statistic,
      ...props,
    });
  }

  /** The load balancer's 5xx, LiteLLM's 5xx and p99 latency alarms. */
  private createAlarms(latency: Duration): { loadBalancer5xx: cloudwatch.Alarm; target5xx: cloudwatch.Alarm; latency: cloudwatch.Alarm } {
    const five = Duration.minutes(5);
    const loadBalancer5xx = this.metricHttpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { period: five, statistic: 'Sum' }).createAlarm(this, 'LoadBalancer5xxAlarm', {
      alarmDescription: 'The LiteLLM load balancer returned more than 10 of its own 5xx in 5 minutes, twice in a row',
      threshold: 10,
      evaluationPeriods: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const target5xx = this.metricHttpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period: five, statistic: 'Sum' }).createAlarm(this, 'Target5xxAlarm', {
      alarmDescription: 'LiteLLM returned more than 10 5xx responses in 5 minutes, twice in a row',
      threshold: 10,
      evaluationPeriods: 2,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const latencyAlarm = this.metricTargetResponseTime({ period: five, statistic: 'p99' }).createAlarm(this, 'LatencyAlarm', {
      alarmDescription: `LiteLLM p99 response time above ${latency.toSeconds()} s for 15 minutes`,
      threshold: latency.toSeconds(),
      evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    return { loadBalancer5xx, target5xx, latency: latencyAlarm };
  }

  /**
   * Redacts `names` in the WAF logs as well (case-insensitive, each once); `source` says
   * where they come from for the error when they would pass WAF's limit.
   *
   * @internal
   */
  public _redactHeaders(names: string[], source: string): void {
    const added = [...new Set(names.map(n => n.toLowerCase()))].filter(n => !this.redactedHeaders.includes(n));
    for (const name of added) {
      // WAF refuses a longer `SingleHeader` name at deploy (https://docs.aws.amazon.com/waf/latest/APIReference/API_SingleHeader.html).
      check(name, n => n.length <= MAX_REDACTED_HEADER_LENGTH,
        n => `${source} has the header "${n}" (${n.length} characters): WAF redacts header names of at most ${MAX_REDACTED_HEADER_LENGTH} characters, so the deploy would fail. Use a shorter name`);
    }
    // The query string takes one field too.
    const total = this.redactedHeaders.length + added.length + 1;
    if (total > MAX_REDACTED_FIELDS) {
      throw new Error(`${source} adds ${added.length} headers to redact in the WAF logs: with LiteLLM's key headers and the query string that is ${total} fields, `
        + `over the ${MAX_REDACTED_FIELDS} a WAF logging configuration redacts. Use fewer custom key header names`);
    }
    this.redactedHeaders.push(...added);
  }

  /** The access logs bucket (SSE-S3, the only encryption log delivery supports), and delivery into it. */
  private addAccessLogs(retentionDays: number, removalPolicy: RemovalPolicy, readers: string[]): s3.Bucket {
    const bucket = new s3.Bucket(this, 'AccessLogs', {
      // ALB access logs support SSE-S3 only.
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      lifecycleRules: [{
        expiration: retentionDays === logs.RetentionDays.INFINITE ? undefined : Duration.days(retentionDays),
        noncurrentVersionExpiration: Duration.days(1),
      }],
      removalPolicy,
      autoDeleteObjects: removalPolicy === RemovalPolicy.DESTROY,
    });
    logAccessLogs(this.loadBalancer, bucket, 'alb');
    // Request lines carry keys LiteLLM accepts in the URL (`?key=`: user_api_key_auth.py:1418-1425;
    // `/key/{key}/regenerate`, `/key/{key}/reset_spend`: key_management_endpoints.py:6059, 6521),
    // which ALB access logs record as sent: an account-wide read grant must not reach them.
    bucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'OnlyListedReadersReadAccessLogs',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['s3:GetObject', 's3:GetObjectVersion'],
      resources: [bucket.arnForObjects('*')],
      conditions: readers.length > 0 ? { ArnNotLike: { 'aws:PrincipalArn': readers } } : undefined,
    }));
    const logsReason = 'This bucket receives the load balancer\'s access logs; logging its own access would recurse.';
    acknowledge(bucket, 'AwsSolutions-S1', logsReason);
    acknowledge(bucket, 'NIST.800.53.R5-S3BucketLoggingEnabled', logsReason);
    acknowledge(bucket, 'NIST.800.53.R5-S3DefaultEncryptionKMS', 'Load balancer access log delivery supports SSE-S3 only.');
    acknowledge(bucket, 'NIST.800.53.R5-S3BucketReplicationEnabled',
      `${retentionDays === logs.RetentionDays.INFINITE ? 'Access logs are kept' : `Access logs expire after ${retentionDays} days`}; replicate them with your organization's log archive if you need a copy.`);
    return bucket;
  }

  /** The certificate of the HTTPS listener: the one given, or a new one DNS-validated in `domainZone`. */
  private resolveCertificate(props: LiteLlmLoadBalancerProps): acm.ICertificate | undefined {
    if (props.domainZone && props.domainName === undefined) {
      throw new Error('`domainZone` is set without `domainName`: set `domainName` to the name to serve in the zone (e.g. "llm"), or remove `domainZone`');
    }
    if (props.domainName !== undefined && !props.domainZone && !props.certificate) {
      throw new Error(`\`domainName\` ("${props.domainName}") needs \`certificate\` (an ACM certificate for that name, when its DNS record is yours) `
        + 'or `domainZone` (its Route 53 hosted zone: the record and a DNS-validated certificate are then created)');
    }
    check(props.domainName, n => /^[A-Za-z0-9*]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(n),
      n => `\`domainName\` ("${n}") must be a DNS name such as "llm" or "llm.example.com"`);
    if (props.certificate || !props.domainZone || props.domainName === undefined) return props.certificate;
    return new acm.Certificate(this, 'Certificate', {
      domainName: fqdn(props.domainName, props.domainZone.zoneName),
      validation: acm.CertificateValidation.fromDns(props.domainZone),
    });
  }

  /**
   * Ports 80 and 443 from `allowedPeers`, by default anywhere when internet-facing, the VPC
   * when internal. The rules sit on the security group, so they belong to its stack.
   */
  private allowIngress(securityGroup: ec2.ISecurityGroup, vpc: ec2.IVpc, internal: boolean, dualStack: boolean, allowedPeers?: ec2.IPeer[]): void {
    // The IPv6 block of a dual-stack VPC created by LiteLlmNetwork (an imported IVpc exposes
    // none), and the resource that attaches it: a rule naming the block must wait for it.
    const ipv6Block = dualStack && vpc instanceof ec2.Vpc ? vpc.node.tryFindChild('ipv6cidr') : undefined;
    const ownIpv6Cidrs = ipv6Block ? [Fn.select(0, (vpc as ec2.Vpc).vpcIpv6CidrBlocks)] : [];
    const peers = allowedPeers
      ?? (internal
        ? [ec2.Peer.ipv4(vpc.vpcCidrBlock), ...ownIpv6Cidrs.map(c => ec2.Peer.ipv6(c))]
        : [ec2.Peer.anyIpv4(), ...(dualStack ? [ec2.Peer.anyIpv6()] : [])]);
    for (const peer of peers) {
      for (const port of [80, 443]) {
        securityGroup.addIngressRule(peer, ec2.Port.tcp(port), `HTTP${port === 443 ? 'S' : ''} from ${peer.uniqueId}`);
      }
    }
    if (ipv6Block && !allowedPeers && internal) securityGroup.node.addDependency(ipv6Block);
    if (peers.some(p => Token.isUnresolved(p.uniqueId))) {
      acknowledgeCidrReference(securityGroup, unresolvedCidrReason('the VPC\'s CIDRs (or the allowedPeers given) on 80/443 only'));
    }
    if (peers.some(p => p.uniqueId === '0.0.0.0/0' || p.uniqueId === '::/0')) {
      acknowledge(securityGroup, 'AwsSolutions-EC23',
        'An internet-facing LLM gateway answers clients anywhere on 80/443; restrict with allowedPeers, and WAF filters requests.');
    }
  }

  /** HTTPS with an HTTP redirect when there is a certificate; else plain HTTP, refused for an internet-facing PRODUCTION one. */
  private addListeners(
    props: LiteLlmLoadBalancerProps, production: boolean, certificate?: acm.ICertificate,
  ): { listener: elbv2.ApplicationListener; url: string } {
    if (certificate) {
      if (props.allowHttp) {
        throw new Error('`allowHttp` lets a load balancer without a certificate serve plain HTTP, but this one has a certificate '
          + '(`certificate`, or `domainName` with `domainZone`) and serves HTTPS: remove `allowHttp`');
      }
      const listener = this.loadBalancer.addListener('Https', {
        port: 443,
        protocol: elbv2.ApplicationProtocol.HTTPS,
        certificates: [certificate],
        sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
        open: false,
        defaultTargetGroups: [this.targetGroup],
      });
      const redirect = this.loadBalancer.addListener('Http', {
        port: 80,
        open: false,
        defaultAction: elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true }),
      });
      acknowledge(redirect, 'NIST.800.53.R5-ELBv2ACMCertificateRequired', 'Port 80 only redirects to HTTPS on 443, which uses the ACM certificate.');
      return { listener, url: `https://${this.loadBalancer.loadBalancerDnsName}` };
    } else {
      const internal = props.internetFacing === false;
      if (production && !internal && !props.allowHttp) {
        throw new Error('An internet-facing PRODUCTION load balancer without a certificate would take API keys over plain HTTP. '
          + 'Serve HTTPS: set `domainName` and `domainZone` (a Route 53 hosted zone; a DNS-validated certificate is created) '
          + 'or `certificate` (an ACM certificate in the stack\'s region); in LiteLlmPlatform they sit under `loadBalancer`. '
          + 'If TLS ends in front of the load balancer, set `allowHttp: true`.');
      }
      if (production || !internal) {
        // DEVELOPMENT's one-liner stays deployable, but never silently: keys cross the network in clear text.
        Annotations.of(this).addWarningV2('cdk-litellm:httpOnly', `The load balancer serves plain HTTP${internal ? '' : ' to the internet'}: `
          + 'the master key, virtual keys, the admin UI password and every prompt cross the network unencrypted. '
          + 'Serve HTTPS with `domainName` and `domainZone` (or `certificate`), or keep it from the internet with `allowedPeers` (your addresses only) '
          + 'or `internetFacing: false`. To accept it, acknowledge the warning: Annotations.of(stack).acknowledgeWarning(\'cdk-litellm:httpOnly\').');
      }
      const listener = this.loadBalancer.addListener('Http', {
        port: 80,
        open: false,
        defaultTargetGroups: [this.targetGroup],
      });
      const choice = 'Plain HTTP by choice: no certificate in DEVELOPMENT, behind an internal load balancer, or with `allowHttp: true`.';
      acknowledge(listener, 'NIST.800.53.R5-ALBHttpToHttpsRedirection', choice);
      acknowledge(listener, 'NIST.800.53.R5-ELBv2ACMCertificateRequired', choice);
      return { listener, url: `http://${this.loadBalancer.loadBalancerDnsName}` };
    }
  }

  /**
   * A web ACL on the load balancer, logged to its own `aws-waf-logs-` group, with the key
   * headers and the query string redacted; the group carries its own resource policy.
   */
  private addWaf(
    props: LiteLlmLoadBalancerProps, logRetention: logs.RetentionDays, removalPolicy: RemovalPolicy,
  ): { webAcl: wafv2.CfnWebACL; logGroup: logs.ILogGroup } {
    const rateLimit = props.waf?.rateLimit ?? 2000;
    check(rateLimit, n => Number.isInteger(n) && n >= 10 && n <= 2_000_000_000,
      n => `\`waf.rateLimit\` (${n}) must be an integer from 10 to 2000000000 (WAF limits)`);
    const rateLimitWindow = (props.waf?.rateLimitWindow ?? Duration.minutes(5)).toSeconds();
    check(rateLimitWindow, w => [60, 120, 300, 600].includes(w),
      w => `\`waf.rateLimitWindow\` (${w} s) must be 1, 2, 5 or 10 minutes (WAF's evaluation windows), e.g. Duration.minutes(5)`);
    // The stack's UUID ends the name: a group retained by a deleted stack must not block
    // the same stack from being created again.
    const stackUuid = Fn.select(2, Fn.split('/', Stack.of(this).stackId));
    // WAF only delivers to log groups whose name starts with aws-waf-logs-.
    const logGroupName = `aws-waf-logs-${Names.uniqueResourceName(this, { maxLength: 400 })}-${stackUuid}`;
    const logGroup = new logs.LogGroup(this, 'WafLogs', {
      logGroupName,
      encryptionKey: props.encryptionKey,
      retention: logRetention,
      removalPolicy,
    });
    this.allowWafLogDelivery(logGroup, logGroupName);
    const acl = new WebAcl(this, 'WebAcl', {
      metricPrefix: Names.uniqueResourceName(this, { maxLength: 64 }),
      rateLimit,
      rateLimitWindowSeconds: rateLimitWindow,
      excludedCommonRules: props.waf?.excludedCommonRules ?? [],
      additionalManagedRuleGroups: props.waf?.additionalManagedRuleGroups ?? [],
      blockBodyPatterns: props.waf?.blockBodyPatterns ?? false,
    });
    new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', {
      resourceArn: this.loadBalancer.loadBalancerArn,
      webAclArn: acl.webAcl.attrArn,
    });
    // The destination names the group by Ref: the group, and the policy it carries, exist
    // before WAF checks that it may deliver there.
    new wafv2.CfnLoggingConfiguration(this, 'WafLogging', {
      resourceArn: acl.webAcl.attrArn,
      logDestinationConfigs: [Stack.of(this).formatArn({
        service: 'logs', resource: 'log-group', resourceName: logGroup.logGroupName, arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      })],
      // Lazy: the service adds the key headers its config names (_redactHeaders).
      redactedFields: Lazy.any({ produce: () => redactedLogFields(this.redactedHeaders) }),
    });
    return { webAcl: acl.webAcl, logGroup };
  }

  /**
   * Lets CloudWatch Logs' delivery service write this account's WAF logs into the group,
   * through the group's own resource policy. An account-level policy (AWS::Logs::ResourcePolicy,
   * or the shared one WAF appends to) counts against the account's 10 per region, one per
   * stack with WAF; a log group's own policy counts against nothing.
   */
  private allowWafLogDelivery(logGroup: logs.LogGroup, logGroupName: string): void {
    const stack = Stack.of(this);
    // From the name, not logGroup.logGroupArn: a resource cannot read its own attributes.
    const groupArn = stack.formatArn({
      service: 'logs', resource: 'log-group', resourceName: `${logGroupName}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const policy = new iam.PolicyDocument({
      statements: [new iam.PolicyStatement({
        sid: 'WafLogDelivery',
        principals: [new iam.ServicePrincipal('delivery.logs.amazonaws.com')],
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [groupArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'logs', resource: '*', arnFormat: ArnFormat.NO_RESOURCE_NAME }) },
        },
      })],
    });
    (logGroup.node.defaultChild as logs.CfnLogGroup).resourcePolicyDocument = policy;
  }
}

/**
 * `publicUrl` without a trailing slash. An origin only: the load balancer forwards paths as
 * they come, so LiteLLM serves at the root and a path in its `PROXY_BASE_URL` would break the
 * admin UI's links.
 */
function publicUrl(url: string): string {
  if (Token.isUnresolved(url)) return url;
  check(url, u => /^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?\/?$/.test(u),
    u => `\`publicUrl\` ("${u}") must be an https:// or http:// origin with no path, query or user, e.g. "https://llm.example.com"`);
  return url.replace(/\/$/, '');
}

function fqdn(recordName: string, zoneName: string): string {
  if (Token.isUnresolved(recordName) || Token.isUnresolved(zoneName)) return `${recordName}.${zoneName}`;
  const zone = zoneName.replace(/\.$/, '');
  return recordName === zone || recordName.endsWith(`.${zone}`) ? recordName : `${recordName}.${zone}`;
}
