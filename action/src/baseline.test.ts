/**
 * `baseline: auto` in process: the REST look-ups against the fake GitHub API (runs of the workflow on the base
 * branch, their artifacts, the zip's redirect), the download through an injected artifact client, and `runAction`
 * end to end with the testkit's fake Vellum: the PR comment compares with the base branch's run.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeReports } from '@vellum-batch/core';
import { serializeRecord, SummaryBuilder } from '@vellum-batch/core/internal';
import type { CaseRecord } from '@vellum-batch/core';
import { startFakeVellum } from '@vellum-batch/testkit';
import type { FakeVellum } from '@vellum-batch/testkit';
import { startFakeGitHub } from '../test/fakes/github-api.js';
import type { FakeGitHub, FakeWorkflowRun } from '../test/fakes/github-api.js';
import { readZip, writeZip } from '../test/fakes/zip.js';
import type { ArtifactUploader } from './artifact.js';
import { compareWithBaseBranch, findBaseline, restGet, withNote } from './baseline.js';
import type { BaselineDownloader } from './baseline.js';
import { readRunContext } from './context.js';
import type { InputName } from './inputs.js';
import { runAction } from './main.js';
import type { ActionIo } from './main.js';
import type { ArtifactDownloader } from './shards.js';

const KEY = 'vk-baseline-key';
const TOKEN = 'gh-test-token';
const IDS = Array.from({ length: 12 }, (_, i) => `case-${i}`);
const REGRESSING = ['case-2', 'case-5', 'case-7', 'case-11'];
const FIXED = 'case-9';

let dir: string;
let gh: FakeGitHub;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vb-action-baseline-'));
  gh = await startFakeGitHub();
});
afterEach(async () => {
  await gh.close();
  await rm(dir, { recursive: true, force: true });
});

/** The zip of an out dir of the deployment `bot` where `passes(id)` says which cases passed. */
async function outDirZip(passes: (id: string) => boolean): Promise<Buffer> {
  const records: CaseRecord[] = IDS.map((id, index) => {
    const passed = passes(id);
    const answer = passed ? `refund for ${id}` : `nothing for ${id} (base)`;
    return {
      index,
      id,
      external_id: `gh-900-1-${id}`,
      execution_id: `exec-${id}`,
      status: 'FULFILLED',
      passed,
      outputs: { answer },
      error: null,
      assertions: [{ output: 'answer', op: 'contains', expected: 'refund', actual: answer, passed }],
      attempts: 1,
      submitted_at: '2026-11-30T09:00:00.000Z',
      finished_at: '2026-11-30T09:00:01.000Z',
      latency_ms: 1000,
      execution_detail_url: null,
    };
  });
  const builder = new SummaryBuilder();
  for (const r of records) builder.add(r);
  const summary = builder.build({
    workflow: { deployment_name: 'bot', deployment_id: null, release_tag: 'LATEST' },
    shard: null,
    runId: 'gh-900',
    externalIdPrefix: 'gh-900-1-',
    dataset: { path: 'cases.jsonl', cases: IDS.length },
    startedAt: new Date('2026-11-30T09:00:00.000Z'),
    finishedAt: new Date('2026-11-30T09:00:05.000Z'),
    apiCalls: { submit: 12, status: 12, retries: 0 },
    stopped: null,
    gate: { maxFailureRate: 1 },
  });
  const out = await mkdtemp(join(dir, 'zip-'));
  await writeFile(join(out, 'results.jsonl'), records.map((r) => `${serializeRecord(r)}\n`).join(''));
  await writeReports(out, summary);
  const files = new Map<string, Buffer>();
  for (const name of ['results.jsonl', 'summary.json', 'report.md', 'junit.xml']) {
    files.set(name, await readFile(join(out, name)));
  }
  return writeZip(files);
}

function run(id: number, overrides: Partial<FakeWorkflowRun> = {}): FakeWorkflowRun {
  return {
    id,
    workflowFile: 'evals.yml',
    workflowId: 77,
    branch: 'main',
    event: 'push',
    conclusion: 'success',
    headSha: `${id}`.padEnd(40, 'a'),
    ...overrides,
  };
}

/** Downloads like `@actions/artifact` with `findBy`: the REST zip endpoint, its redirect, then unzip. */
function downloader(calls: unknown[]): BaselineDownloader & ArtifactUploader & ArtifactDownloader {
  return {
    uploadArtifact: () => Promise.resolve({ id: 4242 }),
    listArtifacts: () => Promise.reject(new Error('not in these tests')),
    downloadArtifact: async (id: number, options?: { path?: string; findBy?: { token: string } }) => {
      calls.push({ id, ...options });
      const { repositoryOwner, repositoryName, token } = (
        options as Parameters<BaselineDownloader['downloadArtifact']>[1]
      ).findBy;
      const response = await fetch(
        `${gh.url}/repos/${repositoryOwner}/${repositoryName}/actions/artifacts/${id}/zip`,
        { headers: { authorization: `Bearer ${token}` } },
      );
      if (!response.ok) throw new Error(`Unable to download artifact. Unexpected status: ${response.status}`);
      for (const [name, data] of readZip(Buffer.from(await response.arrayBuffer()))) {
        const file = join(options!.path!, name);
        await mkdir(dirname(file), { recursive: true });
        await writeFile(file, data);
      }
    },
  };
}

function githubEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    GITHUB_REPOSITORY: 'acme/widgets',
    GITHUB_RUN_ID: '1000',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_BASE_REF: 'main',
    GITHUB_REF: 'refs/pull/12/merge',
    GITHUB_WORKFLOW_REF: 'acme/widgets/.github/workflows/evals.yml@refs/pull/12/merge',
    GITHUB_API_URL: gh.url,
    ACTIONS_RUNTIME_TOKEN: 'runtime-token',
    ...extra,
  };
}

/** The requests the fake GitHub saw, as `METHOD path?query`. */
const asked = (): string[] => gh.requests.map((r) => `${r.method} ${r.url}`);

describe('findBaseline', () => {
  it("skips failed runs, other events' runs and runs without the artifact, and takes a re-run's newest attempt", async () => {
    const zip = Buffer.from('zip');
    gh.runs.push(
      run(950, { conclusion: 'failure' }),
      run(940, { event: 'pull_request' }), // a fork's pull request from its own branch named main
      run(930), // its job did not upload the results (say, skipped by a path filter)
      run(920, { workflowFile: 'other.yml', workflowId: 78 }),
      run(910, { runAttempt: 2 }),
    );
    gh.runArtifacts.push(
      { id: 1, runId: 930, name: 'coverage', expired: false, zip },
      { id: 2, runId: 910, name: 'vellum-batch-results', expired: false, zip },
      { id: 3, runId: 910, name: 'vellum-batch-results-attempt-2', expired: false, zip },
      { id: 4, runId: 910, name: 'vellum-batch-results-shard-1-of-2', expired: false, zip },
    );
    const found = await findBaseline(
      restGet(TOKEN, gh.url),
      { repository: 'acme/widgets', runId: '1000' },
      { workflow: 'evals.yml', branch: 'main', event: 'push' },
      'vellum-batch-results',
    );
    expect(found).toEqual({
      artifactId: 3,
      artifactName: 'vellum-batch-results-attempt-2',
      runId: 910,
      commit: '910'.padEnd(40, 'a'),
      runUrl: 'https://github.com/acme/widgets/actions/runs/910',
    });
    expect(asked()).toEqual([
      'GET /repos/acme/widgets/actions/workflows/evals.yml/runs?branch=main&status=success&event=push&per_page=10',
      'GET /repos/acme/widgets/actions/runs/930/artifacts?per_page=100',
      'GET /repos/acme/widgets/actions/runs/910/artifacts?per_page=100',
    ]);
    expect(gh.requests.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  it('says what it did not find: no run, no artifact of the name, an expired one', async () => {
    const get = restGet(TOKEN, gh.url);
    const context = { repository: 'acme/widgets', runId: '1000' };
    const query = { workflow: 'evals.yml', branch: 'main', event: 'push' };
    expect(await findBaseline(get, context, query, 'evals')).toBe(
      'no successful push run of this workflow on main was found',
    );
    gh.runs.push(run(910));
    gh.runArtifacts.push({ id: 2, runId: 910, name: 'evals', expired: true, zip: Buffer.alloc(0) });
    expect(await findBaseline(get, context, query, 'evals')).toBe(
      'the artifact evals of the newest successful push run of this workflow on main has expired',
    );
    expect(await findBaseline(get, context, query, 'other')).toBe(
      'the newest successful push run of this workflow on main has no artifact named other',
    );
    gh.runs.push(run(900));
    expect(await findBaseline(get, context, query, 'other')).toBe(
      'the 2 newest successful push runs of this workflow on main have no artifact named other',
    );
  });
});

describe('compareWithBaseBranch', () => {
  const options = (extra: Partial<Parameters<typeof compareWithBaseBranch>[0]> = {}) => ({
    baseline: { kind: 'auto' } as const,
    artifactName: 'vellum-batch-results',
    outDir: join(dir, 'out'),
    tempDir: dir,
    maxNewFailures: 0,
    token: TOKEN,
    context: readRunContext(githubEnv()),
    env: githubEnv(),
    get: restGet(TOKEN, gh.url),
    downloader: downloader([]),
    log: () => undefined,
    ...extra,
  });

  it('is a note naming max-new-failures when nothing is found, or the lookup is refused', async () => {
    expect(await compareWithBaseBranch(options())).toEqual({
      kind: 'note',
      message:
        'Not compared with a baseline: no successful push run of this workflow on main was found. ' +
        'The max-new-failures gate was not applied.',
    });
    const refusing = await startFakeGitHub({ failWith: 403 });
    try {
      const outcome = await compareWithBaseBranch(options({ get: restGet(TOKEN, refusing.url) }));
      expect(outcome).toMatchObject({
        kind: 'note',
        message: expect.stringContaining(
          'it could not be looked up (GET /repos/acme/widgets/actions/workflows/evals.yml/runs answered 403: Resource not accessible by integration; the token needs actions: read)',
        ) as string,
      });
    } finally {
      await refusing.close();
    }
  });

  it('on a push, looks at the previous run of the same branch (not this one)', async () => {
    const env = githubEnv({
      GITHUB_EVENT_NAME: 'push',
      GITHUB_REF: 'refs/heads/release-2',
      GITHUB_WORKFLOW_REF: '',
    });
    // The current run is listed too (here already successful): it is never its own baseline.
    gh.runs.push(run(1000, { branch: 'release-2' }));
    const outcome = await compareWithBaseBranch(
      options({ env, context: readRunContext(env), maxNewFailures: undefined }),
    );
    expect(outcome).toEqual({
      kind: 'note',
      message:
        'Not compared with a baseline: no successful push run of this workflow on release-2 was found.',
    });
    expect(asked()).toEqual([
      'GET /repos/acme/widgets/actions/runs/1000',
      'GET /repos/acme/widgets/actions/workflows/77/runs?branch=release-2&status=success&event=push&per_page=10',
    ]);
  });

  it('is skipped with baseline: none, and a note without a token or an artifact service', async () => {
    expect(await compareWithBaseBranch(options({ baseline: { kind: 'none' } }))).toEqual({ kind: 'skipped' });
    expect(await compareWithBaseBranch(options({ token: '' }))).toMatchObject({
      message: expect.stringContaining('no github-token was given') as string,
    });
    expect(await compareWithBaseBranch(options({ downloader: null }))).toMatchObject({
      message: expect.stringContaining('this job has no artifact service') as string,
    });
    expect(gh.requests).toEqual([]);
  });
});

describe('withNote', () => {
  it('puts the note under the heading and the first line', () => {
    expect(withNote('## h\n\nline\n\nrest', 'why')).toBe('## h\n\nline\n\n> [!NOTE]\n> why\n\nrest');
    expect(withNote('## h', '')).toBe('## h');
  });
});

describe('runAction with baseline: auto', () => {
  let vellum: FakeVellum;
  beforeEach(async () => {
    vellum = await startFakeVellum({
      apiKey: KEY,
      deployments: ['bot'],
      durationMs: 1,
      responder: (req) => {
        const id = String(req.inputs.find((input) => input.name === 'case')?.value);
        const passes = id !== 'case-0' && !REGRESSING.includes(id);
        return { outputs: { answer: passes ? `refund for ${id}` : `nothing for ${id} (now)` } };
      },
    });
  });
  afterEach(async () => {
    await vellum.close();
  });

  it('compares with the base branch artifact, gates on max-new-failures and writes the PR comment', async () => {
    gh.runs.push(run(960, { conclusion: 'failure' }), run(950));
    gh.runArtifacts.push({
      id: 31,
      runId: 950,
      name: 'vellum-batch-results',
      expired: false,
      zip: await outDirZip((id) => id !== 'case-0' && id !== FIXED),
    });
    const file = join(dir, 'cases.jsonl');
    await writeFile(
      file,
      IDS.map((id) =>
        JSON.stringify({
          id,
          inputs: { case: id },
          assert: [{ output: 'answer', op: 'contains', value: 'refund' }],
        }),
      ).join('\n'),
    );
    const event = join(dir, 'event.json');
    await writeFile(
      event,
      JSON.stringify({ pull_request: { number: 12, head: { repo: { full_name: 'acme/widgets' } } } }),
    );

    const inputs: Partial<Record<InputName, string>> = {
      'api-key': KEY,
      workflow: 'bot',
      dataset: file,
      'base-url': vellum.url,
      out: join(dir, 'out'),
      'max-failure-rate': '100%',
      'max-new-failures': '0',
      'artifact-name': 'vellum-batch-results',
      'github-token': TOKEN,
    };
    const downloads: unknown[] = [];
    const comments: string[] = [];
    const log: string[] = [];
    const outputs: Record<string, string> = {};
    let failed: string | null = null;
    const io: ActionIo = {
      getInput: (name) => inputs[name] ?? '',
      setSecret: () => undefined,
      setOutput: (name, value) => {
        outputs[name] = value;
      },
      info: (m) => log.push(`info ${m}`),
      warning: (m) => log.push(`warning ${m}`),
      setFailed: (m) => {
        failed = m;
      },
      writeSummary: () => Promise.resolve(),
      artifactClient: () => downloader(downloads),
      commentsApi: () => ({
        list: () => Promise.resolve([]),
        create: (_issue, body) => {
          comments.push(body);
          return Promise.resolve({ id: 1, body, html_url: 'https://github.com/acme/widgets/pull/12#c1' });
        },
        update: () => Promise.reject(new Error('no update expected')),
      }),
    };
    await runAction(
      io,
      githubEnv({ GITHUB_EVENT_PATH: event, GITHUB_WORKFLOW: 'evals', GITHUB_JOB: 'run', RUNNER_TEMP: dir }),
    );

    expect(log.filter((l) => l.startsWith('warning'))).toEqual([]);
    expect(asked()).toEqual([
      'GET /repos/acme/widgets/actions/workflows/evals.yml/runs?branch=main&status=success&event=push&per_page=10',
      'GET /repos/acme/widgets/actions/runs/950/artifacts?per_page=100',
      'GET /repos/acme/widgets/actions/artifacts/31/zip',
      'GET /blobs/31.zip?sig=fake',
    ]);
    expect(downloads).toEqual([
      {
        id: 31,
        path: join(dir, `vellum-batch-baseline-${process.pid}-31`),
        findBy: { token: TOKEN, repositoryOwner: 'acme', repositoryName: 'widgets', workflowRunId: 950 },
      },
    ]);
    expect(outputs).toMatchObject({ regressions: '4', fixes: '1', flaky: '', verdict: 'fail' });
    expect(failed).toBe(
      'vellum-batch gate failed: 4 cases regressed against the baseline (passed there, fail now), above the allowed 0: ' +
        '"case-2", "case-5", "case-7", "case-11"',
    );
    expect(comments).toHaveLength(1);
    const comment = comments[0]!;
    // The closing note of issue 13 quotes these lines.
    console.log(comment.split('\n').slice(0, 15).join('\n'));
    expect(comment).toContain(
      `**Compared with** [run gh-900](https://github.com/acme/widgets/actions/runs/950) · commit [950aaaa](https://github.com/acme/widgets/commit/${'950'.padEnd(40, 'a')}) · finished 2026-11-30 09:00 UTC · release tag LATEST`,
    );
    for (const id of REGRESSING) {
      expect(comment).toMatch(
        new RegExp(`\\| ${id} \\| FULFILLED \\| .*nothing for ${id} \\(now\\).*refund for ${id}`),
      );
    }
    expect(comment.indexOf('### Regressions (4)')).toBeLessThan(comment.indexOf('### Fixes (1)'));
  });
});
