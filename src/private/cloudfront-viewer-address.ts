import { aws_cloudfront as cloudfront, aws_wafv2 as wafv2 } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { uniqueCloudFrontName } from './cloudfront-names';

/**
 * The header CloudFront writes the client's address into for the load balancer's web ACL.
 * Ours, so no client value survives: the function overwrites it on every request.
 */
export const VIEWER_ADDRESS_HEADER = 'x-litellm-viewer-address';

/**
 * A viewer-request function that sets `VIEWER_ADDRESS_HEADER` to the address CloudFront
 * accepted the connection from (`event.viewer.ip`,
 * https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/functions-event-structure.html),
 * replacing any value the client sent under that name (assignment, not append). A header a
 * function adds reaches the origin only if the origin request policy forwards it
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/example-function-add-true-client-ip-header.html);
 * AllViewer forwards "all headers in the viewer request", this one included. A custom name is
 * not among the headers a function may not set (edge-functions-restrictions.html).
 */
export function viewerAddressFunction(scope: Construct): cloudfront.Function {
  return new cloudfront.Function(scope, 'ViewerAddress', {
    // CDK's default name has no stack name: two stacks of one app, or one app under two stack names, would collide.
    functionName: uniqueCloudFrontName(scope, 'ViewerAddress'),
    runtime: cloudfront.FunctionRuntime.JS_2_0,
    comment: 'Writes the client address into a header the load balancer web ACL rate-limits by',
    code: cloudfront.FunctionCode.fromInline([
      'function handler(event) {',
      '  var request = event.request;',
      `  request.headers['${VIEWER_ADDRESS_HEADER}'] = { value: event.viewer.ip };`,
      '  return request;',
      '}',
    ].join('\n')),
  });
}

/**
 * Behind CloudFront every request reaches the load balancer from a CloudFront address, so a
 * per-IP rate rule would count CloudFront's edge servers, not clients. The rule counts by the
 * address in `VIEWER_ADDRESS_HEADER` instead (WAF's forwarded IP,
 * https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-forwarded-ip-address.html):
 * only CloudFront writes it, so a client cannot reset its count with a forged X-Forwarded-For
 * (keyed on X-Forwarded-For, WAF would read its first, client-written address: "AWS WAF only
 * evaluates the first IP address found in the specified HTTP header", API_ForwardedIPConfig.html).
 * A header without a valid address counts as matching; every request has the header, since only
 * CloudFront reaches the internal load balancer.
 */
export function keyRateLimitOnViewer(webAcl: wafv2.CfnWebACL): void {
  const rules = webAcl.rules as wafv2.CfnWebACL.RuleProperty[];
  const index = rules.findIndex(r => r.name === 'RateLimitPerIp');
  if (index < 0) throw new Error(`the web ACL ${webAcl.node.path} has no RateLimitPerIp rule to key on the viewer's address`);
  const at = `Rules.${index}.Statement.RateBasedStatement`;
  webAcl.addPropertyOverride(`${at}.AggregateKeyType`, 'FORWARDED_IP');
  webAcl.addPropertyOverride(`${at}.ForwardedIPConfig`, { HeaderName: VIEWER_ADDRESS_HEADER, FallbackBehavior: 'MATCH' });
}
