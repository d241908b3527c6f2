import * as undici from 'undici';
import { describe, expect, it } from 'vitest';
import { Pool } from './pool.js';

describe('Pool', () => {
  it('is the class undici exports, loaded without the rest of undici', () => {
    expect(Pool).toBe(undici.Pool);
  });
});
