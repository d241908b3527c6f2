/**
 * Merging shard out directories into one verdict. Shards are checked to be of one dataset, workflow and repeat setting
 * (`--repeat`, `--min-pass`) and to cover it exactly once; their sorted `results.jsonl` files are merged by index as streams (a k-way merge), so memory
 * stays small whatever the number of cases; the gate is applied once, to the whole set.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from './errors.js';
import { finishOutDir } from './report/out-dir.js';
import { readRecords } from './report/jsonl.js';
import { shardOf } from './shard.js';
import type { CaseRecord, GateOptions, Summary } from './types.js';

/** Options of {@link mergeResults}. */
export interface MergeOptions {
  /** The shard out directories (each with `summary.json` and `results.jsonl`). */
  readonly inputs: readonly string[];
  /** Where the merged files are written; created if missing. */
  readonly outDir: string;
  /** The gate applied to the whole set. @default `{ maxFailureRate: 0, minCases: 1 }` */
  readonly gate?: GateOptions | undefined;
}

/** What {@link mergeResults} resolves with. */
export interface MergeResult {
  readonly summary: Summary;
  readonly outDir: string;
  /** The text of the merged `report.md`. */
  readonly markdown: string;
}

const shardSummarySchema = z.looseObject({
  total: z.number().int().nonnegative(),
  workflow: z.object({
    deployment_name: z.string().nullable(),
    deployment_id: z.string().nullable(),
    release_tag: z.string(),
  }),
  shard: z.object({ index: z.number().int().positive(), count: z.number().int().positive() }).nullable(),
  run_id: z.string(),
  external_id_prefix: z.string(),
  dataset: z.object({
    path: z.string(),
    cases: z.number().int().nonnegative(),
    sha256: z.string().optional(),
  }),
  started_at: z.string(),
  finished_at: z.string(),
  api_calls: z.object({ submit: z.number(), status: z.number(), retries: z.number() }),
  stopped: z.object({ reason: z.enum(['fatal', 'deadline', 'interrupted']), message: z.string() }).nullable(),
  repeat: z.object({ count: z.number().int().positive(), min_pass: z.number().int().positive() }).optional(),
});
type ShardSummary = z.infer<typeof shardSummarySchema>;

interface ShardInput {
  readonly dir: string;
  readonly summary: ShardSummary;
}

/**
 * Merges shard results into `outDir` and applies the gate once.
 *
 * @throws ConfigError when an input is not a shard out directory, when shards disagree on dataset, workflow or repeats,
 * when a shard is missing or given twice, or when the records do not cover the dataset exactly once.
 */
export async function mergeResults(options: MergeOptions): Promise<MergeResult> {
  if (options.inputs.length === 0) throw new ConfigError('merge: name at least one shard out directory');
  const shards = await Promise.all(options.inputs.map(readShard));
  const first = checkShards(shards);
  await mkdir(options.outDir, { recursive: true });

  async function* merged(): AsyncGenerator<CaseRecord> {
    const seen = new Set<string>();
    let previous = -1;
    for await (const { record, shard } of mergeByIndex(shards)) {
      const owner = shardOf(record.id, first.shard.count);
      if (owner !== shard.summary.shard!.index) {
        throw new ConfigError(
          `merge: ${shard.dir}: case "${record.id}" belongs to shard ${owner} of ${first.shard.count}, not ${shard.summary.shard!.index}: the shards were not cut from this dataset the same way`,
        );
      }
      if (record.index === previous || seen.has(record.id)) {
        throw new ConfigError(`merge: case "${record.id}" (index ${record.index}) has more than one record`);
      }
      seen.add(record.id);
      previous = record.index;
      // A shard's comparison with its own baseline does not describe the merged set: `--baseline` compares anew.
      yield { ...record, baseline: undefined };
    }
    if (seen.size !== first.dataset.cases) {
      throw new ConfigError(
        `merge: the shards hold ${seen.size} records but the dataset has ${first.dataset.cases} cases: a shard is incomplete (was it stopped or resumed elsewhere?)`,
      );
    }
  }

  const { summary, markdown } = await finishOutDir(options.outDir, merged(), {
    workflow: first.workflow,
    shard: null,
    runId: shards.map((s) => s.summary.run_id).join('+'),
    externalIdPrefix: commonPrefix(shards.map((s) => s.summary.external_id_prefix)),
    dataset: first.dataset,
    startedAt: new Date(Math.min(...shards.map((s) => Date.parse(s.summary.started_at)))),
    finishedAt: new Date(Math.max(...shards.map((s) => Date.parse(s.summary.finished_at)))),
    apiCalls: {
      submit: sum(shards, (s) => s.api_calls.submit),
      status: sum(shards, (s) => s.api_calls.status),
      retries: sum(shards, (s) => s.api_calls.retries),
    },
    stopped: worstStop(shards),
    gate: options.gate,
    ...(first.repeat === undefined ? {} : { repeat: first.repeat }),
  });
  return { summary, outDir: options.outDir, markdown };
}

async function readShard(dir: string): Promise<ShardInput> {
  const file = join(dir, 'summary.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new ConfigError(`merge: ${dir} is not a vellum-batch out directory: ${file} is missing`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ConfigError(`merge: ${file} is not valid JSON`);
  }
  const parsed = shardSummarySchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(
      `merge: ${file}: ${issue?.path.join('.') || 'summary'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return { dir, summary: parsed.data };
}

/** Checks the shards fit together; returns the facts they share. */
function checkShards(shards: readonly ShardInput[]): {
  shard: { index: number; count: number };
  dataset: ShardSummary['dataset'];
  workflow: ShardSummary['workflow'];
  repeat: ShardSummary['repeat'];
} {
  const [head] = shards;
  const notShards = shards.filter((s) => s.summary.shard === null).map((s) => s.dir);
  if (notShards.length > 0) {
    throw new ConfigError(
      `merge: ${notShards.join(', ')} ran the whole dataset, not a shard (--shard I/N): nothing to merge`,
    );
  }
  const { summary } = head!;
  const count = summary.shard!.count;
  const problems: string[] = [];
  for (const { dir, summary: other } of shards.slice(1)) {
    if (other.shard!.count !== count)
      problems.push(`${dir} is a shard of ${other.shard!.count}, ${head!.dir} of ${count}`);
    if (other.dataset.cases !== summary.dataset.cases || other.dataset.sha256 !== summary.dataset.sha256) {
      problems.push(
        `${dir} ran another dataset than ${head!.dir} (${other.dataset.path}, ${other.dataset.cases} cases)`,
      );
    }
    const a = summary.workflow;
    const b = other.workflow;
    if (
      a.deployment_name !== b.deployment_name ||
      a.deployment_id !== b.deployment_id ||
      a.release_tag !== b.release_tag
    ) {
      problems.push(`${dir} ran another workflow than ${head!.dir}`);
    }
    if (
      other.repeat?.count !== summary.repeat?.count ||
      other.repeat?.min_pass !== summary.repeat?.min_pass
    ) {
      problems.push(
        `${dir} ran ${repeatsOf(other)}, ${head!.dir} ${repeatsOf(summary)}: run every shard with the same --repeat and --min-pass`,
      );
    }
  }
  const byIndex = new Map<number, string[]>();
  for (const { dir, summary: other } of shards) {
    byIndex.set(other.shard!.index, [...(byIndex.get(other.shard!.index) ?? []), resolve(dir)]);
  }
  for (let index = 1; index <= count; index++) {
    const dirs = byIndex.get(index) ?? [];
    if (dirs.length === 0) problems.push(`shard ${index} of ${count} is missing`);
    if (dirs.length > 1)
      problems.push(`shard ${index} of ${count} is given ${dirs.length} times (${dirs.join(', ')})`);
  }
  if (problems.length > 0)
    throw new ConfigError(`merge: the shards do not make one run:\n  ${problems.join('\n  ')}`);
  return {
    shard: summary.shard!,
    dataset: summary.dataset,
    workflow: summary.workflow,
    repeat: summary.repeat,
  };
}

/** `each case once`, or `each case 3 times (passing with 2)`. */
function repeatsOf(summary: ShardSummary): string {
  const r = summary.repeat;
  return r === undefined ? 'each case once' : `each case ${r.count} times (passing with ${r.min_pass})`;
}

/** Yields the records of every shard in index order (each shard's file is sorted by index). */
async function* mergeByIndex(
  shards: readonly ShardInput[],
): AsyncGenerator<{ record: CaseRecord; shard: ShardInput }> {
  const heads = shards.map((shard) => ({
    shard,
    it: readRecords(join(shard.dir, 'results.jsonl'))[Symbol.asyncIterator](),
  }));
  const current = await Promise.all(
    heads.map(async (h) => (await h.it.next()).value as CaseRecord | undefined),
  );
  for (;;) {
    let best = -1;
    for (let i = 0; i < current.length; i++) {
      const record = current[i];
      if (record !== undefined && (best < 0 || record.index < current[best]!.index)) best = i;
    }
    if (best < 0) return;
    const record = current[best]!;
    yield { record, shard: heads[best]!.shard };
    const next = await heads[best]!.it.next();
    if (!next.done && next.value.index <= record.index) {
      throw new ConfigError(
        `merge: ${heads[best]!.shard.dir}/results.jsonl is not sorted by index (${next.value.index} after ${record.index})`,
      );
    }
    current[best] = next.done ? undefined : next.value;
  }
}

function sum(shards: readonly ShardInput[], pick: (s: ShardSummary) => number): number {
  return shards.reduce((total, shard) => total + pick(shard.summary), 0);
}

function worstStop(shards: readonly ShardInput[]): Summary['stopped'] {
  const order = ['fatal', 'interrupted', 'deadline'] as const;
  for (const reason of order) {
    const shard = shards.find((s) => s.summary.stopped?.reason === reason);
    if (shard !== undefined) {
      return { reason, message: `shard ${shard.summary.shard!.index}: ${shard.summary.stopped!.message}` };
    }
  }
  return null;
}

function commonPrefix(values: readonly string[]): string {
  let prefix = values[0] ?? '';
  for (const value of values) {
    while (!value.startsWith(prefix)) prefix = prefix.slice(0, -1);
  }
  return prefix;
}
