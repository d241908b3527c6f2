/**
 * One set of parsers for the values people type into a flag, an action input or a config file: counts,
 * concurrency, rates, deadlines, shards, external-id prefixes, release tags and URLs. The CLI and the action both
 * use these, so a value means the same in either.
 *
 * Every parser takes the raw text and the name of the field it came from (`--concurrency`, `input concurrency`) and
 * throws a {@link ConfigError} whose message starts with that name and says what to write instead.
 *
 * Rates (`0.05`, `5%`) are read by `parseRate` (in `gate.ts`, also exported); the rest are here.
 *
 * Decisions, the same everywhere:
 * - Surrounding whitespace is ignored (`' 32 '` is 32), as `@actions/core`'s `getInput` trims.
 * - Whole numbers are decimal digits only: `0x20`, `1e2`, `32.0`, `+5` and `-1` are refused, not read as numbers.
 * - An empty value is refused here; callers that read `''` as "unset" (the action, a config file) check first.
 */
import { ConfigError } from './errors.js';
import { parseDuration } from './duration.js';

/** A closed range of whole numbers. */
export interface CountRange {
  /** @default 0 */
  readonly min?: number;
  /** @default Number.MAX_SAFE_INTEGER */
  readonly max?: number;
}

/** The ranges of the whole-number fields, shared by the CLI and the action. */
export const COUNT_RANGES = {
  /** `--concurrency`: most executions unfinished at once. */
  concurrency: { min: 1, max: 10_000 },
  /** `--max-failures`: most failed cases the gate allows. */
  maxFailures: { min: 0 },
  /** `--min-cases`: fewest cases a run must have. */
  minCases: { min: 0 },
  /** `--repeat`: runs of each case. */
  repeat: { min: 1, max: 100 },
  /** `--min-pass`: repeats of a case that must pass (at most `--repeat`, checked by the caller). */
  minPass: { min: 1, max: 100 },
  /** `--max-new-failures`: most regressions against the baseline. */
  maxNewFailures: { min: 0 },
  /** `--webhook-port`: 0 picks a free port. */
  port: { min: 0, max: 65_535 },
} as const satisfies Record<string, CountRange>;

/**
 * The longest deadline `--timeout` and `--execution-timeout` accept: 24 days (2,073,600,000 ms), just under the
 * 2^31-1 ms a Node timer can hold (a longer timer fires at once). A longer value is refused rather than clamped, so
 * that what the flag says is what the run does; leave the flag out for no deadline.
 */
export const MAX_TIMEOUT_MS = 24 * 24 * 3_600_000;

/** Longest external-id prefix: the case id follows it in the external id. */
export const MAX_EXTERNAL_ID_PREFIX_LENGTH = 100;
/** Longest release tag accepted. */
export const MAX_RELEASE_TAG_LENGTH = 256;

const DIGITS = /^\d+$/;
const PREFIX = /^[A-Za-z0-9_.:-]+$/;
// C0 and C1 control characters, including line breaks and tabs.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Parses a whole number written in decimal digits, within `range`.
 *
 * @param value - The raw text, e.g. `"32"` (surrounding whitespace is ignored).
 * @param name - The field, named first in the error, e.g. `--max-failures`.
 * @param range - Allowed values, inclusive. @default `{ min: 0, max: Number.MAX_SAFE_INTEGER }`
 * @throws {@link ConfigError} for anything but decimal digits (`0x20`, `1e2`, `32.0`, `-1`, `''`) or a number
 * outside the range.
 */
export function parseCount(value: string, name: string, range: CountRange = {}): number {
  const min = range.min ?? 0;
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  const text = value.trim();
  const span = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `from ${min} to ${max}`;
  if (!DIGITS.test(text)) {
    throw new ConfigError(
      `${name}: ${JSON.stringify(value)} is not a whole number: write it in decimal digits, ${span}`,
    );
  }
  const count = Number(text);
  if (!Number.isSafeInteger(count) || count < min || count > max) {
    throw new ConfigError(`${name}: ${JSON.stringify(value)} is out of range: use a whole number ${span}`);
  }
  return count;
}

/**
 * Checks that a repeat count and a min-pass go together, each already read within {@link COUNT_RANGES}
 * (`--repeat N --min-pass K`, the inputs `repeat` and `min-pass`, the engine's `repeat` option): K needs N and is at
 * most N; K defaults to N (every repeat must pass).
 *
 * @param count - Runs of each case, or undefined when not given.
 * @param minPass - Repeats that must pass, or undefined when not given.
 * @param names - How the two fields are named in errors, e.g. `{ repeat: '--repeat', minPass: '--min-pass' }`.
 * @returns `{ count, minPass }`, or undefined when neither is given.
 * @throws {@link ConfigError} naming the min-pass field when it is given without a count, or is above it.
 */
export function checkRepeat(
  count: number | undefined,
  minPass: number | undefined,
  names: { readonly repeat: string; readonly minPass: string },
): { count: number; minPass: number } | undefined {
  if (count === undefined) {
    if (minPass === undefined) return undefined;
    throw new ConfigError(
      `${names.minPass}: goes with ${names.repeat} (it says how many of the repeats of each case must pass)`,
    );
  }
  if (minPass !== undefined && minPass > count) {
    throw new ConfigError(
      `${names.minPass}: ${minPass} is more than ${names.repeat} (${count}): a case cannot pass more repeats than it runs`,
    );
  }
  return { count, minPass: minPass ?? count };
}

/**
 * Parses a concurrency: a whole number from 1 to 10,000.
 *
 * @throws {@link ConfigError} naming `name`.
 */
export function parseConcurrency(value: string, name: string): number {
  return parseCount(value, name, COUNT_RANGES.concurrency);
}

/** The largest size {@link parseByteSize} accepts: 1 GiB (an answer is held in memory whole). */
export const MAX_BYTE_SIZE = 1024 ** 3;

const BYTE_SIZE = /^(\d+)\s*(B|KiB|MiB|GiB)?$/i;
const BYTE_UNITS: Readonly<Record<string, number>> = { b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/**
 * Parses a size in bytes: `4194304`, `512KiB`, `16MiB`, `1GiB` (binary units, any case); from 1 byte to
 * {@link MAX_BYTE_SIZE}.
 *
 * @returns The size in bytes.
 * @throws {@link ConfigError} naming `name` for anything else (`16MB`, `1.5MiB`, `0`, `2GiB`).
 */
export function parseByteSize(value: string, name: string): number {
  const match = BYTE_SIZE.exec(value.trim());
  if (match === null) {
    throw new ConfigError(
      `${name}: ${JSON.stringify(value)} is not a size: write whole bytes, or KiB, MiB or GiB (e.g. 16MiB)`,
    );
  }
  const bytes = Number(match[1]) * BYTE_UNITS[(match[2] ?? 'b').toLowerCase()]!;
  if (!Number.isSafeInteger(bytes) || bytes < 1 || bytes > MAX_BYTE_SIZE) {
    throw new ConfigError(`${name}: ${JSON.stringify(value)} is out of range: use 1 byte to 1GiB`);
  }
  return bytes;
}

/**
 * Parses a deadline: `500ms`, `90s`, `30m`, `2h`, `1h30m`, `1.5h`, or a bare number of seconds; longer than 0 and
 * at most {@link MAX_TIMEOUT_MS} (24 days).
 *
 * @returns The deadline in milliseconds.
 * @throws {@link ConfigError} naming `name`, also for `600h` (longer than 24 days: leave the flag out instead).
 */
export function parseTimeout(value: string, name: string): number {
  const ms = parseDuration(value, name);
  if (ms > MAX_TIMEOUT_MS) {
    throw new ConfigError(
      `${name}: ${JSON.stringify(value)} is longer than 24 days (576h), the longest deadline this tool keeps; ` +
        'use a shorter one, or leave it out for no deadline',
    );
  }
  return ms;
}

/**
 * Parses a shard `I/N` (1-based, `1 <= I <= N`), e.g. `2/4`; each side decimal digits.
 *
 * @throws {@link ConfigError} naming `name`.
 */
export function parseShard(value: string, name: string): { index: number; count: number } {
  const match = /^(\d+)\s*\/\s*(\d+)$/.exec(value.trim());
  const index = Number(match?.[1]);
  const count = Number(match?.[2]);
  if (!match || !Number.isSafeInteger(count) || count < 1 || index < 1 || index > count) {
    throw new ConfigError(
      `${name}: ${JSON.stringify(value)} is not a shard: use I/N with 1 <= I <= N, e.g. 2/4`,
    );
  }
  return { index, count };
}

/**
 * Parses an external-id prefix: 1 to {@link MAX_EXTERNAL_ID_PREFIX_LENGTH} (100) characters from letters, digits
 * and `_ . : -` (characters that are safe in any URL, log line or filter expression).
 *
 * @throws {@link ConfigError} naming `name`.
 */
export function parseExternalIdPrefix(value: string, name: string): string {
  const text = value.trim();
  if (text.length > MAX_EXTERNAL_ID_PREFIX_LENGTH || !PREFIX.test(text)) {
    throw new ConfigError(
      `${name}: ${JSON.stringify(value)} is not a prefix: use 1-${MAX_EXTERNAL_ID_PREFIX_LENGTH} letters, digits, and _ . : -`,
    );
  }
  return text;
}

/**
 * Parses a release tag, e.g. `LATEST` or `v1.2`. Vellum's contract does not restrict the characters of a tag, so
 * only what cannot be one is refused: an empty tag, a control character or line break, more than
 * {@link MAX_RELEASE_TAG_LENGTH} characters.
 *
 * @throws {@link ConfigError} naming `name`.
 */
export function parseReleaseTag(value: string, name: string): string {
  const text = value.trim();
  if (text === '' || text.length > MAX_RELEASE_TAG_LENGTH || CONTROL.test(text)) {
    throw new ConfigError(
      `${name}: ${JSON.stringify(value)} is not a release tag: use 1-${MAX_RELEASE_TAG_LENGTH} characters without line breaks, e.g. LATEST`,
    );
  }
  return text;
}

/**
 * Parses an `http:` or `https:` URL. A URL with a user name or password is refused: URLs are printed in logs and
 * reports, so credentials go in environment variables.
 *
 * @returns The URL as written (trimmed).
 * @throws {@link ConfigError} naming `name`.
 */
export function parseHttpUrl(value: string, name: string): string {
  const text = value.trim();
  const refused = new ConfigError(
    `${name}: ${JSON.stringify(value)} is not an http(s) URL, e.g. https://predict.vellum.ai`,
  );
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw refused;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refused;
  if (url.username !== '' || url.password !== '') {
    throw new ConfigError(
      `${name}: the URL carries a user name or password; remove it (the API key goes in an environment variable)`,
    );
  }
  return text;
}
