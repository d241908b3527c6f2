/**
 * The user's work is kept: an interrupted run resumes to its executions' real ends, an unfinished run is never
 * silently replaced, one run holds an out dir at a time, a resume of another dataset is refused, a listener's fault
 * changes nothing, and a full disk stops the run resumably. Against the testkit's real HTTP fake.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeVellum } from '@vellum-batch/testkit';
import type { FakeVellum } from '@vellum-batch/testkit';
import { createClient } from '../src/client.js';
import { runBatch } from '../src/engine/run.js';
import type { RunBatchOptions } from '../src/engine/options.js';
import { OutDirBusyError, OutDirError } from '../src/engine/out-dir.js';
import { UnfinishedRunError } from '../src/engine/start.js';
import type { Case, CaseRecord } from '../src/types.js';

let dir: string;
let fake: FakeVellum;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vb-keep-'));
  fake = await startFakeVellum({ apiKey: 'k', deployments: ['wf'], durationMs: { min: 150, max: 400 } });
});
afterEach(async () => {
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});

function cases(n: number, salt = ''): Case[] {
  return Array.from({ length: n }, (_, index) => ({
    index,
    id: `c${index}`,
    inputs: [{ name: 'q', type: 'STRING' as const, value: `q${index}${salt}` }],
    expected: {},
    assertions: [],
    metadata: {},
  }));
}

function options(list: Case[], extra: Partial<RunBatchOptions> = {}, sha = 'sha-a'): RunBatchOptions {
  return {
    client: createClient({ apiKey: 'k', baseUrl: fake.url, retry: { baseDelayMs: 5, maxDelayMs: 20 } }),
    dataset: { path: 'cases.jsonl', size: list.length, sha256: sha, cases: () => list },
    workflow: { deploymentName: 'wf' },
    outDir: dir,
    initialDurationEstimateMs: 50,
    ...extra,
  };
}

/** A run interrupted right after its first submit: its journal is unfinished. */
async function interrupted(list: Case[], sha?: string): Promise<void> {
  const abort = new AbortController();
  const result = await runBatch(
    options(
      list,
      { concurrency: 1, signal: abort.signal, onEvent: (e) => e.type === 'submitted' && abort.abort() },
      sha,
    ),
  );
  expect(result.stopped?.reason).toBe('interrupted');
}

async function records(at = dir): Promise<CaseRecord[]> {
  const text = await readFile(join(at, 'results.jsonl'), 'utf8');
  return text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as CaseRecord);
}

describe('keeping the user work', () => {
  it('resumes an interrupted run: executions still running are tracked to their real end, nothing starts twice', async () => {
    const list = cases(12);
    const abort = new AbortController();
    let submitted = 0;
    const first = await runBatch(
      options(list, {
        concurrency: 4,
        signal: abort.signal,
        onEvent: (e) => {
          if (e.type === 'submitted' && ++submitted === 6) abort.abort();
        },
      }),
    );
    expect(first.stopped?.reason).toBe('interrupted');
    const interrupted = await records();
    expect(interrupted.filter((r) => r.status === 'CANCELLED').length).toBeGreaterThan(0);
    const second = await runBatch(options(list, { mode: 'resume', concurrency: 4 }));
    expect(second.stopped).toBeNull();
    const final = await records();
    expect(final.map((r) => r.status)).toEqual(Array(12).fill('FULFILLED'));
    expect(fake.stats.executionsCreated).toBe(12);
    for (const r of final) expect(fake.execution(r.execution_id!)?.externalId).toBe(r.external_id);
  });

  it('refuses a plain run over an unfinished journal, leaving it byte for byte, and --fresh keeps it aside', async () => {
    const list = cases(6);
    await interrupted(list);
    const journal = await readFile(join(dir, 'journal.jsonl'));
    const submitsBefore = fake.stats.requests.submit;
    const error = await runBatch(options(list)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnfinishedRunError);
    expect((error as Error).message).toMatch(/holds an unfinished run .*--resume.*--fresh/);
    expect(await readFile(join(dir, 'journal.jsonl'))).toEqual(journal);
    expect(fake.stats.requests.submit).toBe(submitsBefore);
    const fresh = await runBatch(options(list, { discardUnfinished: true }));
    expect(fresh.warnings).toContain("the unfinished run's journal was kept as journal.discarded-1.jsonl");
    expect(await readFile(join(dir, 'journal.discarded-1.jsonl'))).toEqual(journal);
    expect((await records()).every((r) => r.status === 'FULFILLED')).toBe(true);
  });

  it('lets one run hold an out dir: a second one at once is refused and submits nothing', async () => {
    const list = cases(10);
    const first = runBatch(options(list));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const second = await runBatch(options(list)).catch((e: unknown) => e);
    expect(second).toBeInstanceOf(OutDirBusyError);
    expect((second as Error).message).toMatch(/in use by another vellum-batch run \(pid \d+/);
    await first;
    expect(fake.stats.executionsCreated).toBe(10);
    expect((await records()).every((r) => r.status === 'FULFILLED')).toBe(true);
  });

  it('takes over the lock of a process that is gone, and says so', async () => {
    const dead = spawnSync(process.execPath, [
      '-e',
      'process.stdout.write(String(process.pid))',
    ]).stdout.toString();
    await writeFile(
      join(dir, '.vellum-batch.lock'),
      JSON.stringify({ pid: Number(dead), host: (await import('node:os')).hostname(), started_at: 'then' }),
    );
    const result = await runBatch(options(cases(2)));
    expect(result.warnings.join('\n')).toMatch(new RegExp(`took over the lock of pid ${dead}`));
  });

  it('refuses to resume with another dataset of the same size, naming both fingerprints', async () => {
    const list = cases(4);
    await interrupted(list, 'aaaaaaaaaaaaaaaa');
    const created = fake.stats.executionsCreated;
    const error = await runBatch(options(cases(4, 'x'), { mode: 'resume' }, 'bbbbbbbbbbbbbbbb')).catch(
      (e: unknown) => e,
    );
    expect((error as Error).message).toMatch(/sha256 aaaaaaaaaaaa….*sha256 bbbbbbbbbbbb…/);
    expect(fake.stats.executionsCreated).toBe(created);
  });

  it('isolates a throwing listener: records, journal and verdict are those of a quiet run', async () => {
    const list = cases(8);
    let calls = 0;
    const result = await runBatch(
      options(list, {
        onEvent: () => {
          calls += 1;
          throw new Error(`listener bug ${calls}`);
        },
      }),
    );
    expect(result.summary.verdict).toBe('pass');
    expect(result.warnings.filter((w) => w.includes('onEvent listener threw'))).toHaveLength(1);
    const recs = await records();
    expect(recs.map((r) => r.status)).toEqual(Array(8).fill('FULFILLED'));
    const journal = (await readFile(join(dir, 'journal.jsonl'), 'utf8')).trim().split('\n');
    expect(journal.filter((l) => l.includes('"t":"rec"'))).toHaveLength(8);
  });
});

const canMount = process.getuid?.() === 0 && spawnSync('mount', ['--version']).status === 0;

describe.skipIf(!canMount)('a full disk', () => {
  it('stops the run with an out-dir error naming ENOSPC, and --resume on a free disk finishes, nothing doubled', async () => {
    const mnt = join(dir, 'small');
    await mkdir(mnt);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48k', 'tmpfs', mnt]);
    try {
      const list = cases(150);
      const error = await runBatch(options(list, { outDir: mnt, concurrency: 8 })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OutDirError);
      expect((error as OutDirError).beforeSubmit).toBe(false);
      expect((error as Error).message).toMatch(/the disk is full \(ENOSPC\).*--resume/);
      execFileSync('mount', ['-o', 'remount,size=16m', mnt]);
      const resumed = await runBatch(options(list, { outDir: mnt, mode: 'resume', concurrency: 8 }));
      expect(resumed.summary.total).toBe(150);
      const recs = await records(mnt);
      expect(recs.map((r) => r.status)).toEqual(Array(150).fill('FULFILLED'));
      expect(fake.stats.executionsCreated).toBe(150);
    } finally {
      execFileSync('umount', ['-l', mnt]);
    }
  });
});
