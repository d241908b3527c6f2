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
    const { timeoutMs, maxResponseBytes, secrets } = this.#options;
    if (req.signal?.aborted) return Promise.reject(req.signal.reason as Error);
    return new Promise<WireAnswer>((resolve, reject) => {
      let controller: Dispatcher.DispatchController | null = null;
      /** Set once the promise is settled; later callbacks are ignored. */
      let done = false;
      /** Why the request was aborted before undici had a controller for it. */
      let pendingAbort: Error | null = null;
      let status = 0;
      let retryAfter: string | undefined;
      let limit = maxResponseBytes;
      let bytes = 0;
      const chunks: Buffer[] = [];

      const settle = (): void => {
        done = true;
        clearTimeout(timer);
        unwatch?.();
      };
      const fail = (error: unknown): void => {
        if (done) return;
        settle();
        // The caller's signal reason is passed on as it is, whatever it is (the documented contract of `signal`).
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        reject(error);
      };
      const stop = (error: Error): void => {
        if (done) return;
        if (controller === null) {
          pendingAbort = error;
          unsent.add(error);
        } else {
          controller.abort(error);
        }
      };
      const answer = (): void => {
        if (done) return;
        settle();
        const text =
          chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, bytes).toString('utf8');
        resolve({ status, retryAfter, text });
      };

      const timer = setTimeout(() => {
        const error = new TimeoutError(`${req.label} got no complete answer within ${timeoutMs} ms.`);
        stop(error);
        fail(error);
      }, timeoutMs);
      const unwatch =
        req.signal === undefined
          ? undefined
          : this.#watch(req.signal, (reason) => {
              stop(reason instanceof Error ? reason : new Error(String(reason)));
              fail(reason);
            });

      const handler: Dispatcher.DispatchHandler = {
        onRequestStart(ctl) {
          controller = ctl;
          if (pendingAbort !== null) ctl.abort(pendingAbort);
        },
        onResponseStart(_ctl, statusCode, headers) {
          if (statusCode < 200 && statusCode >= 100) return;
          status = statusCode;
          const header = headers['retry-after'];
          retryAfter = Array.isArray(header) ? header[0] : header;
          if (statusCode < 200 || statusCode >= 300) limit = Math.min(limit, MAX_ERROR_BODY_BYTES);
          const declared = Number(headers['content-length']);
          if (statusCode >= 200 && statusCode < 300 && declared > limit) tooLarge();
        },
        onResponseData(_ctl, chunk) {
          if (done) return;
          if (bytes + chunk.length > limit) {
            if (status >= 200 && status < 300) {
              tooLarge();
              return;
            }
            // An error answer: its start is enough for the detail; the rest is dropped with the connection.
            chunks.push(chunk.subarray(0, limit - bytes));
            bytes = limit;
            answer();
            controller?.abort(new ConnectionError(`${req.label}: error answer cut at ${limit} bytes.`));
            return;
          }
          chunks.push(chunk);
          bytes += chunk.length;
        },
        onResponseEnd() {
          answer();
        },
        onResponseError(_ctl, error) {
          fail(networkError(error, req.label, secrets) ?? error);
        },
      };

      function tooLarge(): void {
        const error = new ResponseTooLargeError(
          `${req.label} answered ${status} with more than ${limit} bytes, the limit (maxResponseBytes); the rest was not read.`,
          limit,
        );
        stop(error);
        fail(error);
      }

      try {
        this.#options.dispatcherFor(req.host.origin).dispatch(
          {
            origin: req.host.origin,
            path: req.host.prefix + req.path,
            method: req.method,
            headers: req.method === 'POST' ? this.#options.postHeaders : this.#options.getHeaders,
            body: req.body ?? null,
            // The total deadline above is the limit; these only keep undici's own (longer) defaults out of the way.
            headersTimeout: timeoutMs,
            bodyTimeout: timeoutMs,
          },
          handler,
        );
      } catch (error) {
        const mapped = networkError(error, req.label, secrets) ?? error;
        if (typeof mapped === 'object' && mapped !== null) unsent.add(mapped);
        fail(mapped);
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
