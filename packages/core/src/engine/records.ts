/**
 * The record of one case (a line of `results.jsonl`), built from what ended it. Pure functions: no clock, no I/O.
 */
import { evaluateCase } from '../assertions.js';
import { VellumBatchError } from '../errors.js';
import type { Case, CaseError, CaseRecord, CaseStatus } from '../types.js';
import type { StopReason } from './options.js';

/**
 * Every `error.code` this tool writes into a record for a case that ended on its side (Vellum's own codes, such as
 * `NODE_EXECUTION`, pass through unchanged). One uppercase set.
 */
export const RECORD_ERROR_CODES = [
  'SUBMIT_ERROR',
  'EXTERNAL_ID_CONFLICT',
  'SUBMIT_OUTCOME_UNKNOWN',
  'DUPLICATE_EXECUTION_ID',
  'EXECUTION_NOT_FOUND',
  'EXECUTION_TIMEOUT',
  'STATUS_UNREADABLE',
  'RUN_DEADLINE',
  'RUN_STOPPED',
  'INTERRUPTED',
  'INTERNAL_ERROR',
] as const;

/** One of {@link RECORD_ERROR_CODES}. */
export type RecordErrorCode = (typeof RECORD_ERROR_CODES)[number];

/** What the record of one started (or attempted) case is built around. */
export interface CaseAttempt {
  readonly case: Case;
  readonly externalId: string;
  readonly executionId: string | null;
  /** Starts of this case by this tool, this one included. */
  readonly attempts: number;
  /** When the submit went out (ms since the epoch), or null when it never did. */
  readonly submittedAt: number | null;
}

/** An execution's final state as Vellum reported it (status answer or pushed completion). */
export interface Outcome {
  readonly fulfilled: boolean;
  readonly outputs: Readonly<Record<string, unknown>> | null;
  readonly error: CaseError | null;
  readonly url: string | null;
}

/** The record of an execution that ended in Vellum: its expectations evaluated against its outputs. */
export function outcomeRecord(attempt: CaseAttempt, outcome: Outcome, now: number): CaseRecord {
  const outputs = outcome.fulfilled ? (outcome.outputs ?? {}) : null;
  const assertions = evaluateCase(attempt.case, outputs);
  return record(attempt, now, {
    status: outcome.fulfilled ? 'FULFILLED' : 'REJECTED',
    passed: outcome.fulfilled && assertions.every((a) => a.passed),
    outputs,
    error: outcome.fulfilled
      ? null
      : (outcome.error ?? { code: 'UNKNOWN', message: 'rejected without an error' }),
    assertions,
    latencyMs: attempt.submittedAt === null ? null : now - attempt.submittedAt,
    url: outcome.url,
  });
}

/** The record of a case that ended on this tool's side (never started, lost, timed out). */
export function localRecord(
  attempt: CaseAttempt,
  status: Exclude<CaseStatus, 'FULFILLED' | 'REJECTED'>,
  error: { readonly code: RecordErrorCode | (string & {}); readonly message: string },
  now: number,
): CaseRecord {
  return record(attempt, now, {
    status,
    passed: false,
    outputs: null,
    error: { code: error.code, message: error.message },
    assertions: [],
    latencyMs: null,
    url: null,
  });
}

/** The record of a case the run stopped under (signal, deadline, fatal error): resumable, never final. */
export function stoppedRecord(
  attempt: CaseAttempt,
  stop: { readonly reason: StopReason; readonly message: string },
  now: number,
): CaseRecord {
  const status = stop.reason === 'deadline' ? 'TIMED_OUT' : 'CANCELLED';
  let message: string;
  if (attempt.executionId !== null) {
    message = `run stopped (${stop.reason}) before execution ${attempt.executionId} finished: ${stop.message}; it may still finish in Vellum, and --resume tracks it to its end`;
  } else if (attempt.submittedAt !== null) {
    message = `run stopped (${stop.reason}) while the case was being submitted: ${stop.message}; --resume finds out whether external id ${attempt.externalId} started`;
  } else {
    message = `not submitted: ${stop.message}`;
  }
  return localRecord(attempt, status, { code: stopCode(stop.reason), message }, now);
}

/** The record code of a stop reason. */
export function stopCode(reason: StopReason): RecordErrorCode {
  if (reason === 'deadline') return 'RUN_DEADLINE';
  if (reason === 'fatal') return 'RUN_STOPPED';
  return 'INTERRUPTED';
}

/** A record's error from a thrown value: the library's own errors keep their code, uppercased; others get `fallback`. */
export function errorOf(error: unknown, fallback: RecordErrorCode): CaseError {
  if (error instanceof VellumBatchError) return { code: error.code.toUpperCase(), message: error.message };
  if (error instanceof Error) return { code: fallback, message: error.message };
  return { code: fallback, message: String(error) };
}

/** What ended a case, apart from the attempt. */
interface Ending {
  readonly status: CaseStatus;
  readonly passed: boolean;
  readonly outputs: CaseRecord['outputs'];
  readonly error: CaseError | null;
  readonly assertions: CaseRecord['assertions'];
  readonly latencyMs: number | null;
  readonly url: string | null;
}

/**
 * The record, every key in one literal in SPEC order. Not `{...common, ...}`: on Node 20 an object spread followed
 * by more keys builds a slow dictionary-mode object (measured: 7 µs a record against 0.05 µs).
 */
function record(attempt: CaseAttempt, now: number, ending: Ending): CaseRecord {
  return {
    index: attempt.case.index,
    id: attempt.case.id,
    external_id: attempt.externalId,
    execution_id: attempt.executionId,
    status: ending.status,
    passed: ending.passed,
    outputs: ending.outputs,
    error: ending.error,
    assertions: ending.assertions,
    attempts: attempt.attempts,
    submitted_at: attempt.submittedAt === null ? null : new Date(attempt.submittedAt).toISOString(),
    finished_at: new Date(now).toISOString(),
    latency_ms: ending.latencyMs,
    execution_detail_url: ending.url,
  };
}
