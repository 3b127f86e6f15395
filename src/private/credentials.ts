import { Token } from 'aws-cdk-lib';
import { isMapping } from './validate';

/**
 * Keys that hold credentials: `api_key`, `aws_secret_access_key`, `azure_ad_token`,
 * `vertex_credentials`, `LANGFUSE_SECRET_KEY`, `master_key`, `password`…
 */
const CREDENTIAL_KEY = /(^|_)(api_key|access_key|secret_key|private_key|master_key|salt_key|token|password|secret|credentials)$/i;
const ENV_REFERENCE = /^os\.environ\/(.+)$/;

/**
 * Keys that match CREDENTIAL_KEY (or CREDENTIAL_HEADER) but hold a header name: a pass-through
 * endpoint's `headers.litellm_user_api_key` names the header its callers send their key in
 * (litellm/proxy/auth/user_api_key_auth.py:1426-1433).
 */
const HEADER_NAME_KEYS = ['litellm_user_api_key'];

/**
 * Header names that carry a credential: `Authorization`, `Proxy-Authorization`, `Cookie`,
 * `x-api-key`, `Ocp-Apim-Subscription-Key`, `X-Auth-Key`, `X-Goog-Api-Key`… (any name with key,
 * token, secret, auth, password, signature or credential in it).
 */
const CREDENTIAL_HEADER = /cookie|key|token|secret|auth|passw|signature|credential/i;

/** Keys whose mapping is header name → value: `headers`, `extra_headers`, `static_headers`, `custom_headers`… */
const HEADERS_KEY = /headers$/i;

/** Whether `key` holds a mapping of header names to values (`extra_headers`, `static_headers`…). */
export function isHeadersKey(key: string): boolean {
  return HEADERS_KEY.test(key);
}

/**
 * `${NAME}` in an MCP server's `static_headers`, interpolated from its `env_vars`
 * (litellm/proxy/_experimental/mcp_server/utils.py:688-690, 748-767; mcp_server_manager.py:4125-4216).
 */
const INTERPOLATION = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

export function isCredentialKey(key: string): boolean {
  return CREDENTIAL_KEY.test(key) && !HEADER_NAME_KEYS.includes(key);
}

/** Whether a header of that name carries a credential, so its value must not be written out. */
export function isCredentialHeader(name: string): boolean {
  return CREDENTIAL_HEADER.test(name) && !HEADER_NAME_KEYS.includes(name);
}

/** NAME of an `os.environ/NAME` string; undefined for anything else, a deploy-time token included. */
export function envReference(value: unknown): string | undefined {
  if (typeof value !== 'string' || Token.isUnresolved(value)) return undefined;
  return ENV_REFERENCE.exec(value)?.[1];
}

/** Every NAME an `os.environ/NAME` string anywhere in `value` reads. */
export function envReferences(value: unknown): string[] {
  const env = envReference(value);
  if (env !== undefined) return [env];
  if (Array.isArray(value)) return value.flatMap(envReferences);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(envReferences);
  return [];
}

/** Every `${NAME}` a string interpolates. */
export function interpolatedNames(value: string): string[] {
  return [...value.matchAll(INTERPOLATION)].map(m => m[1]);
}

/** The names an MCP server's `env_vars` defines (`[{ name, value, scope }]`, litellm/models/mcp_server.py:34-45). */
export function envVarNames(envVars: unknown): string[] {
  if (!Array.isArray(envVars)) return [];
  return envVars.filter(isMapping).map(v => v.name).filter((n): n is string => typeof n === 'string' && n !== '');
}

/**
 * Dotted paths (under `path`) of credentials written out rather than read from
 * `os.environ/NAME`: the value of a credential key, of a credential header in a mapping under a
 * key ending in `headers` (static headers go to the provider or server as written), and of an
 * `env_vars` entry (interpolated into an MCP server's `static_headers`). Numbers and booleans
 * are settings, never credentials. A header value whose every part is a `${NAME}` its mapping's
 * `env_vars` defines holds no secret of its own.
 */
export function literalCredentials(value: unknown, path: string): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => literalCredentials(v, `${path}[${i}]`));
  if (!isMapping(value)) return [];
  const defined = envVarNames(value.env_vars);
  return Object.entries(value).flatMap(([key, v]) => {
    const here = `${path}.${key}`;
    if (isHeadersKey(key) && isMapping(v)) return literalHeaders(v, here, defined);
    if (key === 'env_vars' && Array.isArray(v)) return literalEnvVars(v, here);
    if (!isCredentialKey(key) || v === null || typeof v === 'number' || typeof v === 'boolean') return literalCredentials(v, here);
    // A literal, an object or a deploy-time token alike would land in the template's plain text.
    return envReference(v) === undefined ? [here] : [];
  });
}

/**
 * A literal value of a credential header. A deploy-time token counts as literal: a SecretValue
 * would resolve into the task definition's plain text.
 */
function literalHeaders(headers: { [name: string]: unknown }, path: string, defined: string[]): string[] {
  return Object.entries(headers).flatMap(([name, v]) => {
    const here = `${path}.${name}`;
    if (!isCredentialHeader(name)) return literalCredentials(v, here);
    if (v === null || v === '' || typeof v === 'number' || typeof v === 'boolean' || envReference(v) !== undefined) return [];
    if (typeof v === 'string' && !Token.isUnresolved(v)) {
      const names = interpolatedNames(v);
      if (names.length > 0 && names.every(n => defined.includes(n))) return [];
    }
    return [here];
  });
}

/**
 * A literal `value` of an `env_vars` entry (`[{ name, value, scope }]`). A `scope: user` entry's
 * value is only a hint, never sent: each user supplies their own (litellm/models/mcp_server.py:21-45;
 * litellm/proxy/_experimental/mcp_server/utils.py:693-728).
 */
function literalEnvVars(envVars: unknown[], path: string): string[] {
  return envVars.flatMap((entry, i) => {
    const here = `${path}[${i}]`;
    if (!isMapping(entry)) return literalCredentials(entry, here);
    const v = entry.value;
    if (entry.scope === 'user' || v === undefined || v === null || v === '' || typeof v === 'number' || typeof v === 'boolean') return [];
    return envReference(v) === undefined ? [`${here}.value`] : [];
  });
}
