/** What every route handler shares: the server's state, and the checks each one starts with. */
import type { Reply } from '../http.js';
import { SERVER_ERRORS } from '../faults.js';
import type { Random } from '../internal/random.js';
import type { FaultOptions } from '../options.js';
import type { ExecutionStore, StoreDeployment } from '../store.js';
import type { FakeStats } from '../types.js';

/** The deployments the fake knows, by id and by name. */
export interface Deployments {
  readonly byId: ReadonlyMap<string, StoreDeployment>;
  readonly byName: ReadonlyMap<string, StoreDeployment>;
}

/** The server's state as the routes see it. */
export interface RouteContext {
  readonly apiKey: string;
  readonly store: ExecutionStore;
  readonly deployments: Deployments;
  /** Current fault settings (`setFaults` changes them in place). */
  readonly faults: FaultOptions;
  readonly faultRandom: Random;
  readonly stats: FakeStats;
  readonly maxPageSize: number;
  readonly listQueued: boolean;
  readonly ignoreFilters: boolean;
  /** When the fake started (ms since the epoch): the deployments' `created`. */
  readonly startedAt: number;
  /** Brings the store up to now and re-arms the finish timer; returns now. */
  sync(): number;
  /** Re-arms the finish timer after executions were created. */
  arm(): void;
  isClosed(): boolean;
}

/** `true` with probability `rate`; draws nothing when `rate` is 0, so unused faults never shift the others. */
export function chance(ctx: RouteContext, rate: number): boolean {
  return rate > 0 && ctx.faultRandom() < rate;
}

/** Answers 403 unless `X-API-KEY` is the server's key; `true` when the request may go on. */
export function authorised(ctx: RouteContext, reply: Reply): boolean {
  const key = reply.req.headers['x-api-key'];
  if (key === ctx.apiKey) return true;
  reply.detail(403, key === undefined ? 'Authentication credentials were not provided.' : 'Invalid API key.');
  return false;
}

/** Injects 429 or 5xx per the fault settings; `true` when it answered. */
export function injectFault(ctx: RouteContext, reply: Reply): boolean {
  const { faults, stats } = ctx;
  if (chance(ctx, faults.rateLimitRate)) {
    stats.faultsInjected.rateLimited++;
    reply.detail(429, 'Too many requests', { 'retry-after': String(faults.retryAfterSeconds) });
    return true;
  }
  if (chance(ctx, faults.serverErrorRate)) {
    stats.faultsInjected.serverErrors++;
    const [status, message] = SERVER_ERRORS[Math.floor(ctx.faultRandom() * SERVER_ERRORS.length)]!;
    reply.detail(status, message);
    return true;
  }
  return false;
}
