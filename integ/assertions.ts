// Shared assertions of the integration scenarios (not an integ.* file, so
// integ-runner does not run it on its own).
import { ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { Duration } from 'aws-cdk-lib';
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

  const masterKey = test.assertions.awsApiCall('SecretsManager', 'getSecretValue', {
    SecretId: security.masterKeySecret.secretArn,
  }, ['SecretString']);
  masterKey.provider.addToRolePolicy({
    Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: [security.masterKeySecret.secretArn],
  });
  masterKey.provider.addToRolePolicy({
    Effect: 'Allow', Action: ['kms:Decrypt'], Resource: [security.encryptionKey.keyArn],
  });

  const chat = (headers: Record<string, string>) => ({
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify({ model: MOCK_MODEL, messages: [{ role: 'user', content: 'ping' }] }),
  });
  test.assertions.httpApiCall(`${url}/v1/chat/completions`, chat({ Authorization: `Bearer ${masterKey.getAttString('SecretString')}` }))
    .expect(ExpectedResult.objectLike({ status: 200, body: { choices: [{ message: { content: MOCK_TEXT } }] } }))
    .waitForAssertions(WAIT);

  test.assertions.httpApiCall(`${url}/v1/chat/completions`, chat({}))
    .expect(ExpectedResult.objectLike({ status: 401 }))
    .waitForAssertions(WAIT);
}
