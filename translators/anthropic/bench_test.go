package anthropic

import (
	"github.com/gemini-code-api/gemini-code-api/translators/internal/jsontest"
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/internal/envtest"
	"github.com/gemini-code-api/gemini-code-api/translators/jsondepth"
)

func BenchmarkStream50Events(b *testing.B) {
	r, e := ParseMessages([]byte(`{"model":"claude-sonnet-4-5","max_tokens":1024,"stream":true,"messages":[{"role":"user","content":"x"}]}`), envtest.Env(nil))
	if e != nil {
		b.Fatal(e)
	}
	jsontest.BenchStream(b, jsontest.Events(50), func() jsontest.Stream { return r.NewStream() })
}

// A Claude Code–like request: system blocks, a tool round trip and the tool
// list with its schemas.
var benchMessages = []byte(`{"model":"claude-sonnet-4-5-20250929","max_tokens":32000,"stream":true,` +
	`"system":[{"type":"text","text":"You are Claude Code.","cache_control":{"type":"ephemeral"}},{"type":"text","text":"` + strings.Repeat("Follow the instructions. ", 20) + `"}],` +
	`"messages":[{"role":"user","content":[{"type":"text","text":"Read README.md and summarise it."}]},` +
	`{"role":"assistant","content":[{"type":"text","text":"Reading it."},{"type":"tool_use","id":"toolu_01","name":"Read","input":{"file_path":"/repo/README.md"}}]},` +
	`{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_01","content":"` + strings.Repeat("# Title\\nSome text of the readme. ", 30) + `"}]}],` +
	`"tools":` + claudeCodeTools + `,"thinking":{"type":"enabled","budget_tokens":2048}}`)

func BenchmarkMessagesRequest(b *testing.B) {
	envtest.BenchRequest(b, ParseMessages, benchMessages)
}

// BenchmarkDepthScan is the share of the nesting pre-scan in the work above.
func BenchmarkDepthScan(b *testing.B) {
	jsontest.BenchBodies(b, map[string][]byte{"messages-request": benchMessages}, func(body []byte) { jsondepth.Check(body, jsondepth.MaxDepth) })
}

// Requests built to make the translator work hard; each must be answered
// (refused or translated) in linear time.
func BenchmarkHostileMessages(b *testing.B) {
	calls := func(n int) []byte {
		return []byte(`{"model":"claude-sonnet-4-5","max_tokens":10,"messages":` + toolRoundTrip(n, n) + `}`)
	}
	const head = `{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"x"}],`
	env := envtest.Env(nil)
	jsontest.BenchBodies(b, map[string][]byte{
		"stop-sequences-1M": []byte(head + `"stop_sequences":[` + strings.Repeat(`"a",`, 1_000_000) + `"a"]}`),
		"nesting-100k":      []byte(head + `"metadata":` + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + `}`),
		"tool-results-2k":   calls(2_000),
		"tool-results-20k":  calls(20_000),
	}, func(body []byte) { ParseMessages(body, env) })
}
