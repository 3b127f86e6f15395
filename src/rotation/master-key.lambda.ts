import { randomInt } from 'node:crypto';
import {
  DescribeSecretCommand,
  DescribeSecretCommandOutput,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent, SecretsManagerRotationEvent } from 'aws-lambda';

export interface MasterKeyResourceProperties {
  readonly SecretId: string;
}

export type MasterKeyCustomResourceEvent = CloudFormationCustomResourceEvent<MasterKeyResourceProperties>;

export interface MasterKeyCustomResourceResult {
  readonly PhysicalResourceId: string;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const KEY_BODY_LENGTH = 48;
const MASTER_KEY_PATTERN = /^sk-[A-Za-z0-9]{48}$/;
const STEPS = new Set<string>(['createSecret', 'setSecret', 'testSecret', 'finishSecret']);

const secretsManager = new SecretsManagerClient({});

export function isMasterKey(value: string): boolean {
  return MASTER_KEY_PATTERN.test(value);
}

export function newMasterKey(): string {
  let body = '';
  for (let i = 0; i < KEY_BODY_LENGTH; i++) {
    body += ALPHABET[randomInt(ALPHABET.length)];
  }
  return `sk-${body}`;
}

export async function handler(
  event: SecretsManagerRotationEvent | MasterKeyCustomResourceEvent,
): Promise<MasterKeyCustomResourceResult | void> {
  if ('RequestType' in event) {
    return respondToCloudFormation(event);
  }
  return rotate(event);
}

/**
 * CloudFormation invokes this function directly (no provider framework): the
 * outcome goes to the pre-signed ResponseURL, never with the key in it.
 */
async function respondToCloudFormation(event: MasterKeyCustomResourceEvent): Promise<MasterKeyCustomResourceResult> {
  let result: MasterKeyCustomResourceResult | undefined;
  let reason: string | undefined;
  try {
    result = await onCustomResource(event);
  } catch (err) {
    reason = err instanceof Error ? err.message : String(err);
    console.error(`Master key custom resource ${event.RequestType} failed: ${reason}`);
  }
  const physicalResourceId = result?.PhysicalResourceId
    ?? ('PhysicalResourceId' in event ? event.PhysicalResourceId : `master-key-${event.ResourceProperties.SecretId}`);
  const body = JSON.stringify({
    Status: result ? 'SUCCESS' : 'FAILED',
    Reason: reason ?? 'OK',
    PhysicalResourceId: physicalResourceId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  });
  const response = await fetch(event.ResponseURL, {
    method: 'PUT',
    headers: { 'content-type': '', 'content-length': String(Buffer.byteLength(body)) },
    body,
  });
  if (!response.ok) throw new Error(`CloudFormation response was refused: HTTP ${response.status}`);
  if (!result) throw new Error(reason);
  return result;
}

async function onCustomResource(event: MasterKeyCustomResourceEvent): Promise<MasterKeyCustomResourceResult> {
  if (event.RequestType === 'Delete') {
    return { PhysicalResourceId: event.PhysicalResourceId };
  }
  const secretId = event.ResourceProperties.SecretId;
  const current = await currentValue(secretId);
  if (current !== undefined && isMasterKey(current)) {
    console.log(`Secret ${secretId} already holds a master key; keeping it`);
  } else {
    await secretsManager.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: newMasterKey() }));
    console.log(`Wrote initial master key to secret ${secretId}`);
  }
  return { PhysicalResourceId: `master-key-${secretId}` };
}

async function currentValue(secretId: string): Promise<string | undefined> {
  try {
    const res = await secretsManager.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: 'AWSCURRENT' }));
    return res.SecretString;
  } catch (err) {
    if (isResourceNotFound(err)) {
      return undefined;
    }
    throw err;
  }
}

async function rotate(event: SecretsManagerRotationEvent): Promise<void> {
  const { SecretId: secretId, ClientRequestToken: token, Step: step } = event;
  if (!STEPS.has(step)) {
    throw new Error(`Unknown rotation step ${step}`);
  }

  const metadata = await secretsManager.send(new DescribeSecretCommand({ SecretId: secretId }));
  if (!metadata.RotationEnabled) {
    throw new Error(`Secret ${secretId} is not enabled for rotation`);
  }
  const stages = metadata.VersionIdsToStages?.[token];
  if (!stages) {
    throw new Error(`Secret version ${token} has no stage for rotation of secret ${secretId}`);
  }
  if (stages.includes('AWSCURRENT') && !stages.includes('AWSPENDING')) {
    console.log(`Secret version ${token} already set as AWSCURRENT for secret ${secretId}`);
    return;
  }
  if (!stages.includes('AWSPENDING')) {
    throw new Error(`Secret version ${token} not set as AWSPENDING for rotation of secret ${secretId}`);
  }

  console.log(`Running ${step} for secret ${secretId} version ${token}`);
  switch (step) {
    case 'createSecret':
      return createSecret(secretId, token);
    case 'setSecret':
      return;
    case 'testSecret':
      return testSecret(secretId, token);
    case 'finishSecret':
      return finishSecret(secretId, token, metadata);
  }
}

async function createSecret(secretId: string, token: string): Promise<void> {
  try {
    await secretsManager.send(new GetSecretValueCommand({ SecretId: secretId, VersionId: token, VersionStage: 'AWSPENDING' }));
    console.log(`createSecret: AWSPENDING already exists for secret ${secretId} version ${token}`);
    return;
  } catch (err) {
    if (!isResourceNotFound(err)) {
      throw err;
    }
  }
  await secretsManager.send(new PutSecretValueCommand({
    SecretId: secretId,
    ClientRequestToken: token,
    SecretString: newMasterKey(),
    VersionStages: ['AWSPENDING'],
  }));
  console.log(`createSecret: stored new master key as AWSPENDING for secret ${secretId} version ${token}`);
}

async function testSecret(secretId: string, token: string): Promise<void> {
  const res = await secretsManager.send(new GetSecretValueCommand({ SecretId: secretId, VersionId: token, VersionStage: 'AWSPENDING' }));
  if (!isMasterKey(res.SecretString ?? '')) {
    throw new Error(`testSecret: pending version ${token} of secret ${secretId} is not a valid LiteLLM master key`);
  }
}

async function finishSecret(secretId: string, token: string, metadata: DescribeSecretCommandOutput): Promise<void> {
  const currentVersion = Object.entries(metadata.VersionIdsToStages ?? {})
    .find(([, versionStages]) => versionStages.includes('AWSCURRENT'))?.[0];
  if (currentVersion === token) {
    console.log(`finishSecret: version ${token} already marked as AWSCURRENT for secret ${secretId}`);
    return;
  }
  await secretsManager.send(new UpdateSecretVersionStageCommand({
    SecretId: secretId,
    VersionStage: 'AWSCURRENT',
    MoveToVersionId: token,
    RemoveFromVersionId: currentVersion,
  }));
  console.log(`finishSecret: moved AWSCURRENT to version ${token} for secret ${secretId}`);
}

function isResourceNotFound(err: unknown): boolean {
  return (err as { name?: string } | undefined)?.name === 'ResourceNotFoundException';
}
