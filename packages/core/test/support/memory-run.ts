/**
 * One batch run on a {@link ManualClock} against a {@link MemoryVellum}: the harness of the manual-clock suites.
 * The run writes into `dir`; its records are read back from `results.jsonl`.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runBatch } from '../../src/engine/run.js';
import type { RunBatchOptions, RunEvent } from '../../src/engine/options.js';
import type { Case, CaseRecord } from '../../src/types.js';
import { ManualClock } from './manual-clock.js';
import { MemoryVellum, type MemoryVellumOptions } from './memory-vellum.js';

/** What a run on the manual clock left. */
export interface MemoryOutcome {
  readonly records: CaseRecord[];
  readonly events: RunEvent[];
  readonly vellum: MemoryVellum;
  readonly clock: ManualClock;
  readonly startedAt: number;
  readonly endedAt: number;
}

/** `n` cases `c0`, `c1`, … with one string input and no expectations. */
export function memoryCases(n: number): Case[] {
  return Array.from({ length: n }, (_, index) => ({
    index,
    id: `c${index}`,
    inputs: [{ name: 'q', type: 'STRING' as const, value: `q${index}` }],
    expected: {},
    assertions: [],
    metadata: {},
  }));
}

/** Runs `n` cases against a memory Vellum of `server` into `dir`; webhook and hybrid runs get its pushes. */
export async function runOnMemory(
  dir: string,
  n: number,
  server: MemoryVellumOptions,
  extra: Partial<RunBatchOptions> = {},
  setup?: (vellum: MemoryVellum) => void,
): Promise<MemoryOutcome> {
  const clock = new ManualClock();
  const vellum = new MemoryVellum(clock, server);
  setup?.(vellum);
  const events: RunEvent[] = [];
  const startedAt = clock.now();
  const list = memoryCases(n);
  await clock.drive(
    runBatch({
      client: vellum,
      dataset: { path: 'memory.jsonl', size: n, cases: () => list },
      workflow: { deploymentName: 'wf' },
      outDir: dir,
      clock,
      onEvent: (e) => events.push(e),
      ...(extra.track !== undefined && extra.track !== 'poll' ? { completions: vellum } : {}),
      ...extra,
    }),
  );
  const text = await readFile(join(dir, 'results.jsonl'), 'utf8');
  const records = text
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as CaseRecord);
  return { records, events, vellum, clock, startedAt, endedAt: clock.now() };
}
