/**
 * `GET {api}/v1/workflow-deployments/{id}/execution-events`: the deployment's executions as
 * `WorkflowDeploymentEventExecutionsResponse` (`{count, results}`, each a `SlimWorkflowExecutionRead`), with
 * `limit`, `offset`, `ordering` and `filters`.
 */
import { parseFilters, type ExecutionFilter } from '../filters.js';
import type { Reply } from '../http.js';
import type { FakeExecution } from '../types.js';
import { slimExecution } from '../wire.js';
import { authorised, type RouteContext } from './context.js';

/** `limit` when the request has none (Vellum's documented page default is not stated; DRF's usual one). */
export const DEFAULT_LIMIT = 20;

function parseIntParam(raw: string | null, fallback: number): number | undefined {
  if (raw === null || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) return undefined;
  return Number(raw);
}

/**
 * The executions the list shows, oldest first: every one of the deployment, less the queued ones when the server
 * does not list them, less those the filter excludes.
 */
function listed(
  ctx: RouteContext,
  deploymentId: string,
  filter: ExecutionFilter | undefined,
): readonly FakeExecution[] {
  let candidates = ctx.store.forDeployment(deploymentId);
  if (filter?.externalId !== undefined) {
    const hit = ctx.store.byExternalId(filter.externalId);
    candidates = hit !== undefined && hit.deploymentId === deploymentId ? [hit] : [];
  }
  if (filter === undefined && ctx.listQueued) return candidates;
  return candidates.filter(
    (e) => (ctx.listQueued || e.status !== 'PENDING') && (filter === undefined || filter.matches(e)),
  );
}

/** Handles one list request for deployment `ref` with the raw query string `query`. */
export function handleExecutions(
  ctx: RouteContext,
  reply: Reply,
  ref: string | undefined,
  query: string,
): void {
  ctx.sync();
  if (!authorised(ctx, reply)) return;
  // Keyed by the deployment's id only: the spec documents no name here, so the fake takes the stricter reading
  // and a client that sends a name is caught.
  const deployment = ref === undefined ? undefined : ctx.deployments.byId.get(ref);
  if (deployment === undefined) {
    reply.detail(404, 'Not found.');
    return;
  }
  const params = new URLSearchParams(query);
  const limit = parseIntParam(params.get('limit'), DEFAULT_LIMIT);
  if (limit === undefined) {
    reply.detail(400, 'limit: A valid integer is required.');
    return;
  }
  const offset = parseIntParam(params.get('offset'), 0);
  if (offset === undefined) {
    reply.detail(400, 'offset: A valid integer is required.');
    return;
  }
  let filter: ExecutionFilter | undefined;
  const rawFilters = params.get('filters');
  if (rawFilters !== null && rawFilters !== '' && !ctx.ignoreFilters) {
    const parsed = parseFilters(rawFilters);
    if (!parsed.ok) {
      reply.detail(400, parsed.detail);
      return;
    }
    filter = parsed.filter;
  }
  const list = listed(ctx, deployment.id, filter);
  // `-timestamp`: newest first. `timestamp`, absent or anything else: oldest first, so a client that forgets
  // `ordering` (no default order is documented) reads the wrong end of the list and is caught.
  const newestFirst = params.get('ordering') === '-timestamp';
  const take = Math.min(limit === 0 ? DEFAULT_LIMIT : limit, ctx.maxPageSize);
  const results: unknown[] = [];
  for (let k = offset; k < list.length && results.length < take; k++) {
    results.push(slimExecution(list[newestFirst ? list.length - 1 - k : k]!));
  }
  reply.json(200, { count: list.length, results });
}
