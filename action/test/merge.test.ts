/**
 * End to end, `mode: merge`: shard jobs of the bundled action upload their results through the real
 * `@actions/artifact` to the fake artifact service, then a merge job lists, downloads and merges them, gates once,
 * uploads the merged set and writes the one PR comment. Build first: `pnpm --filter @vellum-batch/action build`.
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
import { BUNDLE, decodeCommands, pullRequestEvent, runAction, workspace } from './harness.js';
import type { ActionResult, RunnerSetup, Workspace } from './harness.js';

const KEY = 'vk-MERGE-SENTINEL-1a2b3c';
const TOKEN = 'gh-merge-token';

/** 24 cases; every fifth is rejected by the fake (5 of 24 fail). */
const CASES = Array.from({ length: 24 }, (_, i) => ({
  id: `case-${String(i).padStart(2, '0')}`,
  inputs: i % 5 === 2 ? { q: `q${i}`, fake_reject: 'refused' } : { q: `q${i}` },
}));

let vellum: FakeVellum;
let github: FakeGitHub;
let artifacts: FakeArtifactService;
let ws: Workspace;
let dataset: string;

beforeAll(() => {
  if (!existsSync(BUNDLE)) {
    throw new Error(`${BUNDLE} is missing: run \`pnpm --filter @vellum-batch/action build\` first`);
  }
});

beforeEach(async () => {
  vellum = await startFakeVellum({ apiKey: KEY, deployments: ['support-bot'], durationMs: 10 });
  github = await startFakeGitHub({ token: TOKEN });
  artifacts = await startFakeArtifactService();
  ws = await workspace();
  dataset = await ws.file('cases.jsonl', `${CASES.map((c) => JSON.stringify(c)).join('\n')}\n`);
});

afterEach(async () => {
  await Promise.all([vellum.close(), github.close(), artifacts.close()]);
  await ws.cleanup();
});

function job(inputs: Record<string, string>, overrides: Partial<RunnerSetup> = {}): Promise<ActionResult> {
  return runAction({
    ws,
    githubApiUrl: github.url,
    resultsUrl: artifacts.url,
    event: pullRequestEvent(17),
    ...overrides,
    inputs: { 'github-token': TOKEN, ...inputs },
  });
}

function shardJob(shard: string, overrides: Partial<RunnerSetup> = {}): Promise<ActionResult> {
  return job(
    {
      'api-key': KEY,
      workflow: 'support-bot',
      dataset,
      'base-url': vellum.url,
      shard,
      out: `out-${shard.replace('/', '-of-')}`,
      'fail-on-gate': 'false',
    },
    overrides,
  );
}

function ids(zip: Map<string, Buffer>): string[] {
  const text = zip.get('results.jsonl')?.toString('utf8') ?? '';
  return text
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as { id: string }).id);
}

describe('the bundled action in mode: merge', () => {
  it('merges the artifacts of three shard jobs, gates once and writes the only PR comment', async () => {
    for (const shard of ['1/3', '2/3', '3/3']) {
      const result = await shardJob(shard);
      expect(result.code, decodeCommands(result.stdout)).toBe(0);
      expect(result.stdout).toContain(`this job runs shard ${shard}: the merge job (mode: merge) comments`);
    }
    expect(github.requests).toHaveLength(0);
    const shardNames = artifacts.artifacts.map((a) => a.name);
    expect(shardNames).toEqual([
      'vellum-batch-results-shard-1-of-3',
      'vellum-batch-results-shard-2-of-3',
      'vellum-batch-results-shard-3-of-3',
    ]);
    artifacts.requests.length = 0;

    const merge = await job({ mode: 'merge', 'max-failure-rate': '25%', out: 'merged' });
    const log = decodeCommands(merge.stdout);
    expect(merge.code, log).toBe(0);
    expect(log).toContain('merging 3 shards: vellum-batch-results-shard-1-of-3 (artifact 1001)');
    expect(merge.outputs).toMatchObject({
      verdict: 'pass',
      total: '24',
      passed: '19',
      failed: '5',
      errored: '0',
      'artifact-id': '1004',
      'artifact-url': 'https://github.com/acme/widgets/actions/runs/4242/artifacts/1004',
    });
    // Listed once, then a signed URL and a download per shard, then the merged upload.
    const calls = artifacts.requests.map((r) => r.replace(/^POST \/twirp\/[\w.]+\//, 'twirp '));
    expect(calls.slice(0, 7)).toEqual([
      'twirp ListArtifacts',
      'twirp ListArtifacts',
      'twirp GetSignedArtifactURL',
      'GET /devstoreaccount1/artifacts/run-backend-1/vellum-batch-results-shard-1-of-3.zip',
      'twirp ListArtifacts',
      'twirp GetSignedArtifactURL',
      'GET /devstoreaccount1/artifacts/run-backend-1/vellum-batch-results-shard-2-of-3.zip',
    ]);
    const merged = artifacts.artifact('vellum-batch-results');
    expect(merged?.finalized).toBe(true);
    const files = readZip(merged!.bytes);
    expect([...files.keys()].sort()).toEqual(['junit.xml', 'report.md', 'results.jsonl', 'summary.json']);
    expect(ids(files)).toEqual(CASES.map((c) => c.id));
    expect(JSON.parse(files.get('summary.json')!.toString('utf8'))).toMatchObject({
      total: 24,
      passed: 19,
      shard: null,
      verdict: 'pass',
    });
    expect(merge.summary).toContain('| Passed | 19 |');
    expect(github.requests.map((r) => r.method)).toEqual(['GET', 'POST']);
    expect(github.requests[1]?.body).toContain('| Passed | 19 |');
    expect(merge.outputs['comment-url']).not.toBe('');
    expect(`${merge.stdout}${merge.stderr}${merge.summary}`).not.toContain(KEY);
  });

  it('fails naming the missing shard when only another run has it, uploads nothing and says so in the PR comment', async () => {
    expect((await shardJob('1/3')).code).toBe(0);
    expect((await shardJob('3/3')).code).toBe(0);
    const otherRun = await shardJob('2/3', {
      runId: '9999',
      env: { ACTIONS_RUNTIME_TOKEN: fakeRuntimeToken('run-backend-2', 'job-backend-9') },
    });
    expect(otherRun.code).toBe(0);
    expect(artifacts.artifact('vellum-batch-results-shard-2-of-3', 'run-backend-2')?.finalized).toBe(true);

    const merge = await job({ mode: 'merge' });
    expect(merge.code).toBe(1);
    const message =
      'vellum-batch could not merge the shards: 1 of 3 shards have no results artifact in this run: ' +
      'vellum-batch-results-shard-2-of-3 (did the job fail before uploading, or was it skipped or cancelled?); ' +
      'nothing was merged';
    expect(decodeCommands(merge.stdout)).toContain(`::error::${message}`);
    expect(merge.summary).toContain('vellum-batch-results-shard-2-of-3');
    expect(artifacts.artifact('vellum-batch-results')).toBeUndefined();
    expect(merge.outputs).toEqual({});
    // The sticky comment says so, instead of showing an earlier push's report as this one's.
    expect(github.requests.map((r) => r.method)).toEqual(['GET', 'POST']);
    expect(github.requests[1]?.body).toContain('vellum-batch: could not merge the shards');
    expect(github.requests[1]?.body).toContain('vellum-batch-results-shard-2-of-3');
  });
});
