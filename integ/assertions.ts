// Shared assertions of the integration scenarios (not an integ.* file, so
// integ-runner does not run it on its own).
import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { LiteLlmModel, LiteLlmSecurity } from '../src';

/** The mock model every scenario serves, and the text it answers with. */
export const MOCK_MODEL = 'mock-gpt';
export const MOCK_TEXT = 'pong from cdk-litellm integ';

export function mockModel(): LiteLlmModel {
  return LiteLlmModel.mock({ name: MOCK_MODEL, response: MOCK_TEXT });
}

/** Long enough for the first deployment: image pull, migrations, health checks. */
const WAIT = { totalTimeout: Duration.minutes(30), interval: Duration.seconds(30) };

/**
 * The function that makes the authenticated call. The assertion handler logs its whole event
 * and every SDK response (integ-tests-alpha lambda-handler/index.js `Event:`, sdk.js `SDK
 * response received`, http.js `request`), and a waiter passes the event to Step Functions as
 * execution input: a key read by an assertion and put in a header would be in all of them. This
 * function reads the key itself, calls the proxy, logs nothing, and returns only the status and
 * the answer's text, with any occurrence of the key removed. Its event holds no secret.
 */
export const CHAT_PROBE_CODE = `
const { SecretsManagerClient, GetSecretValueCommand } = require('@aws-sdk/client-secrets-manager');
const secrets = new SecretsManagerClient({});
exports.handler = async (event) => {
  const headers = { 'content-type': 'application/json' };
  let key = '';
  if (event && event.withKey === true) {
    const secret = await secrets.send(new GetSecretValueCommand({ SecretId: process.env.MASTER_KEY_SECRET_ARN }));
    key = secret.SecretString || '';
    headers.authorization = 'Bearer ' + key;
  }
  const response = await fetch(process.env.PROXY_URL + '/v1/chat/completions', {
    method: 'POST',
    headers,
    body: JSON.stringify({ model: process.env.MODEL, messages: [{ role: 'user', content: 'ping' }] }),
    signal: AbortSignal.timeout(20000),
  });
  const text = await response.text();
  let content = null;
  try { content = JSON.parse(text).choices[0].message.content; } catch (e) { content = null; }
  const clean = (s) => (typeof s === 'string' && key && s.includes(key) ? s.split(key).join('[master key]') : s);
  return { status: response.status, content: clean(content) };
};
`;

/**
 * The stack the assertions deploy into: the one passed as `assertionStack`, or integ-tests' own.
 * DeployAssert keeps it in its public `scope` field (integ-tests-alpha
 * lib/assertions/private/deploy-assert.d.ts); IDeployAssert does not declare it.
 */
function assertionsStackOf(test: IntegTest): Stack {
  const scope = (test.assertions as unknown as { scope?: unknown }).scope;
  if (!Stack.isStack(scope)) throw new Error('integ-tests-alpha no longer exposes the assertion stack as DeployAssert.scope');
  return scope;
}

/**
 * Health, readiness and an authenticated chat completion against `url`; the same
 * completion without the key must be refused.
 */
export function assertProxyWorks(test: IntegTest, url: string, security: LiteLlmSecurity): void {
  test.assertions.httpApiCall(`${url}/health/liveliness`)
    .expect(ExpectedResult.objectLike({ status: 200 }))
    .waitForAssertions(WAIT);

  test.assertions.httpApiCall(`${url}/health/readiness`)
    .expect(ExpectedResult.objectLike({ status: 200, body: { status: 'healthy', db: 'connected' } }))
    .waitForAssertions(WAIT);

  const stack = assertionsStackOf(test);
  const probe = new lambda.Function(stack, 'ChatProbe', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline(CHAT_PROBE_CODE),
    timeout: Duration.seconds(30),
    environment: { PROXY_URL: url, MASTER_KEY_SECRET_ARN: security.masterKeySecret.secretArn, MODEL: MOCK_MODEL },
    // Its own log group, deleted with the stack (a group Lambda creates outlives it).
    logGroup: new logs.LogGroup(stack, 'ChatProbeLogs', { retention: logs.RetentionDays.ONE_DAY, removalPolicy: RemovalPolicy.DESTROY }),
  });
  // Identity policy only: a grant through the key's policy would tie the security stack to this one.
  probe.addToRolePolicy(new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [security.masterKeySecret.secretArn] }));
  probe.addToRolePolicy(new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [security.encryptionKey.keyArn] }));

  test.assertions.invokeFunction({ functionName: probe.functionName, payload: JSON.stringify({ withKey: true }) })
    .expect(ExpectedResult.objectLike({ Payload: Match.serializedJson({ status: 200, content: MOCK_TEXT }) }))
    .waitForAssertions(WAIT);

  test.assertions.httpApiCall(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ model: MOCK_MODEL, messages: [{ role: 'user', content: 'ping' }] }),
  })
    .expect(ExpectedResult.objectLike({ status: 401 }))
    .waitForAssertions(WAIT);
}

/**
 * A custom resource's whole response may not exceed 4,096 bytes (CloudFormation User Guide,
 * crpg-ref-responses), and an assertion returns the API call's response with its result:
 * a DescribeDBInstances or GetWebACLForResource response is larger. `assertAtPath` flattens
 * the response and returns only the path asserted (integ-tests-alpha sdk.js assertAtPath,
 * lambda-handler/sdk.js filterKeys).
 */
export function assertAwsAtPath(
  test: IntegTest, service: string, api: string, parameters: Record<string, unknown>, path: string, expected: unknown,
): void {
  test.assertions.awsApiCall(service, api, parameters).assertAtPath(path, ExpectedResult.exact(expected));
}
