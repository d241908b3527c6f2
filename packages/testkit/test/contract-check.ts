/**
 * Contract check of one wire exchange against Vellum's published contract: the official SDK's own serialization
 * schemas (`vellum-ai` 1.14.7, a dev dependency), parsed strictly (`unrecognizedObjectKeys: 'fail'`, unknown enum
 * values and union members refused). It lives in `test/` because `vellum-ai` is not a runtime dependency of the
 * testkit; other packages' contract tests import it by relative path.
 */
import { serialization } from 'vellum-ai';
import { serialization as schemas } from 'vellum-ai/core/index.js';
import type { FakeExchange, FakeHost } from '../src/index.js';

/** What {@link checkExchange} found. */
export interface ExchangeCheck {
  /** The schema the response body was parsed with, e.g. `CheckWorkflowExecutionStatusResponse`. */
  schema: string;
  /** The schema the request body was parsed with, or `null` when the request has none to check. */
  requestSchema: string | null;
  ok: boolean;
  /** Every problem, each naming the part and the JSON path, e.g. `response.error.code: Expected enum...`. */
  errors: string[];
}

interface Parser {
  parse(raw: unknown, opts: { unrecognizedObjectKeys: 'fail' }): unknown;
}

interface ParseResult {
  ok: boolean;
  errors?: { path: string[]; message: string }[];
}

/** Vellum's error body `{"detail": "..."}` (the SDK types error bodies as `unknown`, so the shape is written here). */
const ErrorDetail = schemas.object({ detail: schemas.string() });

const LIST_PARAMS: ReadonlySet<string> = new Set(['limit', 'offset', 'ordering', 'filters']);

type Endpoint = 'submit' | 'status' | 'deployment' | 'executions' | 'unknown';

function endpointOf(method: string, path: string): { endpoint: Endpoint; home: FakeHost | null } {
  if (method === 'POST' && path === '/v1/execute-workflow-async')
    return { endpoint: 'submit', home: 'predict' };
  if (method === 'GET' && /^\/v1\/workflows\/executions\/[^/]+\/status$/.test(path)) {
    return { endpoint: 'status', home: 'predict' };
  }
  if (method === 'GET' && /^\/v1\/workflow-deployments\/[^/]+\/execution-events$/.test(path)) {
    return { endpoint: 'executions', home: 'api' };
  }
  if (method === 'GET' && /^\/v1\/workflow-deployments\/[^/]+$/.test(path)) {
    return { endpoint: 'deployment', home: 'api' };
  }
  return { endpoint: 'unknown', home: null };
}

const SUCCESS: Readonly<Record<Exclude<Endpoint, 'unknown'>, [string, Parser]>> = {
  submit: ['ExecuteWorkflowAsyncResponse', serialization.ExecuteWorkflowAsyncResponse],
  status: ['CheckWorkflowExecutionStatusResponse', serialization.CheckWorkflowExecutionStatusResponse],
  deployment: ['WorkflowDeploymentRead', serialization.WorkflowDeploymentRead],
  executions: [
    'WorkflowDeploymentEventExecutionsResponse',
    serialization.WorkflowDeploymentEventExecutionsResponse,
  ],
};

function strict(part: string, parser: Parser, value: unknown, errors: string[]): void {
  const result = parser.parse(value, { unrecognizedObjectKeys: 'fail' }) as ParseResult;
  if (result.ok) return;
  for (const e of result.errors ?? []) errors.push(`${[part, ...e.path].join('.')}: ${e.message}`);
}

function checkListQuery(query: string, errors: string[]): void {
  const params = new URLSearchParams(query);
  for (const [key, value] of params) {
    if (!LIST_PARAMS.has(key)) errors.push(`query.${key}: not a documented parameter of the execution list`);
    if ((key === 'limit' || key === 'offset') && !/^\d+$/.test(value)) {
      errors.push(`query.${key}: must be an integer, got ${JSON.stringify(value)}`);
    }
    if (key === 'filters') {
      try {
        JSON.parse(value);
      } catch {
        errors.push('query.filters: not JSON');
      }
    }
  }
}

/**
 * Checks one exchange the fake recorded (`onExchange`): picks the SDK schema by method, path and status, parses the
 * request body (submits: `ExecuteWorkflowAsyncRequest`) and the response body (2xx: the endpoint's response
 * schema; otherwise `ErrorDetail`, `{detail: string}`) strictly, checks the endpoint was called on its own host
 * (predict: execute, status; api: deployments, execution lists), that GETs carry no body and that the execution
 * list's query names only documented parameters. An exchange with `fault` set is off-contract on purpose and fails.
 */
export function checkExchange(exchange: FakeExchange): ExchangeCheck {
  const errors: string[] = [];
  const { endpoint, home } = endpointOf(exchange.method, exchange.path);
  if (exchange.fault !== undefined) errors.push(`fault: injected hostile answer '${exchange.fault}'`);
  if (home !== null && exchange.host !== home) {
    errors.push(
      `host: ${exchange.method} ${exchange.path} belongs on the ${home} host, was sent to ${exchange.host}`,
    );
  }
  let requestSchema: string | null = null;
  if (endpoint === 'submit') {
    requestSchema = 'ExecuteWorkflowAsyncRequest';
    strict('request', serialization.ExecuteWorkflowAsyncRequest, exchange.requestBody, errors);
  } else if (exchange.requestBody !== undefined) {
    errors.push(`request: ${exchange.method} ${exchange.path} must not carry a body`);
  }
  if (endpoint === 'executions') checkListQuery(exchange.query, errors);
  let schema: string;
  if (endpoint === 'unknown') {
    schema = 'unknown';
    errors.push(`path: ${exchange.method} ${exchange.path} is no endpoint of Vellum's contract`);
  } else if (exchange.status >= 200 && exchange.status < 300) {
    const [name, parser] = SUCCESS[endpoint];
    schema = name;
    strict('response', parser, exchange.responseBody, errors);
  } else {
    schema = 'ErrorDetail';
    strict('response', ErrorDetail, exchange.responseBody, errors);
  }
  return { schema, requestSchema, ok: errors.length === 0, errors };
}
