// The monthly cost model: what the resources of CloudFormation templates cost with nothing
// flowing through them (minimum capacity running 730 hours, list prices of PRICES).
import * as YAML from 'yaml';
import { PRICES } from './prices';

/** One priced resource. */
export interface LineItem {
  readonly component: string;
  readonly detail: string;
  readonly monthly: number;
}

/** Components in the order the report prints them. */
export const COMPONENTS = [
  'NAT gateways', 'public IPv4', 'VPC endpoints', 'load balancer', 'CloudFront', 'WAF', 'Fargate', 'database', 'cache',
  'keys and secrets', 'alarms, dashboard, metrics',
] as const;

type Resources = Record<string, { Type: string; Properties?: any }>;

const month = (hourly: number) => hourly * PRICES.hoursPerMonth;
const truthy = (v: unknown) => v === true || v === 'true';

function priceOf(table: Record<string, number>, key: string, what: string): number {
  const price = table[key];
  if (price === undefined) throw new Error(`no ${what} price for ${key} in src/cost/prices.ts: add it`);
  return price;
}

/** The line items of one template. */
export function templateCost(template: { Resources?: Resources }): LineItem[] {
  const resources = template.Resources ?? {};
  const items: LineItem[] = [];
  const add = (component: typeof COMPONENTS[number], detail: string, monthly: number) => items.push({ component, detail, monthly });
  for (const [id, { Type: type, Properties: p = {} }] of Object.entries(resources)) {
    switch (type) {
      case 'AWS::EC2::NatGateway':
        add('NAT gateways', `NAT gateway ${id}`, month(PRICES.natGatewayHour));
        break;
      case 'AWS::EC2::EIP':
        add('public IPv4', `Elastic IP ${id}`, month(PRICES.publicIpv4Hour));
        break;
      case 'AWS::ElasticLoadBalancingV2::LoadBalancer': {
        add('load balancer', `ALB ${id}`, month(PRICES.albHour));
        if (p.Scheme !== 'internal') {
          const azs = (p.Subnets ?? p.SubnetMappings ?? []).length;
          add('public IPv4', `ALB ${id}: ${azs} public IPv4 (one per AZ)`, azs * month(PRICES.publicIpv4Hour));
        }
        break;
      }
      case 'AWS::CloudFront::Distribution': {
        const free = PRICES.cloudFront;
        add('CloudFront', `distribution ${id}: requests and data out are traffic (${free.freeRequests / 1e6} M requests and ${free.freeDataOutGb / 1000} TB free a month)`, 0);
        break;
      }
      case 'AWS::CloudFront::VpcOrigin':
        add('CloudFront', `VPC origin ${id} (no charge)`, 0);
        break;
      case 'AWS::CloudFront::Function':
        add('CloudFront', `function ${id}: invocations are traffic (${PRICES.cloudFront.freeFunctionInvocations / 1e6} M free a month)`, 0);
        break;
      case 'AWS::EC2::VPCEndpoint':
        if (p.VpcEndpointType === 'Interface') {
          const azs = (p.SubnetIds ?? []).length;
          add('VPC endpoints', `${serviceName(p.ServiceName)} in ${azs} AZ`, azs * month(PRICES.interfaceEndpointAzHour));
        }
        break;
      case 'AWS::ECS::Service': {
        add('Fargate', ...fargate(resources, p));
        const logs = gatewayMetricLogGb(resources[p.TaskDefinition?.Ref]?.Properties?.ContainerDefinitions ?? []);
        const tasks = p.DesiredCount ?? 1;
        if (logs > 0) {
          add('alarms, dashboard, metrics', `metrics collector's log events (${(tasks * logs).toFixed(2)} GB, ${tasks} task${tasks > 1 ? 's' : ''})`,
            tasks * logs * PRICES.traffic.logsIngestGb);
        }
        break;
      }
      case 'AWS::RDS::DBInstance': {
        const copies = truthy(p.MultiAZ) ? 2 : 1;
        const az = copies === 2 ? 'Multi-AZ' : 'single-AZ';
        add('database', `${p.DBInstanceClass} ${az}`, copies * month(priceOf(PRICES.rdsPostgresHour, p.DBInstanceClass, 'RDS')));
        add('database', `${p.AllocatedStorage} GB storage ${az}`, copies * Number(p.AllocatedStorage) * PRICES.rdsStorageGbMonth);
        break;
      }
      case 'AWS::ElastiCache::ReplicationGroup': {
        const nodes = p.NumCacheClusters ?? (p.NumNodeGroups ?? 1) * ((p.ReplicasPerNodeGroup ?? 0) + 1);
        const table = p.Engine === 'valkey' ? PRICES.elastiCacheValkeyHour : PRICES.elastiCacheRedisHour;
        add('cache', `${nodes} × ${p.CacheNodeType} ${p.Engine}`, nodes * month(priceOf(table, p.CacheNodeType, `ElastiCache ${p.Engine}`)));
        break;
      }
      case 'AWS::WAFv2::WebACL': {
        const rules = (p.Rules ?? []).length;
        add('WAF', `web ACL with ${rules} rules`, PRICES.wafWebAclMonth + rules * PRICES.wafRuleMonth);
        break;
      }
      case 'AWS::KMS::Key':
        add('keys and secrets', `KMS key ${id}`, PRICES.kmsKeyMonth);
        break;
      case 'AWS::SecretsManager::Secret':
        add('keys and secrets', `secret ${id}`, PRICES.secretMonth);
        break;
      case 'AWS::CloudWatch::Alarm': {
        // An alarm on metric math is billed per metric it reads.
        const reads = Array.isArray(p.Metrics) ? p.Metrics.filter((m: any) => m.MetricStat).length : 1;
        add('alarms, dashboard, metrics', `alarm ${id}${reads > 1 ? ` (${reads} metrics)` : ''}`, reads * PRICES.alarmMonth);
        break;
      }
      case 'AWS::ApplicationAutoScaling::ScalingPolicy': {
        // Target tracking creates and bills two alarms (scale out, scale in), each per metric it reads.
        const tracking = p.TargetTrackingScalingPolicyConfiguration;
        if (!tracking) break;
        const metrics = tracking.CustomizedMetricSpecification?.Metrics;
        const reads = Array.isArray(metrics) ? metrics.filter((m: any) => m.MetricStat).length : 1;
        add('alarms, dashboard, metrics', `target tracking ${id}: 2 alarms${reads > 1 ? ` (${reads} metrics each)` : ''}`, 2 * reads * PRICES.alarmMonth);
        break;
      }
      case 'AWS::ECS::TaskDefinition': {
        const metrics = gatewayMetricCount(p.ContainerDefinitions ?? []);
        if (metrics > 0) add('alarms, dashboard, metrics', `LiteLLM metrics (${metrics} custom metrics)`, metrics * PRICES.customMetricMonth);
        break;
      }
      case 'AWS::CloudWatch::Dashboard':
        add('alarms, dashboard, metrics', `dashboard ${id}`, PRICES.dashboardMonth);
        break;
      case 'AWS::ECS::Cluster':
        if ((p.ClusterSettings ?? []).some((s: any) => s.Name === 'containerInsights' && s.Value !== 'disabled')) {
          add('alarms, dashboard, metrics', `Container Insights (${PRICES.containerInsightsMetrics} metrics)`,
            PRICES.containerInsightsMetrics * PRICES.customMetricMonth);
        }
        break;
    }
  }
  return items;
}

/** A month of traffic through a CloudFront distribution. */
export interface CloudFrontTraffic {
  /** HTTPS requests a month. */
  readonly requests: number;
  /** GB sent to viewers a month (responses, streamed tokens). */
  readonly dataOutGb: number;
  /** CloudFront Function invocations a month: one per request when the platform's function runs (WAF on). */
  readonly functionInvocations?: number;
}

/**
 * What a month of traffic through CloudFront costs at the table's prices: after the always-free
 * tier (per account) unless `freeTier` is false.
 */
export function cloudFrontTrafficCost(traffic: CloudFrontTraffic, freeTier = true): number {
  const cf = PRICES.cloudFront;
  const over = (used: number, free: number) => Math.max(0, used - (freeTier ? free : 0));
  return over(traffic.requests, cf.freeRequests) / 10_000 * cf.httpsRequests10k
    + over(traffic.dataOutGb, cf.freeDataOutGb) * cf.dataOutGb
    + over(traffic.functionInvocations ?? 0, cf.freeFunctionInvocations) / 1e6 * cf.functionMillionInvocations;
}

function fargate(resources: Resources, service: any): [string, number] {
  const taskRef = service.TaskDefinition?.Ref;
  const task = resources[taskRef]?.Properties;
  if (!task) throw new Error(`the ECS service's task definition ${JSON.stringify(service.TaskDefinition)} is not in the same template`);
  const vcpu = Number(task.Cpu) / 1024;
  const gb = Number(task.Memory) / 1024;
  const tasks = service.DesiredCount ?? 1;
  const spot = (service.CapacityProviderStrategy ?? []).some((s: any) => s.CapacityProvider === 'FARGATE_SPOT');
  const hourly = (vcpu * PRICES.fargateVcpuHour + gb * PRICES.fargateGbHour) * (spot ? 1 - PRICES.fargateSpotDiscount : 1);
  return [`${tasks} × ${vcpu} vCPU / ${gb} GB${spot ? ' Spot' : ''}`, tasks * month(hourly)];
}

/** `ecr.api` of `com.amazonaws.<region>.ecr.api`, literal or joined. */
function serviceName(name: any): string {
  const parts: unknown[] = typeof name === 'string' ? [name] : name?.['Fn::Join']?.[1] ?? [];
  const last = parts[parts.length - 1];
  return typeof last === 'string' ? last.replace(/^(com\.amazonaws\.[a-z0-9-]+)?\./, '') : 'endpoint';
}

/** Monthly totals by component, in the report's order, and the total. */
export function totals(items: LineItem[]): { byComponent: [string, number][]; total: number } {
  const byComponent = COMPONENTS.map(c => [c, items.filter(i => i.component === c).reduce((s, i) => s + i.monthly, 0)] as [string, number]);
  return { byComponent, total: byComponent.reduce((s, [, v]) => s + v, 0) };
}

/** A template string as text, with `<token>` for what resolves at deploy. */
function text(value: any): string {
  if (typeof value === 'string') return value;
  const join = value?.['Fn::Join'];
  return join ? join[1].map((part: unknown) => (typeof part === 'string' ? part : '<token>')).join(join[0]) : '<token>';
}

/** The collector's configuration and the number of model groups of a task's config, when it has a collector. */
function gatewayMetrics(containers: any[]): { collector: any; groups: number } | undefined {
  const env = (name: string) => containers.flatMap(c => c.Environment ?? []).find((e: any) => e.Name === name)?.Value;
  const collector = env('AOT_CONFIG_CONTENT');
  const config = env('LITELLM_CONFIG_YAML');
  if (collector === undefined || config === undefined) return undefined;
  return { collector: YAML.parse(text(collector)), groups: new Set((YAML.parse(text(config)).model_list ?? []).map((m: any) => m.model_name)).size };
}

/**
 * The bytes of one embedded-metric-format event the collector writes (ADOT's awsemf with the
 * platform's config: 540-610 bytes, measured in test/boot-collector.test.ts).
 */
export const EMF_EVENT_BYTES = 600;

/**
 * GB a month one task's collector writes to CloudWatch Logs: each scrape, one event for
 * ReportingTasks and, per model group in use, one for its counters and one for its latencies.
 */
function gatewayMetricLogGb(containers: any[]): number {
  const found = gatewayMetrics(containers);
  if (!found) return 0;
  const seconds = parseInt(found.collector.receivers.prometheus.config.scrape_configs[0].scrape_interval, 10);
  const scrapes = PRICES.hoursPerMonth * 3600 / seconds;
  return scrapes * (1 + 2 * found.groups) * EMF_EVENT_BYTES / 1e9;
}

/**
 * The custom metrics LiteLLM's collector creates: each metric its EMF exporter declares,
 * once per dimension set, `model_group` ones once per model group of the config.
 */
function gatewayMetricCount(containers: any[]): number {
  const found = gatewayMetrics(containers);
  if (!found) return 0;
  const groups = found.groups;
  const declarations: any[] = found.collector.exporters?.awsemf?.metric_declarations ?? [];
  return declarations.reduce((sum, d) => sum + (d.metric_name_selectors ?? []).length
    * (d.dimensions ?? []).reduce((n: number, dims: string[]) => n + (dims.includes('model_group') ? groups : 1), 0), 0);
}
