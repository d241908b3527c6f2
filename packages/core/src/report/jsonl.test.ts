import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CaseRecord } from '../types.js';
import { parseRecord, readRecords, serializeRecord } from './jsonl.js';

const full: CaseRecord = {
  index: 0,
  id: 'refund-1',
  external_id: 'vb-7f3a-refund-1',
  execution_id: '4f9c',
  status: 'FULFILLED',
  passed: false,
  outputs: { answer: 'We sent it.\nBye', score: 0.5 },
  error: null,
  assertions: [
    { output: 'answer', op: 'contains', expected: 'refund', actual: 'We sent it.\nBye', passed: false },
    { output: 'missing', op: 'exists', expected: true, actual: undefined, passed: false },
    { output: 'answer', op: 'matches', expected: '[', actual: 'x', passed: false, message: 'bad regex' },
  ],
  attempts: 1,
  submitted_at: '2026-11-28T10:00:00.000Z',
  finished_at: '2026-11-28T10:00:04.120Z',
  latency_ms: 4120,
  execution_detail_url: 'https://app.vellum.ai/x',
};

const errored: CaseRecord = {
  ...full,
  index: 1,
  id: 'late',
  execution_id: null,
  status: 'SUBMIT_FAILED',
  outputs: null,
  error: { message: 'server answered 503', code: 'server' },
  assertions: [],
  submitted_at: null,
  latency_ms: null,
  execution_detail_url: null,
};

async function collect(iterable: AsyncIterable<CaseRecord>): Promise<CaseRecord[]> {
  const out: CaseRecord[] = [];
  for await (const r of iterable) out.push(r);
  return out;
}

describe('serializeRecord', () => {
  it('writes one line with the keys in SPEC order', () => {
    const line = serializeRecord(full);
    expect(line).not.toContain('\n');
    expect(Object.keys(JSON.parse(line) as object)).toEqual([
      'index',
      'id',
      'external_id',
      'execution_id',
      'status',
      'passed',
      'outputs',
      'error',
      'assertions',
      'attempts',
      'submitted_at',
      'finished_at',
      'latency_ms',
      'execution_detail_url',
    ]);
  });

  it('omits an undefined actual and keeps nulls', () => {
    const parsed = JSON.parse(serializeRecord(full)) as { assertions: Record<string, unknown>[] };
    expect(Object.keys(parsed.assertions[0]!)).toEqual(['output', 'op', 'expected', 'actual', 'passed']);
    expect('actual' in parsed.assertions[1]!).toBe(false);
    expect(parsed.assertions[2]!.message).toBe('bad regex');
    expect(JSON.parse(serializeRecord(errored))).toMatchObject({
      execution_id: null,
      latency_ms: null,
      outputs: null,
    });
  });
});

describe('parseRecord', () => {
  it('round-trips a record', () => {
    expect(parseRecord(serializeRecord(full))).toEqual(full);
    expect(parseRecord(serializeRecord(errored))).toEqual(errored);
  });

  it('names the bad field', () => {
    const bad = serializeRecord(full).replace('"FULFILLED"', '"DONE"');
    expect(() => parseRecord(bad)).toThrow(/^not a valid record: status: /);
    expect(() => parseRecord('{')).toThrow(/^not valid JSON/);
  });
});

describe('readRecords', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vb-jsonl-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('streams the records back, skipping blank lines', async () => {
    const file = join(dir, 'results.jsonl');
    await writeFile(file, `${serializeRecord(full)}\n\n${serializeRecord(errored)}\r\n`);
    expect(await collect(readRecords(file))).toEqual([full, errored]);
  });

  it('throws an error naming the file and the line', async () => {
    const file = join(dir, 'results.jsonl');
    await writeFile(file, `${serializeRecord(full)}\n${JSON.stringify({ index: 'one' })}\n`);
    await expect(collect(readRecords(file))).rejects.toThrow(`${file}:2: not a valid record: index: `);
  });

  it('stops early without error when the consumer breaks', async () => {
    const file = join(dir, 'results.jsonl');
    await writeFile(file, `${serializeRecord(full)}\nnot json\n`);
    let seen = 0;
    for await (const r of readRecords(file)) {
      seen += 1;
      expect(r.id).toBe('refund-1');
      break;
    }
    expect(seen).toBe(1);
  });
});
