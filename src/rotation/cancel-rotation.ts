// Bundled into the Lambda handlers; like them it uses the runtime's SDK (allowDevDeps in .projenrc.ts).
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  CancelRotateSecretCommand,
  DescribeSecretCommand,
  ListSecretVersionIdsCommand,
  SecretsManagerClient,
  SecretVersionsListEntry,
} from '@aws-sdk/client-secrets-manager';

/**
 * How long after its AWSPENDING version was created a rotation is taken to be under way.
 * Secrets Manager documents no bound on a rotation's life: each of its four steps is one
 * invocation of the rotation function (https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_how.html),
 * and Lambda ends an invocation after 900 s at most
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-timeout.html). The master-key
 * function's four steps take four minutes at most (its timeout is one minute); the hosted
 * PostgreSQL rotation's function is AWS's, its timeout not set here. An AWSPENDING-only version
 * older than one invocation at Lambda's maximum is taken for the remains of a rotation that
 * did not finish. When a step fails Secrets Manager retries the whole rotation "multiple times"
 * (https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_lambda.html, no
 * count or spacing given): such a retry, past this bound, is cancelled, which is what turning
 * rotation off asks for.
 */
export const ROTATION_UNDER_WAY_MS = 15 * 60_000;

// The database-user function runs in the VPC, which may have no route to CloudFormation (no
// NAT gateway, no endpoint for it): one short try, and an unknown status counts as a rollback.
const cloudFormation = new CloudFormationClient({ maxAttempts: 1, requestHandler: { connectionTimeout: 3_000, requestTimeout: 5_000 } });

/** What `cancelRotation` reads of the custom resource's request (Delete never calls it). */
export interface CancelRotationRequest {
  readonly RequestType: string;
  /** The stack's ARN, whose status tells a rollback's Update from a deploy's. */
  readonly StackId: string;
}

/**
 * Turns a secret's automatic rotation off: a schedule without rules leaves the secret's rules
 * in force (aws-cdk issue 27460). Cancelling a rotation under way can strand its AWSPENDING
 * version (CancelRotateSecret's documentation), so while a version labelled AWSPENDING only
 * is younger than `ROTATION_UNDER_WAY_MS` it refuses, except in a rollback's Update (or when
 * the stack's status cannot be read), where it leaves rotation on and logs how to turn it off:
 * a refusal there would leave the stack UPDATE_ROLLBACK_FAILED. A Create's rollback is a
 * Delete, which never calls this. An older AWSPENDING-only version is the remains of a
 * rotation that did not finish: rotation is cancelled anyway, and the command that removes the
 * label is logged; the label is not removed here, since which version the database or service
 * now holds (the pending one, if the rotation got past setting it) is for an operator to
 * check. Re-enabling goes through the schedule. Shared by the master-key and database-user functions.
 */
export async function cancelRotation(secretsManager: SecretsManagerClient, secretId: string, request: CancelRotationRequest): Promise<void> {
  const metadata = await secretsManager.send(new DescribeSecretCommand({ SecretId: secretId }));
  if (!metadata.RotationEnabled) {
    console.log(`Automatic rotation of secret ${secretId} is already off`);
    return;
  }
  const pending = await pendingVersion(secretsManager, secretId);
  if (pending) {
    const created = pending.CreatedDate;
    const since = created ? ` since ${created.toISOString()}` : '';
    if (!created || Date.now() - created.getTime() < ROTATION_UNDER_WAY_MS) {
      if (request.RequestType === 'Update' && await rollingBackOrUnknown(request.StackId)) {
        console.log(`Secret ${secretId} is rotating (version ${pending.VersionId} is AWSPENDING${since}) while stack ${request.StackId} `
          + 'rolls back or its status is unknown: automatic rotation is left on rather than fail the rollback; once the rotation has finished, '
          + `turn it off with aws secretsmanager cancel-rotate-secret --secret-id ${secretId}`);
        return;
      }
      throw new Error(`Secret ${secretId} is rotating (version ${pending.VersionId} is AWSPENDING${since}), so its automatic rotation was not turned off: `
        + `deploy again once the rotation has finished; a version still AWSPENDING ${ROTATION_UNDER_WAY_MS / 60_000} minutes after it was created `
        + 'is taken for the remains of a failed rotation, and the deploy then turns rotation off anyway');
    }
    console.log(`Version ${pending.VersionId} of secret ${secretId} has been AWSPENDING${since}: a rotation that did not finish left it. `
      + 'Turning automatic rotation off anyway. Before turning rotation on again (RotateSecret fails while that label is there), remove it with '
      + `aws secretsmanager update-secret-version-stage --secret-id ${secretId} --version-stage AWSPENDING --remove-from-version-id ${pending.VersionId} `
      + '(if the rotation had already set that version\'s value in the database or service, move AWSCURRENT to it instead, '
      + `--version-stage AWSCURRENT --move-to-version-id ${pending.VersionId})`);
  }
  await secretsManager.send(new CancelRotateSecretCommand({ SecretId: secretId }));
  console.log(`Turned automatic rotation of secret ${secretId} off`);
}

/** The version labelled AWSPENDING and not AWSCURRENT (RotateSecret's documentation: a rotation not finished), if any. */
async function pendingVersion(secretsManager: SecretsManagerClient, secretId: string): Promise<SecretVersionsListEntry | undefined> {
  let nextToken: string | undefined;
  do {
    // NextToken may come with an empty page (ListSecretVersionIds' documentation).
    const page = await secretsManager.send(new ListSecretVersionIdsCommand({ SecretId: secretId, NextToken: nextToken }));
    const pending = page.Versions?.find(v => v.VersionStages?.includes('AWSPENDING') && !v.VersionStages.includes('AWSCURRENT'));
    if (pending) return pending;
    nextToken = page.NextToken;
  } while (nextToken);
  return undefined;
}

/** Whether the stack is rolling back; true too when its status cannot be read (never fail a rollback). */
async function rollingBackOrUnknown(stackId: string): Promise<boolean> {
  try {
    const out = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackId }));
    return (out.Stacks?.[0]?.StackStatus ?? '').includes('ROLLBACK');
  } catch (err) {
    console.log(`Could not read the status of stack ${stackId} (${err instanceof Error ? `${err.name}: ${err.message}` : String(err)})`);
    return true;
  }
}
