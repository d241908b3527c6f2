/**
 * Tracking efficiency on a manual clock (SPEC section 9's two polling scenarios, exact and load-free): status
 * requests per execution, the run's end against the server's span, and how soon each finish is seen. `pnpm bench`
 * measures the same against the HTTP fake and the peers, in real time.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runOnMemory } from './support/memory-run.js';
import type { MemoryVellumOptions } from './support/memory-vellum.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vb-efficiency-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Uniform run times in [min, max], seeded. */
function uniform(min: number, max: number, seed: number): (n: number) => number {
  const values: number[] = [];
  let a = seed;
  return (n) => {
    while (values.length <= n) {
      a = (a * 1664525 + 1013904223) >>> 0;
      values.push(min + (max - min) * (a / 4294967296));
    }
    return values[n]!;
  };
}

interface Measured {
  /** Status requests / executions. */
  readonly statusPerExecution: number;
  /** Status requests answered `PENDING`: looks at executions that were still queued. */
  readonly queuedLooks: number;
  /** The server limit the run learned last. */
  readonly limit: number | null;
  readonly runOverSpan: number;
  readonly detectP50: number;
  readonly detectP95: number;
  /** Status requests per execution among the tenth of executions that finished last (the tail). */
  readonly tailLooks: number;
}

async function measure(
  n: number,
  server: MemoryVellumOptions,
  concurrency: number,
  track: 'poll' | 'hybrid' = 'poll',
  outDir = dir,
): Promise<Measured> {
  const { records, events, vellum, endedAt } = await runOnMemory(outDir, n, server, { concurrency, track });
  const limits = events.flatMap((e) => (e.type === 'server-limit' ? [e.limit] : []));
  expect(records.map((r) => r.status)).toEqual(Array(n).fill('FULFILLED'));
  expect(vellum.executions).toHaveLength(n);
  const byId = new Map(vellum.executions.map((e) => [e.id, e]));
  const delays = records
    .map((r) => Date.parse(r.finished_at) - byId.get(r.execution_id!)!.finishedAt!)
    .sort((a, b) => a - b);
  const byFinish = [...vellum.executions].sort((a, b) => a.finishedAt! - b.finishedAt!);
  const tail = byFinish.slice(Math.floor(n * 0.9));
  const first = Math.min(...vellum.executions.map((e) => e.createdAt));
  const last = Math.max(...vellum.executions.map((e) => e.finishedAt!));
  const measured = {
    statusPerExecution: vellum.stats.status / n,
    runOverSpan: (endedAt - first) / (last - first),
    detectP50: delays[Math.floor(delays.length / 2)]!,
    detectP95: delays[Math.floor(delays.length * 0.95)]!,
    queuedLooks: vellum.answers['PENDING'] ?? 0,
    limit: limits.at(-1) ?? null,
    tailLooks: tail.reduce((sum, e) => sum + (vellum.looks.get(e.id) ?? 0), 0) / tail.length,
  };
  console.log(`tracking efficiency: ${JSON.stringify(measured)}`);
  return measured;
}

/** Polled runs of one scenario on seeds 1-8, each into its own out dir under `name`. */
async function overSeeds(
  name: string,
  n: number,
  server: (seed: number) => MemoryVellumOptions,
  concurrency: number,
): Promise<Measured[]> {
  const runs: Measured[] = [];
  for (let seed = 1; seed <= 8; seed++) {
    runs.push(await measure(n, server(seed), concurrency, 'poll', join(dir, `${name}-${seed}`)));
  }
  return runs;
}

/** The mean of `value` over `runs`. */
function mean(runs: readonly Measured[], value: (m: Measured) => number): number {
  return runs.reduce((sum, m) => sum + value(m), 0) / runs.length;
}

// Figures at the time of writing (status requests per execution, looks at queued executions, run / span, detection
// p50 and p95):
// - queue-bound: 1.14, 5, 1.001, 0.98 s, 2.0 s (before first looks were put off to the estimate as it is when they
//   fall due: 1.35, 5, 1.003, 0.65 s, 1.7 s; before first looks taught by their age: 1.43, 5, 1.003, 0.64 s, 1.8 s;
//   before discovery, the tail and late first looks: 2.11, 1, 1.017, 0.39 s, 1.1 s);
// - long: 1.41, 10, 1.000, 8.8 s, 19.4 s (before first looks were put off: 1.52, 10, 1.010, 7.4 s, 17.5 s; before
//   first looks taught by their age: 1.54, 10, 1.003, 6.2 s, 16.5 s; before discovery: 3.15, 6, 1.023, 4.4 s,
//   17.0 s). Over seeds 1-8 of these run times the mean went 1.61 -> 1.53 -> 1.51 -> 1.40 status requests per
//   execution (age, tail, put off) and the detection p50 5.9 -> 6.9 -> 7.2 -> 8.8 s;
// - thin queue: 1.56, 5, 1.005, 0.33 s, 1.1 s (before first looks were put off: 1.63, 4, 1.016, 0.33 s, 1.1 s);
// - hybrid queue-bound, pushes 300 ms late: 0.046, 5, 1.007, 0.30 s, 0.30 s (before discovery in hybrid: 0.091).
// Answers here are instant, so the burst of looks at queued executions that real round trips caused does not show.
// While Vellum holds executions of the run queued, a finish seen later costs no time, so first looks are planned
// late (fewer requests, later detection); the tail looks early and often. Of SPEC section 9's long-scenario targets
// (<= 1.5 status requests, detection p50 <= 2 s) the first is met and the second is not: no schedule of looks at
// independent executions can meet both (one look at the median of 10-30 s run times already leaves a median delay
// near 5 s).
describe('tracking efficiency (manual clock)', () => {
  it('queue-bound: 1,000 executions of 1-3 s behind a limit of 50 (window 200) meet SPEC section 9', async () => {
    const m = await measure(1000, { limit: 50, durationMs: uniform(1000, 3000, 7) }, 200);
    expect(m.limit).toBe(50);
    expect(m.queuedLooks).toBeLessThanOrEqual(10);
    expect(m.statusPerExecution).toBeLessThanOrEqual(1.5);
    expect(m.runOverSpan).toBeLessThanOrEqual(1.02);
  });

  it('hybrid, queue-bound: pushes land the executions; discovery and the silences look at few (SPEC: <= 0.1)', async () => {
    // Each push arrives 300 ms after its finish, as webhooks do under load: before the first one, a silence
    // planned from a guessed run time sent the first window looking at once (0.2 status requests per execution).
    const server = { limit: 50, durationMs: uniform(1000, 3000, 7), pushDelayMs: 300 };
    const m = await measure(1000, server, 200, 'hybrid');
    expect(m.limit).toBe(50);
    // Exact on this clock: 0.046 now; 0.091 before discovery ran in hybrid mode (over HTTP in pnpm bench, 0.20).
    expect(m.statusPerExecution).toBeLessThanOrEqual(0.06);
    expect(m.runOverSpan).toBeLessThanOrEqual(1.01);
  });

  it('long: 200 executions of 10-30 s behind a limit of 20 (window 200): no burst while learning, a quick tail', async () => {
    const m = await measure(200, { limit: 20, durationMs: uniform(10_000, 30_000, 7) }, 200);
    expect(m.limit).toBe(20);
    expect(m.queuedLooks).toBeLessThanOrEqual(20);
    expect(m.statusPerExecution).toBeLessThanOrEqual(1.5);
    expect(m.runOverSpan).toBeLessThanOrEqual(1.02);
    expect(m.detectP50).toBeLessThanOrEqual(9_500);
  });

  it('over seeds 1-8 of the long and queue-bound run times, the mean status requests per execution', async () => {
    // One seed can flatter or hurt a change by 0.1 (seed 7 of the long scenario moved +0.005 where the mean moved
    // -0.08), so a change to the planner is judged on the mean. At the time of writing: long 1.40 (1.51 before first
    // looks were put off to the estimate as it is when they fall due, 1.53 before the tail put off looks at
    // executions older than the youngest, 1.61 before first looks were taught by their age), queue-bound 1.14 (1.33,
    // 1.34, 1.40). In the tail (the tenth of executions that finish last): long 1.81 (2.00 with neither put-off, 2.19),
    // queue-bound 1.35 (1.40, 1.53).
    const long = await overSeeds(
      'long',
      200,
      (seed) => ({ limit: 20, durationMs: uniform(10_000, 30_000, seed) }),
      200,
    );
    const queue = await overSeeds(
      'queue',
      1000,
      (seed) => ({ limit: 50, durationMs: uniform(1000, 3000, seed) }),
      200,
    );
    for (const m of [...long, ...queue]) expect(m.runOverSpan).toBeLessThanOrEqual(1.02);
    expect(mean(long, (m) => m.statusPerExecution)).toBeLessThanOrEqual(1.45);
    expect(mean(queue, (m) => m.statusPerExecution)).toBeLessThanOrEqual(1.2);
    expect(mean(long, (m) => m.tailLooks)).toBeLessThanOrEqual(2.1);
    expect(mean(queue, (m) => m.tailLooks)).toBeLessThanOrEqual(1.46);
  });

  it('with a 300 ms round trip, the estimate does not climb: finishes are judged by when the look was sent', async () => {
    // Judged by when the answer came, every finish of a short execution looked late (no news) while every "still
    // running" counted: over seeds 1-8, detection p50 1.86 s (1.03 s now) and the thin queue's run / span 1.039
    // (1.018 now). Before first looks were put off to the estimate as it is when they fall due: 0.99 s against
    // 0.76 s, 1.032 against 1.017; before first looks were taught by their age, 1.013.
    const latency = { statusLatencyMs: 300 };
    const queue = await overSeeds(
      'queue',
      1000,
      (seed) => ({ limit: 50, durationMs: uniform(1000, 3000, seed), ...latency }),
      200,
    );
    const thin = await overSeeds(
      'thin',
      100,
      (seed) => ({ limit: 5, durationMs: uniform(500, 1500, seed), ...latency }),
      10,
    );
    expect(mean(queue, (m) => m.detectP50)).toBeLessThanOrEqual(1_250);
    expect(mean(thin, (m) => m.runOverSpan)).toBeLessThanOrEqual(1.025);
  });

  it('a thin queue (limit 5, window 10, 100 executions of 0.5-1.5 s): the run ends close behind the server', async () => {
    const m = await measure(100, { limit: 5, durationMs: uniform(500, 1500, 11) }, 10);
    expect(m.limit).toBe(5);
    expect(m.runOverSpan).toBeLessThanOrEqual(1.05);
    expect(m.statusPerExecution).toBeLessThanOrEqual(2);
  });
});
