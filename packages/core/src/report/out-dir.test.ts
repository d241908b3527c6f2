import { appendFile, mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JournalWriter } from '../engine/journal.js';
import type { CaseRecord } from '../types.js';
import { readRecords, serializeRecord } from './jsonl.js';
import { writeJunit } from './junit.js';
import { finishOutDir } from './out-dir.js';
import type { SummaryMeta } from './summary.js';
import { journalHeader } from '../../test/support/journal-fixtures.js';

const meta: SummaryMeta = {
  workflow: { deployment_name: 'support <assistant>', deployment_id: null, release_tag: 'LATEST' },
  shard: null,
  runId: 'run-1',
  externalIdPrefix: 'vb-x',
  dataset: { path: 'cases.jsonl', cases: 5 },
  startedAt: new Date('2026-01-01T00:00:00.000Z'),
  finishedAt: new Date('2026-01-01T00:00:30.000Z'),
  apiCalls: { submit: 5, status: 9, retries: 0 },
  stopped: null,
};

/** The header of a journal of `cases` cases of the run `meta` describes. */
const headerOf = (cases: number) =>
  journalHeader(cases, {
    run_id: meta.runId,
    external_id_prefix: meta.externalIdPrefix,
    workflow: meta.workflow,
    started_at: meta.startedAt.toISOString(),
  });

/** Records of every kind, with their keys in an order other than results.jsonl's. */
function records(): CaseRecord[] {
  const base = (index: number): CaseRecord => ({
    attempts: 1,
    index,
    id: `case-${index}`,
    external_id: `vb-x-case-${index}`,
    finished_at: '2026-01-01T00:00:02.000Z',
    execution_id: `exec-${index}`,
    submitted_at: '2026-01-01T00:00:00.000Z',
    status: 'FULFILLED',
    passed: true,
    outputs: { answer: `ok ${index}`, nested: { 'ü & <b>': [1, -0.5, null] } },
    error: null,
    assertions: [],
    latency_ms: 2000 + index,
    execution_detail_url: `https://app.vellum.ai/executions/${index}`,
  });
  return [
    base(0),
    {
      ...base(1),
      passed: false,
      assertions: [
        { passed: false, actual: 'no', expected: 'refund', op: 'contains', output: 'answer' },
        { output: 'missing', op: 'exists', expected: true, actual: undefined, passed: false },
      ],
    },
    {
      ...base(2),
      status: 'REJECTED',
      passed: false,
      outputs: null,
      error: { code: 'NODE_EXECUTION', message: 'boom "quoted"\n\tsecond line' },
    },
    {
      ...base(4),
      status: 'CANCELLED',
      passed: false,
      outputs: null,
      error: { code: 'INTERRUPTED', message: 'not submitted: stopped' },
      latency_ms: null,
      execution_id: null,
      submitted_at: null,
      execution_detail_url: null,
    },
  ];
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vb-out-dir-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function files(out: string): Promise<Record<string, string>> {
  const names = (await readdir(out)).filter((n) => n !== 'journal.jsonl').sort();
  const read = await Promise.all(names.map(async (n) => [n, await readFile(join(out, n), 'utf8')] as const));
  return Object.fromEntries(read);
}

describe('finishOutDir', () => {
  it('writes from the journal lines exactly what it writes from the records', async () => {
    const fromRecords = join(dir, 'records');
    const fromJournal = join(dir, 'journal');
    await Promise.all([mkdir(fromRecords), mkdir(fromJournal)]);
    const all = records();
    await finishOutDir(fromRecords, all, meta);

    const journal = JournalWriter.create(join(fromJournal, 'journal.jsonl'), headerOf(5));
    // Out of order, one replaced, one provisional: the latest record of each case counts, in index order.
    journal.record({ ...all[2]!, id: 'replaced' });
    journal.record(all[3]!, true);
    for (const record of all.slice(0, 3)) journal.record(record);
    await finishOutDir(fromJournal, journal.records(), meta);
    journal.close();

    const a = await files(fromRecords);
    const b = await files(fromJournal);
    expect(Object.keys(a)).toEqual(['junit.xml', 'report.md', 'results.jsonl', 'summary.json']);
    expect(b).toEqual(a);
    expect(a['results.jsonl']).toBe(all.map((r) => `${serializeRecord(r)}\n`).join(''));
  });

  it('writes the junit.xml that writeJunit writes from results.jsonl', async () => {
    const { summary } = await finishOutDir(dir, records(), meta);
    const expected = join(dir, 'expected.xml');
    await writeJunit(expected, readRecords(join(dir, 'results.jsonl')), summary);
    const junit = await readFile(join(dir, 'junit.xml'), 'utf8');
    expect(junit).toBe(await readFile(expected, 'utf8'));
    expect(junit).toContain('tests="4" failures="2" errors="1"');
    expect(junit).toContain('classname="support &lt;assistant&gt;"');
  });

  it('copies journal lines written by an earlier process through serializeRecord', async () => {
    const path = join(dir, 'journal.jsonl');
    const header = headerOf(5);
    const first = JournalWriter.create(path, header);
    first.close();
    // A record line as an older version wrote it: the record's own key order.
    const old = records()[1]!;
    const line = `${JSON.stringify({ t: 'rec', i: old.index, r: old })}\n`;
    const offset = (await stat(path)).size;
    await appendFile(path, line);
    const bytes = Buffer.byteLength(line);
    const reopened = JournalWriter.reopen(path, offset + bytes, 5);
    reopened.indexRecord(old.index, offset, bytes - 1);
    reopened.record(records()[0]!);
    await finishOutDir(dir, reopened.records(), meta);
    reopened.close();
    const results = await readFile(join(dir, 'results.jsonl'), 'utf8');
    expect(results).toBe(`${serializeRecord(records()[0]!)}\n${serializeRecord(old)}\n`);
  });

  it('reads journal lines in any order through its window: shuffled, sizes from bytes to 2 MB', async () => {
    const journal = JournalWriter.create(join(dir, 'journal.jsonl'), headerOf(3_000));
    const all = Array.from({ length: 3_000 }, (_, i) => ({
      ...records()[0]!,
      index: i,
      id: `c${i}`,
      outputs: { answer: 'x'.repeat(i === 1_500 ? 2_000_000 : (i * 7919) % 5_000) },
    }));
    // Sequential stretches, then a scatter: the window grows and shrinks.
    const order = all.map((_, i) => (i < 1_000 ? i : 1_000 + ((i * 389) % 2_000)));
    for (const i of order) journal.record(all[i]!);
    await finishOutDir(dir, journal.records(), { ...meta, dataset: { path: 'cases.jsonl', cases: 3_000 } });
    journal.close();
    const results = await readFile(join(dir, 'results.jsonl'), 'utf8');
    expect(results).toBe(all.map((r) => `${serializeRecord(r)}\n`).join(''));
  });

  it('leaves no temporary file when the records fail', async () => {
    function* broken(): Generator<CaseRecord> {
      yield records()[0]!;
      throw new Error('journal unreadable');
    }
    await expect(finishOutDir(dir, broken(), meta)).rejects.toThrow('journal unreadable');
    expect(await readdir(dir)).toEqual([]);
  });

  it('writes records much larger than its buffer', async () => {
    const big = { ...records()[0]!, outputs: { answer: 'é'.repeat(1_500_000) } };
    await finishOutDir(dir, [big, records()[1]!], meta);
    const lines = (await readFile(join(dir, 'results.jsonl'), 'utf8')).split('\n');
    expect(lines[0]).toBe(serializeRecord(big));
    expect(lines[1]).toBe(serializeRecord(records()[1]!));
    expect(await readFile(join(dir, 'junit.xml'), 'utf8')).toContain('name="case-1"');
  });
});
