// `npx projen local`: the real LiteLLM proxy (pinned in .venv-litellm, `npx projen
// boot:setup`) on 127.0.0.1, started from the task definition of `npx projen example`
// the way the boot test starts it: the config init container, the proxy's command and
// environment, fresh local values for its secrets, no database. Ctrl-C stops it, and so
// does stopping the `npx` that started it (`kill -INT <pid>`).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { EXAMPLE_MOCK_MODEL, exampleApp } from './example-app';
import { LiteLlmImage } from '../src';
import { BootedProxy, VENV, containersOf } from '../test/boot/proxy';

/** Where the proxy's output goes (and stays after it stops). */
export const LOG_FILE = path.join(os.tmpdir(), 'cdk-litellm-local.log');

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(VENV, 'bin', 'litellm'))) {
    throw new Error(`${VENV} has no LiteLLM proxy: run \`npx projen boot:setup\` first`);
  }
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'litellm-local-'));
  const { app, stack } = exampleApp(outdir);
  const containers = containersOf(app.synth().getStackByName(stack.stackName).template);
  fs.rmSync(outdir, { recursive: true, force: true });

  fs.writeFileSync(LOG_FILE, '');
  const proxy = await BootedProxy.start(containers, { port: Number(process.env.PORT ?? 4000), logFile: LOG_FILE });
  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${why}: stopping the proxy`);
    await proxy.stop();
    console.log('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGHUP', () => void stop('SIGHUP'));
  // `kill -INT` on the npx that started this reaches npx alone: its children die or are
  // orphaned without passing it on. Whoever started us is gone when our parent changes.
  const parent = process.ppid;
  setInterval(() => { if (process.ppid !== parent) void stop('the process that started it exited'); }, 500).unref();

  console.log(`Starting LiteLLM ${LiteLlmImage.DEFAULT_VERSION} from the example's task definition (its output: ${LOG_FILE})…`);
  await proxy.waitUntilLive();
  const key = proxy.env.LITELLM_MASTER_KEY;
  const models = modelsOf(proxy);
  console.log(`LiteLLM proxy: ${proxy.baseUrl} (no database: keys, teams and spend are not stored)`);
  for (const m of models) console.log(`  model ${m.name}: ${m.local}`);
  console.log(`Local master key: ${key}`);
  // LiteLLM signs the admin in by creating a session key in its database (proxy/auth/login_utils.py, _sign_in).
  console.log(`Admin UI: ${proxy.baseUrl}/ui, user ${proxy.env.UI_USERNAME}, password ${proxy.env.UI_PASSWORD} (signing in needs the database: here LiteLLM answers "Not connected to DB!"; on AWS it works)`);
  console.log(`The proxy's log: ${LOG_FILE} (tail -f it)`);
  console.log('Try it:');
  console.log(`curl ${proxy.baseUrl}/v1/chat/completions -H "Authorization: Bearer ${key}" -H 'Content-Type: application/json' -d '{"model": "${EXAMPLE_MOCK_MODEL}", "messages": [{"role": "user", "content": "Hello"}]}'`);
  console.log('Ctrl-C stops it.');
}

/** The config's models, each with whether it can answer on this machine. */
function modelsOf(proxy: BootedProxy): { name: string; local: string }[] {
  const config = parse(proxy.configText()) as { model_list?: { model_name: string; litellm_params: Record<string, unknown> }[] };
  return (config.model_list ?? []).map(({ model_name: name, litellm_params: params }) => {
    if (params.mock_response !== undefined) return { name, local: 'answers here (LiteLLM\'s mock_response)' };
    if (String(params.model).startsWith('bedrock/')) {
      return { name, local: 'cannot answer here: the local proxy has no AWS credentials (the task role gives them on AWS), so it answers 401' };
    }
    return { name, local: 'cannot answer here: its provider key is a local placeholder' };
  });
}

main().catch(err => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
