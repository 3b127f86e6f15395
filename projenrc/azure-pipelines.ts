/**
 * The Azure Pipelines definition of the library:
 * - Build, on every push and pull request: `npx projen build` (the same task list as
 *   `.ci/run` and the README), conventional commits, and no generated file may drift.
 * - Integration, on `main` only (every push and the nightly schedule): a deployment job on an
 *   environment (approvals, an exclusive lock and a branch check are the environment's checks)
 *   deploys the integ scenarios under stack names unique to the run and always deletes them.
 * - Release, on `main` after Integration: the version from the last `v*` tag, the tag pushed
 *   first, then build and publish with publib (which skips versions already published, so a
 *   rerun completes a half-failed release). Only this stage sees the release tokens.
 *
 * A branch's pipeline runs that branch's YAML (docs/pipelines/security/repos.md, "User
 * branches", MicrosoftDocs/azure-devops-docs), so the conditions here protect nothing on their
 * own: the checks on the resources do (CONTRIBUTING.md, "Pipeline security"). The conditions
 * keep runs from queueing on checks that would refuse them.
 */
export const NODE_VERSION = '22.x';
/** The Azure DevOps environment whose checks (approval, exclusive lock, branch control) guard real deploys. */
export const INTEG_ENVIRONMENT = 'cdk-litellm-aws';
/** Appended to every integ stack name in a pipeline run (integ/naming.ts reads it). */
export const STACK_SUFFIX = '-run$(Build.BuildId)';
/** The AWS service connection of the Integration stage; its checks: CONTRIBUTING.md. */
export const AWS_SERVICE_CONNECTION = 'cdk-litellm-integ';
/**
 * Lifetime of the credentials each AWSShellScript step gets. The AWS Toolkit assumes the
 * connection's role once per step, for `aws.rolecredential.maxduration` seconds (default and
 * minimum 900, maximum 43200), and puts the keys in the step's environment: nothing refreshes
 * them (aws/aws-toolkit-azure-devops src/lib/awsConnectionParameters.ts getSessionDuration,
 * src/tasks/AWSShellScript/TaskOperations.ts configureAWSContext). The role's
 * MaxSessionDuration must be at least this.
 */
export const CREDENTIAL_SECONDS = 10800;
/** Integ stacks of earlier runs older than this are leftovers (no run lasts that long). */
export const STALE_HOURS = 6;
/** The identity of the release tag (a hosted agent has no git identity). */
export const RELEASE_IDENTITY = { name: 'cdk-litellm release', email: 'maintainers@cdk-litellm.dev' };

const CONVENTIONAL = '^(feat|fix|docs|style|refactor|perf|test|build|ci|chore|revert)(\\([a-z0-9-]+\\))?!?: .+';

/** Minutes the integ-runner step may take (one run: 1.5 to 2 hours). */
const INTEG_STEP_MINUTES = 145;
/** Minutes the cleanup step may take: RDS deletion alone takes 10 to 20. */
const CLEANUP_STEP_MINUTES = 85;

/**
 * Pull requests only. `System.PullRequest.TargetBranch` is `refs/heads/main` on Azure Repos,
 * `main` on GitHub; `System.PullRequest.targetBranchName` is `main` on both (docs/pipelines/build/
 * variables.md). Git errors fail the step instead of being read as "no bad commit".
 */
export const CONVENTIONAL_COMMITS_SCRIPT = [
  'set -euo pipefail',
  `pattern='${CONVENTIONAL}'`,
  'target="$(System.PullRequest.targetBranchName)"',
  'git rev-parse --verify --quiet "refs/remotes/origin/$target^{commit}" >/dev/null || { echo "##vso[task.logissue type=error]origin/$target was not fetched: cannot check the commits of this pull request"; exit 1; }',
  'subjects=$(git log --format=%s --no-merges "refs/remotes/origin/$target..HEAD")',
  'bad=$(printf \'%s\\n\' "$subjects" | grep -vE "$pattern" || true)',
  'if [ -n "$bad" ]; then echo "Commit subjects must follow Conventional Commits (see CONTRIBUTING.md):"; echo "$bad"; exit 1; fi',
  'echo "$(printf \'%s\\n\' "$subjects" | grep -c . || true) commit subject(s) checked against origin/$target"',
].join('\n');

/**
 * Tags the commit being released before anything is published: a tag that fails leaves
 * nothing published, and a rerun of the same commit finds the tag on HEAD, so projen's bump
 * computes the same version again and publib skips what is already out. The tag of an earlier
 * attempt is accepted only on this very commit.
 */
export const TAG_SCRIPT = [
  'set -euo pipefail',
  'tag=$(cat dist/releasetag.txt)',
  'head=$(git rev-parse HEAD)',
  'remote=$(git ls-remote --tags origin "refs/tags/$tag^{}" | cut -f1)',
  'if [ -n "$remote" ]; then',
  '  if [ "$remote" != "$head" ]; then echo "##vso[task.logissue type=error]$tag already tags $remote, not $head"; exit 1; fi',
  '  echo "$tag already tags $head (an earlier attempt of this release)"',
  'else',
  `  git -c user.name="${RELEASE_IDENTITY.name}" -c user.email="${RELEASE_IDENTITY.email}" tag -a "$tag" -F dist/changelog.md "$head"`,
  '  git push origin "refs/tags/$tag"',
  'fi',
  'echo "##vso[task.setvariable variable=RELEASE_TAG]$tag"',
].join('\n');

/**
 * Deletes this run's integ stacks (`$(INTEG_STACK_SUFFIX)`) and leftovers of earlier runs (a
 * suffixed integ stack older than STALE_HOURS), whatever their status, in rounds: every stack
 * that is not being deleted gets a delete request, the round waits until none is in progress,
 * then starts again. A stack whose export another stack imports fails to delete until that one
 * is gone, and a DELETE_FAILED is retried, so no order is assumed (ListStacks documents none).
 * Then deletes what a failed run retained: resources that still carry the
 * `aws:cloudformation:stack-name` tag of a deleted stack. Fails when anything is left.
 */
export function cleanupScript(): string {
  return [
    'set -uo pipefail',
    "suffix='$(INTEG_STACK_SUFFIX)'",
    `cutoff=$(( $(date +%s) - ${STALE_HOURS} * 3600 ))`,
    `deadline=$(( SECONDS + ${CLEANUP_STEP_MINUTES - 5} * 60 ))`,
    'deleted=()',
    '',
    'targets() {  # this run\'s stacks, and integ stacks of earlier runs older than the cutoff',
    '  aws cloudformation list-stacks --query "StackSummaries[?StackStatus!=\'DELETE_COMPLETE\'].[StackName,StackStatus,CreationTime]" --output text |',
    '  while IFS=$\'\\t\' read -r name status created; do',
    '    [ -n "$name" ] && [ "$name" != None ] || continue',
    '    if [[ "$name" == *"$suffix" ]]; then echo "$name $status"; continue; fi',
    '    if [[ "$name" =~ ^LiteLlm[A-Za-z]*-run[0-9]+$ ]] && [ "$(date -d "$created" +%s)" -lt "$cutoff" ]; then echo "$name $status"; fi',
    '  done',
    '}',
    '',
    'for round in 1 2 3 4 5 6; do',
    '  mapfile -t left < <(targets)',
    '  [ ${#left[@]} -gt 0 ] || break',
    '  echo "round $round: ${left[*]}"',
    '  for entry in "${left[@]}"; do',
    '    read -r name status <<< "$entry"',
    '    case "$status" in',
    '      DELETE_IN_PROGRESS) ;;',
    '      UPDATE_IN_PROGRESS) aws cloudformation cancel-update-stack --stack-name "$name" || true ;;',
    '      *) echo "deleting $name ($status)"; aws cloudformation delete-stack --stack-name "$name" || true; deleted+=("$name") ;;',
    '    esac',
    '  done',
    '  while [ "$SECONDS" -lt "$deadline" ]; do',
    '    busy=$(targets | grep -c "_IN_PROGRESS" || true)',
    '    [ "$busy" -eq 0 ] && break',
    '    sleep "${CLEANUP_POLL_SECONDS:-30}"',
    '  done',
    'done',
    '',
    'mapfile -t left < <(targets)',
    '# What a deleted stack kept (a Retain policy, a failed rollback) still carries its name as a tag.',
    'for name in $(printf "%s\\n" "${deleted[@]}" | sort -u); do',
    '  printf "%s\\n" "${left[@]}" | grep -q "^$name " && continue',
    '  for arn in $(aws resourcegroupstaggingapi get-resources --tag-filters "Key=aws:cloudformation:stack-name,Values=$name" --query "ResourceTagMappingList[].ResourceARN" --output text); do',
    '    [ "$arn" = None ] && continue',
    '    echo "retained by $name: $arn"',
    '    case "$arn" in',
    '      arn:*:kms:*) aws kms schedule-key-deletion --key-id "$arn" --pending-window-in-days 7 || true ;;',
    '      arn:*:secretsmanager:*) aws secretsmanager delete-secret --secret-id "$arn" --force-delete-without-recovery || true ;;',
    '      arn:*:logs:*:log-group:*) group=${arn#*:log-group:}; aws logs delete-log-group --log-group-name "${group%:\\*}" || true ;;',
    '      arn:*:s3:::*) aws s3 rb "s3://${arn##*:::}" --force || true ;;',
    '      arn:*:rds:*:snapshot:*) aws rds delete-db-snapshot --db-snapshot-identifier "${arn##*:snapshot:}" || true ;;',
    '      arn:*:elasticache:*:snapshot:*) aws elasticache delete-snapshot --snapshot-name "${arn##*:snapshot:}" || true ;;',
    '      *) echo "##vso[task.logissue type=warning]$arn was retained: delete it by hand" ;;',
    '    esac',
    '  done',
    'done',
    '',
    'if [ ${#left[@]} -gt 0 ]; then',
    `  echo "##vso[task.logissue type=error]Not deleted: \${left[*]}. The next run retries them once they are ${STALE_HOURS} hours old."`,
    '  exit 1',
    'fi',
    'echo "No integ stack of this run or of an earlier one is left."',
  ].join('\n');
}

export function azurePipeline(): Record<string, unknown> {
  const setup = [
    { task: 'NodeTool@0', displayName: `Node.js ${NODE_VERSION}`, inputs: { versionSpec: NODE_VERSION } },
    { task: 'UsePythonVersion@0', displayName: 'Python 3.11', inputs: { versionSpec: '3.11' } },
    // The collector test builds an OpenTelemetry Collector (test/collector/build.sh: Go >= 1.22),
    // cached per manifest so only a changed manifest rebuilds it.
    { task: 'GoTool@0', displayName: 'Go 1.23', inputs: { version: '1.23.12' } },
    {
      task: 'Cache@2',
      displayName: 'Collector cache',
      inputs: { key: '"otelcol" | "$(Agent.OS)" | test/collector/manifest.yaml', path: '$(HOME)/.cache/cdk-litellm' },
    },
    { script: 'npm ci', displayName: 'Install dependencies' },
  ];
  // --no-update-workflow: integ-runner would first deploy the committed snapshots under their
  // unsuffixed stack names (integ-test-runner.js deploy(): `updateWorkflowEnabled &&
  // this.hasSnapshot()`); their asset.* folders are not committed, and its destroy only
  // deletes the suffixed stacks. The scenarios also set stackUpdateWorkflow: false.
  const integArgs = '--directory integ --language typescript --parallel-regions $(AWS_REGION) --force --update-on-failed --no-update-workflow --app "npx ts-node -T -P tsconfig.dev.json --prefer-ts-exts {filePath}"';
  // A service connection named by a runtime variable escapes its checks ("Service connections
  // cannot be specified by variable", docs/pipelines/process/approvals.md): compile time only.
  const awsCredentials = '${{ variables.AWS_SERVICE_CONNECTION }}';

  return {
    trigger: { branches: { include: ['main'] } },
    pr: { branches: { include: ['main'] } },
    schedules: [{ cron: '0 3 * * 1-5', displayName: 'Nightly integration', branches: { include: ['main'] }, always: 'true' }],
    variables: [
      { name: 'AWS_SERVICE_CONNECTION', value: AWS_SERVICE_CONNECTION },
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
              script: CONVENTIONAL_COMMITS_SCRIPT,
              displayName: 'Conventional commits',
              condition: "and(succeeded(), eq(variables['Build.Reason'], 'PullRequest'))",
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
              // @1 is deprecated in favour of @2 (devblogs.microsoft.com/devops/new-pccr-task),
              // which reads the format from the file and has no codeCoverageTool input.
              task: 'PublishCodeCoverageResults@2',
              displayName: 'Publish coverage',
              condition: 'succeededOrFailed()',
              inputs: { summaryFileLocation: 'coverage/cobertura-coverage.xml' },
            },
          ],
        }],
      },
      {
        stage: 'Integration',
        dependsOn: 'Build',
        // main only: a branch run would be stopped by the branch check on the connection anyway.
        condition: "and(succeeded(), ne(variables['Build.Reason'], 'PullRequest'), eq(variables['Build.SourceBranch'], 'refs/heads/main'))",
        lockBehavior: 'sequential',
        jobs: [{
          // "The word deploy is a keyword and is unsupported as the deployment name"
          // (docs: yaml-schema/jobs-deployment).
          deployment: 'IntegScenarios',
          displayName: 'Deploy, assert and destroy every integ scenario',
          environment: INTEG_ENVIRONMENT,
          timeoutInMinutes: '240',
          // The cleanup runs after a cancel or a timeout within this many minutes (default 5).
          cancelTimeoutInMinutes: String(CLEANUP_STEP_MINUTES + 5),
          variables: [
            { name: 'INTEG_STACK_SUFFIX', value: STACK_SUFFIX },
            { name: 'aws.rolecredential.maxduration', value: String(CREDENTIAL_SECONDS) },
          ],
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
                    displayName: 'integ-runner --force --no-update-workflow',
                    timeoutInMinutes: INTEG_STEP_MINUTES,
                    inputs: {
                      awsCredentials,
                      regionName: '$(AWS_REGION)',
                      scriptType: 'inline',
                      inlineScript: `npx integ-runner ${integArgs}`,
                    },
                  },
                  {
                    task: 'AWSShellScript@1',
                    displayName: 'Delete this run\'s stacks and earlier leftovers (after a failure, a cancel or a timeout too)',
                    condition: 'always()',
                    timeoutInMinutes: CLEANUP_STEP_MINUTES,
                    inputs: {
                      awsCredentials,
                      regionName: '$(AWS_REGION)',
                      scriptType: 'inline',
                      inlineScript: cleanupScript(),
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
            // projen's bump reads the last version from `git tag --list v*` (projen
            // lib/release/bump-version.js determineLatestTag); pipelines created since
            // sprint 209 (September 2022) do not sync tags unless fetchTags is set
            // (yaml-schema steps-checkout.md, "Sync tags").
            { checkout: 'self', fetchDepth: '0', fetchTags: 'true', persistCredentials: 'true' },
            ...setup,
            { script: 'npx projen bump', displayName: 'Version from the last v* tag and the commits since' },
            { script: TAG_SCRIPT, displayName: 'Tag the release (before publishing anything)' },
            {
              script: 'set -euo pipefail\nnpx projen release\ntest "$(cat dist/releasetag.txt)" = "$(RELEASE_TAG)" || { echo "##vso[task.logissue type=error]release built $(cat dist/releasetag.txt), tagged $(RELEASE_TAG)"; exit 1; }',
              displayName: 'Bump (the same version: the tag is on HEAD), changelog, build and package',
            },
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
          ],
        }],
      },
    ],
  };
}
