import { Token } from 'aws-cdk-lib';

/**
 * Variables of the service's `environment` that act only while LiteLLM migrates, so they
 * reach the migration task, which alone migrates (serving tasks run with
 * DISABLE_SCHEMA_UPDATE): REPLICA IDENTITY FULL after each run
 * (litellm_proxy_extras/replica_identity.py:21, utils.py:1385-1416), the Prisma CLI's
 * toolchain, offline mode and timeouts (prisma_toolchain.py:59-63, utils.py:50-58, 227-262),
 * and the proxy variables the Prisma toolchain's downloads go through.
 */
export const MIGRATION_SETTINGS = [
  'LITELLM_SET_REPLICA_IDENTITY_FULL',
  'LITELLM_PRISMA_BOOTSTRAP_TIMEOUT', 'LITELLM_MIGRATION_LOCK_TIMEOUT', 'LITELLM_PRISMA_MIGRATE_DEPLOY_TIMEOUT', 'LITELLM_PRISMA_COMMAND_TIMEOUT',
  'PRISMA_OFFLINE_MODE', 'PRISMA_CLI_PATH', 'PRISMA_NODEENV_CACHE_DIR', 'NPM_CONFIG_CACHE', 'LITELLM_MIGRATION_DIR',
  'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy',
];

/** The migration-only settings of a service environment. */
export function migrationSettings(environment: { [name: string]: string } = {}): { [name: string]: string } {
  return Object.fromEntries(Object.entries(environment).filter(([name]) => MIGRATION_SETTINGS.includes(name)));
}

/**
 * LiteLLM's waits inside one migration process, in seconds. The step sets them so that every
 * wait that comes before a new database connection fits in the IAM token that process minted
 * at its start (proxy_cli.py:1244-1255; nothing refreshes it while migrating):
 * - the Prisma toolchain check runs first (utils.py:1436-1438, prisma_toolchain.py:250-278);
 * - the migration lock is waited for on one connection, then Prisma connects
 *   (migration_lock.py:121-162, utils.py:1097-1102); a deploy that meets Prisma's own advisory
 *   lock held elsewhere is retried for up to one more lock timeout of contention
 *   (utils.py:109-133, 1280-1292), and a failed deploy's rollback takes the lock again on a new
 *   connection (utils.py:1161-1176): three lock timeouts in all;
 * - `prisma migrate deploy` runs once per process (the container's program sets LiteLLM's
 *   MAX_MIGRATE_DEPLOY_ATTEMPTS to 1), then the rollback or the index builds connect anew
 *   (utils.py:1441-1463, request_log_indexes.py:149-173).
 * A lock held elsewhere or a deploy that overruns ends the process; the container's next
 * attempt starts a new process with a new token.
 */
export interface MigrationTimeouts {
  readonly bootstrap: number;
  readonly lock: number;
  readonly deploy: number;
  readonly command: number;
}

/** The step's own values (LiteLLM's defaults are 600, 600, 600 and 60: prisma_toolchain.py:65-67, 110-111). */
export const MIGRATION_TIMEOUTS: MigrationTimeouts = { bootstrap: 60, lock: 40, deploy: 600, command: 60 };

const NAMES: Record<keyof MigrationTimeouts, string> = {
  bootstrap: 'LITELLM_PRISMA_BOOTSTRAP_TIMEOUT',
  lock: 'LITELLM_MIGRATION_LOCK_TIMEOUT',
  deploy: 'LITELLM_PRISMA_MIGRATE_DEPLOY_TIMEOUT',
  command: 'LITELLM_PRISMA_COMMAND_TIMEOUT',
};

/** An RDS IAM token lets a client connect for 15 minutes; a minute goes to starting the process. */
export const TOKEN_SECONDS = 14 * 60;

/** The timeouts as the migration's environment, the step's values under `environment`'s. */
export function timeoutEnvironment(environment: { [name: string]: string } = {}): { timeouts: MigrationTimeouts; env: { [name: string]: string } } {
  const timeouts = { ...MIGRATION_TIMEOUTS };
  const env: { [name: string]: string } = {};
  for (const key of Object.keys(NAMES) as (keyof MigrationTimeouts)[]) {
    const name = NAMES[key];
    const given = environment[name];
    if (given !== undefined && !Token.isUnresolved(given)) {
      const seconds = Number(given);
      if (!(Number.isFinite(seconds) && seconds > 0)) {
        throw new Error(`\`environment\` sets ${name} to "${given}": LiteLLM ignores anything but a positive number of seconds and falls back to its default (prisma_toolchain.py:81-100): give seconds`);
      }
      timeouts[key] = seconds;
    }
    env[name] = given ?? String(timeouts[key]);
  }
  const beforeConnecting = timeouts.bootstrap + 3 * timeouts.lock + timeouts.deploy + timeouts.command;
  if (beforeConnecting > TOKEN_SECONDS) {
    throw new Error(`The migration's waits before a new database connection add up to ${beforeConnecting} s `
      + `(${NAMES.bootstrap} ${timeouts.bootstrap} + 3 × ${NAMES.lock} ${timeouts.lock} + ${NAMES.deploy} ${timeouts.deploy} + ${NAMES.command} ${timeouts.command}), `
      + `more than the ${TOKEN_SECONDS} s its IAM database token leaves (15 minutes, less one to start): lower them in \`environment\``);
  }
  return { timeouts, env };
}

/** The worst case of one attempt: its waits, then the pause before the next. */
export function attemptSeconds(t: MigrationTimeouts, pauseSeconds: number): number {
  return t.bootstrap + 3 * t.lock + t.deploy + t.command + pauseSeconds;
}
