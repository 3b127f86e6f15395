// A fake OpenAI-compatible upstream for the proxy benchmark: answers
// POST /v1/chat/completions (and /chat/completions) with a fixed, valid,
// non-streaming chat.completion after `delayMs`. Node built-ins only.
import * as http from 'http';
import { AddressInfo } from 'net';

export interface FakeUpstream {
  /** Base URL, e.g. http://127.0.0.1:12345 (append /v1 for an OpenAI api_base). */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

const COMPLETION_PATHS = new Set(['/v1/chat/completions', '/chat/completions']);

function completion(model: string): string {
  return JSON.stringify({
    id: `chatcmpl-bench${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    system_fingerprint: 'fp_bench',
    choices: [{
      index: 0,
      message: { role: 'assistant', content: 'Hello from the fake upstream.', refusal: null },
      logprobs: null,
      finish_reason: 'stop',
    }],
    usage: { prompt_tokens: 9, completion_tokens: 7, total_tokens: 16 },
  });
}

function send(res: http.ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

export function startFakeUpstream(delayMs = 50): Promise<FakeUpstream> {
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || !COMPLETION_PATHS.has(path)) {
        send(res, 404, JSON.stringify({ error: { message: `no route ${req.method} ${path}`, type: 'invalid_request_error' } }));
        return;
      }
      let model = 'bench';
      try {
        const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
        if (typeof parsed.model === 'string') model = parsed.model;
        if (parsed.stream === true) {
          send(res, 400, JSON.stringify({ error: { message: 'fake upstream does not stream', type: 'invalid_request_error' } }));
          return;
        }
      } catch {
        send(res, 400, JSON.stringify({ error: { message: 'invalid JSON body', type: 'invalid_request_error' } }));
        return;
      }
      const timer = setTimeout(() => {
        timers.delete(timer);
        send(res, 200, completion(model));
      }, delayMs);
      timers.add(timer);
    });
  });
  // Clients (the proxy's httpx pool, the load generator's agent) keep sockets
  // open; idle longer than they do so the server never closes one mid-reuse.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 121_000;

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        port,
        stop: () => new Promise<void>((done) => {
          for (const t of timers) clearTimeout(t);
          timers.clear();
          server.close(() => done());
          server.closeAllConnections();
        }),
      });
    });
  });
}

// `npx ts-node -P tsconfig.dev.json bench/fake-upstream.ts [delayMs]`: run standalone.
if (require.main === module) {
  const delay = Number(process.argv[2] ?? 50);
  void startFakeUpstream(delay).then((u) => {
    console.log(`fake upstream on ${u.url} (delay ${delay} ms)`);
    const shutdown = () => void u.stop().then(() => process.exit(0));
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
  });
}
