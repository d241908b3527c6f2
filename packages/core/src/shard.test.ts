import { describe, expect, it } from 'vitest';
import { inShard, shardOf } from './shard.js';

describe('shardOf', () => {
  it('puts every id in exactly one shard, spread roughly evenly', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[shardOf(`case-${i}`, 4) - 1]! += 1;
    expect(counts.reduce((a, b) => a + b, 0)).toBe(4000);
    for (const count of counts) expect(count).toBeGreaterThan(850);
  });

  it('depends only on the id, so editing other cases moves nothing', () => {
    const before = ['a', 'b', 'c', 'refund-1'].map((id) => shardOf(id, 3));
    const after = ['refund-1', 'zzz', 'c', 'b', 'a'].map((id) => shardOf(id, 3));
    expect([after[4], after[3], after[2], after[0]]).toEqual(before);
  });

  it('gives shard 1 of 1 for everything and filters by shard', () => {
    expect(shardOf('anything', 1)).toBe(1);
    const keep = inShard({ index: shardOf('x', 5), count: 5 });
    expect(keep({ id: 'x' })).toBe(true);
  });
});
