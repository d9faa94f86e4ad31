package openai

import (
	"github.com/gemini-code-api/gemini-code-api/translators/internal/jsontest"
	"strconv"
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
	"github.com/gemini-code-api/gemini-code-api/translators/internal/envtest"
)

// The Responses parser bounds what it reads as the chat parser does: a
// huge array is refused at its first wrong element or at its limit, having
// read only that far; nesting is measured before gjson recurses.
func TestResponsesHostileRequests(t *testing.T) {
	const n = 1_000_000
	fn := `{"type":"function","name":"f"}`
	tests := []envtest.Refusal{
		{Name: "input items", In: `{"model":"gpt-4o","input":` + jsontest.Many(`{"type":"robot"}`, `{}`, n) + `}`, Param: "input[0].type", Msg: "robot"},
		{Name: "user parts", In: `{"model":"gpt-4o","input":[{"role":"user","content":` + jsontest.Many(`{"type":"video"}`, `{}`, n) + `}]}`, Param: "input[0].content[0].type", Msg: "video"},
		{Name: "developer parts", In: `{"model":"gpt-4o","input":[{"role":"developer","content":` + jsontest.Many(`{"type":"input_image"}`, `{}`, n) + `}]}`, Param: "input[0].content[0].type", Msg: "only text parts"},
		{Name: "output parts", In: `{"model":"gpt-4o","input":[{"role":"user","content":"x"},{"type":"function_call","call_id":"c","name":"f","arguments":"{}"},{"type":"function_call_output","call_id":"c","output":` + jsontest.Many(`{"type":"input_audio"}`, `{}`, n) + `}]}`, Param: "input[2].output[0].type", Msg: "input_audio"},
		{Name: "tools, bad first", In: `{"model":"gpt-4o","input":"x","tools":` + jsontest.Many(`{"type":"mcp"}`, `{}`, n) + `}`, Param: "tools[0].type", Msg: "mcp"},
		{Name: "tools, too many", In: `{"model":"gpt-4o","input":"x","tools":[` + manyTools(gemini.MaxTools+1) + `]}`, Param: "tools", Msg: "at most 512 tools"},
		{Name: "namespace, too many", In: `{"model":"gpt-4o","input":"x","tools":[{"type":"namespace","name":"ns","tools":[` + manyTools(gemini.MaxTools+1) + `]}]}`, Param: "tools", Msg: "at most 512 tools"},
		{Name: "allowed tools", In: `{"model":"gpt-4o","input":"x","tools":[` + fn + `],"tool_choice":{"type":"allowed_tools","tools":` + jsontest.Many(`{"type":"function","name":"g"}`, `{}`, n) + `}}`, Param: "tool_choice", Msg: "`g` is not among"},
		{Name: "include", In: `{"model":"gpt-4o","input":"x","include":` + jsontest.Many(`"a"`, `"a"`, n) + `}`, Param: "include", Msg: "at most 32"},
		{Name: "top-level fields", In: `{"model":"gpt-4o","input":"x",` + strings.Repeat(`"a":0,`, n) + `"z":1}`, Param: "", Msg: "more than 1024 top-level fields"},
		{Name: "model name", In: `{"model":"gpt 4o","input":"x"}`, Param: "model", Msg: "contains"},
	}
	envtest.RefusesCheaply(t, ParseResponses, tests)
	deep := func(k int) string { return strings.Repeat("[", k) + strings.Repeat("]", k) }
	for _, tc := range []struct{ name, in, param string }{
		{"body", `{"model":"gpt-4o","input":"x","metadata":` + deep(100000) + `}`, ""},
		{"arguments", `{"model":"gpt-4o","input":[{"type":"function_call","call_id":"c","name":"f","arguments":"` + deep(300) + `"}]}`, "input[0].arguments"},
	} {
		t.Run("deep "+tc.name, func(t *testing.T) {
			_, e := ParseResponses([]byte(tc.in), envtest.Env(nil))
			if e == nil || e.Status != 400 || e.Param != tc.param || !strings.Contains(e.Message, "levels deep") {
				t.Fatalf("got %+v", e)
			}
		})
	}
	t.Run("a tool schema near the depth limit is cleaned", func(t *testing.T) {
		schema := strings.Repeat(`{"type":"object","properties":{"a":`, 124) + `{"type":"string","minLength":1}` + strings.Repeat(`}}`, 124)
		r, e := ParseResponses([]byte(`{"model":"gpt-4o","input":"x","tools":[{"type":"function","name":"f","parameters":`+schema+`}]}`), envtest.Env(nil))
		if e != nil || strings.Contains(string(r.Body), "minLength") {
			t.Fatalf("%v", e)
		}
	})
	t.Run("at the tool limit", func(t *testing.T) {
		if _, e := ParseResponses([]byte(`{"model":"gpt-4o","input":"x","tools":[`+manyTools(gemini.MaxTools)+`]}`), envtest.Env(nil)); e != nil {
			t.Fatal(e)
		}
	})
}

// manyTools is k distinct function tools.
func manyTools(k int) string {
	var b strings.Builder
	for i := range k {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"type":"function","name":"f` + strconv.Itoa(i) + `"}`)
	}
	return b.String()
}
