package openai

import (
	"fmt"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
	"github.com/gemini-code-api/gemini-code-api/translators/internal/envtest"
	"github.com/gemini-code-api/gemini-code-api/translators/internal/jsontest"
)

// The differential tests of the fast path (gemini.Scan), run by jsontest:
// the same Gemini answers through the fast path and the gjson path.

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
			rs = append(rs, envtest.Parse(t, ParseChat, in, o...))
		}
	}
	return rs
}

// newChatStream starts r's stream, on the gjson path when slow.
func newChatStream(r *ChatRequest, slow bool) jsontest.Stream {
	s := r.NewStream().(*Stream)
	return envtest.OnPath(s, &s.Events, slow)
}

func chatStreamDiff(t testing.TB) jsontest.StreamDiff[*ChatRequest] {
	return jsontest.StreamDiff[*ChatRequest]{Label: "chat stream", Requests: chatDiffRequests(t), Ups: diffEvents(), New: newChatStream}
}

func TestStreamFastMatchesSlow(t *testing.T) { chatStreamDiff(t).Test(t) }

func FuzzStreamFastMatchesSlow(f *testing.F) { chatStreamDiff(f).Fuzz(f) }

// countedStream starts r's stream, counting in n the events that take the
// fast path.
func countedStream(r *ChatRequest, n *int) jsontest.Stream {
	s := r.NewStream().(*Stream)
	return envtest.Counting(s, &s.Events, s.FastEvent, n)
}

// TestStreamTakesFastPath: common events do take the fast path.
func TestStreamTakesFastPath(t *testing.T) {
	jsontest.FastEvents(t, chatDiffRequests(t), countedStream, geminiStream, 3)
}

func responsesDiffRequests(t testing.TB) []*ResponsesRequest {
	var rs []*ResponsesRequest
	for _, in := range []string{
		fmt.Sprintf(codexRequest, "true"),
		`{"model":"gemini-2.5-flash","input":"x","stream":true,"tools":[{"type":"web_search"}]}`,
		`{"model":"gemini-2.5-flash","input":"x","stream":true}`,
	} {
		rs = append(rs, envtest.Parse(t, ParseResponses, in))
	}
	return rs
}

// newResponsesStream starts r's stream, on the gjson path when slow.
func newResponsesStream(r *ResponsesRequest, slow bool) jsontest.Stream {
	s := r.NewStream().(*ResponsesStream)
	return envtest.OnPath(s, &s.Events, slow)
}

// customCalls are Codex's calls: a custom tool's input, a namespaced
// function.
var customCalls = jsontest.SSE(`{"candidates":[{"content":{"parts":[{"functionCall":{"name":"apply_patch","args":{"input":"*** Begin Patch\n"}},"thoughtSignature":"AAEC"},{"functionCall":{"name":"apply_patch","args":{"x":1}}},{"functionCall":{"name":"multi_agent_v1__close_agent","args":{}}},{"functionCall":{"name":"exec_command","args":{"cmd":"ls"}}}]},"finishReason":"STOP","index":0}],"responseId":"r"}`)

func responsesStreamDiff(t testing.TB) jsontest.StreamDiff[*ResponsesRequest] {
	return jsontest.StreamDiff[*ResponsesRequest]{Label: "responses stream", Requests: responsesDiffRequests(t), Ups: append(diffEvents(), customCalls), New: newResponsesStream}
}

func TestResponsesStreamFastMatchesSlow(t *testing.T) { responsesStreamDiff(t).Test(t) }

func FuzzResponsesStreamFastMatchesSlow(f *testing.F) { responsesStreamDiff(f).Fuzz(f) }

// diffAnswers are whole answers for the differential tests.
func diffAnswers() []string {
	return append(append([]string{groundedAnswer}, jsontest.DiffAnswers...), jsontest.EventsOf(append(diffEvents(), customCalls))...)
}

// answerDiffs compare the whole answers of both APIs.
func answerDiffs(t testing.TB) (jsontest.AnswerDiff[*ChatRequest], jsontest.AnswerDiff[*ResponsesRequest]) {
	return jsontest.AnswerDiff[*ChatRequest]{Label: "chat response", Requests: chatDiffRequests(t), Fast: (*ChatRequest).Response, Slow: (*ChatRequest).slowResponse, ErrorBody: ErrorBody,
			After: func(t testing.TB, r *ChatRequest, body []byte, e *apierror.Error) {
				envtest.AnsweredUsage(t, &r.Call, body, e)
			}},
		jsontest.AnswerDiff[*ResponsesRequest]{Label: "responses response", Requests: responsesDiffRequests(t), Fast: (*ResponsesRequest).Response, Slow: (*ResponsesRequest).slowResponse, ErrorBody: ErrorBody,
			After: func(t testing.TB, r *ResponsesRequest, body []byte, e *apierror.Error) {
				envtest.AnsweredUsage(t, &r.Call, body, e)
			}}
}

func TestResponseFastMatchesSlow(t *testing.T) {
	chat, resp := answerDiffs(t)
	jsontest.TestAnswers(t, diffAnswers(), chat, resp)
	// The common answer takes the fast path: the fallback is not called.
	gemini.Answer([]byte(jsontest.DiffAnswers[0]), chat.Requests[0].fastResponse, func([]byte) ([]byte, *apierror.Error) {
		t.Fatal("the common answer did not take the fast path")
		return nil, nil
	})
}

func FuzzResponseFastMatchesSlow(f *testing.F) {
	chat, resp := answerDiffs(f)
	jsontest.FuzzAnswers(f, diffAnswers(), chat, resp)
}
