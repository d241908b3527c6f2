import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildDeployments, checkOptions } from './configure.js';
import { checkFaults, DEFAULT_FAULTS } from './faults.js';
import { decodeSegment, readBody, Reply, type ReplyHooks } from './http.js';
import { hashSeed, mulberry32 } from './internal/random.js';
import type { FakeVellum, FakeVellumOptions, FaultOptions } from './options.js';
import { defaultResponder } from './responder.js';
import type { RouteContext } from './routes/context.js';
import { handleDeployment } from './routes/deployments.js';
import { handleExecutions } from './routes/executions.js';
import { handleStatus } from './routes/status.js';
import { handleSubmit } from './routes/submit.js';
import { newStats } from './stats.js';
import { ExecutionStore } from './store.js';
import type { FakeExecution, FakeHost, FakeRequestCounts, FakeStats, Responder } from './types.js';
import { WebhookSender } from './webhooks.js';

const SUBMIT_PATH = '/v1/execute-workflow-async';
const STATUS_PREFIX = '/v1/workflows/executions/';
const STATUS_SUFFIX = '/status';
const DEPLOYMENTS_PREFIX = '/v1/workflow-deployments/';
const EVENTS_SUFFIX = '/execution-events';
const MAX_TIMER_MS = 2 ** 31 - 1;

type Endpoint = keyof FakeRequestCounts;

/** Which endpoint a path names, the host it lives on at Vellum, and the method it takes. */
function classify(path: string): { endpoint: Endpoint; home: FakeHost; method: string; ref?: string } {
  if (path === SUBMIT_PATH) return { endpoint: 'submit', home: 'predict', method: 'POST' };
  if (path.startsWith(STATUS_PREFIX) && path.endsWith(STATUS_SUFFIX)) {
    const ref = path.slice(STATUS_PREFIX.length, -STATUS_SUFFIX.length);
    return { endpoint: 'status', home: 'predict', method: 'GET', ref };
  }
  if (path.startsWith(DEPLOYMENTS_PREFIX)) {
    const rest = path.slice(DEPLOYMENTS_PREFIX.length);
    if (rest.endsWith(EVENTS_SUFFIX)) {
      const ref = rest.slice(0, -EVENTS_SUFFIX.length);
      if (!ref.includes('/')) return { endpoint: 'events', home: 'api', method: 'GET', ref };
    } else if (rest !== '' && !rest.includes('/')) {
      return { endpoint: 'deployments', home: 'api', method: 'GET', ref: rest };
    }
  }
  return { endpoint: 'other', home: 'predict', method: '' };
}

async function listen(server: Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/**
 * Starts a fake Vellum API server (real `node:http` listeners, 127.0.0.1 and free ports by default) that answers in
 * Vellum's published shapes (SPEC section 2): execute-workflow-async and status on the predict host, deployment
 * reads and execution lists on the api host (one listener for both unless `splitHosts`), with a server-side
 * concurrency limit (FIFO queue), scripted outcomes, fault injection and signed webhooks.
 *
 * @example
 * const fake = await startFakeVellum({ concurrency: 2, durationMs: 20, splitHosts: true });
 * // ... point a client at fake.predictUrl and fake.apiUrl with api key 'test-key' ...
 * await fake.close();
 */
export async function startFakeVellum(options: FakeVellumOptions = {}): Promise<FakeVellum> {
  checkOptions(options);
  const seed = options.seed ?? 1;
  const rejectRate = options.rejectRate ?? 0;
  const responder: Responder =
    options.responder ?? ((req, random) => defaultResponder(req, random, rejectRate));
  const faults: FaultOptions = { ...DEFAULT_FAULTS, ...options.faults };
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

  const ctx: RouteContext = {
    apiKey: options.apiKey ?? 'test-key',
    store,
    deployments: buildDeployments(options.deployments),
    faults,
    faultRandom: mulberry32(hashSeed(seed, 'faults')),
    stats,
    maxPageSize: options.maxPageSize ?? 100,
    listQueued: options.listQueued ?? true,
    ignoreFilters: options.ignoreFilters ?? false,
    startedAt: Date.now(),
    sync,
    arm,
    isClosed: () => closed,
  };
  const hooks: ReplyHooks = { stats, onExchange: options.onExchange };
  const split = options.splitHosts ?? false;

  /** Routes one request that reached `listener` (`undefined`: the single listener serving both hosts). */
  function route(listener: FakeHost | undefined, req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const query = q === -1 ? '' : url.slice(q + 1);
    const method = req.method ?? 'GET';
    const target = classify(path);
    const host = listener ?? target.home;
    const endpoint = target.endpoint;
    stats.requests[endpoint]++;
    stats.requestsByHost[host][endpoint]++;
    const reply = new Reply(req, res, host, path, query, hooks);
    if (endpoint === 'other' || (listener !== undefined && target.home !== listener)) {
      req.resume();
      reply.detail(404, 'Not found.');
      return;
    }
    if (method !== target.method) {
      req.resume();
      reply.detail(405, `Method "${method}" not allowed.`, { allow: target.method });
      return;
    }
    const ref = target.ref === undefined ? undefined : decodeSegment(target.ref);
    if (endpoint === 'submit')
      readBody(
        reply,
        () => closed,
        (raw) => handleSubmit(ctx, reply, raw),
      );
    else if (endpoint === 'status') handleStatus(ctx, reply, ref);
    else if (endpoint === 'events') handleExecutions(ctx, reply, ref, query);
    else handleDeployment(ctx, reply, ref);
  }

  function newServer(listener: FakeHost | undefined): Server {
    const server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
      try {
        route(listener, req, res);
      } catch (error) {
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ detail: `The fake server failed: ${(error as Error).message}` }));
        }
      }
    });
    server.on('clientError', (_error, socket) => {
      socket.destroy();
    });
    return server;
  }

  const host = options.host ?? '127.0.0.1';
  const urlOf = (port: number): string => `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const servers = split ? [newServer('predict'), newServer('api')] : [newServer(undefined)];
  const port = await listen(servers[0]!, options.port ?? 0, host);
  const predictUrl = urlOf(port);
  const apiUrl = split ? urlOf(await listen(servers[1]!, 0, host)) : predictUrl;

  let closing: Promise<void> | undefined;

  return {
    url: predictUrl,
    predictUrl,
    apiUrl,
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
        const closedServers = servers.map(
          (server) => new Promise<void>((done) => server.close(() => done())),
        );
        for (const server of servers) server.closeAllConnections();
        void Promise.all([...closedServers, webhooks?.close()]).then(() => resolve());
      });
      return closing;
    },
  };
}
