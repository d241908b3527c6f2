/**
 * What a delivery of Vellum's webhooks says (SPEC section 2): `{id, timestamp, api_version, name, trace_id, span_id,
 * parent, links, body}`, `name` `workflow.execution.fulfilled` (outputs at `body.outputs`) or
 * `workflow.execution.rejected` (error at `body.error`), the deployment's context (`type: "WORKFLOW_RELEASE_TAG"`,
 * with `deployment_id`, `external_id` and `metadata`) somewhere up the `parent` chain.
 *
 * The chain is walked in a loop to {@link MAX_PARENT_DEPTH} levels, never recursively: a deeper one is refused, so a
 * hostile delivery cannot overflow the stack.
 */
import { z } from 'zod';
import type { Completion } from './engine/completions.js';

/** How many `parent` levels are read before a delivery is refused as too deep. */
export const MAX_PARENT_DEPTH = 32;

/** How deeply outputs and errors may nest (objects and arrays) before a delivery is refused as too deep. */
export const MAX_VALUE_DEPTH = 256;

/**
 * The metadata key under which each submit carries this run's id; a delivery whose deployment context carries another
 * value there belongs to another run.
 */
export const RUN_ID_METADATA_KEY = 'vellum_batch_run_id';

/** One level of the `parent` chain; its own `parent` is read by the loop, not by the schema. */
const contextSchema = z.looseObject({
  type: z.string().nullish(),
  span_id: z.string().nullish(),
  deployment_id: z.string().nullish(),
  external_id: z.string().nullish(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
  parent: z.unknown().optional(),
});
type Context = z.infer<typeof contextSchema>;

const envelopeSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string(),
  span_id: z.string().nullish(),
  parent: z.unknown().optional(),
  body: z
    .looseObject({
      outputs: z.unknown().optional(),
      error: z.looseObject({ message: z.string().nullish(), code: z.string().nullish() }).nullish(),
    })
    .nullish(),
});

/** Why an event is not passed on though it was well authenticated. */
export type WebhookIgnoreReason = 'event' | 'nested' | 'other_deployment' | 'other_run';

/** What a delivery's body means. */
export type WebhookEvent =
  | { readonly kind: 'completion'; readonly eventId: string; readonly completion: Completion }
  | {
      readonly kind: 'ignored';
      readonly eventId: string;
      readonly name: string;
      readonly reason: WebhookIgnoreReason;
    }
  | { readonly kind: 'invalid'; readonly reason: 'malformed' | 'too_deep'; readonly message: string };

const EVENT_STATUS: Readonly<Record<string, Completion['status']>> = {
  'workflow.execution.fulfilled': 'FULFILLED',
  'workflow.execution.rejected': 'REJECTED',
};

/** The `parent` chain, nearest first, or why it cannot be read. */
function walkParents(
  first: unknown,
):
  | { readonly ok: true; readonly chain: readonly Context[] }
  | { readonly ok: false; readonly event: WebhookEvent } {
  const chain: Context[] = [];
  let path = 'parent';
  for (let node = first; node !== null && node !== undefined; path += '.parent') {
    if (chain.length === MAX_PARENT_DEPTH) {
      return {
        ok: false,
        event: {
          kind: 'invalid',
          reason: 'too_deep',
          message: `the parent chain is deeper than ${MAX_PARENT_DEPTH} levels`,
        },
      };
    }
    const parsed = contextSchema.safeParse(node);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const at = [path, ...(issue?.path ?? []).map(String)].join('.');
      return {
        ok: false,
        event: { kind: 'invalid', reason: 'malformed', message: `${at}: ${issue?.message ?? 'invalid'}` },
      };
    }
    chain.push(parsed.data);
    node = parsed.data.parent;
  }
  return { ok: true, chain };
}

/** True when `value` nests objects and arrays deeper than `max` levels (measured with a stack, not recursion). */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: next, depth } = stack.pop()!;
    if (next === null || typeof next !== 'object') continue;
    if (depth >= max) return true;
    for (const child of Object.values(next)) stack.push({ value: child, depth: depth + 1 });
  }
  return false;
}

/** Outputs as a `{name: value}` map; the older shape lists `{name, value}` (or `{name, type, value}`) objects. */
function outputsMap(outputs: unknown): Record<string, unknown> {
  if (Array.isArray(outputs)) {
    const map: Record<string, unknown> = {};
    for (const item of outputs) {
      if (
        item !== null &&
        typeof item === 'object' &&
        typeof (item as { name?: unknown }).name === 'string'
      ) {
        // defineProperty keeps a key like `__proto__` as data instead of changing the map's prototype.
        Object.defineProperty(map, (item as { name: string }).name, {
          value: (item as { value?: unknown }).value ?? null,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
    }
    return map;
  }
  return outputs !== null && typeof outputs === 'object' ? (outputs as Record<string, unknown>) : {};
}

/**
 * Reads a delivery's JSON body: fulfilled and rejected executions become a {@link Completion}; other event names are
 * ignored. The deployment context is the nearest `WORKFLOW_RELEASE_TAG` level of the `parent` chain; the external id
 * is the nearest `external_id` up the chain; the execution id is `span_id`, else `parent.span_id`.
 *
 * Where Vellum's docs are silent this stays safe under every reading: an event with a `WORKFLOW_NODE` level below the
 * deployment context is a workflow nested inside the execution (its outputs are not the execution's) and is ignored;
 * whether the execution id Vellum returned at submit is `span_id` or `parent.span_id`, a miss on one still finds the
 * execution by its external id.
 */
export function parseWebhookEvent(raw: unknown): WebhookEvent {
  const parsed = envelopeSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      kind: 'invalid',
      reason: 'malformed',
      message: `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`,
    };
  }
  const event = parsed.data;
  const status = EVENT_STATUS[event.name];
  if (status === undefined) return { kind: 'ignored', eventId: event.id, name: event.name, reason: 'event' };
  const walked = walkParents(event.parent);
  if (!walked.ok) return walked.event;
  const { chain } = walked;
  const deploymentAt = chain.findIndex((context) => context.type === 'WORKFLOW_RELEASE_TAG');
  const nodeAt = chain.findIndex((context) => context.type === 'WORKFLOW_NODE');
  if (nodeAt !== -1 && (deploymentAt === -1 || nodeAt < deploymentAt)) {
    return { kind: 'ignored', eventId: event.id, name: event.name, reason: 'nested' };
  }
  const deployment = deploymentAt === -1 ? undefined : chain[deploymentAt];
  const externalId = chain.find((context) => typeof context.external_id === 'string')?.external_id ?? null;
  const executionId = event.span_id ?? chain[0]?.span_id ?? null;
  if (executionId === null && externalId === null) {
    return {
      kind: 'invalid',
      reason: 'malformed',
      message: 'the event names neither an execution id nor an external id',
    };
  }
  const outputs = status === 'FULFILLED' ? event.body?.outputs : undefined;
  if (nestsDeeperThan(outputs, MAX_VALUE_DEPTH) || nestsDeeperThan(event.body?.error, MAX_VALUE_DEPTH)) {
    return {
      kind: 'invalid',
      reason: 'too_deep',
      message: `body: the outputs nest deeper than ${MAX_VALUE_DEPTH} levels`,
    };
  }
  const error = event.body?.error;
  return {
    kind: 'completion',
    eventId: event.id,
    completion: {
      executionId,
      externalId,
      status,
      outputs: status === 'FULFILLED' ? outputsMap(outputs) : null,
      error:
        status === 'REJECTED'
          ? { message: error?.message ?? 'rejected without an error message', code: error?.code ?? 'UNKNOWN' }
          : null,
      deploymentId: deployment?.deployment_id ?? null,
      metadata: deployment?.metadata ?? null,
    },
  };
}
