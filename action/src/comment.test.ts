import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '@vellum-batch/core/internal';
import type { CaseRecord, Summary } from '@vellum-batch/core';
import { COMMENT_LIMIT, commentBody, commentMarker, commentTarget, upsertComment } from './comment.js';
import type { CommentsApi, IssueComment } from './comment.js';

const repo = 'acme/widgets';

function memoryApi(
  initial: IssueComment[] = [],
): CommentsApi & { calls: string[]; comments: IssueComment[] } {
  const comments = [...initial];
  const calls: string[] = [];
  let next = 100;
  return {
    calls,
    comments,
    list: (n) => {
      calls.push(`list ${n}`);
      return Promise.resolve(comments);
    },
    create: (n, body) => {
      calls.push(`create ${n}`);
      const c = { id: ++next, body, html_url: `https://github.com/${repo}/pull/${n}#issuecomment-${next}` };
      comments.push(c);
      return Promise.resolve(c);
    },
    update: (id, body) => {
      calls.push(`update ${id}`);
      const i = comments.findIndex((c) => c.id === id);
      const c = { ...comments[i]!, body };
      comments[i] = c;
      return Promise.resolve(c);
    },
  };
}

describe('commentMarker', () => {
  it('names the workflow and the step key, and cannot be closed early', () => {
    expect(commentMarker('CI', 'eval:__acme_vb:1a2b3c4d')).toBe(
      '<!-- vellum-batch:CI:eval:__acme_vb:1a2b3c4d -->',
    );
    expect(commentMarker('evil --> <b>', 'j:r')).toBe('<!-- vellum-batch:evil  b:j:r -->');
  });
});

describe('commentBody', () => {
  it('keeps the marker and stays under the comment limit', () => {
    const marker = commentMarker('CI', 'eval:__acme_vb:1a2b3c4d');
    const body = commentBody('x'.repeat(200_000), marker);
    expect(body.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(body).toContain('(cut: the full report is in the job summary');
    expect(body.trimEnd().endsWith(marker)).toBe(true);
    expect(commentBody('short', marker)).toBe(`short\n\n${marker}\n`);
    // Cut at a line break: no half row of a table.
    const rows = Array.from({ length: 2_000 }, (_, i) => `| case-${i} | ${'r'.repeat(40)} |`).join('\n');
    const cut = commentBody(rows, marker);
    expect(cut.length).toBeLessThanOrEqual(COMMENT_LIMIT);
    expect(cut).toMatch(/\| r+ \|\n\n… \(cut: the full report/);
  });
});

describe('a 10,000-failure report', () => {
  it('fits a PR comment (65,536) and a job summary whole, saying what it left out', () => {
    const records: CaseRecord[] = Array.from({ length: 10_000 }, (_, i) => ({
      index: i,
      id: `case-${i}-${'q'.repeat(60)}`,
      external_id: `vb-1-1-case-${i}`,
      execution_id: `exec-${i}`,
      status: i % 3 === 0 ? 'REJECTED' : 'FULFILLED',
      passed: false,
      outputs: {},
      error: i % 3 === 0 ? { code: 'PROVIDER_QUOTA_EXCEEDED', message: 'quota exceeded' } : null,
      assertions:
        i % 3 === 0
          ? []
          : [
              {
                output: 'answer',
                op: 'contains',
                expected: 'refund',
                actual: 'x'.repeat(300),
                passed: false,
              },
            ],
      attempts: 1,
      submitted_at: null,
      finished_at: '2026-01-01T00:00:00.000Z',
      latency_ms: null,
      execution_detail_url: `https://app.vellum.ai/executions/${i}`,
    }));
    const summary = {
      total: 10_000,
      passed: 0,
      failed: 10_000,
      fulfilled: 6_666,
      rejected: 3_334,
      errored: 0,
      submit_failed: 0,
      timed_out: 0,
      cancelled: 0,
      failure_rate: 1,
      error_rate: 0,
      gate: {
        max_failure_rate: 0,
        max_failures: null,
        max_error_rate: null,
        min_cases: 1,
        passed: false,
        reasons: ['failure rate 100%'],
      },
      verdict: 'fail',
      workflow: { deployment_name: 'bot', deployment_id: null, release_tag: 'LATEST' },
      shard: null,
      run_id: 'r',
      external_id_prefix: 'vb-1-1-',
      dataset: { path: 'cases.jsonl', cases: 10_000 },
      started_at: '2026-01-01T00:00:00.000Z',
      finished_at: '2026-01-01T00:00:00.000Z',
      duration_ms: 0,
      latency_ms: { p50: null, p95: null, max: null },
      api_calls: { submit: 10_000, status: 10_000, retries: 0 },
      stopped: null,
    } as Summary;
    const markdown = renderMarkdown(summary, records, { maxFailures: 10_000 });
    const marker = commentMarker('CI', 'eval:__acme_vb:1a2b3c4d');
    const body = commentBody(markdown, marker);
    expect(body.length).toBeLessThanOrEqual(65_536);
    // The report fits whole: nothing is cut mid-table, the report says itself how many cases it left out.
    expect(body).toBe(`${markdown}\n\n${marker}\n`);
    expect(markdown).toContain('- **answer contains "refund"** × 6666: ');
    expect(markdown).toContain('- **REJECTED · PROVIDER\\_QUOTA\\_EXCEEDED** × 3334: ');
    expect(markdown).toMatch(/… and \d+ more: see the results artifact\./);
    expect(markdown).toContain(`**Outcomes** ${'🟧'.repeat(13)}${'🟥'.repeat(7)}`);
  });
});

describe('commentTarget', () => {
  const pr = { number: 9, headRepository: repo, headSha: null };

  it('comments on pull request events in auto mode only', () => {
    expect(
      commentTarget('auto', { eventName: 'pull_request', pullRequest: pr, repository: repo }, true),
    ).toEqual({
      kind: 'comment',
      issueNumber: 9,
    });
    expect(
      commentTarget('auto', { eventName: 'pull_request_target', pullRequest: pr, repository: repo }, true)
        .kind,
    ).toBe('comment');
    expect(commentTarget('auto', { eventName: 'push', pullRequest: null, repository: repo }, true)).toEqual({
      kind: 'skip',
      reason: 'the push event is not a pull request',
      warn: false,
    });
  });

  it('never comments in never mode', () => {
    expect(
      commentTarget('never', { eventName: 'pull_request', pullRequest: pr, repository: repo }, true).kind,
    ).toBe('skip');
  });

  it('in always mode, comments whenever a pull request is known and warns otherwise', () => {
    expect(
      commentTarget('always', { eventName: 'issue_comment', pullRequest: pr, repository: repo }, true).kind,
    ).toBe('comment');
    expect(commentTarget('always', { eventName: 'push', pullRequest: null, repository: repo }, true)).toEqual(
      {
        kind: 'skip',
        reason: 'no pull request is known for the push event',
        warn: true,
      },
    );
  });

  it('skips a fork pull request with a warning, but not under pull_request_target', () => {
    const fork = { number: 9, headRepository: 'someone/widgets', headSha: null };
    const skipped = commentTarget(
      'auto',
      { eventName: 'pull_request', pullRequest: fork, repository: repo },
      true,
    );
    expect(skipped).toMatchObject({ kind: 'skip', warn: true });
    expect(skipped.kind === 'skip' && skipped.reason).toContain('comes from the fork someone/widgets');
    expect(
      commentTarget('auto', { eventName: 'pull_request_target', pullRequest: fork, repository: repo }, true)
        .kind,
    ).toBe('comment');
  });

  it('leaves the comment to the merge job in a shard job under auto, not under always', () => {
    const context = { eventName: 'pull_request', pullRequest: pr, repository: repo };
    const skipped = commentTarget('auto', context, true, { index: 2, count: 4 });
    expect(skipped).toMatchObject({ kind: 'skip', warn: false });
    expect(skipped.kind === 'skip' && skipped.reason).toContain('this job runs shard 2/4: the merge job');
    expect(commentTarget('always', context, true, { index: 2, count: 4 })).toEqual({
      kind: 'comment',
      issueNumber: 9,
    });
  });

  it('warns without a token', () => {
    expect(
      commentTarget('auto', { eventName: 'pull_request', pullRequest: pr, repository: repo }, false),
    ).toEqual({
      kind: 'skip',
      reason: 'no github-token was given',
      warn: true,
    });
  });
});

describe('upsertComment', () => {
  const marker = commentMarker('CI', 'eval:__acme_vb:1a2b3c4d');

  it('creates the comment the first time and updates it afterwards', async () => {
    const api = memoryApi([
      { id: 1, body: 'LGTM', html_url: 'u1' },
      { id: 2, body: null, html_url: 'u2' },
    ]);
    const first = await upsertComment(api, 9, marker, 'report one');
    expect(first).toMatchObject({ kind: 'created', id: 101 });
    const second = await upsertComment(api, 9, marker, 'report two');
    expect(second).toEqual({
      kind: 'updated',
      id: 101,
      url: 'https://github.com/acme/widgets/pull/9#issuecomment-101',
    });
    expect(api.calls).toEqual(['list 9', 'create 9', 'list 9', 'update 101']);
    expect(api.comments).toHaveLength(3);
    expect(api.comments[2]?.body).toContain('report two');
  });

  it('does not take another job’s comment for its own', async () => {
    const other = commentMarker('CI', 'other-job:__acme_vb:1a2b3c4d');
    const api = memoryApi([{ id: 1, body: `old\n${other}`, html_url: 'u1' }]);
    expect((await upsertComment(api, 9, marker, 'r')).kind).toBe('created');
  });

  it('turns a 403 into advice instead of an error', async () => {
    const api = memoryApi();
    api.list = () =>
      Promise.reject(Object.assign(new Error('Resource not accessible by integration'), { status: 403 }));
    const outcome = await upsertComment(api, 9, marker, 'r');
    expect(outcome).toEqual({
      kind: 'failed',
      message:
        'could not comment on pull request #9 (HTTP 403: Resource not accessible by integration); give the job ' +
        '`permissions: pull-requests: write`, or set `comment: never`. The report is in the job summary.',
    });
  });

  it('reports any other failure as a message too', async () => {
    const api = memoryApi();
    api.create = () => Promise.reject(new Error('socket hang up'));
    expect(await upsertComment(api, 9, marker, 'r')).toEqual({
      kind: 'failed',
      message: 'could not comment on pull request #9: socket hang up. The report is in the job summary.',
    });
  });
});
