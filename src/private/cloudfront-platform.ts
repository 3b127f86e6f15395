import { unservedPartition } from './cloudfront-checks';
import type { LiteLlmCloudFrontOptions } from '../cloudfront';
import type { LiteLlmLoadBalancerOptions } from '../load-balancer';
import { profileDefaults } from './defaults';
import { LiteLlmDeploymentProfile } from '../profile';

/**
 * Load balancer choices that say how clients reach it (or decide its TLS), each with what it
 * means when CloudFront is on and the way out.
 */
const LOAD_BALANCER_CHOICES: [keyof LiteLlmLoadBalancerOptions, (v: unknown) => string][] = [
  ['internetFacing', v => (v === false
    ? 'keeps the proxy off the internet altogether, while CloudFront serves it to the internet: keep one of them'
    : 'puts the load balancer on the internet, where clients could bypass CloudFront: remove it (CloudFront makes the load balancer internal)')],
  ['allowedPeers', () => 'opens the load balancer to other peers, but behind CloudFront it admits the VPC origin only: remove it, '
    + 'or add clients inside the VPC with `platform.connections.allowDefaultPortFrom(...)`'],
  ['domainName', () => 'names the load balancer, but the clients\' name is now CloudFront\'s: move it to `cloudFront.domainName` with a us-east-1 `cloudFront.certificate`'],
  ['domainZone', () => 'creates records for the load balancer, but the clients\' name is now CloudFront\'s: remove it and point your record at `platform.distribution`'],
  ['certificate', () => 'gives the load balancer HTTPS, but the VPC origin speaks HTTP to it: move the name to `cloudFront.domainName` and `cloudFront.certificate` (in us-east-1)'],
  ['allowHttp', () => 'lets the load balancer serve plain HTTP to the internet, but behind CloudFront clients use HTTPS: remove it'],
  ['publicUrl', () => 'names a proxy in front, but CloudFront is the proxy and gives the URL itself: remove it (a domain of your own goes to `cloudFront.domainName`)'],
];

/**
 * Whether the platform puts CloudFront in front: `cloudFront.enabled`, else by default for a
 * DEVELOPMENT platform whose load balancer would serve plain HTTP to the internet (no choice
 * above made) in a region CloudFront VPC origins serve (or a region-agnostic stack). Fails on
 * settings of the distribution when it is off, and on a load balancer choice or a region that
 * contradicts it when it is on.
 */
export function cloudFrontEnabled(
  cloudFront: LiteLlmCloudFrontOptions | undefined, loadBalancer: LiteLlmLoadBalancerOptions | undefined, profile: LiteLlmDeploymentProfile,
  region?: string,
): boolean {
  const chosen = LOAD_BALANCER_CHOICES.filter(([key]) => loadBalancer?.[key] !== undefined);
  const partition = region === undefined ? undefined : unservedPartition(region);
  if (cloudFront?.enabled === true && partition !== undefined) {
    throw new Error(`\`cloudFront.enabled\` is true, but the stack is in ${region} (${partition}), where CloudFront has no VPC origins: `
      + 'remove `cloudFront`, and serve HTTPS from the load balancer (`loadBalancer.domainName` with `domainZone` or `certificate`)');
  }
  const on = cloudFront?.enabled ?? (profileDefaults(profile).cloudFront && chosen.length === 0 && partition === undefined);
  const settings = Object.entries(cloudFront ?? {}).filter(([k, v]) => k !== 'enabled' && v !== undefined).map(([k]) => `\`cloudFront.${k}\``);
  if (!on && settings.length > 0) {
    const why = cloudFront?.enabled === false ? '`cloudFront.enabled: false`'
      : partition !== undefined ? `CloudFront has no VPC origins in ${region} (${partition})`
        : profile === LiteLlmDeploymentProfile.PRODUCTION ? 'PRODUCTION turns it on only when asked'
          : `the load balancer's own choices (${chosen.map(([k]) => `\`loadBalancer.${k}\``).join(', ')}) turn it off`;
    throw new Error(`${settings.join(', ')} configure${settings.length === 1 ? 's' : ''} the CloudFront distribution, but CloudFront is off (${why}): `
      + (partition !== undefined ? 'remove them' : 'set `cloudFront.enabled: true`, or remove them'));
  }
  if (on && chosen.length > 0) {
    const [key, why] = chosen[0];
    throw new Error(`\`cloudFront.enabled\` is true, and \`loadBalancer.${key}\` (${JSON.stringify(describe(loadBalancer?.[key]))}) ${why(loadBalancer?.[key])}; `
      + 'or remove `cloudFront.enabled` to keep the load balancer as it is');
  }
  return on;
}

/** A short rendering of a prop's value for a message. */
function describe(value: unknown): unknown {
  if (Array.isArray(value)) return `${value.length} peer${value.length === 1 ? '' : 's'}`;
  if (typeof value === 'object' && value !== null) return 'set';
  return value;
}
