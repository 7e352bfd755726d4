// LangChain.js against `assistant-cli serve` with the demo model and the shipped
// embedder, through both APIs: ChatOpenAI (invoke, stream, withStructuredOutput,
// bindTools), OpenAIEmbeddings,
// ChatOllama (invoke, stream) and OllamaEmbeddings.
// usage: node langchain_client_test.mjs ASSISTANT_CLI MODEL.gguf EMBEDDER.gguf
// Exits non-zero when a check fails.
import assert from 'node:assert/strict';
import { ChatOpenAI, OpenAIEmbeddings } from '@langchain/openai';
import { ChatOllama, OllamaEmbeddings } from '@langchain/ollama';
import { checks, startServer } from './server_process.mjs';

const [cli, modelPath, embedderPath] = process.argv.slice(2);
if (!cli || !modelPath || !embedderPath) {
  console.error('usage: node langchain_client_test.mjs ASSISTANT_CLI MODEL.gguf EMBEDDER.gguf');
  process.exit(2);
}
const stem = (p) => p.split('/').pop().replace(/\.gguf$/, '');
const key = 'sk-test-0123456789';
const server = await startServer(cli, ['-m', modelPath, '--embedder', embedderPath, '--api-key', key, '--parallel', '2']);
const { check, failed } = checks();
const question = 'Tell me a story about a dog.';
const openai = { apiKey: key, configuration: { baseURL: `${server.url}/v1` }, maxRetries: 0 };
const ollama = { baseUrl: server.url, headers: { Authorization: `Bearer ${key}` } };

let invoked = '';
await check('ChatOpenAI.invoke', async () => {
  const chat = new ChatOpenAI({ ...openai, model: stem(modelPath), temperature: 0, maxTokens: 16 });
  const r = await chat.invoke(question);
  assert.equal(typeof r.content, 'string');
  assert.ok(r.content.length > 0);
  assert.equal(r.usage_metadata.output_tokens, 16);
  invoked = r.content;
});

await check('ChatOpenAI.stream adds up to the invoked answer', async () => {
  const chat = new ChatOpenAI({ ...openai, model: stem(modelPath), temperature: 0, maxTokens: 16 });
  let text = '';
  let chunks = 0;
  for await (const chunk of await chat.stream(question)) {
    text += chunk.content;
    chunks++;
  }
  assert.ok(chunks > 2, `${chunks} chunks`);
  assert.equal(text, invoked);
});

await check('ChatOpenAI.withStructuredOutput (jsonSchema) and ChatOllama format give schema-valid objects', async () => {
  const schema = {
    title: 'pet', type: 'object', additionalProperties: false, required: ['name', 'legs'],
    properties: { name: { type: 'string', minLength: 1, maxLength: 10 }, legs: { type: 'integer', minimum: 0, maximum: 8 } },
  };
  const valid = (v) => typeof v.name === 'string' && v.name.length >= 1 && [...v.name].length <= 10 &&
    Number.isInteger(v.legs) && v.legs >= 0 && v.legs <= 8 && Object.keys(v).length === 2;
  const chat = new ChatOpenAI({ ...openai, model: stem(modelPath), temperature: 0.7, maxTokens: 100 });
  const structured = chat.withStructuredOutput(schema, { method: 'jsonSchema', name: 'pet', strict: true });
  const v = await structured.invoke(question);
  assert.ok(valid(v), JSON.stringify(v));
  const oll = new ChatOllama({ ...ollama, model: stem(modelPath), temperature: 0.7, numPredict: 100, format: schema });
  const r = await oll.invoke(question);
  const w = JSON.parse(r.content);
  assert.ok(valid(w), r.content);
});

await check('ChatOpenAI.bindTools with a forced tool gives tool_calls (invoke and stream); withStructuredOutput by function calling', async () => {
  const weather = {
    type: 'function',
    function: {
      name: 'get_weather', description: 'The weather in a city now',
      parameters: { type: 'object', required: ['city'], properties: { city: { type: 'string', minLength: 1, maxLength: 12 } } },
    },
  };
  const chat = new ChatOpenAI({ ...openai, model: stem(modelPath), temperature: 0, maxTokens: 200 });
  const bound = chat.bindTools([weather], { tool_choice: 'get_weather' });
  const r = await bound.invoke('What is the weather in Paris?');
  assert.equal(r.tool_calls.length, 1, JSON.stringify(r.tool_calls));
  assert.equal(r.tool_calls[0].name, 'get_weather');
  assert.deepEqual(Object.keys(r.tool_calls[0].args), ['city']);
  assert.ok(typeof r.tool_calls[0].args.city === 'string' && r.tool_calls[0].args.city.length >= 1);
  let all;
  for await (const chunk of await bound.stream('What is the weather in Paris?')) all = all ? all.concat(chunk) : chunk;
  assert.equal(all.tool_calls.length, 1);
  assert.deepEqual(all.tool_calls[0].args, r.tool_calls[0].args);
  const schema = {
    title: 'pet', type: 'object', additionalProperties: false, required: ['name', 'legs'],
    properties: { name: { type: 'string', minLength: 1, maxLength: 10 }, legs: { type: 'integer', minimum: 0, maximum: 8 } },
  };
  const v = await chat.withStructuredOutput(schema, { method: 'functionCalling', name: 'pet' }).invoke(question);
  assert.ok(typeof v.name === 'string' && Number.isInteger(v.legs) && v.legs >= 0 && v.legs <= 8, JSON.stringify(v));
});

await check('OpenAIEmbeddings', async () => {
  const embeddings = new OpenAIEmbeddings({ ...openai, model: stem(embedderPath) });
  const docs = await embeddings.embedDocuments(['a cat sat on the mat', 'stock prices fell sharply']);
  const query = await embeddings.embedQuery('a cat sat on the mat');
  assert.equal(docs.length, 2);
  assert.equal(query.length, docs[0].length);
  const same = query.reduce((s, v, i) => s + v * docs[0][i], 0);
  const other = query.reduce((s, v, i) => s + v * docs[1][i], 0);
  assert.ok(Math.abs(same - 1) < 1e-3 && other < same, `cosines ${same} ${other}`);
});

await check('ChatOllama.invoke and stream give the OpenAI route\'s answer', async () => {
  const chat = new ChatOllama({ ...ollama, model: `${stem(modelPath)}:latest`, temperature: 0, numPredict: 16 });
  const r = await chat.invoke(question);
  assert.equal(r.content, invoked);
  let text = '';
  for await (const chunk of await chat.stream(question)) text += chunk.content;
  assert.equal(text, invoked);
});

await check('OllamaEmbeddings match OpenAIEmbeddings', async () => {
  const viaOllama = await new OllamaEmbeddings({ ...ollama, model: stem(embedderPath) }).embedQuery('hello world');
  const viaOpenAI = await new OpenAIEmbeddings({ ...openai, model: stem(embedderPath) }).embedQuery('hello world');
  assert.equal(viaOllama.length, viaOpenAI.length);
  viaOllama.forEach((v, i) => assert.ok(Math.abs(v - viaOpenAI[i]) < 1e-6, `component ${i}`));
});

const code = await server.stop();
assert.equal(code, 0, `server exit code ${code}: ${server.stderr()}`);
process.exit(failed() ? 1 : 0);
