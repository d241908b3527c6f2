/**
 * One HTTP request with limits: a total deadline (queueing, headers and body together, not per gap, so a trickled
 * body trips it), a cap on the answer's size (the rest is never read: the connection is dropped), and the caller's
 * signal, watched with one listener per signal rather than one per request.
 */
import type { Dispatcher } from 'undici';
import { ConnectionError, ResponseTooLargeError, TimeoutError } from '../errors.js';
import { networkError, neverSent } from './errors-map.js';
import type { Host } from './options.js';

/** What error answers are read up to: their detail is cut to 500 characters anyway. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** One request to send. */
export interface WireRequest {
  readonly host: Host;
  readonly method: 'GET' | 'POST';
  /** Path under the host's prefix, with the query. */
  readonly path: string;
  readonly body?: string;
  /** The request as it is named in error messages, `METHOD path` (never with the key). */
  readonly label: string;
  readonly signal: AbortSignal | undefined;
}

/** An answer read whole (or, for an error status, its first 64 KiB). */
export interface WireAnswer {
  readonly status: number;
  readonly retryAfter: string | undefined;
  readonly text: string;
}

/** What a {@link Transport} needs. */
export interface TransportOptions {
  readonly dispatcherFor: (origin: string) => Dispatcher;
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
  readonly getHeaders: Readonly<Record<string, string>>;
  readonly postHeaders: Readonly<Record<string, string>>;
  readonly secrets: readonly string[];
}

/** Errors that are known to have been thrown before the request was written to a socket. */
const unsent = new WeakSet<object>();

/** Whether `error` (from {@link Transport.send}) was thrown before any byte of the request could reach the server. */
export function wasNeverSent(error: unknown): boolean {
  return (typeof error === 'object' && error !== null && unsent.has(error)) || neverSent(error);
}

type Abort = (reason: unknown) => void;

/** Sends single requests; holds no state but the watchers of the callers' signals. */
export class Transport {
  readonly #options: TransportOptions;
  /** One abort listener per caller signal, fanning out to the requests in flight under it. */
  readonly #watched = new WeakMap<AbortSignal, Set<Abort>>();

  constructor(options: TransportOptions) {
    this.#options = options;
  }

  /**
   * Sends one request and reads its answer.
   * @throws TimeoutError, ConnectionError, ResponseTooLargeError, or the signal's reason when it aborts.
   */
  send(req: WireRequest): Promise<WireAnswer> {
    if (req.signal?.aborted) return Promise.reject(req.signal.reason as Error);
    return new Promise<WireAnswer>((resolve, reject) => {
      const exchange = new Exchange(req, this.#options, resolve, reject);
      if (req.signal !== undefined) exchange.unwatch = this.#watch(req.signal, exchange.onAbort);
      const options = this.#options;
      try {
        options.dispatcherFor(req.host.origin).dispatch(
          {
            origin: req.host.origin,
            path: req.host.prefix + req.path,
            method: req.method,
            headers: req.method === 'POST' ? options.postHeaders : options.getHeaders,
            body: req.body ?? null,
            // The exchange's total deadline is the limit: undici's own timers (300 s by default, armed and
            // refreshed on every request and body chunk) are off.
            headersTimeout: 0,
            bodyTimeout: 0,
          },
          exchange,
        );
      } catch (error) {
        const mapped = networkError(error, req.label, options.secrets) ?? error;
        if (typeof mapped === 'object' && mapped !== null) unsent.add(mapped);
        exchange.fail(mapped);
      }
    });
  }

  #watch(signal: AbortSignal, abort: Abort): () => void {
    let aborts = this.#watched.get(signal);
    if (aborts === undefined) {
      const set = new Set<Abort>();
      aborts = set;
      this.#watched.set(signal, set);
      signal.addEventListener(
        'abort',
        () => {
          for (const each of [...set]) each(signal.reason);
        },
        { once: true },
      );
    }
    const set = aborts;
    set.add(abort);
    return () => set.delete(abort);
  }
}

/**
 * One request in flight: undici's handler for it, its total deadline and its answer's bytes, in one object (a
 * closure for each callback cost a dozen objects a request).
 */
class Exchange implements Dispatcher.DispatchHandler {
  readonly #req: WireRequest;
  readonly #secrets: readonly string[];
  readonly #resolve: (answer: WireAnswer) => void;
  readonly #reject: (error: unknown) => void;
  readonly #timer: NodeJS.Timeout;
  #controller: Dispatcher.DispatchController | null = null;
  /** Set once the promise is settled; later callbacks are ignored. */
  #done = false;
  /** Why the request was aborted before undici had a controller for it. */
  #pendingAbort: Error | null = null;
  #status = 0;
  #retryAfter: string | undefined = undefined;
  #limit: number;
  #bytes = 0;
  #chunks: Buffer[] = [];
  /** Stops watching the caller's signal (set right after construction when there is one). */
  unwatch: (() => void) | null = null;

  constructor(
    req: WireRequest,
    options: TransportOptions,
    resolve: (answer: WireAnswer) => void,
    reject: (error: unknown) => void,
  ) {
    this.#req = req;
    this.#secrets = options.secrets;
    this.#resolve = resolve;
    this.#reject = reject;
    this.#limit = options.maxResponseBytes;
    const timeoutMs = options.timeoutMs;
    this.#timer = setTimeout(() => {
      const error = new TimeoutError(`${req.label} got no complete answer within ${timeoutMs} ms.`);
      this.#stop(error);
      this.fail(error);
    }, timeoutMs);
  }

  /** The caller's signal aborted. */
  readonly onAbort = (reason: unknown): void => {
    this.#stop(reason instanceof Error ? reason : new Error(String(reason)));
    this.fail(reason);
  };

  fail(error: unknown): void {
    if (this.#done) return;
    this.#settle();
    this.#reject(error);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#pendingAbort !== null) controller.abort(this.#pendingAbort);
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    if (statusCode < 200 && statusCode >= 100) return;
    this.#status = statusCode;
    const header = headers['retry-after'];
    this.#retryAfter = Array.isArray(header) ? header[0] : header;
    if (statusCode < 200 || statusCode >= 300) this.#limit = Math.min(this.#limit, MAX_ERROR_BODY_BYTES);
    const declared = Number(headers['content-length']);
    if (statusCode >= 200 && statusCode < 300 && declared > this.#limit) this.#tooLarge();
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#done) return;
    const limit = this.#limit;
    if (this.#bytes + chunk.length > limit) {
      if (this.#status >= 200 && this.#status < 300) {
        this.#tooLarge();
        return;
      }
      // An error answer: its start is enough for the detail; the rest is dropped with the connection.
      this.#chunks.push(chunk.subarray(0, limit - this.#bytes));
      this.#bytes = limit;
      this.#answer();
      this.#controller?.abort(new ConnectionError(`${this.#req.label}: error answer cut at ${limit} bytes.`));
      return;
    }
    this.#chunks.push(chunk);
    this.#bytes += chunk.length;
  }

  onResponseEnd(): void {
    this.#answer();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.fail(networkError(error, this.#req.label, this.#secrets) ?? error);
  }

  #settle(): void {
    this.#done = true;
    clearTimeout(this.#timer);
    this.unwatch?.();
  }

  /** Aborts the request (or, before undici started it, marks it never sent). */
  #stop(error: Error): void {
    if (this.#done) return;
    if (this.#controller === null) {
      this.#pendingAbort = error;
      unsent.add(error);
    } else {
      this.#controller.abort(error);
    }
  }

  #answer(): void {
    if (this.#done) return;
    this.#settle();
    const chunks = this.#chunks;
    const text =
      chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, this.#bytes).toString('utf8');
    this.#resolve({ status: this.#status, retryAfter: this.#retryAfter, text });
  }

  #tooLarge(): void {
    const error = new ResponseTooLargeError(
      `${this.#req.label} answered ${this.#status} with more than ${this.#limit} bytes, the limit (maxResponseBytes); the rest was not read.`,
      this.#limit,
    );
    this.#stop(error);
    this.fail(error);
  }
}
