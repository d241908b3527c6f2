/**
 * End to end: the ncc bundle, run as the runner runs it (Node 24, `INPUT_*`, `GITHUB_*`), against the testkit's
 * fake Vellum, a fake GitHub API and a fake artifact service. Build first: `pnpm --filter @vellum-batch/action build`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeVellum } from '@vellum-batch/testkit';
import type { FakeVellum } from '@vellum-batch/testkit';
import { startFakeArtifactService } from './fakes/artifact-service.js';
import type { FakeArtifact, FakeArtifactService } from './fakes/artifact-service.js';
import { startFakeGitHub } from './fakes/github-api.js';
import type { FakeGitHub } from './fakes/github-api.js';
import { readZip } from './fakes/zip.js';
import {
  ACTION_YML,
  actionRuns,
  BUNDLE,
  decodeCommands,
  HEAD_SHA,
  MERGE_SHA,
  REPO_ROOT,
  NODE24,
  pullRequestEvent,
  runAction,
  startAction,
  until,
  visibleLog,
  workspace,
} from './harness.js';
import type { ActionResult, RunnerSetup, Workspace } from './harness.js';

const KEY = 'vk-SENTINEL-9f8e7d6c5b4a';

interface RecordLine {
  readonly id: string;
  readonly status: string;
  readonly passed: boolean;
}

function recordsOf(zip: Map<string, Buffer>): RecordLine[] {
  const text = zip.get('results.jsonl')?.toString('utf8') ?? '';
  return text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as RecordLine);
}
const TOKEN = 'gh-test-token';

const passingCases = [
  { id: 'refund', inputs: { query: 'Where is my refund?' }, expected: { query: 'Where is my refund?' } },
  { id: 'greeting', inputs: { query: 'hello' }, assert: [{ output: 'query', op: 'contains', value: 'ell' }] },
  { id: 'count', inputs: { n: 3 }, expected: { n: 3 } },
];
const rejectedCase = { id: 'broken', inputs: { query: 'x', fake_reject: 'the model refused' } };

function jsonl(cases: readonly object[]): string {
  return `${cases.map((c) => JSON.stringify(c)).join('\n')}\n`;
}

let vellum: FakeVellum;
let github: FakeGitHub;
let artifacts: FakeArtifactService;
let ws: Workspace;

beforeAll(() => {
  if (!existsSync(BUNDLE)) {
    throw new Error(`${BUNDLE} is missing: run \`pnpm --filter @vellum-batch/action build\` first`);
  }
});

beforeEach(async () => {
  vellum = await startFakeVellum({ apiKey: KEY, deployments: ['support-bot'], durationMs: 20 });
  github = await startFakeGitHub({ token: TOKEN });
  artifacts = await startFakeArtifactService();
  ws = await workspace();
});

afterEach(async () => {
  await Promise.all([vellum.close(), github.close(), artifacts.close()]);
  await ws.cleanup();
});

function setup(
  dataset: string,
  overrides: Partial<RunnerSetup> & { with?: Record<string, string> } = {},
): RunnerSetup {
  return {
    ws,
    githubApiUrl: github.url,
    resultsUrl: artifacts.url,
    event: pullRequestEvent(17),
    ...overrides,
    inputs: {
      'api-key': KEY,
      workflow: 'support-bot',
      dataset,
      'base-url': vellum.url,
      'github-token': TOKEN,
      ...overrides.with,
    },
  };
}

/** Every place the key could leak to: logs, outputs, summary, comments, artifact contents. */
function expectNoKey(result: ActionResult): void {
  const places = {
    stdout: visibleLog(result.stdout),
    stderr: result.stderr,
    outputs: JSON.stringify(result.outputs),
    summary: result.summary,
    comments: github.requests.map((r) => r.body ?? '').join('\n'),
    artifact: [...artifacts.artifacts]
      .flatMap((a) =>
        a.bytes.length > 0 ? [...readZip(a.bytes).values()].map((b) => b.toString('utf8')) : [],
      )
      .join('\n'),
  };
  for (const [place, text] of Object.entries(places)) {
    expect(text.includes(KEY), `the API key leaked into ${place}`).toBe(false);
  }
  expect(result.stdout).toContain(`::add-mask::${KEY}`);
}

/** The results artifact of a run job without artifact-name: `vellum-batch-results-eval-{hash}{suffix}`. */
function resultsArtifact(suffix = ''): FakeArtifact | undefined {
  const pattern = new RegExp(`^vellum-batch-results-eval-[0-9a-f]{8}${suffix}$`);
  const found = artifacts.artifacts.filter((a) => pattern.test(a.name));
  expect(found.length).toBeLessThanOrEqual(1);
  return found[0];
}

function commentCalls(): string[] {
  return github.requests.map((r) => `${r.method} ${r.url.split('?')[0] ?? ''}`);
}

describe('the bundled action', () => {
  it('is what action.yml at the repository root starts: node24 running action/dist/index.js', () => {
    // `uses: OWNER/vellum-batch@v1` reads the root action.yml (also for the Marketplace's branding).
    expect(actionRuns()).toEqual({ using: 'node24', main: 'action/dist/index.js' });
    expect(BUNDLE).toBe(join(REPO_ROOT, 'action', 'dist', 'index.js'));
    expect(existsSync(BUNDLE)).toBe(true);
    expect(readFileSync(ACTION_YML, 'utf8')).toMatch(/^branding:\n {2}icon: '[\w-]+'\n {2}color: '\w+'$/m);
    expect(existsSync(join(REPO_ROOT, 'action', 'action.yml'))).toBe(false);
    expect(() => actionRuns("name: 'x'\nruns:\n  using: 'node24'\n")).toThrow('runs.main not found');
  });

  it('passes the gate under Node 24: exit 0, outputs, summary, comment and artifact', async () => {
    expect(existsSync(NODE24)).toBe(true);
    const dataset = await ws.file('cases.jsonl', jsonl(passingCases));
    const result = await runAction({ ...setup(dataset), node: NODE24 });

    expect(result.stderr + result.stdout).not.toContain('::error::');
    expect(result.code).toBe(0);
    expect(result.outputs).toMatchObject({
      verdict: 'pass',
      total: '3',
      passed: '3',
      failed: '0',
      errored: '0',
      'failure-rate': '0',
    });
    expect(result.outputs['results-dir']).toBe(`${ws.dir}/vellum-batch-results`);
    expect(result.outputs['artifact-id']).toMatch(/^\d+$/);
    expect(result.outputs['artifact-url']).toBe(
      `https://github.com/acme/widgets/actions/runs/4242/artifacts/${result.outputs['artifact-id']}`,
    );
    expect(result.outputs['comment-url']).toMatch(
      /^https:\/\/github\.com\/acme\/widgets\/pull\/17#issuecomment-\d+$/,
    );

    expect(result.summary).toContain('pass');
    expect(result.summary).toContain(`**Outcomes** ${'🟩'.repeat(20)}`);
    expect(result.summary).toContain(
      `Commit [5ca1ab1](https://github.com/acme/widgets/commit/${HEAD_SHA}) · ` +
        '[Workflow run](https://github.com/acme/widgets/actions/runs/4242/attempts/1) · ' +
        `[Results artifact](${result.outputs['artifact-url']})`,
    );
    expect(result.summary).not.toContain(MERGE_SHA.slice(0, 7));
    expect(result.stdout).toContain('done: 3 cases, 3 passed, 0 failed');
    expect(result.stdout).not.toMatch(/3\/3 finished.* [1-9]\d* running/);
    expect(result.summary).toContain(result.outputs['artifact-url']);

    const executions = [...vellum.executions()];
    expect(executions).toHaveLength(3);
    expect(executions.every((e) => /^vb-4242-1-eval-[0-9a-f]{8}-/.test(e.externalId ?? ''))).toBe(true);

    const artifact = resultsArtifact();
    expect(artifact?.finalized).toBe(true);
    const files = readZip(artifact!.bytes);
    expect([...files.keys()].sort()).toEqual([
      'journal.jsonl',
      'junit.xml',
      'report.md',
      'results.jsonl',
      'summary.json',
    ]);
    const records = recordsOf(files);
    expect(records.map((r) => [r.id, r.status, r.passed])).toEqual([
      ['refund', 'FULFILLED', true],
      ['greeting', 'FULFILLED', true],
      ['count', 'FULFILLED', true],
    ]);

    expect(commentCalls()).toEqual([
      'GET /repos/acme/widgets/issues/17/comments',
      'POST /repos/acme/widgets/issues/17/comments',
    ]);
    expect(github.comments[0]?.body).toMatch(
      /<!-- vellum-batch:PR eval:eval:__acme_vellum-batch:[0-9a-f]{8} -->\n$/,
    );
    expect(github.comments[0]?.body).toContain(`[Results artifact](${result.outputs['artifact-url']})`);
    expectNoKey(result);
  });

  it('fails the gate with its reasons, still uploads, and updates the comment on a re-run instead of adding one', async () => {
    // 120 comments by others: the sticky one lands on the second page of the listing.
    for (let i = 0; i < 120; i++) github.seed(17, `comment ${i}`);
    const dataset = await ws.file('cases.jsonl', jsonl([...passingCases, rejectedCase]));

    const first = await runAction(setup(dataset));
    expect(first.code).toBe(1);
    expect(decodeCommands(first.stdout)).toContain(
      '::error::vellum-batch gate failed: failure rate 25% (1 of 4) is above the allowed 0%',
    );
    expect(first.outputs).toMatchObject({ verdict: 'fail', total: '4', passed: '3', failed: '1' });
    expect(resultsArtifact()?.finalized).toBe(true);
    expect(first.summary).toContain('broken');
    expect(first.summary).toContain('the model refused');
    expect(github.comments).toHaveLength(121);
    const sticky = github.comments[120]!;
    expect(sticky.body).toContain('the model refused');
    expectNoKey(first);

    github.requests.length = 0;
    const second = await runAction({ ...setup(dataset), runAttempt: 2 });
    expect(second.code).toBe(1);
    expect(github.comments).toHaveLength(121);
    const calls = commentCalls();
    expect(calls.filter((c) => c.startsWith('GET'))).toHaveLength(2);
    expect(calls.slice(2)).toEqual([`PATCH /repos/acme/widgets/issues/comments/${sticky.id}`]);
    expect(second.outputs['comment-url']).toBe(sticky.html_url);
    expect(resultsArtifact('-attempt-2')).toBeDefined();
    // The re-run used fresh external ids: nothing collided with the first attempt.
    expect([...vellum.executions()].filter((e) => e.externalId?.startsWith('vb-4242-2-eval-'))).toHaveLength(
      4,
    );
    expect(github.comments[120]?.body).toContain('/actions/runs/4242/attempts/2');
    expectNoKey(second);
  });

  it('on SIGTERM mid-run writes the files, cancels the unfinished cases and uploads them', async () => {
    const slow = [0, 1, 2].map((i) => ({
      id: `slow-${i}`,
      inputs: { query: 'wait', fake_duration_ms: 120_000 },
    }));
    const dataset = await ws.file('cases.jsonl', jsonl([...passingCases, ...slow]));
    const running = await startAction(setup(dataset));
    await until(
      () => vellum.stats.executionsCreated === 6 && vellum.stats.finished === 3,
      20_000,
      'the quick cases to finish',
    );
    // Wait until the engine has journaled the three quick results, so the signal finds only the slow ones running.
    const journal = join(ws.dir, 'vellum-batch-results', 'journal.jsonl');
    await until(
      () => existsSync(journal) && (readFileSync(journal, 'utf8').match(/"t":"rec"/g) ?? []).length === 3,
      10_000,
      'the three quick records in the journal',
    );

    running.child.kill('SIGTERM');
    // The runner kills the step 7.5 s after cancelling it: everything must be done before.
    const killer = setTimeout(() => running.child.kill('SIGKILL'), 7_000);
    const result = await running.done;
    clearTimeout(killer);

    expect(result.signal).toBeNull();
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('::error::vellum-batch was interrupted');
    const artifact = resultsArtifact();
    expect(artifact?.finalized).toBe(true);
    const files = readZip(artifact!.bytes);
    const records = recordsOf(files);
    expect(records.filter((r) => r.id.startsWith('slow-')).map((r) => r.status)).toEqual([
      'CANCELLED',
      'CANCELLED',
      'CANCELLED',
    ]);
    expect(records).toHaveLength(6);
    const summary = JSON.parse(files.get('summary.json')!.toString('utf8'));
    expect(summary.stopped.reason).toBe('interrupted');
    expect(result.outputs).toMatchObject({ verdict: 'fail', total: '6', errored: '3' });
    expectNoKey(result);
  });

  it('reports a bad key as a harness error found before anything is submitted, not a gate failure', async () => {
    const dataset = await ws.file('cases.jsonl', jsonl(passingCases));
    const result = await runAction(setup(dataset, { with: { 'api-key': 'vk-wrong-key' } }));
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /::error::vellum-batch could not start, nothing was submitted: GET \/v1\/workflow-deployments\/support-bot answered 403/,
    );
    expect(result.stdout).not.toContain('gate failed');
    // The key is refused by the deployment read: there are no results to upload.
    expect(resultsArtifact()).toBeUndefined();
    expect(visibleLog(result.stdout)).not.toContain('vk-wrong-key');
  });

  it('warns and skips the comment on a fork pull request, and the step still passes (on the Node running the tests)', async () => {
    const dataset = await ws.file('cases.jsonl', jsonl(passingCases));
    // This one runs on the tests' own Node (20 in CI), not Node 24: the bundle must load on both.
    const result = await runAction({
      ...setup(dataset, { event: pullRequestEvent(18, 'stranger/widgets') }),
      node: process.execPath,
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      '::warning::no PR comment: pull request #18 comes from the fork stranger/widgets',
    );
    expect(github.requests).toHaveLength(0);
    expect(result.outputs['comment-url']).toBe('');
  });

  it('warns when the token may not comment (403) and does not fail', async () => {
    await github.close();
    github = await startFakeGitHub({ token: TOKEN, failWith: 403 });
    const dataset = await ws.file('cases.jsonl', jsonl(passingCases));
    const result = await runAction(setup(dataset));
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/::warning::could not comment on pull request #17 \(HTTP 403/);
    expect(result.stdout).toContain('pull-requests: write');
  });

  it('refuses bad inputs before submitting anything, naming the input', async () => {
    const dataset = await ws.file('cases.jsonl', jsonl(passingCases));
    const result = await runAction(
      setup(dataset, { with: { 'max-failure-rate': 'lots', concurrency: '0' } }),
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('input max-failure-rate');
    expect(result.stdout).toContain('input concurrency');
    expect(result.summary).toContain('could not start');
    expect(vellum.stats.requests.submit).toBe(0);
    expect(artifacts.artifacts).toHaveLength(0);
  });
});
