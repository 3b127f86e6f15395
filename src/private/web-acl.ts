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
  // EC2MetaDataSSRF_BODY: a prompt about IMDS or SSRF quotes 169.254.169.254. The image URLs
  // LiteLLM 1.108.7 fetches from a prompt go through its own guard, which refuses every
  // non-global address (litellm/litellm_core_utils/url_utils.py, _is_blocked_ip). The
  // _URIPATH, _QUERYARGUMENTS and _COOKIE twins still block.
  AWSManagedRulesCommonRuleSet: ['CrossSiteScripting_BODY', 'GenericLFI_BODY', 'GenericRFI_BODY', 'EC2MetaDataSSRF_BODY'],
  AWSManagedRulesSQLiRuleSet: ['SQLi_BODY', 'SQLiExtendedPatterns_BODY'],
};

/**
 * Request headers LiteLLM 1.108.7 takes a key or a session from; WAF logs record request
 * headers, so the logging configuration redacts each of these (WAF logs `REDACTED`).
 * - `litellm/types/proxy/auth/special_headers.py` lines 7-13 (`SpecialHeaders`), read by
 *   `litellm/proxy/auth/user_api_key_auth.py` lines 217-245: `Authorization`, `API-Key`,
 *   `x-api-key`, `x-goog-api-key`, `Ocp-Apim-Subscription-Key`, `x-litellm-api-key`; and
 *   `x-mcp-auth`, read by `litellm/proxy/_experimental/mcp_server/auth/user_api_key_auth_mcp.py`.
 * - `Cookie`: the admin UI's session (`token` cookie, a JWT that holds a key).
 * WAF matches a header name case-insensitively (API `SingleHeader`: "The name isn't case
 * sensitive"); the names are lowercase, as LiteLLM's own `SENTRY_DENYLIST`
 * (`litellm/constants.py`) writes the same eight.
 */
export const REDACTED_HEADERS = [
  'authorization',
  'api-key',
  'x-api-key',
  'x-goog-api-key',
  'ocp-apim-subscription-key',
  'x-litellm-api-key',
  'x-mcp-auth',
  'cookie',
];

/**
 * What the WAF logging configuration keeps out of the logs: every header of
 * `REDACTED_HEADERS`, and the query string, where LiteLLM also takes keys
 * (`?key=` on Google `:generateContent` routes, `GET /key/info?key=`).
 */
export function redactedLogFields(): wafv2.CfnLoggingConfiguration.FieldToMatchProperty[] {
  return [
    ...REDACTED_HEADERS.map(name => ({ singleHeader: { Name: name } })),
    { queryString: {} },
  ];
}

/**
 * A regional web ACL for the LiteLLM load balancer: AWS managed Common (body size and,
 * by default, body patterns counted, not blocked), Known Bad Inputs, SQL injection, IP
 * reputation, and a per-IP rate limit. Every rule emits CloudWatch metrics; none samples
 * requests (see `visibility`).
 */
export class WebAcl extends Construct {
  public readonly webAcl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: WebAclProps) {
    super(scope, id);
    const visibility = (name: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      // Sampling is off: sampled requests show every header, keys included, in the console;
      // log redaction does not apply to them. The redacted logs carry the same requests.
      cloudWatchMetricsEnabled: true, sampledRequestsEnabled: false, metricName: `${props.metricPrefix}-${name}`.slice(0, 128),
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
