package anthropic

import (
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/internal/envtest"
	"github.com/gemini-code-api/gemini-code-api/translators/internal/jsontest"
)

// A hostile body nesting a hundred thousand levels must be refused before
// gjson's recursive validation reads it (envtest.RefusesDeep), by both
// endpoints.
func TestDeepRequestsAreRefused(t *testing.T) {
	const head = `{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"x"}],"metadata":`
	errorBody := func(t *testing.T, e *apierror.Error) {
		if Status(e) != 400 {
			t.Fatalf("status %d", Status(e))
		}
		invalidRequestBody(t, e)
	}
	t.Run("messages", func(t *testing.T) { envtest.RefusesDeep(t, ParseMessages, head, errorBody) })
	t.Run("count_tokens", func(t *testing.T) { envtest.RefusesDeep(t, ParseCountTokens, head, errorBody) })
	t.Run("a deep tool result goes as a string", func(t *testing.T) {
		jsontest.SmallStack(t)
		result := `[` + jsontest.Deep(100000) + `]`
		envtest.ToolResultAsString(t, ParseMessages, `{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"x"},
			{"role":"assistant","content":[{"type":"tool_use","id":"a","name":"f","input":{}}]},
			{"role":"user","content":[{"type":"tool_result","tool_use_id":"a","content":"`+result+`"}]}]}`, result)
	})
}

// Gemini's answers go through gjson too: an over-deep one is a 502 api_error,
// read without recursion, whether whole or streamed.
func TestDeepAnswersAreGatewayErrors(t *testing.T) {
	jsontest.SmallStack(t)
	answer, msg := jsontest.DeepAnswer(), jsontest.DeepAnswerError
	deep := jsontest.Deep(100000)
	r := mustParse(t, plainReq)
	_, e := r.Response([]byte(answer))
	if e == nil || e.Kind != apierror.BadGateway || Status(e) != 502 || e.Message != msg {
		t.Fatalf("response: %+v", e)
	}
	jsontest.Equal(t, ErrorBody(e), `{"type":"error","error":{"type":"api_error","message":"`+msg+`"}}`)

	got := streamEvents(t, r, "data: "+answer+"\r\n\r\n")
	if want := `error {"type":"error","error":{"type":"api_error","message":"` + msg + `"}}`; got[len(got)-1] != want {
		t.Fatalf("stream ends with\n%s\nwant\n%s", got[len(got)-1], want)
	}

	c, e := ParseCountTokens([]byte(`{"model":"claude-sonnet-4-5","messages":[{"role":"user","content":"x"}]}`), envtest.Env(nil))
	if e != nil {
		t.Fatal(e)
	}
	if _, e := c.Response([]byte(`{"totalTokens":1,"x":` + deep + `}`)); e == nil || Status(e) != 502 || !strings.Contains(e.Message, "levels deep") {
		t.Fatalf("count_tokens: %+v", e)
	}
}
