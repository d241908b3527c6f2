// Mounting vellum-batch's webhook receiver in a plain Node server, beside routes of your own.
//   VELLUM_WEBHOOK_TOKEN=... node webhook-receiver.mjs [port]
// In Vellum (organization settings, Monitoring Integration, Webhook Integration) set the URL to
// https://YOUR-HOST/vellum/webhook and choose "Bearer token" (or an API-key header named X-API-Key) with the same
// token. With HMAC signing enabled too, also set VELLUM_WEBHOOK_SECRET (the HMAC token you gave Vellum) and
// VELLUM_WEBHOOK_URL (that URL exactly: the signature covers it).
import { createServer } from 'node:http';
import { createWebhookHandler } from '@vellum-batch/core';

const token = process.env.VELLUM_WEBHOOK_TOKEN || undefined;
const secret = process.env.VELLUM_WEBHOOK_SECRET || undefined;
const receiver = createWebhookHandler({
  token,
  secret,
  publicUrl: process.env.VELLUM_WEBHOOK_URL || undefined,
  onRefused: ({ reason, count }) => {
    if (count === 1) console.error(`webhook deliveries are being refused: ${reason}`);
  },
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
