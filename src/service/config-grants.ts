import { Annotations, Fn, Stack, Token, aws_iam as iam } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { LiteLlmConfig } from '../config';
import { LiteLlmServiceProps } from './props';
import { inCidr } from '../private/egress';

/**
 * What the config's guardrails, MCP servers and vector stores need from AWS and the network:
 * the task role may apply exactly the configured Bedrock guardrails and retrieve from exactly the
 * configured knowledge bases; the WAF logs redact the MCP servers' credential headers; without
 * NAT every one must be reachable through a VPC endpoint. Ports other than 443 are opened with
 * the models' (`openEgress`, from the rendered config).
 */
export function bindConfigSections(
  scope: Construct, props: LiteLlmServiceProps, config: LiteLlmConfig, role: iam.IRole, privateWithoutNat: boolean,
): void {
  const stack = Stack.of(scope);
  const { guardrails, mcpServers, vectorStores } = config.sections;
  // ApplyGuardrail's resource is the guardrail, `arn:${Partition}:bedrock:${Region}:${Account}:guardrail/${GuardrailId}`
  // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonbedrock.html;
  // https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-permissions.html).
  // A guardrail with cross-Region inference also needs ApplyGuardrail on its guardrail profile in
  // each destination region, `arn:…:bedrock:<region>:<account>:guardrail-profile/<profile id>`
  // (https://docs.aws.amazon.com/bedrock/latest/userguide/guardrail-profiles-permissions.html).
  for (const g of guardrails) {
    // LiteLLM calls ApplyGuardrail with the id alone (an ARN is rendered as its id: guardrails.ts),
    // which Bedrock looks up in the caller's account.
    const arn = g._bedrock?.arn;
    if (arn === undefined || Token.isUnresolved(arn) || Token.isUnresolved(stack.account)) continue;
    const account = arn.split(':')[4];
    if (account !== stack.account) {
      throw new Error(`guardrail "${g.name}": \`guardrailIdentifier\` ("${arn}") is a guardrail in account ${account}, but the service deploys to account ${stack.account}: `
        + 'LiteLLM calls ApplyGuardrail with the guardrail\'s id, which Bedrock looks up in the task\'s own account, so every call would fail. '
        + `Use a guardrail in account ${stack.account}, or LiteLlmGuardrail.custom with \`aws_role_name\` a role in account ${account} that may apply it`);
    }
  }
  const guardrailArns = [...new Set(guardrails.flatMap(g => (g._bedrock
    ? [g._bedrock.arn ?? arnOf(stack, g._bedrock.identifier, g._bedrock.region, 'guardrail'), ...profileArns(stack, g._bedrock.profileArn)]
    : [])))];
  if (guardrailArns.length > 0) {
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ApplyConfiguredBedrockGuardrails', actions: ['bedrock:ApplyGuardrail'], resources: guardrailArns }));
  }
  // A guardrail encrypted with a customer managed key: ApplyGuardrail's caller needs kms:Decrypt on
  // that key (https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-permissions-kms.html).
  // Known only for a bedrock.CfnGuardrail given to LiteLlmGuardrail.bedrock (its kmsKeyArn).
  const guardrailKeys = [...new Set(guardrails.flatMap(g => (g._kmsKeyArn !== undefined ? [g._kmsKeyArn] : [])))];
  if (guardrailKeys.length > 0) {
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'DecryptConfiguredBedrockGuardrails', actions: ['kms:Decrypt'], resources: guardrailKeys }));
  }
  // Retrieve's resource is the knowledge base, `arn:${Partition}:bedrock:${Region}:${Account}:knowledge-base/${KnowledgeBaseId}` (same reference).
  const knowledgeBaseArns = [...new Set(vectorStores.flatMap(v => (v._knowledgeBase ? [arnOf(stack, v._knowledgeBase.knowledgeBaseId, v._knowledgeBase.region, 'knowledge-base')] : [])))];
  if (knowledgeBaseArns.length > 0) {
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'RetrieveFromConfiguredKnowledgeBases', actions: ['bedrock:Retrieve'], resources: knowledgeBaseArns }));
  }
  for (const g of guardrails.filter(x => x._ungranted)) {
    Annotations.of(scope).addWarningV2('cdk-litellm:guardrailNotGranted',
      `guardrail "${g.name}": ${g._ungranted}, so the task role is not granted bedrock:ApplyGuardrail on it and LiteLLM's call would be denied: `
      + 'add a statement for bedrock:ApplyGuardrail on arn:<partition>:bedrock:<region>:<account>:guardrail/<id> to `service.grantPrincipal`, or write the id and region in the config');
  }
  for (const v of vectorStores.filter(x => x._ungranted)) {
    Annotations.of(scope).addWarningV2('cdk-litellm:knowledgeBaseNotGranted',
      `vector store "${v.name}": ${v._ungranted}, so the task role is not granted bedrock:Retrieve on it and LiteLLM's search would be denied: `
      + 'add a statement for bedrock:Retrieve on arn:<partition>:bedrock:<region>:<account>:knowledge-base/<id> to `service.grantPrincipal`, or write the id and region in the config');
  }
  for (const g of guardrails.filter(x => x._bedrock?.profileUnknown)) {
    Annotations.of(scope).addWarningV2('cdk-litellm:guardrailProfileNotGranted',
      `guardrail "${g.name}": its \`crossRegionConfig\` is only known at deploy time, so the task role is not granted bedrock:ApplyGuardrail on its guardrail profile `
      + 'and cross-Region calls would be denied: give `guardrailProfileArn`, or add a statement for bedrock:ApplyGuardrail on '
      + 'arn:<partition>:bedrock:*:<account>:guardrail-profile/<profile id> to `service.grantPrincipal`');
  }
  const aliases = mappedAliases(config.mcpAliases);
  for (const m of mcpServers) {
    const ids = m._headerIds(aliases.get(m.name) ?? []).filter(id => id.includes('_'));
    if (ids.length > 0) {
      // The load balancer drops header names with "_" (load-balancer.ts: dropInvalidHeaderFields), so
      // LiteLLM never sees a caller's x-mcp-<name>-… header for them (user_api_key_auth_mcp.py:1769-1818).
      Annotations.of(scope).addWarningV2('cdk-litellm:mcpHeaderDropped',
        `MCP server "${m.name}": callers' credential headers for ${ids.map(id => `"${id}"`).join(', ')} (x-mcp-${ids[0]}-authorization…) have "_" in their name, `
        + 'which the load balancer drops, so they never reach LiteLLM: name the server (or its alias or access group) with letters and digits only, '
        + 'or give it a static credential (`authentication_token`)');
    }
    if (m.configEntry.auth_type === 'aws_sigv4') {
      // LiteLLM signs with the entry's keys or role, else the default credentials, the task role
      // (mcp_server_manager.py:2790-2797); the platform cannot know the server's service and action.
      Annotations.of(scope).addWarningV2('cdk-litellm:mcpSigv4NotGranted',
        `MCP server "${m.name}" uses auth_type aws_sigv4, signed as the task role unless the entry names keys or a role: the task role is granted nothing for it. `
        + 'Add a statement for the server\'s invoke action (e.g. bedrock-agentcore:InvokeGateway on the gateway\'s ARN), or sts:AssumeRole on its `aws_role_name`, to `service.grantPrincipal`');
    }
  }
  const environment = props.environment ?? {};
  if (config.sections.raw.worker_registry && !('LITELLM_LICENSE' in environment) && !config.secretEnvNames.includes('LITELLM_LICENSE')) {
    // LiteLLM raises at start unless premium_user (litellm/proxy/proxy_server.py:7239-7243), which its
    // license check sets from LITELLM_LICENSE (proxy_server.py:1079; litellm/proxy/auth/litellm_license.py:35).
    // A warning, not a refusal: the license may come from a secret the platform cannot see.
    Annotations.of(scope).addWarningV2('cdk-litellm:premiumSection',
      '`worker_registry` is a LiteLLM Enterprise section: without a license LiteLLM refuses to start and the deploy rolls back. '
      + 'Put LITELLM_LICENSE in the provider keys secret (`config.secretEnvNames`), or remove `worker_registry`');
  }
  props.loadBalancer._redactHeaders(mcpServers.flatMap(m => m._credentialHeaders(aliases.get(m.name) ?? [])),
    'The MCP servers (`config.mcpServers`, `mcp_servers`: x-mcp-<server, alias or access group>-authorization and their `extra_headers`)');
  if (privateWithoutNat) validateReachableWithoutNat(stack, props, config);
}

/**
 * For each server, the alias `litellm_settings.mcp_aliases` gives it: the first key that names
 * it (litellm/proxy/_experimental/mcp_server/mcp_server_manager.py:552-575); an entry's own
 * `alias` wins (LiteLlmMcpServer._headerIds).
 */
function mappedAliases(aliases: { [alias: string]: unknown }): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [alias, server] of Object.entries(aliases)) {
    if (typeof server === 'string' && !out.has(server)) out.set(server, [alias]);
  }
  return out;
}

/** The guardrail profile `profileArn` in the source region and every destination region. */
function profileArns(stack: Stack, profileArn: string | undefined): string[] {
  if (profileArn === undefined) return [];
  const id = Token.isUnresolved(profileArn) ? Fn.select(1, Fn.split('guardrail-profile/', profileArn)) : profileArn.split('guardrail-profile/')[1] ?? profileArn;
  return [profileArn, `arn:${stack.partition}:bedrock:*:${stack.account}:guardrail-profile/${id}`];
}

/** `identifier` when it is an ARN, else the ARN of that id in `region` (the stack's by default). */
function arnOf(stack: Stack, identifier: string, region: string | undefined, type: string): string {
  if (!Token.isUnresolved(identifier) && identifier.startsWith('arn:')) return identifier;
  return `arn:${stack.partition}:bedrock:${region ?? stack.region}:${stack.account}:${type}/${identifier}`;
}

/**
 * Private tasks without NAT reach only what VPC endpoints serve: a guardrail, MCP server or
 * vector store on the internet, or Bedrock in another region, cannot be called.
 */
function validateReachableWithoutNat(stack: Stack, props: LiteLlmServiceProps, config: LiteLlmConfig): void {
  const { guardrails, mcpServers, vectorStores } = config.sections;
  // An address in the VPC's own range is reached without NAT, whatever range the VPC uses: its
  // range, or (for a VPC this app creates, whose range is a deploy-time attribute) its subnets'.
  const vpc = props.network.vpc;
  const ranges = [vpc.vpcCidrBlock, ...[...vpc.publicSubnets, ...vpc.privateSubnets, ...vpc.isolatedSubnets].map(s => s.ipv4CidrBlock)]
    .filter(c => typeof c === 'string' && !Token.isUnresolved(c));
  const inVpc = (host: string | undefined) => host !== undefined && ranges.some(c => inCidr(host, c));
  const needing = [
    ...guardrails.filter(g => g.needsInternet && !inVpc(g._defaultedHost)).map(g => `guardrail "${g.name}"`),
    ...mcpServers.filter(m => m.needsInternet && !inVpc(m._defaultedHost)).map(m => `MCP server "${m.name}"`),
    ...vectorStores.filter(v => v.needsInternet && !inVpc(v._defaultedHost)).map(v => `vector store "${v.name}"`),
    // An interface endpoint serves its own region only.
    ...guardrails.filter(g => otherRegion(stack, g._bedrock?.region)).map(g => `guardrail "${g.name}" (Bedrock in ${g._bedrock!.region})`),
    ...vectorStores.filter(v => otherRegion(stack, v._knowledgeBase?.region)).map(v => `vector store "${v.name}" (Bedrock in ${v._knowledgeBase!.region})`),
  ];
  if (needing.length > 0) {
    throw new Error(`${needing.join(', ')} ${needing.length === 1 ? 'needs' : 'need'} internet egress, but \`natGateways\` is 0 and tasks run in private subnets: `
      + 'set natGateways to 1, or say `needsInternet` false for one in the VPC (the factories\' option, `custom`\'s last argument: '
      + 'move a file\'s entry there, e.g. `LiteLlmMcpServer.custom(name, entry, { needsInternet: false })`); an entry at a private address (RFC 1918, or the VPC\'s range) needs no NAT');
  }
  if (props.network.vpcImported) return;
  const endpoints = props.network.vpcEndpoints;
  const off = [
    ...(config.sections.guardrails.some(g => g.configEntry.litellm_params.guardrail === 'bedrock') && !endpoints.bedrockRuntime ? ['bedrockRuntime (the Bedrock guardrails)'] : []),
    ...(config.usesBedrockAgentRuntime && !endpoints.bedrockAgentRuntime ? ['bedrockAgentRuntime (the Bedrock knowledge bases)'] : []),
  ];
  if (off.length > 0) {
    throw new Error(`\`natGateways\` is 0 and tasks run in private subnets, so they reach AWS only through VPC endpoints, but \`endpoints\` has no ${off.join(', ')}: turn them on, or set natGateways to 1`);
  }
}

function otherRegion(stack: Stack, region: string | undefined): boolean {
  return region !== undefined && !Token.isUnresolved(region) && !Token.isUnresolved(stack.region) && region !== stack.region;
}
