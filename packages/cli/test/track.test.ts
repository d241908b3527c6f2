/**
 * `vellum-batch run --track hybrid` end to end: a `fake-server` process sends signed webhooks (10% dropped) to the
 * receiver the `run` process opens on `--webhook-port`; polling only catches the silent executions. With a token, a
 * relay re-sends them with `Authorization: Bearer`, as Vellum's Webhook Integration does.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, runCli, startFakeServerProcess } from './helpers.js';

let dir: string;

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
    // The counts are in the final report (stdout without --json).
    expect(result.stdout).toMatch(
      /webhooks: \d+ received, \d+ accepted, \d+ duplicates, 0 ignored, 0 misrouted, 0 refused\n/,
    );
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

  it('with a bearer token: finishes every case, says once that deliveries are refused or misrouted, never writes the token', async () => {
    const TOKEN = 'tok-cli-9f3e61';
    const port = await freePort();
    const hook = `http://127.0.0.1:${port}/vellum/webhook`;
    let forwarded = 0;
    const send = (path: string, headers: Record<string, string>, body: Buffer): Promise<void> =>
      new Promise((resolve) => {
        const req = request(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers }, (res) => {
          res.resume();
          res.on('end', resolve);
        });
        req.on('error', () => resolve());
        req.end(body);
      });
    // Re-sends each HMAC-signed delivery of the fake with the token; before the first, two with a wrong token and one
    // to the wrong path.
    const relay = createHttpServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const json = { 'content-type': 'application/json' };
        const hostile =
          forwarded++ === 0
            ? Promise.all([
                send('/vellum/webhook', { ...json, authorization: 'Bearer guess' }, body),
                send('/vellum/webhook', { ...json, authorization: 'Bearer guess-again' }, body),
                send('/wrong/path', { ...json, authorization: `Bearer ${TOKEN}` }, body),
              ])
            : Promise.resolve();
        void hostile
          .then(() => send('/vellum/webhook', { ...json, authorization: `Bearer ${TOKEN}` }, body))
          .then(() => res.writeHead(200).end());
      });
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const server = await startFakeServerProcess([
      '--api-key',
      'track-key',
      '--concurrency',
      '50',
      '--duration-ms',
      '50-200',
      '--webhook-url',
      `http://127.0.0.1:${(relay.address() as AddressInfo).port}/`,
      '--webhook-secret',
      'relay-only',
    ]);
    const out = join(dir, 'out-token');
    let result;
    try {
      result = await runCli(
        [
          'run',
          '--dataset',
          join(dir, 'cases.jsonl'),
          '--workflow',
          'demo',
          '--base-url',
          server.url,
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
          '--webhook-token-env',
          'HOOK_TOKEN',
          '--json',
        ],
        { env: { VELLUM_API_KEY: 'track-key', HOOK_TOKEN: TOKEN } },
      );
    } finally {
      await server.stop();
      await new Promise((resolve) => relay.close(resolve));
    }
    expect(result.code, result.stderr).toBe(0);
    const said = (text: string) => result.stderr.split(text).length - 1;
    expect(
      said(
        "webhook deliveries are being refused: bad token; check the token configured in Vellum's Monitoring Integration; polling continues\n",
      ),
    ).toBe(1);
    expect(said('a delivery arrived at /wrong/path, the receiver listens on /vellum/webhook')).toBe(1);
    const stats =
      /webhooks: (\d+) received, (\d+) accepted, \d+ duplicates, 0 ignored, 1 misrouted, 2 refused \(bad token 2\)/.exec(
        result.stderr,
      );
    expect(stats, result.stderr).not.toBeNull();
    expect(Number(stats![2])).toBeGreaterThan(150);
    const records = (await readFile(join(out, 'results.jsonl'), 'utf8')).trim().split('\n');
    expect(records.every((line) => (JSON.parse(line) as { passed: boolean }).passed)).toBe(true);
    expect(result.stdout + result.stderr).not.toContain(TOKEN);
    for (const file of await readdir(out, { recursive: true, withFileTypes: true })) {
      if (!file.isFile()) continue;
      expect(await readFile(join(file.parentPath, file.name), 'utf8'), file.name).not.toContain(TOKEN);
    }
  });

  const run = (extra: string[], env: Record<string, string>) =>
    runCli(
      ['run', '--dataset', join(dir, 'cases.jsonl'), '--workflow', 'demo', '--track', 'hybrid', ...extra],
      {
        env: { VELLUM_API_KEY: 'k', ...env },
      },
    );

  it('refuses hybrid tracking without a token or an HMAC secret', async () => {
    const result = await run([], {});
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "--track hybrid: give the token set in Vellum's Webhook Integration with --webhook-token-env NAME (default VELLUM_WEBHOOK_TOKEN), and/or its HMAC secret with --webhook-secret-env NAME (default VELLUM_WEBHOOK_SECRET)",
    );
  });

  it('refuses a token variable that is missing or empty, naming it', async () => {
    const result = await run(['--webhook-token-env', 'HOOK_TOKEN'], { HOOK_TOKEN: '  ' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      '--webhook-token-env HOOK_TOKEN: the environment variable HOOK_TOKEN is not set or empty',
    );
  });

  it('refuses HMAC without --webhook-url (the signature covers it), never printing the secret', async () => {
    const result = await run(['--webhook-secret-env', 'HOOK_SECRET'], { HOOK_SECRET: 'hmac-secret-5521' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "--track hybrid: HMAC signatures cover the URL Vellum posts to: give it with --webhook-url URL, exactly as set in Vellum's Webhook Integration",
    );
    expect(result.stderr + result.stdout).not.toContain('hmac-secret-5521');
  });
});
