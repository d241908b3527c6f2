/**
 * Answers in Vellum's real wire shapes, written from the OpenAPI spec, each checked with the official SDK's own
 * serialization schema in strict mode (`unrecognizedObjectKeys: 'fail'`) when it is built, so a fixture that drifts
 * from Vellum's contract fails the test that uses it.
 */
import { serialization } from 'vellum-ai';

type Schema = {
  parse: (raw: unknown, opts: { unrecognizedObjectKeys: 'fail' }) => { ok: boolean; errors?: unknown };
};

/** Throws when `raw` is not what the SDK schema accepts, strictly. Returns `raw`. */
export function strict<T>(schema: Schema, raw: T): T {
  const result = schema.parse(raw, { unrecognizedObjectKeys: 'fail' });
  if (!result.ok) throw new Error(`fixture is not Vellum's shape: ${JSON.stringify(result.errors)}`);
  return raw;
}

export const DEPLOYMENT_ID = '3f6a2c1e-8b7d-4e2a-9c1f-5d4b3a2e1f00';

let counter = 0;
const uuid = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

/** One `SlimWorkflowExecutionRead`, listed under a workflow deployment (`parent_context.type: WORKFLOW_RELEASE_TAG`). */
export function slimExecution(options: {
  readonly spanId: string;
  readonly externalId?: string | null;
  readonly metadata?: Record<string, unknown> | null;
  readonly releaseTag?: string;
  /** A result without a deployment parent context. */
  readonly noParent?: boolean;
}) {
  counter++;
  return strict(serialization.SlimWorkflowExecutionRead, {
    span_id: options.spanId,
    start: '2026-11-28T10:00:00.000000Z',
    end: '2026-11-28T10:00:02.500000Z',
    inputs: [{ id: uuid(counter), name: 'question', type: 'STRING', value: 'Where is my order?' }],
    outputs: [{ id: uuid(counter + 1_000_000), name: 'answer', type: 'STRING', value: 'On its way.' }],
    error: null,
    usage_results: null,
    parent_context: options.noParent
      ? null
      : {
          parent: null,
          links: null,
          type: 'WORKFLOW_RELEASE_TAG',
          span_id: uuid(counter + 2_000_000),
          deployment_id: DEPLOYMENT_ID,
          deployment_name: 'support-bot',
          deployment_history_item_id: uuid(counter + 3_000_000),
          release_tag_id: uuid(counter + 4_000_000),
          release_tag_name: options.releaseTag ?? 'LATEST',
          external_id: options.externalId ?? null,
          metadata: options.metadata ?? null,
          workflow_version_id: uuid(counter + 5_000_000),
        },
    latest_actual: null,
    metric_results: [],
  });
}

/** A `WorkflowDeploymentEventExecutionsResponse`. */
export function executionsPage(count: number, results: readonly ReturnType<typeof slimExecution>[]) {
  return strict(serialization.WorkflowDeploymentEventExecutionsResponse, { count, results: [...results] });
}

/** A `WorkflowDeploymentRead`. */
export function deploymentRead(name = 'support-bot') {
  return strict(serialization.WorkflowDeploymentRead, {
    id: DEPLOYMENT_ID,
    name,
    label: 'Support Bot',
    status: 'ACTIVE',
    environment: 'PRODUCTION',
    created: '2026-01-05T09:00:00Z',
    last_deployed_on: '2026-11-20T12:00:00Z',
    last_deployed_history_item_id: uuid(9),
    input_variables: [{ id: uuid(10), key: 'question', type: 'STRING', required: true }],
    output_variables: [{ id: uuid(11), key: 'answer', type: 'STRING' }],
    description: null,
  });
}

/** An `ExecuteWorkflowAsyncResponse`. */
export function submitAnswer(executionId: string) {
  return strict(serialization.ExecuteWorkflowAsyncResponse, { execution_id: executionId });
}

/** A `CheckWorkflowExecutionStatusResponse`. */
export function statusAnswer(
  executionId: string,
  status: 'INITIATED' | 'FULFILLED' | 'REJECTED' = 'FULFILLED',
) {
  return strict(serialization.CheckWorkflowExecutionStatusResponse, {
    execution_id: executionId,
    status,
    outputs: status === 'FULFILLED' ? { answer: 'On its way.' } : null,
    error: status === 'REJECTED' ? { message: 'Node failed', code: 'NODE_EXECUTION' } : null,
    execution_detail_url: `https://app.vellum.ai/executions/${executionId}`,
  });
}
