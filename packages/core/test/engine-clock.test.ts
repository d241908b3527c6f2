/**
 * The engine on a manual clock against an in-memory Vellum: its timing (poll schedule, the window, the server's
 * queue, deadlines, hybrid fallback) and its handling of lost answers, asserted exactly, never in real time.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runBatch } from '../src/engine/run.js';
import type { RunBatchOptions } from '../src/engine/options.js';
import type { CaseRecord } from '../src/types.js';
import { ManualClock } from './support/manual-clock.js';
import { memoryCases, runOnMemory, type MemoryOutcome } from './support/memory-run.js';
import { MemoryVellum, type MemoryVellumOptions } from './support/memory-vellum.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vb-clock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

type Outcome = MemoryOutcome;

function run(
  n: number,
  server: MemoryVellumOptions,
  extra: Partial<RunBatchOptions> = {},
  setup?: (vellum: MemoryVellum) => void,
): Promise<Outcome> {
  return runOnMemory(dir, n, server, extra, setup);
}

/** How long after its execution's finish each case's record was written. */
function detectionDelays(o: Outcome): number[] {
  return o.records.map((r) => {
    const e = o.vellum.executions.find((x) => x.id === r.execution_id)!;
    return Date.parse(r.finished_at) - e.finishedAt!;
  });
}

describe('the engine on a manual clock', () => {
  it('polls 40 one-second executions about twice each and sees each end within a fraction of its run time', async () => {
    const o = await run(40, { durationMs: (n) => 800 + (n % 5) * 100 }, { concurrency: 40 });
    expect(o.records.map((r) => r.status)).toEqual(Array(40).fill('FULFILLED'));
    expect(o.vellum.executions).toHaveLength(40);
    const perExecution = o.vellum.stats.status / 40;
    expect(perExecution).toBeGreaterThanOrEqual(1);
    expect(perExecution).toBeLessThanOrEqual(3.5);
    expect(Math.max(...detectionDelays(o))).toBeLessThanOrEqual(1_000);
  });

  it('learns a server limit of 5 from a PENDING status and keeps the window at twice the limit', async () => {
    const o = await run(30, { limit: 5, durationMs: () => 1_000 }, { concurrency: 32 });
    expect(o.records.every((r) => r.status === 'FULFILLED')).toBe(true);
    const limits = o.events.flatMap((e) => (e.type === 'server-limit' ? [e.limit] : []));
    expect(limits.at(-1)).toBe(5);
    expect(o.vellum.maxRunning).toBe(5);
    // Queued executions are promoted by the model, not polled every round.
    expect(o.vellum.stats.status / 30).toBeLessThanOrEqual(4);
    // Six rounds of one second each, plus the detection of the last ones.
    expect(o.endedAt - o.startedAt).toBeLessThan(6_000 + 2_000);
  });

  it('never has more unfinished executions than --concurrency', async () => {
    const o = await run(20, { durationMs: () => 500 }, { concurrency: 4 });
    expect(o.vellum.maxRunning).toBeLessThanOrEqual(4);
    let outstanding = 0;
    let most = 0;
    for (const e of o.events) {
      if (e.type === 'submitted') most = Math.max(most, ++outstanding);
      if (e.type === 'record') outstanding -= 1;
    }
    expect(most).toBeLessThanOrEqual(4);
    expect(o.records).toHaveLength(20);
  });

  it('shrinks the window when submits are answered 429 (AIMD), so rate limiting slows the run instead of failing cases', async () => {
    // Vellum answers 429 while 8 executions are unfinished; the window starts at 32.
    const o = await run(60, { durationMs: () => 2_000, rateLimitAt: 8 }, { concurrency: 32 });
    expect(o.records.map((r) => r.status)).toEqual(Array(60).fill('FULFILLED'));
    expect(o.vellum.executions).toHaveLength(60);
    const warnings = o.events.flatMap((e) => (e.type === 'warning' ? [e.message] : []));
    expect(warnings.filter((w) => w.includes('rate limiting'))).toHaveLength(1);
    // Without the shrink, 24 submits wait on 429s through most of the run: 260 answers (measured with the shrink
    // turned off); with it, 106.
    expect(o.vellum.stats.rateLimited).toBeLessThan(150);
  });

  it('lets no long first execution hold up the others while the run time is being learned', async () => {
    // The oldest execution runs 10 minutes, the others 1 s: discovery looks round, so the others end in seconds.
    const o = await run(20, { durationMs: (n) => (n === 0 ? 600_000 : 1_000) }, { concurrency: 20 });
    expect(o.records.map((r) => r.status)).toEqual(Array(20).fill('FULFILLED'));
    const delays = detectionDelays(o);
    expect(Math.max(...delays.slice(1))).toBeLessThanOrEqual(3_000);
    expect(o.vellum.stats.status).toBeLessThan(20 * 6);
  });

  it('waits its turn between looks whose answer failed (a status that lags answers 404 for a while)', async () => {
    // Statuses lag longer than a run: once the run time is learned, first looks meet 404s.
    const o = await run(20, { durationMs: () => 1_000, statusLagMs: 1_500 }, { concurrency: 5 });
    expect(o.records.map((r) => r.status)).toEqual(Array(20).fill('FULFILLED'));
    // Backing off between the 404s: a few looks each, not a look per turn of the event loop.
    expect(o.vellum.stats.status).toBeLessThanOrEqual(20 * 8);
  });

  it('ends every unfinished case TIMED_OUT at the run deadline, resumably, within the last look', async () => {
    const o = await run(10, { durationMs: () => 10_000 }, { timeoutMs: 2_500 });
    expect(o.records.every((r) => r.status === 'TIMED_OUT' && r.error?.code === 'RUN_DEADLINE')).toBe(true);
    expect(o.endedAt - o.startedAt).toBeGreaterThanOrEqual(2_500);
    expect(o.endedAt - o.startedAt).toBeLessThanOrEqual(2_500 + 2_000);
    const journal = (await readFile(join(dir, 'journal.jsonl'), 'utf8')).trim().split('\n');
    const recs = journal.map((l) => JSON.parse(l) as { t: string; p?: number }).filter((e) => e.t === 'rec');
    expect(recs).toHaveLength(10);
    expect(recs.every((e) => e.p === 1)).toBe(true);
  });

  it('a 600-hour run deadline does not end the run at once', async () => {
    const o = await run(3, { durationMs: () => 1_000 }, { timeoutMs: 600 * 3_600_000 });
    const told = o.events.flatMap((e) => (e.type === 'stopping' || e.type === 'warning' ? [e.message] : []));
    const why = JSON.stringify({ errors: o.records.map((r) => r.error), told });
    expect(
      o.records.map((r) => r.status),
      why,
    ).toEqual(['FULFILLED', 'FULFILLED', 'FULFILLED']);
  });

  it('in hybrid mode polls only the executions whose push was lost, once they stay silent (and discovery, once)', async () => {
    const o = await run(20, { durationMs: () => 1_000 }, { track: 'hybrid' }, (vellum) => {
      vellum.dropPush = (e) => e.index % 7 === 3;
    });
    expect(o.records.every((r) => r.status === 'FULFILLED')).toBe(true);
    const lost = new Set(o.vellum.executions.filter((e) => e.index % 7 === 3).map((e) => e.id));
    expect(lost.size).toBe(3);
    for (const id of lost) expect(o.vellum.looks.get(id) ?? 0).toBeGreaterThanOrEqual(1);
    // Executions whose push came are looked at only by discovery, before the first finish, and only a few times.
    const firstFinish = Math.min(...o.vellum.executions.map((e) => e.finishedAt!));
    const others = o.vellum.lookLog.filter((l) => !lost.has(l.id));
    expect(others.every((l) => l.at <= firstFinish)).toBe(true);
    expect(others.length).toBeLessThanOrEqual(10);
  });

  it('finds the execution of a submit whose answer was lost, by external id and run id, and starts it once', async () => {
    const o = await run(10, { durationMs: () => 1_000, loseAnswer: (n) => n % 4 === 1, listQueued: true });
    expect(o.records.every((r) => r.status === 'FULFILLED')).toBe(true);
    expect(o.vellum.executions).toHaveLength(10);
    expect(new Set(o.records.map((r) => r.execution_id)).size).toBe(10);
  });

  it('waits for a refused external id to be listed (a queued execution is not) instead of failing the case', async () => {
    // Limit 1: the lost submits' executions wait in the queue, unlisted, for several seconds.
    const o = await run(6, { limit: 1, durationMs: () => 1_000, loseAnswer: (n) => n === 2 || n === 4 });
    expect(o.records.map((r) => r.status)).toEqual(Array(6).fill('FULFILLED'));
    expect(o.vellum.executions).toHaveLength(6);
  });

  it('stops as fatal, resumably, when Vellum cannot be reached mid-run, instead of failing every case', async () => {
    const o = await run(40, { durationMs: () => 500, unreachableAfter: 5 }, { concurrency: 4 });
    expect(o.records).toHaveLength(40);
    // The 5 executions started are all in the records (finished, or cancelled while running: resume tracks them).
    expect(o.records.filter((r) => r.execution_id !== null)).toHaveLength(5);
    const fulfilled = o.records.filter((r) => r.status === 'FULFILLED').length;
    expect(o.records.filter((r) => r.status === 'SUBMIT_FAILED')).toHaveLength(0);
    const summary = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8')) as {
      stopped: { reason: string; message: string } | null;
    };
    expect(summary.stopped?.reason).toBe('fatal');
    expect(summary.stopped?.message).toBe(
      'Vellum could not be reached for under 1s: 3 requests in a row failed, each after its retries (last: POST /v1/execute-workflow-async failed on the network: connect ECONNREFUSED (ECONNREFUSED))',
    );
    const journal = (await readFile(join(dir, 'journal.jsonl'), 'utf8')).trim().split('\n');
    const provisional = journal
      .map((l) => JSON.parse(l) as { t: string; p?: number })
      .filter((e) => e.t === 'rec' && e.p === 1);
    expect(provisional).toHaveLength(40 - fulfilled);
  });

  it('adopts no execution another run started under the same external ids', async () => {
    const clock = new ManualClock();
    const vellum = new MemoryVellum(clock, { durationMs: () => 100, listQueued: true });
    const list = memoryCases(3);
    const options = {
      client: vellum,
      dataset: { path: 'memory.jsonl', size: 3, cases: () => list },
      workflow: { deploymentName: 'wf' },
      clock,
      externalIdPrefix: 'same-',
    } as const;
    await clock.drive(runBatch({ ...options, outDir: join(dir, 'first') }));
    const second = await clock.drive(runBatch({ ...options, outDir: join(dir, 'second') }));
    expect(vellum.executions).toHaveLength(3);
    expect(second.summary.submit_failed).toBe(3);
    const text = await readFile(join(dir, 'second', 'results.jsonl'), 'utf8');
    for (const line of text.trim().split('\n')) {
      const record = JSON.parse(line) as CaseRecord;
      expect(record.error?.code).toBe('EXTERNAL_ID_CONFLICT');
      expect(record.error?.message).toMatch(
        /already used by execution exec-\d+, which this run did not start/,
      );
    }
  });
});
