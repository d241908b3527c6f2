/**
 * A server that rate-limits half of everything, and one that goes away mid-run, through the real CLI process (issue
 * 16): rate limiting slows the run but fails no case; a server gone stops the run (exit 3) with one sentence that says
 * for how long nothing reached it and how, every started execution recorded and resumable.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeVellum } from '@vellum-batch/testkit';
import {
  expectOneExecutionPerRecord,
  readRows,
  readSummary,
  runArgs,
  runHostileCli,
  startFake,
  until,
  writeCases,
} from './hostile-support.js';

let dir: string;
let fake: FakeVellum | null = null;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vb-hostile-server-'));
});
afterEach(async () => {
  await fake?.close();
  fake = null;
  await rm(dir, { recursive: true, force: true });
});

describe('50% of submits and statuses answered 429', () => {
  it('fails no case on rate limiting: 300 cases, one correct record and one execution each', async () => {
    // Retry-After: 0 keeps the test short; the waits are the server's to set.
    fake = await startFake({ faults: { rateLimitRate: 0.5, retryAfterSeconds: 0 } });
    const dataset = join(dir, 'cases.jsonl');
    await writeCases(dataset, 300);
    const out = join(dir, 'out');
    const result = await runHostileCli(runArgs(fake, dataset, out, '--concurrency', '50'));
    expect(result.code, result.stderr).toBe(0);
    expect(fake.stats.faultsInjected.rateLimited).toBeGreaterThan(300);
    const rows = await readRows(out);
    expectOneExecutionPerRecord(fake, rows, 300);
    expect(rows.every((r) => r.passed)).toBe(true);
  });
});

describe('Vellum going away mid-run', () => {
  it('stops the run with exit 3 and a sentence saying for how long, how often and how it failed', async () => {
    fake = await startFake({ durationMs: 1500 });
    const dataset = join(dir, 'cases.jsonl');
    await writeCases(dataset, 40);
    const out = join(dir, 'out');
    const port = fake.port;
    const running = runHostileCli(runArgs(fake, dataset, out, '--concurrency', '10'));
    await until(() => fake!.stats.executionsCreated >= 10, 'ten executions');
    await fake.close();
    const result = await running;
    expect(result.code, result.stderr).toBe(3);
    const summary = await readSummary(out);
    const stopped = summary['stopped'] as { reason: string; message: string };
    expect(stopped.reason).toBe('fatal');
    expect(stopped.message).toMatch(
      new RegExp(
        `^Vellum could not be reached for \\d+s: 3 requests in a row failed, each after its retries \\(last: (GET|POST) /v1/\\S+ failed on the network: connect ECONNREFUSED 127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)\\)$`,
      ),
    );
    expect(result.stdout).toContain(`stopped (fatal): ${stopped.message}`);
    expect(result.stdout).toMatch(
      /continue this run once the problem is fixed with\n {2}vellum-batch run .* --resume\n/,
    );
    const rows = await readRows(out);
    expect(rows.map((r) => r.index)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    // Every execution the fake started is in a record, which --resume tracks to its end.
    const started = rows.filter((r) => r.execution_id !== null);
    expect(started.length).toBe(fake.stats.executionsCreated);
    expect(rows.filter((r) => r.status === 'SUBMIT_FAILED')).toEqual([]);
  });
});
