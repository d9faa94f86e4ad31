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
	r := mustParse(t, plainReq)
	for _, tt := range jsontest.MalformedCalls {
		t.Run(tt.Name, func(t *testing.T) {
			msg := tt.Message()
			answer := tt.Answer()
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
