package anthropic

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/internal/jsontest"
)

// invalidRequestBody checks the document a client gets for a refused
// request: Anthropic's error object of type invalid_request_error, with
// the error's message.
func invalidRequestBody(t *testing.T, e *apierror.Error) {
	t.Helper()
	jsontest.Equal(t, ErrorBody(e), `{"type":"error","error":{"type":"invalid_request_error","message":`+string(mustJSON(e.Message))+`}}`)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// toolRoundTrip is a messages array: a user turn, an assistant turn of n
// tool_use blocks, then a user turn of their n tool_result blocks in
// reverse order (the worst order for a scan). Call i has the id
// "t"+(i%ids), so ids below n repeats ids; result i holds "r"+i.
func toolRoundTrip(n, ids int) string {
	var sb strings.Builder
	sb.WriteString(`[{"role":"user","content":"x"},{"role":"assistant","content":[`)
	for i := range n {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(`{"type":"tool_use","id":"t` + strconv.Itoa(i%ids) + `","name":"f","input":{}}`)
	}
	sb.WriteString(`]},{"role":"user","content":[`)
	for i := n - 1; i >= 0; i-- {
		if i < n-1 {
			sb.WriteByte(',')
		}
		sb.WriteString(`{"type":"tool_result","tool_use_id":"t` + strconv.Itoa(i%ids) + `","content":"r` + strconv.Itoa(i) + `"}`)
	}
	sb.WriteString(`]}]`)
	return sb.String()
}
