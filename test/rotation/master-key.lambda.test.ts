import {
  CancelRotateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent, SecretsManagerRotationEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { handler, isMasterKey, newMasterKey, withMissingFields } from '../../src/rotation/master-key.lambda';

const sm = mockClient(SecretsManagerClient);

const SECRET_ID = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:litellm-master-key-AbCdEf';
const TOKEN = 'token-new';
const CURRENT = 'token-current';
const VALID_KEY = `sk-${'a1B2'.repeat(12)}`;

function rotationEvent(step: string): SecretsManagerRotationEvent {
  return { SecretId: SECRET_ID, ClientRequestToken: TOKEN, Step: step } as SecretsManagerRotationEvent;
}

function describeWith(stages: Record<string, string[]>, rotationEnabled = true) {
  sm.on(DescribeSecretCommand).resolves({ ARN: SECRET_ID, RotationEnabled: rotationEnabled, VersionIdsToStages: stages });
}

function notFound() {
  return new ResourceNotFoundException({ message: 'not found', $metadata: {} });
}

function customResourceEvent(requestType: 'Create' | 'Update' | 'Delete'): CloudFormationCustomResourceEvent<{ SecretId: string }> {
  const base = {
    ServiceToken: 'token',
    ResponseURL: 'https://example.com',
    StackId: 'stack',
    RequestId: 'req',
    LogicalResourceId: 'MasterKey',
    ResourceType: 'Custom::LiteLLMMasterKey',
    ResourceProperties: { ServiceToken: 'token', SecretId: SECRET_ID },
  };
  if (requestType === 'Create') return { ...base, RequestType: 'Create' };
  if (requestType === 'Update') {
    return { ...base, RequestType: 'Update', PhysicalResourceId: `master-key-${SECRET_ID}`, OldResourceProperties: base.ResourceProperties };
  }
  return { ...base, RequestType: 'Delete', PhysicalResourceId: `master-key-${SECRET_ID}` };
}

let logSpies: jest.SpyInstance[];

function loggedText(): string {
  return logSpies.flatMap((spy) => spy.mock.calls).map((args) => args.map(String).join(' ')).join('\n');
}

beforeEach(() => {
  sm.reset();
  logSpies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((level) => jest.spyOn(console, level).mockImplementation(() => {}));
});

afterEach(() => {
  logSpies.forEach((spy) => spy.mockRestore());
});

/** Every answer the handler sends CloudFormation (its ResponseURL), parsed; reset for each test. */
function captureCloudFormationResponses(): any[] {
  const responses: any[] = [];
  let fetchSpy: jest.SpyInstance;
  beforeEach(() => {
    responses.length = 0;
    fetchSpy = jest.spyOn(global, 'fetch').mockImplementation(async (_url, init) => {
      responses.push(JSON.parse(String(init?.body)));
      return new Response(null, { status: 200 });
    });
  });
  afterEach(() => fetchSpy.mockRestore());
  return responses;
}

describe('newMasterKey', () => {
  test('produces sk- followed by 48 alphanumeric characters, distinct each time', () => {
    const keys = Array.from({ length: 100 }, () => newMasterKey());
    for (const key of keys) {
      expect(key).toMatch(/^sk-[A-Za-z0-9]{48}$/);
      expect(isMasterKey(key)).toBe(true);
    }
    expect(new Set(keys).size).toBe(100);
  });

  test('isMasterKey rejects malformed values', () => {
    expect(isMasterKey(VALID_KEY)).toBe(true);
    expect(isMasterKey('a1B2'.repeat(12))).toBe(false);
    expect(isMasterKey(`sk-${'a'.repeat(47)}`)).toBe(false);
    expect(isMasterKey(`sk-${'a'.repeat(49)}`)).toBe(false);
    expect(isMasterKey(`sk-${'a'.repeat(47)}-`)).toBe(false);
  });
});

describe('rotation', () => {
  test('createSecret stores a new master key as AWSPENDING', async () => {
    describeWith({ [CURRENT]: ['AWSCURRENT'], [TOKEN]: ['AWSPENDING'] });
    sm.on(GetSecretValueCommand).rejects(notFound());
    sm.on(PutSecretValueCommand).resolves({});

    await handler(rotationEvent('createSecret'));

    expect(sm.commandCalls(DescribeSecretCommand)[0].args[0].input).toEqual({ SecretId: SECRET_ID });
    expect(sm.commandCalls(GetSecretValueCommand)[0].args[0].input).toEqual({ SecretId: SECRET_ID, VersionId: TOKEN, VersionStage: 'AWSPENDING' });
    const puts = sm.commandCalls(PutSecretValueCommand);
    expect(puts).toHaveLength(1);
    const input = puts[0].args[0].input;
    expect(input).toEqual({
      SecretId: SECRET_ID,
      ClientRequestToken: TOKEN,
      SecretString: expect.stringMatching(/^sk-[A-Za-z0-9]{48}$/),
      VersionStages: ['AWSPENDING'],
    });
    expect(loggedText()).not.toContain(input.SecretString);
  });

  test('createSecret is idempotent when AWSPENDING already has a value', async () => {
    describeWith({ [CURRENT]: ['AWSCURRENT'], [TOKEN]: ['AWSPENDING'] });
    sm.on(GetSecretValueCommand).resolves({ SecretString: VALID_KEY, VersionId: TOKEN });

    await handler(rotationEvent('createSecret'));

    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
    expect(loggedText()).not.toContain(VALID_KEY);
  });

  test('createSecret propagates unexpected GetSecretValue errors', async () => {
    describeWith({ [TOKEN]: ['AWSPENDING'] });
    sm.on(GetSecretValueCommand).rejects(new Error('AccessDenied'));

    await expect(handler(rotationEvent('createSecret'))).rejects.toThrow('AccessDenied');
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  test('setSecret only validates the version', async () => {
    describeWith({ [CURRENT]: ['AWSCURRENT'], [TOKEN]: ['AWSPENDING'] });

    await handler(rotationEvent('setSecret'));

    expect(sm.calls()).toHaveLength(1);
    expect(sm.commandCalls(DescribeSecretCommand)).toHaveLength(1);
  });

  test('testSecret accepts a valid pending master key', async () => {
    describeWith({ [CURRENT]: ['AWSCURRENT'], [TOKEN]: ['AWSPENDING'] });
    sm.on(GetSecretValueCommand).resolves({ SecretString: VALID_KEY });

    await handler(rotationEvent('testSecret'));

    expect(sm.commandCalls(GetSecretValueCommand)[0].args[0].input).toEqual({ SecretId: SECRET_ID, VersionId: TOKEN, VersionStage: 'AWSPENDING' });
    expect(loggedText()).not.toContain(VALID_KEY);
  });

  test('testSecret fails on a value without the sk- prefix', async () => {
    describeWith({ [CURRENT]: ['AWSCURRENT'], [TOKEN]: ['AWSPENDING'] });
    const badValue = 'a1B2'.repeat(12);
    sm.on(GetSecretValueCommand).resolves({ SecretString: badValue });

    const result = handler(rotationEvent('testSecret'));
    await expect(result).rejects.toThrow(/not a valid LiteLLM master key/);
    await expect(result).rejects.not.toThrow(badValue);
  });

  test('finishSecret moves AWSCURRENT to the new version', async () => {
    describeWith({ [CURRENT]: ['AWSCURRENT'], [TOKEN]: ['AWSPENDING'] });
    sm.on(UpdateSecretVersionStageCommand).resolves({});

    await handler(rotationEvent('finishSecret'));

    const updates = sm.commandCalls(UpdateSecretVersionStageCommand);
    expect(updates).toHaveLength(1);
    expect(updates[0].args[0].input).toEqual({
      SecretId: SECRET_ID,
      VersionStage: 'AWSCURRENT',
      MoveToVersionId: TOKEN,
      RemoveFromVersionId: CURRENT,
    });
  });

  test('finishSecret makes no update when the version is already current', async () => {
    describeWith({ [TOKEN]: ['AWSCURRENT', 'AWSPENDING'], old: ['AWSPREVIOUS'] });

    await handler(rotationEvent('finishSecret'));

    expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
  });

  test('returns early when the version is already AWSCURRENT without AWSPENDING', async () => {
    describeWith({ [TOKEN]: ['AWSCURRENT'] });

    await handler(rotationEvent('finishSecret'));
    await handler(rotationEvent('createSecret'));

    expect(sm.commandCalls(UpdateSecretVersionStageCommand)).toHaveLength(0);
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  test('throws when rotation is disabled', async () => {
    describeWith({ [TOKEN]: ['AWSPENDING'] }, false);

    await expect(handler(rotationEvent('createSecret'))).rejects.toThrow(/not enabled for rotation/);
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  test('throws when the token is not staged', async () => {
    describeWith({ [CURRENT]: ['AWSCURRENT'] });

    await expect(handler(rotationEvent('createSecret'))).rejects.toThrow(/has no stage/);
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  });

  test('throws when the token is staged but not AWSPENDING', async () => {
    describeWith({ [CURRENT]: ['AWSCURRENT'], [TOKEN]: ['AWSPREVIOUS'] });

    await expect(handler(rotationEvent('finishSecret'))).rejects.toThrow(/not set as AWSPENDING/);
  });

  test('throws on an unknown step', async () => {
    describeWith({ [TOKEN]: ['AWSPENDING'] });

    await expect(handler(rotationEvent('bogusStep'))).rejects.toThrow('Unknown rotation step bogusStep');
  });
});

describe('custom resource', () => {
  let responses: { url: string; body: any }[];
  let fetchSpy: jest.SpyInstance;
  beforeEach(() => {
    responses = [];
    fetchSpy = jest.spyOn(global, 'fetch').mockImplementation(async (url, init) => {
      responses.push({ url: String(url), body: JSON.parse(String(init?.body)) });
      return new Response(null, { status: 200 });
    });
  });
  afterEach(() => fetchSpy.mockRestore());

  test('reports SUCCESS to the ResponseURL with the physical id and no key', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: 'generated' });
    sm.on(PutSecretValueCommand).resolves({});

    await handler(customResourceEvent('Create'));

    const key = sm.commandCalls(PutSecretValueCommand)[0].args[0].input.SecretString!;
    expect(responses).toEqual([{
      url: 'https://example.com',
      body: {
        Status: 'SUCCESS',
        Reason: 'OK',
        PhysicalResourceId: `master-key-${SECRET_ID}`,
        StackId: 'stack',
        RequestId: 'req',
        LogicalResourceId: 'MasterKey',
      },
    }]);
    expect(JSON.stringify(responses)).not.toContain(key);
  });

  test('reports FAILED with the reason exactly once and does not throw after answering (no Lambda retry)', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: 'generated' });
    sm.on(PutSecretValueCommand).rejects(new Error('AccessDenied: not allowed'));

    await expect(handler(customResourceEvent('Create'))).resolves.toEqual({ PhysicalResourceId: `master-key-${SECRET_ID}` });

    expect(responses).toHaveLength(1);
    expect(responses[0].body).toMatchObject({ Status: 'FAILED', Reason: 'AccessDenied: not allowed', PhysicalResourceId: `master-key-${SECRET_ID}` });
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(1);
  });

  test('answers exactly once on SUCCESS', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: 'generated' });
    sm.on(PutSecretValueCommand).resolves({});

    await handler(customResourceEvent('Create'));

    expect(fetchSpy).toHaveBeenCalledTimes(1);
    expect(responses[0].body.Status).toBe('SUCCESS');
  });

  test('throws only when CloudFormation refused the answer, so that a retry can answer', async () => {
    fetchSpy.mockImplementation(async () => new Response(null, { status: 403 }));
    sm.on(GetSecretValueCommand).resolves({ SecretString: VALID_KEY });

    await expect(handler(customResourceEvent('Create'))).rejects.toThrow('CloudFormation response was refused: HTTP 403');
  });

  test('Delete reports SUCCESS without any Secrets Manager call', async () => {
    await handler(customResourceEvent('Delete'));

    expect(sm.calls()).toHaveLength(0);
    expect(responses[0].body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: `master-key-${SECRET_ID}` });
  });

  test('Create writes an sk- value and returns no Data', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: '{"placeholder":"x"}' });
    sm.on(PutSecretValueCommand).resolves({});

    const result = await handler(customResourceEvent('Create'));

    expect(result).toEqual({ PhysicalResourceId: `master-key-${SECRET_ID}` });
    expect(sm.commandCalls(GetSecretValueCommand)[0].args[0].input).toEqual({ SecretId: SECRET_ID, VersionStage: 'AWSCURRENT' });
    const puts = sm.commandCalls(PutSecretValueCommand);
    expect(puts).toHaveLength(1);
    const input = puts[0].args[0].input;
    expect(input).toEqual({ SecretId: SECRET_ID, SecretString: expect.stringMatching(/^sk-[A-Za-z0-9]{48}$/) });
    expect(JSON.stringify(result)).not.toContain(input.SecretString);
    expect(loggedText()).not.toContain(input.SecretString);
  });

  test('Create writes a key when the secret has no current value', async () => {
    sm.on(GetSecretValueCommand).rejects(notFound());
    sm.on(PutSecretValueCommand).resolves({});

    await handler(customResourceEvent('Create'));

    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(1);
  });

  test('Create keeps an existing valid key', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: VALID_KEY });

    const result = await handler(customResourceEvent('Create'));

    expect(result).toEqual({ PhysicalResourceId: `master-key-${SECRET_ID}` });
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
    expect(loggedText()).not.toContain(VALID_KEY);
  });

  test('Update keeps a valid key and replaces an invalid one', async () => {
    sm.on(GetSecretValueCommand).resolvesOnce({ SecretString: VALID_KEY }).resolvesOnce({ SecretString: 'not-a-key' });
    sm.on(PutSecretValueCommand).resolves({});

    await handler(customResourceEvent('Update'));
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);

    await handler(customResourceEvent('Update'));
    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(1);
  });

  test('Delete makes no calls', async () => {
    const result = await handler(customResourceEvent('Delete'));

    expect(result).toEqual({ PhysicalResourceId: `master-key-${SECRET_ID}` });
    expect(sm.calls()).toHaveLength(0);
  });
});

describe('provider-key fields (Custom::LiteLlmProviderKeys)', () => {
  const PROVIDER_SECRET = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:litellm-provider-keys-AbCdEf';
  const PLACEHOLDER = 'REPLACE_WITH_THE_REAL_KEY';
  const responses = captureCloudFormationResponses();

  function event(requestType: 'Create' | 'Update' | 'Delete', fields: string[]): CloudFormationCustomResourceEvent<any> {
    const base = {
      ServiceToken: 'token',
      ResponseURL: 'https://example.com',
      StackId: 'stack',
      RequestId: 'req',
      LogicalResourceId: 'ProviderKeyFields',
      ResourceType: 'Custom::LiteLlmProviderKeys',
      ResourceProperties: { ServiceToken: 'token', SecretId: PROVIDER_SECRET, Fields: fields, Placeholder: PLACEHOLDER },
    };
    const physical = `provider-keys-${PROVIDER_SECRET}`;
    if (requestType === 'Create') return { ...base, RequestType: 'Create' };
    if (requestType === 'Update') return { ...base, RequestType: 'Update', PhysicalResourceId: physical, OldResourceProperties: base.ResourceProperties };
    return { ...base, RequestType: 'Delete', PhysicalResourceId: physical };
  }

  test('Create turns the empty object into one placeholder field per name', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: '{}' });
    sm.on(PutSecretValueCommand).resolves({});

    const result = await handler(event('Create', ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY']));

    expect(result).toEqual({ PhysicalResourceId: `provider-keys-${PROVIDER_SECRET}` });
    const puts = sm.commandCalls(PutSecretValueCommand);
    expect(puts).toHaveLength(1);
    expect(puts[0].args[0].input.SecretId).toBe(PROVIDER_SECRET);
    expect(JSON.parse(puts[0].args[0].input.SecretString!)).toEqual({ ANTHROPIC_API_KEY: PLACEHOLDER, OPENAI_API_KEY: PLACEHOLDER });
    expect(responses).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: `provider-keys-${PROVIDER_SECRET}` })]);
  });

  test('Update after a new model adds only its field and keeps the keys already pasted in', async () => {
    const pasted = { OPENAI_API_KEY: 'sk-proj-real-openai-key', EXTRA: 'kept' };
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(pasted) });
    sm.on(PutSecretValueCommand).resolves({});

    await handler(event('Update', ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY']));

    const written = JSON.parse(sm.commandCalls(PutSecretValueCommand)[0].args[0].input.SecretString!);
    expect(written).toEqual({ ...pasted, ANTHROPIC_API_KEY: PLACEHOLDER });
    expect(loggedText()).toContain('Added provider-key fields ANTHROPIC_API_KEY');
    expect(loggedText()).not.toContain('sk-proj-real-openai-key');
  });

  test('Update with every field present writes nothing', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify({ OPENAI_API_KEY: 'real', ANTHROPIC_API_KEY: 'real' }) });

    await handler(event('Update', ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY']));

    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
    expect(responses[0].Status).toBe('SUCCESS');
  });

  test('a secret that holds no JSON object fails the deploy with what to do, and is left alone', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: 'sk-pasted-as-plain-text' });

    await handler(event('Update', ['OPENAI_API_KEY']));

    expect(sm.commandCalls(PutSecretValueCommand)).toHaveLength(0);
    expect(responses).toEqual([expect.objectContaining({
      Status: 'FAILED',
      PhysicalResourceId: `provider-keys-${PROVIDER_SECRET}`,
      Reason: `Secret ${PROVIDER_SECRET} does not hold a JSON object of provider keys; put {"NAME": "key", ...} in it by hand, then deploy again`,
    })]);
    expect(JSON.stringify(responses)).not.toContain('sk-pasted-as-plain-text');
  });

  test('Delete leaves the secret alone', async () => {
    await handler(event('Delete', ['OPENAI_API_KEY']));

    expect(sm.calls()).toHaveLength(0);
    expect(responses[0].Status).toBe('SUCCESS');
  });

  test.each([
    ['an array', '["OPENAI_API_KEY"]'],
    ['a JSON string', '"text"'],
    ['null', 'null'],
  ])('withMissingFields refuses %s', (_name, value) => {
    expect(() => withMissingFields(value, ['A'], 'p', 'id')).toThrow('does not hold a JSON object');
  });

  test('withMissingFields treats a missing or empty value as an empty object', () => {
    expect(withMissingFields(undefined, ['A'], 'p', 'id')).toEqual({ value: '{"A":"p"}', added: ['A'] });
    expect(withMissingFields('  ', ['A'], 'p', 'id')).toEqual({ value: '{"A":"p"}', added: ['A'] });
    expect(withMissingFields('{"A":"x"}', ['A'], 'p', 'id')).toBeUndefined();
  });
});

describe('turning automatic rotation off (Custom::LiteLlmMasterKeyRotationOff)', () => {
  const responses = captureCloudFormationResponses();

  function event(requestType: 'Create' | 'Update' | 'Delete'): CloudFormationCustomResourceEvent<any> {
    const base = {
      ServiceToken: 'token',
      ResponseURL: 'https://example.com',
      StackId: 'stack',
      RequestId: 'req',
      LogicalResourceId: 'MasterKeyRotationOff',
      ResourceType: 'Custom::LiteLlmMasterKeyRotationOff',
      ResourceProperties: { ServiceToken: 'token', SecretId: SECRET_ID, Schedule: { RotationLambdaArn: 'arn:aws:lambda:us-east-1:111111111111:function:f' } },
    };
    const physical = `rotation-off-${SECRET_ID}`;
    if (requestType === 'Create') return { ...base, RequestType: 'Create' };
    if (requestType === 'Update') return { ...base, RequestType: 'Update', PhysicalResourceId: physical, OldResourceProperties: base.ResourceProperties };
    return { ...base, RequestType: 'Delete', PhysicalResourceId: physical };
  }

  test.each(['Create', 'Update'] as const)('%s cancels the rotation the secret still has after its schedule lost the rules', async requestType => {
    describeWith({ [CURRENT]: ['AWSCURRENT'] });
    versionsWith({ [CURRENT]: ['AWSCURRENT'] }, 1);
    sm.on(CancelRotateSecretCommand).resolves({});

    const result = await handler(event(requestType));

    expect(result).toEqual({ PhysicalResourceId: `rotation-off-${SECRET_ID}` });
    expect(sm.commandCalls(CancelRotateSecretCommand).map(c => c.args[0].input)).toEqual([{ SecretId: SECRET_ID }]);
    expect(responses).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: `rotation-off-${SECRET_ID}` })]);
  });

  test('makes no call when rotation is already off', async () => {
    describeWith({ [CURRENT]: ['AWSCURRENT'] }, false);

    await handler(event('Update'));

    expect(sm.commandCalls(CancelRotateSecretCommand)).toHaveLength(0);
    expect(responses[0].Status).toBe('SUCCESS');
  });

  /** The versions ListSecretVersionIds returns, each created `minutesAgo` before now. */
  function versionsWith(stages: Record<string, string[]>, minutesAgo: number) {
    sm.on(ListSecretVersionIdsCommand).resolves({
      ARN: SECRET_ID,
      Versions: Object.entries(stages).map(([id, labels]) => ({
        VersionId: id, VersionStages: labels, CreatedDate: new Date(Date.now() - minutesAgo * 60_000),
      })),
    });
  }

  test('refuses to cancel a rotation under way (AWSPENDING created a minute ago), and says what to do', async () => {
    describeWith({ [CURRENT]: ['AWSCURRENT'], [TOKEN]: ['AWSPENDING'] });
    versionsWith({ [CURRENT]: ['AWSCURRENT'], [TOKEN]: ['AWSPENDING'] }, 1);

    await handler(event('Create'));

    expect(sm.commandCalls(CancelRotateSecretCommand)).toHaveLength(0);
    expect(responses).toEqual([expect.objectContaining({
      Status: 'FAILED',
      Reason: expect.stringMatching(new RegExp(`^Secret ${SECRET_ID} is rotating \\(version ${TOKEN} is AWSPENDING since .+\\), so its automatic rotation was not turned off: `
        + 'deploy again once the rotation has finished; a version still AWSPENDING 15 minutes after it was created')),
    })]);
  });

  test('cancels despite a stale AWSPENDING (a rotation that failed days ago), and logs the command that clears it', async () => {
    describeWith({ [CURRENT]: ['AWSCURRENT'], [TOKEN]: ['AWSPENDING'] });
    versionsWith({ [CURRENT]: ['AWSCURRENT'], [TOKEN]: ['AWSPENDING'] }, 3 * 24 * 60);
    sm.on(CancelRotateSecretCommand).resolves({});

    await handler(event('Update'));

    expect(sm.commandCalls(CancelRotateSecretCommand).map(c => c.args[0].input)).toEqual([{ SecretId: SECRET_ID }]);
    expect(responses).toEqual([expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: `rotation-off-${SECRET_ID}` })]);
    expect(loggedText()).toContain(`aws secretsmanager update-secret-version-stage --secret-id ${SECRET_ID} --version-stage AWSPENDING --remove-from-version-id ${TOKEN}`);
  });

  test('Delete (rotation back on) leaves the secret to its schedule', async () => {
    await handler(event('Delete'));

    expect(sm.calls()).toHaveLength(0);
    expect(responses[0].Status).toBe('SUCCESS');
  });
});
