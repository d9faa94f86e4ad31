package anthropic

import (
	"bytes"
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

func diffRequests(t testing.TB) []*MessagesRequest {
	var rs []*MessagesRequest
	for _, c := range []struct {
		in string
		o  []envtest.Option
	}{
		{plainReq, nil},
		{`{"model":"gemini-2.5-flash","max_tokens":1024,"stream":true,"messages":[{"role":"user","content":"x"}]}`, []envtest.Option{envtest.ThinkingPings}},
		{`{"model":"gemini-3-pro-preview","max_tokens":4096,"stream":true,"thinking":{"type":"enabled","budget_tokens":2048},"messages":[{"role":"user","content":"x"}]}`, nil},
		{searchReq, nil},
	} {
		r, e := ParseMessages([]byte(c.in), envtest.Env(nil, c.o...))
		if e != nil {
			t.Fatal(e)
		}
		rs = append(rs, r)
	}
	return rs
}

func streamRun(r *MessagesRequest, up []byte, cut int, slow bool) []byte {
	s := r.NewStream().(*Stream)
	s.slow = slow
	out := s.Write(nil, up[:cut])
	out = s.Write(out, up[cut:])
	return s.Close(out)
}

func diffStreams() []string { return append([]string{geminiStream}, jsontest.DiffStreams...) }

func TestStreamFastMatchesSlow(t *testing.T) {
	rs := diffRequests(t)
	for _, up := range diffStreams() {
		for cut := 0; cut <= len(up); cut += 7 {
			for _, r := range rs {
				sameBytes(t, "stream", []byte(up), streamRun(r, []byte(up), cut, false), streamRun(r, []byte(up), cut, true))
			}
		}
	}
}

func FuzzStreamFastMatchesSlow(f *testing.F) {
	for _, up := range diffStreams() {
		f.Add([]byte(up), len(up)/3, uint8(len(up)))
	}
	rs := diffRequests(f)
	f.Fuzz(func(t *testing.T, up []byte, cut int, which uint8) {
		if cut < 0 {
			cut = -cut
		}
		cut %= len(up) + 1
		r := rs[int(which)%len(rs)]
		sameBytes(t, "stream", up, streamRun(r, up, cut, false), streamRun(r, up, cut, true))
	})
}

// TestStreamTakesFastPath guards the differential tests against comparing
// the gjson path with itself: common events do take the fast path.
func TestStreamTakesFastPath(t *testing.T) {
	for _, r := range diffRequests(t) {
		s := r.NewStream().(*Stream)
		n := 0
		s.fast = func(sc *gemini.Scan) (bool, *apierror.Error) { n++; return s.fastEvent(sc) }
		s.Close(s.Write(nil, []byte(geminiStream)))
		if n != 5 {
			t.Fatalf("%d of 5 events took the fast path", n)
		}
	}
}

// diffAnswers are whole answers for the differential tests.
func diffAnswers() []string {
	out := append([]string{groundedAnswer}, jsontest.DiffAnswers...)
	for _, up := range diffStreams() {
		for _, ev := range strings.Split(up, "\r\n\r\n") {
			if d, ok := strings.CutPrefix(ev, "data: "); ok {
				out = append(out, d)
			}
		}
	}
	return out
}

func answerPair(out []byte, e *apierror.Error) []byte {
	if e != nil {
		return append([]byte("error: "), ErrorBody(e)...)
	}
	return out
}

func TestResponseFastMatchesSlow(t *testing.T) {
	rs := diffRequests(t)
	for _, body := range diffAnswers() {
		for _, r := range rs {
			sameBytes(t, "response", []byte(body), answerPair(r.Response([]byte(body))), answerPair(r.slowResponse([]byte(body))))
		}
	}
	if _, ok, _ := rs[0].fastResponse([]byte(jsontest.DiffAnswers[0])); !ok {
		t.Fatal("the common answer did not take the fast path")
	}
}

func FuzzResponseFastMatchesSlow(f *testing.F) {
	for _, body := range diffAnswers() {
		f.Add([]byte(body))
	}
	rs := diffRequests(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, r := range rs {
			sameBytes(t, "response", body, answerPair(r.Response(body)), answerPair(r.slowResponse(body)))
		}
	})
}

// A text part's signature with no thinking block to hold it waits for the
// next call, which may come in a later event: it must outlive the event's
// bytes (the SSE parser reuses them), on both paths.
func TestPendingSignatureOutlivesEvent(t *testing.T) {
	r := mustParse(t, plainReq)
	// The second event is shorter: it is read into the first one's bytes.
	up := jsontest.SSE(`{"candidates":[{"content":{"parts":[{"text":"Hi","thoughtSignature":"QUJD"}]},"index":0}],"modelVersion":"gemini-2.5-flash-with-a-long-name"}`,
		`{"candidates":[{"content":{"parts":[{"functionCall":{"name":"f"}}]},"finishReason":"STOP","index":0}]}`)
	for _, slow := range []bool{false, true} {
		out := streamRun(r, []byte(up), len(up), slow)
		if !strings.Contains(string(out), `__ts_QUJD"`) {
			t.Fatalf("slow=%v: the signature was lost:\n%s", slow, out)
		}
	}
}
