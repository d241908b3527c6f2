/**
 * Stable sharding: a case belongs to a shard by a hash of its id, not by its position, so adding, removing or
 * reordering cases in the dataset does not move the other cases to other shards.
 */

/** A shard of a dataset: `index` is 1-based, `1 <= index <= count`. */
export interface ShardRef {
  readonly index: number;
  readonly count: number;
}

/** The 1-based shard of `count` that the case with `id` belongs to (FNV-1a 32-bit over the UTF-16 code units). */
export function shardOf(id: string, count: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return ((hash >>> 0) % count) + 1;
}

/** A filter for `openDataset` that keeps the cases of `shard`. */
export function inShard(shard: ShardRef): (c: { readonly id: string }) => boolean {
  return (c) => shardOf(c.id, shard.count) === shard.index;
}
