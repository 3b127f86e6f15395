import {
  Annotations, CustomResource, Duration, RemovalPolicy, SecretValue, Stack, aws_cloudwatch as cloudwatch,
  aws_iam as iam, aws_kms as kms, aws_lambda as lambda, aws_logs as logs, aws_secretsmanager as secretsmanager,
} from 'aws-cdk-lib';
import { Construct, DependencyGroup, IDependable } from 'constructs';
import { anyErrorAlarm } from './private/alarms';
import { CUSTOM_RESOURCE_TIMEOUT, dataRemovalPolicies, followingKey, profileDefaults } from './private/defaults';
import { functionRole } from './private/function-role';
import { acknowledge, acknowledgeFunction } from './private/nag';
import { applyRotationRules, rotationOf, scheduleInputsOf } from './private/rotation-schedule';
import { check } from './private/validate';
import { LiteLlmDeploymentProfile } from './profile';
import { MasterKeyFunction } from './rotation/master-key-function';

/**
 * Security settings of a LiteLLM platform.
 */
/**
 * When and whether a secret rotates (the master key, the database password). Rotations are
 * Secrets Manager's: `automaticallyAfter` renders `rate(n days)`, `schedule` any schedule
 * expression, `window` how long after the scheduled time the rotation may start.
 */
export interface LiteLlmRotationOptions {
  /**
   * Whether the secret rotates at all. Off, the schedule keeps the rotation function (so an
   * operator can still `aws secretsmanager rotate-secret`) and automatic rotation is
   * cancelled at deploy, also on a platform where it was on. `schedule` and `window` need it on.
   *
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * How often the secret rotates, in whole days from 1 to 999 (rendered as `rate(n days)`).
   * Set this or `schedule`.
   *
   * @default Duration.days(30)
   */
  readonly automaticallyAfter?: Duration;
  /**
   * When the secret rotates, as a Secrets Manager schedule expression in UTC, e.g.
   * `cron(0 4 ? * SUN#1 *)` (first Sunday of the month, 04:00) or `rate(30 days)`. Synth
   * checks what Secrets Manager refuses: cron minutes other than 0, a year other than `*`,
   * rotations less than 4 hours apart, rates over 999 days. For the master key, each rotation
   * makes clients of the old key get 401 once the redeployed tasks serve (see the README's
   * rotation timeline): pick your quiet hour. Replaces `automaticallyAfter`.
   *
   * @default - every `automaticallyAfter`, at a time Secrets Manager picks
   */
  readonly schedule?: string;
  /**
   * How long after the scheduled time the rotation may start (Secrets Manager's rotation
   * window), from 1 to 24 whole hours. It must close by midnight UTC (a window from 04:00
   * is at most 20 hours) and before the schedule's next window opens.
   *
   * @default - Secrets Manager's: the end of the day of the schedule (UTC)
   */
  readonly window?: Duration;
}

/**
 * Security settings of a LiteLLM platform.
 */
export interface LiteLlmSecurityOptions {
  /**
   * Rotation of the master key. After each rotation the service is redeployed.
   *
   * @default - every 30 days, at a time Secrets Manager picks
   */
  readonly masterKeyRotation?: LiteLlmRotationOptions;
  /**
   * Your own KMS key for the secrets, database, cache, logs and topic, e.g. one your
   * organization manages. A `kms.Key` of the app gets the statements the platform needs in its
   * policy; an imported key's policy must already let CloudWatch Logs
   * (`logs.<region>.amazonaws.com`, for `aws:logs:arn` in this account) and Secrets Manager and
   * SNS in this account use it: synth warns. Its rotation and removal are yours.
   *
   * @default - a new key with rotation on
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * What happens on delete to what unlocks the database's data: the KMS key (when this
   * construct creates it) and the salt key. `DESTROY` deletes them; any other policy retains
   * them (keys and secrets have no snapshot). Keep them as long as the database's snapshot
   * (`LiteLlmDatabaseOptions.removalPolicy`): a snapshot without its key cannot be read, stored
   * model credentials without the salt cannot be decrypted.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Retention of the master-key function's log group.
   *
   * @default - 14 days (DEVELOPMENT), 90 days (PRODUCTION)
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * An existing JSON secret holding the provider API keys, one field per environment
   * variable (`OPENAI_API_KEY`…). It must have every field the models need.
   *
   * @default - a secret with one placeholder field per name in `providerKeyNames`
   */
  readonly providerKeysSecret?: secretsmanager.ISecret;
}

/**
 * Properties of a `LiteLlmSecurity`.
 */
export interface LiteLlmSecurityProps extends LiteLlmSecurityOptions {
  /**
   * Provider-key environment variables the models read (`LiteLlmModel.secretEnvNames`).
   * Each becomes a field of the provider keys secret, created with a placeholder so
   * ECS can resolve it; put the real values in afterwards.
   *
   * @default []
   */
  readonly providerKeyNames?: string[];
  /**
   * Defaults for everything not set explicitly.
   *
   * @default LiteLlmDeploymentProfile.DEVELOPMENT
   */
  readonly profile?: LiteLlmDeploymentProfile;
}

/**
 * The KMS key and the secrets of a LiteLLM platform, with master-key rotation.
 * No key, password or salt appears in the synthesized template: Secrets Manager
 * generates them, and a function writes the first `sk-` master key at deploy.
 */
export class LiteLlmSecurity extends Construct {
  /** The value each provider-key field holds until its owner puts the real key in. */
  public static readonly PROVIDER_KEY_PLACEHOLDER = 'REPLACE_WITH_THE_REAL_KEY';

  /** Customer-managed key (rotation on) for secrets, database, logs and topic: `encryptionKey` when given. */
  public readonly encryptionKey: kms.IKey;
  /** `LITELLM_MASTER_KEY`: `sk-` + 48 characters, rotated. */
  public readonly masterKeySecret: secretsmanager.ISecret;
  /** `LITELLM_SALT_KEY`: generated once, never rotated, retained unless `removalPolicy` is DESTROY (with the database's snapshot). */
  public readonly saltKeySecret: secretsmanager.ISecret;
  /** JSON secret with `UI_USERNAME` (admin) and `UI_PASSWORD`. */
  public readonly uiCredentialsSecret: secretsmanager.ISecret;
  /** JSON secret with one field per provider-key environment variable, if any model needs one. */
  public readonly providerKeysSecret?: secretsmanager.ISecret;
  /** Provider-key fields the secret holds. */
  public readonly providerKeyNames: string[];
  /** The function that writes the first master key and rotates it. */
  public readonly masterKeyFunction: lambda.IFunction;
  /** Completes when the first `sk-` master key is in place. */
  public readonly masterKeyReady: IDependable;
  /** Completes when the first master key and every provider-key field are in place; the service waits for it. */
  public readonly secretsReady: IDependable;
  /** Errors of the master-key function (first write or rotation) > 0 in 5 minutes. */
  public readonly masterKeyRotationAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: LiteLlmSecurityProps = {}) {
    super(scope, id);
    const defaults = profileDefaults(props.profile);
    const keysRemovalPolicy = dataRemovalPolicies(props.removalPolicy).keys;
    const logRetention = props.logRetention ?? defaults.logRetention;
    const rotation = rotationOf('masterKeyRotation', props.masterKeyRotation);
    this.providerKeyNames = [...new Set(props.providerKeyNames ?? [])];
    for (const name of this.providerKeyNames) {
      check(name, n => /^[A-Z_][A-Z0-9_]*$/.test(n),
        n => `provider key name "${n}" must be an environment variable name (A-Z, 0-9, _), e.g. OPENAI_API_KEY`);
    }

    const key = this.createKey(props, keysRemovalPolicy, defaults.production);
    this.encryptionKey = key;
    // What the key encrypts goes with it when it is deleted: kept, it could not be read.
    const removalPolicy = followingKey(key, defaults.removalPolicy);
    if (keysRemovalPolicy === RemovalPolicy.DESTROY) this.warnKeysDestroyed(props.encryptionKey !== undefined);

    const masterKey = new secretsmanager.Secret(this, 'MasterKey', {
      description: 'LiteLLM master key (LITELLM_MASTER_KEY); written as sk-... at deploy and rotated',
      encryptionKey: key,
      // Replaced by an `sk-` value before the service starts; Secrets Manager cannot prefix.
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      removalPolicy,
    });
    this.masterKeySecret = masterKey;

    this.saltKeySecret = new secretsmanager.Secret(this, 'SaltKey', {
      description: 'LiteLLM salt key (LITELLM_SALT_KEY): encrypts stored credentials; never rotate or delete it',
      encryptionKey: key,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      // Losing the salt makes every stored model credential unreadable, so it lives as long
      // as the database's snapshot and the key: retained unless `removalPolicy` is DESTROY.
      removalPolicy: keysRemovalPolicy,
    });

    this.uiCredentialsSecret = new secretsmanager.Secret(this, 'UiCredentials', {
      description: 'LiteLLM admin UI credentials',
      encryptionKey: key,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ UI_USERNAME: 'admin' }),
        generateStringKey: 'UI_PASSWORD',
        passwordLength: 24,
        excludePunctuation: true,
      },
      removalPolicy,
    });

    this.providerKeysSecret = props.providerKeysSecret ?? this.createProviderKeys(key, removalPolicy);

    const { masterKeyFunction, masterKeyRole } = this.createMasterKeyFunction(key, logRetention, removalPolicy);
    const rotationSchedule = this.scheduleRotation(masterKey, masterKeyFunction, masterKeyRole, rotation);
    this.masterKeyFunction = masterKeyFunction;

    // CloudFormation calls the function itself (it answers the ResponseURL), so no
    // provider framework function and role are needed.
    const masterKeyValue = new CustomResource(this, 'MasterKeyValue', {
      serviceToken: masterKeyFunction.functionArn,
      resourceType: 'Custom::LiteLlmMasterKey',
      properties: { SecretId: masterKey.secretArn },
      serviceTimeout: CUSTOM_RESOURCE_TIMEOUT,
    });
    // The rotation schedule's grants must be in place before the first write, and the
    // schedule must not test the secret before it holds an `sk-` key.
    masterKeyValue.node.addDependency(masterKeyRole);
    rotationSchedule.node.addDependency(masterKeyValue);
    this.masterKeyReady = masterKeyValue;
    const secretsReady = new DependencyGroup(masterKeyValue);
    if (this.providerKeysSecret && !props.providerKeysSecret) {
      secretsReady.add(this.addProviderKeyFields(this.providerKeysSecret, masterKeyFunction, masterKeyRole));
    }
    this.secretsReady = secretsReady;

    this.masterKeyRotationAlarm = anyErrorAlarm(this, 'MasterKeyFunctionErrorsAlarm', masterKeyFunction.metricErrors(),
      'Writing or rotating the LiteLLM master key failed');

    this.acknowledgeFindings(masterKeyFunction, masterKeyRole);
  }

  /** The platform key (or `encryptionKey`), with the statements CloudWatch Logs, Secrets Manager and SNS need. */
  private createKey(props: LiteLlmSecurityProps, keysRemovalPolicy: RemovalPolicy, production: boolean): kms.IKey {
    const stack = Stack.of(this);
    const key = props.encryptionKey ?? new kms.Key(this, 'Key', {
      description: `LiteLLM platform key (${this.node.path})`,
      enableKeyRotation: true,
      removalPolicy: keysRemovalPolicy,
      pendingWindow: Duration.days(production ? 30 : 7),
    });
    const logsStatement = key.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'CloudWatchLogs',
      principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:*` } },
    }));
    // CloudWatch alarms may use the key for the alarm topic only: LiteLlmMonitoring.createAlarmTopic adds that statement.
    key.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'SecretsManagerAndSnsInThisAccount',
      principals: [new iam.AccountRootPrincipal()],
      actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:CreateGrant', 'kms:DescribeKey'],
      resources: ['*'],
      conditions: {
        StringEquals: {
          'kms:CallerAccount': stack.account,
          'kms:ViaService': [`secretsmanager.${stack.region}.amazonaws.com`, `sns.${stack.region}.amazonaws.com`],
        },
      },
    }));
    if (!logsStatement.statementAdded) {
      Annotations.of(this).addWarningV2('cdk-litellm:importedEncryptionKey',
        '`encryptionKey` is imported, so its key policy cannot be changed here: it must let CloudWatch Logs '
        + `(logs.${stack.region}.amazonaws.com, kms:EncryptionContext:aws:logs:arn in this account), and Secrets Manager and SNS of this account, use the key, or the deploy fails. `
        + 'It must also let IAM policies of this account grant the key (the default key policy\'s statement for the account root): '
        + 'the platform\'s roles, RDS, ElastiCache and the deploy role are granted through IAM only');
    }
    return key;
  }

  /** What DESTROY takes with the keys: the data they encrypt, wherever it is kept. */
  private warnKeysDestroyed(imported: boolean): void {
    Annotations.of(this).addWarningV2('cdk-litellm:keysDestroyed',
      '`removalPolicy` is DESTROY: deleting the stack deletes the salt key'
      + (imported ? '' : ' and the KMS key (with the master key, UI credentials and provider keys secrets and every log group it encrypts)')
      + '. A database, a database snapshot or a cache kept after that cannot be read: its model credentials are encrypted with the salt key'
      + (imported ? '' : ', and its storage, snapshots and secrets with the KMS key')
      + '. Give the database and the cache `removalPolicy: RemovalPolicy.DESTROY` too, or keep these keys with RemovalPolicy.RETAIN');
  }

  /**
   * The provider keys secret, when a model needs one. Its template value and description never
   * change: CloudFormation would otherwise overwrite the keys operators pasted in whenever a
   * model is added. The master-key function adds missing fields at deploy instead (ProviderKeyFields).
   */
  private createProviderKeys(key: kms.IKey, removalPolicy: RemovalPolicy): secretsmanager.ISecret | undefined {
    if (this.providerKeyNames.length === 0) return undefined;
    const providerKeys = new secretsmanager.Secret(this, 'ProviderKeys', {
      description: `LiteLLM provider API keys, one field per environment variable: replace each ${LiteLlmSecurity.PROVIDER_KEY_PLACEHOLDER}`,
      encryptionKey: key,
      secretStringValue: SecretValue.unsafePlainText('{}'),
      removalPolicy,
    });
    for (const rule of ['AwsSolutions-SMG4', 'NIST.800.53.R5-SecretsManagerRotationEnabled']) {
      acknowledge(providerKeys, rule, 'Provider API keys are issued and rotated at each provider (OpenAI, Anthropic…); operators paste new ones here and redeploy.');
    }
    return providerKeys;
  }

  /** The function that writes the first master key, rotates it and adds provider-key fields, with its role and logs. */
  private createMasterKeyFunction(
    key: kms.IKey, logRetention: logs.RetentionDays, removalPolicy: RemovalPolicy,
  ): { masterKeyFunction: MasterKeyFunction; masterKeyRole: iam.Role } {
    const logGroup = new logs.LogGroup(this, 'MasterKeyFunctionLogs', {
      encryptionKey: key, retention: logRetention, removalPolicy,
    });
    const masterKeyRole = functionRole(this, 'MasterKeyFunctionRole', logGroup);
    const masterKeyFunction = new MasterKeyFunction(this, 'MasterKeyFunction', {
      description: 'Writes the first LiteLLM master key (sk-...), rotates it, and adds missing provider-key fields',
      timeout: Duration.minutes(1),
      logGroup,
      role: masterKeyRole,
    });
    return { masterKeyFunction, masterKeyRole };
  }

  /** The master key's rotation schedule (its rules off when rotation is off), invoked by this account only. */
  private scheduleRotation(
    masterKey: secretsmanager.Secret, masterKeyFunction: MasterKeyFunction, masterKeyRole: iam.Role, rotation: ReturnType<typeof rotationOf>,
  ): secretsmanager.RotationSchedule {
    const stack = Stack.of(this);
    const rotationEnabled = rotation.enabled;
    const rotationSchedule = masterKey.addRotationSchedule('Rotation', {
      rotationLambda: masterKeyFunction,
      // Off: the schedule stays (so `rotate-secret` uses the function) with no rules.
      automaticallyAfter: rotation.automaticallyAfter,
      rotateImmediatelyOnUpdate: false,
    });
    applyRotationRules(rotationSchedule, rotation);
    requireSourceAccount(masterKeyFunction, 'secretsmanager.amazonaws.com', stack.account);
    // Granted whether or not rotation is on, so the deploy that turns it off does not call
    // CancelRotateSecret seconds after IAM got the grant (IAM is eventually consistent); the
    // function may already write and relabel this secret. ListSecretVersionIds dates an
    // AWSPENDING version, DescribeStacks tells a rollback (src/rotation/cancel-rotation.ts).
    masterKeyRole.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['secretsmanager:CancelRotateSecret', 'secretsmanager:ListSecretVersionIds'],
      resources: [masterKey.secretArn],
    }));
    masterKeyRole.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['cloudformation:DescribeStacks'], resources: [stack.stackId] }));
    if (!rotationEnabled) {
      // Rules left out of the schedule are kept by the secret, which goes on rotating
      // (aws-cdk issue 27460): after the schedule's update, the function cancels rotation.
      const rotationOff = new CustomResource(this, 'MasterKeyRotationOff', {
        serviceToken: masterKeyFunction.functionArn,
        resourceType: 'Custom::LiteLlmMasterKeyRotationOff',
        properties: { SecretId: masterKey.secretArn, Schedule: scheduleInputsOf(rotationSchedule, rotation) },
        serviceTimeout: CUSTOM_RESOURCE_TIMEOUT,
      });
      rotationOff.node.addDependency(rotationSchedule, masterKeyRole);
    }
    return rotationSchedule;
  }

  /** Adds at deploy the provider-key fields the secret lacks, each holding the placeholder. */
  private addProviderKeyFields(providerKeys: secretsmanager.ISecret, masterKeyFunction: MasterKeyFunction, masterKeyRole: iam.Role): CustomResource {
    providerKeys.grantRead(masterKeyRole);
    providerKeys.grantWrite(masterKeyRole);
    const fields = new CustomResource(this, 'ProviderKeyFields', {
      serviceToken: masterKeyFunction.functionArn,
      resourceType: 'Custom::LiteLlmProviderKeys',
      properties: {
        SecretId: providerKeys.secretArn,
        Fields: [...this.providerKeyNames].sort(),
        Placeholder: LiteLlmSecurity.PROVIDER_KEY_PLACEHOLDER,
      },
      serviceTimeout: CUSTOM_RESOURCE_TIMEOUT,
    });
    fields.node.addDependency(masterKeyRole);
    return fields;
  }

  /** The cdk-nag findings the security resources answer by design, with the reasons. */
  private acknowledgeFindings(masterKeyFunction: MasterKeyFunction, masterKeyRole: iam.Role): void {
    const saltReason = 'The salt key encrypts the model credentials LiteLLM stores in its database; rotating it would make them unreadable.';
    const uiReason = 'The admin UI password is read by LiteLLM at task start; operators change it and redeploy. The master key, which guards the API, rotates.';
    for (const rule of ['AwsSolutions-SMG4', 'NIST.800.53.R5-SecretsManagerRotationEnabled']) {
      acknowledge(this.saltKeySecret, rule, saltReason);
      acknowledge(this.uiCredentialsSecret, rule, uiReason);
    }
    acknowledge(masterKeyRole, 'AwsSolutions-IAM5[Resource::*]',
      'secretsmanager:GetRandomPassword, granted by the CDK rotation schedule, has no resource-level permissions.');
    acknowledgeFunction(masterKeyFunction, masterKeyRole, 'rotation or the first write fails visibly in Secrets Manager and CloudFormation');
  }

  /** The security alarms: errors of the master-key function. */
  public get alarms(): cloudwatch.IAlarm[] {
    return [this.masterKeyRotationAlarm];
  }

  /**
   * Lets `grantee` read the master key (and decrypt it with the platform key), e.g. a job that
   * calls the admin API. It rotates: read it at each use, never cache it past a rotation.
   */
  public grantReadMasterKey(grantee: iam.IGrantable): iam.Grant {
    return this.masterKeySecret.grantRead(grantee);
  }
}

/**
 * The invoke permission CDK adds for a service principal has no source condition:
 * restrict it to this account (confused deputy).
 */
function requireSourceAccount(fn: lambda.Function, principal: string, account: string): void {
  const permissions = fn.node.findAll().filter((c): c is lambda.CfnPermission => c instanceof lambda.CfnPermission
    && c.principal === principal);
  if (permissions.length === 0) throw new Error(`no invoke permission for ${principal} on ${fn.node.path}`);
  for (const permission of permissions) permission.sourceAccount = account;
}
