import { ECSClient, UpdateServiceCommand, UpdateServiceCommandOutput } from '@aws-sdk/client-ecs';

export interface ForceNewDeploymentOptions {
  /** Total UpdateService attempts while throttled. @default 5 */
  readonly attempts?: number;
  /** Delay before the first retry; doubles after each throttled attempt. @default 500 */
  readonly baseDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

const NOT_FOUND_ERRORS = new Set(['ServiceNotFoundException', 'ServiceNotActiveException', 'ClusterNotFoundException']);

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function isThrottlingError(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  return e?.name === 'ThrottlingException' || e?.$metadata?.httpStatusCode === 429;
}

export async function forceNewDeployment(
  client: ECSClient,
  cluster: string,
  service: string,
  options: ForceNewDeploymentOptions = {},
): Promise<UpdateServiceCommandOutput> {
  const attempts = Math.max(1, options.attempts ?? 5);
  const baseDelayMs = options.baseDelayMs ?? 500;
  const wait = options.sleep ?? sleep;

  for (let attempt = 1; ; attempt++) {
    try {
      return await client.send(new UpdateServiceCommand({ cluster, service, forceNewDeployment: true }));
    } catch (err) {
      const name = (err as { name?: string } | undefined)?.name ?? '';
      if (NOT_FOUND_ERRORS.has(name)) {
        throw new Error(`ECS service '${service}' in cluster '${cluster}' was not found or is not active (${name})`, { cause: err });
      }
      if (!isThrottlingError(err) || attempt >= attempts) {
        throw err;
      }
      await wait(baseDelayMs * 2 ** (attempt - 1));
    }
  }
}
