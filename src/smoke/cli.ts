#!/usr/bin/env node
// cdk-litellm-smoke: the smoke test of a deployed LiteLLM proxy, for pipelines and people.
// Reads the master key from Secrets Manager through the AWS CLI (no SDK dependency) or
// from an environment variable, and never prints it.
import { execFileSync } from 'child_process';
import { SmokeResult, runSmokeTest } from './smoke';

export const USAGE = `usage: cdk-litellm-smoke --url URL --model NAME [--key-secret-arn ARN | --key-env VAR] [--no-database] [--timeout-seconds N]

  --url URL              base URL of the proxy (the stack output <id>Url, e.g. LiteLlmUrl)
  --model NAME           a model the proxy is configured with
  --key-secret-arn ARN   read the master key from this secret with the AWS CLI
                         (the stack output <id>MasterKeySecretArn)
  --key-env VAR          read the master key from this environment variable
                         (default: LITELLM_MASTER_KEY)
  --no-database          do not require /health/readiness to report a connected database
  --timeout-seconds N    time allowed for each request (default: 60)

Exit status: 0 when every check passes, 1 when one fails, 2 on a usage error.`;

const DEFAULT_KEY_ENV = 'LITELLM_MASTER_KEY';

interface Args {
  readonly url: string;
  readonly model: string;
  readonly keySecretArn?: string;
  readonly keyEnv: string;
  readonly expectDatabase: boolean;
  readonly timeoutMs?: number;
}

class UsageError extends Error {}

function parseArgs(argv: string[]): Args | 'help' {
  const values: Record<string, string> = {};
  let expectDatabase = true;
  const valued = ['--url', '--model', '--key-secret-arn', '--key-env', '--timeout-seconds'];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return 'help';
    if (arg === '--no-database') {
      expectDatabase = false;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (!valued.includes(name)) throw new UsageError(`unknown argument: ${arg}`);
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined || value === '' || (eq < 0 && value.startsWith('--'))) throw new UsageError(`${name} needs a value`);
    if (name in values) throw new UsageError(`${name} given twice`);
    values[name] = value;
  }
  if (!values['--url']) throw new UsageError('--url is required');
  if (!values['--model']) throw new UsageError('--model is required');
  if (values['--key-secret-arn'] && values['--key-env']) throw new UsageError('give --key-secret-arn or --key-env, not both');
  try {
    const u = new URL(values['--url']);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
  } catch {
    throw new UsageError(`--url must be an http(s) URL, got ${JSON.stringify(values['--url'])}`);
  }
  let timeoutMs: number | undefined;
  if (values['--timeout-seconds'] !== undefined) {
    const seconds = Number(values['--timeout-seconds']);
    if (!Number.isFinite(seconds) || seconds <= 0) throw new UsageError(`--timeout-seconds must be a positive number, got ${values['--timeout-seconds']}`);
    timeoutMs = Math.round(seconds * 1000);
  }
  return {
    url: values['--url'],
    model: values['--model'],
    keySecretArn: values['--key-secret-arn'],
    keyEnv: values['--key-env'] ?? DEFAULT_KEY_ENV,
    expectDatabase,
    timeoutMs,
  };
}

/** Reads the master key; throws with a message that never holds it. */
function readMasterKey(args: Args): string {
  if (args.keySecretArn) {
    const awsArgs = ['secretsmanager', 'get-secret-value', '--secret-id', args.keySecretArn, '--query', 'SecretString', '--output', 'text'];
    // A secret is read in its own region: take it from the ARN when there is one.
    const region = /^arn:[^:]+:secretsmanager:([^:]+):/.exec(args.keySecretArn)?.[1];
    if (region) awsArgs.push('--region', region);
    let out: string;
    try {
      out = execFileSync('aws', awsArgs, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000, env: process.env });
    } catch (e) {
      const err = e as { code?: string; stderr?: string; message?: string };
      if (err.code === 'ENOENT') throw new Error('cannot read the master key: the AWS CLI (aws) is not on PATH');
      const why = (err.stderr || err.message || '').trim().split('\n').slice(-3).join(' ');
      throw new Error(`cannot read the master key from ${args.keySecretArn} with the AWS CLI: ${why}`);
    }
    const key = out.replace(/\r?\n$/, '');
    if (!key || key === 'None') throw new Error(`the secret ${args.keySecretArn} has no SecretString`);
    return key;
  }
  const key = process.env[args.keyEnv];
  if (!key) throw new Error(`cannot read the master key: the environment variable ${args.keyEnv} is unset or empty`);
  return key;
}

/** Runs the CLI with its arguments (without `node` and the script); resolves to the exit status. */
export async function main(argv: string[]): Promise<number> {
  let args: Args;
  try {
    const parsed = parseArgs(argv);
    if (parsed === 'help') {
      console.log(USAGE);
      return 0;
    }
    args = parsed;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    console.error(`cdk-litellm-smoke: ${e.message}\n\n${USAGE}`);
    return 2;
  }

  let masterKey: string;
  try {
    masterKey = readMasterKey(args);
  } catch (e) {
    console.error(`✗ ${(e as Error).message}`);
    return 1;
  }

  console.log(`LiteLLM smoke test of ${args.url} with model "${args.model}"`);
  let result: SmokeResult;
  try {
    result = await runSmokeTest({
      url: args.url, masterKey, model: args.model, expectDatabase: args.expectDatabase, timeoutMs: args.timeoutMs,
    });
  } catch (e) {
    console.error(`✗ ${(e as Error).message}`);
    return 1;
  }
  for (const check of result.checks) console.log(`${check.ok ? '✓' : '✗'} ${check.name}: ${check.detail}`);
  const failed = result.checks.filter(c => !c.ok).length;
  console.log(failed ? `${failed} of ${result.checks.length} checks failed` : `all ${result.checks.length} checks passed`);
  return result.ok ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    code => { process.exitCode = code; },
    e => {
      console.error(`cdk-litellm-smoke: ${e instanceof Error ? e.message : String(e)}`);
      process.exitCode = 1;
    },
  );
}
