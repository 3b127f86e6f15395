import { awscdk, javascript, YamlFile } from 'projen';
import { azurePipeline } from './projenrc/azure-pipelines';

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-litellm',
  description: 'AWS CDK constructs that deploy a production LiteLLM proxy on ECS Fargate, RDS PostgreSQL and an ALB.',
  author: 'cdk-litellm contributors',
  authorAddress: 'maintainers@cdk-litellm.dev',
  repositoryUrl: 'https://github.com/cdk-litellm/cdk-litellm.git',
  keywords: ['aws', 'cdk', 'litellm', 'llm', 'bedrock', 'ecs', 'fargate', 'openai'],
  license: 'Apache-2.0',
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  github: false,
  release: false,
  minNodeVersion: '20.0.0',

  cdkVersion: '2.257.0',
  cdkVersionPinning: false,
  constructsVersion: '10.5.1',
  jsiiVersion: '~5.9.0',
  typescriptVersion: '~5.9.0',

  publishToPypi: {
    distName: 'cdk-litellm',
    module: 'cdk_litellm',
  },

  tsconfigDevFile: 'tsconfig.dev.json',
  tsconfigDev: {
    include: ['src/**/*.ts', 'test/**/*.ts', 'integ/**/*.ts', 'bench/**/*.ts', '.projenrc.ts', 'projenrc/**/*.ts'],
    exclude: ['lib', 'dist', 'cdk.out', 'integ/**/*.snapshot', 'assets'],
    compilerOptions: {},
  },

  deps: ['yaml@^2.8.0'],
  bundledDeps: ['yaml'],
  devDeps: [
    'aws-cdk-lib@2.257.0',
    '@aws-cdk/integ-tests-alpha@2.245.0-alpha.0',
    '@aws-cdk/integ-runner@2.197.10',
    'aws-cdk@^2',
    'cdk-nag@^3.0.2',
    '@aws-sdk/client-secrets-manager@^3',
    '@aws-sdk/client-ecs@^3',
    'aws-sdk-client-mock@^4',
    '@types/aws-lambda@^8',
    'ajv@^8',
  ],

  eslintOptions: {
    dirs: ['src'],
    devdirs: ['test', 'integ', 'bench', 'projenrc', '.projenrc.ts'],
    projectService: false,
    tsconfigPath: './tsconfig.dev.json',
  },

  lambdaOptions: {
    runtime: awscdk.LambdaRuntime.NODEJS_24_X,
  },

  jestOptions: {
    jestConfig: {
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testTimeout: 120_000,
    },
  },

  gitignore: ['.jsii.tabl.json', 'cdk.out', '!/integ/*.snapshot/cdk.out', '/integ/*.snapshot/asset.*', '/.venv', '/.venv-*', '*.pyc', '__pycache__', '/test/python/cdk.out'],
});

for (const p of ['/integ', '/.ci', '/bench', 'cdk.out', '/test', '/projenrc', '/.venv*', '/azure-pipelines.yml']) project.npmignore?.exclude(p);

// Lambda handlers import the AWS SDK that the Node.js runtime provides.
project.eslint?.allowDevDeps('src/**/*.lambda.ts');
project.eslint?.allowDevDeps('src/rotation/ecs-redeploy.ts');

// integ-runner lives in devDeps; the tests under integ/ are discovered by name.
const integArgs = '--directory integ --parallel-regions us-east-1 --language typescript --app "npx ts-node -T -P tsconfig.dev.json --prefer-ts-exts {filePath}"';
const integ = project.addTask('integ', {
  description: 'Verify the committed integration test snapshots (no AWS credentials needed)',
  exec: `integ-runner ${integArgs}`,
});
project.addTask('integ:update', {
  description: 'Re-synthesize the integration tests and rewrite their snapshots, without deploying',
  exec: `integ-runner ${integArgs} --update-on-failed --dry-run`,
  receiveArgs: true,
});
project.addTask('integ:deploy', {
  description: 'Deploy every scenario with your AWS credentials, run its assertions, destroy it',
  exec: `integ-runner ${integArgs} --force --update-on-failed`,
  receiveArgs: true,
});
project.testTask.spawn(integ);

project.addTask('example', {
  description: 'Synthesize the default scenario into cdk.out with no AWS account and print where the templates are',
  exec: 'ts-node -T -P tsconfig.dev.json --prefer-ts-exts integ/example.ts',
});

project.addTask('bench', {
  description: 'Median synth time of LiteLlmPlatform against ecs_patterns.ApplicationLoadBalancedFargateService',
  exec: 'ts-node -P tsconfig.dev.json --prefer-ts-exts bench/synth.bench.ts',
  receiveArgs: true,
});

// README examples compile in every jsii language.
const rosetta = project.addTask('rosetta:extract', {
  description: 'Compile the README examples with jsii-rosetta (strict)',
  exec: 'jsii-rosetta extract --strict',
});
project.postCompileTask.spawn(rosetta);

// The boot test runs the real proxy from a venv pinned to the default image's version.
const bootSetup = project.addTask('boot:setup', {
  description: 'Install the LiteLLM proxy (pinned to LiteLlmImage.DEFAULT_VERSION) into .venv-litellm for the boot test',
  exec: 'bash test/boot/setup.sh',
});
project.testTask.prependSpawn(bootSetup);
// The boot test and the proxy benchmark start their own TLS Redis from Debian's package.
const redisSetup = project.addTask('redis:setup', {
  description: 'Install redis-server, redis-cli and openssl with apt-get when missing (for the boot test and bench:proxy)',
  exec: 'bash test/boot/redis-setup.sh',
});
project.testTask.prependSpawn(redisSetup);
project.addTask('bench:proxy', {
  description: 'Proxy throughput and added latency: direct to a fake upstream, through LiteLLM without and with Redis',
  steps: [
    { spawn: 'boot:setup' },
    { spawn: 'redis:setup' },
    { exec: 'ts-node -P tsconfig.dev.json --prefer-ts-exts bench/proxy.bench.ts' },
  ],
});
const cfnLintSetup = project.addTask('cfn-lint:setup', {
  description: 'Install cfn-lint from PyPI into .venv-cfnlint for the cfn-lint quality gate',
  exec: 'bash test/cfn-lint/setup.sh',
});
project.testTask.prependSpawn(cfnLintSetup);

project.addTask('python:consumer', {
  description: 'Install the built wheel into a fresh venv and synthesize a Python CDK app with it',
  exec: 'bash test/python/consumer.sh',
});

// projen packages only JavaScript when CI is set (it expects per-language CI jobs); every
// `build` here, in CI or not, produces the npm tarball and the Python wheel and sdist.
const packageAll = project.tasks.tryFind('package-all');
if (!packageAll) throw new Error('projen no longer defines the package-all task');
project.packageTask.reset();
project.packageTask.spawn(packageAll);

new YamlFile(project, 'azure-pipelines.yml', { obj: azurePipeline() });

project.synth();
