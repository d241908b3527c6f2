/**
 * A fake of the GitHub REST API's issue-comment endpoints (list with `Link` pagination, create, update) and of the
 * Actions endpoints a baseline search uses (get a run, list a workflow's runs filtered by branch, status and event,
 * list a run's artifacts, download an artifact's zip by a 302 to a blob URL this fake serves) on 127.0.0.1. It
 * records every request so that tests can tell an update from a duplicate, and the order of the look-ups.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A comment held by the fake. */
export interface FakeComment {
  readonly id: number;
  readonly issueNumber: number;
  body: string;
  readonly html_url: string;
}

/** One request the fake received. */
export interface FakeGitHubRequest {
  readonly method: string;
  /** Path and query. */
  readonly url: string;
  readonly authorization: string | null;
  /** The JSON body's `body` field, for create and update. */
  readonly body: string | null;
}

/** A workflow run held by the fake (the fields the REST API's run object carries that the action reads). */
export interface FakeWorkflowRun {
  readonly id: number;
  /** The workflow's file name, e.g. `evals.yml`; runs are listed under it or under {@link workflowId}. */
  readonly workflowFile: string;
  readonly workflowId: number;
  readonly branch: string;
  readonly event: string;
  /** `success`, `failure`, ... */
  readonly conclusion: string;
  readonly headSha: string;
  readonly runAttempt?: number;
}

/** An artifact of a run held by the fake. */
export interface FakeRunArtifact {
  readonly id: number;
  readonly runId: number;
  readonly name: string;
  readonly expired: boolean;
  /** The zip served by the download. */
  readonly zip: Buffer;
}

/** Options of {@link startFakeGitHub}. */
export interface FakeGitHubOptions {
  /** `owner/name` the endpoints answer for; others get 404. @default 'acme/widgets' */
  readonly repository?: string;
  /** The token `Authorization` must carry. @default 'gh-test-token' */
  readonly token?: string;
  /** Answer every comment request with this status (e.g. 403, like a read-only token). @default none */
  readonly failWith?: number;
}

/** A running fake GitHub API. */
export interface FakeGitHub {
  /** For `GITHUB_API_URL`. */
  readonly url: string;
  readonly comments: FakeComment[];
  readonly requests: FakeGitHubRequest[];
  /** Adds a comment, as someone else would. */
  seed(issueNumber: number, body: string): FakeComment;
  /** Workflow runs, newest first as the API lists them: add to the front for a newer run. */
  readonly runs: FakeWorkflowRun[];
  readonly runArtifacts: FakeRunArtifact[];
  close(): Promise<void>;
}

/** Starts the fake on 127.0.0.1 on a free port. */
export async function startFakeGitHub(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const repository = options.repository ?? 'acme/widgets';
  const token = options.token ?? 'gh-test-token';
  const comments: FakeComment[] = [];
  const requests: FakeGitHubRequest[] = [];
  const runs: FakeWorkflowRun[] = [];
  const runArtifacts: FakeRunArtifact[] = [];
  let nextId = 5000;
  let origin = '';

  const add = (issueNumber: number, body: string): FakeComment => {
    const id = ++nextId;
    const comment = {
      id,
      issueNumber,
      body,
      html_url: `https://github.com/${repository}/pull/${issueNumber}#issuecomment-${id}`,
    };
    comments.push(comment);
    return comment;
  };

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) =>
      send(res, 500, { message: error instanceof Error ? error.message : String(error) }),
    );
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', origin);
    const text = (await readBody(req)).toString('utf8');
    const json = text === '' ? {} : (JSON.parse(text) as { body?: unknown });
    requests.push({
      method: req.method ?? '',
      url: `${url.pathname}${url.search}`,
      authorization: req.headers.authorization ?? null,
      body: typeof json.body === 'string' ? json.body : null,
    });
    const blob = /^\/blobs\/(\d+)\.zip$/.exec(url.pathname);
    if (blob && req.method === 'GET') {
      // A signed blob URL: no GitHub token (as on Azure storage), the signature is in the query.
      const artifact = runArtifacts.find((a) => a.id === Number(blob[1]));
      if (!artifact || url.searchParams.get('sig') !== 'fake')
        return send(res, 403, { message: 'bad signature' });
      res.writeHead(200, { 'content-type': 'application/zip', 'content-length': artifact.zip.length });
      res.end(artifact.zip);
      return;
    }
    if (options.failWith !== undefined) {
      return send(res, options.failWith, { message: 'Resource not accessible by integration' });
    }
    if (
      !/^(token|bearer) /i.test(req.headers.authorization ?? '') ||
      !req.headers.authorization?.endsWith(token)
    ) {
      return send(res, 401, { message: 'Bad credentials' });
    }
    if (url.pathname.startsWith(`/repos/${repository}/actions/`) && req.method === 'GET') {
      return actions(url, url.pathname.slice(`/repos/${repository}/actions/`.length), res);
    }
    const prefix = `/repos/${repository}/issues/`;
    if (!url.pathname.startsWith(prefix)) return send(res, 404, { message: 'Not Found' });
    const rest = url.pathname.slice(prefix.length);

    const list = /^(\d+)\/comments$/.exec(rest);
    if (list && req.method === 'GET') {
      const issue = Number(list[1]);
      const perPage = Math.min(100, Number(url.searchParams.get('per_page') ?? 30));
      const page = Number(url.searchParams.get('page') ?? 1);
      const all = comments.filter((c) => c.issueNumber === issue);
      const slice = all.slice((page - 1) * perPage, page * perPage).map(publicComment);
      const headers: Record<string, string> = {};
      if (page * perPage < all.length) {
        const next = new URL(url.href);
        next.searchParams.set('page', String(page + 1));
        next.searchParams.set('per_page', String(perPage));
        headers['link'] = `<${next.href}>; rel="next"`;
      }
      return send(res, 200, slice, headers);
    }
    if (list && req.method === 'POST') {
      if (typeof json.body !== 'string') return send(res, 422, { message: 'body is required' });
      return send(res, 201, publicComment(add(Number(list[1]), json.body)));
    }
    const update = /^comments\/(\d+)$/.exec(rest);
    if (update && req.method === 'PATCH') {
      const comment = comments.find((c) => c.id === Number(update[1]));
      if (!comment) return send(res, 404, { message: 'Not Found' });
      if (typeof json.body !== 'string') return send(res, 422, { message: 'body is required' });
      comment.body = json.body;
      return send(res, 200, publicComment(comment));
    }
    send(res, 404, { message: 'Not Found' });
  }

  function publicRun(run: FakeWorkflowRun): object {
    return {
      id: run.id,
      workflow_id: run.workflowId,
      head_branch: run.branch,
      head_sha: run.headSha,
      event: run.event,
      status: 'completed',
      conclusion: run.conclusion,
      run_attempt: run.runAttempt ?? 1,
      html_url: `https://github.com/${repository}/actions/runs/${run.id}`,
    };
  }

  function actions(url: URL, rest: string, res: ServerResponse): void {
    const run = /^runs\/(\d+)$/.exec(rest);
    if (run) {
      const found = runs.find((r) => r.id === Number(run[1]));
      return found ? send(res, 200, publicRun(found)) : send(res, 404, { message: 'Not Found' });
    }
    const list = /^workflows\/([^/]+)\/runs$/.exec(rest);
    if (list) {
      const workflow = decodeURIComponent(list[1] ?? '');
      const q = url.searchParams;
      const perPage = Math.min(100, Number(q.get('per_page') ?? 30));
      const matching = runs.filter(
        (r) =>
          (r.workflowFile === workflow || String(r.workflowId) === workflow) &&
          (q.get('branch') === null || r.branch === q.get('branch')) &&
          (q.get('event') === null || r.event === q.get('event')) &&
          (q.get('status') === null || r.conclusion === q.get('status')),
      );
      return send(res, 200, {
        total_count: matching.length,
        workflow_runs: matching.slice(0, perPage).map(publicRun),
      });
    }
    const artifacts = /^runs\/(\d+)\/artifacts$/.exec(rest);
    if (artifacts) {
      const name = url.searchParams.get('name');
      const listed = runArtifacts.filter(
        (a) => a.runId === Number(artifacts[1]) && (name === null || a.name === name),
      );
      return send(res, 200, {
        total_count: listed.length,
        artifacts: listed.map((a) => ({
          id: a.id,
          name: a.name,
          size_in_bytes: a.zip.length,
          expired: a.expired,
          workflow_run: { id: a.runId },
        })),
      });
    }
    const zip = /^artifacts\/(\d+)\/zip$/.exec(rest);
    if (zip) {
      const artifact = runArtifacts.find((a) => a.id === Number(zip[1]));
      if (!artifact) return send(res, 404, { message: 'Not Found' });
      if (artifact.expired) return send(res, 410, { message: 'Artifact has expired' });
      res.writeHead(302, { location: `${origin}/blobs/${artifact.id}.zip?sig=fake`, 'content-length': 0 });
      res.end();
      return;
    }
    send(res, 404, { message: 'Not Found' });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: origin,
    comments,
    requests,
    seed: add,
    runs,
    runArtifacts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function publicComment(c: FakeComment): object {
  return { id: c.id, body: c.body, html_url: c.html_url, user: { login: 'github-actions[bot]' } };
}

function send(
  res: ServerResponse,
  status: number,
  payload: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(payload);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
