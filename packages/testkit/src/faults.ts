/** Fault settings: defaults, validation, and the broken bodies of the hostile modes. */
import type { FaultOptions } from './options.js';

/** Every fault off. */
export const DEFAULT_FAULTS: Readonly<FaultOptions> = {
  rateLimitRate: 0,
  retryAfterSeconds: 1,
  serverErrorRate: 0,
  dropAfterAcceptRate: 0,
  statusLagMs: 0,
  neverFinishRate: 0,
  garbleSubmitAfterAcceptRate: 0,
  submitTimeoutAfterAcceptRate: 0,
  garbleStatusRate: 0,
  redirectStatusRate: 0,
  oversizeStatusBytes: 0,
  oversizeSubmitBytes: 0,
  duplicateExecutionIdRate: 0,
};

const RATES = [
  'rateLimitRate',
  'serverErrorRate',
  'dropAfterAcceptRate',
  'neverFinishRate',
  'garbleSubmitAfterAcceptRate',
  'submitTimeoutAfterAcceptRate',
  'garbleStatusRate',
  'redirectStatusRate',
  'duplicateExecutionIdRate',
] as const;

/** Throws a `RangeError` naming the field when a share is outside [0, 1]. */
export function checkRate(name: string, value: number): void {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new RangeError(`${name} must be a number in [0, 1], got ${String(value)}`);
  }
}

/** Throws a `RangeError` naming the first bad field of `faults`. */
export function checkFaults(faults: Partial<FaultOptions>): void {
  for (const key of RATES) {
    const value = faults[key];
    if (value !== undefined) checkRate(`faults.${key}`, value);
  }
  const retryAfter = faults.retryAfterSeconds;
  if (retryAfter !== undefined && !(Number.isInteger(retryAfter) && retryAfter >= 0)) {
    throw new RangeError(`faults.retryAfterSeconds must be an integer >= 0, got ${String(retryAfter)}`);
  }
  for (const key of ['statusLagMs', 'oversizeStatusBytes', 'oversizeSubmitBytes'] as const) {
    const value = faults[key];
    if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value) && value >= 0)) {
      throw new RangeError(`faults.${key} must be a finite number >= 0, got ${String(value)}`);
    }
  }
}

/** The 5xx answers of `serverErrorRate`. */
export const SERVER_ERRORS = [
  [500, 'Internal server error (injected by the fake)'],
  [502, 'Bad gateway (injected by the fake)'],
  [503, 'Service unavailable (injected by the fake)'],
] as const;

/** Where `redirectStatusRate` points: a path the fake answers 404. */
export const REDIRECT_NOWHERE = '/v1/redirected-nowhere';

/** The broken 200 bodies of `garbleSubmitAfterAcceptRate`, in rotation (`n` counts garbled submits). */
export function garbledSubmitBody(executionId: string, n: number): { text: string; contentType: string } {
  switch (n % 3) {
    case 0:
      return {
        text: JSON.stringify({ execution_id: executionId }).slice(0, 20),
        contentType: 'application/json',
      };
    case 1:
      return { text: '<html><body><h1>502 Bad Gateway</h1></body></html>', contentType: 'text/html' };
    default:
      return { text: JSON.stringify({ id: executionId }), contentType: 'application/json' };
  }
}

/** The broken 200 bodies of `garbleStatusRate`, in rotation (`n` counts garbled statuses). */
export function garbledStatusBody(full: string, n: number): string {
  return n % 2 === 0
    ? full.slice(0, Math.max(1, Math.floor(full.length / 2)))
    : JSON.stringify({ status: 42 });
}

const PAD_MARK = '\u0000fake-padding\u0000';

/** An answer padded to a size: sent as `prefix`, `pad` bytes of `x`, then `suffix`; `recorded` stands for it. */
export interface PaddedBody {
  readonly prefix: string;
  readonly pad: number;
  readonly suffix: string;
  readonly recorded: unknown;
}

/**
 * `body` with a string field `fake_padding` (in `body.outputs` when `inOutputs`) long enough for the JSON to take at
 * least `bytes` bytes. `recorded` has the padding replaced by a short marker, for the exchange.
 */
export function paddedBody(body: Record<string, unknown>, bytes: number, inOutputs: boolean): PaddedBody {
  const place = (value: string): Record<string, unknown> =>
    inOutputs
      ? { ...body, outputs: { ...(body['outputs'] as Record<string, unknown>), fake_padding: value } }
      : { ...body, fake_padding: value };
  const text = JSON.stringify(place(PAD_MARK));
  const mark = JSON.stringify(PAD_MARK);
  const at = text.indexOf(mark);
  const prefix = `${text.slice(0, at)}"`;
  const suffix = `"${text.slice(at + mark.length)}`;
  const pad = Math.max(0, Math.ceil(bytes) - Buffer.byteLength(prefix + suffix));
  return { prefix, pad, suffix, recorded: place(`<${pad} bytes of x>`) };
}
