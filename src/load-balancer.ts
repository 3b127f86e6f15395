import {
  Annotations, Duration, RemovalPolicy, Stack, Token,
  aws_certificatemanager as acm, aws_ec2 as ec2, aws_elasticloadbalancingv2 as elbv2, aws_s3 as s3,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { profileDefaults } from './private/defaults';
import { check } from './private/validate';
import { DeploymentProfile } from './profile';

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
   * Certificate for HTTPS on 443; port 80 then redirects to 443.
   *
   * @default - HTTP only on port 80
   */
  readonly certificate?: acm.ICertificate;
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
  /** Access logs bucket (SSE-S3, SSL only, no public access, expiring). Only in a stack with a concrete region. */
  public readonly accessLogsBucket?: s3.IBucket;
  /** Idle timeout of the load balancer. */
  public readonly idleTimeout: Duration;
  /** Base URL of the proxy, e.g. `http://<dns name>`. */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: LiteLlmLoadBalancerProps) {
    super(scope, id);
    const defaults = profileDefaults(props.profile);
    this.idleTimeout = props.idleTimeout ?? Duration.seconds(600);
    const idleSeconds = this.idleTimeout.toSeconds();
    check(idleSeconds, s => s >= 1 && s <= 4000, s => `\`idleTimeout\` (${s} s) must be from 1 to 4000 seconds (ALB limits)`);
    const retentionDays = props.accessLogRetentionDays ?? 90;
    check(retentionDays, d => Number.isInteger(d) && d >= 1, d => `\`accessLogRetentionDays\` (${d}) must be a whole number of days >= 1`);


    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      internetFacing: !props.internal,
      vpcSubnets: { subnetType: props.internal ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PUBLIC },
      securityGroup: props.securityGroup,
      idleTimeout: this.idleTimeout,
      deletionProtection: props.deletionProtection ?? defaults.deletionProtection,
      dropInvalidHeaderFields: true,
    });
    if (Token.isUnresolved(Stack.of(this).region)) {
      // The bucket policy names the region's ELB log-delivery account.
      Annotations.of(this).addWarningV2('cdk-litellm:accessLogsNeedRegion',
        'Load balancer access logs are off: they need the stack\'s region. Set `env: { region }` on the stack to turn them on.');
    } else {
      const bucket = new s3.Bucket(this, 'AccessLogs', {
        // ALB access logs support SSE-S3 only.
        encryption: s3.BucketEncryption.S3_MANAGED,
        enforceSSL: true,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        versioned: true,
        lifecycleRules: [{ expiration: Duration.days(retentionDays), noncurrentVersionExpiration: Duration.days(1) }],
        removalPolicy: defaults.removalPolicy,
        autoDeleteObjects: defaults.removalPolicy === RemovalPolicy.DESTROY,
      });
      this.accessLogsBucket = bucket;
      this.loadBalancer.logAccessLogs(bucket, 'alb');
    }

    this.targetGroup = new elbv2.ApplicationTargetGroup(this, 'TargetGroup', {
      vpc: props.vpc,
      port: props.containerPort ?? 4000,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.IP,
      deregistrationDelay: Duration.seconds(60),
      healthCheck: {
        path: '/health/liveliness',
        interval: Duration.seconds(30),
        timeout: Duration.seconds(15),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 5,
        healthyHttpCodes: '200',
      },
    });

    if (props.certificate) {
      this.listener = this.loadBalancer.addListener('Https', {
        port: 443,
        protocol: elbv2.ApplicationProtocol.HTTPS,
        certificates: [props.certificate],
        sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
        open: false,
        defaultTargetGroups: [this.targetGroup],
      });
      this.loadBalancer.addListener('Http', {
        port: 80,
        open: false,
        defaultAction: elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true }),
      });
      this.url = `https://${this.loadBalancer.loadBalancerDnsName}`;
    } else {
      this.listener = this.loadBalancer.addListener('Http', {
        port: 80,
        open: false,
        defaultTargetGroups: [this.targetGroup],
      });
      this.url = `http://${this.loadBalancer.loadBalancerDnsName}`;
    }
  }
}
