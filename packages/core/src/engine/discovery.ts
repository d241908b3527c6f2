/**
 * Discovery, the start of a polled run. Until a first finish is seen no execution looks on its own schedule (a
 * batch of executions planning first looks from a guessed run time sends a burst of looks, most of them at
 * executions still queued or far from done). One loop looks instead, on a geometric clock (20 ms, then 1.5 times
 * longer each time):
 * - at the oldest execution believed running (of those looked at least), until one is found finished: its run time
 *   is the first estimate (the planner refines it from every first look), and every execution then plans its own
 *   first look. Until then an execution looks by itself only as a safety net, once it has run
 *   `DISCOVERY_SAFETY_FACTOR` (tracking.ts) times the longest run time seen (the loop keeps that far ahead while it learns);
 * - while there are executions believed running that no status has shown running: first at the newest one (one
 *   `PENDING` answer reveals Vellum's queue, and demotes every later one), then halving between the newest seen
 *   running and the oldest seen queued, so a few looks find the limit.
 * The loop ends once a finish was seen (looked at, or in hybrid mode pushed) and no execution waits to be placed; in
 * hybrid mode at the first finish (no execution is looked at there, so placing would never end). Poll and hybrid
 * modes: webhook mode looks only after a long silence.
 */
import type { RunContext } from './context.js';
import type { Flight } from './flights.js';

/** First tick of the loop, and the factor between ticks. */
const FIRST_TICK_MS = 20;
const TICK_GROWTH = 1.5;
/** Once the run time is learned, the placing looks go on at least this often. */
const PLACING_TICK_MS = 250;

/** A function that makes sure the discovery loop of `ctx()` runs while it is needed; see the module comment. */
export function createDiscovery(ctx: () => RunContext): () => void {
  let running = false;
  let done = false;
  return () => {
    const c = ctx();
    if (running || done || c.tracker.mode === 'webhook') return;
    running = true;
    void discover(c)
      .then((finished) => (done = finished))
      .finally(() => (running = false));
  };
}

/** Runs the loop; true when discovery is over for good, false when the run stopped first. */
async function discover(ctx: RunContext): Promise<boolean> {
  let tick = FIRST_TICK_MS;
  for (;;) {
    if (ctx.stop.stopping !== null) return false;
    try {
      await ctx.clock.sleep(tick, ctx.stop.background);
    } catch {
      return false;
    }
    const learned = ctx.planner.learned;
    tick = learned ? Math.min(tick * TICK_GROWTH, PLACING_TICK_MS) : tick * TICK_GROWTH;
    const targets = new Set<Flight>();
    if (!learned) {
      const oldest = oldestRunning(ctx);
      if (oldest !== undefined) targets.add(oldest);
    }
    const placing = placingTarget(ctx);
    if (placing !== undefined) targets.add(placing);
    // Hybrid: pushes land the executions and none is looked at, so placing would go on for ever; the limit is
    // searched for only until the first finish.
    if (learned && (placing === undefined || ctx.tracker.pushes)) return true;
    for (const flight of targets) {
      flight.probe = true;
      flight.wake?.();
    }
  }
}

/**
 * The execution believed running that was looked at least, the longest running of those (the one most likely to
 * have finished): the looks go round, so one execution that runs long, or whose status cannot be read, holds up
 * nothing.
 */
function oldestRunning(ctx: RunContext): Flight | undefined {
  let oldest: Flight | undefined;
  for (const flight of ctx.flights.values()) {
    if (flight.state !== 'running' || flight.probe) continue;
    const better =
      oldest === undefined ||
      flight.looks < oldest.looks ||
      (flight.looks === oldest.looks && flight.startedAt < oldest.startedAt);
    if (better) oldest = flight;
  }
  return oldest;
}

/**
 * The next execution to place: among those believed running that no status showed running and that are newer than
 * every one seen running, the newest while none was seen queued, else the middle one.
 */
function placingTarget(ctx: RunContext): Flight | undefined {
  let seenRunning = -Infinity;
  let seenQueued = Infinity;
  for (const flight of ctx.flights.values()) {
    if (flight.seenRunningAt > 0) seenRunning = Math.max(seenRunning, flight.order);
    if (flight.state === 'queued') seenQueued = Math.min(seenQueued, flight.order);
  }
  const candidates: Flight[] = [];
  for (const flight of ctx.flights.values()) {
    if (flight.state !== 'running' || flight.seenRunningAt > 0 || flight.probe) continue;
    if (flight.order > seenRunning && flight.order < seenQueued) candidates.push(flight);
  }
  if (candidates.length === 0) return undefined;
  candidates.sort((a, b) => a.order - b.order);
  return seenQueued === Infinity ? candidates.at(-1) : candidates[Math.floor(candidates.length / 2)];
}
