/**
 * Failures grouped by reason for `report.md`: cases that did not finish `FULFILLED` by their error code
 * (`PROVIDER_QUOTA_EXCEEDED × 12`), fulfilled cases that failed by the expectation that did not hold
 * (`answer contains "refund" × 3`). Memory stays bounded whatever the number of cases.
 */
import type { CaseRecord } from '../types.js';
import { showValue, truncate } from './format.js';

/** One reason cases failed for, with how many and which. */
export interface FailureGroup {
  /** `error`: the case did not fulfil (by code); `expectation`: it fulfilled and an expectation failed. */
  readonly kind: 'error' | 'expectation';
  /** What failed: an error code (`PROVIDER_QUOTA_EXCEEDED`), or an expectation (`answer contains "refund"`). */
  readonly reason: string;
  /** The cases' status for an `error` group (`REJECTED`, `TIMED_OUT`...); null for expectations. */
  readonly status: string | null;
  readonly count: number;
  /** The ids of the first cases of the group, in the order they were added (at most {@link GROUP_CASE_IDS}). */
  readonly caseIds: readonly string[];
  /** The first error message of the group; null for expectations. */
  readonly example: string | null;
}

/** Case ids kept per group. */
export const GROUP_CASE_IDS = 5;
/** Distinct reasons tracked exactly; beyond, they are counted by family (output and operator, or status). */
const MAX_TRACKED = 1_000;
/** An expectation with more distinct expected values than this is shown as one group for all of them. */
const MAX_VALUES_PER_FAMILY = 8;
const MAX_VALUE = 60;
const MAX_CODE = 100;
const MAX_EXAMPLE = 200;

interface Entry {
  readonly kind: FailureGroup['kind'];
  readonly reason: string;
  readonly status: string | null;
  readonly family: string;
  count: number;
  readonly caseIds: string[];
  example: string | null;
  readonly order: number;
}

interface Family {
  readonly reason: string;
  readonly kind: FailureGroup['kind'];
  readonly status: string | null;
  count: number;
  readonly caseIds: string[];
  /** Distinct exact reasons seen (counted up to MAX_VALUES_PER_FAMILY + 1). */
  distinct: number;
  /** Cases counted here but under no exact entry (the tracking cap was reached). */
  untracked: number;
  example: string | null;
  readonly order: number;
  /** The case counted last: the records of a run come one at a time, each case once. */
  lastId: string | null;
}

/**
 * Collects the failing records of a run one at a time ({@link FailureGroups.add}) and gives the groups
 * ({@link FailureGroups.groups}). A case that fails several expectations counts under each of them.
 */
export class FailureGroups {
  readonly #entries = new Map<string, Entry>();
  readonly #families = new Map<string, Family>();
  #order = 0;
  #cases = 0;

  /** Failing cases added so far (records that passed are ignored). */
  get cases(): number {
    return this.#cases;
  }

  /** Adds one record; one that passed is ignored. */
  add(record: CaseRecord): void {
    if (record.passed) return;
    this.#cases += 1;
    if (record.status !== 'FULFILLED') {
      const code = truncate(record.error?.code || record.status, MAX_CODE);
      const message = record.error?.message ? truncate(record.error.message, MAX_EXAMPLE) : null;
      this.#count(
        'error',
        code,
        record.status,
        `status:${record.status}`,
        `${record.status} (other codes)`,
        record.id,
        message,
      );
      return;
    }
    const failed = record.assertions.filter((a) => !a.passed);
    if (failed.length === 0) {
      this.#count(
        'expectation',
        'the expectations did not hold',
        null,
        'other',
        'the expectations did not hold',
        record.id,
        null,
      );
      return;
    }
    const seen = new Set<string>();
    for (const a of failed) {
      const evaluated = a.message === undefined ? '' : ' (could not evaluate)';
      const expected =
        a.op === 'exists' && a.expected === undefined ? '' : ` ${showValue(a.expected, MAX_VALUE)}`;
      const reason = `${truncate(a.output, MAX_VALUE)} ${a.op}${expected}${evaluated}`;
      if (seen.has(reason)) continue;
      seen.add(reason);
      const family = `${truncate(a.output, MAX_VALUE)} ${a.op}`;
      this.#count('expectation', reason, null, `expect:${family}`, family, record.id, null);
    }
  }

  #count(
    kind: FailureGroup['kind'],
    reason: string,
    status: string | null,
    familyKey: string,
    familyReason: string,
    id: string,
    message: string | null,
  ): void {
    let family = this.#families.get(familyKey);
    if (family === undefined) {
      family = {
        reason: familyReason,
        kind,
        status,
        count: 0,
        caseIds: [],
        distinct: 0,
        untracked: 0,
        example: message,
        order: this.#order++,
        lastId: null,
      };
      this.#families.set(familyKey, family);
    }
    // A case failing two expectations of one family (`contains "a"`, `contains "b"`) counts once in it.
    if (family.lastId !== id) {
      family.count += 1;
      family.lastId = id;
      if (family.caseIds.length < GROUP_CASE_IDS) family.caseIds.push(id);
    }

    const key = `${kind}\u0000${status ?? ''}\u0000${reason}`;
    let entry = this.#entries.get(key);
    if (entry === undefined) {
      if (this.#entries.size >= MAX_TRACKED) {
        family.untracked += 1;
        return;
      }
      entry = {
        kind,
        reason,
        status,
        family: familyKey,
        count: 0,
        caseIds: [],
        example: message,
        order: this.#order++,
      };
      this.#entries.set(key, entry);
      family.distinct += 1;
    }
    entry.count += 1;
    if (entry.caseIds.length < GROUP_CASE_IDS) entry.caseIds.push(id);
  }

  /**
   * The groups, most cases first (ties: first seen first). An expectation family with more than eight distinct
   * expected values (say `answer equals` with a value per case), or whose reasons overflowed the tracking cap,
   * is one group named by its output and operator.
   */
  groups(): FailureGroup[] {
    const collapsed = new Set<string>();
    for (const [key, family] of this.#families) {
      if (
        family.untracked > 0 ||
        (family.kind === 'expectation' && family.distinct > MAX_VALUES_PER_FAMILY)
      ) {
        collapsed.add(key);
      }
    }
    const rows: (FailureGroup & { order: number })[] = [];
    for (const entry of this.#entries.values()) {
      if (collapsed.has(entry.family)) continue;
      rows.push({ ...entry, caseIds: [...entry.caseIds] });
    }
    for (const key of collapsed) {
      const family = this.#families.get(key)!;
      const tracked = [...this.#entries.values()].filter((e) => e.family === key);
      if (family.kind === 'error') {
        // Codes beyond the cap only: the tracked codes keep their own rows.
        rows.push(...tracked.map((e) => ({ ...e, caseIds: [...e.caseIds] })));
        const rest = family.count - tracked.reduce((sum, e) => sum + e.count, 0);
        if (rest > 0) {
          rows.push({
            kind: 'error',
            reason: family.reason,
            status: family.status,
            count: rest,
            caseIds: [],
            example: null,
            order: family.order,
          });
        }
        continue;
      }
      const values = family.untracked > 0 ? 'many' : String(family.distinct);
      rows.push({
        kind: 'expectation',
        reason: `${family.reason} (${values} different expected values)`,
        status: null,
        count: family.count,
        caseIds: [...family.caseIds],
        example: null,
        order: family.order,
      });
    }
    rows.sort((a, b) => b.count - a.count || a.order - b.order);
    return rows.map(({ kind, reason, status, count, caseIds, example }) => ({
      kind,
      reason,
      status,
      count,
      caseIds,
      example,
    }));
  }
}

/** The groups of some records (see {@link FailureGroups}). */
export function groupFailures(records: Iterable<CaseRecord>): FailureGroup[] {
  const groups = new FailureGroups();
  for (const record of records) groups.add(record);
  return groups.groups();
}
