// The development profile with a mock model: deploys, answers, destroys.
import { IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Stack } from 'aws-cdk-lib';
import { assertProxyWorks, mockModel } from './assertions';
import { leaveNothingBehind } from './leave-nothing';
import { assertionStack, stackName } from './naming';
import { LiteLlmPlatform } from '../src';

const app = new App();
const stack = new Stack(app, 'LiteLlmDefault', { stackName: stackName('LiteLlmDefault') });
const platform = new LiteLlmPlatform(stack, 'LiteLlm', { models: [mockModel()] });

const test = new IntegTest(app, 'LiteLlmDefaultTest', {
  testCases: [stack],
  diffAssets: false,
  // Else integ-runner first deploys the committed snapshot: unsuffixed names that its destroy and
  // the pipeline's cleanup never delete, and no asset.* (not committed). integ-test-runner.js deploy().
  stackUpdateWorkflow: false,
  assertionStack: assertionStack(app, 'LiteLlmDefault'),
  cdkCommandOptions: { destroy: { args: { force: true } } },
});
assertProxyWorks(test, platform.url, platform.security);
leaveNothingBehind(stack);
