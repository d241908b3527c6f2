/**
 * `--baseline` end to end with the built CLI against the testkit fake: a first run is the baseline, a second run
 * where 4 cases regress and 1 is fixed is compared with it, and `--max-new-failures` gates on the regressions.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeVellum } from '@vellum-batch/testkit';
import type { FakeVellum } from '@vellum-batch/testkit';
import { runCli } from './helpers.js';

const KEY = 'baseline-key';
const CASES = 12;
const REGRESSING = ['case-2', 'case-5', 'case-7', 'case-11'];
const FIXED = 'case-9';
/** Fails in both runs. */
const BROKEN = 'case-0';

let dir: string;
let fake: FakeVellum;
/** Which run the fake answers for: the baseline's outcomes, or the changed ones. */
let phase: 'before' | 'after' = 'before';

function passes(id: string): boolean {
  if (id === BROKEN) return false;
  if (phase === 'before') return id !== FIXED;
  return !REGRESSING.includes(id);
}

function run(out: string, ...extra: string[]): Promise<Awaited<ReturnType<typeof runCli>>> {
  return runCli(
    [
      'run',
      '--dataset',
      join(dir, 'cases.jsonl'),
      '--workflow',
      'bot',
      '--base-url',
      fake.url,
      '--out',
      out,
      '--max-failure-rate',
      '100%',
      ...extra,
    ],
    { env: { VELLUM_API_KEY: KEY } },
  );
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vb-cli-baseline-'));
  fake = await startFakeVellum({
    apiKey: KEY,
    deployments: ['bot', 'other-bot'],
    durationMs: 1,
    responder: (req) => {
      const id = String(req.inputs.find((input) => input.name === 'case')?.value);
      return { outputs: { answer: passes(id) ? `refund for ${id}` : `no luck for ${id} (${phase})` } };
    },
  });
  const lines = Array.from({ length: CASES }, (_, i) =>
    JSON.stringify({
      id: `case-${i}`,
      inputs: { case: `case-${i}` },
      assert: [{ output: 'answer', op: 'contains', value: 'refund' }],
    }),
  );
  await writeFile(join(dir, 'cases.jsonl'), `${lines.join('\n')}\n`);
  const baseline = await run(join(dir, 'base'));
  expect(baseline.stderr).not.toContain('Error');
  expect(baseline.code).toBe(0);
  phase = 'after';
});

afterAll(async () => {
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});

describe('run --baseline', () => {
  it('counts 4 regressions and 1 fix; --max-new-failures 0 exits 1 naming them', async () => {
    const out = join(dir, 'gate-0');
    const result = await run(out, '--baseline', join(dir, 'base'), '--max-new-failures', '0');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(
      '4 cases regressed against the baseline (passed there, fail now), above the allowed 0: ' +
        '"case-2", "case-5", "case-7", "case-11"',
    );
    expect(result.stdout).toContain(
      'compared with run ', // the baseline's run id is random
    );
    expect(result.stdout).toContain(
      ': 4 regressed, 1 fixed, 1 still failing, 0 added, 0 removed (regressed: case-2, case-5, case-7, case-11)',
    );

    const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as {
      comparison: { regressions: number; fixes: number; regressed_ids: string[]; fixed_ids: string[] };
      verdict: string;
    };
    expect(summary.comparison).toMatchObject({
      regressions: 4,
      fixes: 1,
      regressed_ids: REGRESSING,
      fixed_ids: [FIXED],
    });
    expect(summary.verdict).toBe('fail');

    const report = await readFile(join(out, 'report.md'), 'utf8');
    for (const id of REGRESSING) {
      expect(report).toMatch(
        new RegExp(`\\| ${id} \\| FULFILLED \\| .*no luck for ${id} \\(after\\).*refund for ${id}`),
      );
    }
    expect(report).toContain('### Fixes (1)');
  });

  it('passes with --max-new-failures 4', async () => {
    const result = await run(join(dir, 'gate-4'), '--baseline', join(dir, 'base'), '--max-new-failures', '4');
    expect(result.stderr).not.toMatch(/error/i);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^PASS: 7\/12 passed/m);
  });

  it('refuses --max-new-failures without --baseline (exit 2, nothing submitted)', async () => {
    const before = fake.stats.requests.submit;
    const result = await run(join(dir, 'no-baseline'), '--max-new-failures', '0');
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'vellum-batch: --max-new-failures needs --baseline DIR (the out directory of an earlier run or merge to compare with)\n',
    );
    expect(fake.stats.requests.submit).toBe(before);
  });

  it('refuses a baseline of another deployment before submitting, unless --baseline-any-workflow', async () => {
    const before = fake.stats.requests.submit;
    const other = (out: string, ...extra: string[]) =>
      runCli(
        [
          'run',
          '--dataset',
          join(dir, 'cases.jsonl'),
          '--workflow',
          'other-bot',
          '--base-url',
          fake.url,
          '--out',
          join(dir, out),
          '--max-failure-rate',
          '100%',
          '--baseline',
          join(dir, 'base'),
          ...extra,
        ],
        { env: { VELLUM_API_KEY: KEY } },
      );
    const refused = await other('other');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      'vellum-batch: --baseline: the baseline ran the deployment named "bot", this run named "other-bot"',
    );
    expect(fake.stats.requests.submit).toBe(before);
    const allowed = await other('other-any', '--baseline-any-workflow');
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toContain(': 4 regressed, 1 fixed,');
  });

  it('names the missing file of a wrong --baseline (exit 2)', async () => {
    const wrong = join(dir, 'nope');
    const result = await run(join(dir, 'wrong'), '--baseline', wrong);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `vellum-batch: --baseline: ${wrong} is not a vellum-batch out directory: ${join(wrong, 'summary.json')} is missing\n`,
    );
  });

  it('compares each shard with the cases of its shard, and the merge with the whole baseline', async () => {
    const shards = [join(dir, 'shard-1'), join(dir, 'shard-2')];
    const counts: number[] = [];
    for (const [i, out] of shards.entries()) {
      const result = await run(out, '--shard', `${i + 1}/2`, '--baseline', join(dir, 'base'));
      expect(result.code).toBe(0);
      const s = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as {
        comparison: { regressions: number; removed: number; added: number };
      };
      expect(s.comparison).toMatchObject({ removed: 0, added: 0 });
      counts.push(s.comparison.regressions);
    }
    expect(counts[0]! + counts[1]!).toBe(4);
    const merged = await runCli(
      [
        'merge',
        ...shards,
        '--out',
        join(dir, 'merged'),
        '--max-failure-rate',
        '100%',
        '--baseline',
        join(dir, 'base'),
        '--max-new-failures',
        '3',
      ],
      { env: {} },
    );
    expect(merged.code).toBe(1);
    expect(merged.stdout).toContain(
      '4 cases regressed against the baseline (passed there, fail now), above the allowed 3',
    );
    const report = await readFile(join(dir, 'merged', 'report.md'), 'utf8');
    expect(report).toContain('### Regressions (4)');
  });
});
