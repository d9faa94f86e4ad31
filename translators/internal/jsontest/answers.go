package jsontest

import (
	"regexp"
	"strings"
)

// The differential tests of the answer translators' fast path share these
// Gemini answers: what the scan reads (text with escapes, thoughts,
// signatures, calls, several candidates, grounding, usage) and what it
// leaves to gjson (blocked prompts, errors, inline data, malformed calls,
// depth).

// SSE frames each answer as one `data:` event.
func SSE(events ...string) string {
	var b strings.Builder
	for _, e := range events {
		b.WriteString("data: " + e + "\r\n\r\n")
	}
	return b.String()
}

// DiffAnswers are whole GenerateContentResponses.
var DiffAnswers = []string{
	`{"candidates":[{"content":{"role":"model","parts":[{"text":"The gateway reads the request once."}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":412,"candidatesTokenCount":180,"totalTokenCount":592},"modelVersion":"gemini-2.5-pro","responseId":"bench-response"}`,
	`{"candidates":[{"content":{"role":"model","parts":[{"text":"Let me \"think\"\n","thought":true,"thoughtSignature":"AAEC"},{"text":"caf\u00e9 \ud83d\ude00 \u2028<>&","thoughtSignature":"QUJD"},{"text":"","thoughtSignature":"QUJD"},{"functionCall":{"name":"Read","id":"c_1","args":{"file_path":"/a b","n":[1,2.5,{"x":null}]}},"thoughtSignature":"AAEC"},{"functionCall":{"name":"Glob","args":null}},{"functionCall":{"name":"Grep"}}]},"finishReason":"STOP","index":0,"safetyRatings":[{"category":"X","probability":"NEGLIGIBLE"}]}],"usageMetadata":{"promptTokenCount":120,"cachedContentTokenCount":20,"candidatesTokenCount":30,"thoughtsTokenCount":12,"totalTokenCount":162,"promptTokensDetails":[{"modality":"TEXT","tokenCount":120}]},"responseId":"abc"}`,
	`{"candidates":[{"content":{"parts":[{"toolCall":{"id":"t"},"thoughtSignature":"AAEC"},{"toolResponse":{}},{"functionCall":{"name":"Grep","args":{}}}]},"finishReason":"STOP"}]}`,
	`{"candidates":[{"content":{"parts":[{"text":"a"}]},"index":1,"finishReason":"STOP"},{"content":{"parts":[{"text":"b","thought":true},{"text":"c"}]},"finishReason":"MAX_TOKENS"}],"responseId":"n2"}`,
	`{"candidates":[{"content":{"parts":[{"text":"Der Zürichsee ist etwa 40 km lang. "},{"text":"Sein Wasser 🌊 ist sehr sauber."}]},"finishReason":"STOP","groundingMetadata":{"webSearchQueries":["Zürichsee"],"groundingChunks":[{"web":{"uri":"https://a.example/x","title":"a.example"}}],"groundingSupports":[{"segment":{"endIndex":35,"text":"Der Zürichsee ist etwa 40 km lang."},"groundingChunkIndices":[0]}]},"urlContextMetadata":{"urlMetadata":[{"retrievedUrl":"https://b.example","urlRetrievalStatus":"URL_RETRIEVAL_STATUS_SUCCESS"}]}}]}`,
	`{"candidates":[{"content":{"parts":[{"text":"x"}]},"finishReason":"SAFETY","logprobsResult":{"chosenCandidates":[{"token":"x","logProbability":-0.5}],"topCandidates":[{"candidates":[{"token":"x","logProbability":-0.5}]}]}}]}`,
	`{"promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{"promptTokenCount":3}}`,
	`{"candidates":[]}`,
	`{}`,
	`{"candidates":[{"content":{"parts":[{"text":"x"}]},"finishReason":"MALFORMED_FUNCTION_CALL"}]}`,
	`{"candidates":[{"content":{"parts":[{"text":"x"},{"functionCall":{"name":"","args":{}}}]},"finishReason":"STOP"}]}`,
	`{"candidates":[{"content":{"parts":[{"inlineData":{"mimeType":"image/png","data":"AA=="}},{"text":"c"}]},"finishReason":"STOP"}]}`,
	`{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED"}}`,
	`[{"error":{"code":500,"message":"x"}}]`,
	`{"candidates":[{"content":{"parts":[{"text":"x"}]},"finishReason":"STOP"}],"responseId":"has space"}`,
	`{"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":` + Deep(300) + `}}]}}]}`,
}

// DiffStreams are streamGenerateContent bodies.
var DiffStreams = []string{
	SSE(`{"candidates":[{"content":{"role":"model","parts":[{"text":"Let me think","thought":true}]},"index":0}],"usageMetadata":{"promptTokenCount":120,"cachedContentTokenCount":20,"totalTokenCount":120},"responseId":"abc"}`,
		`{"candidates":[{"content":{"role":"model","parts":[{"text":" about \u4e16\u754c\n","thought":true,"thoughtSignature":"AAEC"}]},"index":0}],"responseId":"abc"}`,
		`{"candidates":[{"content":{"role":"model","parts":[{"text":"Checking \"x\" ","thoughtSignature":"Q3R+/w=="},{"text":"the weather."}]},"index":0}],"responseId":"abc"}`,
		`{"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"get_weather","id":"w1","args":{"city":"Paris"}},"thoughtSignature":"AAEC"},{"functionCall":{"name":"get_time","args":{}}}]},"index":0}],"responseId":"abc"}`,
		`{"candidates":[{"content":{"role":"model","parts":[]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":120,"cachedContentTokenCount":20,"candidatesTokenCount":30,"thoughtsTokenCount":50,"totalTokenCount":200},"responseId":"abc"}`),
	SSE(`{"candidates":[{"content":{"parts":[{"text":"","thoughtSignature":"QUJD"}]},"index":0}]}`,
		`{"candidates":[{"content":{"parts":[{"toolCall":{"id":"t"},"thoughtSignature":"AAEC"},{"toolResponse":{}}]},"index":0}]}`,
		`{"candidates":[{"content":{"parts":[{"functionCall":{"name":"Glob","args":null}},{"functionCall":{"name":"Grep"}}]},"finishReason":"STOP","index":0}]}`),
	SSE(`{"candidates":[{"content":{"parts":[{"text":"a"}]},"index":1},{"content":{"parts":[{"text":"b","thought":true}]}}],"responseId":"n2"}`,
		`{"candidates":[{"content":{"parts":[{"inlineData":{"mimeType":"image/png","data":"AA=="}},{"text":"c"}]},"index":0}]}`,
		`{"candidates":[{"finishReason":"STOP","index":0},{"finishReason":"MAX_TOKENS","index":1}]}`),
	SSE(`{"candidates":[{"content":{"parts":[{"text":"Der Zürichsee ist etwa 40 km lang. "}]},"index":0}],"responseId":"r"}`,
		`{"candidates":[{"content":{"parts":[{"text":"Sein Wasser 🌊 ist sehr sauber."}]},"finishReason":"STOP","index":0,"groundingMetadata":{"webSearchQueries":["Zürichsee"],"groundingChunks":[{"web":{"uri":"https://a.example/x","title":"a.example"}}],"groundingSupports":[{"segment":{"endIndex":35,"text":"Der Zürichsee ist etwa 40 km lang."},"groundingChunkIndices":[0]}]},"urlContextMetadata":{"urlMetadata":[{"retrievedUrl":"https://b.example","urlRetrievalStatus":"URL_RETRIEVAL_STATUS_ERROR"}]}}],"responseId":"r"}`),
	SSE(`{"promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{"promptTokenCount":3}}`),
	SSE(`{"candidates":[{"content":{"parts":[{"text":"x"}]},"finishReason":"MALFORMED_FUNCTION_CALL"}]}`),
	SSE(`{"candidates":[{"content":{"parts":[{"text":"x"},{"functionCall":{"name":"","args":{}}}]}}]}`),
	SSE(`{"candidates":[{"content":{"parts":[{"text":"x"}]}}]}`, `{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED"}}`),
	"data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"x\"}]}}]}\n\n[{\"error\":{\"code\":500}}]\n",
	SSE(`{"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":` + Deep(300) + `}}]}}]}`),
	SSE(`{"candidates":[{"content":{"parts":[{"text":"x"}]},"finishReason":"STOP"}],"responseId":"has space"}`),
	SSE(`{"candidates":[{"content":{"parts":[{"text":"no end"}]}}]}`),
	// Usage the scan cannot count: a stream's events stay on the fast
	// path, where it is read, the last one only, as the gjson path reads it.
	SSE(`{"candidates":[{"content":{"parts":[{"text":"a"}]},"index":0}],"usageMetadata":{"promptTokenCount":1.5e1,"totalTokenCount":"8","promptTokensDetails":[{"modality":"TEXT","tokenCount":1}]}}`,
		`{"candidates":[{"content":{"parts":[{"text":"b"}]},"finishReason":"STOP","index":0}],"usageMetadata":{"prompt\u0054okenCount":7,"candidatesTokenCount":-2,"totalTokenCount":12345678901234567}}`),
}

var randomID = regexp.MustCompile(`(call_|chatcmpl-|resp_|msg_|rs_|fc_|ctc_|ws_|toolu_|srvtoolu_)[0-9A-Za-z]{24}`)

// NormalizeIDs replaces the random part of the ids the gateway mints.
func NormalizeIDs(b []byte) []byte { return randomID.ReplaceAll(b, []byte("${1}X")) }
