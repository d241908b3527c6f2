/**
 * `runAction` in process, with fake runner I/O and the testkit's fake Vellum (the bundle itself is tested in
 * `test/action.test.ts`).
 */
import { copyFile, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeVellum } from '@vellum-batch/testkit';
import type { FakeVellum } from '@vellum-batch/testkit';
import type { ArtifactUploader } from './artifact.js';
import type { CommentsApi, IssueComment } from './comment.js';
import type { InputName } from './inputs.js';
import type { ArtifactDownloader } from './shards.js';
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
  uploader: (ArtifactUploader & ArtifactDownloader) | null = null,
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
    artifactClient: () => uploader,
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

  it('runs each case repeat times under its own external ids, and sets the flaky output', async () => {
    const file = await dataset([
      { id: 'a', inputs: { q: 'x' } },
      { id: 'b', inputs: { q: 'y', fake_reject: 'no' } },
    ]);
    const io = fakeIo({ ...baseInputs(file), repeat: '3', 'min-pass': '2', 'external-id-prefix': 'gh-rep-' });
    await runAction(io, env());
    const ids = [...vellum.executions()].map((e) => e.externalId).sort();
    expect(ids).toEqual([
      'gh-rep-a-r1',
      'gh-rep-a-r2',
      'gh-rep-a-r3',
      'gh-rep-b-r1',
      'gh-rep-b-r2',
      'gh-rep-b-r3',
    ]);
    expect(io.outputs).toMatchObject({ total: '2', passed: '1', failed: '1', flaky: '0' });
    expect(io.log.some((line) => line.endsWith(' started: 2 cases × 3 repeats (6 executions)'))).toBe(true);
    expect(io.log.some((line) => line.endsWith(', 0 flaky'))).toBe(true);
    const summary = JSON.parse(await readFile(join(dir, 'out', 'summary.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(summary).toMatchObject({ repeat: { count: 3, min_pass: 2 }, flaky: 0 });
  });

  it('uploads through the injected client and links the artifact in the summary and report.md', async () => {
    const file = await dataset([{ id: 'a', inputs: { q: 'x' }, expected: { q: 'x' } }]);
    const names: string[] = [];
    const uploader: ArtifactUploader & ArtifactDownloader = {
      uploadArtifact: (name) => {
        names.push(name);
        return Promise.resolve({ id: 55 });
      },
      listArtifacts: () => Promise.reject(new Error('a run does not list artifacts')),
      downloadArtifact: () => Promise.reject(new Error('a run does not download artifacts')),
    };
    const io = fakeIo({ ...baseInputs(file), 'artifact-name': 'evals', shard: '1/1' }, uploader);
    await runAction(io, env({ ACTIONS_RUNTIME_TOKEN: 'x', GITHUB_RUN_ATTEMPT: '2' }));
    expect(io.failed).toBeNull();
    expect(names).toEqual(['evals-shard-1-of-1-attempt-2']);
    const url = 'https://github.com/acme/widgets/actions/runs/31/artifacts/55';
    expect(io.outputs['artifact-url']).toBe(url);
    expect(io.summaries[0]).toContain(`[Download the results artifact](${url})`);
    expect(await readFile(join(dir, 'out', 'report.md'), 'utf8')).toContain(url);
    expect([...vellum.executions()][0]?.externalId).toMatch(/^vb-31-2-[0-9a-f]{8}-s1-a$/);
    expect(io.summaries[0]).toContain(
      `[Workflow run](https://github.com/acme/widgets/actions/runs/31/attempts/2) · [Results artifact](${url})`,
    );
  });

  it('warns when the job has no artifact service', async () => {
    const file = await dataset([{ id: 'a', inputs: { q: 'x' } }]);
    const io = fakeIo(baseInputs(file));
    await runAction(io, env());
    expect(io.log).toContain(
      'warning no artifact service in this job (ACTIONS_RUNTIME_TOKEN is not set): the results were not uploaded',
    );
  });

  it("logs the run's own warnings as warnings (here: Vellum rate limiting submits)", async () => {
    const limited = await startFakeVellum({
      apiKey: KEY,
      deployments: ['bot'],
      durationMs: 5,
      faults: { rateLimitRate: 0.5, retryAfterSeconds: 0 },
    });
    try {
      const file = await dataset(
        Array.from({ length: 8 }, (_, i) => ({ id: `c${i}`, inputs: { q: `q${i}` } })),
      );
      const io = fakeIo({ ...baseInputs(file), 'base-url': limited.url });
      await runAction(io, env());
      expect(limited.stats.faultsInjected.rateLimited).toBeGreaterThan(0);
      expect(
        io.log.filter((line) => line.startsWith('warning Vellum is rate limiting submits (429)')),
      ).toHaveLength(1);
      expect(io.outputs).toMatchObject({ total: '8', passed: '8' });
    } finally {
      await limited.close();
    }
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
    const io = fakeIo({ 'api-key': KEY, mode: 'sideways', concurrency: 'many' });
    await runAction(io, env());
    expect(io.secrets).toEqual([KEY]);
    expect(io.failed).toContain('input mode: "sideways" is not one of run, merge');
    expect(io.failed).toContain('input concurrency: "many"');
  });
});

/** An artifact service in a directory: what the shard jobs upload, the merge job lists and downloads. */
function dirArtifacts(root: string): ArtifactUploader & ArtifactDownloader & { names(): string[] } {
  const stored: { name: string; id: number }[] = [];
  return {
    names: () => stored.map((a) => a.name),
    uploadArtifact: async (name, files, rootDirectory) => {
      const id = 700 + stored.length;
      for (const file of files) {
        const to = join(root, String(id), relative(rootDirectory, file));
        await mkdir(dirname(to), { recursive: true });
        await copyFile(file, to);
      }
      stored.push({ name, id });
      return { id };
    },
    listArtifacts: () => Promise.resolve({ artifacts: [...stored] }),
    downloadArtifact: async (id, options) => {
      await cp(join(root, String(id)), options!.path!, { recursive: true });
      return {};
    },
  };
}

/** What a verdict is made of, per case: the merged set must equal the unsharded run on these. */
async function verdicts(outDir: string): Promise<string[]> {
  const text = await readFile(join(outDir, 'results.jsonl'), 'utf8');
  return text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { id: string; index: number; status: string; passed: boolean })
    .map((r) => `${r.index} ${r.id} ${r.status} ${String(r.passed)}`);
}

describe('runAction in mode: merge', () => {
  const cases = Array.from({ length: 30 }, (_, i) => ({
    id: `case-${i}`,
    inputs: i % 7 === 3 ? { q: `q${i}`, fake_reject: 'boom' } : { q: `q${i}` },
  }));
  const runEnv = (attempt = 1): NodeJS.ProcessEnv =>
    env({ ACTIONS_RUNTIME_TOKEN: 'x', GITHUB_RUN_ATTEMPT: String(attempt), RUNNER_TEMP: dir });

  async function shardJob(
    store: ReturnType<typeof dirArtifacts>,
    file: string,
    shard: string,
    options: { attempt?: number; signal?: AbortSignal } = {},
  ): Promise<Recorder> {
    const io = fakeIo(
      {
        ...baseInputs(file),
        shard,
        'artifact-name': 'evals',
        'fail-on-gate': 'false',
        out: join(dir, `shard-${shard.replace('/', '-of-')}-${options.attempt ?? 1}`),
      },
      store,
    );
    await runAction(io, runEnv(options.attempt), options.signal);
    return io;
  }

  it('merges three shard jobs into exactly the records and verdict of the unsharded run', async () => {
    const file = await dataset(cases);
    const whole = fakeIo({ ...baseInputs(file), 'max-failure-rate': '20%', out: join(dir, 'whole') });
    await runAction(whole, env());
    expect(whole.outputs).toMatchObject({ verdict: 'pass', total: '30', failed: '4' });

    const store = dirArtifacts(join(dir, 'store'));
    for (const shard of ['1/3', '2/3', '3/3']) await shardJob(store, file, shard);
    expect(store.names()).toEqual(['evals-shard-1-of-3', 'evals-shard-2-of-3', 'evals-shard-3-of-3']);

    const merge = fakeIo(
      { mode: 'merge', 'artifact-name': 'evals', 'max-failure-rate': '20%', out: join(dir, 'merged') },
      store,
    );
    await runAction(merge, runEnv());
    expect(merge.failed).toBeNull();
    expect(merge.log).toContain(
      'info merging 3 shards: evals-shard-1-of-3 (artifact 700), evals-shard-2-of-3 (artifact 701), evals-shard-3-of-3 (artifact 702)',
    );
    expect(await verdicts(join(dir, 'merged'))).toEqual(await verdicts(join(dir, 'whole')));
    expect(merge.outputs).toMatchObject({
      verdict: 'pass',
      total: '30',
      passed: '26',
      failed: '4',
      'failure-rate': whole.outputs['failure-rate'],
      'results-dir': join(dir, 'merged'),
      'artifact-id': '703',
    });
    expect(store.names()[3]).toBe('evals');
    const summary = JSON.parse(await readFile(join(dir, 'merged', 'summary.json'), 'utf8')) as {
      shard: unknown;
      dataset: { cases: number };
    };
    expect(summary).toMatchObject({ shard: null, dataset: { cases: 30 } });
    expect(merge.summaries[0]).toContain('| Passed | 26 |');
    // The downloads went to RUNNER_TEMP and were removed after the merge.
    expect((await readdir(dir)).filter((n) => n.startsWith('vellum-batch-shards'))).toEqual([]);

    // The same shards, gated tighter by the merge job: only the merge fails the workflow.
    const strict = fakeIo({ mode: 'merge', 'artifact-name': 'evals', out: join(dir, 'strict') }, store);
    await runAction(strict, runEnv());
    expect(strict.failed).toBe(
      'vellum-batch gate failed: failure rate 13.33% (4 of 30) is above the allowed 0%',
    );
  });

  it('fails naming the shard that has no artifact, in the log and the job summary, and uploads nothing', async () => {
    const file = await dataset(cases);
    const store = dirArtifacts(join(dir, 'store'));
    await shardJob(store, file, '1/3');
    await shardJob(store, file, '3/3');
    const merge = fakeIo({ mode: 'merge', 'artifact-name': 'evals', out: join(dir, 'merged') }, store);
    await runAction(merge, runEnv());
    expect(merge.failed).toBe(
      'vellum-batch could not merge the shards: 1 of 3 shards have no results artifact in this run: evals-shard-2-of-3 ' +
        '(did the job fail before uploading, or was it skipped or cancelled?); nothing was merged',
    );
    expect(merge.summaries[0]).toMatch(
      /^## ❌ vellum-batch: could not merge the shards\n\n\[Workflow run\]\(https:\/\/github\.com\/acme\/widgets\/actions\/runs\/31\/attempts\/1\)\n\nNothing was merged/,
    );
    expect(merge.summaries[0]).toContain('evals-shard-2-of-3');
    expect(store.names()).toEqual(['evals-shard-1-of-3', 'evals-shard-3-of-3']);
    expect(merge.outputs).toEqual({});
  });

  it('on a re-run merges the re-run shard, not its cancelled first attempt', async () => {
    const file = await dataset(cases.slice(0, 12));
    const store = dirArtifacts(join(dir, 'store'));
    await shardJob(store, file, '1/2');
    // Cancelled once the run has started (an abort before the deployment read ends the step with nothing to upload).
    // Its executions never finish, so the cancel always finds them running.
    vellum.setFaults({ neverFinishRate: 1 });
    const cancel = new AbortController();
    const created = vellum.stats.executionsCreated;
    const watch = setInterval(() => {
      if (vellum.stats.executionsCreated > created) cancel.abort();
    }, 1);
    try {
      await shardJob(store, file, '2/2', { signal: cancel.signal });
    } finally {
      clearInterval(watch);
      vellum.setFaults({ neverFinishRate: 0 });
    }
    await shardJob(store, file, '2/2', { attempt: 2 });
    expect(store.names()).toEqual([
      'evals-shard-1-of-2',
      'evals-shard-2-of-2',
      'evals-shard-2-of-2-attempt-2',
    ]);

    // The first attempt of shard 2 was cancelled: merging it would show CANCELLED cases.
    expect(await readFile(join(dir, 'store', '701', 'results.jsonl'), 'utf8')).toContain('"CANCELLED"');

    const merge = fakeIo(
      { mode: 'merge', 'artifact-name': 'evals', out: join(dir, 'merged'), 'max-failure-rate': '50%' },
      store,
    );
    await runAction(merge, runEnv(2));
    expect(merge.failed).toBeNull();
    expect(merge.log.join('\n')).toContain('evals-shard-2-of-2-attempt-2 (artifact 702)');
    expect(merge.outputs).toMatchObject({ verdict: 'pass', total: '12', errored: '0' });
    expect(await readFile(join(dir, 'merged', 'results.jsonl'), 'utf8')).not.toContain('"CANCELLED"');
    expect(store.names().at(-1)).toBe('evals-attempt-2');
  });

  it('refuses to merge outside a job with an artifact service', async () => {
    const io = fakeIo({ mode: 'merge', 'api-key': KEY, dataset: 'cases.jsonl' });
    await runAction(io, env());
    expect(io.failed).toBe(
      'vellum-batch could not merge the shards: this job has no artifact service (ACTIONS_RUNTIME_TOKEN is not set), so the shard artifacts cannot be downloaded: run mode: merge as a step of a GitHub Actions job',
    );
    expect(io.log).toContain(
      'info mode: merge does not use the inputs api-key, dataset (they are for mode: run)',
    );
    expect(io.secrets).toEqual([KEY]);
  });
});

/** PR comments in memory, as the REST API keeps them. */
function memoryComments(): CommentsApi & { comments: IssueComment[] } {
  const comments: IssueComment[] = [];
  return {
    comments,
    list: () => Promise.resolve([...comments]),
    create: (n, body) => {
      const c = {
        id: 500 + comments.length,
        body,
        html_url: `https://github.com/acme/widgets/pull/${n}#c${comments.length}`,
      };
      comments.push(c);
      return Promise.resolve(c);
    },
    update: (id, body) => {
      const i = comments.findIndex((c) => c.id === id);
      comments[i] = { ...comments[i]!, body };
      return Promise.resolve(comments[i]);
    },
  };
}

describe('runAction in a matrix', () => {
  it('gives two jobs of one run (release tags v1, v2) their own prefix, artifact and comment; a re-run updates its own', async () => {
    const file = await dataset([
      { id: 'a', inputs: { q: 'x' } },
      { id: 'b', inputs: { q: 'y' } },
    ]);
    const event = join(dir, 'event.json');
    const head = 'c0ffee1234567890c0ffee1234567890c0ffee12';
    await writeFile(
      event,
      JSON.stringify({
        pull_request: { number: 7, head: { sha: head, repo: { full_name: 'acme/widgets' } } },
      }),
    );
    const store = dirArtifacts(join(dir, 'store'));
    const github = memoryComments();
    const job = async (tag: string, attempt: number): Promise<Recorder> => {
      const io = fakeIo(
        {
          ...baseInputs(file),
          'release-tag': tag,
          'github-token': 'gh-token',
          out: join(dir, `out-${tag}-${attempt}`),
        },
        store,
      );
      io.commentsApi = () => github;
      await runAction(
        io,
        env({
          ACTIONS_RUNTIME_TOKEN: 'x',
          GITHUB_RUN_ATTEMPT: String(attempt),
          GITHUB_EVENT_NAME: 'pull_request',
          GITHUB_EVENT_PATH: event,
          GITHUB_WORKFLOW: 'PR eval',
          GITHUB_JOB: 'eval',
          GITHUB_ACTION: '__acme_vellum-batch',
          GITHUB_SHA: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
        }),
      );
      expect(io.failed).toBeNull();
      return io;
    };

    await job('v1', 1);
    await job('v2', 1);
    const prefixes = [...new Set([...vellum.executions()].map((e) => e.externalId?.slice(0, -1)))];
    expect(prefixes).toHaveLength(2);
    for (const prefix of prefixes) expect(prefix).toMatch(/^vb-31-1-eval-[0-9a-f]{8}-$/);

    const [nameV1, nameV2] = store.names();
    expect(store.names()).toHaveLength(2);
    expect(nameV1).toMatch(/^vellum-batch-results-eval-[0-9a-f]{8}$/);
    expect(nameV2).toMatch(/^vellum-batch-results-eval-[0-9a-f]{8}$/);
    expect(nameV1).not.toBe(nameV2);

    expect(github.comments).toHaveLength(2);
    const markers = github.comments.map((c) => /<!-- vellum-batch:[^>]*-->/.exec(c.body ?? '')?.[0]);
    expect(markers[0]).toMatch(/^<!-- vellum-batch:PR eval:eval:__acme_vellum-batch:[0-9a-f]{8} -->$/);
    expect(markers[0]).not.toBe(markers[1]);
    const [first, second] = github.comments.map((c) => c.body ?? '');
    expect(first).toContain('Release tag: v1');
    expect(second).toContain('Release tag: v2');
    // The pull request's head commit (not GITHUB_SHA, the merge commit), the run attempt and the artifact.
    expect(first).toContain(
      `Commit [c0ffee1](https://github.com/acme/widgets/commit/${head}) · ` +
        '[Workflow run](https://github.com/acme/widgets/actions/runs/31/attempts/1) · ' +
        '[Results artifact](https://github.com/acme/widgets/actions/runs/31/artifacts/700)',
    );
    expect(first).not.toContain('aaaaaaa');

    const rerun = await job('v1', 2);
    expect(store.names()[2]).toBe(`${nameV1}-attempt-2`);
    expect(github.comments).toHaveLength(2);
    expect(rerun.log).toContain('info updated the PR comment: https://github.com/acme/widgets/pull/7#c0');
    expect(github.comments[0]?.body).toContain('/actions/runs/31/attempts/2');
    expect(github.comments[0]?.body).toContain(markers[0]);
    expect(github.comments[1]?.body).toBe(second);
    // A new attempt, a new prefix: it never adopts the first attempt's executions.
    expect([...vellum.executions()].filter((e) => e.externalId?.startsWith('vb-31-2-eval-'))).toHaveLength(2);
    expect(rerun.log.filter((l) => l.startsWith('info done: '))).toEqual([
      'info done: 2 cases, 2 passed, 0 failed',
    ]);
  });
});
