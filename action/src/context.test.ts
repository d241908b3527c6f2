import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commitUrl, pullRequestOf, readRunContext, runUrl } from './context.js';

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
      JSON.stringify({
        pull_request: { number: 12, head: { sha: 'abc1234def', repo: { full_name: 'fork/widgets' } } },
      }),
    );
    const context = readRunContext({
      ...base,
      GITHUB_RUN_ATTEMPT: '3',
      GITHUB_SERVER_URL: 'https://ghe.example/',
      GITHUB_WORKFLOW: 'CI',
      GITHUB_JOB: 'eval',
      GITHUB_ACTION: '__acme_vellum-batch',
      GITHUB_SHA: 'fedcba9876',
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
      step: '__acme_vellum-batch',
      // The pull request's head, not GITHUB_SHA (the test merge commit).
      sha: 'abc1234def',
      eventName: 'pull_request',
      pullRequest: { number: 12, headRepository: 'fork/widgets', headSha: 'abc1234def' },
    });
  });

  it('defaults the attempt and server, and has no pull request without a payload', () => {
    expect(readRunContext(base)).toMatchObject({
      runAttempt: 1,
      serverUrl: 'https://github.com',
      step: '',
      sha: '',
      pullRequest: null,
    });
    expect(readRunContext({ ...base, GITHUB_SHA: 'fedcba9876' }).sha).toBe('fedcba9876');
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
    expect(pullRequestOf({ pull_request: { number: 4 } })).toEqual({
      number: 4,
      headRepository: null,
      headSha: null,
    });
    expect(pullRequestOf({ issue: { number: 5, pull_request: { url: 'x' } } })).toEqual({
      number: 5,
      headRepository: null,
      headSha: null,
    });
    expect(pullRequestOf({ issue: { number: 6 } })).toBeNull();
    expect(pullRequestOf({ ref: 'refs/heads/main' })).toBeNull();
    expect(pullRequestOf('nonsense')).toBeNull();
  });
});

describe('runUrl and commitUrl', () => {
  const context = { serverUrl: 'https://github.com', repository: 'acme/widgets', runId: '77', runAttempt: 2 };

  it('link the run attempt and the commit', () => {
    expect(runUrl(context)).toBe('https://github.com/acme/widgets/actions/runs/77/attempts/2');
    expect(commitUrl({ ...context, sha: 'abc1234def' })).toBe(
      'https://github.com/acme/widgets/commit/abc1234def',
    );
  });

  it('link no commit when the SHA is unknown or not hex', () => {
    expect(commitUrl({ ...context, sha: '' })).toBeNull();
    expect(commitUrl({ ...context, sha: '../../evil' })).toBeNull();
  });
});
