import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack, aws_ecr as ecr, aws_ecs as ecs } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { LiteLlmImage } from '../src';

const ENV = { account: '123456789012', region: 'us-east-1' };

/** Runs `image` in a task definition and returns the template's `Image` of that container. */
function synthImage(makeImage: (stack: Stack) => LiteLlmImage): { image: unknown; stack: Stack } {
  const app = new App();
  const stack = new Stack(app, 'ImageStack', { env: ENV });
  const taskDefinition = new ecs.FargateTaskDefinition(stack, 'TaskDefinition');
  const image = makeImage(stack);
  taskDefinition.addContainer('litellm', { image: image.bind(stack), memoryLimitMiB: 2048 });
  const template = Template.fromStack(stack);
  const defs = Object.values(template.findResources('AWS::ECS::TaskDefinition'));
  return { image: defs[0].Properties.ContainerDefinitions[0].Image, stack };
}

function pinError(name: string): string {
  return `LiteLlmImage.fromRegistry: "${name}" must be pinned to a version tag, not latest: e.g. ghcr.io/berriai/litellm:v${LiteLlmImage.DEFAULT_VERSION}`;
}

describe('LiteLlmImage.fromRegistry', () => {
  test('DEFAULT_VERSION is a public semver constant', () => {
    expect(LiteLlmImage.DEFAULT_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
    expect(LiteLlmImage.DEFAULT_REPOSITORY).toBe('ghcr.io/berriai/litellm');
  });

  test('defaults to the official image pinned to DEFAULT_VERSION, pulled over the internet', () => {
    // WHEN
    const { image } = synthImage(() => LiteLlmImage.fromRegistry());

    // THEN
    expect(image).toBe(`ghcr.io/berriai/litellm:v${LiteLlmImage.DEFAULT_VERSION}`);
    expect(LiteLlmImage.fromRegistry().needsInternet).toBe(true);
  });

  test('accepts an explicit version tag', () => {
    // WHEN
    const { image } = synthImage(() => LiteLlmImage.fromRegistry('docker.io/litellm/litellm:v1.70.0-stable'));

    // THEN
    expect(image).toBe('docker.io/litellm/litellm:v1.70.0-stable');
  });

  test('accepts a digest', () => {
    // GIVEN
    const name = `ghcr.io/berriai/litellm@sha256:${'a1'.repeat(32)}`;

    // WHEN
    const { image } = synthImage(() => LiteLlmImage.fromRegistry(name));

    // THEN
    expect(image).toBe(name);
  });

  test('accepts a tag and a digest together (the digest decides what runs)', () => {
    // GIVEN
    const name = `ghcr.io/berriai/litellm:v${LiteLlmImage.DEFAULT_VERSION}@sha256:${'0f'.repeat(32)}`;

    // WHEN
    const { image } = synthImage(() => LiteLlmImage.fromRegistry(name));

    // THEN
    expect(image).toBe(name);
  });

  test.each([
    `ghcr.io/berriai/litellm:v1.108.7@sha256:${'0f'.repeat(31)}`,
    `ghcr.io/berriai/litellm:v1.108.7@sha256:${'0F'.repeat(32)}`,
    `ghcr.io/berriai/litellm:v1.108.7@sha512:${'0f'.repeat(32)}`,
    'ghcr.io/berriai/litellm@latest',
  ])('refuses a malformed digest: %s', (name) => {
    expect(() => LiteLlmImage.fromRegistry(name)).toThrow(new Error(
      `LiteLlmImage.fromRegistry: "${name}" has a malformed digest: write it as <repository>[:<tag>]@sha256:<64 lowercase hex digits>`));
  });

  test('an image in an ECR registry needs no internet', () => {
    // WHEN
    const image = LiteLlmImage.fromRegistry('123456789012.dkr.ecr.us-east-1.amazonaws.com/litellm:v1.108.7');

    // THEN
    expect(image.needsInternet).toBe(false);
  });

  test('rejects :latest', () => {
    expect(() => LiteLlmImage.fromRegistry('ghcr.io/berriai/litellm:latest'))
      .toThrow(pinError('ghcr.io/berriai/litellm:latest'));
  });

  test('rejects :main-latest', () => {
    expect(() => LiteLlmImage.fromRegistry('ghcr.io/berriai/litellm:main-latest'))
      .toThrow(pinError('ghcr.io/berriai/litellm:main-latest'));
  });

  test('rejects an untagged image', () => {
    expect(() => LiteLlmImage.fromRegistry('ghcr.io/berriai/litellm'))
      .toThrow(pinError('ghcr.io/berriai/litellm'));
  });

  test('rejects an untagged image on a registry with a port', () => {
    expect(() => LiteLlmImage.fromRegistry('registry.local:5000/litellm'))
      .toThrow(pinError('registry.local:5000/litellm'));
  });
});

describe('LiteLlmImage.fromEcrRepository', () => {
  test('pulls the tag from the repository without internet', () => {
    // WHEN
    const { image } = synthImage(stack => LiteLlmImage.fromEcrRepository(
      ecr.Repository.fromRepositoryName(stack, 'Repo', 'litellm'), 'v1.108.7'));

    // THEN
    expect(image).toEqual({
      'Fn::Join': ['', ['123456789012.dkr.ecr.us-east-1.', { Ref: 'AWS::URLSuffix' }, '/litellm:v1.108.7']],
    });
  });

  test('needsInternet is false', () => {
    // GIVEN
    const stack = new Stack(new App(), 'S', { env: ENV });

    // WHEN
    const image = LiteLlmImage.fromEcrRepository(ecr.Repository.fromRepositoryName(stack, 'Repo', 'litellm'), 'v1');

    // THEN
    expect(image.needsInternet).toBe(false);
  });
});

describe('LiteLlmImage.fromAsset', () => {
  test('stages a Docker image asset at synth (building needs no Docker until publishing)', () => {
    // GIVEN
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'litellm-image-'));
    fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ghcr.io/berriai/litellm:v${LiteLlmImage.DEFAULT_VERSION}\n`);

    try {
      // WHEN
      const image = LiteLlmImage.fromAsset(dir);
      const { image: rendered } = synthImage(() => image);

      // THEN
      expect(image.needsInternet).toBe(false);
      expect(rendered).toEqual({
        'Fn::Sub': expect.stringMatching(/^123456789012\.dkr\.ecr\.us-east-1\.\$\{AWS::URLSuffix\}\/cdk-[a-z0-9]+-container-assets-123456789012-us-east-1:[a-f0-9]{64}$/),
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
