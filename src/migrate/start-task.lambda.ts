import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { ECSClient, RunTaskCommand } from '@aws-sdk/client-ecs';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { MigrationProperties } from './task';

export type MigrationEvent = CloudFormationCustomResourceEvent<MigrationProperties>;

export interface StartResult {
  readonly PhysicalResourceId: string;
  /** Empty when nothing was started: the waiter answers at once. */
  readonly Data: { readonly TaskArn: string };
}

const PHYSICAL_ID = 'litellm-migration';
const ecs = new ECSClient({});
const cloudFormation = new CloudFormationClient({});

/**
 * The provider framework's onEvent: starts the migration task once per Create or Update;
 * `wait-task` then follows it. Delete does nothing (the schema stays with the database).
 * A rollback does nothing either: LiteLLM's schema only moves forward, and the previous
 * image's migrations would run against a newer schema.
 */
export async function handler(event: MigrationEvent): Promise<StartResult> {
  if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId, Data: { TaskArn: '' } };
  if (event.RequestType === 'Update' && await rollingBack(event.StackId)) {
    console.log('The stack is rolling back: the migrated schema stays, and no migration runs');
    return { PhysicalResourceId: event.PhysicalResourceId, Data: { TaskArn: '' } };
  }
  const p = event.ResourceProperties;
  const out = await ecs.send(new RunTaskCommand({
    cluster: p.Cluster,
    taskDefinition: p.TaskDefinition,
    count: 1,
    // Never Spot: an interrupted migration would fail the deploy.
    launchType: 'FARGATE',
    networkConfiguration: {
      awsvpcConfiguration: {
        subnets: p.Subnets,
        securityGroups: p.SecurityGroups,
        assignPublicIp: p.AssignPublicIp === 'ENABLED' ? 'ENABLED' : 'DISABLED',
      },
    },
    startedBy: 'cdk-litellm-migration',
  }));
  const taskArn = out.tasks?.[0]?.taskArn;
  if (!taskArn) {
    const failures = (out.failures ?? []).map(f => [f.reason, f.detail].filter(Boolean).join(': ')).join('; ');
    throw new Error(`ECS did not start the LiteLLM migration task: ${failures || 'no task and no failure returned'}`);
  }
  console.log(`Started the LiteLLM migration task ${taskArn}`);
  return { PhysicalResourceId: PHYSICAL_ID, Data: { TaskArn: taskArn } };
}

async function rollingBack(stackId: string): Promise<boolean> {
  const out = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackId }));
  return (out.Stacks?.[0]?.StackStatus ?? '').includes('ROLLBACK');
}
