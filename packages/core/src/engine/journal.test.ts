import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JournalWriter } from './journal.js';
import { EmptyJournalError, readJournal } from './replay.js';
import { journalHeader, journalRecord as record } from '../../test/support/journal-fixtures.js';

let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vb-journal-'));
  path = join(dir, 'journal.jsonl');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const header = journalHeader(4);

describe('JournalWriter and readJournal', () => {
  it('writes intent, submit and record lines and reads records back in index order', async () => {
    const journal = JournalWriter.create(path, header);
    journal.intent(2, 'vb-r1-c2');
    journal.intent(0, 'vb-r1-c0');
    await journal.durable();
    journal.submitted(2, 'e2', new Date('2026-11-28T10:00:01Z'));
    journal.submitted(0, 'e0', new Date('2026-11-28T10:00:01Z'));
    journal.record(record(2));
    journal.record(record(0, false));
    expect([...journal.records()].map((r) => r.index)).toEqual([0, 2]);
    expect([...journal.records()][1]?.outputs).toEqual({ answer: 'a2' });
    journal.close();

    const state = await readJournal(path);
    expect(state.header).toEqual(header);
    expect([...state.records.keys()].sort()).toEqual([0, 2]);
    expect(state.records.get(0)?.passed).toBe(false);
    expect(state.submitted.size).toBe(0);
    expect(state.externalIds.get(2)).toBe('vb-r1-c2');
  });

  it('reads back records with multi-byte text at their byte offsets, within one flush and across flushes', async () => {
    const journal = JournalWriter.create(path, header);
    const wide = (index: number) => ({
      ...record(index),
      outputs: { answer: `é ✓ 😀 ${'ü'.repeat(index + 1)}` },
    });
    journal.record(wide(1));
    journal.record(wide(0));
    await journal.durable();
    journal.record(wide(3));
    journal.record(record(2));
    expect(journal.recordAt(1)).toEqual(wide(1));
    expect(journal.recordAt(3)).toEqual(wide(3));
    expect([...journal.records()]).toEqual([wide(0), wide(1), record(2), wide(3)]);
    journal.close();
    // A resume finds each record at the same byte offset and length.
    const bytes = await readFile(path);
    const at = (await readJournal(path)).records.get(3)!;
    expect(JSON.parse(bytes.subarray(at.offset, at.offset + at.length).toString('utf8')).r).toEqual(wide(3));
  });

  it('reads a journal cut mid-line: the torn line is ignored and cut off when appending again', async () => {
    const journal = JournalWriter.create(path, header);
    journal.intent(0, 'vb-r1-c0');
    journal.submitted(0, 'e0', new Date('2026-11-28T10:00:01Z'));
    journal.intent(1, 'vb-r1-c1');
    journal.close();
    await appendFile(path, '{"t":"sub","i":1,"exec":"e1","at":"2026-11');
    const state = await readJournal(path);
    expect([...state.submitted.entries()]).toEqual([
      [0, { executionId: 'e0', at: Date.parse('2026-11-28T10:00:01Z'), externalId: 'vb-r1-c0' }],
    ]);
    expect(state.externalIds.has(1)).toBe(true);

    const reopened = JournalWriter.reopen(path, state.validBytes, 4);
    reopened.record(record(0));
    reopened.close();
    const lines = (await readFile(path, 'utf8')).trim().split('\n');
    expect(lines.every((line) => JSON.parse(line) !== null)).toBe(true);
    expect(lines.at(-1)).toContain('"t":"rec"');
    expect((await readJournal(path)).records.has(0)).toBe(true);
  });

  it('refuses a journal damaged in the middle, naming the line', async () => {
    await writeFile(
      path,
      `${JSON.stringify(header)}\nnot json\n${JSON.stringify({ t: 'intent', i: 0, ext: 'x' })}\n`,
    );
    await expect(readJournal(path)).rejects.toThrow(`${path}:2: not valid JSON; the journal is damaged`);
  });

  it('calls a journal without a header empty', async () => {
    await writeFile(path, '');
    await expect(readJournal(path)).rejects.toBeInstanceOf(EmptyJournalError);
    await writeFile(path, '{"t":"run","v":1,"run_id"');
    await expect(readJournal(path)).rejects.toBeInstanceOf(EmptyJournalError);
  });
});
