import {
  Annotations, CfnResource, Duration, Stack,
  aws_certificatemanager as acm, aws_cloudfront as cloudfront, aws_cloudfront_origins as origins, aws_elasticloadbalancingv2 as elbv2,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { LiteLlmLoadBalancer } from './load-balancer';
import { checkCloudFrontProps, checkOrigin, checkRegion } from './private/cloudfront-checks';
import { createDistribution } from './private/cloudfront-distribution';
import { acknowledgeDistribution } from './private/cloudfront-nag';
import { uniqueCloudFrontName } from './private/cloudfront-names';
import { allowVpcOrigin } from './private/cloudfront-security-group';
import { keyRateLimitOnViewer, viewerAddressFunction } from './private/cloudfront-viewer-address';

/** CloudFront's origin response timeout without a quota raise ("Response timeout per origin"). */
const DEFAULT_ORIGIN_RESPONSE_TIMEOUT_SECONDS = 60;

/**
 * CloudFront in front of the load balancer: HTTPS for clients from the first deploy, without a
 * domain of your own, and the load balancer off the internet.
 */
export interface LiteLlmCloudFrontOptions {
  /**
   * Put a CloudFront distribution in front of the load balancer, which then becomes internal
   * (private subnets, no public listener) and admits CloudFront's VPC origin only. Read by
   * `LiteLlmPlatform`; a `LiteLlmCloudFront` you create is always on.
   *
   * @default - on for a DEVELOPMENT platform whose load balancer would otherwise serve plain
   * HTTP to the internet (none of `loadBalancer.internetFacing`, `allowedPeers`, `domainName`,
   * `certificate`, `allowHttp`, `publicUrl` set); off otherwise, and in PRODUCTION
   */
  readonly enabled?: boolean;
  /**
   * How long CloudFront waits for the first byte of an answer, and between two bytes of it, from
   * 1 to 120 seconds (the most a VPC origin takes: `VpcOriginConfig.OriginReadTimeout`). A
   * non-streamed completion that takes longer is cut (a 504); a streamed one only needs a chunk
   * within it. Above 60 seconds your account needs the CloudFront quota "Response timeout per
   * origin" raised first (Service Quotas), or the deploy fails. Each provider attempt LiteLLM
   * makes gets at most this long.
   *
   * @default Duration.seconds(60)
   */
  readonly originResponseTimeout?: Duration;
  /**
   * The DNS name clients use instead of the distribution's `*.cloudfront.net` name; needs
   * `certificate`. Point its DNS record (a CNAME, or a Route 53 alias) at `distribution`.
   *
   * @default - the distribution's own name, `https://<id>.cloudfront.net`
   */
  readonly domainName?: string;
  /**
   * An ACM certificate for `domainName`, in us-east-1 (CloudFront reads certificates from
   * that region only), e.g. from a stack in us-east-1 with `crossRegionReferences`.
   *
   * @default - the `*.cloudfront.net` certificate
   */
  readonly certificate?: acm.ICertificate;
  /**
   * The edge locations that serve clients.
   *
   * @default cloudfront.PriceClass.PRICE_CLASS_ALL
   */
  readonly priceClass?: cloudfront.PriceClass;
  /**
   * The ARN of an AWS WAF web ACL of scope CLOUDFRONT (created in us-east-1) to associate with
   * the distribution, in addition to the load balancer's own web ACL (`loadBalancer.waf`).
   *
   * @default - none on the distribution
   */
  readonly webAclArn?: string;
}

/**
 * Properties of a `LiteLlmCloudFront`.
 */
export interface LiteLlmCloudFrontProps extends LiteLlmCloudFrontOptions {
  /**
   * The load balancer to reach through a CloudFront VPC origin: internal
   * (`internetFacing: false`), without a certificate, and best with `allowedPeers: []` so that
   * only CloudFront reaches it. Create the `LiteLlmService` after this construct, so that its
   * `PROXY_BASE_URL` is the distribution's URL.
   */
  readonly loadBalancer: LiteLlmLoadBalancer;
}

/**
 * A CloudFront distribution in front of an internal LiteLLM load balancer, through a CloudFront
 * VPC origin: HTTPS for clients on `*.cloudfront.net` (or `domainName`), nothing cached,
 * every method, header (`Authorization` included), cookie and query string forwarded, streams
 * passed through unbuffered. The load balancer's security group admits the VPC origin's
 * service-managed security group on port 80, and nothing from outside the VPC.
 *
 * Once created, the load balancer's `url` (and so the outputs and LiteLLM's `PROXY_BASE_URL`) is
 * this distribution's, LiteLLM reads the client's address two hops from the right of
 * X-Forwarded-For (CloudFront appends the viewer, the load balancer appends CloudFront), and the
 * load balancer's web ACL, if any, counts its rate limit per client address from a header only
 * CloudFront writes.
 *
 * VPC origins need: the VPC in the same account, with an internet gateway attached (an
 * `ec2.Vpc` without one fails at synth; an imported VPC cannot be checked);
 * the load balancer's subnets in Availability Zones VPC origins support, in a region where they
 * are available (a few AZ IDs are not, e.g. `use1-az3` in us-east-1: the list is under "Supported
 * AWS Regions for VPC origins",
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-vpc-origins.html#vpc-origins-supported-regions).
 * Synth cannot check the zones: an AZ name maps to an AZ ID per account in older regions, so
 * pick the VPC's zones by ID there (`aws ec2 describe-availability-zones`). The first deploy
 * creates the VPC origin (several minutes) and then the distribution.
 *
 * CloudFront refuses to update a VPC origin a distribution uses, so the VPC origin carries no
 * tags, and any change to it needs a new one (a new construct id). Its name and the function's
 * are `<region>-<stack name>-<hash>`, unique per account as CloudFront requires.
 */
export class LiteLlmCloudFront extends Construct {
  /** The distribution. */
  public readonly distribution: cloudfront.Distribution;
  /** The VPC origin that reaches the load balancer. */
  public readonly vpcOrigin: cloudfront.IVpcOrigin;
  /** Base URL of the proxy: `https://<domainName>`, else `https://<distribution domain name>`. */
  public readonly url: string;
  /** How long CloudFront waits for the origin's first byte, and between bytes. */
  public readonly originResponseTimeout: Duration;
  /**
   * The viewer-request function that writes the client's address into a header the load
   * balancer's web ACL counts its rate limit by, when the load balancer has a web ACL.
   */
  public readonly viewerAddressFunction?: cloudfront.IFunction;

  constructor(scope: Construct, id: string, props: LiteLlmCloudFrontProps) {
    super(scope, id);
    checkCloudFrontProps(props);
    checkRegion(Stack.of(this).region);
    const loadBalancer = props.loadBalancer;
    checkOrigin(loadBalancer);
    this.originResponseTimeout = props.originResponseTimeout ?? Duration.seconds(DEFAULT_ORIGIN_RESPONSE_TIMEOUT_SECONDS);

    // HTTP on 80 inside the VPC: the load balancer has no certificate of its own, and the hop
    // from the VPC origin to an internal load balancer never leaves AWS's network.
    const vpcOrigin = new cloudfront.VpcOrigin(this, 'VpcOrigin', {
      // CDK's default name has neither the region nor the stack's name, and VPC origin names are
      // unique per account across regions: the same app in two regions, or under two stack names, would collide.
      vpcOriginName: uniqueCloudFrontName(this, 'VpcOrigin'),
      endpoint: cloudfront.VpcOriginEndpoint.applicationLoadBalancer(loadBalancer.loadBalancer as elbv2.IApplicationLoadBalancer),
      protocolPolicy: cloudfront.OriginProtocolPolicy.HTTP_ONLY,
      httpPort: 80,
    });
    // A VPC origin a distribution uses cannot be updated in place: CloudFront answers 409 "The
    // specified VPC origin is currently associated with one or more distributions" (aws/aws-cdk#34629,
    // #35765), and every property, its name included, updates in place ("Update requires: No
    // interruption", aws-resource-cloudfront-vpcorigin.html). So no tag reaches it (`Tags.of(app)`
    // would update it on every tag change; tags render before overrides, so this removes them all),
    // its name must never change once deployed (test/cloudfront.test.ts pins it), and any other
    // change to it needs a new VPC origin (a new construct id): created, the distribution moved, the old one deleted.
    (vpcOrigin.node.defaultChild as CfnResource).addPropertyDeletionOverride('Tags');
    // VPC origins need the internet gateway attached (checkOrigin): created after it, deleted
    // before it is detached. An `ec2.Vpc`'s own group holds the gateway only; its public subnets'
    // default routes wait for the attachment, so the origin waits for them too.
    const vpc = loadBalancer.loadBalancer.vpc;
    if (vpc) {
      vpcOrigin.node.addDependency(vpc.internetConnectivityEstablished);
      for (const subnet of vpc.publicSubnets) vpcOrigin.node.addDependency(subnet.internetConnectivityEstablished);
    }
    this.vpcOrigin = vpcOrigin;
    const origin = origins.VpcOrigin.withVpcOrigin(vpcOrigin, {
      // CloudFront's "origin response timeout": for the first byte and between bytes (set: AWS's
      // default is 30 s; 60 s is the most without a quota raise). No
      // `responseCompletionTimeout`: unset, CloudFront sets no bound on a whole response, so a
      // stream may run as long as LiteLLM's request timeout (DownloadDistValuesOrigin.html).
      // The keep-alive stays CloudFront's 5 s, far below the load balancer's idle timeout, so
      // the load balancer never closes a connection CloudFront is about to reuse.
      readTimeout: this.originResponseTimeout,
    });

    const webAcl = loadBalancer.webAcl !== undefined;
    const fn = webAcl ? viewerAddressFunction(this) : undefined;
    this.viewerAddressFunction = fn;
    this.distribution = createDistribution(this, props, origin, fn);
    this.url = props.domainName !== undefined ? `https://${props.domainName}` : `https://${this.distribution.distributionDomainName}`;

    allowVpcOrigin(this, loadBalancer, this.distribution);
    if (fn && loadBalancer.webAcl) keyRateLimitOnViewer(loadBalancer.webAcl);
    loadBalancer._frontWith({ url: this.url, originResponseTimeout: this.originResponseTimeout });
    // The load balancer serves HTTP on 80 to the VPC origin only: clients reach it over HTTPS.
    Annotations.of(loadBalancer).acknowledgeWarning('cdk-litellm:httpOnly',
      'Behind CloudFront: clients use HTTPS, and only the VPC origin reaches the load balancer\'s port 80 inside the VPC.');
    acknowledgeDistribution(this.distribution, props, webAcl);
  }
}
