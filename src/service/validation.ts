import { Annotations, Stack, Token } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { LiteLlmConfig } from '../config';
import { LiteLlmImage } from '../image';
import { LiteLlmMetrics } from '../metrics';
import { LiteLlmModel, LiteLlmProvider } from '../models';
import { envReferences } from '../private/credentials';
import { check } from '../private/validate';
import { LiteLlmSecurity } from '../security';
import { LiteLlmServiceProps } from './props';
import { Sizing } from './sizing';

/** Checks what can be checked at synth: sizes, capacities, timeouts, subnets and egress. */
export function validateService(
  scope: Construct, props: LiteLlmServiceProps, config: LiteLlmConfig, sizing: Sizing, image: LiteLlmImage, production: boolean,
): void {
  const { memory, workers, minCapacity, maxCapacity, requestTimeout, assignPublicIp } = sizing;
  validateProviderKeys(config.secretEnvNames, props.security);
  if (config.replacedFileKeys.length > 0) {
    Annotations.of(scope).addWarningV2('cdk-litellm:configFileKeysReplaced',
      `\`config.configFile\` sets ${config.replacedFileKeys.join(', ')}, which the platform owns: the platform's values replace them`);
  }
  check(memory, m => m >= 2048, m => `\`memoryLimitMiB\` (${m}) is too low: LiteLLM needs 2048 MiB or more per task`);
  if (!Token.isUnresolved(memory) && !Token.isUnresolved(workers) && memory < 4096 * workers) {
    Annotations.of(scope).addWarningV2('cdk-litellm:memoryPerWorker',
      `\`memoryLimitMiB\` (${memory}) is below 4096 per worker (${workers} × 4096 = ${4096 * workers}), LiteLLM's production sizing: one large request can run a task out of memory. Raise memoryLimitMiB or lower numWorkers`);
  }
  check(minCapacity, n => Number.isInteger(n) && n >= 1, n => `\`minCapacity\` (${n}) must be an integer >= 1: keep at least one task running`);
  check(maxCapacity, n => Number.isInteger(n) && n >= minCapacity,
    n => `\`maxCapacity\` (${n}) must be >= \`minCapacity\` (${minCapacity}): raise maxCapacity or lower minCapacity`);
  const idleSeconds = props.loadBalancer.idleTimeout.toSeconds();
  check(requestTimeout.toSeconds(), s => Token.isUnresolved(idleSeconds) || s <= idleSeconds,
    s => `\`requestTimeout\` (${s} s) exceeds the load balancer's idle timeout (${props.loadBalancer.idleTimeout.toSeconds()} s): streams would be cut; raise \`idleTimeout\` or lower requestTimeout`);
  if (assignPublicIp && (production || props.network.natGateways > 0)) {
    throw new Error('`assignPublicIp` (true) is only for a DEVELOPMENT platform whose VPC has no NAT gateway: remove it and keep tasks in private subnets');
  }
  const collectorFromPublicRegistry = (props.metrics?.enabled ?? production) && props.metrics?.collectorImage === undefined;
  if (!assignPublicIp && props.network.natGateways === 0) validateEgress(Stack.of(scope), props, config, image, collectorFromPublicRegistry);
  if (props.network.natGateways === 0) validateDatabaseStepEndpoints(props);
}

/**
 * Private tasks without NAT reach only what VPC endpoints serve: every model and the
 * image must be reachable that way, and the endpoints must be on.
 */
function validateEgress(
  stack: Stack, props: LiteLlmServiceProps, config: LiteLlmConfig, image: LiteLlmImage, collectorFromPublicRegistry: boolean,
): void {
  const models = config.models;
  // The bedrock-runtime endpoint serves the stack's region only.
  const otherRegion = (m: LiteLlmModel) => m.bedrockRegion !== undefined && !Token.isUnresolved(m.bedrockRegion)
    && !Token.isUnresolved(stack.region) && m.bedrockRegion !== stack.region;
  const needing = models.filter(m => m.needsInternet || otherRegion(m)).map(m => m.name);
  const what = needing.length > 0 ? `models ${needing.join(', ')} need`
    : config.callbacks.some(c => c.needsInternet) ? 'a callback (Langfuse Cloud) needs'
      : image.needsInternet ? 'the image from a public registry needs' : undefined;
  if (what) {
    throw new Error(`${what} internet egress, but \`natGateways\` is 0 and tasks run in private subnets: set natGateways to 1, or use Bedrock models and an ECR image (LiteLlmImage.fromEcrRepository)`);
  }
  if (collectorFromPublicRegistry) {
    throw new Error(`the metrics collector's image (${LiteLlmMetrics.DEFAULT_COLLECTOR_IMAGE}, Amazon ECR Public) needs internet egress, but \`natGateways\` is 0 and tasks run `
      + 'in private subnets: copy it to your ECR and pass `metrics.collectorImage` (ecs.ContainerImage.fromEcrRepository), set natGateways to 1, or turn `metrics` off');
  }
  if (props.network.vpcImported) return;
  const endpoints = props.network.vpcEndpoints;
  const off = [
    ...(endpoints.ecrApi && endpoints.s3 ? [] : ['ecr and s3 (the image pull)']),
    ...(endpoints.secretsManager ? [] : ['secretsManager (the task\'s secrets)']),
    ...(endpoints.logs ? [] : ['logs (the container log)']),
    ...(models.some(m => m.provider === LiteLlmProvider.BEDROCK) && !endpoints.bedrockRuntime ? ['bedrockRuntime (the Bedrock models)'] : []),
  ];
  if (off.length > 0) {
    throw new Error(`\`natGateways\` is 0 and tasks run in private subnets, so they reach AWS only through VPC endpoints, but \`endpoints\` has no ${off.join(', ')}: turn them on, or set natGateways to 1`);
  }
}

/**
 * Database settings LiteLLM would read besides the ones the service sets: a URL or a
 * password (its password path) or a schema (the proxy's role owns only `public`).
 */
const DATABASE_OVERRIDES = ['DATABASE_URL', 'DATABASE_PASSWORD', 'DATABASE_SCHEMA'];

/**
 * Without NAT, the database-role step (a function in the private subnets, whatever the
 * tasks do) reaches Secrets Manager and CloudFormation's response URL (S3) only through
 * VPC endpoints; without them it never answers and the deploy fails after 5 minutes.
 */
function validateDatabaseStepEndpoints(props: LiteLlmServiceProps): void {
  if (props.network.vpcImported) return;
  const endpoints = props.network.vpcEndpoints;
  const off = [...(endpoints.secretsManager ? [] : ['secretsManager']), ...(endpoints.s3 ? [] : ['s3'])];
  if (off.length > 0) {
    throw new Error(`\`natGateways\` is 0, so the step that creates the proxy's database role (a function in the private subnets) reaches Secrets Manager and CloudFormation (through S3) only through VPC endpoints, but \`endpoints\` has no ${off.join(', ')}: turn them on, or set natGateways to 1`);
  }
}

/**
 * Neither a provider key (a model's, a callback's or a setting's) nor `environment` may
 * take a name the service sets itself (`platform`), and `environment` may not shadow a
 * provider key either.
 */
export function validateEnvironment(props: LiteLlmServiceProps, config: LiteLlmConfig, platform: Set<string>): void {
  const taken = (n: string) => platform.has(n) || DATABASE_OVERRIDES.includes(n);
  for (const model of config.models) {
    const name = model.secretEnvNames.find(taken);
    if (name) {
      throw new Error(`model "${model.name}" reads its key from ${name}, which the service sets itself: give the key another environment variable name`);
    }
  }
  // LiteLLM reads os.environ/NAME from the task's environment (litellm/proxy/proxy_server.py:5860-5900):
  // a NAME nothing sets would reach the provider call as nothing.
  const provided = (n: string) => config.secretEnvNames.includes(n) || props.environment?.[n] !== undefined || platform.has(n);
  for (const model of config.models) {
    for (const [param, value] of Object.entries(model.litellmParams)) {
      const unset = envReferences(value).find(n => !provided(n));
      if (unset !== undefined) {
        throw new Error(`model "${model.name}": \`litellmParams.${param}\` reads os.environ/${unset}, which nothing sets in the task: `
          + `list "${unset}" in \`secretEnvNames\` (a field of the provider keys secret) or set it in \`service.environment\``);
      }
    }
  }
  const name = config.secretEnvNames.find(taken);
  if (name) {
    throw new Error(`\`config\` reads os.environ/${name} as a provider key, but the service sets ${name} itself: give the key another environment variable name`);
  }
  for (const env of Object.keys(props.environment ?? {})) {
    if (DATABASE_OVERRIDES.includes(env)) {
      throw new Error(`\`environment\` sets ${env}: the proxy reaches the database as litellm_proxy with IAM tokens, from which LiteLLM builds the URL itself (DATABASE_HOST, DATABASE_PORT, DATABASE_USER, DATABASE_NAME). Remove it`);
    }
    if (platform.has(env) || config.secretEnvNames.includes(env)) {
      throw new Error(`\`environment\` sets ${env}, which the service sets itself${env === 'LITELLM_LOG' ? ' (use `logLevel`)' : ''}: remove it`);
    }
  }
}

function validateProviderKeys(needed: string[], security: LiteLlmSecurity): void {
  if (needed.length > 0 && !security.providerKeysSecret) {
    throw new Error(`models need provider keys (${needed.join(', ')}) but the security has no provider keys secret: pass \`providerKeyNames\` or \`providerKeysSecret\` to LiteLlmSecurity`);
  }
  const missing = needed.filter(n => !security.providerKeyNames.includes(n));
  if (missing.length > 0 && security.providerKeyNames.length > 0) {
    throw new Error(`the provider keys secret has no field for ${missing.join(', ')}: add them to LiteLlmSecurity's \`providerKeyNames\``);
  }
}
