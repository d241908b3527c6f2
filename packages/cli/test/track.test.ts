/**
 * `vellum-batch run --track hybrid` end to end: a `fake-server` process sends signed webhooks (10% dropped) to the
 * receiver the `run` process opens on `--webhook-port`; polling only catches the silent executions.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startFakeServerProcess } from './helpers.js';

let dir: string;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('run --track hybrid', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vb-track-cli-'));
    const lines = Array.from({ length: 200 }, (_, i) =>
      JSON.stringify({ id: `h-${i}`, inputs: { q: `q${i}` }, expected: { q: `q${i}` } }),
    );
    await writeFile(join(dir, 'cases.jsonl'), `${lines.join('\n')}\n`);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('finishes every case, polling only the executions whose webhook was dropped', async () => {
    const port = await freePort();
    const hook = `http://127.0.0.1:${port}/vellum/webhook`;
    const server = await startFakeServerProcess([
      '--api-key',
      'track-key',
      '--concurrency',
      '50',
      '--duration-ms',
      '50-200',
      '--webhook-url',
      hook,
      '--webhook-secret',
      'track-secret',
      '--webhook-drop-rate',
      '0.1',
      '--webhook-duplicate-rate',
      '0.1',
    ]);
    const out = join(dir, 'out');
    const args = [
      'run',
      '--dataset',
      join(dir, 'cases.jsonl'),
      '--workflow',
      'demo',
      '--base-url',
      server.url,
    ];
    args.push(
      '--out',
      out,
      '--concurrency',
      '100',
      '--track',
      'hybrid',
      '--webhook-port',
      String(port),
      '--webhook-url',
      hook,
    );
    let log = '';
    const result = await runCli(args, {
      env: { VELLUM_API_KEY: 'track-key', VELLUM_WEBHOOK_SECRET: 'track-secret' },
    }).finally(async () => {
      log = await server.stop();
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`listening for Vellum webhooks on port ${port}, path /vellum/webhook`);
    const records = (await readFile(join(out, 'results.jsonl'), 'utf8')).trim().split('\n');
    expect(records).toHaveLength(200);
    expect(records.every((line) => (JSON.parse(line) as { passed: boolean }).passed)).toBe(true);
    const match =
      /fake server stopped: 200 executions, 200 submits, (\d+) status requests.*webhooks sent (\d+), dropped (\d+)/.exec(
        log,
      );
    expect(match, log).not.toBeNull();
    const [statusRequests, , dropped] = match!.slice(1).map(Number);
    expect(dropped).toBeGreaterThan(5);
    // Counts, not a real-time ratio: a dropped webhook leaves its execution to a poll (at least one each), and
    // polling alone needs a status request per execution (200); hybrid waits a second of silence before it polls.
    expect(statusRequests).toBeGreaterThanOrEqual(dropped!);
    expect(statusRequests).toBeLessThan(200);
  });

  it('refuses hybrid tracking without the signing secret', async () => {
    const result = await runCli(
      ['run', '--dataset', join(dir, 'cases.jsonl'), '--workflow', 'demo', '--track', 'hybrid'],
      { env: { VELLUM_API_KEY: 'k' } },
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "--track hybrid: set the webhook's signing secret in the environment variable VELLUM_WEBHOOK_SECRET",
    );
  });
});
