import { App, Stack, aws_ecr as ecrRepo, aws_route53 as route53, aws_s3 as s3 } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as YAML from 'yaml';
import { LiteLlmDeploymentProfile, LiteLlmCallback, LiteLlmImage, LiteLlmModel, LiteLlmPlatform, LiteLlmPlatformProps, LiteLlmOtlpProtocol } from '../src';
import { nagFindings } from './support/nag';

const ENV = { account: '123456789012', region: 'us-east-1' };

function synth(props: Partial<LiteLlmPlatformProps>) {
  const app = new App();
  const stack = new Stack(app, 'Stack', { env: ENV });
  const platform = new LiteLlmPlatform(stack, 'LiteLlm', { models: [LiteLlmModel.mock({ name: 'm' })], ...props });
  const template = Template.fromStack(stack);
  const containers = Object.values<any>(template.toJSON().Resources).find(r => r.Type === 'AWS::ECS::TaskDefinition').Properties.ContainerDefinitions;
  const litellm = containers.find((c: any) => c.Name === 'litellm');
  const environment = Object.fromEntries(litellm.Environment.map((e: any) => [e.Name, e.Value]));
  const secrets = Object.fromEntries((litellm.Secrets ?? []).map((e: any) => [e.Name, e.ValueFrom]));
  return { app, stack, platform, template, environment, secrets, config: YAML.parse(platform.service.renderedConfig) };
}

describe('LiteLlmCallback.s3Logging', () => {
  test('renders the s3_v2 logger reading its bucket and region from the environment', () => {
    // WHEN
    const { config, environment, stack, platform } = synth({ config: { callbacks: [LiteLlmCallback.s3Logging({ path: 'requests' })] } });

    // THEN
    expect(config.litellm_settings.success_callback).toEqual(['s3_v2']);
    expect(config.litellm_settings.s3_callback_params).toEqual({
      s3_bucket_name: 'os.environ/LITELLM_S3_LOGGING_BUCKET',
      s3_region_name: 'os.environ/AWS_REGION',
      s3_path: 'requests',
    });
    const bucket = stack.getLogicalId(platform.service.requestLogsBucket!.node.defaultChild as s3.CfnBucket);
    expect(environment.LITELLM_S3_LOGGING_BUCKET).toEqual({ Ref: bucket });
    expect(environment.AWS_REGION).toBe('us-east-1');
  });

  test('creates a bucket encrypted with the platform key, TLS only, private, and lets the task role put objects', () => {
    // WHEN
    const { template, stack, platform } = synth({ config: { callbacks: [LiteLlmCallback.s3Logging()] } });
    const key = stack.getLogicalId(platform.security.encryptionKey.node.defaultChild as any);
    const bucket = stack.getLogicalId(platform.service.requestLogsBucket!.node.defaultChild as s3.CfnBucket);

    // THEN
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{
          BucketKeyEnabled: true,
          ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [key, 'Arn'] } },
        }],
      },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 365 })]) },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucket },
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('TaskDefinitionTaskRole') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Sid: 'WriteRequestLogs',
            Effect: 'Allow',
            Action: 's3:PutObject',
            Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucket, 'Arn'] }, '/*']] },
          },
          { Effect: 'Allow', Action: 'kms:GenerateDataKey', Resource: { 'Fn::GetAtt': [key, 'Arn'] } },
        ]),
      },
    });
  });

  test('writes into a bucket you give, and creates none', () => {
    // GIVEN
    const app = new App();
    const stack = new Stack(app, 'Stack', { env: ENV });
    const bucket = s3.Bucket.fromBucketName(stack, 'Logs', 'team-llm-logs');

    // WHEN
    const platform = new LiteLlmPlatform(stack, 'LiteLlm', {
      models: [LiteLlmModel.mock({ name: 'm' })],
      config: { callbacks: [LiteLlmCallback.s3Logging({ bucket, path: 'logs' })] },
    });
    const template = Template.fromStack(stack);

    // THEN
    expect(platform.service.requestLogsBucket).toBe(bucket);
    template.resourcePropertiesCountIs('AWS::S3::Bucket', { BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' } }] } }, 0);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([{
          Sid: 'WriteRequestLogs',
          Effect: 'Allow',
          Action: 's3:PutObject',
          Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::team-llm-logs/logs/*']] },
        }]),
      },
    });
  });

  test('twice is refused, with a bucket created or given', () => {
    const message = '`config.callbacks` has LiteLlmCallback.s3Logging() twice: LiteLLM has one s3_callback_params; keep one';
    expect(() => synth({ config: { callbacks: [LiteLlmCallback.s3Logging(), LiteLlmCallback.s3Logging()] } })).toThrow(new Error(message));
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    const [a, b] = ['a', 'b'].map(name => s3.Bucket.fromBucketName(stack, name, `logs-${name}`));
    expect(() => new LiteLlmPlatform(stack, 'LiteLlm', {
      models: [LiteLlmModel.mock({ name: 'm' })],
      config: { callbacks: [LiteLlmCallback.s3Logging({ bucket: a }), LiteLlmCallback.s3Logging({ bucket: b })] },
    })).toThrow(new Error(message));
  });

  // The bucket holds data: its logical ID is how CloudFormation knows it. Never update this
  // literal to make the test pass; keep the construct id or pin the old one.
  test('the bucket keeps its logical ID, whatever the order of the callbacks', () => {
    for (const callbacks of [
      [LiteLlmCallback.s3Logging(), LiteLlmCallback.langfuse()],
      [LiteLlmCallback.langfuse(), LiteLlmCallback.s3Logging()],
    ]) {
      const { template } = synth({ config: { callbacks } });
      expect(template.toJSON().Resources.LiteLlmServiceRequestLogs6EEEC885?.Type).toBe('AWS::S3::Bucket');
    }
  });
});

describe('LiteLlmCallback.openTelemetry', () => {
  test('renders the otel callback and sets its exporter, endpoint and service name', () => {
    // WHEN
    const { config, environment, secrets } = synth({
      config: { callbacks: [LiteLlmCallback.openTelemetry({ endpoint: 'http://otel.internal:4318/v1/traces' })] },
    });

    // THEN
    expect(config.litellm_settings.callbacks).toEqual(['otel']);
    expect(environment).toMatchObject({
      OTEL_EXPORTER: 'otlp_http', OTEL_ENDPOINT: 'http://otel.internal:4318/v1/traces', OTEL_SERVICE_NAME: 'litellm',
    });
    expect(secrets.OTEL_HEADERS).toBeUndefined();
  });

  test('headers come from the provider keys secret', () => {
    // WHEN
    const { environment, secrets, platform } = synth({
      config: {
        callbacks: [LiteLlmCallback.openTelemetry({
          endpoint: 'api.honeycomb.io:443', protocol: LiteLlmOtlpProtocol.GRPC, serviceName: 'llm-gateway', headersFromSecret: true,
        })],
      },
    });

    // THEN
    expect(environment).toMatchObject({ OTEL_EXPORTER: 'otlp_grpc', OTEL_SERVICE_NAME: 'llm-gateway' });
    expect(environment.OTEL_HEADERS).toBeUndefined();
    expect(JSON.stringify(secrets.OTEL_HEADERS)).toContain(':OTEL_HEADERS::');
    expect(platform.security.providerKeyNames).toEqual(['OTEL_HEADERS']);
  });
});

describe('LiteLlmCallback.langfuse', () => {
  test('renders the langfuse callback with its keys as ECS secrets from the provider keys secret', () => {
    // WHEN
    const { config, environment, secrets, platform } = synth({
      config: { callbacks: [LiteLlmCallback.langfuse({ host: 'https://langfuse.internal' })] },
    });

    // THEN
    expect(config.litellm_settings.success_callback).toEqual(['langfuse']);
    expect(environment.LANGFUSE_HOST).toBe('https://langfuse.internal');
    expect(JSON.stringify(secrets.LANGFUSE_PUBLIC_KEY)).toContain(':LANGFUSE_PUBLIC_KEY::');
    expect(JSON.stringify(secrets.LANGFUSE_SECRET_KEY)).toContain(':LANGFUSE_SECRET_KEY::');
    expect(platform.security.providerKeyNames).toEqual(['LANGFUSE_PUBLIC_KEY', 'LANGFUSE_SECRET_KEY']);
    expect(platform.service.renderedConfig).not.toContain('LANGFUSE_SECRET_KEY');
  });
});

describe('egress', () => {
  const ecr = (stack: Stack) => LiteLlmImage.fromEcrRepository(ecrRepo.Repository.fromRepositoryName(stack, 'Repo', 'litellm'), 'v1.108.7');

  test('Langfuse Cloud needs internet: without NAT synth fails', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    expect(() => new LiteLlmPlatform(stack, 'LiteLlm', {
      models: [LiteLlmModel.mock({ name: 'm' })],
      image: ecr(stack),
      network: { natGateways: 0 },
      config: { callbacks: [LiteLlmCallback.langfuse()] },
    })).toThrow(new Error('a callback (Langfuse Cloud) needs internet egress, but `natGateways` is 0 and tasks run in private subnets: '
      + 'set natGateways to 1, or use Bedrock models and an ECR image (LiteLlmImage.fromEcrRepository)'));
  });

  test('a Langfuse host of your own, S3 logging and OpenTelemetry need no NAT', () => {
    const stack = new Stack(new App(), 'Stack', { env: ENV });
    expect(() => new LiteLlmPlatform(stack, 'LiteLlm', {
      models: [LiteLlmModel.mock({ name: 'm' })],
      image: ecr(stack),
      network: { natGateways: 0 },
      config: {
        callbacks: [
          LiteLlmCallback.langfuse({ host: 'http://langfuse.internal' }),
          LiteLlmCallback.s3Logging(),
          LiteLlmCallback.openTelemetry({ endpoint: 'http://otel.internal:4318' }),
        ],
      },
    })).not.toThrow();
  });
});

describe('several callbacks', () => {
  test('a raw setting a callback sets too is refused', () => {
    expect(() => synth({ config: { callbacks: [LiteLlmCallback.s3Logging()], litellmSettings: { s3_callback_params: { s3_bucket_name: 'other' } } } }))
      .toThrow(new Error('`config.litellmSettings.s3_callback_params` is set by a callback in `config.callbacks`: remove one of them'));
  });

  test('join their lists with the raw settings\' and each other\'s', () => {
    // WHEN
    const { config } = synth({
      config: {
        callbacks: [LiteLlmCallback.s3Logging(), LiteLlmCallback.langfuse(), LiteLlmCallback.openTelemetry({ endpoint: 'http://otel:4318' })],
        litellmSettings: { success_callback: ['datadog'], failure_callback: ['datadog'] },
      },
    });

    // THEN
    expect(config.litellm_settings).toMatchObject({
      success_callback: ['datadog', 's3_v2', 'langfuse'],
      failure_callback: ['datadog'],
      callbacks: ['otel'],
    });
  });

  test.each([LiteLlmDeploymentProfile.DEVELOPMENT, LiteLlmDeploymentProfile.PRODUCTION])('in %s have no unacknowledged cdk-nag findings', (profile) => {
    // GIVEN: as the quality gate's PRODUCTION scenario, with every callback
    const production = profile === LiteLlmDeploymentProfile.PRODUCTION;
    const app = new App();
    const stack = new Stack(app, 'Stack', { env: ENV });
    const hostedZone = route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'example.com' });
    new LiteLlmPlatform(stack, 'LiteLlm', {
      profile,
      models: [LiteLlmModel.mock({ name: 'm' })],
      loadBalancer: production ? { domainName: 'llm', domainZone: hostedZone } : undefined,
      config: { callbacks: [LiteLlmCallback.s3Logging(), LiteLlmCallback.langfuse(), LiteLlmCallback.openTelemetry({ endpoint: 'http://otel:4318' })] },
    });

    // THEN
    expect(nagFindings(app, 'AwsSolutions')).toEqual([]);
    if (production) expect(nagFindings(app, 'NIST.800.53.R5')).toEqual([]);
  });
});
