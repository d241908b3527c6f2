/**
 * Durations as people write them on a command line (`90s`, `30m`, `1h30m`) and as reports show them.
 */
import { ConfigError } from './errors.js';

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
type Unit = keyof typeof UNIT_MS;

const NUMBER = String.raw`(?:\d+(?:\.\d+)?|\.\d+)`;
const BARE = new RegExp(`^${NUMBER}$`);
const SEQUENCE = new RegExp(`^(?:${NUMBER}(?:ms|h|m|s))+$`);
const PART = new RegExp(`(${NUMBER})(ms|h|m|s)`, 'g');

/**
 * Parses a duration into milliseconds.
 *
 * Accepts `500ms`, `90s`, `30m`, `2h`, combinations such as `1h30m` or `2m30s`, decimals such as `1.5h`,
 * and a bare number, which means seconds. The result must be greater than zero.
 *
 * @param value - The text to parse, e.g. a flag's value.
 * @param name - The flag or input it came from, named in the error (e.g. `--timeout`).
 * @returns The duration in whole milliseconds (rounded).
 * @throws {@link ConfigError} naming `name` and the bad value.
 */
export function parseDuration(value: string, name: string): number {
  const text = value.trim().toLowerCase();
  let ms: number;
  if (BARE.test(text)) {
    ms = Number(text) * UNIT_MS.s;
  } else if (SEQUENCE.test(text)) {
    ms = 0;
    for (const match of text.matchAll(PART)) {
      ms += Number(match[1]) * UNIT_MS[match[2] as Unit];
    }
  } else {
    throw new ConfigError(`${name}: ${JSON.stringify(value)} is not a duration (use e.g. 90s, 30m, 2h)`);
  }
  const rounded = Math.round(ms);
  if (!Number.isFinite(rounded) || rounded <= 0) {
    throw new ConfigError(`${name}: ${JSON.stringify(value)} must be longer than 0 (use e.g. 90s, 30m, 2h)`);
  }
  return rounded;
}

/**
 * Formats milliseconds for people: `850ms`, `4.1s`, `1m 05s`, `2h 03m`.
 *
 * Below one second: milliseconds; below one minute: seconds with one decimal;
 * below one hour: minutes and seconds; above: hours and minutes. Negative or non-finite input gives `0ms`.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '0ms';
  if (Math.round(ms) < 1_000) return `${Math.round(ms)}ms`;
  const tenths = Math.round(ms / 100);
  if (tenths < 600) return `${(tenths / 10).toFixed(1)}s`;
  const seconds = Math.round(ms / 1_000);
  if (seconds < 3_600) return `${Math.floor(seconds / 60)}m ${pad(seconds % 60)}s`;
  const minutes = Math.round(ms / 60_000);
  return `${Math.floor(minutes / 60)}h ${pad(minutes % 60)}m`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
