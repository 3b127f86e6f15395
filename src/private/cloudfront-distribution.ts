import { aws_cloudfront as cloudfront } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { LiteLlmCloudFrontProps } from '../cloudfront';

/**
 * The distribution: one behavior to the VPC origin that caches nothing and forwards everything,
 * HTTPS for viewers, TLSv1.2_2021 on a domain of your own.
 */
export function createDistribution(
  scope: Construct, props: LiteLlmCloudFrontProps, origin: cloudfront.IOrigin, fn?: cloudfront.IFunction,
): cloudfront.Distribution {
  return new cloudfront.Distribution(scope, 'Distribution', {
    comment: `LiteLLM proxy (${props.loadBalancer.node.path})`.slice(0, 128),
    defaultBehavior: {
      origin,
      viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
      allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
      // An API, not content: nothing is cached, so no answer ever goes to another caller.
      cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
      // Every header, cookie and query string of the viewer's request. An origin request policy
      // cannot name `Authorization` (CloudFront answers 400,
      // https://repost.aws/knowledge-center/cloudfront-authorization-header), and CachingDisabled
      // keys on no header; but "when you forward all viewer headers CloudFront includes the
      // Authorization header", with the managed AllViewer policy for it
      // (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/add-origin-custom-headers.html#add-origin-custom-headers-forward-authorization;
      // AllViewer: "All headers in the viewer request", all cookies, all query strings,
      // using-managed-origin-request-policies.html). LiteLLM's other key headers come along.
      // The Host header it forwards (the distribution's name) matters to nobody behind: the load
      // balancer routes on paths only, and LiteLLM builds its URLs from PROXY_BASE_URL.
      originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER,
      // No compression at the edge (CachingDisabled accepts no encoding either): a stream
      // (text/event-stream, chunked) passes as LiteLLM writes it ("CloudFront returns the object
      // to the viewer as it gets the object from your origin", RequestAndResponseBehaviorCustomOrigin.html),
      // and the response timeout applies between its chunks. WebSocket upgrades (LiteLLM's
      // realtime API) are "automatically enabled to work with any distribution" that forwards all
      // viewer headers, as AllViewer does
      // (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/distribution-working-with.websockets.html).
      compress: false,
      functionAssociations: fn ? [{ function: fn, eventType: cloudfront.FunctionEventType.VIEWER_REQUEST }] : undefined,
    },
    domainNames: props.domainName !== undefined ? [props.domainName] : undefined,
    certificate: props.certificate,
    minimumProtocolVersion: props.certificate ? cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021 : undefined,
    priceClass: props.priceClass,
    webAclId: props.webAclArn,
    httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
  });
}
