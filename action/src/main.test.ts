/**
 * `runAction` in process, with fake runner I/O and the testkit's fake Vellum (the bundle itself is tested in
 * `test/action.test.ts`).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeVellum } from '@vellum-batch/testkit';
import type { FakeVellum } from '@vellum-batch/testkit';
import type { ArtifactUploader } from './artifact.js';
import type { CommentsApi } from './comment.js';
import type { InputName } from './inputs.js';
import { runAction } from './main.js';
import type { ActionIo } from './main.js';

const KEY = 'vk-main-test-key';

interface Recorder extends ActionIo {
  readonly log: string[];
  readonly outputs: Record<string, string>;
  readonly summaries: string[];
  readonly secrets: string[];
  failed: string | null;
}

function fakeIo(
  inputs: Partial<Record<InputName, string>>,
  uploader: ArtifactUploader | null = null,
): Recorder {
  const io: Recorder = {
    log: [],
    outputs: {},
    summaries: [],
    secrets: [],
    failed: null,
    getInput: (name) => inputs[name] ?? '',
    setSecret: (s) => io.secrets.push(s),
    setOutput: (name, value) => {
      io.outputs[name] = value;
    },
    info: (m) => io.log.push(`info ${m}`),
    warning: (m) => io.log.push(`warning ${m}`),
    setFailed: (m) => {
      io.failed = m;
    },
    writeSummary: (md) => {
      io.summaries.push(md);
      return Promise.resolve();
    },
    artifactUploader: () => uploader,
    commentsApi: (): CommentsApi => {
      throw new Error('no comments in these tests');
    },
  };
  return io;
}

let vellum: FakeVellum;
let dir: string;
const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  GITHUB_REPOSITORY: 'acme/widgets',
  GITHUB_RUN_ID: '31',
  GITHUB_RUN_ATTEMPT: '1',
  GITHUB_EVENT_NAME: 'push',
  ...extra,
});

beforeEach(async () => {
  vellum = await startFakeVellum({ apiKey: KEY, deployments: ['bot'], durationMs: 5 });
  dir = await mkdtemp(join(tmpdir(), 'vb-main-'));
});
afterEach(async () => {
  await vellum.close();
  await rm(dir, { recursive: true, force: true });
});

async function dataset(lines: readonly object[]): Promise<string> {
  const file = join(dir, 'cases.jsonl');
  await writeFile(file, lines.map((l) => JSON.stringify(l)).join('\n'));
  return file;
}

function baseInputs(file: string): Partial<Record<InputName, string>> {
  return { 'api-key': KEY, workflow: 'bot', dataset: file, 'base-url': vellum.url, out: join(dir, 'out') };
}

describe('runAction', () => {
  it('only warns on a failed gate when fail-on-gate is false, and still sets every output', async () => {
    const file = await dataset([
      { id: 'a', inputs: { q: 'x' } },
      { id: 'b', inputs: { q: 'y', fake_reject: 'no' } },
    ]);
    const io = fakeIo({ ...baseInputs(file), 'fail-on-gate': 'false' });
    await runAction(io, env());
    expect(io.failed).toBeNull();
    expect(io.log).toContain(
      'warning vellum-batch gate failed: failure rate 50% (1 of 2) is above the allowed 0% (fail-on-gate is false)',
    );
    expect(io.outputs).toMatchObject({
      verdict: 'fail',
      total: '2',
      passed: '1',
      failed: '1',
      'artifact-id': '',
      'comment-url': '',
    });
    expect(io.log).toContain('info no PR comment: the push event is not a pull request');
    expect(io.secrets).toEqual([KEY]);
  });

  it('uploads through the injected client and links the artifact in the summary and report.md', async () => {
    const file = await dataset([{ id: 'a', inputs: { q: 'x' }, expected: { q: 'x' } }]);
    const names: string[] = [];
    const uploader: ArtifactUploader = {
      uploadArtifact: (name) => {
        names.push(name);
        return Promise.resolve({ id: 55 });
      },
    };
    const io = fakeIo({ ...baseInputs(file), 'artifact-name': 'evals', shard: '1/1' }, uploader);
    await runAction(io, env({ ACTIONS_RUNTIME_TOKEN: 'x', GITHUB_RUN_ATTEMPT: '2' }));
    expect(io.failed).toBeNull();
    expect(names).toEqual(['evals-shard-1-of-1-attempt-2']);
    const url = 'https://github.com/acme/widgets/actions/runs/31/artifacts/55';
    expect(io.outputs['artifact-url']).toBe(url);
    expect(io.summaries[0]).toContain(`[Download the results artifact](${url})`);
    expect(await readFile(join(dir, 'out', 'report.md'), 'utf8')).toContain(url);
    expect([...vellum.executions()][0]?.externalId).toBe('gh-31-2-s1-a');
  });

  it('warns when the job has no artifact service', async () => {
    const file = await dataset([{ id: 'a', inputs: { q: 'x' } }]);
    const io = fakeIo(baseInputs(file));
    await runAction(io, env());
    expect(io.log).toContain(
      'warning no artifact service in this job (ACTIONS_RUNTIME_TOKEN is not set): the results were not uploaded',
    );
  });

  it('fails before submitting anything on a bad dataset, with the file and line, and masks the key first', async () => {
    const file = await dataset([
      { id: 'a', inputs: { q: 'x' } },
      { id: 'b', inputs: { q: 'y' }, assert: [{ output: 'q', op: 'near' }] },
    ]);
    const io = fakeIo({ ...baseInputs(file), concurrency: '4' });
    await runAction(io, env());
    expect(io.failed).toMatch(
      /^vellum-batch could not start: .*cases\.jsonl: 1 problem found, nothing was submitted:/,
    );
    expect(io.failed).toContain('cases.jsonl:2:');
    expect(io.summaries[0]).toContain('could not start');
    expect(vellum.stats.requests.submit).toBe(0);
    expect(io.secrets).toEqual([KEY]);
    expect(io.outputs).toEqual({});
  });

  it('masks the key even when other inputs are wrong', async () => {
    const io = fakeIo({ 'api-key': KEY, mode: 'merge' });
    await runAction(io, env());
    expect(io.secrets).toEqual([KEY]);
    expect(io.failed).toContain('input mode: "merge" is not implemented yet');
  });
});
