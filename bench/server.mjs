// The testkit's fake Vellum in a process of its own, so that the client being measured has its CPU and memory to
// itself. Options come as one JSON argument; prints `{"url", "control"}` once listening. The control server answers
// GET /stats (the fake's counters) and GET /executions (sum of run times, last finish, finish time by id).
import { createServer } from 'node:http';
import { startFakeVellum } from '@vellum-batch/testkit';

const options = JSON.parse(process.argv[2] ?? '{}');
const fake = await startFakeVellum({ apiKey: 'bench-key', deployments: ['bench'], ...options });
const control = createServer((req, res) => {
  let body;
  if (req.url === '/stats') {
    body = fake.stats;
  } else if (req.url === '/executions') {
    let sum = 0;
    let lastFinish = 0;
    let firstCreated = Infinity;
    const finishedAt = {};
    for (const e of fake.executions()) {
      sum += e.durationMs;
      if (e.finishedAt !== null) {
        lastFinish = Math.max(lastFinish, e.finishedAt);
        finishedAt[e.id] = e.finishedAt;
      }
      firstCreated = Math.min(firstCreated, e.createdAt);
    }
    body = { count: fake.stats.executionsCreated, sumDurationMs: sum, lastFinish, firstCreated, finishedAt };
  } else {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
});
control.listen(0, '127.0.0.1', () => {
  process.stdout.write(
    `${JSON.stringify({ url: fake.url, control: `http://127.0.0.1:${control.address().port}` })}\n`,
  );
});
const stop = async () => {
  control.close();
  await fake.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
