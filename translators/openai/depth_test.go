package openai

import (
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/internal/envtest"
	"github.com/gemini-code-api/gemini-code-api/translators/internal/jsontest"
	"github.com/gemini-code-api/gemini-code-api/translators/jsondepth"
)

// A hostile body nesting a hundred thousand levels must be refused before
// gjson's recursive validation reads it; jsontest.SmallStack turns that
// recursion into a crash, as V8 would.
func TestDeepRequestsAreRefused(t *testing.T) {
	jsontest.SmallStack(t)
	deep := jsontest.Deep(100000)
	// A document exactly at the limit: "messages" plus 254 levels of
	// metadata makes 256 with the outer object.
	atLimit := `{"model":"gpt-4","messages":[{"role":"user","content":"x"}],"metadata":` + jsontest.Deep(jsondepth.MaxDepth-1) + `}`
	tests := []struct {
		name, in, param, msg string
	}{
		{"chat", `{"model":"gpt-4","messages":[{"role":"user","content":"x"}],"metadata":` + deep + `}`,
			"", "The request body nests JSON 100001 levels deep; the gateway accepts at most 256."},
		{"chat, only brackets", strings.Repeat("[", 100000), "", "The request body nests JSON 100000 levels deep; the gateway accepts at most 256."},
		{"chat, one level too deep", `{"model":"gpt-4","messages":[{"role":"user","content":"x"}],"metadata":` + jsontest.Deep(jsondepth.MaxDepth) + `}`,
			"", "The request body nests JSON 257 levels deep; the gateway accepts at most 256."},
		{"tool call arguments nest too deep inside their string", `{"model":"gpt-4","messages":[{"role":"user","content":"x"},
			{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{\"a\":` + deep + `}"}}]}]}`,
			"messages[1].tool_calls[0].function.arguments",
			"Invalid 'messages[1].tool_calls[0].function.arguments': the arguments nest JSON 100001 levels deep; the gateway accepts at most 256."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, e := ParseChat([]byte(tt.in), envtest.Env(nil))
			if e == nil || e.Kind != apierror.InvalidRequest || e.Status != 400 || e.Param != tt.param || e.Message != tt.msg {
				t.Fatalf("got %+v", e)
			}
		})
	}
	t.Run("at the limit", func(t *testing.T) {
		if _, e := ParseChat([]byte(atLimit), envtest.Env(nil)); e != nil {
			t.Fatal(e)
		}
	})
	t.Run("a tool schema near the limit is cleaned", func(t *testing.T) {
		// 4 levels of body around the schema, 250 of schema.
		schema := strings.Repeat(`{"type":"object","properties":{"a":`, 124) + `{"type":"string","minLength":1}` + strings.Repeat(`}}`, 124)
		r, e := ParseChat([]byte(`{"model":"gpt-4","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f","parameters":`+schema+`}}]}`), envtest.Env(nil))
		if e != nil {
			t.Fatal(e)
		}
		if want := strings.Repeat(`{"type":"object","properties":{"a":`, 124) + `{"type":"string"}` + strings.Repeat(`}}`, 124); !strings.Contains(string(r.Body), `"parametersJsonSchema":`+want+`}`) {
			t.Fatalf("schema not cleaned: %.300s", r.Body)
		}
	})
	t.Run("embeddings", func(t *testing.T) {
		_, e := ParseEmbeddings([]byte(`{"model":"text-embedding-004","input":"x","user":`+deep+`}`), envtest.Env(nil))
		if e == nil || e.Status != 400 || !strings.Contains(e.Message, "100001 levels deep; the gateway accepts at most 256") {
			t.Fatalf("got %+v", e)
		}
	})
	t.Run("a deep tool result goes as a string", func(t *testing.T) {
		result := `{\"a\":` + deep + `}`
		envtest.ToolResultAsString(t, ParseChat, `{"model":"gpt-4","messages":[{"role":"user","content":"x"},
			{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},
			{"role":"tool","tool_call_id":"c","content":"`+result+`"}]}`, result)
	})
}

// Gemini's answers go through gjson too: an over-deep one is a 502, read
// without recursion, whether whole or streamed.
func TestDeepAnswersAreGatewayErrors(t *testing.T) {
	jsontest.SmallStack(t)
	answer, msg := jsontest.DeepAnswer(), jsontest.DeepAnswerError
	r := mustParse(t, `{"model":"gpt-4o","messages":[{"role":"user","content":"x"}]}`)
	if _, e := r.Response([]byte(answer)); e == nil || e.Kind != apierror.BadGateway || e.Status != 502 || e.Message != msg {
		t.Fatalf("response: %+v", e)
	}
	s := mustParse(t, `{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"x"}]}`)
	got := streamEvents(t, s, "data: "+answer+"\r\n\r\n")
	if want := `{"error":{"message":"` + msg + `","type":"server_error","param":null,"code":null}}`; got[len(got)-1] != want {
		t.Fatalf("stream ends with\n%s\nwant\n%s", got[len(got)-1], want)
	}
	emb, e := ParseEmbeddings([]byte(`{"model":"text-embedding-004","input":"x"}`), envtest.Env(nil))
	if e != nil {
		t.Fatal(e)
	}
	// Just over the limit: a deeper answer is refused by its size first.
	if _, e := emb.Response([][]byte{[]byte(`{"embeddings":[{"values":` + jsontest.Deep(300) + `}]}`)}); e == nil || e.Status != 502 || !strings.Contains(e.Message, "levels deep") {
		t.Fatalf("embeddings: %+v", e)
	}
}
