// The README's "five building blocks in five stacks", built once: the integration app
// (integ/integ.five-stacks.ts), the quality gates' scenario (test/support/scenarios.ts, which
// test/readme-examples.test.ts holds template for template to the README's code) and the
// split-update test (test/split-updates.test.ts) call it with their own stacks and knobs.
// Not named integ.*: integ-runner runs only integ.*.ts.
import { Stack } from 'aws-cdk-lib';
import {
  LiteLlmAlarmTopicProps, LiteLlmCache, LiteLlmCloudFront, LiteLlmCloudFrontOptions, LiteLlmDatabase, LiteLlmDatabaseProps,
  LiteLlmLoadBalancer, LiteLlmLoadBalancerProps, LiteLlmModel, LiteLlmMonitoring, LiteLlmNetwork, LiteLlmNetworkProps, LiteLlmOutputs,
  LiteLlmSecurity, LiteLlmSecurityProps, LiteLlmService, LiteLlmServiceProps,
} from '../src';

/** The five stacks, in the order the README creates them. */
export const FIVE_STACKS = ['Security', 'Network', 'LoadBalancer', 'Database', 'Service'] as const;
export type FiveStackName = typeof FIVE_STACKS[number];

export interface FiveStacksOptions {
  /** Creates each of the five stacks (its construct id, name and environment are the caller's). */
  readonly stack: (name: FiveStackName) => Stack;
  readonly models: LiteLlmModel[];
  readonly security?: LiteLlmSecurityProps;
  readonly alarmTopic?: Omit<LiteLlmAlarmTopicProps, 'encryptionKey'>;
  readonly network?: Omit<LiteLlmNetworkProps, 'encryptionKey'>;
  /** Props of the load balancer beyond its VPC and security group; it gets the key unless this sets `encryptionKey`. */
  readonly loadBalancer?: (stack: Stack) => Partial<LiteLlmLoadBalancerProps>;
  readonly database?: Partial<LiteLlmDatabaseProps>;
  readonly service?: Partial<LiteLlmServiceProps>;
  /**
   * Put a CloudFront distribution in front: the load balancer becomes internal and admits no
   * peer but CloudFront's VPC origin, and the distribution goes into the load balancer's stack,
   * next to its origin. The service stack imports only the distribution's URL (LiteLLM's
   * PROXY_BASE_URL) and its id (the `LiteLlmDistributionId` output), from a resource no service
   * change replaces. Off: the README's split.
   */
  readonly cloudFront?: LiteLlmCloudFrontOptions;
}

export interface FiveStacks {
  /** The five stacks, in `FIVE_STACKS` order. */
  readonly stacks: Stack[];
  readonly security: LiteLlmSecurity;
  readonly network: LiteLlmNetwork;
  readonly loadBalancer: LiteLlmLoadBalancer;
  readonly database: LiteLlmDatabase;
  readonly cache: LiteLlmCache;
  readonly service: LiteLlmService;
  readonly monitoring: LiteLlmMonitoring;
  /** The distribution in front, when `cloudFront` was given. */
  readonly cloudFront?: LiteLlmCloudFront;
}

/**
 * Security (with the alarm topic), network, load balancer, database (with the cache next to
 * it) and service (with the monitoring and the outputs), as the README's split places them.
 */
export function fiveStacks(o: FiveStacksOptions): FiveStacks {
  const [securityStack, networkStack, loadBalancerStack, databaseStack, serviceStack] = FIVE_STACKS.map(o.stack);

  const security = new LiteLlmSecurity(securityStack, 'Security', o.security);
  const alarmTopic = LiteLlmMonitoring.createAlarmTopic(securityStack, 'AlarmTopic', { ...o.alarmTopic, encryptionKey: security.encryptionKey });

  const network = new LiteLlmNetwork(networkStack, 'Network', { ...o.network, encryptionKey: security.encryptionKey });
  const loadBalancer = new LiteLlmLoadBalancer(loadBalancerStack, 'LoadBalancer', {
    encryptionKey: security.encryptionKey,
    ...o.loadBalancer?.(loadBalancerStack),
    // Behind CloudFront the load balancer is internal and admits CloudFront's VPC origin only.
    ...(o.cloudFront ? { internetFacing: false, allowedPeers: [] } : {}),
    vpc: network.vpc,
    securityGroup: network.loadBalancerSecurityGroup,
  });
  // Before the service: the service takes the distribution's URL as its PROXY_BASE_URL.
  const cloudFront = o.cloudFront ? new LiteLlmCloudFront(loadBalancerStack, 'CloudFront', { ...o.cloudFront, loadBalancer }) : undefined;
  const database = new LiteLlmDatabase(databaseStack, 'Database', {
    ...o.database,
    vpc: network.vpc,
    securityGroup: network.databaseSecurityGroup,
    rotationSecurityGroup: network.rotationSecurityGroup,
    encryptionKey: security.encryptionKey,
  });
  const cache = new LiteLlmCache(databaseStack, 'Cache', { vpc: network.vpc, securityGroup: network.cacheSecurityGroup, encryptionKey: security.encryptionKey });

  const service = new LiteLlmService(serviceStack, 'Service', { ...o.service, models: o.models, network, security, database, loadBalancer, cache });
  const monitoring = new LiteLlmMonitoring(serviceStack, 'Monitoring', {
    encryptionKey: security.encryptionKey,
    alarmTopic,
    service,
    database,
    loadBalancer,
    cache,
    additionalAlarms: [security.masterKeyRotationAlarm],
  });
  new LiteLlmOutputs(serviceStack, 'LiteLlm', { loadBalancer, security, service, monitoring, cloudFront });
  const stacks = [securityStack, networkStack, loadBalancerStack, databaseStack, serviceStack];
  return { stacks, security, network, loadBalancer, database, cache, service, monitoring, cloudFront };
}
