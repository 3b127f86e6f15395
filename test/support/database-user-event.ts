// The event CloudFormation sends the database-user custom resource (Custom::LiteLlmDatabaseUser),
// for the handler's tests against a mocked client (test/rotation/database-user.lambda.test.ts)
// and a real PostgreSQL (test/database-user.test.ts).
import { DatabaseUserEvent } from '../../src/rotation/database-user.lambda';

export interface DatabaseUserEventOptions {
  /** The role the resource creates. @default 'litellm_proxy' */
  readonly userName?: string;
  /** Properties beyond ServiceToken, SecretId and UserName (an Update's new ones). */
  readonly properties?: Record<string, string>;
  /** An Update's old properties beyond ServiceToken, SecretId and UserName. */
  readonly oldProperties?: Record<string, string>;
}

export function databaseUserEvent(requestType: 'Create' | 'Update' | 'Delete', secretId: string, o: DatabaseUserEventOptions = {}): DatabaseUserEvent {
  const userName = o.userName ?? 'litellm_proxy';
  const properties = { ServiceToken: 'token', SecretId: secretId, UserName: userName };
  const base = {
    ServiceToken: 'token',
    ResponseURL: 'https://example.com/response',
    StackId: 'stack',
    RequestId: 'req',
    LogicalResourceId: 'ProxyUser',
    ResourceType: 'Custom::LiteLlmDatabaseUser',
    ResourceProperties: { ...properties, ...o.properties },
  };
  const physicalResourceId = `database-user-${userName}`;
  if (requestType === 'Create') return { ...base, RequestType: 'Create' };
  if (requestType === 'Update') return { ...base, RequestType: 'Update', PhysicalResourceId: physicalResourceId, OldResourceProperties: { ...properties, ...o.oldProperties } };
  return { ...base, RequestType: 'Delete', PhysicalResourceId: physicalResourceId };
}
