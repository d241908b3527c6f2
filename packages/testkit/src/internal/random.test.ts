import { describe, expect, it } from 'vitest';
import { hashSeed, mulberry32, sequentialUuid } from './random.js';

describe('random helpers', () => {
  it('mulberry32 is reproducible and in [0, 1)', () => {
    const a = mulberry32(5);
    const b = mulberry32(5);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(mulberry32(6)()).not.toBe(xs[0]);
  });

  it('hashSeed separates seeds and texts', () => {
    expect(hashSeed(1, 'a')).toBe(hashSeed(1, 'a'));
    expect(hashSeed(1, 'a')).not.toBe(hashSeed(2, 'a'));
    expect(hashSeed(1, 'a')).not.toBe(hashSeed(1, 'b'));
  });

  it('sequentialUuid is uuid-v4 shaped and unique per sequence', () => {
    const random = mulberry32(1);
    const id = sequentialUuid(random, 255);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-0000000000ff$/);
    expect(sequentialUuid(mulberry32(1), 255)).toBe(id);
  });
});
