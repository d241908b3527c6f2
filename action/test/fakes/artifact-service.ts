/**
 * A fake of the GitHub Actions results service as `@actions/artifact` v6 talks to it: the Twirp JSON calls
 * `CreateArtifact`, `FinalizeArtifact`, `ListArtifacts` and `GetSignedArtifactURL`, the Azure Blob upload to the
 * signed URL that `CreateArtifact` returns (`PUT ?comp=block` per block, then `PUT ?comp=blocklist`, or one `PUT` of
 * the whole blob), and the download (`GET`) of the signed URL that `GetSignedArtifactURL` returns.
 * Artifacts belong to the workflow run named in the runtime token, as on GitHub: a name is unique within a run, and
 * listing shows the finalized artifacts of the caller's run only. It stores the uploaded bytes so that tests can
 * open the zip.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const TWIRP = '/twirp/github.actions.results.api.v1.ArtifactService/';

/** One artifact as the fake saw it. */
export interface FakeArtifact {
  readonly id: number;
  readonly name: string;
  readonly workflowRunBackendId: string;
  readonly workflowJobRunBackendId: string;
  /** `expires_at` of the create request, when retention days were given. */
  readonly expiresAt: string | null;
  /** The committed blob: the zip. Empty until the upload is committed. */
  bytes: Buffer;
  finalized: boolean;
  /** `size` of the finalize request. */
  finalizedSize: number | null;
}

/** A running fake artifact service. */
export interface FakeArtifactService {
  /** Origin for `ACTIONS_RESULTS_URL`. */
  readonly url: string;
  /** Every artifact of every run, in creation order. */
  readonly artifacts: FakeArtifact[];
  /** The artifact named `name` in the run `runBackendId`. */
  artifact(name: string, runBackendId?: string): FakeArtifact | undefined;
  /** Every request, as `METHOD path` (without the query's signature). */
  readonly requests: string[];
  close(): Promise<void>;
}

/**
 * An unsigned JWT whose `scp` claim carries `Actions.Results:{runBackendId}:{jobBackendId}`, which is all
 * `@actions/artifact` reads from `ACTIONS_RUNTIME_TOKEN`.
 */
export function fakeRuntimeToken(runBackendId = 'run-backend-1', jobBackendId = 'job-backend-1'): string {
  const part = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({
    scp: `Actions.ExampleScope Actions.Results:${runBackendId}:${jobBackendId}`,
    exp: Math.floor(Date.now() / 1000) + 3600,
  })}.`;
}

/** Starts the fake on 127.0.0.1 on a free port. */
export async function startFakeArtifactService(): Promise<FakeArtifactService> {
  const artifacts: FakeArtifact[] = [];
  const find = (name: string, run: string): FakeArtifact | undefined =>
    artifacts.find((a) => a.name === name && a.workflowRunBackendId === run);
  const signedUrl = (artifact: FakeArtifact): string =>
    `${origin}/devstoreaccount1/artifacts/${encodeURIComponent(artifact.workflowRunBackendId)}/${encodeURIComponent(artifact.name)}.zip?sig=fake-signature&se=2099-01-01`;
  const blocks = new Map<FakeArtifact, Map<string, Buffer>>();
  const requests: string[] = [];
  let nextId = 1000;
  let origin = '';

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      send(res, 500, { msg: error instanceof Error ? error.message : String(error) });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', origin);
    const body = await readBody(req);
    requests.push(
      `${req.method ?? ''} ${url.pathname}${url.searchParams.has('comp') ? `?comp=${url.searchParams.get('comp')}` : ''}`,
    );

    if (req.method === 'POST' && url.pathname === `${TWIRP}CreateArtifact`) {
      if (!/^Bearer .+/.test(req.headers.authorization ?? '')) return send(res, 401, { msg: 'no token' });
      const request = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
      const name = String(request['name']);
      const run = String(request['workflow_run_backend_id']);
      if (find(name, run)) {
        return send(res, 409, {
          code: 'already_exists',
          msg: 'an artifact with this name already exists on the workflow run',
        });
      }
      const artifact: FakeArtifact = {
        id: ++nextId,
        name,
        workflowRunBackendId: run,
        workflowJobRunBackendId: String(request['workflow_job_run_backend_id']),
        expiresAt: typeof request['expires_at'] === 'string' ? request['expires_at'] : null,
        bytes: Buffer.alloc(0),
        finalized: false,
        finalizedSize: null,
      };
      artifacts.push(artifact);
      return send(res, 200, { ok: true, signed_upload_url: signedUrl(artifact) });
    }
    if (req.method === 'POST' && url.pathname === `${TWIRP}FinalizeArtifact`) {
      const request = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
      const artifact = find(String(request['name']), String(request['workflow_run_backend_id']));
      if (!artifact) return send(res, 404, { code: 'not_found', msg: 'no such artifact' });
      artifact.finalized = true;
      artifact.finalizedSize = Number(request['size']);
      return send(res, 200, { ok: true, artifact_id: String(artifact.id) });
    }
    if (req.method === 'POST' && url.pathname === `${TWIRP}ListArtifacts`) {
      if (!/^Bearer .+/.test(req.headers.authorization ?? '')) return send(res, 401, { msg: 'no token' });
      // Wrapper types (StringValue, Int64Value) are their bare value in proto3 JSON; int64 is a string.
      const request = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
      const run = String(request['workflow_run_backend_id']);
      const nameFilter = request['name_filter'] as string | undefined;
      const idFilter = request['id_filter'] as string | number | undefined;
      const listed = artifacts.filter(
        (a) =>
          a.finalized &&
          a.workflowRunBackendId === run &&
          (nameFilter === undefined || a.name === nameFilter) &&
          (idFilter === undefined || String(a.id) === String(idFilter)),
      );
      return send(res, 200, {
        artifacts: listed.map((a) => ({
          workflow_run_backend_id: a.workflowRunBackendId,
          workflow_job_run_backend_id: a.workflowJobRunBackendId,
          database_id: String(a.id),
          name: a.name,
          size: String(a.bytes.length),
          created_at: new Date().toISOString(),
        })),
      });
    }
    if (req.method === 'POST' && url.pathname === `${TWIRP}GetSignedArtifactURL`) {
      const request = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
      const artifact = find(String(request['name']), String(request['workflow_run_backend_id']));
      if (!artifact?.finalized) return send(res, 404, { code: 'not_found', msg: 'no such artifact' });
      return send(res, 200, { signed_url: signedUrl(artifact) });
    }
    const blob = /^\/devstoreaccount1\/artifacts\/([^/]+)\/([^/]+)\.zip$/.exec(url.pathname);
    if (blob) {
      const artifact = find(decodeURIComponent(blob[2] ?? ''), decodeURIComponent(blob[1] ?? ''));
      if (!artifact || url.searchParams.get('sig') !== 'fake-signature') return blobReply(res, 403);
      if (req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'application/zip', 'content-length': artifact.bytes.length });
        res.end(artifact.bytes);
        return;
      }
    }
    if (req.method === 'PUT' && blob) {
      const artifact = find(decodeURIComponent(blob[2] ?? ''), decodeURIComponent(blob[1] ?? ''))!;
      const comp = url.searchParams.get('comp');
      if (comp === 'block') {
        const id = url.searchParams.get('blockid') ?? '';
        const staged = blocks.get(artifact) ?? new Map<string, Buffer>();
        staged.set(id, body);
        blocks.set(artifact, staged);
        return blobReply(res, 201);
      }
      if (comp === 'blocklist') {
        const staged = blocks.get(artifact) ?? new Map<string, Buffer>();
        const ids = [...body.toString('utf8').matchAll(/<(?:Latest|Uncommitted|Committed)>([^<]*)<\//g)].map(
          (m) => m[1] ?? '',
        );
        const parts = ids.map((id) => staged.get(id));
        if (parts.some((p) => p === undefined)) return blobReply(res, 400);
        artifact.bytes = Buffer.concat(parts as Buffer[]);
        return blobReply(res, 201);
      }
      if (comp === null) {
        artifact.bytes = body;
        return blobReply(res, 201);
      }
    }
    send(res, 404, { msg: `not found: ${req.method ?? ''} ${url.pathname}` });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: origin,
    artifacts,
    artifact: (name, runBackendId = 'run-backend-1') => find(name, runBackendId),
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(res: ServerResponse, status: number, payload: unknown): void {
  const text = JSON.stringify(payload);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function blobReply(res: ServerResponse, status: number): void {
  res.writeHead(status, {
    'content-length': '0',
    etag: '"0x8D000000000000"',
    'last-modified': new Date().toUTCString(),
    'x-ms-request-id': '00000000-0000-0000-0000-000000000000',
    'x-ms-version': '2025-01-05',
    'x-ms-request-server-encrypted': 'true',
  });
  res.end();
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
