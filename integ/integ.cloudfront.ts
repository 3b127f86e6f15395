// CloudFront in front: the DEVELOPMENT profile with CloudFront on and the load balancer's web
// ACL on (so the distribution runs the viewer-address function and the rate rule counts by the
// header it writes). Every call of the shared assertions goes to the distribution's https URL;
// the load balancer itself is internal, and the distribution waits at most 60 s for LiteLLM.
import { IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Stack } from 'aws-cdk-lib';
import { assertAwsAtPath, assertProxyWorks, mockModel } from './assertions';
import { leaveNothingBehind } from './leave-nothing';
import { assertionStack, stackName } from './naming';
import { LiteLlmPlatform } from '../src';

const app = new App();
const stack = new Stack(app, 'LiteLlmCloudFront', { stackName: stackName('LiteLlmCloudFront') });
const platform = new LiteLlmPlatform(stack, 'LiteLlm', {
  models: [mockModel()],
  cloudFront: { enabled: true },
  loadBalancer: { waf: { enabled: true } },
});
const cloudFront = platform.cloudFront!;

const test = new IntegTest(app, 'LiteLlmCloudFrontTest', {
  testCases: [stack],
  diffAssets: false,
  // Else integ-runner first deploys the committed snapshot: unsuffixed names that its destroy and
  // the pipeline's cleanup never delete, and no asset.* (not committed). integ-test-runner.js deploy().
  stackUpdateWorkflow: false,
  assertionStack: assertionStack(app, 'LiteLlmCloudFront'),
  cdkCommandOptions: { destroy: { args: { force: true } } },
});
// Health, readiness, the authenticated completion and the 401, all through https://<id>.cloudfront.net.
assertProxyWorks(test, cloudFront.url, platform.security);

// Each asserts one path: the whole responses exceed a custom resource's 4,096 bytes.
// 'ELBv2', not 'ElasticLoadBalancingV2': the assertion's IAM action comes from the name
// (aws-cdk-lib custom-resources helpers-internal sdk-info.js), and only the SDK v2 name maps to
// `elasticloadbalancing:`.
assertAwsAtPath(test, 'ELBv2', 'describeLoadBalancers', { LoadBalancerArns: [platform.loadBalancer.loadBalancer.loadBalancerArn] },
  'LoadBalancers.0.Scheme', 'internal');
assertAwsAtPath(test, 'WAFV2', 'getWebACLForResource', { ResourceArn: platform.loadBalancer.loadBalancer.loadBalancerArn },
  'WebACL.ARN', platform.loadBalancer.webAcl!.attrArn);
assertAwsAtPath(test, 'CloudFront', 'getDistributionConfig', { Id: cloudFront.distribution.distributionId },
  'DistributionConfig.Origins.Items.0.VpcOriginConfig.OriginReadTimeout', cloudFront.originResponseTimeout.toSeconds());

leaveNothingBehind(stack);
