package openai

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/internal/jsontest"
	"github.com/gemini-code-api/gemini-code-api/translators/models"
)

// The differential tests of the fast path (gemini.Scan): the same Gemini
// answers go through the fast path and through the gjson path (the
// reference, forced with `slow`), and the client bytes must be identical
// but for the random ids.

var anyRandomID = regexp.MustCompile(`(call_|chatcmpl-|resp_|msg_|rs_|fc_|ctc_|ws_)[0-9A-Za-z]{24}`)

func sameBytes(t *testing.T, label string, up, fast, slow []byte) {
	t.Helper()
	f, s := anyRandomID.ReplaceAll(fast, []byte("${1}X")), anyRandomID.ReplaceAll(slow, []byte("${1}X"))
	if !bytes.Equal(f, s) {
		t.Fatalf("%s: the fast path differs for %q\nfast: %s\nslow: %s", label, up, f, s)
	}
}

// diffEvents are upstream streams for the differential tests: what the
// scan reads (text with escapes, thoughts, signatures, calls, several
// candidates, grounding, usage) and what it leaves to gjson.
func diffEvents() []string {
	ev := func(evs ...string) string {
		var b strings.Builder
		for _, e := range evs {
			b.WriteString("data: " + e + "\r\n\r\n")
		}
		return b.String()
	}
	return []string{
		geminiStream,
		groundedStream(),
		string(benchEvents(4)),
		ev(`{"candidates":[{"content":{"role":"model","parts":[{"text":"Let me \"think\"\n","thought":true,"thoughtSignature":"AAEC"}]},"index":0}],"usageMetadata":{"promptTokenCount":120,"cachedContentTokenCount":20,"totalTokenCount":120},"responseId":"abc"}`,
			`{"candidates":[{"content":{"role":"model","parts":[{"text":"caf\u00e9 \ud83d\ude00 \u2028<>&","thoughtSignature":"QUJD"},{"text":"","thoughtSignature":"QUJD"},{"functionCall":{"name":"Read","id":"c_1","args":{"file_path":"/a b","n":[1,2.5,{"x":null}]}},"thoughtSignature":"AAEC"},{"functionCall":{"name":"Glob","args":null}}]},"index":0,"safetyRatings":[{"category":"X","probability":"NEGLIGIBLE"}]}],"modelVersion":"gemini-3-pro-preview","responseId":"abc"}`,
			`{"candidates":[{"content":{"role":"model","parts":[{"toolCall":{"id":"t"},"thoughtSignature":"AAEC"},{"toolResponse":{}},{"functionCall":{"name":"Grep"}}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":120,"candidatesTokenCount":30,"thoughtsTokenCount":12,"totalTokenCount":162,"promptTokensDetails":[{"modality":"TEXT","tokenCount":120}]},"responseId":"abc"}`),
		ev(`{"candidates":[{"content":{"parts":[{"text":"a"}]},"index":1},{"content":{"parts":[{"text":"b","thought":true}]}}],"responseId":"n2"}`,
			`{"candidates":[{"content":{"parts":[{"inlineData":{"mimeType":"image/png","data":"AA=="}},{"text":"c"}]},"index":0}]}`,
			`{"candidates":[{"finishReason":"STOP","index":0},{"finishReason":"MAX_TOKENS","index":1}]}`),
		ev(`{"promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{"promptTokenCount":3}}`),
		ev(`{"candidates":[{"content":{"parts":[{"text":"x"}]},"finishReason":"MALFORMED_FUNCTION_CALL"}]}`),
		ev(`{"candidates":[{"content":{"parts":[{"text":"x"},{"functionCall":{"name":"","args":{}}}]}}]}`),
		ev(`{"candidates":[{"content":{"parts":[{"text":"x"}]}}]}`, `{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED"}}`),
		"data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"x\"}]}}]}\n\n[{\"error\":{\"code\":500}}]\n",
		ev(`{"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":` + jsontest.Deep(300) + `}}]}}]}`),
		ev(`{"candidates":[{"content":{"parts":[{"text":"x"}]},"finishReason":"STOP"}],"responseId":"has space"}`),
	}
}

func chatDiffRequests(t testing.TB) []*ChatRequest {
	var rs []*ChatRequest
	for _, in := range []string{
		`{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"x"}]}`,
		`{"model":"gemini-2.5-flash","stream":true,"n":2,"messages":[{"role":"user","content":"x"}],"web_search_options":{}}`,
	} {
		for _, o := range []Options{{}, {ReasoningContent: true}} {
			r, e := ParseChat([]byte(in), models.Default(), o)
			if e != nil {
				t.Fatal(e)
			}
			rs = append(rs, r)
		}
	}
	return rs
}

func chatStreamRun(r *ChatRequest, up []byte, cut int, slow bool) []byte {
	s := r.NewStream(1)
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
		f.Add([]byte(up), len(up)/3)
	}
	rs := chatDiffRequests(f)
	f.Fuzz(func(t *testing.T, up []byte, cut int) {
		if cut < 0 {
			cut = -cut
		}
		cut %= len(up) + 1
		for _, r := range rs {
			sameBytes(t, "chat stream", up, chatStreamRun(r, up, cut, false), chatStreamRun(r, up, cut, true))
		}
	})
}
