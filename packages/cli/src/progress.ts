/**
 * Progress on stderr: a live bar redrawn in place on a terminal, otherwise one plain line every few seconds
 * (CI logs keep every line, so a redrawn bar would flood them).
 */
import type { RunEvent, RunProgress } from '@vellum-batch/core';

/** Where progress goes and how often plain lines are written. */
export interface ProgressOptions {
  readonly stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Interval between plain lines when not on a terminal. @default 5000 */
  readonly intervalMs?: number;
}

/** Renders run events as progress. Call {@link ProgressReporter.done} when the run ended. */
export class ProgressReporter {
  readonly #stream: ProgressOptions['stream'];
  readonly #tty: boolean;
  readonly #startedAt = Date.now();
  #progress: RunProgress | null = null;
  #timer: NodeJS.Timeout | null = null;
  #lastLength = 0;

  constructor(options: ProgressOptions) {
    this.#stream = options.stream;
    this.#tty = options.stream.isTTY === true;
    const interval = this.#tty ? 200 : (options.intervalMs ?? 5000);
    this.#timer = setInterval(() => this.#draw(), interval);
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
      this.#line(`stopping (${event.reason}): ${event.message}`);
    } else if (event.type === 'started') {
      this.#line(
        `run ${event.runId}: ${event.progress.total} cases, external ids ${event.externalIdPrefix}*`,
      );
    }
  }

  /** Stops the timer and writes the final state, once (later calls do nothing). */
  done(): void {
    if (this.#timer === null) return;
    clearInterval(this.#timer);
    this.#timer = null;
    this.#draw();
    if (this.#tty) this.#stream.write('\n');
  }

  #line(text: string): void {
    if (this.#tty && this.#lastLength > 0) this.#stream.write(`\r${' '.repeat(this.#lastLength)}\r`);
    this.#lastLength = 0;
    this.#stream.write(`${text}\n`);
  }

  #draw(): void {
    const p = this.#progress;
    if (p === null) return;
    const seconds = Math.round((Date.now() - this.#startedAt) / 1000);
    const counts = `${p.finished}/${p.total} done, ${p.passed} passed, ${p.running} running, ${p.queued} queued, ${seconds}s`;
    if (!this.#tty) {
      this.#stream.write(`progress: ${counts}\n`);
      return;
    }
    const width = Math.max(10, Math.min(40, (this.#stream.columns ?? 80) - counts.length - 4));
    const filled = p.total === 0 ? width : Math.round((p.finished / p.total) * width);
    const text = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${counts}`;
    this.#stream.write(`\r${text}${' '.repeat(Math.max(0, this.#lastLength - text.length))}`);
    this.#lastLength = text.length;
  }
}
