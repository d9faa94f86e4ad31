package openai

import (
	"strconv"
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
	"github.com/gemini-code-api/gemini-code-api/translators/internal/envtest"
	"github.com/gemini-code-api/gemini-code-api/translators/internal/jsontest"
	"github.com/gemini-code-api/gemini-code-api/translators/models"
)

// The Responses parser bounds what it reads as the chat parser does: a
// huge array is refused at its first wrong element or at its limit, having
// read only that far; nesting is measured before gjson recurses.
func TestResponsesHostileRequests(t *testing.T) {
	const n = 1_000_000
	fn := `{"type":"function","name":"f"}`
	tests := []struct {
		name, in, param, msg string
	}{
		{"input items", `{"model":"gpt-4o","input":` + many(`{"type":"robot"}`, `{}`, n) + `}`, "input[0].type", "robot"},
		{"user parts", `{"model":"gpt-4o","input":[{"role":"user","content":` + many(`{"type":"video"}`, `{}`, n) + `}]}`, "input[0].content[0].type", "video"},
		{"developer parts", `{"model":"gpt-4o","input":[{"role":"developer","content":` + many(`{"type":"input_image"}`, `{}`, n) + `}]}`, "input[0].content[0].type", "only text parts"},
		{"output parts", `{"model":"gpt-4o","input":[{"role":"user","content":"x"},{"type":"function_call","call_id":"c","name":"f","arguments":"{}"},{"type":"function_call_output","call_id":"c","output":` + many(`{"type":"input_audio"}`, `{}`, n) + `}]}`, "input[2].output[0].type", "input_audio"},
		{"tools, bad first", `{"model":"gpt-4o","input":"x","tools":` + many(`{"type":"mcp"}`, `{}`, n) + `}`, "tools[0].type", "mcp"},
		{"tools, too many", `{"model":"gpt-4o","input":"x","tools":[` + manyTools(gemini.MaxTools+1) + `]}`, "tools", "at most 512 tools"},
		{"namespace, too many", `{"model":"gpt-4o","input":"x","tools":[{"type":"namespace","name":"ns","tools":[` + manyTools(gemini.MaxTools+1) + `]}]}`, "tools", "at most 512 tools"},
		{"allowed tools", `{"model":"gpt-4o","input":"x","tools":[` + fn + `],"tool_choice":{"type":"allowed_tools","tools":` + many(`{"type":"function","name":"g"}`, `{}`, n) + `}}`, "tool_choice", "`g` is not among"},
		{"include", `{"model":"gpt-4o","input":"x","include":` + many(`"a"`, `"a"`, n) + `}`, "include", "at most 32"},
		{"top-level fields", `{"model":"gpt-4o","input":"x",` + strings.Repeat(`"a":0,`, n) + `"z":1}`, "", "more than 1024 top-level fields"},
		{"model name", `{"model":"gpt 4o","input":"x"}`, "model", "contains"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e *apierror.Error
			body, mm := []byte(tt.in), models.Default()
			alloc := jsontest.AllocatedBytes(func() { _, e = ParseResponses(body, envtest.Env(mm)) })
			if e == nil || e.Status != 400 || e.Param != tt.param || !strings.Contains(e.Message, tt.msg) {
				t.Fatalf("got %+v", e)
			}
			if limit := 2*uint64(len(body)) + 1<<20; alloc > limit {
				t.Fatalf("allocated %d bytes for a %d-byte body (limit %d): the array was copied", alloc, len(body), limit)
			}
		})
	}
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
