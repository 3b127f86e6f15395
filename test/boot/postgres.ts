// A throwaway local PostgreSQL that, like our RDS instance with rds.force_ssl, takes
// TCP connections over TLS only: `hostnossl` is rejected. `test/boot/services-setup.sh`
// installs Debian's postgresql. What differs from RDS, and what follows for a test:
// - IAM token authentication is RDS's own: here `trustedOverTls` users log in over TLS
//   with any password, which stands in for a token RDS would check.
// - The superuser is a real superuser; RDS's master user is not (it has CREATEROLE,
//   CREATEDB and rds_superuser). Tests that care create such a master role themselves.
// - The certificate is self-signed for each server; clients use sslmode=require.
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { freePort, randomAlnum } from './proxy';

/** The newest PostgreSQL binaries Debian's packages installed. */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!fs.existsSync(root)) return undefined;
  const versions = fs.readdirSync(root).filter(v => fs.existsSync(path.join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length > 0 ? path.join(root, versions[0], 'bin') : undefined;
}

export interface LocalPostgresOptions {
  /** `user@database` pairs that log in over TLS without a password check (the IAM-token stand-in). */
  readonly trustedOverTls?: string[];
  /** The server's certificate and key (PEM), e.g. signed by a test CA. @default - self-signed for CN=127.0.0.1 */
  readonly serverCertificate?: { readonly cert: string; readonly key: string };
}

export class LocalPostgres {
  public static async start(options: LocalPostgresOptions = {}): Promise<LocalPostgres> {
    const bin = postgresBinDir();
    if (!bin) throw new Error('PostgreSQL is not installed: run `bash test/boot/services-setup.sh` (as root)');
    const server = new LocalPostgres(bin, await freePort());
    try {
      await server.launch(options.trustedOverTls ?? [], options.serverCertificate);
    } catch (e) {
      await server.stop();
      throw e;
    }
    return server;
  }

  public readonly host = '127.0.0.1';
  public readonly superuser = 'postgres';
  public readonly superuserPassword = randomAlnum(24);
  private readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'litellm-pg-'));
  private process?: ChildProcess;
  private output = '';

  private constructor(private readonly bin: string, public readonly port: number) {}

  /** Runs as the `postgres` OS user when we are root (PostgreSQL refuses to run as root). */
  private get owner(): { uid?: number; gid?: number } {
    if (process.getuid?.() !== 0) return {};
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
    return { uid: id('-u'), gid: id('-g') };
  }

  private async launch(trusted: string[], certificate?: { cert: string; key: string }): Promise<void> {
    const { uid, gid } = this.owner;
    const data = path.join(this.dir, 'data');
    const pwfile = path.join(this.dir, 'pw');
    fs.writeFileSync(pwfile, this.superuserPassword);
    if (certificate) {
      fs.writeFileSync(path.join(this.dir, 'server.crt'), certificate.cert);
      fs.writeFileSync(path.join(this.dir, 'server.key'), certificate.key);
    } else {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
        '-keyout', path.join(this.dir, 'server.key'), '-out', path.join(this.dir, 'server.crt')], { stdio: 'ignore' });
    }
    fs.chmodSync(path.join(this.dir, 'server.key'), 0o600);
    if (uid !== undefined) {
      for (const f of [this.dir, pwfile, path.join(this.dir, 'server.key'), path.join(this.dir, 'server.crt')]) fs.chownSync(f, uid, gid!);
    }
    execFileSync(path.join(this.bin, 'initdb'), ['-D', data, '-U', this.superuser, `--pwfile=${pwfile}`, '--auth=scram-sha-256', '-E', 'UTF8'],
      { uid, gid, stdio: 'pipe' });
    fs.writeFileSync(path.join(data, 'pg_hba.conf'), [
      'hostnossl all all all reject',
      ...trusted.map(pair => { const [user, db] = pair.split('@'); return `hostssl ${db} ${user} 127.0.0.1/32 trust`; }),
      'hostssl all all 127.0.0.1/32 scram-sha-256',
      '',
    ].join('\n'));
    this.process = spawn(path.join(this.bin, 'postgres'), [
      '-D', data, '-p', String(this.port), '-k', this.dir, '-c', 'listen_addresses=127.0.0.1',
      '-c', 'ssl=on', '-c', `ssl_cert_file=${path.join(this.dir, 'server.crt')}`, '-c', `ssl_key_file=${path.join(this.dir, 'server.key')}`,
      '-c', 'fsync=off',
    ], { uid, gid, stdio: ['ignore', 'pipe', 'pipe'] });
    this.process.stdout!.on('data', d => { this.output += d; });
    this.process.stderr!.on('data', d => { this.output += d; });
    const deadline = Date.now() + 30_000;
    while (!/database system is ready to accept connections/.test(this.output)) {
      if (this.process.exitCode !== null || Date.now() > deadline) {
        throw new Error(`postgres did not start:\n${this.output}`);
      }
      await new Promise(r => setTimeout(r, 100));
    }
  }

  /** Runs `sql` with psql over TLS as `user` (the superuser by default) and returns its unaligned output. */
  public psql(sql: string, options: { user?: string; password?: string; database?: string } = {}): string {
    const url = this.url(options.user ?? this.superuser, options.password ?? this.superuserPassword, options.database ?? 'postgres');
    return execFileSync(this.psqlPath, [url, '-v', 'ON_ERROR_STOP=1', '-At', '-c', sql], { encoding: 'utf8', stdio: 'pipe' }).trim();
  }

  /** The psql this server's binaries come with. */
  public get psqlPath(): string {
    return path.join(this.bin, 'psql');
  }

  /** A libpq URL with sslmode=require. */
  public url(user: string, password: string, database: string): string {
    return `postgresql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${this.host}:${this.port}/${database}?sslmode=require`;
  }

  public async stop(): Promise<void> {
    const proc = this.process;
    if (proc && proc.exitCode === null) {
      const exited = new Promise(r => proc.once('exit', r));
      proc.kill('SIGINT'); // fast shutdown
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise(r => { timer = setTimeout(r, 10_000); })]);
      clearTimeout(timer);
      if (proc.exitCode === null) proc.kill('SIGKILL');
    }
    proc?.stdout?.destroy();
    proc?.stderr?.destroy();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
