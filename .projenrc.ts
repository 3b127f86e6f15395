import { awscdk, javascript, YamlFile } from 'projen';
import { azurePipeline } from './projenrc/azure-pipelines';

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-litellm',
  description: 'AWS CDK constructs that deploy a production LiteLLM proxy on ECS Fargate, RDS PostgreSQL and an ALB.',
  author: 'cdk-litellm contributors',
  authorAddress: 'maintainers@cdk-litellm.dev',
  repositoryUrl: 'https://github.com/cdk-litellm/cdk-litellm.git',
  // Construct Hub lists a jsii package under a permissive licence that carries one of its
  // framework keywords (awscdk, cdk8s, cdktf: https://constructs.dev/contribute).
  keywords: ['awscdk', 'aws-cdk', 'aws', 'cdk', 'litellm', 'llm', 'bedrock', 'ecs', 'fargate', 'openai'],
  license: 'Apache-2.0',
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  github: false,
  // Versions, changelog and tag from conventional commits: `npx projen release` bumps
  // before it compiles (package.json and .jsii agree), writes dist/changelog.md,
  // dist/version.txt and dist/releasetag.txt; Azure Pipelines publishes with publib.
  release: true,
  // Platform teams pin this package under production stacks: from the first release
  // (1.0.0) a breaking change is a major version, and conventional commits decide it.
  minMajorVersion: 1,
  stability: 'stable',
  // No release exists yet to compare with; turn on `compat: true` after 1.0.0 is out.
  compat: false,
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
    include: ['src/**/*.ts', 'test/**/*.ts', 'integ/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts', '.projenrc.ts', 'projenrc/**/*.ts'],
    exclude: ['lib', 'dist', 'cdk.out', 'integ/**/*.snapshot', 'assets'],
    compilerOptions: {},
  },

  // The post-deploy smoke test app pipelines run (templates/): `npx cdk-litellm-smoke`.
  // The cost report of any synthesized app: `npx cdk-litellm-cost cdk.out`.
  bin: { 'cdk-litellm-smoke': 'lib/smoke/cli.js', 'cdk-litellm-cost': 'lib/cost/cli.js' },

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
    '@aws-sdk/client-cloudwatch-logs@^3',
    '@aws-sdk/client-cloudformation@^3',
    'aws-sdk-client-mock@^4',
    '@types/aws-lambda@^8',
    'ajv@^8',
    // Idempotent publishing: skips a version the registry already has, so a half-failed
    // release can be rerun. PUBLIB_DRYRUN=true publishes nothing.
    'publib@0.2.1061',
    // The database-user function's PostgreSQL client (bundled into its asset).
    'pg@^8.16.0',
    '@types/pg@^8',
    // An offline IAM policy evaluator: test/iam-policies.test.ts holds every policy of the
    // platform's own roles against the ARNs their calls carry. AGPL-3.0: tests only, never shipped.
    '@cloud-copilot/iam-simulate@0.1.173',
  ],

  eslintOptions: {
    dirs: ['src'],
    devdirs: ['test', 'integ', 'bench', 'scripts', 'projenrc', '.projenrc.ts'],
    projectService: false,
    tsconfigPath: './tsconfig.dev.json',
  },

  lambdaOptions: {
    runtime: awscdk.LambdaRuntime.NODEJS_24_X,
    // pg loads pg-native only when asked to; the bundle leaves it out.
    bundlingOptions: { externals: ['@aws-sdk/*', 'pg-native'] },
  },

  jestOptions: {
    jestConfig: {
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      setupFiles: ['<rootDir>/test/support/v8-flags.ts'],
      testTimeout: 120_000,
      // Jest's default on 2 cores is one worker: the suites that wait on real processes
      // would run one after another. Two workers, the slowest suites first.
      maxWorkers: 2,
      testSequencer: '<rootDir>/test/support/slow-first-sequencer.js',
    },
  },

  gitignore: ['.jsii.tabl.json', 'cdk.out', '!/integ/*.snapshot/cdk.out', '/integ/*.snapshot/asset.*', '/.venv', '/.venv-*', '*.pyc', '__pycache__', '/test/python/cdk.out'],
});

// templates/ is used from the repository (an app pipeline's `resources.repositories`), not from npm.
for (const p of ['/integ', '/.ci', '/bench', '/scripts', 'cdk.out', '/test', '/projenrc', '/.venv*', '/azure-pipelines.yml', '/templates', '/CONTRIBUTING.md', '/examples']) {
  project.npmignore?.exclude(p);
}

// Lambda handlers import the AWS SDK that the Node.js runtime provides.
project.eslint?.allowDevDeps('src/**/*.lambda.ts');
project.eslint?.allowDevDeps('src/rotation/ecs-redeploy.ts');
project.eslint?.allowDevDeps('src/rotation/cancel-rotation.ts');

// Whatever synthesizes a platform needs the Lambda handlers bundled into assets/ (only
// `build` runs them, in pre-compile): a fresh clone's first command must work, and a
// package without them fails in the consumer's app.
const bundle = project.tasks.tryFind('bundle');
if (!bundle) throw new Error('projen no longer defines the bundle task');

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
for (const name of ['integ', 'integ:update', 'integ:deploy']) project.tasks.tryFind(name)!.prependSpawn(bundle);
project.testTask.spawn(integ);

project.addTask('example', {
  description: 'Synthesize the default platform into cdk.out with no AWS account; print where the templates are, the modeled monthly cost and the outputs after deploy',
  steps: [
    { spawn: bundle.name },
    { exec: 'ts-node -T -P tsconfig.dev.json --prefer-ts-exts scripts/example.ts' },
  ],
});

project.addTask('cost', {
  description: 'Modeled monthly cost by component and fresh-deploy critical path of each scenario, or of your app: `npx projen cost -- cdk.out`',
  steps: [
    { spawn: bundle.name },
    { exec: 'ts-node -T -P tsconfig.dev.json --prefer-ts-exts scripts/cost.ts', receiveArgs: true },
  ],
});

// npm runs a bin through `sh -c`; Debian's dash neither execs it nor passes a SIGINT on to a
// running command, so \`kill -INT <npx pid>\` never reached \`npx projen local\`'s proxy. bash
// execs the one command, so the signal reaches projen, and local.ts sees its parent go.
project.npmrc.addConfig('script-shell', '/bin/bash');

project.addTask('local', {
  description: 'Run the real LiteLLM proxy on 127.0.0.1 from the example\'s task definition (mock model, local secrets, no database); Ctrl-C or kill -INT <npx pid> stops it',
  steps: [
    { spawn: bundle.name },
    { spawn: 'boot:setup' },
    { exec: 'ts-node -T -P tsconfig.dev.json --prefer-ts-exts scripts/local.ts' },
  ],
});

project.addTask('bench', {
  description: 'Median synth time of LiteLlmPlatform against ecs_patterns.ApplicationLoadBalancedFargateService',
  steps: [
    { spawn: bundle.name },
    { exec: 'ts-node -P tsconfig.dev.json --prefer-ts-exts bench/synth.bench.ts', receiveArgs: true },
  ],
});

// README examples compile in every jsii language.
const rosetta = project.addTask('rosetta:extract', {
  description: 'Compile the README examples with jsii-rosetta (strict)',
  exec: 'jsii-rosetta extract --strict',
});
project.postCompileTask.spawn(rosetta);

// The inner loop: every synthesis and unit suite, without those that boot real processes.
project.addTask('test:fast', {
  description: 'The inner loop: jest without the real-process suites (boot*, local, cfn-lint, shared-state); `npx projen test` runs all',
  exec: "jest --coverage=false '--testPathIgnorePatterns=/node_modules/|/test/(boot[^/]*|local|cfn-lint|shared-state).test.ts$' --passWithNoTests",
  receiveArgs: true,
});

// The boot test runs the real proxy from a venv pinned to the default image's version.
const bootSetup = project.addTask('boot:setup', {
  description: 'Install the LiteLLM proxy (pinned to LiteLlmImage.DEFAULT_VERSION) into .venv-litellm for the boot test',
  exec: 'bash test/boot/setup.sh',
});
project.testTask.prependSpawn(bootSetup);
// test/boot-collector.test.ts runs a real OpenTelemetry Collector with the platform's collector
// config: built from the Go module proxy once per machine (cached in ~/.cache/cdk-litellm).
const collectorSetup = project.addTask('collector:setup', {
  description: 'Build (once per machine, cached in ~/.cache/cdk-litellm) the OpenTelemetry Collector that test/boot-collector.test.ts runs',
  exec: 'bash test/collector/build.sh',
});
project.testTask.prependSpawn(collectorSetup);
// The GitHub release workflow would pass the minimum major to `bump`; without GitHub
// (Azure Pipelines runs `npx projen release`) the task carries it itself.
const bump = project.tasks.tryFind('bump');
if (!bump) throw new Error('projen no longer defines the bump task');
bump.env('MIN_MAJOR', '1');

// The boot tests and the proxy benchmark start their own TLS Redis and PostgreSQL from Debian's packages.
const servicesSetup = project.addTask('services:setup', {
  description: 'Install redis-server, redis-cli, openssl and postgresql with apt-get when missing (for the boot tests and bench:proxy)',
  exec: 'bash test/boot/services-setup.sh',
});
project.testTask.prependSpawn(servicesSetup);
project.addTask('bench:proxy', {
  description: 'Proxy throughput and added latency: direct to a fake upstream, through LiteLLM without and with Redis',
  steps: [
    { spawn: 'boot:setup' },
    { spawn: 'services:setup' },
    { exec: 'ts-node -P tsconfig.dev.json --prefer-ts-exts bench/proxy.bench.ts' },
  ],
});
// The build runs the proxy benchmark once with a 2-second window, so a change that breaks it
// (as DEVELOPMENT losing its cache once did) fails there: 42-58 s on a 2-core machine, most of
// it two proxy starts. A check that it runs and answers without errors, not a measurement.
const benchProxySmoke = project.addTask('bench:proxy:smoke', {
  description: 'bench:proxy with a 2-second window (part of `test`): that the benchmark still runs, not a measurement',
  env: { BENCH_SECONDS: '2', BENCH_WARMUP_SECONDS: '1', BENCH_METRICS_ROUNDS: '0' },
  steps: [{ spawn: 'bench:proxy' }],
});
project.testTask.spawn(benchProxySmoke);
const cfnLintSetup = project.addTask('cfn-lint:setup', {
  description: 'Install cfn-lint from PyPI into .venv-cfnlint for the cfn-lint quality gate',
  exec: 'bash test/cfn-lint/setup.sh',
});
project.testTask.prependSpawn(cfnLintSetup);

const pythonConsumer = project.addTask('python:consumer', {
  description: 'Install the built wheel into a fresh venv and synthesize a Python CDK app with it',
  exec: 'bash test/python/consumer.sh',
});
const packageCheck = project.addTask('package:check', {
  description: 'The npm tarball holds the library and nothing of the workspace',
  exec: 'bash test/package-check.sh',
});

// projen packages only JavaScript when CI is set (it expects per-language CI jobs); every
// `build` here, in CI or not, produces the npm tarball and the Python wheel and sdist, then
// checks both: one task list for .ci/run, the Azure Build stage and the README.
const packageAll = project.tasks.tryFind('package-all');
if (!packageAll) throw new Error('projen no longer defines the package-all task');
for (const name of ['package:js', 'package:python']) project.tasks.tryFind(name)!.prependSpawn(bundle);
project.packageTask.reset();
project.packageTask.spawn(packageAll);
project.packageTask.spawn(packageCheck);
project.packageTask.spawn(pythonConsumer);

new YamlFile(project, 'azure-pipelines.yml', { obj: azurePipeline() });

project.synth();
