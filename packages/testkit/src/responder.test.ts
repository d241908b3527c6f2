import { describe, expect, it } from 'vitest';
import { defaultResponder } from './responder.js';
import type { FakeExecutionRequest, FakeInput } from './types.js';

function req(inputs: FakeInput[]): FakeExecutionRequest {
  return {
    executionId: 'e',
    deploymentId: 'd',
    deploymentName: 'demo',
    releaseTag: 'LATEST',
    inputs,
    externalId: null,
    metadata: null,
  };
}
const s = (name: string, value: unknown): FakeInput => ({ name, type: 'STRING', value });
const high = (): number => 0.99;
const low = (): number => 0.01;

describe('defaultResponder', () => {
  it('echoes inputs by name, leaving the control inputs out', () => {
    expect(
      defaultResponder(
        req([s('a', 'x'), { name: 'n', type: 'NUMBER', value: 2 }, s('fake_duration_ms', '5')]),
        high,
      ),
    ).toEqual({ outputs: { a: 'x', n: 2 }, durationMs: 5 });
  });

  it('rejects with fake_reject and fake_error_code', () => {
    expect(defaultResponder(req([s('fake_reject', 'bad')]), high)).toEqual({
      error: { message: 'bad', code: 'NODE_EXECUTION' },
    });
    expect(defaultResponder(req([s('fake_error_code', 'LLM_PROVIDER')]), high)).toEqual({
      error: { message: 'Workflow rejected by the fake server', code: 'LLM_PROVIDER' },
    });
  });

  it('replaces outputs with fake_outputs (object or JSON string) and honours fake_never_finish', () => {
    expect(
      defaultResponder(req([s('a', 'x'), { name: 'fake_outputs', type: 'JSON', value: { b: 1 } }]), high),
    ).toEqual({
      outputs: { b: 1 },
    });
    expect(
      defaultResponder(req([s('fake_outputs', '{"c":[1]}'), s('fake_never_finish', 'true')]), high),
    ).toEqual({
      outputs: { c: [1] },
      neverFinishes: true,
    });
  });

  it('ignores malformed control values', () => {
    expect(
      defaultResponder(
        req([s('fake_duration_ms', 'soon'), s('fake_outputs', 'nope'), s('fake_reject', '')]),
        high,
      ),
    ).toEqual({ outputs: {} });
  });

  it('rejects at rejectRate using one random draw', () => {
    expect('error' in defaultResponder(req([]), low, 0.5)).toBe(true);
    expect('error' in defaultResponder(req([]), high, 0.5)).toBe(false);
    expect('error' in defaultResponder(req([]), low)).toBe(false);
  });
});
