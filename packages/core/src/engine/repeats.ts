/**
 * Repeats (`--repeat N --min-pass K`): each case runs N times, each run (a repeat) one execution under its own
 * external id, and the case gets ONE record built from its repeats' records. Pure functions: no clock, no I/O.
 *
 * Decisions, the same everywhere (engine, merge, reports):
 * - A repeat's external id is `{prefix}{case id}-r{k}`, k from 1 to N; with N = 1 it is the un-suffixed
 *   `{prefix}{case id}`, exactly as without repeats.
 * - The case passes when at least K of its repeats passed (`repeats` lists them all, in repeat order).
 * - The record's own fields (`execution_id`, `external_id`, `status`, `outputs`, `error`, `assertions`, `attempts`,
 *   `submitted_at`, `latency_ms`, `execution_detail_url`) are those of one repeat, its representative: when the case
 *   passed, its first passing repeat; when it failed, its first failing repeat (it shows why), except that when
 *   repeats CANCELLED by an interruption could still have made it pass, the first of those (so the case reads as
 *   unfinished). `finished_at` is the latest of its repeats' (when the case's verdict was known).
 * - A case is flaky when its repeats disagree: at least one passed and at least one failed. A repeat CANCELLED by an
 *   interruption says nothing about the workflow and counts for neither.
 */
import { COUNT_RANGES } from '../fields.js';
import type { CaseRecord, RepeatResult } from '../types.js';

/** How a run repeats its cases, validated: `count` runs of each case, `minPass` of which must pass (1..count). */
export interface RepeatConfig {
  readonly count: number;
  readonly minPass: number;
}

/** The most repeats of one case (`--repeat`). */
export const MAX_REPEAT = COUNT_RANGES.repeat.max;

/** `{ repeat: { count, min_pass } }` as `summary.json` and the journal's header write it, or `{}` without repeats. */
export function repeatField(config: RepeatConfig | null): {
  repeat?: { readonly count: number; readonly min_pass: number };
} {
  return config === null ? {} : { repeat: { count: config.count, min_pass: config.minPass } };
}

/** The external id of repeat `repeat` (1-based) of the case whose un-repeated external id is `base`. */
export function repeatExternalId(base: string, repeat: number, count: number): string {
  return count === 1 ? base : `${base}-r${repeat}`;
}

/** The entry of one repeat in {@link CaseRecord.repeats}. */
export function repeatResult(record: CaseRecord): RepeatResult {
  return {
    execution_id: record.execution_id,
    external_id: record.external_id,
    status: record.status,
    passed: record.passed,
    latency_ms: record.latency_ms,
  };
}

/** Whether the repeats of a case disagree (see the module comment). */
export function isFlaky(repeats: readonly Pick<RepeatResult, 'passed' | 'status'>[]): boolean {
  let passed = false;
  let failed = false;
  for (const r of repeats) {
    if (r.passed) passed = true;
    else if (r.status !== 'CANCELLED') failed = true;
  }
  return passed && failed;
}

/**
 * The record of one case from the records of its repeats (in repeat order, all of the same case; at least one).
 * @throws RangeError when `repeats` is empty.
 */
export function aggregateRepeats(repeats: readonly CaseRecord[], config: RepeatConfig): CaseRecord {
  if (repeats.length === 0) throw new RangeError('aggregateRepeats: a case needs at least one repeat');
  const passing = repeats.filter((r) => r.passed);
  const passed = passing.length >= config.minPass;
  let representative: CaseRecord;
  if (passed) {
    representative = passing[0]!;
  } else {
    const cancelled = repeats.filter((r) => !r.passed && r.status === 'CANCELLED');
    // The repeats the run did not get to (those not in `repeats` at all) could still pass, too.
    const open = cancelled.length + Math.max(0, config.count - repeats.length);
    const undecided = passing.length + open >= config.minPass;
    representative =
      (undecided ? cancelled[0] : undefined) ??
      repeats.find((r) => !r.passed && r.status !== 'CANCELLED') ??
      cancelled[0]!;
  }
  let finishedAt = representative.finished_at;
  for (const r of repeats) if (r.finished_at > finishedAt) finishedAt = r.finished_at;
  return {
    ...representative,
    passed,
    finished_at: finishedAt,
    repeats: repeats.map(repeatResult),
  };
}

/**
 * The records of a run, one per case, from the records of its repeats in (index, repeat) order, as the journal
 * yields them: consecutive records of one index make one case. Without `config` (no repeats) `records` itself is
 * returned. Holds one case's repeats at a time.
 */
export function caseRecords<R extends Iterable<CaseRecord> | AsyncIterable<CaseRecord>>(
  records: R,
  config: RepeatConfig | null,
): R | AsyncGenerator<CaseRecord> {
  // Unchanged, so a journal's records keep their serialized lines (finishOutDir's fast path).
  return config === null ? records : aggregated(records, config);
}

async function* aggregated(
  records: Iterable<CaseRecord> | AsyncIterable<CaseRecord>,
  config: RepeatConfig,
): AsyncGenerator<CaseRecord> {
  let group: CaseRecord[] = [];
  for await (const record of records) {
    if (group.length > 0 && group[0]!.index !== record.index) {
      yield aggregateRepeats(group, config);
      group = [];
    }
    group.push(record);
  }
  if (group.length > 0) yield aggregateRepeats(group, config);
}
