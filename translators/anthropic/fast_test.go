package anthropic

import (
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
	"github.com/gemini-code-api/gemini-code-api/translators/internal/envtest"
	"github.com/gemini-code-api/gemini-code-api/translators/internal/jsontest"
)

// The differential tests of the fast path (gemini.Scan), run by jsontest:
// the same Gemini answers through the fast path and the gjson path.

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
		rs = append(rs, envtest.Parse(t, ParseMessages, c.in, c.o...))
	}
	return rs
}

// newStream starts r's stream, on the gjson path when slow.
func newStream(r *MessagesRequest, slow bool) jsontest.Stream {
	s := r.NewStream().(*Stream)
	return envtest.OnPath(s, &s.Events, slow)
}

func diffStreams() []string { return append([]string{geminiStream}, jsontest.DiffStreams...) }

func streamDiff(t testing.TB) jsontest.StreamDiff[*MessagesRequest] {
	return jsontest.StreamDiff[*MessagesRequest]{Label: "stream", Requests: diffRequests(t), Ups: diffStreams(), New: newStream}
}

func TestStreamFastMatchesSlow(t *testing.T) { streamDiff(t).Test(t) }

func FuzzStreamFastMatchesSlow(f *testing.F) { streamDiff(f).Fuzz(f) }

// countedStream starts r's stream, counting in n the events that take the
// fast path.
func countedStream(r *MessagesRequest, n *int) jsontest.Stream {
	s := r.NewStream().(*Stream)
	return envtest.Counting(s, &s.Events, s.FastEvent, n)
}

// TestStreamTakesFastPath: common events do take the fast path.
func TestStreamTakesFastPath(t *testing.T) {
	jsontest.FastEvents(t, diffRequests(t), countedStream, geminiStream, 5)
}

// diffAnswers are whole answers for the differential tests.
func diffAnswers() []string {
	return append(append([]string{groundedAnswer}, jsontest.DiffAnswers...), jsontest.EventsOf(diffStreams())...)
}

func answerDiff(t testing.TB) jsontest.AnswerDiff[*MessagesRequest] {
	return jsontest.AnswerDiff[*MessagesRequest]{Label: "response", Requests: diffRequests(t), Fast: (*MessagesRequest).Response, Slow: (*MessagesRequest).slowResponse, ErrorBody: ErrorBody,
		After: func(t testing.TB, r *MessagesRequest, body []byte, e *apierror.Error) {
			envtest.AnsweredUsage(t, &r.Call, body, e)
		}}
}

func TestResponseFastMatchesSlow(t *testing.T) {
	d := answerDiff(t)
	jsontest.TestAnswers(t, diffAnswers(), d)
	// The common answer takes the fast path: the fallback is not called.
	gemini.Answer([]byte(jsontest.DiffAnswers[0]), d.Requests[0].fastResponse, func([]byte) ([]byte, *apierror.Error) {
		t.Fatal("the common answer did not take the fast path")
		return nil, nil
	})
}

func FuzzResponseFastMatchesSlow(f *testing.F) { jsontest.FuzzAnswers(f, diffAnswers(), answerDiff(f)) }

// A text part's signature with no thinking block to hold it waits for the
// next call, which may come in a later event: it must outlive the event's
// bytes (the SSE parser reuses them), on both paths.
func TestPendingSignatureOutlivesEvent(t *testing.T) {
	r := mustParse(t, plainReq)
	// The second event is shorter: it is read into the first one's bytes.
	up := jsontest.SSE(`{"candidates":[{"content":{"parts":[{"text":"Hi","thoughtSignature":"QUJD"}]},"index":0}],"modelVersion":"gemini-2.5-flash-with-a-long-name"}`,
		`{"candidates":[{"content":{"parts":[{"functionCall":{"name":"f"}}]},"finishReason":"STOP","index":0}]}`)
	for _, slow := range []bool{false, true} {
		out := jsontest.WriteSplit(newStream(r, slow), []byte(up), len(up))
		if !strings.Contains(string(out), `__ts_QUJD"`) {
			t.Fatalf("slow=%v: the signature was lost:\n%s", slow, out)
		}
	}
}
