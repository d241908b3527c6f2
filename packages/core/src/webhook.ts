/**
 * Vellum's signed webhooks (SPEC section 2): signature verification and the event envelope.
 *
 * A delivery is a `POST` of `{id, timestamp, api_version, name, parent, body}` with the headers
 * `X-Vellum-Timestamp` (unix seconds) and `X-Vellum-Signature`, the hex HMAC-SHA256 with the webhook's secret of
 * `"{timestamp}\n{METHOD}\n{full URL}\n{raw body}"`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Completion } from './engine/completions.js';

/** How far a delivery's timestamp may be from now, in seconds, either way. */
export const WEBHOOK_TOLERANCE_SECONDS = 60;

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
 * {@link WEBHOOK_TOLERANCE_SECONDS} away from now, or the signature does not match (compared in constant time;
 * hex in any case).
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
  if (age < -WEBHOOK_TOLERANCE_SECONDS) {
    return { ok: false, reason: 'future', message: 'the delivery is timestamped in the future' };
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

const spanSchema: z.ZodType<Span> = z.lazy(() =>
  z.looseObject({
    span_id: z.string().nullish(),
    external_id: z.string().nullish(),
    parent: spanSchema.nullish(),
  }),
);
interface Span {
  span_id?: string | null | undefined;
  external_id?: string | null | undefined;
  parent?: Span | null | undefined;
}

const envelopeSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string(),
  span_id: z.string().nullish(),
  parent: spanSchema.nullish(),
  body: z
    .looseObject({
      outputs: z.unknown().optional(),
      error: z.looseObject({ message: z.string().nullish(), code: z.string().nullish() }).nullish(),
    })
    .nullish(),
});

/** What a delivery's body means. */
export type WebhookEvent =
  | { readonly kind: 'completion'; readonly eventId: string; readonly completion: Completion }
  | { readonly kind: 'ignored'; readonly eventId: string; readonly name: string }
  | { readonly kind: 'invalid'; readonly message: string };

const EVENT_STATUS: Readonly<Record<string, Completion['status']>> = {
  'workflow.execution.fulfilled': 'FULFILLED',
  'workflow.execution.rejected': 'REJECTED',
};

/** Outputs as a `{name: value}` map; the older shape lists `{name, value}` (or `{name, type, value}`) objects. */
function outputsMap(outputs: unknown): Record<string, unknown> {
  if (Array.isArray(outputs)) {
    const map: Record<string, unknown> = {};
    for (const item of outputs) {
      if (
        item !== null &&
        typeof item === 'object' &&
        typeof (item as { name?: unknown }).name === 'string'
      ) {
        map[(item as { name: string }).name] = (item as { value?: unknown }).value ?? null;
      }
    }
    return map;
  }
  return outputs !== null && typeof outputs === 'object' ? (outputs as Record<string, unknown>) : {};
}

/**
 * Reads a delivery's JSON body: fulfilled and rejected executions become a {@link Completion} (the external id is
 * searched up the `parent` chain, the execution id is `span_id` or `parent.span_id`); other event names are ignored.
 */
export function parseWebhookEvent(raw: unknown): WebhookEvent {
  const parsed = envelopeSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { kind: 'invalid', message: `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}` };
  }
  const event = parsed.data;
  const status = EVENT_STATUS[event.name];
  if (status === undefined) return { kind: 'ignored', eventId: event.id, name: event.name };
  let externalId: string | null = null;
  for (let span = event.parent; span != null && externalId === null; span = span.parent) {
    externalId = span.external_id ?? null;
  }
  const executionId = event.span_id ?? event.parent?.span_id ?? null;
  if (executionId === null && externalId === null) {
    return { kind: 'invalid', message: 'the event names neither an execution id nor an external id' };
  }
  const error = event.body?.error;
  return {
    kind: 'completion',
    eventId: event.id,
    completion: {
      executionId,
      externalId,
      status,
      outputs: status === 'FULFILLED' ? outputsMap(event.body?.outputs) : null,
      error:
        status === 'REJECTED'
          ? { message: error?.message ?? 'rejected without an error message', code: error?.code ?? 'UNKNOWN' }
          : null,
    },
  };
}
