/**
 * Crash and resume, for real: `vellum-batch run` is killed with SIGKILL at a random point (seeded), then run again
 * with `--resume` (and possibly killed again) until it finishes. Whatever the kill points, every case ends with
 * exactly one record and Vellum (the fake, with 3% of submit answers dropped) started exactly one execution per case.
 *
 * A kill point is a count, not a time: "when Vellum creates the n-th execution of this attempt (plus 0-300 ms)".
 * A time from the spawn would land before the first submit on a busy machine (where starting Node takes longer than
 * the whole run elsewhere) and after the last record on a fast one; a count lands mid-run on every machine.
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
  readonly records: { index: number; external_id: string; passed: boolean; execution_id: string }[];
  readonly prefix: string;
}

/** Called by the fake for each execution it creates, by seed (case ids are `s{seed}-k-{i}`). */
const onCreated = new Map<number, () => void>();

/** A run time of 20-200 ms, fixed per external id (FNV-1a), that also tells the seed's listener of the creation. */
function durationOf(externalId: string | null): number {
  const seed = /s(\d+)-k-\d+$/.exec(externalId ?? '')?.[1];
  if (seed !== undefined) onCreated.get(Number(seed))?.();
  let hash = 0x811c9dc5;
  for (const char of externalId ?? '') hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193) >>> 0;
  return 20 + (hash % 181);
}

async function runSeed(seed: number): Promise<SeedOutcome> {
  const random = prng(seed);
  const out = join(dir, `seed-${seed}`);
  const dataset = join(dir, `cases-${seed}.jsonl`);
  const lines = Array.from({ length: CASES }, (_, i) =>
    JSON.stringify({ id: `s${seed}-k-${i}`, inputs: { q: `q${i}` }, expected: { q: `q${i}` } }),
  );
  await writeFile(dataset, `${lines.join('\n')}\n`);
  const args = ['run', '--dataset', dataset, '--workflow', 'demo', '--base-url', fake.url];
  args.push('--out', out, '--concurrency', '16');
  let kills = 0;
  try {
    for (let attempt = 0; ; attempt++) {
      // Kill the first two attempts when Vellum creates their n-th new execution (random n); let the third finish.
      // The first is killed at that very moment, while its submit waits for the answer: it cannot have finished, so
      // every seed crashes at least once. The second waits 0-300 ms more (another state: answers received, records
      // written), and a resumed run with fewer executions left than n finishes instead.
      const killAt = attempt < 2 ? 1 + Math.floor(random() * CASES) : null;
      const extraMs = attempt === 0 ? 0 : Math.floor(random() * 300);
      let created = 0;
      const result = await runCli(attempt === 0 ? args : [...args, '--resume'], {
        env: { VELLUM_API_KEY: 'crash-key' },
        onStart: (child) => {
          onCreated.set(seed, () => {
            created += 1;
            if (created !== killAt) return;
            if (extraMs === 0) child.kill('SIGKILL');
            else setTimeout(() => child.kill('SIGKILL'), extraMs);
          });
        },
      });
      onCreated.delete(seed);
      if (result.signal === 'SIGKILL') {
        kills += 1;
        continue;
      }
      expect(result.code, `seed ${seed} attempt ${attempt}: ${result.stderr}`).toBe(0);
      break;
    }
  } finally {
    onCreated.delete(seed);
  }
  const text = await readFile(join(out, 'results.jsonl'), 'utf8');
  const journalHead = (await readFile(join(out, 'journal.jsonl'), 'utf8')).split('\n', 1)[0]!;
  return {
    seed,
    kills,
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
      durationMs: (req) => durationOf(req.externalId),
      faults: { dropAfterAcceptRate: 0.03 },
      // As Vellum may: queued executions are not listed, so a lost answer's execution is found only once it runs.
      listQueued: false,
      seed: 11,
    });
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

  it('killed every first attempt in the middle of its run', () => {
    expect(outcomes).toHaveLength(SEEDS);
    const kills = outcomes.reduce((sum, o) => sum + o.kills, 0);
    console.log(
      `crash-resume: ${SEEDS} seeds, ${kills} kills, ${[...fake.executions()].length} executions for ` +
        `${SEEDS * CASES} cases, ${fake.stats.faultsInjected.dropped} submit answers dropped`,
    );
    // Every first attempt is killed while a submit waits for its answer, so at least one kill per seed.
    expect(outcomes.every((o) => o.kills >= 1)).toBe(true);
    expect(kills).toBeGreaterThanOrEqual(SEEDS);
  });
});
