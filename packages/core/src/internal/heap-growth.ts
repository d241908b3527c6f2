/**
 * How far V8 lets the old generation grow past what the last full collection found alive, for the processes this
 * project owns (the CLI's bin and the GitHub Action's entry; a library must not set V8 flags for its host).
 *
 * A run's live heap is small and flat (about 17 MB, mostly code and module sources), but at thousands of cases a
 * second about a fifth of each young-generation collection survives it (requests and records in flight) and is
 * promoted, so the old generation fills with garbage until the next full collection. When collections are cheap, V8
 * lets the old generation grow to up to 4 times what is alive: about 64 MB of heap for 17 MB alive, and that growth is
 * the peak RSS of a large run. A full collection of so small a heap takes about 10 ms, so setting the growth factor to
 * 2 (V8 picks one between 1.1 and 4 from its GC and mutator speeds) costs little CPU. The heap itself is not capped: it
 * grows as far as a run needs.
 *
 * Measured through the CLI against the fake server, instant executions, `--concurrency 256`, 2 cores, 2026-12-03
 * (peak RSS; CPU user + system; `heap-growing-percent` 0 is V8's own choice):
 *
 * | Node | cases | V8's choice | 100 (this) | 50 |
 * |---|---|---|---|---|
 * | 20.20 | 100,000 | 170-175 MB, 33.9 s (3 runs) | 141-145 MB, 34.2 s | 130-133 MB, 36.0 s |
 * | 20.20 | 300,000 | 199 MB, 103 s | 162 MB, 108 s | 154 MB, 120 s |
 * | 20.20 | shard 1/10 of 100,000 | 130 or 163 MB | 131-134 MB | 128 MB |
 * | 24.22 | 100,000 | 315-319 MB, 42.2 s (2 runs) | 275 MB, 43.1 s | - |
 *
 * 50 saves 10 MB more for 6-17% more CPU; 100 costs about 1-2%.
 */
import { setFlagsFromString } from 'node:v8';

/** The old generation may grow to (1 + this / 100) times the heap alive after a full collection. */
export const HEAP_GROWING_PERCENT = 100;

const FLAG = '--heap-growing-percent';

/**
 * Sets V8's heap growing factor for the rest of the process, unless its command line set one (`node
 * --heap-growing-percent=N`, `0` for V8's own choice); true when it did. V8 reads the factor at every full
 * collection, so it takes effect from the next one.
 */
export function limitHeapGrowth(execArgv: readonly string[] = process.execArgv): boolean {
  if (execArgv.some((arg) => /^--heap[-_]growing[-_]percent(=|$)/.test(arg))) return false;
  setFlagsFromString(`${FLAG}=${HEAP_GROWING_PERCENT}`);
  return true;
}
