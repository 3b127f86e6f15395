import { App, Aspects, CfnResource, Lazy, RemovalPolicy, Stack, Token, aws_ec2 as ec2, aws_kms as kms, aws_logs as logs } from 'aws-cdk-lib';
import { LiteLlmDeploymentProfile, LiteLlmModel } from '../src';
import { bedrockInvokeArns } from '../src/private/bedrock';
import { postgresMaxConnections } from '../src/private/connections';
import { envReference, envReferences, isCredentialKey, literalCredentials } from '../src/private/credentials';
import { capacityOf, followingKey, interfaceEndpointsByDefault, profileDefaults } from '../src/private/defaults';
import { rotationSucceededPattern } from '../src/private/rotation-pattern';
import { check, isToken } from '../src/private/validate';

describe('postgresMaxConnections', () => {
  // LEAST(DBInstanceClassMemory / 9531392, 5000), with 90 % of the nominal memory.
  test.each([
    ['t4g.micro', 84], // 1 GiB
    ['t4g.small', 168], // 2 GiB
    ['t4g.medium', 337], // 4 GiB
    ['t4g.large', 675], // 8 GiB
    ['t3.2xlarge', 2703], // 32 GiB
    ['m6g.xlarge', 1351], // 16 GiB
    ['r6g.large', 1351], // 16 GiB
    ['r6g.xlarge', 2703], // 32 GiB
    ['x2g.large', 2703], // 32 GiB
    ['r6g.2xlarge', 5000], // 64 GiB: capped
    ['r6g.16xlarge', 5000],
  ])('%s → %d', (instanceClass, expected) => {
    expect(postgresMaxConnections(new ec2.InstanceType(instanceClass))).toBe(expected);
  });

  test('accepts the InstanceType.of form the profiles use', () => {
    expect(postgresMaxConnections(ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.SMALL))).toBe(168);
    expect(postgresMaxConnections(ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MEDIUM))).toBe(337);
    expect(postgresMaxConnections(ec2.InstanceType.of(ec2.InstanceClass.R6G, ec2.InstanceSize.LARGE))).toBe(1351);
  });

  test.each(['z1d.large', 'r6g.metal', 'r6g', 'db.r6g.large'])('returns undefined for %s, a class it does not know', instanceClass => {
    expect(postgresMaxConnections(new ec2.InstanceType(instanceClass))).toBeUndefined();
  });
});

describe('isToken', () => {
  test('recognises unresolved strings, numbers and lists holding one', () => {
    expect(isToken(Token.asString(Lazy.string({ produce: () => 'x' })))).toBe(true);
    expect(isToken(`prefix-${Lazy.string({ produce: () => 'x' })}`)).toBe(true);
    expect(isToken(Lazy.number({ produce: () => 1 }))).toBe(true);
    expect(isToken(['a', Lazy.string({ produce: () => 'x' })])).toBe(true);
  });

  test('treats literals, plain lists and other values as resolved', () => {
    expect(isToken('10.0.0.0/16')).toBe(false);
    expect(isToken(42)).toBe(false);
    expect(isToken(['a', 'b'])).toBe(false);
    expect(isToken([])).toBe(false);
    expect(isToken(undefined)).toBe(false);
    expect(isToken({ a: 1 })).toBe(false);
    expect(isToken(true)).toBe(false);
  });
});

describe('check', () => {
  const positive = (v: number) => v > 0;
  const message = (v: number) => `value (${v}) must be positive`;

  test('throws the message built from a literal that fails', () => {
    expect(() => check(-1, positive, message)).toThrow('value (-1) must be positive');
  });

  test('passes a literal that is fine', () => {
    expect(() => check(1, positive, message)).not.toThrow();
  });

  test('skips undefined', () => {
    const judged: unknown[] = [];
    expect(() => check(undefined, v => { judged.push(v); return false; }, message)).not.toThrow();
    expect(judged).toEqual([]);
  });

  test('never judges an unresolved token', () => {
    const judged: unknown[] = [];
    const never = (v: unknown) => { judged.push(v); return false; };
    expect(() => check(Lazy.number({ produce: () => -1 }), never, () => 'bad')).not.toThrow();
    expect(() => check(Token.asString(Lazy.string({ produce: () => 'bad' })), never, () => 'bad')).not.toThrow();
    expect(() => check([Lazy.string({ produce: () => 'bad' })], never, () => 'bad')).not.toThrow();
    expect(judged).toEqual([]);
  });
});

describe('profileDefaults', () => {
  test('DEVELOPMENT is the default and is cheap and disposable', () => {
    const dev = profileDefaults();
    expect(profileDefaults(LiteLlmDeploymentProfile.DEVELOPMENT)).toEqual(dev);
    expect(dev).toMatchObject({
      production: false,
      multiAz: false,
      fargateSpot: true,
      deletionProtection: false,
      dataRemovalPolicy: RemovalPolicy.DESTROY,
      removalPolicy: RemovalPolicy.DESTROY,
      waf: false,
      containerInsights: false,
      performanceInsights: false,
      logRetention: logs.RetentionDays.TWO_WEEKS,
      litellmLog: 'INFO',
      natGateways: 1,
      interfaceEndpoints: false,
      minCapacity: 1,
      maxCapacity: 1,
      cpuPerWorker: 512,
    });
    expect(dev.databaseInstanceType.toString()).toBe('t4g.micro');
  });

  test('PRODUCTION is durable and observable', () => {
    const prod = profileDefaults(LiteLlmDeploymentProfile.PRODUCTION);
    expect(prod).toMatchObject({
      production: true,
      multiAz: true,
      fargateSpot: false,
      deletionProtection: true,
      dataRemovalPolicy: RemovalPolicy.SNAPSHOT,
      removalPolicy: RemovalPolicy.RETAIN,
      waf: true,
      containerInsights: true,
      performanceInsights: true,
      logRetention: logs.RetentionDays.THREE_MONTHS,
      litellmLog: 'ERROR',
      natGateways: 2,
      interfaceEndpoints: true,
      minCapacity: 2,
      maxCapacity: 4,
      cpuPerWorker: 1024,
    });
    expect(prod.databaseInstanceType.toString()).toBe('t4g.small');
  });
});

describe('capacityOf', () => {
  test.each<[string, LiteLlmDeploymentProfile, number | undefined, number | undefined, { min: number; max: number }]>([
    ['DEVELOPMENT defaults', LiteLlmDeploymentProfile.DEVELOPMENT, undefined, undefined, { min: 1, max: 1 }],
    ['PRODUCTION defaults', LiteLlmDeploymentProfile.PRODUCTION, undefined, undefined, { min: 2, max: 4 }],
    ['PRODUCTION, maxCapacity 1', LiteLlmDeploymentProfile.PRODUCTION, undefined, 1, { min: 1, max: 1 }],
    ['DEVELOPMENT, minCapacity 3', LiteLlmDeploymentProfile.DEVELOPMENT, 3, undefined, { min: 3, max: 3 }],
    ['both set win, even when wrong (the service says why)', LiteLlmDeploymentProfile.PRODUCTION, 5, 3, { min: 5, max: 3 }],
  ])('%s', (_name, profile, min, max, expected) => {
    expect(capacityOf(profile, min, max)).toEqual(expected);
  });

  test('an unresolved bound leaves the other at the profile\'s', () => {
    const token = Token.asNumber({ Ref: 'Tasks' });
    expect(capacityOf(LiteLlmDeploymentProfile.PRODUCTION, token)).toEqual({ min: token, max: 4 });
    expect(capacityOf(LiteLlmDeploymentProfile.PRODUCTION, undefined, token)).toEqual({ min: 2, max: token });
  });
});

describe('interfaceEndpointsByDefault', () => {
  test('PRODUCTION always; DEVELOPMENT only without a NAT gateway', () => {
    expect([0, 1, 2].map(n => interfaceEndpointsByDefault(LiteLlmDeploymentProfile.PRODUCTION, n))).toEqual([true, true, true]);
    expect([0, 1, 2].map(n => interfaceEndpointsByDefault(LiteLlmDeploymentProfile.DEVELOPMENT, n))).toEqual([true, false, false]);
  });
});

describe('followingKey', () => {
  const keyIn = (stack: Stack, removalPolicy: RemovalPolicy) => new kms.Key(stack, `Key${removalPolicy}`, { removalPolicy });
  const aliasOf = (key: kms.IKey) => new kms.Alias(Stack.of(key), `Alias${key.node.id}`, { aliasName: `alias/${key.node.id}`, targetKey: key });

  test('a key its stack deletes: DESTROY, whatever the block would have; a kept key: the block\'s policy', () => {
    const stack = new Stack();
    expect(followingKey(keyIn(stack, RemovalPolicy.DESTROY), RemovalPolicy.RETAIN)).toBe(RemovalPolicy.DESTROY);
    expect(followingKey(keyIn(stack, RemovalPolicy.RETAIN), RemovalPolicy.SNAPSHOT)).toBe(RemovalPolicy.SNAPSHOT);
    expect(followingKey(undefined, RemovalPolicy.RETAIN)).toBe(RemovalPolicy.RETAIN);
  });

  test('a kms.Alias answers for the key it targets (its own resource, AWS::KMS::Alias, has no deletion policy)', () => {
    const stack = new Stack();
    expect(followingKey(aliasOf(keyIn(stack, RemovalPolicy.DESTROY)), RemovalPolicy.RETAIN)).toBe(RemovalPolicy.DESTROY);
    expect(followingKey(aliasOf(keyIn(stack, RemovalPolicy.RETAIN)), RemovalPolicy.SNAPSHOT)).toBe(RemovalPolicy.SNAPSHOT);
  });

  test('an imported key or alias never follows (nothing of this app deletes it)', () => {
    const stack = new Stack();
    const arn = 'arn:aws:kms:us-east-1:111111111111:key/0a1b2c3d-4e5f-6789-abcd-ef0123456789';
    expect(followingKey(kms.Key.fromKeyArn(stack, 'Imported', arn), RemovalPolicy.RETAIN)).toBe(RemovalPolicy.RETAIN);
    expect(followingKey(kms.Alias.fromAliasName(stack, 'ImportedAlias', 'alias/litellm'), RemovalPolicy.RETAIN)).toBe(RemovalPolicy.RETAIN);
  });

  test('a deleted key kept after the blocks were built fails synthesis, once, naming the key and the fix', () => {
    // GIVEN: the blocks saw the key deleted with its stack, twice
    const app = new App();
    const stack = new Stack(app, 'Stack');
    const key = keyIn(stack, RemovalPolicy.DESTROY);
    followingKey(key, RemovalPolicy.RETAIN);
    followingKey(aliasOf(key), RemovalPolicy.RETAIN);

    // WHEN
    key.applyRemovalPolicy(RemovalPolicy.RETAIN);

    // THEN
    expect((key.node.defaultChild as CfnResource).node.validate()).toEqual([
      'The KMS key Stack/Keydestroy was deleted with its stack when the LiteLLM blocks were built, so what it encrypts is deleted with it, '
      + 'but its deletion policy is now Retain: that data would go while the key stays. '
      + 'Apply the key\'s removal policy before passing it to the blocks (`new kms.Key(..., { removalPolicy })`), not after',
    ]);
    expect(() => app.synth()).toThrow(/The KMS key Stack\/Keydestroy was deleted with its stack/);
  });

  test('a key deleted as built, or a kept key deleted later (integ/leave-nothing.ts does, with an aspect), synthesizes', () => {
    const app = new App();
    const stack = new Stack(app, 'Stack');
    followingKey(keyIn(stack, RemovalPolicy.DESTROY), RemovalPolicy.RETAIN);
    const kept = keyIn(stack, RemovalPolicy.RETAIN);
    followingKey(kept, RemovalPolicy.RETAIN);
    Aspects.of(stack).add({
      visit: node => { if (node === kept.node.defaultChild) (node as CfnResource).applyRemovalPolicy(RemovalPolicy.DESTROY); },
    });

    const template = app.synth().getStackByName('Stack').template;

    expect(Object.values<any>(template.Resources).filter(r => r.Type === 'AWS::KMS::Key').map(r => r.DeletionPolicy)).toEqual(['Delete', 'Delete']);
  });
});

describe('rotationSucceededPattern', () => {
  test('matches Secrets Manager\'s RotationSucceeded event for the given secrets', () => {
    expect(rotationSucceededPattern(['arn:a', 'arn:b'])).toEqual({
      source: ['aws.secretsmanager'],
      detailType: ['AWS Service Event via CloudTrail'],
      detail: { eventName: ['RotationSucceeded'], additionalEventData: { SecretId: ['arn:a', 'arn:b'] } },
    });
  });
});

describe('bedrockInvokeArns', () => {
  const stack = new Stack(new App(), 'Stack', { env: { account: '123456789012', region: 'us-east-1' } });
  const resolved = (models: LiteLlmModel[]) => stack.resolve(bedrockInvokeArns(stack, models));
  const arn = (rest: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, rest]] });

  test('a foundation model: its ARN in the stack\'s region only', () => {
    expect(resolved([LiteLlmModel.bedrock({ name: 'titan', modelId: 'amazon.titan-text-express-v1' })])).toEqual([
      arn(':bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1'),
    ]);
  });

  test('a foundation model in another region: that region', () => {
    expect(resolved([LiteLlmModel.bedrock({ name: 'titan', modelId: 'amazon.titan-text-express-v1', region: 'eu-central-1' })])).toEqual([
      arn(':bedrock:eu-central-1::foundation-model/amazon.titan-text-express-v1'),
    ]);
  });

  test.each(['us', 'eu', 'apac', 'global'])('a %s. inference profile: the profile here and its one model in every region', prefix => {
    const modelId = 'anthropic.claude-sonnet-4-20250514-v1:0';
    expect(resolved([LiteLlmModel.bedrock({ name: 'claude', modelId: `${prefix}.${modelId}` })])).toEqual([
      arn(`:bedrock:us-east-1:123456789012:inference-profile/${prefix}.${modelId}`),
      arn(`:bedrock:*::foundation-model/${modelId}`),
    ]);
  });

  test('never grants foundation-model/*, and ignores non-Bedrock models and duplicates', () => {
    const claude = LiteLlmModel.bedrock({ name: 'claude', modelId: 'us.anthropic.claude-sonnet-4-20250514-v1:0' });
    const arns = resolved([claude, claude, LiteLlmModel.mock({ name: 'mock' })]);
    expect(arns).toHaveLength(2);
    expect(JSON.stringify(arns)).not.toContain('foundation-model/*');
    expect(resolved([LiteLlmModel.mock({ name: 'mock' })])).toEqual([]);
  });
});

describe('credentials', () => {
  test.each(['api_key', 'aws_secret_access_key', 'azure_ad_token', 'vertex_credentials', 'LANGFUSE_SECRET_KEY', 'master_key', 'password', 'langfuse_secret'])(
    '%s is a credential key', key => expect(isCredentialKey(key)).toBe(true));

  test.each(['model', 'api_base', 'max_tokens', 'default_max_tokens', 'token_counter', 'aws_region_name', 'secret_fields'])(
    '%s is not a credential key', key => expect(isCredentialKey(key)).toBe(false));

  test('envReference reads os.environ/NAME only, never a token', () => {
    expect(envReference('os.environ/OPENAI_API_KEY')).toBe('OPENAI_API_KEY');
    expect(envReference('bearer os.environ/X')).toBeUndefined();
    expect(envReference(Token.asString({ Ref: 'Key' }))).toBeUndefined();
    expect(envReference(42)).toBeUndefined();
  });

  test('envReferences finds every reference in nested objects and lists', () => {
    expect(envReferences({ a: 'os.environ/A', b: [{ c: 'os.environ/C' }, 'os.environ/D'], e: { f: 1 } })).toEqual(['A', 'C', 'D']);
  });

  test('literalCredentials names each credential key holding a literal, an object or a token, with its path', () => {
    expect(literalCredentials({
      model_list: [{ litellm_params: { api_key: 'sk-1', aws_secret_access_key: 'os.environ/S', rpm: 5 } }],
      general_settings: { master_key: { nested: 'x' }, alerting_args: { slack_token: Token.asString({ Ref: 'T' }) } },
      litellm_settings: { ssl_verify: false, api_key: null },
    }, 'file')).toEqual([
      'file.model_list[0].litellm_params.api_key',
      'file.general_settings.master_key',
      'file.general_settings.alerting_args.slack_token',
    ]);
  });
});
