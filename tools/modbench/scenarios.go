package main

import (
	"bytes"
	"fmt"
	"strings"
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

// agentRequest is a coding agent's turn in Anthropic's shape, about 50 KB:
// what Claude Code sends with every turn (measured on 2.1: 12 tools, 32 KB
// of a 49 KB first request, a 7 KB system prompt). The texts here are made
// up; what matters is their shape and size: long tool descriptions with
// quotes and newlines to escape, schemas with keywords Gemini does not
// take, and a conversation with tool calls and results.
func agentRequest() []byte {
	var b bytes.Buffer
	b.WriteString(`{"model":"claude-sonnet-4-5","max_tokens":4096,"system":[{"type":"text","text":"`)
	for i := range 60 {
		fmt.Fprintf(&b, `Rule %d: read the code before changing it, keep changes small, run the \"tests\" after each edit and report what you verified.\n`, i)
	}
	b.WriteString(`"}],"tools":[`)
	for i, name := range []string{"Agent", "Bash", "Edit", "Glob", "Grep", "Read", "Write", "WebFetch", "TodoWrite", "NotebookEdit", "Skill", "Task"} {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"name":%q,"description":"`, name)
		for j := range 22 {
			fmt.Fprintf(&b, `%s, step %d: give the \"path\" as an absolute path; prefer the dedicated tool over a shell command.\n`, name, j)
		}
		b.WriteString(`","input_schema":{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","additionalProperties":false,"required":["path"],"properties":{`)
		b.WriteString(`"path":{"type":"string","description":"The absolute path to work on","minLength":1},`)
		b.WriteString(`"offset":{"type":"integer","description":"The line to start at","exclusiveMinimum":0,"maximum":9007199254740991},`)
		b.WriteString(`"mode":{"type":"string","enum":["fast","thorough"],"description":"How hard to look"},`)
		b.WriteString(`"patterns":{"type":"array","items":{"type":"string","pattern":"^[^\\s]+$"},"uniqueItems":true},`)
		b.WriteString(`"options":{"type":"object","propertyNames":{"pattern":"^[a-z]+$"},"additionalProperties":{"type":"boolean"}},`)
		b.WriteString(`"background":{"type":"boolean","default":false}}}}`)
	}
	b.WriteString(`],"messages":[`)
	for i := range 6 {
		fmt.Fprintf(&b, `{"role":"user","content":[{"type":"text","text":"Step %d: look at the translator and tell me what the request path costs; then change the slowest part and show me the diff."}]},`, i)
		fmt.Fprintf(&b, `{"role":"assistant","content":[{"type":"text","text":"I will read the file first."},{"type":"tool_use","id":"toolu_%02d","name":"Read","input":{"path":"/work/src/file%d.go","offset":1}}]},`, i, i)
		fmt.Fprintf(&b, `{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_%02d","content":"%s"}]},`, i, strings.Repeat(`package main\n\nfunc main() {\n\tprintln(\"hello\")\n}\n`, 12))
	}
	b.WriteString(`{"role":"user","content":"Now summarise what you changed."}],"thinking":{"type":"enabled","budget_tokens":1024}}`)
	return b.Bytes()
}

// codexRequest is a coding agent's turn in the Responses API's shape,
// about 40 KB: what Codex CLI 0.169 sends with every turn (observed: the
// system prompt as developer messages in `input`, seven function tools,
// a namespace of five more, web search; 39 KB on the first turn). The
// texts are made up; function calls and their shell outputs follow.
func codexRequest() []byte {
	var b bytes.Buffer
	b.WriteString(`{"model":"gpt-5-codex","stream":false,"store":false,"include":["reasoning.encrypted_content"],"reasoning":{"summary":"auto"},"tool_choice":"auto","parallel_tool_calls":true,"prompt_cache_key":"0b7e3c1a-5d8e-4f4e-9a39-3a1f7e2c9d11","input":[`)
	b.WriteString(`{"type":"message","id":"msg_dev","role":"developer","content":[{"type":"input_text","text":"`)
	for i := range 110 {
		fmt.Fprintf(&b, `Guideline %d: use \"exec_command\" to run shell commands, read files before editing them, keep diffs small and explain what you verified.\n`, i)
	}
	b.WriteString(`"}]},{"type":"message","id":"msg_env","role":"user","content":[{"type":"input_text","text":"<environment_context>\n  <cwd>/work/src</cwd>\n  <shell>bash</shell>\n</environment_context>"}]},`)
	for i := range 5 {
		fmt.Fprintf(&b, `{"type":"message","id":"msg_u%d","role":"user","content":[{"type":"input_text","text":"Step %d: find where the request is translated and make it faster."}]},`, i, i)
		fmt.Fprintf(&b, `{"type":"function_call","call_id":"call_%02d","name":"exec_command","arguments":"{\"cmd\":[\"bash\",\"-lc\",\"sed -n 1,80p src/file%d.go\"]}"},`, i, i)
		fmt.Fprintf(&b, `{"type":"function_call_output","call_id":"call_%02d","output":"%s"},`, i, strings.Repeat(`func translate(b []byte) []byte {\n\treturn append(b[:0:0], b...) // \"copy\"\n}\n`, 14))
	}
	b.WriteString(`{"type":"message","id":"msg_last","role":"user","content":[{"type":"input_text","text":"Now summarise what you changed."}]}],"tools":[`)
	function := func(name string) string {
		var f bytes.Buffer
		fmt.Fprintf(&f, `{"type":"function","name":%q,"strict":false,"description":"`, name)
		for j := range 8 {
			fmt.Fprintf(&f, `%s, note %d: pass \"workdir\" when the command must run elsewhere; output is truncated past max_output_tokens.\n`, name, j)
		}
		f.WriteString(`","parameters":{"type":"object","additionalProperties":false,"required":["cmd"],"properties":{`)
		f.WriteString(`"cmd":{"type":"array","items":{"type":"string"},"description":"The command and its arguments"},`)
		f.WriteString(`"workdir":{"type":"string","description":"The directory to run in"},`)
		f.WriteString(`"timeout_ms":{"type":"number","description":"How long to wait"},`)
		f.WriteString(`"max_output_tokens":{"type":"number","description":"How much output to keep"}}}}`)
		return f.String()
	}
	for i, name := range []string{"exec_command", "write_stdin", "request_user_input", "view_image", "get_goal", "create_goal", "update_goal"} {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(function(name))
	}
	b.WriteString(`,{"type":"namespace","name":"multi_agent_v1","description":"Agents that work beside you.","tools":[`)
	for i, name := range []string{"close_agent", "resume_agent", "send_input", "spawn_agent", "wait_agent"} {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(function(name))
	}
	b.WriteString(`]},{"type":"web_search","external_web_access":false}]}`)
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
			header: anthropicHeaders, body: agentRequest(), want: `"stop_reason":"end_turn"`},
		{name: "responses-agent", title: "OpenAI Responses, a coding agent's turn (40 KB in: 13 tools; 1 KB out)", path: "/v1/responses",
			header: openaiHeaders, body: codexRequest(), want: `"status":"completed"`},
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
