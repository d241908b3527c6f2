import { describe, expect, it } from 'vitest';
import type { CaseRecord, Summary } from '@vellum-batch/core';
import { continueCommand, failureReason, isListedFailure, renderFinalReport } from './final-report.js';
import type { FinalReportInput } from './final-report.js';

function record(index: number, patch: Partial<CaseRecord> = {}): CaseRecord {
  return {
    index,
    id: `case-${index}`,
    external_id: `vb-x-case-${index}`,
    execution_id: `e-${index}`,
    status: 'FULFILLED',
    passed: false,
    outputs: { answer: 'hello' },
    error: null,
    assertions: [
      { output: 'answer', op: 'contains', expected: 'hello', actual: 'hello', passed: true },
      { output: 'answer', op: 'contains', expected: 'refund', actual: 'hello', passed: false },
    ],
    attempts: 1,
    submitted_at: '2026-12-01T10:00:00.000Z',
    finished_at: '2026-12-01T10:00:01.000Z',
    latency_ms: 1000,
    execution_detail_url: null,
    ...patch,
  };
}

const summary = {
  total: 100,
  passed: 70,
  failed: 30,
  rejected: 5,
  errored: 0,
  cancelled: 0,
  timed_out: 0,
  duration_ms: 12_300,
  verdict: 'fail',
  gate: { reasons: ['failure rate 30% (30 of 100) is above the allowed 0%'] },
  stopped: null,
} as unknown as Summary;

const base: FinalReportInput = {
  summary,
  failures: [],
  failureCount: 0,
  outDir: '/work/out',
  width: undefined,
  continueCommand: null,
};

describe('failureReason', () => {
  it('gives the error code and message, on one line', () => {
    expect(
      failureReason(
        record(0, { status: 'REJECTED', error: { code: 'NODE_EXECUTION', message: 'boom\n  at node 3' } }),
      ),
    ).toBe('NODE_EXECUTION: boom at node 3');
  });

  it('gives the first failing assertion with what was expected and what came back', () => {
    expect(failureReason(record(0))).toBe('answer contains "refund": got "hello"');
    expect(
      failureReason(
        record(0, {
          assertions: [
            { output: 'score', op: 'exists', expected: undefined, actual: undefined, passed: false },
          ],
        }),
      ),
    ).toBe('score exists: got nothing');
    expect(
      failureReason(
        record(0, {
          assertions: [
            {
              output: 'a',
              op: 'matches',
              expected: '(',
              actual: 'x',
              passed: false,
              message: 'invalid regular expression',
            },
          ],
        }),
      ),
    ).toBe('a matches: invalid regular expression');
  });
});

describe('renderFinalReport', () => {
  it('lists the first 20 failing cases with id, status and reason, then "… and N more", then the report paths', () => {
    const failures = Array.from({ length: 20 }, (_, i) =>
      i === 1
        ? record(i, { status: 'REJECTED', error: { code: 'NODE_EXECUTION', message: 'policy violation' } })
        : record(i),
    );
    const lines = renderFinalReport({ ...base, failures, failureCount: 30 })
      .trimEnd()
      .split('\n');
    expect(lines.slice(0, 5)).toEqual([
      'FAIL: 70/100 passed, 30 failed (5 rejected, 0 errored) in 12.3s',
      '  - failure rate 30% (30 of 100) is above the allowed 0%',
      'failing cases (30):',
      '  case-0   FULFILLED  answer contains "refund": got "hello"',
      '  case-1   REJECTED   NODE_EXECUTION: policy violation',
    ]);
    expect(lines.filter((l) => l.startsWith('  case-'))).toHaveLength(20);
    expect(lines.slice(-3)).toEqual([
      '  … and 10 more (every case is in results.jsonl)',
      'report:  /work/out/report.md',
      'results: /work/out/results.jsonl (also summary.json, junit.xml)',
    ]);
  });

  it('cuts each failing case to the terminal width (200 in a log), and never a path', () => {
    const long = record(0, { error: { code: 'X', message: 'y'.repeat(300) }, status: 'REJECTED' });
    const outDir = `/work/${'deep/'.repeat(20)}out`;
    const lines = renderFinalReport({ ...base, outDir, failures: [long], failureCount: 1, width: 60 }).split(
      '\n',
    );
    const row = lines.find((l) => l.startsWith('  case-0'));
    expect(row).toBe(`  case-0  REJECTED  X: ${'y'.repeat(35)}…`);
    expect(row).toHaveLength(59);
    expect(lines).toContain(`report:  ${outDir}/report.md`);
    const logged = renderFinalReport({ ...base, failures: [long], failureCount: 1 }).split('\n');
    expect(logged.find((l) => l.startsWith('  case-0'))).toHaveLength(200);
  });

  it('after Ctrl-C says it was interrupted and prints the whole continue command, also on a narrow terminal', () => {
    const interrupted = {
      ...summary,
      cancelled: 12,
      errored: 12,
      stopped: { reason: 'interrupted', message: 'the run was interrupted' },
    } as Summary;
    const command = continueCommand(['run', '--dataset', '-', '--workflow', 'support bot', '--out', 'o']);
    const lines = renderFinalReport({
      ...base,
      summary: interrupted,
      width: 40,
      continueCommand: command,
      fromStdin: true,
    })
      .trimEnd()
      .split('\n');
    expect(lines[0]).toBe('interrupted: the run was interrupted');
    expect(lines[1]).toMatch(/^FAIL: 70\/100 passed, 30 failed \(5 rejected, 12 errored, 12 cancelled\)/);
    expect(lines.slice(-3)).toEqual([
      'interrupted: continue this run (executions still running on Vellum are tracked to their end) with',
      "  vellum-batch run --dataset - --workflow 'support bot' --out o --resume",
      '  (pipe the same cases to its standard input again)',
    ]);
  });

  it('lists no CANCELLED case (an interruption says nothing about the workflow)', () => {
    expect(isListedFailure(record(0, { status: 'CANCELLED' }))).toBe(false);
    expect(isListedFailure(record(0, { status: 'TIMED_OUT' }))).toBe(true);
    expect(isListedFailure(record(0, { passed: true }))).toBe(false);
  });
});

describe('renderFinalReport with repeats', () => {
  it('says how cases were repeated and names the first flaky cases after the verdict', () => {
    const repeated = {
      ...summary,
      repeat: { count: 3, min_pass: 2 },
      flaky: 12,
      flaky_ids: Array.from({ length: 12 }, (_, i) => `c${i}`),
    } as Summary;
    const text = renderFinalReport({ ...base, summary: repeated });
    const lines = text.split('\n');
    expect(lines[2]).toBe(
      'repeats: each case ran 3 times, passing with 2; 12 flaky: c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, …',
    );
    expect(renderFinalReport(base)).not.toContain('repeats:');
  });
});

describe('continueCommand', () => {
  it('repeats the arguments with --resume, once, quoted for a shell', () => {
    expect(continueCommand(['run', '--dataset', 'my cases.jsonl', '--max-failure-rate', '5%'])).toBe(
      "vellum-batch run --dataset 'my cases.jsonl' --max-failure-rate 5% --resume",
    );
    expect(continueCommand(['run', '--resume', '--workflow', "it's"])).toBe(
      "vellum-batch run --resume --workflow 'it'\\''s'",
    );
  });

  it('drops --retry-failed, --fresh and --dry-run, and never prints a secret', () => {
    expect(
      continueCommand(
        ['run', '--retry-failed', '--fresh', '--workflow', 'w', '--tag=vk-abcdef'],
        ['vk-abcdef'],
      ),
    ).toBe('vellum-batch run --workflow w *** --resume'.replace('***', "'***'"));
  });
});
