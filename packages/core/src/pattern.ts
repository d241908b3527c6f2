/**
 * The regular expressions of `matches` assertions, run by RE2 (the `re2js` port): matching takes time linear in
 * the output's length whatever the pattern, so a dataset cannot freeze a run (`^(A+)+$` on a long output is
 * answered at once). The price is RE2's dialect: no backreferences (`\1`, `\k<name>`) and no lookaround
 * (`(?=`, `(?!`, `(?<=`, `(?<!`); such a pattern is refused when the dataset is loaded.
 *
 * Accepted, as in JavaScript: `\d \w \s \b`, classes, `{n,m}` counts (up to 1000), lazy quantifiers, named
 * groups `(?<name>...)`, `\uXXXX`, `\u{...}`, `\xXX`, `\cX`, Unicode classes `\p{L}`. Flags: written as a
 * literal, `/pattern/flags`, with `i` (ignore case), `m` (`^`/`$` at line ends), `s` (`.` matches newlines);
 * `g`, `y`, `u` and `d` are accepted and change nothing (a test is always a fresh, Unicode-aware search).
 * RE2's inline flags work too: `(?i)`, `(?m)`, `(?s)`, `(?U)` (ungreedy), also scoped as `(?i:...)`.
 * Differences from JavaScript: `\s` is ASCII whitespace only, and `.` matches `\r`.
 */
import { RE2JS } from 're2js';

/** A compiled `matches` pattern. */
export interface Pattern {
  /** The pattern as written in the dataset. */
  readonly source: string;
  /** Whether the pattern matches anywhere in `text` (linear time). */
  test(text: string): boolean;
}

const FLAG_BITS: Readonly<Record<string, number>> = {
  i: RE2JS.CASE_INSENSITIVE,
  m: RE2JS.MULTILINE,
  s: RE2JS.DOTALL,
  g: 0,
  y: 0,
  u: 0,
  d: 0,
};

/** Compiled patterns by source: a dataset repeats its patterns across cases. */
const cache = new Map<string, Pattern>();
const CACHE_SIZE = 512;

/**
 * Compiles the value of a `matches` assertion. A plain string is the pattern itself (`"refund|return"`);
 * a string written as a literal, `/pattern/flags`, also sets flags (`"/reembolso/i"`).
 *
 * @throws SyntaxError saying why when the pattern or its flags cannot be used (a backreference, a
 * lookaround, a syntax error, an unknown flag).
 */
export function compilePattern(source: string): Pattern {
  const cached = cache.get(source);
  if (cached !== undefined) return cached;
  const literal = /^\/(.+)\/([a-z]*)$/s.exec(source);
  let body = source;
  let flags = 0;
  if (literal !== null) {
    body = literal[1] ?? '';
    for (const flag of new Set(literal[2] ?? '')) {
      const bit = FLAG_BITS[flag];
      if (bit === undefined) {
        throw new SyntaxError(`unsupported flag "${flag}" (use i, m or s)`);
      }
      flags |= bit;
    }
  }
  const unsupported = unsupportedSyntax(body);
  if (unsupported !== null) throw new SyntaxError(unsupported);
  let re: RE2JS;
  try {
    re = RE2JS.compile(RE2JS.translateRegExp(body), flags);
  } catch (error) {
    throw new SyntaxError((error as Error).message.replace(/^error parsing regexp: /, ''), { cause: error });
  }
  const pattern: Pattern = { source, test: (text) => re.test(text) };
  if (cache.size >= CACHE_SIZE) cache.clear();
  cache.set(source, pattern);
  return pattern;
}

/** Why a pattern uses syntax RE2 does not run in linear time, in words; null when it does not. */
function unsupportedSyntax(body: string): string | null {
  // Walk the pattern skipping escaped characters, so `\(?=` is a literal and not a lookahead.
  let inClass = false;
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch === '\\') {
      const next = body[i + 1] ?? '';
      if (!inClass && (/[1-9]/.test(next) || next === 'k')) {
        return `backreferences (\\${next}...) are not supported: patterns run in linear time (RE2 syntax)`;
      }
      i++;
    } else if (inClass) {
      if (ch === ']') inClass = false;
    } else if (ch === '[') {
      inClass = true;
      if (body[i + 1] === ']') i++; // `[]` is never empty in RE2: `]` first is a literal
    } else if (ch === '(' && body[i + 1] === '?') {
      const look = body.slice(i + 2, i + 4);
      if (look.startsWith('=') || look.startsWith('!') || look === '<=' || look === '<!') {
        return `lookahead and lookbehind ((?${look.startsWith('<') ? look : look[0]}...) are not supported: patterns run in linear time (RE2 syntax)`;
      }
    }
  }
  return null;
}
