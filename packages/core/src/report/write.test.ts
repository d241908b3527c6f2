import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CaseRecord, Summary } from '../types.js';
import { serializeRecord } from './jsonl.js';
import { SummaryBuilder } from './summary.js';
import type { SummaryMeta } from './summary.js';
import { writeReports } from './write.js';

function record(index: number, passed: boolean): CaseRecord {
  return {
    index,
    id: `case-${index}`,
    external_id: `vb-x-case-${index}`,
    execution_id: `exec-${index}`,
    status: passed || index % 2 === 0 ? 'FULFILLED' : 'REJECTED',
    passed,
    outputs: { answer: passed ? 'refund sent' : 'no' },
    error: passed || index % 2 === 0 ? null : { message: `rejected ${index}`, code: 'NODE' },
    assertions: [
      { output: 'answer', op: 'contains', expected: 'refund', actual: passed ? 'refund sent' : 'no', passed },
    ],
    attempts: 1,
    submitted_at: '2026-01-01T00:00:00.000Z',
    finished_at: '2026-01-01T00:00:02.000Z',
    latency_ms: 2000 + index,
    execution_detail_url: `https://app.vellum.ai/executions/${index}`,
  };
}

const meta: SummaryMeta = {
  workflow: { deployment_name: 'support-assistant', deployment_id: null, release_tag: 'LATEST' },
  shard: null,
  runId: 'run-1',
  externalIdPrefix: 'vb-x',
  dataset: { path: 'cases.jsonl', cases: 120 },
  startedAt: new Date('2026-01-01T00:00:00.000Z'),
  finishedAt: new Date('2026-01-01T00:00:30.000Z'),
  apiCalls: { submit: 120, status: 200, retries: 0 },
  stopped: null,
  gate: { maxFailureRate: 0.5 },
};

describe('writeReports', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vb-write-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes summary.json, report.md and junit.xml from results.jsonl', async () => {
    const records = Array.from({ length: 120 }, (_, i) => record(i, i % 3 !== 0));
    await writeFile(join(dir, 'results.jsonl'), records.map((r) => `${serializeRecord(r)}\n`).join(''));
    const builder = new SummaryBuilder();
    records.forEach((r) => builder.add(r));
    const summary = builder.build(meta);

    const { markdown } = await writeReports(dir, summary, {
      maxFailures: 10,
      artifactUrl: 'https://x.test/a/1',
      commit: { sha: 'feedface00', url: 'https://x.test/c/feedface00' },
      runUrl: 'https://x.test/runs/5/attempts/1',
    });

    expect((await readdir(dir)).sort()).toEqual(['junit.xml', 'report.md', 'results.jsonl', 'summary.json']);
    const summaryText = await readFile(join(dir, 'summary.json'), 'utf8');
    expect(summaryText).toBe(`${JSON.stringify(summary, null, 2)}\n`);
    expect((JSON.parse(summaryText) as Summary).failed).toBe(40);

    expect(await readFile(join(dir, 'report.md'), 'utf8')).toBe(markdown);
    expect(markdown.startsWith('## ✅ vellum-batch: pass — support-assistant')).toBe(true);
    expect(markdown.match(/^\| case-\d+ \|/gm)).toEqual([
      '| case-0 |',
      '| case-3 |',
      '| case-6 |',
      '| case-9 |',
      '| case-12 |',
      '| case-15 |',
      '| case-18 |',
      '| case-21 |',
      '| case-24 |',
      '| case-27 |',
    ]);
    expect(markdown).toContain('| case-3 | REJECTED | rejected 3 |');
    expect(markdown).toContain('… and 30 more: see the results artifact.');
    expect(markdown).toContain('[Download the results artifact](https://x.test/a/1)');
    expect(markdown).toContain(
      'Commit [feedfac](https://x.test/c/feedface00) · [Workflow run](https://x.test/runs/5/attempts/1)',
    );
    // Grouped over all 40 failures, not only the 10 listed.
    expect(markdown).toContain(
      '- **answer contains "refund"** × 20: case-0, case-6, case-12, case-18, case-24, …\n' +
        '- **REJECTED · NODE** × 20: case-3, case-9, case-15, case-21, case-27, … (e.g. “rejected 3”)\n',
    );
    expect(markdown).not.toContain('Among the first');

    const xml = await readFile(join(dir, 'junit.xml'), 'utf8');
    expect(xml.match(/<testcase /g)?.length).toBe(120);
    expect(xml.match(/<failure /g)?.length).toBe(40);
  });

  it('writes the reports of a run without results.jsonl', async () => {
    const summary = new SummaryBuilder().build({ ...meta, stopped: { reason: 'fatal', message: 'bad key' } });
    const { markdown } = await writeReports(dir, summary);
    expect(markdown).toContain('## ❌ vellum-batch: fail');
    expect(markdown).toContain('- only 0 cases ran, at least 1 required');
    const xml = await readFile(join(dir, 'junit.xml'), 'utf8');
    expect(xml).toContain('tests="0" failures="0" errors="0"');
    expect(xml).not.toContain('<testcase');
    expect((await readdir(dir)).sort()).toEqual(['junit.xml', 'report.md', 'summary.json']);
  });

  it('fails on a bad results line, naming it, and leaves no temporary file', async () => {
    await writeFile(join(dir, 'results.jsonl'), `${serializeRecord(record(0, true))}\n{"index": -1}\n`);
    const summary = new SummaryBuilder().build(meta);
    await expect(writeReports(dir, summary)).rejects.toThrow(
      `${join(dir, 'results.jsonl')}:2: not a valid record`,
    );
    expect((await readdir(dir)).sort()).toEqual(['results.jsonl', 'summary.json']);
  });
});
