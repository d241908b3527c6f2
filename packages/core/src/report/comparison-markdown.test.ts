import { describe, expect, it } from 'vitest';
import { record, meta } from '../../test/baseline-fixtures.js';
import { parseRecord, serializeRecord } from './jsonl.js';
import type { Comparison, Summary } from '../types.js';
import { COMPARISON_BUDGET, renderComparison } from './comparison-markdown.js';
import { SummaryBuilder } from './summary.js';

const comparison: Comparison = {
  baseline: {
    run_id: 'base-1',
    finished_at: '2026-11-28T10:00:00.000Z',
    dataset_sha256: 'aaaa',
    release_tag: 'LATEST',
    commit: 'feedface00',
    run_url: 'javascript:alert(1)',
  },
  dataset_changed: true,
  regressions: 2,
  fixes: 0,
  still_failing: 0,
  still_passing: 0,
  added: 3,
  removed: 1,
  regressed_ids: ['a|b', '@octocat <img>'],
  fixed_ids: [],
  latency: { p50_delta_ms: 120, p95_delta_ms: -30 },
};

function summaryWith(c: Comparison | undefined): Summary {
  const builder = new SummaryBuilder();
  return builder.build(meta({ comparison: c }));
}

describe('renderComparison', () => {
  it('is empty without a comparison', () => {
    expect(renderComparison(summaryWith(undefined))).toEqual([]);
  });

  it('escapes case ids, refuses a non-http run link, notes another dataset and signs the latency deltas', () => {
    const lines = renderComparison(summaryWith(comparison), {
      regressions: [
        { record: record(0, 'a|b', false), baseline: null },
        { record: record(1, '@octocat <img>', false), baseline: null },
      ],
      fixes: [],
    });
    const text = lines.join('\n');
    expect(lines[0]).toBe(
      '**Compared with** run base-1 · commit feedfac · finished 2026-11-28 10:00 UTC · release tag LATEST',
    );
    expect(text).toContain('> The baseline ran another dataset: 3 cases added, 1 removed.');
    expect(text).toContain('latency p50 +120ms, p95 −30ms');
    expect(text).toContain('| a\\|b | FULFILLED |');
    expect(text).toContain('| &#64;octocat &lt;img&gt; | FULFILLED |');
    expect(text).not.toContain('javascript:');
  });

  it('lists only the ids when the details are missing, within its budget', () => {
    const many: Comparison = {
      ...comparison,
      regressions: 5000,
      regressed_ids: Array.from({ length: 100 }, (_, i) => `case-${i}-${'x'.repeat(70)}`),
      fixes: 2000,
      fixed_ids: Array.from({ length: 100 }, (_, i) => `fix-${i}-${'y'.repeat(70)}`),
    };
    const text = renderComparison(summaryWith(many)).join('\n');
    expect(text.length).toBeLessThanOrEqual(COMPARISON_BUDGET);
    expect(text).toContain('5000 more regressions: case-0-');
    expect(text).toContain('### Fixes (2000)');
    expect(text).toMatch(/fix-49-y+ and 1950 more/);
  });
});

describe('a record compared with a baseline', () => {
  it('round-trips its baseline through results.jsonl, and a record without one has no key', () => {
    const compared = { ...record(0, 'a', false), baseline: { status: 'REJECTED' as const, passed: false } };
    expect(parseRecord(serializeRecord(compared)).baseline).toEqual({ status: 'REJECTED', passed: false });
    expect(parseRecord(serializeRecord({ ...record(0, 'a', false), baseline: null })).baseline).toBeNull();
    expect(serializeRecord(record(0, 'a', true))).not.toContain('baseline');
  });

  it('the summary carries the comparison and gates its regressions', () => {
    const builder = new SummaryBuilder();
    builder.add(record(0, 'a', true));
    const summary = builder.build(meta({ comparison, gate: { maxFailureRate: 1, maxNewFailures: 1 } }));
    expect(summary.comparison).toBe(comparison);
    expect(summary.gate.reasons).toEqual([
      '2 cases regressed against the baseline (passed there, fail now), above the allowed 1: "a|b", "@octocat <img>"',
    ]);
  });
});
