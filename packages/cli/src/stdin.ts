/**
 * The dataset of `vellum-batch run`: a file, or standard input with `--dataset -`. Standard input is spooled to a
 * temporary file (the dataset is validated in full before anything is submitted, then streamed again), which is
 * removed when the run ends, also when the process exits early. Errors name `<stdin>` and the line.
 * `--dataset-format` reads a file whose extension does not say its format (through a link named for the format).
 */
import { createWriteStream, rmSync } from 'node:fs';
import { copyFile, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ConfigError, DatasetError, openDataset } from '@vellum-batch/core';
import { DATASET_EXTENSIONS, inShard } from '@vellum-batch/core/internal';
import type { Dataset } from '@vellum-batch/core';
import type { DatasetFormat, ShardRef } from '@vellum-batch/core/internal';

/** How errors and reports name a dataset read from standard input. */
export const STDIN_NAME = '<stdin>';

/** A dataset ready for the run, and how to clean up after it. */
export interface RunDataset {
  /** The validated dataset; its `path` is the name shown to the user (`<stdin>`, or the file as given). */
  readonly dataset: Dataset;
  readonly fromStdin: boolean;
  /** Removes the spooled copy, if any. Safe to call more than once. */
  dispose(): Promise<void>;
}

/** Where the dataset comes from. */
export interface RunDatasetOptions {
  /** A path, or `-` for standard input. */
  readonly dataset: string;
  /** @default by extension; `jsonl` for standard input */
  readonly format: DatasetFormat | undefined;
  readonly shard: ShardRef | null;
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
}

/**
 * Opens and validates the dataset of a run.
 *
 * @throws {@link DatasetError} naming `<stdin>` or the file as given, with every problem.
 * @throws {@link ConfigError} when `--dataset -` is given but standard input is a terminal.
 */
export async function openRunDataset(options: RunDatasetOptions): Promise<RunDataset> {
  const stdin = options.dataset === '-';
  const format = options.format ?? (stdin ? 'jsonl' : undefined);
  if (stdin && options.stdin.isTTY === true) {
    throw new ConfigError(
      '--dataset -: standard input is a terminal; pipe the cases in, e.g. cat cases.jsonl | vellum-batch run --dataset - ...',
    );
  }
  if (!stdin && (format === undefined || formatOfPath(options.dataset) === format)) {
    return { dataset: await open(options.dataset, options.shard), fromStdin: false, dispose: async () => {} };
  }

  const dir = await mkdtemp(join(tmpdir(), 'vellum-batch-dataset-'));
  const removeNow = (): void => rmSync(dir, { recursive: true, force: true });
  process.once('exit', removeNow);
  const dispose = async (): Promise<void> => {
    process.off('exit', removeNow);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const file = join(dir, `dataset.${format ?? 'jsonl'}`);
    if (stdin) {
      await pipeline(options.stdin, createWriteStream(file));
    } else {
      await linkOrCopy(resolve(options.dataset), file);
    }
    const name = stdin ? STDIN_NAME : options.dataset;
    const dataset = await open(file, options.shard, name);
    return { dataset: { ...dataset, path: name, cases: () => dataset.cases() }, fromStdin: stdin, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

/** Opens a dataset, naming it `name` in errors. */
async function open(path: string, shard: ShardRef | null, name = path): Promise<Dataset> {
  try {
    return await openDataset(path, shard === null ? {} : { filter: inShard(shard) });
  } catch (error) {
    if (error instanceof DatasetError && name !== path) throw new DatasetError(name, error.issues);
    throw error;
  }
}

function formatOfPath(path: string): DatasetFormat | undefined {
  const dot = path.lastIndexOf('.');
  return dot < 0 ? undefined : DATASET_EXTENSIONS[path.slice(dot).toLowerCase()];
}

async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await symlink(from, to);
  } catch {
    // A file system without links: a copy reads the same (the dataset is checked before it is used).
    await copyFile(from, to);
  }
}
