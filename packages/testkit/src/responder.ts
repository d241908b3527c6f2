import type { FakeExecutionRequest, FakeResponse } from './types.js';

/** Names of the inputs the default responder reads as instructions instead of echoing them. */
export const CONTROL_INPUTS = [
  'fake_reject',
  'fake_error_code',
  'fake_duration_ms',
  'fake_outputs',
  'fake_never_finish',
] as const;

const CONTROL_SET: ReadonlySet<string> = new Set(CONTROL_INPUTS);

/** Message of a rejection that no control input worded. */
export const DEFAULT_REJECT_MESSAGE = 'Workflow rejected by the fake server';
/** Code of a rejection that no control input set (a `WorkflowExecutionEventErrorCode`). */
export const DEFAULT_ERROR_CODE = 'NODE_EXECUTION';

function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      return undefined;
    }
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/**
 * The default responder. Outputs echo the inputs by name (`{[name]: value}`), except these control
 * inputs, which script the execution instead (string forms are accepted too, so CSV datasets can use them):
 *
 * - `fake_reject` (string): reject with that message;
 * - `fake_error_code` (string): reject with that code (with `fake_reject`'s message, or the default one); a code
 *   outside `WORKFLOW_EXECUTION_ERROR_CODES` makes the status answer off-contract (to test a client's tolerance);
 * - `fake_duration_ms` (number): run for that long;
 * - `fake_outputs` (object, or a JSON string of one): these outputs instead of the echo;
 * - `fake_never_finish` (`true` or `"true"`): never finish.
 *
 * Without `fake_reject`/`fake_error_code`, the execution is rejected when `random() < rejectRate`
 * (message {@link DEFAULT_REJECT_MESSAGE}, code {@link DEFAULT_ERROR_CODE}). Exactly one `random()` is drawn
 * per call, so outcomes are reproducible for a seed.
 *
 * @param rejectRate share of executions rejected at random. @default 0
 */
export function defaultResponder(
  req: FakeExecutionRequest,
  random: () => number,
  rejectRate = 0,
): FakeResponse {
  const echo: Record<string, unknown> = {};
  let rejectMessage: string | undefined;
  let errorCode: string | undefined;
  let durationMs: number | undefined;
  let outputs: Record<string, unknown> | undefined;
  let neverFinishes = false;
  for (const input of req.inputs) {
    if (!CONTROL_SET.has(input.name)) {
      echo[input.name] = input.value;
      continue;
    }
    const value = input.value;
    switch (input.name) {
      case 'fake_reject':
        if (typeof value === 'string' && value !== '') rejectMessage = value;
        break;
      case 'fake_error_code':
        if (typeof value === 'string' && value !== '') errorCode = value;
        break;
      case 'fake_duration_ms': {
        const n = asNumber(value);
        if (n !== undefined && n >= 0) durationMs = Math.round(n);
        break;
      }
      case 'fake_outputs':
        outputs = asObject(value);
        break;
      case 'fake_never_finish':
        neverFinishes = value === true || value === 'true';
        break;
    }
  }
  const draw = random();
  const extra: { durationMs?: number; neverFinishes?: boolean } = {};
  if (durationMs !== undefined) extra.durationMs = durationMs;
  if (neverFinishes) extra.neverFinishes = true;
  if (rejectMessage !== undefined || errorCode !== undefined || draw < rejectRate) {
    return {
      error: { message: rejectMessage ?? DEFAULT_REJECT_MESSAGE, code: errorCode ?? DEFAULT_ERROR_CODE },
      ...extra,
    };
  }
  return { outputs: outputs ?? echo, ...extra };
}
