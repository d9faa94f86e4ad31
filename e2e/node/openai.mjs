// OpenAI's official Node SDK against the gateway.
// Usage: node openai.mjs <chat|stream|tools|error>
// Env: GATEWAY_URL (the gateway's base URL), API_KEY (a fake Gemini key).
// Prints one JSON object on stdout.
import OpenAI from 'openai';
import { run } from './run.mjs';

const client = new OpenAI({
  baseURL: process.env.GATEWAY_URL + '/v1',
  apiKey: process.env.API_KEY,
  maxRetries: 0,
  timeout: 30_000,
});

const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather of a city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } },
      required: ['city'],
      additionalProperties: false,
    },
  },
};

async function chat() {
  const r = await client.chat.completions.create({
    model: 'gpt-4o',
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Say hello' },
    ],
    max_tokens: 64,
    temperature: 0.3,
  });
  return { id: r.id, object: r.object, model: r.model, content: r.choices[0].message.content, finish_reason: r.choices[0].finish_reason, usage: r.usage, choices: r.choices.length };
}

async function stream() {
  const s = client.chat.completions.stream({
    model: 'gemini-2.5-flash',
    messages: [{ role: 'user', content: 'Count to five' }],
    stream_options: { include_usage: true },
  });
  let chunks = 0, contentDeltas = 0, usage = null, usageChunkChoices = null;
  s.on('chunk', (c) => {
    chunks++;
    if (c.choices?.[0]?.delta?.content) contentDeltas++;
    if (c.usage) { usage = c.usage; usageChunkChoices = c.choices.length; }
  });
  let deltas = '';
  s.on('content', (d) => { deltas += d; });
  const final = await s.finalChatCompletion();
  return { chunks, content_deltas: contentDeltas, deltas, content: final.choices[0].message.content, finish_reason: final.choices[0].finish_reason, model: final.model, usage, usage_chunk_choices: usageChunkChoices };
}

async function tools() {
  const messages = [{ role: 'user', content: 'What is the weather in Paris?' }];
  const first = await client.chat.completions.create({ model: 'gpt-4o', messages, tools: [weatherTool] });
  const msg = first.choices[0].message;
  const calls = msg.tool_calls ?? [];
  messages.push(msg);
  for (const call of calls) {
    const args = JSON.parse(call.function.arguments);
    messages.push({ role: 'tool', tool_call_id: call.id, content: JSON.stringify({ city: args.city, temperature: 21, unit: 'c' }) });
  }
  const second = await client.chat.completions.create({ model: 'gpt-4o', messages, tools: [weatherTool] });
  return {
    first_finish_reason: first.choices[0].finish_reason,
    tool_calls: calls.map((c) => ({ id: c.id, type: c.type, name: c.function.name, arguments: JSON.parse(c.function.arguments) })),
    final_content: second.choices[0].message.content,
    final_finish_reason: second.choices[0].finish_reason,
  };
}

async function error() {
  try {
    await client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    return { error: null };
  } catch (e) {
    return {
      is_api_error: e instanceof OpenAI.APIError,
      is_rate_limit_error: e instanceof OpenAI.RateLimitError,
      status: e.status,
      type: e.type ?? null,
      code: e.code ?? null,
      message: e.message,
      retry_after: e.headers?.get?.('retry-after') ?? null,
    };
  }
}

// The error scenario catches its API error itself, to print what the SDK
// makes of it.
await run({ chat, stream, tools, error });
