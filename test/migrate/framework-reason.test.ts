// The wait function's failure, carried to CloudFormation by aws-cdk-lib's own provider
// framework code (node_modules/aws-cdk-lib/custom-resources/lib/provider-framework/runtime):
// the framework adds the function's log group and the error's stack frames to the message
// and sends the whole JSON body, which CloudFormation refuses above 4,096 bytes.
import * as path from 'path';
import { CloudWatchLogsClient, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeTasksCommand, ECSClient } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as wait, WaitEvent } from '../../src/migrate/wait-task.lambda';

// The framework's outbound module builds its Lambda and Step Functions clients from these;
// aws-cdk-lib does not install them (the Lambda runtime has them). The calls are replaced below.
jest.mock('@aws-sdk/client-lambda', () => ({}), { virtual: true });
jest.mock('@aws-sdk/client-sfn', () => ({}), { virtual: true });

const RUNTIME = path.join(path.dirname(require.resolve('aws-cdk-lib')), 'custom-resources/lib/provider-framework/runtime');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const framework = require(path.join(RUNTIME, 'framework.js'));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const outbound = require(path.join(RUNTIME, 'outbound.js'));

const ecs = mockClient(ECSClient);
const logs = mockClient(CloudWatchLogsClient);
const CLUSTER = 'arn:aws:ecs:ap-southeast-2:111111111111:cluster/LiteLlmProductionServiceStack-LiteLlmServiceClusterA1B2C3D4-AbCdEfGhIjKl';
const TASK_ARN = `${CLUSTER.replace(':cluster/', ':task/')}/0123456789abcdef0123456789abcdef`;
// The longest names a real deploy can carry: a 64-character function name, a long stack name and logical id.
const FUNCTION_NAME = `LiteLlmProductionServiceSt-LiteLlmServiceMigrationWaitFu${'x'.repeat(8)}`;

/** Lambda's Node.js runtime turns a thrown error into this payload (aws-lambda-nodejs-runtime-interface-client Errors.js `toRapidResponse`). */
function lambdaErrorPayload(err: Error): Uint8Array {
  return Buffer.from(JSON.stringify({ errorType: err.name, errorMessage: err.message, trace: err.stack!.split('\n') }));
}

function event(): WaitEvent {
  return {
    RequestType: 'Create',
    ServiceToken: 'arn:aws:lambda:ap-southeast-2:111111111111:function:provider',
    ResponseURL: 'https://cloudformation-custom-resource-response-apsoutheast2.s3.ap-southeast-2.amazonaws.com/arn%3Aaws%3Acloudformation/x?X-Amz-Signature=abc',
    StackId: `arn:aws:cloudformation:ap-southeast-2:111111111111:stack/${'LiteLlmProductionServiceStack'.padEnd(128, 'X')}/0a1b2c3d-4e5f-6789-abcd-ef0123456789`,
    RequestId: '0a1b2c3d-4e5f-6789-abcd-ef0123456789',
    LogicalResourceId: `LiteLlmServiceMigration${'Resource'.padEnd(200, 'R')}A1B2C3D4`,
    PhysicalResourceId: 'litellm-migration',
    ResourceType: 'Custom::LiteLlmMigration',
    ResourceProperties: {
      ServiceToken: 'x',
      Cluster: CLUSTER,
      TaskDefinition: 'family:3',
      ContainerName: 'migrate',
      Subnets: ['subnet-a'],
      SecurityGroups: ['sg-a'],
      AssignPublicIp: 'DISABLED',
      LogGroup: 'LiteLlm-ServiceLogs',
      LogStreamPrefix: 'migrate',
    },
    Data: { TaskArn: TASK_ARN, StartedAt: String(Date.now()) },
  } as WaitEvent;
}

/** Runs the framework's isComplete over the wait function and returns the body it PUTs to CloudFormation. */
async function responseBody(): Promise<string> {
  const bodies: string[] = [];
  process.env.USER_IS_COMPLETE_FUNCTION_ARN = `arn:aws:lambda:ap-southeast-2:111111111111:function:${FUNCTION_NAME}`;
  jest.spyOn(outbound, 'invokeFunction').mockImplementation(async (req: any) => {
    try {
      return { Payload: Buffer.from(JSON.stringify(await wait(JSON.parse(req.Payload)))) };
    } catch (err) {
      return { FunctionError: 'Unhandled', Payload: lambdaErrorPayload(err as Error) };
    }
  });
  jest.spyOn(outbound, 'httpRequest').mockImplementation(async (_options: any, body: any) => { bodies.push(body); });
  await framework.isComplete(event());
  expect(bodies).toHaveLength(1);
  return bodies[0];
}

beforeEach(() => {
  ecs.reset();
  logs.reset();
  jest.spyOn(console, 'log').mockImplementation(() => {});
});

afterEach(() => jest.restoreAllMocks());

test('an emoji-heavy, multi-line, colourful log still gives CloudFormation a body under 4,096 bytes, with the newest lines and each line once', async () => {
  ecs.on(DescribeTasksCommand).resolves({ tasks: [{ taskArn: TASK_ARN, lastStatus: 'STOPPED', containers: [{ name: 'migrate', exitCode: 2 }] }] });
  logs.on(GetLogEventsCommand).resolves({
    events: Array.from({ length: 25 }, (_, i) => ({
      message: `\u001b[1;31mLiteLLM Proxy: ✅ 🚀 step ${i}\nprisma: ${'🔥'.repeat(60)}\n  détail ${'ü'.repeat(200)}\u001b[0m`,
    })),
  });

  const body = await responseBody();
  const json = JSON.parse(body);

  expect(Buffer.byteLength(body, 'utf8')).toBeLessThanOrEqual(4096);
  expect(json.Status).toBe('FAILED');
  expect(json.Reason).toMatch(/^The LiteLLM migration task 0123456789abcdef0123456789abcdef exited 2; nothing was deployed to the service\. Last lines of its log: /);
  expect(json.Reason).toContain('step 24 prisma: 🔥');
  expect(json.Reason).toContain(`Logs: /aws/lambda/${FUNCTION_NAME}`);
  // The message is one line, so the framework's stack lines do not repeat it.
  expect(json.Reason.split('step 24').length).toBe(2);
  expect(json.Reason).not.toContain('\u001b');
});

test('the same log written as before (lines joined by line breaks) repeats itself in the framework\'s reason', async () => {
  // What the framework does with a multi-line message: every line after the first comes again from the stack.
  jest.spyOn(outbound, 'invokeFunction').mockImplementation(async () => ({
    FunctionError: 'Unhandled', Payload: lambdaErrorPayload(new Error('head\nlog line 1\nlog line 2')),
  }));
  const bodies: string[] = [];
  jest.spyOn(outbound, 'httpRequest').mockImplementation(async (_options: any, body: any) => { bodies.push(body); });
  process.env.USER_IS_COMPLETE_FUNCTION_ARN = `arn:aws:lambda:ap-southeast-2:111111111111:function:${FUNCTION_NAME}`;

  await framework.isComplete(event());

  expect(JSON.parse(bodies[0]).Reason.split('log line 2').length).toBe(3);
});
