import { Token, aws_ecr as ecr, aws_ecs as ecs } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/**
 * The container image the LiteLLM service runs.
 */
export abstract class LiteLlmImage {
  /** The LiteLLM release the default image and the boot test pin. */
  public static readonly DEFAULT_VERSION = '1.108.7';
  /** The official image repository. */
  public static readonly DEFAULT_REPOSITORY = 'ghcr.io/berriai/litellm';

  /**
   * An image from a registry, pinned by a tag, a digest, or both
   * (`ghcr.io/berriai/litellm:v1.108.7@sha256:<64 hex digits>`: the digest decides what runs, the
   * tag documents it). Pulling from a public registry needs internet egress (NAT).
   *
   * @param image full image name with tag and/or `@sha256:` digest
   * @default - the official image pinned to `DEFAULT_VERSION`
   */
  public static fromRegistry(image?: string): LiteLlmImage {
    const name = image ?? `${LiteLlmImage.DEFAULT_REPOSITORY}:v${LiteLlmImage.DEFAULT_VERSION}`;
    if (Token.isUnresolved(name)) {
      throw new Error('LiteLlmImage.fromRegistry: the image name is a token; pass a literal name pinned to a version, or use LiteLlmImage.fromEcrRepository');
    }
    if (name.includes('@') && !/^[^@]+@sha256:[a-f0-9]{64}$/.test(name)) {
      throw new Error(`LiteLlmImage.fromRegistry: "${name}" has a malformed digest: write it as <repository>[:<tag>]@sha256:<64 lowercase hex digits>`);
    }
    if (/:(main-)?latest$/.test(name) || !/(:[^/:@]+|@sha256:[a-f0-9]{64})$/.test(name)) {
      throw new Error(`LiteLlmImage.fromRegistry: "${name}" must be pinned to a version tag, not latest: e.g. ${LiteLlmImage.DEFAULT_REPOSITORY}:v${LiteLlmImage.DEFAULT_VERSION}`);
    }
    return new RegistryImage(name);
  }

  /** An image in an ECR repository, pulled through the VPC's ECR endpoints. */
  public static fromEcrRepository(repository: ecr.IRepository, tag: string): LiteLlmImage {
    return new BoundImage(ecs.ContainerImage.fromEcrRepository(repository, tag), false);
  }

  /**
   * An image built from a Dockerfile in `directory` (needs Docker where you synthesize).
   */
  public static fromAsset(directory: string): LiteLlmImage {
    return new BoundImage(ecs.ContainerImage.fromAsset(directory), false);
  }

  /** Whether pulling the image needs internet egress. */
  public abstract readonly needsInternet: boolean;

  /** The ECS image. */
  public abstract bind(scope: Construct): ecs.ContainerImage;
}

class RegistryImage extends LiteLlmImage {
  public readonly needsInternet: boolean;
  constructor(private readonly name: string) {
    super();
    // Docker Hub, GHCR, Quay… all need the internet; an ECR registry in this account does not.
    this.needsInternet = !/\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com/.test(name);
  }

  public bind(_scope: Construct): ecs.ContainerImage {
    return ecs.ContainerImage.fromRegistry(this.name);
  }
}

class BoundImage extends LiteLlmImage {
  constructor(private readonly image: ecs.ContainerImage, public readonly needsInternet: boolean) {
    super();
  }

  public bind(_scope: Construct): ecs.ContainerImage {
    return this.image;
  }
}
