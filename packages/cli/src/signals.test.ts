import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { withSignals } from './signals.js';

describe('withSignals', () => {
  it('aborts the task on the first signal and exits with 130 on the second', async () => {
    const stderr = new PassThrough();
    let text = '';
    stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const exits: number[] = [];
    let aborted = false;
    const result = await withSignals(
      { stdout: new PassThrough(), stderr, env: {} },
      (signal) => {
        process.emit('SIGINT', 'SIGINT');
        aborted = signal.aborted;
        process.emit('SIGTERM', 'SIGTERM');
        return Promise.resolve('done');
      },
      (code) => exits.push(code),
    );
    expect(result).toBe('done');
    expect(aborted).toBe(true);
    expect(exits).toEqual([130]);
    expect(text).toContain('SIGINT: stopping; writing results (press Ctrl-C again to exit at once)');
    expect(text).toContain('SIGTERM again: exiting now; the journal in the out directory is intact');
    // The handlers are gone once the task ended.
    expect(process.listenerCount('SIGINT')).toBe(0);
  });
});
