// Anthropic's official Node SDK against the gateway.
// Usage: node anthropic.mjs <create|stream|count_tokens>
// Env: GATEWAY_URL (the gateway's base URL), API_KEY (a fake Gemini key).
// Prints one JSON object on stdout.
import Anthropic from '@anthropic-ai/sdk';
import { run } from './run.mjs';

const client = new Anthropic({
  baseURL: process.env.GATEWAY_URL,
  apiKey: process.env.API_KEY,
  maxRetries: 0,
  timeout: 30_000,
});

const params = {
  model: 'claude-sonnet-4-6',
  max_tokens: 128,
  system: 'Be brief.',
  messages: [{ role: 'user', content: 'Say hello' }],
};

function summary(m) {
  return {
    id: m.id,
    type: m.type,
    role: m.role,
    model: m.model,
    stop_reason: m.stop_reason,
    content: m.content,
    text: m.content.filter((b) => b.type === 'text').map((b) => b.text).join(''),
    usage: m.usage,
  };
}

async function create() {
  return summary(await client.messages.create(params));
}

async function stream() {
  const s = client.messages.stream({ ...params, temperature: 0.2 });
  const events = [];
  let deltas = '';
  s.on('streamEvent', (e) => events.push(e.type));
  s.on('text', (d) => { deltas += d; });
  const m = await s.finalMessage();
  return { ...summary(m), events, deltas };
}

async function count_tokens() {
  const r = await client.messages.countTokens({
    model: 'claude-sonnet-4-6',
    system: 'Be brief.',
    messages: [{ role: 'user', content: 'How many tokens is this sentence?' }],
  });
  return r;
}

await run({ create, stream, count_tokens }, (e) =>
  e instanceof Anthropic.APIError ? { status: e.status ?? null, error: e.error ?? null, message: e.message } : null);
