import { CfnOutput } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { LiteLlmModel } from './models';

/**
 * Properties of a `LiteLlmPlatform`.
 */
export interface LiteLlmPlatformProps {
  /** The models the proxy serves. */
  readonly models: LiteLlmModel[];
}

/**
 * A production LiteLLM proxy on AWS. (Placeholder: the building blocks land next.)
 */
export class LiteLlmPlatform extends Construct {
  constructor(scope: Construct, id: string, props: LiteLlmPlatformProps) {
    super(scope, id);
    new CfnOutput(this, 'ModelNames', { value: props.models.map(m => m.name).join(',') });
  }
}
