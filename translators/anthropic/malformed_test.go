package anthropic

import (
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/internal/jsontest"
)

// A functionCall part Gemini got wrong (not an object, no name, args that
// are not an object) is a 502 api_error, like a MALFORMED_FUNCTION_CALL
// finish: never a tool_use block with an empty name.
func TestMalformedFunctionCallPart(t *testing.T) {
	tests := []struct{ name, part, what string }{
		{"not an object", `{"functionCall":"get_weather"}`, "a functionCall that is not an object"},
		{"null", `{"functionCall":null}`, "a functionCall that is not an object"},
		{"no name", `{"functionCall":{"args":{}}}`, "a functionCall without a name"},
		{"empty name", `{"functionCall":{"name":"","args":{}}}`, "a functionCall without a name"},
		{"name not a string", `{"functionCall":{"name":7}}`, "a functionCall without a name"},
		{"args not an object", `{"functionCall":{"name":"f","args":[1]}}`, "a functionCall whose args are not an object"},
	}
	r := mustParse(t, plainReq)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := "Gemini produced an invalid tool call (" + tt.what + "); the answer was discarded. Retrying the request usually succeeds."
			answer := `{"candidates":[{"content":{"parts":[{"text":"Let me check."},` + tt.part + `]},"finishReason":"STOP"}],"responseId":"i"}`
			_, e := r.Response([]byte(answer))
			if e == nil || e.Kind != apierror.BadGateway || Status(e) != 502 || e.Message != msg {
				t.Fatalf("response: %+v", e)
			}
			want := `{"type":"error","error":{"type":"api_error","message":"` + msg + `"}}`
			jsontest.Equal(t, ErrorBody(e), want)
			got := streamEvents(t, r, "data: "+answer+"\r\n\r\n")
			if got[len(got)-1] != "error "+want {
				t.Fatalf("stream ends with %s", got[len(got)-1])
			}
			if _, s := streamOut(r, "data: "+answer+"\r\n\r\n"); !s.Failed() {
				t.Fatal("the stream did not report its failure")
			}
		})
	}
}
