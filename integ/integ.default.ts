import { IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Stack } from 'aws-cdk-lib';
import { LiteLlmModel, LiteLlmPlatform } from '../src';

const app = new App();
const stack = new Stack(app, 'LiteLlmDefault');
new LiteLlmPlatform(stack, 'LiteLlm', {
  models: [LiteLlmModel.mock({ name: 'mock-gpt' })],
});
new IntegTest(app, 'LiteLlmDefaultTest', { testCases: [stack] });
