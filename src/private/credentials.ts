import { Token } from 'aws-cdk-lib';

/**
 * Keys that hold credentials: `api_key`, `aws_secret_access_key`, `azure_ad_token`,
 * `vertex_credentials`, `LANGFUSE_SECRET_KEY`, `master_key`, `password`…
 */
const CREDENTIAL_KEY = /(^|_)(api_key|access_key|secret_key|private_key|master_key|salt_key|token|password|secret|credentials)$/i;
const ENV_REFERENCE = /^os\.environ\/(.+)$/;

/**
 * Keys that match CREDENTIAL_KEY but hold a header name: a pass-through endpoint's
 * `headers.litellm_user_api_key` names the header its callers send their key in
 * (litellm/proxy/auth/user_api_key_auth.py:1426-1433).
 */
const HEADER_NAME_KEYS = ['litellm_user_api_key'];

export function isCredentialKey(key: string): boolean {
  return CREDENTIAL_KEY.test(key) && !HEADER_NAME_KEYS.includes(key);
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

/**
 * Dotted paths (under `path`) of credential keys whose value is written out rather than
 * read from `os.environ/NAME`. Numbers and booleans are settings, never credentials.
 */
export function literalCredentials(value: unknown, path: string): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => literalCredentials(v, `${path}[${i}]`));
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, v]) => {
    const here = `${path}.${key}`;
    if (!isCredentialKey(key) || v === null || typeof v === 'number' || typeof v === 'boolean') return literalCredentials(v, here);
    // A literal, an object or a deploy-time token alike would land in the template's plain text.
    return envReference(v) === undefined ? [here] : [];
  });
}
