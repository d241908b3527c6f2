import { describe, expect, it } from 'vitest';
import { PollPlanner } from './planner.js';

/** Feeds first looks made at the current estimate against run times drawn from `durations`. */
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

  it('settles the first look near the 85th percentile of the run times by default', () => {
    const random = seeded(3);
    const planner = new PollPlanner({ maxWindow: 10, initialDurationMs: 300 });
    converge(planner, () => 1000 + 2000 * random(), 3000);
    // Uniform 1-3 s: the 85th percentile is 2.7 s.
    expect(planner.durationEstimateMs).toBeGreaterThan(2450);
    expect(planner.durationEstimateMs).toBeLessThan(2950);
  });

  it('settles near the 60th percentile when told to', () => {
    const random = seeded(3);
    const planner = new PollPlanner({ maxWindow: 10, initialDurationMs: 300, targetQuantile: 0.6 });
    converge(planner, () => 1000 + 2000 * random(), 3000);
    // Uniform 1-3 s: the 60th percentile is 2.2 s.
    expect(planner.durationEstimateMs).toBeGreaterThan(1950);
    expect(planner.durationEstimateMs).toBeLessThan(2450);
  });

  it('moves a step or two, not fifty, for a burst of looks at one age', () => {
    const planner = new PollPlanner({ maxWindow: 10, initialDurationMs: 1000 });
    for (let i = 0; i < 5; i++) planner.learnFirstLook(false, 1000);
    const afterFive = planner.durationEstimateMs;
    for (let i = 0; i < 45; i++) planner.learnFirstLook(false, 1000);
    expect(planner.durationEstimateMs).toBe(afterFive);
    expect(afterFive).toBeGreaterThan(1000);
    expect(afterFive).toBeLessThan(2000);
  });

  it('takes one step, not a jump, for a finish at a look far younger than the estimate', () => {
    const planner = new PollPlanner({ maxWindow: 10, initialDurationMs: 1000 });
    planner.learnFirstLook(true, 25);
    expect(planner.durationEstimateMs).toBeGreaterThan(900);
    expect(planner.durationEstimateMs).toBeLessThan(1000);
  });

  it('learns the first estimate in discovery, halfway between the last running look and the finish', () => {
    const planner = new PollPlanner({ maxWindow: 10, initialDurationMs: 1000 });
    expect(planner.learned).toBe(false);
    planner.scoutRunning(1_500);
    expect(planner.durationEstimateMs).toBe(1_500);
    planner.scoutFinished(2_500, 1_500);
    expect(planner.learned).toBe(true);
    expect(planner.durationEstimateMs).toBe(2_000);
    // Over: later scout reports change nothing.
    planner.scoutFinished(10, null);
    expect(planner.durationEstimateMs).toBe(2_000);
  });

  it('a finish never seen running makes the execution age the first estimate, up to twice the longest run seen', () => {
    const planner = new PollPlanner({ maxWindow: 10, initialDurationMs: 1000 });
    planner.scoutFinished(20, null);
    expect(planner.durationEstimateMs).toBe(20);
    // Another execution ran 1.5 s, this one finished by 2.5 s: a high quantile is nearer 2.5 s (before: 1.5 s).
    const longer = new PollPlanner({ maxWindow: 10, initialDurationMs: 1000 });
    longer.scoutRunning(1_500);
    longer.scoutFinished(2_500, null);
    expect(longer.durationEstimateMs).toBe(2_500);
    // Found finished only at 40 s: bounded by twice the 1.5 s seen.
    const late = new PollPlanner({ maxWindow: 10, initialDurationMs: 1000 });
    late.scoutRunning(1_500);
    late.scoutFinished(40_000, null);
    expect(late.durationEstimateMs).toBe(3_000);
  });

  it('learns nothing from a late look: running long past the estimate, or finished long before the look', () => {
    const planner = new PollPlanner({ maxWindow: 10, initialDurationMs: 1000 });
    // Finished, seen at 3 s (the look was late): it may have ended at any age, so says nothing of 1 s.
    planner.learnFirstLook(true, 3_000);
    expect(planner.durationEstimateMs).toBe(1000);
    // Running at 300 ms, an early look (a probe's age): says nothing of 1 s either.
    planner.learnFirstLook(false, 300);
    expect(planner.durationEstimateMs).toBe(1000);
    // Running at 3 s: the estimate is short, whatever the look was planned with.
    planner.learnFirstLook(false, 3_000);
    expect(planner.durationEstimateMs).toBeGreaterThan(1000);
  });

  it('in the tail looks earlier and more often, and learns nothing', () => {
    const planner = new PollPlanner({ maxWindow: 10, initialDurationMs: 1000 });
    expect(planner.planFirstLook()).toBe(1000);
    expect(planner.nextDelay(1)).toBe(250);
    planner.enterTail(() => 2);
    expect(planner.planFirstLook()).toBeLessThan(1000);
    expect(planner.nextDelay(1)).toBeLessThan(250);
    planner.learnFirstLook(true, 10);
    expect(planner.durationEstimateMs).toBe(1000);
  });

  it('in the tail puts looks at executions older than the youngest off until the youngest has run half the estimate', () => {
    const planner = new PollPlanner({ maxWindow: 10, initialDurationMs: 1000 });
    let youngest = 5_000;
    // Before the tail, no floor.
    expect(planner.tailFloor(1_000)).toBe(-Infinity);
    planner.enterTail(
      () => 3,
      () => youngest,
    );
    // An older execution: not before the youngest's start plus half the 1 s estimate.
    expect(planner.tailFloor(1_000)).toBe(5_500);
    // The youngest itself (and one started with it) is never put off.
    expect(planner.tailFloor(5_000)).toBe(-Infinity);
    // The youngest landed: the next youngest sets the floor, which may already be past.
    youngest = 2_000;
    expect(planner.tailFloor(1_000)).toBe(2_500);
    youngest = -Infinity;
    expect(planner.tailFloor(1_000)).toBe(-Infinity);
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
