import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CaseRecord, Summary } from '../types.js';
import { escapeXmlAttribute, escapeXmlText, writeJunit } from './junit.js';

function record(index: number, overrides: Partial<CaseRecord> = {}): CaseRecord {
  return {
    index,
    id: `case-${index}`,
    external_id: `vb-x-case-${index}`,
    execution_id: `exec-${index}`,
    status: 'FULFILLED',
    passed: true,
    outputs: { answer: 'ok' },
    error: null,
    assertions: [],
    attempts: 1,
    submitted_at: '2026-01-01T00:00:00.000Z',
    finished_at: '2026-01-01T00:00:01.500Z',
    latency_ms: 1500,
    execution_detail_url: `https://app.vellum.ai/executions/${index}`,
    ...overrides,
  };
}

function summary(overrides: Partial<Summary> = {}): Summary {
  return {
    total: 4,
    passed: 1,
    failed: 3,
    fulfilled: 2,
    rejected: 1,
    errored: 1,
    submit_failed: 0,
    timed_out: 1,
    cancelled: 0,
    failure_rate: 0.75,
    error_rate: 0.25,
    gate: {
      max_failure_rate: 0,
      max_failures: null,
      max_error_rate: null,
      min_cases: 1,
      passed: false,
      reasons: [],
    },
    verdict: 'fail',
    workflow: { deployment_name: 'support-assistant', deployment_id: null, release_tag: 'LATEST' },
    shard: null,
    run_id: 'run-1',
    external_id_prefix: 'vb-x',
    dataset: { path: 'cases.jsonl', cases: 4 },
    started_at: '2026-01-01T00:00:00.000Z',
    finished_at: '2026-01-01T00:01:05.000Z',
    duration_ms: 65_000,
    latency_ms: { p50: 1500, p95: 1500, max: 1500 },
    api_calls: { submit: 4, status: 8, retries: 0 },
    stopped: null,
    ...overrides,
  };
}

async function* stream(records: Iterable<CaseRecord>): AsyncIterable<CaseRecord> {
  for (const r of records) {
    await Promise.resolve();
    yield r;
  }
}

function count(xml: string, re: RegExp): number {
  return xml.match(re)?.length ?? 0;
}

describe('escapeXml', () => {
  it('escapes markup characters and drops characters XML 1.0 forbids', () => {
    expect(escapeXmlText(`a<b>&"c'\u0000\u0007\u001b\uFFFE\uD800z`)).toBe(`a&lt;b&gt;&amp;"c'z`);
    expect(escapeXmlAttribute(`say "hi" & 'bye'\n\tend`)).toBe(
      'say &quot;hi&quot; &amp; &apos;bye&apos;&#10;&#9;end',
    );
    expect(escapeXmlText('emoji 😀 kept')).toBe('emoji 😀 kept');
  });
});

describe('writeJunit', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vb-junit-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes one testcase per record with failure and error elements', async () => {
    const file = join(dir, 'junit.xml');
    const records = [
      record(0),
      record(1, {
        passed: false,
        assertions: [
          { output: 'answer', op: 'contains', expected: 'refund', actual: 'We shipped it', passed: false },
        ],
      }),
      record(2, {
        status: 'REJECTED',
        passed: false,
        error: { message: 'node failed', code: 'NODE_EXECUTION' },
      }),
      record(3, {
        status: 'TIMED_OUT',
        passed: false,
        latency_ms: null,
        execution_detail_url: null,
        error: { message: 'deadline reached', code: 'timeout' },
      }),
    ];
    await writeJunit(file, stream(records), summary());
    const xml = await readFile(file, 'utf8');
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites')).toBe(true);
    expect(xml).toContain(
      '<testsuite name="vellum-batch: support-assistant" tests="4" failures="2" errors="1" skipped="0" time="65.000" timestamp="2026-01-01T00:00:00.000Z">',
    );
    expect(count(xml, /<testcase /g)).toBe(4);
    expect(count(xml, /<\/testcase>/g)).toBe(4);
    expect(count(xml, /<failure /g)).toBe(2);
    expect(count(xml, /<error /g)).toBe(1);
    expect(xml).toContain('<testcase classname="support-assistant" name="case-0" time="1.500">');
    expect(xml).toContain(
      '<failure message="answer contains &quot;refund&quot; (actual: &quot;We shipped it&quot;)" type="FULFILLED">',
    );
    expect(xml).toContain('<failure message="node failed" type="REJECTED">');
    expect(xml).toContain('<error message="deadline reached" type="TIMED_OUT">');
    expect(xml).toContain('<system-out>execution: https://app.vellum.ai/executions/0\n');
    expect(xml.trimEnd().endsWith('</testsuite>\n</testsuites>')).toBe(true);
  });

  it('escapes case text in names, messages and bodies', async () => {
    const file = join(dir, 'junit.xml');
    const nasty = `<x a="1">&'\u0001\u001f</x>`;
    await writeJunit(
      file,
      stream([
        record(0, {
          id: nasty,
          status: 'REJECTED',
          passed: false,
          error: { message: nasty, code: 'c' },
        }),
      ]),
      summary({ workflow: { deployment_name: null, deployment_id: 'dep-<1>', release_tag: 'LATEST' } }),
    );
    const xml = await readFile(file, 'utf8');
    expect(xml.includes('\u0001') || xml.includes('\u001f')).toBe(false);
    expect(xml).not.toContain('<x');
    expect(xml).toContain('name="&lt;x a=&quot;1&quot;&gt;&amp;&apos;&lt;/x&gt;"');
    expect(xml).toContain('classname="dep-&lt;1&gt;"');
    expect(xml).toContain('error: c: &lt;x a="1"&gt;&amp;\'&lt;/x&gt;');
    // Every `<` left in the document opens a known element.
    const tags = new Set([...xml.matchAll(/<\/?([a-zA-Z?-]+)/g)].map((m) => m[1]));
    expect([...tags].sort()).toEqual([
      '?xml',
      'failure',
      'system-out',
      'testcase',
      'testsuite',
      'testsuites',
    ]);
  });

  it('streams 10,000 records to a well-formed file', async () => {
    const file = join(dir, 'junit.xml');
    async function* many(): AsyncIterable<CaseRecord> {
      for (let i = 0; i < 10_000; i++) {
        if (i % 1_000 === 0) await Promise.resolve();
        yield i % 10 === 0
          ? record(i, { passed: false, error: { message: `failure ${i} ${'x'.repeat(200)}`, code: 'x' } })
          : record(i);
      }
    }
    await writeJunit(file, many(), summary({ total: 10_000, passed: 9_000, failed: 1_000, errored: 0 }));
    const xml = await readFile(file, 'utf8');
    expect((await stat(file)).size).toBeGreaterThan(64 * 1024 * 10);
    expect(count(xml, /<testcase /g)).toBe(10_000);
    expect(count(xml, /<failure /g)).toBe(1_000);
    expect(xml).toContain('name="case-9999"');
    expect(xml).toContain('tests="10000" failures="1000" errors="0"');
  });

  it('rejects and leaves no open handle when the records fail', async () => {
    const file = join(dir, 'junit.xml');
    async function* broken(): AsyncIterable<CaseRecord> {
      yield record(0);
      await Promise.resolve();
      throw new Error('results.jsonl:2: not a valid record');
    }
    await expect(writeJunit(file, broken(), summary())).rejects.toThrow(
      'results.jsonl:2: not a valid record',
    );
  });

  it('rejects when the file cannot be written', async () => {
    await expect(
      writeJunit(join(dir, 'missing', 'junit.xml'), stream([record(0)]), summary()),
    ).rejects.toThrow(/ENOENT/);
  });
});
