import type { CloudFormationCustomResourceEvent } from 'aws-lambda';

export interface CustomResourceResult {
  readonly PhysicalResourceId: string;
}

/**
 * Runs `work` for a custom resource that CloudFormation invokes directly (no provider
 * framework) and sends the outcome to the pre-signed ResponseURL, without any secret in it.
 *
 * It answers exactly once and never throws after answering: Lambda retries a failed
 * asynchronous invocation twice, and each retry would do the work and answer again. It
 * throws only when CloudFormation could not be told, so that a retry can tell it.
 */
export async function answerCloudFormation<P>(
  event: CloudFormationCustomResourceEvent<P>,
  defaultPhysicalId: string,
  work: () => Promise<CustomResourceResult>,
): Promise<CustomResourceResult> {
  let result: CustomResourceResult | undefined;
  let reason: string | undefined;
  try {
    result = await work();
  } catch (err) {
    reason = err instanceof Error ? err.message : String(err);
    console.error(`${event.ResourceType} ${event.RequestType} failed: ${reason}`);
  }
  const physicalResourceId = result?.PhysicalResourceId
    ?? ('PhysicalResourceId' in event ? event.PhysicalResourceId : defaultPhysicalId);
  const body = JSON.stringify({
    Status: result ? 'SUCCESS' : 'FAILED',
    Reason: reason ?? 'OK',
    PhysicalResourceId: physicalResourceId,
    StackId: event.StackId,
    RequestId: event.RequestId,
    LogicalResourceId: event.LogicalResourceId,
  });
  const response = await fetch(event.ResponseURL, {
    method: 'PUT',
    headers: { 'content-type': '', 'content-length': String(Buffer.byteLength(body)) },
    body,
  });
  if (!response.ok) throw new Error(`CloudFormation response was refused: HTTP ${response.status}`);
  return { PhysicalResourceId: physicalResourceId };
}
