import {
  Duration,
  aws_certificatemanager as acm, aws_cloudwatch as cloudwatch, aws_ec2 as ec2, aws_elasticloadbalancingv2 as elbv2, aws_kms as kms,
  aws_logs as logs, aws_route53 as route53, aws_s3 as s3, aws_wafv2 as wafv2,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { LiteLlmFront, frontedByCloudFront } from './private/cloudfront-front';
import { followingKey, profileDefaults } from './private/defaults';
import { addAccessLogs, checkAccessLogReaders } from './private/load-balancer-access-logs';
import { createAlarms } from './private/load-balancer-alarms';
import { addDomainRecords, publicUrl } from './private/load-balancer-domain';
import { addListeners, addTargetGroup, allowIngress, hideMetricsPath, resolveCertificate } from './private/load-balancer-listeners';
import { addWaf, wafEnabled } from './private/load-balancer-waf';
import { privateSubnetsOf } from './private/subnets';
import { check } from './private/validate';
import { MAX_REDACTED_FIELDS, MAX_REDACTED_HEADER_LENGTH, REDACTED_HEADERS } from './private/web-acl';
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
   * More request headers to redact in the WAF logs (WAF matches them by full name), e.g.
   * credentials your clients send to servers the service's config does not name. LiteLLM's key
   * headers, those the config names, and those of the MCP servers it configures
   * (`x-mcp-<server alias>-authorization` and their `extra_headers`) are always redacted.
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
  /** The URL the load balancer itself gives: `publicUrl`, the domain's, or its DNS name's. */
  private readonly ownUrl: string;
  /** Whether `publicUrl` names a proxy in front. */
  private readonly publicUrlSet: boolean;
  /** The CloudFront distribution in front, once a `LiteLlmCloudFront` takes this load balancer as its origin. */
  private front?: LiteLlmFront;
  /** Whether a service has read what is in front (its config and PROXY_BASE_URL are settled). */
  private frontRead = false;
  /** Headers the WAF logs redact, lowercase. */
  private readonly redactedHeaders: string[] = [...REDACTED_HEADERS];
  /** Whether a web ACL logs requests: only then do WAF's redaction limits apply. */
  private readonly wafLogs: boolean;

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
    checkAccessLogReaders(props.accessLogReaders ?? []);
    allowIngress(props.securityGroup, props.vpc, internal, props.dualStack ?? false, props.allowedPeers);
    this.accessLogsBucket = addAccessLogs(this, this.loadBalancer, retentionDays, defaults.removalPolicy, props.accessLogReaders ?? []);
    this.targetGroup = addTargetGroup(this, props.vpc, idleSeconds, internal && frontedByCloudFront(scope));

    this.certificate = resolveCertificate(this, props);
    const served = addListeners(this, this.loadBalancer, this.targetGroup, props, defaults.production, this.certificate);
    this.listener = served.listener;
    this.connections = this.listener.connections;
    hideMetricsPath(this.listener);
    const domain = addDomainRecords(this, this.loadBalancer, props);
    this.record = domain.record;
    this.ipv6Record = domain.ipv6Record;
    this.ownUrl = props.publicUrl !== undefined ? publicUrl(props.publicUrl) : domain.url ?? served.url;
    this.publicUrlSet = props.publicUrl !== undefined;

    const wafOn = wafEnabled(props.waf, defaults.waf);
    this.wafLogs = wafOn;
    this._redactHeaders(props.waf?.redactedHeaders ?? [], '`waf.redactedHeaders`');
    if (wafOn) {
      const waf = addWaf(this, this.loadBalancer, props, props.logRetention ?? defaults.logRetention,
        followingKey(props.encryptionKey, defaults.removalPolicy), this.redactedHeaders);
      this.webAcl = waf.webAcl;
      this.wafLogGroup = waf.logGroup;
    }

    const alarms = createAlarms(this, props.p99LatencyThreshold ?? Duration.seconds(120));
    this.loadBalancer5xxAlarm = alarms.loadBalancer5xx;
    this.target5xxAlarm = alarms.target5xx;
    this.latencyAlarm = alarms.latency;
  }

  /**
   * Base URL of the proxy: the distribution's when a `LiteLlmCloudFront` fronts the load
   * balancer (`https://<domain>`), else `publicUrl` when set, `https://<record name>` with a
   * domain, else `http(s)://<ALB DNS name>`.
   */
  public get url(): string {
    return this.front?.url ?? this.ownUrl;
  }

  /**
   * Whether a proxy in front (`publicUrl`, CloudFront) connects to the load balancer rather than
   * the clients: the address the load balancer appends to X-Forwarded-For is then that proxy's.
   *
   * @internal
   */
  public get _behindProxy(): boolean {
    return this.publicUrlSet || this.front !== undefined;
  }

  /**
   * The CloudFront distribution in front, if any: its URL and origin response timeout.
   *
   * @internal
   */
  public get _cloudFront(): LiteLlmFront | undefined {
    this.frontRead = true;
    return this.front;
  }

  /**
   * Records the CloudFront distribution in front (called by `LiteLlmCloudFront`): `url` becomes
   * its URL, and the service reads the client's address and sizes each attempt for it.
   *
   * @internal
   */
  public _frontWith(front: LiteLlmFront): void {
    if (this.publicUrlSet) {
      throw new Error(`LiteLlmCloudFront: the load balancer ${this.node.path} has \`publicUrl\`, but CloudFront gives the URL itself: remove publicUrl `
        + '(in LiteLlmPlatform, a domain of your own goes to `cloudFront.domainName`)');
    }
    if (this.front) {
      throw new Error(`LiteLlmCloudFront: the load balancer ${this.node.path} is already behind a LiteLlmCloudFront: create one per load balancer`);
    }
    if (this.frontRead) {
      throw new Error(`LiteLlmCloudFront: a LiteLlmService already uses the load balancer ${this.node.path}, with its URL and the client's address as they were without CloudFront: `
        + 'create the LiteLlmCloudFront before the LiteLlmService');
    }
    this.front = front;
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

  /**
   * Redacts `names` in the WAF logs as well (case-insensitive, each once); `source` says
   * where they come from for the error when they would pass WAF's limit.
   *
   * @internal
   */
  public _redactHeaders(names: string[], source: string): void {
    const added = [...new Set(names.map(n => n.toLowerCase()))].filter(n => !this.redactedHeaders.includes(n));
    // Without a web ACL there is no WAF log, and nothing for its limits to refuse.
    if (!this.wafLogs) {
      this.redactedHeaders.push(...added);
      return;
    }
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
}
