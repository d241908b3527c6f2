import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultExternalIdPrefix, pullRequestOf, readRunContext } from './context.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vb-context-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const base = { GITHUB_REPOSITORY: 'acme/widgets', GITHUB_RUN_ID: '77' };

describe('readRunContext', () => {
  it('reads the run and the pull request of the event payload', async () => {
    const event = join(dir, 'event.json');
    await writeFile(
      event,
      JSON.stringify({ pull_request: { number: 12, head: { repo: { full_name: 'fork/widgets' } } } }),
    );
    const context = readRunContext({
      ...base,
      GITHUB_RUN_ATTEMPT: '3',
      GITHUB_SERVER_URL: 'https://ghe.example/',
      GITHUB_WORKFLOW: 'CI',
      GITHUB_JOB: 'eval',
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_EVENT_PATH: event,
    });
    expect(context).toEqual({
      repository: 'acme/widgets',
      serverUrl: 'https://ghe.example',
      runId: '77',
      runAttempt: 3,
      workflow: 'CI',
      job: 'eval',
      eventName: 'pull_request',
      pullRequest: { number: 12, headRepository: 'fork/widgets' },
    });
  });

  it('defaults the attempt and server, and has no pull request without a payload', () => {
    expect(readRunContext(base)).toMatchObject({
      runAttempt: 1,
      serverUrl: 'https://github.com',
      pullRequest: null,
    });
    expect(readRunContext({ ...base, GITHUB_EVENT_PATH: join(dir, 'missing.json') }).pullRequest).toBeNull();
  });

  it('names the variable that is missing outside a runner', () => {
    expect(() => readRunContext({ GITHUB_RUN_ID: '1' })).toThrow(
      'this action must run in a GitHub Actions job: GITHUB_REPOSITORY is not set',
    );
    expect(() => readRunContext({ ...base, GITHUB_RUN_ATTEMPT: 'x' })).toThrow(
      'GITHUB_RUN_ATTEMPT is invalid',
    );
  });
});

describe('pullRequestOf', () => {
  it('finds a pull request in pull_request and issue_comment payloads only', () => {
    expect(pullRequestOf({ pull_request: { number: 4 } })).toEqual({ number: 4, headRepository: null });
    expect(pullRequestOf({ issue: { number: 5, pull_request: { url: 'x' } } })).toEqual({
      number: 5,
      headRepository: null,
    });
    expect(pullRequestOf({ issue: { number: 6 } })).toBeNull();
    expect(pullRequestOf({ ref: 'refs/heads/main' })).toBeNull();
    expect(pullRequestOf('nonsense')).toBeNull();
  });
});

describe('defaultExternalIdPrefix', () => {
  it('includes the run id, the attempt and the shard', () => {
    expect(defaultExternalIdPrefix({ runId: '77', runAttempt: 2 }, null)).toBe('gh-77-2-');
    expect(defaultExternalIdPrefix({ runId: '77', runAttempt: 1 }, { index: 3 })).toBe('gh-77-1-s3-');
  });
});
