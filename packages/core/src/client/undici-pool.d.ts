// The one undici file `pool.ts` imports by path (undici's own types describe it only through its index).
declare module 'undici/lib/dispatcher/pool.js' {
  import type { Pool } from 'undici';
  const PoolClass: typeof Pool;
  export default PoolClass;
}
