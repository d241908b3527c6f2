/**
 * Small deterministic pseudo-random helpers. Every random choice of the fake server goes through one of
 * these, so a given seed reproduces a run exactly.
 */

/** A function returning numbers in [0, 1). */
export type Random = () => number;

/** mulberry32: a tiny, fast 32-bit PRNG, good enough for test fixtures (not for cryptography). */
export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a hash of a string mixed with a numeric seed, as an unsigned 32-bit integer. */
export function hashSeed(seed: number, text: string): number {
  let h = (0x811c9dc5 ^ (seed >>> 0)) >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // Final avalanche so that near-identical inputs give unrelated seeds.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  return h >>> 0;
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function hex32(random: Random): string {
  const n = Math.floor(random() * 4294967296) >>> 0;
  return HEX[n >>> 24]! + HEX[(n >>> 16) & 0xff]! + HEX[(n >>> 8) & 0xff]! + HEX[n & 0xff]!;
}

/**
 * A uuid-v4-shaped id: random bits from `random`, the last 12 hex digits are `sequence`, so ids from one
 * generator never collide (a 32-bit PRNG alone would repeat within ~100,000 ids).
 */
export function sequentialUuid(random: Random, sequence: number): string {
  const a = hex32(random);
  const b = hex32(random);
  const c = hex32(random);
  const seq = sequence.toString(16).padStart(12, '0').slice(-12);
  return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${((parseInt(c[0]!, 16) & 0x3) | 0x8).toString(16)}${c.slice(1, 4)}-${seq}`;
}
