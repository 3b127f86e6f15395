// The production profile (WAF on, Multi-AZ, Fargate on demand) without a domain.
// Deletion protection is off so the run can destroy what it deployed; the
// profile's snapshot and retain policies stay as users get them.
import { ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Stack } from 'aws-cdk-lib';
import { assertProxyWorks, mockModel } from './assertions';
import { assertionStack, stackName } from './naming';
import { DeploymentProfile, LiteLlmPlatform } from '../src';

const app = new App();
const stack = new Stack(app, 'LiteLlmProduction', { stackName: stackName('LiteLlmProduction') });
const platform = new LiteLlmPlatform(stack, 'LiteLlm', {
  profile: DeploymentProfile.PRODUCTION,
  models: [mockModel()],
  database: { deletionProtection: false },
  // The integration account has no hosted zone for a certificate: plain HTTP, deliberately.
  loadBalancer: { deletionProtection: false, allowHttp: true },
});

const test = new IntegTest(app, 'LiteLlmProductionTest', {
  testCases: [stack],
  diffAssets: false,
  assertionStack: assertionStack(app, 'LiteLlmProduction'),
  cdkCommandOptions: { destroy: { args: { force: true } } },
});
assertProxyWorks(test, platform.url, platform.security);

test.assertions.awsApiCall('WAFV2', 'getWebACLForResource', {
  ResourceArn: platform.loadBalancer.loadBalancer.loadBalancerArn,
}).expect(ExpectedResult.objectLike({ WebACL: { ARN: platform.loadBalancer.webAcl!.attrArn } }));

test.assertions.awsApiCall('RDS', 'describeDBInstances', {
  DBInstanceIdentifier: platform.database.instance.instanceIdentifier,
}).expect(ExpectedResult.objectLike({ DBInstances: [{ MultiAZ: true, StorageEncrypted: true, DeletionProtection: false }] }));
