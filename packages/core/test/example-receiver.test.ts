/**
 * The documented example (examples/webhook-receiver.mjs) as a user runs it: a plain Node server with the receiver
 * mounted at /vellum/webhook, fed by the testkit's signed webhooks.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startFakeVellum } from '@vellum-batch/testkit';

const EXAMPLE = fileURLToPath(new URL('../examples/webhook-receiver.mjs', import.meta.url));

describe('examples/webhook-receiver.mjs', () => {
  it('prints a completion for every execution the fake finishes, and answers its own routes', async () => {
    const child = spawn(process.execPath, [EXAMPLE, '0'], {
      env: { PATH: process.env['PATH'], VELLUM_WEBHOOK_SECRET: 'example-secret' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const events: { event: string; port?: number; externalId?: string; status?: string }[] = [];
    const lines = createInterface({ input: child.stdout });
    const listening = new Promise<number>((resolve) =>
      lines.on('line', (line) => {
        const event = JSON.parse(line) as (typeof events)[number];
        events.push(event);
        if (event.event === 'listening') resolve(event.port!);
      }),
    );
    const port = await listening;
    const fake = await startFakeVellum({
      apiKey: 'k',
      deployments: ['wf'],
      durationMs: 10,
      webhook: { url: `http://127.0.0.1:${port}/vellum/webhook`, secret: 'example-secret' },
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
      for (
        let waited = 0;
        events.filter((e) => e.event === 'completion').length < 3 && waited < 5000;
        waited += 20
      ) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        void fake.stats; // brings the fake's clock forward
      }
      expect(await (await fetch(`http://127.0.0.1:${port}/health`)).text()).toBe('ok');
    } finally {
      await fake.close();
      child.kill('SIGTERM');
    }
    const completions = events.filter((e) => e.event === 'completion');
    expect(completions.map((c) => c.externalId).sort()).toEqual(['ex-0', 'ex-1', 'ex-2']);
    expect(completions.every((c) => c.status === 'FULFILLED')).toBe(true);
  });
});
