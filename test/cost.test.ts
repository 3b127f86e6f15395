// The cost report: the model prices known resources at the table's prices, the critical
// path follows references across stacks, and the README's table is the script's output.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { ENV, Scenario, defaultPlatform, fiveStacks, productionPlatform } from './support/scenarios';
import { README_END, README_START, costTable, scenarioStacks } from '../scripts/cost/scenarios';
import { LiteLlmModel, LiteLlmPlatform } from '../src';
import { main as costCommand } from '../src/cost/cli';
import { criticalPath } from '../src/cost/critical-path';
import { EMF_EVENT_BYTES, cloudFrontTrafficCost, templateCost, totals } from '../src/cost/model';
import { CREATE_SECONDS } from '../src/cost/prices';
import { MODEL_NOTE, formatReport, report, stacksAt } from '../src/cost/report';

const twoSubnets = [{ Ref: 'SubnetA' }, { Ref: 'SubnetB' }];

/** The one-liner as it was before CloudFront: the database and the migration step are its longest chain. */
function withoutCloudFront(): Scenario {
  const app = new App();
  const stack = new Stack(app, 'Default', { env: ENV });
  new LiteLlmPlatform(stack, 'LiteLlm', {
    models: [LiteLlmModel.bedrock({ name: 'claude-sonnet', modelId: 'us.anthropic.claude-sonnet-4-20250514-v1:0' })],
    cloudFront: { enabled: false },
  });
  return { app, stacks: [stack] };
}

describe('templateCost', () => {
  test('a template with known resources costs the known figure', () => {
    // GIVEN
    const template = {
      Resources: {
        Nat: { Type: 'AWS::EC2::NatGateway', Properties: {} },
        Eip: { Type: 'AWS::EC2::EIP', Properties: {} },
        Alb: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { Scheme: 'internet-facing', Subnets: twoSubnets } },
        Internal: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { Scheme: 'internal', Subnets: twoSubnets } },
        Logs: { Type: 'AWS::EC2::VPCEndpoint', Properties: { VpcEndpointType: 'Interface', ServiceName: 'com.amazonaws.us-east-1.logs', SubnetIds: twoSubnets } },
        S3: { Type: 'AWS::EC2::VPCEndpoint', Properties: { ServiceName: 'com.amazonaws.us-east-1.s3' } },
        Db: { Type: 'AWS::RDS::DBInstance', Properties: { DBInstanceClass: 'db.t4g.micro', AllocatedStorage: '20', MultiAZ: false } },
        DbProd: { Type: 'AWS::RDS::DBInstance', Properties: { DBInstanceClass: 'db.t4g.small', AllocatedStorage: '20', MultiAZ: true } },
        Task: { Type: 'AWS::ECS::TaskDefinition', Properties: { Cpu: '1024', Memory: '4096' } },
        Spot: { Type: 'AWS::ECS::Service', Properties: { TaskDefinition: { Ref: 'Task' }, DesiredCount: 1, CapacityProviderStrategy: [{ CapacityProvider: 'FARGATE_SPOT', Weight: 1 }] } },
        OnDemand: { Type: 'AWS::ECS::Service', Properties: { TaskDefinition: { Ref: 'Task' }, DesiredCount: 2, CapacityProviderStrategy: [{ CapacityProvider: 'FARGATE', Weight: 1 }] } },
        Cache: { Type: 'AWS::ElastiCache::ReplicationGroup', Properties: { Engine: 'valkey', CacheNodeType: 'cache.t4g.small', NumCacheClusters: 2 } },
        Key: { Type: 'AWS::KMS::Key', Properties: {} },
        SecretA: { Type: 'AWS::SecretsManager::Secret', Properties: {} },
        SecretB: { Type: 'AWS::SecretsManager::Secret', Properties: {} },
        AlarmA: { Type: 'AWS::CloudWatch::Alarm', Properties: {} },
        AlarmB: { Type: 'AWS::CloudWatch::Alarm', Properties: {} },
        Dashboard: { Type: 'AWS::CloudWatch::Dashboard', Properties: {} },
        Waf: { Type: 'AWS::WAFv2::WebACL', Properties: { Rules: [{}, {}, {}] } },
        Cluster: { Type: 'AWS::ECS::Cluster', Properties: { ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }] } },
        Role: { Type: 'AWS::IAM::Role', Properties: {} },
      },
    };

    // WHEN
    const { byComponent, total } = totals(templateCost(template));

    // THEN: 730 hours at the table's prices
    expect(Object.fromEntries(byComponent.map(([c, v]) => [c, Number(v.toFixed(4))]))).toEqual({
      'NAT gateways': 32.85, // 0.045
      'public IPv4': 10.95, // 0.005 × (1 EIP + 2 AZs of the internet-facing ALB)
      'VPC endpoints': 14.6, // 0.01 × 2 AZs; the gateway endpoint is free
      'load balancer': 32.85, // 0.0225 × 2
      'CloudFront': 0, // none in this template
      'WAF': 8, // 5 + 3 × 1
      'Fargate': 97.8185, // (0.04048 + 4 × 0.004445) × (0.3 spot + 2 on-demand)
      'database': 65.3, // 0.016 × 730 + 20 × 0.115, and (0.032 × 730 + 20 × 0.115) × 2
      'cache': 37.376, // 0.0256 × 2
      'keys and secrets': 1.8, // 1 + 2 × 0.4
      'alarms, dashboard, metrics': 14.6, // 2 × 0.1 + 3 + 38 × 0.3
    });
    expect(total).toBeCloseTo(316.1445, 4);
  });

  test('CloudFront: the distribution, its VPC origin and its function have no monthly fee; an internal load balancer has no public IPv4', () => {
    // GIVEN
    const template = {
      Resources: {
        Alb: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { Scheme: 'internal', Subnets: twoSubnets } },
        Origin: { Type: 'AWS::CloudFront::VpcOrigin', Properties: {} },
        Viewer: { Type: 'AWS::CloudFront::Function', Properties: {} },
        Cdn: { Type: 'AWS::CloudFront::Distribution', Properties: {} },
      },
    };

    // WHEN
    const items = templateCost(template);

    // THEN
    expect(items.filter(i => i.component === 'CloudFront')).toEqual([
      { component: 'CloudFront', detail: 'VPC origin Origin (no charge)', monthly: 0 },
      { component: 'CloudFront', detail: 'function Viewer: invocations are traffic (2 M free a month)', monthly: 0 },
      { component: 'CloudFront', detail: 'distribution Cdn: requests and data out are traffic (10 M requests and 1 TB free a month)', monthly: 0 },
    ]);
    expect(items.filter(i => i.component === 'public IPv4')).toEqual([]);
    expect(totals(items).total).toBeCloseTo(16.425, 6); // the ALB's hours only
  });

  test('CloudFront traffic: free within 10 M requests, 1 TB and 2 M function invocations a month, list prices beyond', () => {
    expect(cloudFrontTrafficCost({ requests: 5_000_000, dataOutGb: 50 })).toBe(0);
    // 10 M requests over at $0.01 per 10,000, 500 GB over at $0.085, 18 M invocations over at $0.10 per million
    expect(cloudFrontTrafficCost({ requests: 20_000_000, dataOutGb: 1_500, functionInvocations: 20_000_000 })).toBeCloseTo(10 + 42.5 + 1.8, 6);
    expect(cloudFrontTrafficCost({ requests: 20_000_000, dataOutGb: 1_500, functionInvocations: 20_000_000 }, false)).toBeCloseTo(20 + 127.5 + 2, 6);
  });

  test('the README\'s CloudFront traffic example and deploy chain are the model\'s', () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8').replace(/\s+/g, ' ');
    const example = cloudFrontTrafficCost({ requests: 20_000_000, dataOutGb: 1_500 });
    expect(readme).toContain(`20 million requests and 1.5 TB a month come to about $${example.toFixed(2)}`);
    const minutes = (type: string) => CREATE_SECONDS[type] / 60;
    expect(readme).toContain(`the load balancer (about ${minutes('AWS::ElasticLoadBalancingV2::LoadBalancer')} minutes), its CloudFront VPC origin (about ${minutes('AWS::CloudFront::VpcOrigin')};`);
    expect(readme).toContain(`and the distribution (about ${minutes('AWS::CloudFront::Distribution')})`);
    const dev = report(scenarioStacks(defaultPlatform()));
    expect(readme).toContain(`the DEVELOPMENT figure goes from $89.53 to $${dev.total.toFixed(2)}`);
  });

  test('an instance class the price table lacks fails and says where to add it', () => {
    const template = { Resources: { Db: { Type: 'AWS::RDS::DBInstance', Properties: { DBInstanceClass: 'db.x2g.16xlarge', AllocatedStorage: '20' } } } };
    expect(() => templateCost(template)).toThrow('no RDS price for db.x2g.16xlarge in src/cost/prices.ts: add it');
  });
});

describe('criticalPath', () => {
  test('follows Ref, GetAtt, Sub and DependsOn within a stack and stack dependencies across stacks', () => {
    // GIVEN: network → (database 720 s, NAT 120 s in parallel) → service 360 s in another stack
    const network = {
      name: 'Network',
      dependencies: [],
      template: {
        Resources: {
          Vpc: { Type: 'AWS::EC2::VPC' },
          Nat: { Type: 'AWS::EC2::NatGateway', Properties: { SubnetId: { Ref: 'Vpc' } } },
        },
      },
    };
    const app = {
      name: 'App',
      dependencies: ['Network'],
      template: {
        Resources: {
          Db: { Type: 'AWS::RDS::DBInstance', Properties: { DBInstanceClass: 'db.t4g.micro' } },
          Secret: { Type: 'AWS::SecretsManager::SecretTargetAttachment', Properties: { TargetId: { 'Fn::GetAtt': ['Db', 'Id'] } } },
          Task: { Type: 'AWS::ECS::TaskDefinition', Properties: { Secrets: [{ 'Fn::Sub': '${Secret}:password::' }] } },
          Service: { Type: 'AWS::ECS::Service', DependsOn: ['Listener'], Properties: { TaskDefinition: { Ref: 'Task' } } },
          Listener: { Type: 'AWS::ElasticLoadBalancingV2::Listener' },
        },
      },
    };

    // WHEN
    const path_ = criticalPath([app, network]);

    // THEN
    expect(path_.steps.map(s => `${s.stack}/${s.id}`)).toEqual(['Network/Vpc', 'Network/Nat', 'App/Db', 'App/Secret', 'App/Task', 'App/Service']);
    expect(path_.seconds).toBe(10 + 120 + 720 + 10 + 10 + 300);
  });

  test('behind CloudFront the service waits for the distribution (its URL is PROXY_BASE_URL), which waits for the VPC origin, which waits for the load balancer', () => {
    const types = criticalPath(scenarioStacks(defaultPlatform())).steps.map(s => s.type);
    const at = (type: string) => types.indexOf(type);
    expect(at('AWS::ElasticLoadBalancingV2::LoadBalancer')).toBeGreaterThanOrEqual(0);
    expect(at('AWS::CloudFront::VpcOrigin')).toBe(at('AWS::ElasticLoadBalancingV2::LoadBalancer') + 1);
    expect(at('AWS::CloudFront::Distribution')).toBe(at('AWS::CloudFront::VpcOrigin') + 1);
    expect(at('AWS::ECS::Service')).toBeGreaterThan(at('AWS::CloudFront::Distribution'));
  });

  test.each([['one stack without CloudFront', withoutCloudFront], ['five stacks', fiveStacks]])('%s: the migration step is on the path, after the database and before the service', (_, make) => {
    const types = criticalPath(scenarioStacks(make())).steps.map(s => s.type);
    const migration = types.indexOf('Custom::LiteLlmMigration');
    expect(migration).toBeGreaterThan(types.indexOf('AWS::RDS::DBInstance'));
    expect(types.indexOf('AWS::RDS::DBInstance')).toBeGreaterThanOrEqual(0);
    expect(types.indexOf('AWS::ECS::Service')).toBeGreaterThan(migration);
  });
});

test('the README\'s cost table is what `npx projen cost` prints for the scenarios', () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  expect(start).toBeGreaterThan(0);
  expect(readme.slice(start + README_START.length, end).trim()).toBe(costTable());
});

describe('the budgets the profiles are held to', () => {
  test('DEVELOPMENT, with its NAT gateway, is modeled at most $89.33 a month', () => {
    const dev = report(scenarioStacks(defaultPlatform()));
    expect(dev.byComponent.find(([c]) => c === 'NAT gateways')![1]).toBeGreaterThan(0);
    expect(dev.total).toBeLessThanOrEqual(89.33);
  });

  test('DEVELOPMENT behind CloudFront: the internal load balancer has no public IPv4 (the NAT\'s Elastic IP is the only one), CloudFront adds no monthly fee', () => {
    const dev = report(scenarioStacks(defaultPlatform()));
    expect(dev.items.filter(i => i.component === 'public IPv4').map(i => i.detail)).toEqual([expect.stringMatching(/^Elastic IP /)]);
    expect(dev.items.filter(i => i.component === 'CloudFront').map(i => i.detail)).toEqual(expect.arrayContaining([
      expect.stringMatching(/^VPC origin /), expect.stringMatching(/^distribution /),
    ]));
    expect(dev.byComponent.find(([c]) => c === 'CloudFront')![1]).toBe(0);
  });

  test('PRODUCTION, with a NAT gateway per AZ, Multi-AZ database and cache and two tasks, is modeled below $378 a month', () => {
    const prod = report(scenarioStacks(productionPlatform()));
    expect(prod.items.filter(i => i.component === 'NAT gateways')).toHaveLength(2);
    expect(prod.items.map(i => i.detail)).toEqual(expect.arrayContaining(['db.t4g.small Multi-AZ', '2 × cache.t4g.small valkey', '2 × 1 vCPU / 4 GB']));
    expect(prod.total).toBeLessThan(378);
  });
});

describe('an app given as a path', () => {
  test('a cdk.out directory: every stack, with the stack dependencies the assembly records', () => {
    // GIVEN
    const dir = fiveStacks().app.synth().directory;

    // WHEN
    const fromDir = report(stacksAt(dir));
    const fromScenario = report(scenarioStacks(fiveStacks()));

    // THEN
    expect(stacksAt(dir).find(s => s.name === 'Service')!.dependencies).toEqual(expect.arrayContaining(['Security', 'Network', 'Database']));
    expect(fromDir.total).toBeCloseTo(fromScenario.total, 6);
    expect(fromDir.deploy.seconds).toBe(fromScenario.deploy.seconds);
  });

  test('a template file: one stack named after the file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cost-'));
    const file = path.join(dir, 'Mine.template.json');
    fs.writeFileSync(file, JSON.stringify({ Resources: { Key: { Type: 'AWS::KMS::Key' } } }));
    try {
      expect(stacksAt(file).map(s => s.name)).toEqual(['Mine']);
      expect(report(stacksAt(file)).total).toBe(1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('cdk-litellm-cost, the command the package ships', () => {
  function run(args: string[]): { status: number; out: string; err: string } {
    let out = '';
    let err = '';
    const status = costCommand(args, l => { out += `${l}\n`; }, l => { err += `${l}\n`; });
    return { status, out, err };
  }

  test('prints the report of a cdk.out directory, as `npx projen cost -- cdk.out` does', () => {
    // GIVEN
    const dir = fiveStacks().app.synth().directory;

    // WHEN
    const { status, out, err } = run([dir]);

    // THEN
    expect(err).toBe('');
    expect(status).toBe(0);
    expect(out).toBe(`${formatReport(dir, report(stacksAt(dir)))}\n${MODEL_NOTE}\n`);
  });

  test('without an argument it reads ./cdk.out, and says what to do when there is none', () => {
    const cwd = process.cwd();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cost-cli-'));
    try {
      process.chdir(dir);
      const { status, out, err } = run([]);
      expect(status).toBe(2);
      expect(out).toBe('');
      expect(err).toContain('no such file or directory: cdk.out (run `cdk synth` first');
      expect(err).toContain('usage: cdk-litellm-cost');
    } finally {
      process.chdir(cwd);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('is the package\'s bin, compiled from src/cost/cli.ts', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'));
    expect(pkg.bin['cdk-litellm-cost']).toBe('lib/cost/cli.js');
    expect(fs.readFileSync(path.join(__dirname, '..', 'src', 'cost', 'cli.ts'), 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
  });
});

describe('LiteLLM\'s metrics in the cost', () => {
  test('PRODUCTION with two model groups: 9 × 2 + 11 = 29 custom metrics, and each group\'s math alarm billed for its 2 metrics', () => {
    const items = scenarioStacks(productionPlatform()).flatMap(s => templateCost(s.template));
    const metrics = items.filter(i => i.detail.startsWith('LiteLLM metrics'));
    expect(metrics).toEqual([{ component: 'alarms, dashboard, metrics', detail: 'LiteLLM metrics (29 custom metrics)', monthly: expect.closeTo(29 * 0.3, 6) }]);
    const groupAlarms = items.filter(i => /ModelFailureRateAlarm/.test(i.detail));
    expect(groupAlarms.map(i => [i.detail.endsWith('(2 metrics)'), i.monthly])).toEqual([[true, 0.2], [true, 0.2]]);
  });

  test('DEVELOPMENT (metrics off) has none', () => {
    const items = scenarioStacks(defaultPlatform()).flatMap(s => templateCost(s.template));
    expect(items.filter(i => i.detail.startsWith('LiteLLM metrics'))).toEqual([]);
  });

  test('the collector\'s log events: per task and scrape, ReportingTasks and two events per model group, at the measured size', () => {
    expect(EMF_EVENT_BYTES).toBe(600);
    const items = scenarioStacks(productionPlatform()).flatMap(s => templateCost(s.template));
    const gb = 730 * 60 * (1 + 2 * 2) * 600 / 1e9;
    const [logs] = items.filter(i => i.detail.startsWith('metrics collector\'s log events'));
    const tasks = Number(/, (\d+) tasks?\)$/.exec(logs.detail)![1]);
    expect(logs).toEqual({ component: 'alarms, dashboard, metrics', detail: expect.stringContaining(`(${(tasks * gb).toFixed(2)} GB`), monthly: expect.closeTo(tasks * gb * 0.5, 6) });
  });

  test('target tracking policies bill their two alarms, per metric they read: the token policy reads 3', () => {
    const tokens = templateCost({
      Resources: {
        Tokens: {
          Type: 'AWS::ApplicationAutoScaling::ScalingPolicy',
          Properties: { TargetTrackingScalingPolicyConfiguration: { CustomizedMetricSpecification: { Metrics: [{ MetricStat: {} }, { MetricStat: {} }, { MetricStat: {} }, { Expression: 'x' }] } } },
        },
        Cpu: { Type: 'AWS::ApplicationAutoScaling::ScalingPolicy', Properties: { TargetTrackingScalingPolicyConfiguration: { PredefinedMetricSpecification: {} } } },
        Step: { Type: 'AWS::ApplicationAutoScaling::ScalingPolicy', Properties: { StepScalingPolicyConfiguration: {} } },
      },
    });
    expect(tokens).toEqual([
      { component: 'alarms, dashboard, metrics', detail: 'target tracking Tokens: 2 alarms (3 metrics each)', monthly: expect.closeTo(0.6, 6) },
      { component: 'alarms, dashboard, metrics', detail: 'target tracking Cpu: 2 alarms', monthly: expect.closeTo(0.2, 6) },
    ]);
  });
});
