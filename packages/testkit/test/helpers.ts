import type { FakeVellum } from '../src/index.js';

/** One result of the execution-events listing. */
export interface WireEvent {
  span_id: string;
  external_id: string | null;
  name: string;
  timestamp: string;
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

/** Sends a request to the fake and parses its JSON answer. */
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
  const res = await fetch(fake.url + path, init);
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

/** Polls `check` (every few ms) until it returns true; fails after `maxTries` tries. */
export async function waitUntil(check: () => boolean | Promise<boolean>, maxTries = 1000): Promise<void> {
  for (let i = 0; i < maxTries; i++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error('condition not reached');
}
