/**
 * undici's `Pool` class, loaded alone. `import { Pool } from 'undici'` evaluates all of undici (fetch, caches,
 * websockets, mocks) and, through its cookies module's use of the global `Headers`, Node's own bundled copy of undici
 * too: about 80 ms of CPU and 3 MB of heap at every start, for the one class the client uses. undici 7 has no
 * `exports` map, so the file is reachable; the version is pinned exactly in package.json, and `pool.test.ts` proves
 * this is the very class undici exports.
 */
import type { Pool as UndiciPool } from 'undici';
import PoolClass from 'undici/lib/dispatcher/pool.js';

export const Pool: typeof UndiciPool = PoolClass;
export type Pool = UndiciPool;
