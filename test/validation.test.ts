import {
  App, CfnParameter, Duration, Lazy, Stack, Token,
  aws_ec2 as ec2, aws_ecr as ecr, aws_logs as logs, aws_rds as rds, aws_route53 as route53,
} from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import {
  LiteLlmDeploymentProfile, LiteLlmImage, LiteLlmModel, LiteLlmPlatform, LiteLlmPlatformProps, LiteLlmSecurityProps, LiteLlmService,
} from '../src';
import { buildingBlocks } from './support/blocks';

// Bad input: every configuration below is impossible or unsafe, and the library
// must refuse it while the app is being built, naming the prop, the value it got
// and what to do. The messages are copied from src on purpose: a changed message
// is a changed user-facing contract and must show up here.

const ENV = { account: '123456789012', region: 'us-east-1' };
const SONNET = () => LiteLlmModel.bedrock({ name: 'claude-sonnet', modelId: 'us.anthropic.claude-sonnet-4-20250514-v1:0' });

function newStack(): Stack {
  return new Stack(new App(), 'Stack', { env: ENV });
}

function platform(stack: Stack, props: Partial<LiteLlmPlatformProps> = {}): LiteLlmPlatform {
  return new LiteLlmPlatform(stack, 'LiteLlm', { models: [SONNET()], ...props });
}

/** An image in this account's ECR: pulling it needs no internet egress. */
function ecrImage(stack: Stack): LiteLlmImage {
  return LiteLlmImage.fromEcrRepository(ecr.Repository.fromRepositoryName(stack, 'Repo', 'litellm'), 'v1.108.7');
}

function zone(stack: Stack): route53.IHostedZone {
  return route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'example.com' });
}

/** The building blocks a `LiteLlmService` needs, wired by hand, for checks the platform can never reach. */
function serviceWith(stack: Stack, securityProps: LiteLlmSecurityProps, models: LiteLlmModel[]): LiteLlmService {
  return new LiteLlmService(stack, 'Service', { models, ...buildingBlocks(stack, securityProps) });
}

interface BadInput {
  /** What is wrong, as the test title. */
  readonly name: string;
  /** Builds the bad configuration in a fresh stack. */
  readonly build: (stack: Stack) => unknown;
  /** The exact message src throws. */
  readonly message: string;
}

const BAD_INPUTS: BadInput[] = [
  // Conflicting options
  {
    name: 'vpc together with network.ipAddresses',
    build: s => platform(s, { vpc: new ec2.Vpc(s, 'OwnVpc'), network: { ipAddresses: ec2.IpAddresses.cidr('10.1.0.0/16') } }),
    message: '`ipAddresses` and `natGateways` describe a VPC to create and cannot be used with `vpc`: remove them, or remove `vpc`',
  },
  {
    name: 'vpc together with network.natGateways',
    build: s => platform(s, { vpc: new ec2.Vpc(s, 'OwnVpc'), network: { natGateways: 2 } }),
    message: '`ipAddresses` and `natGateways` describe a VPC to create and cannot be used with `vpc`: remove them, or remove `vpc`',
  },
  {
    name: 'loadBalancer.domainZone without domainName',
    build: s => platform(s, { loadBalancer: { domainZone: zone(s) } }),
    message: '`domainZone` is set without `domainName`: set `domainName` to the name to serve in the zone (e.g. "llm"), or remove `domainZone`',
  },
  {
    name: 'loadBalancer.domainName without domainZone or certificate',
    build: s => platform(s, { loadBalancer: { domainName: 'llm.example.com' } }),
    message: '`domainName` ("llm.example.com") needs `certificate` (an ACM certificate for that name, when its DNS record is yours) '
      + 'or `domainZone` (its Route 53 hosted zone: the record and a DNS-validated certificate are then created)',
  },
  {
    name: 'loadBalancer.waf settings with waf.enabled false',
    build: s => platform(s, {
      profile: LiteLlmDeploymentProfile.PRODUCTION, loadBalancer: { allowHttp: true, waf: { enabled: false, rateLimit: 100 } },
    }),
    message: '`waf.rateLimit` configures the web ACL, but WAF is off (`waf.enabled: false`): set `waf.enabled: true`, or remove them',
  },

  // Network numbers out of range
  {
    name: 'network.ipAddresses /8',
    build: s => platform(s, { network: { ipAddresses: ec2.IpAddresses.cidr('10.0.0.0/8') } }),
    message: '`ipAddresses` (10.0.0.0/8) must be a /16 to a /24 (four subnets split it), e.g. ec2.IpAddresses.cidr(\'10.0.0.0/16\')',
  },
  {
    name: 'network.ipAddresses /28',
    build: s => platform(s, { network: { ipAddresses: ec2.IpAddresses.cidr('10.0.0.0/28') } }),
    message: '`ipAddresses` (10.0.0.0/28) must be a /16 to a /24 (four subnets split it), e.g. ec2.IpAddresses.cidr(\'10.0.0.0/16\')',
  },
  {
    name: 'network.natGateways 3',
    build: s => platform(s, { network: { natGateways: 3 } }),
    message: '`natGateways` (3) must be an integer from 0 to 2 (the VPC spans 2 AZs): use 1 for one shared NAT gateway, 2 for one per AZ',
  },
  {
    name: 'network.natGateways -1',
    build: s => platform(s, { network: { natGateways: -1 } }),
    message: '`natGateways` (-1) must be an integer from 0 to 2 (the VPC spans 2 AZs): use 1 for one shared NAT gateway, 2 for one per AZ',
  },
  {
    name: 'network.natGateways 1.5',
    build: s => platform(s, { network: { natGateways: 1.5 } }),
    message: '`natGateways` (1.5) must be an integer from 0 to 2 (the VPC spans 2 AZs): use 1 for one shared NAT gateway, 2 for one per AZ',
  },

  // Security
  {
    name: 'security.masterKeyRotation of 0 days',
    build: s => platform(s, { security: { masterKeyRotation: { automaticallyAfter: Duration.days(0) } } }),
    message: '`masterKeyRotation.automaticallyAfter` (0 days) must be whole days from 1 to 999, as Secrets Manager\'s rate() allows',
  },
  {
    name: 'security.masterKeyRotation of 2000 days',
    build: s => platform(s, { security: { masterKeyRotation: { automaticallyAfter: Duration.days(2000) } } }),
    message: '`masterKeyRotation.automaticallyAfter` (2000 days) must be whole days from 1 to 999, as Secrets Manager\'s rate() allows',
  },
  {
    name: 'a provider key name that is no environment variable name',
    build: s => platform(s, {
      models: [LiteLlmModel.openAiCompatible({ name: 'vllm', modelId: 'llama-3', apiBase: 'https://vllm.example.com/v1', apiKeyEnvName: 'vllm-key' })],
    }),
    message: 'provider key name "vllm-key" must be an environment variable name (A-Z, 0-9, _), e.g. OPENAI_API_KEY',
  },

  // Database
  {
    name: 'database.engineVersion PostgreSQL 14',
    build: s => platform(s, { database: { engineVersion: rds.PostgresEngineVersion.VER_14_22 } }),
    message: '`engineVersion` (PostgreSQL 14) is too old: LiteLLM needs PostgreSQL 15 or newer, e.g. rds.PostgresEngineVersion.VER_17',
  },
  {
    name: 'database.allocatedStorage 10',
    build: s => platform(s, { database: { allocatedStorage: 10 } }),
    message: '`allocatedStorage` (10) must be an integer from 20 to 65536 (gp3 limits)',
  },
  {
    name: 'database.maxAllocatedStorage below allocatedStorage',
    build: s => platform(s, { database: { allocatedStorage: 60, maxAllocatedStorage: 50 } }),
    message: '`maxAllocatedStorage` (50) must be >= `allocatedStorage` (60): raise maxAllocatedStorage',
  },
  {
    name: 'database.maxAllocatedStorage below the default allocatedStorage',
    build: s => platform(s, { database: { maxAllocatedStorage: 19 } }),
    message: '`maxAllocatedStorage` (19) must be >= `allocatedStorage` (20): raise maxAllocatedStorage',
  },
  {
    name: 'database.maxConnections 5',
    build: s => platform(s, { database: { maxConnections: 5 } }),
    message: '`maxConnections` (5) must be an integer from 20 to 5000',
  },
  {
    name: 'an unknown database instance class (db.z1d.large) without maxConnections',
    build: s => platform(s, { database: { instanceType: ec2.InstanceType.of(ec2.InstanceClass.Z1D, ec2.InstanceSize.LARGE) } }),
    message: '`instanceType` (z1d.large) is not a class whose max_connections this library knows: set `maxConnections` to the instance\'s max_connections',
  },

  // Load balancer
  {
    name: 'loadBalancer.idleTimeout 5000 s',
    build: s => platform(s, { loadBalancer: { idleTimeout: Duration.seconds(5000) } }),
    message: '`idleTimeout` (5000 s) must be from 1 to 4000 seconds (ALB limits)',
  },
  {
    name: 'loadBalancer.domainName with a space',
    build: s => platform(s, { loadBalancer: { domainName: 'llm proxy', domainZone: zone(s) } }),
    message: '`domainName` ("llm proxy") must be a DNS name such as "llm" or "llm.example.com"',
  },
  {
    name: 'loadBalancer.domainName starting with a dash',
    build: s => platform(s, { loadBalancer: { domainName: '-llm', domainZone: zone(s) } }),
    message: '`domainName` ("-llm") must be a DNS name such as "llm" or "llm.example.com"',
  },
  {
    name: 'loadBalancer.waf.rateLimit 5 (PRODUCTION turns WAF on)',
    build: s => platform(s, { profile: LiteLlmDeploymentProfile.PRODUCTION, loadBalancer: { allowHttp: true, waf: { rateLimit: 5 } } }),
    message: '`waf.rateLimit` (5) must be an integer from 10 to 2000000000 (WAF limits)',
  },
  {
    name: 'a WAF managed rule group listed twice',
    build: s => platform(s, {
      loadBalancer: { waf: { enabled: true, additionalManagedRuleGroups: ['AWSManagedRulesLinuxRuleSet', 'AWSManagedRulesLinuxRuleSet'] } },
    }),
    message: '`waf.additionalManagedRuleGroups` has "AWSManagedRulesLinuxRuleSet" twice or repeats a built-in group (AWSManagedRulesAmazonIpReputationList, AWSManagedRulesCommonRuleSet, AWSManagedRulesKnownBadInputsRuleSet, AWSManagedRulesSQLiRuleSet): list each group once',
  },
  {
    name: 'a WAF managed rule group that repeats a built-in one',
    build: s => platform(s, {
      profile: LiteLlmDeploymentProfile.PRODUCTION,
      loadBalancer: { allowHttp: true, waf: { additionalManagedRuleGroups: ['AWSManagedRulesCommonRuleSet'] } },
    }),
    message: '`waf.additionalManagedRuleGroups` has "AWSManagedRulesCommonRuleSet" twice or repeats a built-in group (AWSManagedRulesAmazonIpReputationList, AWSManagedRulesCommonRuleSet, AWSManagedRulesKnownBadInputsRuleSet, AWSManagedRulesSQLiRuleSet): list each group once',
  },

  // Models
  {
    name: 'no models',
    build: s => platform(s, { models: [] }),
    message: '`models` is empty: add at least one model, e.g. LiteLlmModel.bedrock({ name, modelId }), or bring them in `config.configFile`',
  },
  {
    name: 'two identical deployments in one model group',
    build: s => platform(s, { models: [SONNET(), SONNET()] }),
    message: '`models` has two identical deployments of "claude-sonnet" ({"model":"bedrock/us.anthropic.claude-sonnet-4-20250514-v1:0"}): '
      + 'LiteLLM would keep only one; remove one or make them differ (region, endpoint, model id)',
  },
  {
    name: 'a fallback to a model name nobody configured',
    build: s => platform(s, { config: { fallbacks: [{ model: 'claude-sonnet', fallbackModels: ['gpt-5'] }] } }),
    message: '`config.fallbacks` for "claude-sonnet" falls back to "gpt-5", which is not a model name: use one of claude-sonnet',
  },
  {
    name: 'a raw request_timeout, which the idle-timeout rule owns',
    build: s => platform(s, { config: { litellmSettings: { request_timeout: 3600 } } }),
    message: '`config.litellmSettings.request_timeout` is set by the platform: use `service.requestTimeout` (checked against the load balancer\'s idle timeout)',
  },
  {
    name: 'a provider key read from a setting under a name the service sets itself',
    build: s => platform(s, { config: { generalSettings: { alerting_webhook: 'os.environ/AWS_REGION' } } }),
    message: '`config` reads os.environ/AWS_REGION as a provider key, but the service sets AWS_REGION itself: give the key another environment variable name',
  },
  {
    name: 'a service whose security has no provider keys secret (building block only)',
    build: s => serviceWith(s, {}, [LiteLlmModel.openAi({ name: 'gpt', modelId: 'gpt-4o' })]),
    message: 'models need provider keys (OPENAI_API_KEY) but the security has no provider keys secret: pass `providerKeyNames` or `providerKeysSecret` to LiteLlmSecurity',
  },
  {
    name: 'a service whose provider keys secret lacks a field (building block only)',
    build: s => serviceWith(s, { providerKeyNames: ['OPENAI_API_KEY'] }, [
      LiteLlmModel.openAi({ name: 'gpt', modelId: 'gpt-4o' }),
      LiteLlmModel.anthropic({ name: 'claude', modelId: 'claude-sonnet-4-20250514' }),
    ]),
    message: 'the provider keys secret has no field for ANTHROPIC_API_KEY: add them to LiteLlmSecurity\'s `providerKeyNames`',
  },

  // Service numbers out of range
  {
    name: 'service.memoryLimitMiB 1024',
    build: s => platform(s, { service: { memoryLimitMiB: 1024 } }),
    message: '`memoryLimitMiB` (1024) is too low: LiteLLM needs 2048 MiB or more per task',
  },
  {
    name: 'service.minCapacity 0',
    build: s => platform(s, { service: { minCapacity: 0 } }),
    message: '`minCapacity` (0) must be an integer >= 1: keep at least one task running',
  },
  {
    name: 'service.maxCapacity below minCapacity',
    build: s => platform(s, { service: { minCapacity: 3, maxCapacity: 2 } }),
    message: '`maxCapacity` (2) must be >= `minCapacity` (3): raise maxCapacity or lower minCapacity',
  },
  {
    name: 'service.numWorkers 0',
    build: s => platform(s, { service: { numWorkers: 0 } }),
    message: '`numWorkers` (0) must be an integer from 1 to 16: scale out with more tasks (maxCapacity) rather than more workers',
  },
  {
    name: 'service.numWorkers 17',
    build: s => platform(s, { service: { numWorkers: 17 } }),
    message: '`numWorkers` (17) must be an integer from 1 to 16: scale out with more tasks (maxCapacity) rather than more workers',
  },
  {
    name: 'service.requestTimeout longer than the load balancer idle timeout',
    build: s => platform(s, { service: { requestTimeout: Duration.seconds(900) } }),
    message: '`requestTimeout` (900 s) exceeds the load balancer\'s idle timeout (600 s): streams would be cut; raise `idleTimeout` or lower requestTimeout',
  },
  {
    name: 'service.requestTimeout longer than a shortened idle timeout',
    build: s => platform(s, { loadBalancer: { idleTimeout: Duration.seconds(120) }, service: { requestTimeout: Duration.seconds(300) } }),
    message: '`requestTimeout` (300 s) exceeds the load balancer\'s idle timeout (120 s): streams would be cut; raise `idleTimeout` or lower requestTimeout',
  },
  {
    name: 'service.requestTimeout as a token (it is written into config.yaml)',
    build: s => platform(s, { service: { requestTimeout: Duration.seconds(Lazy.number({ produce: () => 300 })) } }),
    message: '`requestTimeout` is a token: it is written into config.yaml at synth, so it must be a literal Duration',
  },

  // Database connection pools
  {
    name: 'so many tasks that each pool would get fewer than 2 connections',
    build: s => platform(s, { service: { maxCapacity: 40 }, database: { instanceType: new ec2.InstanceType('t4g.small') } }),
    message: '`maxCapacity` (40) × 2 during deploys × `numWorkers` (1) = 80 connection pools leave fewer than 2 connections each of the database\'s 158 usable connections: lower maxCapacity or numWorkers, or choose a larger database instanceType',
  },
  {
    name: 'an explicit databaseConnectionPoolLimit the database cannot serve',
    build: s => platform(s, { service: { databaseConnectionPoolLimit: 20, maxCapacity: 4 }, database: { instanceType: new ec2.InstanceType('t4g.small') } }),
    message: '`databaseConnectionPoolLimit` (20) × 8 pools (maxCapacity 4 × 2 during deploys × 1 workers) = 160 exceeds the database\'s 158 usable connections (max_connections 168 - 10): lower it, lower maxCapacity or numWorkers, or choose a larger database instanceType',
  },
  {
    name: 'service.databaseConnectionPoolLimit 0',
    build: s => platform(s, { service: { databaseConnectionPoolLimit: 0 } }),
    message: '`databaseConnectionPoolLimit` (0) must be an integer >= 1',
  },
  {
    name: 'service.databaseConnectionPoolLimit as a token (it is written into config.yaml)',
    build: s => platform(s, { service: { databaseConnectionPoolLimit: new CfnParameter(s, 'PoolLimit', { type: 'Number' }).valueAsNumber } }),
    message: '`databaseConnectionPoolLimit` is a token: it is written into config.yaml at synth, so it must be a literal number',
  },
  {
    name: 'service.maxCapacity as a token without a literal databaseConnectionPoolLimit',
    build: s => platform(s, { service: { maxCapacity: new CfnParameter(s, 'MaxCapacity', { type: 'Number' }).valueAsNumber } }),
    message: '`maxCapacity` or `numWorkers` is a token, so the database pool cannot be sized at synth: set `databaseConnectionPoolLimit` to a literal',
  },

  // Impossible network setups
  {
    name: 'a non-Bedrock model with natGateways 0',
    build: s => platform(s, {
      models: [SONNET(), LiteLlmModel.openAi({ name: 'gpt', modelId: 'gpt-4o' })],
      network: { natGateways: 0 },
      image: ecrImage(s),
    }),
    message: 'models gpt need internet egress, but `natGateways` is 0 and tasks run in private subnets: set natGateways to 1, or use Bedrock models and an ECR image (LiteLlmImage.fromEcrRepository)',
  },
  {
    name: 'a Bedrock model in another region with natGateways 0 (the endpoint serves this region only)',
    build: s => platform(s, {
      models: [LiteLlmModel.bedrock({ name: 'claude-eu', modelId: 'eu.anthropic.claude-sonnet-4-20250514-v1:0', region: 'eu-west-1' })],
      network: { natGateways: 0 },
      image: ecrImage(s),
    }),
    message: 'models claude-eu need internet egress, but `natGateways` is 0 and tasks run in private subnets: set natGateways to 1, or use Bedrock models and an ECR image (LiteLlmImage.fromEcrRepository)',
  },
  {
    name: 'the public default image with natGateways 0',
    build: s => platform(s, { network: { natGateways: 0 } }),
    message: 'the image from a public registry needs internet egress, but `natGateways` is 0 and tasks run in private subnets: set natGateways to 1, or use Bedrock models and an ECR image (LiteLlmImage.fromEcrRepository)',
  },
  {
    name: 'service.assignPublicIp in PRODUCTION',
    build: s => platform(s, {
      profile: LiteLlmDeploymentProfile.PRODUCTION,
      loadBalancer: { allowHttp: true },
      network: { natGateways: 0 },
      image: ecrImage(s),
      service: { assignPublicIp: true },
    }),
    message: '`assignPublicIp` (true) is only for a DEVELOPMENT platform whose VPC has no NAT gateway: remove it and keep tasks in private subnets',
  },
  {
    name: 'service.assignPublicIp with a NAT gateway',
    build: s => platform(s, { service: { assignPublicIp: true } }),
    message: '`assignPublicIp` (true) is only for a DEVELOPMENT platform whose VPC has no NAT gateway: remove it and keep tasks in private subnets',
  },

  // Monitoring
  {
    name: 'an alarm e-mail that is no e-mail address',
    build: s => platform(s, { monitoring: { alarmEmails: ['ops@example.com', 'ops-at-example.com'] } }),
    message: '`alarmEmails` has "ops-at-example.com", which is not an e-mail address: fix it or remove it',
  },

  // Values that shape what is synthesized cannot be deploy-time tokens
  {
    name: 'network.natGateways from a parameter',
    build: s => platform(s, { network: { natGateways: new CfnParameter(s, 'Nat', { type: 'Number' }).valueAsNumber } }),
    message: '`natGateways` is a token: it shapes the VPC at synth, so it must be a literal',
  },
  {
    name: 'database.maxConnections from a parameter',
    build: s => platform(s, { database: { maxConnections: new CfnParameter(s, 'MaxConn', { type: 'Number' }).valueAsNumber } }),
    message: '`maxConnections` is a token: the service sizes its connection pools from it at synth, so it must be a literal number',
  },
  {
    name: 'LiteLlmImage.fromRegistry with a parameter',
    build: () => LiteLlmImage.fromRegistry(Token.asString({ Ref: 'Image' })),
    message: 'LiteLlmImage.fromRegistry: the image name is a token; pass a literal name pinned to a version, or use LiteLlmImage.fromEcrRepository',
  },

  {
    name: 'no NAT, private tasks, and the Secrets Manager and bedrock-runtime endpoints switched off',
    build: s => platform(s, {
      image: ecrImage(s),
      network: { natGateways: 0, endpoints: { secretsManager: false, bedrockRuntime: false } },
    }),
    message: '`natGateways` is 0 and tasks run in private subnets, so they reach AWS only through VPC endpoints, but `endpoints` has no '
      + 'secretsManager (the task\'s secrets), bedrockRuntime (the Bedrock models): turn them on, or set natGateways to 1',
  },

  // Keys that would land in the template, or env names that would shadow the platform's
  {
    name: 'LiteLlmModel.custom with a literal api_key',
    build: () => LiteLlmModel.custom({ name: 'groq', litellmParams: { model: 'groq/llama-3.3-70b', api_key: 'gsk_live_key' } }),
    message: 'LiteLlmModel.custom "groq": `litellmParams.api_key` holds a value; it would be written into the template. '
      + 'Write "os.environ/NAME" and list NAME in `secretEnvNames`',
  },
  {
    name: 'LiteLlmModel.custom reading a key it does not list in secretEnvNames',
    build: () => LiteLlmModel.custom({ name: 'groq', litellmParams: { model: 'groq/llama-3.3-70b', api_key: 'os.environ/GROQ_API_KEY' } }),
    message: 'LiteLlmModel.custom "groq": `litellmParams.api_key` reads os.environ/GROQ_API_KEY, which is not in `secretEnvNames`: '
      + 'add "GROQ_API_KEY" so the task receives it from the provider keys secret',
  },
  {
    name: 'LiteLlmModel.custom with a literal aws_secret_access_key',
    build: () => LiteLlmModel.custom({ name: 'br', litellmParams: { model: 'bedrock/x', aws_secret_access_key: 'wJalrXUtnFEMI' } }),
    message: 'LiteLlmModel.custom "br": `litellmParams.aws_secret_access_key` holds a value; it would be written into the template. '
      + 'Write "os.environ/NAME" and list NAME in `secretEnvNames`',
  },
  {
    name: 'LiteLlmModel.custom with an api_key from a deploy-time parameter',
    build: s => LiteLlmModel.custom({ name: 'groq', litellmParams: { model: 'groq/x', api_key: stringParameter(s, 'GroqKey') } }),
    message: 'LiteLlmModel.custom "groq": `litellmParams.api_key` holds a value; it would be written into the template. '
      + 'Write "os.environ/NAME" and list NAME in `secretEnvNames`',
  },
  {
    name: 'LiteLlmModel.custom with a literal credential header',
    build: () => LiteLlmModel.custom({ name: 'gw', litellmParams: { model: 'openai/x', extra_headers: { 'x-api-key': 'sk-live-1' } } }),
    message: 'LiteLlmModel.custom "gw": `litellmParams.extra_headers.x-api-key` holds a value; it would be written into the template. '
      + 'Write "os.environ/NAME" and list NAME in `secretEnvNames`',
  },
  {
    name: 'LiteLlmModel.custom with vertex_credentials as an object',
    build: () => LiteLlmModel.custom({ name: 'gemini', litellmParams: { model: 'vertex_ai/gemini-2.5-pro', vertex_credentials: { private_key: 'k' } } }),
    message: 'LiteLlmModel.custom "gemini": `litellmParams.vertex_credentials` holds a value; it would be written into the template. '
      + 'Write "os.environ/NAME" and list NAME in `secretEnvNames`',
  },
  {
    name: 'a provider key read from LITELLM_MASTER_KEY',
    build: s => platform(s, {
      models: [LiteLlmModel.openAiCompatible({ name: 'vllm', modelId: 'llama', apiBase: 'https://vllm.example.com/v1', apiKeyEnvName: 'LITELLM_MASTER_KEY' })],
    }),
    message: 'model "vllm" reads its key from LITELLM_MASTER_KEY, which the service sets itself: give the key another environment variable name',
  },
  {
    name: 'a provider key read from AWS_REGION',
    build: s => platform(s, {
      models: [LiteLlmModel.openAiCompatible({ name: 'vllm', modelId: 'llama', apiBase: 'https://vllm.example.com/v1', apiKeyEnvName: 'AWS_REGION' })],
    }),
    message: 'model "vllm" reads its key from AWS_REGION, which the service sets itself: give the key another environment variable name',
  },
  {
    name: 'service.environment with DATABASE_URL',
    build: s => platform(s, { service: { environment: { DATABASE_URL: 'postgresql://litellm:pw@db:5432/litellm' } } }),
    message: '`environment` sets DATABASE_URL: the proxy reaches the database as litellm_proxy with IAM tokens, from which LiteLLM builds the URL itself (DATABASE_HOST, DATABASE_PORT, DATABASE_USER, DATABASE_NAME). Remove it',
  },
  {
    name: 'service.environment with LITELLM_LOG',
    build: s => platform(s, { service: { environment: { LITELLM_LOG: 'DEBUG' } } }),
    message: '`environment` sets LITELLM_LOG, which the service sets itself (use `logLevel`): remove it',
  },
  {
    name: 'service.environment with UI_PASSWORD',
    build: s => platform(s, { service: { environment: { UI_PASSWORD: 'hunter2' } } }),
    message: '`environment` sets UI_PASSWORD, which the service sets itself: remove it',
  },

  {
    name: 'PRODUCTION, internet-facing, without a certificate or domain',
    build: s => platform(s, { profile: LiteLlmDeploymentProfile.PRODUCTION }),
    message: 'An internet-facing PRODUCTION load balancer without a certificate would take API keys over plain HTTP. '
      + 'Serve HTTPS: set `domainName` and `domainZone` (a Route 53 hosted zone; a DNS-validated certificate is created) '
      + 'or `certificate` (an ACM certificate in the stack\'s region); in LiteLlmPlatform they sit under `loadBalancer`. '
      + 'If TLS ends in front of the load balancer, set `allowHttp: true`.',
  },

  {
    name: 'service.environment with DATABASE_PASSWORD',
    build: s => platform(s, { service: { environment: { DATABASE_PASSWORD: 'hunter2' } } }),
    message: '`environment` sets DATABASE_PASSWORD: the proxy reaches the database as litellm_proxy with IAM tokens, from which LiteLLM builds the URL '
      + 'itself (DATABASE_HOST, DATABASE_PORT, DATABASE_USER, DATABASE_NAME). Remove it',
  },
  {
    name: 'natGateways 0 with public task IPs but no Secrets Manager endpoint for the database-role step',
    build: s => platform(s, {
      network: { natGateways: 0, endpoints: { secretsManager: false } }, image: ecrImage(s), service: { assignPublicIp: true },
    }),
    message: '`natGateways` is 0, so the step that creates the proxy\'s database role (a function in the private subnets) reaches Secrets Manager '
      + 'and CloudFormation (through S3) only through VPC endpoints, but `endpoints` has no secretsManager: turn them on, or set natGateways to 1',
  },

  // Image
  {
    name: 'LiteLlmImage.fromRegistry with :latest',
    build: s => platform(s, { image: LiteLlmImage.fromRegistry('ghcr.io/berriai/litellm:latest') }),
    message: 'LiteLlmImage.fromRegistry: "ghcr.io/berriai/litellm:latest" must be pinned to a version tag, not latest: e.g. ghcr.io/berriai/litellm:v1.108.7',
  },
  {
    name: 'LiteLlmImage.fromRegistry with :main-latest',
    build: s => platform(s, { image: LiteLlmImage.fromRegistry('ghcr.io/berriai/litellm:main-latest') }),
    message: 'LiteLlmImage.fromRegistry: "ghcr.io/berriai/litellm:main-latest" must be pinned to a version tag, not latest: e.g. ghcr.io/berriai/litellm:v1.108.7',
  },
  {
    name: 'LiteLlmImage.fromRegistry without a tag',
    build: s => platform(s, { image: LiteLlmImage.fromRegistry('ghcr.io/berriai/litellm') }),
    message: 'LiteLlmImage.fromRegistry: "ghcr.io/berriai/litellm" must be pinned to a version tag, not latest: e.g. ghcr.io/berriai/litellm:v1.108.7',
  },
  {
    name: 'LiteLlmImage.fromRegistry with a registry port but no tag',
    build: s => platform(s, { image: LiteLlmImage.fromRegistry('registry.example.com:5000/berriai/litellm') }),
    message: 'LiteLlmImage.fromRegistry: "registry.example.com:5000/berriai/litellm" must be pinned to a version tag, not latest: e.g. ghcr.io/berriai/litellm:v1.108.7',
  },
];

describe('Bad input', () => {
  test('covers at least 20 configurations', () => {
    // THEN
    expect(BAD_INPUTS.length).toBeGreaterThanOrEqual(20);
    expect(new Set(BAD_INPUTS.map(c => c.name)).size).toBe(BAD_INPUTS.length);
  });

  test.each(BAD_INPUTS)('$name', ({ build, message }) => {
    // GIVEN
    const stack = newStack();

    // WHEN / THEN
    expect(() => build(stack)).toThrow(new Error(message));
  });
});

/** A deploy-time number: a CloudFormation parameter. */
function numberParameter(stack: Stack): number {
  return new CfnParameter(stack, 'Token', { type: 'Number' }).valueAsNumber;
}

function stringParameter(stack: Stack, id = 'Token'): string {
  return new CfnParameter(stack, id, { type: 'String' }).valueAsString;
}

const TOKEN_REF = { Ref: 'Token' };

interface DeployTimeValue {
  readonly name: string;
  readonly props: (stack: Stack) => Partial<LiteLlmPlatformProps>;
  /** Where the deploy-time value must land in the template. */
  readonly lands: (template: Template) => void;
}

const DEPLOY_TIME_VALUES: DeployTimeValue[] = [
  {
    name: 'loadBalancer.allowedPeers entry from a parameter',
    props: s => ({ loadBalancer: { allowedPeers: [ec2.Peer.ipv4(stringParameter(s))] } }),
    lands: t => t.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'LiteLLM load balancer',
      SecurityGroupIngress: [Match.objectLike({ FromPort: 80, CidrIp: TOKEN_REF }), Match.objectLike({ FromPort: 443, CidrIp: TOKEN_REF })],
    }),
  },
  {
    name: 'service.minCapacity from a parameter',
    props: s => ({ service: { minCapacity: numberParameter(s), maxCapacity: 4 } }),
    lands: t => {
      t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: TOKEN_REF, MaxCapacity: 4 });
      t.hasResourceProperties('AWS::ECS::Service', { DesiredCount: TOKEN_REF });
    },
  },
  {
    name: 'service.maxCapacity from a parameter (with a literal pool limit)',
    props: s => ({ service: { maxCapacity: numberParameter(s), databaseConnectionPoolLimit: 5 } }),
    lands: t => t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 1, MaxCapacity: TOKEN_REF }),
  },
  {
    name: 'service.numWorkers from a parameter (with a literal pool limit)',
    props: s => ({ service: { numWorkers: numberParameter(s), databaseConnectionPoolLimit: 5 } }),
    lands: t => t.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: Match.arrayWith([
        Match.objectLike({ Name: 'litellm', Command: ['--config', '/litellm-config/config.yaml', '--port', '4000', '--num_workers', TOKEN_REF] }),
      ]),
    }),
  },
  {
    name: 'service.memoryLimitMiB from a parameter',
    props: s => ({ service: { memoryLimitMiB: numberParameter(s) } }),
    lands: t => t.hasResourceProperties('AWS::ECS::TaskDefinition', { Memory: TOKEN_REF }),
  },
  {
    name: 'service.memoryLimitMiB from a Lazy',
    props: () => ({ service: { memoryLimitMiB: Lazy.number({ produce: () => 4096 }) } }),
    lands: t => t.hasResourceProperties('AWS::ECS::TaskDefinition', { Memory: '4096' }),
  },
  {
    name: 'database.allocatedStorage from a parameter',
    props: s => ({ database: { allocatedStorage: numberParameter(s) } }),
    lands: t => t.hasResourceProperties('AWS::RDS::DBInstance', { AllocatedStorage: TOKEN_REF, MaxAllocatedStorage: 100 }),
  },
  {
    name: 'database.maxAllocatedStorage from a parameter',
    props: s => ({ database: { maxAllocatedStorage: numberParameter(s) } }),
    lands: t => t.hasResourceProperties('AWS::RDS::DBInstance', { AllocatedStorage: '20', MaxAllocatedStorage: TOKEN_REF }),
  },
  {
    name: 'database.engineVersion from parameters',
    props: s => ({ database: { engineVersion: rds.PostgresEngineVersion.of(stringParameter(s), stringParameter(s, 'Major')) } }),
    lands: t => t.hasResourceProperties('AWS::RDS::DBInstance', { Engine: 'postgres', EngineVersion: TOKEN_REF }),
  },
  {
    name: 'loadBalancer.accessLogRetention from a parameter',
    props: s => ({ loadBalancer: { accessLogRetention: numberParameter(s) as logs.RetentionDays } }),
    lands: t => t.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: { Rules: [{ ExpirationInDays: TOKEN_REF, Status: 'Enabled' }] },
    }),
  },
  {
    name: 'loadBalancer.waf.rateLimit from a parameter',
    props: s => ({ loadBalancer: { waf: { enabled: true, rateLimit: numberParameter(s) } } }),
    lands: t => t.hasResourceProperties('AWS::WAFv2::WebACL', {
      Rules: Match.arrayWith([Match.objectLike({ Name: 'RateLimitPerIp', Statement: { RateBasedStatement: Match.objectLike({ Limit: TOKEN_REF }) } })]),
    }),
  },
  {
    name: 'a Bedrock model region from a parameter, with natGateways 0',
    props: s => ({
      models: [LiteLlmModel.bedrock({ name: 'claude-sonnet', modelId: 'anthropic.claude-3-haiku-20240307-v1:0', region: stringParameter(s) })],
      network: { natGateways: 0 },
      image: ecrImage(s),
    }),
    lands: t => t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Sid: 'InvokeConfiguredBedrockModels',
          Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:', TOKEN_REF, '::foundation-model/anthropic.claude-3-haiku-20240307-v1:0']] },
        })]),
      },
    }),
  },
];

describe('Deploy-time values are not judged as literals', () => {
  test.each(DEPLOY_TIME_VALUES)('$name synthesizes', ({ props, lands }) => {
    // GIVEN
    const stack = newStack();

    // WHEN
    platform(stack, props(stack));
    const template = Template.fromStack(stack);

    // THEN
    lands(template);
  });

  // A platform cannot take its idle timeout from a parameter: the tasks' KEEPALIVE_TIMEOUT
  // (idle + 5 s) is computed at synth, and token arithmetic gives a meaningless number.
  test('loadBalancer.idleTimeout from a parameter is refused on a platform (KEEPALIVE_TIMEOUT is computed at synth)', () => {
    const stack = newStack();
    expect(() => platform(stack, { loadBalancer: { idleTimeout: Duration.seconds(numberParameter(stack)) } })).toThrow(
      '`loadBalancer.idleTimeout` is a token: the tasks keep idle connections KEEPALIVE_TIMEOUT seconds');
  });

  // A deploy-time value that was once judged as a literal (fixed): kept apart as a
  // regression test for that fix.
  test.each<DeployTimeValue>([
    {
      name: 'monitoring.alarmEmails from a parameter (monitoring.ts tests the token text as an address)',
      props: s => ({ monitoring: { alarmEmails: [stringParameter(s)] } }),
      lands: t => t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: TOKEN_REF }),
    },
  ])('$name synthesizes', ({ props, lands }) => {
    // GIVEN
    const stack = newStack();

    // WHEN
    platform(stack, props(stack));
    const template = Template.fromStack(stack);

    // THEN
    lands(template);
  });
});
