import { Token } from 'aws-cdk-lib';
import type { LiteLlmConfigEntryOptions } from './config/options';
import { envReference, envReferences, literalCredentials } from './private/credentials';
import { isPrivateAddress } from './private/egress';
import { isMapping } from './private/validate';

/**
 * How LiteLLM authenticates to an MCP server (`auth_type`): the values of LiteLLM's `MCPAuth`
 * (litellm/types/mcp.py:41-53) that the typed factories support. The others (`oauth2`,
 * `aws_sigv4`, `oauth2_token_exchange`, `oauth2_id_jag`, `oauth_delegate`) need keys of their
 * own (`oauth2` its `oauth2_flow` and client: LiteLLM refuses to start without the flow,
 * litellm/proxy/_experimental/mcp_server/mcp_server_manager.py:2685-2695): write them in
 * `LiteLlmMcpServer.custom`'s entry.
 */
export enum LiteLlmMcpAuthType {
  /** No credential. */
  NONE = 'none',
  /** `X-API-Key: <value>` (litellm/proxy/_experimental/mcp_server/outbound_credentials/adapter.py:106-107). */
  API_KEY = 'api_key',
  /** `Authorization: Bearer <value>`. */
  BEARER_TOKEN = 'bearer_token',
  /** `Authorization: Basic <value>`. */
  BASIC = 'basic',
  /** `Authorization: <value>` as given. */
  AUTHORIZATION = 'authorization',
  /** `Authorization: token <value>`. */
  TOKEN = 'token',
  /** The caller's own `Authorization` header, passed through. */
  TRUE_PASSTHROUGH = 'true_passthrough',
}

/**
 * Options for `LiteLlmMcpServer.streamableHttp` and `LiteLlmMcpServer.sse`.
 */
export interface LiteLlmMcpServerOptions {
  /**
   * The server's name (the key under `mcp_servers`): the prefix of its tools and the
   * `{name}` of the `x-mcp-{name}-authorization` header callers may send. No `-` (LiteLLM's
   * tool-prefix separator, which it refuses in a name: litellm/proxy/_experimental/mcp_server/utils.py:524-543).
   * Prefer letters and digits: the load balancer drops header names with `_`, so callers'
   * `x-mcp-{name}-…` headers for a name with `_` never reach LiteLLM (synth warns).
   */
  readonly name: string;
  /** The server's URL, e.g. `https://mcp.example.com/mcp`. A port other than 443 gets an egress rule. */
  readonly url: string;
  /**
   * How LiteLLM authenticates to the server.
   *
   * @default - LiteLlmMcpAuthType.BEARER_TOKEN with `authHeaderSecretField`, else none
   */
  readonly authType?: LiteLlmMcpAuthType;
  /**
   * The field of the provider keys secret that holds the server's credential
   * (`authentication_token: os.environ/<field>`), sent as `authType` says.
   *
   * @default - no static credential
   */
  readonly authHeaderSecretField?: string;
  /**
   * Whether callers from outside the VPC may use it (`available_on_public_internet`): LiteLLM
   * tells internal from external callers by the address the load balancer appends to
   * X-Forwarded-For, which the platform trusts.
   *
   * @default - LiteLLM's default (true)
   */
  readonly availableOnPublicInternet?: boolean;
  /**
   * MCP access groups the server belongs to (`access_groups`): keys and teams granted a group
   * reach its servers. Which keys hold which groups is the admin UI's (the database).
   *
   * @default - none
   */
  readonly accessGroups?: string[];
  /**
   * The only tools LiteLLM lists and calls on it (`allowed_tools`).
   *
   * @default - every tool
   */
  readonly allowedTools?: string[];
  /**
   * Request headers LiteLLM forwards from the caller to the server (`extra_headers`). They
   * usually carry credentials, so the WAF logs redact them.
   *
   * @default - none
   */
  readonly extraHeaders?: string[];
  /**
   * What the server is for (`description`).
   *
   * @default - none
   */
  readonly description?: string;
  /**
   * Whether the server is reached over the internet (through NAT). Say false for a server in
   * the VPC or reached through a VPC endpoint.
   *
   * @default - true, false for an address in the task (`localhost`)
   */
  readonly needsInternet?: boolean;
}

/**
 * An MCP server LiteLLM's gateway serves: one entry of the config's `mcp_servers`. LiteLLM
 * loads them at start (litellm/proxy/proxy_server.py:7215-7226); servers added in the admin UI
 * live in the database beside these (proxy_server.py:9093) and a deploy never touches them.
 */
export class LiteLlmMcpServer {
  /** A server that speaks MCP's streamable HTTP transport (`transport: http`). */
  public static streamableHttp(options: LiteLlmMcpServerOptions): LiteLlmMcpServer {
    return LiteLlmMcpServer.typed(options, 'http', 'streamableHttp');
  }

  /** A server that speaks MCP's older SSE transport (`transport: sse`). */
  public static sse(options: LiteLlmMcpServerOptions): LiteLlmMcpServer {
    return LiteLlmMcpServer.typed(options, 'sse', 'sse');
  }

  /**
   * Any server, as LiteLLM's `mcp_servers.<name>` entry (`{ url, transport, auth_type, ... }`).
   * Credentials as "os.environ/NAME" (fields of the provider keys secret): keys such as
   * `authentication_token` and `client_secret`, credential `static_headers` (`Authorization`,
   * `x-api-key`…) and `env_vars` values; a static header may instead interpolate `${NAME}` from
   * the entry's `env_vars` (`[{ name, value: "os.environ/NAME" }]`). `auth_type: oauth2` needs
   * `oauth2_flow` (`client_credentials` or `authorization_code`). A `stdio` server
   * runs its `command` inside the LiteLLM container, which LiteLLM only allows with
   * `LITELLM_ENABLE_MCP_STDIO` set (litellm/proxy/_experimental/mcp_server/stdio_gate.py:7-28).
   *
   * @param name the server's name (its key under `mcp_servers`)
   * @param entry its settings
   * @param options whether the server is reached over the internet (default: true, false for `localhost`, a private address or `stdio`)
   */
  public static custom(name: string, entry: { [key: string]: any }, options: LiteLlmConfigEntryOptions = {}): LiteLlmMcpServer {
    return LiteLlmMcpServer._fromEntry(name, entry, `LiteLlmMcpServer.custom "${name}"`, options.needsInternet);
  }

  /**
   * An entry of a config's `mcp_servers`, checked.
   *
   * @internal
   */
  public static _fromEntry(name: string, entry: { [key: string]: any }, where: string, needsInternet?: boolean): LiteLlmMcpServer {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      throw new Error(`${where}: an MCP server is a mapping of its settings (url, transport, auth_type…)`);
    }
    if (name.includes('-')) {
      throw new Error(`${where}: the name has "-", LiteLLM's tool-prefix separator, which it refuses in a server name at start: use "${name.replace(/-/g, '_')}"`);
    }
    const literals = [
      // Credential keys, credential `static_headers` (sent to the server as written, after `${NAME}`
      // is interpolated from `env_vars`) and `env_vars` values (see private/credentials.ts).
      ...literalCredentials(entry, `mcp_servers.${name}`),
      // `auth_value` is the static credential's other name (mcp_server_manager.py:2774).
      ...(['auth_value'].filter(k => typeof entry[k] === 'string' && !envReferences(entry[k]).length).map(k => `mcp_servers.${name}.${k}`)),
    ];
    if (literals.length > 0) {
      throw new Error(`${where}: \`${literals[0]}\` holds a value; it would be written into the template. Write "os.environ/NAME": NAME becomes a field of the provider keys secret`);
    }
    validateOauth(entry, where);
    const transport = entry.transport ?? 'http';
    let inTask = transport === 'stdio';
    let host: string | undefined;
    if (typeof entry.url === 'string' && envReferences(entry.url).length === 0 && !Token.isUnresolved(entry.url)) {
      const url = /^(https?):\/\/(\[[^\]]*\]|[^:/?#\s@]+)(?::(\d*))?(?:[/?#]|$)/i.exec(entry.url);
      if (!url) {
        throw new Error(`${where}: \`url\` ("${entry.url}") is not an http(s) URL the proxy can call: write e.g. "https://mcp.example.com/mcp"`);
      }
      const port = url[3] === undefined || url[3] === '' ? (url[1].toLowerCase() === 'https' ? 443 : 80) : Number(url[3]);
      if (!Number.isInteger(port) || port < 1 || port > 65535) {
        throw new Error(`${where}: \`url\` ("${entry.url}") has port ${url[3]}, which no TCP connection reaches, so the platform cannot open egress to it: use a port from 1 to 65535`);
      }
      inTask = /^(localhost|127(\.\d+){3}|\[::1\])$/i.test(url[2]);
      host = url[2];
    }
    // A private address is reached inside the VPC (or a network attached to it), never through NAT.
    const internet = needsInternet ?? !(inTask || (host !== undefined && isPrivateAddress(host)));
    return new LiteLlmMcpServer(name, { ...entry }, envReferences(entry), internet, needsInternet === undefined ? host : undefined);
  }

  private static typed(options: LiteLlmMcpServerOptions, transport: string, factory: string): LiteLlmMcpServer {
    const field = options.authHeaderSecretField;
    if (field !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(field)) {
      throw new Error(`LiteLlmMcpServer.${factory} "${options.name}": \`authHeaderSecretField\` ("${field}") is not an environment variable name: use letters, digits and _`);
    }
    const authType = options.authType ?? (field !== undefined ? LiteLlmMcpAuthType.BEARER_TOKEN : undefined);
    if (authType !== undefined && !(Object.values(LiteLlmMcpAuthType) as string[]).includes(authType)) {
      // `oauth2` needs `oauth2_flow` and its client, which LiteLLM refuses to start without
      // (mcp_server_manager.py:2685-2695); the other MCPAuth values need keys of their own too.
      throw new Error(`LiteLlmMcpServer.${factory} "${options.name}": \`authType\` ("${authType}") is not one the typed factories render: `
        + `use LiteLlmMcpServer.custom("${options.name}", { url, transport, auth_type: "${authType}", ... })${(authType as string) === 'oauth2'
          ? ' with `oauth2_flow` ("client_credentials" with `token_url`, `client_id` and `client_secret` as "os.environ/NAME", or "authorization_code")'
          : ' with the keys that auth type needs'}`);
    }
    const entry: { [key: string]: any } = {
      url: options.url,
      transport,
      ...(authType !== undefined ? { auth_type: authType } : {}),
      ...(field !== undefined ? { authentication_token: `os.environ/${field}` } : {}),
      ...(options.availableOnPublicInternet !== undefined ? { available_on_public_internet: options.availableOnPublicInternet } : {}),
      ...(options.accessGroups ? { access_groups: [...options.accessGroups] } : {}),
      ...(options.allowedTools ? { allowed_tools: [...options.allowedTools] } : {}),
      ...(options.extraHeaders ? { extra_headers: [...options.extraHeaders] } : {}),
      ...(options.description !== undefined ? { description: options.description } : {}),
    };
    return LiteLlmMcpServer._fromEntry(options.name, entry, `LiteLlmMcpServer.${factory} "${options.name}"`, options.needsInternet);
  }

  /**
   * The host of its `url` when `needsInternet` was not said, for the VPC's own range.
   *
   * @internal
   */
  public readonly _defaultedHost?: string;

  private constructor(
    /** The server's name: its key under `mcp_servers`. */
    public readonly name: string,
    private readonly entry: { [key: string]: any },
    /** Fields of the provider keys secret the server's entry reads. */
    public readonly secretEnvNames: string[],
    /** Whether the server is reached over the internet (through NAT). */
    public readonly needsInternet: boolean,
    defaultedHost?: string,
  ) {
    this._defaultedHost = defaultedHost;
  }

  /** LiteLLM's entry for this server under `mcp_servers`. */
  public get configEntry(): { [key: string]: any } {
    return { ...this.entry };
  }

  /**
   * Request headers that carry a credential for this server, lowercase, which the WAF logs
   * redact: `x-mcp-{id}-authorization` and `x-mcp-{id}-x-api-key` for its name, its `alias`
   * and each of its `access_groups` (callers' per-server credentials, and a group's default for
   * every server in it: litellm/proxy/_experimental/mcp_server/auth/user_api_key_auth_mcp.py:1769-1818,
   * litellm/proxy/_experimental/mcp_server/utils.py:192-226), and the `extra_headers` LiteLLM
   * forwards to it (mcp_server_manager.py:1345-1365). LiteLLM forwards any other
   * `x-mcp-{id}-{header}` too; list those in `waf.redactedHeaders`. A name with `_` is kept
   * although the load balancer drops such headers: WAF may see and log them first.
   */
  public get credentialHeaders(): string[] {
    return this._credentialHeaders([]);
  }

  /**
   * `credentialHeaders`, with the aliases `litellm_settings.mcp_aliases` gives the server.
   *
   * @internal
   */
  public _credentialHeaders(mappedAliases: string[]): string[] {
    const ids = this._headerIds(mappedAliases).map(n => n.toLowerCase());
    const extra: unknown[] = Array.isArray(this.entry.extra_headers) ? this.entry.extra_headers : [];
    const names = [
      ...ids.flatMap(id => [`x-mcp-${id}-authorization`, `x-mcp-${id}-x-api-key`]),
      ...extra.filter((h): h is string => typeof h === 'string').map(h => h.toLowerCase()),
    ];
    return [...new Set(names.filter(n => /^[-a-z0-9_]+$/.test(n)))];
  }

  /**
   * The names callers' `x-mcp-{id}-…` headers use for this server (its name, `alias`, the
   * aliases given, its access groups).
   *
   * @internal
   */
  public _headerIds(mappedAliases: string[]): string[] {
    const groups: unknown[] = Array.isArray(this.entry.access_groups) ? this.entry.access_groups : [];
    return [this.name, ...(typeof this.entry.alias === 'string' ? [this.entry.alias] : mappedAliases), ...groups]
      .filter((n): n is string => typeof n === 'string' && n !== '');
  }
}

/**
 * What LiteLLM refuses in an MCP server's OAuth settings when it loads the config, failing the
 * proxy's start (litellm/proxy/_experimental/mcp_server/mcp_server_manager.py:2685-2718, 505-527;
 * litellm/proxy/_types.py:1321-1324). A value read from `os.environ/` is left to LiteLLM.
 */
function validateOauth(entry: { [key: string]: any }, where: string): void {
  const discovery = entry.per_server_oauth_discovery;
  if ('per_server_oauth_discovery' in entry && typeof discovery !== 'boolean') {
    throw new Error(`${where}: \`per_server_oauth_discovery\` (${JSON.stringify(discovery)}) must be true or false: LiteLLM refuses anything else at start`);
  }
  const bridge = entry.dcr_bridge;
  if (bridge !== undefined && bridge !== null && typeof bridge !== 'boolean') {
    throw new Error(`${where}: \`dcr_bridge\` (${JSON.stringify(bridge)}) must be true or false: LiteLLM refuses anything else at start`);
  }
  const authType = entry.auth_type;
  const flow = entry.oauth2_flow;
  if (envReference(authType) !== undefined || envReference(flow) !== undefined) return;
  if (authType === 'oauth2' && flow !== 'client_credentials' && flow !== 'authorization_code') {
    throw new Error(`${where}: \`auth_type\` is "oauth2" but \`oauth2_flow\` is ${flow === undefined ? 'not set' : JSON.stringify(flow)}, `
      + 'which LiteLLM refuses at start, so the proxy would not start: set `oauth2_flow: client_credentials` (the proxy gets a token at `token_url` '
      + 'with `client_id` and `client_secret`, as "os.environ/NAME") or `oauth2_flow: authorization_code` (each user signs in)');
  }
  if (discovery === true && !(authType === 'oauth2' && flow === 'authorization_code' && !pythonTruthy(entry.delegate_auth_to_upstream))) {
    throw new Error(`${where}: \`per_server_oauth_discovery\` is true, which LiteLLM accepts only with \`auth_type: oauth2\`, \`oauth2_flow: authorization_code\` `
      + 'and no `delegate_auth_to_upstream`, and refuses at start otherwise: set those, or remove `per_server_oauth_discovery`');
  }
  if (bridge === true && authType !== 'true_passthrough' && authType !== 'oauth_delegate') {
    throw new Error(`${where}: \`dcr_bridge\` is true with \`auth_type\` ${authType === undefined ? 'not set' : JSON.stringify(authType)}, which LiteLLM refuses at start: `
      + 'the DCR bridge serves only `auth_type: true_passthrough` or `oauth_delegate`; remove `dcr_bridge` or change the auth type');
  }
}

/** Python's truth value of a YAML value: empty strings, lists and mappings, 0 and null are false. */
function pythonTruthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (isMapping(value)) return Object.keys(value).length > 0;
  return Boolean(value);
}
