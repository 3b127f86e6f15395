import {
  Annotations, ArnFormat, Duration, Fn, Lazy, Names, RemovalPolicy, Stack, Token,
  aws_certificatemanager as acm, aws_cloudwatch as cloudwatch, aws_ec2 as ec2, aws_elasticloadbalancingv2 as elbv2, aws_iam as iam, aws_kms as kms,
  aws_logs as logs, aws_route53 as route53, aws_route53_targets as route53targets, aws_s3 as s3, aws_wafv2 as wafv2,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { logAccessLogs } from './private/access-logs';
import { profileDefaults } from './private/defaults';
import { acknowledge } from './private/nag';
import { privateSubnetsOf } from './private/subnets';
import { check } from './private/validate';
import { MAX_REDACTED_FIELDS, MAX_REDACTED_HEADER_LENGTH, REDACTED_HEADERS, WebAcl, redactedLogFields } from './private/web-acl';

/** The target group's nominal port (the tasks register on their container port). */
const TARGET_GROUP_PORT = 4000;
import { DeploymentProfile } from './profile';

/**
 * A DNS name for the proxy: a certificate validated in the zone (or yours), HTTPS,
 * HTTP→HTTPS redirect, and an alias record.
 */
export interface LiteLlmDomainOptions {
  /** The Route 53 hosted zone that holds the record and validates the certificate. */
  readonly hostedZone: route53.IHostedZone;
  /** Record name, relative to the zone (`llm`) or fully qualified (`llm.example.com`). */
  readonly recordName: string;
  /**
   * Certificate for the name.
   *
   * @default - a new certificate, DNS-validated in `hostedZone`
   */
  readonly certificate?: acm.ICertificate;
}

/**
 * Web ACL settings (AWS WAF).
 */
export interface LiteLlmWafOptions {
  /**
   * Requests one IP may send in 5 minutes before it is blocked.
   *
   * @default 2000
   */
  readonly rateLimitPerFiveMinutes?: number;
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
   * Whether the load balancer is internal (reachable from the VPC and peered networks only).
   *
   * @default false
   */
  readonly internal?: boolean;
  /**
   * Serve IPv6 clients as well as IPv4 (the ALB's `dualstack` address type) and, with a
   * domain, add an AAAA alias record. The VPC's public subnets (private ones when internal)
   * need IPv6 CIDRs: `LiteLlmNetwork` creates them with `dualStack`.
   *
   * @default - false; in `LiteLlmPlatform`, the network's `dualStack`
   */
  readonly dualStack?: boolean;
  /**
   * Certificate for HTTPS on 443; port 80 then redirects to 443.
   *
   * @default - HTTP only on port 80 (an internet-facing PRODUCTION load balancer then needs `domain` or `allowHttp: true`)
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
   * The host name clients use with `certificate`, when its DNS record is yours (not
   * `domain`'s Route 53 zone): the URL and the Url output become `https://<domainName>`.
   *
   * @default - with `certificate` alone, the load balancer's DNS name (with a synth warning)
   */
  readonly domainName?: string;
  /**
   * A DNS name for the proxy, with HTTPS.
   *
   * @default - no DNS record; HTTPS only with `certificate`
   */
  readonly domain?: LiteLlmDomainOptions;
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
   * @default - `https://` and the domain's name with `domain` or `domainName`, else the load balancer's DNS name
   */
  readonly publicUrl?: string;
  /**
   * Associate an AWS WAF web ACL with the load balancer.
   *
   * @default - false (DEVELOPMENT), true (PRODUCTION)
   */
  readonly waf?: boolean;
  /**
   * Web ACL settings, when `waf` is on.
   *
   * @default - see `LiteLlmWafOptions`
   */
  readonly wafOptions?: LiteLlmWafOptions;
  /**
   * Idle timeout; must be at least the proxy's request timeout so slow streams are not cut.
   *
   * @default Duration.seconds(600)
   */
  readonly idleTimeout?: Duration;
  /**
   * Deletion protection.
   *
   * @default - false (DEVELOPMENT), true (PRODUCTION)
   */
  readonly deletionProtection?: boolean;
  /**
   * Days access logs are kept.
   *
   * @default 90
   */
  readonly accessLogRetentionDays?: number;
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
  /** Security group of the load balancer. */
  readonly securityGroup: ec2.ISecurityGroup;
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
   * @default DeploymentProfile.DEVELOPMENT
   */
  readonly profile?: DeploymentProfile;
}

/**
 * The Application Load Balancer in front of the LiteLLM tasks: HTTP (or HTTPS with
 * a redirect), a target group probing `/health/liveliness`, encrypted access logs.
 */
export class LiteLlmLoadBalancer extends Construct {
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
  /** The alias A record, with a domain. */
  public readonly record?: route53.ARecord;
  /** The alias AAAA record, with a domain on a dual-stack load balancer. */
  public readonly ipv6Record?: route53.AaaaRecord;
  /** The web ACL, when WAF is on. */
  public readonly webAcl?: wafv2.CfnWebACL;
  /** The WAF log group (`aws-waf-logs-…`), when WAF is on. */
  public readonly wafLogGroup?: logs.ILogGroup;
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
    const retentionDays = props.accessLogRetentionDays ?? 90;
    check(retentionDays, d => Number.isInteger(d) && d >= 1,
      d => `\`accessLogRetentionDays\` (${d}) must be a whole number of days >= 1, e.g. 90`);


    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      internetFacing: !props.internal,
      ipAddressType: props.dualStack ? elbv2.IpAddressType.DUAL_STACK : undefined, // unset is ipv4
      vpcSubnets: props.internal
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

    if (props.domain) {
      const alias = {
        zone: props.domain.hostedZone,
        recordName: props.domain.recordName,
        target: route53.RecordTarget.fromAlias(new route53targets.LoadBalancerTarget(this.loadBalancer)),
      };
      this.record = new route53.ARecord(this, 'AliasRecord', alias);
      if (props.dualStack) this.ipv6Record = new route53.AaaaRecord(this, 'AliasRecordIpv6', alias);
      this.url = `https://${fqdn(props.domain.recordName, props.domain.hostedZone.zoneName)}`;
    } else if (props.domainName) {
      if (!props.certificate) throw new Error('`domainName` names the host of `certificate`: give the certificate too, or use `domain` for a Route 53 zone');
      this.url = `https://${props.domainName}`;
    } else if (props.certificate && props.publicUrl === undefined) {
      Annotations.of(this).addWarningV2('cdk-litellm:certificateName', 'With `certificate` and no `domain`, the URL (and the Url output) is the load '
        + 'balancer\'s own DNS name, which the certificate does not name: clients would fail its TLS check. Set `domainName` to the name your DNS points at the load balancer.');
    }

    if (props.publicUrl !== undefined) this.url = publicUrl(props.publicUrl);
    this._behindProxy = props.publicUrl !== undefined;

    for (const name of props.wafOptions?.redactedHeaders ?? []) {
      check(name, n => /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(n), n => `\`wafOptions.redactedHeaders\` has "${n}", which is not a header name: write it as clients send it, e.g. "x-mcp-github-authorization"`);
    }
    this._redactHeaders(props.wafOptions?.redactedHeaders ?? [], '`wafOptions.redactedHeaders`');
    if (props.waf ?? defaults.waf) {
      const waf = this.addWaf(props, defaults.logRetention, defaults.removalPolicy);
      this.webAcl = waf.webAcl;
      this.wafLogGroup = waf.logGroup;
    }
  }

  /**
   * A metric of the target group (AWS/ApplicationELB, e.g. `HealthyHostCount`,
   * `UnHealthyHostCount`, `HTTPCode_Target_5XX_Count`), by the load balancer's and the target
   * group's names, not through a listener: in a split, adding a certificate replaces the
   * listener, and an alarm that imported it would block the update.
   */
  public metricTarget(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/ApplicationELB',
      metricName,
      dimensionsMap: { LoadBalancer: this.loadBalancer.loadBalancerFullName, TargetGroup: this.targetGroup.targetGroupFullName },
      period: Duration.minutes(5),
      statistic: 'Sum',
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
      lifecycleRules: [{ expiration: Duration.days(retentionDays), noncurrentVersionExpiration: Duration.days(1) }],
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
      `Access logs expire after ${retentionDays} days; replicate them with your organization's log archive if you need a copy.`);
    return bucket;
  }

  /** The certificate of the HTTPS listener: the domain's, the one given, or a new DNS-validated one. */
  private resolveCertificate(props: LiteLlmLoadBalancerProps): acm.ICertificate | undefined {
    if (props.domain?.certificate && props.certificate) {
      throw new Error('`certificate` and `domain.certificate` are both set: keep one of them');
    }
    if (props.domain) {
      if (!props.domain.hostedZone) {
        throw new Error('`domain.hostedZone` is missing: pass the Route 53 hosted zone that holds `domain.recordName` (route53.HostedZone.fromLookup or fromHostedZoneAttributes)');
      }
      check(props.domain.recordName, n => /^[A-Za-z0-9*]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(n),
        n => `\`domain.recordName\` ("${n}") must be a DNS name such as "llm" or "llm.example.com"`);
    }
    const certificate = props.domain?.certificate ?? props.certificate ?? (props.domain ? new acm.Certificate(this, 'Certificate', {
      domainName: fqdn(props.domain.recordName, props.domain.hostedZone.zoneName),
      validation: acm.CertificateValidation.fromDns(props.domain.hostedZone),
    }) : undefined);
    return certificate;
  }

  /** HTTPS with an HTTP redirect when there is a certificate; else plain HTTP, refused for an internet-facing PRODUCTION one. */
  private addListeners(
    props: LiteLlmLoadBalancerProps, production: boolean, certificate?: acm.ICertificate,
  ): { listener: elbv2.ApplicationListener; url: string } {
    if (certificate) {
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
      if (production && !props.internal && !props.allowHttp) {
        throw new Error('An internet-facing PRODUCTION load balancer without a certificate would take API keys over plain HTTP. '
          + 'Serve HTTPS: set `domain` (a Route 53 hosted zone and a record name; a DNS-validated certificate is created) '
          + 'or `certificate` (an ACM certificate in the stack\'s region); in LiteLlmPlatform both sit under `loadBalancer`. '
          + 'If TLS ends in front of the load balancer, set `allowHttp: true`.');
      }
      if (production || !props.internal) {
        // DEVELOPMENT's one-liner stays deployable, but never silently: keys cross the network in clear text.
        Annotations.of(this).addWarningV2('cdk-litellm:httpOnly', `The load balancer serves plain HTTP${props.internal ? '' : ' to the internet'}: `
          + 'the master key, virtual keys, the admin UI password and every prompt cross the network unencrypted. '
          + 'Serve HTTPS with `domain` (or `certificate`), or keep it from the internet with `network.allowedCidrs` (your addresses only) '
          + 'or `internal: true`. To accept it, acknowledge the warning: Annotations.of(stack).acknowledgeWarning(\'cdk-litellm:httpOnly\').');
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
    const rateLimit = props.wafOptions?.rateLimitPerFiveMinutes ?? 2000;
    check(rateLimit, n => Number.isInteger(n) && n >= 10 && n <= 2_000_000_000,
      n => `\`wafOptions.rateLimitPerFiveMinutes\` (${n}) must be an integer from 10 to 2000000000 (WAF limits)`);
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
      rateLimitPerFiveMinutes: rateLimit,
      excludedCommonRules: props.wafOptions?.excludedCommonRules ?? [],
      additionalManagedRuleGroups: props.wafOptions?.additionalManagedRuleGroups ?? [],
      blockBodyPatterns: props.wafOptions?.blockBodyPatterns ?? false,
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
