// A throwaway local Redis configured the way our ElastiCache replication group is:
// in-transit encryption on (TLS only, no plaintext port), an AUTH token, no client
// certificates, no persistence. For tests that run the real LiteLLM proxy (see
// ./proxy.ts) against a Redis: `test/boot/services-setup.sh` installs redis-server.
//
// What differs from ElastiCache, and what follows for a test:
// - The server certificate is signed by a CA generated here for each server
//   (`caCertPath`). ElastiCache's is signed by a public (Amazon) CA that the image's
//   system trust store holds, so in AWS REDIS_SSL=true is all; here the client must be
//   told the CA: `env()` adds REDIS_SSL_CA_CERTS, which LiteLLM passes to redis-py as
//   `ssl_ca_certs` (litellm/_redis.py maps REDIS_<ARG> for every redis.Redis argument).
//   Do not put REDIS_SSL_CA_CERTS into what the CDK library deploys.
// - The certificate names 127.0.0.1 and localhost, and the server listens on a free
//   loopback port, not on 6379 at a VPC endpoint name.
// - One node, no replicas or cluster mode; no ElastiCache-only command restrictions
//   (CONFIG, DEBUG etc. work here and are renamed/disabled on ElastiCache).
// - Redis 7.0 from Debian (ElastiCache runs Redis OSS 7.x or Valkey 7.2/8.x: the same
//   protocol and commands for what LiteLLM uses).
// LiteLLM fails open on every Redis error (an untrusted CA, TLS off, Redis down at boot):
// the proxy still boots and answers, with per-process state. Assert on what is in the
// Redis (`keys()`, `command()`) or on behaviour across two proxies, not on "it boots".
import { ChildProcess, execFile, spawn, spawnSync } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { freePort, randomAlnum } from './proxy';

export interface LocalRedisOptions {
  /** TLS only, as ElastiCache with in-transit encryption (default). `false`: a plaintext port. */
  readonly tls?: boolean;
  /** How long to wait for the server to accept connections. Default 15 s. */
  readonly startTimeoutMs?: number;
}

const live = new Set<LocalRedis>();
let exitHookInstalled = false;

/** Kills every server still running when the test process exits (normally or by process.exit). */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const server of live) server.killNow();
  });
}

/** Whether redis-server is on PATH (test/boot/services-setup.sh installs it). */
export function redisServerAvailable(): boolean {
  return spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).status === 0;
}

export class LocalRedis {
  /**
   * Starts redis-server on 127.0.0.1 on a free port in a new temporary directory.
   * Always pair with `stop()` (in `afterAll`/`finally`); servers still running when
   * the process exits are killed, and with setpriv the server dies with its parent.
   */
  public static async start(options: LocalRedisOptions = {}): Promise<LocalRedis> {
    if (!redisServerAvailable()) {
      throw new Error('redis-server is not installed: run `bash test/boot/services-setup.sh` (as root)');
    }
    let lastError: unknown;
    // The free port can be taken between choosing it and binding it: try again.
    for (let attempt = 0; attempt < 3; attempt++) {
      const server = new LocalRedis(options.tls ?? true, await freePort());
      try {
        await server.launch(options.startTimeoutMs ?? 15_000);
        return server;
      } catch (e) {
        lastError = e;
        await server.stop();
        if (!/Address already in use/i.test(String(e))) break;
      }
    }
    throw lastError;
  }

  public readonly host = '127.0.0.1';
  /** The random 32-character alphanumeric AUTH token (`requirepass`). */
  public readonly password = randomAlnum(32);
  /** The PEM CA certificate that signed the server certificate; undefined without TLS. */
  public readonly caCertPath?: string;
  /** The temporary directory holding the config, certificates and keys. */
  public readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-redis-'));
  private child?: ChildProcess;
  private exitCode?: number | null;
  private output = '';

  private constructor(public readonly tls: boolean, public readonly port: number) {
    if (tls) this.caCertPath = path.join(this.dir, 'ca.crt');
  }

  /** `rediss://:<token>@127.0.0.1:<port>` (`redis://` without TLS). */
  public get url(): string {
    return `${this.tls ? 'rediss' : 'redis'}://:${this.password}@${this.host}:${this.port}`;
  }

  /**
   * The environment that points LiteLLM (litellm/_redis.py reads REDIS_<arg> for every
   * redis.Redis argument) at this server. REDIS_SSL_CA_CERTS only because the CA is
   * self-signed: in AWS, ElastiCache's certificate chains to a public CA.
   */
  public env(): Record<string, string> {
    return {
      REDIS_HOST: this.host,
      REDIS_PORT: String(this.port),
      REDIS_PASSWORD: this.password,
      ...(this.tls ? { REDIS_SSL: 'true', REDIS_SSL_CA_CERTS: this.caCertPath! } : {}),
    };
  }

  /** Everything the server printed so far. */
  public get log(): string {
    return this.output;
  }

  /** Whether the server process is running. */
  public get running(): boolean {
    return this.child !== undefined && this.exitCode === undefined;
  }

  /**
   * Runs one command with redis-cli over TLS with the token; returns its raw output
   * (trimmed; multi-line for arrays). Rejects on a Redis error reply.
   */
  public async command(...args: (string | number)[]): Promise<string> {
    const cli = [
      '-h', this.host, '-p', String(this.port), '-a', this.password, '--no-auth-warning',
      ...(this.tls ? ['--tls', '--cacert', this.caCertPath!] : []),
      ...args.map(String),
    ];
    return new Promise((resolve, reject) => {
      execFile('redis-cli', cli, { timeout: 10_000, encoding: 'utf8' }, (error, stdout, stderr) => {
        const out = stdout.trim();
        // redis-cli prints error replies as "ERR ..."/"WRONGPASS ..." and may still exit 0.
        if (error || /^(ERR|WRONGPASS|NOAUTH|WRONGTYPE|NOPERM)\b/.test(out)) {
          reject(new Error(`redis-cli ${args.join(' ')} failed: ${`${out}\n${stderr}`.trim() || error?.message}`));
        } else {
          resolve(out);
        }
      });
    });
  }

  /** All keys matching a pattern (SCAN, so safe on a busy server), sorted. */
  public async keys(pattern = '*'): Promise<string[]> {
    const keys = new Set<string>();
    let cursor = '0';
    do {
      const [next, ...batch] = (await this.command('SCAN', cursor, 'MATCH', pattern, 'COUNT', 1000)).split('\n');
      cursor = next.trim();
      for (const key of batch) if (key) keys.add(key);
    } while (cursor !== '0');
    return [...keys].sort();
  }

  /**
   * Kills the server (SIGKILL, as a node failure) and, after `downMs`, starts it again on
   * the same port with the same certificates and token, and no data: clients must
   * reconnect, as after an ElastiCache failover or node replacement.
   */
  public async restart(downMs = 0, timeoutMs = 15_000): Promise<void> {
    await this.kill();
    if (downMs > 0) await new Promise(r => setTimeout(r, downMs));
    this.exitCode = undefined;
    this.output = '';
    await this.launch(timeoutMs);
  }

  /** Kills the server (SIGKILL) and keeps its directory, so `restart()` can start it again. */
  public async kill(): Promise<void> {
    const child = this.child;
    if (child?.pid && this.exitCode === undefined) {
      try { child.kill('SIGKILL'); } catch { /* already gone */ }
      await this.waitForExit(5_000);
    }
  }

  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and removes its directory. Idempotent. */
  public async stop(): Promise<void> {
    const child = this.child;
    if (child?.pid && this.exitCode === undefined) {
      try { child.kill('SIGTERM'); } catch { /* already gone */ }
      if (!await this.waitForExit(5_000)) {
        try { child.kill('SIGKILL'); } catch { /* already gone */ }
        await this.waitForExit(5_000);
      }
    }
    live.delete(this);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** Synchronous last resort for the process exit hook. @internal */
  public killNow(): void {
    if (this.child?.pid && this.exitCode === undefined) {
      try { this.child.kill('SIGKILL'); } catch { /* already gone */ }
    }
    try { fs.rmSync(this.dir, { recursive: true, force: true }); } catch { /* best effort */ }
  }

  private async launch(timeoutMs: number): Promise<void> {
    const conf = path.join(this.dir, 'redis.conf');
    const lines = [
      `bind ${this.host}`,
      'protected-mode yes',
      `dir ${this.dir}`,
      'daemonize no',
      'logfile ""',
      'loglevel notice',
      `requirepass ${this.password}`,
      // No persistence, as an ElastiCache cluster without backups.
      'save ""',
      'appendonly no',
    ];
    if (this.tls) {
      if (!fs.existsSync(this.caCertPath!)) this.makeCertificates();
      lines.push(
        'port 0', // TLS only: no plaintext listener, as with in-transit encryption "required"
        `tls-port ${this.port}`,
        `tls-cert-file ${path.join(this.dir, 'redis.crt')}`,
        `tls-key-file ${path.join(this.dir, 'redis.key')}`,
        `tls-ca-cert-file ${this.caCertPath}`,
        'tls-auth-clients no', // ElastiCache does not ask for client certificates
      );
    } else {
      lines.push(`port ${this.port}`);
    }
    fs.writeFileSync(conf, `${lines.join('\n')}\n`, { mode: 0o600 });

    // setpriv --pdeathsig: the server gets SIGKILL if this (jest worker) process dies
    // without running stop() or its exit hook (e.g. killed by a timeout).
    const [cmd, args] = fs.existsSync('/usr/bin/setpriv')
      ? ['/usr/bin/setpriv', ['--pdeathsig', 'KILL', '--', 'redis-server', conf]]
      : ['redis-server', [conf]];
    const child = spawn(cmd, args, { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    live.add(this);
    installExitHook();
    const collect = (chunk: Buffer) => { this.output += chunk.toString(); };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    child.on('exit', code => { this.exitCode = code; });
    child.on('error', e => { this.output += `\n${e.message}`; this.exitCode = this.exitCode ?? -1; });

    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exitCode !== undefined) {
        throw new Error(`redis-server exited with code ${this.exitCode}:\n${this.output}`);
      }
      if (/Ready to accept connections/.test(this.output)) {
        try {
          if (await this.command('PING') === 'PONG') return;
        } catch { /* not yet */ }
      }
      await new Promise(r => setTimeout(r, 100));
    }
    throw new Error(`redis-server did not accept connections within ${timeoutMs} ms:\n${this.output}`);
  }

  /** A CA and a server certificate for 127.0.0.1/localhost, signed by it. */
  private makeCertificates(): void {
    const file = (name: string) => path.join(this.dir, name);
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    fs.writeFileSync(file('server.ext'), [
      'basicConstraints = critical, CA:FALSE',
      'keyUsage = critical, digitalSignature, keyEncipherment',
      'extendedKeyUsage = serverAuth',
      'subjectAltName = IP:127.0.0.1, DNS:localhost',
      'subjectKeyIdentifier = hash',
      'authorityKeyIdentifier = keyid, issuer',
      '',
    ].join('\n'));
    const steps: string[][] = [
      ['req', '-x509', ...ec, '-keyout', file('ca.key'), '-out', file('ca.crt'), '-days', '2',
        '-subj', '/CN=LocalRedis test CA',
        '-addext', 'basicConstraints = critical, CA:TRUE',
        '-addext', 'keyUsage = critical, keyCertSign, cRLSign',
        '-addext', 'subjectKeyIdentifier = hash'],
      ['req', ...ec, '-keyout', file('redis.key'), '-out', file('redis.csr'), '-subj', '/CN=localhost'],
      ['x509', '-req', '-in', file('redis.csr'), '-CA', file('ca.crt'), '-CAkey', file('ca.key'),
        '-set_serial', `0x${randomBytes(8).toString('hex')}`, '-days', '2',
        '-extfile', file('server.ext'), '-out', file('redis.crt')],
    ];
    for (const step of steps) {
      const result = spawnSync('openssl', step, { cwd: this.dir, encoding: 'utf8', timeout: 30_000 });
      if (result.status !== 0) throw new Error(`openssl ${step[0]} failed (${result.status}): ${result.stderr}`);
    }
  }

  private async waitForExit(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.exitCode === undefined && Date.now() < deadline) await new Promise(r => setTimeout(r, 50));
    return this.exitCode !== undefined;
  }
}

