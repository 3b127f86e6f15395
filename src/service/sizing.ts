import { Annotations, Duration, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { LiteLlmCache } from '../cache';
import { LiteLlmDatabase } from '../database';
import { LiteLlmServiceProps } from './props';
import { DEFAULT_NUM_WORKERS, capacityOf, profileDefaults } from '../private/defaults';
import { fargateSize } from '../private/sizing';
import { check } from '../private/validate';

/** Connections kept free for the rotation function, admin sessions and RDS itself. */
const RESERVED_CONNECTIONS = 10;

/** Task size, capacities and timeouts after defaults. */
export interface Sizing {
  readonly workers: number;
  readonly cpu: number;
  readonly memory: number;
  readonly minCapacity: number;
  readonly maxCapacity: number;
  readonly requestTimeout: Duration;
  readonly assignPublicIp: boolean;
}

export function resolveSizing(props: LiteLlmServiceProps): Sizing {
  const workers = props.numWorkers ?? DEFAULT_NUM_WORKERS;
  check(workers, n => Number.isInteger(n) && n >= 1 && n <= 16,
    n => `\`numWorkers\` (${n}) must be an integer from 1 to 16: scale out with more tasks (maxCapacity) rather than more workers`);
  const size = fargateSize(workers, profileDefaults(props.profile).cpuPerWorker);
  const capacity = capacityOf(props.profile, props.minCapacity, props.maxCapacity);
  const requestTimeout = props.requestTimeout ?? Duration.seconds(600);
  if (Token.isUnresolved(requestTimeout.toSeconds())) {
    throw new Error('`requestTimeout` is a token: it is written into config.yaml at synth, so it must be a literal Duration');
  }
  return {
    workers,
    cpu: props.cpu ?? size.cpu,
    memory: props.memoryLimitMiB ?? size.memoryMiB,
    minCapacity: capacity.min,
    maxCapacity: capacity.max,
    requestTimeout,
    assignPublicIp: props.assignPublicIp ?? false,
  };
}

/** The proxy's database pool per process, derived from the capacity unless given. */
export function poolLimit(database: LiteLlmDatabase, maxCapacity: number, workers: number, explicit?: number): number {
  if (explicit !== undefined && Token.isUnresolved(explicit)) {
    throw new Error('`databaseConnectionPoolLimit` is a token: it is written into config.yaml at synth, so it must be a literal number');
  }
  if (Token.isUnresolved(maxCapacity) || Token.isUnresolved(workers)) {
    if (explicit !== undefined) return explicit;
    throw new Error('`maxCapacity` or `numWorkers` is a token, so the database pool cannot be sized at synth: set `databaseConnectionPoolLimit` to a literal');
  }
  // Rolling deploys run up to twice the tasks (max healthy 200 %).
  const pools = maxCapacity * 2 * workers;
  const available = database.maxConnections - RESERVED_CONNECTIONS;
  if (explicit !== undefined) {
    check(explicit, n => Number.isInteger(n) && n >= 1, n => `\`databaseConnectionPoolLimit\` (${n}) must be an integer >= 1`);
    if (explicit * pools > available) {
      throw new Error(`\`databaseConnectionPoolLimit\` (${explicit}) × ${pools} pools (maxCapacity ${maxCapacity} × 2 during deploys × ${workers} workers) = ${explicit * pools} exceeds the database's ${available} usable connections (max_connections ${database.maxConnections} - ${RESERVED_CONNECTIONS}): lower it, lower maxCapacity or numWorkers, or choose a larger database instanceType`);
    }
    return explicit;
  }
  const derived = Math.min(Math.floor((available * 0.9) / pools), 20);
  if (derived < 2) {
    throw new Error(`\`maxCapacity\` (${maxCapacity}) × 2 during deploys × \`numWorkers\` (${workers}) = ${pools} connection pools leave fewer than 2 connections each of the database's ${available} usable connections: lower maxCapacity or numWorkers, or choose a larger database instanceType`);
  }
  return derived;
}

/**
 * Without a cache, LiteLLM keeps rate limits, router cooldowns and its response cache
 * in each process: with several, every limit is multiplied by their number.
 */
export function warnIfStateIsPerProcess(scope: Construct, cache: LiteLlmCache | undefined, maxCapacity: number, workers: number): void {
  if (cache || Token.isUnresolved(maxCapacity) || Token.isUnresolved(workers)) return;
  const processes = maxCapacity * workers;
  if (processes <= 1) return;
  Annotations.of(scope).addWarningV2('cdk-litellm:stateIsPerProcess',
    `up to ${processes} LiteLLM processes (maxCapacity ${maxCapacity} × numWorkers ${workers}, twice that during a deploy) and no cache: `
    + 'rate limits (rpm, tpm and parallel requests per key, team and model), router cooldowns and the response cache are kept per process, '
    + `so every limit is multiplied by up to ${processes}. Add a cache (LiteLlmPlatform: remove \`cache.enabled: false\`; LiteLlmService: pass \`cache\`), or set maxCapacity and numWorkers to 1`);
}


/** Several workers per task share one IAM token that a restarted worker finds expired. */
export function warnIfWorkersShareIamToken(scope: Construct, workers: number): void {
  if (!Token.isUnresolved(workers) && workers > 1) {
    // LiteLLM mints the IAM token once, in the parent, before it starts the workers
    // (proxy_cli.py:1244-1255), and uvicorn starts a replacement worker with that environment
    // (uvicorn/supervisors/multiprocess.py:214-238). The worker notices the expired token on its
    // first connect, schedules a refresh and fails that attempt (db/prisma_client.py:926-947);
    // connect() retries three times within 10 s (proxy/utils.py:6632-6640), so it usually
    // recovers, but only if the refresh wins that race: a risk one worker per task never takes.
    Annotations.of(scope).addWarningV2('cdk-litellm:workersWithIamToken', `\`numWorkers\` is ${workers}: the proxy logs in to the database with a `
      + '15-minute IAM token that LiteLLM 1.108 mints once per task, so a worker uvicorn restarts after that (a missed health ping, an out-of-memory kill) '
      + 'starts with an expired token; LiteLLM refreshes it and retries the connection for 10 s, and a worker that loses that race fails its start. '
      + 'Prefer one worker and more tasks (maxCapacity).');
  }
}
