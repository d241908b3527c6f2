/**
 * The bad-input suite: every kind of mistake a user makes exits 2 with a message naming the problem, and the
 * server (an in-process fake the CLI processes talk to) sees no submit at all.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeVellum } from '@vellum-batch/testkit';
import type { FakeVellum } from '@vellum-batch/testkit';
import { runCli } from './helpers.js';

let dir: string;
let fake: FakeVellum;
const KEY = 'usage-key-1234';

const deep = (levels: number): string => `${'['.repeat(levels)}1${']'.repeat(levels)}`;
const ESC = '\u001b';

const FILES: Record<string, string | Buffer> = {
  'good.jsonl': `${JSON.stringify({ id: 'a', inputs: { q: 'x' } })}\n`,
  'malformed.jsonl': '{"id": "a", "inputs": {"q": "x"}}\n{"id": "b", "inputs": \n',
  'types.jsonl': `${JSON.stringify({ id: 'a', inputs: 'not an object', expected: [1], assert: { op: 'equals' } })}\n`,
  'dupes.jsonl': `${JSON.stringify({ id: 'same', inputs: { q: 'x' } })}\n${JSON.stringify({ id: 'same', inputs: { q: 'y' } })}\n`,
  'empty.jsonl': '',
  'ragged.csv': 'id,query\na,hello\nb,hello,extra\n',
  'cases.txt': 'id,query\n',
  // Hostile datasets (issue 16).
  'deep.jsonl': `{"id": "a", "inputs": {"q": "x"}, "expected": {"answer": ${deep(10_000)}}}\n`,
  'deep.json': `[\n  {"inputs": {"q": ${deep(10_000)}}}\n]\n`,
  'proto.jsonl': '{"__proto__": {"inputs": {}}, "inputs": {"q": "x"}}\n',
  'utf8.jsonl': Buffer.concat([
    Buffer.from('{"id": "a", "inputs": {"q": "x"}}\n{"id": "b", "inputs": {"q": "'),
    Buffer.from([0xc3, 0x28]),
    Buffer.from('"}}\n'),
  ]),
  'infinite.jsonl': '{"id": "a", "inputs": {"q": "x"}, "expected": {"score": 1e999}}\n',
  'ansi.jsonl': `{"id": "a", "inputs": {"q": "x"}}\n${ESC}[2J${ESC}]0;owned${ESC}\\ not json\n`,
  'backref.jsonl': `${JSON.stringify({ inputs: { q: 'x' }, assert: [{ output: 'a', op: 'matches', value: '(a+)\\1' }] })}\n`,
  'bad-value.config.json': JSON.stringify({ 'max-failures': -1 }),
  'key.config.json': JSON.stringify({ 'api-key': KEY }),
};

interface Case {
  readonly name: string;
  readonly args: (d: (file: string) => string) => string[];
  readonly env?: NodeJS.ProcessEnv;
  /** Standard input of the CLI. */
  readonly input?: string;
  readonly message: RegExp;
  /** What stderr must not contain. */
  readonly absent?: string;
}

const run = (d: (file: string) => string, file = 'good.jsonl'): string[] => [
  'run',
  '--dataset',
  d(file),
  '--workflow',
  'demo',
  '--base-url',
  fake.url,
];

const CASES: Case[] = [
  {
    name: 'malformed JSON line',
    args: (d) => run(d, 'malformed.jsonl'),
    message: /malformed\.jsonl:2: .*JSON/,
  },
  { name: 'wrong types', args: (d) => run(d, 'types.jsonl'), message: /types\.jsonl:1: inputs: / },
  {
    name: 'duplicate ids',
    args: (d) => run(d, 'dupes.jsonl'),
    message: /dupes\.jsonl:2: id: duplicate id "same" \(first used on line 1\)/,
  },
  { name: 'empty file', args: (d) => run(d, 'empty.jsonl'), message: /empty\.jsonl: .*no cases/ },
  {
    name: 'missing file',
    args: (d) => run(d, 'nope.jsonl'),
    message: /nope\.jsonl: .*(not found|does not exist|no such)/i,
  },
  { name: 'ragged CSV row', args: (d) => run(d, 'ragged.csv'), message: /ragged\.csv:3: / },
  {
    name: 'unknown extension',
    args: (d) => run(d, 'cases.txt'),
    message: /cases\.txt: has the unsupported extension "\.txt"/,
  },
  {
    name: '10,000-level nesting in expected (JSONL)',
    args: (d) => run(d, 'deep.jsonl'),
    message: /deep\.jsonl:1: expected\.answer\[0\]\[0\]\.\.\.: nests lists and objects deeper than 64 levels/,
    absent: 'Maximum call stack',
  },
  {
    name: '10,000-level nesting in inputs (JSON array)',
    args: (d) => run(d, 'deep.json'),
    message: /deep\.json:2: inputs\.q\[0\]\[0\]\.\.\.: nests lists and objects deeper than 64 levels/,
    absent: 'Maximum call stack',
  },
  {
    name: '__proto__ key is a key, not dropped',
    args: (d) => run(d, 'proto.jsonl'),
    message: /proto\.jsonl:1: __proto__: unknown key/,
  },
  {
    name: 'invalid UTF-8',
    args: (d) => run(d, 'utf8.jsonl'),
    message: /utf8\.jsonl:2: is not valid UTF-8 text/,
  },
  {
    name: '1e999 in expected',
    args: (d) => run(d, 'infinite.jsonl'),
    message: /infinite\.jsonl:1: expected\.score: must be a finite number \(got Infinity/,
  },
  {
    name: 'control bytes of a bad line are escaped',
    args: (d) => run(d, 'ansi.jsonl'),
    message: /ansi\.jsonl:2: is not valid JSON: .*\\(x1b|u001b)\[2J/,
    absent: ESC,
  },
  {
    name: 'a backreference in matches',
    args: (d) => run(d, 'backref.jsonl'),
    message:
      /backref\.jsonl:1: assert\[0\]\.value: is not a supported regular expression: backreferences \(\\1\.\.\.\) are not supported/,
  },
  {
    name: 'unknown flag',
    args: (d) => [...run(d), '--concurency', '3'],
    message: /unknown option '--concurency'/,
  },
  {
    name: 'bad duration',
    args: (d) => [...run(d), '--execution-timeout', 'soon'],
    message: /--execution-timeout: "soon" is not a duration/,
  },
  {
    name: 'shard 0/3',
    args: (d) => [...run(d), '--shard', '0/3'],
    message: /--shard: "0\/3" is not a shard/,
  },
  {
    name: 'shard 4/3',
    args: (d) => [...run(d), '--shard', '4/3'],
    message: /--shard: "4\/3" is not a shard/,
  },
  {
    name: 'missing key',
    args: (d) => run(d),
    env: {},
    message: /no API key: set the environment variable VELLUM_API_KEY/,
  },
  {
    name: 'two workflows',
    args: (d) => [...run(d), '--deployment-id', 'abc'],
    message: /exactly one of --workflow NAME or --deployment-id ID/,
  },
  {
    name: '--resume with --retry-failed',
    args: (d) => [...run(d), '--resume', '--retry-failed'],
    message: /--resume and --retry-failed do not go together/,
  },
  {
    name: 'concurrency 0',
    args: (d) => [...run(d), '--concurrency', '0'],
    message: /--concurrency: "0" is out of range: use a whole number from 1 to 10000/,
  },
  {
    name: 'bad base URL',
    args: (d) => [...run(d).slice(0, -2), '--base-url', 'ftp://x'],
    message: /--base-url: "ftp:\/\/x" is not an http\(s\) URL/,
  },
  {
    name: 'bad rate',
    args: (d) => [...run(d), '--max-failure-rate', '150%'],
    message: /--max-failure-rate: "150%" is out of range/,
  },
  {
    name: 'hexadecimal concurrency',
    args: (d) => [...run(d), '--concurrency', '0x20'],
    message: /--concurrency: "0x20" is not a whole number: write it in decimal digits/,
  },
  {
    name: 'a deadline a timer cannot hold',
    args: (d) => [...run(d), '--timeout', '600h'],
    message: /--timeout: "600h" is longer than 24 days/,
  },
  {
    name: 'bad value in the config file',
    args: (d) => [...run(d), '--config', d('bad-value.config.json')],
    message: /bad-value\.config\.json: "max-failures": "-1" is not a whole number/,
  },
  {
    name: 'API key in the config file',
    args: (d) => [...run(d), '--config', d('key.config.json')],
    message:
      /key\.config\.json: "api-key": secrets never go in the config file; set the API key in the environment variable VELLUM_API_KEY/,
  },
  {
    name: 'an out dir on a special file system (/proc): one sentence, no spin',
    args: (d) => [...run(d), '--out', '/proc/vellum-batch-out'],
    message:
      /^vellum-batch: cannot write to the out dir \/proc\/vellum-batch-out: .*; nothing was submitted\n$/,
  },
  {
    name: 'an out dir that is a file',
    args: (d) => [...run(d), '--out', d('good.jsonl')],
    message: /^vellum-batch: the out dir .*good\.jsonl is a file, not a directory; nothing was submitted\n$/,
  },
  {
    name: 'an out dir under a file',
    args: (d) => [...run(d), '--out', join(d('good.jsonl'), 'sub')],
    message: /a part of the path is a file \(ENOTDIR\); nothing was submitted\n$/,
  },
  {
    name: 'bad line on standard input',
    args: (d) => [...run(d).slice(0, 1), '--dataset', '-', ...run(d).slice(3)],
    input: `${JSON.stringify({ id: 'a', inputs: { q: 'x' } })}\n{"id": "b", "inputs": \n`,
    message: /<stdin>: 1 problem found, nothing was submitted:\n {2}<stdin>:2: /,
  },
  {
    name: 'retry-failed without a journal',
    args: (d) => [...run(d), '--retry-failed', '--out', d('none')],
    message: /retry-failed: there is no journal/,
  },
];

describe('bad input exits 2 and submits nothing', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vb-usage-'));
    for (const [name, text] of Object.entries(FILES)) await writeFile(join(dir, name), text);
    fake = await startFakeVellum({ apiKey: KEY, deployments: ['demo'] });
  });
  afterAll(async () => {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  it.each(CASES)('$name', async ({ args, env, input, message, absent }) => {
    const result = await runCli(
      args((file) => join(dir, file)),
      { env: env ?? { VELLUM_API_KEY: KEY }, cwd: dir, ...(input === undefined ? {} : { input }) },
    );
    expect(result.stderr).toMatch(message);
    if (absent !== undefined) expect(result.stderr).not.toContain(absent);
    expect(result.code).toBe(2);
    expect(result.stdout + result.stderr).not.toContain(KEY);
    expect(fake.stats.requests.submit).toBe(0);
  });
});
