package openai

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
)

// invalidRequestBody checks the document a client gets for a refused
// request: OpenAI's error object, of type invalid_request_error, with its
// message, type, param and code.
func invalidRequestBody(t *testing.T, e *apierror.Error) {
	t.Helper()
	var body map[string]map[string]any
	if err := json.Unmarshal(ErrorBody(e), &body); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"message", "type", "param", "code"} {
		if _, ok := body["error"][k]; !ok {
			t.Fatalf("error body lacks %q: %s", k, ErrorBody(e))
		}
	}
	if body["error"]["type"] != "invalid_request_error" {
		t.Fatalf("error body %s", ErrorBody(e))
	}
}

// toolRoundTrip is a messages array: a user message, an assistant message
// with n tool calls (ids "c"+i), then their n tool messages in reverse
// order (the worst order for a scan).
func toolRoundTrip(n int) string {
	var sb strings.Builder
	sb.WriteString(`[{"role":"user","content":"x"},{"role":"assistant","tool_calls":[`)
	for i := range n {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(`{"id":"c` + strconv.Itoa(i) + `","type":"function","function":{"name":"f","arguments":"{}"}}`)
	}
	sb.WriteString(`]}`)
	for i := n - 1; i >= 0; i-- {
		sb.WriteString(`,{"role":"tool","tool_call_id":"c` + strconv.Itoa(i) + `","content":"r"}`)
	}
	sb.WriteString(`]`)
	return sb.String()
}
