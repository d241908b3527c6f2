import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FlightTable } from './flights.js';
import { JournalWriter } from './journal.js';
import { createLander } from './landing.js';
import type { RunEvent } from './options.js';
import { journalHeader, journalRecord as record } from '../../test/support/journal-fixtures.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vb-landing-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function setUp() {
  const journal = JournalWriter.create(join(dir, 'journal.jsonl'), journalHeader(2));
  const flights = new FlightTable(2, () => ({ running: 0, queued: 0 }));
  const events: RunEvent[] = [];
  const lander = createLander(journal, flights, (event) => events.push(event), null);
  lander.land({ record: record(0), provisional: false }, 0);
  lander.land({ record: record(1), provisional: false }, 1);
  return { journal, flights, events, lander };
}

const refused = { code: 'DUPLICATE_EXECUTION_ID', message: 'not its own' };

describe('Lander.supersede', () => {
  it("replaces the record that holds the execution with a refused one, in the journal's latest record and the counts", () => {
    const { journal, events, lander } = setUp();
    const old = lander.supersede(1, 'e1', () => refused, Date.parse('2026-12-03T10:00:05.000Z'));
    expect(old).toEqual(record(1));
    const latest = [...journal.records()];
    expect(latest[0]).toEqual(record(0));
    expect(latest[1]).toEqual({
      ...record(1),
      execution_id: null,
      status: 'SUBMIT_FAILED',
      passed: false,
      outputs: null,
      error: refused,
      finished_at: '2026-12-03T10:00:05.000Z',
      latency_ms: null,
    });
    expect(events.at(-1)).toMatchObject({
      type: 'record',
      record: latest[1],
      progress: { finished: 2, passed: 1 },
    });
    journal.close();
  });

  it('replaces nothing when the record holds another execution (a collision of the landed ids\u2019 hashes)', () => {
    const { journal, flights, events, lander } = setUp();
    expect(lander.supersede(1, 'e7', () => refused, Date.now())).toBe('other');
    expect([...journal.records()]).toEqual([record(0), record(1)]);
    expect(events).toHaveLength(2);
    expect(flights.progress()).toMatchObject({ finished: 2, passed: 2 });
    journal.close();
  });
});
