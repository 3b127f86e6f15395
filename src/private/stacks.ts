import { Stack, aws_kms as kms, aws_secretsmanager as secretsmanager } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';

/**
 * Makes `scope`'s stack depend on the stacks of `others` before any grant is made.
 * KMS and Secrets Manager grants put a cross-stack grantee into the key policy
 * unless the grantee's stack already depends on the key's stack, which would
 * make the two stacks depend on each other.
 */
export function dependOnStacksOf(scope: IConstruct, ...others: IConstruct[]): void {
  const stack = Stack.of(scope);
  for (const other of others) {
    const otherStack = Stack.of(other);
    if (otherStack !== stack && !stack.dependencies.includes(otherStack)) stack.addDependency(otherStack);
  }
}

/**
 * `secret` as seen from `scope`'s stack. Across stacks, the secret and its key are
 * referenced by ARN so grants land in the grantee's IAM policy; a grant on the
 * owning stack's key would write the grantee into the key policy and tie the
 * two stacks into a cycle.
 */
export function secretFor(scope: Construct, id: string, secret: secretsmanager.ISecret): secretsmanager.ISecret {
  if (Stack.of(secret) === Stack.of(scope)) return secret;
  return secretsmanager.Secret.fromSecretAttributes(scope, id, {
    secretCompleteArn: secret.secretArn,
    encryptionKey: secret.encryptionKey && kms.Key.fromKeyArn(scope, `${id}Key`, secret.encryptionKey.keyArn),
  });
}
