import { describe, expect, it } from 'vitest';
import type { CaseRecord, CaseStatus } from '../types.js';
import { SummaryBuilder, percentile } from './summary.js';
import type { SummaryMeta } from './summary.js';

function record(index: number, status: CaseStatus, passed: boolean, latency: number | null): CaseRecord {
  return {
    index,
    id: `case-${index}`,
    external_id: `vb-x-case-${index}`,
    execution_id: status === 'SUBMIT_FAILED' ? null : `exec-${index}`,
    status,
    passed,
    outputs: null,
    error: null,
    assertions: [],
    attempts: 1,
    submitted_at: null,
    finished_at: '2026-01-01T00:00:01.000Z',
    latency_ms: latency,
    execution_detail_url: null,
  };
}

const meta: SummaryMeta = {
  workflow: { deployment_name: 'support-assistant', deployment_id: null, release_tag: 'LATEST' },
  shard: { index: 2, count: 4 },
  runId: 'run-1',
  externalIdPrefix: 'vb-x',
  dataset: { path: 'cases.jsonl', cases: 40 },
  startedAt: new Date('2026-01-01T00:00:00.000Z'),
  finishedAt: new Date('2026-01-01T00:01:05.000Z'),
  apiCalls: { submit: 10, status: 25, retries: 2 },
  stopped: null,
};

describe('SummaryBuilder', () => {
  it('counts a mix of every status', () => {
    const builder = new SummaryBuilder();
    const records = [
      record(0, 'FULFILLED', true, 100),
      record(1, 'FULFILLED', true, 200),
      record(2, 'FULFILLED', true, 300),
      record(3, 'FULFILLED', false, 400),
      record(4, 'REJECTED', false, 500),
      record(5, 'REJECTED', false, 600),
      record(6, 'SUBMIT_FAILED', false, null),
      record(7, 'TIMED_OUT', false, null),
      record(8, 'TIMED_OUT', false, null),
      record(9, 'CANCELLED', false, null),
    ];
    for (const r of records) builder.add(r);
    expect(builder.count).toBe(10);
    const summary = builder.build({ ...meta, gate: { maxFailureRate: 0.5 } });
    expect(summary).toMatchObject({
      total: 10,
      passed: 3,
      failed: 7,
      fulfilled: 4,
      rejected: 2,
      errored: 4,
      submit_failed: 1,
      timed_out: 2,
      cancelled: 1,
      failure_rate: 0.7,
      error_rate: 0.4,
      verdict: 'fail',
      run_id: 'run-1',
      external_id_prefix: 'vb-x',
      shard: { index: 2, count: 4 },
      dataset: { path: 'cases.jsonl', cases: 40 },
      started_at: '2026-01-01T00:00:00.000Z',
      finished_at: '2026-01-01T00:01:05.000Z',
      duration_ms: 65_000,
      latency_ms: { p50: 300, p95: 600, max: 600 },
      api_calls: { submit: 10, status: 25, retries: 2 },
      stopped: null,
    });
    expect(summary.gate.max_failure_rate).toBe(0.5);
    expect(summary.gate.reasons).toEqual(['failure rate 70% (7 of 10) is above the allowed 50%']);
  });

  it('passes when every case passed under the default gate', () => {
    const builder = new SummaryBuilder();
    builder.add(record(0, 'FULFILLED', true, 1200));
    const summary = builder.build(meta);
    expect(summary.verdict).toBe('pass');
    expect(summary.gate).toEqual({
      max_failure_rate: 0,
      max_failures: null,
      max_error_rate: null,
      min_cases: 1,
      passed: true,
      reasons: [],
    });
  });

  it('builds an empty run with zero rates, null latencies and a failed gate', () => {
    const summary = new SummaryBuilder().build({ ...meta, stopped: { reason: 'fatal', message: 'bad key' } });
    expect(summary).toMatchObject({
      total: 0,
      failed: 0,
      failure_rate: 0,
      error_rate: 0,
      verdict: 'fail',
      latency_ms: { p50: null, p95: null, max: null },
      stopped: { reason: 'fatal', message: 'bad key' },
    });
    expect(summary.gate.reasons).toEqual(['only 0 cases ran, at least 1 required']);
  });

  it('sorts latencies numerically, not as strings', () => {
    const builder = new SummaryBuilder();
    [9, 100, 20, 3].forEach((ms, i) => builder.add(record(i, 'FULFILLED', true, ms)));
    expect(builder.build(meta).latency_ms).toEqual({ p50: 9, p95: 100, max: 100 });
  });

  it('keeps every latency of a large run, through the growth of its store', () => {
    const builder = new SummaryBuilder();
    // 1..5,000 in a scrambled order (7919 is prime, so i * 7919 mod 5,000 visits every value once), some records
    // without a latency in between.
    for (let i = 0; i < 5_000; i++) {
      builder.add(record(i, 'FULFILLED', true, ((i * 7919) % 5_000) + 1));
      if (i % 1_000 === 0) builder.add(record(i, 'SUBMIT_FAILED', false, null));
    }
    const summary = builder.build(meta);
    expect(summary.latency_ms).toEqual({ p50: 2_500, p95: 4_750, max: 5_000 });
    // Building again gives the same figures.
    expect(builder.build(meta).latency_ms).toEqual(summary.latency_ms);
  });
});

describe('percentile', () => {
  const values = [15, 20, 35, 40, 50];

  it('uses the nearest rank', () => {
    expect(percentile(values, 5)).toBe(15);
    expect(percentile(values, 30)).toBe(20);
    expect(percentile(values, 40)).toBe(20);
    expect(percentile(values, 50)).toBe(35);
    expect(percentile(values, 95)).toBe(50);
    expect(percentile(values, 100)).toBe(50);
    expect(percentile(values, 0)).toBe(15);
  });

  it('gives null for no values and refuses p outside 0..100', () => {
    expect(percentile([], 50)).toBeNull();
    expect(() => percentile(values, 101)).toThrow(RangeError);
    expect(() => percentile(values, Number.NaN)).toThrow('percentile: NaN is not between 0 and 100');
  });

  it('handles 100 values', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 95)).toBe(95);
  });
});
