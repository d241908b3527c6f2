/** Loopback HTTP servers and a fake clock for the client's unit tests: scripted answers, every request recorded. */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';
import type { Clock } from '../../src/internal/clock.js';

export const KEY = 'sk-test-secret-1234';
export const NOW = Date.UTC(2026, 10, 28, 10, 0, 0);

export type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;
export interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A JSON answer. */
export function json(status: number, payload: unknown, headers: Record<string, string> = {}): Handler {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(payload));
  };
}

/** A raw text answer. */
export function text(status: number, payload: string, headers: Record<string, string> = {}): Handler {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'text/plain', ...headers });
    res.end(payload);
  };
}

const cleanups: (() => Promise<void>)[] = [];

/** Runs `cleanup` after the current test (servers, clients, agents), newest first. */
export function onCleanup(cleanup: () => Promise<void>): void {
  cleanups.push(cleanup);
}

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * A loopback server. Scripted handlers (`reply`) answer requests in order; without one left, `fallback` answers
 * (by default a 599 that no test expects).
 */
export async function startServer(fallback?: Handler) {
  const queue: Handler[] = [];
  const seen: Seen[] = [];
  let connections = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const handler = queue.shift() ?? fallback ?? text(599, 'no scripted response');
      handler(req, res, body);
    });
  });
  server.on('connection', () => {
    connections++;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const handle = {
    url: `http://127.0.0.1:${port}`,
    seen,
    reply(...handlers: Handler[]) {
      queue.push(...handlers);
      return handle;
    },
    get connections() {
      return connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  onCleanup(handle.close);
  return handle;
}

/** A clock that records sleeps instead of sleeping. */
export function fakeClock(random = 0.5): Clock & { sleeps: number[] } {
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => NOW,
    random: () => random,
    sleep: (ms, signal) => {
      sleeps.push(ms);
      return signal?.aborted ? Promise.reject(signal.reason as Error) : Promise.resolve();
    },
    setTimer: (ms, callback) => {
      sleeps.push(ms);
      queueMicrotask(callback);
      return () => undefined;
    },
  };
}

/** Waits until `condition` holds, one event-loop turn at a time (a backstop timeout comes from vitest). */
export async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}
