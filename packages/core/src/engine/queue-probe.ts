/**
 * The queue probe: while executions are believed queued, it looks at the oldest one now and then, in case the
 * server-queue model is wrong (Vellum started it sooner than the model says). One probe loop runs at a time.
 */
import { wakeAll, type RunContext } from './context.js';

/** A function that makes sure the probe loop of `ctx()` runs; calling it while the loop runs does nothing. */
export function createQueueProbe(ctx: () => RunContext): () => void {
  let probing = false;
  return () => {
    if (probing) return;
    probing = true;
    void probeQueue(ctx()).finally(() => (probing = false));
  };
}

async function probeQueue(ctx: RunContext): Promise<void> {
  while (ctx.stop.stopping === null && ctx.queue.head() !== undefined) {
    try {
      await ctx.clock.sleep(ctx.planner.queuedProbeDelay(), ctx.stop.background);
    } catch {
      return;
    }
    const head = ctx.queue.head();
    if (head?.state === 'queued') {
      head.probe = true;
      wakeAll([head]);
    }
  }
}
