import { describe, expect, it } from 'vitest';
import type { CaseRecord, Summary } from '../types.js';
import { MARKDOWN_LIMIT, escapeMarkdownInline, renderMarkdown } from './markdown.js';

function record(index: number, overrides: Partial<CaseRecord> = {}): CaseRecord {
  return {
    index,
    id: `case-${index}`,
    external_id: `vb-x-case-${index}`,
    execution_id: `exec-${index}`,
    status: 'FULFILLED',
    passed: false,
    outputs: { answer: 'no' },
    error: null,
    assertions: [{ output: 'answer', op: 'contains', expected: 'refund', actual: 'no', passed: false }],
    attempts: 1,
    submitted_at: '2026-01-01T00:00:00.000Z',
    finished_at: '2026-01-01T00:00:01.000Z',
    latency_ms: 1000,
    execution_detail_url: `https://app.vellum.ai/executions/${index}`,
    ...overrides,
  };
}

const passing: Summary = {
  total: 40,
  passed: 40,
  failed: 0,
  fulfilled: 40,
  rejected: 0,
  errored: 0,
  submit_failed: 0,
  timed_out: 0,
  cancelled: 0,
  failure_rate: 0,
  error_rate: 0,
  gate: {
    max_failure_rate: 0,
    max_failures: null,
    max_error_rate: null,
    min_cases: 1,
    passed: true,
    reasons: [],
  },
  verdict: 'pass',
  workflow: { deployment_name: 'support-assistant', deployment_id: null, release_tag: 'LATEST' },
  shard: null,
  run_id: 'run-1',
  external_id_prefix: 'vb-x',
  dataset: { path: 'cases.jsonl', cases: 40 },
  started_at: '2026-01-01T00:00:00.000Z',
  finished_at: '2026-01-01T00:01:05.000Z',
  duration_ms: 65_000,
  latency_ms: { p50: 1200, p95: 3400, max: 5100 },
  api_calls: { submit: 40, status: 73, retries: 2 },
  stopped: null,
};

const failing: Summary = {
  ...passing,
  passed: 35,
  failed: 5,
  fulfilled: 37,
  rejected: 2,
  errored: 1,
  timed_out: 1,
  failure_rate: 0.125,
  error_rate: 0.025,
  gate: { ...passing.gate, passed: false, reasons: ['failure rate 12.5% (5 of 40) is above the allowed 0%'] },
  verdict: 'fail',
  shard: { index: 2, count: 4 },
};

describe('renderMarkdown', () => {
  it('renders a passing run', () => {
    const md = renderMarkdown(passing, [], {
      artifactUrl: 'https://github.com/o/r/actions/runs/1/artifacts/2',
    });
    expect(md.startsWith('## ✅ vellum-batch: pass — support-assistant\n')).toBe(true);
    expect(md).not.toContain('The gate failed');
    expect(md).toContain('| Total | 40 |');
    expect(md).toContain('| Failure rate | 0% (allowed 0%) |');
    expect(md).toContain(`**Outcomes** ${'🟩'.repeat(20)}\n\n🟩 passed 40 (100%)\n`);
    expect(md).not.toMatch(/🟧|🟥/);
    expect(md).not.toContain('```mermaid');
    expect(md).toContain('[Results artifact](https://github.com/o/r/actions/runs/1/artifacts/2)');
    expect(md).toContain('**Latency** p50 1.2s · p95 3.4s · max 5.1s · **Duration** 1m 05s');
    expect(md).toContain('**API calls** 40 submit · 73 status · 2 retries');
    expect(md).not.toContain('Failing cases');
    expect(md).not.toContain('**Shard**');
    expect(
      md
        .trimEnd()
        .endsWith('[Download the results artifact](https://github.com/o/r/actions/runs/1/artifacts/2)'),
    ).toBe(true);
  });

  it('renders a failing run with reasons, counts, chart, shard and failures in order', () => {
    const failures = [
      record(3),
      record(7, { status: 'REJECTED', error: { message: 'node crashed', code: 'NODE' }, assertions: [] }),
      record(9, {
        status: 'TIMED_OUT',
        error: null,
        assertions: [],
        execution_detail_url: null,
      }),
    ];
    const md = renderMarkdown({ ...failing, failed: 3 }, failures, { title: 'evals' });
    expect(md.startsWith('## ❌ evals: fail — support-assistant\n')).toBe(true);
    expect(md).toContain('**The gate failed:**\n\n- failure rate 12.5% (5 of 40) is above the allowed 0%\n');
    for (const row of [
      '| Passed | 35 |',
      '| Failed | 3 |',
      '| Fulfilled | 37 |',
      '| Rejected | 2 |',
      '| Submit failed | 0 |',
      '| Timed out | 1 |',
      '| Cancelled | 0 |',
      '| Failure rate | 12.5% (allowed 0%) |',
      '| Error rate | 2.5% |',
    ]) {
      expect(md).toContain(row);
    }
    expect(md).toContain(
      `**Outcomes** ${'🟩'.repeat(17)}🟧🟥🟥\n\n` +
        '🟩 passed 35 (87.5%) · 🟧 failed expectations 2 (5%) · 🟥 rejected 2 (5%) · 🟥 errored 1 (2.5%)\n',
    );
    expect(md).toContain('**Shard** 2 of 4');
    expect(md).toContain('### Failing cases (3)');
    expect(md).toContain(
      '| case-3 | FULFILLED | answer contains "refund" (actual: "no") | [open](https://app.vellum.ai/executions/3) |',
    );
    expect(md).toContain('| case-7 | REJECTED | node crashed | [open](https://app.vellum.ai/executions/7) |');
    expect(md).toContain(
      '| case-9 | TIMED_OUT | the deadline was reached before the execution finished |  |',
    );
    expect(md).not.toContain('more: see the results artifact');
    const order = [
      '## ❌',
      'The gate failed',
      '| Total',
      '**Outcomes**',
      '**Latency**',
      '**API calls**',
      '**Shard**',
      '### Failing',
    ];
    const positions = order.map((s) => md.indexOf(s));
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(positions.every((p) => p >= 0)).toBe(true);
  });

  it('caps the failing cases at 50 rows by default and says how many more', () => {
    const failures = Array.from({ length: 200 }, (_, i) => record(i));
    const md = renderMarkdown({ ...failing, failed: 200 }, failures);
    expect(md.match(/^\| case-\d+ \|/gm)?.length).toBe(50);
    expect(md).toContain('| case-49 |');
    expect(md).not.toContain('| case-50 |');
    expect(md).toContain('… and 150 more: see the results artifact.');
  });

  it('counts failures beyond the records given from the summary, and honours maxFailures', () => {
    const md = renderMarkdown({ ...failing, failed: 1000 }, [record(0), record(1), record(2)], {
      maxFailures: 2,
    });
    expect(md.match(/^\| case-\d+ \|/gm)?.length).toBe(2);
    expect(md).toContain('… and 998 more: see the results artifact.');
    const none = renderMarkdown({ ...failing, failed: 5 }, [record(0)], { maxFailures: 0 });
    expect(none).not.toContain('| Case |');
    expect(none).toContain('5 failing cases: see the results artifact.');
  });

  it('stays under 60,000 characters with huge ids, messages, outputs and many rows', () => {
    const huge = 'x'.repeat(100_000);
    const failures = Array.from({ length: 5_000 }, (_, i) =>
      record(i, {
        id: `${i}-${huge}`,
        error: i % 2 === 0 ? { message: huge, code: 'x' } : null,
        outputs: { answer: huge },
        assertions: [{ output: 'answer', op: 'equals', expected: huge, actual: huge, passed: false }],
        execution_detail_url: `https://app.vellum.ai/${huge}`,
      }),
    );
    const md = renderMarkdown(
      {
        ...failing,
        failed: 5_000,
        run_id: huge,
        workflow: { deployment_name: huge, deployment_id: huge, release_tag: huge },
        gate: { ...failing.gate, reasons: [huge, huge] },
        stopped: { reason: 'deadline', message: huge },
      },
      failures,
      { maxFailures: 5_000, title: huge, artifactUrl: `https://example.com/${huge}` },
    );
    expect(md.length).toBeLessThan(MARKDOWN_LIMIT);
    expect(md).toContain('| Total | 40 |');
    expect(md).toMatch(/… and \d+ more: see the results artifact\./);
    const shown = md.match(/^\| \d+-x+… \|/gm)?.length ?? 0;
    expect(shown).toBeGreaterThan(10);
    expect(md).toContain(`… and ${5_000 - shown} more`);
  });

  it('escapes case text so it cannot break the table or inject HTML', () => {
    const md = renderMarkdown({ ...failing, failed: 1 }, [
      record(0, {
        id: 'a|b`c`\n## heading <img src=x onerror=alert(1)> @octocat',
        status: 'REJECTED',
        assertions: [],
        error: { message: 'line1\nline2 | `code` <script>', code: 'x' },
        execution_detail_url: 'https://app.vellum.ai/a b)c',
      }),
    ]);
    const row = md.split('\n').find((line) => line.startsWith('| a'))!;
    expect(row).toBe(
      '| a\\|b\\`c\\` \\#\\# heading &lt;img src=x onerror=alert(1)&gt; &#64;octocat | REJECTED | line1 line2 \\| \\`code\\` &lt;script&gt; | [open](https://app.vellum.ai/a%20b%29c) |',
    );
    // Four unescaped cell separators plus the two borders: the row still has four columns.
    expect(row.replace(/\\\|/g, '').split('|').length).toBe(6);
    expect(md).not.toMatch(/<img|<script/);
  });

  it('shows a stopped run and drops links that are not http(s)', () => {
    const md = renderMarkdown(
      { ...failing, failed: 1, stopped: { reason: 'interrupted', message: 'SIGINT received' } },
      [record(0, { execution_detail_url: 'javascript:alert(1)' })],
      { artifactUrl: 'javascript:alert(1)' },
    );
    expect(md).toContain('> The run stopped early (interrupted): SIGINT received');
    expect(md).not.toContain('javascript:');
    expect(md).not.toContain('Download the results artifact');
  });

  it('skips the chart for an empty run', () => {
    const md = renderMarkdown(
      {
        ...passing,
        total: 0,
        passed: 0,
        fulfilled: 0,
        verdict: 'fail',
        latency_ms: { p50: null, p95: null, max: null },
        gate: { ...passing.gate, passed: false, reasons: ['only 0 cases ran, at least 1 required'] },
      },
      [],
    );
    expect(md.startsWith('## ❌ vellum-batch: fail — support-assistant')).toBe(true);
    expect(md).toContain('- only 0 cases ran, at least 1 required');
    expect(md).not.toContain('**Outcomes**');
    expect(md).toContain('**Latency** p50 – · p95 – · max –');
  });
});

describe('renderMarkdown: outcome colours', () => {
  const allFailed: Summary = {
    ...failing,
    passed: 0,
    failed: 40,
    fulfilled: 40,
    rejected: 0,
    errored: 0,
    timed_out: 0,
    failure_rate: 1,
    error_rate: 0,
  };

  it('draws a 100%-failure run in the failure colour, never green, and no Mermaid', () => {
    const md = renderMarkdown(allFailed, []);
    expect(md).toContain(`**Outcomes** ${'🟧'.repeat(20)}\n`);
    expect(md).toContain('🟧 failed expectations 40 (100%)');
    expect(md).not.toContain('🟩');
    expect(md).not.toContain('mermaid');
  });

  it('draws rejected and errored cases red (never green), whatever their share', () => {
    const rejected = renderMarkdown(
      { ...allFailed, fulfilled: 0, rejected: 30, errored: 10, submit_failed: 10 },
      [],
    );
    expect(rejected).toContain(`**Outcomes** ${'🟥'.repeat(20)}\n`);
    expect(rejected).toContain('🟥 rejected 30 (75%) · 🟥 errored 10 (25%)');
    expect(rejected).not.toMatch(/🟩|🟧/);
  });

  it('shows a single failure among 10,000 and never reads 100% passed short of all', () => {
    const md = renderMarkdown(
      { ...passing, total: 10_000, passed: 9_999, failed: 1, fulfilled: 9_999, rejected: 1, verdict: 'fail' },
      [],
    );
    expect(md).toContain(`**Outcomes** ${'🟩'.repeat(19)}🟥\n`);
    expect(md).toContain('🟩 passed 9999 (99.99%) · 🟥 rejected 1 (0.01%)');
  });
});

describe('renderMarkdown: links', () => {
  it('shows the short commit, the run and the artifact at the top, linked', () => {
    const md = renderMarkdown(passing, [], {
      commit: {
        sha: '0123456789abcdef0123456789abcdef01234567',
        url: 'https://github.com/o/r/commit/0123456789abcdef',
      },
      runUrl: 'https://github.com/o/r/actions/runs/42/attempts/2',
      artifactUrl: 'https://github.com/o/r/actions/runs/42/artifacts/7',
    });
    const lines = md.split('\n');
    expect(lines[4]).toBe(
      'Commit [0123456](https://github.com/o/r/commit/0123456789abcdef) · ' +
        '[Workflow run](https://github.com/o/r/actions/runs/42/attempts/2) · ' +
        '[Results artifact](https://github.com/o/r/actions/runs/42/artifacts/7)',
    );
  });

  it('shows an unlinked commit, and drops links that are not http(s)', () => {
    const md = renderMarkdown(passing, [], {
      commit: { sha: 'abcdef0123', url: 'javascript:alert(1)' },
      runUrl: 'javascript:alert(2)',
    });
    expect(md).toContain('\nCommit abcdef0\n');
    expect(md).not.toContain('javascript:');
    expect(md).not.toContain('Workflow run');
  });
});

describe('renderMarkdown: failures by reason', () => {
  it('groups errors by code and failed expectations by assertion, most cases first, with first ids', () => {
    const quota = (i: number): CaseRecord =>
      record(i, {
        status: 'REJECTED',
        assertions: [],
        error: { code: 'PROVIDER_QUOTA_EXCEEDED', message: 'quota exceeded for model x' },
      });
    const failures = [
      ...Array.from({ length: 12 }, (_, i) => quota(i)),
      record(20),
      record(21),
      record(22),
      record(23, { status: 'TIMED_OUT', assertions: [], error: null }),
    ];
    const md = renderMarkdown({ ...failing, failed: failures.length }, failures);
    expect(md).toContain(
      '### Failures by reason\n\n' +
        '- **REJECTED · PROVIDER\\_QUOTA\\_EXCEEDED** × 12: case-0, case-1, case-2, case-3, case-4, …' +
        ' (e.g. “quota exceeded for model x”)\n' +
        '- **answer contains "refund"** × 3: case-20, case-21, case-22\n' +
        '- **TIMED\\_OUT** × 1: case-23\n\n' +
        'A case that fails several expectations counts under each.\n',
    );
    expect(md.indexOf('### Failures by reason')).toBeLessThan(md.indexOf('### Failing cases'));
  });

  it('says when the groups come from only the first failing records', () => {
    const md = renderMarkdown({ ...failing, failed: 100 }, [record(0), record(1)]);
    expect(md).toContain('Among the first 2 of 100 failing cases:');
  });

  it('keeps 10,000 failing cases under the limit, with every case counted in its group', () => {
    const records = Array.from({ length: 10_000 }, (_, i) =>
      i % 4 === 0
        ? record(i, {
            id: `case-${i}-${'y'.repeat(70)}`,
            status: 'SUBMIT_FAILED',
            assertions: [],
            error: { code: `CODE_${(i / 4) % 40}`, message: 'z'.repeat(500) },
          })
        : record(i, {
            id: `case-${i}-${'y'.repeat(70)}`,
            assertions: [
              { output: 'answer', op: 'equals', expected: `value ${i}`, actual: 'no', passed: false },
            ],
          }),
    );
    const md = renderMarkdown({ ...failing, total: 10_000, failed: 10_000 }, records, {
      maxFailures: 10_000,
    });
    expect(md.length).toBeLessThan(MARKDOWN_LIMIT);
    expect(md).toContain('- **answer equals (many different expected values)** × 7500: ');
    expect(md).toMatch(/- \*\*SUBMIT\\_FAILED · CODE\\_0\*\* × 63: /);
    expect(md).toMatch(/- … and 26 more reasons \(\d+ cases\): see the results artifact/);
    const shown = md.match(/^\| case-\d+-y+ \|/gm)?.length ?? 0;
    expect(shown).toBeGreaterThan(50);
    expect(md).toContain(`… and ${10_000 - shown} more: see the results artifact.`);
  });
});

describe('escapeMarkdownInline', () => {
  it('escapes Markdown punctuation, HTML and mentions; folds line breaks', () => {
    expect(escapeMarkdownInline('*a* _b_ [c](d) ~e~ \\ `f` | <g> & @h\r\ni')).toBe(
      '\\*a\\* \\_b\\_ \\[c\\](d) \\~e\\~ \\\\ \\`f\\` \\| &lt;g&gt; &amp; &#64;h i',
    );
  });
});
