// The example platform `npx projen example` synthesizes and `npx projen local` runs: the
// default (DEVELOPMENT) profile with a Bedrock model and a mock model that answers
// without any provider key.
import { App, Stack } from 'aws-cdk-lib';
import { LiteLlmModel, LiteLlmPlatform } from '../src';

export const EXAMPLE_MOCK_MODEL = 'mock-gpt';

export function exampleApp(outdir?: string): { app: App; stack: Stack; platform: LiteLlmPlatform } {
  const app = new App({ outdir });
  const stack = new Stack(app, 'LiteLlmExample', { env: { account: '123456789012', region: 'us-east-1' } });
  const platform = new LiteLlmPlatform(stack, 'LiteLlm', {
    models: [
      LiteLlmModel.bedrock({ name: 'claude-sonnet', modelId: 'us.anthropic.claude-sonnet-4-20250514-v1:0' }),
      LiteLlmModel.mock({ name: EXAMPLE_MOCK_MODEL }),
    ],
  });
  return { app, stack, platform };
}
