// A smoke test of a deployed LiteLLM proxy: the checks a pipeline runs after a deploy or a
// forced redeploy. Node built-ins only (global fetch), so the CLI needs no dependency.
// Not exported from the library's index: it ships as the `cdk-litellm-smoke` command.

/** What to test. */
export interface SmokeTestOptions {
  /** Base URL of the proxy, e.g. the platform's `Url` output. */
  readonly url: string;
  /** The master key (never printed). */
  readonly masterKey: string;
  /** A model the proxy is configured with (its `name`). */
  readonly model: string;
  /** Whether /health/readiness must report a connected database. @default true */
  readonly expectDatabase?: boolean;
  /** Time allowed for each request, in milliseconds. @default 60000 */
  readonly timeoutMs?: number;
}

/** One check and its outcome. */
export interface SmokeCheck {
  readonly name: string;
  readonly ok: boolean;
  /** What was expected and what came back; never holds the key. */
  readonly detail: string;
}

/** The outcome of all checks, in the order they ran. */
export interface SmokeResult {
  /** True when every check passed. */
  readonly ok: boolean;
  readonly checks: SmokeCheck[];
}

/** The check names, in order. */
export const SMOKE_CHECKS = {
  liveliness: 'GET /health/liveliness',
  readiness: 'GET /health/readiness',
  models: 'GET /v1/models (with key)',
  completion: 'POST /v1/chat/completions (with key)',
  noKey: 'POST /v1/chat/completions (without key)',
};

const DEFAULT_TIMEOUT_MS = 60_000;
const EXCERPT_CHARS = 200;

interface Answer {
  readonly status: number;
  readonly text: string;
  readonly json?: any;
  readonly location?: string;
}

/** Thrown for a request that got no HTTP answer (refused, DNS, TLS, timeout). */
class NoAnswer extends Error {}

/**
 * Runs the checks against a deployed proxy. Each check runs even when an earlier one failed
 * (they say different things), except when the proxy does not answer at all.
 */
export async function runSmokeTest(opts: SmokeTestOptions): Promise<SmokeResult> {
  const base = normalizeUrl(opts.url);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const expectDatabase = opts.expectDatabase ?? true;
  const redact = redactor(opts.masterKey);
  const auth = { Authorization: `Bearer ${opts.masterKey}` };
  const chatBody = JSON.stringify({ model: opts.model, messages: [{ role: 'user', content: 'smoke test' }], max_tokens: 16 });
  const json = { 'Content-Type': 'application/json' };

  const request = async (method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> => {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, { method, headers, body, signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    } catch (e) {
      throw new NoAnswer(describeFetchError(e, `${method} ${base}${path}`, timeoutMs));
    }
    const text = await res.text().catch(() => '');
    let parsed: any;
    try { parsed = text ? JSON.parse(text) : undefined; } catch { parsed = undefined; }
    return { status: res.status, text, json: parsed, location: res.headers.get('location') ?? undefined };
  };

  const checks: SmokeCheck[] = [];
  const run = async (name: string, fn: () => Promise<string>): Promise<boolean> => {
    try {
      checks.push({ name, ok: true, detail: redact(await fn()) });
      return true;
    } catch (e) {
      checks.push({ name, ok: false, detail: redact(e instanceof Error ? e.message : String(e)) });
      return !(e instanceof NoAnswer);
    }
  };

  const reachable = await run(SMOKE_CHECKS.liveliness, async () => {
    const a = await request('GET', '/health/liveliness', {});
    if (a.status !== 200) throw new Error(`expected 200, got ${got(a)}`);
    return '200';
  });
  const rest: [string, () => Promise<string>][] = [
    [SMOKE_CHECKS.readiness, async () => {
      const a = await request('GET', '/health/readiness', {});
      if (a.status !== 200) throw new Error(`expected 200, got ${got(a)}`);
      if (!expectDatabase) return '200 (database not checked)';
      const db = a.json?.db;
      if (db !== 'connected') {
        throw new Error(`expected 200 with "db": "connected", got 200 with "db": ${JSON.stringify(db ?? null)} (${excerpt(a.text)})`);
      }
      return '200, database connected';
    }],
    [SMOKE_CHECKS.models, async () => {
      const a = await request('GET', '/v1/models', auth);
      if (a.status === 401 || a.status === 403) {
        throw new Error(`expected 200, got ${got(a)}: the proxy rejected the key, so the key is wrong (not the master key the proxy runs with)`);
      }
      if (a.status === 400 && a.json?.error?.type === 'no_db_connection') {
        // LiteLLM compares the master key in memory and looks any other key up in its database.
        throw new Error(`expected 200, got ${got(a)}: the proxy has no database, so it accepts only its master key, and this is not it: the key is wrong`);
      }
      if (a.status !== 200) throw new Error(`expected 200, got ${got(a)}`);
      if (!Array.isArray(a.json?.data)) throw new Error(`expected 200 with a "data" list of models, got 200: ${excerpt(a.text)}`);
      const ids: unknown[] = a.json.data.map((m: any) => m?.id);
      if (!ids.includes(opts.model)) {
        throw new Error(`expected model "${opts.model}" in the list, but the proxy lists ${ids.length ? ids.map(i => JSON.stringify(i)).join(', ') : 'no models'}`);
      }
      return `200, "${opts.model}" listed (of ${ids.length})`;
    }],
    [SMOKE_CHECKS.completion, async () => {
      const a = await request('POST', '/v1/chat/completions', { ...auth, ...json }, chatBody);
      if (a.status !== 200) throw new Error(`expected 200 from model "${opts.model}", got ${got(a)}`);
      const content = a.json?.choices?.[0]?.message?.content;
      if (typeof content !== 'string') {
        throw new Error(`expected 200 with choices[0].message.content a string, got 200: ${excerpt(a.text)}`);
      }
      return `200, ${JSON.stringify(content.length > 60 ? `${content.slice(0, 60)}…` : content)}`;
    }],
    [SMOKE_CHECKS.noKey, async () => {
      const a = await request('POST', '/v1/chat/completions', json, chatBody);
      if (a.status === 401 || a.status === 403) return `${a.status}, refused without a key`;
      if (a.status >= 200 && a.status < 300) {
        throw new Error(`expected 401 or 403, got ${a.status}: the proxy answered without a key`);
      }
      throw new Error(`expected 401 or 403, got ${got(a)}`);
    }],
  ];
  for (const [name, fn] of rest) {
    if (!reachable) {
      checks.push({ name, ok: false, detail: 'not run: the proxy did not answer /health/liveliness' });
      continue;
    }
    await run(name, fn);
  }
  return { ok: checks.every(c => c.ok), checks };
}

function normalizeUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`not a URL: ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error(`expected an http(s) URL, got ${JSON.stringify(url)}`);
  return parsed.toString().replace(/\/+$/, '');
}

function got(a: Answer): string {
  if (a.location) return `${a.status} redirecting to ${a.location} (pass the URL the proxy answers on)`;
  return a.text ? `${a.status}: ${excerpt(a.text)}` : `${a.status} with an empty body`;
}

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > EXCERPT_CHARS ? `${flat.slice(0, EXCERPT_CHARS)}…` : flat;
}

function describeFetchError(e: unknown, what: string, timeoutMs: number): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return `no answer to ${what} within ${timeoutMs} ms`;
  const cause = err?.cause?.code ?? err?.cause?.message;
  return `no answer to ${what}: ${err?.message ?? String(e)}${cause ? ` (${cause})` : ''}`;
}

/**
 * Removes the key from anything printed: the key, any run of 6 or more of its characters,
 * any `sk-` token, and LiteLLM's masked forms (`sk-...abcd`, `abcd****wxyz`) that quote
 * part of the key it received.
 */
function redactor(key: string): (text: string) => string {
  return (text: string) => {
    let out = key ? text.split(key).join('[redacted]') : text;
    out = out.replace(/[A-Za-z0-9_\-+/=]{6,}/g, t => key.includes(t) ? '[redacted]' : t);
    out = out.replace(/sk-[^\s"',)}\]]+/g, 'sk-[redacted]');
    out = out.replace(/[^\s"'=]{0,4}\*{4}[^\s"',)}\]]{0,4}/g, '[redacted]');
    return out;
  };
}
