package filter_test

import (
	"strconv"
	"strings"
	"testing"
)

func embedBody(n int, dims int) string {
	in := make([]string, n)
	for i := range in {
		in[i] = `"text ` + strconv.Itoa(i) + `"`
	}
	return `{"model":"gemini-embedding-001","dimensions":` + strconv.Itoa(dims) + `,"input":[` + strings.Join(in, ",") + `]}`
}

// embedAnswer is a batchEmbedContents answer of n embeddings of dims values.
func embedAnswer(n, dims int) []byte {
	vals := strings.TrimSuffix(strings.Repeat("0.25, ", dims), ", ")
	items := make([]string, n)
	for i := range items {
		items[i] = "{\n  \"values\": [ " + vals + " ]\n}"
	}
	return []byte(`{"embeddings": [` + strings.Join(items, ", ") + `]}`)
}

// TestEmbeddingsBounded: the value cap (max_embedding_values) refuses a
// request before any call to Gemini, and batch answers holding more than
// the request can take are refused rather than converted.
func TestEmbeddingsBounded(t *testing.T) {
	auth := [][2]string{{"authorization", "Bearer K"}}
	ok := [][2]string{{":status", "200"}}
	withPlugin(t, `{"max_embedding_values":1000}`, func(t *testing.T, e *env) {

		x := e.send("POST", "/v1/embeddings", auth, embedBody(2, 501))
		if x.local == nil || x.local.StatusCode != 400 || !strings.Contains(string(x.local.Data), "at most 1000 values") || !strings.Contains(string(x.local.Data), `"param":"input"`) {
			t.Fatalf("over the cap: %+v", x.local)
		}
		if c := e.host.GetCalloutAttributesFromContext(x.id); len(c) != 0 {
			t.Fatalf("%d callouts for a refused request", len(c))
		}

		// 150 inputs × 4 values: two callouts; the answers arrive out of
		// order and are joined in input order, compactly.
		x = e.send("POST", "/v1/embeddings", auth, embedBody(150, 4))
		calls := e.host.GetCalloutAttributesFromContext(x.id)
		if x.local != nil || len(calls) != 2 {
			t.Fatalf("%d callouts, local %+v", len(calls), x.local)
		}
		e.host.CallOnHttpCallResponse(calls[1].CalloutID, ok, nil, embedAnswer(50, 4))
		e.host.CallOnHttpCallResponse(calls[0].CalloutID, ok, nil, embedAnswer(100, 4))
		lr := e.host.GetSentLocalResponse(x.id)
		if lr == nil || lr.StatusCode != 200 || !strings.Contains(string(lr.Data), `{"object":"embedding","index":149,"embedding":[0.25,0.25,0.25,0.25]}`) || strings.ContainsAny(string(lr.Data), " \n") {
			t.Fatalf("joined answer: %+v", lr)
		}

		for _, tc := range []struct {
			name   string
			answer []byte
			msg    string
		}{
			{"an embedding longer than dimensions", embedAnswer(50, 5), "more than the 4 values expected"},
			{"an answer larger than its embeddings can be", append(embedAnswer(50, 4), strings.Repeat(" ", 50*(4*64+256)+4096)...), "the gateway refused it"},
		} {
			x = e.send("POST", "/v1/embeddings", auth, embedBody(150, 4))
			calls = e.host.GetCalloutAttributesFromContext(x.id)
			e.host.CallOnHttpCallResponse(calls[1].CalloutID, ok, nil, tc.answer)
			e.host.CallOnHttpCallResponse(calls[0].CalloutID, ok, nil, embedAnswer(100, 4))
			lr = e.host.GetSentLocalResponse(x.id)
			if lr == nil || lr.StatusCode != 502 || !strings.Contains(string(lr.Data), tc.msg) || !strings.Contains(string(lr.Data), `"error":{`) {
				t.Fatalf("%s: %+v", tc.name, lr)
			}
		}
	})
}
