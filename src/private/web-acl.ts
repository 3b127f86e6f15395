import { Token, aws_wafv2 as wafv2 } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import * as YAML from 'yaml';
import { envReference } from './credentials';

export interface WebAclProps {
  readonly metricPrefix: string;
  /** The rate-based rule's `limit`. */
  readonly rateLimit: number;
  /** The rate-based rule's `evaluationWindowSec`. */
  readonly rateLimitWindowSeconds: number;
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
 * - `Sec-WebSocket-Protocol`: realtime clients send `openai-insecure-api-key.<key>` in it
 *   (user_api_key_auth.py:1240-1246).
 * - `litellm_user_api_key`: the caller's key on mapped pass-through routes (user_api_key_auth.py:1451-1453).
 *   The load balancer drops it before LiteLLM (`dropInvalidHeaderFields`: names are letters,
 *   digits and hyphens only), but WAF may still see and log it.
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
  'sec-websocket-protocol',
  'litellm_user_api_key',
];

/**
 * The most fields a WAF logging configuration redacts: `RedactedFields`, "Maximum number of 100
 * items" (https://docs.aws.amazon.com/cloudwatch/latest/observabilityadmin/API_WAFLoggingParameters.html,
 * the same FieldToMatch list as WAFv2's LoggingConfiguration).
 */
export const MAX_REDACTED_FIELDS = 100;

/** The longest header name a `SingleHeader` takes: "Maximum length of 64" (https://docs.aws.amazon.com/waf/latest/APIReference/API_SingleHeader.html). */
export const MAX_REDACTED_HEADER_LENGTH = 64;

/**
 * The key headers a rendered config adds to LiteLLM's own: `general_settings.litellm_key_header_name`
 * (user_api_key_auth.py:2143-2147), `mcp_client_side_auth_header_name` or the
 * `LITELLM_MCP_CLIENT_SIDE_AUTH_HEADER_NAME` variable (user_api_key_auth_mcp.py:1867-1887), and each
 * pass-through endpoint's `headers.litellm_user_api_key` (user_api_key_auth.py:1426-1433, 1476-1481).
 * Lowercase; WAF matches names case-insensitively. A name the load balancer would drop
 * (anything but letters, digits and hyphens: https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html,
 * `routing.http.drop_invalid_header_fields.enabled`) never reaches LiteLLM and fails.
 */
export function configKeyHeaders(config: string, environment: { [name: string]: string }): string[] {
  const general = (YAML.parse(config, { version: '1.1' }) ?? {}).general_settings ?? {};
  const passThrough = Array.isArray(general.pass_through_endpoints) ? general.pass_through_endpoints : [];
  const names: [string, unknown][] = [
    ['general_settings.litellm_key_header_name', general.litellm_key_header_name],
    ['general_settings.mcp_client_side_auth_header_name', general.mcp_client_side_auth_header_name],
    ['LITELLM_MCP_CLIENT_SIDE_AUTH_HEADER_NAME', environment.LITELLM_MCP_CLIENT_SIDE_AUTH_HEADER_NAME],
    ...passThrough.map((e: any, i: number): [string, unknown] => [`general_settings.pass_through_endpoints[${i}].headers.litellm_user_api_key`, e?.headers?.litellm_user_api_key]),
  ];
  const known: string[] = [];
  for (const [source, name] of names) {
    // A name read from a secret (os.environ/NAME) or a deploy-time value is unknown here.
    if (typeof name !== 'string' || name.trim() === '' || envReference(name) !== undefined || Token.isUnresolved(name)) continue;
    if (!/^[-A-Za-z0-9]+$/.test(name.trim())) {
      throw new Error(`\`${source}\` ("${name}") is not a header name the load balancer passes on: it drops names with anything but letters, digits and hyphens, `
        + `so LiteLLM would never see the key. Use e.g. "${name.trim().replace(/[^-A-Za-z0-9]+/g, '-')}"`);
    }
    known.push(name.trim().toLowerCase());
  }
  return [...new Set(known)];
}

/**
 * What the WAF logging configuration keeps out of the logs: every header of `headers`
 * (`REDACTED_HEADERS` and what the config adds), and the query string, where LiteLLM also takes keys
 * (`?key=` on Google `:generateContent` routes, `GET /key/info?key=`).
 */
export function redactedLogFields(headers: string[] = REDACTED_HEADERS): wafv2.CfnLoggingConfiguration.FieldToMatchProperty[] {
  return [
    ...headers.map(name => ({ singleHeader: { Name: name } })),
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
        throw new Error(`\`waf.additionalManagedRuleGroups\` has "${name}" twice or repeats a built-in group (${builtIn.join(', ')}): list each group once`);
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
        statement: { rateBasedStatement: { limit: props.rateLimit, aggregateKeyType: 'IP', evaluationWindowSec: props.rateLimitWindowSeconds } },
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
