package openai

import (
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
)

// A functionCall part Gemini got wrong (not an object, no name, args that
// are not an object) is a gateway error, like a MALFORMED_FUNCTION_CALL
// finish: never a tool call with an empty name.
func TestMalformedFunctionCallPart(t *testing.T) {
	tests := []struct{ name, part, what string }{
		{"not an object", `{"functionCall":"get_weather"}`, "a functionCall that is not an object"},
		{"null", `{"functionCall":null}`, "a functionCall that is not an object"},
		{"no name", `{"functionCall":{"args":{}}}`, "a functionCall without a name"},
		{"empty name", `{"functionCall":{"name":"","args":{}}}`, "a functionCall without a name"},
		{"name not a string", `{"functionCall":{"name":7}}`, "a functionCall without a name"},
		{"args not an object", `{"functionCall":{"name":"f","args":[1]}}`, "a functionCall whose args are not an object"},
	}
	msg := func(what string) string {
		return "Gemini produced an invalid tool call (" + what + "); the answer was discarded. Retrying the request usually succeeds."
	}
	r := mustParse(t, `{"model":"gpt-4o","messages":[{"role":"user","content":"x"}]}`)
	s := mustParse(t, `{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"x"}]}`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			answer := `{"candidates":[{"content":{"parts":[{"text":"Let me check."},` + tt.part + `]},"finishReason":"STOP"}],"responseId":"i"}`
			_, e := r.Response([]byte(answer))
			if e == nil || e.Kind != apierror.BadGateway || e.Status != 502 || e.Message != msg(tt.what) {
				t.Fatalf("response: %+v", e)
			}
			want := `{"error":{"message":"` + msg(tt.what) + `","type":"server_error","param":null,"code":"MALFORMED_FUNCTION_CALL"}}`
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
