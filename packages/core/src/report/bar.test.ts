import { describe, expect, it } from 'vitest';
import { OUTCOMES, barCells } from './bar.js';

const sum = (cells: Record<string, number>): number => Object.values(cells).reduce((a, b) => a + b, 0);

describe('barCells', () => {
  it('fills the bar with one outcome when it is the only one', () => {
    expect(barCells({ passed: 0, failed: 7, rejected: 0, errored: 0 })).toEqual({
      passed: 0,
      failed: 20,
      rejected: 0,
      errored: 0,
    });
  });

  it('gives every outcome that occurred at least one square, and the bar its width', () => {
    const cells = barCells({ passed: 100_000, failed: 1, rejected: 1, errored: 1 });
    expect(cells).toEqual({ passed: 17, failed: 1, rejected: 1, errored: 1 });
    for (const counts of [
      { passed: 3, failed: 3, rejected: 3, errored: 1 },
      { passed: 1, failed: 1, rejected: 1, errored: 1 },
      { passed: 995, failed: 5, rejected: 0, errored: 0 },
    ]) {
      const c = barCells(counts, 10);
      expect(sum(c)).toBe(10);
      for (const o of OUTCOMES) expect(c[o] > 0).toBe(counts[o] > 0);
    }
  });

  it('splits in proportion (largest remainder) and draws nothing for an empty run', () => {
    expect(barCells({ passed: 50, failed: 25, rejected: 15, errored: 10 })).toEqual({
      passed: 10,
      failed: 5,
      rejected: 3,
      errored: 2,
    });
    expect(sum(barCells({ passed: 0, failed: 0, rejected: 0, errored: 0 }))).toBe(0);
  });
});
