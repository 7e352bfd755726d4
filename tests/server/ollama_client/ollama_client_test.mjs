// The official ollama npm client against `assistant-cli serve` with the demo model:
// list, show, chat (streamed and not), structured output (format), generate (raw), embed,
// a wrong key, an unknown model.
// usage: node ollama_client_test.mjs ASSISTANT_CLI MODEL.gguf EMBEDDER.gguf
// Exits non-zero when a check fails.
import assert from 'node:assert/strict';
import { Ollama } from 'ollama';
import { checks, startServer } from './server_process.mjs';

const [cli, modelPath, embedderPath] = process.argv.slice(2);
if (!cli || !modelPath || !embedderPath) {
  console.error('usage: node ollama_client_test.mjs ASSISTANT_CLI MODEL.gguf EMBEDDER.gguf');
  process.exit(2);
}
const stem = (p) => p.split('/').pop().replace(/\.gguf$/, '');
const model = `${stem(modelPath)}:latest`;
const key = 'sk-test-0123456789';
const server = await startServer(cli, ['-m', modelPath, '--embedder', embedderPath, '--api-key', key, '--parallel', '2']);
const ollama = new Ollama({ host: server.url, headers: { Authorization: `Bearer ${key}` } });
const greedy = { temperature: 0, num_predict: 16 };
const messages = [{ role: 'user', content: 'Tell me a story.' }];
const { check, failed } = checks();

await check('list names the chat model and the embedder', async () => {
  const { models } = await ollama.list();
  const names = models.map((m) => m.name);
  assert.deepEqual(names, [model, `${stem(embedderPath)}:latest`]);
  assert.equal(models[0].details.format, 'gguf');
});

await check('show describes the model', async () => {
  const r = await ollama.show({ model });
  assert.equal(r.model_info['general.architecture'], 'llama');
  assert.deepEqual(r.capabilities, ['completion', 'tools']);
});

let whole = '';
await check('chat (not streamed)', async () => {
  const r = await ollama.chat({ model, messages, options: greedy, stream: false });
  assert.equal(r.message.role, 'assistant');
  assert.ok(r.message.content.length > 0);
  assert.equal(r.done, true);
  assert.equal(r.done_reason, 'length');
  assert.equal(r.eval_count, 16);
  whole = r.message.content;
});

await check('chat (streamed) adds up to the same answer', async () => {
  let text = '';
  let parts = 0;
  let last;
  for await (const part of await ollama.chat({ model, messages, options: greedy, stream: true })) {
    text += part.message.content;
    parts++;
    last = part;
  }
  assert.ok(parts > 2, `${parts} parts`);
  assert.equal(last.done, true);
  assert.ok(last.total_duration > 0);
  assert.equal(text, whole);
});

await check('aborting a chat stream cancels the generation on the server', async () => {
  const stats = () => fetch(`${server.url}/stats`, { headers: { Authorization: `Bearer ${key}` } }).then((r) => r.json());
  const before = (await stats()).cancelled;
  const stream = await ollama.chat({ model, messages, options: { num_predict: 2000 }, stream: true });
  let parts = 0;
  await assert.rejects((async () => {
    for await (const part of stream) {
      assert.equal(part.done, false);
      if (++parts === 3) stream.abort();
    }
  })(), { name: 'AbortError' });
  for (const deadline = Date.now() + 10000; Date.now() < deadline;) {
    if ((await stats()).cancelled > before) return;
    await new Promise((res) => setTimeout(res, 50));
  }
  assert.fail('the server did not cancel the aborted generation');
});

await check('generate (raw) continues the prompt', async () => {
  const r = await ollama.generate({ model, prompt: 'Once upon a time', raw: true, options: greedy, stream: false });
  assert.ok(r.response.length > 0);
  assert.equal(r.done, true);
});

await check('format (a JSON Schema, and "json") holds the answer to it', async () => {
  const format = {
    type: 'object', additionalProperties: false, required: ['hero', 'happy'],
    properties: { hero: { type: 'string', maxLength: 10 }, happy: { type: 'boolean' } },
  };
  const r = await ollama.chat({ model, messages, format, options: { temperature: 0.8, seed: 3, num_predict: 100 } });
  const v = JSON.parse(r.message.content);
  assert.deepEqual(Object.keys(v).sort(), ['happy', 'hero'], r.message.content);
  assert.equal(typeof v.happy, 'boolean');
  assert.ok(typeof v.hero === 'string' && [...v.hero].length <= 10, r.message.content);
  const g = await ollama.generate({ model, prompt: 'Lily', format: 'json', options: { temperature: 0, num_predict: 60 } });
  assert.ok(g.response.startsWith('{'), g.response);
});

// Tools: Ollama has no tool_choice; ours rides along in the request (the client sends
// the body as given) so the story model, which never calls unprompted, must call.
await check('chat with tools gives message.tool_calls with object arguments (streamed and not)', async () => {
  const tools = [{
    type: 'function',
    function: {
      name: 'get_weather', description: 'The weather in a city now',
      parameters: { type: 'object', required: ['city'], properties: { city: { type: 'string', minLength: 1, maxLength: 12 } } },
    },
  }];
  const body = { model, messages: [{ role: 'user', content: 'Weather in Oslo?' }], tools, tool_choice: 'required',
    parallel_tool_calls: false, options: { temperature: 0, num_predict: 200 } };
  const r = await ollama.chat({ ...body, stream: false });
  assert.equal(r.message.tool_calls.length, 1);
  const call = r.message.tool_calls[0].function;
  assert.equal(call.name, 'get_weather');
  assert.deepEqual(Object.keys(call.arguments), ['city']);
  assert.ok(typeof call.arguments.city === 'string' && call.arguments.city.length >= 1);
  const streamed = [];
  for await (const part of await ollama.chat({ ...body, stream: true })) streamed.push(...(part.message.tool_calls ?? []));
  assert.deepEqual(streamed, r.message.tool_calls);
  // The call and its result go back into the conversation.
  const next = await ollama.chat({ ...body, tool_choice: 'auto', stream: false, options: greedy,
    messages: [...body.messages, r.message, { role: 'tool', tool_name: 'get_weather', content: '-3 C' }] });
  assert.equal(typeof next.message.content, 'string');
  assert.ok(next.prompt_eval_count > r.prompt_eval_count);
});

await check('embed gives one vector per input', async () => {
  const r = await ollama.embed({ model: stem(embedderPath), input: ['a cat sat', 'stock prices fell'] });
  assert.equal(r.embeddings.length, 2);
  assert.ok(r.embeddings[0].length >= 128, `dimension ${r.embeddings[0].length}`);
  const norm = Math.hypot(...r.embeddings[0]);
  assert.ok(Math.abs(norm - 1) < 1e-3, `norm ${norm}`);
});

await check('an unknown model is a clear error', async () => {
  await assert.rejects(ollama.chat({ model: 'llama3:8b', messages, stream: false }), (e) => {
    assert.equal(e.status_code, 404);
    assert.match(e.error, /does not exist/);
    return true;
  });
});

await check('a wrong key is refused', async () => {
  const stranger = new Ollama({ host: server.url, headers: { Authorization: 'Bearer wrong' } });
  await assert.rejects(stranger.list(), (e) => {
    assert.equal(e.status_code, 401);
    assert.match(e.error, /invalid API key/);
    return true;
  });
});

const code = await server.stop();
assert.equal(code, 0, `server exit code ${code}: ${server.stderr()}`);
process.exit(failed() ? 1 : 0);
