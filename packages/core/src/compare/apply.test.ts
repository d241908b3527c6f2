import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { meta, record, writeOutDir } from '../../test/baseline-fixtures.js';
import { readRecords } from '../report/jsonl.js';
import { MARKDOWN_LIMIT } from '../report/markdown.js';
import { writeReports } from '../report/write.js';
import type { CaseRecord, Summary } from '../types.js';
import { applyBaseline } from './apply.js';

let dir: string;
let base: string;
let out: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vb-apply-'));
  base = join(dir, 'base');
  out = join(dir, 'out');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const IDS = ['r1', 'r2', 'r3', 'r4', 'fixed', 'same-fail', 'same-pass'];

/** Baseline: r1..r4 and same-pass pass, fixed and same-fail fail. Now: r1..r4 fail, fixed passes. */
async function fourRegressionsOneFix(): Promise<void> {
  const before = (id: string, i: number): CaseRecord =>
    record(i, id, !['fixed', 'same-fail'].includes(id), `refund for ${id} (before)`);
  const now = (id: string, i: number): CaseRecord =>
    record(i, id, ['fixed', 'same-pass'].includes(id), `refund for ${id} (now)`.replace('refund', 'nothing'));
  await writeOutDir(base, IDS.map(before), meta({ runId: 'run-base' }));
  await writeOutDir(out, IDS.map(now));
}

async function records(): Promise<CaseRecord[]> {
  const all: CaseRecord[] = [];
  for await (const r of readRecords(join(out, 'results.jsonl'))) all.push(r);
  return all;
}

describe('applyBaseline', () => {
  it('rewrites results, summary, report and junit with the comparison, and gates on max new failures', async () => {
    await fourRegressionsOneFix();
    const result = await applyBaseline(out, base, {
      maxNewFailures: 0,
      baselineCommit: '0123456789abcdef',
      baselineRunUrl: 'https://github.com/acme/widgets/actions/runs/77',
    });
    expect(result.comparison).toMatchObject({ regressions: 4, fixes: 1, still_failing: 1, still_passing: 1 });
    expect(result.summary.verdict).toBe('fail');
    expect(result.summary.gate).toMatchObject({ max_new_failures: 0, passed: false });
    expect(result.summary.gate.reasons).toEqual([
      '4 cases regressed against the baseline (passed there, fail now), above the allowed 0: "r1", "r2", "r3", "r4"',
    ]);

    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as Summary;
    expect(summary.comparison?.regressed_ids).toEqual(['r1', 'r2', 'r3', 'r4']);
    expect(summary.comparison?.baseline).toMatchObject({
      run_id: 'run-base',
      commit: '0123456789abcdef',
      run_url: 'https://github.com/acme/widgets/actions/runs/77',
    });
    expect(summary.verdict).toBe('fail');

    expect((await records()).map((r) => [r.id, r.baseline])).toEqual(
      IDS.map((id) => [id, { status: 'FULFILLED', passed: !['fixed', 'same-fail'].includes(id) }]),
    );

    const junit = await readFile(join(out, 'junit.xml'), 'utf8');
    expect(junit.match(/message="REGRESSION: /g)).toHaveLength(4);
    expect(junit.match(/<property name="regression" value="true"\/>/g)).toHaveLength(4);
    expect(junit).toContain('<property name="baseline.passed" value="false"/>');

    const md = await readFile(join(out, 'report.md'), 'utf8');
    expect(md).toBe(result.markdown);
    expect(md).toContain(
      '**Compared with** [run run-base](https://github.com/acme/widgets/actions/runs/77) · commit ' +
        '[0123456](https://github.com/acme/widgets/commit/0123456789abcdef) · finished 2026-01-02 00:00 UTC · release tag LATEST',
    );
    expect(md).toContain(
      '**4 regressions** · 1 fix · 1 still failing · 1 still passing · 0 added · 0 removed',
    );
    for (const id of ['r1', 'r2', 'r3', 'r4']) {
      expect(md).toMatch(
        new RegExp(
          `\\| ${id} \\| FULFILLED \\| answer contains "refund" .*nothing for ${id} \\(now\\).*refund for ${id} \\(before\\)`,
        ),
      );
    }
    const order = ['### Regressions (4)', '### Fixes (1)', '### Failing cases (5)'].map((h) => md.indexOf(h));
    expect(order.every((at, i) => at > 0 && (i === 0 || at > order[i - 1]!))).toBe(true);
  });

  it('passes the gate at the threshold', async () => {
    await fourRegressionsOneFix();
    const result = await applyBaseline(out, base, { maxNewFailures: 4 });
    expect(result.summary).toMatchObject({ verdict: 'pass', gate: { passed: true, max_new_failures: 4 } });
  });

  it('keeps the comparison section when the report is written again (with the artifact link)', async () => {
    await fourRegressionsOneFix();
    const { summary } = await applyBaseline(out, base, {});
    await rm(base, { recursive: true });
    const { markdown } = await writeReports(out, summary, { artifactUrl: 'https://example.com/a/1' });
    expect(markdown).toMatch(/\| r3 \| FULFILLED \| .*refund for r3 \(before\)/);
    expect(markdown).toContain('[Download the results artifact](https://example.com/a/1)');
  });

  it('stays within GitHub comment size with thousands of long regressions', async () => {
    const ids = Array.from({ length: 3000 }, (_, i) => `case-${i}-${'x'.repeat(120)}`);
    const long = 'y'.repeat(5000);
    await writeOutDir(
      base,
      ids.map((id, i) => record(i, id, true, `refund ${long}`)),
    );
    await writeOutDir(
      out,
      ids.map((id, i) => record(i, id, false, long)),
    );
    const { markdown, comparison } = await applyBaseline(out, base, { maxNewFailures: 0 });
    expect(comparison.regressions).toBe(3000);
    expect(comparison.regressed_ids).toHaveLength(100);
    expect(markdown.length).toBeLessThan(MARKDOWN_LIMIT);
    expect(markdown).toContain('### Regressions (3000)');
    expect(markdown).toMatch(/… and \d+ more regressions: /);
  });

  it('names the out dir when it holds no run', async () => {
    await writeOutDir(base, [record(0, 'a', true)]);
    await expect(applyBaseline(join(dir, 'nothing'), base)).rejects.toThrow(
      `${join(dir, 'nothing')} holds no finished run to compare: ${join(dir, 'nothing', 'summary.json')} is missing`,
    );
  });
});
