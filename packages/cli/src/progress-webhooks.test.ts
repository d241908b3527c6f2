import { describe, expect, it } from 'vitest';
import { renderProgress } from './progress.js';
import type { ProgressSnapshot } from './progress.js';

const going: ProgressSnapshot = {
  phase: { kind: 'running' },
  total: 200,
  finished: 120,
  passed: 110,
  running: 50,
  queued: 30,
  elapsedMs: 10_000,
  finishedHere: 120,
};

describe('the progress line with a webhook receiver', () => {
  it('shows accepted deliveries, and refused, ignored and misrouted ones when there are any', () => {
    const hooks = { accepted: 96, refused: 4, ignored: 0, misrouted: 1 };
    expect(renderProgress({ ...going, webhooks: hooks }, { tty: false })).toBe(
      'progress: 120/200 finished, 110 passed, 10 failed, 50 running, 30 queued, webhooks 96 accepted, 4 refused, 1 misrouted, 12 cases/s, ETA 6.7s, 10.0s elapsed',
    );
    const quiet = { accepted: 96, refused: 0, ignored: 0, misrouted: 0 };
    expect(renderProgress({ ...going, webhooks: quiet }, { tty: false })).toContain(
      ', webhooks 96 accepted, 12 cases/s',
    );
  });

  it('gives way to the counts on a narrow terminal', () => {
    const hooks = { accepted: 96, refused: 4, ignored: 2, misrouted: 1 };
    expect(renderProgress({ ...going, webhooks: hooks }, { tty: true, width: 60 })).not.toContain('webhooks');
    expect(renderProgress({ ...going, webhooks: hooks }, { tty: true, width: 200 })).toContain(
      'webhooks 96 accepted, 4 refused, 2 ignored, 1 misrouted',
    );
  });
});
