// Package benchdata holds the requests the benchmarks share: the module's
// (tools/modbench) and the translators' own (make bench), so that a
// coding agent's turn is measured on the same bytes in both.
package benchdata

import (
	"bytes"
	"fmt"
	"strings"
)

// ClaudeCodeTurn is a coding agent's turn in Anthropic's shape, about 50 KB:
// what Claude Code sends with every turn (measured on 2.1: 12 tools, 32 KB
// of a 49 KB first request, a 7 KB system prompt). The texts here are made
// up; what matters is their shape and size: long tool descriptions with
// quotes and newlines to escape, schemas with keywords Gemini does not
// take, and a conversation with tool calls and results.
func ClaudeCodeTurn() []byte {
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

// CodexTurn is a coding agent's turn in the Responses API's shape,
// about 40 KB: what Codex CLI 0.169 sends with every turn (observed: the
// system prompt as developer messages in `input`, seven function tools,
// a namespace of five more, web search; 39 KB on the first turn). The
// texts are made up; function calls and their shell outputs follow.
func CodexTurn() []byte {
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

// ChatAgentTurn is a coding agent's turn in the chat completions shape,
// about 45 KB: what agents built on OpenAI-compatible chat send (OpenCode,
// Goose, Crush: a long system message, a dozen function tools, tool calls
// and their results as tool messages). The texts are made up; their shape
// and size are what matter.
func ChatAgentTurn() []byte {
	var b bytes.Buffer
	b.WriteString(`{"model":"gemini-2.5-pro","max_tokens":8192,"temperature":0,"messages":[{"role":"system","content":"`)
	for i := range 70 {
		fmt.Fprintf(&b, `Instruction %d: you are a coding agent; use the \"read\" tool before \"edit\", keep answers short and run the tests.\n`, i)
	}
	b.WriteString(`"},`)
	for i := range 6 {
		fmt.Fprintf(&b, `{"role":"user","content":"Step %d: find the slow part of the request path and fix it."},`, i)
		fmt.Fprintf(&b, `{"role":"assistant","content":"Reading the file.","tool_calls":[{"id":"call_%02d","type":"function","function":{"name":"read","arguments":"{\"filePath\":\"/work/src/file%d.go\",\"offset\":1}"}}]},`, i, i)
		fmt.Fprintf(&b, `{"role":"tool","tool_call_id":"call_%02d","content":"%s"},`, i, strings.Repeat(`func run(ctx context.Context) error {\n\treturn nil // \"done\"\n}\n`, 12))
	}
	b.WriteString(`{"role":"user","content":"Now summarise what you changed."}],"tools":[`)
	for i, name := range []string{"bash", "edit", "webfetch", "glob", "grep", "list", "read", "write", "todowrite", "todoread", "task", "patch"} {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"type":"function","function":{"name":%q,"description":"`, name)
		for j := range 20 {
			fmt.Fprintf(&b, `%s, usage %d: the \"filePath\" must be absolute; prefer this tool over a shell command.\n`, name, j)
		}
		b.WriteString(`","parameters":{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","additionalProperties":false,"required":["filePath"],"properties":{`)
		b.WriteString(`"filePath":{"type":"string","description":"The absolute path of the file"},`)
		b.WriteString(`"offset":{"type":"number","description":"The line to start reading at"},`)
		b.WriteString(`"limit":{"type":"number","description":"How many lines to read"},`)
		b.WriteString(`"replaceAll":{"type":"boolean","default":false,"description":"Replace every occurrence"}}}}}`)
	}
	b.WriteString(`],"tool_choice":"auto","stream":false}`)
	return b.Bytes()
}
