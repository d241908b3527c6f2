/**
 * Signed webhook deliveries from the fake, as Vellum sends them when an execution is fulfilled or rejected, with
 * faults: a share dropped, a share delivered twice, a delay, a share with wrong credentials. Fire and forget:
 * a failed delivery is counted, not retried (Vellum's own retry policy is not documented).
 */
import { createHmac, randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { hashSeed, mulberry32 } from './internal/random.js';
import type { WebhookOptions } from './options.js';
import type { FakeExecution, WebhookStats } from './types.js';
import { webhookEvent } from './wire.js';

/** How long a delivery may take before it is abandoned and counted as failed, in ms. */
const DELIVERY_TIMEOUT_MS = 10_000;

/** The signature Vellum sends: hex HMAC-SHA256 of `"{timestamp}\n{METHOD}\n{URL}\n{body}"`. */
function sign(secret: string, timestamp: number, url: string, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}\nPOST\n${url}\n${body}`).digest('hex');
}

/** Sends one webhook per finished execution to `options.url`. */
export class WebhookSender {
  readonly #options: WebhookOptions;
  readonly #url: URL;
  readonly #random: () => number;
  readonly #agent = new Agent({ keepAlive: true, maxSockets: 32 });
  /** Deliveries waiting out their delay: the timer, and what settles the delivery when it is cancelled. */
  readonly #pending = new Map<NodeJS.Timeout, () => void>();
  /** Every delivery not yet settled (waiting, or on the wire). */
  readonly #unsettled = new Set<Promise<void>>();
  readonly #stats: WebhookStats;
  #closed = false;

  constructor(options: WebhookOptions, seed: number, stats: WebhookStats) {
    this.#options = options;
    this.#url = new URL(options.url);
    this.#random = mulberry32(hashSeed(seed, 'webhooks'));
    this.#stats = stats;
  }

  /**
   * Schedules the delivery (or not, or twice) of `execution`'s completion. O(1) besides serialising the body; three
   * seeded draws per call, so a seed gives the same drops, doubles and forgeries for the same number of finishes.
   */
  deliver(execution: FakeExecution): void {
    if (this.#closed) return;
    const { dropRate = 0, duplicateRate = 0, badSignatureRate = 0 } = this.#options;
    const drop = this.#random() < dropRate;
    const twice = this.#random() < duplicateRate;
    const badSignature = this.#random() < badSignatureRate;
    if (drop) {
      this.#stats.dropped += 1;
      return;
    }
    if (twice) this.#stats.duplicated += 1;
    const body = JSON.stringify(webhookEvent(execution, randomUUID()));
    for (let i = twice ? 2 : 1; i > 0; i--) {
      const delivery = new Promise<void>((settle) => {
        const timer = setTimeout(() => {
          this.#pending.delete(timer);
          this.#post(body, badSignature, settle);
        }, this.#delay());
        this.#pending.set(timer, settle);
      });
      this.#unsettled.add(delivery);
      void delivery.then(() => this.#unsettled.delete(delivery));
    }
  }

  /** Resolves once every delivery scheduled so far has been answered, has failed or was cancelled. */
  async idle(): Promise<void> {
    while (this.#unsettled.size > 0) await Promise.all(this.#unsettled);
  }

  /** Cancels deliveries still waiting out their delay (counted as failed), waits for those on the wire. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const [timer, settle] of this.#pending) {
      clearTimeout(timer);
      this.#stats.failed += 1;
      settle();
    }
    this.#pending.clear();
    await this.idle();
    this.#agent.destroy();
  }

  #delay(): number {
    const delay = this.#options.delayMs ?? 0;
    if (typeof delay === 'number') return delay;
    return delay.min + this.#random() * (delay.max - delay.min);
  }

  /** The authentication headers of one delivery: each configured method, all wrong for a forged one. */
  #credentials(body: string, timestamp: number, forged: boolean): Record<string, string> {
    const { secret, bearerToken, apiKeyHeader } = this.#options;
    const wrong = (value: string): string => (forged ? `${value}-wrong` : value);
    const headers: Record<string, string> = {};
    if (secret !== undefined) {
      headers['x-vellum-timestamp'] = String(timestamp);
      headers['x-vellum-signature'] = sign(wrong(secret), timestamp, this.#options.url, body);
    }
    if (bearerToken !== undefined) headers['authorization'] = `Bearer ${wrong(bearerToken)}`;
    if (apiKeyHeader !== undefined) headers[apiKeyHeader.name.toLowerCase()] = wrong(apiKeyHeader.value);
    return headers;
  }

  #post(body: string, badSignature: boolean, settle: () => void): void {
    const url = this.#url;
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = this.#credentials(body, timestamp, badSignature);
    const https = url.protocol === 'https:';
    let done = false;
    let answered = false;
    const finish = (ok: boolean): void => {
      if (done) return;
      done = true;
      if (ok) this.#stats.sent += 1;
      else this.#stats.failed += 1;
      settle();
    };
    const req = (https ? httpsRequest : request)(
      url,
      {
        method: 'POST',
        ...(https ? {} : { agent: this.#agent }),
        timeout: DELIVERY_TIMEOUT_MS,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...headers,
        },
      },
      (res) => {
        answered = true;
        const ok = (res.statusCode ?? 500) < 300;
        res.on('end', () => finish(ok));
        res.on('close', () => finish(ok && res.complete));
        res.resume();
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => finish(false));
    req.on('close', () => {
      // Without a response (refused, reset, timed out); with one, its own 'end' or 'close' decides.
      if (!answered) finish(false);
    });
    req.end(body);
  }
}
