package anthropic

import (
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/internal/envtest"
	"github.com/gemini-code-api/gemini-code-api/translators/internal/jsontest"
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
	// The list seen before, now with a tool chosen by name (the names of
	// a kept list must be known), with a server tool (not kept: its
	// declarations depend on more than the list), and with a tool added by
	// a system message (declared after the list, so the list alone is not
	// the declarations).
	named := strings.Replace(turn2, `"max_tokens":100,`, `"max_tokens":100,"tool_choice":{"type":"tool","name":"Edit"},`, 1)
	server := strings.Replace(turn1, `"tools":[`, `"tools":[{"type":"web_search_20250305","name":"web_search"},`, 1)
	late := strings.Replace(turn2, `{"role":"user","content":"read a file"}`, `{"role":"system","content":[{"type":"tool_addition","tool":{"type":"tool_definition","definition":{"name":"Late","input_schema":{"type":"object"}}}}]},{"role":"user","content":"read a file"}`, 1)
	shared := envtest.Env(nil)
	for _, body := range []string{turn1, turn2, turn1, named, server, server, late, late, turn2} {
		envtest.SameWithCache(t, "messages", ParseMessages, body, shared)
		envtest.SameWithCache(t, "count_tokens", ParseCountTokens, body, shared)
	}
}

// A kept tool list is recognised by the next request's validation rather
// than read again (gemini.DeclCache.Known): a body holding it must be
// refused or translated exactly as a fresh VM would, whatever surrounds it.
func TestKeptToolsAreStillValidated(t *testing.T) {
	tools := `"tools":[{"name":"Read","description":"` + strings.Repeat(`Reads a \"file\".\n`, 20) + `","input_schema":{"type":"object","properties":{"path":{"type":"string"}}}}]`
	turn := `{"model":"claude-sonnet-4-5","max_tokens":100,` + tools + `,"messages":[{"role":"user","content":"hi"}]}`
	shared := envtest.Env(nil)
	envtest.SameWithCache(t, "messages", ParseMessages, turn, shared) // keeps the list
	for _, body := range []string{
		turn + `x`,
		strings.TrimSuffix(turn, `}`),
		strings.Replace(turn, `,"messages"`, `"messages"`, 1),
		strings.Replace(turn, `"tools":`, `"tools" `, 1),
		strings.Replace(turn, `"max_tokens":100,`, `"max_tokens":100,"metadata":`+strings.Repeat("[", 300)+strings.Repeat("]", 300)+`,`, 1),
		strings.Replace(turn, `"max_tokens":100,`, `"max_tokens":100,"metadata":{"a":`+strings.Repeat("[", 250)+strings.Repeat("]", 250)+`},`, 1),
		strings.Replace(turn, `}}}}]`, `}}}}]]`, 1),
		strings.Replace(turn, `}}}}]`, `}}}},]`, 1),
	} {
		_, got := ParseMessages([]byte(body), shared)
		_, want := ParseMessages([]byte(body), envtest.Env(nil))
		if (got == nil) != (want == nil) || got != nil && (got.Status != want.Status || got.Message != want.Message) {
			t.Fatalf("%.120s…: with the list kept %+v, fresh %+v", body, got, want)
		}
		if got == nil {
			envtest.SameWithCache(t, "messages", ParseMessages, body, shared)
		}
	}
}

// Validation lets through bytes that are not UTF-8 and escaped surrogates
// without their other half; Gemini's parser refuses a whole request for
// either, so where the translation copies a client's JSON as it stands (a
// tool call's input, a tool's schema, a tool result that is JSON) such a
// value is written again (gemini.AppendJSON).
func TestUnreadableBytesAreRepaired(t *testing.T) {
	for name, body := range map[string]string{
		"tool_use input": "{\"model\":\"0\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":\"x\"},{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"a\",\"name\":\"f\",\"input\":{\"\xc6\":\"\xc6\\ud800\"}}]},{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":\"a\",\"content\":\"{\\\"r\\\":\\\"\xc6\\\"}\"}]}]}",
		"schema values":  "{\"model\":\"0\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tools\":[{\"name\":\"f\",\"input_schema\":{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"description\":\"\xc6\",\"enum\":[\"\\udc00\"]}}}}]}",
		"schema keys":    "{\"model\":\"0\",\"max_tokens\":1,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tools\":[{\"name\":\"f\",\"input_schema\":{\"$defs\":{\"\xc6\":{}},\"properties\":{\"\\ud800\":{\"type\":\"string\"}}}}]}",
	} {
		r, e := ParseMessages([]byte(body), envtest.Env(nil))
		if e != nil {
			t.Fatalf("%s: %s", name, e.Message)
		}
		if err := jsontest.Readable(r.Body); err != nil || !strings.Contains(string(r.Body), "\ufffd") {
			t.Errorf("%s: %v (U+FFFD expected in place): %s", name, err, r.Body)
		}
	}
}
