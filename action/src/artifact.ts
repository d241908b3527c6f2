/**
 * The results artifact: the whole out directory, uploaded with `@actions/artifact` whatever the verdict,
 * under a name unique per shard and run attempt.
 */
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { RunContext } from './context.js';

/** The part of `@actions/artifact`'s client the action uses (inject a fake in tests). */
export interface ArtifactUploader {
  uploadArtifact(
    name: string,
    files: string[],
    rootDirectory: string,
    options?: { retentionDays?: number },
  ): Promise<{ id?: number | undefined; size?: number | undefined }>;
}

/** What was uploaded. */
export interface UploadedArtifact {
  readonly name: string;
  readonly id: number;
  /** `{server}/{repo}/actions/runs/{run id}/artifacts/{id}` */
  readonly url: string;
  readonly files: number;
}

/**
 * The artifact's name: `{base}`, plus `-shard-{i}-of-{n}` for a shard, plus `-attempt-{n}` from the second
 * run attempt on (an artifact name can be used once per workflow run).
 */
export function artifactName(
  base: string,
  shard: { readonly index: number; readonly count: number } | null,
  runAttempt: number,
): string {
  const shardPart = shard === null ? '' : `-shard-${shard.index}-of-${shard.count}`;
  const attemptPart = runAttempt > 1 ? `-attempt-${runAttempt}` : '';
  return `${base}${shardPart}${attemptPart}`;
}

/** The web page of an artifact: `{server}/{repo}/actions/runs/{run id}/artifacts/{id}`. */
export function artifactUrl(
  context: Pick<RunContext, 'serverUrl' | 'repository' | 'runId'>,
  id: number,
): string {
  return `${context.serverUrl}/${context.repository}/actions/runs/${context.runId}/artifacts/${id}`;
}

/**
 * Every regular file under `dir`, recursively, as absolute paths in a stable order; leftover `*.tmp`
 * files of an interrupted atomic write are skipped.
 */
export async function listResultFiles(dir: string): Promise<string[]> {
  const root = resolve(dir);
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && !e.name.endsWith('.tmp'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** Options of {@link uploadResults}. */
export interface UploadResultsOptions {
  readonly uploader: ArtifactUploader;
  readonly name: string;
  readonly dir: string;
  readonly context: Pick<RunContext, 'serverUrl' | 'repository' | 'runId'>;
  /** @default the repository's setting */
  readonly retentionDays?: number | undefined;
}

/**
 * Uploads every file of `dir` as one artifact, paths relative to `dir`.
 *
 * @throws Error when `dir` holds no file, or the upload fails (callers warn: the verdict stands).
 */
export async function uploadResults(options: UploadResultsOptions): Promise<UploadedArtifact> {
  const root = resolve(options.dir);
  const files = await listResultFiles(root);
  if (files.length === 0) throw new Error(`${options.dir} holds no file to upload`);
  const response = await options.uploader.uploadArtifact(
    options.name,
    files,
    root,
    options.retentionDays === undefined ? {} : { retentionDays: options.retentionDays },
  );
  if (response.id === undefined) throw new Error(`the artifact service returned no id for ${options.name}`);
  return {
    name: options.name,
    id: response.id,
    url: artifactUrl(options.context, response.id),
    files: files.length,
  };
}
