// The building blocks a `LiteLlmService` needs, wired by hand in one stack, as the README's
// "building blocks" section does: for checks and wiring the platform never reaches.
import { Stack } from 'aws-cdk-lib';
import { LiteLlmDatabase, LiteLlmLoadBalancer, LiteLlmNetwork, LiteLlmNetworkProps, LiteLlmSecurity, LiteLlmSecurityProps } from '../../src';

export function buildingBlocks(stack: Stack, securityProps: LiteLlmSecurityProps = {}, networkOptions: Omit<LiteLlmNetworkProps, 'encryptionKey'> = {}) {
  const security = new LiteLlmSecurity(stack, 'Security', securityProps);
  const network = new LiteLlmNetwork(stack, 'Network', { ...networkOptions, encryptionKey: security.encryptionKey });
  const loadBalancer = new LiteLlmLoadBalancer(stack, 'LoadBalancer', { vpc: network.vpc, securityGroup: network.loadBalancerSecurityGroup });
  const database = new LiteLlmDatabase(stack, 'Database', {
    vpc: network.vpc,
    securityGroup: network.databaseSecurityGroup,
    rotationSecurityGroup: network.rotationSecurityGroup,
    encryptionKey: security.encryptionKey,
  });
  return { security, network, loadBalancer, database };
}
