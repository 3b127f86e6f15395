import { Stack } from 'aws-cdk-lib';
import { LiteLlmModel, LiteLlmProvider } from '../models';

/** Prefixes of Bedrock cross-region inference profiles. */
const PROFILE_PREFIX = /^(us|eu|apac|global|us-gov|jp|au|ca)\.(.+)$/;

/**
 * ARNs the task role may invoke for the Bedrock models: each foundation model in its
 * region; for an inference profile, the profile in its region and the underlying model
 * in every region the profile routes to (a region wildcard on that one model id).
 */
export function bedrockInvokeArns(stack: Stack, models: LiteLlmModel[]): string[] {
  const arns = new Set<string>();
  for (const model of models) {
    if (model.provider !== LiteLlmProvider.BEDROCK || !model.bedrockModelId) continue;
    const id = model.bedrockModelId;
    const region = model.bedrockRegion ?? stack.region;
    const profile = PROFILE_PREFIX.exec(id);
    if (profile) {
      arns.add(`arn:${stack.partition}:bedrock:${region}:${stack.account}:inference-profile/${id}`);
      arns.add(`arn:${stack.partition}:bedrock:*::foundation-model/${profile[2]}`);
    } else {
      arns.add(`arn:${stack.partition}:bedrock:${region}::foundation-model/${id}`);
    }
  }
  return [...arns];
}
