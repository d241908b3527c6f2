import { describe, expect, it } from 'vitest';
import { LandedExecutionIds } from './landed-ids.js';

const id = (n: number): string => `d62ed498-37bc-42f7-9f03-${n.toString(16).padStart(12, '0')}`;

describe('LandedExecutionIds', () => {
  it('finds each of 200,000 ids with its case index, through every growth, and no id it was not given', () => {
    const landed = new LandedExecutionIds();
    for (let n = 0; n < 200_000; n++) landed.add(id(n), n);
    expect(landed.size).toBe(200_000);
    for (let n = 0; n < 200_000; n += 7) expect(landed.caseIndexOf(id(n))).toBe(n);
    for (let n = 200_000; n < 220_000; n++) expect(landed.caseIndexOf(id(n))).toBeUndefined();
    expect(landed.caseIndexOf('')).toBeUndefined();
  });

  it('keeps the first case of an id added twice', () => {
    const landed = new LandedExecutionIds();
    landed.add('exec-1', 3);
    landed.add('exec-1', 9);
    expect(landed.size).toBe(1);
    expect(landed.caseIndexOf('exec-1')).toBe(3);
  });
});
