/**
 * The execution list's `filters` query parameter: a JSON string of a logical condition group, as in Vellum's docs
 * tutorial, e.g. `{"type":"LOGICAL_CONDITION_GROUP","combinator":"AND","negated":false,"conditions":[{"type":
 * "LOGICAL_CONDITION","lhs_variable":{"type":"STRING","value":"external_id"},"operator":"=","rhs_variable":
 * {"type":"STRING","value":"case-1"}}]}`. The fake honours `external_id` with `=`; any other condition is
 * "unknown" and never excludes an execution (three-valued logic), so the answer is always a superset of what
 * Vellum would send: a client must check every result's external id anyway.
 */
import type { FakeExecution } from './types.js';

/** A parsed filter: `matches` decides one execution; `externalId` is set when every match must carry it. */
export interface ExecutionFilter {
  matches(e: FakeExecution): boolean;
  readonly externalId: string | undefined;
}

/** `{ok: false}` carries the `detail` of a 400. */
export type FilterResult = { ok: true; filter: ExecutionFilter } | { ok: false; detail: string };

type Truth = boolean | undefined;
type Node = (e: FakeExecution) => Truth;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function variableValue(v: unknown): unknown {
  return isObject(v) ? v['value'] : undefined;
}

const MAX_DEPTH = 32;

function compile(raw: unknown, at: string, depth: number): Node | string {
  if (depth > MAX_DEPTH) return `${at}: nested deeper than ${MAX_DEPTH} levels.`;
  if (!isObject(raw)) return `${at}: must be an object.`;
  if (raw['type'] === 'LOGICAL_CONDITION') {
    const field = variableValue(raw['lhs_variable']);
    const wanted = variableValue(raw['rhs_variable']);
    if (field === 'external_id' && raw['operator'] === '=' && typeof wanted === 'string') {
      return (e) => e.externalId === wanted;
    }
    return () => undefined;
  }
  if (raw['type'] !== 'LOGICAL_CONDITION_GROUP') {
    return `${at}.type: must be LOGICAL_CONDITION_GROUP or LOGICAL_CONDITION.`;
  }
  const conditions = raw['conditions'];
  if (!Array.isArray(conditions)) return `${at}.conditions: must be a list.`;
  const combinator = raw['combinator'] ?? 'AND';
  if (combinator !== 'AND' && combinator !== 'OR') return `${at}.combinator: must be AND or OR.`;
  const children: Node[] = [];
  for (let i = 0; i < conditions.length; i++) {
    const child = compile(conditions[i], `${at}.conditions[${i}]`, depth + 1);
    if (typeof child === 'string') return child;
    children.push(child);
  }
  const negated = raw['negated'] === true;
  const and = combinator === 'AND';
  return (e) => {
    let unknown = false;
    for (const child of children) {
      const t = child(e);
      if (t === undefined) unknown = true;
      else if (t !== and) return negated ? and : !and; // AND meets false / OR meets true
    }
    if (unknown) return undefined;
    return negated ? !and : and;
  };
}

/** The external id a non-negated AND group requires directly, if any (lets the list skip a full scan). */
function requiredExternalId(raw: unknown): string | undefined {
  if (!isObject(raw) || raw['type'] !== 'LOGICAL_CONDITION_GROUP' || raw['negated'] === true)
    return undefined;
  if ((raw['combinator'] ?? 'AND') !== 'AND' || !Array.isArray(raw['conditions'])) return undefined;
  for (const c of raw['conditions'] as unknown[]) {
    if (!isObject(c) || c['type'] !== 'LOGICAL_CONDITION' || c['operator'] !== '=') continue;
    const wanted = variableValue(c['rhs_variable']);
    if (variableValue(c['lhs_variable']) === 'external_id' && typeof wanted === 'string') return wanted;
  }
  return undefined;
}

/** Parses the raw `filters` parameter; a value that is not JSON, or not a condition, is a 400 with a detail. */
export function parseFilters(text: string): FilterResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { ok: false, detail: `filters: Invalid JSON - ${(error as Error).message}` };
  }
  const node = compile(raw, 'filters', 0);
  if (typeof node === 'string') return { ok: false, detail: node };
  return { ok: true, filter: { matches: (e) => node(e) !== false, externalId: requiredExternalId(raw) } };
}
