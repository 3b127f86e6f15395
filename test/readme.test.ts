// The README is part of the contract: its acknowledgement table lists every finding
// the library acknowledges, with the same reason, and it opens with the two commands.
import * as fs from 'fs';
import * as path from 'path';
import { acknowledgementsOf } from './support/acknowledgements';
import { SCENARIOS } from './support/scenarios';

const README = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');

test('every acknowledgement made in src is listed in the README with its reason', () => {
  const missing = new Set<string>();
  for (const make of Object.values(SCENARIOS)) {
    for (const { rule, reason } of acknowledgementsOf(make().app)) {
      // The Bedrock wildcard is acknowledged per model id, the request logs' per bucket, the
      // migration step's per function, cluster and log group; the README shows the pattern.
      const listed = rule.replace(/(foundation-model\/)[^\]]+/, '$1<model id>').replace(/<LiteLlmServiceRequestLogs[0-9A-F]{8}\.Arn>/, '<request logs bucket ARN>')
        .replace(/<[A-Za-z0-9]*Migration(StartFunction|WaitFunction|Providerframework(isComplete|onTimeout))[0-9A-F]{8}\.Arn>:\*/, '<function ARN>:*')
        .replace(/ecs:(?:<AWS::Region>|[a-z0-9-]+):(?:<AWS::AccountId>|\d+):task\/<[A-Za-z0-9]+Cluster[0-9A-F]{8}>\/\*/, 'ecs:<region>:<account>:task/<cluster>/*')
        .replace(/logs:(?:<AWS::Region>|[a-z0-9-]+):(?:<AWS::AccountId>|\d+):log-group:<[A-Za-z0-9]*Logs[0-9A-F]{8}>:log-stream:migrate\/\*/, 'logs:<region>:<account>:log-group:<log group name>:log-stream:migrate/*')
        .replace(/ecs:(?:<AWS::Region>|[a-z0-9-]+):(?:<AWS::AccountId>|\d+):task-definition\/[A-Za-z0-9]+:\*/, 'ecs:<region>:<account>:task-definition/<migration task family>:*')
        .replace(/logs:(?:<AWS::Region>|[a-z0-9-]+):(?:<AWS::AccountId>|\d+):log-group:\/aws\/rds\/instance\/<[A-Za-z0-9]*DatabaseInstance[0-9A-F]{8}>\/(postgresql|upgrade):\*/, 'logs:<region>:<account>:log-group:/aws/rds/instance/<instance>/<log>:*');
      if (!README.includes(`\`${listed}\``) || !README.includes(reason)) missing.add(`${listed}: ${reason}`);
    }
  }
  expect([...missing]).toEqual([]);
});

test('the README speaks to users first and keeps the two commands under "Trying it and developing it"', () => {
  const headings = [...README.matchAll(/^## (.+)$/gm)].map(m => m[1]);
  expect(headings.slice(0, 4)).toEqual(['Install', 'Minimal example', 'What it deploys', 'Profiles']);
  const section = README.slice(README.indexOf('## Trying it and developing it'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)![1];
  expect(block).toContain('npm ci && npx projen example');
  expect(block).toContain('npx projen build');
  // .ci/run runs exactly that test command.
  expect(fs.readFileSync(path.join(__dirname, '..', '.ci', 'run'), 'utf8')).toContain('\nnpx projen build\n');
  // The first screen, above Install, shows what a newcomer can run without an AWS account.
  const firstScreen = README.slice(0, README.indexOf('## Install'));
  expect(firstScreen).toContain('npx projen example');
  expect(firstScreen).toContain('npx projen local');
  // Construct Hub translates the TypeScript example; a second, hand-written Python one would drift.
  expect(README).not.toContain('```python');
});
