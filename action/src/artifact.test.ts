import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { artifactName, artifactUrl, listResultFiles, uploadResults } from './artifact.js';
import type { ArtifactUploader } from './artifact.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vb-artifact-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const context = { serverUrl: 'https://github.com', repository: 'acme/widgets', runId: '99' };

describe('artifactName', () => {
  it('is unique per shard and run attempt', () => {
    expect(artifactName('results', null, 1)).toBe('results');
    expect(artifactName('results', { index: 2, count: 4 }, 1)).toBe('results-shard-2-of-4');
    expect(artifactName('results', null, 3)).toBe('results-attempt-3');
    expect(artifactName('results', { index: 1, count: 2 }, 2)).toBe('results-shard-1-of-2-attempt-2');
  });
});

describe('artifactUrl', () => {
  it('points at the run page of the artifact', () => {
    expect(artifactUrl(context, 123)).toBe('https://github.com/acme/widgets/actions/runs/99/artifacts/123');
  });
});

describe('uploadResults', () => {
  it('uploads every file of the out directory, relative to it, without leftover temporary files', async () => {
    await writeFile(join(dir, 'results.jsonl'), '{}\n');
    await writeFile(join(dir, 'summary.json'), '{}');
    await writeFile(join(dir, 'report.md.tmp'), 'half');
    await mkdir(join(dir, 'extra'));
    await writeFile(join(dir, 'extra', 'notes.txt'), 'x');
    const calls: unknown[][] = [];
    const uploader: ArtifactUploader = {
      uploadArtifact: (...args) => {
        calls.push(args);
        return Promise.resolve({ id: 7, size: 10 });
      },
    };
    const uploaded = await uploadResults({ uploader, name: 'results', dir, context, retentionDays: 5 });
    expect(uploaded).toEqual({
      name: 'results',
      id: 7,
      url: 'https://github.com/acme/widgets/actions/runs/99/artifacts/7',
      files: 3,
    });
    expect(calls).toEqual([
      [
        'results',
        [join(dir, 'extra', 'notes.txt'), join(dir, 'results.jsonl'), join(dir, 'summary.json')],
        dir,
        { retentionDays: 5 },
      ],
    ]);
    expect(await listResultFiles(dir)).toHaveLength(3);
  });

  it('refuses an empty directory and an answer without an id', async () => {
    const uploader: ArtifactUploader = { uploadArtifact: () => Promise.resolve({}) };
    await expect(uploadResults({ uploader, name: 'r', dir, context })).rejects.toThrow(
      'holds no file to upload',
    );
    await writeFile(join(dir, 'summary.json'), '{}');
    await expect(uploadResults({ uploader, name: 'r', dir, context })).rejects.toThrow(
      'returned no id for r',
    );
  });
});
