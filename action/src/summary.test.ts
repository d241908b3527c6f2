import { describe, expect, it } from 'vitest';
import type { Summary } from '@vellum-batch/core';
import {
  JOB_SUMMARY_LIMIT,
  OUTPUT_NAMES,
  conclusionOf,
  errorSummary,
  finalLine,
  fitJobSummary,
  outputsOf,
  progressLine,
} from './summary.js';

function summary(overrides: Partial<Summary> = {}): Summary {
  return {
    total: 4,
    passed: 3,
    failed: 1,
    fulfilled: 4,
    rejected: 0,
    errored: 0,
    submit_failed: 0,
    timed_out: 0,
    cancelled: 0,
    failure_rate: 0.25,
    error_rate: 0,
    gate: {
      max_failure_rate: 0,
      max_failures: null,
      max_error_rate: null,
      min_cases: 1,
      passed: false,
      reasons: ['failure rate 25% (1 of 4) is above the allowed 0%'],
    },
    verdict: 'fail',
    workflow: { deployment_name: 'bot', deployment_id: null, release_tag: 'LATEST' },
    shard: null,
    run_id: 'abcd',
    external_id_prefix: 'gh-1-1-',
    dataset: { path: 'cases.jsonl', cases: 4 },
    started_at: '2026-11-28T10:00:00.000Z',
    finished_at: '2026-11-28T10:00:04.000Z',
    duration_ms: 4000,
    latency_ms: { p50: 100, p95: 200, max: 250 },
    api_calls: { submit: 4, status: 8, retries: 0 },
    stopped: null,
    ...overrides,
  };
}

const passing = summary({
  passed: 4,
  failed: 0,
  failure_rate: 0,
  verdict: 'pass',
  gate: {
    max_failure_rate: 0,
    max_failures: null,
    max_error_rate: null,
    min_cases: 1,
    passed: true,
    reasons: [],
  },
});

describe('outputsOf', () => {
  it('sets every output as a string', () => {
    const outputs = outputsOf(summary(), {
      resultsDir: '/w/out',
      artifactId: '7',
      artifactUrl: 'https://a',
      commentUrl: '',
    });
    expect(Object.keys(outputs)).toEqual([...OUTPUT_NAMES]);
    expect(outputs).toEqual({
      verdict: 'fail',
      total: '4',
      passed: '3',
      failed: '1',
      errored: '0',
      'failure-rate': '0.25',
      'results-dir': '/w/out',
      'artifact-id': '7',
      'artifact-url': 'https://a',
      'comment-url': '',
      regressions: '',
      fixes: '',
      flaky: '',
    });
  });

  it('sets regressions and fixes from the comparison, and flaky from the repeats count', () => {
    const compared = {
      ...summary(),
      comparison: { regressions: 4, fixes: 1 } as Summary['comparison'],
      repeat: { count: 3, min_pass: 2 },
      flaky: 2,
      flaky_ids: ['a', 'b'],
    } as Summary;
    const extras = { resultsDir: '', artifactId: '', artifactUrl: '', commentUrl: '' };
    expect(outputsOf(compared, extras)).toMatchObject({ regressions: '4', fixes: '1', flaky: '2' });
    expect(outputsOf({ ...summary(), repeat: { count: 2, min_pass: 2 }, flaky: 0 }, extras)).toMatchObject({
      flaky: '0',
    });
  });
});

describe('conclusionOf', () => {
  it('passes when the gate passes', () => {
    expect(conclusionOf(passing)).toEqual({
      kind: 'pass',
      message: 'vellum-batch gate passed: 4 of 4 cases passed',
    });
  });

  it('is a quality failure with the gate reasons', () => {
    const two = summary({
      gate: {
        ...summary().gate,
        reasons: [
          'failure rate 25% (1 of 4) is above the allowed 0%',
          'only 4 cases ran, at least 10 required',
        ],
      },
    });
    expect(conclusionOf(two)).toEqual({
      kind: 'gate',
      message:
        'vellum-batch gate failed: failure rate 25% (1 of 4) is above the allowed 0%; only 4 cases ran, at least 10 required',
    });
  });

  it('names the deadline in a gate failure it caused', () => {
    const late = summary({ stopped: { reason: 'deadline', message: 'the run deadline of 60s was reached' } });
    expect(conclusionOf(late).message).toMatch(
      /^vellum-batch gate failed: .*\(the run deadline of 60s was reached\)$/,
    );
  });

  it('is a harness error when the run could not be done', () => {
    const fatal = summary({
      stopped: { reason: 'fatal', message: 'POST /v1/execute-workflow-async answered 403: Invalid API key.' },
    });
    expect(conclusionOf(fatal)).toEqual({
      kind: 'harness',
      message:
        'vellum-batch could not run the batch: POST /v1/execute-workflow-async answered 403: Invalid API key.',
    });
  });

  it('is a harness error when the run was interrupted', () => {
    const cut = summary({
      cancelled: 3,
      errored: 3,
      stopped: { reason: 'interrupted', message: 'the run was interrupted' },
    });
    expect(conclusionOf(cut)).toEqual({
      kind: 'harness',
      message:
        'vellum-batch was interrupted (the run was interrupted) after 1 of 4 cases finished; the partial results are in the artifact',
    });
  });
});

describe('job summary text', () => {
  it('shows a start error as a code block', () => {
    expect(errorSummary('input dataset: required\nsecond line')).toBe(
      '## ❌ vellum-batch: could not start\n\nNothing was submitted.\n\n    input dataset: required\n    second line\n',
    );
    expect(errorSummary('bad', 'run', '[Workflow run](https://x.test/r)')).toBe(
      '## ❌ vellum-batch: could not start\n\n[Workflow run](https://x.test/r)\n\nNothing was submitted.\n\n    bad\n',
    );
  });

  it('stays under 1 MiB', () => {
    expect(fitJobSummary('ok')).toBe('ok');
    expect(fitJobSummary('x'.repeat(2_000_000)).length).toBeLessThanOrEqual(JOB_SUMMARY_LIMIT);
    // Bytes, not characters: 400,000 squares are 1.6 MB of UTF-8.
    const squares = fitJobSummary(`${'🟥'.repeat(100)}\n`.repeat(4_000));
    expect(Buffer.byteLength(squares, 'utf8')).toBeLessThanOrEqual(JOB_SUMMARY_LIMIT);
    expect(squares).toMatch(/🟥\n\n… \(cut: see the results artifact\)\n$/);
    expect(squares).not.toContain('\uFFFD');
  });
});

describe('progressLine and finalLine', () => {
  it('never counts more running and queued than cases left', () => {
    // The engine counts the last case finished a moment before its execution leaves `running`.
    expect(
      progressLine({ total: 4, submitted: 4, finished: 4, passed: 3, failed: 1, running: 1, queued: 0 }),
    ).toBe('progress: 4/4 finished, 3 passed, 1 failed, 0 running, 0 queued');
    expect(
      progressLine({ total: 10, submitted: 8, finished: 7, passed: 7, failed: 0, running: 2, queued: 5 }),
    ).toBe('progress: 7/10 finished, 7 passed, 0 failed, 2 running, 1 queued');
  });

  it('ends with the summary counts, and says when the run stopped', () => {
    expect(finalLine(summary())).toBe('done: 4 cases, 3 passed, 1 failed (1 failed expectations)');
    expect(finalLine({ ...summary(), repeat: { count: 3, min_pass: 2 }, flaky: 2 })).toBe(
      'done: 4 cases, 3 passed, 1 failed (1 failed expectations), 2 flaky',
    );
    expect(
      finalLine(
        summary({
          fulfilled: 1,
          passed: 1,
          failed: 3,
          rejected: 1,
          cancelled: 2,
          errored: 2,
          stopped: { reason: 'interrupted', message: 'SIGTERM' },
        }),
      ),
    ).toBe('stopped (interrupted): 4 cases, 1 passed, 3 failed (1 rejected, 2 cancelled)');
    expect(finalLine(summary({ failed: 0, passed: 4 }))).toBe('done: 4 cases, 4 passed, 0 failed');
  });
});
