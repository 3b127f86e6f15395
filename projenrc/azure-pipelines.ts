/**
 * The Azure Pipelines definition of the library:
 * - Build, on every push and pull request: `npx projen build` (the same task list as
 *   `.ci/run` and the README), conventional commits, and no generated file may drift.
 * - Integration, never for a pull request: on `main`, nightly, or on demand
 *   (`runIntegration`), a deployment job on an environment (approvals and an exclusive
 *   lock are the environment's checks) deploys the integ scenarios under stack names
 *   unique to the run and always deletes them afterwards.
 * - Release, on `main` after Integration: bump, changelog and tag with projen, publish
 *   with publib (which skips versions already published, so a rerun completes a
 *   half-failed release). Only this stage sees the release tokens' variable group.
 */
export const NODE_VERSION = '22.x';
/** The Azure DevOps environment whose checks (approval, exclusive lock) guard real deploys. */
export const INTEG_ENVIRONMENT = 'cdk-litellm-aws';
/** Appended to every integ stack name in a pipeline run (integ/naming.ts reads it). */
export const STACK_SUFFIX = '-run$(Build.BuildId)';

const CONVENTIONAL = '^(feat|fix|docs|style|refactor|perf|test|build|ci|chore|revert)(\\([a-z0-9-]+\\))?!?: .+';

export function azurePipeline(): Record<string, unknown> {
  const setup = [
    { task: 'NodeTool@0', displayName: `Node.js ${NODE_VERSION}`, inputs: { versionSpec: NODE_VERSION } },
    { task: 'UsePythonVersion@0', displayName: 'Python 3.11', inputs: { versionSpec: '3.11' } },
    { script: 'npm ci', displayName: 'Install dependencies' },
  ];
  const integArgs = '--directory integ --language typescript --parallel-regions $(AWS_REGION) --force --update-on-failed --app "npx ts-node -T -P tsconfig.dev.json --prefer-ts-exts {filePath}"';

  return {
    trigger: { branches: { include: ['main'] } },
    pr: { branches: { include: ['main'] } },
    schedules: [{ cron: '0 3 * * 1-5', displayName: 'Nightly integration', branches: { include: ['main'] }, always: 'true' }],
    parameters: [{ name: 'runIntegration', displayName: 'Deploy the integration scenarios to AWS', type: 'boolean', default: 'false' }],
    variables: [
      { name: 'AWS_SERVICE_CONNECTION', value: 'cdk-litellm-integ' },
      { name: 'AWS_REGION', value: 'us-east-1' },
    ],
    pool: { vmImage: 'ubuntu-latest' },
    stages: [
      {
        stage: 'Build',
        jobs: [{
          job: 'Build',
          timeoutInMinutes: '90',
          steps: [
            { checkout: 'self', fetchDepth: '0' },
            ...setup,
            {
              script: [
                'set -euo pipefail',
                `pattern='${CONVENTIONAL}'`,
                'bad=$(git log --format=%s "origin/$(System.PullRequest.TargetBranch)..HEAD" --no-merges | grep -vE "$pattern" || true)',
                'if [ -n "$bad" ]; then echo "Commit subjects must follow Conventional Commits (see CONTRIBUTING.md):"; echo "$bad"; exit 1; fi',
              ].join('\n'),
              displayName: 'Conventional commits',
              condition: "eq(variables['Build.Reason'], 'PullRequest')",
            },
            { script: 'npx projen build', displayName: 'Build: compile, test, package (as .ci/run)' },
            {
              script: 'git add -N . && git diff --exit-code --stat || { echo "npx projen build changed tracked files: run it locally and commit the result"; exit 1; }',
              displayName: 'Generated files did not drift',
            },
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
          ],
        }],
      },
      {
        stage: 'Integration',
        dependsOn: 'Build',
        condition: "and(succeeded(), ne(variables['Build.Reason'], 'PullRequest'), or(eq(variables['Build.SourceBranch'], 'refs/heads/main'), eq(variables['Build.Reason'], 'Schedule'), eq('${{ parameters.runIntegration }}', 'true')))",
        lockBehavior: 'sequential',
        jobs: [{
          deployment: 'Deploy',
          displayName: 'Deploy, assert and destroy every integ scenario',
          environment: INTEG_ENVIRONMENT,
          timeoutInMinutes: '240',
          variables: [{ name: 'INTEG_STACK_SUFFIX', value: STACK_SUFFIX }],
          strategy: {
            runOnce: {
              deploy: {
                steps: [
                  { checkout: 'self' },
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
                      inlineScript: `npx integ-runner ${integArgs}`,
                    },
                  },
                  {
                    task: 'AWSShellScript@1',
                    displayName: 'Delete this run\'s stacks (after a failure or cancel too)',
                    condition: 'always()',
                    inputs: {
                      awsCredentials: '$(AWS_SERVICE_CONNECTION)',
                      regionName: '$(AWS_REGION)',
                      scriptType: 'inline',
                      inlineScript: [
                        'set -uo pipefail',
                        'stacks=$(aws cloudformation list-stacks --stack-status-filter CREATE_IN_PROGRESS CREATE_COMPLETE CREATE_FAILED ROLLBACK_COMPLETE ROLLBACK_FAILED UPDATE_COMPLETE UPDATE_ROLLBACK_COMPLETE UPDATE_ROLLBACK_FAILED DELETE_FAILED '
                          + '--query "StackSummaries[?ends_with(StackName, \'$(INTEG_STACK_SUFFIX)\')].StackName" --output text)',
                        // Dependents first: the assertion and service stacks were created last.
                        'for s in $(echo "$stacks" | tr "\\t" "\\n" | tac); do echo "deleting $s"; aws cloudformation delete-stack --stack-name "$s"; aws cloudformation wait stack-delete-complete --stack-name "$s" || echo "$s did not delete cleanly: check it"; done',
                      ].join('\n'),
                    },
                  },
                ],
              },
            },
          },
        }],
      },
      {
        stage: 'Release',
        dependsOn: 'Integration',
        condition: "and(succeeded(), eq(variables['Build.SourceBranch'], 'refs/heads/main'), ne(variables['Build.Reason'], 'PullRequest'))",
        // NPM_TOKEN and PYPI_TOKEN, as secret variables: only this stage receives them.
        variables: [{ group: 'cdk-litellm-release' }],
        jobs: [{
          job: 'Publish',
          timeoutInMinutes: '90',
          steps: [
            { checkout: 'self', fetchDepth: '0', persistCredentials: 'true' },
            ...setup,
            { script: 'npx projen release', displayName: 'Bump, changelog, build and package' },
            {
              script: 'npx publib-npm dist/js',
              displayName: 'Publish to npm (skips a version already there)',
              env: { NPM_TOKEN: '$(NPM_TOKEN)' },
            },
            {
              script: 'npx publib-pypi dist/python',
              displayName: 'Publish to PyPI (skips a version already there)',
              env: { TWINE_USERNAME: '__token__', TWINE_PASSWORD: '$(PYPI_TOKEN)' },
            },
            {
              script: [
                'set -euo pipefail',
                'tag=$(cat dist/releasetag.txt)',
                'if git ls-remote --exit-code --tags origin "refs/tags/$tag" >/dev/null; then echo "$tag exists"; exit 0; fi',
                'git tag -a "$tag" -F dist/changelog.md',
                'git push origin "refs/tags/$tag"',
              ].join('\n'),
              displayName: 'Tag the release',
            },
          ],
        }],
      },
    ],
  };
}
