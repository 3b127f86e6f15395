import { ECSClient } from '@aws-sdk/client-ecs';
import type { EventBridgeEvent } from 'aws-lambda';
import { forceNewDeployment } from './ecs-redeploy';

export interface RotationSucceededDetail {
  readonly eventName: string;
  readonly additionalEventData?: {
    readonly SecretId?: string;
  };
}

export type RotationSucceededEvent = EventBridgeEvent<'AWS Service Event via CloudTrail', RotationSucceededDetail>;

export interface RedeployResult {
  readonly deploymentId?: string;
}

const ecs = new ECSClient({});

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`Environment variable ${name} is required`);
  }
  return value;
}

function baseDelayFromEnv(): number | undefined {
  const raw = process.env.REDEPLOY_BASE_DELAY_MS;
  const value = raw === undefined || raw === '' ? NaN : Number(raw);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

export async function handler(event: RotationSucceededEvent): Promise<RedeployResult> {
  const cluster = requireEnv('CLUSTER_ARN');
  const service = requireEnv('SERVICE_NAME');
  const secretId = event.detail?.additionalEventData?.SecretId;

  const response = await forceNewDeployment(ecs, cluster, service, { baseDelayMs: baseDelayFromEnv() });
  const deployments = response.service?.deployments;
  const deploymentId = (deployments?.find((d) => d.status === 'PRIMARY') ?? deployments?.[0])?.id;

  console.log(JSON.stringify({ message: 'Forced new ECS deployment after secret rotation', secretId, cluster, service, deploymentId }));
  return { deploymentId };
}
