// `npx projen local` as a user runs it: it starts the real proxy from the example's task
// definition, prints a URL and a curl with a local master key that work, and Ctrl-C (SIGINT
// to the terminal's process group) or a SIGTERM stops the proxy.
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { LiteLlmModel } from '../src';
import { VENV, freePort } from './boot/proxy';

const ROOT = path.join(__dirname, '..');

beforeAll(() => {
  if (!fs.existsSync(`${VENV}/bin/litellm`)) throw new Error(`${VENV} has no LiteLLM proxy: run \`npx projen boot:setup\``);
});

describe.each(['SIGINT', 'SIGTERM'] as const)('npx projen local, stopped with %s', (signal) => {
  let child: ChildProcess;
  let output = '';
  let port: number;

  async function until(what: string, predicate: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`no ${what} after ${timeoutMs} ms:\n${output}`);
      await new Promise(r => setTimeout(r, 250));
    }
  }

  beforeAll(async () => {
    port = await freePort();
    // Its own process group, as a terminal runs a foreground command.
    child = spawn('npx', ['projen', 'local'], { cwd: ROOT, env: { ...process.env, PORT: String(port) }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
    await until('"Ctrl-C stops it."', () => output.includes('Ctrl-C stops it.'), 240_000);
  }, 300_000);

  afterAll(() => {
    try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already stopped */ }
  });

  test('prints the local URL and a curl whose key and model the proxy accepts', async () => {
    // GIVEN: the printed curl
    const curl = output.split('\n').find(l => l.startsWith('curl '))!;
    const [, url] = /^curl (\S+)/.exec(curl)!;
    const [, key] = /Authorization: Bearer (sk-[A-Za-z0-9]+)/.exec(curl)!;
    const body = /-d '(.+)'$/.exec(curl)![1];
    expect(url).toBe(`http://127.0.0.1:${port}/v1/chat/completions`);
    expect(output).toContain(`LiteLLM proxy: http://127.0.0.1:${port}`);

    // WHEN
    const res = await fetch(url, { method: 'POST', headers: { 'Authorization': `Bearer ${key}`, 'Content-Type': 'application/json' }, body });
    const noKey = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });

    // THEN
    expect(res.status).toBe(200);
    const answer = await res.json() as { choices: { message: { content: string } }[] };
    expect(answer.choices[0].message.content).toBe(LiteLlmModel.DEFAULT_MOCK_RESPONSE);
    expect(noKey.status).toBe(401);
  });

  test(`${signal} stops the proxy and frees the port`, async () => {
    // WHEN
    process.kill(-child.pid!, signal);

    // THEN
    await until('"stopped"', () => output.includes('stopped'), 60_000);
    expect(output).toContain(`${signal}: stopping the proxy`);
    await expect(fetch(`http://127.0.0.1:${port}/health/liveliness`, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
  }, 90_000);
});
