import { describe, expect, it } from 'vitest';
import { mulberry32 } from './random.js';
import { Fifo, MinHeap } from './heap.js';

describe('MinHeap', () => {
  it('pops in key order, ties in insertion order', () => {
    const heap = new MinHeap<string>();
    const random = mulberry32(3);
    const items = Array.from({ length: 500 }, (_, i) => ({ key: Math.floor(random() * 50), label: `i${i}` }));
    for (const { key, label } of items) heap.push(key, label);
    const expected = [...items].sort((a, b) => a.key - b.key).map((x) => x.label); // stable sort
    const popped: string[] = [];
    while (heap.size > 0) popped.push(heap.pop()!);
    expect(popped).toEqual(expected);
    expect(heap.pop()).toBeUndefined();
    expect(heap.peekKey()).toBeUndefined();
  });
});

describe('Fifo', () => {
  it('keeps order across compaction', () => {
    const q = new Fifo<number>();
    const out: number[] = [];
    for (let i = 0; i < 5000; i++) {
      q.push(i);
      if (i % 3 === 0) out.push(q.shift()!);
    }
    while (q.size > 0) out.push(q.shift()!);
    expect(out).toEqual(Array.from({ length: 5000 }, (_, i) => i));
    expect(q.shift()).toBeUndefined();
  });
});
