package e2e_test

import (
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/e2e/fakegemini"
	"github.com/gemini-code-api/gemini-code-api/e2e/harness"
	"github.com/openai/openai-go/v3"
)

// What an operator sees: the module's stats on Envoy's admin and the access
// log fields, with keys only ever as hashes.
func TestObservability(t *testing.T) {
	env := harness.NewHost(t, "")
	env.Fake.Enqueue("", fakegemini.Reply{Text: "ok", Usage: &fakegemini.Usage{Prompt: 12, Candidates: 5, Thoughts: 3}})
	c := openaiClient(env, "AIzaSECRETKEY")
	if _, err := c.Chat.Completions.New(ctx(t), openai.ChatCompletionNewParams{
		Model: "gpt-4o", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
	}); err != nil {
		t.Fatal(err)
	}
	_, _ = c.Chat.Completions.New(ctx(t), openai.ChatCompletionNewParams{Model: "gpt-4o"}) // 400: no messages

	stats := env.Stats()
	for _, want := range []string{
		"wasmcustom.gemini_code_api.requests.openai: 2",
		"wasmcustom.gemini_code_api.errors.openai: 1",
		"wasmcustom.gemini_code_api.input_tokens: 12",
		"wasmcustom.gemini_code_api.output_tokens: 8",
	} {
		if !strings.Contains(stats, want) {
			t.Errorf("stats lack %q:\n%s", want, stats)
		}
	}
	logs := env.Host.AccessLog()
	if len(logs) != 2 {
		t.Fatalf("%d access log entries", len(logs))
	}
	fs := logs[0].FilterState
	if fs["wasm.gca_model"] != "gemini-2.5-pro" || fs["wasm.gca_client_model"] != "gpt-4o" || fs["wasm.gca_protocol"] != "openai" ||
		fs["wasm.gca_input_tokens"] != "12" || fs["wasm.gca_output_tokens"] != "8" || len(fs["wasm.gca_key_hash"]) != 12 {
		t.Fatalf("access log filter state: %v", fs)
	}
	if logs[1].Status != 400 || logs[1].FilterState["wasm.gca_error"] != "true" {
		t.Fatalf("error request log: %+v", logs[1])
	}
	for _, l := range logs {
		for k, v := range l.FilterState {
			if strings.Contains(v, "SECRET") {
				t.Fatalf("key in access log field %s", k)
			}
		}
		if strings.Contains(l.Path, "SECRET") {
			t.Fatal("key in logged path")
		}
	}
	if strings.Contains(stats, "SECRET") {
		t.Fatal("key in stats")
	}
}
