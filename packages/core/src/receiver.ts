/**
 * A receiver for Vellum's webhooks: a `node:http` request handler to mount in your own server, and a small server
 * around it. It answers quickly; refuses deliveries without the configured token or a valid HMAC signature (401),
 * oversized (413) and malformed or too deeply nested (400) ones; answers 200 to events it does not track, to those of
 * another deployment or run, to repeats and to executions no subscriber knows; and hands every new completion to its
 * subscribers (a {@link CompletionFeed} for the engine). Every answer is counted in {@link WebhookStats}.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Completion, CompletionFeed, CompletionFilter } from './engine/completions.js';
import { checkReceiverOptions } from './receiver-config.js';
import { parseWebhookEvent, RUN_ID_METADATA_KEY } from './webhook-event.js';
import { verifyWebhook, verifyWebhookToken } from './webhook.js';
import type { WebhookVerification } from './webhook.js';
import { newWebhookStats } from './webhook-stats.js';
import type { WebhookRefusalNotice, WebhookRefusalReason, WebhookStats } from './webhook-stats.js';

/** Options of {@link createWebhookHandler}. At least one of `token` and `secret` is required. */
export interface WebhookHandlerOptions {
  /**
   * The token set in Vellum's Webhook Integration: a delivery must carry `Authorization: Bearer <token>` or the token
   * in the `tokenHeader` header.
   */
  readonly token?: string | undefined;
  /** The API-key header the token may come in (Vellum's "API Key Header" method). @default 'X-API-Key' */
  readonly tokenHeader?: string | undefined;
  /**
   * The HMAC token given to Vellum: a delivery must carry a valid `X-Vellum-Signature` for `publicUrl`. With `token`
   * too, both must hold.
   */
  readonly secret?: string | undefined;
  /**
   * The URL Vellum was configured to call, exactly as set in Vellum; required with `secret` (signatures cover it). It
   * is never taken from a request's `Host` header, so a delivery signed for another URL is refused.
   */
  readonly publicUrl?: string | undefined;
  /** Only deliveries of this deployment UUID are passed on; others are answered 200 and counted as ignored. */
  readonly deploymentId?: string | undefined;
  /**
   * Only deliveries whose deployment context's `metadata.vellum_batch_run_id` is this run id (or is not set) are
   * passed on; others are answered 200 and counted as ignored.
   */
  readonly runId?: string | undefined;
  /** Larger bodies are refused with 413. @default 1_048_576 */
  readonly maxBodyBytes?: number | undefined;
  /**
   * How many recent event ids (and, apart, executions) are remembered to drop repeated deliveries; the oldest are
   * forgotten first. @default 100_000
   */
  readonly dedupeSize?: number | undefined;
  /** Called after every refused delivery (to say so once, e.g. when `count` is 1). */
  readonly onRefused?: ((notice: WebhookRefusalNotice) => void) | undefined;
  /**
   * Called after every ignored delivery with why (e.g. `an execution of another deployment`) and how many were
   * ignored so far, this one included (to say so once, e.g. when `count` is 1).
   */
  readonly onIgnored?: ((detail: string, count: number) => void) | undefined;
  /** Now, in ms (tests). @default Date.now */
  readonly now?: (() => number) | undefined;
}

/** A request handler that is also a {@link CompletionFeed}. */
export interface WebhookHandler extends CompletionFeed {
  /** The `node:http` request listener: mount it at the path Vellum's webhook URL points to. */
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  /** Live counters of the deliveries it answered. */
  readonly stats: Readonly<WebhookStats>;
  /** Replaces the `deploymentId` and `runId` filters (an unset field lets every value through). */
  restrictTo(filter: CompletionFilter): void;
}

/** The handler, plus what only the server around it may do. */
interface Receiver extends WebhookHandler {
  /** Counts a request to another path; returns how many so far. */
  countMisrouted(): number;
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

/** How a failed signature check is counted. */
function signatureReason(verdict: Extract<WebhookVerification, { ok: false }>): WebhookRefusalReason {
  return verdict.reason === 'stale' || verdict.reason === 'future' ? verdict.reason : 'bad_signature';
}

function createReceiver(options: WebhookHandlerOptions): Receiver {
  const urls = checkReceiverOptions(options);
  const maxBodyBytes = options.maxBodyBytes ?? 1_048_576;
  const dedupeSize = options.dedupeSize ?? 100_000;
  const now = options.now ?? Date.now;
  const listeners = new Set<(completion: Completion) => unknown>();
  const seenEvents = new Set<string>();
  const seenExecutions = new Set<string>();
  let filter: CompletionFilter = { deploymentId: options.deploymentId, runId: options.runId };
  const stats = newWebhookStats();
  const { refusedBy } = stats;

  /** Remembers `key`; false when it was already there. Oldest keys are forgotten first (a Set keeps insertion order). */
  const remember = (seen: Set<string>, key: string): boolean => {
    if (seen.has(key)) return false;
    seen.add(key);
    if (seen.size > dedupeSize) seen.delete(seen.values().next().value!);
    return true;
  };

  const refuse = (
    res: ServerResponse,
    status: number,
    reason: WebhookRefusalReason,
    message: string,
    headers: Readonly<Record<string, string>> = {},
  ): void => {
    stats.refused += 1;
    refusedBy[reason] += 1;
    reply(res, status, message, headers);
    options.onRefused?.({ reason, message, count: refusedBy[reason] });
  };

  const ignore = (res: ServerResponse, detail: string): void => {
    stats.ignored += 1;
    reply(res, 200, `ignored: ${detail}`);
    options.onIgnored?.(detail, stats.ignored);
  };

  /** Why a completion belongs to another deployment or run, or null when it is ours. */
  const foreign = (completion: Completion): string | null => {
    const { deploymentId, runId } = filter;
    if (
      deploymentId !== undefined &&
      typeof completion.deploymentId === 'string' &&
      completion.deploymentId !== deploymentId
    ) {
      return 'another deployment';
    }
    const carried = completion.metadata?.[RUN_ID_METADATA_KEY];
    if (runId !== undefined && carried !== undefined && carried !== null && carried !== runId)
      return 'another run';
    return null;
  };

  const handle = (req: IncomingMessage, res: ServerResponse, rawBody: Buffer): void => {
    if (options.secret !== undefined) {
      let verdict: WebhookVerification | undefined;
      for (const url of urls) {
        verdict = verifyWebhook({
          secret: options.secret,
          method: req.method ?? 'POST',
          url,
          headers: req.headers,
          rawBody,
          now: now(),
        });
        if (verdict.ok || verdict.reason !== 'bad_signature') break;
      }
      if (verdict !== undefined && !verdict.ok) {
        refuse(res, 401, signatureReason(verdict), verdict.message);
        return;
      }
    }
    let json: unknown;
    try {
      json = JSON.parse(rawBody.toString('utf8'));
    } catch {
      refuse(res, 400, 'malformed', 'the body is not JSON');
      return;
    }
    const event = parseWebhookEvent(json);
    if (event.kind === 'invalid') {
      refuse(res, 400, event.reason, `not a Vellum webhook event: ${event.message}`);
      return;
    }
    if (event.kind === 'ignored') {
      ignore(res, event.reason === 'nested' ? `${event.name} of a nested workflow` : event.name);
      return;
    }
    const { completion } = event;
    const elsewhere = foreign(completion);
    if (elsewhere !== null) {
      ignore(res, `an execution of ${elsewhere}`);
      return;
    }
    // By event id first; a redelivery under a new event id is still caught by its execution and status.
    const executionKey = completion.executionId ?? `external:${completion.externalId ?? ''}`;
    const fresh =
      remember(seenEvents, event.eventId) && remember(seenExecutions, `${executionKey}:${completion.status}`);
    if (!fresh) {
      stats.duplicates += 1;
      reply(res, 200, 'duplicate delivery');
      return;
    }
    // A subscriber that does not know the execution says so (false): none knowing it, it is not this run's news.
    let known = listeners.size === 0;
    for (const listener of listeners) if (listener(completion) !== false) known = true;
    if (!known) {
      ignore(res, 'an execution this run did not start');
      return;
    }
    stats.accepted += 1;
    reply(res, 202, 'accepted');
  };

  /** Answers before the body is read; the connection is closed once the answer is out. */
  const refuseEarly = (
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    reason: WebhookRefusalReason,
    message: string,
  ): void => {
    req.pause();
    res.once('finish', () => req.destroy());
    refuse(res, status, reason, message, { connection: 'close' });
  };

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    stats.received += 1;
    if (req.method !== 'POST') {
      req.resume();
      refuse(res, 405, 'malformed', 'webhooks are POSTed', { allow: 'POST' });
      return;
    }
    if (options.token !== undefined) {
      const verdict = verifyWebhookToken({
        token: options.token,
        headers: req.headers,
        tokenHeader: options.tokenHeader,
      });
      if (!verdict.ok) {
        refuseEarly(req, res, 401, 'bad_token', verdict.message);
        return;
      }
    }
    if (Number(req.headers['content-length'] ?? 0) > maxBodyBytes) {
      refuseEarly(req, res, 413, 'too_large', `the body is larger than ${maxBodyBytes} bytes`);
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
        refuseEarly(req, res, 413, 'too_large', `the body is larger than ${maxBodyBytes} bytes`);
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
    restrictTo(next) {
      filter = { deploymentId: next.deploymentId, runId: next.runId };
    },
    countMisrouted() {
      stats.received += 1;
      stats.misrouted += 1;
      return stats.misrouted;
    },
  };
}

/**
 * Creates the handler; mount it where Vellum's webhook URL points. It answers 405 to anything but `POST`; 401
 * (`{"detail": ...}`) to a missing or wrong token, or a missing, bad, stale or future signature; 413 over
 * `maxBodyBytes`; 400 to a body that is not a Vellum event or nests too deeply; 200 to an event it does not track, of
 * another deployment or run, or a repeat; a new completion reaches the subscribers synchronously, then is answered
 * 202, or 200 (ignored) when every subscriber returned `false` (an execution it does not know).
 * @throws ConfigError when neither `token` nor `secret` is given, either is empty, or `secret` comes without a valid
 * `publicUrl`.
 */
export function createWebhookHandler(options: WebhookHandlerOptions): WebhookHandler {
  const receiver = createReceiver(options);
  return {
    handler: receiver.handler,
    stats: receiver.stats,
    subscribe: (listener) => receiver.subscribe(listener),
    restrictTo: (filter) => receiver.restrictTo(filter),
  };
}

/** Options of {@link startWebhookServer}. */
export interface WebhookServerOptions extends WebhookHandlerOptions {
  /** @default 0 (a free port) */
  readonly port?: number | undefined;
  /** @default '127.0.0.1' */
  readonly host?: string | undefined;
  /** The path deliveries are POSTed to; other paths answer 404 and count as misrouted. @default '/' */
  readonly path?: string | undefined;
  /** Called after every request to another path, with that path (to say so once, e.g. when `count` is 1). */
  readonly onMisrouted?: ((path: string, count: number) => void) | undefined;
}

/** A running webhook receiver. */
export interface WebhookServer extends CompletionFeed {
  /** Where it listens, e.g. `http://127.0.0.1:8787/` (loopback when listening on every interface). */
  readonly url: string;
  /** The port it listens on (the free one picked when `port` was 0). */
  readonly port: number;
  /** The path it receives deliveries at. */
  readonly path: string;
  /** Live counters of the deliveries it answered. */
  readonly stats: Readonly<WebhookStats>;
  /** Replaces the `deploymentId` and `runId` filters (an unset field lets every value through). */
  restrictTo(filter: CompletionFilter): void;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/**
 * Starts a server that receives Vellum's webhooks at `path`.
 * @throws ConfigError as {@link createWebhookHandler} does.
 */
export async function startWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const path = options.path ?? '/';
  const host = options.host ?? '127.0.0.1';
  const receiver = createReceiver(options);
  const server = createServer((req, res) => {
    const requested = (req.url ?? '/').split('?')[0] ?? '/';
    if (requested !== path) {
      req.resume();
      const count = receiver.countMisrouted();
      reply(res, 404, `not found: deliveries go to ${path}`);
      options.onMisrouted?.(requested, count);
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
    path,
    stats: receiver.stats,
    subscribe: (listener) => receiver.subscribe(listener),
    restrictTo: (filter) => receiver.restrictTo(filter),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
