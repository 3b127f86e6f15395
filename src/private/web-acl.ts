import { aws_wafv2 as wafv2 } from 'aws-cdk-lib';
import { Construct } from 'constructs';

export interface WebAclProps {
  readonly metricPrefix: string;
  readonly rateLimitPerFiveMinutes: number;
  readonly excludedCommonRules: string[];
  readonly additionalManagedRuleGroups: string[];
  readonly blockBodyPatterns: boolean;
}

/** The Common rule's body-size check: LLM prompts routinely exceed its 8 KB limit. */
export const BODY_SIZE_RULE = 'SizeRestrictions_BODY';

/**
 * Rules that look for attack patterns in the request body. A prompt routinely holds
 * HTML, SQL, file paths and URLs (code review, data questions), which they mistake for
 * XSS, SQL injection, LFI and RFI; counted unless `blockBodyPatterns`.
 */
export const BODY_PATTERN_RULES = {
  AWSManagedRulesCommonRuleSet: ['CrossSiteScripting_BODY', 'GenericLFI_BODY', 'GenericRFI_BODY'],
  AWSManagedRulesSQLiRuleSet: ['SQLi_BODY', 'SQLiExtendedPatterns_BODY'],
};

/**
 * A regional web ACL for the LiteLLM load balancer: AWS managed Common (body size and,
 * by default, body patterns counted, not blocked), Known Bad Inputs, SQL injection, IP
 * reputation, and a per-IP rate limit. Every rule emits CloudWatch metrics.
 */
export class WebAcl extends Construct {
  public readonly webAcl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: WebAclProps) {
    super(scope, id);
    const visibility = (name: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true, sampledRequestsEnabled: true, metricName: `${props.metricPrefix}-${name}`.slice(0, 128),
    });
    const builtIn = ['AWSManagedRulesAmazonIpReputationList', 'AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet', 'AWSManagedRulesSQLiRuleSet'];
    const seen = new Set(builtIn);
    for (const name of props.additionalManagedRuleGroups) {
      if (seen.has(name)) {
        throw new Error(`\`wafOptions.additionalManagedRuleGroups\` has "${name}" twice or repeats a built-in group (${builtIn.join(', ')}): list each group once`);
      }
      seen.add(name);
    }
    const bodyPatterns = (group: keyof typeof BODY_PATTERN_RULES) => (props.blockBodyPatterns ? [] : BODY_PATTERN_RULES[group]);
    const counted = [...new Set([BODY_SIZE_RULE, ...bodyPatterns('AWSManagedRulesCommonRuleSet'), ...props.excludedCommonRules])];
    const managed = (name: string, priority: number, overrides: string[] = []): wafv2.CfnWebACL.RuleProperty => ({
      name,
      priority,
      overrideAction: { none: {} },
      statement: {
        managedRuleGroupStatement: {
          vendorName: 'AWS',
          name,
          ruleActionOverrides: overrides.length ? overrides.map(rule => ({ name: rule, actionToUse: { count: {} } })) : undefined,
        },
      },
      visibilityConfig: visibility(name),
    });
    const rules: wafv2.CfnWebACL.RuleProperty[] = [
      {
        name: 'RateLimitPerIp',
        priority: 0,
        action: { block: {} },
        statement: { rateBasedStatement: { limit: props.rateLimitPerFiveMinutes, aggregateKeyType: 'IP', evaluationWindowSec: 300 } },
        visibilityConfig: visibility('RateLimitPerIp'),
      },
      managed('AWSManagedRulesAmazonIpReputationList', 1),
      managed('AWSManagedRulesCommonRuleSet', 2, counted),
      managed('AWSManagedRulesKnownBadInputsRuleSet', 3),
      managed('AWSManagedRulesSQLiRuleSet', 4, bodyPatterns('AWSManagedRulesSQLiRuleSet')),
      ...props.additionalManagedRuleGroups.map((name, i) => managed(name, 10 + i)),
    ];
    // No name: web ACL names are unique per region and account, so CloudFormation names it.
    this.webAcl = new wafv2.CfnWebACL(this, 'Resource', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('WebAcl'),
      rules,
    });
  }
}
