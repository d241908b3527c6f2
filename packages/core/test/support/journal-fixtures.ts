/**
 * A journal header and case records for the unit tests of the journal, the lander and the out dir (they build
 * journals by hand, without a run).
 */
import type { JournalHeader } from '../../src/engine/journal.js';
import type { CaseRecord } from '../../src/types.js';

/** The header of a journal of `cases` cases (run `r1`, prefix `vb-r1-`, deployment `wf`); `overrides` replace fields. */
export function journalHeader(cases: number, overrides: Partial<JournalHeader> = {}): JournalHeader {
  return {
    t: 'run',
    v: 1,
    run_id: 'r1',
    external_id_prefix: 'vb-r1-',
    dataset: { path: 'cases.jsonl', cases },
    workflow: { deployment_name: 'wf', deployment_id: null, release_tag: 'LATEST' },
    shard: null,
    started_at: '2026-11-28T10:00:00.000Z',
    ...overrides,
  };
}

/** Case `c{index}`'s record under that header: fulfilled with execution `e{index}`, or rejected. */
export function journalRecord(index: number, passed = true): CaseRecord {
  return {
    index,
    id: `c${index}`,
    external_id: `vb-r1-c${index}`,
    execution_id: `e${index}`,
    status: passed ? 'FULFILLED' : 'REJECTED',
    passed,
    outputs: passed ? { answer: `a${index}` } : null,
    error: passed ? null : { code: 'X', message: 'no' },
    assertions: [],
    attempts: 1,
    submitted_at: '2026-11-28T10:00:01.000Z',
    finished_at: '2026-11-28T10:00:02.000Z',
    latency_ms: 1000,
    execution_detail_url: null,
  };
}
