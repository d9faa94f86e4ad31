package openai

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
	"github.com/gemini-code-api/gemini-code-api/translators/internal/envtest"
	"github.com/gemini-code-api/gemini-code-api/translators/internal/jsontest"
)

// The differential tests of the fast path (gemini.Scan): the same Gemini
// answers go through the fast path and through the gjson path (the
// reference, forced with `slow`), and the client bytes must be identical
// but for the random ids.

func sameBytes(t *testing.T, label string, up, fast, slow []byte) {
	t.Helper()
	if f, s := jsontest.NormalizeIDs(fast), jsontest.NormalizeIDs(slow); !bytes.Equal(f, s) {
		t.Fatalf("%s: the fast path differs for %q\nfast: %s\nslow: %s", label, up, f, s)
	}
}

// diffEvents are upstream streams for the differential tests.
func diffEvents() []string {
	return append([]string{geminiStream, groundedStream(), string(jsontest.Events(4))}, jsontest.DiffStreams...)
}

func chatDiffRequests(t testing.TB) []*ChatRequest {
	var rs []*ChatRequest
	for _, in := range []string{
		`{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"x"}]}`,
		`{"model":"gemini-2.5-flash","stream":true,"n":2,"messages":[{"role":"user","content":"x"}],"web_search_options":{}}`,
	} {
		for _, o := range [][]envtest.Option{nil, {envtest.ReasoningContent}} {
			r, e := ParseChat([]byte(in), envtest.Env(nil, o...))
			if e != nil {
				t.Fatal(e)
			}
			rs = append(rs, r)
		}
	}
	return rs
}

func chatStreamRun(r *ChatRequest, up []byte, cut int, slow bool) []byte {
	s := r.NewStream().(*Stream)
	s.slow = slow
	out := s.Write(nil, up[:cut])
	out = s.Write(out, up[cut:])
	return s.Close(out)
}

func TestStreamFastMatchesSlow(t *testing.T) {
	rs := chatDiffRequests(t)
	for _, up := range diffEvents() {
		for cut := 0; cut <= len(up); cut += 7 {
			for _, r := range rs {
				sameBytes(t, "chat stream", []byte(up), chatStreamRun(r, []byte(up), cut, false), chatStreamRun(r, []byte(up), cut, true))
			}
		}
	}
}

func FuzzStreamFastMatchesSlow(f *testing.F) {
	for _, up := range diffEvents() {
		f.Add([]byte(up), len(up)/3, uint8(len(up)))
	}
	rs := chatDiffRequests(f)
	f.Fuzz(func(t *testing.T, up []byte, cut int, which uint8) {
		if cut < 0 {
			cut = -cut
		}
		cut %= len(up) + 1
		r := rs[int(which)%len(rs)]
		sameBytes(t, "chat stream", up, chatStreamRun(r, up, cut, false), chatStreamRun(r, up, cut, true))
	})
}

// TestStreamTakesFastPath guards the differential tests against comparing
// the gjson path with itself: common events do take the fast path.
func TestStreamTakesFastPath(t *testing.T) {
	for _, r := range chatDiffRequests(t) {
		s := r.NewStream().(*Stream)
		n := 0
		s.fast = func(sc *gemini.Scan) (bool, *apierror.Error) { n++; return s.fastEvent(sc) }
		s.Close(s.Write(nil, []byte(geminiStream)))
		if n != 3 {
			t.Fatalf("%d of 3 events took the fast path", n)
		}
	}
}

func responsesDiffRequests(t testing.TB) []*ResponsesRequest {
	var rs []*ResponsesRequest
	for _, in := range []string{
		fmt.Sprintf(codexRequest, "true"),
		`{"model":"gemini-2.5-flash","input":"x","stream":true,"tools":[{"type":"web_search"}]}`,
		`{"model":"gemini-2.5-flash","input":"x","stream":true}`,
	} {
		r, e := ParseResponses([]byte(in), envtest.Env(nil))
		if e != nil {
			t.Fatal(e)
		}
		rs = append(rs, r)
	}
	return rs
}

func responsesStreamRun(r *ResponsesRequest, up []byte, cut int, slow bool) []byte {
	s := r.NewStream().(*ResponsesStream)
	s.slow = slow
	out := s.Write(nil, up[:cut])
	out = s.Write(out, up[cut:])
	return s.Close(out)
}

// customCalls are Codex's calls: a custom tool's input, a namespaced
// function.
var customCalls = jsontest.SSE(`{"candidates":[{"content":{"parts":[{"functionCall":{"name":"apply_patch","args":{"input":"*** Begin Patch\n"}},"thoughtSignature":"AAEC"},{"functionCall":{"name":"apply_patch","args":{"x":1}}},{"functionCall":{"name":"multi_agent_v1__close_agent","args":{}}},{"functionCall":{"name":"exec_command","args":{"cmd":"ls"}}}]},"finishReason":"STOP","index":0}],"responseId":"r"}`)

func TestResponsesStreamFastMatchesSlow(t *testing.T) {
	rs := responsesDiffRequests(t)
	for _, up := range append(diffEvents(), customCalls) {
		for cut := 0; cut <= len(up); cut += 7 {
			for _, r := range rs {
				sameBytes(t, "responses stream", []byte(up), responsesStreamRun(r, []byte(up), cut, false), responsesStreamRun(r, []byte(up), cut, true))
			}
		}
	}
}

func FuzzResponsesStreamFastMatchesSlow(f *testing.F) {
	for _, up := range append(diffEvents(), customCalls) {
		f.Add([]byte(up), len(up)/3, uint8(len(up)))
	}
	rs := responsesDiffRequests(f)
	f.Fuzz(func(t *testing.T, up []byte, cut int, which uint8) {
		if cut < 0 {
			cut = -cut
		}
		cut %= len(up) + 1
		r := rs[int(which)%len(rs)]
		sameBytes(t, "responses stream", up, responsesStreamRun(r, up, cut, false), responsesStreamRun(r, up, cut, true))
	})
}

// diffAnswers are whole answers for the differential tests.
func diffAnswers() []string {
	out := append([]string{groundedAnswer}, jsontest.DiffAnswers...)
	for _, up := range append(diffEvents(), customCalls) {
		for _, ev := range strings.Split(up, "\r\n\r\n") {
			if d, ok := strings.CutPrefix(ev, "data: "); ok {
				out = append(out, d)
			}
		}
	}
	return out
}

// answerPair runs both translations of a whole answer, error included.
func answerPair(out []byte, e *apierror.Error) []byte {
	if e != nil {
		return append([]byte("error: "), ErrorBody(e)...)
	}
	return out
}

func checkResponses(t *testing.T, body []byte, chat []*ChatRequest, resp []*ResponsesRequest) {
	for _, r := range chat {
		sameBytes(t, "chat response", body, answerPair(r.Response(body)), answerPair(r.slowResponse(body)))
	}
	for _, r := range resp {
		sameBytes(t, "responses response", body, answerPair(r.Response(body)), answerPair(r.slowResponse(body)))
	}
}

func TestResponseFastMatchesSlow(t *testing.T) {
	chat, resp := chatDiffRequests(t), responsesDiffRequests(t)
	for _, body := range diffAnswers() {
		checkResponses(t, []byte(body), chat, resp)
	}
	// The common answer takes the fast path.
	if _, ok, _ := chat[0].fastResponse([]byte(jsontest.DiffAnswers[0])); !ok {
		t.Fatal("the common answer did not take the fast path")
	}
}

func FuzzResponseFastMatchesSlow(f *testing.F) {
	for _, body := range diffAnswers() {
		f.Add([]byte(body))
	}
	chat, resp := chatDiffRequests(f), responsesDiffRequests(f)
	f.Fuzz(func(t *testing.T, body []byte) { checkResponses(t, body, chat, resp) })
}
