/** How records carrying `repeats` read back and show in `summary.json`, `report.md` and `junit.xml`. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CaseRecord, CaseStatus, RepeatResult, Summary } from '../types.js';
import { parseRecord, serializeRecord } from './jsonl.js';
import { writeJunit } from './junit.js';
import { MARKDOWN_LIMIT, renderMarkdown } from './markdown.js';
import { SummaryBuilder } from './summary.js';
import type { SummaryMeta } from './summary.js';

function run(
  k: number,
  passed: boolean,
  status: CaseStatus = passed ? 'FULFILLED' : 'REJECTED',
): RepeatResult {
  return { execution_id: `e-${k}`, external_id: `vb-x-a-r${k}`, status, passed, latency_ms: 10 * k };
}

function record(index: number, repeats: RepeatResult[], passed: boolean, id = `case-${index}`): CaseRecord {
  return {
    index,
    id,
    external_id: repeats[0]!.external_id,
    execution_id: repeats[0]!.execution_id,
    status: repeats[0]!.status,
    passed,
    outputs: null,
    error: passed ? null : { code: 'NODE_EXECUTION', message: 'no' },
    assertions: [],
    attempts: 1,
    submitted_at: '2026-01-01T00:00:00.000Z',
    finished_at: '2026-01-01T00:00:01.000Z',
    latency_ms: 10,
    execution_detail_url: null,
    repeats,
  };
}

const meta: SummaryMeta = {
  workflow: { deployment_name: 'wf', deployment_id: null, release_tag: 'LATEST' },
  shard: null,
  runId: 'run-1',
  externalIdPrefix: 'vb-x-',
  dataset: { path: 'cases.jsonl', cases: 3 },
  startedAt: new Date('2026-01-01T00:00:00.000Z'),
  finishedAt: new Date('2026-01-01T00:00:02.000Z'),
  apiCalls: { submit: 9, status: 9, retries: 0 },
  stopped: null,
  gate: { maxFailureRate: 1 },
  repeat: { count: 3, min_pass: 2 },
};

const flakyPass = record(0, [run(1, false), run(2, true), run(3, true)], true);
const steady = record(1, [run(1, true), run(2, true), run(3, true)], true);
const flakyFail = record(2, [run(1, true), run(2, false, 'TIMED_OUT'), run(3, false)], false);
const cancelled = record(3, [run(1, true), run(2, true), run(3, false, 'CANCELLED')], true);

function summaryOf(records: readonly CaseRecord[], m: SummaryMeta = meta): Summary {
  const builder = new SummaryBuilder();
  for (const r of records) builder.add(r);
  return builder.build(m);
}

describe('records with repeats', () => {
  it('round-trip through results.jsonl, repeats after the SPEC keys', () => {
    const line = serializeRecord(flakyPass);
    expect(Object.keys(JSON.parse(line) as object).slice(-1)).toEqual(['repeats']);
    expect(parseRecord(line)).toEqual(flakyPass);
    expect(() =>
      parseRecord(
        line.replace('"status":"REJECTED","passed":false,"latency', '"status":"X","passed":false,"latency'),
      ),
    ).toThrow(/repeats\.0\.status/);
  });

  it('give summary.json repeat, flaky and flaky_ids (a cancelled repeat counts for neither side)', () => {
    expect(summaryOf([flakyPass, steady, flakyFail, cancelled])).toMatchObject({
      total: 4,
      passed: 3,
      repeat: { count: 3, min_pass: 2 },
      flaky: 2,
      flaky_ids: ['case-0', 'case-2'],
    });
    const { repeat: _repeat, ...plain } = meta;
    const without = summaryOf([flakyPass], plain);
    expect(['repeat', 'flaky', 'flaky_ids'].some((key) => key in without)).toBe(false);
  });

  it('list the flaky cases in report.md with their repeats, and say how cases were repeated', () => {
    const summary = summaryOf([flakyPass, steady, flakyFail]);
    const md = renderMarkdown(summary, [flakyFail], { flaky: [flakyPass, flakyFail] });
    expect(md).toContain(
      '**Repeats** each case ran 3 times; it passes when 2 of them passed · **Flaky** 2 cases (repeats disagreed)',
    );
    expect(md).toContain(
      '### Flaky cases (2)\n\n| Case | Verdict | Repeats passed | Repeats |\n|---|---|---:|---|\n' +
        '| case-0 | passed | 2/3 | REJECTED, pass, pass |\n| case-2 | failed | 1/3 | pass, TIMED\\_OUT, REJECTED |\n',
    );
    // Without the records, the ids from the summary.
    expect(renderMarkdown(summary, [])).toContain('| case-0 | | | |');
    expect(renderMarkdown(summaryOf([steady]), [])).not.toContain('### Flaky cases');
  });

  it('keep report.md under its limit with many long flaky cases, naming how many are left out', () => {
    const many = Array.from({ length: 500 }, (_, i) =>
      record(
        i,
        Array.from({ length: 100 }, (_, k) => run(k + 1, k % 2 === 0)),
        false,
        `${'x'.repeat(300)}-${i}`,
      ),
    );
    const summary = summaryOf(many);
    const md = renderMarkdown(summary, many, { flaky: many });
    expect(md.length).toBeLessThanOrEqual(MARKDOWN_LIMIT);
    expect(md).toContain('### Flaky cases (500)');
    expect(md).toContain('… and 480 more: see the results artifact.');
  });

  describe('in junit.xml', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'vb-junit-repeats-'));
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('carry flaky and repeat counts as properties and a line per repeat', async () => {
      const file = join(dir, 'junit.xml');
      const records = [flakyPass, steady];
      await writeJunit(file, each(records), summaryOf(records));
      const xml = await readFile(file, 'utf8');
      expect(xml).toContain(
        '<testcase classname="wf" name="case-0" time="0.010">\n      <properties>\n' +
          '        <property name="flaky" value="true"/>\n        <property name="repeats.count" value="3"/>\n' +
          '        <property name="repeats.passed" value="2"/>\n      </properties>\n',
      );
      expect(xml).toContain('repeat 1: REJECTED, failed, execution id e-1, external id vb-x-a-r1\n');
      expect(xml.match(/name="flaky"/g)).toHaveLength(1);
    });
  });
});

async function* each(records: readonly CaseRecord[]): AsyncGenerator<CaseRecord> {
  for (const record of records) yield await Promise.resolve(record);
}
