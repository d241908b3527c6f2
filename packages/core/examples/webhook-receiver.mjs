// Mounting vellum-batch's webhook receiver in a plain Node server, beside routes of your own.
//   VELLUM_WEBHOOK_SECRET=... node webhook-receiver.mjs [port]
// Configure the webhook in Vellum to POST to https://YOUR-HOST/vellum/webhook with the same secret.
import { createServer } from 'node:http';
import { createWebhookHandler } from '@vellum-batch/core';

const secret = process.env.VELLUM_WEBHOOK_SECRET;
if (!secret) throw new Error('set VELLUM_WEBHOOK_SECRET');
const receiver = createWebhookHandler({
  secret,
  // Behind a proxy or tunnel, give the URL Vellum calls: the signature covers it.
  publicUrl: process.env.VELLUM_WEBHOOK_URL,
});

receiver.subscribe((completion) => {
  console.log(JSON.stringify({ event: 'completion', ...completion }));
});

const server = createServer((req, res) => {
  if (req.url === '/vellum/webhook') return receiver.handler(req, res);
  if (req.url === '/health') return res.end('ok');
  res.writeHead(404).end();
});
server.listen(Number(process.argv[2] ?? 8787), '127.0.0.1', () => {
  console.log(JSON.stringify({ event: 'listening', port: server.address().port }));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
