// `npx projen local` as a user runs it: it starts the real proxy from the example's task
// definition, prints a URL and a curl with a local master key that work, what each model can
// do here, the admin UI's login and where the log goes; Ctrl-C (SIGINT to the terminal's
// process group), a SIGTERM, or `kill -INT` on the npx process alone stops everything.
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { LiteLlmModel } from '../src';
import { VENV, freePort } from './boot/proxy';

const ROOT = path.join(__dirname, '..');

beforeAll(() => {
  if (!fs.existsSync(`${VENV}/bin/litellm`)) throw new Error(`${VENV} has no LiteLLM proxy: run \`npx projen boot:setup\``);
});

const STOPS = [
  ['SIGINT to its process group (Ctrl-C)', (pid: number) => process.kill(-pid, 'SIGINT'), 'SIGINT: stopping the proxy'],
  ['SIGTERM to its process group', (pid: number) => process.kill(-pid, 'SIGTERM'), 'SIGTERM: stopping the proxy'],
  ['kill -INT on the npx process alone', (pid: number) => process.kill(pid, 'SIGINT'), 'the process that started it exited: stopping the proxy'],
] as const;

describe.each(STOPS)('npx projen local, stopped by %s', (how, stop, says) => {
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

  test('says which model cannot answer here and why, the admin UI\'s login, and where the log is', async () => {
    // GIVEN
    const key = /Local master key: (sk-\S+)/.exec(output)![1];
    const [, user, password] = /Admin UI: http:\/\/127\.0\.0\.1:\d+\/ui, user (\S+), password (\S+) /.exec(output)!;
    const log = /The proxy's log: (\S+)/.exec(output)![1];

    // WHEN: the Bedrock model, which the output says answers 401 here
    const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'Authorization': `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ model: 'claude-sonnet', messages: [{ role: 'user', content: 'Hello' }] }),
    });
    const login = (pw: string) => fetch(`http://127.0.0.1:${port}/login`, { method: 'POST', body: new URLSearchParams({ username: user, password: pw }), redirect: 'manual' });
    const right = await login(password);
    const wrong = await login('not-the-password');
    const ui = await fetch(`http://127.0.0.1:${port}/ui/`);

    // THEN
    expect(output).toContain('model claude-sonnet: cannot answer here: the local proxy has no AWS credentials (the task role gives them on AWS), so it answers 401');
    expect(output).toContain('model mock-gpt: answers here');
    expect(res.status).toBe(401);
    // The printed login is the proxy's: accepted, then refused for want of a database, as printed.
    expect(ui.status).toBe(200);
    expect(wrong.status).toBe(401);
    expect(right.status).toBe(400);
    expect(JSON.stringify(await right.json())).toContain('Not connected to DB!');
    expect(output).toContain('signing in needs the database: here LiteLLM answers "Not connected to DB!"');
    expect(fs.readFileSync(log, 'utf8')).toContain('/v1/chat/completions');
  });

  test(`${how} stops the proxy and frees the port`, async () => {
    // WHEN
    stop(child.pid!);

    // THEN
    await until('"stopped"', () => output.includes('stopped'), 60_000);
    expect(output).toContain(says);
    await expect(fetch(`http://127.0.0.1:${port}/health/liveliness`, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
    expect(spawnSync('pgrep', ['-f', `scripts/local.ts|--port ${port} `]).stdout.toString()).toBe('');
  }, 90_000);
});
