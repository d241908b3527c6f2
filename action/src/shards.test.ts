import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '@vellum-batch/core';
import { downloadShards, pickShardArtifacts } from './shards.js';
import type { ArtifactDownloader } from './shards.js';

const artifacts = (...names: string[]): { name: string; id: number }[] =>
  names.map((name, i) => ({ name, id: 100 + i }));

function pickError(base: string, list: { name: string; id: number }[]): ConfigError {
  try {
    pickShardArtifacts(base, list);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('pickShardArtifacts', () => {
  it('keeps the shards of the base name in index order and leaves other artifacts alone', () => {
    const picked = pickShardArtifacts(
      'evals',
      artifacts(
        'evals-shard-2-of-3',
        'evals',
        'evals-shard-1-of-3',
        'coverage',
        'evals-v2-shard-1-of-3',
        'evals-shard-3-of-3',
      ),
    );
    expect(picked.map((a) => [a.name, a.id, a.index, a.count, a.attempt])).toEqual([
      ['evals-shard-1-of-3', 102, 1, 3, 1],
      ['evals-shard-2-of-3', 100, 2, 3, 1],
      ['evals-shard-3-of-3', 105, 3, 3, 1],
    ]);
  });

  it('takes the newest attempt of each shard after a re-run of failed jobs', () => {
    const picked = pickShardArtifacts(
      'r',
      artifacts('r-shard-1-of-2', 'r-shard-2-of-2', 'r-shard-2-of-2-attempt-3', 'r-shard-2-of-2-attempt-2'),
    );
    expect(picked.map((a) => a.name)).toEqual(['r-shard-1-of-2', 'r-shard-2-of-2-attempt-3']);
  });

  it('reads the base name literally, regular-expression characters included', () => {
    expect(pickShardArtifacts('a.b+(c)', artifacts('a.b+(c)-shard-1-of-1')).map((a) => a.id)).toEqual([100]);
    expect(pickError('a.b', artifacts('axb-shard-1-of-1')).message).toContain('only axb-shard-1-of-1');
  });

  it('names every missing shard', () => {
    const error = pickError('evals', artifacts('evals-shard-1-of-4', 'evals-shard-3-of-4'));
    expect(error.message).toBe(
      '2 of 4 shards have no results artifact in this run: evals-shard-2-of-4, evals-shard-4-of-4 ' +
        '(did the job fail before uploading, or was it skipped or cancelled?); nothing was merged',
    );
  });

  it('refuses a run without shard artifacts, listing what it has', () => {
    expect(pickError('evals', []).message).toContain('(the run has no artifact)');
    expect(pickError('evals', artifacts('evals', 'logs')).message).toMatch(
      /^no artifact of this workflow run is named evals-shard-I-of-N \(the run has only evals, logs\): the merge job must come after the shard jobs \(needs:\)/,
    );
  });

  it('refuses shards of two different splits', () => {
    expect(pickError('e', artifacts('e-shard-1-of-2', 'e-shard-1-of-3')).message).toBe(
      'the run has shard artifacts of 2 different splits (e-shard-I-of-2, e-shard-I-of-3): give each sharded job its own artifact-name',
    );
  });

  it('ignores names whose index is outside the split', () => {
    expect(pickError('e', artifacts('e-shard-0-of-1', 'e-shard-3-of-2')).message).toContain(
      'no artifact of this workflow run is named e-shard-I-of-N',
    );
  });
});

describe('downloadShards', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vb-shards-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A downloader that writes one file named after the artifact id; `failId` fails. */
  function fake(names: string[], failId?: number): ArtifactDownloader & { calls: string[] } {
    const calls: string[] = [];
    return {
      calls,
      listArtifacts: (options) => {
        calls.push(`list latest=${String(options?.latest)}`);
        return Promise.resolve({ artifacts: artifacts(...names) });
      },
      downloadArtifact: async (id, options) => {
        calls.push(`download ${id}`);
        if (id === failId) throw new Error('blob storage said 503');
        await mkdir(options!.path!, { recursive: true });
        await writeFile(join(options!.path!, 'id.txt'), String(id));
      },
    };
  }

  it('downloads each picked shard into a clean directory of its own', async () => {
    const downloader = fake(['x-shard-2-of-2', 'x-shard-1-of-2', 'x-shard-1-of-2-attempt-2']);
    await mkdir(join(dir, 'x-shard-2-of-2'));
    await writeFile(join(dir, 'x-shard-2-of-2', 'stale.txt'), 'from an earlier merge');
    const log: string[] = [];
    const dirs = await downloadShards({ downloader, base: 'x', dir, log: (m) => log.push(m) });
    expect(dirs).toEqual([join(dir, 'x-shard-1-of-2-attempt-2'), join(dir, 'x-shard-2-of-2')]);
    expect(await readFile(join(dirs[0]!, 'id.txt'), 'utf8')).toBe('102');
    await expect(readFile(join(dirs[1]!, 'stale.txt'), 'utf8')).rejects.toThrow('ENOENT');
    expect(downloader.calls).toEqual(['list latest=true', 'download 102', 'download 100']);
    expect(log).toEqual([
      'merging 2 shards: x-shard-1-of-2-attempt-2 (artifact 102), x-shard-2-of-2 (artifact 100)',
    ]);
  });

  it('names the artifact whose download failed', async () => {
    const downloader = fake(['x-shard-1-of-2', 'x-shard-2-of-2'], 101);
    await expect(downloadShards({ downloader, base: 'x', dir, log: () => undefined })).rejects.toThrow(
      'could not download the artifact x-shard-2-of-2 (id 101): blob storage said 503',
    );
  });
});
