/**
 * What the hostile suites share: an in-process fake Vellum (so a test reads its store, the ground truth of which
 * executions exist), the built CLI as a child process with an optional peak-RSS probe, and readers of the out dir.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { startFakeVellum } from '@vellum-batch/testkit';
import type { FakeVellum, FakeVellumOptions } from '@vellum-batch/testkit';
import { BIN, type CliResult } from './helpers.js';

export const KEY = 'hostile-key-7731';

/** A case record as the suites read it. */
export interface Row {
  index: number;
  id: string;
  external_id: string;
  execution_id: string | null;
  status: string;
  passed: boolean;
  attempts: number;
  outputs: Record<string, unknown> | null;
  error: { code: string; message: string } | null;
  assertions: { op: string; passed: boolean; actual?: unknown }[];
}

export async function readRows(out: string): Promise<Row[]> {
  const text = await readFile(join(out, 'results.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Row);
}

export async function readSummary(out: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as Record<string, unknown>;
}

/** Writes `count` JSONL cases `{id: c-i, inputs: {q: "question i", ...extra(i)}, expected: {q}}`. */
export async function writeCases(
  file: string,
  count: number,
  extra: (i: number) => Record<string, unknown> = () => ({}),
): Promise<void> {
  const lines = Array.from({ length: count }, (_, i) =>
    JSON.stringify({
      id: `c-${i}`,
      inputs: { q: `question ${i}`, ...extra(i) },
      expected: { q: `question ${i}` },
    }),
  );
  await writeFile(file, `${lines.join('\n')}\n`);
}

/** Starts an in-process fake with the suites' key; `stop` it in an `afterEach`. */
export function startFake(options: FakeVellumOptions = {}): Promise<FakeVellum> {
  return startFakeVellum({ apiKey: KEY, durationMs: { min: 10, max: 60 }, ...options });
}

/** How many executions the fake holds per external id (the ground truth: 1 each means none lost or doubled). */
export function executionsByExternalId(fake: FakeVellum): Map<string, number> {
  const counts = new Map<string, number>();
  for (const execution of fake.executions()) {
    const key = execution.externalId ?? '<none>';
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/**
 * Every record is the one correct record of its case: `total` records, indexes 0..total-1 once each, and each record's
 * execution is the only one the fake holds under its external id; no execution without a record.
 */
export function expectOneExecutionPerRecord(fake: FakeVellum, rows: readonly Row[], total: number): void {
  expect(rows.map((r) => r.index)).toEqual(Array.from({ length: total }, (_, i) => i));
  const counts = executionsByExternalId(fake);
  for (const row of rows) {
    expect(counts.get(row.external_id), row.external_id).toBe(1);
    expect(row.execution_id, row.id).toBe(fake.byExternalId(row.external_id)!.id);
  }
  const recorded = new Set(rows.map((r) => r.external_id));
  expect([...counts.keys()].filter((id) => !recorded.has(id))).toEqual([]);
}

/**
 * The CLI's peak resident set, measured by the process itself: `--import` preloads this module into the CLI, which on
 * exit writes `process.resourceUsage().maxRSS` (getrusage's ru_maxrss, kB: the kernel's high-water mark, so no
 * sampling and nothing timing-sensitive) to the file named by `VB_TEST_MAX_RSS_FILE`. The product reads no such variable.
 */
const RSS_PROBE =
  "import {writeFileSync} from 'node:fs';" +
  "process.on('exit', () => writeFileSync(process.env.VB_TEST_MAX_RSS_FILE, String(process.resourceUsage().maxRSS)));";

/** Options of {@link runHostileCli}. */
export interface HostileRunOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Write the CLI's peak RSS (kB) to this file on exit (see {@link RSS_PROBE}). */
  readonly maxRssFile?: string;
  /** Called with each chunk of the child's stderr (to act on what it says, e.g. send a signal). */
  readonly onStderr?: (text: string, child: ChildProcess) => void;
}

/** Runs `vellum-batch ...args` against nothing but what `args` and `env` name. */
export function runHostileCli(args: readonly string[], options: HostileRunOptions = {}): Promise<CliResult> {
  const nodeArgs =
    options.maxRssFile === undefined
      ? []
      : ['--import', `data:text/javascript,${encodeURIComponent(RSS_PROBE)}`];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, BIN, ...args], {
      env: {
        PATH: process.env['PATH'],
        VELLUM_API_KEY: KEY,
        ...(options.maxRssFile === undefined ? {} : { VB_TEST_MAX_RSS_FILE: options.maxRssFile }),
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      options.onStderr?.(d, child);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** `run` against `fake` with the deployment `demo`. */
export function runArgs(fake: FakeVellum, dataset: string, out: string, ...extra: string[]): string[] {
  return ['run', '--dataset', dataset, '--workflow', 'demo', '--base-url', fake.url, '--out', out, ...extra];
}

/** Resolves once `check` holds, looking every 20 ms; rejects after `limitMs` (a generous bound, not a timing). */
export async function until(check: () => boolean, what: string, limitMs = 20_000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > limitMs) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
