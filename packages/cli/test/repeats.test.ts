/**
 * `--repeat N --min-pass K` through the real CLI against the testkit's HTTP fake, on a workflow that rejects 30% of
 * its executions at random (seeded): Vellum sees exactly N executions per case, each record has its N repeats, every
 * verdict follows from them, and `flaky` counts the records whose repeats disagree. An interrupted (SIGINT) then
 * crashed (SIGKILL) run resumed to its end still starts no repeat twice.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeVellum } from '@vellum-batch/testkit';
import type { FakeVellum } from '@vellum-batch/testkit';
import { runCli } from './helpers.js';

const KEY = 'repeat-key';
const CASES = 30;
let dir: string;
let fake: FakeVellum;
let dataset: string;
/** Called by the fake for each execution it creates. */
let onCreated: (() => void) | null = null;

interface Repeat {
  execution_id: string | null;
  external_id: string;
  status: string;
  passed: boolean;
  latency_ms: number | null;
}
interface CaseLine {
  index: number;
  id: string;
  passed: boolean;
  execution_id: string | null;
  repeats?: Repeat[];
}

async function records(out: string): Promise<CaseLine[]> {
  const text = await readFile(join(out, 'results.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as CaseLine);
}

async function summary(out: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as Record<string, unknown>;
}

function args(out: string, prefix: string, ...extra: string[]): string[] {
  return [
    'run',
    '--dataset',
    dataset,
    '--workflow',
    'demo',
    '--base-url',
    fake.url,
    '--out',
    out,
    '--external-id-prefix',
    prefix,
    '--concurrency',
    '12',
    '--max-failure-rate',
    '100%',
    ...extra,
  ];
}

/** Executions Vellum started under `prefix`, counted by external id. */
function started(prefix: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of fake.executions()) {
    if (e.externalId?.startsWith(prefix)) counts.set(e.externalId, (counts.get(e.externalId) ?? 0) + 1);
  }
  return counts;
}

/** Exactly 3 executions per case, one per repeat id, and records that agree with them. */
function expectThreePerCase(prefix: string, list: readonly CaseLine[]): void {
  const counts = started(prefix);
  expect(counts.size).toBe(CASES * 3);
  expect([...counts.values()].every((n) => n === 1)).toBe(true);
  for (let i = 0; i < CASES; i++) {
    const own = [...counts.keys()].filter((id) => id.startsWith(`${prefix}case-${i}-r`));
    expect(own.sort(), `case-${i}`).toEqual([1, 2, 3].map((k) => `${prefix}case-${i}-r${k}`));
  }
  const byExternal = new Map([...fake.executions()].map((e) => [e.externalId, e]));
  expect(list.map((r) => r.index)).toEqual(Array.from({ length: CASES }, (_, i) => i));
  for (const record of list) {
    expect(record.repeats, record.id).toHaveLength(3);
    for (const r of record.repeats!) {
      const e = byExternal.get(r.external_id);
      expect(e?.id, r.external_id).toBe(r.execution_id);
      expect(r.status).toBe(e!.status);
    }
    expect(record.passed, record.id).toBe(record.repeats!.filter((r) => r.passed).length >= 2);
  }
}

function flakyOf(list: readonly CaseLine[]): CaseLine[] {
  return list.filter((r) => r.repeats!.some((x) => x.passed) && r.repeats!.some((x) => !x.passed));
}

describe('run --repeat 3 --min-pass 2', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vb-repeat-cli-'));
    fake = await startFakeVellum({
      apiKey: KEY,
      deployments: ['demo'],
      rejectRate: 0.3,
      seed: 13,
      // 20-80 ms, fixed per external id (FNV-1a); each creation is told to the kill switch.
      durationMs: (req) => {
        onCreated?.();
        let hash = 0x811c9dc5;
        for (const char of req.externalId ?? '')
          hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193) >>> 0;
        return 20 + (hash % 61);
      },
    });
    dataset = join(dir, 'cases.jsonl');
    const lines = Array.from({ length: CASES }, (_, i) =>
      JSON.stringify({ id: `case-${i}`, inputs: { q: `q${i}` } }),
    );
    await writeFile(dataset, `${lines.join('\n')}\n`);
  });
  afterAll(async () => {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('starts exactly 3 executions per case, and every verdict and the flaky count follow from the repeats', async () => {
    const out = join(dir, 'once');
    const result = await runCli(args(out, 'vb-cli-rep-', '--repeat', '3', '--min-pass', '2'), {
      env: { VELLUM_API_KEY: KEY },
    });
    expect(result.code, result.stderr).toBe(0);
    const list = await records(out);
    expectThreePerCase('vb-cli-rep-', list);
    const flaky = flakyOf(list);
    // 30% rejections over 30 cases: some cases disagree, some fail, some pass (seeded).
    expect(flaky.length).toBeGreaterThan(0);
    expect(list.some((r) => !r.passed)).toBe(true);
    const s = await summary(out);
    expect(s).toMatchObject({
      total: CASES,
      passed: list.filter((r) => r.passed).length,
      repeat: { count: 3, min_pass: 2 },
      flaky: flaky.length,
    });
    console.log(
      `repeats: ${CASES} cases, ${started('vb-cli-rep-').size} executions, ${list.filter((r) => r.passed).length} passed, ${flaky.length} flaky`,
    );
    expect(result.stdout).toContain(
      `repeats: each case ran 3 times, passing with 2; ${flaky.length} flaky: `,
    );
    expect(result.stderr).toContain(`${CASES} cases × 3 repeats (${CASES * 3} executions)`);
    expect(await readFile(join(out, 'report.md'), 'utf8')).toContain(`### Flaky cases (${flaky.length})`);
  });

  it('interrupted, then killed, then resumed: no repeat is started twice', async () => {
    const out = join(dir, 'resumed');
    const prefix = 'vb-cli-res-';
    const flags = args(out, prefix, '--repeat', '3', '--min-pass', '2');
    const stopAt = async (extra: string[], signal: NodeJS.Signals, n: number) => {
      let created = 0;
      const result = await runCli([...flags, ...extra], {
        env: { VELLUM_API_KEY: KEY },
        onStart: (child) => {
          onCreated = () => {
            if (++created === n) child.kill(signal);
          };
        },
      });
      onCreated = null;
      return result;
    };
    const interrupted = await stopAt([], 'SIGINT', 25);
    expect(interrupted.code, interrupted.stderr).toBe(130);
    const afterFirst = started(prefix).size;
    expect(afterFirst).toBeLessThan(CASES * 3);
    const journal = await readFile(join(out, 'journal.jsonl'), 'utf8');
    expect(journal).toContain('"rep":2');

    const killed = await stopAt(['--resume'], 'SIGKILL', 20);
    expect(killed.signal).toBe('SIGKILL');
    const afterKill = started(prefix).size;
    expect(afterKill).toBeGreaterThan(afterFirst);

    const finished = await runCli([...flags, '--resume'], { env: { VELLUM_API_KEY: KEY } });
    expect(finished.code, finished.stderr).toBe(0);
    const list = await records(out);
    expectThreePerCase(prefix, list);
    expect((await summary(out))['flaky']).toBe(flakyOf(list).length);
    console.log(
      `repeats resume: ${afterFirst} executions before SIGINT, ${afterKill} before SIGKILL, ${started(prefix).size} at the end, none twice`,
    );
  });

  it('refuses --min-pass without --repeat, or above it (exit 2, nothing submitted)', async () => {
    const before = fake.stats.executionsCreated;
    const alone = await runCli(args(join(dir, 'bad-1'), 'vb-bad-', '--min-pass', '2'), {
      env: { VELLUM_API_KEY: KEY },
    });
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain(
      '--min-pass: goes with --repeat (it says how many of the repeats of each case must pass)',
    );
    const above = await runCli(args(join(dir, 'bad-2'), 'vb-bad-', '--repeat', '2', '--min-pass', '3'), {
      env: { VELLUM_API_KEY: KEY },
    });
    expect(above.code).toBe(2);
    expect(above.stderr).toContain('--min-pass: 3 is more than --repeat (2)');
    const resumed = await runCli(args(join(dir, 'once'), 'vb-cli-rep-', '--resume'), {
      env: { VELLUM_API_KEY: KEY },
    });
    expect(resumed.code).toBe(2);
    expect(resumed.stderr).toContain(
      "the journal's run ran each case 3 times (a case passes with 2 of them), this one each case once",
    );
    expect(fake.stats.executionsCreated).toBe(before);
  });
});
