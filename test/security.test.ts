import { App, Duration, Stack, aws_kms as kms, aws_lambda as lambda, aws_secretsmanager as secretsmanager } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Dependable } from 'constructs';
import { DeploymentProfile, LiteLlmSecurity, LiteLlmSecurityProps } from '../src';

const ENV = { account: '123456789012', region: 'eu-west-1' };

const rotationMessage = (days: number) => `\`masterKeyRotation\` (${days} days) must be whole days from 1 to 999, as Secrets Manager's rate() allows`;
const keyNameMessage = (name: string) => `provider key name "${name}" must be an environment variable name (A-Z, 0-9, _), e.g. OPENAI_API_KEY`;

function securityStack(props: LiteLlmSecurityProps = {}) {
  const stack = new Stack(new App(), 'Stack', { env: ENV });
  const security = new LiteLlmSecurity(stack, 'Security', props);
  return { stack, security, template: Template.fromStack(stack) };
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

  test('creates one KMS key with rotation on, destroyed with the stack after 7 days', () => {
    // THEN
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResource('AWS::KMS::Key', {
      Properties: { EnableKeyRotation: true, PendingWindowInDays: 7 },
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
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

  test('salt key: generated, no value in the template, deleted with the DEVELOPMENT key, never rotated', () => {
    // THEN
    const id = logicalId(stack, security.saltKeySecret);
    const saltKey = template.toJSON().Resources[id];
    expect(saltKey).toMatchObject({
      Type: 'AWS::SecretsManager::Secret',
      Properties: { KmsKeyId: keyArn, GenerateSecretString: { PasswordLength: 64 } },
      DeletionPolicy: 'Delete',
      UpdateReplacePolicy: 'Delete',
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
    ({ stack, security, template } = securityStack({ profile: DeploymentProfile.PRODUCTION }));
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
    const { template } = securityStack({ masterKeyRotation: Duration.days(7) });

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

describe('LiteLlmSecurity validation', () => {
  const newSecurity = (props: LiteLlmSecurityProps) => () => new LiteLlmSecurity(new Stack(new App(), 'Stack'), 'Security', props);

  test.each([
    ['12 hours', Duration.hours(12), 0.5],
    ['0 days', Duration.days(0), 0],
    ['1000 days (rate(1000 days) is past Secrets Manager\'s 999)', Duration.days(1000), 1000],
    ['36 hours', Duration.hours(36), 1.5],
  ])('rejects masterKeyRotation of %s', (_label, masterKeyRotation, days) => {
    expect(newSecurity({ masterKeyRotation })).toThrow(rotationMessage(days));
  });

  test.each([
    ['1 day', Duration.days(1)],
    ['24 hours', Duration.hours(24)],
    ['999 days', Duration.days(999)],
  ])('accepts masterKeyRotation of %s', (_label, masterKeyRotation) => {
    expect(newSecurity({ masterKeyRotation })).not.toThrow();
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
    expect(rules({ masterKeyRotationSchedule: 'cron(0 4 ? * SUN#1 *)', masterKeyRotationWindow: Duration.hours(2) }))
      .toEqual({ ScheduleExpression: 'cron(0 4 ? * SUN#1 *)', Duration: '2h' });
  });

  test('turned off: the schedule keeps the function for a manual rotate-secret, with no automatic rotation', () => {
    expect(rules({ masterKeyRotationEnabled: false })).toBeUndefined();
  });

  test('turned off: after the schedule, the master-key function cancels the rotation the secret keeps (aws-cdk issue 27460)', () => {
    const { stack, security, template } = securityStack({ masterKeyRotationEnabled: false });
    const [[id, off]] = Object.entries(template.findResources('Custom::LiteLlmMasterKeyRotationOff'));
    const [scheduleId] = Object.keys(template.findResources('AWS::SecretsManager::RotationSchedule'));
    const functionArn = stack.resolve((security.masterKeyFunction as lambda.Function).functionArn);
    expect(off.Properties).toEqual({
      ServiceToken: functionArn,
      SecretId: stack.resolve(security.masterKeySecret.secretArn),
      RotationLambdaArn: functionArn,
      ServiceTimeout: '300',
    });
    expect(off.DependsOn).toEqual(expect.arrayContaining([scheduleId]));
    // The function may cancel rotation of the master key, and of nothing else.
    const grants = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p: any) => p.Properties.PolicyDocument.Statement)
      .filter((st: any) => [st.Action].flat().includes('secretsmanager:CancelRotateSecret'));
    expect(grants).toEqual([{ Effect: 'Allow', Action: 'secretsmanager:CancelRotateSecret', Resource: stack.resolve(security.masterKeySecret.secretArn) }]);
    const [policyId] = Object.keys(template.findResources('AWS::IAM::Policy', {
      Properties: { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'secretsmanager:CancelRotateSecret' })]) } },
    }));
    expect(off.DependsOn).toEqual(expect.arrayContaining([policyId]));
    expect(id).toBeDefined();
  });

  test('turned on, nothing cancels rotation; the grant is there already, so turning rotation off later does not call CancelRotateSecret seconds after IAM got it', () => {
    const on = securityStack({});
    const off = securityStack({ masterKeyRotationEnabled: false });
    expect(on.template.findResources('Custom::LiteLlmMasterKeyRotationOff')).toEqual({});
    const grantsOf = (t: Template) => Object.values(t.findResources('AWS::IAM::Policy')).flatMap((p: any) => p.Properties.PolicyDocument.Statement)
      .filter((st: any) => [st.Action].flat().includes('secretsmanager:CancelRotateSecret'));
    expect(grantsOf(on.template)).toEqual([{ Effect: 'Allow', Action: 'secretsmanager:CancelRotateSecret', Resource: on.stack.resolve(on.security.masterKeySecret.secretArn) }]);
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
    expect(rules({ masterKeyRotationSchedule: schedule, masterKeyRotationWindow: Duration.hours(hours) }))
      .toEqual({ ScheduleExpression: schedule, Duration: `${hours}h` });
  });

  test.each([
    [{ masterKeyRotationSchedule: 'every sunday' }, '`masterKeyRotationSchedule` ("every sunday") must be a Secrets Manager schedule expression: cron(minutes hours day-of-month month day-of-week year), e.g. cron(0 4 ? * SUN#1 *) or rate(30 days)'],
    [{ masterKeyRotationSchedule: 'rate(2 hours)' }, '`masterKeyRotationSchedule` ("rate(2 hours)") must rotate every 4 to 23 hours in hours, or use days: Secrets Manager rotates at most every 4 hours, e.g. cron(0 4 ? * SUN#1 *) or rate(30 days)'],
    [{ masterKeyRotationWindow: Duration.hours(30) }, '`masterKeyRotationWindow` (30 hours) must be whole hours from 1 to 24'],
    [{ masterKeyRotationSchedule: 'rate(7 days)', masterKeyRotation: Duration.days(7) }, '`masterKeyRotationSchedule` replaces `masterKeyRotation`: set one of them'],
    [{ masterKeyRotationEnabled: false, masterKeyRotationWindow: Duration.hours(2) }, '`masterKeyRotationSchedule` and `masterKeyRotationWindow` need rotation'],
    // The README's old example: a window from 04:00 for 24 hours runs into the next UTC day.
    [{ masterKeyRotationSchedule: 'cron(0 4 ? * SUN#1 *)', masterKeyRotationWindow: Duration.hours(24) },
      '`masterKeyRotationWindow` (24 hours) from 04:00 UTC (`masterKeyRotationSchedule` "cron(0 4 ? * SUN#1 *)") would run into the next UTC day, which Secrets Manager refuses: '
      + 'make the window at most 20 hours, or start the schedule earlier'],
    [{ masterKeyRotationSchedule: 'cron(30 4 ? * SUN#1 *)' },
      '`masterKeyRotationSchedule` ("cron(30 4 ? * SUN#1 *)") must have 0 in the minutes field: Secrets Manager rotation windows open on the hour, e.g. cron(0 4 ? * SUN#1 *) or rate(30 days)'],
    [{ masterKeyRotationSchedule: 'cron(0 4 ? * SUN#1 2027)' },
      '`masterKeyRotationSchedule` ("cron(0 4 ? * SUN#1 2027)") must have * in the year field, as Secrets Manager requires, e.g. cron(0 4 ? * SUN#1 *) or rate(30 days)'],
    [{ masterKeyRotationSchedule: 'cron(0 4/12 * * ? *)', masterKeyRotationWindow: Duration.hours(9) },
      '`masterKeyRotationWindow` (9 hours) from 16:00 UTC (`masterKeyRotationSchedule` "cron(0 4/12 * * ? *)") would run into the next UTC day, which Secrets Manager refuses: make the window at most 8 hours, or start the schedule earlier'],
    [{ masterKeyRotationSchedule: 'cron(0 0/6 * * ? *)', masterKeyRotationWindow: Duration.hours(7) },
      '`masterKeyRotationWindow` (7 hours) is longer than the 6 hours between the rotations of `masterKeyRotationSchedule` ("cron(0 0/6 * * ? *)"), which Secrets Manager refuses: make the window at most 6 hours'],
    [{ masterKeyRotationSchedule: 'cron(0 4/12 * * ? *)', masterKeyRotationWindow: Duration.hours(13) },
      '`masterKeyRotationWindow` (13 hours) is longer than the 12 hours between the rotations of `masterKeyRotationSchedule` ("cron(0 4/12 * * ? *)"), which Secrets Manager refuses: make the window at most 8 hours'],
    [{ masterKeyRotationSchedule: 'rate(6 hours)', masterKeyRotationWindow: Duration.hours(8) },
      '`masterKeyRotationWindow` (8 hours) is longer than the 6 hours between the rotations of `masterKeyRotationSchedule` ("rate(6 hours)"), which Secrets Manager refuses: make the window at most 6 hours'],
    [{ masterKeyRotationSchedule: 'cron(0 */2 * * ? *)' },
      '`masterKeyRotationSchedule` ("cron(0 */2 * * ? *)") opens windows 2 hour(s) apart: Secrets Manager rotates a secret at most every 4 hours; space the hours 4 or more apart'],
    [{ masterKeyRotationSchedule: 'rate(1000 days)' },
      '`masterKeyRotationSchedule` ("rate(1000 days)") must be from rate(1 day) to rate(999 days), the longest period Secrets Manager allows'],
    [{ masterKeyRotationSchedule: 'cron(0 25 * * ? *)' },
      '`masterKeyRotationSchedule` ("cron(0 25 * * ? *)") has an hours field ("25") that is not hours from 0 to 23 (n, a-b, a/step, *, lists with ","), e.g. cron(0 4 ? * SUN#1 *) or rate(30 days)'],
  ] as [LiteLlmSecurityProps, string][])('%j fails at synth', (props, message) => {
    expect(() => securityStack(props)).toThrow(message);
  });
});
