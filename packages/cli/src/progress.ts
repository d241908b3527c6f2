/**
 * Progress on stderr: a live bar redrawn in place on a terminal (one line that never wraps), otherwise one plain line
 * every few seconds (CI logs keep every line, so a redrawn bar would flood them). The text comes from
 * {@link renderProgress}, a pure function of a {@link ProgressSnapshot} and a width.
 */
import { formatDuration } from '@vellum-batch/core/internal';
import type { RunEvent, RunProgress, Summary, WebhookStats } from '@vellum-batch/core';
import type { StopReason } from '@vellum-batch/core/internal';

/** Where the run is: going, stopping after a signal, a deadline or a fatal error, or ended. */
export type ProgressPhase =
  | { readonly kind: 'running' }
  | { readonly kind: 'stopping'; readonly reason: StopReason }
  | { readonly kind: 'done' }
  | { readonly kind: 'stopped'; readonly reason: StopReason };

/** Everything one progress line shows. */
export interface ProgressSnapshot {
  readonly phase: ProgressPhase;
  readonly total: number;
  readonly finished: number;
  readonly passed: number;
  /** Believed running on Vellum; shown at most `total - finished`. */
  readonly running: number;
  /** Believed waiting in Vellum's queue; shown at most `total - finished - running`. */
  readonly queued: number;
  /** Cases that ended without a result because the run stopped (CANCELLED + TIMED_OUT); only once stopped. */
  readonly unfinished?: number;
  /** Since the run started, in ms. */
  readonly elapsedMs: number;
  /** Cases finished by this process (records replayed on `--resume` excluded), for the rate and the ETA. */
  readonly finishedHere: number;
  /** What the counts count: `executions` for a run with `--repeat` (each repeat is one). @default 'cases' */
  readonly unit?: 'cases' | 'executions';
  /** The webhook receiver's counts (webhook and hybrid tracking). @default none shown */
  readonly webhooks?: WebhookCounts | undefined;
}

/** What a progress line shows of the webhook deliveries. */
export interface WebhookCounts {
  readonly accepted: number;
  readonly refused: number;
  readonly ignored: number;
  readonly misrouted: number;
}

/** `webhooks 150 accepted, 2 refused, 1 misrouted`: the counts that are not zero, accepted always. */
function webhookPart(hooks: WebhookCounts): string {
  const extra = (['refused', 'ignored', 'misrouted'] as const)
    .filter((key) => hooks[key] > 0)
    .map((key) => `, ${hooks[key]} ${key}`);
  return `webhooks ${hooks.accepted} accepted${extra.join('')}`;
}

/** How a line is laid out. */
export interface RenderOptions {
  /** A terminal: one line of at most `width - 1` characters with a bar. Otherwise a plain log line. */
  readonly tty: boolean;
  /** The terminal's columns. @default 80 */
  readonly width?: number | undefined;
}

const BAR_MIN = 10;
const BAR_MAX = 30;

/**
 * Renders one progress line. On a terminal the line fits in `width - 1` columns (the last column is left free, so
 * no terminal wraps it): parts are kept from the most useful down while they fit (passed, failed, never finished,
 * running, queued, ETA, rate, elapsed time), the bar gets what room is left, and what still does not fit is cut with `…`.
 */
export function renderProgress(snapshot: ProgressSnapshot, options: RenderOptions): string {
  const open = Math.max(0, snapshot.total - snapshot.finished);
  const running = Math.min(Math.max(0, snapshot.running), open);
  const queued = Math.min(Math.max(0, snapshot.queued), open - running);
  const failed = Math.max(0, snapshot.finished - snapshot.passed);
  const seconds = snapshot.elapsedMs / 1000;
  const rate = seconds >= 1 && snapshot.finishedHere > 0 ? snapshot.finishedHere / seconds : null;
  const going = snapshot.phase.kind === 'running';
  const etaMs = going && rate !== null && open > 0 ? (open / rate) * 1000 : null;
  const ended = snapshot.phase.kind === 'done' || snapshot.phase.kind === 'stopped';

  const counts = `${snapshot.finished}/${snapshot.total}`;
  // While running, the bar says so on a terminal; a log line says "progress".
  const head = options.tty
    ? going
      ? counts
      : `${label(snapshot.phase)} ${counts}`
    : `${going ? 'progress' : label(snapshot.phase)}: ${counts} finished`;
  // Parts in the order shown, each with its priority: the lowest is left out first.
  const parts: { text: string; keep: number }[] = [
    { text: `${snapshot.passed} passed`, keep: 8 },
    { text: `${failed} failed`, keep: 7 },
  ];
  if (!ended) {
    parts.push({ text: `${running} running`, keep: 5 }, { text: `${queued} queued`, keep: 4 });
  }
  if (snapshot.unfinished !== undefined && snapshot.unfinished > 0) {
    parts.push({ text: `${snapshot.unfinished} never finished`, keep: 6 });
  }
  const unit = snapshot.unit ?? 'cases';
  if (snapshot.webhooks !== undefined) parts.push({ text: webhookPart(snapshot.webhooks), keep: 1 });
  if (rate !== null) parts.push({ text: `${formatRate(rate)}${options.tty ? '/s' : ` ${unit}/s`}`, keep: 2 });
  if (etaMs !== null) parts.push({ text: `ETA ${formatDuration(etaMs)}`, keep: 3 });
  parts.push({
    text: options.tty ? formatDuration(snapshot.elapsedMs) : `${formatDuration(snapshot.elapsedMs)} elapsed`,
    keep: 0,
  });

  if (!options.tty) return [head, ...parts.map((p) => p.text)].join(', ');

  const room = Math.max(1, (options.width ?? 80) - 1);
  const separator = '  ';
  const join = (list: readonly { text: string }[]): string =>
    [head, ...list.map((p) => p.text)].join(separator);
  // Most useful first, each part kept when the line still fits with it; shown in their own order.
  const kept = new Set<(typeof parts)[number]>();
  for (const part of [...parts].sort((a, b) => b.keep - a.keep)) {
    kept.add(part);
    if (join(parts.filter((p) => kept.has(p))).length > room) kept.delete(part);
  }
  let text = join(parts.filter((p) => kept.has(p)));
  // The bar takes what room is left, 10 to 30 cells (plus brackets and a space), or is left out.
  const left = room - text.length - 3;
  if (left >= BAR_MIN) text = `${bar(snapshot, Math.min(BAR_MAX, left))} ${text}`;
  return text.length > room ? `${text.slice(0, room - 1)}…` : text;
}

/**
 * The final line, from the run's summary: the counts agree with `summary.json` (nothing is left "running").
 *
 * @param summary - What the run wrote.
 * @param finishedHere - Cases finished by this process, for the rate. @default summary.total
 */
export function finalSnapshot(summary: Summary, finishedHere = summary.total): ProgressSnapshot {
  const unfinished = summary.stopped === null ? 0 : summary.cancelled + summary.timed_out;
  const finished = summary.total - unfinished;
  return {
    phase: summary.stopped === null ? { kind: 'done' } : { kind: 'stopped', reason: summary.stopped.reason },
    total: summary.total,
    finished,
    passed: summary.passed,
    running: 0,
    queued: 0,
    unfinished,
    elapsedMs: summary.duration_ms,
    finishedHere: Math.min(finishedHere, finished),
    ...(summary.webhooks === undefined ? {} : { webhooks: summary.webhooks }),
  };
}

function label(phase: ProgressPhase): string {
  switch (phase.kind) {
    case 'running':
      return 'progress';
    case 'done':
      return 'done';
    case 'stopping':
      return phase.reason === 'interrupted'
        ? 'interrupted, stopping'
        : `stopping (${describe(phase.reason)})`;
    case 'stopped':
      return phase.reason === 'interrupted' ? 'interrupted' : `stopped (${describe(phase.reason)})`;
  }
}

function describe(reason: StopReason): string {
  return reason === 'deadline' ? 'deadline reached' : 'fatal error';
}

function bar(snapshot: ProgressSnapshot, cells: number): string {
  const filled = snapshot.total === 0 ? cells : Math.floor((snapshot.finished / snapshot.total) * cells);
  return `[${'#'.repeat(filled)}${'.'.repeat(cells - filled)}]`;
}

function formatRate(rate: number): string {
  return rate < 10 ? rate.toFixed(1) : String(Math.round(rate));
}

/** Where progress goes, how often, and the clock. */
export interface ProgressOptions {
  readonly stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Interval between plain lines when not on a terminal. @default 5000 */
  readonly intervalMs?: number;
  /** Milliseconds since the epoch. @default Date.now */
  readonly now?: () => number;
  /** The webhook receiver's live counts, shown on each line (webhook and hybrid tracking). @default none */
  readonly webhooks?: Readonly<WebhookStats> | undefined;
}

/** Renders run events as progress. End with {@link ProgressReporter.finish} (or {@link ProgressReporter.done}). */
export class ProgressReporter {
  readonly #stream: ProgressOptions['stream'];
  readonly #tty: boolean;
  readonly #now: () => number;
  readonly #startedAt: number;
  readonly #webhooks: Readonly<WebhookStats> | undefined;
  #progress: RunProgress | null = null;
  #finishedAtStart = 0;
  /** Executions per case (`--repeat`): the progress counts executions, the summary cases. */
  #repeats = 1;
  #stopping: StopReason | null = null;
  #timer: NodeJS.Timeout | null = null;
  #drawn = false;

  constructor(options: ProgressOptions) {
    this.#stream = options.stream;
    this.#tty = options.stream.isTTY === true;
    this.#now = options.now ?? Date.now;
    this.#startedAt = this.#now();
    this.#webhooks = options.webhooks;
    const interval = this.#tty ? 200 : (options.intervalMs ?? 5000);
    this.#timer = setInterval(() => this.#draw(this.#snapshot()), interval);
    this.#timer.unref();
  }

  /** Feeds one engine event. */
  onEvent(event: RunEvent): void {
    this.#progress = event.progress;
    if (event.type === 'server-limit') {
      this.#line(
        `Vellum is queueing executions: its concurrency limit looks like ${event.limit}; keeping ${event.limit * 2} in flight`,
      );
    } else if (event.type === 'stopping') {
      this.#stopping = event.reason;
      this.#line(`stopping (${event.reason}): ${event.message}`);
    } else if (event.type === 'started') {
      this.#finishedAtStart = event.progress.finished;
      this.#repeats = event.repeat?.count ?? 1;
      const total = event.progress.total;
      const what =
        event.repeat === undefined
          ? `${total} cases`
          : `${total / this.#repeats} cases × ${this.#repeats} repeats (${total} executions)`;
      this.#line(`run ${event.runId}: ${what}, external ids ${event.externalIdPrefix}*`);
    }
  }

  /** Stops the timer and writes the final line from the run's summary, once (later calls do nothing). */
  finish(summary: Summary): void {
    if (this.#timer === null) return;
    const here =
      this.#progress === null
        ? summary.total
        : Math.floor((this.#progress.finished - this.#finishedAtStart) / this.#repeats);
    this.#end(finalSnapshot(summary, here));
  }

  /** Stops the timer and writes the last known state, once; for a run that ended without a summary. */
  done(): void {
    if (this.#timer === null) return;
    const snapshot = this.#snapshot();
    if (snapshot === null) {
      this.#end(null);
      return;
    }
    const phase: ProgressPhase =
      this.#stopping !== null
        ? { kind: 'stopped', reason: this.#stopping }
        : snapshot.finished >= snapshot.total
          ? { kind: 'done' }
          : { kind: 'stopped', reason: 'fatal' };
    this.#end({ ...snapshot, phase });
  }

  #end(snapshot: ProgressSnapshot | null): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    if (snapshot !== null) this.#draw(snapshot);
    if (this.#tty && this.#drawn) this.#stream.write('\n');
    this.#drawn = false;
  }

  #snapshot(): ProgressSnapshot | null {
    const p = this.#progress;
    if (p === null) return null;
    return {
      phase: this.#stopping === null ? { kind: 'running' } : { kind: 'stopping', reason: this.#stopping },
      total: p.total,
      finished: p.finished,
      passed: p.passed,
      running: p.running,
      queued: p.queued,
      elapsedMs: this.#now() - this.#startedAt,
      finishedHere: p.finished - this.#finishedAtStart,
      ...(this.#repeats > 1 ? { unit: 'executions' as const } : {}),
      ...(this.#webhooks === undefined ? {} : { webhooks: this.#webhooks }),
    };
  }

  #line(text: string): void {
    if (this.#tty && this.#drawn) this.#stream.write('\r\x1b[K');
    this.#drawn = false;
    this.#stream.write(`${text}\n`);
  }

  #draw(snapshot: ProgressSnapshot | null): void {
    if (snapshot === null) return;
    if (!this.#tty) {
      this.#stream.write(`${renderProgress(snapshot, { tty: false })}\n`);
      return;
    }
    const text = renderProgress(snapshot, { tty: true, width: this.#stream.columns });
    this.#stream.write(`\r\x1b[K${text}`);
    this.#drawn = true;
  }
}
