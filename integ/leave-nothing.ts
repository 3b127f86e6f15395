// Integration runs leave nothing behind (not an integ.* file, so integ-runner does not run it).
// The PRODUCTION profile retains what holds or decrypts data (KMS key, secrets, log groups,
// the access-log bucket) and snapshots the database and the cache on delete, as users get it;
// every nightly run would keep them. For the integration apps only, every resource is deleted
// with its stack, and a bucket is emptied first (a non-empty bucket fails the stack's delete).
import { Aspects, CfnDeletionPolicy, CfnResource, IAspect, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IConstruct } from 'constructs';

const KEPT = [CfnDeletionPolicy.RETAIN, CfnDeletionPolicy.SNAPSHOT, CfnDeletionPolicy.RETAIN_EXCEPT_ON_CREATE];

/** Turns a Retain, Snapshot or RetainExceptOnCreate policy into Delete (both policies). */
class DeleteWithStack implements IAspect {
  public visit(node: IConstruct): void {
    if (!CfnResource.isCfnResource(node)) return;
    const { deletionPolicy, updateReplacePolicy } = node.cfnOptions;
    if ((deletionPolicy && KEPT.includes(deletionPolicy)) || (updateReplacePolicy && KEPT.includes(updateReplacePolicy))) {
      node.applyRemovalPolicy(RemovalPolicy.DESTROY);
    }
  }
}

/** Call once the stacks are complete: their buckets get emptied on delete, every resource goes. */
export function leaveNothingBehind(...stacks: Stack[]): void {
  for (const stack of stacks) {
    for (const bucket of stack.node.findAll().filter((c): c is s3.Bucket => c instanceof s3.Bucket)) {
      // A DEVELOPMENT bucket already empties itself (autoDeleteObjects).
      if (bucket.node.tryFindChild('AutoDeleteObjectsCustomResource')) continue;
      const cfnBucket = bucket.node.defaultChild as s3.CfnBucket;
      cfnBucket.applyRemovalPolicy(RemovalPolicy.DESTROY);
      // The public form of `autoDeleteObjects: true` (aws-cdk-lib aws-s3/lib/mixins/bucket.d.ts).
      cfnBucket.with(new s3.mixins.BucketAutoDeleteObjects());
    }
    Aspects.of(stack).add(new DeleteWithStack());
  }
}
