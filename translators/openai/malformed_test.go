package openai

import (
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/internal/jsontest"
)

// A functionCall part Gemini got wrong (not an object, no name, args that
// are not an object) is a gateway error, like a MALFORMED_FUNCTION_CALL
// finish: never a tool call with an empty name.
func TestMalformedFunctionCallPart(t *testing.T) {
	r := mustParse(t, `{"model":"gpt-4o","messages":[{"role":"user","content":"x"}]}`)
	s := mustParse(t, `{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"x"}]}`)
	for _, tt := range jsontest.MalformedCalls {
		t.Run(tt.Name, func(t *testing.T) {
			answer := tt.Answer()
			_, e := r.Response([]byte(answer))
			if e == nil || e.Kind != apierror.BadGateway || e.Status != 502 || e.Message != tt.Message() {
				t.Fatalf("response: %+v", e)
			}
			want := `{"error":{"message":"` + tt.Message() + `","type":"server_error","param":null,"code":"MALFORMED_FUNCTION_CALL"}}`
			if got := string(ErrorBody(e)); got != want {
				t.Fatalf("body %s", got)
			}
			got := streamEvents(t, s, "data: "+answer+"\r\n\r\n")
			if got[len(got)-1] != want {
				t.Fatalf("stream ends with %s", got[len(got)-1])
			}
			if st := s.NewStream(); st.Close(st.Write(nil, []byte("data: "+answer+"\r\n\r\n"))) != nil && !st.Failed() {
				t.Fatal("the stream did not report its failure")
			}
		})
	}
}
