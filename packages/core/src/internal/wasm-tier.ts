/**
 * For the processes this project owns (the CLI's bin, the GitHub Action's entry, the bench's vellum-batch client; a
 * library must not set V8 flags for its host), as `heap-growth.ts` is.
 *
 * undici parses HTTP with llhttp compiled to WebAssembly. On Node 20, about a second after the first request V8
 * compiles llhttp's hot parse function again with its optimizing compiler (TurboFan) on a background thread, and that
 * one compile takes about 35 MB for a moment: the peak RSS of a short run. Measured through this CLI against the fake
 * server (Node 20.20, 2 cores): a 10-case run peaked at 110 MB with it and 74 MB without, a 1,000-case run at 120 and
 * 107-110 MB (means of 3, two sets), with CPU 0.1 s lower and the same wall time (parsing small answers on the
 * baseline code costs less than the compile). On Node 24 (V8 13) the flag changed neither figure, so it is left alone
 * there. Runs of 100,000 cases and more peak later, on the heap, where it changes nothing.
 */
import { setFlagsFromString } from 'node:v8';

/** The Node.js major versions on which {@link keepWasmOnBaseline} sets the flag. */
const MEASURED_BELOW = 24;

/**
 * Keeps WebAssembly on V8's baseline compiler (Liftoff) for the rest of the process, on Node.js before 24; true when
 * it did. Call before the first HTTP connection: a flag set after llhttp is compiled changes nothing.
 */
export function keepWasmOnBaseline(nodeVersion: string = process.versions.node): boolean {
  if (Number(nodeVersion.split('.')[0]) >= MEASURED_BELOW) return false;
  setFlagsFromString('--liftoff-only');
  return true;
}
