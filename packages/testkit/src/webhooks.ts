/**
 * Signed webhook deliveries from the fake, as Vellum sends them when an execution is fulfilled or rejected, with
 * faults: a share dropped, a share delivered twice, a delay, a share signed with the wrong secret. Fire and forget:
 * a failed delivery is counted, not retried (Vellum's own retry policy is not documented).
 */
import { createHmac, randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { hashSeed, mulberry32 } from './internal/random.js';
import type { FakeExecution, WebhookOptions, WebhookStats } from './types.js';

/** The API version the fake puts in its envelopes. */
export const WEBHOOK_API_VERSION = '2025-07-30';

/** Sends one webhook per finished execution to `options.url`. */
export class WebhookSender {
  readonly #options: WebhookOptions;
  readonly #random: () => number;
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 32 });
  readonly #inFlight = new Set<Promise<void>>();
  readonly #stats: WebhookStats;
  #closed = false;

  constructor(options: WebhookOptions, seed: number, stats: WebhookStats) {
    this.#options = options;
    this.#random = mulberry32(hashSeed(seed, 'webhooks'));
    this.#stats = stats;
  }

  /** Schedules the delivery (or not, or twice) of `execution`'s completion. */
  deliver(execution: FakeExecution): void {
    if (this.#closed) return;
    const { dropRate = 0, duplicateRate = 0, badSignatureRate = 0 } = this.#options;
    if (this.#random() < dropRate) {
      this.#stats.dropped += 1;
      return;
    }
    const times = this.#random() < duplicateRate ? 2 : 1;
    if (times === 2) this.#stats.duplicated += 1;
    const badSignature = this.#random() < badSignatureRate;
    const body = JSON.stringify({
      id: randomUUID(),
      timestamp: new Date().toISOString(),
      api_version: WEBHOOK_API_VERSION,
      name: execution.status === 'FULFILLED' ? 'workflow.execution.fulfilled' : 'workflow.execution.rejected',
      span_id: execution.id,
      parent: {
        type: 'WORKFLOW_RELEASE_TAG',
        span_id: execution.id,
        external_id: execution.externalId,
        parent: null,
      },
      body: { outputs: execution.outputs, error: execution.error },
    });
    for (let i = 0; i < times; i++) {
      const delay = this.#delay();
      const sending = new Promise<void>((resolve) => setTimeout(resolve, delay)).then(() =>
        this.#post(body, badSignature),
      );
      this.#inFlight.add(sending);
      void sending.finally(() => this.#inFlight.delete(sending));
    }
  }

  /** Waits for deliveries under way, then closes the connections. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([...this.#inFlight]);
    this.#agent.destroy();
  }

  #delay(): number {
    const delay = this.#options.delayMs ?? 0;
    if (typeof delay === 'number') return delay;
    return delay.min + this.#random() * (delay.max - delay.min);
  }

  #post(body: string, badSignature: boolean): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const url = new URL(this.#options.url);
    const timestamp = Math.floor(Date.now() / 1000);
    const secret = badSignature ? `${this.#options.secret}-wrong` : this.#options.secret;
    const signature = createHmac('sha256', secret)
      .update(`${timestamp}\nPOST\n${this.#options.url}\n${body}`)
      .digest('hex');
    const send = url.protocol === 'https:' ? httpsRequest : request;
    return new Promise<void>((resolve) => {
      const req = send(
        url,
        {
          method: 'POST',
          agent: url.protocol === 'https:' ? undefined : this.#agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'x-vellum-timestamp': String(timestamp),
            'x-vellum-signature': signature,
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            if ((res.statusCode ?? 500) < 300) this.#stats.sent += 1;
            else this.#stats.failed += 1;
            resolve();
          });
        },
      );
      req.on('error', () => {
        this.#stats.failed += 1;
        resolve();
      });
      req.end(body);
    });
  }
}
