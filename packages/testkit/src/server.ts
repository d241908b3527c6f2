import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hashSeed, mulberry32 } from './internal/random.js';
import { defaultResponder } from './responder.js';
import { ExecutionStore, type StoreDeployment } from './store.js';
import { WebhookSender } from './webhooks.js';
import type {
  FakeExecution,
  FakeStats,
  FakeVellum,
  FakeVellumOptions,
  FaultOptions,
  Responder,
} from './types.js';
import { parseSubmitBody } from './validate.js';

const SUBMIT_PATH = '/v1/execute-workflow-async';
const STATUS_PREFIX = '/v1/workflows/executions/';
const STATUS_SUFFIX = '/status';
const EVENTS_PREFIX = '/v1/workflow-deployments/';
const EVENTS_SUFFIX = '/execution-events';
const MAX_BODY_BYTES = 10 * 1024 * 1024;
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Where the fake's execution links point (a realistic, not a working, URL). */
export const EXECUTION_DETAIL_URL_BASE = 'https://app.vellum.ai/workflows/executions/';

const DEFAULT_FAULTS: FaultOptions = {
  rateLimitRate: 0,
  retryAfterSeconds: 1,
  serverErrorRate: 0,
  dropAfterAcceptRate: 0,
  statusLagMs: 0,
  neverFinishRate: 0,
};

const SERVER_ERRORS = [
  [500, 'Internal server error (injected by the fake)'],
  [502, 'Bad gateway (injected by the fake)'],
  [503, 'Service unavailable (injected by the fake)'],
] as const;

/** The stable uuid-like id the fake gives a deployment declared by name only. */
export function fakeDeploymentId(name: string): string {
  const h = createHash('sha256').update(`vellum-batch-fake-deployment:${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function checkRate(name: string, value: number): void {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new RangeError(`${name} must be a number in [0, 1], got ${String(value)}`);
  }
}

function checkFaults(faults: Partial<FaultOptions>): void {
  for (const key of ['rateLimitRate', 'serverErrorRate', 'dropAfterAcceptRate', 'neverFinishRate'] as const) {
    const value = faults[key];
    if (value !== undefined) checkRate(`faults.${key}`, value);
  }
  const retryAfter = faults.retryAfterSeconds;
  if (retryAfter !== undefined && !(Number.isInteger(retryAfter) && retryAfter >= 0)) {
    throw new RangeError(`faults.retryAfterSeconds must be an integer >= 0, got ${String(retryAfter)}`);
  }
  const lag = faults.statusLagMs;
  if (lag !== undefined && !(typeof lag === 'number' && lag >= 0)) {
    throw new RangeError(`faults.statusLagMs must be a number >= 0, got ${String(lag)}`);
  }
}

function checkOptions(options: FakeVellumOptions): void {
  if (options.apiKey !== undefined && (typeof options.apiKey !== 'string' || options.apiKey === '')) {
    throw new TypeError('apiKey must be a non-empty string');
  }
  const c = options.concurrency;
  if (c !== undefined && !(c === Infinity || (Number.isInteger(c) && c >= 1))) {
    throw new RangeError(`concurrency must be an integer >= 1 or Infinity, got ${String(c)}`);
  }
  const d = options.durationMs;
  if (typeof d === 'number' && !(Number.isFinite(d) && d >= 0)) {
    throw new RangeError(`durationMs must be a finite number >= 0, got ${String(d)}`);
  }
  if (typeof d === 'object' && !(d.min >= 0 && d.max >= d.min && Number.isFinite(d.max))) {
    throw new RangeError(`durationMs range must satisfy 0 <= min <= max, got ${JSON.stringify(d)}`);
  }
  if (options.rejectRate !== undefined) checkRate('rejectRate', options.rejectRate);
  if (options.seed !== undefined && !Number.isFinite(options.seed)) {
    throw new RangeError(`seed must be a finite number, got ${String(options.seed)}`);
  }
  if (options.faults !== undefined) checkFaults(options.faults);
}

function buildDeployments(list: FakeVellumOptions['deployments']): {
  byId: Map<string, StoreDeployment>;
  byName: Map<string, StoreDeployment>;
} {
  const byId = new Map<string, StoreDeployment>();
  const byName = new Map<string, StoreDeployment>();
  const entries = list ?? ['demo'];
  if (entries.length === 0) throw new RangeError('deployments must not be empty');
  for (const entry of entries) {
    const name = typeof entry === 'string' ? entry : entry.name;
    if (typeof name !== 'string' || name === '')
      throw new TypeError('a deployment name must be a non-empty string');
    const id = typeof entry === 'string' || entry.id === undefined ? fakeDeploymentId(name) : entry.id;
    if (byName.has(name)) throw new RangeError(`deployment name '${name}' is declared twice`);
    if (byId.has(id)) throw new RangeError(`deployment id '${id}' is declared twice`);
    const deployment = { id, name };
    byId.set(id, deployment);
    byName.set(name, deployment);
  }
  return { byId, byName };
}

function newStats(): FakeStats {
  return {
    requests: { submit: 0, status: 0, events: 0, other: 0 },
    responses: {},
    executionsCreated: 0,
    maxRunning: 0,
    running: 0,
    queued: 0,
    finished: 0,
    faultsInjected: { rateLimited: 0, serverErrors: 0, dropped: 0, lagged404: 0 },
    webhooks: { sent: 0, dropped: 0, duplicated: 0, failed: 0 },
  };
}

function decodeSegment(segment: string): string | undefined {
  if (segment === '' || segment.includes('/')) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function parseIntParam(raw: string | null, fallback: number): number | undefined {
  if (raw === null || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) return undefined;
  return Number(raw);
}

/**
 * Starts a fake Vellum API server (a real `node:http` server, 127.0.0.1 and a free port by default) that
 * speaks SPEC section 2: execute-workflow-async, execution status and deployment execution events, with
 * a server-side concurrency limit (FIFO queue), scripted outcomes and fault injection.
 *
 * @example
 * const fake = await startFakeVellum({ concurrency: 2, durationMs: 20 });
 * // ... point a client at fake.url with api key 'test-key' ...
 * await fake.close();
 */
export async function startFakeVellum(options: FakeVellumOptions = {}): Promise<FakeVellum> {
  checkOptions(options);
  const apiKey = options.apiKey ?? 'test-key';
  const seed = options.seed ?? 1;
  const rejectRate = options.rejectRate ?? 0;
  const responder: Responder =
    options.responder ?? ((req, random) => defaultResponder(req, random, rejectRate));
  const deployments = buildDeployments(options.deployments);
  const faults: FaultOptions = { ...DEFAULT_FAULTS, ...options.faults };
  const faultRandom = mulberry32(hashSeed(seed, 'faults'));
  const stats = newStats();
  const webhooks = options.webhook ? new WebhookSender(options.webhook, seed, stats.webhooks) : null;
  const store = new ExecutionStore({
    onFinish: webhooks === null ? undefined : (execution) => webhooks.deliver(execution),
    concurrency: options.concurrency ?? Infinity,
    durationMs: options.durationMs ?? 50,
    responder,
    seed,
    neverFinishRate: () => faults.neverFinishRate,
    stats,
  });

  let timer: NodeJS.Timeout | undefined;
  let timerAt = Infinity;
  let closed = false;

  const onTimer = (): void => {
    timer = undefined;
    timerAt = Infinity;
    store.advance(Date.now());
    arm();
  };

  /** Keeps one timer armed for the earliest finish, so finishedAt is reached in real time. */
  function arm(): void {
    if (closed) return;
    const due = store.nextDueAt();
    if (due === undefined) {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      timerAt = Infinity;
      return;
    }
    if (timer !== undefined && timerAt <= due) return;
    if (timer !== undefined) clearTimeout(timer);
    timerAt = due;
    timer = setTimeout(onTimer, Math.min(MAX_TIMER_MS, Math.max(0, due - Date.now())));
    timer.unref();
  }

  function sync(): number {
    const now = Date.now();
    store.advance(now);
    arm();
    return now;
  }

  function send(
    res: ServerResponse,
    status: number,
    payload: unknown,
    headers?: Record<string, string>,
  ): void {
    const body = JSON.stringify(payload);
    const key = String(status);
    stats.responses[key] = (stats.responses[key] ?? 0) + 1;
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      ...headers,
    });
    res.end(body);
  }

  function detail(
    res: ServerResponse,
    status: number,
    message: string,
    headers?: Record<string, string>,
  ): void {
    send(res, status, { detail: message }, headers);
  }

  function authorised(req: IncomingMessage, res: ServerResponse): boolean {
    const key = req.headers['x-api-key'];
    if (key === apiKey) return true;
    detail(
      res,
      403,
      key === undefined ? 'Authentication credentials were not provided.' : 'Invalid API key.',
    );
    return false;
  }

  /** Injects 429 or 5xx per the fault settings; true when it answered. */
  function injectFault(res: ServerResponse): boolean {
    if (faults.rateLimitRate > 0 && faultRandom() < faults.rateLimitRate) {
      stats.faultsInjected.rateLimited++;
      detail(res, 429, 'Too many requests', { 'retry-after': String(faults.retryAfterSeconds) });
      return true;
    }
    if (faults.serverErrorRate > 0 && faultRandom() < faults.serverErrorRate) {
      stats.faultsInjected.serverErrors++;
      const [status, message] = SERVER_ERRORS[Math.floor(faultRandom() * SERVER_ERRORS.length)]!;
      detail(res, status, message);
      return true;
    }
    return false;
  }

  function handleSubmit(req: IncomingMessage, res: ServerResponse, raw: string): void {
    const now = sync();
    if (!authorised(req, res) || injectFault(res)) return;
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch (error) {
      detail(res, 400, `JSON parse error - ${(error as Error).message}`);
      return;
    }
    const parsed = parseSubmitBody(body);
    if (!parsed.ok) {
      detail(res, 400, parsed.detail);
      return;
    }
    const value = parsed.value;
    const deployment =
      value.deploymentId !== null
        ? deployments.byId.get(value.deploymentId)
        : deployments.byName.get(value.deploymentName!);
    if (deployment === undefined) {
      detail(res, 404, 'Workflow deployment not found');
      return;
    }
    if (value.externalId !== null && store.byExternalId(value.externalId) !== undefined) {
      detail(res, 400, `An execution with external_id '${value.externalId}' already exists`);
      return;
    }
    let execution: FakeExecution;
    try {
      execution = store.create(
        {
          deployment,
          releaseTag: value.releaseTag,
          inputs: value.inputs,
          externalId: value.externalId,
          metadata: value.metadata,
        },
        now,
      );
    } catch (error) {
      detail(res, 500, `The fake's responder failed: ${(error as Error).message}`);
      return;
    }
    arm();
    if (faults.dropAfterAcceptRate > 0 && faultRandom() < faults.dropAfterAcceptRate) {
      stats.faultsInjected.dropped++;
      req.socket.destroy();
      return;
    }
    send(res, 200, { execution_id: execution.id });
  }

  function handleStatus(req: IncomingMessage, res: ServerResponse, id: string | undefined): void {
    const now = sync();
    if (!authorised(req, res) || injectFault(res)) return;
    const execution = id === undefined ? undefined : store.get(id);
    if (execution === undefined) {
      detail(res, 404, 'Workflow execution not found');
      return;
    }
    if (now - execution.createdAt < faults.statusLagMs) {
      stats.faultsInjected.lagged404++;
      detail(res, 404, 'Workflow execution not found');
      return;
    }
    send(res, 200, {
      execution_id: execution.id,
      status: execution.status,
      outputs: execution.status === 'FULFILLED' ? execution.outputs : {},
      error: execution.status === 'REJECTED' ? execution.error : null,
      execution_detail_url: EXECUTION_DETAIL_URL_BASE + execution.id,
    });
  }

  function handleEvents(
    req: IncomingMessage,
    res: ServerResponse,
    ref: string | undefined,
    query: string,
  ): void {
    sync();
    if (!authorised(req, res)) return;
    const deployment =
      ref === undefined ? undefined : (deployments.byId.get(ref) ?? deployments.byName.get(ref));
    if (deployment === undefined) {
      detail(res, 404, 'Workflow deployment not found');
      return;
    }
    const params = new URLSearchParams(query);
    const limit = parseIntParam(params.get('limit'), 20);
    if (limit === undefined) {
      detail(res, 400, 'limit: A valid integer is required.');
      return;
    }
    const offset = parseIntParam(params.get('offset'), 0);
    if (offset === undefined) {
      detail(res, 400, 'offset: A valid integer is required.');
      return;
    }
    const list = store.forDeployment(deployment.id);
    const results: unknown[] = [];
    const take = Math.min(limit, 100);
    for (let i = list.length - 1 - offset; i >= 0 && results.length < take; i--) {
      const e = list[i]!;
      const created = new Date(e.createdAt).toISOString();
      results.push({
        span_id: e.id,
        parent_context: { external_id: e.externalId, metadata: e.metadata, deployment_id: e.deploymentId },
        external_id: e.externalId,
        name: 'workflow.execution.initiated',
        timestamp: created,
        // The fields below make the result parse as the SDK's SlimWorkflowExecutionRead too.
        start: created,
        end: e.finishedAt === null ? null : new Date(e.finishedAt).toISOString(),
        inputs: e.inputs.map((input) => ({ id: `${e.id}/inputs/${input.name}`, ...input })),
        outputs:
          e.outputs === null
            ? []
            : Object.entries(e.outputs).map(([name, value]) => ({
                id: `${e.id}/outputs/${name}`,
                name,
                type: 'JSON',
                value,
              })),
        error: e.error,
        metric_results: [],
      });
    }
    send(res, 200, { count: list.length, results });
  }

  function route(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const method = req.method ?? 'GET';
    if (path === SUBMIT_PATH) {
      stats.requests.submit++;
      if (method !== 'POST') {
        detail(res, 405, `Method "${method}" not allowed.`, { allow: 'POST' });
        return;
      }
      readBody(req, res, (raw) => handleSubmit(req, res, raw));
      return;
    }
    if (path.startsWith(STATUS_PREFIX) && path.endsWith(STATUS_SUFFIX)) {
      stats.requests.status++;
      if (method !== 'GET') {
        detail(res, 405, `Method "${method}" not allowed.`, { allow: 'GET' });
        return;
      }
      handleStatus(req, res, decodeSegment(path.slice(STATUS_PREFIX.length, -STATUS_SUFFIX.length)));
      return;
    }
    if (path.startsWith(EVENTS_PREFIX) && path.endsWith(EVENTS_SUFFIX)) {
      stats.requests.events++;
      if (method !== 'GET') {
        detail(res, 405, `Method "${method}" not allowed.`, { allow: 'GET' });
        return;
      }
      const ref = decodeSegment(path.slice(EVENTS_PREFIX.length, -EVENTS_SUFFIX.length));
      handleEvents(req, res, ref, q === -1 ? '' : url.slice(q + 1));
      return;
    }
    if (path.startsWith(EVENTS_PREFIX) && method === 'GET') {
      // TEMPORARY deployment read (replaced by the testkit rework).
      stats.requests.other++;
      sync();
      if (!authorised(req, res)) return;
      const ref = decodeSegment(path.slice(EVENTS_PREFIX.length));
      const d = ref === undefined ? undefined : (deployments.byId.get(ref) ?? deployments.byName.get(ref));
      if (d === undefined) {
        detail(res, 404, 'Not found.');
        return;
      }
      send(res, 200, { id: d.id, name: d.name, label: d.name });
      return;
    }
    stats.requests.other++;
    detail(res, 404, 'Not found.');
  }

  function readBody(req: IncomingMessage, res: ServerResponse, done: (raw: string) => void): void {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        tooLarge = true;
        detail(res, 413, `Request body larger than ${MAX_BODY_BYTES} bytes.`, { connection: 'close' });
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!tooLarge && !closed)
        done(chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8'));
    });
  }

  const server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    try {
      route(req, res);
    } catch (error) {
      if (!res.headersSent) detail(res, 500, `The fake server failed: ${(error as Error).message}`);
    }
  });
  server.on('clientError', (_error, socket) => {
    socket.destroy();
  });

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  let closing: Promise<void> | undefined;

  return {
    url,
    port,
    get stats(): FakeStats {
      if (!closed) sync();
      return stats;
    },
    executions(): IterableIterator<FakeExecution> {
      if (!closed) sync();
      return store.values();
    },
    execution(id: string): FakeExecution | undefined {
      if (!closed) sync();
      return store.get(id);
    },
    byExternalId(externalId: string): FakeExecution | undefined {
      if (!closed) sync();
      return store.byExternalId(externalId);
    },
    setFaults(next: Partial<FaultOptions>): void {
      checkFaults(next);
      for (const [key, value] of Object.entries(next) as [keyof FaultOptions, number | undefined][]) {
        if (value !== undefined) faults[key] = value;
      }
    },
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        sync();
        closed = true;
        if (timer !== undefined) clearTimeout(timer);
        timer = undefined;
        const closedServer = new Promise<void>((done) => server.close(() => done()));
        server.closeAllConnections();
        void Promise.all([closedServer, webhooks?.close()]).then(() => resolve());
      });
      return closing;
    },
  };
}
