import { Duration, RemovalPolicy, aws_iam as iam, aws_kms as kms, aws_s3 as s3 } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { acknowledge, nagResource } from './private/nag';

/** The environment variable that carries the S3 logging bucket's name to `s3_callback_params`. */
const S3_BUCKET_ENV = 'LITELLM_S3_LOGGING_BUCKET';
/** The construct id of the request logs bucket, under the service. */
const REQUEST_LOGS_ID = 'RequestLogs';

/**
 * Options for `LiteLlmCallback.s3Logging`.
 */
export interface LiteLlmS3LoggingOptions {
  /**
   * The bucket LiteLLM writes one JSON object per request into. The task role is granted
   * `s3:PutObject` on it (and encrypt on its key, if it has one).
   *
   * @default - a bucket encrypted with the platform's KMS key, TLS only, no public access
   */
  readonly bucket?: s3.IBucket;
  /**
   * Key prefix of the log objects (`s3_path`).
   *
   * @default - the bucket's root
   */
  readonly path?: string;
  /**
   * How long the bucket the construct creates keeps the logs. Ignored with `bucket`.
   *
   * @default Duration.days(365)
   */
  readonly retention?: Duration;
}

/**
 * The OTLP transport of `LiteLlmCallback.openTelemetry` (`OTEL_EXPORTER`).
 */
export enum LiteLlmOtlpProtocol {
  /** OTLP over HTTP (`otlp_http`), usually port 4318. */
  HTTP = 'otlp_http',
  /** OTLP over gRPC (`otlp_grpc`), usually port 4317. */
  GRPC = 'otlp_grpc',
}

/**
 * Options for `LiteLlmCallback.openTelemetry`.
 */
export interface LiteLlmOpenTelemetryOptions {
  /** Where traces go (`OTEL_ENDPOINT`), e.g. `http://otel-collector.internal:4318/v1/traces`. */
  readonly endpoint: string;
  /**
   * The transport.
   *
   * @default LiteLlmOtlpProtocol.HTTP
   */
  readonly protocol?: LiteLlmOtlpProtocol;
  /**
   * The service name on every span (`OTEL_SERVICE_NAME`).
   *
   * @default 'litellm'
   */
  readonly serviceName?: string;
  /**
   * Whether the endpoint needs headers (an API key, e.g. `x-honeycomb-team=...`): they are
   * read from the `OTEL_HEADERS` field of the provider keys secret.
   *
   * @default false
   */
  readonly headersFromSecret?: boolean;
}

/**
 * Options for `LiteLlmCallback.langfuse`.
 */
export interface LiteLlmLangfuseOptions {
  /**
   * The Langfuse server (`LANGFUSE_HOST`).
   *
   * @default 'https://cloud.langfuse.com'
   */
  readonly host?: string;
}

/**
 * What a callback adds to the proxy once bound to a service.
 */
export interface LiteLlmCallbackBinding {
  /** Keys of `litellm_settings`; `callbacks`, `success_callback` and `failure_callback` lists are joined with the others'. */
  readonly litellmSettings: { [key: string]: any };
  /** Plain environment variables of the proxy (never secrets). */
  readonly environment: { [name: string]: string };
  /** The bucket logs go to, for a callback that writes to S3. */
  readonly bucket?: s3.IBucket;
}

/**
 * A LiteLLM logging callback: where each request's log, trace or span goes. Anything
 * not typed here goes through `LiteLlmConfigOptions.litellmSettings` (e.g.
 * `{ success_callback: ['datadog'] }`) with its keys in the provider keys secret.
 */
export abstract class LiteLlmCallback {
  /**
   * LiteLLM's S3 logger (`s3_v2`): one JSON object per successful request in a
   * KMS-encrypted bucket, written with the task role (no keys).
   */
  public static s3Logging(options: LiteLlmS3LoggingOptions = {}): LiteLlmCallback {
    return new S3LoggingCallback(options);
  }

  /** OpenTelemetry traces (`otel`) to an OTLP endpoint you run or subscribe to. */
  public static openTelemetry(options: LiteLlmOpenTelemetryOptions): LiteLlmCallback {
    return new OpenTelemetryCallback(options);
  }

  /**
   * Langfuse tracing (`langfuse`); its keys are read from the `LANGFUSE_PUBLIC_KEY` and
   * `LANGFUSE_SECRET_KEY` fields of the provider keys secret.
   */
  public static langfuse(options: LiteLlmLangfuseOptions = {}): LiteLlmCallback {
    return new LangfuseCallback(options);
  }

  /** Fields of the provider keys secret this callback reads; each becomes an ECS secret of the proxy. */
  public abstract readonly secretEnvNames: string[];

  /** Whether the callback sends to the internet (through NAT). */
  public abstract readonly needsInternet: boolean;

  /** Adds what the callback needs (bucket, grant) to `scope` and returns its settings. */
  public abstract bind(scope: Construct, context: LiteLlmCallbackContext): LiteLlmCallbackBinding;
}

/**
 * What a callback may use when it binds.
 */
export interface LiteLlmCallbackContext {
  /** The platform's key, for what the callback creates. */
  readonly encryptionKey: kms.IKey;
  /** The role the proxy runs as (the task role). */
  readonly role: iam.IRole;
  /** Removal policy of what the callback creates. */
  readonly removalPolicy: RemovalPolicy;
}

class S3LoggingCallback extends LiteLlmCallback {
  public readonly secretEnvNames: string[] = [];
  // Through the VPC's S3 gateway endpoint.
  public readonly needsInternet = false;

  constructor(private readonly options: LiteLlmS3LoggingOptions) {
    super();
  }

  public bind(scope: Construct, context: LiteLlmCallbackContext): LiteLlmCallbackBinding {
    const bucket = this.options.bucket ?? this.createBucket(scope, context);
    // s3_v2 writes each log with one signed PUT (litellm/integrations/s3_v2.py:451-468); reading
    // logs back for the admin UI's "cold storage" view (s3_v2.py:983-1067) is not granted.
    // Keys are `<s3_path>/<date>/<request>.json` (integrations/s3.py:384-397), so the grant ends in
    // `<path>/*`. Under SSE-KMS a PUT needs a data key from the bucket's key.
    const objects = bucket.arnForObjects(this.options.path ? `${this.options.path}/*` : '*');
    context.role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'WriteRequestLogs', actions: ['s3:PutObject'], resources: [objects] }));
    bucket.encryptionKey?.grant(context.role, 'kms:GenerateDataKey');
    acknowledge(context.role, `AwsSolutions-IAM5[Resource::${nagResource(scope, objects)}]`,
      'LiteLLM names each log object by date and request id; the role may only put objects, under this prefix of this one bucket.');
    return {
      litellmSettings: {
        // litellm/litellm_core_utils/litellm_logging.py:5008 (the `s3_v2` logger);
        // os.environ/ references resolve in litellm/integrations/s3_v2.py:333-338.
        success_callback: ['s3_v2'],
        s3_callback_params: {
          s3_bucket_name: `os.environ/${S3_BUCKET_ENV}`,
          s3_region_name: 'os.environ/AWS_REGION',
          ...(this.options.path ? { s3_path: this.options.path } : {}),
        },
      },
      environment: { [S3_BUCKET_ENV]: bucket.bucketName },
      bucket,
    };
  }

  private createBucket(scope: Construct, context: LiteLlmCallbackContext): s3.IBucket {
    // A stable id: the bucket holds data, and its logical id must not depend on the callbacks' order.
    if (scope.node.tryFindChild(REQUEST_LOGS_ID)) {
      throw new Error('`config.callbacks` has LiteLlmCallback.s3Logging() twice: LiteLLM has one s3_callback_params; keep one');
    }
    const bucket = new s3.Bucket(scope, REQUEST_LOGS_ID, {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: context.encryptionKey,
      bucketKeyEnabled: true,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      lifecycleRules: [{
        expiration: this.options.retention ?? Duration.days(365),
        noncurrentVersionExpiration: Duration.days(1),
      }],
      removalPolicy: context.removalPolicy,
      autoDeleteObjects: context.removalPolicy === RemovalPolicy.DESTROY,
    });
    const reason = 'The bucket holds LiteLLM\'s request logs, written only by the task role; pass your own `bucket` to add access logging or replication.';
    acknowledge(bucket, 'AwsSolutions-S1', reason);
    acknowledge(bucket, 'NIST.800.53.R5-S3BucketLoggingEnabled', reason);
    acknowledge(bucket, 'NIST.800.53.R5-S3BucketReplicationEnabled', reason);
    return bucket;
  }
}

class OpenTelemetryCallback extends LiteLlmCallback {
  public readonly secretEnvNames: string[];
  // The endpoint is yours: a collector in the VPC needs no NAT, and one outside fails at runtime, not synth.
  public readonly needsInternet = false;

  constructor(private readonly options: LiteLlmOpenTelemetryOptions) {
    super();
    this.secretEnvNames = options.headersFromSecret ? ['OTEL_HEADERS'] : [];
  }

  public bind(): LiteLlmCallbackBinding {
    return {
      // litellm/integrations/opentelemetry.py:358-379 reads OTEL_EXPORTER, OTEL_ENDPOINT,
      // OTEL_HEADERS and OTEL_SERVICE_NAME; `otel` is its callback name (proxy_server.py:6536-6543).
      litellmSettings: { callbacks: ['otel'] },
      environment: {
        OTEL_EXPORTER: this.options.protocol ?? LiteLlmOtlpProtocol.HTTP,
        OTEL_ENDPOINT: this.options.endpoint,
        OTEL_SERVICE_NAME: this.options.serviceName ?? 'litellm',
      },
    };
  }
}

class LangfuseCallback extends LiteLlmCallback {
  // litellm/integrations/langfuse/langfuse.py:270-279
  public readonly secretEnvNames = ['LANGFUSE_PUBLIC_KEY', 'LANGFUSE_SECRET_KEY'];
  public readonly needsInternet: boolean;

  constructor(private readonly options: LiteLlmLangfuseOptions) {
    super();
    // Langfuse Cloud is on the internet; a host of your own may be in the VPC.
    this.needsInternet = options.host === undefined;
  }

  public bind(): LiteLlmCallbackBinding {
    return {
      litellmSettings: { success_callback: ['langfuse'] },
      environment: this.options.host ? { LANGFUSE_HOST: this.options.host } : {},
    };
  }
}
