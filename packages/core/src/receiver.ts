/**
 * A receiver for Vellum's webhooks: a `node:http` request handler to mount in your own server, and a small server
 * around it. It answers quickly, refuses bad signatures (401), oversized (413) and malformed (400) deliveries,
 * drops repeated deliveries, and hands every completion to its subscribers (a {@link CompletionFeed} for the engine).
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Completion, CompletionFeed } from './engine/completions.js';
import { parseWebhookEvent, verifyWebhook } from './webhook.js';

/** Options of {@link createWebhookHandler}. */
export interface WebhookHandlerOptions {
  /** The webhook's signing secret, as configured in Vellum. */
  readonly secret: string;
  /**
   * The URL Vellum was configured to call (signatures cover it); behind a proxy or tunnel it differs from what
   * this process sees. @default `http://{Host header}{request path}`
   */
  readonly publicUrl?: string | undefined;
  /** Larger bodies are refused with 413. @default 1_048_576 */
  readonly maxBodyBytes?: number | undefined;
  /** How many recent event ids are remembered to drop repeated deliveries. @default 100_000 */
  readonly dedupeSize?: number | undefined;
  /** Now, in ms (tests). @default Date.now */
  readonly now?: (() => number) | undefined;
}

/** Counters of a receiver. */
export interface WebhookStats {
  accepted: number;
  duplicates: number;
  refused: number;
  ignored: number;
}

/** A request handler that is also a {@link CompletionFeed}. */
export interface WebhookHandler extends CompletionFeed {
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  readonly stats: Readonly<WebhookStats>;
}

function reply(res: ServerResponse, status: number, detail: string): void {
  const body = JSON.stringify({ detail });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Creates the handler; mount it where Vellum's webhook URL points. */
export function createWebhookHandler(options: WebhookHandlerOptions): WebhookHandler {
  if (options.secret === '') throw new TypeError('the webhook secret must not be empty');
  const maxBodyBytes = options.maxBodyBytes ?? 1_048_576;
  const dedupeSize = options.dedupeSize ?? 100_000;
  const now = options.now ?? Date.now;
  const listeners = new Set<(completion: Completion) => void>();
  const seen = new Set<string>();
  const stats: WebhookStats = { accepted: 0, duplicates: 0, refused: 0, ignored: 0 };

  /** Remembers `key`; false when it was already there. Oldest keys are forgotten first (a Set keeps insertion order). */
  const remember = (key: string): boolean => {
    if (seen.has(key)) return false;
    seen.add(key);
    if (seen.size > dedupeSize) seen.delete(seen.values().next().value!);
    return true;
  };

  const handle = (req: IncomingMessage, res: ServerResponse, rawBody: Buffer): void => {
    const url = options.publicUrl ?? `http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`;
    const verdict = verifyWebhook({
      secret: options.secret,
      method: req.method ?? 'POST',
      url,
      headers: req.headers,
      rawBody,
      now: now(),
    });
    if (!verdict.ok) {
      stats.refused += 1;
      reply(res, 401, verdict.message);
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(rawBody.toString('utf8'));
    } catch {
      stats.refused += 1;
      reply(res, 400, 'the body is not JSON');
      return;
    }
    const event = parseWebhookEvent(json);
    if (event.kind === 'invalid') {
      stats.refused += 1;
      reply(res, 400, `not a Vellum webhook event: ${event.message}`);
      return;
    }
    if (event.kind === 'ignored') {
      stats.ignored += 1;
      reply(res, 200, `ignored: ${event.name}`);
      return;
    }
    const { completion } = event;
    const fresh =
      remember(`id:${event.eventId}`) &&
      remember(`exec:${completion.executionId ?? completion.externalId ?? ''}:${completion.status}`);
    if (!fresh) {
      stats.duplicates += 1;
      reply(res, 200, 'duplicate delivery');
      return;
    }
    stats.accepted += 1;
    reply(res, 202, 'accepted');
    for (const listener of listeners) listener(completion);
  };

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== 'POST') {
      reply(res, 405, 'webhooks are POSTed');
      req.resume();
      return;
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxBodyBytes) {
      stats.refused += 1;
      reply(res, 413, `the body is larger than ${maxBodyBytes} bytes`);
      req.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) {
        if (!tooLarge) {
          tooLarge = true;
          stats.refused += 1;
          reply(res, 413, `the body is larger than ${maxBodyBytes} bytes`);
          req.destroy();
        }
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!tooLarge) handle(req, res, Buffer.concat(chunks));
    });
    req.on('error', () => undefined);
  };

  return {
    handler,
    stats,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** Options of {@link startWebhookServer}. */
export interface WebhookServerOptions extends WebhookHandlerOptions {
  /** @default 0 (a free port) */
  readonly port?: number | undefined;
  /** @default '127.0.0.1' */
  readonly host?: string | undefined;
  /** The path deliveries are POSTed to; other paths answer 404. @default '/' */
  readonly path?: string | undefined;
}

/** A running webhook receiver. */
export interface WebhookServer extends CompletionFeed {
  /** Where it listens, e.g. `http://127.0.0.1:8787/`. */
  readonly url: string;
  readonly port: number;
  readonly stats: Readonly<WebhookStats>;
  close(): Promise<void>;
}

/** Starts a server that receives Vellum's webhooks at `path`. */
export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const path = options.path ?? '/';
  const receiver = createWebhookHandler(options);
  const server = createServer((req, res) => {
    if ((req.url ?? '/').split('?')[0] !== path) {
      reply(res, 404, 'not found');
      req.resume();
      return;
    }
    receiver.handler(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}${path}`,
    port,
    stats: receiver.stats,
    subscribe: (listener) => receiver.subscribe(listener),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
