import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.js';
import { ConfigError } from './errors.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['90s', 90_000],
    ['30m', 1_800_000],
    ['2h', 7_200_000],
    ['1h30m', 5_400_000],
    ['2m30s', 150_000],
    ['1h0m5s250ms', 3_605_250],
    ['1.5h', 5_400_000],
    ['45', 45_000],
    ['0.5', 500],
    [' 10S ', 10_000],
  ])('parses %j', (text, ms) => {
    expect(parseDuration(text, '--timeout')).toBe(ms);
  });

  it.each(['10x', '', 'm', '1 h', '-5s', '1h 30m', 'h1', '5sec', '1e3'])('refuses %j', (text) => {
    expect(() => parseDuration(text, '--timeout')).toThrow(
      new ConfigError(`--timeout: ${JSON.stringify(text)} is not a duration (use e.g. 90s, 30m, 2h)`),
    );
  });

  it('refuses a zero duration, naming the input', () => {
    expect(() => parseDuration('0s', 'execution-timeout')).toThrow(
      'execution-timeout: "0s" must be longer than 0 (use e.g. 90s, 30m, 2h)',
    );
  });

  it('throws ConfigError', () => {
    expect(() => parseDuration('soon', '--timeout')).toThrow(ConfigError);
  });
});

describe('formatDuration', () => {
  it.each([
    [850, '850ms'],
    [0, '0ms'],
    [-5, '0ms'],
    [999.6, '1.0s'],
    [4_120, '4.1s'],
    [59_960, '1m 00s'],
    [65_000, '1m 05s'],
    [3_599_600, '1h 00m'],
    [7_380_000, '2h 03m'],
  ])('formats %d as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
