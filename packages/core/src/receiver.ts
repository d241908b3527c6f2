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
  /**
   * How many recent event ids (and, apart, executions) are remembered to drop repeated deliveries; the oldest are
   * forgotten first. @default 100_000
   */
  readonly dedupeSize?: number | undefined;
  /** Now, in ms (tests). @default Date.now */
  readonly now?: (() => number) | undefined;
}

/** Counters of a receiver. */
export interface WebhookStats {
  /** New completions passed to the subscribers (answered 202). */
  accepted: number;
  /** Repeated deliveries dropped (answered 200). */
  duplicates: number;
  /** Deliveries refused: bad or stale signature (401), malformed (400), too large (413). */
  refused: number;
  /** Well-signed events of other kinds, e.g. `workflow.execution.initiated` (answered 200). */
  ignored: number;
}

/** A request handler that is also a {@link CompletionFeed}. */
export interface WebhookHandler extends CompletionFeed {
  /** The `node:http` request listener: mount it at the path Vellum's webhook URL points to. */
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  /** Live counters of the deliveries it answered. */
  readonly stats: Readonly<WebhookStats>;
}

function reply(
  res: ServerResponse,
  status: number,
  detail: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  const body = JSON.stringify({ detail });
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/**
 * Creates the handler; mount it where Vellum's webhook URL points. It answers 405 to anything but `POST`, 413 over
 * `maxBodyBytes`, 401 (`{"detail": ...}`) to a missing, bad or stale signature, 400 to a body that is not a Vellum
 * event, 202 to a new completion, 200 to a repeat or an ignored event; completions reach the subscribers
 * synchronously once the answer is written.
 * @throws TypeError when the secret is empty.
 */
export function createWebhookHandler(options: WebhookHandlerOptions): WebhookHandler {
  if (options.secret === '') throw new TypeError('the webhook secret must not be empty');
  const maxBodyBytes = options.maxBodyBytes ?? 1_048_576;
  const dedupeSize = options.dedupeSize ?? 100_000;
  const now = options.now ?? Date.now;
  const listeners = new Set<(completion: Completion) => void>();
  const seenEvents = new Set<string>();
  const seenExecutions = new Set<string>();
  const stats: WebhookStats = { accepted: 0, duplicates: 0, refused: 0, ignored: 0 };

  /** Remembers `key`; false when it was already there. Oldest keys are forgotten first (a Set keeps insertion order). */
  const remember = (seen: Set<string>, key: string): boolean => {
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
    // By event id first; a redelivery under a new event id is still caught by its execution and status.
    const executionKey = completion.executionId ?? `external:${completion.externalId ?? ''}`;
    const fresh =
      remember(seenEvents, event.eventId) && remember(seenExecutions, `${executionKey}:${completion.status}`);
    if (!fresh) {
      stats.duplicates += 1;
      reply(res, 200, 'duplicate delivery');
      return;
    }
    stats.accepted += 1;
    reply(res, 202, 'accepted');
    for (const listener of listeners) listener(completion);
  };

  /** Answers 413 and stops reading: the connection is closed once the answer is out. */
  const refuseTooLarge = (req: IncomingMessage, res: ServerResponse): void => {
    stats.refused += 1;
    req.pause();
    res.once('finish', () => req.destroy());
    reply(res, 413, `the body is larger than ${maxBodyBytes} bytes`, { connection: 'close' });
  };

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.method !== 'POST') {
      reply(res, 405, 'webhooks are POSTed', { allow: 'POST' });
      req.resume();
      return;
    }
    if (Number(req.headers['content-length'] ?? 0) > maxBodyBytes) {
      refuseTooLarge(req, res);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > maxBodyBytes) {
        tooLarge = true;
        chunks.length = 0;
        refuseTooLarge(req, res);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!tooLarge) handle(req, res, Buffer.concat(chunks, size));
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
  /** Where it listens, e.g. `http://127.0.0.1:8787/` (loopback when listening on every interface). */
  readonly url: string;
  /** The port it listens on (the free one picked when `port` was 0). */
  readonly port: number;
  /** Live counters of the deliveries it answered. */
  readonly stats: Readonly<WebhookStats>;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/** Starts a server that receives Vellum's webhooks at `path`. */
export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const path = options.path ?? '/';
  const host = options.host ?? '127.0.0.1';
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
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  // A wildcard address is reachable on loopback; an IPv6 literal needs brackets in a URL.
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}${path}`,
    port,
    stats: receiver.stats,
    subscribe: (listener) => receiver.subscribe(listener),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
