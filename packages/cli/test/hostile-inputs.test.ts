/**
 * Hostile datasets and keys through the real CLI process (issue 16): 10,000-level nesting, invalid UTF-8, `1e999` and
 * control bytes are refused with file:line:field before anything is submitted, escaped on the terminal; an `expected`
 * key `__proto__` is checked as data; a malformed key is a configuration error (exit 2), never a failed case.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeVellum } from '@vellum-batch/testkit';
import { readRows, runArgs, runHostileCli, startFake } from './hostile-support.js';

let dir: string;
let fake: FakeVellum;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vb-hostile-inputs-'));
  fake = await startFake();
});
afterEach(async () => {
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});

// Control characters other than newlines and tabs.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e]/;

describe('a hostile dataset', () => {
  it('is refused whole with exit 2, one line per problem with file:line:field, escaped, and nothing submitted', async () => {
    const esc = '\u001b]0;pwned\u0007\u001b[2J';
    const deep = `${'['.repeat(10_000)}1${']'.repeat(10_000)}`;
    const lines = [
      Buffer.from('{"id": "ok", "inputs": {"q": "fine"}}\n'),
      Buffer.from(`{"id": "deep", "inputs": {"q": ${deep}}}\n`),
      Buffer.concat([
        Buffer.from('{"id": "utf8", "inputs": {"q": "caf'),
        Buffer.from([0xc3, 0x28]),
        Buffer.from('"}}\n'),
      ]),
      Buffer.from('{"id": "huge", "inputs": {"q": "x"}, "expected": {"score": 1e999}}\n'),
      Buffer.from(`${esc} not json\n`),
    ];
    const dataset = join(dir, 'hostile.jsonl');
    await writeFile(dataset, Buffer.concat(lines));
    const result = await runHostileCli(runArgs(fake, dataset, join(dir, 'out')));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('hostile.jsonl: 4 problems found, nothing was submitted:');
    for (const line of [
      'hostile.jsonl:2: inputs.q[0][0]...: nests lists and objects deeper than 64 levels (the limit for a case)\n',
      'hostile.jsonl:3: is not valid UTF-8 text (save the file as UTF-8)\n',
      'hostile.jsonl:4: expected.score: must be a finite number (got Infinity: too large for JSON)\n',
    ]) {
      expect(result.stderr).toContain(line);
    }
    // V8 words the JSON error; the bytes of the line are escaped whatever the wording.
    expect(result.stderr).toMatch(/hostile\.jsonl:5: is not valid JSON: .*\\x1b\]0;pwned\\x07/);
    expect(result.stderr).not.toMatch(RAW_CONTROL);
    expect(result.stderr).not.toContain('Maximum call stack');
    expect(fake.stats.requests.submit).toBe(0);
  });

  it('checks an expected __proto__ as an output like any other: missing, the case fails with it named', async () => {
    const dataset = join(dir, 'proto.jsonl');
    // Written as text: an object literal would take __proto__ as the prototype, not as a key.
    await writeFile(
      dataset,
      '{"id": "p", "inputs": {"q": "x"}, "expected": {"__proto__": "polluted", "q": "x"}}\n',
    );
    const result = await runHostileCli(runArgs(fake, dataset, join(dir, 'out')));
    expect(result.code, result.stderr).toBe(1);
    const [row] = await readRows(join(dir, 'out'));
    expect(row!.status).toBe('FULFILLED');
    expect(row!.passed).toBe(false);
    expect(row!.assertions.map((a) => [(a as { output?: string }).output, a.passed])).toEqual([
      ['__proto__', false],
      ['q', true],
    ]);
  });
});

describe('a malformed API key', () => {
  it.each([
    [
      'a newline inside',
      'hostile\nkey',
      'The Vellum API key contains a control character (such as a newline) at position 8: copy the key again.',
    ],
    [
      'a non-ASCII character',
      'hostilé-key',
      'The Vellum API key contains a non-ASCII character at position 7: copy the key again.',
    ],
  ])(
    'with %s is a configuration error: exit 2, the problem named, the key never shown, nothing sent',
    async (_what, key, message) => {
      const dataset = join(dir, 'one.jsonl');
      await writeFile(dataset, '{"id": "a", "inputs": {"q": "x"}}\n');
      const result = await runHostileCli(runArgs(fake, dataset, join(dir, 'out')), {
        env: { VELLUM_API_KEY: key },
      });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(message);
      expect(result.stderr + result.stdout).not.toContain('hostil');
      expect(fake.stats.requests).toMatchObject({ submit: 0, deployments: 0 });
    },
  );
});
