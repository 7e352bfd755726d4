// Shared by the server benchmarks: start `assistant-cli serve` on a free loopback port
// and wait until it is healthy, and time one streaming chat request.
import { spawn } from 'node:child_process';

// Starts `cli serve --port 0 ...args`; resolves with { url, child } once /health answers 200.
export async function startServer(cli, args) {
  const child = spawn(cli, ['serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`server exited (${code})`)));
  });
  for (;;) {
    const r = await fetch(`${url}/health`).catch(() => null);
    if (r && r.status === 200) break;
    await new Promise((res) => setTimeout(res, 50));
  }
  return { url, child };
}

// POSTs `body` (a chat request; stream and usage are set here) and reads the SSE stream:
// resolves with { ttftMs (first content delta), totalMs, tokens (usage) } or throws.
export async function streamChat(url, body) {
  const t0 = performance.now();
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } }),
  });
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  const decoder = new TextDecoder();
  let buf = '', ttft = null, done = false, tokens = 0;
  for await (const bytes of res.body) {
    buf += decoder.decode(bytes, { stream: true });
    let k;
    while ((k = buf.indexOf('\n\n')) >= 0) {
      const event = buf.slice(0, k);
      buf = buf.slice(k + 2);
      if (!event.startsWith('data: ')) continue;
      const data = event.slice(6);
      if (data === '[DONE]') { done = true; continue; }
      const chunk = JSON.parse(data);
      if (chunk.error) throw new Error(chunk.error.message);
      if (chunk.usage) tokens = chunk.usage.completion_tokens;
      if (ttft === null && chunk.choices?.[0]?.delta?.content) ttft = performance.now() - t0;
    }
  }
  if (!done) throw new Error('stream ended without [DONE]');
  const totalMs = performance.now() - t0;
  return { ttftMs: ttft ?? totalMs, totalMs, tokens };
}
