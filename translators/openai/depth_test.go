package openai

import (
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/internal/envtest"
	"github.com/gemini-code-api/gemini-code-api/translators/internal/jsontest"
)

// A hostile body nesting a hundred thousand levels must be refused before
// gjson's recursive validation reads it (envtest.RefusesDeep), and so must
// JSON nested inside a string that the translation parses.
func TestDeepRequestsAreRefused(t *testing.T) {
	jsontest.SmallStack(t)
	deep := jsontest.Deep(100000)
	more := []envtest.Refusal{
		{Name: "only brackets", In: strings.Repeat("[", 100000), Msg: "The request body nests JSON 100000 levels deep; the gateway accepts at most 256."},
		{Name: "tool call arguments nest too deep inside their string", In: `{"model":"gpt-4","messages":[{"role":"user","content":"x"},
			{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{\"a\":` + deep + `}"}}]}]}`,
			Param: "messages[1].tool_calls[0].function.arguments",
			Msg:   "Invalid 'messages[1].tool_calls[0].function.arguments': the arguments nest JSON 100001 levels deep; the gateway accepts at most 256."},
	}
	t.Run("chat", func(t *testing.T) {
		envtest.RefusesDeep(t, ParseChat, `{"model":"gpt-4","messages":[{"role":"user","content":"x"}],"metadata":`, invalidRequestBody, more...)
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
		envtest.RefusesDeep(t, ParseEmbeddings, `{"model":"text-embedding-004","input":"x","user":`, invalidRequestBody)
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
