/**
 * How a delivery of Vellum's webhooks proves it comes from Vellum (SPEC section 2). Vellum's Monitoring Integration
 * sends a token the user sets, as `Authorization: Bearer <token>` or in an API-key header of the user's choosing;
 * HMAC signing is optional, with a token the user gives Vellum: the headers `X-Vellum-Timestamp` (unix seconds) and
 * `X-Vellum-Signature`, the hex HMAC-SHA256 of `"{timestamp}\n{METHOD}\n{full URL}\n{raw body}"`.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** How old a signed delivery may be, in seconds (Vellum: "within the last 60 seconds"). */
export const WEBHOOK_TOLERANCE_SECONDS = 60;

/**
 * How far ahead of this machine's clock a signed delivery's timestamp may be, in seconds: Vellum's docs allow none;
 * a few seconds absorb clock skew without letting a captured delivery be replayed for long.
 */
export const WEBHOOK_FUTURE_TOLERANCE_SECONDS = 5;

/** What {@link verifyWebhook} is given. */
export interface VerifyWebhookInput {
  /** The HMAC token given to Vellum (not empty). */
  readonly secret: string;
  /** The request method, e.g. `POST`. */
  readonly method: string;
  /** The full URL Vellum sent to (the one configured in Vellum), e.g. `https://ci.example.com/vellum/webhook`. */
  readonly url: string;
  /** The request headers (any case). */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** The body exactly as received. */
  readonly rawBody: Buffer | string;
  /** Now, in ms since the epoch. @default Date.now() */
  readonly now?: number;
}

/** Why a delivery was refused. */
export type WebhookRefusal =
  'missing_signature' | 'missing_timestamp' | 'bad_timestamp' | 'stale' | 'future' | 'bad_signature';

/** The verdict on one delivery. */
export type WebhookVerification =
  | { readonly ok: true; readonly timestamp: number }
  | { readonly ok: false; readonly reason: WebhookRefusal; readonly message: string };

function header(headers: VerifyWebhookInput['headers'], name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted) continue;
    return typeof value === 'string' ? value : value?.[0];
  }
  return undefined;
}

/** The hex signature Vellum sends for a delivery (used by the testkit and by tests). */
export function signWebhook(input: {
  readonly secret: string;
  readonly method: string;
  readonly url: string;
  readonly rawBody: Buffer | string;
  readonly timestamp: number;
}): string {
  const hmac = createHmac('sha256', input.secret);
  hmac.update(`${input.timestamp}\n${input.method.toUpperCase()}\n${input.url}\n`);
  hmac.update(input.rawBody);
  return hmac.digest('hex');
}

/**
 * Checks a delivery's signature and age: refused when a header is missing, the timestamp is more than
 * {@link WEBHOOK_TOLERANCE_SECONDS} old or more than {@link WEBHOOK_FUTURE_TOLERANCE_SECONDS} ahead of now, or the
 * signature does not match (compared in constant time; hex in any case).
 * @throws TypeError when the secret is empty.
 */
export function verifyWebhook(input: VerifyWebhookInput): WebhookVerification {
  // With an empty secret anyone could sign: refuse to verify rather than accept forgeries.
  if (input.secret === '') throw new TypeError('the webhook secret must not be empty');
  const signature = header(input.headers, 'x-vellum-signature')?.trim();
  const stamp = header(input.headers, 'x-vellum-timestamp')?.trim();
  if (signature === undefined || signature === '') {
    return { ok: false, reason: 'missing_signature', message: 'the X-Vellum-Signature header is missing' };
  }
  if (stamp === undefined || stamp === '') {
    return { ok: false, reason: 'missing_timestamp', message: 'the X-Vellum-Timestamp header is missing' };
  }
  if (!/^\d{1,12}$/.test(stamp)) {
    return { ok: false, reason: 'bad_timestamp', message: 'X-Vellum-Timestamp is not unix seconds' };
  }
  const timestamp = Number(stamp);
  const age = (input.now ?? Date.now()) / 1000 - timestamp;
  if (age > WEBHOOK_TOLERANCE_SECONDS) {
    return {
      ok: false,
      reason: 'stale',
      message: `the delivery is ${Math.round(age)}s old (at most ${WEBHOOK_TOLERANCE_SECONDS}s)`,
    };
  }
  if (age < -WEBHOOK_FUTURE_TOLERANCE_SECONDS) {
    return {
      ok: false,
      reason: 'future',
      message: `the delivery is timestamped ${Math.round(-age)}s ahead of this machine's clock (at most ${WEBHOOK_FUTURE_TOLERANCE_SECONDS}s)`,
    };
  }
  const expected = Buffer.from(signWebhook({ ...input, timestamp }), 'hex');
  const given =
    /^[0-9a-f]+$/i.test(signature) && signature.length % 2 === 0
      ? Buffer.from(signature, 'hex')
      : Buffer.alloc(0);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, reason: 'bad_signature', message: 'the signature does not match' };
  }
  return { ok: true, timestamp };
}

/** What {@link verifyWebhookToken} is given. */
export interface VerifyWebhookTokenInput {
  /** The token set in Vellum's Webhook Integration (not empty). */
  readonly token: string;
  /** The request headers (any case). */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /**
   * The API-key header the token may also come in, as chosen in Vellum (any case); `Authorization: Bearer` is always
   * accepted. @default 'X-API-Key'
   */
  readonly tokenHeader?: string | undefined;
}

/** The verdict on a delivery's token. */
export type WebhookTokenVerification =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'missing_token' | 'bad_token'; readonly message: string };

/** Equal strings, in time that depends on neither their contents nor their lengths (both are hashed first). */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * Checks the token of a delivery: accepted when `Authorization: Bearer <token>` (scheme in any case) or the
 * `tokenHeader` header carries exactly the token, compared in constant time.
 * @throws TypeError when the token is empty.
 */
export function verifyWebhookToken(input: VerifyWebhookTokenInput): WebhookTokenVerification {
  // With an empty token any request would pass: refuse to check rather than accept everything.
  if (input.token === '') throw new TypeError('the webhook token must not be empty');
  const tokenHeader = input.tokenHeader ?? 'X-API-Key';
  const candidates: string[] = [];
  const authorization = /^\s*bearer\s+(\S+)\s*$/i.exec(header(input.headers, 'authorization') ?? '');
  if (authorization?.[1] !== undefined) candidates.push(authorization[1]);
  const apiKey = header(input.headers, tokenHeader)?.trim();
  if (apiKey !== undefined && apiKey !== '') candidates.push(apiKey);
  if (candidates.length === 0) {
    return {
      ok: false,
      reason: 'missing_token',
      message: `the delivery carries no token (Authorization: Bearer, or ${tokenHeader})`,
    };
  }
  // Every candidate is compared, so the time taken does not say which header matched.
  let match = false;
  for (const candidate of candidates) match = sameSecret(candidate, input.token) || match;
  return match ? { ok: true } : { ok: false, reason: 'bad_token', message: 'the token does not match' };
}
