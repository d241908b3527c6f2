// The benchmark's fake Vellum, in its own process so that its CPU and memory are not the client's.
//
// Starts a control server on 127.0.0.1 and prints one JSON line `{"control": "http://127.0.0.1:PORT"}` to stdout.
// Control protocol (JSON bodies and answers):
//   POST /reset       body: {concurrency?: number|null, durationMs?: number|{min,max}, seed?: number,
//                            webhook?: {url, secret}}
//                     closes the current fake (if any), starts a new one (sending signed webhooks to
//                     `webhook.url` when given), answers {url}
//   GET  /stats       the fake's live counters (FakeStats)
//   GET  /executions  [{id, externalId, createdAt, startedAt, finishedAt, durationMs, status}, ...] in creation order
//   POST /close       closes the fake and this process
// The fake itself listens on its own free port on 127.0.0.1, key `bench-key`, deployment `demo`.
import { createServer } from 'node:http';
import { startFakeVellum } from '@vellum-batch/testkit';

/** The API key the fake accepts (clients.mjs sends the same). */
const BENCH_API_KEY = 'bench-key';

/** @type {import('@vellum-batch/testkit').FakeVellum | null} */
let fake = null;

/**
 * @param {import('node:http').IncomingMessage} req
 * @returns {Promise<string>}
 */
async function body(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * @param {import('node:http').ServerResponse} res
 * @param {number} status
 * @param {unknown} payload
 */
function send(res, status, payload) {
  const text = JSON.stringify(payload);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** @param {{concurrency?: number|null, durationMs?: number|{min:number,max:number}, seed?: number, webhook?: {url: string, secret: string}}} options */
async function reset(options) {
  if (fake !== null) await fake.close();
  fake = null;
  fake = await startFakeVellum({
    apiKey: BENCH_API_KEY,
    deployments: ['demo'],
    concurrency: options.concurrency ?? Infinity,
    durationMs: options.durationMs ?? 0,
    seed: options.seed ?? 1,
    ...(options.webhook === undefined ? {} : { webhook: options.webhook }),
  });
  return { url: fake.url };
}

const control = createServer((req, res) => {
  void (async () => {
    try {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method === 'POST' && path === '/reset') {
        const raw = await body(req);
        send(res, 200, await reset(raw === '' ? {} : JSON.parse(raw)));
      } else if (req.method === 'GET' && path === '/stats') {
        if (fake === null) send(res, 409, { detail: 'no fake running' });
        else send(res, 200, fake.stats);
      } else if (req.method === 'GET' && path === '/executions') {
        if (fake === null) {
          send(res, 409, { detail: 'no fake running' });
          return;
        }
        const list = [];
        for (const e of fake.executions()) {
          list.push({
            id: e.id,
            externalId: e.externalId,
            createdAt: e.createdAt,
            startedAt: e.startedAt,
            finishedAt: e.finishedAt,
            durationMs: e.durationMs,
            status: e.status,
          });
        }
        send(res, 200, list);
      } else if (req.method === 'POST' && path === '/close') {
        send(res, 200, { closed: true });
        await shutdown();
      } else {
        send(res, 404, { detail: 'unknown control request' });
      }
    } catch (error) {
      send(res, 500, { detail: error instanceof Error ? error.message : String(error) });
    }
  })();
});

async function shutdown() {
  if (fake !== null) await fake.close();
  fake = null;
  control.close();
  control.closeAllConnections();
}

process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
// The runner owns this process: when it goes away (stdin closes), so do we.
process.stdin.resume();
process.stdin.on('end', () => void shutdown());

control.listen(0, '127.0.0.1', () => {
  const address = control.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ control: `http://127.0.0.1:${port}` })}\n`);
});
