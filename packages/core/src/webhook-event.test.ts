import { serialization } from 'vellum-ai';
import { describe, expect, it } from 'vitest';
import { deepChain, deploymentContext, fulfilledEvent, rejectedEvent } from '../test/envelopes.js';
import { MAX_PARENT_DEPTH, nestsDeeperThan, parseWebhookEvent } from './webhook-event.js';

const strict = { unrecognizedObjectKeys: 'fail' } as const;

describe('the test envelopes', () => {
  it("are Vellum's documented events (the official SDK's strict schemas accept them)", () => {
    expect(serialization.WorkflowExecutionFulfilledEvent.parse(fulfilledEvent(), strict).ok).toBe(true);
    expect(serialization.WorkflowExecutionRejectedEvent.parse(rejectedEvent(), strict).ok).toBe(true);
    expect(
      serialization.WorkflowExecutionFulfilledEvent.parse(fulfilledEvent({ parent: deepChain(5) }), strict)
        .ok,
    ).toBe(true);
  });
});

describe('parseWebhookEvent', () => {
  it('reads a fulfilled event: execution id, external id, outputs, deployment id and metadata', () => {
    expect(parseWebhookEvent(fulfilledEvent({ id: 'evt-1', spanId: 'exec-1', outputs: { a: 1 } }))).toEqual({
      kind: 'completion',
      eventId: 'evt-1',
      completion: {
        executionId: 'exec-1',
        externalId: 'vb-run1-case-1',
        status: 'FULFILLED',
        outputs: { a: 1 },
        error: null,
        deploymentId: 'd6a4c1f0-0000-4000-8000-00000000000d',
        metadata: { vellum_batch_run_id: 'run1' },
      },
    });
  });

  it('reads a rejected event with its error code', () => {
    const event = parseWebhookEvent(
      rejectedEvent({ error: { message: 'bad input', code: 'INVALID_INPUTS' } }),
    );
    expect(event).toMatchObject({
      kind: 'completion',
      completion: {
        status: 'REJECTED',
        outputs: null,
        error: { message: 'bad input', code: 'INVALID_INPUTS' },
      },
    });
  });

  it('finds the deployment context up the parent chain, within the depth limit', () => {
    const top = deploymentContext({ externalId: 'vb-deep', deploymentId: 'dep-9' });
    const event = parseWebhookEvent(fulfilledEvent({ parent: deepChain(MAX_PARENT_DEPTH, top) }));
    expect(event).toMatchObject({
      kind: 'completion',
      completion: { externalId: 'vb-deep', deploymentId: 'dep-9' },
    });
  });

  it('refuses a chain one level deeper than the limit, and a 1,500-level one, as too deep (no stack overflow)', () => {
    for (const levels of [MAX_PARENT_DEPTH + 1, 1500]) {
      expect(parseWebhookEvent(fulfilledEvent({ parent: deepChain(levels) }))).toEqual({
        kind: 'invalid',
        reason: 'too_deep',
        message: `the parent chain is deeper than ${MAX_PARENT_DEPTH} levels`,
      });
    }
  });

  it('refuses outputs nested 10,000 levels deep as too deep', () => {
    let value: unknown = 'leaf';
    for (let i = 0; i < 10_000; i++) value = [value];
    expect(parseWebhookEvent(fulfilledEvent({ outputs: { deep: value } }))).toMatchObject({
      kind: 'invalid',
      reason: 'too_deep',
      message: 'body: the outputs nest deeper than 256 levels',
    });
  });

  it('ignores an event of a workflow nested inside the execution (a WORKFLOW_NODE level below the deployment)', () => {
    const parent = { type: 'WORKFLOW_NODE', span_id: 'node-1', parent: deploymentContext() };
    expect(parseWebhookEvent(fulfilledEvent({ id: 'e-n', parent }))).toEqual({
      kind: 'ignored',
      eventId: 'e-n',
      name: 'workflow.execution.fulfilled',
      reason: 'nested',
    });
  });

  it('names the level of a malformed parent', () => {
    const parent = { type: 'EXTERNAL', span_id: 's', parent: { type: 'EXTERNAL', span_id: 7 } };
    expect(parseWebhookEvent(fulfilledEvent({ parent }))).toMatchObject({
      kind: 'invalid',
      reason: 'malformed',
      message: expect.stringMatching(/^parent\.parent\.span_id: /) as unknown,
    });
  });

  it('normalises the older list of outputs to a map, keeping a key like __proto__ as data', () => {
    const raw = fulfilledEvent();
    (raw['body'] as Record<string, unknown>)['outputs'] = [
      { name: 'answer', type: 'STRING', value: 'hi' },
      { name: '__proto__', value: 1 },
    ];
    const event = parseWebhookEvent(raw);
    const outputs = event.kind === 'completion' ? event.completion.outputs : null;
    expect(Object.keys(outputs ?? {})).toEqual(['answer', '__proto__']);
    expect(Object.getPrototypeOf(outputs)).toBe(Object.prototype);
  });

  it('ignores other event names and calls shapeless bodies malformed', () => {
    expect(parseWebhookEvent({ id: 'e', name: 'workflow.execution.initiated', span_id: 'x' })).toEqual({
      kind: 'ignored',
      eventId: 'e',
      name: 'workflow.execution.initiated',
      reason: 'event',
    });
    expect(parseWebhookEvent({ name: 'workflow.execution.fulfilled' })).toMatchObject({
      kind: 'invalid',
      reason: 'malformed',
      message: expect.stringMatching(/^id: /) as unknown,
    });
    expect(parseWebhookEvent({ id: 'e', name: 'workflow.execution.fulfilled' })).toEqual({
      kind: 'invalid',
      reason: 'malformed',
      message: 'the event names neither an execution id nor an external id',
    });
  });
});

describe('nestsDeeperThan', () => {
  it('measures objects and arrays, not scalars', () => {
    expect(nestsDeeperThan({ a: [{ b: 1 }] }, 3)).toBe(false);
    expect(nestsDeeperThan({ a: [{ b: {} }] }, 3)).toBe(true);
    expect(nestsDeeperThan('text', 0)).toBe(false);
  });
});
