// Harness for benchmarking the real LiteLLM proxy (installed in .venv-litellm) against a
// local fake upstream (./fake-upstream): a closed-loop HTTP load generator and a proxy
// launcher. Node built-ins only.
//
// Logging: unless opts.env sets it, the proxy runs with LITELLM_LOG=INFO (the DEVELOPMENT
// profile's level, the chattier of the two profiles: one uvicorn access-log line per request
// plus LiteLLM's INFO lines). Its stdout/stderr go straight to a file in the temp dir, not to
// a pipe the load generator's event loop would have to drain and not to a terminal, which is
// roughly what the awslogs driver costs in ECS. Pass LITELLM_LOG=ERROR for the PRODUCTION level.
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { freePort } from '../test/boot/proxy';

// ---------------------------------------------------------------------------------------
// Load generator
// ---------------------------------------------------------------------------------------

export interface LoadOptions {
  /** Full URL of the endpoint, e.g. http://127.0.0.1:4000/v1/chat/completions. */
  readonly url: string;
  readonly headers?: Record<string, string>;
  /** Request body, sent as JSON with POST. */
  readonly body: unknown;
  /** Closed-loop workers, each with at most one request in flight. */
  readonly concurrency: number;
  /** Measured window, after the warmup. */
  readonly durationMs: number;
  /** Requests completing in this first window are discarded. */
  readonly warmupMs: number;
  /** Per-request timeout (default 30 s); a timeout counts as an error. */
  readonly timeoutMs?: number;
}

export interface LoadResult {
  /** Requests completed (any status) inside the measured window. */
  readonly requests: number;
  /** Of those, non-2xx responses and transport errors. */
  readonly errors: number;
  /** Successful requests per second over the measured window. */
  readonly rps: number;
  /** Latency percentiles of successful requests, in ms. */
  readonly p50: number;
  readonly p99: number;
  /** First few distinct error descriptions, to diagnose a failing run. */
  readonly errorSamples: string[];
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/**
 * Closed-loop load: `concurrency` workers each send a request, wait for the whole response,
 * and send the next one, over a keep-alive agent with one socket per worker. Counts only
 * requests completing inside [warmupMs, warmupMs + durationMs); requests still in flight at
 * the end are awaited but not counted.
 */
export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const target = new URL(opts.url);
  if (target.protocol !== 'http:') throw new Error(`runLoad supports http: only, got ${opts.url}`);
  const payload = Buffer.from(JSON.stringify(opts.body));
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency, maxFreeSockets: opts.concurrency });
  const headers: Record<string, string | number> = {
    'content-type': 'application/json',
    'accept': 'application/json',
    ...opts.headers,
    'content-length': payload.length,
  };
  const timeoutMs = opts.timeoutMs ?? 30_000;

  const t0 = nowMs();
  const measureStart = t0 + opts.warmupMs;
  const measureEnd = measureStart + opts.durationMs;
  const latencies: number[] = [];
  let requests = 0;
  let errors = 0;
  const errorSamples = new Set<string>();

  const record = (start: number, end: number, error?: string): void => {
    if (end < measureStart || end >= measureEnd) return;
    requests++;
    if (error === undefined) {
      latencies.push(end - start);
    } else {
      errors++;
      if (errorSamples.size < 5) errorSamples.add(error);
    }
  };

  const once = (): Promise<boolean> => new Promise((resolve) => {
    const start = nowMs();
    let settled = false;
    const finish = (error?: string): void => {
      if (settled) return;
      settled = true;
      record(start, nowMs(), error);
      resolve(error === undefined);
    };
    const req = http.request({
      agent,
      method: 'POST',
      hostname: target.hostname,
      port: target.port,
      path: target.pathname + target.search,
      headers,
      timeout: timeoutMs,
    }, (res) => {
      const status = res.statusCode ?? 0;
      const ok = status >= 200 && status < 300;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => { if (!ok) chunks.push(c); });
      res.on('end', () => finish(ok ? undefined : `HTTP ${status}: ${Buffer.concat(chunks).toString('utf8').slice(0, 300)}`));
      res.on('error', (e) => finish(`response error: ${e.message}`));
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', (e) => finish(`request error: ${e.message}`));
    req.end(payload);
  });

  const worker = async (): Promise<void> => {
    while (nowMs() < measureEnd) {
      const ok = await once();
      // Don't spin on a dead endpoint.
      if (!ok) await new Promise((r) => setTimeout(r, 10));
    }
  };

  try {
    await Promise.all(Array.from({ length: opts.concurrency }, worker));
  } finally {
    agent.destroy();
  }

  const sorted = Float64Array.from(latencies).sort();
  return {
    requests,
    errors,
    rps: latencies.length / (opts.durationMs / 1000),
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    errorSamples: [...errorSamples],
  };
}

// ---------------------------------------------------------------------------------------
// Proxy launcher
// ---------------------------------------------------------------------------------------

export interface ProxyOptions {
  /** config.yaml contents. */
  readonly configYaml: string;
  /** Environment of the proxy (nothing is inherited but PATH is prefixed with the venv). */
  readonly env: Record<string, string>;
  /** `--num_workers` (default 1). */
  readonly numWorkers?: number;
  /** Core to pin the proxy (and all its workers) to with `taskset -c`, when taskset exists. */
  readonly cpu?: number;
  /** Startup timeout (default 120 s). */
  readonly startupTimeoutMs?: number;
  /** Files written beside config.yaml, by name (e.g. the metrics module the init container writes). */
  readonly files?: Record<string, string>;
  /** More arguments for `litellm` (e.g. `--prometheus_metrics_port`). */
  readonly extraArgs?: string[];
}

export interface Proxy {
  /** Base URL, e.g. http://127.0.0.1:40123. */
  readonly url: string;
  readonly pid: number;
  /** Whether the proxy was pinned with taskset. */
  readonly pinned: boolean;
  /** Kills the whole process group (SIGTERM, SIGKILL after 10 s) and removes the temp dir. */
  stop(): Promise<void>;
  /** Everything the proxy wrote to stdout and stderr so far. */
  log(): string;
  /**
   * CPU seconds (user + system) used so far by the live processes of the proxy's group, from
   * /proc (NaN where there is no /proc). The difference across a run divided by its requests
   * is the proxy's CPU cost per request, which other load on the machine skews far less than
   * throughput.
   */
  cpuSeconds(): number;
}

const REPO_ROOT = path.resolve(__dirname, '..');
const VENV_BIN = path.join(REPO_ROOT, '.venv-litellm', 'bin');

/** Process groups still alive, killed if this process exits without stopping them. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pgid of liveGroups) {
      try { process.kill(-pgid, 'SIGKILL'); } catch { /* already gone */ }
    }
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => process.exit(130));
  }
}

let tasksetAvailable: boolean | undefined;
function hasTaskset(): boolean {
  if (tasksetAvailable === undefined) {
    tasksetAvailable = spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;
  }
  return tasksetAvailable;
}

function httpStatus(url: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

let clockTicks: number | undefined;
/** CPU seconds used by the live processes whose process group is `pgid` (Linux /proc). */
export function groupCpuSeconds(pgid: number): number {
  if (clockTicks === undefined) {
    const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    clockTicks = Number(out.stdout?.trim()) || 100;
  }
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return NaN;
  }
  let ticks = 0;
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // Fields after "(comm)": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) !== pgid) continue;
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / clockTicks;
}

function alive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function tail(text: string, lines = 40): string {
  return text.split('\n').slice(-lines).join('\n');
}

/**
 * Starts `litellm --config <file> --port <free> --host 127.0.0.1 --num_workers N` in its own
 * process group (optionally under `taskset -c <cpu>`) and resolves once GET /health/liveliness
 * answers 200.
 *
 * With numWorkers > 1, uvicorn's workers share one listening socket and a worker only accepts
 * once it is up: the first 200 can come before the other workers are ready, and keep-alive
 * connections opened then stay on that one worker. startProxy therefore also waits for one
 * "Application startup complete" line per worker when the log level shows them (INFO, DEBUG),
 * else for one "Proxy initialized with Config" line per worker (printed at any level, when the
 * config has a model_list) and 2 s more, else 10 s. Each worker re-imports LiteLLM: starting
 * several on one slow core takes a while (2 workers: 40-50 s on the 2-core dev VM): raise
 * startupTimeoutMs for more.
 */
export async function startProxy(opts: ProxyOptions): Promise<Proxy> {
  installExitHook();
  const litellm = path.join(VENV_BIN, 'litellm');
  if (!fs.existsSync(litellm)) throw new Error(`LiteLLM is not installed: ${litellm} is missing`);
  const numWorkers = opts.numWorkers ?? 1;
  const timeoutMs = opts.startupTimeoutMs ?? 120_000;

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'litellm-bench-'));
  const configPath = path.join(dir, 'config.yaml');
  const logPath = path.join(dir, 'proxy.log');
  fs.writeFileSync(configPath, opts.configYaml);
  for (const [name, text] of Object.entries(opts.files ?? {})) fs.writeFileSync(path.join(dir, name), text);
  const logFd = fs.openSync(logPath, 'a');
  const port = await freePort();

  const env: Record<string, string> = {
    LITELLM_LOG: 'INFO',
    // uvicorn (>= 0.37) kills a worker that doesn't answer its supervisor's ping within this
    // many seconds (default 5), and a spawned worker re-imports all of LiteLLM before it can
    // answer: on a slow or shared core, --num_workers > 1 then restarts workers forever.
    TIMEOUT_WORKER_HEALTHCHECK: '120',
    ...opts.env,
    PATH: `${VENV_BIN}:${opts.env.PATH ?? process.env.PATH ?? '/usr/bin:/bin'}`,
    HOME: dir,
    // LiteLLM's metrics keep their multiprocess files under it and wipe them at start.
    TMPDIR: dir,
    LITELLM_LOCAL_MODEL_COST_MAP: 'True',
    VIRTUAL_ENV: path.dirname(VENV_BIN),
    PYTHONUNBUFFERED: '1',
  };
  const args = ['--config', configPath, '--port', String(port), '--host', '127.0.0.1', '--num_workers', String(numWorkers), ...opts.extraArgs ?? []];
  const pinned = opts.cpu !== undefined && hasTaskset();
  const [cmd, argv] = pinned ? ['taskset', ['-c', String(opts.cpu), litellm, ...args]] : [litellm, args];

  let child: ChildProcess;
  try {
    child = spawn(cmd, argv, { cwd: dir, env, detached: true, stdio: ['ignore', logFd, logFd] });
  } finally {
    fs.closeSync(logFd);
  }
  const pgid = child.pid;
  if (pgid === undefined) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`could not spawn ${cmd}`);
  }
  liveGroups.add(pgid);

  let exited: string | undefined;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = signal ? `signal ${signal}` : `code ${code}`;
      resolve();
    });
  });
  child.once('error', (e) => { exited = `spawn error ${e.message}`; });

  const log = (): string => {
    try {
      return fs.readFileSync(logPath, 'utf8');
    } catch {
      return '';
    }
  };

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (alive(pgid)) {
      try { process.kill(-pgid, 'SIGTERM'); } catch { /* gone */ }
      const deadline = Date.now() + 10_000;
      while (alive(pgid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      if (alive(pgid)) {
        try { process.kill(-pgid, 'SIGKILL'); } catch { /* gone */ }
        while (alive(pgid)) await new Promise((r) => setTimeout(r, 50));
      }
    }
    await Promise.race([exitPromise, new Promise((r) => setTimeout(r, 1000))]);
    liveGroups.delete(pgid);
    fs.rmSync(dir, { recursive: true, force: true });
  };

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  try {
    // 1. Liveliness.
    for (;;) {
      if (exited !== undefined) throw new Error(`LiteLLM exited (${exited}) before it was ready:\n${tail(log())}`);
      if (Date.now() > deadline) throw new Error(`LiteLLM not ready after ${timeoutMs} ms:\n${tail(log())}`);
      if (await httpStatus(`${url}/health/liveliness`, 2000) === 200) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    // 2. Every worker, when there are several (see the doc comment).
    if (numWorkers > 1) {
      const level = (env.LITELLM_LOG ?? '').toUpperCase();
      const marker = level === 'INFO' || level === 'DEBUG'
        ? /Application startup complete/g
        : /model_list/.test(opts.configYaml) ? /Proxy initialized with Config/g : undefined;
      if (marker) {
        for (;;) {
          const ready = (log().match(marker) ?? []).length;
          if (ready >= numWorkers) break;
          if (exited !== undefined) throw new Error(`LiteLLM exited (${exited}) before all workers were ready:\n${tail(log())}`);
          if (Date.now() > deadline) throw new Error(`${ready}/${numWorkers} LiteLLM workers ready after ${timeoutMs} ms:\n${tail(log())}`);
          await new Promise((r) => setTimeout(r, 250));
        }
      }
      // The non-INFO marker comes just before the end of a worker's startup; without one, guess.
      await new Promise((r) => setTimeout(r, marker && marker.source.startsWith('Application') ? 0 : marker ? 2000 : 10_000));
    }
  } catch (e) {
    await stop();
    throw e;
  }

  return { url, pid: pgid, pinned, stop, log, cpuSeconds: () => groupCpuSeconds(pgid) };
}

/** Pins this Node process (all its threads) to `cpu` with `taskset -a -p`; false if it could not. */
export function pinSelf(cpu: number): boolean {
  if (!hasTaskset()) return false;
  return spawnSync('taskset', ['-a', '-p', '-c', String(cpu), String(process.pid)], { stdio: 'ignore' }).status === 0;
}
