/** The HTTP plumbing of the fake: one {@link Reply} per request (it answers, counts and records), and body reading. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PaddedBody } from './faults.js';
import type { FakeExchange, FakeHost, FakeHostileFault, FakeStats } from './types.js';

/** Request bodies larger than this are refused with 413. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

const PAD_CHUNK = Buffer.alloc(64 * 1024, 'x');

function parseOrText(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Where a {@link Reply} reports what it answered. */
export interface ReplyHooks {
  readonly stats: FakeStats;
  readonly onExchange: ((exchange: FakeExchange) => void) | undefined;
}

/** Answers one request exactly once, counts the status in `stats.responses` and reports the exchange. */
export class Reply {
  /** The request body as the route read it (see {@link FakeExchange.requestBody}). */
  requestBody: unknown = undefined;
  readonly #hooks: ReplyHooks;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly host: FakeHost,
    readonly path: string,
    readonly query: string,
    hooks: ReplyHooks,
  ) {
    this.#hooks = hooks;
  }

  /** Answers `payload` as JSON (`fault`: the hostile mode this answer is, reported with the exchange). */
  json(status: number, payload: unknown, headers?: Record<string, string>, fault?: FakeHostileFault): void {
    const text = JSON.stringify(payload);
    this.text(status, text, 'application/json', headers, fault);
  }

  /** Answers Vellum's error shape `{"detail": message}`. */
  detail(status: number, message: string, headers?: Record<string, string>): void {
    this.json(status, { detail: message }, headers);
  }

  /** Answers a raw body (JSON or not: the garbled modes use this). */
  text(
    status: number,
    text: string,
    contentType: string,
    headers?: Record<string, string>,
    fault?: FakeHostileFault,
  ): void {
    this.#head(status, Buffer.byteLength(text), contentType, headers);
    this.res.end(text);
    this.#record(status, () => parseOrText(text), fault);
  }

  /**
   * Answers `prefix + 'x' * pad + suffix` as JSON, streamed in chunks with backpressure, so a 100 MB answer is never
   * held in memory; with `declareLength` false it is sent chunked, without a `content-length`. The exchange reports
   * `recorded` instead of the body.
   */
  padded(body: PaddedBody, declareLength: boolean, fault: FakeHostileFault): void {
    const res = this.res;
    const { prefix, pad, suffix } = body;
    this.#head(
      200,
      declareLength ? Buffer.byteLength(prefix) + pad + Buffer.byteLength(suffix) : undefined,
      'application/json',
    );
    res.write(prefix);
    let left = pad;
    const pump = (): void => {
      while (left > 0) {
        const n = Math.min(left, PAD_CHUNK.length);
        left -= n;
        if (!res.write(n === PAD_CHUNK.length ? PAD_CHUNK : PAD_CHUNK.subarray(0, n))) {
          res.once('drain', pump);
          return;
        }
      }
      res.end(suffix);
    };
    res.on('close', () => res.off('drain', pump));
    pump();
    this.#record(200, () => body.recorded, fault);
  }

  /** Answers a redirect with an empty body. */
  redirect(status: number, location: string, fault: FakeHostileFault): void {
    this.#head(status, 0, 'application/json', { location });
    this.res.end();
    this.#record(status, () => undefined, fault);
  }

  /** Destroys the socket without answering (nothing is recorded). */
  drop(): void {
    this.req.socket.destroy();
  }

  #head(
    status: number,
    length: number | undefined,
    contentType: string,
    headers?: Record<string, string>,
  ): void {
    const key = String(status);
    const stats = this.#hooks.stats;
    stats.responses[key] = (stats.responses[key] ?? 0) + 1;
    this.res.writeHead(status, {
      'content-type': contentType,
      ...(length === undefined ? {} : { 'content-length': length }),
      ...headers,
    });
  }

  #record(status: number, body: () => unknown, fault: FakeHostileFault | undefined): void {
    const onExchange = this.#hooks.onExchange;
    if (onExchange === undefined) return;
    const exchange: FakeExchange = {
      host: this.host,
      method: this.req.method ?? 'GET',
      path: this.path,
      query: this.query,
      requestBody: this.requestBody,
      status,
      responseBody: body(),
    };
    if (fault !== undefined) exchange.fault = fault;
    try {
      onExchange(exchange);
    } catch (error) {
      // Rethrown outside the request handler so the test that installed the hook sees it.
      queueMicrotask(() => {
        throw error;
      });
    }
  }
}

/**
 * Reads the request body as UTF-8 text, then calls `done` (not when the server closed meanwhile). Over
 * {@link MAX_BODY_BYTES} it answers 413 and stops reading.
 */
export function readBody(reply: Reply, isClosed: () => boolean, done: (raw: string) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  reply.req.on('data', (chunk: Buffer) => {
    if (tooLarge) return;
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      tooLarge = true;
      reply.detail(413, `Request body larger than ${MAX_BODY_BYTES} bytes.`, { connection: 'close' });
      return;
    }
    chunks.push(chunk);
  });
  reply.req.on('end', () => {
    if (tooLarge || isClosed()) return;
    const raw = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
    reply.requestBody = parseOrText(raw);
    done(raw);
  });
}

/** The one path segment `segment`, URL-decoded; `undefined` when empty, not one segment or badly encoded. */
export function decodeSegment(segment: string): string | undefined {
  if (segment === '' || segment.includes('/')) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
