import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { RunProgress, Summary } from '@vellum-batch/core';
import { finalSnapshot, ProgressReporter, renderProgress } from './progress.js';
import type { ProgressSnapshot } from './progress.js';

const going: ProgressSnapshot = {
  phase: { kind: 'running' },
  total: 200,
  finished: 120,
  passed: 110,
  running: 40,
  queued: 30,
  elapsedMs: 10_000,
  finishedHere: 120,
};

describe('renderProgress on a terminal', () => {
  it('shows passed, failed, running, queued, rate, ETA and the elapsed time behind a bar', () => {
    expect(renderProgress(going, { tty: true, width: 120 })).toBe(
      '[##################............] 120/200  110 passed  10 failed  40 running  30 queued  12/s  ETA 6.7s  10.0s',
    );
  });

  it('fits 60 columns by leaving out the elapsed time, the ETA and the bar, never wrapping', () => {
    const line = renderProgress(going, { tty: true, width: 60 });
    expect(line).toBe('120/200  110 passed  10 failed  40 running  30 queued  12/s');
    expect(line.length).toBeLessThanOrEqual(59);
  });

  it('keeps the most useful parts at narrow widths and cuts what still does not fit', () => {
    expect(renderProgress(going, { tty: true, width: 40 })).toBe('120/200  110 passed  10 failed  12/s');
    expect(renderProgress(going, { tty: true, width: 6 })).toBe('120/…');
  });

  it('never writes more than width - 1 characters, at any width', () => {
    const stopping: ProgressSnapshot = { ...going, phase: { kind: 'stopping', reason: 'interrupted' } };
    for (const snapshot of [going, stopping]) {
      for (let width = 1; width <= 200; width++) {
        expect(renderProgress(snapshot, { tty: true, width }).length).toBeLessThanOrEqual(
          Math.max(1, width - 1),
        );
      }
    }
  });

  it('shows no rate or ETA before a second has passed or a case has finished', () => {
    expect(renderProgress({ ...going, elapsedMs: 500, finishedHere: 0 }, { tty: true, width: 200 })).toBe(
      '[##################............] 120/200  110 passed  10 failed  40 running  30 queued  500ms',
    );
  });

  it('never shows more running or queued than cases left (the engine reports a case as running until it left)', () => {
    const last = { ...going, finished: 200, finishedHere: 200, passed: 190, running: 1, queued: 2 };
    expect(renderProgress(last, { tty: false })).toBe(
      'progress: 200/200 finished, 190 passed, 10 failed, 0 running, 0 queued, 20 cases/s, 10.0s elapsed',
    );
  });
});

describe('renderProgress tells stopped from done', () => {
  it('reads "interrupted, stopping" after Ctrl-C and has no ETA then', () => {
    const line = renderProgress(
      { ...going, phase: { kind: 'stopping', reason: 'interrupted' } },
      { tty: true, width: 200 },
    );
    expect(line).toContain('interrupted, stopping 120/200');
    expect(line).not.toContain('ETA');
    expect(line).not.toMatch(/done/);
  });

  it('ends an interrupted run with "interrupted" and the cases that never finished, not "200/200 done"', () => {
    const summary = {
      total: 200,
      passed: 100,
      cancelled: 70,
      timed_out: 0,
      duration_ms: 9_000,
      stopped: { reason: 'interrupted', message: 'the run was interrupted' },
    } as Summary;
    expect(renderProgress(finalSnapshot(summary, 130), { tty: false })).toBe(
      'interrupted: 130/200 finished, 100 passed, 30 failed, 70 never finished, 14 cases/s, 9.0s elapsed',
    );
    expect(
      renderProgress(finalSnapshot({ ...summary, stopped: { reason: 'deadline', message: '' } }), {
        tty: false,
      }),
    ).toMatch(/^stopped \(deadline reached\): 130\/200 finished/);
  });

  it('ends a complete run with "done" and no running or queued count', () => {
    const summary = {
      total: 200,
      passed: 190,
      cancelled: 0,
      timed_out: 0,
      duration_ms: 20_000,
      stopped: null,
    } as Summary;
    expect(renderProgress(finalSnapshot(summary), { tty: true, width: 80 })).toBe(
      '[############################] done 200/200  190 passed  10 failed  10/s  20.0s',
    );
  });
});

function stream(
  isTTY: boolean,
  columns?: number,
): Writable & { isTTY: boolean; columns?: number; text: () => string } {
  let text = '';
  const s = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  }) as Writable & { isTTY: boolean; columns?: number; text: () => string };
  s.isTTY = isTTY;
  if (columns !== undefined) s.columns = columns;
  s.text = () => text;
  return s;
}

const progress: RunProgress = {
  total: 10,
  submitted: 10,
  finished: 10,
  passed: 9,
  failed: 1,
  running: 1,
  queued: 0,
};
const summary = {
  total: 10,
  passed: 9,
  cancelled: 0,
  timed_out: 0,
  duration_ms: 2_000,
  stopped: null,
} as Summary;

describe('ProgressReporter', () => {
  it('writes plain lines off a terminal, and the final line from the summary once', () => {
    const out = stream(false);
    let now = 1_000;
    const reporter = new ProgressReporter({ stream: out, intervalMs: 60_000, now: () => now });
    reporter.onEvent({
      type: 'started',
      runId: 'r1',
      deploymentId: 'dep-1',
      externalIdPrefix: 'vb-r1-',
      progress: { ...progress, finished: 0, passed: 0 },
    });
    reporter.onEvent({ type: 'server-limit', limit: 50, progress });
    now += 2_000;
    reporter.finish(summary);
    reporter.finish(summary);
    reporter.done();
    expect(out.text().trim().split('\n')).toEqual([
      'run r1: 10 cases, external ids vb-r1-*',
      'Vellum is queueing executions: its concurrency limit looks like 50; keeping 100 in flight',
      'done: 10/10 finished, 9 passed, 1 failed, 5.0 cases/s, 2.0s elapsed',
    ]);
  });

  it('says "interrupted" when done() follows a stopping event, whatever the counts', () => {
    const out = stream(false);
    const reporter = new ProgressReporter({ stream: out, intervalMs: 60_000, now: () => 0 });
    reporter.onEvent({
      type: 'stopping',
      reason: 'interrupted',
      message: 'the run was interrupted',
      progress,
    });
    reporter.done();
    const lines = out.text().trim().split('\n');
    expect(lines[0]).toBe('stopping (interrupted): the run was interrupted');
    expect(lines[1]).toMatch(/^interrupted: 10\/10 finished, 9 passed, 1 failed/);
  });

  it('draws the bar in place on a terminal within its columns, clearing the line first, and ends with a newline', () => {
    const out = stream(true, 70);
    const reporter = new ProgressReporter({ stream: out, now: () => 0 });
    reporter.onEvent({
      type: 'record',
      record: {} as never,
      progress: { ...progress, finished: 5, passed: 5 },
    });
    reporter.finish(summary);
    const text = out.text();
    expect(text.startsWith('\r\x1b[K')).toBe(true);
    expect(text.endsWith('\n')).toBe(true);
    const drawn = text.slice('\r\x1b[K'.length, -1);
    expect(drawn).toMatch(/^\[#+\] done 10\/10 {2}9 passed {2}1 failed/);
    expect(drawn.length).toBeLessThanOrEqual(69);
  });
});
