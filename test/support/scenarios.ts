// The platforms the quality gates (cdk-nag, cfn-lint, secret scan) check.
import * as path from 'path';
import { App, Environment, Stack, aws_ec2 as ec2, aws_ecr as ecr, aws_route53 as route53 } from 'aws-cdk-lib';
import { fiveStacks as buildFiveStacks } from '../../integ/five-stacks-app';
import { LiteLlmDeploymentProfile, LiteLlmCallback, LiteLlmImage, LiteLlmModel, LiteLlmPlatform } from '../../src';

export const ENV = { account: '123456789012', region: 'us-east-1' };

const claude = () => LiteLlmModel.bedrock({ name: 'claude-sonnet', modelId: 'us.anthropic.claude-sonnet-4-20250514-v1:0' });

export interface Scenario {
  readonly app: App;
  /** The stacks the library creates resources in (not the test's own). */
  readonly stacks: Stack[];
}

/** The DESIGN one-liner in the default (DEVELOPMENT) profile. */
export function defaultPlatform(env: Environment | null = ENV): Scenario {
  const app = new App();
  const stack = new Stack(app, 'Default', { env: env ?? undefined });
  new LiteLlmPlatform(stack, 'LiteLlm', { models: [claude()] });
  return { app, stacks: [stack] };
}

/**
 * PRODUCTION with a domain (certificate, HTTPS, A and AAAA aliases), WAF, dual-stack, Bedrock and
 * OpenAI models, and request logs in S3.
 */
export function productionPlatform(env: Environment | null = ENV): Scenario {
  const app = new App();
  const stack = new Stack(app, 'Production', { env: env ?? undefined });
  const hostedZone = route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'example.com' });
  new LiteLlmPlatform(stack, 'LiteLlm', {
    profile: LiteLlmDeploymentProfile.PRODUCTION,
    models: [claude(), LiteLlmModel.openAi({ name: 'gpt-4o', modelId: 'gpt-4o' })],
    network: { dualStack: true },
    loadBalancer: { domainName: 'llm', domainZone: hostedZone },
    monitoring: { alarmEmails: ['platform-team@example.com'] },
    config: { callbacks: [LiteLlmCallback.s3Logging()] },
  });
  return { app, stacks: [stack] };
}

/** A platform in a VPC the team already has (another stack's VPC). */
export function importedVpcPlatform(env: Environment | null = ENV): Scenario {
  const app = new App();
  const vpcStack = new Stack(app, 'SharedVpc', { env: env ?? undefined });
  const vpc = new ec2.Vpc(vpcStack, 'Vpc', {
    maxAzs: 2,
    natGateways: 1,
    subnetConfiguration: [
      { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, mapPublicIpOnLaunch: false },
      { name: 'Private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    ],
  });
  const stack = new Stack(app, 'ImportedVpc', { env: env ?? undefined });
  new LiteLlmPlatform(stack, 'LiteLlm', { models: [claude()], vpc });
  return { app, stacks: [stack] }; // the VPC's stack is the team's, not ours
}

/**
 * The five building blocks in five stacks, with the cache next to the database and the
 * monitoring and outputs next to the service: the README's "five building blocks in five
 * stacks" (test/readme-examples.test.ts compares their templates), built by integ/five-stacks-app.ts.
 */
export function fiveStacks(env: Environment | null = ENV): Scenario {
  const app = new App();
  const { stacks } = buildFiveStacks({
    stack: id => new Stack(app, id, { env: env ?? undefined }),
    models: [claude(), LiteLlmModel.anthropic({ name: 'claude-direct', modelId: 'claude-sonnet-4-20250514' })],
    // A field in the provider keys secret for each key the models read (their secretEnvNames).
    security: { providerKeyNames: ['ANTHROPIC_API_KEY'] },
    alarmTopic: { alarmEmails: ['platform-team@example.com'] },
    network: { endpoints: { bedrockRuntime: true } },
  });
  return { app, stacks };
}

/** PRODUCTION behind an internal load balancer (reachable from the VPC and peered networks). */
export function internalPlatform(env: Environment | null = ENV): Scenario {
  const app = new App();
  const stack = new Stack(app, 'Internal', { env: env ?? undefined });
  new LiteLlmPlatform(stack, 'LiteLlm', { profile: LiteLlmDeploymentProfile.PRODUCTION, models: [claude()], loadBalancer: { internetFacing: false } });
  return { app, stacks: [stack] };
}

/** The README's advice for private tasks: no NAT gateway, Bedrock models only, the image from ECR. */
export function noNatPlatform(env: Environment | null = ENV): Scenario {
  const app = new App();
  const stack = new Stack(app, 'NoNat', { env: env ?? undefined });
  new LiteLlmPlatform(stack, 'LiteLlm', {
    models: [claude()],
    network: { natGateways: 0 },
    image: LiteLlmImage.fromEcrRepository(ecr.Repository.fromRepositoryName(stack, 'Repo', 'litellm'), `v${LiteLlmImage.DEFAULT_VERSION}`),
  });
  return { app, stacks: [stack] };
}

/**
 * PRODUCTION behind CloudFront (WAF on the internal load balancer, its rate rule keyed on
 * CloudFront's viewer header) with the held team config: guardrails, MCP servers, a knowledge base, prompts.
 */
export function cloudFrontConfigPlatform(env: Environment | null = ENV): Scenario {
  const app = new App();
  const stack = new Stack(app, 'CloudFrontConfig', { env: env ?? undefined });
  new LiteLlmPlatform(stack, 'LiteLlm', {
    profile: LiteLlmDeploymentProfile.PRODUCTION,
    models: [],
    cloudFront: { enabled: true },
    config: { configFile: path.join(__dirname, '..', '..', 'examples', 'litellm', 'config.yaml') },
  });
  return { app, stacks: [stack] };
}

const MAKERS: Record<string, (env: Environment | null) => Scenario> = {
  'default (DEVELOPMENT)': defaultPlatform,
  'PRODUCTION with domain, WAF and dual-stack': productionPlatform,
  'imported VPC': importedVpcPlatform,
  'five-stack split': fiveStacks,
  'PRODUCTION, internal load balancer': internalPlatform,
  'no NAT, Bedrock, image from ECR': noNatPlatform,
  'PRODUCTION behind CloudFront, with guardrails, MCP servers and a knowledge base': cloudFrontConfigPlatform,
};

/** Every documented setup, in a stack with an account and region (what the cost report models). */
export const SETUPS: Record<string, () => Scenario> = Object.fromEntries(Object.entries(MAKERS).map(([name, make]) => [name, () => make(ENV)]));

/** Every documented setup, with an account and region and region-agnostic (`new Stack(app, 'X')`). */
export const SCENARIOS: Record<string, () => Scenario> = Object.fromEntries(Object.entries(MAKERS).flatMap(([name, make]) => [
  [name, () => make(ENV)],
  [`${name}, region-agnostic`, () => make(null)],
]));
