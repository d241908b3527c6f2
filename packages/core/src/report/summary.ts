/**
 * `summary.json`: counts, rates, gate, timings and API call counts of a run (SPEC section 4),
 * built from a stream of records without holding them.
 */
import { isFlaky } from '../engine/repeats.js';
import { evaluateGate } from '../gate.js';
import type {
  CaseRecord,
  CaseStatus,
  Comparison,
  GateOptions,
  Summary,
  WebhookSummary,
  WorkflowRef,
} from '../types.js';
import type { WebhookStats } from '../webhook-stats.js';

/** What the summary needs beyond the records themselves. */
export interface SummaryMeta {
  readonly workflow: WorkflowRef;
  /** The shard this run covered (1-based index), or null for the whole dataset. */
  readonly shard: { readonly index: number; readonly count: number } | null;
  readonly runId: string;
  readonly externalIdPrefix: string;
  /** The dataset file and how many cases it holds (all shards). */
  readonly dataset: Summary['dataset'];
  readonly startedAt: Date;
  readonly finishedAt: Date;
  readonly apiCalls: { readonly submit: number; readonly status: number; readonly retries: number };
  /** Why the run stopped early, or null when it ran to the end. */
  readonly stopped: Summary['stopped'];
  /** Gate thresholds. @default `{ maxFailureRate: 0, minCases: 1 }` */
  readonly gate?: GateOptions | undefined;
  /**
   * The comparison with a baseline (from {@link compareWithBaseline}): written as `comparison`, and its regressions
   * are what the gate's `maxNewFailures` counts. @default none
   */
  readonly comparison?: Comparison | undefined;
  /**
   * How the run repeated each case (`--repeat N --min-pass K`): written as `repeat`, with `flaky` and `flaky_ids`
   * counted from the records' `repeats`. @default none: no `repeat`, `flaky` or `flaky_ids`
   */
  readonly repeat?: { readonly count: number; readonly min_pass: number } | undefined;
  /** The webhook receiver's counts, written as `webhooks` (webhook and hybrid tracking). @default none */
  readonly webhooks?: Readonly<WebhookStats> | undefined;
}

/** Most flaky case ids kept in `summary.flaky_ids`. */
export const MAX_FLAKY_IDS = 100;

/**
 * Accumulates records one at a time, then builds the {@link Summary} with the gate applied.
 * Memory: a few counters plus one latency number per record, in a typed array (8 bytes each, outside the JavaScript
 * heap; a plain array of 300,000 numbers grew through 7 MB of copies that stayed in V8's large-object space, the peak
 * of a 300,000-case run, until the next full collection).
 */
export class SummaryBuilder {
  #total = 0;
  #passed = 0;
  readonly #byStatus: Record<CaseStatus, number> = {
    FULFILLED: 0,
    REJECTED: 0,
    SUBMIT_FAILED: 0,
    TIMED_OUT: 0,
    CANCELLED: 0,
  };
  #latencies = new Float64Array(1024);
  #latencyCount = 0;
  #flaky = 0;
  readonly #flakyIds: string[] = [];

  /** Counts one record. */
  add(record: CaseRecord): void {
    this.#total += 1;
    if (record.repeats !== undefined && isFlaky(record.repeats)) {
      this.#flaky += 1;
      if (this.#flakyIds.length < MAX_FLAKY_IDS) this.#flakyIds.push(record.id);
    }
    if (record.passed) this.#passed += 1;
    this.#byStatus[record.status] += 1;
    if (record.latency_ms !== null && Number.isFinite(record.latency_ms)) this.#addLatency(record.latency_ms);
  }

  #addLatency(ms: number): void {
    if (this.#latencyCount === this.#latencies.length) {
      const grown = new Float64Array(this.#latencies.length * 2);
      grown.set(this.#latencies);
      this.#latencies = grown;
    }
    this.#latencies[this.#latencyCount++] = ms;
  }

  /** How many records were added so far. */
  get count(): number {
    return this.#total;
  }

  /** Builds the summary of every record added so far; `verdict` is `pass` iff the gate passed. */
  build(meta: SummaryMeta): Summary {
    const total = this.#total;
    const passed = this.#passed;
    const failed = total - passed;
    const s = this.#byStatus;
    const errored = s.SUBMIT_FAILED + s.TIMED_OUT + s.CANCELLED;
    const comparison = meta.comparison;
    const regressions =
      comparison === undefined ? undefined : { count: comparison.regressions, ids: comparison.regressed_ids };
    const gate = evaluateGate({ total, passed, errored, regressions }, meta.gate);
    // Sorted where they are (their order means nothing else; a copy was 2.4 MB at 300,000 records).
    const sorted = this.#latencies.subarray(0, this.#latencyCount).sort();
    return {
      total,
      passed,
      failed,
      fulfilled: s.FULFILLED,
      rejected: s.REJECTED,
      errored,
      submit_failed: s.SUBMIT_FAILED,
      timed_out: s.TIMED_OUT,
      cancelled: s.CANCELLED,
      failure_rate: total === 0 ? 0 : failed / total,
      error_rate: total === 0 ? 0 : errored / total,
      gate,
      verdict: gate.passed ? 'pass' : 'fail',
      workflow: meta.workflow,
      shard: meta.shard,
      run_id: meta.runId,
      external_id_prefix: meta.externalIdPrefix,
      dataset: meta.dataset,
      started_at: meta.startedAt.toISOString(),
      finished_at: meta.finishedAt.toISOString(),
      duration_ms: Math.max(0, meta.finishedAt.getTime() - meta.startedAt.getTime()),
      latency_ms: {
        p50: percentile(sorted, 50),
        p95: percentile(sorted, 95),
        max: sorted.length === 0 ? null : (sorted[sorted.length - 1] ?? null),
      },
      api_calls: meta.apiCalls,
      stopped: meta.stopped,
      ...(comparison === undefined ? {} : { comparison }),
      ...(meta.repeat === undefined
        ? {}
        : { repeat: meta.repeat, flaky: this.#flaky, flaky_ids: [...this.#flakyIds] }),
      ...(meta.webhooks === undefined ? {} : { webhooks: webhookSummary(meta.webhooks) }),
    };
  }
}

/** `summary.json.webhooks` from a receiver's counts: the refusal reasons that occurred, none at zero. */
function webhookSummary(stats: Readonly<WebhookStats>): WebhookSummary {
  const refusedBy = Object.fromEntries(Object.entries(stats.refusedBy).filter(([, count]) => count > 0));
  return {
    received: stats.received,
    accepted: stats.accepted,
    duplicates: stats.duplicates,
    refused: stats.refused,
    refused_by: refusedBy,
    ignored: stats.ignored,
    misrouted: stats.misrouted,
  };
}

/**
 * The `p`-th percentile of ascending values, by nearest rank: the smallest value such that
 * at least `p`% of the values are at or below it.
 *
 * @param sortedValues - Values sorted ascending.
 * @param p - The percentile, 0..100 (0 gives the smallest value).
 * @returns The value, or null when there are no values.
 * @throws RangeError when `p` is outside 0..100.
 */
export function percentile(sortedValues: ArrayLike<number>, p: number): number | null {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile: ${p} is not between 0 and 100`);
  const n = sortedValues.length;
  if (n === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * n));
  return sortedValues[Math.min(rank, n) - 1] ?? null;
}
