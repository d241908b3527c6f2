const r=()=>Math.round(process.resourceUsage().maxRSS/1e3)+'/'+Math.round(process.memoryUsage().rss/1e6);
const { Pool } = await import('undici');
const p = new Pool('http://127.0.0.1:48111');
const res = await p.request({ path: '/v1/workflows/executions/x/status', method: 'GET', headers: { 'x-api-key': 'k' } });
await res.body.text();
await new Promise(r=>setTimeout(r,1000));
console.log('1s later', r());
await p.close();
