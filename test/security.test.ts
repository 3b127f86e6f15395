import { App, Duration, RemovalPolicy, Stack, aws_iam as iam, aws_kms as kms, aws_lambda as lambda, aws_logs as logs, aws_secretsmanager as secretsmanager } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Dependable } from 'constructs';
import { LiteLlmDeploymentProfile, LiteLlmSecurity, LiteLlmSecurityProps } from '../src';

const ENV = { account: '123456789012', region: 'eu-west-1' };

const rotationMessage = (days: number) => `\`masterKeyRotation.automaticallyAfter\` (${days} days) must be whole days from 1 to 999, as Secrets Manager's rate() allows`;
const keyNameMessage = (name: string) => `provider key name "${name}" must be an environment variable name (A-Z, 0-9, _), e.g. OPENAI_API_KEY`;

function securityStack(props: LiteLlmSecurityProps = {}) {
  const stack = new Stack(new App(), 'Stack', { env: ENV });
  const security = new LiteLlmSecurity(stack, 'Security', props);
  return { stack, security, template: Template.fromStack(stack) };
}

/** The messages of the `cdk-litellm:<id>` warnings of `stack`. */
function warningsOf(stack: Stack, id: string): string[] {
  return Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp(`cdk-litellm:${id}`)).map(m => String(m.entry.data));
}

/** Logical ID of the CloudFormation resource behind an L2 construct. */
function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as kms.CfnKey);
}

function keyPolicyStatements(template: Template): any[] {
  const keys = Object.values(template.findResources('AWS::KMS::Key'));
  expect(keys).toHaveLength(1);
  return keys[0].Properties.KeyPolicy.Statement;
}

/** True for "*", { AWS: "*" } and lists holding "*". */
function isWildcardPrincipal(principal: unknown): boolean {
  if (principal === '*') return true;
  if (Array.isArray(principal)) return principal.some(isWildcardPrincipal);
  if (principal && typeof principal === 'object') return Object.values(principal).some(isWildcardPrincipal);
  return false;
}

describe('LiteLlmSecurity (DEVELOPMENT) with provider keys', () => {
  let stack: Stack;
  let security: LiteLlmSecurity;
  let template: Template;
  let keyArn: unknown;
  beforeAll(() => {
    // GIVEN / WHEN
    ({ stack, security, template } = securityStack({ providerKeyNames: ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'OPENAI_API_KEY'] }));
    keyArn = stack.resolve(security.encryptionKey.keyArn);
  });

  test('creates one KMS key with rotation on, retained with the stack as the database snapshot needs it (7-day window when deleted)', () => {
    // THEN
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResource('AWS::KMS::Key', {
      Properties: { EnableKeyRotation: true, PendingWindowInDays: 7 },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('key policy lets CloudWatch Logs of this region use the key for this account\'s log groups', () => {
    // THEN
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([Match.objectLike({
          Effect: 'Allow',
          Principal: { Service: 'logs.eu-west-1.amazonaws.com' },
          Action: Match.arrayWith(['kms:Encrypt*', 'kms:Decrypt*', 'kms:GenerateDataKey*']),
          Condition: {
            ArnLike: {
              'kms:EncryptionContext:aws:logs:arn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:eu-west-1:123456789012:*']] },
            },
          },
        })]),
      },
    });
  });

  test('key policy lets Secrets Manager and SNS use the key only through those services (kms:ViaService)', () => {
    // THEN
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([Match.objectLike({
          Effect: 'Allow',
          Action: Match.arrayWith(['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey*']),
          Condition: {
            StringEquals: {
              'kms:CallerAccount': '123456789012',
              'kms:ViaService': ['secretsmanager.eu-west-1.amazonaws.com', 'sns.eu-west-1.amazonaws.com'],
            },
          },
        })]),
      },
    });
  });

  test('key policy has no wildcard principal in any statement', () => {
    // THEN
    const statements = keyPolicyStatements(template);
    expect(statements.length).toBeGreaterThan(3);
    expect(statements.filter(s => isWildcardPrincipal(s.Principal))).toEqual([]);
    expect(statements.filter(s => s.NotPrincipal !== undefined)).toEqual([]);
  });

  test('the wildcard check itself catches "*" and { AWS: "*" }', () => {
    expect(isWildcardPrincipal('*')).toBe(true);
    expect(isWildcardPrincipal({ AWS: '*' })).toBe(true);
    expect(isWildcardPrincipal({ AWS: ['arn:aws:iam::1:root', '*'] })).toBe(true);
    expect(isWildcardPrincipal({ Service: 'logs.eu-west-1.amazonaws.com' })).toBe(false);
  });

  test('every secret is encrypted with the key', () => {
    // THEN
    template.resourceCountIs('AWS::SecretsManager::Secret', 4);
    template.resourcePropertiesCountIs('AWS::SecretsManager::Secret', { KmsKeyId: keyArn }, 4);
  });

  test('master key: generated (48 characters), no value in the template, destroyed with the stack', () => {
    // THEN
    const id = logicalId(stack, security.masterKeySecret);
    const masterKey = template.toJSON().Resources[id];
    expect(masterKey).toMatchObject({
      Type: 'AWS::SecretsManager::Secret',
      Properties: { KmsKeyId: keyArn, GenerateSecretString: { PasswordLength: 48 } },
      DeletionPolicy: 'Delete',
    });
    expect(masterKey.Properties.SecretString).toBeUndefined();
  });

  test('salt key: generated, no value in the template, retained with the key and the database snapshot, never rotated', () => {
    // THEN
    const id = logicalId(stack, security.saltKeySecret);
    const saltKey = template.toJSON().Resources[id];
    expect(saltKey).toMatchObject({
      Type: 'AWS::SecretsManager::Secret',
      Properties: { KmsKeyId: keyArn, GenerateSecretString: { PasswordLength: 64 } },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    expect(saltKey.Properties.SecretString).toBeUndefined();
    template.resourcePropertiesCountIs('AWS::SecretsManager::RotationSchedule', { SecretId: { Ref: id } }, 0);
  });

  test('UI credentials: username admin, generated 24-character UI_PASSWORD, no value in the template', () => {
    // THEN
    const id = logicalId(stack, security.uiCredentialsSecret);
    const ui = template.toJSON().Resources[id];
    expect(ui.Properties).toMatchObject({
      KmsKeyId: keyArn,
      GenerateSecretString: {
        SecretStringTemplate: JSON.stringify({ UI_USERNAME: 'admin' }),
        GenerateStringKey: 'UI_PASSWORD',
        PasswordLength: 24,
      },
    });
    expect(ui.Properties.SecretString).toBeUndefined();
  });

  test('provider keys: one secret, encrypted with the key, whose template value is an empty JSON object', () => {
    // THEN
    expect(security.providerKeyNames).toEqual(['OPENAI_API_KEY', 'ANTHROPIC_API_KEY']);
    expect(security.providerKeysSecret).toBeDefined();
    const providerKeys = template.toJSON().Resources[logicalId(stack, security.providerKeysSecret!)];
    expect(providerKeys.Properties.KmsKeyId).toEqual(keyArn);
    expect(providerKeys.Properties.SecretString).toBe('{}');
    expect(providerKeys.Properties.Description).toBe('LiteLLM provider API keys, one field per environment variable: replace each REPLACE_WITH_THE_REAL_KEY');
    expect(LiteLlmSecurity.PROVIDER_KEY_PLACEHOLDER).toBe('REPLACE_WITH_THE_REAL_KEY');
  });

  test('a Custom::LiteLlmProviderKeys, served by the master-key function, adds the missing fields (sorted) with the placeholder', () => {
    // THEN
    template.resourceCountIs('Custom::LiteLlmProviderKeys', 1);
    template.hasResourceProperties('Custom::LiteLlmProviderKeys', {
      ServiceToken: stack.resolve(security.masterKeyFunction.functionArn),
      SecretId: { Ref: logicalId(stack, security.providerKeysSecret!) },
      Fields: ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY'],
      Placeholder: 'REPLACE_WITH_THE_REAL_KEY',
    });
  });

  test('the master-key function may read and write the provider keys secret', () => {
    // THEN
    const fn = security.masterKeyFunction as lambda.Function;
    const statements = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [stack.resolve(fn.role!.roleName)] } }))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    const secretRef = JSON.stringify({ Ref: logicalId(stack, security.providerKeysSecret!) });
    const onProviderKeys = statements.filter((st: any) => JSON.stringify(st.Resource) === secretRef);
    const actions = onProviderKeys.flatMap((st: any) => [st.Action].flat());
    expect(actions).toEqual(expect.arrayContaining(['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue']));
  });

  test('adding or reordering models leaves the secret resource as it was, so no deploy overwrites pasted keys', () => {
    // GIVEN
    const secretOf = (names: string[]) => {
      const other = securityStack({ providerKeyNames: names });
      return other.template.toJSON().Resources[logicalId(other.stack, other.security.providerKeysSecret!)];
    };

    // WHEN
    const before = secretOf(['OPENAI_API_KEY']);

    // THEN
    expect(secretOf(['OPENAI_API_KEY', 'ANTHROPIC_API_KEY'])).toEqual(before);
    expect(secretOf(['ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'GROQ_API_KEY'])).toEqual(before);
  });

  test('secretsReady covers the master key and the provider-key fields', () => {
    // THEN
    const parts = Dependable.of(security.secretsReady).dependencyRoots.map(c => c.node.path);
    expect(parts).toEqual(['Stack/Security/MasterKeyValue', 'Stack/Security/ProviderKeyFields']);
  });

  test('rotates the master key every 30 days with the master-key function, and nothing else', () => {
    // THEN
    template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 1);
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', {
      SecretId: { Ref: logicalId(stack, security.masterKeySecret) },
      RotationLambdaARN: stack.resolve(security.masterKeyFunction.functionArn),
      RotationRules: { ScheduleExpression: 'rate(30 days)' },
      RotateImmediatelyOnUpdate: false,
    });
  });

  test('the master-key function runs on nodejs24.x, logs to an encrypted group and may read and write only the master key', () => {
    // THEN
    const fn = security.masterKeyFunction as lambda.Function;
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Handler: 'index.handler',
      Role: stack.resolve(fn.role!.roleArn),
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [stack.resolve(fn.role!.roleName)],
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Action: Match.arrayWith(['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue']),
          Resource: { Ref: logicalId(stack, security.masterKeySecret) },
        })]),
      },
    });
    template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { KmsKeyId: keyArn, RetentionInDays: 14 }, 1);
    // Its role writes only to that log group: no AWS managed AWSLambdaBasicExecutionRole.
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [stack.resolve(fn.role!.roleName)],
      PolicyDocument: {
        Statement: Match.arrayWith([{
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Effect: 'Allow', Resource: Match.objectLike({ 'Fn::GetAtt': Match.anyValue() }),
        }]),
      },
    });
    template.hasResourceProperties('AWS::IAM::Role', { RoleName: Match.absent(), ManagedPolicyArns: Match.absent() });
  });

  test('a Custom::LiteLlmMasterKey, served by the master-key function itself, writes the first master key', () => {
    // THEN: no provider framework between CloudFormation and the function
    const fn = security.masterKeyFunction as lambda.Function;
    template.resourceCountIs('Custom::LiteLlmMasterKey', 1);
    template.hasResourceProperties('Custom::LiteLlmMasterKey', {
      SecretId: { Ref: logicalId(stack, security.masterKeySecret) },
      ServiceToken: stack.resolve(fn.functionArn),
    });
    template.resourceCountIs('AWS::Lambda::Function', 1);
    expect(security.masterKeyReady).toBeDefined();
  });

  test('creates no IAM user or access key', () => {
    // THEN
    template.resourceCountIs('AWS::IAM::User', 0);
    template.resourceCountIs('AWS::IAM::AccessKey', 0);
  });

  test('stateful resources keep their logical IDs', () => {
    // THEN
    expect({
      key: logicalId(stack, security.encryptionKey),
      masterKey: logicalId(stack, security.masterKeySecret),
      saltKey: logicalId(stack, security.saltKeySecret),
      uiCredentials: logicalId(stack, security.uiCredentialsSecret),
      providerKeys: logicalId(stack, security.providerKeysSecret!),
    }).toEqual({
      key: 'SecurityKeyDF37C26B',
      masterKey: 'SecurityMasterKeyF1B372C0',
      saltKey: 'SecuritySaltKey874B1205',
      uiCredentials: 'SecurityUiCredentials9590DAB0',
      providerKeys: 'SecurityProviderKeysA3F513B6',
    });
  });
});

describe('LiteLlmSecurity (PRODUCTION)', () => {
  let stack: Stack;
  let security: LiteLlmSecurity;
  let template: Template;
  beforeAll(() => {
    // GIVEN / WHEN
    ({ stack, security, template } = securityStack({ profile: LiteLlmDeploymentProfile.PRODUCTION }));
  });

  test('retains the key, with a 30-day pending window, rotation on', () => {
    // THEN
    template.hasResource('AWS::KMS::Key', {
      Properties: { EnableKeyRotation: true, PendingWindowInDays: 30 },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('retains the master key, salt key and UI credentials', () => {
    // THEN
    const resources = template.toJSON().Resources;
    for (const secret of [security.masterKeySecret, security.saltKeySecret, security.uiCredentialsSecret]) {
      expect(resources[logicalId(stack, secret)]).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
      expect(resources[logicalId(stack, secret)].Properties.SecretString).toBeUndefined();
    }
  });

  test('keeps function logs 90 days', () => {
    // THEN
    template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 90 }, 1);
  });

  test('without provider key names, creates no provider keys secret', () => {
    // THEN
    expect(security.providerKeysSecret).toBeUndefined();
    expect(security.providerKeyNames).toEqual([]);
    template.resourceCountIs('AWS::SecretsManager::Secret', 3);
  });

  test('the key policy still has no wildcard principal', () => {
    // THEN
    expect(keyPolicyStatements(template).filter(s => isWildcardPrincipal(s.Principal))).toEqual([]);
  });
});

describe('LiteLlmSecurity options', () => {
  test('masterKeyRotation changes the rotation schedule', () => {
    // GIVEN / WHEN
    const { template } = securityStack({ masterKeyRotation: { automaticallyAfter: Duration.days(7) } });

    // THEN
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', { RotationRules: { ScheduleExpression: 'rate(7 days)' } });
  });

  test('an existing providerKeysSecret is used instead of creating one', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const existing = secretsmanager.Secret.fromSecretNameV2(stack, 'Existing', 'litellm/provider-keys');

    // WHEN
    const security = new LiteLlmSecurity(stack, 'Security', { providerKeysSecret: existing, providerKeyNames: ['OPENAI_API_KEY'] });

    // THEN
    expect(security.providerKeysSecret).toBe(existing);
    expect(security.providerKeyNames).toEqual(['OPENAI_API_KEY']);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SecretsManager::Secret', 3);
    template.resourcePropertiesCountIs('AWS::SecretsManager::Secret', { SecretString: Match.anyValue() }, 0);
  });

  test('a region-agnostic stack gets the region-specific Logs principal from AWS::Region', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Agnostic');

    // WHEN
    new LiteLlmSecurity(stack, 'Security');

    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([Match.objectLike({
          Principal: { Service: { 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
        })]),
      },
    });
  });
});

describe('LiteLlmSecurity: removal policy, own key, grants, log retention', () => {
  test('removalPolicy DESTROY deletes the key and the salt key with the stack, and what the key encrypts with them, even in PRODUCTION', () => {
    // GIVEN / WHEN
    const { stack, security, template } = securityStack({
      removalPolicy: RemovalPolicy.DESTROY, profile: LiteLlmDeploymentProfile.PRODUCTION, providerKeyNames: ['OPENAI_API_KEY'],
    });

    // THEN
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
    expect(template.toJSON().Resources[logicalId(stack, security.saltKeySecret)]).toMatchObject({ DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
    const policies = (type: string) => Object.values(template.findResources(type)).map((r: any) => [r.DeletionPolicy, r.UpdateReplacePolicy]);
    // Master key, salt key, UI credentials, provider keys; the master-key function's logs.
    expect(policies('AWS::SecretsManager::Secret')).toEqual(Array(4).fill(['Delete', 'Delete']));
    expect(policies('AWS::Logs::LogGroup')).toEqual([['Delete', 'Delete']]);
    expect(warningsOf(stack, 'keysDestroyed')).toEqual([
      '`removalPolicy` is DESTROY: deleting the stack deletes the salt key and the KMS key (with the master key, UI credentials and provider keys secrets and every log group it encrypts). '
      + 'A database, a database snapshot or a cache kept after that cannot be read: its model credentials are encrypted with the salt key, and its storage, snapshots and secrets with the KMS key. '
      + 'Give the database and the cache `removalPolicy: RemovalPolicy.DESTROY` too, or keep these keys with RemovalPolicy.RETAIN [ack: cdk-litellm:keysDestroyed]',
    ]);
  });

  test('removalPolicy DESTROY with an imported key warns that the salt key goes, and keeps the secrets of a PRODUCTION platform', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const imported = kms.Key.fromKeyArn(stack, 'Imported', 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555');

    // WHEN
    const security = new LiteLlmSecurity(stack, 'Security', { encryptionKey: imported, removalPolicy: RemovalPolicy.DESTROY, profile: LiteLlmDeploymentProfile.PRODUCTION });

    // THEN
    const resources = Template.fromStack(stack).toJSON().Resources;
    expect(resources[logicalId(stack, security.saltKeySecret)].DeletionPolicy).toBe('Delete');
    expect(resources[logicalId(stack, security.masterKeySecret)].DeletionPolicy).toBe('Retain');
    expect(warningsOf(stack, 'keysDestroyed')).toEqual([
      '`removalPolicy` is DESTROY: deleting the stack deletes the salt key. '
      + 'A database, a database snapshot or a cache kept after that cannot be read: its model credentials are encrypted with the salt key. '
      + 'Give the database and the cache `removalPolicy: RemovalPolicy.DESTROY` too, or keep these keys with RemovalPolicy.RETAIN [ack: cdk-litellm:keysDestroyed]',
    ]);
  });

  test('any other removalPolicy does not warn about destroyed keys', () => {
    const { stack } = securityStack({ removalPolicy: RemovalPolicy.RETAIN });
    expect(warningsOf(stack, 'keysDestroyed')).toEqual([]);
  });

  test('removalPolicy SNAPSHOT, which keys and secrets cannot take, retains them', () => {
    // GIVEN / WHEN
    const { stack, security, template } = securityStack({ removalPolicy: RemovalPolicy.SNAPSHOT });

    // THEN
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    expect(template.toJSON().Resources[logicalId(stack, security.saltKeySecret)]).toMatchObject({ DeletionPolicy: 'Retain' });
  });

  test('an encryptionKey of the app is used, gets the statements the platform needs, and no key is created', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const own = new kms.Key(stack, 'Own');

    // WHEN
    const security = new LiteLlmSecurity(stack, 'Security', { encryptionKey: own });

    // THEN
    expect(security.encryptionKey).toBe(own);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::KMS::Key', 1);
    expect(keyPolicyStatements(template).map((st: any) => st.Sid)).toEqual(expect.arrayContaining(['CloudWatchLogs', 'SecretsManagerAndSnsInThisAccount']));
    template.hasResourceProperties('AWS::SecretsManager::Secret', { KmsKeyId: stack.resolve(own.keyArn) });
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('encryptionKey'));
  });

  test('an imported encryptionKey warns that its policy must already allow CloudWatch Logs, Secrets Manager and SNS', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const imported = kms.Key.fromKeyArn(stack, 'Imported', 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555');

    // WHEN
    new LiteLlmSecurity(stack, 'Security', { encryptionKey: imported });

    // THEN
    Template.fromStack(stack).resourceCountIs('AWS::KMS::Key', 0);
    expect(warningsOf(stack, 'importedEncryptionKey')).toEqual([
      '`encryptionKey` is imported, so its key policy cannot be changed here: it must let CloudWatch Logs '
      + '(logs.eu-west-1.amazonaws.com, kms:EncryptionContext:aws:logs:arn in this account), and Secrets Manager and SNS of this account, use the key, or the deploy fails. '
      + 'It must also let IAM policies of this account grant the key (the default key policy\'s statement for the account root): '
      + 'the platform\'s roles, RDS, ElastiCache and the deploy role are granted through IAM only [ack: cdk-litellm:importedEncryptionKey]',
    ]);
  });

  test('grantReadMasterKey lets a role read the master key and no other secret', () => {
    // GIVEN
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const security = new LiteLlmSecurity(stack, 'Security');
    const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });

    // WHEN
    security.grantReadMasterKey(role);

    // THEN
    const statements = Template.fromStack(stack).toJSON().Resources[logicalId(stack, role.node.findChild('DefaultPolicy'))]
      .Properties.PolicyDocument.Statement;
    expect(statements).toEqual([
      { Effect: 'Allow', Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], Resource: stack.resolve(security.masterKeySecret.secretArn) },
    ]);
  });

  test('logRetention sets the master-key function\'s log group', () => {
    // GIVEN / WHEN
    const { template } = securityStack({ logRetention: logs.RetentionDays.ONE_YEAR });

    // THEN
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
  });
});

describe('LiteLlmSecurity validation', () => {
  const newSecurity = (props: LiteLlmSecurityProps) => () => new LiteLlmSecurity(new Stack(new App(), 'Stack'), 'Security', props);

  test.each([
    ['12 hours', Duration.hours(12), 0.5],
    ['0 days', Duration.days(0), 0],
    ['1000 days (rate(1000 days) is past Secrets Manager\'s 999)', Duration.days(1000), 1000],
    ['36 hours', Duration.hours(36), 1.5],
  ])('rejects masterKeyRotation of %s', (_label, masterKeyRotation, days) => {
    expect(newSecurity({ masterKeyRotation: { automaticallyAfter: masterKeyRotation } })).toThrow(rotationMessage(days));
  });

  test.each([
    ['1 day', Duration.days(1)],
    ['24 hours', Duration.hours(24)],
    ['999 days', Duration.days(999)],
  ])('accepts masterKeyRotation of %s', (_label, masterKeyRotation) => {
    expect(newSecurity({ masterKeyRotation: { automaticallyAfter: masterKeyRotation } })).not.toThrow();
  });

  test.each(['openai_api_key', 'OPENAI-API-KEY', '1PASSWORD_KEY', 'OPENAI API KEY', ''])('rejects provider key name "%s"', name => {
    expect(newSecurity({ providerKeyNames: ['VALID_KEY', name] })).toThrow(keyNameMessage(name));
  });

  test.each(['OPENAI_API_KEY', '_PRIVATE', 'KEY_2'])('accepts provider key name %s', name => {
    expect(newSecurity({ providerKeyNames: [name] })).not.toThrow();
  });
});

describe('when the master key rotates', () => {
  const rules = (props: LiteLlmSecurityProps) => {
    const { template } = securityStack(props);
    const schedules = Object.values(template.findResources('AWS::SecretsManager::RotationSchedule'));
    expect(schedules).toHaveLength(1);
    return schedules[0].Properties.RotationRules;
  };

  test('by default every 30 days, at a time Secrets Manager picks', () => {
    expect(rules({})).toEqual({ ScheduleExpression: 'rate(30 days)' });
  });

  test('on a team\'s schedule, within a window', () => {
    expect(rules({ masterKeyRotation: { schedule: 'cron(0 4 ? * SUN#1 *)', window: Duration.hours(2) } }))
      .toEqual({ ScheduleExpression: 'cron(0 4 ? * SUN#1 *)', Duration: '2h' });
  });

  test('turned off: the schedule keeps the function for a manual rotate-secret, with no automatic rotation', () => {
    expect(rules({ masterKeyRotation: { enabled: false } })).toBeUndefined();
  });

  test('turned off: after the schedule, the master-key function cancels the rotation the secret keeps (aws-cdk issue 27460)', () => {
    const { stack, security, template } = securityStack({ masterKeyRotation: { enabled: false } });
    const [[id, off]] = Object.entries(template.findResources('Custom::LiteLlmMasterKeyRotationOff'));
    const [scheduleId] = Object.keys(template.findResources('AWS::SecretsManager::RotationSchedule'));
    const functionArn = stack.resolve((security.masterKeyFunction as lambda.Function).functionArn);
    expect(off.Properties).toEqual({
      ServiceToken: functionArn,
      SecretId: stack.resolve(security.masterKeySecret.secretArn),
      // The schedule's inputs: a change to them updates the schedule, which turns rotation back on.
      Schedule: { RotationLambdaArn: functionArn, RotateImmediatelyOnUpdate: false },
      ServiceTimeout: '300',
    });
    expect(off.DependsOn).toEqual(expect.arrayContaining([scheduleId]));
    // The function may cancel rotation of the master key, and of nothing else.
    const grants = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p: any) => p.Properties.PolicyDocument.Statement)
      .filter((st: any) => [st.Action].flat().includes('secretsmanager:CancelRotateSecret'));
    expect(grants).toEqual([{
      Effect: 'Allow', Action: ['secretsmanager:CancelRotateSecret', 'secretsmanager:ListSecretVersionIds'], Resource: stack.resolve(security.masterKeySecret.secretArn),
    }]);
    // It reads its own stack's status, and no other stack's: a rollback's Update is never refused.
    const describeStacks = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p: any) => p.Properties.PolicyDocument.Statement)
      .filter((st: any) => [st.Action].flat().includes('cloudformation:DescribeStacks'));
    expect(describeStacks).toEqual([{ Effect: 'Allow', Action: 'cloudformation:DescribeStacks', Resource: { Ref: 'AWS::StackId' } }]);
    const [policyId] = Object.keys(template.findResources('AWS::IAM::Policy', {
      Properties: { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['secretsmanager:CancelRotateSecret']) })]) } },
    }));
    expect(off.DependsOn).toEqual(expect.arrayContaining([policyId]));
    expect(id).toBeDefined();
  });

  test('turned off: a change to the schedule\'s inputs (which turns rotation back on) changes the cancelling step, which cancels again', () => {
    // GIVEN
    const propertiesOf = (rotationLambdaArn?: string) => {
      const stack = new Stack(new App(), 'Stack', { env: ENV });
      const security = new LiteLlmSecurity(stack, 'Security', { masterKeyRotation: { enabled: false } });
      const schedule = security.masterKeySecret.node.findChild('Rotation').node.defaultChild as secretsmanager.CfnRotationSchedule;
      if (rotationLambdaArn) schedule.rotationLambdaArn = rotationLambdaArn;
      return Object.values(Template.fromStack(stack).findResources('Custom::LiteLlmMasterKeyRotationOff'))[0].Properties;
    };

    // WHEN
    const before = propertiesOf();
    const after = propertiesOf('arn:aws:lambda:eu-west-1:123456789012:function:other');

    // THEN
    expect(after.Schedule).toEqual({ RotationLambdaArn: 'arn:aws:lambda:eu-west-1:123456789012:function:other', RotateImmediatelyOnUpdate: false });
    expect({ ...after, Schedule: undefined }).toEqual({ ...before, Schedule: undefined });
  });

  test('turned on, nothing cancels rotation; the grant is there already, so turning rotation off later does not call CancelRotateSecret seconds after IAM got it', () => {
    const on = securityStack({});
    const off = securityStack({ masterKeyRotation: { enabled: false } });
    expect(on.template.findResources('Custom::LiteLlmMasterKeyRotationOff')).toEqual({});
    const grantsOf = (t: Template) => Object.values(t.findResources('AWS::IAM::Policy')).flatMap((p: any) => p.Properties.PolicyDocument.Statement)
      .filter((st: any) => [st.Action].flat().includes('secretsmanager:CancelRotateSecret'));
    expect(grantsOf(on.template)).toEqual([{
      Effect: 'Allow', Action: ['secretsmanager:CancelRotateSecret', 'secretsmanager:ListSecretVersionIds'], Resource: on.stack.resolve(on.security.masterKeySecret.secretArn),
    }]);
    expect(grantsOf(on.template)).toEqual(grantsOf(off.template));
  });

  test.each([
    ['cron(0 0 ? * SUN#1 *)', 24],
    ['cron(0 4 ? * SUN#1 *)', 20],
    ['cron(0 4/12 * * ? *)', 8],
    ['cron(0 1,13 L * ? *)', 11],
    ['rate(4 hours)', 4],
    ['rate(999 days)', 24],
    ['rate(1 day)', 1],
  ])('Secrets Manager accepts %s with a %i-hour window, and so does synth', (schedule, hours) => {
    expect(rules({ masterKeyRotation: { schedule: schedule, window: Duration.hours(hours) } }))
      .toEqual({ ScheduleExpression: schedule, Duration: `${hours}h` });
  });

  test.each([
    [{ masterKeyRotation: { schedule: 'every sunday' } }, '`masterKeyRotation.schedule` ("every sunday") must be a Secrets Manager schedule expression: cron(minutes hours day-of-month month day-of-week year), e.g. cron(0 4 ? * SUN#1 *) or rate(30 days)'],
    [{ masterKeyRotation: { schedule: 'rate(2 hours)' } }, '`masterKeyRotation.schedule` ("rate(2 hours)") must rotate every 4 to 23 hours in hours, or use days: Secrets Manager rotates at most every 4 hours, e.g. cron(0 4 ? * SUN#1 *) or rate(30 days)'],
    [{ masterKeyRotation: { window: Duration.hours(30) } }, '`masterKeyRotation.window` (30 hours) must be whole hours from 1 to 24'],
    [{ masterKeyRotation: { schedule: 'rate(7 days)', automaticallyAfter: Duration.days(7) } }, '`masterKeyRotation.schedule` replaces `masterKeyRotation.automaticallyAfter`: set one of them'],
    [{ masterKeyRotation: { enabled: false, window: Duration.hours(2) } }, '`masterKeyRotation.schedule` and `masterKeyRotation.window` need rotation'],
    // The README's old example: a window from 04:00 for 24 hours runs into the next UTC day.
    [{ masterKeyRotation: { schedule: 'cron(0 4 ? * SUN#1 *)', window: Duration.hours(24) } },
      '`masterKeyRotation.window` (24 hours) from 04:00 UTC (`masterKeyRotation.schedule` "cron(0 4 ? * SUN#1 *)") would run into the next UTC day, which Secrets Manager refuses: '
      + 'make the window at most 20 hours, or start the schedule earlier'],
    [{ masterKeyRotation: { schedule: 'cron(30 4 ? * SUN#1 *)' } },
      '`masterKeyRotation.schedule` ("cron(30 4 ? * SUN#1 *)") must have 0 in the minutes field: Secrets Manager rotation windows open on the hour, e.g. cron(0 4 ? * SUN#1 *) or rate(30 days)'],
    [{ masterKeyRotation: { schedule: 'cron(0 4 ? * SUN#1 2027)' } },
      '`masterKeyRotation.schedule` ("cron(0 4 ? * SUN#1 2027)") must have * in the year field, as Secrets Manager requires, e.g. cron(0 4 ? * SUN#1 *) or rate(30 days)'],
    [{ masterKeyRotation: { schedule: 'cron(0 4/12 * * ? *)', window: Duration.hours(9) } },
      '`masterKeyRotation.window` (9 hours) from 16:00 UTC (`masterKeyRotation.schedule` "cron(0 4/12 * * ? *)") would run into the next UTC day, which Secrets Manager refuses: make the window at most 8 hours, or start the schedule earlier'],
    [{ masterKeyRotation: { schedule: 'cron(0 0/6 * * ? *)', window: Duration.hours(7) } },
      '`masterKeyRotation.window` (7 hours) is longer than the 6 hours between the rotations of `masterKeyRotation.schedule` ("cron(0 0/6 * * ? *)"), which Secrets Manager refuses: make the window at most 6 hours'],
    [{ masterKeyRotation: { schedule: 'cron(0 4/12 * * ? *)', window: Duration.hours(13) } },
      '`masterKeyRotation.window` (13 hours) is longer than the 12 hours between the rotations of `masterKeyRotation.schedule` ("cron(0 4/12 * * ? *)"), which Secrets Manager refuses: make the window at most 8 hours'],
    [{ masterKeyRotation: { schedule: 'rate(6 hours)', window: Duration.hours(8) } },
      '`masterKeyRotation.window` (8 hours) is longer than the 6 hours between the rotations of `masterKeyRotation.schedule` ("rate(6 hours)"), which Secrets Manager refuses: make the window at most 6 hours'],
    [{ masterKeyRotation: { schedule: 'cron(0 */2 * * ? *)' } },
      '`masterKeyRotation.schedule` ("cron(0 */2 * * ? *)") opens windows 2 hour(s) apart: Secrets Manager rotates a secret at most every 4 hours; space the hours 4 or more apart'],
    [{ masterKeyRotation: { schedule: 'rate(1000 days)' } },
      '`masterKeyRotation.schedule` ("rate(1000 days)") must be from rate(1 day) to rate(999 days), the longest period Secrets Manager allows'],
    [{ masterKeyRotation: { schedule: 'cron(0 25 * * ? *)' } },
      '`masterKeyRotation.schedule` ("cron(0 25 * * ? *)") has an hours field ("25") that is not hours from 0 to 23 (n, a-b, a/step, *, lists with ","), e.g. cron(0 4 ? * SUN#1 *) or rate(30 days)'],
  ] as [LiteLlmSecurityProps, string][])('%j fails at synth', (props, message) => {
    expect(() => securityStack(props)).toThrow(message);
  });
});
