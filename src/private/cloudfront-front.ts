import { Duration } from 'aws-cdk-lib';

/** The CloudFront distribution in front of a load balancer, as the service needs it. */
export interface LiteLlmFront {
  /** The distribution's URL. */
  readonly url: string;
  /** How long CloudFront waits for the first byte of an answer, and between bytes. */
  readonly originResponseTimeout: Duration;
}
