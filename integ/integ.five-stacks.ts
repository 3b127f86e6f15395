// The five building blocks in five stacks, as the original hand-written
// CloudFormation had them: security (with the alarm topic), network, load balancer,
// database (with the cache next to it), service (with the dashboard and the outputs),
// as the README's split places them.
import { IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Stack } from 'aws-cdk-lib';
import { assertProxyWorks, mockModel } from './assertions';
import { leaveNothingBehind } from './leave-nothing';
import { assertionStack, stackName } from './naming';
import {
  LiteLlmCache, LiteLlmDatabase, LiteLlmLoadBalancer, LiteLlmMonitoring, LiteLlmNetwork, LiteLlmOutputs, LiteLlmSecurity, LiteLlmService,
} from '../src';

const app = new App();
const securityStack = new Stack(app, 'LiteLlmSplitSecurity', { stackName: stackName('LiteLlmSplitSecurity') });
const networkStack = new Stack(app, 'LiteLlmSplitNetwork', { stackName: stackName('LiteLlmSplitNetwork') });
const loadBalancerStack = new Stack(app, 'LiteLlmSplitLoadBalancer', { stackName: stackName('LiteLlmSplitLoadBalancer') });
const databaseStack = new Stack(app, 'LiteLlmSplitDatabase', { stackName: stackName('LiteLlmSplitDatabase') });
const serviceStack = new Stack(app, 'LiteLlmSplitService', { stackName: stackName('LiteLlmSplitService') });

const models = [mockModel()];
const security = new LiteLlmSecurity(securityStack, 'Security');
const alarmTopic = LiteLlmMonitoring.createAlarmTopic(securityStack, 'AlarmTopic', { encryptionKey: security.encryptionKey });
const network = new LiteLlmNetwork(networkStack, 'Network', { encryptionKey: security.encryptionKey });
const loadBalancer = new LiteLlmLoadBalancer(loadBalancerStack, 'LoadBalancer', {
  vpc: network.vpc,
  securityGroup: network.loadBalancerSecurityGroup,
});
const database = new LiteLlmDatabase(databaseStack, 'Database', {
  vpc: network.vpc,
  securityGroup: network.databaseSecurityGroup,
  rotationSecurityGroup: network.rotationSecurityGroup,
  encryptionKey: security.encryptionKey,
});
const cache = new LiteLlmCache(databaseStack, 'Cache', {
  vpc: network.vpc,
  securityGroup: network.cacheSecurityGroup,
  encryptionKey: security.encryptionKey,
});
const service = new LiteLlmService(serviceStack, 'Service', { models, network, security, database, loadBalancer, cache });
const monitoring = new LiteLlmMonitoring(serviceStack, 'Monitoring', {
  encryptionKey: security.encryptionKey,
  alarmTopic,
  service,
  database,
  loadBalancer,
  cache,
  additionalAlarms: [security.masterKeyRotationAlarm],
});
new LiteLlmOutputs(serviceStack, 'LiteLlm', { loadBalancer, security, service, monitoring });

const test = new IntegTest(app, 'LiteLlmFiveStacksTest', {
  testCases: [securityStack, networkStack, loadBalancerStack, databaseStack, serviceStack],
  diffAssets: false,
  // Else integ-runner first deploys the committed snapshot: unsuffixed names that its destroy and
  // the pipeline's cleanup never delete, and no asset.* (not committed). integ-test-runner.js deploy().
  stackUpdateWorkflow: false,
  assertionStack: assertionStack(app, 'LiteLlmSplit'),
  cdkCommandOptions: { destroy: { args: { force: true } } },
});
assertProxyWorks(test, loadBalancer.url, security);
leaveNothingBehind(securityStack, networkStack, loadBalancerStack, databaseStack, serviceStack);
