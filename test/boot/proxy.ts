// Runs the LiteLLM container of a synthesized task definition as a local process:
// the real proxy from .venv-litellm (pinned to LiteLlmImage.DEFAULT_VERSION), with
// the container's command, environment, secret names and config.
import { ChildProcess, execFileSync, spawn, spawnSync } from 'child_process';
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

export const VENV = path.join(__dirname, '..', '..', '.venv-litellm');
const BIN = path.join(VENV, 'bin');
/** Fixed in the image: the entrypoint (docker/prod_entrypoint.sh) ends in `exec litellm "$@"`. */
const IMAGE_ENTRYPOINT = ['litellm'];
const CONTAINER_PORT = 4000;
const METRICS_PORT_FLAG = '--prometheus_metrics_port';

export interface ContainerDefinition {
  readonly Name: string;
  readonly EntryPoint?: string[];
  readonly Command?: string[];
  readonly Environment?: { Name: string; Value: unknown }[];
  readonly Secrets?: { Name: string; ValueFrom: unknown }[];
  readonly HealthCheck?: { Command: string[] };
  readonly MountPoints?: { ContainerPath: string; SourceVolume: string }[];
}

/**
 * The container definitions of a template's two task definitions, by name: the serving
 * task's (`config`, `litellm`) and the migration step's (`migrate`).
 */
export function containersOf(template: any): Record<string, ContainerDefinition> {
  const tasks = Object.values<any>(template.Resources).filter(r => r.Type === 'AWS::ECS::TaskDefinition');
  if (tasks.length !== 2) throw new Error(`expected the serving and the migration task definitions, found ${tasks.length}`);
  const containers: ContainerDefinition[] = tasks.flatMap(t => t.Properties.ContainerDefinitions);
  const names = containers.map(c => c.Name).filter(n => n !== 'metrics').sort();
  if (names.join() !== 'config,litellm,migrate') throw new Error(`unexpected containers ${names.join(', ')}`);
  return Object.fromEntries(containers.map(c => [c.Name, c]));
}

/**
 * The task's database settings (IAM_TOKEN_DB_AUTH, DATABASE_*) are left out of a booted
 * proxy: its database layer needs Prisma engine binaries it downloads from the internet,
 * which this machine cannot reach; without them the proxy runs without a database.
 */
function isDatabaseSetting(name: string): boolean {
  return name.startsWith('DATABASE_') || name === 'IAM_TOKEN_DB_AUTH';
}

/** Local values for the ECS secrets, by name. */
function localSecretValue(name: string): string | undefined {
  if (isDatabaseSetting(name)) return undefined;
  switch (name) {
    case 'LITELLM_MASTER_KEY': return `sk-${randomAlnum(48)}`;
    case 'LITELLM_SALT_KEY': return randomAlnum(64);
    case 'UI_USERNAME': return 'admin';
    case 'UI_PASSWORD': return randomAlnum(24);
    default: return `placeholder-${name.toLowerCase()}`;
  }
}

/** A container's environment with local values for its secrets, without the database settings. */
export function localEnvironment(container: ContainerDefinition, omitSecrets: string[] = []): Record<string, string> {
  const env = Object.fromEntries(Object.entries(envOf(container)).filter(([name]) => !isDatabaseSetting(name)));
  for (const secret of container.Secrets ?? []) {
    if (omitSecrets.includes(secret.Name)) continue;
    const value = localSecretValue(secret.Name);
    if (value !== undefined) env[secret.Name] = value;
  }
  return env;
}

/** A `sitecustomize` that prints, without the token, each RDS IAM token botocore signs. */
const MINT_OBSERVER = path.join(__dirname, 'mint-observer');

/**
 * Runs the `migrate` container of the migration task definition as ECS would (its
 * entrypoint, command and environment) with `deployTime`, the values of its variables
 * that resolve only at deploy (the database endpoint), and `extra` (what the task role
 * would provide); returns its exit code and output. The CA it writes goes to a temporary
 * directory, and an observer reports each IAM token LiteLLM mints.
 */
export function runMigrationContainer(
  containers: Record<string, ContainerDefinition>, deployTime: Record<string, string>, extra: Record<string, string> = {}, timeoutMs = 400_000,
): { status: number | null; output: string } {
  const migrate = containers.migrate;
  if (!migrate) throw new Error('the template has no `migrate` container');
  const tokens = (migrate.Environment ?? []).filter(e => typeof e.Value !== 'string').map(e => e.Name).sort();
  if (JSON.stringify(tokens) !== JSON.stringify(Object.keys(deployTime).sort())) {
    throw new Error(`the migrate container's deploy-time variables are ${tokens.join(', ')}, but the test gives ${Object.keys(deployTime).join(', ')}`);
  }
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'litellm-migrate-'));
  try {
    const [cmd, ...args] = [...(migrate.EntryPoint ?? IMAGE_ENTRYPOINT), ...(migrate.Command ?? [])];
    const result = spawnSync(path.join(BIN, cmd), args, {
      env: {
        ...envOf(migrate),
        ...deployTime,
        ...extra,
        DATABASE_SSLROOTCERT: path.join(home, 'ca', 'rds-ca.pem'),
        PYTHONPATH: MINT_OBSERVER,
        PATH: `${BIN}:/usr/bin:/bin`,
        HOME: home,
      },
      cwd: home,
      timeout: timeoutMs,
      encoding: 'utf8',
    });
    return { status: result.status, output: `${result.stdout}${result.stderr}`.replace(/\u001b\[[0-9;]*m/g, '') };
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
}

/** `n` random letters and digits. */
export function randomAlnum(n: number): string {
  let out = '';
  while (out.length < n) out += randomBytes(n).toString('base64').replace(/[^A-Za-z0-9]/g, '');
  return out.slice(0, n);
}

/** A loopback port the kernel says is free right now (another process could still take it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

export interface BootOptions {
  /** Rewrites the config the init container writes (for negative tests). */
  readonly editConfig?: (yaml: string) => string;
  /** Secret names to leave unset (for negative tests). */
  readonly omitSecrets?: string[];
  /**
   * The Redis that stands in for the task's cache: its REDIS_* settings replace the
   * task's (whose host is the ElastiCache endpoint, resolved only at deploy). Required
   * when the task has a cache.
   */
  readonly redis?: { env(): Record<string, string> };
  /** Values that replace the task's (e.g. one master key for two proxies, as one secret gives two tasks). */
  readonly env?: Record<string, string>;
  /** The loopback port for container port 4000. @default - a free one */
  readonly port?: number;
  /** A file that receives everything the proxy prints, as it prints it. @default - kept in memory only */
  readonly logFile?: string;
}

/**
 * A proxy started from the containers of a task definition. The task volume's mount
 * path becomes a temporary directory and container port 4000 a free loopback port;
 * everything else is taken as synthesized.
 */
export class BootedProxy {
  public static async start(containers: Record<string, ContainerDefinition>, options: BootOptions = {}): Promise<BootedProxy> {
    const metricsPort = (containers.litellm.Command ?? []).includes(METRICS_PORT_FLAG) ? await freePort() : undefined;
    const proxy = new BootedProxy(containers, options, options.port ?? await freePort(), metricsPort);
    proxy.runInitContainer();
    proxy.spawnProxy();
    return proxy;
  }

  public readonly env: Record<string, string>;
  public readonly workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'litellm-boot-'));
  public readonly baseUrl: string;
  private child?: ChildProcess;
  private output = '';
  private exitCode?: number | null;

  private constructor(
    private readonly containers: Record<string, ContainerDefinition>,
    private readonly options: BootOptions,
    public readonly port: number,
    /** The loopback port for the task's `--prometheus_metrics_port`, when it has one. */
    public readonly metricsPort?: number,
  ) {
    this.baseUrl = `http://127.0.0.1:${port}`;
    const litellm = containers.litellm;
    this.env = localEnvironment(litellm, options.omitSecrets);
    const hasCache = (litellm.Environment ?? []).some(e => e.Name === 'REDIS_HOST');
    if (hasCache && !options.redis) throw new Error('the task has a cache (REDIS_HOST): start a LocalRedis and pass it as `redis`');
    if (hasCache) {
      // Where the cache is and how to trust its certificate come from the local Redis;
      // whether to speak TLS stays the task's own REDIS_SSL, so a wrong value fails here.
      const local = { ...options.redis!.env() };
      if ('REDIS_SSL' in this.env) delete local.REDIS_SSL;
      Object.assign(this.env, local);
    }
    Object.assign(this.env, options.env);
  }

  /** The container's path for the task volume, remapped under the work directory. */
  public hostPath(containerPath: string): string {
    return path.join(this.workdir, containerPath);
  }

  /** The config as the proxy reads it. */
  public configText(): string {
    return fs.readFileSync(this.hostPath(this.configPath()), 'utf8');
  }

  public configPath(): string {
    const args = this.containers.litellm.Command ?? [];
    const i = args.indexOf('--config');
    if (i < 0) throw new Error(`the litellm container has no --config argument: ${JSON.stringify(args)}`);
    return args[i + 1];
  }

  /** Everything the proxy printed so far. */
  public get log(): string {
    return this.output;
  }

  /** Waits until /health/liveliness answers 200, the process exits, or the time is up. */
  public async waitUntilLive(timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exitCode !== undefined) {
        throw new Error(`the LiteLLM proxy exited with code ${this.exitCode} before it was live:\n${this.tail()}`);
      }
      try {
        const res = await fetch(`${this.baseUrl}/health/liveliness`, { signal: AbortSignal.timeout(2_000) });
        if (res.status === 200) return;
      } catch { /* not listening yet */ }
      await new Promise(r => setTimeout(r, 500));
    }
    throw new Error(`the LiteLLM proxy was not live after ${timeoutMs} ms:\n${this.tail()}`);
  }

  /** Waits for the process to exit on its own; returns its exit code. */
  public async waitForExit(timeoutMs = 120_000): Promise<number | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.exitCode === undefined && Date.now() < deadline) await new Promise(r => setTimeout(r, 250));
    if (this.exitCode === undefined) throw new Error(`the LiteLLM proxy was still running after ${timeoutMs} ms:\n${this.tail()}`);
    return this.exitCode;
  }

  /** Runs the container's health check as ECS would: the command inside the container. */
  public runHealthCheck(): { status: number | null; output: string } {
    const check = this.containers.litellm.HealthCheck?.Command;
    if (!check || check[0] !== 'CMD') throw new Error(`unexpected health check: ${JSON.stringify(check)}`);
    const [cmd, ...args] = check.slice(1).map(a => this.remap(a));
    const result = spawnSync(path.join(BIN, cmd), args, { env: this.processEnv(), timeout: 15_000, encoding: 'utf8' });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  }

  /** Stops the proxy and its workers; bounded. */
  public async stop(): Promise<void> {
    const child = this.child;
    if (child?.pid && this.exitCode === undefined) {
      try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
      const deadline = Date.now() + 15_000;
      while (this.exitCode === undefined && Date.now() < deadline) await new Promise(r => setTimeout(r, 200));
      if (this.exitCode === undefined) {
        try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
      }
    }
    fs.rmSync(this.workdir, { recursive: true, force: true });
  }

  private runInitContainer(): void {
    const init = this.containers.config;
    if (!init) throw new Error('the task definition has no `config` init container');
    const [cmd, ...args] = [...(init.EntryPoint ?? []), ...(init.Command ?? [])].map(a => this.remap(a));
    for (const mount of init.MountPoints ?? []) fs.mkdirSync(this.hostPath(mount.ContainerPath), { recursive: true });
    const env = envOf(init);
    if (this.options.editConfig) env.LITELLM_CONFIG_YAML = this.options.editConfig(env.LITELLM_CONFIG_YAML);
    const result = spawnSync(path.join(BIN, cmd), args, { env: { ...env, PATH: `${BIN}:/usr/bin:/bin` }, timeout: 30_000, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`the config init container failed (${result.status}): ${result.stderr}`);
  }

  /** Where LiteLLM's metrics server writes the workers' samples (its multiprocess directory). */
  public get metricsDirectory(): string {
    return path.join(this.workdir, 'tmp', 'litellm_prometheus_multiproc');
  }

  private spawnProxy(): void {
    const args = (this.containers.litellm.Command ?? []).map(a => this.remap(a));
    const flag = args.indexOf(METRICS_PORT_FLAG);
    if (flag >= 0) args[flag + 1] = String(this.metricsPort);
    // Loopback only: nothing outside this machine may reach the test proxy.
    const [cmd, ...rest] = [...IMAGE_ENTRYPOINT, ...args, '--host', '127.0.0.1'];
    const child = spawn(path.join(BIN, cmd), rest, {
      cwd: this.workdir, env: this.processEnv(), detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log = this.options.logFile ? fs.createWriteStream(this.options.logFile, { flags: 'a' }) : undefined;
    const collect = (chunk: Buffer) => {
      this.output += chunk.toString();
      log?.write(chunk);
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    child.on('exit', code => {
      this.exitCode = code;
      log?.end();
    });
    this.child = child;
  }

  private processEnv(): Record<string, string> {
    // TMPDIR: LiteLLM puts the metrics' multiprocess directory under it and wipes it at start.
    const tmp = path.join(this.workdir, 'tmp');
    fs.mkdirSync(tmp, { recursive: true });
    return { ...this.env, PATH: `${BIN}:/usr/bin:/bin`, HOME: this.workdir, TMPDIR: tmp };
  }

  private remap(arg: string): string {
    let out = arg.split(String(CONTAINER_PORT)).join(String(this.port));
    for (const mount of this.containers.litellm.MountPoints ?? []) {
      out = out.split(mount.ContainerPath).join(this.hostPath(mount.ContainerPath));
    }
    return out;
  }

  private tail(): string {
    return this.output.split('\n').slice(-40).join('\n');
  }
}

/** The container's environment; a value resolved only at deploy (a token) is left out. */
export function envOf(container: ContainerDefinition): Record<string, string> {
  return Object.fromEntries((container.Environment ?? []).filter(e => typeof e.Value === 'string').map(e => [e.Name, e.Value as string]));
}

/**
 * Runs `script` with the pinned LiteLLM's Python (its own functions, without a proxy) and returns
 * the JSON its last line prints. `env` is the whole environment besides PATH and the offline cost
 * map, so nothing of this machine's leaks in.
 */
export function litellmPython(script: string, env: Record<string, string> = {}): any {
  const out = execFileSync(path.join(BIN, 'python3'), ['-c', script], {
    encoding: 'utf8', env: { LITELLM_LOCAL_MODEL_COST_MAP: 'True', PATH: '/usr/bin:/bin', ...env },
  });
  return JSON.parse(out.trim().split('\n').pop()!);
}
