// Continuous batching, llama-server style numbers: 1, 2, 4, 8 (--levels) concurrent
// streaming chat clients against one `assistant-cli serve --parallel 8`, each sending
// one short chat request at the same moment (max_tokens 32, ignore_eos, greedy), then
// the next level. Per level: aggregate completion tokens/s over the whole wall time
// (first request sent to last answer), TTFT and mean inter-token latency (ITL) per
// request (p50 / max), median over --rounds rounds. The ratio column is the level's
// aggregate rate over the 1-client rate of the same run.
//
// usage: node bench/server/batching.mjs ASSISTANT_CLI MODEL.gguf [--levels 1,2,4,8] [--rounds 3]
//        [--max-tokens 32] [--parallel 8] [--threads T] [--no-batching] [--json]
import { startServer, streamChat } from './serve_client.mjs';

const argv = process.argv.slice(2);
const opt = (name, def) => {
  const i = argv.indexOf(name);
  if (i < 0) return def;
  return argv.splice(i, 2)[1];
};
const levels = opt('--levels', '1,2,4,8').split(',').map(Number);
const rounds = Number(opt('--rounds', 3));
const maxTokens = Number(opt('--max-tokens', 32));
const parallel = Number(opt('--parallel', 8));
const threads = opt('--threads', null);
const noBatching = argv.includes('--no-batching');
const asJson = argv.includes('--json');
const [cli, model] = argv.filter((a) => !a.startsWith('--'));
if (!cli || !model) {
  console.error('usage: node batching.mjs ASSISTANT_CLI MODEL.gguf [--levels 1,2,4,8] [--rounds 3] [--max-tokens 32] ' +
                '[--parallel 8] [--threads T] [--no-batching] [--json]');
  process.exit(2);
}

const args = ['-m', model, '--parallel', String(parallel), '--no-embedder'];
if (threads) args.push('-t', threads);
if (noBatching) args.push('--no-batching');
const { url, child } = await startServer(cli, args);

const prompts = [
  'Write a short poem about the sea.', 'What is the capital of France?', 'Give me three tips for sleeping well.',
  'Explain what a CPU cache is.', 'Tell me a joke about cats.', 'How do I boil an egg?',
  'Name four planets.', 'Summarize the plot of Cinderella.',
];

// One streaming chat request: { ttftMs, itlMs, totalMs, tokens }. `tag` makes each
// request's text new to the server (no prompt cached from an earlier round).
async function streamOnce(i, tag) {
  const r = await streamChat(url, {
    messages: [{ role: 'user', content: `${tag}. ${prompts[i % prompts.length]}` }],
    max_tokens: maxTokens, ignore_eos: true, temperature: 0,
  });
  return { ...r, itlMs: r.tokens > 1 ? (r.totalMs - r.ttftMs) / (r.tokens - 1) : 0 };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

await streamOnce(0, 'warm-up');  // page in the weights
const rows = [];
for (const clients of levels) {
  const perRound = [];
  for (let r = 0; r < rounds; r++) {
    const start = performance.now();
    const results = await Promise.all(Array.from({ length: clients }, (_, c) => streamOnce(c, `${clients}-${r}-${c}`)));
    const seconds = (performance.now() - start) / 1000;
    const tokens = results.reduce((a, x) => a + x.tokens, 0);
    perRound.push({
      tokensPerSecond: tokens / seconds, tokens,
      ttftP50: median(results.map((x) => x.ttftMs)), ttftMax: Math.max(...results.map((x) => x.ttftMs)),
      itlP50: median(results.map((x) => x.itlMs)), itlMax: Math.max(...results.map((x) => x.itlMs)),
    });
  }
  const pick = (k) => +median(perRound.map((x) => x[k])).toFixed(1);
  rows.push({ clients, tokensPerSecond: pick('tokensPerSecond'), tokens: perRound[0].tokens,
              ttftP50Ms: pick('ttftP50'), ttftMaxMs: pick('ttftMax'), itlP50Ms: pick('itlP50'), itlMaxMs: pick('itlMax') });
}
const stats = await (await fetch(`${url}/stats`)).json();
child.kill('SIGTERM');
const base = rows.find((r) => r.clients === 1)?.tokensPerSecond;
for (const r of rows) r.ratio = base ? +(r.tokensPerSecond / base).toFixed(2) : null;

if (asJson) console.log(JSON.stringify({ batching: !noBatching, maxTokens, parallel, rounds, rows, batch: stats.batch }));
else {
  console.log(`serve --parallel ${parallel}${noBatching ? ' --no-batching' : ''}${threads ? ` -t ${threads}` : ''}; ` +
              `${maxTokens} tokens per request (ignore_eos, greedy); median of ${rounds} rounds`);
  console.log('| clients | completion tokens/s | vs 1 client | TTFT p50 / max (ms) | ITL p50 / max (ms) |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const r of rows)
    console.log(`| ${r.clients} | ${r.tokensPerSecond} | ${r.ratio}x | ${r.ttftP50Ms} / ${r.ttftMaxMs} | ${r.itlP50Ms} / ${r.itlMaxMs} |`);
  if (stats.batch) console.log(`batcher: ${stats.batch.passes} passes, ${stats.batch.tokens} tokens, ` +
                               `${(stats.batch.sequences / Math.max(1, stats.batch.passes)).toFixed(2)} sequences per pass`);
}
