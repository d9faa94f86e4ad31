package main

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/gemini-code-api/gemini-code-api/internal/benchdata"
)

// scenario is one kind of request: what the client sends, what Gemini
// answers (whole, or as events SSE events), and how the translated
// answer is recognised.
type scenario struct {
	name   string
	title  string
	path   string
	header map[string]string
	body   []byte
	events int    // 0: Gemini answers with one JSON body
	want   string // a substring of the gemini module's answer
}

// chatRequest is an OpenAI chat request of about 2 KB: a system prompt, a
// short conversation and one tool.
func chatRequest(stream bool) []byte {
	var b bytes.Buffer
	b.WriteString(`{"model":"gpt-4o","messages":[`)
	b.WriteString(`{"role":"system","content":"You are a careful assistant for a team of engineers. Answer briefly, cite the files you read, and prefer small, reviewable changes. When a tool is available and useful, call it instead of guessing."},`)
	for i := range 4 {
		fmt.Fprintf(&b, `{"role":"user","content":"Question %d: how does the gateway translate a chat completion into a Gemini generateContent call, and which fields are kept as they are? Please be specific about roles, tools and stop sequences."},`, i)
		fmt.Fprintf(&b, `{"role":"assistant","content":"Answer %d: roles become user and model turns, the system prompt becomes systemInstruction, tools become functionDeclarations and stop becomes stopSequences."},`, i)
	}
	b.WriteString(`{"role":"user","content":"Thanks. Now summarise it in one sentence."}],`)
	b.WriteString(`"tools":[{"type":"function","function":{"name":"read_file","description":"Read a file of the repository","parameters":{"type":"object","properties":{"path":{"type":"string","description":"path from the repository root"}},"required":["path"]}}}],`)
	b.WriteString(`"temperature":0.7,"max_tokens":512`)
	if stream {
		b.WriteString(`,"stream":true`)
	}
	b.WriteString(`}`)
	return b.Bytes()
}

// messagesRequest is the Anthropic form of chatRequest.
func messagesRequest(stream bool) []byte {
	var b bytes.Buffer
	b.WriteString(`{"model":"claude-sonnet-4-5","max_tokens":512,"system":"You are a careful assistant for a team of engineers. Answer briefly, cite the files you read, and prefer small, reviewable changes. When a tool is available and useful, call it instead of guessing.","messages":[`)
	for i := range 4 {
		fmt.Fprintf(&b, `{"role":"user","content":"Question %d: how does the gateway translate a message into a Gemini generateContent call, and which fields are kept as they are? Please be specific about roles, tools and stop sequences."},`, i)
		fmt.Fprintf(&b, `{"role":"assistant","content":[{"type":"text","text":"Answer %d: roles become user and model turns, the system prompt becomes systemInstruction, tools become functionDeclarations."}]},`, i)
	}
	b.WriteString(`{"role":"user","content":"Thanks. Now summarise it in one sentence."}],`)
	b.WriteString(`"tools":[{"name":"read_file","description":"Read a file of the repository","input_schema":{"type":"object","properties":{"path":{"type":"string","description":"path from the repository root"}},"required":["path"]}}],"temperature":0.7`)
	if stream {
		b.WriteString(`,"stream":true`)
	}
	b.WriteString(`}`)
	return b.Bytes()
}

// geminiAnswer is a whole generateContent answer of about 1 KB.
func geminiAnswer() []byte {
	text := strings.Repeat("The gateway reads the request once, writes Gemini's JSON by appending bytes, and keeps nothing after the answer. ", 8)
	return []byte(`{"candidates":[{"content":{"role":"model","parts":[{"text":"` + text + `"}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":412,"candidatesTokenCount":180,"totalTokenCount":592},"modelVersion":"gemini-2.5-pro","responseId":"bench-response"}`)
}

// geminiEvents is a streamGenerateContent?alt=sse answer of n events.
func geminiEvents(n int) [][]byte {
	out := make([][]byte, n)
	for i := range n {
		finish := ""
		if i == n-1 {
			finish = `,"finishReason":"STOP"`
		}
		out[i] = fmt.Appendf(nil, "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"token %d of the answer \"}]}%s,\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":412,\"candidatesTokenCount\":%d,\"totalTokenCount\":%d},\"modelVersion\":\"gemini-2.5-pro\",\"responseId\":\"bench-stream\"}\r\n\r\n", i, finish, i+1, 413+i)
	}
	return out
}

var openaiHeaders = map[string]string{"authorization": "Bearer AIzaBenchKey0123456789", "content-type": "application/json"}
var anthropicHeaders = map[string]string{"x-api-key": "AIzaBenchKey0123456789", "anthropic-version": "2023-06-01", "content-type": "application/json"}

// timedScenarios are the scenarios whose module time is reported.
func timedScenarios() []scenario {
	return []scenario{
		{name: "openai-chat", title: "OpenAI chat, non-streamed (2 KB in, 1 KB out)", path: "/v1/chat/completions",
			header: openaiHeaders, body: chatRequest(false), want: `"finish_reason":"stop"`},
		{name: "openai-chat-stream", title: "OpenAI chat, 50-event stream", path: "/v1/chat/completions",
			header: openaiHeaders, body: chatRequest(true), events: 50, want: `"finish_reason":"stop"`},
		{name: "anthropic-messages", title: "Anthropic messages, non-streamed (2 KB in, 1 KB out)", path: "/v1/messages",
			header: anthropicHeaders, body: messagesRequest(false), want: `"stop_reason":"end_turn"`},
		{name: "anthropic-messages-stream", title: "Anthropic messages, 50-event stream", path: "/v1/messages",
			header: anthropicHeaders, body: messagesRequest(true), events: 50, want: `message_stop`},
		{name: "anthropic-agent", title: "Anthropic messages, a coding agent's turn (50 KB in: 12 tools; 1 KB out)", path: "/v1/messages",
			header: anthropicHeaders, body: benchdata.ClaudeCodeTurn(), want: `"stop_reason":"end_turn"`},
		{name: "chat-agent", title: "OpenAI chat, a coding agent's turn (44 KB in: 12 tools; 1 KB out)", path: "/v1/chat/completions",
			header: openaiHeaders, body: benchdata.ChatAgentTurn(), want: `"finish_reason":"stop"`},
		{name: "responses-agent", title: "OpenAI Responses, a coding agent's turn (40 KB in: 13 tools; 1 KB out)", path: "/v1/responses",
			header: openaiHeaders, body: benchdata.CodexTurn(), want: `"status":"completed"`},
	}
}

// mixedScenarios are cycled through for the memory run: every protocol,
// whole and streamed answers, and requests refused by the gateway itself.
func mixedScenarios() []scenario {
	s := timedScenarios()
	for i := range s {
		if s[i].events > 0 {
			s[i].events = 10
		}
	}
	return append(s,
		scenario{name: "openai-bad-request", path: "/v1/chat/completions", header: openaiHeaders,
			body: []byte(`{"model":"gpt-4o","messages":"not a list"}`), want: `"error"`},
		scenario{name: "no-key", path: "/v1/messages", header: map[string]string{"content-type": "application/json"},
			body: messagesRequest(false), want: `authentication_error`},
	)
}
