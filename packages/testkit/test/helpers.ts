import type { FakeVellum } from '../src/index.js';

/** One result of the execution list (`SlimWorkflowExecutionRead`). */
export interface WireEvent {
  span_id: string;
  start: string;
  end: string | null;
  inputs: { id: string; name: string; type: string; value: unknown }[];
  outputs: { id: string; name: string; type: string; value: unknown }[];
  error: { message: string; code: string } | null;
  parent_context: {
    external_id: string | null;
    metadata: unknown;
    deployment_id: string;
    [key: string]: unknown;
  };
}

/**
 * Any JSON body the fake sends, as tests read it: each field is present only on the matching response
 * (a test asserting on a missing one fails, which is what we want).
 */
export interface WireBody {
  detail: string;
  execution_id: string;
  status: string;
  outputs: Record<string, unknown>;
  error: { message: string; code: string } | null;
  execution_detail_url: string;
  count: number;
  results: WireEvent[];
}

/** A parsed JSON response. */
export interface JsonResponse {
  status: number;
  headers: Headers;
  body: WireBody;
}

/** Sends a request to the fake (its api host for deployment paths) and parses its JSON answer. */
export async function call(
  fake: FakeVellum,
  method: string,
  path: string,
  body?: unknown,
  apiKey: string | null = 'test-key',
): Promise<JsonResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (apiKey !== null) headers['x-api-key'] = apiKey;
  const init: RequestInit = { method, headers };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const base = path.startsWith('/v1/workflow-deployments/') ? fake.apiUrl : fake.predictUrl;
  const res = await fetch(base + path, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: JSON.parse(text) as WireBody };
}

/** POST /v1/execute-workflow-async. */
export function submit(
  fake: FakeVellum,
  body: unknown,
  apiKey: string | null = 'test-key',
): Promise<JsonResponse> {
  return call(fake, 'POST', '/v1/execute-workflow-async', body, apiKey);
}

/** GET the status of an execution. */
export function status(
  fake: FakeVellum,
  id: string,
  apiKey: string | null = 'test-key',
): Promise<JsonResponse> {
  return call(fake, 'GET', `/v1/workflows/executions/${encodeURIComponent(id)}/status`, undefined, apiKey);
}

/** A submit body for deployment `demo`. */
export function body(inputs: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): unknown {
  return {
    workflow_deployment_name: 'demo',
    inputs: Object.entries(inputs).map(([name, value]) => ({
      name,
      type: typeof value === 'string' ? 'STRING' : typeof value === 'number' ? 'NUMBER' : 'JSON',
      value,
    })),
    ...extra,
  };
}

/** The execution list of deployment `id` with the query `query` (e.g. `ordering=-timestamp&limit=5`). */
export function list(
  fake: FakeVellum,
  id: string,
  query = '',
  apiKey: string | null = 'test-key',
): Promise<JsonResponse> {
  const path = `/v1/workflow-deployments/${encodeURIComponent(id)}/execution-events${query === '' ? '' : `?${query}`}`;
  return call(fake, 'GET', path, undefined, apiKey);
}

/** A `filters` value selecting one external id, as in Vellum's docs tutorial. */
export function externalIdFilter(externalId: string): string {
  return JSON.stringify({
    type: 'LOGICAL_CONDITION_GROUP',
    conditions: [
      {
        type: 'LOGICAL_CONDITION',
        lhs_variable: { type: 'STRING', value: 'external_id' },
        operator: '=',
        rhs_variable: { type: 'STRING', value: externalId },
      },
    ],
    combinator: 'AND',
    negated: false,
  });
}

/** Polls `check` (every few ms) until it returns true; fails after `maxTries` tries (a backstop, not a timing). */
export async function waitUntil(check: () => boolean | Promise<boolean>, maxTries = 4000): Promise<void> {
  for (let i = 0; i < maxTries; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error('condition not reached');
}
