/**
 * The sticky pull-request comment: one comment per workflow, job, step and matrix variant, found again by a
 * hidden marker and updated in place on every run and re-run. Failing to comment never fails the step: it warns.
 */
import type { CommentMode } from './inputs.js';
import type { RunContext } from './context.js';

/** GitHub stops comments at 65,536 characters; keep clear of it. */
export const COMMENT_LIMIT = 65_000;

/** An issue comment, as far as the action looks at it. */
export interface IssueComment {
  readonly id: number;
  readonly body?: string | null | undefined;
  readonly html_url: string;
}

/** The GitHub REST calls the sticky comment needs (an octokit adapter in the action, a fake in tests). */
export interface CommentsApi {
  /** Every comment of the pull request (all pages). */
  list(issueNumber: number): Promise<readonly IssueComment[]>;
  create(issueNumber: number, body: string): Promise<IssueComment>;
  update(commentId: number, body: string): Promise<IssueComment>;
}

/**
 * The hidden marker that identifies this step's comment: `<!-- vellum-batch:{workflow}:{key} -->`, the key from
 * `identity.ts`'s `commentKey` (`{job}:{step}:{hash}`), with anything that could end the HTML comment removed.
 */
export function commentMarker(workflow: string, key: string): string {
  const clean = (s: string): string => s.replace(/--+|[<>\r\n]/g, '').trim();
  return `<!-- vellum-batch:${clean(workflow)}:${clean(key)} -->`;
}

/**
 * The comment's body: the report, then the marker, under {@link COMMENT_LIMIT}. A longer report is cut at a line
 * break with a note (the report itself stays under core's 60,000-character limit; this is the last guard).
 */
export function commentBody(markdown: string, marker: string): string {
  const note = '\n\n… (cut: the full report is in the job summary and the results artifact)';
  const room = COMMENT_LIMIT - marker.length - note.length - 10;
  if (markdown.length <= room) return `${markdown}\n\n${marker}\n`;
  const cut = markdown.lastIndexOf('\n', room);
  const text = markdown.slice(0, cut > room / 2 ? cut : room);
  return `${text}${note}\n\n${marker}\n`;
}

/** Whether and where to comment: the pull request, or why not. */
export type CommentTarget =
  | { readonly kind: 'comment'; readonly issueNumber: number }
  | { readonly kind: 'skip'; readonly reason: string; readonly warn: boolean };

const PR_EVENTS = new Set(['pull_request', 'pull_request_target']);

/**
 * Decides whether to comment. `never`: no. `auto`: on `pull_request` and `pull_request_target` events only, and
 * not in a shard job (the merge job comments on the whole set). `always`: whenever the event names a pull request,
 * with a warning when it does not. A `pull_request` from a fork runs with a read-only token: skipped with a warning
 * instead of failing on a 403.
 */
export function commentTarget(
  mode: CommentMode,
  context: Pick<RunContext, 'eventName' | 'pullRequest' | 'repository'>,
  hasToken: boolean,
  shard: { readonly index: number; readonly count: number } | null = null,
): CommentTarget {
  if (mode === 'never') return { kind: 'skip', reason: 'comment is never', warn: false };
  if (mode === 'auto' && shard !== null) {
    return {
      kind: 'skip',
      reason: `this job runs shard ${shard.index}/${shard.count}: the merge job (mode: merge) comments on the whole set; comment: always comments per shard`,
      warn: false,
    };
  }
  const pr = context.pullRequest;
  if (mode === 'auto' && !PR_EVENTS.has(context.eventName)) {
    return {
      kind: 'skip',
      reason: `the ${context.eventName || 'unknown'} event is not a pull request`,
      warn: false,
    };
  }
  if (pr === null) {
    return {
      kind: 'skip',
      reason: `no pull request is known for the ${context.eventName || 'unknown'} event`,
      warn: mode === 'always' || PR_EVENTS.has(context.eventName),
    };
  }
  if (
    context.eventName === 'pull_request' &&
    pr.headRepository !== null &&
    pr.headRepository.toLowerCase() !== context.repository.toLowerCase()
  ) {
    return {
      kind: 'skip',
      reason: `pull request #${pr.number} comes from the fork ${pr.headRepository}, whose token cannot comment; the report is in the job summary`,
      warn: true,
    };
  }
  if (!hasToken) {
    return { kind: 'skip', reason: 'no github-token was given', warn: true };
  }
  return { kind: 'comment', issueNumber: pr.number };
}

/** What {@link upsertComment} did. */
export type CommentOutcome =
  | { readonly kind: 'created' | 'updated'; readonly url: string; readonly id: number }
  | { readonly kind: 'failed'; readonly message: string };

/**
 * Updates the comment holding `marker` on the pull request, or creates it. Never throws: a 403 or 404 (a
 * token without `pull-requests: write`, a fork) or any other failure comes back as `failed` with a message
 * for a warning.
 */
export async function upsertComment(
  api: CommentsApi,
  issueNumber: number,
  marker: string,
  markdown: string,
): Promise<CommentOutcome> {
  const body = commentBody(markdown, marker);
  try {
    const comments = await api.list(issueNumber);
    const existing = comments.find((c) => typeof c.body === 'string' && c.body.includes(marker));
    if (existing !== undefined) {
      const updated = await api.update(existing.id, body);
      return { kind: 'updated', url: updated.html_url, id: updated.id };
    }
    const created = await api.create(issueNumber, body);
    return { kind: 'created', url: created.html_url, id: created.id };
  } catch (error) {
    return { kind: 'failed', message: commentFailure(error, issueNumber) };
  }
}

function commentFailure(error: unknown, issueNumber: number): string {
  const status =
    typeof error === 'object' && error !== null && 'status' in error && typeof error.status === 'number'
      ? error.status
      : null;
  const text = error instanceof Error ? error.message : String(error);
  if (status === 403 || status === 404) {
    return (
      `could not comment on pull request #${issueNumber} (HTTP ${status}: ${text}); give the job ` +
      '`permissions: pull-requests: write`, or set `comment: never`. The report is in the job summary.'
    );
  }
  return `could not comment on pull request #${issueNumber}: ${text}. The report is in the job summary.`;
}
