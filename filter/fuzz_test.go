package filter_test

import (
	"encoding/json"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/filter"
)

// FuzzFilter sends arbitrary bodies and upstream answers through every
// translated endpoint: the filter must never panic (a trap in Envoy fails
// the VM), and every local reply must be JSON in some error shape.
func FuzzFilter(f *testing.F) {
	f.Add(uint8(0), []byte(chatBody), []byte(`{"candidates":[{"content":{"parts":[{"text":"x"}]},"finishReason":"STOP"}]}`), uint16(200))
	f.Add(uint8(1), []byte(`{"model":"claude-sonnet-4-5","max_tokens":10,"stream":true,"messages":[{"role":"user","content":"x"}]}`), []byte("data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"x\"}]},\"finishReason\":\"STOP\"}]}\r\n\r\n"), uint16(200))
	f.Add(uint8(2), []byte(`{"model":"m","messages":[{"role":"user","content":"x"}]}`), []byte(`{"totalTokens":3}`), uint16(200))
	f.Add(uint8(3), []byte(`{"model":"m","input":["a"]}`), []byte(`{"embeddings":[{"values":[1]}]}`), uint16(200))
	f.Add(uint8(4), []byte(`{"contents":[]}`), []byte(`[{"error":{"code":500}}]`), uint16(500))
	paths := []string{"/v1/chat/completions", "/v1/messages", "/v1/messages/count_tokens", "/v1/embeddings", "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse"}
	f.Fuzz(func(t *testing.T, which uint8, body, upstream []byte, status uint16) {
		host := start(t, filter.NewVMContext(), "").host
		id := host.InitializeHttpContext()
		host.CallOnRequestHeaders(id, [][2]string{{":method", "POST"}, {":path", paths[int(which)%len(paths)]}, {"authorization", "Bearer K"}}, false)
		host.CallOnRequestBody(id, body, true)
		if lr := host.GetSentLocalResponse(id); lr != nil {
			if !json.Valid(lr.Data) {
				t.Fatalf("local reply is not JSON: %q", lr.Data)
			}
			return
		}
		st := int(status%600) + 100
		host.CallOnResponseHeaders(id, [][2]string{{":status", itoa(st)}}, false)
		half := len(upstream) / 2
		host.CallOnResponseBody(id, upstream[:half], false)
		host.CallOnResponseBody(id, upstream[half:], true)
		host.CompleteHttpContext(id)
	})
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
