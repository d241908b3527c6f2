/**
 * The first half of `mode: merge`: find the shard artifacts of this workflow run by name, keep the newest attempt of
 * each shard, and download each into a directory of its own. Whether the shards make one run (one dataset and
 * workflow, every case exactly once) is checked afterwards by core's `mergeResults`, on the files themselves.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '@vellum-batch/core';

/** The part of `@actions/artifact`'s client the merge uses (inject a fake in tests). */
export interface ArtifactDownloader {
  listArtifacts(options?: {
    latest?: boolean;
  }): Promise<{ artifacts: readonly { readonly name: string; readonly id: number }[] }>;
  downloadArtifact(artifactId: number, options?: { path?: string }): Promise<unknown>;
}

/** A shard's results artifact, as named by the shard job (`{base}-shard-{i}-of-{n}[-attempt-{k}]`). */
export interface ShardArtifact {
  readonly name: string;
  readonly id: number;
  /** 1-based. */
  readonly index: number;
  readonly count: number;
  /** The run attempt that uploaded it (1 when the name has no `-attempt-` part). */
  readonly attempt: number;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Picks the artifacts to merge among those of the run: the ones named after `base` as a shard job names them, the
 * newest attempt of each shard (a re-run of failed jobs re-uploads only their shards).
 *
 * @throws ConfigError when no artifact is a shard of `base`, when shards of different splits (`-of-N`) are found,
 *   or when a shard has no artifact: each message names what is missing.
 */
export function pickShardArtifacts(
  base: string,
  artifacts: readonly { readonly name: string; readonly id: number }[],
): ShardArtifact[] {
  const pattern = new RegExp(`^${escapeRegExp(base)}-shard-(\\d+)-of-(\\d+)(?:-attempt-(\\d+))?$`);
  const found: ShardArtifact[] = [];
  for (const { name, id } of artifacts) {
    const match = pattern.exec(name);
    if (!match) continue;
    const [index, count, attempt] = [Number(match[1]), Number(match[2]), Number(match[3] ?? 1)];
    if (index >= 1 && index <= count) found.push({ name, id, index, count, attempt });
  }
  if (found.length === 0) {
    const names = artifacts.map((a) => a.name).sort();
    throw new ConfigError(
      `no artifact of this workflow run is named ${base}-shard-I-of-N (the run has ${
        names.length === 0 ? 'no artifact' : `only ${names.join(', ')}`
      }): the merge job must come after the shard jobs (needs:), and they must upload their results ` +
        `(upload-artifact: true) under the same artifact-name`,
    );
  }
  const counts = [...new Set(found.map((a) => a.count))].sort((a, b) => a - b);
  if (counts.length > 1) {
    throw new ConfigError(
      `the run has shard artifacts of ${counts.length} different splits (${counts
        .map((n) => `${base}-shard-I-of-${n}`)
        .join(', ')}): give each sharded job its own artifact-name`,
    );
  }
  const count = counts[0]!;
  const newest = new Map<number, ShardArtifact>();
  for (const artifact of found) {
    const kept = newest.get(artifact.index);
    if (kept === undefined || artifact.attempt > kept.attempt) newest.set(artifact.index, artifact);
  }
  const missing: string[] = [];
  for (let index = 1; index <= count; index++) {
    if (!newest.has(index)) missing.push(`${base}-shard-${index}-of-${count}`);
  }
  if (missing.length > 0) {
    throw new ConfigError(
      `${missing.length} of ${count} shards have no results artifact in this run: ${missing.join(', ')} ` +
        `(did the job fail before uploading, or was it skipped or cancelled?); nothing was merged`,
    );
  }
  return [...newest.values()].sort((a, b) => a.index - b.index);
}

/** Options of {@link downloadShards}. */
export interface DownloadShardsOptions {
  readonly downloader: ArtifactDownloader;
  /** The `artifact-name` input. */
  readonly base: string;
  /** Each shard goes to `{dir}/{artifact name}`, emptied first. */
  readonly dir: string;
  readonly log: (message: string) => void;
}

/**
 * Lists the run's artifacts, picks the shards with {@link pickShardArtifacts} and downloads them one after the
 * other (each is a zip of a few files; `@actions/artifact` streams and unzips it).
 *
 * @returns The shards' directories, in shard order.
 * @throws ConfigError from {@link pickShardArtifacts}; Error when listing or a download fails, naming the artifact.
 */
export async function downloadShards(options: DownloadShardsOptions): Promise<string[]> {
  const { artifacts } = await options.downloader.listArtifacts({ latest: true });
  const picked = pickShardArtifacts(options.base, artifacts);
  options.log(
    `merging ${picked.length} shards: ${picked.map((a) => `${a.name} (artifact ${a.id})`).join(', ')}`,
  );
  const dirs: string[] = [];
  for (const artifact of picked) {
    const path = join(options.dir, artifact.name);
    await rm(path, { recursive: true, force: true });
    try {
      await options.downloader.downloadArtifact(artifact.id, { path });
    } catch (error) {
      throw new Error(
        `could not download the artifact ${artifact.name} (id ${artifact.id}): ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    dirs.push(path);
  }
  return dirs;
}
