import {
  Annotations, ArnFormat, Duration, Fn, Names, RemovalPolicy, Stack, Token,
  aws_certificatemanager as acm, aws_cloudwatch as cloudwatch, aws_ec2 as ec2, aws_elasticloadbalancingv2 as elbv2, aws_iam as iam, aws_kms as kms,
  aws_logs as logs, aws_route53 as route53, aws_route53_targets as route53targets, aws_s3 as s3, aws_wafv2 as wafv2,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { logAccessLogs } from './private/access-logs';
import { profileDefaults } from './private/defaults';
import { acknowledge } from './private/nag';
import { privateSubnetsOf } from './private/subnets';
import { check } from './private/validate';
import { WebAcl, redactedLogFields } from './private/web-acl';

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
  /** The listener that forwards to LiteLLM (HTTPS when a certificate is set, else HTTP). */
  public readonly listener: elbv2.ApplicationListener;
  /** IP target group on the container port; the service registers into it. */
  public readonly targetGroup: elbv2.ApplicationTargetGroup;
  /** Access logs bucket (SSE-S3, SSL only, no public access, expiring). */
  public readonly accessLogsBucket: s3.IBucket;
  /** Idle timeout of the load balancer. */
  public readonly idleTimeout: Duration;
  /** Base URL of the proxy: `https://<record name>` with a domain, else `http(s)://<ALB DNS name>`. */
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
    });
    this.accessLogsBucket = this.addAccessLogs(retentionDays, defaults.removalPolicy);

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
    // LiteLLM mounts its Prometheus metrics, without authentication, on the port it serves
    // whenever its callbacks name `prometheus` (proxy/proxy_server.py:6605-6612); the platform
    // serves them on a port of their own (LiteLlmMetrics) and never through the load balancer.
    this.listener.addAction('NoMetrics', {
      priority: 1,
      conditions: [elbv2.ListenerCondition.pathPatterns(['/metrics', '/metrics/*'])],
      action: elbv2.ListenerAction.fixedResponse(404, { contentType: 'text/plain', messageBody: 'Not Found' }),
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
    } else if (props.certificate) {
      Annotations.of(this).addWarningV2('cdk-litellm:certificateName', 'With `certificate` and no `domain`, the URL (and the Url output) is the load '
        + 'balancer\'s own DNS name, which the certificate does not name: clients would fail its TLS check. Set `domainName` to the name your DNS points at the load balancer.');
    }

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

  /** The access logs bucket (SSE-S3, the only encryption log delivery supports), and delivery into it. */
  private addAccessLogs(retentionDays: number, removalPolicy: RemovalPolicy): s3.Bucket {
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
      redactedFields: redactedLogFields(),
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

function fqdn(recordName: string, zoneName: string): string {
  if (Token.isUnresolved(recordName) || Token.isUnresolved(zoneName)) return `${recordName}.${zoneName}`;
  const zone = zoneName.replace(/\.$/, '');
  return recordName === zone || recordName.endsWith(`.${zone}`) ? recordName : `${recordName}.${zone}`;
}
