/**
 * `baseline: auto` end to end with the ncc bundle under Node 24: a push on main uploads its results; a pull request
 * into main finds that run's artifact through the fake REST API, downloads it with the real `@actions/artifact`
 * (`findBy`: the REST zip endpoint, its redirect, the blob), compares, gates on `max-new-failures` and comments.
 * Build first: `pnpm --filter @vellum-batch/action build`.
 */
import { existsSync } from 'node:fs';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeVellum } from '@vellum-batch/testkit';
import type { FakeVellum } from '@vellum-batch/testkit';
import { fakeRuntimeToken, startFakeArtifactService } from './fakes/artifact-service.js';
import type { FakeArtifactService } from './fakes/artifact-service.js';
import { startFakeGitHub } from './fakes/github-api.js';
import type { FakeGitHub } from './fakes/github-api.js';
import { readZip } from './fakes/zip.js';
import { BUNDLE, NODE24, pullRequestEvent, runAction, workspace } from './harness.js';
import type { RunnerSetup, Workspace } from './harness.js';

const KEY = 'vk-baseline-bundle-key';
const TOKEN = 'gh-test-token';
const IDS = Array.from({ length: 12 }, (_, i) => `case-${i}`);
const REGRESSING = ['case-2', 'case-5', 'case-7', 'case-11'];
const FIXED = 'case-9';
const HEAD = 'b'.repeat(40);

let vellum: FakeVellum;
let github: FakeGitHub;
let artifacts: FakeArtifactService;
let ws: Workspace;
let phase: 'main' | 'pr' = 'main';

beforeAll(() => {
  if (!existsSync(BUNDLE)) {
    throw new Error(`${BUNDLE} is missing: run \`pnpm --filter @vellum-batch/action build\` first`);
  }
});

beforeEach(async () => {
  phase = 'main';
  vellum = await startFakeVellum({
    apiKey: KEY,
    deployments: ['bot'],
    durationMs: 1,
    responder: (req) => {
      const id = String(req.inputs.find((input) => input.name === 'case')?.value);
      const passes = id !== 'case-0' && (phase === 'main' ? id !== FIXED : !REGRESSING.includes(id));
      return { outputs: { answer: passes ? `refund for ${id}` : `nothing for ${id} (${phase})` } };
    },
  });
  github = await startFakeGitHub({ token: TOKEN });
  artifacts = await startFakeArtifactService();
  ws = await workspace();
});

afterEach(async () => {
  await Promise.all([vellum.close(), github.close(), artifacts.close()]);
  await ws.cleanup();
});

function setup(dataset: string, overrides: Partial<RunnerSetup>): RunnerSetup {
  return {
    ws,
    githubApiUrl: github.url,
    resultsUrl: artifacts.url,
    node: NODE24,
    ...overrides,
    inputs: {
      'api-key': KEY,
      workflow: 'bot',
      dataset,
      'base-url': vellum.url,
      'github-token': TOKEN,
      'max-failure-rate': '100%',
      'max-new-failures': '0',
      // Named, so the test can find it; unnamed, each job uploads under its own stable name, found the same way.
      'artifact-name': 'vellum-batch-results',
      ...overrides.inputs,
    },
  };
}

describe('the bundled action with baseline: auto', () => {
  it("compares a pull request with its base branch's last successful run, gates and comments", async () => {
    expect(existsSync(NODE24)).toBe(true);
    const dataset = await ws.file(
      'cases.jsonl',
      IDS.map((id) =>
        JSON.stringify({
          id,
          inputs: { case: id },
          assert: [{ output: 'answer', op: 'contains', value: 'refund' }],
        }),
      ).join('\n'),
    );

    // 1. A push on main: nothing to compare with yet (a note), its results are uploaded.
    const main = await runAction(
      setup(dataset, {
        eventName: 'push',
        runId: '900',
        env: {
          GITHUB_REF: 'refs/heads/main',
          GITHUB_WORKFLOW_REF: 'acme/widgets/.github/workflows/evals.yml@refs/heads/main',
          ACTIONS_RUNTIME_TOKEN: fakeRuntimeToken('run-backend-900'),
        },
      }),
    );
    expect(main.code).toBe(0);
    expect(main.stdout).toContain(
      '::warning::Not compared with a baseline: no successful push run of this workflow on main was found. The max-new-failures gate was not applied.',
    );
    expect(main.summary).toContain('> [!NOTE]\n> Not compared with a baseline: no successful push run');
    expect(main.outputs).toMatchObject({ regressions: '', fixes: '' });
    const uploaded = artifacts.artifact('vellum-batch-results', 'run-backend-900');
    expect(uploaded?.finalized).toBe(true);

    // The REST API now knows run 900 as a successful push run of evals.yml on main, with that artifact.
    github.runs.push({
      id: 900,
      workflowFile: 'evals.yml',
      workflowId: 5,
      branch: 'main',
      event: 'push',
      conclusion: 'success',
      headSha: HEAD,
    });
    github.runArtifacts.push({
      id: 61,
      runId: 900,
      name: 'vellum-batch-results',
      expired: false,
      zip: uploaded!.bytes,
    });
    github.requests.length = 0;

    // 2. A pull request into main where 4 cases regress and 1 is fixed.
    phase = 'pr';
    const pr = await runAction(
      setup(dataset, {
        eventName: 'pull_request',
        event: pullRequestEvent(21),
        runId: '950',
        env: {
          GITHUB_BASE_REF: 'main',
          GITHUB_REF: 'refs/pull/21/merge',
          GITHUB_WORKFLOW_REF: 'acme/widgets/.github/workflows/evals.yml@refs/pull/21/merge',
          ACTIONS_RUNTIME_TOKEN: fakeRuntimeToken('run-backend-950'),
        },
      }),
    );
    expect(pr.code).toBe(1);
    expect(pr.outputs).toMatchObject({ verdict: 'fail', regressions: '4', fixes: '1', flaky: '' });
    expect(pr.stdout).toContain(
      '::error::vellum-batch gate failed: 4 cases regressed against the baseline (passed there, fail now), above the allowed 0: "case-2", "case-5", "case-7", "case-11"',
    );
    expect(github.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /repos/acme/widgets/actions/workflows/evals.yml/runs?branch=main&status=success&event=push&per_page=10',
      'GET /repos/acme/widgets/actions/runs/900/artifacts?per_page=100',
      'GET /repos/acme/widgets/actions/artifacts/61/zip',
      'GET /blobs/61.zip?sig=fake',
      'GET /repos/acme/widgets/issues/21/comments?per_page=100',
      'POST /repos/acme/widgets/issues/21/comments',
    ]);

    const comment = github.comments[0]?.body ?? '';
    // The closing note of issue 13 quotes these lines.
    console.log(comment.split('\n').slice(0, 15).join('\n'));
    expect(comment).toMatch(
      /^\*\*Compared with\*\* \[run [^\]]+\]\(https:\/\/github\.com\/acme\/widgets\/actions\/runs\/900\) · /m,
    );
    expect(comment).toContain(`commit [bbbbbbb](https://github.com/acme/widgets/commit/${HEAD})`);
    for (const id of REGRESSING) {
      expect(comment).toMatch(
        new RegExp(`\\| ${id} \\| FULFILLED \\| .*nothing for ${id} \\(pr\\).*refund for ${id}`),
      );
    }

    const files = readZip(artifacts.artifact('vellum-batch-results', 'run-backend-950')!.bytes);
    const summary = JSON.parse(files.get('summary.json')!.toString('utf8')) as {
      comparison: { regressions: number; fixes: number; baseline: { commit: string; run_url: string } };
    };
    expect(summary.comparison).toMatchObject({
      regressions: 4,
      fixes: 1,
      baseline: { commit: HEAD, run_url: 'https://github.com/acme/widgets/actions/runs/900' },
    });
    expect(files.get('report.md')?.toString('utf8')).toContain('### Regressions (4)');
  });
});
