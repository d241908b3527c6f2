import { describe, expect, it } from 'vitest';
import { callInFreshProcess } from '../../test/support/fresh-process.js';
import { keepWasmOnBaseline } from './wasm-tier.js';

describe('keepWasmOnBaseline', () => {
  it('leaves Node.js 24 and later alone (the flag changed nothing measured there)', () => {
    expect(keepWasmOnBaseline('24.22.3')).toBe(false);
    expect(keepWasmOnBaseline('26.0.0')).toBe(false);
  });

  it("sets a flag this Node.js's V8 knows on Node.js 20 (an unknown flag would print an error to stderr)", () => {
    const child = callInFreshProcess('wasm-tier', 'keepWasmOnBaseline', '20.20.2');
    expect(child.stderr).toBe('');
    expect(child.stdout).toBe('true');
  });
});
