/**
 * The documented example (examples/webhook-receiver.mjs) as a user runs it: a plain Node server with the receiver
 * mounted at /vellum/webhook, fed by the testkit's HMAC-signed webhooks, or by deliveries carrying a bearer token.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeVellum } from '@vellum-batch/testkit';
import { fulfilledEvent } from './envelopes.js';

const EXAMPLE = fileURLToPath(new URL('../examples/webhook-receiver.mjs', import.meta.url));

interface Line {
  event: string;
  port?: number;
  externalId?: string;
  executionId?: string;
  status?: string;
}

let child: ChildProcess | null = null;
afterEach(() => {
  child?.kill('SIGTERM');
  child = null;
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** Starts the example; resolves once it listens. */
async function startExample(
  port: number,
  env: Record<string, string>,
): Promise<{ lines: Line[]; stderr: () => string }> {
  const started = spawn(process.execPath, [EXAMPLE, String(port)], {
    env: { PATH: process.env['PATH'], ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = started;
  let stderr = '';
  started.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const lines: Line[] = [];
  const reader = createInterface({ input: started.stdout });
  await new Promise<void>((resolve, reject) => {
    reader.on('line', (line) => {
      const parsed = JSON.parse(line) as Line;
      lines.push(parsed);
      if (parsed.event === 'listening') resolve();
    });
    started.once('exit', (code) => reject(new Error(`the example exited with ${code}: ${stderr}`)));
  });
  return { lines, stderr: () => stderr };
}

async function until(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition() && waited < 10_000; waited += 20) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('examples/webhook-receiver.mjs', () => {
  it('with HMAC: prints a completion for every execution the fake finishes, and answers its own routes', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/vellum/webhook`;
    const { lines } = await startExample(port, {
      VELLUM_WEBHOOK_SECRET: 'example-secret',
      VELLUM_WEBHOOK_URL: url,
    });
    const fake = await startFakeVellum({
      apiKey: 'k',
      deployments: ['wf'],
      durationMs: 10,
      webhook: { url, secret: 'example-secret' },
    });
    try {
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${fake.url}/v1/execute-workflow-async`, {
          method: 'POST',
          headers: { 'X-API-KEY': 'k', 'content-type': 'application/json' },
          body: JSON.stringify({
            workflow_deployment_name: 'wf',
            external_id: `ex-${i}`,
            inputs: [{ name: 'q', type: 'STRING', value: 'x' }],
          }),
        });
        expect(res.status).toBe(200);
      }
      await until(() => {
        void fake.stats; // brings the fake's clock forward
        return lines.filter((e) => e.event === 'completion').length >= 3;
      });
      expect(await (await fetch(`http://127.0.0.1:${port}/health`)).text()).toBe('ok');
    } finally {
      await fake.close();
    }
    const completions = lines.filter((e) => e.event === 'completion');
    expect(completions.map((c) => c.externalId).sort()).toEqual(['ex-0', 'ex-1', 'ex-2']);
    expect(completions.every((c) => c.status === 'FULFILLED')).toBe(true);
  });

  it('with a bearer token: prints the delivery carrying it, refuses one without and says so once', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/vellum/webhook`;
    const { lines, stderr } = await startExample(port, { VELLUM_WEBHOOK_TOKEN: 'example-token' });
    const send = (token: string, span: string) =>
      fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(fulfilledEvent({ spanId: span })),
      }).then((res) => res.status);
    expect(await send('guess', 'exec-forged')).toBe(401);
    expect(await send('guess', 'exec-forged-2')).toBe(401);
    expect(await send('example-token', 'exec-real')).toBe(202);
    await until(() => lines.some((e) => e.event === 'completion'));
    expect(lines.filter((e) => e.event === 'completion').map((c) => c.executionId)).toEqual(['exec-real']);
    expect(stderr()).toBe('webhook deliveries are being refused: bad_token\n');
  });
});
