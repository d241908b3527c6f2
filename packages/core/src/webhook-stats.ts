/** What a webhook receiver counts, and why it refuses a delivery. */

/** Why a delivery was refused, as counted in {@link WebhookStats.refusedBy}. */
export const WEBHOOK_REFUSAL_REASONS = [
  'bad_token',
  'bad_signature',
  'stale',
  'future',
  'malformed',
  'too_deep',
  'too_large',
] as const;

/** One of {@link WEBHOOK_REFUSAL_REASONS}. */
export type WebhookRefusalReason = (typeof WEBHOOK_REFUSAL_REASONS)[number];

/** A refused delivery, as told to the receiver's `onRefused` hook. */
export interface WebhookRefusalNotice {
  readonly reason: WebhookRefusalReason;
  /** What the sender was answered, e.g. `the token does not match` (never a token or secret). */
  readonly message: string;
  /** How many deliveries were refused for this reason so far, this one included (1 the first time). */
  readonly count: number;
}

/** Counters of a receiver: `received` = accepted + duplicates + refused + ignored + misrouted. */
export interface WebhookStats {
  /** Every request answered. */
  received: number;
  /** New completions passed to the subscribers (answered 202). */
  accepted: number;
  /** Repeated deliveries dropped (answered 200). */
  duplicates: number;
  /** Deliveries refused (401, 400, 405, 413), all reasons together. */
  refused: number;
  /** {@link refused} by reason (a request that is not a `POST` counts as `malformed`). */
  refusedBy: Record<WebhookRefusalReason, number>;
  /** Authenticated events not passed on: untracked names, nested workflows, other deployments or runs (200). */
  ignored: number;
  /** Requests to another path than the receiver's (404; only `startWebhookServer` knows its path). */
  misrouted: number;
}

/** Counters at zero. */
export function newWebhookStats(): WebhookStats {
  const refusedBy = Object.fromEntries(WEBHOOK_REFUSAL_REASONS.map((reason) => [reason, 0])) as Record<
    WebhookRefusalReason,
    number
  >;
  return { received: 0, accepted: 0, duplicates: 0, refused: 0, refusedBy, ignored: 0, misrouted: 0 };
}
