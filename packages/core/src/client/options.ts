/** The options of {@link createClient}, their defaults and their checks: the key, the two hosts, the limits. */
import type { Dispatcher } from 'undici';
import { ConfigError } from '../errors.js';
import type { Clock } from '../internal/clock.js';
import { defaultRetryPolicy, type RetryPolicy } from '../retry.js';
import type { RetryInfo } from './types.js';

/** The predict host (execute, status) used when no base URL is given. */
export const DEFAULT_PREDICT_URL = 'https://predict.vellum.ai';
/** The api host (deployments, execution lists) used when no base URL is given. */
export const DEFAULT_API_URL = 'https://api.vellum.ai';
/** The `X-API-Version` sent when none is given. */
export const DEFAULT_API_VERSION = '2025-07-30';
/** The largest answer read, in bytes, when no `maxResponseBytes` is given: 4 MiB. */
export const DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/** Options of {@link createClient}. */
export interface ClientOptions {
  /**
   * The Vellum API key, sent as `X-API-KEY` and redacted from every error message. A key with surrounding
   * whitespace, a control character (a newline) or a non-ASCII character is refused with a {@link ConfigError}.
   */
  readonly apiKey: string;
  /**
   * Where to send requests. A string stands for both hosts (a fake, a proxy); may carry a path prefix and a trailing
   * slash. Core never reads the environment: the CLI passes `$VELLUM_BASE_URL` and friends.
   * @default { predict: 'https://predict.vellum.ai', api: 'https://api.vellum.ai' }
   */
  readonly baseUrl?: string | { readonly predict: string; readonly api: string };
  /** An undici dispatcher to send every request through instead of the client's own pools; `close()` leaves it open. */
  readonly dispatcher?: Dispatcher;
  /** Size of each of the client's own keep-alive pools, one per origin (ignored with `dispatcher`). @default 64 */
  readonly connections?: number;
  /** Total deadline of each request, headers and body together (not per gap), in milliseconds. @default 30_000 */
  readonly requestTimeoutMs?: number;
  /** The largest answer read, in bytes; a larger one throws a {@link ResponseTooLargeError}. @default 4_194_304 (4 MiB) */
  readonly maxResponseBytes?: number;
  /** Overrides of {@link defaultRetryPolicy}. @default defaultRetryPolicy */
  readonly retry?: Partial<RetryPolicy>;
  /** Time and randomness for backoff sleeps, jitter and `Retry-After` dates. @default systemClock */
  readonly clock?: Clock;
  /** Sent as `X-API-Version`. @default '2025-07-30' */
  readonly apiVersion?: string;
  /** Called before each retry sleep, also for each 429 (for counting, logging, slowing down); must not throw. */
  readonly onRetry?: (info: RetryInfo) => void;
}

/** A host requests go to: its origin and the path prefix every path is appended to. */
export interface Host {
  readonly origin: string;
  readonly prefix: string;
}

/** The options after their checks and defaults. */
export interface ResolvedOptions {
  readonly predict: Host;
  readonly api: Host;
  readonly connections: number;
  readonly requestTimeoutMs: number;
  readonly maxResponseBytes: number;
  readonly policy: RetryPolicy;
  readonly warnings: readonly string[];
}

/**
 * Checks the options and fills in the defaults.
 * @throws ConfigError naming the problem (never the key) when an option is unusable.
 */
export function resolveOptions(options: ClientOptions): ResolvedOptions {
  checkKey(options.apiKey);
  const urls =
    options.baseUrl === undefined
      ? { predict: DEFAULT_PREDICT_URL, api: DEFAULT_API_URL }
      : typeof options.baseUrl === 'string'
        ? { predict: options.baseUrl, api: options.baseUrl }
        : options.baseUrl;
  const predict = parseHost('predict', urls.predict);
  const api = parseHost('api', urls.api);
  const policy: RetryPolicy = { ...defaultRetryPolicy, ...options.retry };
  const resolved: ResolvedOptions = {
    predict,
    api,
    connections: options.connections ?? 64,
    requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    maxResponseBytes: options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    policy,
    warnings: [predict, api]
      .filter((host, i, all) => all.findIndex((h) => h.origin === host.origin) === i)
      .filter((host) => host.origin.startsWith('http:') && !isLoopback(host.origin))
      .map(
        (host) =>
          `The API key is sent over plain http to ${host.origin}, which is not this machine: anyone on the way can read it. Use https.`,
      ),
  };
  checkNumber('connections', resolved.connections, 1, true);
  checkNumber('requestTimeoutMs', resolved.requestTimeoutMs, 1, false);
  checkNumber('maxResponseBytes', resolved.maxResponseBytes, 1, true);
  checkNumber('retry.maxRetries', policy.maxRetries, 0, true);
  checkNumber('retry.baseDelayMs', policy.baseDelayMs, 0, false);
  checkNumber('retry.maxDelayMs', policy.maxDelayMs, 0, false);
  checkNumber('retry.maxRetryAfterMs', policy.maxRetryAfterMs, 0, false);
  checkNumber('retry.rateLimitBudgetMs', policy.rateLimitBudgetMs, 0, false);
  return resolved;
}

/** Refuses a key that cannot be sent as a header or was pasted with extra characters, naming the problem only. */
function checkKey(key: unknown): void {
  if (typeof key !== 'string' || key.trim() === '') throw new ConfigError('The Vellum API key is empty.');
  if (key.trim() !== key) {
    throw new ConfigError(
      'The Vellum API key starts or ends with whitespace (a copied newline?): remove it and try again.',
    );
  }
  for (let i = 0; i < key.length; i++) {
    const code = key.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) {
      throw new ConfigError(
        `The Vellum API key contains a control character (such as a newline) at position ${i + 1}: copy the key again.`,
      );
    }
    if (code > 0x7e) {
      throw new ConfigError(
        `The Vellum API key contains a non-ASCII character at position ${i + 1}: copy the key again.`,
      );
    }
  }
}

function parseHost(name: string, value: string): Host {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`The ${name} base URL "${value}" is not a valid URL.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`The ${name} base URL must be http or https, got ${url.protocol}`);
  }
  return { origin: url.origin, prefix: url.pathname.replace(/\/+$/, '') };
}

function isLoopback(origin: string): boolean {
  const host = new URL(origin).hostname;
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host === '[::1]' ||
    /^127\.\d+\.\d+\.\d+$/.test(host)
  );
}

function checkNumber(name: string, value: number, min: number, integer: boolean): void {
  if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    const what = integer ? 'an integer' : 'a number';
    throw new ConfigError(`The client option ${name} must be ${what} >= ${min}, got ${value}.`);
  }
}
