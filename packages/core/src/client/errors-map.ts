/** Turning what came back (an HTTP status and body, or a network fault) into the library's typed errors. */
import { STATUS_CODES } from 'node:http';
import {
  ApiError,
  AuthenticationError,
  BadRequestError,
  ConnectionError,
  NotFoundError,
  RateLimitError,
  ServerError,
  TimeoutError,
  type VellumBatchError,
} from '../errors.js';
import { redact } from '../internal/redact.js';
import { parseRetryAfter } from '../retry.js';

const MAX_DETAIL_LENGTH = 500;

/**
 * Network error codes that mean the request never left this machine (no connection was made): safe to retry even
 * a submit, since nothing can have been started.
 */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const CONNECTION_CODES = new Set([
  ...NOT_SENT_CODES,
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
  'UND_ERR_ABORTED',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

/** The `code` of a network error, looking into an AggregateError (happy-eyeballs connects) when needed. */
function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      const innerCode = errorCode(inner);
      if (innerCode !== undefined) return innerCode;
    }
  }
  return undefined;
}

/** Whether a {@link ConnectionError} happened before anything was sent to the server. */
export function neverSent(error: unknown): boolean {
  if (!(error instanceof ConnectionError)) return false;
  const code = errorCode(error.cause);
  return code !== undefined && NOT_SENT_CODES.has(code);
}

/** The typed error of a non-2xx answer; the detail is the body's `detail` (or the raw body), redacted and cut short. */
export function apiError(
  status: number,
  text: string,
  request: string,
  retryAfter: string | undefined,
  now: number,
  secrets: readonly string[],
): ApiError {
  let detail = text.trim();
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && 'detail' in parsed) {
      const raw = parsed.detail;
      detail = typeof raw === 'string' ? raw : JSON.stringify(raw);
    }
  } catch {
    // not JSON: keep the raw body
  }
  detail = redact(detail, secrets);
  if (detail.length > MAX_DETAIL_LENGTH) detail = `${detail.slice(0, MAX_DETAIL_LENGTH)}…`;
  if (detail === '') detail = STATUS_CODES[status] ?? 'no detail';
  if (status === 400) return new BadRequestError(status, detail, request);
  if (status === 401 || status === 403) return new AuthenticationError(status, detail, request);
  if (status === 404) return new NotFoundError(status, detail, request);
  if (status === 429) return new RateLimitError(status, detail, request, parseRetryAfter(retryAfter, now));
  if (status >= 500) return new ServerError(status, detail, request);
  return new ApiError(`http_${status}`, status, detail, request);
}

/** The typed error of a network fault, or undefined when `error` is not one (a bug: passed on as it is). */
export function networkError(
  error: unknown,
  request: string,
  secrets: readonly string[],
): VellumBatchError | undefined {
  const code = errorCode(error);
  const message = redact(error instanceof Error ? error.message : String(error), secrets);
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new TimeoutError(`${request} timed out (${code})`, { cause: error });
  }
  const isSystemError = typeof error === 'object' && error !== null && 'syscall' in error;
  if ((code !== undefined && CONNECTION_CODES.has(code)) || isSystemError) {
    return new ConnectionError(`${request} failed on the network: ${message}${code ? ` (${code})` : ''}`, {
      cause: error,
    });
  }
  return undefined;
}
