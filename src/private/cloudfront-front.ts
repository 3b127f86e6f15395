import { Duration } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** Scopes whose `LiteLlmLoadBalancer` the platform puts behind CloudFront. */
const FRONTED_SCOPES = new WeakSet<IConstruct>();

/**
 * Says, before the platform creates its load balancer in `scope`, that CloudFront will front it,
 * so the load balancer gives its target group an id of its own (see `addTargetGroup`). Kept out
 * of the public props: it is the platform's decision, not a setting.
 */
export function markFrontedByCloudFront(scope: IConstruct): void {
  FRONTED_SCOPES.add(scope);
}

/** Whether the load balancer created in `scope` will be behind the platform's CloudFront. */
export function frontedByCloudFront(scope: IConstruct): boolean {
  return FRONTED_SCOPES.has(scope);
}

/** The CloudFront distribution in front of a load balancer, as the service needs it. */
export interface LiteLlmFront {
  /** The distribution's URL. */
  readonly url: string;
  /** How long CloudFront waits for the first byte of an answer, and between bytes. */
  readonly originResponseTimeout: Duration;
}
