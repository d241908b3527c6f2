/**
 * The answers the client reads, checked at the edge. The three hot answers (submit, status, a page of the execution
 * list) are checked by hand: building zod results for them cost about 5% of the client's CPU (issue 17). The
 * deployment read, asked once per run, keeps zod. Every check names the first problem as `path: what is wrong`.
 */
import { z } from 'zod';
import type {
  ExecutionEvent,
  ExecutionEventsPage,
  ExecutionStatusResponse,
  WorkflowDeployment,
} from './types.js';

/** A checked answer, or the first problem found in it. */
export type Checked<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const kind = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
const bad = (path: string, expected: string, got: unknown): Checked<never> => ({
  ok: false,
  problem: `${path}: expected ${expected}, got ${kind(got)}`,
});

/** `POST /v1/execute-workflow-async` -> `ExecuteWorkflowAsyncResponse` `{execution_id}`. */
export function checkSubmit(json: unknown): Checked<{ execution_id: string }> {
  if (!isObject(json)) return bad('(root)', 'an object', json);
  const id = json['execution_id'];
  if (typeof id !== 'string' || id === '') return bad('execution_id', 'a non-empty string', id);
  return { ok: true, value: { execution_id: id } };
}

/**
 * `GET /v1/workflows/executions/{id}/status` -> `CheckWorkflowExecutionStatusResponse`. Unknown `status` values and
 * unknown keys are tolerated; absent `outputs`, `error` and `execution_detail_url` are filled in.
 */
export function checkStatus(json: unknown): Checked<ExecutionStatusResponse> {
  if (!isObject(json)) return bad('(root)', 'an object', json);
  const id = json['execution_id'];
  if (typeof id !== 'string' || id === '') return bad('execution_id', 'a non-empty string', id);
  const status = json['status'];
  if (typeof status !== 'string') return bad('status', 'a string', status);
  const outputs = json['outputs'] ?? {};
  if (!isObject(outputs)) return bad('outputs', 'an object or null', outputs);
  const rawError = json['error'] ?? null;
  let error: ExecutionStatusResponse['error'] = null;
  if (rawError !== null) {
    if (!isObject(rawError)) return bad('error', 'an object or null', rawError);
    const message = rawError['message'] ?? '';
    if (typeof message !== 'string') return bad('error.message', 'a string or null', message);
    const code = rawError['code'] ?? 'UNKNOWN';
    if (typeof code !== 'string') return bad('error.code', 'a string or null', code);
    error = { message, code };
  }
  const url = json['execution_detail_url'] ?? null;
  if (url !== null && typeof url !== 'string') return bad('execution_detail_url', 'a string or null', url);
  return { ok: true, value: { execution_id: id, status, outputs, error, execution_detail_url: url } };
}

/**
 * `GET /v1/workflow-deployments/{id}/execution-events` -> `WorkflowDeploymentEventExecutionsResponse`, each result a
 * `SlimWorkflowExecutionRead`. Only what reconciliation reads is checked: `span_id`, and in a `parent_context` of a
 * workflow deployment (`type: WORKFLOW_RELEASE_TAG`) its `external_id`, `metadata`, `deployment_id` and
 * `release_tag_name`. A result whose `parent_context` is null, absent or of another type (the SDK types it as the
 * deployment's only, the OpenAPI spec's `ParentContext` has eight kinds) carries no external id: all four are null.
 */
export function checkEventsPage(json: unknown): Checked<ExecutionEventsPage> {
  if (!isObject(json)) return bad('(root)', 'an object', json);
  const count = json['count'];
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
    return bad('count', 'a whole number >= 0', count);
  }
  const rawResults = json['results'];
  if (!Array.isArray(rawResults)) return bad('results', 'an array', rawResults);
  const results: ExecutionEvent[] = [];
  for (let i = 0; i < rawResults.length; i++) {
    const item: unknown = rawResults[i];
    const at = `results[${i}]`;
    if (!isObject(item)) return bad(at, 'an object', item);
    const spanId = item['span_id'];
    if (typeof spanId !== 'string' || spanId === '')
      return bad(`${at}.span_id`, 'a non-empty string', spanId);
    const context = item['parent_context'];
    if (!isObject(context) || context['type'] !== 'WORKFLOW_RELEASE_TAG') {
      results.push({
        span_id: spanId,
        external_id: null,
        metadata: null,
        deployment_id: null,
        release_tag: null,
      });
      continue;
    }
    const externalId = context['external_id'] ?? null;
    if (externalId !== null && typeof externalId !== 'string') {
      return bad(`${at}.parent_context.external_id`, 'a string or null', externalId);
    }
    const metadata = context['metadata'] ?? null;
    if (metadata !== null && !isObject(metadata)) {
      return bad(`${at}.parent_context.metadata`, 'an object or null', metadata);
    }
    const deploymentId = context['deployment_id'] ?? null;
    if (deploymentId !== null && typeof deploymentId !== 'string') {
      return bad(`${at}.parent_context.deployment_id`, 'a string', deploymentId);
    }
    const releaseTag = context['release_tag_name'] ?? null;
    if (releaseTag !== null && typeof releaseTag !== 'string') {
      return bad(`${at}.parent_context.release_tag_name`, 'a string', releaseTag);
    }
    results.push({
      span_id: spanId,
      external_id: externalId,
      metadata,
      deployment_id: deploymentId,
      release_tag: releaseTag,
    });
  }
  return { ok: true, value: { count, results } };
}

const deploymentSchema = z.object({ id: z.string().min(1), name: z.string(), label: z.string() });

/** `GET /v1/workflow-deployments/{id or name}` -> `WorkflowDeploymentRead` (only `id`, `name`, `label` are kept). */
export function checkDeployment(json: unknown): Checked<WorkflowDeployment> {
  const result = deploymentSchema.safeParse(json);
  if (result.success) return { ok: true, value: result.data };
  const issue = result.error.issues[0]!;
  const path = issue.path.map((key) => String(key)).join('.') || '(root)';
  return { ok: false, problem: `${path}: ${issue.message}` };
}
