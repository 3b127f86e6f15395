// The production profile (WAF on, Multi-AZ, Fargate on demand) without a domain.
// Deletion protection is off so the run can destroy what it deployed, and the
// profile's snapshot and retain policies become Delete for this app only
// (leave-nothing.ts): a nightly run must not accumulate keys, secrets and snapshots.
import { IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Stack } from 'aws-cdk-lib';
import { assertAwsAtPath, assertProxyWorks, mockModel } from './assertions';
import { leaveNothingBehind } from './leave-nothing';
import { assertionStack, stackName } from './naming';
import { LiteLlmDeploymentProfile, LiteLlmPlatform } from '../src';

const app = new App();
const stack = new Stack(app, 'LiteLlmProduction', { stackName: stackName('LiteLlmProduction') });
const platform = new LiteLlmPlatform(stack, 'LiteLlm', {
  profile: LiteLlmDeploymentProfile.PRODUCTION,
  models: [mockModel()],
  database: { deletionProtection: false },
  // The integration account has no hosted zone for a certificate: plain HTTP, deliberately.
  loadBalancer: { deletionProtection: false, allowHttp: true },
});

const test = new IntegTest(app, 'LiteLlmProductionTest', {
  testCases: [stack],
  diffAssets: false,
  // Else integ-runner first deploys the committed snapshot: unsuffixed names that its destroy and
  // the pipeline's cleanup never delete, and no asset.* (not committed). integ-test-runner.js deploy().
  stackUpdateWorkflow: false,
  assertionStack: assertionStack(app, 'LiteLlmProduction'),
  cdkCommandOptions: { destroy: { args: { force: true } } },
});
assertProxyWorks(test, platform.url, platform.security);

// Each asserts one path: the whole responses exceed a custom resource's 4,096 bytes.
assertAwsAtPath(test, 'WAFV2', 'getWebACLForResource', { ResourceArn: platform.loadBalancer.loadBalancer.loadBalancerArn },
  'WebACL.ARN', platform.loadBalancer.webAcl!.attrArn);
const dbInstance = { DBInstanceIdentifier: platform.database.instance.instanceIdentifier };
assertAwsAtPath(test, 'RDS', 'describeDBInstances', dbInstance, 'DBInstances.0.MultiAZ', true);
assertAwsAtPath(test, 'RDS', 'describeDBInstances', dbInstance, 'DBInstances.0.StorageEncrypted', true);
// Not DeletionProtection: false. The handler reads a falsy actual value as missing
// (integ-tests-alpha lambda-handler/assertion.js decodeCall: `if (!call) return undefined`),
// so exact(false) can never pass; the run's own destroy fails if protection were on.

leaveNothingBehind(stack);
