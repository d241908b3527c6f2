/**
 * Hostile submit answers through the real CLI process (issue 16): the execution is created, then the answer is garbled,
 * never sent, padded to 100 MB, or names another case's execution. Counted on the fake's store, the ground truth:
 * every case has one correct record, no execution is lost or doubled, and `--retry-failed` doubles nothing.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeVellum } from '@vellum-batch/testkit';
import {
  executionsByExternalId,
  expectOneExecutionPerRecord,
  readRows,
  runArgs,
  runHostileCli,
  startFake,
  writeCases,
} from './hostile-support.js';

let dir: string;
let fake: FakeVellum | null = null;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vb-hostile-submit-'));
});
afterEach(async () => {
  await fake?.close();
  fake = null;
  await rm(dir, { recursive: true, force: true });
});

/** Every 10th case is rejected by the fake, so `--retry-failed` has cases to run again. */
const rejectEveryTenth = (i: number): Record<string, unknown> =>
  i % 10 === 3 ? { fake_reject: 'flaky' } : {};

describe.each([
  { fault: 'garbleSubmitAfterAcceptRate', counter: 'garbledSubmits', env: {} },
  // The client's total deadline of one request, shortened so a held answer times out in 2 s instead of 30 s.
  {
    fault: 'submitTimeoutAfterAcceptRate',
    counter: 'heldSubmits',
    env: { VELLUM_BATCH_REQUEST_TIMEOUT: '2s' },
  },
] as const)('10% of submits accepted, then answered with $fault', ({ fault, counter, env }) => {
  it('gives every case one correct record, loses and doubles no execution; --retry-failed doubles nothing', async () => {
    fake = await startFake({ seed: 16, faults: { [fault]: 0.1 } });
    const dataset = join(dir, 'cases.jsonl');
    await writeCases(dataset, 200, rejectEveryTenth);
    const out = join(dir, 'out');

    const first = await runHostileCli(runArgs(fake, dataset, out, '--concurrency', '50'), { env });
    expect(first.code, first.stderr).toBe(1);
    const hostile = fake.stats.faultsInjected[counter];
    expect(hostile).toBeGreaterThanOrEqual(10);
    const rows = await readRows(out);
    expectOneExecutionPerRecord(fake, rows, 200);
    expect(fake.stats.executionsCreated).toBe(200);
    for (const row of rows) {
      expect(row.status, `${row.id}: ${row.error?.message}`).toBe(
        row.index % 10 === 3 ? 'REJECTED' : 'FULFILLED',
      );
      expect(row.passed).toBe(row.index % 10 !== 3);
      expect(row.attempts).toBe(1);
    }

    // Only the 20 rejected cases run again, under new external ids; the hostile answers go on.
    const again = await runHostileCli(runArgs(fake, dataset, out, '--retry-failed', '--concurrency', '50'), {
      env,
    });
    expect(again.code, again.stderr).toBe(1);
    expect(fake.stats.faultsInjected[counter]).toBeGreaterThanOrEqual(hostile);
    const retried = await readRows(out);
    expect(fake.stats.executionsCreated).toBe(220);
    const counts = executionsByExternalId(fake);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    for (const row of retried) {
      const before = rows[row.index]!;
      if (before.passed) {
        expect(row).toEqual(before);
      } else {
        expect(row.attempts).toBe(2);
        expect(row.external_id).not.toBe(before.external_id);
        expect(row.execution_id).toBe(fake.byExternalId(row.external_id)!.id);
        expect(row.status).toBe('REJECTED');
      }
    }
  });
});

describe('submits answered with another case’s execution id (10%)', () => {
  it('adopts none: the case is SUBMIT_FAILED with DUPLICATE_EXECUTION_ID, the rest correct; --retry-failed starts it once', async () => {
    fake = await startFake({ seed: 7, faults: { duplicateExecutionIdRate: 0.1 } });
    const dataset = join(dir, 'cases.jsonl');
    await writeCases(dataset, 200);
    const out = join(dir, 'out');
    const first = await runHostileCli(runArgs(fake, dataset, out, '--concurrency', '50'));
    expect(first.code, first.stderr).toBe(1);
    const duplicates = fake.stats.faultsInjected.duplicateIds;
    expect(duplicates).toBeGreaterThanOrEqual(10);
    const rows = await readRows(out);
    expect(rows.map((r) => r.index)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    const refused = rows.filter((r) => r.status === 'SUBMIT_FAILED');
    expect(refused).toHaveLength(duplicates);
    for (const row of refused) {
      expect(row.error?.code).toBe('DUPLICATE_EXECUTION_ID');
      expect(row.error?.message).toMatch(
        /^Vellum answered execution id \S+ for external id \S+, but that is the execution of (case c-\d+|the case at index \d+, already recorded); not adopted$/,
      );
      expect(fake.byExternalId(row.external_id)).toBeUndefined();
    }
    // Every record that names an execution names its own.
    for (const row of rows.filter((r) => r.status !== 'SUBMIT_FAILED')) {
      expect(row.passed, row.id).toBe(true);
      expect(row.execution_id).toBe(fake.byExternalId(row.external_id)!.id);
    }
    expect(fake.stats.executionsCreated).toBe(200 - duplicates);

    fake.setFaults({ duplicateExecutionIdRate: 0 });
    const again = await runHostileCli(runArgs(fake, dataset, out, '--retry-failed'));
    expect(again.code, again.stderr).toBe(0);
    expect(fake.stats.executionsCreated).toBe(200);
    expectOneExecutionPerRecord(fake, await readRows(out), 200);
  });
});

describe('100 MB submit answers', () => {
  it('keeps the CLI under 300 MB of RSS and reconciles every case by external id, none doubled', async () => {
    // Content-length declared on one answer, chunked without one on the next: the client must count bytes itself.
    fake = await startFake({ faults: { oversizeSubmitBytes: 100 * 1024 * 1024 } });
    const dataset = join(dir, 'cases.jsonl');
    await writeCases(dataset, 32);
    const out = join(dir, 'out');
    const rssFile = join(dir, 'max-rss');
    const result = await runHostileCli(runArgs(fake, dataset, out, '--concurrency', '32'), {
      maxRssFile: rssFile,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(fake.stats.faultsInjected.oversizedSubmits).toBe(32);
    const rows = await readRows(out);
    expectOneExecutionPerRecord(fake, rows, 32);
    expect(rows.every((r) => r.passed)).toBe(true);
    const maxRssKb = Number(await readFile(rssFile, 'utf8'));
    expect(maxRssKb).toBeGreaterThan(10_000);
    expect(maxRssKb).toBeLessThan(300 * 1024);
  });
});
