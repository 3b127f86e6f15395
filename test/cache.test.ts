import { App, Duration, Stack, aws_cloudwatch as cloudwatch, aws_ec2 as ec2, aws_kms as kms } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as YAML from 'yaml';
import {
  LiteLlmDeploymentProfile, LiteLlmCache, LiteLlmCacheEngine, LiteLlmCacheOptions, LiteLlmCacheProps, LiteLlmModel,
  LiteLlmPlatform, LiteLlmPlatformProps,
} from '../src';
import { fiveStacks } from './support/scenarios';

const ENV = { account: '123456789012', region: 'us-east-1' };

function standalone(options: LiteLlmCacheOptions & { profile?: LiteLlmDeploymentProfile } = {}) {
  const stack = new Stack(new App(), 'Stack', { env: ENV });
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [
      { name: 'Public', subnetType: ec2.SubnetType.PUBLIC },
      { name: 'Data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    ],
  });
  const securityGroup = new ec2.SecurityGroup(stack, 'CacheSg', { vpc, allowAllOutbound: false });
  const key = new kms.Key(stack, 'Key');
  const make = () => new LiteLlmCache(stack, 'Cache', { vpc, securityGroup, encryptionKey: key, ...options });
  return { stack, vpc, securityGroup, key, make };
}

function synth(options: LiteLlmCacheOptions & { profile?: LiteLlmDeploymentProfile } = {}) {
  const s = standalone(options);
  const cache = s.make();
  return { ...s, cache, template: Template.fromStack(s.stack) };
}

describe('LiteLlmCache (DEVELOPMENT)', () => {
  const s = synth();

  test('one Valkey 8 cache.t4g.micro node, no failover', () => {
    s.template.resourceCountIs('AWS::ElastiCache::ReplicationGroup', 1);
    s.template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      Engine: 'valkey',
      EngineVersion: '8.0',
      CacheNodeType: 'cache.t4g.micro',
      NumCacheClusters: 1,
      AutomaticFailoverEnabled: false,
      MultiAZEnabled: false,
      Port: 6379,
    });
  });

  test('TLS required, encrypted at rest with the given key, AUTH token from Secrets Manager by dynamic reference only', () => {
    const [group] = Object.values(s.template.findResources('AWS::ElastiCache::ReplicationGroup')) as any[];
    expect(group.Properties).toMatchObject({
      TransitEncryptionEnabled: true,
      TransitEncryptionMode: 'required',
      AtRestEncryptionEnabled: true,
      KmsKeyId: s.stack.resolve(s.key.keyArn),
    });
    const token = JSON.stringify(group.Properties.AuthToken);
    expect(token).toMatch(/\{\{resolve:secretsmanager:/);
    expect(token).toContain(s.stack.getLogicalId(s.cache.authSecret.node.defaultChild as any));
    s.template.hasResourceProperties('AWS::SecretsManager::Secret', {
      KmsKeyId: s.stack.resolve(s.key.keyArn),
      GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true },
    });
  });

  test('in the private subnets, behind the given security group only', () => {
    s.template.hasResourceProperties('AWS::ElastiCache::SubnetGroup', {
      SubnetIds: s.stack.resolve(s.vpc.isolatedSubnets.map(sn => sn.subnetId)),
    });
    s.template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      SecurityGroupIds: [s.stack.resolve(s.securityGroup.securityGroupId)],
    });
  });

  test('deleted with the stack, like the rest of a DEVELOPMENT platform', () => {
    s.template.hasResource('AWS::ElastiCache::ReplicationGroup', { DeletionPolicy: 'Delete' });
    s.template.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Delete' });
  });

  test('alarms on engine CPU > 80 %, memory > 85 % and any eviction, each for 3 × 5 minutes, on the one node', () => {
    const memberId = { 'Fn::Join': ['-', [{ Ref: s.stack.getLogicalId(s.cache.replicationGroup) }, '001']] };
    for (const [metric, threshold, statistic] of [['EngineCPUUtilization', 80, 'Average'], ['DatabaseMemoryUsagePercentage', 85, 'Maximum'], ['Evictions', 0, 'Sum']] as const) {
      s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/ElastiCache',
        MetricName: metric,
        Statistic: statistic,
        Threshold: threshold,
        EvaluationPeriods: 3,
        Period: 300,
        ComparisonOperator: 'GreaterThanThreshold',
        Dimensions: [{ Name: 'CacheClusterId', Value: memberId }],
      });
    }
    expect(s.cache.alarms).toEqual([s.cache.cpuAlarm, s.cache.memoryAlarm, s.cache.evictionsAlarm]);
    // A copy: the block owns its alarms.
    s.cache.alarms.pop();
    expect(s.cache.alarms).toHaveLength(3);
  });

  test('metricXxx of a single node: the node\'s metric, with every option', () => {
    const metric = s.cache.metricEngineCpuUtilization({ period: Duration.minutes(1), label: 'cpu' }) as cloudwatch.Metric;
    expect(metric).toMatchObject({ namespace: 'AWS/ElastiCache', metricName: 'EngineCPUUtilization', statistic: 'Average', label: 'cpu' });
    expect(metric.period.toMinutes()).toBe(1);
    expect(s.stack.resolve(metric.dimensions)).toEqual({
      CacheClusterId: { 'Fn::Join': ['-', [{ Ref: s.stack.getLogicalId(s.cache.replicationGroup) }, '001']] },
    });
  });

  test('the block always creates its cache: its props have no `enabled` (the platform\'s `cache.enabled` decides)', () => {
    const t = standalone();
    // @ts-expect-error `enabled` is LiteLlmPlatformCacheOptions', not the block's
    const props: LiteLlmCacheProps = { vpc: t.vpc, securityGroup: t.securityGroup, encryptionKey: t.key, enabled: false };
    new LiteLlmCache(t.stack, 'Cache', props);
    Template.fromStack(t.stack).resourceCountIs('AWS::ElastiCache::ReplicationGroup', 1);
  });

  test('the container reads host, port and TLS as environment and the token as a secret', () => {
    expect(s.stack.resolve(s.cache.containerEnvironment())).toEqual({
      REDIS_HOST: { 'Fn::GetAtt': [s.stack.getLogicalId(s.cache.replicationGroup), 'PrimaryEndPoint.Address'] },
      REDIS_PORT: '6379',
      REDIS_SSL: 'True',
    });
    expect(Object.keys(s.cache.containerSecrets())).toEqual(['REDIS_PASSWORD']);
    expect(s.cache.containerSecrets().REDIS_PASSWORD.arn).toBe(s.cache.authSecret.secretArn);
  });

  test('response caching is off by default', () => {
    expect(s.cache.responseCaching).toBe(false);
    expect(s.cache.responseCacheTtl.toSeconds()).toBe(3600);
  });
});

describe('LiteLlmCache (PRODUCTION)', () => {
  const s = synth({ profile: LiteLlmDeploymentProfile.PRODUCTION });

  test('a primary and a replica in two AZs with automatic failover, cache.t4g.small', () => {
    s.template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      CacheNodeType: 'cache.t4g.small',
      NumCacheClusters: 2,
      AutomaticFailoverEnabled: true,
      MultiAZEnabled: true,
    });
  });

  test('keeps a final snapshot and the token secret on delete', () => {
    s.template.hasResource('AWS::ElastiCache::ReplicationGroup', { DeletionPolicy: 'Snapshot' });
    s.template.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Retain' });
  });

  test('alarms watch the busiest of the two nodes (the primary moves on failover)', () => {
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Metrics: Match.arrayWith([Match.objectLike({ Expression: 'MAX([m0, m1])' })]),
      Threshold: 80,
    });
    const alarms = Object.values(s.template.findResources('AWS::CloudWatch::Alarm')) as any[];
    expect(alarms).toHaveLength(3);
    for (const alarm of alarms) {
      const ids = alarm.Properties.Metrics.filter((m: any) => m.MetricStat).map((m: any) => JSON.stringify(m.MetricStat.Metric.Dimensions));
      expect(ids).toHaveLength(2);
      expect(ids[0]).toContain('001');
      expect(ids[1]).toContain('002');
    }
  });

  test('metricXxx: the MAX of both nodes; label and color on the expression, the other options on each node', () => {
    const families = [
      [s.cache.metricEngineCpuUtilization(), 'EngineCPUUtilization', 'Average'],
      [s.cache.metricDatabaseMemoryUsagePercentage(), 'DatabaseMemoryUsagePercentage', 'Maximum'],
      [s.cache.metricEvictions(), 'Evictions', 'Sum'],
      [s.cache.metricCurrConnections(), 'CurrConnections', 'Maximum'],
      [s.cache.metric('NetworkBytesIn'), 'NetworkBytesIn', 'Average'],
    ] as const;
    for (const [metric, name, statistic] of families) {
      const expression = metric as cloudwatch.MathExpression;
      expect(expression.expression).toBe('MAX([m0, m1])');
      expect(expression.label).toBe(`${name} (busiest node)`);
      expect(expression.period.toMinutes()).toBe(5);
      for (const m of Object.values(expression.usingMetrics) as cloudwatch.Metric[]) {
        expect(m).toMatchObject({ namespace: 'AWS/ElastiCache', metricName: name, statistic });
      }
    }
    const custom = s.cache.metricEvictions({ statistic: 'Maximum', period: Duration.minutes(1), label: 'evicted', color: '#ff0000' }) as cloudwatch.MathExpression;
    expect(custom).toMatchObject({ label: 'evicted', color: '#ff0000' });
    expect(custom.period.toMinutes()).toBe(1);
    for (const m of Object.values(custom.usingMetrics) as cloudwatch.Metric[]) {
      expect(m.statistic).toBe('Maximum');
      expect(m.label).toBeUndefined();
    }
  });
});

describe('LiteLlmCache options', () => {
  test('explicit engine, version, node type, Multi-AZ and response caching win over the profile', () => {
    const s = synth({
      engine: LiteLlmCacheEngine.REDIS,
      engineVersion: '7.1',
      nodeType: 'cache.r7g.large',
      multiAz: true,
      responseCaching: true,
      responseCacheTtl: Duration.minutes(10),
    });
    s.template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      Engine: 'redis', EngineVersion: '7.1', CacheNodeType: 'cache.r7g.large', NumCacheClusters: 2,
    });
    expect(s.cache.responseCaching).toBe(true);
    expect(s.cache.responseCacheTtl.toSeconds()).toBe(600);
  });

  test.each([
    [{ engineVersion: '6.2' }, '`cache.engineVersion` (6.2) is too old: TLS with an AUTH token and LiteLLM\'s commands need valkey 7 or newer'],
    [{ nodeType: 't4g.micro' }, '`cache.nodeType` ("t4g.micro") is not an ElastiCache node type, e.g. cache.t4g.micro'],
    [{ responseCacheTtl: Duration.millis(10) }, '`cache.responseCacheTtl` (0.01 s) must be at least 1 second'],
  ])('refuses %j', (options, message) => {
    expect(() => standalone(options as LiteLlmCacheOptions).make()).toThrow(message);
  });
});

describe('the platform and its cache', () => {
  const claude = () => LiteLlmModel.bedrock({ name: 'claude', modelId: 'us.anthropic.claude-sonnet-4-20250514-v1:0' });
  function platform(props: Partial<LiteLlmPlatformProps> = {}) {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const p = new LiteLlmPlatform(stack, 'LiteLlm', { models: [claude()], ...props });
    return { stack, platform: p, template: Template.fromStack(stack) };
  }
  const SEVERAL_TASKS = { service: { maxCapacity: 4 } };
  const warnings = (stack: Stack) => Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('stateIsPerProcess'));

  test.each([
    ['the DEVELOPMENT default (one task, one worker)', {}, false],
    ['the PRODUCTION default (up to 4 tasks)', { profile: LiteLlmDeploymentProfile.PRODUCTION, loadBalancer: { allowHttp: true } }, true],
    ['DEVELOPMENT with up to 4 tasks', { service: { maxCapacity: 4 } }, true],
    ['2 workers in one task', { service: { maxCapacity: 1, numWorkers: 2 } }, true],
    ['one task, one worker', { service: { maxCapacity: 1 } }, false],
  ] as const)('%s: cache %s', (_name, props, expected) => {
    const { stack, platform: p, template } = platform(props as Partial<LiteLlmPlatformProps>);
    expect(p.cache !== undefined).toBe(expected);
    template.resourceCountIs('AWS::ElastiCache::ReplicationGroup', expected ? 1 : 0);
    expect(warnings(stack)).toHaveLength(0);
  });

  test('several processes and `enabled: false`: no cache, and a warning that names what becomes per process', () => {
    const { stack, platform: p, template } = platform({ service: { minCapacity: 2, maxCapacity: 6 }, cache: { enabled: false } });
    expect(p.cache).toBeUndefined();
    template.resourceCountIs('AWS::ElastiCache::ReplicationGroup', 0);
    const found = warnings(stack);
    expect(found).toHaveLength(1);
    expect(JSON.stringify(found[0].entry.data)).toContain(
      'up to 6 LiteLLM processes (maxCapacity 6 × numWorkers 1, twice that during a deploy) and no cache: rate limits (rpm, tpm and parallel requests per key, team and model), router cooldowns and the response cache are kept per process, so every limit is multiplied by up to 6.');
  });

  test('`enabled: true` with one process still creates it', () => {
    expect(platform({ service: { maxCapacity: 1 }, cache: { enabled: true } }).platform.cache).toBeDefined();
  });

  test('the cache sits behind the network\'s cache security group, encrypted with the platform key', () => {
    const { stack, platform: p, template } = platform(SEVERAL_TASKS);
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      SecurityGroupIds: [stack.resolve(p.network.cacheSecurityGroup.securityGroupId)],
      KmsKeyId: stack.resolve(p.security.encryptionKey.keyArn),
      SnapshotRetentionLimit: 0,
    });
  });

  test('the LiteLLM container reads the endpoint and TLS as environment and the token as a secret; config.yaml points the router at it', () => {
    const { stack, platform: p } = platform(SEVERAL_TASKS);
    const template = Template.fromStack(stack).toJSON();
    const [task] = Object.values<any>(template.Resources).filter(r => r.Type === 'AWS::ECS::TaskDefinition');
    const litellm = task.Properties.ContainerDefinitions.find((c: any) => c.Name === 'litellm');
    const env = Object.fromEntries(litellm.Environment.map((e: any) => [e.Name, e.Value]));
    expect(env).toMatchObject({ REDIS_PORT: '6379', REDIS_SSL: 'True' });
    expect(env.REDIS_HOST).toEqual({ 'Fn::GetAtt': [stack.getLogicalId(p.cache!.replicationGroup), 'PrimaryEndPoint.Address'] });
    expect(litellm.Secrets.find((e: any) => e.Name === 'REDIS_PASSWORD').ValueFrom).toEqual(stack.resolve(p.cache!.authSecret.secretArn));
    const config = YAML.parse(p.service.renderedConfig);
    expect(config.router_settings).toMatchObject({
      redis_host: 'os.environ/REDIS_HOST', redis_port: 'os.environ/REDIS_PORT', redis_password: 'os.environ/REDIS_PASSWORD',
    });
    expect(config.general_settings.coordination_redis).toEqual({
      host: 'os.environ/REDIS_HOST', port: 'os.environ/REDIS_PORT', password: 'os.environ/REDIS_PASSWORD', ssl: true,
    });
    expect(config.litellm_settings.cache).toBeUndefined();
  });

  test('responseCaching turns on LiteLLM\'s Redis response cache with the TTL', () => {
    const { platform: p } = platform({ ...SEVERAL_TASKS, cache: { responseCaching: true, responseCacheTtl: Duration.minutes(5) } });
    const config = YAML.parse(p.service.renderedConfig);
    expect(config.litellm_settings.cache).toBe(true);
    expect(config.litellm_settings.cache_params).toMatchObject({ type: 'redis', ttl: 300 });
  });

  test('the cache\'s alarms notify the topic and its widgets are on the dashboard', () => {
    const { platform: p } = platform(SEVERAL_TASKS);
    expect(p.monitoring.alarms).toEqual(expect.arrayContaining(p.cache!.alarms));
  });

  test('without a cache, no Redis setting reaches the task or the config', () => {
    const { stack, platform: p } = platform({ service: { maxCapacity: 1 } });
    const text = JSON.stringify(Template.fromStack(stack).toJSON());
    expect(text).not.toContain('REDIS_');
    expect(p.service.renderedConfig).not.toContain('redis');
  });
});

describe('the cache in the five-stack split', () => {
  test('a cache in the database\'s stack reaches the service in its own stack by export', () => {
    // The quality gates' five-stack scenario puts the cache next to the database.
    const [, , , databaseStack, serviceStack] = fiveStacks().stacks;
    const service = JSON.stringify(Template.fromStack(serviceStack).toJSON());
    expect(service).toMatch(/"Fn::ImportValue":"Database:ExportsOutputFnGetAttCache[^"]*PrimaryEndPointAddress/);
    expect(service).toContain('REDIS_PASSWORD');
    expect(Annotations.fromStack(serviceStack).findWarning('*', Match.stringLikeRegexp('stateIsPerProcess'))).toHaveLength(0);
    expect(serviceStack.dependencies).toContain(databaseStack);
  });
});
