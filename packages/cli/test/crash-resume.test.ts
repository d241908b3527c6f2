/**
 * Crash and resume, for real: `vellum-batch run` is killed with SIGKILL at a random point (seeded), then run again
 * with `--resume` (and possibly killed again) until it finishes. Whatever the kill points, every case ends with
 * exactly one record and Vellum (the fake, with 3% of submit answers dropped) started exactly one execution per case.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeVellum } from '@vellum-batch/testkit';
import type { FakeVellum } from '@vellum-batch/testkit';
import { runCli } from './helpers.js';

const SEEDS = 50;
const CASES = 40;
const PARALLEL = 4;
let dir: string;
let fake: FakeVellum;

/** mulberry32: a small seeded PRNG, so every kill point can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface SeedOutcome {
  readonly seed: number;
  readonly kills: number;
  /** Kills that left a journal with a submit in it and not every record yet: a crash in the middle of a run. */
  readonly midRunKills: number;
  readonly records: { index: number; external_id: string; passed: boolean; execution_id: string }[];
  readonly prefix: string;
}

/** How many submits and records the journal in `out` holds (0 and 0 when there is none yet). */
async function journalCounts(out: string): Promise<{ submits: number; records: number }> {
  const text = await readFile(join(out, 'journal.jsonl'), 'utf8').catch(() => '');
  return {
    submits: (text.match(/"t":"sub"/g) ?? []).length,
    records: (text.match(/"t":"rec"/g) ?? []).length,
  };
}

async function runSeed(seed: number): Promise<SeedOutcome> {
  const random = prng(seed);
  const out = join(dir, `seed-${seed}`);
  const args = ['run', '--dataset', join(dir, 'cases.jsonl'), '--workflow', 'demo', '--base-url', fake.url];
  args.push('--out', out, '--concurrency', '16');
  let kills = 0;
  let midRunKills = 0;
  for (let attempt = 0; ; attempt++) {
    // Kill the first two attempts at a random point; let the third finish.
    const killAfter = attempt < 2 ? 50 + Math.floor(random() * 1450) : null;
    const result = await runCli(attempt === 0 ? args : [...args, '--resume'], {
      env: { VELLUM_API_KEY: 'crash-key' },
      onStart: (child) => {
        if (killAfter !== null) setTimeout(() => child.kill('SIGKILL'), killAfter);
      },
    });
    if (result.signal === 'SIGKILL') {
      kills += 1;
      const journal = await journalCounts(out);
      if (journal.submits > 0 && journal.records < CASES) midRunKills += 1;
      continue;
    }
    expect(result.code, `seed ${seed} attempt ${attempt}: ${result.stderr}`).toBe(0);
    break;
  }
  const text = await readFile(join(out, 'results.jsonl'), 'utf8');
  const journalHead = (await readFile(join(out, 'journal.jsonl'), 'utf8')).split('\n', 1)[0]!;
  return {
    seed,
    kills,
    midRunKills,
    records: text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as SeedOutcome['records'][number]),
    prefix: (JSON.parse(journalHead) as { external_id_prefix: string }).external_id_prefix,
  };
}

/** Every case of the seed ended with exactly one record, from the one execution Vellum started for it. */
function expectExactlyOnce(outcome: SeedOutcome): void {
  expect(
    outcome.records.map((r) => r.index),
    `seed ${outcome.seed}`,
  ).toEqual(Array.from({ length: CASES }, (_, i) => i));
  expect(
    outcome.records.every((r) => r.passed),
    `seed ${outcome.seed}`,
  ).toBe(true);
  const started = [...fake.executions()].filter((e) => e.externalId?.startsWith(outcome.prefix));
  expect(started, `seed ${outcome.seed}: executions started`).toHaveLength(CASES);
  expect(new Set(started.map((e) => e.externalId)).size).toBe(CASES);
  const ids = new Set(started.map((e) => e.id));
  expect(
    outcome.records.every((r) => ids.has(r.execution_id)),
    `seed ${outcome.seed}: record ids`,
  ).toBe(true);
}

describe('SIGKILL at random points, then --resume', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vb-crash-'));
    fake = await startFakeVellum({
      apiKey: 'crash-key',
      deployments: ['demo'],
      concurrency: 10,
      durationMs: { min: 20, max: 200 },
      faults: { dropAfterAcceptRate: 0.03 },
      seed: 11,
    });
    const lines = Array.from({ length: CASES }, (_, i) =>
      JSON.stringify({ id: `k-${i}`, inputs: { q: `q${i}` }, expected: { q: `q${i}` } }),
    );
    await writeFile(join(dir, 'cases.jsonl'), `${lines.join('\n')}\n`);
  });
  afterAll(async () => {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  // One test per batch of seeds, so a long suite shows its progress (and a failure names its seeds).
  const outcomes: SeedOutcome[] = [];
  for (let first = 1; first <= SEEDS; first += PARALLEL) {
    const last = Math.min(first + PARALLEL - 1, SEEDS);
    it(`never loses or doubles a case, seeds ${first}-${last} of ${SEEDS}`, async () => {
      const started = performance.now();
      const batch = await Promise.all(Array.from({ length: last - first + 1 }, (_, i) => runSeed(first + i)));
      for (const outcome of batch) expectExactlyOnce(outcome);
      outcomes.push(...batch);
      const kills = batch.reduce((sum, o) => sum + o.kills, 0);
      console.log(
        `crash-resume: seeds ${first}-${last} of ${SEEDS} passed, ${kills} kills, ` +
          `${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
    }, 120_000);
  }

  it('crashed runs in the middle, not only before the first submit or after the last record', () => {
    expect(outcomes).toHaveLength(SEEDS);
    const kills = outcomes.reduce((sum, o) => sum + o.kills, 0);
    const midRun = outcomes.reduce((sum, o) => sum + o.midRunKills, 0);
    console.log(
      `crash-resume: ${SEEDS} seeds, ${kills} kills (${midRun} in the middle of a run), ` +
        `${[...fake.executions()].length} executions for ${SEEDS * CASES} cases, ` +
        `${fake.stats.faultsInjected.dropped} submit answers dropped`,
    );
    // A count of what happened, not of how fast: kill points are uniform in 50-1500 ms over runs of about a second,
    // so some of 100 land mid-run on any machine; how many depends on its speed, so no more is asserted.
    expect(midRun).toBeGreaterThan(0);
  });
});
