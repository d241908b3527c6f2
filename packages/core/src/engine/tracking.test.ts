import { describe, expect, it } from 'vitest';
import type { Flight } from './flights.js';
import { PollPlanner } from './planner.js';
import { createTracker } from './tracking.js';

/** A learned planner (a first finish seen at 2 s) and a flight on its first look, as the tracker sees them. */
function setUp(probed: boolean) {
  const planner = new PollPlanner({ maxWindow: 200 });
  planner.scoutFinished(2000, 1500);
  const tracker = createTracker('poll', planner, 60_000);
  const flight = { state: 'running', looks: 0, startedAt: 0, probed } as unknown as Flight;
  flight.plannedWith = planner.durationEstimateMs;
  return { planner, tracker, flight };
}

describe('the poll tracker', () => {
  it('learns from a planned first look, not from a probe’s look at the same execution', () => {
    for (const saw of ['running', 'final'] as const) {
      const planned = setUp(false);
      const before = planned.planner.durationEstimateMs;
      if (saw === 'running') planned.tracker.sawRunning(planned.flight, 500);
      else planned.tracker.sawFinal(planned.flight, 500);
      expect(planned.planner.durationEstimateMs).not.toBe(before);

      const probed = setUp(true);
      if (saw === 'running') probed.tracker.sawRunning(probed.flight, 500);
      else probed.tracker.sawFinal(probed.flight, 500);
      expect(probed.planner.durationEstimateMs).toBe(before);
    }
  });
});
