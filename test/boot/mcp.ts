// A local MCP server for the boot tests: test/boot/mcp-server.py (two tools, `add` and
// `whoami`) run by the venv's python, which has the `mcp` package LiteLLM installs, over
// streamable HTTP on 127.0.0.1. Loopback only, stopped by the test that started it.
import { ChildProcess, spawn } from 'child_process';
import * as path from 'path';
import { VENV, freePort } from './proxy';

const SCRIPT = path.join(__dirname, 'mcp-server.py');

export class LocalMcpServer {
  /**
   * Starts the server on a free loopback port and waits until it answers. With `bearerToken`
   * it answers 401 to every request without `Authorization: Bearer <bearerToken>`.
   */
  public static async start(options: { bearerToken?: string; timeoutMs?: number } = {}): Promise<LocalMcpServer> {
    const server = new LocalMcpServer(await freePort(), options.bearerToken);
    try {
      await server.waitUntilListening(options.timeoutMs ?? 30_000);
    } catch (e) {
      await server.stop();
      throw e;
    }
    return server;
  }

  /** Where the MCP endpoint is (`streamable_http_path` defaults to /mcp: mcp/server/mcpserver/server.py:1118). */
  public readonly url: string;
  private readonly child: ChildProcess;
  private output = '';
  private exitCode?: number | null;

  private constructor(public readonly port: number, private readonly bearerToken?: string) {
    this.url = `http://127.0.0.1:${port}/mcp`;
    this.child = spawn(path.join(VENV, 'bin', 'python3'), [SCRIPT, String(port), ...(bearerToken ? [bearerToken] : [])], {
      env: { PATH: `${path.join(VENV, 'bin')}:/usr/bin:/bin`, PYTHONUNBUFFERED: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (chunk: Buffer) => { this.output += chunk.toString(); };
    this.child.stdout!.on('data', collect);
    this.child.stderr!.on('data', collect);
    this.child.on('exit', code => { this.exitCode = code; });
  }

  /** Everything the server printed (it prints one line per request it refused for its token). */
  public get log(): string {
    return this.output;
  }

  /** Stops the server; bounded. */
  public async stop(): Promise<void> {
    if (this.exitCode !== undefined) return;
    this.child.kill('SIGTERM');
    const deadline = Date.now() + 10_000;
    while (this.exitCode === undefined && Date.now() < deadline) await new Promise(r => setTimeout(r, 100));
    if (this.exitCode === undefined) this.child.kill('SIGKILL');
  }

  private async waitUntilListening(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exitCode !== undefined) throw new Error(`the MCP server exited with code ${this.exitCode}:\n${this.output}`);
      try {
        // Any HTTP answer means uvicorn listens (a GET without a session is refused by MCP itself).
        await fetch(this.url, { headers: this.bearerToken ? { Authorization: `Bearer ${this.bearerToken}` } : {}, signal: AbortSignal.timeout(2_000) });
        return;
      } catch { /* not listening yet */ }
      await new Promise(r => setTimeout(r, 250));
    }
    throw new Error(`the MCP server did not listen on ${this.url} within ${timeoutMs} ms:\n${this.output}`);
  }
}
