package anthropic

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
	"github.com/gemini-code-api/gemini-code-api/translators/internal/envtest"
	"github.com/gemini-code-api/gemini-code-api/translators/internal/jsontest"
	"github.com/tidwall/gjson"
)

// A huge array whose first element is wrong, or that is longer than its
// limit, is refused after reading only what the check needs. gjson's Array
// would first make an 80-byte Result per element; the allocation count
// shows nothing of the kind happens.
func TestHugeArraysStopEarly(t *testing.T) {
	const n = 1_000_000
	const head = `{"model":"claude-sonnet-4-5","max_tokens":10,`
	const msgs = `"messages":[{"role":"user","content":"x"}]`
	user := func(content string) string { return head + `"messages":[{"role":"user","content":` + content + `}]}` }
	tool := `{"name":"f","input_schema":{}}`
	tests := []envtest.Refusal{
		{Name: "system", In: head + msgs + `,"system":` + jsontest.Many(`{"type":"image"}`, `{}`, n) + `}`, Param: "system.0.type", Msg: "'text'"},
		{Name: "messages", In: head + `"messages":` + jsontest.Many(`{"role":"tool","content":"x"}`, `{}`, n) + `}`, Param: "messages.0.role", Msg: "'user', 'assistant' or 'system'"},
		{Name: "user blocks", In: user(jsontest.Many(`{"type":"video"}`, `{}`, n)), Param: "messages.0.content.0.type", Msg: "'video'"},
		{Name: "assistant blocks", In: head + `"messages":[{"role":"user","content":"x"},{"role":"assistant","content":` + jsontest.Many(`{"type":"image"}`, `{}`, n) + `}]}`, Param: "messages.1.content.0.type", Msg: "assistant message"},
		{Name: "tool_result blocks", In: user(`[{"type":"tool_result","tool_use_id":"a","content":` + jsontest.Many(`{"type":"video"}`, `{}`, n) + `}]`), Param: "messages.0.content.0.content.0.type", Msg: "'video'"},
		{Name: "document blocks", In: user(`[{"type":"document","source":{"type":"content","content":` + jsontest.Many(`{"type":"video"}`, `{}`, n) + `}}]`), Param: "messages.0.content.0.source.content.0.type", Msg: "'text' or 'image'"},
		{Name: "search_result blocks", In: user(`[{"type":"search_result","content":` + jsontest.Many(`{"type":"image"}`, `{}`, n) + `}]`), Param: "messages.0.content.0.content.0", Msg: "text block"},
		{Name: "tools, bad first", In: head + msgs + `,"tools":` + jsontest.Many(`{"type":"bash_20250124","name":"w"}`, `{}`, n) + `}`, Param: "tools.0.type", Msg: "bash_20250124"},
		{Name: "tools, too many", In: head + msgs + `,"tools":` + jsontest.Many(tool, tool, n/20) + `}`, Param: "tools", Msg: "at most 512 tools"},
		{Name: "stop_sequences", In: head + msgs + `,"stop_sequences":` + jsontest.Many(`"a"`, `"a"`, n) + `}`, Param: "stop_sequences", Msg: "at most 5 stop sequences"},
	}
	envtest.RefusesCheaply(t, ParseMessages, tests)
	// count_tokens reads the same fields but stop_sequences.
	envtest.RefusesCheaply(t, ParseCountTokens, slices.DeleteFunc(tests, func(r envtest.Refusal) bool { return r.Name == "stop_sequences" }))
}

func TestCountLimitsAreInclusive(t *testing.T) {
	tools := make([]string, gemini.MaxTools)
	for i := range tools {
		tools[i] = `{"name":"f` + strconv.Itoa(i) + `","input_schema":{}}`
	}
	for _, in := range []string{
		`{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"x"}],"tools":[` + strings.Join(tools, ",") + `]}`,
		`{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"x"}],"stop_sequences":["a","b","c","d","e"]}`,
	} {
		if _, e := ParseMessages([]byte(in), envtest.Env(nil)); e != nil {
			t.Fatalf("%.80s: %v", in, e)
		}
	}
}

// A tool_result is matched to its call in constant work: an assistant turn
// with many calls followed by as many results used to compare each result
// with every pending call (quadratic).
func TestToolResultsMatchInLinearWork(t *testing.T) {
	const n = 5000
	// Every id twice: duplicates are answered in order.
	b := newBuilder("gemini-2.5-flash")
	if e := b.messages(gjson.Parse(toolRoundTrip(n, n/2))); e != nil {
		t.Fatal(e)
	}
	out := string(b.contents.End())
	jsontest.MatchedLinearly(t, b.pending.Lookups, n, out)
	if strings.Contains(out, "no result returned") {
		t.Fatal("a call was left unanswered")
	}
	// Results go in call order: the first call with id t0 gets the first
	// result given for t0 (r2500, since results came in reverse).
	if i, j := strings.Index(out, `"r2500"`), strings.Index(out, `"r0"`); i < 0 || j < 0 || i > j {
		t.Fatalf("results out of call order")
	}
}

// The client's model name is vetted in one place (models.CheckClientName)
// before it is resolved, echoed or logged.
func TestModelNameIsVetted(t *testing.T) {
	huge := strings.Repeat("claude\\n", 400000) // 2.8 MB with newlines, JSON-escaped
	for _, tc := range []struct{ name, model, msg string }{
		{"3 MB with newlines", huge, "model: The model name is 2800000 bytes long; the gateway accepts at most 256."},
		{"newline", `claude-sonnet-4-5\r\nX: 1`, `model: The model name contains '\r' at byte 17`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := []byte(`{"model":"` + tc.model + `","max_tokens":10,"messages":[{"role":"user","content":"x"}]}`)
			_, e := ParseMessages(body, envtest.Env(nil))
			if e == nil || Status(e) != 400 || e.Param != "model" || !strings.HasPrefix(e.Message, tc.msg) {
				t.Fatalf("messages: %+v", e)
			}
			if len(ErrorBody(e)) > 512 {
				t.Fatalf("the error echoes the name: %d bytes", len(ErrorBody(e)))
			}
			_, e = ParseCountTokens(body, envtest.Env(nil))
			if e == nil || Status(e) != 400 || e.Param != "model" || !strings.HasPrefix(e.Message, tc.msg) {
				t.Fatalf("count_tokens: %+v", e)
			}
		})
	}
	for _, m := range []string{"claude-sonnet-4-5", "claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001", "claude-opus-4-1", "claude-3-5-sonnet@20240620", "gemini-2.5-pro", "models/gemini-2.5-flash"} {
		if _, e := ParseMessages([]byte(`{"model":"`+m+`","max_tokens":10,"messages":[{"role":"user","content":"x"}]}`), envtest.Env(nil)); e != nil {
			t.Errorf("%s: %v", m, e)
		}
	}
}
