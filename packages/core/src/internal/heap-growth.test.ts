import { describe, expect, it } from 'vitest';
import { callInFreshProcess } from '../../test/support/fresh-process.js';
import { limitHeapGrowth } from './heap-growth.js';

describe('limitHeapGrowth', () => {
  it('leaves a growth factor set on the command line alone, in either spelling', () => {
    expect(limitHeapGrowth(['--heap-growing-percent=0'])).toBe(false);
    expect(limitHeapGrowth(['--inspect', '--heap_growing_percent=30'])).toBe(false);
    expect(limitHeapGrowth(['--heap-growing-percent', '30'])).toBe(false);
  });

  it("sets a flag this Node.js's V8 knows (an unknown flag would print an error to stderr)", () => {
    const child = callInFreshProcess('heap-growth', 'limitHeapGrowth', []);
    expect(child.stderr).toBe('');
    expect(child.stdout).toBe('true');
  });
});
