// `npx projen local`: the real LiteLLM proxy (pinned in .venv-litellm, `npx projen
// boot:setup`) on 127.0.0.1, started from the task definition of `npx projen example`
// the way the boot test starts it: the config init container, the proxy's command and
// environment, fresh local values for its secrets, no database. Ctrl-C stops it.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EXAMPLE_MOCK_MODEL, exampleApp } from './example-app';
import { LiteLlmImage } from '../src';
import { BootedProxy, VENV, containersOf } from '../test/boot/proxy';

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(VENV, 'bin', 'litellm'))) {
    throw new Error(`${VENV} has no LiteLLM proxy: run \`npx projen boot:setup\` first`);
  }
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'litellm-local-'));
  const { app, stack } = exampleApp(outdir);
  const containers = containersOf(app.synth().getStackByName(stack.stackName).template);
  fs.rmSync(outdir, { recursive: true, force: true });

  const proxy = await BootedProxy.start(containers, { port: Number(process.env.PORT ?? 4000) });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the proxy`);
    await proxy.stop();
    console.log('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  console.log(`Starting LiteLLM ${LiteLlmImage.DEFAULT_VERSION} from the example's task definition…`);
  await proxy.waitUntilLive();
  const key = proxy.env.LITELLM_MASTER_KEY;
  console.log(`LiteLLM proxy: ${proxy.baseUrl} (no database; its models: ${modelNames(proxy).join(', ')})`);
  console.log(`Local master key: ${key}`);
  console.log('Try it:');
  console.log(`curl ${proxy.baseUrl}/v1/chat/completions -H "Authorization: Bearer ${key}" -H 'Content-Type: application/json' -d '{"model": "${EXAMPLE_MOCK_MODEL}", "messages": [{"role": "user", "content": "Hello"}]}'`);
  console.log('Ctrl-C stops it.');
}

function modelNames(proxy: BootedProxy): string[] {
  return [...proxy.configText().matchAll(/model_name: (\S+)/g)].map(m => m[1]);
}

main().catch(err => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
