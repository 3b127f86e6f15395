// cancelRotation (src/rotation/cancel-rotation.ts), behind Custom::LiteLlmPasswordRotationOff and
// Custom::LiteLlmMasterKeyRotationOff: when it refuses, when it cancels, and that a rollback's
// Update is never refused. The two handlers' own tests (test/rotation/*.lambda.test.ts) run it
// through CloudFormation's request and answer.
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  CancelRotateSecretCommand,
  DescribeSecretCommand,
  ListSecretVersionIdsCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { ROTATION_UNDER_WAY_MS, cancelRotation } from '../../src/rotation/cancel-rotation';

const sm = mockClient(SecretsManagerClient);
const cfn = mockClient(CloudFormationClient);
const client = new SecretsManagerClient({});

const SECRET_ID = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:litellm-master-key-AbCdEf';
const STACK_ID = 'arn:aws:cloudformation:us-east-1:111111111111:stack/LiteLlm/0a1b2c3d-4e5f-6789-abcd-ef0123456789';
const CREATE = { RequestType: 'Create', StackId: STACK_ID };
const UPDATE = { RequestType: 'Update', StackId: STACK_ID };
const NOW = new Date('2026-12-07T06:00:00Z');
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000);
const CLEAN_STALE = `aws secretsmanager update-secret-version-stage --secret-id ${SECRET_ID} --version-stage AWSPENDING --remove-from-version-id pending`;

let logged: string[];

beforeEach(() => {
  sm.reset();
  cfn.reset();
  jest.spyOn(Date, 'now').mockReturnValue(NOW.getTime());
  logged = [];
  jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => { logged.push(args.map(String).join(' ')); });
  sm.on(DescribeSecretCommand, { SecretId: SECRET_ID }).resolves({ ARN: SECRET_ID, RotationEnabled: true });
  sm.on(CancelRotateSecretCommand).resolves({ ARN: SECRET_ID });
});
afterEach(() => jest.restoreAllMocks());

/** The secret's versions: the current one and, when given, one labelled AWSPENDING only, created at `pendingCreated`. */
function versionsWith(pendingCreated?: Date) {
  sm.on(ListSecretVersionIdsCommand, { SecretId: SECRET_ID }).resolves({
    ARN: SECRET_ID,
    Versions: [
      { VersionId: 'current', VersionStages: ['AWSCURRENT'], CreatedDate: minutesAgo(60 * 24 * 30) },
      ...(pendingCreated ? [{ VersionId: 'pending', VersionStages: ['AWSPENDING'], CreatedDate: pendingCreated }] : []),
    ],
  });
}

const stackStatus = (status: string) => cfn.on(DescribeStacksCommand, { StackName: STACK_ID }).resolves({
  Stacks: [{ StackName: 'LiteLlm', StackId: STACK_ID, StackStatus: status as any, CreationTime: minutesAgo(600) }],
});

test('the bound is 15 minutes, the longest one invocation of a rotation function can run', () => {
  expect(ROTATION_UNDER_WAY_MS).toBe(900_000);
});

test('no AWSPENDING-only version: cancels, and asks CloudFormation nothing', async () => {
  versionsWith(undefined);

  await cancelRotation(client, SECRET_ID, UPDATE);

  expect(sm.commandCalls(CancelRotateSecretCommand).map(c => c.args[0].input)).toEqual([{ SecretId: SECRET_ID }]);
  expect(cfn.calls()).toHaveLength(0);
  expect(logged).toEqual([`Turned automatic rotation of secret ${SECRET_ID} off`]);
});

test('AWSPENDING on the AWSCURRENT version (a finished rotation) is no rotation under way', async () => {
  sm.on(ListSecretVersionIdsCommand).resolves({ Versions: [{ VersionId: 'current', VersionStages: ['AWSCURRENT', 'AWSPENDING'], CreatedDate: minutesAgo(1) }] });

  await cancelRotation(client, SECRET_ID, CREATE);

  expect(sm.commandCalls(CancelRotateSecretCommand)).toHaveLength(1);
});

test.each([
  ['Create', CREATE, 'CREATE_IN_PROGRESS'],
  ['Update', UPDATE, 'UPDATE_IN_PROGRESS'],
])('a rotation under way (AWSPENDING created 5 minutes ago), %s: refused, and the message says what to do', async (_name, request, status) => {
  versionsWith(minutesAgo(5));
  stackStatus(status);

  await expect(cancelRotation(client, SECRET_ID, request)).rejects.toThrow(new Error(
    `Secret ${SECRET_ID} is rotating (version pending is AWSPENDING since ${minutesAgo(5).toISOString()}), so its automatic rotation was not turned off: `
    + 'deploy again once the rotation has finished; a version still AWSPENDING 15 minutes after it was created '
    + 'is taken for the remains of a failed rotation, and the deploy then turns rotation off anyway'));

  expect(sm.commandCalls(CancelRotateSecretCommand)).toHaveLength(0);
  expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
});

test('a Create is refused without asking CloudFormation: its rollback is a Delete', async () => {
  versionsWith(minutesAgo(5));

  await expect(cancelRotation(client, SECRET_ID, CREATE)).rejects.toThrow(/is rotating/);

  expect(cfn.calls()).toHaveLength(0);
});

test('just under 15 minutes is still under way; at 15 minutes it is stale', async () => {
  versionsWith(new Date(NOW.getTime() - ROTATION_UNDER_WAY_MS + 1_000));
  await expect(cancelRotation(client, SECRET_ID, CREATE)).rejects.toThrow(/is rotating/);

  sm.reset();
  sm.on(DescribeSecretCommand).resolves({ RotationEnabled: true });
  sm.on(CancelRotateSecretCommand).resolves({});
  versionsWith(new Date(NOW.getTime() - ROTATION_UNDER_WAY_MS));
  await cancelRotation(client, SECRET_ID, CREATE);
  expect(sm.commandCalls(CancelRotateSecretCommand)).toHaveLength(1);
});

test('a version with no creation date is taken as under way', async () => {
  sm.on(ListSecretVersionIdsCommand).resolves({ Versions: [{ VersionId: 'pending', VersionStages: ['AWSPENDING'] }] });

  await expect(cancelRotation(client, SECRET_ID, CREATE)).rejects.toThrow(`Secret ${SECRET_ID} is rotating (version pending is AWSPENDING), so`);
});

test('a stale AWSPENDING (left 3 days ago by a failed rotation): cancelled anyway, the label left, and the command to remove it logged', async () => {
  versionsWith(minutesAgo(3 * 24 * 60));

  await cancelRotation(client, SECRET_ID, UPDATE);

  expect(sm.commandCalls(CancelRotateSecretCommand).map(c => c.args[0].input)).toEqual([{ SecretId: SECRET_ID }]);
  expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
  expect(cfn.calls()).toHaveLength(0);
  expect(logged).toEqual([
    `Version pending of secret ${SECRET_ID} has been AWSPENDING since ${minutesAgo(3 * 24 * 60).toISOString()}: a rotation that did not finish left it. `
    + 'Turning automatic rotation off anyway. Before turning rotation on again (RotateSecret fails while that label is there), remove it with '
    + `${CLEAN_STALE} (if the rotation had already set that version's value in the database or service, move AWSCURRENT to it instead, `
    + '--version-stage AWSCURRENT --move-to-version-id pending)',
    `Turned automatic rotation of secret ${SECRET_ID} off`,
  ]);
});

test('finds the AWSPENDING version on a later page (a page may be empty and still carry NextToken)', async () => {
  sm.on(ListSecretVersionIdsCommand, { SecretId: SECRET_ID, NextToken: undefined }).resolves({ Versions: [], NextToken: 't1' });
  sm.on(ListSecretVersionIdsCommand, { SecretId: SECRET_ID, NextToken: 't1' }).resolves({
    Versions: [{ VersionId: 'pending', VersionStages: ['AWSPENDING'], CreatedDate: minutesAgo(2) }],
  });

  await expect(cancelRotation(client, SECRET_ID, CREATE)).rejects.toThrow(/version pending is AWSPENDING/);

  expect(sm.commandCalls(ListSecretVersionIdsCommand).map(c => c.args[0].input.NextToken)).toEqual([undefined, 't1']);
});

describe('a rollback\'s Update is never refused (the stack would end UPDATE_ROLLBACK_FAILED)', () => {
  test('rolling back with a rotation under way: rotation left on, SUCCESS, and the command to turn it off logged', async () => {
    versionsWith(minutesAgo(2));
    stackStatus('UPDATE_ROLLBACK_IN_PROGRESS');

    await expect(cancelRotation(client, SECRET_ID, UPDATE)).resolves.toBeUndefined();

    expect(sm.commandCalls(CancelRotateSecretCommand)).toHaveLength(0);
    expect(cfn.commandCalls(DescribeStacksCommand).map(c => c.args[0].input)).toEqual([{ StackName: STACK_ID }]);
    expect(logged.join('\n')).toContain(`once the rotation has finished, turn it off with aws secretsmanager cancel-rotate-secret --secret-id ${SECRET_ID}`);
  });

  test('a stack whose status cannot be read (no route to CloudFormation from the VPC) counts as rolling back', async () => {
    versionsWith(minutesAgo(2));
    cfn.on(DescribeStacksCommand).rejects(Object.assign(new Error('connect ETIMEDOUT'), { name: 'TimeoutError' }));

    await expect(cancelRotation(client, SECRET_ID, UPDATE)).resolves.toBeUndefined();

    expect(sm.commandCalls(CancelRotateSecretCommand)).toHaveLength(0);
    expect(logged[0]).toBe(`Could not read the status of stack ${STACK_ID} (TimeoutError: connect ETIMEDOUT)`);
  });

  test('a stale AWSPENDING in a rollback is cancelled like any other', async () => {
    versionsWith(minutesAgo(20));
    stackStatus('UPDATE_ROLLBACK_IN_PROGRESS');

    await cancelRotation(client, SECRET_ID, UPDATE);

    expect(sm.commandCalls(CancelRotateSecretCommand)).toHaveLength(1);
    expect(cfn.calls()).toHaveLength(0);
  });
});

test('rotation already off: no listing, no cancel', async () => {
  sm.on(DescribeSecretCommand).resolves({ RotationEnabled: false });

  await cancelRotation(client, SECRET_ID, UPDATE);

  expect(sm.commandCalls(ListSecretVersionIdsCommand)).toHaveLength(0);
  expect(sm.commandCalls(CancelRotateSecretCommand)).toHaveLength(0);
  expect(logged).toEqual([`Automatic rotation of secret ${SECRET_ID} is already off`]);
});
