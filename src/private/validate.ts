import { Token } from 'aws-cdk-lib';

/**
 * Throws `message` when `value` is a literal that fails `ok`. Unresolved tokens
 * are never judged: their value is only known at deploy time.
 */
export function check<T>(value: T | undefined, ok: (v: T) => boolean, message: (v: T) => string): void {
  if (value === undefined || isToken(value)) return;
  if (!ok(value)) throw new Error(message(value));
}

/** A YAML/JSON mapping: an object that is not a list. */
export function isMapping(value: unknown): value is { [key: string]: any } {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function isToken(value: unknown): boolean {
  if (typeof value === 'string') return Token.isUnresolved(value);
  if (typeof value === 'number') return Token.isUnresolved(value);
  if (Array.isArray(value)) return value.some(isToken);
  return false;
}
