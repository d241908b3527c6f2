/**
 * A `matches` assertion `^(A+)+$` (catastrophic for a backtracking engine) against long outputs, through the real CLI
 * process (issue 16): the command ends with the assertion evaluated (RE2 runs in linear time), answers SIGINT while
 * such cases are being recorded, and a pattern RE2 cannot run in linear time is refused before anything is submitted.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeVellum } from '@vellum-batch/testkit';
import { readRows, runArgs, runHostileCli, startFake } from './hostile-support.js';

let dir: string;
let fake: FakeVellum | null = null;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vb-hostile-regex-'));
});
afterEach(async () => {
  await fake?.close();
  fake = null;
  await rm(dir, { recursive: true, force: true });
});

const EVIL = '^(A+)+$';

/** Cases whose echoed output `q` is checked with `^(A+)+$`: even ones all A (pass), odd ones end in B (fail). */
async function writeEvilCases(
  file: string,
  count: number,
  length: number,
  extra: (i: number) => object = () => ({}),
) {
  const lines = Array.from({ length: count }, (_, i) =>
    JSON.stringify({
      id: `r-${i}`,
      inputs: { q: `${'A'.repeat(length)}${i % 2 === 0 ? '' : 'B'}`, ...extra(i) },
      assert: [{ output: 'q', op: 'matches', value: EVIL }],
    }),
  );
  await writeFile(file, `${lines.join('\n')}\n`);
}

describe('^(A+)+$ against long outputs', () => {
  it('ends with every assertion evaluated: all-A outputs pass, those ending in B fail', async () => {
    fake = await startFake();
    const dataset = join(dir, 'cases.jsonl');
    await writeEvilCases(dataset, 20, 100_000);
    const out = join(dir, 'out');
    const result = await runHostileCli(runArgs(fake, dataset, out));
    expect(result.code, result.stderr).toBe(1);
    const rows = await readRows(out);
    expect(rows).toHaveLength(20);
    for (const row of rows) {
      expect(row.status).toBe('FULFILLED');
      expect(row.assertions).toHaveLength(1);
      expect(row.assertions[0]!.passed).toBe(row.index % 2 === 0);
      expect(row.passed).toBe(row.index % 2 === 0);
    }
  });

  it('answers SIGINT while such cases are recorded: exit 130, every case recorded, the rest CANCELLED', async () => {
    fake = await startFake();
    const dataset = join(dir, 'cases.jsonl');
    // 40 quick cases with 100 kB outputs to evaluate, and 10 that would run for a minute.
    await writeEvilCases(dataset, 50, 100_000, (i) => (i >= 40 ? { fake_duration_ms: 60_000 } : {}));
    const out = join(dir, 'out');
    const journal = join(dir, 'out', 'journal.jsonl');
    const recorded = async (): Promise<number> =>
      (await readFile(journal, 'utf8').catch(() => '')).split('\n').filter((l) => l.includes('"t":"rec"'))
        .length;
    const result = await runHostileCli(runArgs(fake, dataset, out, '--concurrency', '50'), {
      onStderr: (text, child) => {
        if (!/^run \S+: 50 cases/m.test(text)) return;
        // Once the first evaluated records reach the journal, while more are landing, interrupt.
        void (async () => {
          while (child.exitCode === null && (await recorded()) < 5) {
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
          child.kill('SIGINT');
        })();
      },
    });
    expect(result.code, result.stderr).toBe(130);
    expect(result.stderr).toContain('SIGINT: stopping');
    const rows = await readRows(out);
    expect(rows.map((r) => r.index)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    const evaluated = rows.filter((r) => r.status === 'FULFILLED');
    expect(evaluated.length).toBeGreaterThanOrEqual(5);
    for (const row of evaluated) expect(row.assertions[0]!.passed).toBe(row.index % 2 === 0);
    expect(rows.slice(40).every((r) => r.status === 'CANCELLED')).toBe(true);
  });
});

describe('a pattern RE2 cannot run in linear time', () => {
  it('is refused at load with exit 2, naming file, line and field, and nothing is submitted', async () => {
    fake = await startFake();
    const dataset = join(dir, 'backref.jsonl');
    await writeFile(
      dataset,
      `${JSON.stringify({ id: 'ok', inputs: { q: 'AA' }, assert: [{ output: 'q', op: 'matches', value: EVIL }] })}\n` +
        `${JSON.stringify({ id: 'bad', inputs: { q: 'AA' }, assert: [{ output: 'q', op: 'matches', value: '^(A+)\\1$' }] })}\n`,
    );
    const result = await runHostileCli(runArgs(fake, dataset, join(dir, 'out')));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'backref.jsonl:2: assert[0].value: is not a supported regular expression: backreferences (\\1...) are not supported: patterns run in linear time (RE2 syntax)\n',
    );
    expect(fake.stats.requests.submit).toBe(0);
  });
});
