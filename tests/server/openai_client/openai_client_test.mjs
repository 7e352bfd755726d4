// The official openai npm client against `assistant-cli serve` with the demo model.
// usage: node openai_client_test.mjs ASSISTANT_CLI MODEL.gguf [EMBEDDER]
// Exits non-zero on the first failed check.
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { checks, startServer } from './server_process.mjs';

const [cli, modelPath, embedderPath] = process.argv.slice(2);
if (!cli || !modelPath) {
  console.error('usage: node openai_client_test.mjs ASSISTANT_CLI MODEL.gguf [EMBEDDER]');
  process.exit(2);
}
const modelId = modelPath.split('/').pop().replace(/\.gguf$/, '');
const key = 'sk-test-0123456789';
const args = ['-m', modelPath, '--api-key', key, '--parallel', '2'];
if (embedderPath) args.push('--embedder', embedderPath);
const server = await startServer(cli, args);
const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: key, maxRetries: 0, timeout: 60000 });
const { check, failed } = checks();

await check('models.list names the chat model', async () => {
  const ids = [];
  for await (const m of client.models.list()) ids.push(m.id);
  assert.ok(ids.includes(modelId), `ids: ${ids}`);
});

await check('chat.completions.create (JSON)', async () => {
  const r = await client.chat.completions.create({
    model: modelId, messages: [{ role: 'user', content: 'Tell me a story.' }], max_tokens: 24, temperature: 0,
  });
  assert.equal(r.object, 'chat.completion');
  assert.equal(r.choices.length, 1);
  assert.equal(r.choices[0].message.role, 'assistant');
  assert.equal(typeof r.choices[0].message.content, 'string');
  assert.ok(r.choices[0].message.content.length > 0);
  assert.ok(['stop', 'length'].includes(r.choices[0].finish_reason));
  assert.ok(r.usage.prompt_tokens > 0 && r.usage.completion_tokens > 0 && r.usage.completion_tokens <= 24);
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
});

await check('chat.completions.create (stream, include_usage) equals the JSON answer', async () => {
  const body = { model: modelId, messages: [{ role: 'user', content: 'Tell me a story.' }], max_completion_tokens: 24, temperature: 0 };
  const whole = await client.chat.completions.create(body);
  const stream = await client.chat.completions.create({ ...body, stream: true, stream_options: { include_usage: true } });
  let text = '', finish = null, usage = null, chunks = 0;
  for await (const c of stream) {
    assert.equal(c.object, 'chat.completion.chunk');
    chunks++;
    if (c.usage) usage = c.usage;
    for (const ch of c.choices) {
      text += ch.delta.content ?? '';
      if (ch.finish_reason) finish = ch.finish_reason;
    }
  }
  assert.ok(chunks > 3, `only ${chunks} chunks`);
  assert.equal(text, whole.choices[0].message.content);
  assert.equal(finish, whole.choices[0].finish_reason);
  assert.deepEqual(usage, whole.usage);
});

// The golden greedy continuation of "Zoo" (tests/app: cli.generate_golden_stories260K).
const golden = ' was a little girl named Lily. She loved to play outside in';
await check('completions.create (JSON) gives the golden greedy text', async () => {
  const r = await client.completions.create({ model: modelId, prompt: 'Zoo', max_tokens: 20, temperature: 0 });
  assert.equal(r.object, 'text_completion');
  assert.ok(r.choices[0].text.startsWith(golden), JSON.stringify(r.choices[0].text));
  assert.equal(r.choices[0].finish_reason, 'length');
  assert.equal(r.usage.completion_tokens, 20);
});

await check('completions.create (stream) gives the same text', async () => {
  const stream = await client.completions.create({ model: modelId, prompt: 'Zoo', max_tokens: 20, temperature: 0, stream: true });
  let text = '', finish = null;
  for await (const c of stream) for (const ch of c.choices) { text += ch.text; if (ch.finish_reason) finish = ch.finish_reason; }
  assert.ok(text.startsWith(golden), JSON.stringify(text));
  assert.equal(finish, 'length');
});

await check('seed makes sampling repeatable; stop ends the text', async () => {
  const body = { model: modelId, prompt: 'Once upon a time', max_tokens: 40, temperature: 1, seed: 1234 };
  const a = await client.completions.create(body);
  const b = await client.completions.create(body);
  assert.equal(a.choices[0].text, b.choices[0].text);
  const s = await client.completions.create({ ...body, temperature: 0, stop: ['.'] });
  assert.ok(!s.choices[0].text.includes('.'), s.choices[0].text);
  assert.equal(s.choices[0].finish_reason, 'stop');
});

// Structured output: the story model answers in JSON valid against the schema.
const personSchema = {
  type: 'object', additionalProperties: false, required: ['name', 'age', 'pets'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 12 },
    age: { type: 'integer', minimum: 3, maximum: 9 },
    pets: { type: 'array', items: { enum: ['cat', 'dog', 'fish'] }, minItems: 1, maxItems: 2 },
  },
};
function checkPerson(text) {
  const v = JSON.parse(text);
  assert.deepEqual(Object.keys(v).sort(), ['age', 'name', 'pets'], text);
  assert.ok(typeof v.name === 'string' && v.name.length >= 1 && [...v.name].length <= 12, text);
  assert.ok(Number.isInteger(v.age) && v.age >= 3 && v.age <= 9, text);
  assert.ok(v.pets.length >= 1 && v.pets.length <= 2 && v.pets.every((p) => ['cat', 'dog', 'fish'].includes(p)), text);
}
await check('response_format json_schema gives JSON valid against the schema (greedy, seeded, streamed)', async () => {
  const body = {
    model: modelId, messages: [{ role: 'user', content: 'Who is Lily?' }], max_tokens: 200,
    response_format: { type: 'json_schema', json_schema: { name: 'person', strict: true, schema: personSchema } },
  };
  for (const [temperature, seed] of [[0, 1], [0.9, 2], [1.2, 3]]) {
    const r = await client.chat.completions.create({ ...body, temperature, seed });
    assert.equal(r.choices[0].finish_reason, 'stop');
    checkPerson(r.choices[0].message.content);
  }
  const stream = await client.chat.completions.create({ ...body, temperature: 0.8, seed: 4, stream: true });
  let text = '';
  for await (const c of stream) for (const ch of c.choices) text += ch.delta.content ?? '';
  checkPerson(text);
});

await check('a schema the server cannot compile is a BadRequestError naming the path', async () => {
  await assert.rejects(
    client.chat.completions.create({
      model: modelId, messages: [{ role: 'user', content: 'hi' }],
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object', properties: { a: { type: 'strang' } } } } },
    }),
    (e) => {
      assert.ok(e instanceof OpenAI.BadRequestError, String(e));
      assert.ok(/properties\/a\/type/.test(e.message), e.message);
      return true;
    });
});

// Tool calls: the story model knows no tools, so "required" and a named function
// (forced by a grammar from the tools' schemas) must still give valid calls.
const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather', description: 'The weather in a city now',
    parameters: {
      type: 'object', required: ['city', 'unit'],
      properties: { city: { type: 'string', minLength: 1, maxLength: 12 }, unit: { enum: ['celsius', 'fahrenheit'] } },
    },
  },
};
const sheepTool = {
  type: 'function',
  function: { name: 'count_sheep', parameters: { type: 'object', required: ['n'], properties: { n: { type: 'integer', minimum: 1, maximum: 9 } } } },
};
function checkCall(call) {
  assert.equal(call.type, 'function');
  assert.match(call.id, /^call_[A-Za-z0-9]{24}$/);
  const args = JSON.parse(call.function.arguments);
  if (call.function.name === 'get_weather') {
    assert.deepEqual(Object.keys(args).sort(), ['city', 'unit'], call.function.arguments);
    assert.ok(typeof args.city === 'string' && args.city.length >= 1, call.function.arguments);
    assert.ok(['celsius', 'fahrenheit'].includes(args.unit), call.function.arguments);
  } else {
    assert.equal(call.function.name, 'count_sheep');
    assert.ok(Number.isInteger(args.n) && args.n >= 1 && args.n <= 9, call.function.arguments);
  }
}
const toolBody = {
  model: modelId, messages: [{ role: 'user', content: 'What is the weather in Paris?' }], max_tokens: 200,
  tools: [weatherTool, sheepTool], parallel_tool_calls: false,
};
await check('tools: tool_choice required and a named function give valid tool_calls (JSON)', async () => {
  for (const [temperature, seed] of [[0, 1], [0.9, 2], [1.2, 3]]) {
    const r = await client.chat.completions.create({ ...toolBody, tool_choice: 'required', temperature, seed });
    assert.equal(r.choices[0].finish_reason, 'tool_calls');
    assert.equal(r.choices[0].message.content, null);
    assert.equal(r.choices[0].message.tool_calls.length, 1);
    checkCall(r.choices[0].message.tool_calls[0]);
  }
  const named = await client.chat.completions.create({
    ...toolBody, temperature: 0, tool_choice: { type: 'function', function: { name: 'count_sheep' } },
  });
  assert.equal(named.choices[0].message.tool_calls[0].function.name, 'count_sheep');
  checkCall(named.choices[0].message.tool_calls[0]);
});

await check('tools streamed: the client assembles the same call from delta.tool_calls', async () => {
  const body = { ...toolBody, tool_choice: 'required', temperature: 0 };
  const whole = await client.chat.completions.create(body);
  const stream = client.chat.completions.stream(body);
  let argumentDeltas = 0;
  stream.on('tool_calls.function.arguments.delta', () => { argumentDeltas++; });
  const final = await stream.finalChatCompletion();
  assert.ok(argumentDeltas > 1, `arguments came in ${argumentDeltas} pieces`);
  assert.equal(final.choices[0].finish_reason, 'tool_calls');
  const [call] = final.choices[0].message.tool_calls;
  checkCall(call);
  const [expected] = whole.choices[0].message.tool_calls;
  assert.equal(call.function.name, expected.function.name);
  assert.deepEqual(JSON.parse(call.function.arguments), JSON.parse(expected.function.arguments));
  // The raw chunks: id, type and name on the first delta of the call only.
  const raw = await client.chat.completions.create({ ...body, stream: true });
  let firsts = 0;
  for await (const c of raw) {
    for (const ch of c.choices) for (const d of ch.delta.tool_calls ?? []) {
      assert.equal(d.index, 0);
      if (d.id) { firsts++; assert.equal(d.function.name, expected.function.name); } else assert.equal(d.function.name, undefined);
    }
  }
  assert.equal(firsts, 1);
});

await check('tools: a conversation with the call and its result goes back in; auto and none answer in text', async () => {
  const first = await client.chat.completions.create({ ...toolBody, tool_choice: 'required', temperature: 0 });
  const msg = first.choices[0].message;
  const r = await client.chat.completions.create({
    ...toolBody, max_tokens: 16, temperature: 0,
    messages: [...toolBody.messages, msg, { role: 'tool', tool_call_id: msg.tool_calls[0].id, content: '18 degrees, sunny' }],
  });
  assert.equal(typeof r.choices[0].message.content, 'string');
  assert.ok(r.usage.prompt_tokens > first.usage.prompt_tokens);
  for (const tool_choice of ['auto', 'none']) {
    const t = await client.chat.completions.create({ ...toolBody, max_tokens: 16, temperature: 0, tool_choice });
    assert.equal(t.choices[0].message.tool_calls, undefined);
    assert.equal(typeof t.choices[0].message.content, 'string');
  }
});

await check('tools: tool_choice naming an unknown function is a BadRequestError', async () => {
  await assert.rejects(
    client.chat.completions.create({ ...toolBody, tool_choice: { type: 'function', function: { name: 'fly' } } }),
    (e) => e instanceof OpenAI.BadRequestError && /fly/.test(e.message));
});

if (embedderPath) {
  await check('embeddings.create (string and array)', async () => {
    const one = await client.embeddings.create({ input: 'The cat sat on the mat.' });
    assert.equal(one.data.length, 1);
    const many = await client.embeddings.create({ input: ['The cat sat on the mat.', 'Stocks fell sharply today.'] });
    assert.equal(many.data.length, 2);
    const [a, b] = many.data.map((d) => d.embedding);
    assert.equal(a.length, one.data[0].embedding.length);
    const norm = Math.hypot(...a);
    assert.ok(Math.abs(norm - 1) < 1e-3, `norm ${norm}`);
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - one.data[0].embedding[i]) < 1e-5);
    assert.ok(a.some((x, i) => Math.abs(x - b[i]) > 1e-3));
  });
} else {
  await check('embeddings.create without an embedding model is a clear API error', async () => {
    await assert.rejects(client.embeddings.create({ input: 'hello' }), (e) => {
      assert.ok(e instanceof OpenAI.APIError, String(e));
      assert.ok([400, 503].includes(e.status), `status ${e.status}`);
      assert.ok(/embed/.test(e.message), e.message);
      return true;
    });
  });
}

await check('a wrong key is an AuthenticationError', async () => {
  const bad = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'wrong', maxRetries: 0 });
  await assert.rejects(bad.models.list(), OpenAI.AuthenticationError);
});

await check('an unknown model is a NotFoundError', async () => {
  await assert.rejects(
    client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }),
    OpenAI.NotFoundError);
});

await check('n=2 is a BadRequestError', async () => {
  await assert.rejects(
    client.chat.completions.create({ model: modelId, messages: [{ role: 'user', content: 'hi' }], n: 2 }),
    OpenAI.BadRequestError);
});

const code = await server.stop();
await check('the server exits cleanly on SIGTERM', async () => assert.equal(code, 0));
process.exit(failed() ? 1 : 0);
