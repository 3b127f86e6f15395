// cdk-nag over the platforms users deploy: zero unacknowledged findings. Every
// acknowledgement lives next to the resource it covers, with its reason (README).
import { aws_ec2 as ec2 } from 'aws-cdk-lib';
import { nagFindings } from './support/nag';
import { SCENARIOS, productionPlatform } from './support/scenarios';

describe('AwsSolutionsChecks', () => {
  test.each(Object.keys(SCENARIOS))('%s has no unacknowledged findings', (name) => {
    const { app, stacks } = SCENARIOS[name]();
    expect(stacks.flatMap(stack => nagFindings(app, 'AwsSolutions', stack))).toEqual([]);
  });
});

describe('NIST80053R5Checks', () => {
  const production = Object.keys(SCENARIOS).filter(name => /PRODUCTION|internal/.test(name));

  test('covers every PRODUCTION setup, with and without a region', () => {
    expect(production).toHaveLength(6);
  });

  test.each(production)('%s has no unacknowledged findings', (name) => {
    const { app, stacks } = SCENARIOS[name]();
    expect(stacks.flatMap(stack => nagFindings(app, 'NIST.800.53.R5', stack))).toEqual([]);
  });
});

describe('the check can fail', () => {
  test('a wide-open security group added next to the platform is reported', () => {
    // GIVEN
    const { app, stacks } = productionPlatform();
    const vpc = ec2.Vpc.fromVpcAttributes(stacks[0], 'Other', {
      vpcId: 'vpc-1', availabilityZones: ['us-east-1a'], privateSubnetIds: ['subnet-1'],
    });
    const open = new ec2.SecurityGroup(stacks[0], 'Open', { vpc });
    open.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(22));

    // THEN
    expect(nagFindings(app, 'AwsSolutions').map(f => `${f.rule} ${f.resource}`)).toContain('AwsSolutions-EC23 Production/Open/Resource');
  });
});
