// `npx projen example`: synthesizes the example into cdk.out and prints where the template is,
// the modeled monthly cost of what it synthesized and the outputs `cdk deploy` prints.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { dollars, report, stacksAt } from '../src/cost/report';

const ROOT = path.join(__dirname, '..');

test('prints the template, its modeled monthly cost and deploy time, and the stack outputs', () => {
  // GIVEN: a directory of its own, so cdk.out lands there
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'example-'));
  try {
    // WHEN
    const run = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'ts-node'),
      ['-T', '-P', path.join(ROOT, 'tsconfig.dev.json'), '--prefer-ts-exts', path.join(ROOT, 'scripts', 'example.ts')],
      { cwd, encoding: 'utf8', timeout: 120_000 });

    // THEN
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const modeled = report(stacksAt(path.join(cwd, 'cdk.out')));
    expect(run.stdout).toMatch(/^LiteLlmExample: \d+ resources -> cdk\.out\/LiteLlmExample\.template\.json$/m);
    expect(run.stdout).toContain(`Modeled cost: ${dollars(modeled.total)} a month (NAT gateways $32.85;`);
    expect(run.stdout).toContain(`A first deploy takes about ${Math.round(modeled.deploy.seconds / 60)} minutes`);
    // The stable keys the README's `out` function reads, each with its description.
    expect(run.stdout).toMatch(/LiteLlmExample\.LiteLlmUrl = http:\/\/<LiteLlmLoadBalancer\w+\.DNSName>\n\s+Base URL of the LiteLLM proxy/);
    expect(run.stdout).toMatch(/LiteLlmExample\.LiteLlmMasterKeySecretArn = <LiteLlmSecurityMasterKey\w+>\n\s+Secret holding the LiteLLM master key/);
    const keys = [...run.stdout.matchAll(/^ {2}LiteLlmExample\.(\w+) = /gm)].map(m => m[1]);
    expect(keys).toEqual(['LiteLlmUrl', 'LiteLlmAdminUi', 'LiteLlmMasterKeySecretArn', 'LiteLlmUiCredentialsSecretArn', 'LiteLlmClusterName',
      'LiteLlmServiceName', 'LiteLlmLogGroupName', 'LiteLlmDatabaseInstanceId', 'LiteLlmDashboardName', 'LiteLlmAlarmTopicArn']);
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    for (const key of keys) expect(readme).toContain(`\`${key}\``);
  } finally {
    fs.rmSync(cwd, { recursive: true, force: true });
  }
});
