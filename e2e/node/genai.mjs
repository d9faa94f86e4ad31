// Google's official Gen AI SDK (@google/genai) against the gateway's native
// Gemini endpoints.
// Usage: node genai.mjs <generate|stream|count_tokens|embed|list>
// Env: GATEWAY_URL (the gateway's base URL), API_KEY (a fake Gemini key).
// Prints one JSON object on stdout.
import { GoogleGenAI, ApiError } from '@google/genai';
import { run } from './run.mjs';

const ai = new GoogleGenAI({
  apiKey: process.env.API_KEY,
  httpOptions: { baseUrl: process.env.GATEWAY_URL, timeout: 30_000 },
});

async function generate() {
  const r = await ai.models.generateContent({
    model: 'gemini-2.5-flash',
    contents: 'Say hello',
    config: { systemInstruction: 'Be brief.', temperature: 0.5, maxOutputTokens: 100 },
  });
  return { text: r.text, finish_reason: r.candidates?.[0]?.finishReason ?? null, usage: r.usageMetadata ?? null, model_version: r.modelVersion ?? null };
}

async function stream() {
  const s = await ai.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'Count to five' });
  const texts = [];
  let finish = null, usage = null;
  for await (const chunk of s) {
    if (chunk.text) texts.push(chunk.text);
    finish = chunk.candidates?.[0]?.finishReason ?? finish;
    usage = chunk.usageMetadata ?? usage;
  }
  return { chunks: texts.length, text: texts.join(''), finish_reason: finish, usage };
}

async function count_tokens() {
  const r = await ai.models.countTokens({ model: 'gemini-2.5-flash', contents: 'How many tokens is this sentence?' });
  return { total_tokens: r.totalTokens ?? null };
}

async function embed() {
  const r = await ai.models.embedContent({ model: 'gemini-embedding-001', contents: ['hello world', 'good night'], config: { outputDimensionality: 8 } });
  return { embeddings: r.embeddings.map((e) => e.values) };
}

async function list() {
  const names = [];
  const pager = await ai.models.list({ config: { pageSize: 50 } });
  for await (const m of pager) names.push(m.name);
  return { models: names };
}

await run({ generate, stream, count_tokens, embed, list }, (e) =>
  e instanceof ApiError ? { status: e.status ?? null, message: e.message } : null);
