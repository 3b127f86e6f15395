/**
 * The Azure Pipelines definition users run: Build, Integration (real AWS
 * account through an AWS Toolkit service connection), Release (npm + PyPI).
 * Secrets come from a variable group, never from this file.
 */
export function azurePipeline(): Record<string, unknown> {
  const setup = [
    { task: 'NodeTool@0', displayName: 'Node.js 20', inputs: { versionSpec: '20.x' } },
    { task: 'UsePythonVersion@0', displayName: 'Python 3.11', inputs: { versionSpec: '3.11' } },
    { script: 'npm ci', displayName: 'Install dependencies' },
  ];
  const download = { download: 'current', artifact: 'dist', displayName: 'Download packages' };

  return {
    trigger: { branches: { include: ['main'] } },
    pr: { branches: { include: ['main'] } },
    variables: [
      { name: 'AWS_SERVICE_CONNECTION', value: 'cdk-litellm-integ' },
      { name: 'AWS_REGION', value: 'us-east-1' },
      // Holds NPM_TOKEN and PYPI_TOKEN as secret variables.
      { group: 'cdk-litellm-release' },
    ],
    pool: { vmImage: 'ubuntu-latest' },
    stages: [
      {
        stage: 'Build',
        jobs: [{
          job: 'Build',
          timeoutInMinutes: '60',
          steps: [
            ...setup,
            { script: 'npx projen build', displayName: 'Compile, test, package' },
            { script: 'bash test/package-check.sh', displayName: 'npm package holds only the library' },
            { script: 'bash test/python/consumer.sh', displayName: 'Python consumer check' },
            {
              task: 'PublishTestResults@2',
              displayName: 'Publish test results',
              condition: 'succeededOrFailed()',
              inputs: { testResultsFormat: 'JUnit', testResultsFiles: 'test-reports/junit.xml' },
            },
            {
              task: 'PublishCodeCoverageResults@1',
              displayName: 'Publish coverage',
              condition: 'succeededOrFailed()',
              inputs: { codeCoverageTool: 'Cobertura', summaryFileLocation: 'coverage/cobertura-coverage.xml' },
            },
            { publish: 'dist', artifact: 'dist', displayName: 'Publish packages' },
          ],
        }],
      },
      {
        stage: 'Integration',
        dependsOn: 'Build',
        jobs: [{
          job: 'Deploy',
          displayName: 'Deploy, assert and destroy every integ scenario',
          timeoutInMinutes: '240',
          steps: [
            ...setup,
            // The Lambda handlers are bundled into assets/ by the build, which this job does not run.
            { script: 'npx projen bundle', displayName: 'Bundle the Lambda handlers' },
            {
              task: 'AWSShellScript@1',
              displayName: 'integ-runner --force',
              inputs: {
                awsCredentials: '$(AWS_SERVICE_CONNECTION)',
                regionName: '$(AWS_REGION)',
                scriptType: 'inline',
                inlineScript: 'npx integ-runner --directory integ --language typescript --parallel-regions $(AWS_REGION) --force --update-on-failed --app "npx ts-node -T -P tsconfig.dev.json --prefer-ts-exts {filePath}"',
              },
            },
          ],
        }],
      },
      {
        stage: 'Release',
        dependsOn: 'Integration',
        condition: "and(succeeded(), eq(variables['Build.SourceBranch'], 'refs/heads/main'))",
        jobs: [{
          job: 'Publish',
          steps: [
            { task: 'UsePythonVersion@0', displayName: 'Python 3.11', inputs: { versionSpec: '3.11' } },
            download,
            {
              script: [
                'echo "//registry.npmjs.org/:_authToken=${NPM_TOKEN}" > "$HOME/.npmrc"',
                'npm publish --access public $(Pipeline.Workspace)/dist/js/*.tgz',
              ].join('\n'),
              displayName: 'Publish to npm',
              env: { NPM_TOKEN: '$(NPM_TOKEN)' },
            },
            {
              script: [
                'python -m pip install --upgrade twine',
                'python -m twine upload --non-interactive $(Pipeline.Workspace)/dist/python/*',
              ].join('\n'),
              displayName: 'Publish to PyPI',
              env: { TWINE_USERNAME: '__token__', TWINE_PASSWORD: '$(PYPI_TOKEN)' },
            },
          ],
        }],
      },
    ],
  };
}
