import { Token, aws_bedrock as bedrock } from 'aws-cdk-lib';
import type { LiteLlmConfigEntryOptions } from './config/options';
import { BedrockGuardrailTarget } from './private/config-targets';
import { envReference, envReferences, literalCredentials } from './private/credentials';
import { isPrivateAddress, urlHost } from './private/egress';
import { isMapping } from './private/validate';

/**
 * When LiteLLM runs a guardrail (`litellm_params.mode`; the values of `GuardrailEventHooks`,
 * litellm/types/guardrails.py:919-927).
 */
export enum LiteLlmGuardrailMode {
  /** On the request, before the model is called. */
  PRE_CALL = 'pre_call',
  /** On the request, while the model is called (the response waits for both). */
  DURING_CALL = 'during_call',
  /** On the response, after the model answered. */
  POST_CALL = 'post_call',
  /** After the call, on what is logged only (e.g. masking PII in logs). */
  LOGGING_ONLY = 'logging_only',
  /** Before an MCP tool call. */
  PRE_MCP_CALL = 'pre_mcp_call',
  /** While an MCP tool call runs. */
  DURING_MCP_CALL = 'during_mcp_call',
  /** After an MCP tool call. */
  POST_MCP_CALL = 'post_mcp_call',
  /** On the input transcription of a realtime session. */
  REALTIME_INPUT_TRANSCRIPTION = 'realtime_input_transcription',
}

/**
 * Options for `LiteLlmGuardrail.bedrock`.
 */
export interface LiteLlmBedrockGuardrailOptions {
  /** The name requests and keys refer to the guardrail by (`guardrail_name`). */
  readonly name: string;
  /**
   * The guardrail's id or ARN. Give this or `guardrail`. LiteLLM puts `guardrailIdentifier`
   * into ApplyGuardrail's URL path as written (bedrock_guardrails.py:863), where an ARN's `/`
   * breaks the route, so an ARN is rendered as its id, with `aws_region_name` set to the ARN's
   * region unless `region` is given; the task role is granted the ARN. Bedrock looks the id up
   * in the task's own account, so an ARN in another account than the stack's fails synth. A
   * guardrail encrypted with a customer managed KMS key also needs `kms:Decrypt` on that key,
   * which the platform cannot see here: grant it to `service.grantPrincipal`.
   *
   * @default - the id of `guardrail`
   */
  readonly guardrailIdentifier?: string;
  /**
   * A guardrail this app defines. Give this or `guardrailIdentifier`. With a `kmsKeyArn` the
   * task role may also decrypt with that key (`kms:Decrypt`), which applying it needs.
   *
   * @default - `guardrailIdentifier`
   */
  readonly guardrail?: bedrock.CfnGuardrail;
  /**
   * The guardrail version to apply (`guardrailVersion`): `DRAFT` or a version number as a string
   * (`bedrock.CfnGuardrailVersion`'s `attrVersion`). Required: a guardrail without one fails
   * every request at runtime.
   */
  readonly guardrailVersion: string;
  /**
   * When LiteLLM runs it: PRE_CALL, DURING_CALL, POST_CALL, PRE_MCP_CALL, DURING_MCP_CALL or
   * LOGGING_ONLY. LiteLLM runs a Bedrock guardrail in no other mode (it would start without the
   * guardrail), so the others fail synth.
   */
  readonly mode: LiteLlmGuardrailMode;
  /**
   * Whether every request runs it without asking for it (`default_on`).
   *
   * @default false
   */
  readonly defaultOn?: boolean;
  /**
   * The guardrail's region (`aws_region_name`).
   *
   * @default - the region of `guardrailIdentifier` when it is an ARN, else the stack's region
   */
  readonly region?: string;
  /**
   * The ARN of the guardrail profile the guardrail uses for cross-Region inference (its
   * `crossRegionConfig.guardrailProfileArn`, e.g.
   * `arn:aws:bedrock:us-east-1:111122223333:guardrail-profile/us.guardrail.v1:0`). Such a guardrail
   * also needs `bedrock:ApplyGuardrail` on the profile in each destination region
   * (https://docs.aws.amazon.com/bedrock/latest/userguide/guardrail-profiles-permissions.html),
   * which the task role is granted.
   *
   * @default - `guardrail`'s `crossRegionConfig`, else none (the guardrail runs in its own region)
   */
  readonly guardrailProfileArn?: string;
}

/**
 * A LiteLLM guardrail: one entry of the config's `guardrails` section. LiteLLM loads them at
 * start (litellm/proxy/proxy_server.py:7159-7165); guardrails created in the admin UI live in
 * the database beside these (proxy_server.py:8973) and a deploy never touches them.
 */
export class LiteLlmGuardrail {
  /**
   * An Amazon Bedrock guardrail, applied through bedrock-runtime's ApplyGuardrail
   * (litellm/proxy/guardrails/guardrail_hooks/bedrock_guardrails.py:863). The task role may
   * apply exactly this guardrail (`bedrock:ApplyGuardrail` on its ARN); without NAT the tasks
   * reach it through the bedrock-runtime interface endpoint.
   */
  public static bedrock(options: LiteLlmBedrockGuardrailOptions): LiteLlmGuardrail {
    const where = `LiteLlmGuardrail.bedrock "${options.name}"`;
    if ((options.guardrailIdentifier === undefined) === (options.guardrail === undefined)) {
      throw new Error(`${where}: give exactly one of \`guardrailIdentifier\` (an id or ARN) and \`guardrail\` (a bedrock.CfnGuardrail)`);
    }
    validateBedrockMode(options.mode, where, 'mode');
    const identifier = options.guardrailIdentifier ?? options.guardrail!.attrGuardrailId;
    const params: { [key: string]: any } = {
      guardrail: 'bedrock',
      mode: options.mode,
      guardrailIdentifier: identifier,
      guardrailVersion: options.guardrailVersion,
      ...(options.defaultOn !== undefined ? { default_on: options.defaultOn } : {}),
      ...(options.region !== undefined ? { aws_region_name: options.region } : {}),
    };
    const guardrail = LiteLlmGuardrail._fromEntry({ guardrail_name: options.name, litellm_params: params }, where);
    const cross = options.guardrail?.crossRegionConfig;
    let profileArn = options.guardrailProfileArn;
    let profileUnknown = false;
    if (profileArn === undefined && cross !== undefined) {
      // crossRegionConfig: aws-cdk-lib aws-bedrock CfnGuardrail (bedrock.generated.d.ts:8158, 8495-8503).
      const given = Token.isUnresolved(cross) ? undefined : (cross as bedrock.CfnGuardrail.GuardrailCrossRegionConfigProperty).guardrailProfileArn;
      if (typeof given === 'string') profileArn = given;
      else profileUnknown = true;
    }
    if (options.guardrail || profileArn !== undefined || profileUnknown) {
      // The ARN, for the grant (a CfnGuardrail's); the config names the id.
      const base = guardrail._bedrock;
      const target: BedrockGuardrailTarget | undefined = options.guardrail
        ? { identifier, arn: options.guardrail.attrGuardrailArn, region: options.region, profileArn, profileUnknown }
        : (base ? { ...base, profileArn, profileUnknown } : undefined);
      // A guardrail encrypted with a customer managed key needs kms:Decrypt on it for ApplyGuardrail's
      // caller (https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-permissions-kms.html).
      return new LiteLlmGuardrail(guardrail.configEntry, [], false, target, guardrail._ungranted, undefined, options.guardrail?.kmsKeyArn);
    }
    return guardrail;
  }

  /**
   * Any guardrail LiteLLM supports, as one entry of its `guardrails` list
   * (`{ guardrail_name, litellm_params: { guardrail, mode, ... }, guardrail_info? }`): another
   * provider's (its keys as "os.environ/NAME", each a field of the provider keys secret; its
   * `api_base` on a port other than 443 gets an egress rule) or one LiteLLM runs itself
   * (`litellm_content_filter`, `block_code_execution`…), which needs nothing. A `bedrock` entry
   * gets the same grant as `LiteLlmGuardrail.bedrock`.
   *
   * @param entry the `guardrails` entry
   * @param options whether the guardrail calls a provider over the internet (default: false for Bedrock and the
   * guardrails LiteLLM runs itself, true for any other provider)
   */
  public static custom(entry: { [key: string]: any }, options: LiteLlmConfigEntryOptions = {}): LiteLlmGuardrail {
    return LiteLlmGuardrail._fromEntry(entry, `LiteLlmGuardrail.custom "${entry?.guardrail_name}"`, options.needsInternet);
  }

  /**
   * An entry of a config's `guardrails` list, checked.
   *
   * @internal
   */
  public static _fromEntry(entry: { [key: string]: any }, where: string, needsInternet?: boolean): LiteLlmGuardrail {
    const params = entry?.litellm_params;
    if (typeof entry?.guardrail_name !== 'string' || params === null || typeof params !== 'object' || typeof params.guardrail !== 'string') {
      throw new Error(`${where}: a guardrail needs a \`guardrail_name\` and \`litellm_params\` with a \`guardrail\` (its integration, e.g. "bedrock")`);
    }
    // LiteLLM requires a mode (litellm/types/guardrails.py:1388-1390) and refuses one it does not know.
    const modes: unknown[] = Array.isArray(params.mode) ? params.mode : [params.mode];
    const known = Object.values(LiteLlmGuardrailMode) as string[];
    const tagged = typeof params.mode === 'object' && params.mode !== null && !Array.isArray(params.mode);
    if (!tagged && modes.some(m => typeof m !== 'string' || !known.includes(m))) {
      throw new Error(`${where}: \`litellm_params.mode\` (${JSON.stringify(params.mode)}) is not a mode LiteLLM runs: use one of ${known.join(', ')}`);
    }
    const literals = literalCredentials(entry, 'guardrails');
    if (literals.length > 0) {
      throw new Error(`${where}: \`${literals[0]}\` holds a value; it would be written into the template. Write "os.environ/NAME": NAME becomes a field of the provider keys secret`);
    }
    let target: BedrockGuardrailTarget | undefined;
    let ungranted: string | undefined;
    let rendered: { [key: string]: any } = { ...params };
    if (params.guardrail === 'bedrock') {
      validateBedrockMode(params.mode, where, 'litellm_params.mode');
      ({ target, ungranted, params: rendered } = bedrockTarget(params, where));
    }
    // LiteLLM's own guardrails run in the proxy; another provider's are reached over the internet
    // unless it is given an address (its api_base then decides, through the egress rules).
    // An `api_base` at a private address is reached inside the VPC, never through NAT.
    const host = urlHost(params.api_base);
    const provider = params.guardrail !== 'bedrock' && !LOCAL_GUARDRAILS.includes(params.guardrail);
    const internet = needsInternet ?? (provider && !(host !== undefined && isPrivateAddress(host)));
    return new LiteLlmGuardrail({ ...entry, litellm_params: rendered }, envReferences(entry), internet, target, ungranted,
      needsInternet === undefined && provider ? host : undefined);
  }

  /** The name requests and keys refer to the guardrail by. */
  public readonly name: string;
  /** Fields of the provider keys secret the guardrail reads. */
  public readonly secretEnvNames: string[];
  /** Whether the guardrail calls a provider over the internet (through NAT). */
  public readonly needsInternet: boolean;
  /**
   * The Bedrock guardrail the task role applies.
   *
   * @internal
   */
  public readonly _bedrock?: BedrockGuardrailTarget;
  /**
   * Why the task role is not granted what this Bedrock guardrail needs.
   *
   * @internal
   */
  public readonly _ungranted?: string;
  /**
   * The host of its `api_base` when `needsInternet` was not said, for the VPC's own range.
   *
   * @internal
   */
  public readonly _defaultedHost?: string;
  /**
   * The customer managed KMS key its `bedrock.CfnGuardrail` is encrypted with, which the task
   * role may decrypt with.
   *
   * @internal
   */
  public readonly _kmsKeyArn?: string;
  private readonly entry: { [key: string]: any };

  private constructor(
    entry: { [key: string]: any }, secretEnvNames: string[], needsInternet: boolean, target?: BedrockGuardrailTarget, ungranted?: string,
    defaultedHost?: string, kmsKeyArn?: string,
  ) {
    this._defaultedHost = defaultedHost;
    this._kmsKeyArn = kmsKeyArn;
    this.entry = entry;
    this.name = entry.guardrail_name;
    this.secretEnvNames = secretEnvNames;
    this.needsInternet = needsInternet;
    this._bedrock = target;
    this._ungranted = ungranted;
  }

  /** LiteLLM's entry for this guardrail in `guardrails`. */
  public get configEntry(): { [key: string]: any } {
    return { ...this.entry, litellm_params: { ...this.entry.litellm_params } };
  }
}

/** Guardrails LiteLLM runs inside the proxy (litellm/types/guardrails.py:98-161; hooks in litellm/proxy/guardrails/guardrail_hooks/). */
const LOCAL_GUARDRAILS = [
  'litellm_content_filter', 'block_code_execution', 'hide-secrets', 'tool_permission', 'mcp_security', 'mcp_end_user_permission',
  'mcp_jwt_signer', 'custom_code', 'semantic_guard',
];

/**
 * Credentials of their own: the guardrail does not call Bedrock as the task role (bedrock_guardrails.py:799-836).
 * Not `api_key`: LiteLLM never passes a guardrail's `api_key` to Bedrock (initialize_bedrock,
 * litellm/proxy/guardrails/guardrail_initializers.py:10-51; the bearer token comes from the request
 * or AWS_BEARER_TOKEN_BEDROCK, bedrock_guardrails.py:981-982, litellm/llms/bedrock/base_aws_llm.py:212-214),
 * so it signs as the task role.
 */
const OWN_AWS_CREDENTIALS = ['aws_access_key_id', 'aws_role_name', 'aws_profile_name', 'aws_web_identity_token'];

/**
 * The modes a Bedrock guardrail runs in: its supported hooks (bedrock_guardrails.py:377-385) and
 * `logging_only`, which a guardrail with `apply_guardrail` accepts
 * (litellm/integrations/custom_guardrail.py:808-815, 1020-1025). Any other fails the hook check
 * (custom_guardrail.py:808-846, 433-445), and LiteLLM logs it and starts WITHOUT the guardrail
 * (litellm/proxy/guardrails/init_guardrails.py:36-42).
 */
const BEDROCK_MODES: string[] = [
  LiteLlmGuardrailMode.PRE_CALL, LiteLlmGuardrailMode.DURING_CALL, LiteLlmGuardrailMode.POST_CALL,
  LiteLlmGuardrailMode.PRE_MCP_CALL, LiteLlmGuardrailMode.DURING_MCP_CALL, LiteLlmGuardrailMode.LOGGING_ONLY,
];

/**
 * Refuses a Bedrock guardrail mode LiteLLM does not run it in. `mode` is a mode, a list of
 * modes, or `{ tags: { <tag>: mode or modes }, default: mode or modes }` (litellm/types/guardrails.py:1338-1340,
 * 1388); each is checked (custom_guardrail.py:827-846).
 */
function validateBedrockMode(mode: unknown, where: string, prop: string): void {
  const modes = (m: unknown): unknown[] => (Array.isArray(m) ? m : m === undefined || m === null ? [] : [m]);
  const tagged = isMapping(mode) ? mode as { tags?: unknown; default?: unknown } : undefined;
  const all = tagged ? [...Object.values(tagged.tags ?? {}).flatMap(modes), ...modes(tagged.default)] : Array.isArray(mode) ? mode : [mode];
  const off = all.find(m => typeof m !== 'string' || !BEDROCK_MODES.includes(m));
  if (off !== undefined) {
    throw new Error(`${where}: \`${prop}\` has ${JSON.stringify(off)}, which LiteLLM does not run a Bedrock guardrail in: it would log the error and start `
      + `WITHOUT the guardrail. Use ${BEDROCK_MODES.join(', ')}`);
  }
}

/** Bedrock's guardrail versions: `DRAFT` or 1 to 99999999 (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ApplyGuardrail.html). */
const GUARDRAIL_VERSION = /^(DRAFT|[1-9][0-9]{0,7})$/;

/** `arn:<partition>:bedrock:<region>:<account>:guardrail/<id>` (guardrailIdentifier's pattern, https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ApplyGuardrail.html). */
const GUARDRAIL_ARN = /^arn:[a-z-]+:bedrock:([a-z0-9-]+):\d{12}:guardrail\/([a-z0-9]+)$/;

/** What a `bedrock` entry gives the task role, and its params as LiteLLM must read them. */
interface BedrockEntry {
  readonly target?: BedrockGuardrailTarget;
  readonly ungranted?: string;
  readonly params: { [key: string]: any };
}

function bedrockTarget(params: { [key: string]: any }, where: string): BedrockEntry {
  const version = params.guardrailVersion;
  const checks = params.checks;
  const given = (v: unknown) => v !== undefined && v !== null;
  if (isMapping(checks) && Object.values(checks).some(given)
    && (given(params.guardrailIdentifier) || given(version))) {
    // Two APIs at once: LiteLLM refuses the guardrail (bedrock_guardrails.py:329-335), logs it and
    // starts WITHOUT it (init_guardrails.py:36-42). An empty `checks` normalizes to none (388-413).
    throw new Error(`${where}: \`checks\` (InvokeGuardrailChecks) and \`guardrailIdentifier\`/\`guardrailVersion\` (ApplyGuardrail) are both set, `
      + 'which LiteLLM refuses: it would log the error and start WITHOUT the guardrail. Keep `checks`, or the identifier and version');
  }
  if (params.checks !== undefined && params.checks !== null) {
    // The resource-less InvokeGuardrailChecks (bedrock_guardrails.py:329-335): no guardrail to scope a grant to.
    return { params: { ...params }, ungranted: 'it uses `checks` (InvokeGuardrailChecks), which no guardrail ARN scopes: grant the task role what that call needs' };
  }
  if (version === undefined || version === null || version === '') {
    throw new Error(`${where}: a Bedrock guardrail needs \`guardrailVersion\` ("DRAFT" or a version number, as a string): without it LiteLLM calls ApplyGuardrail on version "None", which fails every request`);
  }
  if (typeof version !== 'string') {
    throw new Error(`${where}: \`guardrailVersion\` (${JSON.stringify(version)}) must be a string (LiteLLM's field is a string: litellm/types/guardrails.py:607): quote it, e.g. "${version}"`);
  }
  if (!Token.isUnresolved(version) && envReference(version) === undefined && !GUARDRAIL_VERSION.test(version)) {
    throw new Error(`${where}: \`guardrailVersion\` ("${version}") is not a Bedrock guardrail version: use "DRAFT" or a version number such as "1"`);
  }
  let id = params.guardrailIdentifier;
  if (typeof id !== 'string' || id === '') {
    if (OWN_AWS_CREDENTIALS.some(k => params[k] !== undefined && params[k] !== null)) return { params: { ...params } };
    throw new Error(`${where}: a Bedrock guardrail needs \`guardrailIdentifier\` (its id or ARN), or \`checks\``);
  }
  const rendered = { ...params };
  let arn: string | undefined;
  if (!Token.isUnresolved(id) && id.startsWith('arn:')) {
    // LiteLLM puts the identifier into the URL path unencoded (bedrock_guardrails.py:863), where an
    // ARN's "/" adds a segment ApplyGuardrail's route does not have; its field is "The ID of your
    // guardrail on Bedrock" (litellm/types/guardrails.py:606). Without `aws_region_name` it calls
    // the task's AWS_REGION (litellm/llms/bedrock/base_aws_llm.py:888-915), not the ARN's region.
    const parsed = GUARDRAIL_ARN.exec(id);
    if (!parsed) {
      throw new Error(`${where}: \`guardrailIdentifier\` ("${id}") is not a guardrail ARN (arn:aws:bedrock:<region>:<account>:guardrail/<id>): give the guardrail's id, or its ARN`);
    }
    arn = id;
    id = parsed[2];
    rendered.guardrailIdentifier = id;
    if (rendered.aws_region_name === undefined || rendered.aws_region_name === null) rendered.aws_region_name = parsed[1];
  }
  if (OWN_AWS_CREDENTIALS.some(k => params[k] !== undefined && params[k] !== null)) return { params: rendered };
  const region = rendered.aws_region_name;
  const fromEnv = [envReference(id), typeof region === 'string' ? envReference(region) : undefined].filter(n => n !== undefined);
  if (fromEnv.length > 0) {
    return { params: rendered, ungranted: `its ${envReference(id) !== undefined ? 'guardrailIdentifier' : 'aws_region_name'} is read from os.environ/${fromEnv[0]} at runtime` };
  }
  return { params: rendered, target: { identifier: id, arn, region: typeof region === 'string' ? region : undefined } };
}
