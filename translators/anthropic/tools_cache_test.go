package anthropic

import (
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/internal/envtest"
)

// A coding agent sends the same tools with every turn; the second turn's
// declarations come from the Env's cache (translator.Env.Decls) and must be
// the bytes a fresh translation writes, for messages and count_tokens.
func TestRepeatedToolsTranslateTheSame(t *testing.T) {
	tool := func(name string) string {
		return `{"name":"` + name + `","description":"` + strings.Repeat(name+` does one \"thing\" well.\n`, 20) +
			`","input_schema":{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","properties":{"path":{"type":"string","minLength":1},"mode":{"const":"fast"}},"required":["path"],"additionalProperties":false}}`
	}
	tools := `"tools":[` + tool("Read") + `,` + tool("Edit") + `,` + tool("Bash") + `]`
	turn1 := `{"model":"claude-sonnet-4-5","max_tokens":100,` + tools + `,"messages":[{"role":"user","content":"hi"}]}`
	turn2 := `{"model":"claude-sonnet-4-5","max_tokens":100,` + tools + `,"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"},{"role":"user","content":"read a file"}]}`
	shared := envtest.Env(nil)
	for _, body := range []string{turn1, turn2, turn1} {
		got, e := ParseMessages([]byte(body), shared)
		if e != nil {
			t.Fatal(e.Message)
		}
		want, _ := ParseMessages([]byte(body), envtest.Env(nil))
		if string(got.Body) != string(want.Body) {
			t.Fatalf("with the cache:\n%s\nfresh:\n%s", got.Body, want.Body)
		}
		gotCount, e := ParseCountTokens([]byte(body), shared)
		if e != nil {
			t.Fatal(e.Message)
		}
		wantCount, _ := ParseCountTokens([]byte(body), envtest.Env(nil))
		if string(gotCount.Body) != string(wantCount.Body) {
			t.Fatalf("count_tokens with the cache:\n%s\nfresh:\n%s", gotCount.Body, wantCount.Body)
		}
	}
}
