import { describe, expect, it } from 'vitest';
import type { Flight } from './flights.js';
import { PollPlanner } from './planner.js';
import { createTracker } from './tracking.js';

/**
 * A learned planner (a first finish seen at 2 s) and a flight started at 0, on its first look at the estimate, as the
 * tracker sees them.
 */
function setUp(probed: boolean) {
  const planner = new PollPlanner({ maxWindow: 200 });
  planner.scoutFinished(2000, 1500);
  const tracker = createTracker('poll', planner, 60_000);
  const flight = { state: 'running', looks: 0, startedAt: 0, probed } as unknown as Flight;
  return { planner, tracker, flight };
}

describe('the poll tracker', () => {
  it('learns from a planned first look, not from a probe’s look at the same execution', () => {
    for (const saw of ['running', 'final'] as const) {
      const planned = setUp(false);
      const before = planned.planner.durationEstimateMs;
      if (saw === 'running') planned.tracker.sawRunning(planned.flight, before, before);
      else planned.tracker.sawFinal(planned.flight, before, before);
      expect(planned.planner.durationEstimateMs).not.toBe(before);

      const probed = setUp(true);
      if (saw === 'running') probed.tracker.sawRunning(probed.flight, before, before);
      else probed.tracker.sawFinal(probed.flight, before, before);
      expect(probed.planner.durationEstimateMs).toBe(before);
    }
  });

  it('learns from the age of a first look when sent, not from the estimate it was planned with: a late finish is no news', () => {
    const { planner, tracker, flight } = setUp(false);
    const before = planner.durationEstimateMs;
    // The look was planned at the estimate but went out at three times it (it waited behind a wake-up, or the queue
    // model moved the start): finished then says nothing of the estimate. Taken as planned, it pulled it down.
    tracker.sawFinal(flight, 3 * before, 3 * before);
    expect(planner.durationEstimateMs).toBe(before);
    tracker.sawRunning(flight, 3 * before, 3 * before);
    expect(planner.durationEstimateMs).toBeGreaterThan(before);
  });

  it('takes the age when the look was sent: a finish answered after a slow round trip still teaches', () => {
    const { planner, tracker, flight } = setUp(false);
    const before = planner.durationEstimateMs;
    // Sent at the estimate, answered 600 ms later (a slow API): by its answer's age it would be a late look, no news,
    // and with every finish ignored and every "running" counted, the estimate would only climb.
    tracker.sawFinal(flight, before + 600, before);
    expect(planner.durationEstimateMs).toBeLessThan(before);
  });

  it('puts a first look off to the estimate as it is when due, while Vellum holds a whole wave queued', () => {
    const planner = new PollPlanner({ maxWindow: 200 });
    planner.scoutFinished(2000, 1500);
    planner.learnQueued(5);
    let queued = 5;
    const tracker = createTracker('poll', planner, 60_000, () => queued);
    const flight = { state: 'running', looks: 0, startedAt: 0, probed: false } as unknown as Flight;
    const planned = planner.durationEstimateMs;
    expect(tracker.nextLookDelay(flight, 0)).toBe(planned);
    // While the flight slept, other first looks found executions still running: the estimate grew.
    planner.learnFirstLook(false, planned);
    expect(planner.durationEstimateMs).toBeGreaterThan(planned / 0.95);
    expect(tracker.stillDue(flight, planned)).toBe(false);
    expect(tracker.nextLookDelay(flight, planned)).toBe(planner.durationEstimateMs - planned);
    expect(tracker.stillDue(flight, planner.durationEstimateMs)).toBe(true);
    // With less than a wave (the limit of 5) queued, or none, the end is near: the look goes as planned.
    queued = 4;
    expect(tracker.stillDue(flight, planned)).toBe(true);
    queued = 0;
    expect(tracker.stillDue(flight, planned)).toBe(true);
    // A later look (not the first) goes as planned too.
    queued = 5;
    flight.looks = 1;
    expect(tracker.stillDue(flight, planned)).toBe(true);
  });
});
