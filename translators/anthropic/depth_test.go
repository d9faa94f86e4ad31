package anthropic

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
	const msg = "The request body nests JSON 100001 levels deep; the gateway accepts at most 256."
	tests := []struct {
		name  string
		parse func([]byte) *apierror.Error
	}{
		{"messages", func(b []byte) *apierror.Error { _, e := ParseMessages(b, envtest.Env(nil)); return e }},
		{"count_tokens", func(b []byte) *apierror.Error { _, e := ParseCountTokens(b, envtest.Env(nil)); return e }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := tt.parse([]byte(`{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"x"}],"metadata":` + deep + `}`))
			if e == nil || e.Kind != apierror.InvalidRequest || Status(e) != 400 || e.Message != msg {
				t.Fatalf("got %+v", e)
			}
			jsontest.Equal(t, ErrorBody(e), `{"type":"error","error":{"type":"invalid_request_error","message":"`+msg+`"}}`)
			// Exactly at the limit passes: 254 levels of metadata inside the
			// body object make 255; the messages array makes 3.
			if e := tt.parse([]byte(`{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"x"}],"metadata":` + jsontest.Deep(jsondepth.MaxDepth-1) + `}`)); e != nil {
				t.Fatalf("at the limit: %v", e)
			}
		})
	}
	t.Run("a deep tool result goes as a string", func(t *testing.T) {
		result := `[` + deep + `]`
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
