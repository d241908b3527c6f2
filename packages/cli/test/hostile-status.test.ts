/**
 * Hostile status answers through the real CLI process (issue 16): 200 with a cut or wrong-shape body, 302, 100 MB.
 * Each case ends with a record that says what happened; nothing is polled forever, nothing huge is kept. The bound
 * without a deadline (8 unusable answers in a row, each after the client's retries) is proven on the manual clock in
 * packages/core/test/hostile-engine.test.ts; here an execution timeout keeps each run short.
 */
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TestContext } from 'vitest';
import type { FaultOptions } from '@vellum-batch/testkit';
import {
  expectOneExecutionPerRecord,
  readRows,
  runArgs,
  runHostileCli,
  startFake,
  writeCases,
} from './hostile-support.js';

const STATUS = String.raw`GET /v1/workflows/executions/\S+/status`;

/** A temp dir and a fake with `faults`, both gone when the test ends (concurrent tests: the test's own hook). */
async function setUp({ onTestFinished }: TestContext, faults: Partial<FaultOptions>) {
  const dir = await mkdtemp(join(tmpdir(), 'vb-hostile-status-'));
  const fake = await startFake({ faults });
  onTestFinished(async () => {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });
  const dataset = join(dir, 'cases.jsonl');
  return { dir, fake, dataset, out: join(dir, 'out') };
}

async function outDirBytes(out: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(out)) total += (await stat(join(out, name))).size;
  return total;
}

describe.concurrent('status answers that cannot be used, with --execution-timeout 8s', () => {
  it.for([
    {
      fault: { garbleStatusRate: 1 },
      reason: `${STATUS} answered 200 with (a body that is not JSON\\.|an unexpected body: .+)`,
    },
    {
      fault: { redirectStatusRate: 1 },
      reason: `${STATUS} answered 302, a redirect, which the client does not follow \\(is the base URL right\\?\\)\\.`,
    },
  ])(
    '$fault: every case TIMED_OUT, its record and the progress saying why',
    async ({ fault, reason }, context) => {
      const { fake, dataset, out } = await setUp(context, fault);
      await writeCases(dataset, 10);
      const result = await runHostileCli(runArgs(fake, dataset, out, '--execution-timeout', '8s'));
      expect(result.code, result.stderr).toBe(1);
      const rows = await readRows(out);
      expectOneExecutionPerRecord(fake, rows, 10);
      for (const row of rows) {
        expect(row.status).toBe('TIMED_OUT');
        expect(row.error?.code).toBe('EXECUTION_TIMEOUT');
        expect(row.error?.message).toMatch(
          new RegExp(
            `^no final status within the execution timeout of 8s \\(the last status answer could not be used: ${reason}\\)$`,
          ),
        );
      }
      // The progress says it as it happens: the client's retry lines name the request and the answer.
      expect(result.stderr).toMatch(new RegExp(`^retrying status in \\d+ ms \\(retry 1\\): ${reason}$`, 'm'));
    },
  );

  it('100 MB status answers: read once each (not retried), under 300 MB of RSS, a small out dir, a record naming the cap', async (context) => {
    // Content-length declared on one answer, chunked without one on the next, in rotation.
    const { dir, fake, dataset, out } = await setUp(context, { oversizeStatusBytes: 100 * 1024 * 1024 });
    await writeCases(dataset, 32);
    const rssFile = join(dir, 'max-rss');
    const result = await runHostileCli(
      runArgs(fake, dataset, out, '--concurrency', '32', '--execution-timeout', '8s'),
      { maxRssFile: rssFile },
    );
    expect(result.code, result.stderr).toBe(1);
    // The same read would get as many bytes again: one answer per case, no retry, no second look.
    expect(fake.stats.faultsInjected.oversizedStatuses).toBe(32);
    const rows = await readRows(out);
    expectOneExecutionPerRecord(fake, rows, 32);
    for (const row of rows) {
      expect(row.status).toBe('TIMED_OUT');
      expect(row.error?.code).toBe('STATUS_UNREADABLE');
      expect(row.error?.message).toBe(
        `the status answer for execution ${row.execution_id} is larger than the 4194304-byte limit, so its outputs were not read: raise the limit (the client's maxResponseBytes; in the CLI and the action, $VELLUM_BATCH_MAX_RESPONSE_BYTES) and --resume reads it`,
      );
    }
    const maxRssKb = Number(await readFile(rssFile, 'utf8'));
    expect(maxRssKb).toBeGreaterThan(10_000);
    expect(maxRssKb).toBeLessThan(300 * 1024);
    expect(await outDirBytes(out)).toBeLessThan(1024 * 1024);
  });

  it('5 MiB status answers: $VELLUM_BATCH_MAX_RESPONSE_BYTES=8MiB reads them, and a bad value is refused', async (context) => {
    const { fake, dataset, out } = await setUp(context, { oversizeStatusBytes: 5 * 1024 * 1024 });
    await writeCases(dataset, 6);
    const refused = await runHostileCli(runArgs(fake, dataset, out), {
      env: { VELLUM_BATCH_MAX_RESPONSE_BYTES: '8MB' },
    });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      '$VELLUM_BATCH_MAX_RESPONSE_BYTES: "8MB" is not a size: write whole bytes, or KiB, MiB or GiB (e.g. 16MiB)',
    );
    expect(fake.stats.executionsCreated).toBe(0);
    const result = await runHostileCli(runArgs(fake, dataset, out), {
      env: { VELLUM_BATCH_MAX_RESPONSE_BYTES: '8MiB' },
    });
    expect(result.code, result.stderr).toBe(0);
    const rows = await readRows(out);
    expectOneExecutionPerRecord(fake, rows, 6);
    expect(rows.every((row) => row.status === 'FULFILLED')).toBe(true);
  });

  it('30% garbled and 10% redirected status answers: retried until read, every case correct', async (context) => {
    const { fake, dataset, out } = await setUp(context, { garbleStatusRate: 0.3, redirectStatusRate: 0.1 });
    await writeCases(dataset, 100);
    const result = await runHostileCli(runArgs(fake, dataset, out, '--concurrency', '50'));
    expect(result.code, result.stderr).toBe(0);
    expect(fake.stats.faultsInjected.garbledStatuses).toBeGreaterThan(10);
    expect(fake.stats.faultsInjected.redirectedStatuses).toBeGreaterThan(3);
    const rows = await readRows(out);
    expectOneExecutionPerRecord(fake, rows, 100);
    expect(rows.every((r) => r.status === 'FULFILLED' && r.passed)).toBe(true);
  });
});
