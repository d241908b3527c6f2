/**
 * The gate: turns a batch's counts into a verdict (SPEC section 4).
 */
import { ConfigError } from './errors.js';
import type { GateOptions, GateResult } from './types.js';

/** The counts the gate looks at. `failed` is derived: `total - passed`. */
export interface GateCounts {
  readonly total: number;
  readonly passed: number;
  /** SUBMIT_FAILED + TIMED_OUT + CANCELLED */
  readonly errored: number;
  /**
   * The regressions against a baseline, when the run was compared with one: their count and the first ids (named in
   * the gate's reason). Without it `maxNewFailures` has nothing to count and does not apply.
   */
  readonly regressions?: { readonly count: number; readonly ids: readonly string[] } | undefined;
}

/** Most regressed case ids a gate reason names. */
const MAX_NAMED_IDS = 10;

/** Default highest allowed failure rate: no failure allowed. */
export const DEFAULT_MAX_FAILURE_RATE = 0;
/** Default fewest cases a run must have: an empty run never passes. */
export const DEFAULT_MIN_CASES = 1;

/**
 * Applies the gate (SPEC section 4). It fails when any of these holds:
 * `failure_rate > max_failure_rate`, `failed > max_failures`, `error_rate > max_error_rate`, `total < min_cases`,
 * `regressions > max_new_failures` (only when `counts.regressions` is given: a run compared with a baseline).
 * A value exactly at its threshold passes. Each failed condition gives one sentence with the figures, e.g.
 * `failure rate 12.5% (5 of 40) is above the allowed 0%`.
 *
 * @param counts - The run's counts; rates are computed from them (0 when `total` is 0).
 * @param options - Thresholds; rates in 0..1. @default `{ maxFailureRate: 0, minCases: 1 }`, the others unset.
 * @throws {@link ConfigError} when a threshold is out of range (a rate outside 0..1, a negative or fractional count).
 */
export function evaluateGate(counts: GateCounts, options: GateOptions = {}): GateResult {
  const maxFailureRate = options.maxFailureRate ?? DEFAULT_MAX_FAILURE_RATE;
  const maxFailures = options.maxFailures ?? null;
  const maxErrorRate = options.maxErrorRate ?? null;
  const minCases = options.minCases ?? DEFAULT_MIN_CASES;
  const maxNewFailures = options.maxNewFailures ?? null;
  if (maxNewFailures !== null) checkCount(maxNewFailures, 'maxNewFailures');
  checkRate(maxFailureRate, 'maxFailureRate');
  if (maxErrorRate !== null) checkRate(maxErrorRate, 'maxErrorRate');
  if (maxFailures !== null) checkCount(maxFailures, 'maxFailures');
  checkCount(minCases, 'minCases');

  const { total, passed, errored } = counts;
  const failed = total - passed;
  const failureRate = total === 0 ? 0 : failed / total;
  const errorRate = total === 0 ? 0 : errored / total;
  const reasons: string[] = [];

  if (failureRate > maxFailureRate) {
    const [actual, allowed] = formatRates(failureRate, maxFailureRate);
    reasons.push(`failure rate ${actual} (${failed} of ${total}) is above the allowed ${allowed}`);
  }
  if (maxFailures !== null && failed > maxFailures) {
    reasons.push(`${cases(failed)} failed, above the allowed maximum of ${maxFailures}`);
  }
  if (maxErrorRate !== null && errorRate > maxErrorRate) {
    const [actual, allowed] = formatRates(errorRate, maxErrorRate);
    reasons.push(`${cases(errored)} errored (${actual}), above the allowed error rate ${allowed}`);
  }
  if (total < minCases) {
    reasons.push(`only ${cases(total)} ran, at least ${minCases} required`);
  }
  const regressions = counts.regressions;
  if (maxNewFailures !== null && regressions !== undefined && regressions.count > maxNewFailures) {
    const named = regressions.ids.slice(0, MAX_NAMED_IDS).map((id) => JSON.stringify(id));
    const more = regressions.count - named.length;
    reasons.push(
      `${cases(regressions.count)} regressed against the baseline (passed there, fail now), above the allowed ` +
        `${maxNewFailures}: ${named.join(', ')}${more > 0 ? ` and ${more} more` : ''}`,
    );
  }

  return {
    max_failure_rate: maxFailureRate,
    max_failures: maxFailures,
    max_error_rate: maxErrorRate,
    min_cases: minCases,
    ...(maxNewFailures !== null && regressions !== undefined ? { max_new_failures: maxNewFailures } : {}),
    passed: reasons.length === 0,
    reasons,
  };
}

const FRACTION = /^(?:\d+(?:\.\d*)?|\.\d+)$/;
const PERCENT = /^(\d+(?:\.\d*)?|\.\d+)\s*%$/;

/**
 * Parses a rate as people write it: a fraction (`0.05`) or a percentage (`5%`, `5.5%`), into 0..1.
 *
 * @param value - The text to parse, e.g. a flag's value.
 * @param name - The flag or input it came from, named in the error (e.g. `--max-failure-rate`).
 * @throws {@link ConfigError} naming `name` for anything else, or for a rate outside 0..1 (0%..100%).
 */
export function parseRate(value: string, name: string): number {
  const text = value.trim();
  let rate: number;
  const percent = PERCENT.exec(text);
  if (percent) {
    // `5.5e-2` parses to the double nearest 0.055, which `5.5 / 100` does not always give.
    rate = Number(`${percent[1]}e-2`);
  } else if (FRACTION.test(text)) {
    rate = Number(text);
  } else {
    throw new ConfigError(`${name}: ${JSON.stringify(value)} is not a rate (use e.g. 0.05 or 5%)`);
  }
  if (!(rate >= 0 && rate <= 1)) {
    throw new ConfigError(`${name}: ${JSON.stringify(value)} is out of range (use 0..1 or 0%..100%)`);
  }
  return rate;
}

/**
 * Formats a rate in 0..1 as a percentage with at most two decimals and no trailing zeros: `12.5%`, `0%`, `33.33%`.
 * A non-zero rate that would round to `0%` shows two significant digits instead (`0.0012%`).
 *
 * @param rate - A rate in 0..1.
 * @param decimals - Most decimals shown. @default 2
 */
export function formatRate(rate: number, decimals = 2): string {
  const percent = rate * 100;
  if (percent === 0) return '0%';
  if (Math.abs(percent) < 10 ** -decimals) return `${trimZeros(percent.toPrecision(2))}%`;
  return `${trimZeros(percent.toFixed(decimals))}%`;
}

/** Formats an actual rate and its threshold with enough decimals that a rate above its threshold never reads equal to it. */
function formatRates(actual: number, allowed: number): [string, string] {
  for (let decimals = 2; decimals < 8; decimals++) {
    const pair: [string, string] = [formatRate(actual, decimals), formatRate(allowed, decimals)];
    if (pair[0] !== pair[1]) return pair;
  }
  return [formatRate(actual, 8), formatRate(allowed, 8)];
}

function trimZeros(text: string): string {
  return text.includes('.') && !text.includes('e') ? text.replace(/\.?0+$/, '') : text;
}

function cases(n: number): string {
  return `${n} ${n === 1 ? 'case' : 'cases'}`;
}

function checkRate(rate: number, name: string): void {
  if (!(rate >= 0 && rate <= 1)) throw new ConfigError(`${name}: ${rate} is not a rate between 0 and 1`);
}

function checkCount(count: number, name: string): void {
  if (!(Number.isSafeInteger(count) && count >= 0)) {
    throw new ConfigError(`${name}: ${count} is not a whole number of cases (0 or more)`);
  }
}
