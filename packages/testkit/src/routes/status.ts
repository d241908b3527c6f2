/** `GET {predict}/v1/workflows/executions/{id}/status`: the execution's state, or a hostile answer. */
import { garbledStatusBody, REDIRECT_NOWHERE } from '../faults.js';
import type { Reply } from '../http.js';
import { statusBody } from '../wire.js';
import { authorised, chance, injectFault, type RouteContext } from './context.js';

const PAD_MARK = '\u0000fake-padding\u0000';

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
    const outputs = { ...(body['outputs'] as Record<string, unknown>), fake_padding: PAD_MARK };
    const text = JSON.stringify({ ...body, outputs });
    const mark = JSON.stringify(PAD_MARK);
    const at = text.indexOf(mark);
    const prefix = `${text.slice(0, at)}"`;
    const suffix = `"${text.slice(at + mark.length)}`;
    const pad = Math.max(0, Math.ceil(faults.oversizeStatusBytes) - Buffer.byteLength(prefix + suffix));
    stats.faultsInjected.oversizedStatuses++;
    const recorded = { ...body, outputs: { ...outputs, fake_padding: `<${pad} bytes of x>` } };
    reply.padded(prefix, pad, suffix, recorded, 'oversizeStatus');
    return;
  }
  reply.json(200, body);
}
