import { App, RemovalPolicy, Stack, aws_kms as kms } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { LiteLlmCallback, LiteLlmDeploymentProfile, LiteLlmModel, LiteLlmPlatform, LiteLlmPlatformProps, LiteLlmSecurity } from '../src';
import { ENV, SCENARIOS, Scenario as SupportScenario } from './support/scenarios';

// Stateful resources: what holds data must keep its identity across refactors,
// survive a PRODUCTION stack deletion, and never leak a value into a template.

function sonnet(): LiteLlmModel {
  return LiteLlmModel.bedrock({ name: 'claude-sonnet', modelId: 'us.anthropic.claude-sonnet-4-20250514-v1:0' });
}

interface Synth {
  readonly stack: Stack;
  readonly platform: LiteLlmPlatform;
  readonly template: any;
}

function synthPlatform(props: Partial<LiteLlmPlatformProps> = {}, configure?: (stack: Stack) => Partial<LiteLlmPlatformProps>): Synth {
  const stack = new Stack(new App(), 'Stack', { env: ENV });
  const platform = new LiteLlmPlatform(stack, 'LiteLlm', { models: [sonnet()], ...props, ...configure?.(stack) });
  return { stack, platform, template: Template.fromStack(stack).toJSON() };
}

const synths = new Map<string, Synth>();
/** Each configuration is synthesized once per file. */
function once(key: string, make: () => Synth): Synth {
  let s = synths.get(key);
  if (!s) {
    s = make();
    synths.set(key, s);
  }
  return s;
}

/** The DESIGN one-liner, in DEVELOPMENT (the default) or PRODUCTION. */
function oneLiner(profile?: LiteLlmDeploymentProfile): Synth {
  return once(`one-liner-${profile ?? 'default'}`, () => synthPlatform(profile ? { profile, loadBalancer: { allowHttp: true } } : {}));
}

function resourcesOfType(template: any, type: string): [string, any][] {
  return Object.entries<any>(template.Resources).filter(([, r]) => r.Type === type);
}

// These logical IDs are how CloudFormation knows a resource. If one changes (a
// construct id renamed, a construct moved under another parent, a feature flag
// that changes how ids are derived), the next deploy creates a new resource and
// deletes the old one: an empty database instead of every key, team and spend
// record; a new salt key that cannot decrypt the model credentials stored in the
// old database; a new master key that locks every client out; a new KMS key while
// the old one, and everything it encrypted, is scheduled for deletion.
// Never "update" these literals to make this test pass: keep the construct ids,
// or pin the old id with `overrideLogicalId`. They are the same in both profiles,
// so switching a platform from DEVELOPMENT to PRODUCTION replaces nothing either.
const PINNED_LOGICAL_IDS = {
  databaseInstance: 'LiteLlmDatabaseInstance57728794',
  databaseCredentialsSecret: 'StackLiteLlmDatabaseInstanceSecret42E7CC0D1d89ec5d5e2383762bcfdfbc9a6eaeed',
  saltKeySecret: 'LiteLlmSecuritySaltKey475FD491',
  masterKeySecret: 'LiteLlmSecurityMasterKey235854EE',
  encryptionKey: 'LiteLlmSecurityKey485182C9',
};

const PROFILES: { name: string; profile?: LiteLlmDeploymentProfile }[] = [
  { name: 'DEVELOPMENT (default)', profile: undefined },
  { name: 'PRODUCTION', profile: LiteLlmDeploymentProfile.PRODUCTION },
];

describe.each(PROFILES)('Stateful resources keep their logical IDs: $name', ({ profile }) => {
  test('the template holds each stateful resource under its pinned logical ID', () => {
    // GIVEN / WHEN
    const { template } = oneLiner(profile);

    // THEN
    const typeOf = (id: string) => template.Resources[id]?.Type;
    expect(typeOf('LiteLlmDatabaseInstance57728794')).toBe('AWS::RDS::DBInstance');
    expect(typeOf('StackLiteLlmDatabaseInstanceSecret42E7CC0D1d89ec5d5e2383762bcfdfbc9a6eaeed')).toBe('AWS::SecretsManager::Secret');
    expect(typeOf('LiteLlmSecuritySaltKey475FD491')).toBe('AWS::SecretsManager::Secret');
    expect(typeOf('LiteLlmSecurityMasterKey235854EE')).toBe('AWS::SecretsManager::Secret');
    expect(typeOf('LiteLlmSecurityKey485182C9')).toBe('AWS::KMS::Key');
  });

  test('the database instance has no DBInstanceIdentifier: CloudFormation names it, and naming it would replace the instance', () => {
    // GIVEN / WHEN
    const { template } = oneLiner(profile);

    // THEN: RDS names its log groups after this generated identifier, so the library puts the
    // key on them after they exist (Custom::LiteLlmRdsLogGroupKey) rather than naming the instance.
    const db = template.Resources[PINNED_LOGICAL_IDS.databaseInstance];
    expect(db.Properties.DBInstanceIdentifier).toBeUndefined();
    expect(resourcesOfType(template, 'Custom::LiteLlmRdsLogGroupKey')).toHaveLength(2);
  });

  test('the exposed members are the pinned resources', () => {
    // GIVEN / WHEN
    const { stack, platform, template } = oneLiner(profile);

    // THEN
    expect(stack.resolve(platform.database.instance.instanceIdentifier)).toEqual({ Ref: PINNED_LOGICAL_IDS.databaseInstance });
    expect(stack.resolve(platform.security.saltKeySecret.secretArn)).toEqual({ Ref: PINNED_LOGICAL_IDS.saltKeySecret });
    expect(stack.resolve(platform.security.masterKeySecret.secretArn)).toEqual({ Ref: PINNED_LOGICAL_IDS.masterKeySecret });
    expect(stack.resolve(platform.security.encryptionKey.keyArn)).toEqual({ 'Fn::GetAtt': [PINNED_LOGICAL_IDS.encryptionKey, 'Arn'] });
    // `database.secret` is the target attachment; the credentials live in the secret it attaches.
    const attachments = resourcesOfType(template, 'AWS::SecretsManager::SecretTargetAttachment')
      .filter(([, r]) => r.Properties.TargetId.Ref === PINNED_LOGICAL_IDS.databaseInstance);
    expect(attachments.map(([, r]) => r.Properties.SecretId)).toEqual([{ Ref: PINNED_LOGICAL_IDS.databaseCredentialsSecret }]);
    expect(template.Resources[PINNED_LOGICAL_IDS.databaseInstance].Properties.MasterUserPassword).toEqual({
      'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: PINNED_LOGICAL_IDS.databaseCredentialsSecret }, ':SecretString:password::}}']],
    });
  });
});

function policies(resource: any): { DeletionPolicy: string; UpdateReplacePolicy: string } {
  return { DeletionPolicy: resource.DeletionPolicy, UpdateReplacePolicy: resource.UpdateReplacePolicy };
}

const RETAIN = { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' };

describe('Stateful resources survive a PRODUCTION stack deletion', () => {
  test('the database is snapshotted on deletion and replacement, and protected', () => {
    // GIVEN / WHEN
    const { template } = oneLiner(LiteLlmDeploymentProfile.PRODUCTION);

    // THEN
    const db = template.Resources[PINNED_LOGICAL_IDS.databaseInstance];
    expect(policies(db)).toEqual({ DeletionPolicy: 'Snapshot', UpdateReplacePolicy: 'Snapshot' });
    expect(db.Properties.DeletionProtection).toBe(true);
  });

  test('the KMS key is retained', () => {
    // GIVEN / WHEN
    const { template } = oneLiner(LiteLlmDeploymentProfile.PRODUCTION);

    // THEN
    expect(policies(template.Resources[PINNED_LOGICAL_IDS.encryptionKey])).toEqual(RETAIN);
  });

  test('the salt key secret is retained', () => {
    // GIVEN / WHEN
    const { template } = oneLiner(LiteLlmDeploymentProfile.PRODUCTION);

    // THEN
    expect(policies(template.Resources[PINNED_LOGICAL_IDS.saltKeySecret])).toEqual(RETAIN);
  });

  test('the database credentials secret is retained', () => {
    // GIVEN / WHEN
    const { template } = oneLiner(LiteLlmDeploymentProfile.PRODUCTION);

    // THEN
    expect(policies(template.Resources[PINNED_LOGICAL_IDS.databaseCredentialsSecret])).toEqual(RETAIN);
  });

  test('every log group is retained', () => {
    // GIVEN / WHEN
    const { template } = oneLiner(LiteLlmDeploymentProfile.PRODUCTION);

    // THEN
    const logGroups = resourcesOfType(template, 'AWS::Logs::LogGroup');
    expect(logGroups.length).toBeGreaterThan(0);
    expect(Object.fromEntries(logGroups.map(([id, r]) => [id, policies(r)])))
      .toEqual(Object.fromEntries(logGroups.map(([id]) => [id, RETAIN])));
  });
});

describe('Stateful resources in DEVELOPMENT: what a user who never read the profiles gets', () => {
  test('the one-liner keeps a final snapshot of the database, and the key and the salt key that the snapshot needs to be read', () => {
    // GIVEN / WHEN
    const { template } = oneLiner();

    // THEN
    expect(policies(template.Resources[PINNED_LOGICAL_IDS.databaseInstance])).toEqual({ DeletionPolicy: 'Snapshot', UpdateReplacePolicy: 'Snapshot' });
    expect(policies(template.Resources[PINNED_LOGICAL_IDS.databaseCredentialsSecret])).toEqual(RETAIN);
    expect(policies(template.Resources[PINNED_LOGICAL_IDS.saltKeySecret])).toEqual(RETAIN);
    expect(resourcesOfType(template, 'AWS::KMS::Key').map(([, r]) => policies(r))).toEqual([RETAIN]);
  });

  test('everything else of the one-liner is deleted with the stack, and the database is not protected', () => {
    // GIVEN / WHEN
    const { template } = oneLiner();

    // THEN
    const deleted = { DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' };
    expect(template.Resources[PINNED_LOGICAL_IDS.databaseInstance].Properties.DeletionProtection).toBe(false);
    expect(policies(template.Resources[PINNED_LOGICAL_IDS.masterKeySecret])).toEqual(deleted);
    expect(resourcesOfType(template, 'AWS::Logs::LogGroup').map(([, r]) => policies(r)).every(p => p.DeletionPolicy === 'Delete')).toBe(true);
  });

  test('removalPolicy DESTROY on the platform deletes the database, its credentials, the key and the salt key together', () => {
    // GIVEN / WHEN
    const { template } = synthPlatform({ removalPolicy: RemovalPolicy.DESTROY });

    // THEN
    const deleted = { DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' };
    expect(policies(template.Resources[PINNED_LOGICAL_IDS.databaseInstance])).toEqual(deleted);
    expect(policies(template.Resources[PINNED_LOGICAL_IDS.databaseCredentialsSecret])).toEqual(deleted);
    expect(policies(template.Resources[PINNED_LOGICAL_IDS.saltKeySecret])).toEqual(deleted);
    expect(resourcesOfType(template, 'AWS::KMS::Key').map(([, r]) => policies(r))).toEqual([deleted]);
  });

  test('removalPolicy DESTROY on a PRODUCTION platform deletes everything the key encrypts with it: no secret, log group or final snapshot left unreadable', () => {
    // GIVEN / WHEN
    const { template } = synthPlatform({
      profile: LiteLlmDeploymentProfile.PRODUCTION,
      removalPolicy: RemovalPolicy.DESTROY,
      loadBalancer: { allowHttp: true, waf: {} },
      config: { callbacks: [LiteLlmCallback.s3Logging()] },
      models: [sonnet(), LiteLlmModel.openAi({ name: 'gpt-4o', modelId: 'gpt-4o' })],
    });

    // THEN: only the load balancer's access logs bucket (SSE-S3, not the key) is kept
    const kept = Object.entries<any>(template.Resources)
      .filter(([, r]) => r.DeletionPolicy !== undefined && r.DeletionPolicy !== 'Delete')
      .map(([id, r]) => [r.Type, id.replace(/[0-9A-F]{8}$/, ''), r.DeletionPolicy]);
    expect(kept).toEqual([['AWS::S3::Bucket', 'LiteLlmLoadBalancerAccessLogs', 'Retain']]);
    const deleted = (type: string) => resourcesOfType(template, type).map(([, r]) => r.DeletionPolicy);
    // Master key, salt key, UI credentials, provider keys, database credentials, cache AUTH token.
    expect(deleted('AWS::SecretsManager::Secret')).toEqual(Array(6).fill('Delete'));
    expect(deleted('AWS::Logs::LogGroup').every(p => p === 'Delete')).toBe(true);
    expect(deleted('AWS::ElastiCache::ReplicationGroup')).toEqual(['Delete']);
  });

  test('a PRODUCTION platform given a kms.Alias of a key its stack deletes deletes what the key encrypts with it, as for the key itself', () => {
    // GIVEN / WHEN
    const withKey = (alias: boolean) => synthPlatform({ profile: LiteLlmDeploymentProfile.PRODUCTION, loadBalancer: { allowHttp: true } }, stack => {
      const key = new kms.Key(stack, 'OwnKey', { removalPolicy: RemovalPolicy.DESTROY, enableKeyRotation: true });
      return { security: { encryptionKey: alias ? new kms.Alias(stack, 'OwnKeyAlias', { aliasName: 'alias/litellm', targetKey: key }) : key } };
    }).template;
    const deletionPolicies = (template: any) => Object.fromEntries(['AWS::SecretsManager::Secret', 'AWS::Logs::LogGroup']
      .map(type => [type, [...new Set(resourcesOfType(template, type).map(([, r]) => r.DeletionPolicy))]]));

    // THEN: the master key secret and the log groups (retained in PRODUCTION) follow the key
    expect(policies(withKey(true).Resources[PINNED_LOGICAL_IDS.masterKeySecret])).toEqual({ DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
    expect(deletionPolicies(withKey(true))).toEqual(deletionPolicies(withKey(false)));
    expect(deletionPolicies(withKey(true))['AWS::Logs::LogGroup']).toEqual(['Delete']);
  });

  test('a block\'s removalPolicy wins over the platform\'s', () => {
    // GIVEN / WHEN
    const { template } = synthPlatform({
      removalPolicy: RemovalPolicy.DESTROY, database: { removalPolicy: RemovalPolicy.RETAIN }, security: { removalPolicy: RemovalPolicy.RETAIN },
    });

    // THEN
    expect(policies(template.Resources[PINNED_LOGICAL_IDS.databaseInstance])).toEqual(RETAIN);
    expect(policies(template.Resources[PINNED_LOGICAL_IDS.saltKeySecret])).toEqual(RETAIN);
  });

  test.each([
    [{ security: { removalPolicy: RemovalPolicy.DESTROY } }, 'snapshot, the default'],
    [{ removalPolicy: RemovalPolicy.DESTROY, database: { removalPolicy: RemovalPolicy.SNAPSHOT } }, 'snapshot'],
  ] as [Partial<LiteLlmPlatformProps>, string][])('a kept database with destroyed keys fails at synth: %j', (props, database) => {
    expect(() => synthPlatform(props)).toThrow(`\`security.removalPolicy\` (destroy) would delete the key and the salt key the database needs to be read after it leaves the stack (\`database.removalPolicy\`: ${database}): `
      + 'set security.removalPolicy to RemovalPolicy.RETAIN, or the platform\'s `removalPolicy` to RemovalPolicy.DESTROY to delete all of them');
  });
});

// ---------------------------------------------------------------------------
// No secret value in any template

interface ScenarioSynth {
  readonly templates: { [stackName: string]: any };
  /** Logical IDs of the provider-key secrets the library created, by stack name. */
  readonly providerKeysSecretIds: { [stackName: string]: string[] };
}

/** The shared quality-gate scenarios (test/support/scenarios.ts), synthesized. */
function synthScenario(make: () => SupportScenario): ScenarioSynth {
  const { app, stacks } = make();
  const assembly = app.synth();
  const providerKeysSecretIds: { [stackName: string]: string[] } = {};
  for (const stack of stacks) {
    for (const construct of stack.node.findAll()) {
      if (construct instanceof LiteLlmSecurity && construct.providerKeysSecret) {
        const id = (stack.resolve(construct.providerKeysSecret.secretArn) as { Ref: string }).Ref;
        (providerKeysSecretIds[stack.stackName] ??= []).push(id);
      }
    }
  }
  return {
    templates: Object.fromEntries(stacks.map(st => [st.stackName, assembly.getStackByName(st.stackName).template])),
    providerKeysSecretIds,
  };
}

/** Every string in `value` (object keys too), with where it was found. */
function strings(value: any, path: string, out: [string, string][] = []): [string, string][] {
  if (typeof value === 'string') {
    out.push([path, value]);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => strings(v, `${path}[${i}]`, out));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push([`${path} (key)`, k]);
      strings(v, `${path}.${k}`, out);
    }
  }
  return out;
}

/** Every `key: value` pair named `key` anywhere in `value`. */
function propertiesNamed(value: any, key: string, path: string, out: [string, any][] = []): [string, any][] {
  if (Array.isArray(value)) {
    value.forEach((v, i) => propertiesNamed(v, key, `${path}[${i}]`, out));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === key) out.push([`${path}.${k}`, v]);
      propertiesNamed(v, key, `${path}.${k}`, out);
    }
  }
  return out;
}

/** Names of environment variables: ECS `Environment: [{ Name, Value }]` and Lambda `Environment: { Variables }`. */
function environmentNames(template: any): [string, string][] {
  const names: [string, string][] = [];
  for (const [path, env] of propertiesNamed(template.Resources, 'Environment', 'Resources')) {
    if (Array.isArray(env)) {
      for (const entry of env) names.push([path, entry.Name]);
    } else if (env?.Variables) {
      for (const name of Object.keys(env.Variables)) names.push([path, name]);
    }
  }
  return names;
}

/**
 * Environment names that look like secrets but only carry settings. None is
 * needed today; add one only with the reason its value is not a secret.
 */
const SETTING_NAMES_THAT_LOOK_SECRET: { [name: string]: string } = {
  IAM_TOKEN_DB_AUTH: 'the switch that turns RDS IAM authentication on ("true"); the token is minted in the task',
};

const SECRET_LIKE_NAME = /KEY|PASSWORD|SECRET|TOKEN/i;
const SK_KEY = /sk-[A-Za-z0-9]{20,}/;
const AWS_ACCESS_KEY = /AKIA[0-9A-Z]{16}/;
const SECRET_ONLY_VARIABLES = ['LITELLM_MASTER_KEY', 'LITELLM_SALT_KEY', 'UI_PASSWORD'];

describe.each(Object.keys(SCENARIOS))('No secret value in the templates: %s', (scenario) => {
  let synth: ScenarioSynth;
  beforeAll(() => {
    synth = synthScenario(SCENARIOS[scenario]);
  });

  const allTemplates = () => Object.entries<any>(synth.templates);

  test('no SecretString except the provider keys secret\'s empty JSON object', () => {
    // GIVEN / WHEN
    const found = allTemplates().flatMap(([stackName, t]) => Object.entries<any>(t.Resources)
      .filter(([, r]) => r.Properties?.SecretString !== undefined)
      .map(([id, r]) => ({ stackName, id, value: r.Properties.SecretString })));

    // THEN
    expect(found.map(f => [f.stackName, f.id]))
      .toEqual(Object.entries(synth.providerKeysSecretIds).flatMap(([stackName, ids]) => ids.map(id => [stackName, id])));
    for (const { value } of found) {
      expect(value).toBe('{}');
    }
  });

  test('no sk- key and no AWS access key anywhere', () => {
    // GIVEN / WHEN
    const all = allTemplates().flatMap(([stackName, t]) => strings(t, stackName));

    // THEN
    expect(all.length).toBeGreaterThan(100);
    expect(all.filter(([, s]) => SK_KEY.test(s))).toEqual([]);
    expect(all.filter(([, s]) => AWS_ACCESS_KEY.test(s))).toEqual([]);
  });

  test('every MasterUserPassword is a Secrets Manager dynamic reference, never a literal', () => {
    // GIVEN / WHEN
    const passwords = allTemplates().flatMap(([stackName, t]) => propertiesNamed(t, 'MasterUserPassword', stackName));

    // THEN
    expect(passwords).toHaveLength(1);
    for (const [, value] of passwords) {
      expect(value).toEqual({
        'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: expect.any(String) }, ':SecretString:password::}}']],
      });
    }
  });

  test('no environment variable is named like a secret', () => {
    // GIVEN / WHEN
    const names = allTemplates().flatMap(([, t]) => environmentNames(t));

    // THEN
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter(([, name]) => SECRET_LIKE_NAME.test(name) && !(name in SETTING_NAMES_THAT_LOOK_SECRET))).toEqual([]);
  });

  test('the master key, salt key and UI password arrive only as ECS secrets, and no database password arrives at all', () => {
    // GIVEN / WHEN
    const taskDefinitions = allTemplates().flatMap(([, t]) => resourcesOfType(t, 'AWS::ECS::TaskDefinition'));
    const containers = taskDefinitions.flatMap(([, r]) => r.Properties.ContainerDefinitions as any[]);
    const litellm = containers.filter(c => c.Name === 'litellm');

    // THEN
    expect(litellm).toHaveLength(1);
    const secrets = Object.fromEntries((litellm[0].Secrets as any[]).map(s => [s.Name, s.ValueFrom]));
    for (const name of SECRET_ONLY_VARIABLES) {
      expect(secrets[name]).toBeDefined();
    }
    const environment = containers.flatMap(c => (c.Environment ?? []).map((e: any) => e.Name));
    expect(environment.filter(name => SECRET_ONLY_VARIABLES.includes(name))).toEqual([]);
    // The tasks log in to the database with IAM tokens.
    const everyName = [...environment, ...containers.flatMap(c => (c.Secrets ?? []).map((e: any) => e.Name))];
    expect(everyName.filter(name => name === 'DATABASE_PASSWORD' || name === 'DATABASE_URL')).toEqual([]);
  });
});
