/**
 * A fake of the GitHub REST API's issue-comment endpoints (list with `Link` pagination, create, update) on
 * 127.0.0.1. It records every request so that tests can tell an update from a duplicate.
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
  close(): Promise<void>;
}

/** Starts the fake on 127.0.0.1 on a free port. */
export async function startFakeGitHub(options: FakeGitHubOptions = {}): Promise<FakeGitHub> {
  const repository = options.repository ?? 'acme/widgets';
  const token = options.token ?? 'gh-test-token';
  const comments: FakeComment[] = [];
  const requests: FakeGitHubRequest[] = [];
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
    if (options.failWith !== undefined) {
      return send(res, options.failWith, { message: 'Resource not accessible by integration' });
    }
    if (
      !/^(token|bearer) /i.test(req.headers.authorization ?? '') ||
      !req.headers.authorization?.endsWith(token)
    ) {
      return send(res, 401, { message: 'Bad credentials' });
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

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: origin,
    comments,
    requests,
    seed: add,
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
