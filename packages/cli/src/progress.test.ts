import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { RunProgress } from '@vellum-batch/core';
import { ProgressReporter } from './progress.js';

function stream(isTTY: boolean): Writable & { isTTY: boolean; text: () => string } {
  let text = '';
  const s = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  }) as Writable & { isTTY: boolean; text: () => string };
  s.isTTY = isTTY;
  s.text = () => text;
  return s;
}

const progress: RunProgress = { total: 10, submitted: 10, finished: 10, passed: 9, running: 0, queued: 0 };

describe('ProgressReporter', () => {
  it('writes plain lines off a terminal, and the final state once however often done() is called', () => {
    const out = stream(false);
    const reporter = new ProgressReporter({ stream: out, intervalMs: 60_000 });
    reporter.onEvent({ type: 'started', runId: 'r1', externalIdPrefix: 'vb-r1-', progress });
    reporter.onEvent({ type: 'server-limit', limit: 50, progress });
    reporter.done();
    reporter.done();
    const lines = out.text().trim().split('\n');
    expect(lines[0]).toBe('run r1: 10 cases, external ids vb-r1-*');
    expect(lines[1]).toBe(
      'Vellum is queueing executions: its concurrency limit looks like 50; keeping 100 in flight',
    );
    expect(lines.filter((line) => line.startsWith('progress: '))).toEqual([
      expect.stringMatching(/^progress: 10\/10 done, 9 passed, 0 running, 0 queued, \d+s$/),
    ]);
  });

  it('draws a bar in place on a terminal', () => {
    const out = stream(true);
    const reporter = new ProgressReporter({ stream: out });
    reporter.onEvent({ type: 'record', record: {} as never, progress: { ...progress, finished: 5 } });
    reporter.done();
    expect(out.text()).toMatch(/^\r\[#+\.+\] 5\/10 done/);
    expect(out.text().endsWith('\n')).toBe(true);
  });
});
