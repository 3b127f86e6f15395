// Bundled into the Lambda handlers; like them it uses the runtime's SDK (allowDevDeps in .projenrc.ts).
import { CancelRotateSecretCommand, DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/**
 * Turns a secret's automatic rotation off: a schedule without rules leaves the secret's rules
 * in force (aws-cdk issue 27460). It refuses while a rotation is under way, since cancelling
 * one can strand its AWSPENDING version (CancelRotateSecret's documentation); re-enabling
 * goes through the schedule. Shared by the master-key and database-user functions.
 */
export async function cancelRotation(secretsManager: SecretsManagerClient, secretId: string): Promise<void> {
  const metadata = await secretsManager.send(new DescribeSecretCommand({ SecretId: secretId }));
  if (!metadata.RotationEnabled) {
    console.log(`Automatic rotation of secret ${secretId} is already off`);
    return;
  }
  const pending = Object.entries(metadata.VersionIdsToStages ?? {})
    .find(([, stages]) => stages.includes('AWSPENDING') && !stages.includes('AWSCURRENT'))?.[0];
  if (pending) {
    throw new Error(`Secret ${secretId} is rotating (version ${pending} is AWSPENDING), so its automatic rotation was not turned off: `
      + 'deploy again once the rotation has finished; if a failed rotation left that label, remove it first with '
      + `aws secretsmanager update-secret-version-stage --secret-id ${secretId} --version-stage AWSPENDING --remove-from-version-id ${pending}`);
  }
  await secretsManager.send(new CancelRotateSecretCommand({ SecretId: secretId }));
  console.log(`Turned automatic rotation of secret ${secretId} off`);
}
