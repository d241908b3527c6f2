/**
 * The config file of `vellum-batch run`: `vellum-batch.config.json` in the working directory, or the file named by
 * `--config`. It holds any `run` flag under the flag's name without the dashes (`"max-failure-rate": "5%"`);
 * flags on the command line win. Secrets never go in it: the API key and webhook secrets are read from environment
 * variables only, and a key that looks like one is refused.
 *
 * This module reads and checks the file's shape (known keys, value types); the values themselves are checked by the
 * same parsers as the flags, with errors naming the file and the key.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ConfigError } from '@vellum-batch/core';

/** The config file read from the working directory when `--config` is not given. */
export const CONFIG_FILE = 'vellum-batch.config.json';

/** A `run` flag as the config file knows it. */
export interface ConfigFlag {
  /** Commander's attribute name, e.g. `maxFailureRate`. */
  readonly key: string;
  /** The flag without its dashes, the key in the file, e.g. `max-failure-rate`. */
  readonly name: string;
  /** A switch (`--resume`): its value in the file is `true` or `false`. */
  readonly boolean: boolean;
}

/** Flags whose value is a path: in the file, relative to the file's directory. */
const PATH_FLAGS: ReadonlySet<string> = new Set(['dataset', 'out']);

/** A config file, read and checked. */
export interface LoadedConfig {
  /** The file as named to the user (`vellum-batch.config.json`, or the `--config` value). */
  readonly file: string;
  /** Values by commander attribute name: strings (numbers written as text), or booleans for switches. */
  readonly values: Readonly<Record<string, string | boolean>>;
}

/**
 * Reads the config file: `explicit` when given (it must exist), else {@link CONFIG_FILE} in `cwd` when present.
 *
 * @returns The values, or `null` when no file was named and none is present.
 * @throws {@link ConfigError} naming the file (and the key) for an unreadable file, bad JSON, an unknown key, a
 * secret, or a value of the wrong type; every problem is listed.
 */
export async function loadConfig(options: {
  readonly explicit: string | undefined;
  readonly cwd: string;
  readonly flags: readonly ConfigFlag[];
}): Promise<LoadedConfig | null> {
  const file = options.explicit ?? CONFIG_FILE;
  const path = resolve(options.cwd, file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (options.explicit === undefined && code === 'ENOENT') return null;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (error as Error).message;
    throw new ConfigError(`--config ${file}: cannot read the config file (${why})`);
  }
  return { file, values: parseConfig(text, file, options.flags, dirname(path)) };
}

/**
 * Checks a config file's text (pure: {@link loadConfig} without the read).
 *
 * @param dir - The file's directory: relative paths (`dataset`, `out`) are resolved from it.
 */
export function parseConfig(
  text: string,
  file: string,
  flags: readonly ConfigFlag[],
  dir: string,
): Record<string, string | boolean> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${file}: not valid JSON (${(error as Error).message})`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new ConfigError(
      `${file}: must be a JSON object of run flags without their dashes, e.g. {"workflow": "demo", "concurrency": 16}`,
    );
  }
  const byName = new Map(flags.map((flag) => [flag.name, flag]));
  const values: Record<string, string | boolean> = {};
  const problems: string[] = [];
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    if (name === '$schema') continue;
    const where = `${file}: "${name}"`;
    if (looksSecret(name)) {
      problems.push(
        `${where}: secrets never go in the config file; set the API key in the environment variable VELLUM_API_KEY ` +
          '(or name another one with "api-key-env"), and webhook secrets in the variables their "-env" flags name',
      );
      continue;
    }
    const flag = byName.get(name);
    if (flag === undefined) {
      problems.push(`${where}: unknown key; ${hint(name, byName)}`);
      continue;
    }
    if (flag.boolean) {
      if (typeof value === 'boolean') values[flag.key] = value;
      else problems.push(`${where}: must be true or false (got ${JSON.stringify(value)})`);
      continue;
    }
    if (typeof value === 'number' && Number.isFinite(value)) {
      values[flag.key] = String(value);
    } else if (typeof value === 'string') {
      values[flag.key] =
        PATH_FLAGS.has(name) && value.trim() !== '' && value !== '-' && !isAbsolute(value)
          ? resolve(dir, value)
          : value;
    } else {
      problems.push(`${where}: must be a string or a number (got ${JSON.stringify(value)})`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems.join('\n'));
  return values;
}

/** `api-key`, `apiKey`, `webhook-secret`, `token`, ... but not `api-key-env` (the name of a variable). */
function looksSecret(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase()
    .split(/[-_\s]+/);
  if (words.at(-1) === 'env') return false;
  return words.some((word) => ['key', 'apikey', 'secret', 'token', 'password'].includes(word));
}

function hint(name: string, byName: ReadonlyMap<string, ConfigFlag>): string {
  const kebab = name
    .replace(/^-+/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/_/g, '-')
    .toLowerCase();
  if (kebab !== name && byName.has(kebab)) return `write it as "${kebab}"`;
  return 'the keys are the flags of vellum-batch run without their dashes, e.g. "max-failure-rate"';
}
