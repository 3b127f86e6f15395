import {
  ArnFormat, Duration, Fn, Lazy, Names, RemovalPolicy, Stack,
  aws_elasticloadbalancingv2 as elbv2, aws_iam as iam, aws_logs as logs, aws_wafv2 as wafv2,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { check } from './validate';
import { WebAcl, redactedLogFields } from './web-acl';
import type { LiteLlmLoadBalancerProps, LiteLlmWafOptions } from '../load-balancer';

/** Whether WAF is on; fails on settings of the web ACL when it is off, and on redacted headers that are not header names. */
export function wafEnabled(waf: LiteLlmWafOptions | undefined, byDefault: boolean): boolean {
  for (const name of waf?.redactedHeaders ?? []) {
    check(name, n => /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(n), n => `\`waf.redactedHeaders\` has "${n}", which is not a header name: write it as clients send it, e.g. "x-mcp-github-authorization"`);
  }
  const wafOn = waf?.enabled ?? byDefault;
  const wafSettings = Object.entries(waf ?? {}).filter(([k, v]) => k !== 'enabled' && v !== undefined).map(([k]) => `\`waf.${k}\``);
  if (!wafOn && wafSettings.length > 0) {
    throw new Error(`${wafSettings.join(', ')} configure${wafSettings.length === 1 ? 's' : ''} the web ACL, but WAF is off (${waf?.enabled === false ? '`waf.enabled: false`' : 'the DEVELOPMENT default'}): `
      + 'set `waf.enabled: true`, or remove them');
  }
  return wafOn;
}

/**
 * A web ACL on the load balancer, logged to its own `aws-waf-logs-` group, with the key
 * headers and the query string redacted; the group carries its own resource policy.
 */
export function addWaf(
  scope: Construct, loadBalancer: elbv2.ApplicationLoadBalancer, props: LiteLlmLoadBalancerProps,
  logRetention: logs.RetentionDays, removalPolicy: RemovalPolicy, redactedHeaders: string[],
): { webAcl: wafv2.CfnWebACL; logGroup: logs.ILogGroup } {
  const rateLimit = props.waf?.rateLimit ?? 2000;
  check(rateLimit, n => Number.isInteger(n) && n >= 10 && n <= 2_000_000_000,
    n => `\`waf.rateLimit\` (${n}) must be an integer from 10 to 2000000000 (WAF limits)`);
  const rateLimitWindow = (props.waf?.rateLimitWindow ?? Duration.minutes(5)).toSeconds();
  check(rateLimitWindow, w => [60, 120, 300, 600].includes(w),
    w => `\`waf.rateLimitWindow\` (${w} s) must be 1, 2, 5 or 10 minutes (WAF's evaluation windows), e.g. Duration.minutes(5)`);
  // The stack's UUID ends the name: a group retained by a deleted stack must not block
  // the same stack from being created again.
  const stackUuid = Fn.select(2, Fn.split('/', Stack.of(scope).stackId));
  // WAF only delivers to log groups whose name starts with aws-waf-logs-.
  const logGroupName = `aws-waf-logs-${Names.uniqueResourceName(scope, { maxLength: 400 })}-${stackUuid}`;
  const logGroup = new logs.LogGroup(scope, 'WafLogs', {
    logGroupName,
    encryptionKey: props.encryptionKey,
    retention: logRetention,
    removalPolicy,
  });
  allowWafLogDelivery(scope, logGroup, logGroupName);
  const acl = new WebAcl(scope, 'WebAcl', {
    metricPrefix: Names.uniqueResourceName(scope, { maxLength: 64 }),
    rateLimit,
    rateLimitWindowSeconds: rateLimitWindow,
    excludedCommonRules: props.waf?.excludedCommonRules ?? [],
    additionalManagedRuleGroups: props.waf?.additionalManagedRuleGroups ?? [],
    blockBodyPatterns: props.waf?.blockBodyPatterns ?? false,
  });
  new wafv2.CfnWebACLAssociation(scope, 'WebAclAssociation', {
    resourceArn: loadBalancer.loadBalancerArn,
    webAclArn: acl.webAcl.attrArn,
  });
  // The destination names the group by Ref: the group, and the policy it carries, exist
  // before WAF checks that it may deliver there.
  new wafv2.CfnLoggingConfiguration(scope, 'WafLogging', {
    resourceArn: acl.webAcl.attrArn,
    logDestinationConfigs: [Stack.of(scope).formatArn({
      service: 'logs', resource: 'log-group', resourceName: logGroup.logGroupName, arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    })],
    // Lazy: the service adds the key headers its config names (_redactHeaders).
    redactedFields: Lazy.any({ produce: () => redactedLogFields(redactedHeaders) }),
  });
  return { webAcl: acl.webAcl, logGroup };
}

/**
 * Lets CloudWatch Logs' delivery service write this account's WAF logs into the group,
 * through the group's own resource policy. An account-level policy (AWS::Logs::ResourcePolicy,
 * or the shared one WAF appends to) counts against the account's 10 per region, one per
 * stack with WAF; a log group's own policy counts against nothing.
 */
export function allowWafLogDelivery(scope: Construct, logGroup: logs.LogGroup, logGroupName: string): void {
  const stack = Stack.of(scope);
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
