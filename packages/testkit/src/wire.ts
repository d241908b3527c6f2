/**
 * The fake's answers in Vellum's published shapes (OpenAPI spec and the official SDK `vellum-ai` 1.14.7, whose
 * `serialization` schemas parse every one of them in strict mode: see `test/contract.test.ts`). One function per
 * shape; nothing here does I/O.
 */
import { sdkErrorCode } from './codes.js';
import { stableUuid } from './ids.js';
import type { StoreDeployment } from './store.js';
import type { FakeExecution, FakeInput } from './types.js';

/** Where the fake's execution links point (a realistic, not a working, URL). */
export const EXECUTION_DETAIL_URL_BASE = 'https://app.vellum.ai/workflows/executions/';

/** The `api_version` of the fake's webhook envelopes (the one Vellum's webhook documentation shows). */
export const WEBHOOK_API_VERSION = '2024-10-25';

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The ids Vellum keeps per deployment and release tag, stable for a (deployment, tag) pair. */
export function releaseIds(
  deploymentId: string,
  releaseTag: string,
): { historyItemId: string; releaseTagId: string; workflowVersionId: string } {
  return {
    historyItemId: stableUuid('history-item', deploymentId, releaseTag),
    releaseTagId: stableUuid('release-tag', deploymentId, releaseTag),
    workflowVersionId: stableUuid('workflow-version', deploymentId, releaseTag),
  };
}

/**
 * `WorkflowDeploymentParentContext`: what started the execution, with every documented field. `span_id` is the
 * execution id here as at the top level: Vellum does not say whether the release tag's span is the execution's
 * own, and a client that looks at either (SPEC section 2) finds the execution id under both readings.
 */
export function parentContext(e: FakeExecution): Record<string, unknown> {
  const ids = releaseIds(e.deploymentId, e.releaseTag);
  return {
    type: 'WORKFLOW_RELEASE_TAG',
    span_id: e.id,
    parent: null,
    links: null,
    deployment_id: e.deploymentId,
    deployment_name: e.deploymentName,
    deployment_history_item_id: ids.historyItemId,
    release_tag_id: ids.releaseTagId,
    release_tag_name: e.releaseTag,
    external_id: e.externalId,
    metadata: isObject(e.metadata) ? e.metadata : null,
    workflow_version_id: ids.workflowVersionId,
  };
}

const CHAT_KEYS = ['text', 'role', 'content', 'source', 'metadata'] as const;
const FILE_KEYS = ['src', 'metadata'] as const;

function pick(value: unknown, keys: readonly string[]): unknown {
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const key of keys) if (value[key] !== undefined) out[key] = value[key];
  return out;
}

/** An `ExecutionVellumValue` of an input as received (its keys trimmed to the ones the SDK's value types know). */
function inputValue(e: FakeExecution, input: FakeInput): Record<string, unknown> {
  let value = input.value;
  if (input.type === 'CHAT_HISTORY' && Array.isArray(value)) value = value.map((m) => pick(m, CHAT_KEYS));
  else if (['IMAGE', 'AUDIO', 'VIDEO', 'DOCUMENT'].includes(input.type)) value = pick(value, FILE_KEYS);
  return { id: stableUuid('input', e.id, input.name), name: input.name, type: input.type, value };
}

/** An `ExecutionVellumValue` of an output: `STRING` for a string, `NUMBER` for a finite number, else `JSON`. */
function outputValue(e: FakeExecution, name: string, value: unknown): Record<string, unknown> {
  const type =
    typeof value === 'string'
      ? 'STRING'
      : typeof value === 'number' && Number.isFinite(value)
        ? 'NUMBER'
        : 'JSON';
  return { id: stableUuid('output', e.id, name), name, type, value };
}

/** `SlimWorkflowExecutionRead`: one item of the execution list. There is no top-level `external_id`. */
export function slimExecution(e: FakeExecution): Record<string, unknown> {
  return {
    span_id: e.id,
    start: iso(e.createdAt),
    end: e.finishedAt === null ? null : iso(e.finishedAt),
    inputs: e.inputs.map((input) => inputValue(e, input)),
    outputs:
      e.status === 'FULFILLED' && e.outputs !== null
        ? Object.entries(e.outputs).map(([name, value]) => outputValue(e, name, value))
        : [],
    // WorkflowError (its WorkflowEventError member): message and a WorkflowExecutionEventErrorCode.
    error:
      e.status === 'REJECTED' && e.error !== null ? { message: e.error.message, code: e.error.code } : null,
    parent_context: parentContext(e),
    metric_results: [],
  };
}

/** `CheckWorkflowExecutionStatusResponse`: `outputs` is `{}` until fulfilled, `error` `null` unless rejected. */
export function statusBody(e: FakeExecution): Record<string, unknown> {
  return {
    execution_id: e.id,
    status: e.status,
    outputs: e.status === 'FULFILLED' ? e.outputs : {},
    error: e.status === 'REJECTED' ? e.error : null,
    execution_detail_url: EXECUTION_DETAIL_URL_BASE + e.id,
  };
}

/** `WorkflowDeploymentRead` of a deployment the fake knows; `created` is when the fake started. */
export function deploymentRead(d: StoreDeployment, createdMs: number): Record<string, unknown> {
  return {
    id: d.id,
    name: d.name,
    label: d.name,
    status: 'ACTIVE',
    environment: 'PRODUCTION',
    created: iso(createdMs),
    last_deployed_on: iso(createdMs),
    last_deployed_history_item_id: releaseIds(d.id, 'LATEST').historyItemId,
    input_variables: [],
    output_variables: [],
    description: null,
  };
}

/**
 * The webhook envelope of a finished execution: `{id, timestamp, api_version, name, trace_id, span_id, parent,
 * body}` as documented, parsing strictly as the SDK's `WorkflowExecutionFulfilledEvent` /
 * `WorkflowExecutionRejectedEvent` (members of `WorkflowEvent`). A fulfilled body has `outputs` and no `error`, a
 * rejected one `error` (code from `VellumSdkErrorCodeEnum`) and no `outputs`; both carry `workflow_definition`,
 * which the SDK's body schemas require.
 */
export function webhookEvent(e: FakeExecution, eventId: string): Record<string, unknown> {
  const fulfilled = e.status === 'FULFILLED';
  const workflowDefinition = {
    id: releaseIds(e.deploymentId, e.releaseTag).workflowVersionId,
    name: e.deploymentName,
    module: ['workflow', e.deploymentName],
  };
  const error = e.error ?? { message: 'rejected', code: 'NODE_EXECUTION' };
  return {
    id: eventId,
    timestamp: iso(e.finishedAt ?? Date.now()),
    api_version: WEBHOOK_API_VERSION,
    name: fulfilled ? 'workflow.execution.fulfilled' : 'workflow.execution.rejected',
    trace_id: stableUuid('trace', e.id),
    span_id: e.id,
    parent: parentContext(e),
    body: fulfilled
      ? { workflow_definition: workflowDefinition, outputs: e.outputs ?? {} }
      : {
          workflow_definition: workflowDefinition,
          error: { message: error.message, code: sdkErrorCode(error.code) },
        },
  };
}
