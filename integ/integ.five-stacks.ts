// The five building blocks in five stacks, as the original hand-written
// CloudFormation had them: security (with the alarm topic), network, load balancer,
// database (with the cache next to it), service (with the dashboard and the outputs),
// as the README's split places them.
import { IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Stack } from 'aws-cdk-lib';
import { assertProxyWorks, mockModel } from './assertions';
import { fiveStacks } from './five-stacks-app';
import { leaveNothingBehind } from './leave-nothing';
import { assertionStack, stackName } from './naming';

const app = new App();
const { stacks, security, loadBalancer } = fiveStacks({
  stack: name => new Stack(app, `LiteLlmSplit${name}`, { stackName: stackName(`LiteLlmSplit${name}`) }),
  models: [mockModel()],
  loadBalancer: () => ({ encryptionKey: undefined }),
});

const test = new IntegTest(app, 'LiteLlmFiveStacksTest', {
  testCases: stacks,
  diffAssets: false,
  // Else integ-runner first deploys the committed snapshot: unsuffixed names that its destroy and
  // the pipeline's cleanup never delete, and no asset.* (not committed). integ-test-runner.js deploy().
  stackUpdateWorkflow: false,
  assertionStack: assertionStack(app, 'LiteLlmSplit'),
  cdkCommandOptions: { destroy: { args: { force: true } } },
});
assertProxyWorks(test, loadBalancer.url, security);
leaveNothingBehind(...stacks);
