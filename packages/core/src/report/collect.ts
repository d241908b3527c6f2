/**
 * What `report.md` needs from the records, gathered as they pass by once: the first failing records, the failures
 * by reason, the first flaky cases (runs with repeats), and (when the run was compared with a baseline) the first
 * regressions and fixes. Memory stays bounded
 * whatever the number of records.
 */
import { MAX_COMPARED_IDS } from '../compare/details.js';
import { isFlaky } from '../engine/repeats.js';
import type { CaseRecord } from '../types.js';
import { FailureGroups } from './groups.js';
import { MAX_FLAKY_ROWS } from './markdown.js';

/** Gathers the report's records, one at a time. */
export class ReportCollector {
  readonly failures: CaseRecord[] = [];
  readonly groups = new FailureGroups();
  readonly regressions: CaseRecord[] = [];
  readonly fixes: CaseRecord[] = [];
  /** The first flaky cases (runs with repeats). */
  readonly flaky: CaseRecord[] = [];
  readonly #maxFailures: number;
  readonly #compared: boolean;

  /** Keeps at most `maxFailures` failing records; regressions and fixes only when `compared`. */
  constructor(maxFailures: number, compared: boolean) {
    this.#maxFailures = maxFailures;
    this.#compared = compared;
  }

  add(record: CaseRecord): void {
    this.groups.add(record);
    if (!record.passed && this.failures.length < this.#maxFailures) this.failures.push(record);
    if (record.repeats !== undefined && this.flaky.length < MAX_FLAKY_ROWS && isFlaky(record.repeats))
      this.flaky.push(record);
    const baseline = record.baseline;
    if (!this.#compared || baseline === undefined || baseline === null) return;
    if (baseline.passed && !record.passed && this.regressions.length < MAX_COMPARED_IDS)
      this.regressions.push(record);
    if (!baseline.passed && record.passed && this.fixes.length < MAX_COMPARED_IDS) this.fixes.push(record);
  }
}
