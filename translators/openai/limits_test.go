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
	"github.com/tidwall/gjson"
)

const msg = `"messages":[{"role":"user","content":"x"}]`

// A huge array whose first element is wrong, or that is longer than its
// limit, is refused after reading only what the check needs. gjson's Array
// would first make an 80-byte Result per element (a 6 MB `modalities` took
// seconds); the allocation count shows nothing of the kind happens.
func TestHugeArraysStopEarly(t *testing.T) {
	const n = 1_000_000
	tests := []envtest.Refusal{
		{Name: "modalities, bad first", In: `{"model":"gpt-4",` + msg + `,"modalities":` + jsontest.Many(`"audio"`, `"text"`, n) + `}`, Param: "modalities", Msg: "Only the `text` output modality"},
		{Name: "modalities, too many", In: `{"model":"gpt-4",` + msg + `,"modalities":` + jsontest.Many(`"text"`, `"text"`, n) + `}`, Param: "modalities", Msg: "at most 4"},
		{Name: "messages", In: `{"model":"gpt-4","messages":` + jsontest.Many(`{"role":"robot","content":"x"}`, `{}`, n) + `}`, Param: "messages[0].role", Msg: "expected one of"},
		{Name: "user parts", In: `{"model":"gpt-4","messages":[{"role":"user","content":` + jsontest.Many(`{"type":"video"}`, `{}`, n) + `}]}`, Param: "messages[0].content[0].type", Msg: "unsupported"},
		{Name: "system parts", In: `{"model":"gpt-4","messages":[{"role":"system","content":` + jsontest.Many(`{"type":"image"}`, `{}`, n) + `}]}`, Param: "messages[0].content[0].type", Msg: "only text parts"},
		{Name: "tool calls", In: `{"model":"gpt-4","messages":[{"role":"user","content":"x"},{"role":"assistant","tool_calls":` + jsontest.Many(`{"id":"c"}`, `{}`, n) + `}]}`, Param: "messages[1].tool_calls[0].function.name", Msg: "non-empty string"},
		{Name: "tools, bad first", In: `{"model":"gpt-4",` + msg + `,"tools":` + jsontest.Many(`{"type":"custom"}`, `{}`, n) + `}`, Param: "tools[0].type", Msg: "only `function`"},
		{Name: "tools, too many", In: `{"model":"gpt-4",` + msg + `,"tools":` + jsontest.Many(`{"type":"function","function":{"name":"f"}}`, `{"type":"function","function":{"name":"f"}}`, n/20) + `}`, Param: "tools", Msg: "at most 512 tools"},
		{Name: "allowed tools", In: `{"model":"gpt-4",` + msg + `,"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{"type":"allowed_tools","allowed_tools":{"tools":` + jsontest.Many(`{"function":{"name":"g"}}`, `{}`, n) + `}}}`, Param: "tool_choice", Msg: "`g` is not among"},
		{Name: "allowed tools, too many", In: `{"model":"gpt-4",` + msg + `,"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{"type":"allowed_tools","allowed_tools":{"tools":` + jsontest.Many(`{"function":{"name":"f"}}`, `{"function":{"name":"f"}}`, n/10) + `}}}`, Param: "tool_choice", Msg: "at most 512"},
		{Name: "stop", In: `{"model":"gpt-4",` + msg + `,"stop":` + jsontest.Many(`"a"`, `"a"`, n) + `}`, Param: "stop", Msg: "at most 5 stop sequences"},
		{Name: "logit_bias", In: `{"model":"gpt-4",` + msg + `,"logit_bias":{` + strings.Repeat(`"1":1,`, n) + `"2":1}}`, Param: "logit_bias", Msg: "not supported"},
		// Not an array, but the same trap: an index entry per top-level field.
		{Name: "top-level fields", In: `{"model":"gpt-4",` + msg + `,` + strings.Repeat(`"a":0,`, n) + `"z":1}`, Param: "", Msg: "more than 1024 top-level fields"},
	}
	envtest.RefusesCheaply(t, ParseChat, tests)
	t.Run("embeddings", func(t *testing.T) {
		for _, tc := range []struct{ in, msg string }{
			{`{"model":"text-embedding-004","input":` + jsontest.Many(`1`, `"a"`, n) + `}`, "only strings"},
			{`{"model":"text-embedding-004","input":` + jsontest.Many(`"a"`, `"a"`, n) + `}`, "more than 2048"},
		} {
			var e *apierror.Error
			body, mm := []byte(tc.in), models.Default()
			alloc := jsontest.AllocatedBytes(func() { _, e = ParseEmbeddings(body, envtest.Env(mm)) })
			if e == nil || e.Status != 400 || e.Param != "input" || !strings.Contains(e.Message, tc.msg) {
				t.Fatalf("got %+v", e)
			}
			if limit := uint64(len(body)) + 1<<20; alloc > limit {
				t.Fatalf("allocated %d bytes for a %d-byte body (limit %d): the array was copied", alloc, len(body), limit)
			}
		}
	})
}

func TestCountLimitsAreInclusive(t *testing.T) {
	tools := make([]string, gemini.MaxTools)
	for i := range tools {
		tools[i] = `{"type":"function","function":{"name":"f` + strconv.Itoa(i) + `"}}`
	}
	for _, in := range []string{
		`{"model":"gpt-4",` + msg + `,"tools":[` + strings.Join(tools, ",") + `]}`,
		`{"model":"gpt-4",` + msg + `,"stop":["a","b","c","d","e"]}`,
		`{"model":"gpt-4",` + msg + `,"modalities":["text","text","text","text"]}`,
	} {
		if _, e := ParseChat([]byte(in), envtest.Env(nil)); e != nil {
			t.Fatalf("%.80s: %v", in, e)
		}
	}
	if _, e := ParseEmbeddings([]byte(`{"model":"text-embedding-004","input":`+jsontest.Many(`"a"`, `"a"`, MaxEmbedInputs-1)+`}`), envtest.Env(nil)); e != nil {
		t.Fatal(e)
	}
}

// A tool message is matched to its call in constant work: an assistant
// message with many calls followed by as many results used to compare each
// result with every pending call (quadratic: 100,000 calls took minutes).
func TestToolResultsMatchInLinearWork(t *testing.T) {
	const n = 5000
	b := builder{model: "gpt-4"}
	if e := b.messages(gjson.Parse(toolRoundTrip(n))); e != nil {
		t.Fatal(e)
	}
	jsontest.MatchedLinearly(t, b.pending.Lookups, n, string(b.contents.End()))
}

func TestStreamEventWithTooManyFields(t *testing.T) {
	r := mustParse(t, `{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"x"}]}`)
	got := streamEvents(t, r, "data: {"+strings.Repeat(`"a":0,`, 100000)+`"candidates":[]}`+"\r\n\r\n")
	if want := `{"error":{"message":"Gemini's stream carried an event with more than 1024 top-level fields.","type":"server_error","param":null,"code":null}}`; got[len(got)-1] != want {
		t.Fatalf("got %s", got[len(got)-1])
	}
}

// The client's model name is vetted in one place (models.CheckClientName)
// before it is resolved, echoed or logged.
func TestModelNameIsVetted(t *testing.T) {
	huge := strings.Repeat("gpt-4\\n", 500000) // 3 MB with newlines, JSON-escaped
	for _, tc := range []struct{ name, model, msg string }{
		{"3 MB with newlines", huge, "The model name is 3000000 bytes long; the gateway accepts at most 256."},
		{"newline", `gpt-4\nX-Forged: 1`, `The model name contains '\n' at byte 5`},
		{"space", `gpt 4`, `The model name contains ' ' at byte 3`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, e := ParseChat([]byte(`{"model":"`+tc.model+`","messages":[{"role":"user","content":"x"}]}`), envtest.Env(nil))
			if e == nil || e.Status != 400 || e.Param != "model" || !strings.Contains(e.Message, tc.msg) {
				t.Fatalf("chat: %+v", e)
			}
			if len(ErrorBody(e)) > 512 {
				t.Fatalf("the error echoes the name: %d bytes", len(ErrorBody(e)))
			}
			_, e = ParseEmbeddings([]byte(`{"model":"`+tc.model+`","input":"x"}`), envtest.Env(nil))
			if e == nil || e.Status != 400 || e.Param != "model" || !strings.Contains(e.Message, tc.msg) {
				t.Fatalf("embeddings: %+v", e)
			}
		})
	}
	for _, m := range []string{"gpt-4o", "gpt-4o-mini", "gpt-3.5-turbo", "gemini-2.5-flash", "models/gemini-2.5-pro", "claude-3-5-sonnet-20241022", "o1"} {
		if _, e := ParseChat([]byte(`{"model":"`+m+`","messages":[{"role":"user","content":"x"}]}`), envtest.Env(nil)); e != nil {
			t.Errorf("%s: %v", m, e)
		}
	}
	for _, m := range []string{"text-embedding-ada-002", "text-embedding-004", "models/text-embedding-004", "gemini-embedding-001"} {
		if _, e := ParseEmbeddings([]byte(`{"model":"`+m+`","input":"x"}`), envtest.Env(nil)); e != nil {
			t.Errorf("%s: %v", m, e)
		}
	}
}
