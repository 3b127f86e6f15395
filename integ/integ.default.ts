// The development profile with a mock model: deploys, answers, destroys.
import { IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Stack } from 'aws-cdk-lib';
import { assertProxyWorks, mockModel } from './assertions';
import { assertionStack, stackName } from './naming';
import { LiteLlmPlatform } from '../src';

const app = new App();
const stack = new Stack(app, 'LiteLlmDefault', { stackName: stackName('LiteLlmDefault') });
const platform = new LiteLlmPlatform(stack, 'LiteLlm', { models: [mockModel()] });

const test = new IntegTest(app, 'LiteLlmDefaultTest', {
  testCases: [stack],
  diffAssets: false,
  assertionStack: assertionStack(app, 'LiteLlmDefault'),
  cdkCommandOptions: { destroy: { args: { force: true } } },
});
assertProxyWorks(test, platform.url, platform.security);
