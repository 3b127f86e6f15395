// The database-user custom resource's handler: what it answers CloudFormation. The SQL
// it runs is tested against a real PostgreSQL in test/database-user.test.ts.
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { DatabaseUserEvent, handler } from '../../src/rotation/database-user.lambda';
import { LocalPostgres } from '../boot/postgres';

const sm = mockClient(SecretsManagerClient);
const SECRET_ID = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:litellm-db-AbCdEf';
const PASSWORD = 'master-password-never-answered';

function event(requestType: 'Create' | 'Delete'): DatabaseUserEvent {
  const base = {
    ServiceToken: 'token',
    ResponseURL: 'https://example.com/response',
    StackId: 'stack',
    RequestId: 'req',
    LogicalResourceId: 'ProxyUser',
    ResourceType: 'Custom::LiteLlmDatabaseUser',
    ResourceProperties: { ServiceToken: 'token', SecretId: SECRET_ID, UserName: 'litellm_proxy' },
  };
  return requestType === 'Create' ? { ...base, RequestType: 'Create' } : { ...base, RequestType: 'Delete', PhysicalResourceId: 'database-user-litellm_proxy' };
}

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
