import { ECSClient, ServiceNotFoundException, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { forceNewDeployment } from '../../src/rotation/ecs-redeploy';
import { handler, RotationSucceededEvent } from '../../src/rotation/redeploy.lambda';

const ecs = mockClient(ECSClient);

const CLUSTER_ARN = 'arn:aws:ecs:us-east-1:111111111111:cluster/litellm';
const SERVICE_NAME = 'litellm-proxy';
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:111111111111:secret:litellm-master-key-AbCdEf';

const event: RotationSucceededEvent = {
  'version': '0',
  'id': 'event-id',
  'detail-type': 'AWS Service Event via CloudTrail',
  'source': 'aws.secretsmanager',
  'account': '111111111111',
  'time': '2024-01-01T00:00:00Z',
  'region': 'us-east-1',
  'resources': [],
  'detail': {
    eventName: 'RotationSucceeded',
    additionalEventData: { SecretId: SECRET_ARN },
  },
};

function throttled(): Error {
  return Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
}

const savedEnv = { ...process.env };
let logSpy: jest.SpyInstance;

beforeEach(() => {
  ecs.reset();
  process.env.CLUSTER_ARN = CLUSTER_ARN;
  process.env.SERVICE_NAME = SERVICE_NAME;
  process.env.REDEPLOY_BASE_DELAY_MS = '0';
  logSpy = jest.spyOn(console, 'log').mockImplementation(() => {});
});

afterEach(() => {
  process.env = { ...savedEnv };
  logSpy.mockRestore();
});

describe('redeploy handler', () => {
  test('forces a new deployment of the configured service', async () => {
    ecs.on(UpdateServiceCommand).resolves({
      service: { deployments: [{ id: 'ecs-svc/123', status: 'PRIMARY' }, { id: 'ecs-svc/old', status: 'ACTIVE' }] },
    });

    const result = await handler(event);

    const calls = ecs.commandCalls(UpdateServiceCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0].args[0].input).toEqual({ cluster: CLUSTER_ARN, service: SERVICE_NAME, forceNewDeployment: true });
    expect(result).toEqual({ deploymentId: 'ecs-svc/123' });
    const logged = logSpy.mock.calls.map((args) => String(args[0])).join('\n');
    expect(logged).toContain(SECRET_ARN);
    expect(logged).toContain('ecs-svc/123');
  });

  test.each(['CLUSTER_ARN', 'SERVICE_NAME'])('missing %s fails with an error naming it', async (name) => {
    delete process.env[name];

    await expect(handler(event)).rejects.toThrow(name);
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
  });

  test('ServiceNotFoundException names the cluster and service without retrying', async () => {
    ecs.on(UpdateServiceCommand).rejects(new ServiceNotFoundException({ message: 'Service not found.', $metadata: {} }));

    const result = handler(event);
    await expect(result).rejects.toThrow(CLUSTER_ARN);
    await expect(result).rejects.toThrow(SERVICE_NAME);
    await expect(result).rejects.toThrow(/not found or is not active/);
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(1);
  });

  test('retries throttling and then succeeds', async () => {
    ecs.on(UpdateServiceCommand)
      .rejectsOnce(throttled())
      .rejectsOnce(throttled())
      .resolves({ service: { deployments: [{ id: 'ecs-svc/456' }] } });

    await expect(handler(event)).resolves.toEqual({ deploymentId: 'ecs-svc/456' });
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(3);
  });

  test('gives up after the default number of attempts when always throttled', async () => {
    ecs.on(UpdateServiceCommand).rejects(throttled());

    await expect(handler(event)).rejects.toThrow('Rate exceeded');
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(5);
  });

  test('propagates other errors unchanged', async () => {
    const error = Object.assign(new Error('boom'), { name: 'InvalidParameterException' });
    ecs.on(UpdateServiceCommand).rejects(error);

    await expect(handler(event)).rejects.toBe(error);
    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(1);
  });
});

describe('forceNewDeployment', () => {
  test('backs off exponentially and rejects after the given attempts', async () => {
    const throttledByStatus = Object.assign(new Error('Too Many Requests'), { $metadata: { httpStatusCode: 429 } });
    ecs.on(UpdateServiceCommand).rejects(throttledByStatus);
    const sleep = jest.fn(async (_ms: number) => {});

    await expect(forceNewDeployment(new ECSClient({}), 'c', 's', { attempts: 3, baseDelayMs: 100, sleep })).rejects.toThrow('Too Many Requests');

    expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(3);
    expect(sleep.mock.calls.map(([ms]) => ms)).toEqual([100, 200]);
  });
});
