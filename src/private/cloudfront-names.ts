import { createHash } from 'crypto';
import { Stack, Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** The most characters CloudFront takes in a function's or a VPC origin's name. */
export const MAX_NAME_LENGTH = 64;
/** Room kept for the region when it is a token (the longest region names have 15 characters). */
const REGION_ROOM = 15;
/** Hex characters of the construct path's hash. */
const HASH_LENGTH = 8;

/**
 * A name for the CloudFront resource `id` under `scope`, of a kind whose names are unique per account, across regions (VPC
 * origins: "Another vpc origin with the same name already exists within the aws account",
 * aws/aws-cdk#34799; functions: per account, API_CreateFunction.html): the region, the stack's
 * name (unique per account and region) and a short hash of the stack's full name and the
 * construct's path (so two stacks whose names differ only past the cut still differ), at most 64 characters of `[A-Za-z0-9_-]` (the `Name` pattern `[a-zA-Z0-9-_]{1,64}` of
 * API_UpdateFunction.html; CloudFront refuses other characters in a VPC origin's name too,
 * hashicorp/terraform-provider-aws#41392). In a region-agnostic stack the region is
 * `AWS::Region`, which CloudFormation resolves in the `Fn::Join` (neither construct checks the
 * name at synth). The stack's name is cut to what the region and the hash leave room for.
 */
export function uniqueCloudFrontName(scope: IConstruct, id: string): string {
  const stack = Stack.of(scope);
  // A nested stack's name is a token of unknown length: its root stack's name and its construct
  // path stand for it in the hash.
  const named = Token.isUnresolved(stack.stackName) ? undefined : stack.stackName;
  const hash = createHash('sha256').update(`${named ?? rootStackName(stack)}/${scope.node.path}/${id}`).digest('hex').slice(0, HASH_LENGTH);
  const region = stack.region;
  const regionLength = Token.isUnresolved(region) ? REGION_ROOM : region.length;
  const stackName = named === undefined ? '' : named.replace(/[^A-Za-z0-9-]/g, '');
  const room = MAX_NAME_LENGTH - regionLength - HASH_LENGTH - 2;
  return `${region}-${stackName.slice(0, room)}${stackName ? '-' : ''}${hash}`;
}

/** The name of the first stack up the tree whose name is known (a nested stack's parent's). */
function rootStackName(stack: Stack): string {
  for (let s: Stack | undefined = stack; s; s = s.nestedStackParent) {
    if (!Token.isUnresolved(s.stackName)) return s.stackName;
  }
  return '';
}
