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
import { cancelRotation } from './cancel-rotation';
import { answerCloudFormation } from './cfn-response';

export interface MasterKeyResourceProperties {
  readonly SecretId: string;
  /** Only for `Custom::LiteLlmProviderKeys`: the fields the provider-keys secret must have. */
  readonly Fields?: string[];
  /** Only for `Custom::LiteLlmProviderKeys`: the value a new field starts with. */
  readonly Placeholder?: string;
  /** Only for `Custom::LiteLlmMasterKeyRotationOff`: the schedule's inputs, not read (a change reruns the cancel). */
  readonly Schedule?: unknown;
}

export type MasterKeyCustomResourceEvent = CloudFormationCustomResourceEvent<MasterKeyResourceProperties>;

/** Resource type of the custom resource that adds missing provider-key fields. */
export const PROVIDER_KEYS_RESOURCE_TYPE = 'Custom::LiteLlmProviderKeys';
/** Resource type of the custom resource that turns automatic rotation off (`masterKeyRotation.enabled: false`). */
export const ROTATION_OFF_RESOURCE_TYPE = 'Custom::LiteLlmMasterKeyRotationOff';

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
    return answerCloudFormation(event, physicalIdOf(event), () => onCustomResource(event));
  }
  return rotate(event);
}

function physicalIdOf(event: MasterKeyCustomResourceEvent): string {
  const prefix = event.ResourceType === PROVIDER_KEYS_RESOURCE_TYPE ? 'provider-keys'
    : event.ResourceType === ROTATION_OFF_RESOURCE_TYPE ? 'rotation-off' : 'master-key';
  return `${prefix}-${event.ResourceProperties.SecretId}`;
}

async function onCustomResource(event: MasterKeyCustomResourceEvent): Promise<MasterKeyCustomResourceResult> {
  if (event.RequestType === 'Delete') {
    return { PhysicalResourceId: event.PhysicalResourceId };
  }
  if (event.ResourceType === PROVIDER_KEYS_RESOURCE_TYPE) {
    return ensureProviderKeyFields(event);
  }
  if (event.ResourceType === ROTATION_OFF_RESOURCE_TYPE) {
    await cancelRotation(secretsManager, event.ResourceProperties.SecretId, event);
    return { PhysicalResourceId: physicalIdOf(event) };
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

/**
 * Adds each missing provider-key field with the placeholder and never touches a field
 * that exists: the template holds no field list, so adding a model cannot wipe the
 * keys operators pasted in.
 */
async function ensureProviderKeyFields(event: MasterKeyCustomResourceEvent): Promise<MasterKeyCustomResourceResult> {
  const { SecretId: secretId, Fields: fields = [], Placeholder: placeholder = '' } = event.ResourceProperties;
  const updated = withMissingFields(await currentValue(secretId), fields, placeholder, secretId);
  if (updated === undefined) {
    console.log(`Secret ${secretId} already has every provider-key field`);
  } else {
    await secretsManager.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: updated.value }));
    console.log(`Added provider-key fields ${updated.added.join(', ')} to secret ${secretId}`);
  }
  return { PhysicalResourceId: physicalIdOf(event) };
}

/** The secret's JSON with `fields` added where missing, or undefined when none is. */
export function withMissingFields(
  current: string | undefined, fields: string[], placeholder: string, secretId: string,
): { value: string; added: string[] } | undefined {
  const object = current === undefined || current.trim() === '' ? {} : jsonObject(current);
  if (!object) {
    throw new Error(`Secret ${secretId} does not hold a JSON object of provider keys; `
      + 'put {"NAME": "key", ...} in it by hand, then deploy again');
  }
  const added = fields.filter(f => !(f in object));
  if (added.length === 0) return undefined;
  return { value: JSON.stringify({ ...object, ...Object.fromEntries(added.map(f => [f, placeholder])) }), added };
}

function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
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
