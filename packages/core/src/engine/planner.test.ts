import { describe, expect, it } from 'vitest';
import { PollPlanner } from './planner.js';

/** Feeds first looks planned with the current estimate against run times drawn from `durations`. */
function converge(planner: PollPlanner, durations: () => number, looks: number): void {
  for (let i = 0; i < looks; i++) {
    const planned = planner.durationEstimateMs;
    planner.learnFirstLook(durations() <= planned, planned);
  }
}

function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a * 1664525 + 1013904223) >>> 0;
    return a / 4294967296;
  };
}

describe('PollPlanner', () => {
  it('keeps the whole window until a limit is learned, then twice the smallest bound seen', () => {
    const planner = new PollPlanner({ maxWindow: 200 });
    expect(planner.window).toBe(200);
    expect(planner.serverLimit).toBeNull();
    planner.learnQueued(80);
    planner.learnQueued(50);
    planner.learnQueued(64);
    expect(planner.serverLimit).toBe(50);
    expect(planner.window).toBe(100);
    expect(new PollPlanner({ maxWindow: 60 }).window).toBe(60);
    const small = new PollPlanner({ maxWindow: 60 });
    small.learnQueued(50);
    expect(small.window).toBe(60);
  });

  it('settles the first look near the 60th percentile of the run times', () => {
    const random = seeded(3);
    const planner = new PollPlanner({ maxWindow: 10, initialDurationMs: 300 });
    converge(planner, () => 1000 + 2000 * random(), 3000);
    // Uniform 1-3 s: the 60th percentile is 2.2 s.
    expect(planner.durationEstimateMs).toBeGreaterThan(1950);
    expect(planner.durationEstimateMs).toBeLessThan(2450);
  });

  it('moves a step or two, not fifty, for a burst of looks planned with the same stale estimate', () => {
    const planner = new PollPlanner({ maxWindow: 10, initialDurationMs: 1000 });
    for (let i = 0; i < 5; i++) planner.learnFirstLook(false, 1000);
    const afterFive = planner.durationEstimateMs;
    for (let i = 0; i < 45; i++) planner.learnFirstLook(false, 1000);
    expect(planner.durationEstimateMs).toBe(afterFive);
    expect(afterFive).toBeGreaterThan(1000);
    expect(afterFive).toBeLessThan(2000);
  });

  it('jumps to strong evidence: finished at a look planned far shorter than the estimate', () => {
    const planner = new PollPlanner({ maxWindow: 10, initialDurationMs: 1000 });
    planner.learnFirstLook(true, 25);
    expect(planner.durationEstimateMs).toBe(25);
  });

  it('plans a ladder of early first looks until something is learned', () => {
    const planner = new PollPlanner({ maxWindow: 10, initialDurationMs: 1000 });
    expect([0, 1, 2, 10].map((n) => planner.planFirstLook(n))).toEqual([20, 25, 31.25, 20 * 1.25 ** 10]);
    expect(planner.planFirstLook(40)).toBe(1000);
    planner.learnFirstLook(false, 1000);
    expect(planner.planFirstLook(0)).toBe(planner.durationEstimateMs);
  });

  it('clamps delays and backs off by half each look', () => {
    const planner = new PollPlanner({
      maxWindow: 10,
      initialDurationMs: 1000,
      minDelayMs: 2,
      maxDelayMs: 5000,
    });
    expect(planner.firstDelay(0)).toBe(1000);
    expect(planner.firstDelay(999.5)).toBe(2);
    expect(planner.firstDelay(0, 10_000)).toBe(5000);
    expect([1, 2, 3].map((looks) => planner.nextDelay(looks))).toEqual([250, 375, 562.5]);
    expect(planner.nextDelay(30)).toBe(5000);
    expect(planner.queuedProbeDelay()).toBe(1000);
  });

  it('halves the window on a 429 once per burst and gives one place back per accepted submit', () => {
    const planner = new PollPlanner({ maxWindow: 32 });
    expect(planner.rateLimited(0)).toBe(true);
    expect(planner.window).toBe(16);
    // The same burst: not halved again.
    expect(planner.rateLimited(500)).toBe(false);
    expect(planner.window).toBe(16);
    expect(planner.rateLimited(1_000)).toBe(true);
    expect(planner.window).toBe(8);
    expect(planner.rateLimitShrinks).toBe(2);
    for (let i = 0; i < 3; i++) planner.submitAccepted();
    expect(planner.window).toBe(11);
    for (let i = 0; i < 40; i++) planner.submitAccepted();
    expect(planner.window).toBe(32);
  });

  it('never shrinks the window below one, also under a learned server limit', () => {
    const planner = new PollPlanner({ maxWindow: 32 });
    planner.learnQueued(2);
    expect(planner.window).toBe(4);
    for (let t = 0; t < 5_000; t += 1_000) planner.rateLimited(t);
    expect(planner.window).toBe(1);
    expect(planner.rateLimited(10_000)).toBe(false);
  });
});
