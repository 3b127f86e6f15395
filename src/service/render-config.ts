import { Duration, RemovalPolicy, Token, aws_ecs as ecs, aws_elasticloadbalancingv2 as elbv2, aws_ec2 as ec2, aws_s3 as s3 } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import * as YAML from 'yaml';
import { LiteLlmCloudFrontInput, LiteLlmConfig } from '../config';
import { LiteLlmServiceProps } from './props';
import { ipv4CidrWithin } from '../private/cidr';
import { METRICS_CALLBACK } from '../private/gateway-metrics';

/** What rendering needs beyond the props: values the service settled first. */
export interface RenderInputs {
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly requestTimeout: Duration;
  readonly removalPolicy: RemovalPolicy;
  readonly metrics: boolean;
  readonly databaseConnectionPoolLimit: number;
}

/** The rendered config, the variables the callbacks need, and the request-log bucket. */
export interface RenderedConfig {
  readonly text: string;
  readonly environment: { [name: string]: string };
  readonly bucket?: s3.IBucket;
}

/**
 * Binds the callbacks (a bucket, grants) and renders the config with the values the platform
 * owns; returns it with the variables the callbacks need.
 */
export function renderConfig(scope: Construct, config: LiteLlmConfig, props: LiteLlmServiceProps, inputs: RenderInputs): RenderedConfig {
  const { requestTimeout, removalPolicy, metrics } = inputs;
  const callbacks = config.callbacks.map(c => c.bind(scope, {
    encryptionKey: props.security.encryptionKey, role: inputs.taskDefinition.taskRole, removalPolicy,
  }));
  if (metrics) callbacks.push({ litellmSettings: { callbacks: [METRICS_CALLBACK] }, environment: {} });
  const buckets = callbacks.filter(c => c.bucket).map(c => c.bucket!);
  if (buckets.length > 1) {
    throw new Error('`config.callbacks` has LiteLlmCallback.s3Logging() twice: LiteLLM has one s3_callback_params; keep one');
  }
  const text = config.render({
    requestTimeoutSeconds: requestTimeout.toSeconds(),
    databaseConnectionPoolLimit: inputs.databaseConnectionPoolLimit,
    jsonLogs: true,
    sharedState: props.cache && {
      responseCacheTtlSeconds: props.cache.responseCaching ? Math.ceil(props.cache.responseCacheTtl.toSeconds({ integral: false })) : undefined,
    },
    callbacks,
    trustedProxyCidrs: trustedProxyCidrs(props.network.vpc),
    // Not behind an unknown proxy (`publicUrl`): every client behind it would share its address's
    // limit. Behind CloudFront the chain ends `<client>, <VPC origin>`: the load balancer admits
    // only CloudFront's VPC origin security group, and a rule that names a group admits traffic
    // from the private addresses of that group's network interfaces ("Security group rules",
    // Amazon VPC User Guide), so the VPC origin's hop is inside the trusted VPC ranges and
    // LiteLLM's walk from the right (litellm/proxy/auth/network.py:79-93) stops at the client
    // CloudFront appended, which no client writes.
    limitSignInsPerAddress: props.loadBalancer._cloudFront !== undefined
      || ((props.loadBalancer.loadBalancer.node.defaultChild as elbv2.CfnLoadBalancer).scheme !== 'internal' && !props.loadBalancer._behindProxy),
    cloudFront: cloudFrontInput(props),
  });
  validatePrometheusCallback(text, metrics);
  return { text, environment: Object.assign({}, ...callbacks.map(c => c.environment)), bucket: buckets[0] };
}

/** What the config needs of the CloudFront distribution in front of the load balancer, if any. */
function cloudFrontInput(props: LiteLlmServiceProps): LiteLlmCloudFrontInput | undefined {
  const front = props.loadBalancer._cloudFront;
  return front && {
    originResponseTimeoutSeconds: front.originResponseTimeout.toSeconds(),
    requestTimeoutSet: props.requestTimeout !== undefined,
  };
}

/**
 * A raw `prometheus` callback would register LiteLLM's metrics a second time beside the
 * platform's (prometheus_client refuses a name twice) and mount `/metrics`, without
 * authentication, on the port the load balancer serves (proxy/proxy_server.py:6605-6612).
 */
function validatePrometheusCallback(text: string, metrics: boolean): void {
  const settings = YAML.parse(text)?.litellm_settings ?? {};
  const named: unknown[] = ['callbacks', 'success_callback', 'failure_callback'].flatMap(k => ([] as unknown[]).concat(settings[k] ?? []));
  if (named.includes('prometheus')) {
    throw new Error(metrics
      ? '`litellm_settings` names the `prometheus` callback, but `metrics` already registers LiteLLM\'s Prometheus metrics, on their own port: remove it'
      : '`litellm_settings` names the `prometheus` callback, which serves /metrics on the port the load balancer serves to any valid key, so every tenant would read every team\'s series: '
        + 'remove it and turn `metrics` on (the same metrics on their own port, in CloudWatch)');
  }
}

/**
 * Where X-Forwarded-* headers may come from: the VPC's CIDR when synth knows it, else the
 * private ranges a VPC can use. Either way only the load balancer reaches the tasks' port
 * (the service security group admits it alone), so the headers a task trusts are the ALB's;
 * a literal keeps the config free of deploy-time values (it travels as one string).
 */
function trustedProxyCidrs(vpc: ec2.IVpc): string[] {
  const cidr = vpc.vpcCidrBlock;
  if (Token.isUnresolved(cidr)) return ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10'];
  // An imported VPC's subnets may lie in a secondary CIDR block: a load balancer there would not
  // be trusted, and LiteLLM would take its own (private) address for the client's, which MCP
  // counts as internal (ip_address_utils.py:344-350).
  const outside = [...vpc.publicSubnets, ...vpc.privateSubnets, ...vpc.isolatedSubnets].flatMap(subnet => {
    try {
      return [subnet.ipv4CidrBlock];
    } catch {
      return []; // imported without its CIDR (fromVpcAttributes)
    }
  }).filter(block => !Token.isUnresolved(block) && !ipv4CidrWithin(block, cidr));
  return [...new Set([cidr, ...outside])];
}
