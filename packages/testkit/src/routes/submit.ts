/** `POST {predict}/v1/execute-workflow-async`: validate, refuse a reused external id, create, answer (or not). */
import { garbledSubmitBody, paddedBody } from '../faults.js';
import type { Reply } from '../http.js';
import type { FakeExecution } from '../types.js';
import { parseSubmitBody } from '../validate.js';
import { authorised, chance, injectFault, type RouteContext } from './context.js';

/** Handles one submit whose body was read as `raw`. */
export function handleSubmit(ctx: RouteContext, reply: Reply, raw: string): void {
  const now = ctx.sync();
  if (!authorised(ctx, reply) || injectFault(ctx, reply)) return;
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch (error) {
    reply.detail(400, `JSON parse error - ${(error as Error).message}`);
    return;
  }
  const parsed = parseSubmitBody(body);
  if (!parsed.ok) {
    reply.detail(400, parsed.detail);
    return;
  }
  const value = parsed.value;
  const deployment =
    value.deploymentId !== null
      ? ctx.deployments.byId.get(value.deploymentId)
      : ctx.deployments.byName.get(value.deploymentName!);
  if (deployment === undefined) {
    reply.detail(404, 'Workflow deployment not found');
    return;
  }
  // Vellum documents that external_id "must be unique within a given Workspace" but not the answer to a reused
  // one; this is the answer observed (a 400 naming it).
  if (value.externalId !== null && ctx.store.byExternalId(value.externalId) !== undefined) {
    reply.detail(400, `An execution with external_id '${value.externalId}' already exists`);
    return;
  }
  const { faults, stats, store } = ctx;
  if (store.size > 0 && chance(ctx, faults.duplicateExecutionIdRate)) {
    stats.faultsInjected.duplicateIds++;
    const earlier = store.at(Math.floor(ctx.faultRandom() * store.size))!;
    reply.json(200, { execution_id: earlier.id }, undefined, 'duplicateExecutionId');
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
    reply.detail(500, `The fake's responder failed: ${(error as Error).message}`);
    return;
  }
  ctx.arm();
  if (chance(ctx, faults.dropAfterAcceptRate)) {
    stats.faultsInjected.dropped++;
    reply.drop();
    return;
  }
  if (chance(ctx, faults.garbleSubmitAfterAcceptRate)) {
    const garbled = garbledSubmitBody(execution.id, stats.faultsInjected.garbledSubmits++);
    reply.text(200, garbled.text, garbled.contentType, undefined, 'garbleSubmitAfterAccept');
    return;
  }
  if (chance(ctx, faults.submitTimeoutAfterAcceptRate)) {
    // Held open: nothing is written; close() destroys the socket.
    stats.faultsInjected.heldSubmits++;
    return;
  }
  if (faults.oversizeSubmitBytes > 0) {
    const n = stats.faultsInjected.oversizedSubmits++;
    const padded = paddedBody({ execution_id: execution.id }, faults.oversizeSubmitBytes, false);
    reply.padded(padded, n % 2 === 0, 'oversizeSubmit');
    return;
  }
  reply.json(200, { execution_id: execution.id });
}
