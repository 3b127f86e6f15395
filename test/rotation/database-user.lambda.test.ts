// The database-user custom resource's handler: what it answers CloudFormation. The SQL
// it runs is tested against a real PostgreSQL in test/database-user.test.ts.
import {
  CancelRotateSecretCommand, DescribeSecretCommand, GetSecretValueCommand, ListSecretVersionIdsCommand, SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { PasswordRotationOffEvent, handler } from '../../src/rotation/database-user.lambda';
import { LocalPostgres } from '../boot/postgres';
import { databaseUserEvent } from '../support/database-user-event';

const sm = mockClient(SecretsManagerClient);
const SECRET_ID = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:litellm-db-AbCdEf';
const PASSWORD = 'master-password-never-answered';

const event = (requestType: 'Create' | 'Delete') => databaseUserEvent(requestType, SECRET_ID);

let pg: LocalPostgres;
let answers: any[];
let fetchSpy: jest.SpyInstance;

beforeAll(async () => {
  pg = await LocalPostgres.start();
}, 60_000);
afterAll(async () => pg?.stop());

beforeEach(() => {
  sm.reset();
  answers = [];
  fetchSpy = jest.spyOn(global, 'fetch').mockImplementation(async (_url, init) => {
    answers.push(JSON.parse(String(init!.body)));
    return new Response(null, { status: 200 });
  });
  jest.spyOn(console, 'error').mockImplementation(() => {});
});
afterEach(() => jest.restoreAllMocks());

test('Delete keeps the role and answers SUCCESS without reading the secret', async () => {
  await handler(event('Delete'));
  expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  expect(answers).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: 'database-user-litellm_proxy' })]);
});

test('a server whose certificate no trusted authority signed is refused: one FAILED answer, no password in it', async () => {
  // GIVEN: the local server's certificate is self-signed (RDS's chain to the Amazon RDS CAs)
  sm.on(GetSecretValueCommand, { SecretId: SECRET_ID }).resolves({
    SecretString: JSON.stringify({ host: pg.host, port: pg.port, username: pg.superuser, password: PASSWORD, dbname: 'postgres' }),
  });

  // WHEN
  await expect(handler(event('Create'))).resolves.toEqual({ PhysicalResourceId: 'database-user-litellm_proxy' });

  // THEN
  expect(fetchSpy).toHaveBeenCalledTimes(1);
  expect(answers).toEqual([expect.objectContaining({ Status: 'FAILED', Reason: expect.stringMatching(/self[- ]signed certificate/) })]);
  expect(JSON.stringify(answers)).not.toContain(PASSWORD);
});

describe('turning the password\'s automatic rotation off (Custom::LiteLlmPasswordRotationOff)', () => {
  const PHYSICAL_ID = `password-rotation-off-${SECRET_ID}`;
  function offEvent(requestType: 'Create' | 'Update' | 'Delete'): PasswordRotationOffEvent {
    const base = {
      ServiceToken: 'token',
      ResponseURL: 'https://example.com/response',
      StackId: 'stack',
      RequestId: 'req',
      LogicalResourceId: 'PasswordRotationOff',
      ResourceType: 'Custom::LiteLlmPasswordRotationOff',
      ResourceProperties: { ServiceToken: 'token', SecretId: SECRET_ID, Schedule: { HostedRotationLambda: { RotationType: 'PostgreSQLSingleUser' } } },
    };
    if (requestType === 'Create') return { ...base, RequestType: 'Create' };
    if (requestType === 'Update') return { ...base, RequestType: 'Update', PhysicalResourceId: PHYSICAL_ID, OldResourceProperties: base.ResourceProperties };
    return { ...base, RequestType: 'Delete', PhysicalResourceId: PHYSICAL_ID };
  }
  /** The secret's rotation flag and versions, each created `minutesAgo` before now. */
  const describeWith = (stages: Record<string, string[]>, rotationEnabled = true, minutesAgo = 1) => {
    sm.on(DescribeSecretCommand, { SecretId: SECRET_ID }).resolves({ ARN: SECRET_ID, RotationEnabled: rotationEnabled, VersionIdsToStages: stages });
    sm.on(ListSecretVersionIdsCommand, { SecretId: SECRET_ID }).resolves({
      ARN: SECRET_ID,
      Versions: Object.entries(stages).map(([id, labels]) => ({
        VersionId: id, VersionStages: labels, CreatedDate: new Date(Date.now() - minutesAgo * 60_000),
      })),
    });
  };

  test.each(['Create', 'Update'] as const)('%s cancels the rotation the secret keeps, and never reads the password', async requestType => {
    // GIVEN
    describeWith({ current: ['AWSCURRENT'], previous: ['AWSPREVIOUS'] });
    sm.on(CancelRotateSecretCommand).resolves({});

    // WHEN
    const result = await handler(offEvent(requestType));

    // THEN
    expect(result).toEqual({ PhysicalResourceId: PHYSICAL_ID });
    expect(sm.commandCalls(CancelRotateSecretCommand).map(c => c.args[0].input)).toEqual([{ SecretId: SECRET_ID }]);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(0);
    expect(answers).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: PHYSICAL_ID, LogicalResourceId: 'PasswordRotationOff' })]);
  });

  test('makes no call when rotation is already off', async () => {
    describeWith({ current: ['AWSCURRENT'] }, false);

    await handler(offEvent('Update'));

    expect(sm.commandCalls(CancelRotateSecretCommand)).toHaveLength(0);
    expect(answers).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: PHYSICAL_ID })]);
  });

  test('refuses to cancel a rotation under way (AWSPENDING created 2 minutes ago: it would strand it), and says what to do', async () => {
    describeWith({ current: ['AWSCURRENT'], pending: ['AWSPENDING'] }, true, 2);

    await handler(offEvent('Create'));

    expect(sm.commandCalls(CancelRotateSecretCommand)).toHaveLength(0);
    expect(answers).toEqual([expect.objectContaining({
      Status: 'FAILED',
      Reason: expect.stringMatching(new RegExp(`^Secret ${SECRET_ID} is rotating \\(version pending is AWSPENDING since [-\\d]+T[\\d:.]+Z\\), `
        + 'so its automatic rotation was not turned off: deploy again once the rotation has finished; a version still AWSPENDING 15 minutes '
        + 'after it was created is taken for the remains of a failed rotation, and the deploy then turns rotation off anyway$')),
    })]);
  });

  test('cancels despite a stale AWSPENDING (a rotation that failed a day ago), and logs how to clear the label', async () => {
    describeWith({ current: ['AWSCURRENT'], pending: ['AWSPENDING'] }, true, 24 * 60);
    sm.on(CancelRotateSecretCommand).resolves({});
    const log = jest.spyOn(console, 'log').mockImplementation(() => {});

    await handler(offEvent('Update'));

    expect(sm.commandCalls(CancelRotateSecretCommand).map(c => c.args[0].input)).toEqual([{ SecretId: SECRET_ID }]);
    expect(answers).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: PHYSICAL_ID })]);
    expect(log.mock.calls.map(args => args.join(' ')).join('\n'))
      .toContain(`aws secretsmanager update-secret-version-stage --secret-id ${SECRET_ID} --version-stage AWSPENDING --remove-from-version-id pending`);
  });

  test('Delete (rotation back on) leaves the secret to its schedule', async () => {
    await handler(offEvent('Delete'));

    expect(sm.calls()).toHaveLength(0);
    expect(answers).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: PHYSICAL_ID })]);
  });
});
