/**
 * `junit.xml`: one `testcase` per case (SPEC section 4), streamed to disk with backpressure.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { isFlaky } from '../engine/repeats.js';
import type { CaseRecord, Summary } from '../types.js';
import { ERRORED_STATUSES, describeAssertion, failureReason, truncate, workflowLabel } from './format.js';

/** Longest `message` attribute written for one case. */
const MAX_MESSAGE = 1_000;
/** Longest body text of a `failure` or `error` element. */
const MAX_BODY = 8_000;
/** Bytes gathered before one write to the file. */
const CHUNK = 64 * 1024;

// Characters XML 1.0 forbids (controls other than tab, LF, CR; lone surrogates; U+FFFE, U+FFFF).
const FORBIDDEN = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
// Text that needs no change: printable ASCII other than the markup characters (most ids, links and codes).
const PLAIN_TEXT = /^[\t\n\r\u0020-\u0025\u0027-\u003b\u003d\u003f-\u007e]*$/;
const PLAIN_ATTRIBUTE = /^[\u0020\u0021\u0023-\u0025\u0028-\u003b\u003d\u003f-\u007e]*$/;

/** Escapes text for an XML 1.0 element body, dropping characters XML 1.0 cannot carry. */
export function escapeXmlText(text: string): string {
  if (PLAIN_TEXT.test(text)) return text;
  return text.replace(FORBIDDEN, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Escapes text for a double- or single-quoted XML 1.0 attribute, keeping tabs and line breaks as references. */
export function escapeXmlAttribute(text: string): string {
  if (PLAIN_ATTRIBUTE.test(text)) return text;
  return escapeXmlText(text)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}

/**
 * Writes `junit.xml`: a `testsuites` root with one `testsuite` (`name="vellum-batch: <deployment>"`)
 * holding one `testcase` per record, in the order given. A case that did not pass gets a `failure`
 * (type = its status, message = the error or the failed assertions), or an `error` instead when it
 * ended on our side (SUBMIT_FAILED, TIMED_OUT, CANCELLED); `system-out` carries the execution link.
 * A regression against a baseline (it passed there) has its message prefixed `REGRESSION: ` and a property
 * `regression` = `true`; every case compared with a baseline carries `baseline.status` and `baseline.passed`.
 * A case run with `--repeat` carries `repeats.count` and `repeats.passed`, plus `flaky` = `true` when its repeats
 * disagreed, and its `system-out` has a line per repeat.
 * Suite counts come from `summary`. The file is written as the records arrive, never held whole.
 *
 * @param file - The file to write (replaced if it exists).
 * @param records - The records, e.g. {@link readRecords} of `results.jsonl`.
 * @param summary - The run's summary, for the suite's counts, time and timestamp.
 */
export async function writeJunit(
  file: string,
  records: AsyncIterable<CaseRecord>,
  summary: Summary,
): Promise<void> {
  const stream = createWriteStream(file, { encoding: 'utf8' });
  // Errors surface through `stream.errored` and `finished()`; the listener keeps them from going uncaught.
  stream.on('error', () => undefined);
  let buffer = '';
  const flush = async (): Promise<void> => {
    if (stream.errored) throw stream.errored;
    if (buffer === '') return;
    const chunk = buffer;
    buffer = '';
    if (!stream.write(chunk)) await once(stream, 'drain');
  };
  const emit = async (text: string): Promise<void> => {
    buffer += text;
    if (buffer.length >= CHUNK) await flush();
  };

  try {
    await emit(junitHead(summary));
    const classname = junitClassname(summary.workflow);
    for await (const record of records) {
      await emit(junitCase(record, classname));
    }
    await emit(JUNIT_TAIL);
    await flush();
    stream.end();
    await finished(stream);
  } catch (error) {
    stream.destroy();
    throw error;
  }
}

/** The `classname` attribute of every `testcase` of a run of `workflow` (escaped). */
export function junitClassname(workflow: Summary['workflow']): string {
  return escapeXmlAttribute(workflowLabel({ workflow }));
}

/** Everything before the first `testcase`: the declaration, and the suites with the counts of `summary`. */
export function junitHead(summary: Summary): string {
  const suite = escapeXmlAttribute(`vellum-batch: ${workflowLabel(summary)}`);
  const failures = Math.max(0, summary.failed - summary.errored);
  const counts = `tests="${summary.total}" failures="${failures}" errors="${summary.errored}"`;
  const time = seconds(summary.duration_ms);
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<testsuites name="vellum-batch" ${counts} time="${time}">\n` +
    `  <testsuite name="${suite}" ${counts} skipped="0" time="${time}" timestamp="${escapeXmlAttribute(summary.started_at)}">\n`
  );
}

/** Everything after the last `testcase`. */
export const JUNIT_TAIL = `  </testsuite>\n</testsuites>\n`;

/** One `testcase` element (with its line break); `classname` from {@link junitClassname}. */
export function junitCase(record: CaseRecord, classname: string): string {
  const time = record.latency_ms === null ? '0' : seconds(record.latency_ms);
  let xml = `    <testcase classname="${classname}" name="${escapeXmlAttribute(record.id)}" time="${time}">\n`;
  const baseline = record.baseline ?? null;
  const regression = baseline !== null && baseline.passed && !record.passed;
  const properties: string[] = [];
  if (baseline !== null) {
    if (regression) properties.push(`<property name="regression" value="true"/>`);
    properties.push(`<property name="baseline.status" value="${baseline.status}"/>`);
    properties.push(`<property name="baseline.passed" value="${String(baseline.passed)}"/>`);
  }
  properties.push(...repeatProperties(record));
  if (properties.length > 0) {
    xml += `      <properties>\n${properties.map((p) => `        ${p}\n`).join('')}      </properties>\n`;
  }
  if (!record.passed) {
    const element = ERRORED_STATUSES.has(record.status) ? 'error' : 'failure';
    const reason = `${regression ? 'REGRESSION: ' : ''}${failureReason(record)}`;
    const message = escapeXmlAttribute(truncate(reason, MAX_MESSAGE));
    const body = escapeXmlText(truncate(failureBody(record), MAX_BODY));
    xml += `      <${element} message="${message}" type="${record.status}">${body}</${element}>\n`;
  }
  const out = systemOut(record);
  if (out !== '') xml += `      <system-out>${escapeXmlText(out)}</system-out>\n`;
  return `${xml}    </testcase>\n`;
}

function repeatProperties(record: CaseRecord): string[] {
  const repeats = record.repeats;
  if (repeats === undefined) return [];
  const passed = repeats.filter((r) => r.passed).length;
  return [
    ...(isFlaky(repeats) ? [`<property name="flaky" value="true"/>`] : []),
    `<property name="repeats.count" value="${repeats.length}"/>`,
    `<property name="repeats.passed" value="${passed}"/>`,
  ];
}

function failureBody(record: CaseRecord): string {
  const lines: string[] = [`status: ${record.status}`];
  if (record.error !== null) lines.push(`error: ${record.error.code}: ${record.error.message}`);
  for (const assertion of record.assertions) {
    if (!assertion.passed) lines.push(`failed: ${describeAssertion(assertion, 2_000)}`);
  }
  return lines.join('\n');
}

function systemOut(record: CaseRecord): string {
  const lines: string[] = [];
  if (record.execution_detail_url !== null) lines.push(`execution: ${record.execution_detail_url}`);
  if (record.execution_id !== null) lines.push(`execution id: ${record.execution_id}`);
  lines.push(`external id: ${record.external_id}`);
  (record.repeats ?? []).forEach((r, k) => {
    const execution = r.execution_id === null ? '' : `, execution id ${r.execution_id}`;
    lines.push(
      `repeat ${k + 1}: ${r.status}, ${r.passed ? 'passed' : 'failed'}${execution}, external id ${r.external_id}`,
    );
  });
  return lines.join('\n');
}

function seconds(ms: number): string {
  return (Math.max(0, ms) / 1_000).toFixed(3);
}
