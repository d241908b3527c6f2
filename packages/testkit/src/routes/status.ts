/** `GET {predict}/v1/workflows/executions/{id}/status`: the execution's state, or a hostile answer. */
import { garbledStatusBody, paddedBody, REDIRECT_NOWHERE } from '../faults.js';
import type { Reply } from '../http.js';
import { statusBody } from '../wire.js';
import { authorised, chance, injectFault, type RouteContext } from './context.js';

/** Handles one status request for execution `id` (`undefined`: a malformed path segment). */
export function handleStatus(ctx: RouteContext, reply: Reply, id: string | undefined): void {
  const now = ctx.sync();
  if (!authorised(ctx, reply) || injectFault(ctx, reply)) return;
  const execution = id === undefined ? undefined : ctx.store.get(id);
  const { faults, stats } = ctx;
  if (execution === undefined) {
    reply.detail(404, 'Workflow execution not found');
    return;
  }
  if (now - execution.createdAt < faults.statusLagMs) {
    stats.faultsInjected.lagged404++;
    reply.detail(404, 'Workflow execution not found');
    return;
  }
  if (chance(ctx, faults.redirectStatusRate)) {
    stats.faultsInjected.redirectedStatuses++;
    reply.redirect(302, REDIRECT_NOWHERE, 'redirectStatus');
    return;
  }
  const body = statusBody(execution);
  if (chance(ctx, faults.garbleStatusRate)) {
    const text = garbledStatusBody(JSON.stringify(body), stats.faultsInjected.garbledStatuses++);
    reply.text(200, text, 'application/json', undefined, 'garbleStatus');
    return;
  }
  if (faults.oversizeStatusBytes > 0) {
    const n = stats.faultsInjected.oversizedStatuses++;
    reply.padded(paddedBody(body, faults.oversizeStatusBytes, true), n % 2 === 0, 'oversizeStatus');
    return;
  }
  reply.json(200, body);
}
