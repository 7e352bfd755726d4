// Bounded load test of `assistant-cli serve` on loopback: C concurrent streaming
// clients x R chat requests each (default 8 x 10). Every request must succeed and
// end with [DONE]. Prints requests/s and the time to first token (first content
// delta) p50/p95 over all requests, plus the server's /stats.
//
// usage: node bench/server/load_test.mjs ASSISTANT_CLI [MODEL.gguf] [--clients 8] [--requests 10]
//        [--max-tokens 64] [--parallel 2] [--json]
import { startServer, streamChat } from './serve_client.mjs';

const argv = process.argv.slice(2);
const opt = (name, def) => {
  const i = argv.indexOf(name);
  if (i < 0) return def;
  const v = argv.splice(i, 2)[1];
  return Number(v);
};
const clients = opt('--clients', 8), perClient = opt('--requests', 10);
const maxTokens = opt('--max-tokens', 64), parallel = opt('--parallel', 2);
const asJson = argv.includes('--json');
const [cli, model] = argv.filter((a) => !a.startsWith('--'));
if (!cli) {
  console.error('usage: node load_test.mjs ASSISTANT_CLI [MODEL.gguf] [--clients 8] [--requests 10] [--max-tokens 64] [--parallel 2]');
  process.exit(2);
}

const { url, child } = await startServer(cli, ['--parallel', String(parallel), '--queue', String(clients * 2),
                                                '--no-embedder', ...(model ? ['-m', model] : [])]);

// One streaming chat request: { ttftMs, totalMs, tokens } or throws.
const streamOnce = (i) => streamChat(url, {
  messages: [{ role: 'user', content: `Tell me story number ${i}.` }], max_tokens: maxTokens, temperature: 0.8, seed: i,
});

const results = [], errors = [];
const start = performance.now();
await Promise.all(Array.from({ length: clients }, async (_, c) => {
  for (let r = 0; r < perClient; r++) {
    try { results.push(await streamOnce(c * perClient + r)); } catch (e) { errors.push(String(e)); }
  }
}));
const seconds = (performance.now() - start) / 1000;
const stats = await (await fetch(`${url}/stats`)).json();
child.kill('SIGTERM');

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : NaN;
};
const ttft = results.map((r) => r.ttftMs), total = results.map((r) => r.totalMs);
const tokens = results.reduce((a, r) => a + r.tokens, 0);
const summary = {
  clients, requestsPerClient: perClient, parallel, maxTokens, ok: results.length, errors: errors.length,
  seconds: +seconds.toFixed(2), requestsPerSecond: +(results.length / seconds).toFixed(2),
  tokensPerSecond: +(tokens / seconds).toFixed(1),
  ttftP50Ms: +pct(ttft, 50).toFixed(1), ttftP95Ms: +pct(ttft, 95).toFixed(1),
  latencyP50Ms: +pct(total, 50).toFixed(1), latencyP95Ms: +pct(total, 95).toFixed(1),
  server: { completions: stats.completions, cancelled: stats.cancelled, rejected: stats.rejected },
};
if (asJson) console.log(JSON.stringify(summary));
else {
  console.log(`${summary.ok}/${clients * perClient} requests ok, ${summary.errors} errors in ${summary.seconds} s`);
  console.log(`requests/s ${summary.requestsPerSecond}, generated tokens/s ${summary.tokensPerSecond}`);
  console.log(`TTFT p50 ${summary.ttftP50Ms} ms, p95 ${summary.ttftP95Ms} ms; latency p50 ${summary.latencyP50Ms} ms, p95 ${summary.latencyP95Ms} ms`);
  for (const e of errors.slice(0, 5)) console.log(`error: ${e}`);
}
process.exit(errors.length || results.length !== clients * perClient ? 1 : 0);
