/** `GET {api}/v1/workflow-deployments/{id or name}`: the deployment, as `WorkflowDeploymentRead`. */
import type { Reply } from '../http.js';
import { deploymentRead } from '../wire.js';
import { authorised, type RouteContext } from './context.js';

/** Handles one deployment read for `ref` (an id or a name; `undefined`: a malformed path segment). */
export function handleDeployment(ctx: RouteContext, reply: Reply, ref: string | undefined): void {
  ctx.sync();
  if (!authorised(ctx, reply)) return;
  // The documented path parameter is "Either the Workflow Deployment's ID or its unique name".
  const deployment =
    ref === undefined ? undefined : (ctx.deployments.byId.get(ref) ?? ctx.deployments.byName.get(ref));
  if (deployment === undefined) {
    reply.detail(404, 'Not found.');
    return;
  }
  reply.json(200, deploymentRead(deployment, ctx.startedAt));
}
