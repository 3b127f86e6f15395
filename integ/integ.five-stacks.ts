// The five building blocks in five stacks, as the original hand-written
// CloudFormation had them: security, network, load balancer, database (with the
// cache next to it), service.
import { IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Stack } from 'aws-cdk-lib';
import { assertProxyWorks, mockModel } from './assertions';
import { LiteLlmCache, LiteLlmDatabase, LiteLlmLoadBalancer, LiteLlmNetwork, LiteLlmSecurity, LiteLlmService } from '../src';

const app = new App();
const securityStack = new Stack(app, 'LiteLlmSplitSecurity');
const networkStack = new Stack(app, 'LiteLlmSplitNetwork');
const loadBalancerStack = new Stack(app, 'LiteLlmSplitLoadBalancer');
const databaseStack = new Stack(app, 'LiteLlmSplitDatabase');
const serviceStack = new Stack(app, 'LiteLlmSplitService');

const models = [mockModel()];
const security = new LiteLlmSecurity(securityStack, 'Security');
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
new LiteLlmService(serviceStack, 'Service', { models, network, security, database, loadBalancer, cache });

const test = new IntegTest(app, 'LiteLlmFiveStacksTest', {
  testCases: [securityStack, networkStack, loadBalancerStack, databaseStack, serviceStack],
  diffAssets: false,
  cdkCommandOptions: { destroy: { args: { force: true } } },
});
assertProxyWorks(test, loadBalancer.url, security);
