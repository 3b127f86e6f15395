import { Stack, Token, aws_ecs as ecs, aws_iam as iam } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { LiteLlmServiceProps } from './props';
import { CA_PATH, STOP_TIMEOUT } from './task-definition';
import { secretFor } from '../private/stacks';

/** How much longer than the load balancer's idle timeout uvicorn keeps an idle connection. */
const KEEPALIVE_MARGIN_SECONDS = 5;
/**
 * LiteLLM fetches these from GitHub unless told to use the copy in the image. Only the
 * cost map is fetched at start (litellm/__init__.py:572), the others on first use; a task
 * without internet would wait on each. The local copies are the pinned release's own.
 */
export const LOCAL_COPIES: { [name: string]: string } = {
  // litellm/litellm_core_utils/get_model_cost_map.py:676
  LITELLM_LOCAL_MODEL_COST_MAP: 'True',
  // litellm/anthropic_beta_headers_manager.py:148
  LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS: 'True',
  // litellm/proxy/management_endpoints/policy_endpoints/endpoints.py:660-666
  LITELLM_LOCAL_POLICY_TEMPLATES: 'True',
  // litellm/proxy/public_endpoints/public_endpoints.py:571
  LITELLM_LOCAL_AUTOROUTER_PRESETS: 'True',
  // litellm/litellm_core_utils/get_blog_posts.py:132
  LITELLM_LOCAL_BLOG_POSTS: 'True',
};

/** The proxy's settings as environment variables (never secrets). */
export function containerEnvironment(props: LiteLlmServiceProps, region: string, logLevel: string, workers: number): { [name: string]: string } {
  const idleSeconds = props.loadBalancer.idleTimeout.toSeconds();
  if (Token.isUnresolved(idleSeconds)) {
    // CloudFormation has no arithmetic: idle + margin of a token is a meaningless number.
    throw new Error('`loadBalancer.idleTimeout` is a token: the tasks keep idle connections KEEPALIVE_TIMEOUT seconds, which must exceed it and is computed at synth. Give a literal Duration, e.g. Duration.seconds(600)');
  }
  return {
    LITELLM_MODE: 'PRODUCTION',
    LITELLM_LOG: logLevel,
    STORE_MODEL_IN_DB: 'True',
    ...LOCAL_COPIES,
    // IAM database authentication, over TLS: no password that a rotation could make stale.
    // The IAM token is a bearer password for 15 minutes: verify the server (chain and host
    // name) against RDS's CA before sending it. LiteLLM turns verify-full and the file into
    // Prisma's sslmode=require&sslcert=<file>&sslaccept=strict (litellm/proxy/db/db_url_settings.py:221-253, 420-437).
    ...props.database.containerEnvironment(CA_PATH),
    // Without it Python block-buffers stdout off a TTY and startup lines reach the logs late or never.
    PYTHONUNBUFFERED: '1',
    AWS_REGION: region,
    // The migration step has migrated before the service changes; a serving proxy that
    // migrated would also build the request-log indexes (proxy_cli.py:1509-1517)
    // (litellm/proxy/db/prisma_client.py:1108-1132, proxy_cli.py:1486-1487).
    DISABLE_SCHEMA_UPDATE: 'true',
    // On SIGTERM LiteLLM finishes open requests for this long (default 30 s:
    // litellm/proxy/graceful_shutdown_manager.py:54-71); ECS kills at the stop timeout.
    GRACEFUL_SHUTDOWN_TIMEOUT: String(STOP_TIMEOUT.toSeconds() - 10),
    // uvicorn closes an idle keep-alive connection after 5 s unless told otherwise
    // (proxy_cli.py:328-329, 980-984); the load balancer reuses it for its idle timeout, and
    // a target that closes first answers the next request on it with a 502. Outlast the ALB.
    KEEPALIVE_TIMEOUT: String(idleSeconds + KEEPALIVE_MARGIN_SECONDS),
    // The public origin: LiteLLM builds the admin UI's redirects from it and marks its cookies
    // Secure when it is https (proxy/utils.py:9362-9368, proxy/auth/ip_address_utils.py:200-227).
    PROXY_BASE_URL: props.loadBalancer.url,
    // With several workers uvicorn restarts one that misses a 5 s health ping, and a new
    // worker spends longer than that importing LiteLLM: it would restart forever
    // (litellm/proxy/proxy_cli.py:300-335, 987-995).
    ...(workers > 1 ? { TIMEOUT_WORKER_HEALTHCHECK: '60' } : {}),
    ...props.cache?.containerEnvironment(),
  };
}

/** The ECS secrets of the proxy container, and the names of those the platform sets. */
export interface ContainerSecrets {
  readonly secrets: { [name: string]: ecs.Secret };
  readonly platformSecrets: string[];
}

/**
 * Every secret the proxy reads, as ECS secrets from secret fields; the execution role
 * may decrypt them.
 */
export function containerSecrets(
  scope: Construct, taskDefinition: ecs.FargateTaskDefinition, props: LiteLlmServiceProps, providerKeys: string[],
): ContainerSecrets {
  const security = props.security;
  const stack = Stack.of(scope);
  const uiCredentials = secretFor(scope, 'UiCredentialsSecret', security.uiCredentialsSecret);
  const secrets: { [name: string]: ecs.Secret } = {
    LITELLM_MASTER_KEY: ecs.Secret.fromSecretsManager(secretFor(scope, 'MasterKeySecret', security.masterKeySecret)),
    LITELLM_SALT_KEY: ecs.Secret.fromSecretsManager(secretFor(scope, 'SaltKeySecret', security.saltKeySecret)),
    UI_USERNAME: ecs.Secret.fromSecretsManager(uiCredentials, 'UI_USERNAME'),
    UI_PASSWORD: ecs.Secret.fromSecretsManager(uiCredentials, 'UI_PASSWORD'),
    ...props.cache?.containerSecrets(secretFor(scope, 'CacheAuthSecret', props.cache.authSecret)),
  };
  const platformSecrets = Object.keys(secrets);
  if (providerKeys.length > 0) {
    const providerSecret = secretFor(scope, 'ProviderKeysSecret', security.providerKeysSecret!);
    for (const name of providerKeys) {
      if (!(name in secrets)) secrets[name] = ecs.Secret.fromSecretsManager(providerSecret, name);
    }
  }

  // Across stacks the secrets' key is imported, and an imported key drops the
  // decrypt grant that reading a secret implies: grant it on the role itself.
  const secretKeys = [security.masterKeySecret, security.saltKeySecret, security.uiCredentialsSecret,
    ...(providerKeys.length > 0 ? [security.providerKeysSecret!] : []), ...(props.cache ? [props.cache.authSecret] : [])]
    .map(secret => secret.encryptionKey?.keyArn).filter((arn): arn is string => arn !== undefined);
  if (secretKeys.length > 0) {
    taskDefinition.obtainExecutionRole().addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'DecryptSecrets',
      actions: ['kms:Decrypt'],
      resources: [...new Set(secretKeys)],
      conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${stack.region}.amazonaws.com` } },
    }));
  }
  return { secrets, platformSecrets };
}
