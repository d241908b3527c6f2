/**
 * Webhook envelopes written from Vellum's docs (docs.vellum.ai/product/monitoring/webhooks) and the official SDK's
 * types (`WorkflowExecutionFulfilledEvent`, `WorkflowExecutionRejectedEvent`, `WorkflowDeploymentParentContext`):
 * `outputs` only when fulfilled, `error` only when rejected. Tests check each with the SDK's strict schemas.
 */
import { randomUUID } from 'node:crypto';

/** A `WorkflowDeploymentParentContext` (`type: "WORKFLOW_RELEASE_TAG"`) on the wire. */
export function deploymentContext(
  overrides: {
    spanId?: string;
    deploymentId?: string;
    externalId?: string | null;
    metadata?: Record<string, unknown> | null;
    parent?: unknown;
  } = {},
): Record<string, unknown> {
  return {
    type: 'WORKFLOW_RELEASE_TAG',
    span_id: overrides.spanId ?? randomUUID(),
    deployment_id: overrides.deploymentId ?? 'd6a4c1f0-0000-4000-8000-00000000000d',
    deployment_name: 'wf',
    deployment_history_item_id: 'a0c7f3b2-0000-4000-8000-0000000000a1',
    release_tag_id: 'b1d8e4c3-0000-4000-8000-0000000000b2',
    release_tag_name: 'LATEST',
    external_id: overrides.externalId === undefined ? 'vb-run1-case-1' : overrides.externalId,
    metadata: overrides.metadata === undefined ? { vellum_batch_run_id: 'run1' } : overrides.metadata,
    workflow_version_id: 'c2e9f5d4-0000-4000-8000-0000000000c3',
    parent: overrides.parent ?? null,
    links: null,
  };
}

const WORKFLOW_DEFINITION = {
  id: 'e3fa06e5-0000-4000-8000-0000000000e4',
  name: 'Workflow',
  module: ['workflow'],
};

/** A `workflow.execution.fulfilled` event. */
export function fulfilledEvent(
  overrides: { id?: string; spanId?: string; parent?: unknown; outputs?: Record<string, unknown> } = {},
): Record<string, unknown> {
  return {
    id: overrides.id ?? randomUUID(),
    timestamp: '2026-12-01T10:00:00.000Z',
    api_version: '2024-10-25',
    trace_id: randomUUID(),
    span_id: overrides.spanId ?? 'exec-1',
    name: 'workflow.execution.fulfilled',
    parent: overrides.parent === undefined ? deploymentContext() : overrides.parent,
    links: null,
    body: { workflow_definition: WORKFLOW_DEFINITION, outputs: overrides.outputs ?? { answer: 'hi' } },
  };
}

/** A `workflow.execution.rejected` event. */
export function rejectedEvent(
  overrides: {
    id?: string;
    spanId?: string;
    parent?: unknown;
    error?: { message: string; code: string };
  } = {},
): Record<string, unknown> {
  return {
    id: overrides.id ?? randomUUID(),
    timestamp: '2026-12-01T10:00:00.000Z',
    api_version: '2024-10-25',
    trace_id: randomUUID(),
    span_id: overrides.spanId ?? 'exec-2',
    name: 'workflow.execution.rejected',
    parent: overrides.parent === undefined ? deploymentContext() : overrides.parent,
    links: null,
    body: {
      workflow_definition: WORKFLOW_DEFINITION,
      error: overrides.error ?? { message: 'quota', code: 'PROVIDER_QUOTA_EXCEEDED' },
    },
  };
}

/** A `parent` chain `levels` deep, the deployment context at the top (the deepest level). */
export function deepChain(levels: number, top: Record<string, unknown> = deploymentContext()): unknown {
  let chain: unknown = top;
  for (let i = 1; i < levels; i++) chain = { type: 'EXTERNAL', span_id: `s${i}`, parent: chain };
  return chain;
}
