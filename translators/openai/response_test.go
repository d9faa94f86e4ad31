package openai

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/internal/envtest"
	"github.com/gemini-code-api/gemini-code-api/translators/internal/jsontest"
)

func mustParse(t testing.TB, in string) *ChatRequest { return envtest.Parse(t, ParseChat, in) }

func TestResponse(t *testing.T) {
	req := `{"model":"gpt-4o","messages":[{"role":"user","content":"x"}]}`
	tests := []struct{ name, gemini, want string }{
		{
			name:   "text with thoughts and usage",
			gemini: `{"candidates":[{"content":{"role":"model","parts":[{"text":"think","thought":true},{"text":"Bonjour"},{"text":" le monde","thoughtSignature":"c2ln"}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":9,"candidatesTokenCount":4,"thoughtsTokenCount":3,"cachedContentTokenCount":2,"totalTokenCount":16},"modelVersion":"gemini-2.5-pro","responseId":"abc"}`,
			want:   `{"id":"chatcmpl-abc","object":"chat.completion","created":1700000000,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"Bonjour le monde","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":7,"total_tokens":16,"prompt_tokens_details":{"cached_tokens":2},"completion_tokens_details":{"reasoning_tokens":3}}}`,
		},
		{
			name:   "function calls finish with tool_calls",
			gemini: `{"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{"city":"Paris"}},"thoughtSignature":"AAEC"},{"functionCall":{"name":"get_time","args":{}}}]},"finishReason":"STOP"}],"responseId":"r1"}`,
			want:   `{"id":"chatcmpl-r1","object":"chat.completion","created":1700000000,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":null,"tool_calls":[{"id":"call_X__ts_AAEC","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"},"extra_content":{"google":{"thought_signature":"AAEC"}}},{"id":"call_X","type":"function","function":{"name":"get_time","arguments":"{}"}}]},"logprobs":null,"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}`,
		},
		{
			name:   "max tokens and safety on two candidates",
			gemini: `{"candidates":[{"content":{"parts":[{"text":"a"}]},"finishReason":"MAX_TOKENS","index":0},{"finishReason":"SAFETY","index":1}],"responseId":"r2"}`,
			want:   `{"id":"chatcmpl-r2","object":"chat.completion","created":1700000000,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"a","refusal":null},"logprobs":null,"finish_reason":"length"},{"index":1,"message":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":"content_filter"}],"usage":{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}`,
		},
		{
			name:   "blocked prompt",
			gemini: `{"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"},"usageMetadata":{"promptTokenCount":13,"totalTokenCount":13},"responseId":"r3"}`,
			want:   `{"id":"chatcmpl-r3","object":"chat.completion","created":1700000000,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":"Gemini blocked the prompt: PROHIBITED_CONTENT"},"logprobs":null,"finish_reason":"content_filter"}],"usage":{"prompt_tokens":13,"completion_tokens":0,"total_tokens":13,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}`,
		},
		{
			name:   "logprobs",
			gemini: `{"candidates":[{"content":{"parts":[{"text":"Hi"}]},"finishReason":"STOP","logprobsResult":{"chosenCandidates":[{"token":"Hi","logProbability":-0.5}],"topCandidates":[{"candidates":[{"token":"Hi","logProbability":-0.5},{"token":"Yo","logProbability":-1.25}]}]}}],"responseId":"r4"}`,
			want:   `{"id":"chatcmpl-r4","object":"chat.completion","created":1700000000,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"Hi","refusal":null},"logprobs":{"content":[{"token":"Hi","logprob":-0.5,"bytes":[72,105],"top_logprobs":[{"token":"Hi","logprob":-0.5,"bytes":[72,105]},{"token":"Yo","logprob":-1.25,"bytes":[89,111]}]}],"refusal":null},"finish_reason":"stop"}],"usage":{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, e := mustParse(t, req).Response([]byte(tt.gemini))
			if e != nil {
				t.Fatal(e)
			}
			jsontest.Equal(t, jsontest.NormalizeIDs(out), tt.want)
		})
	}
}

func TestResponseReasoningContent(t *testing.T) {
	r, _ := ParseChat([]byte(`{"model":"gpt-4o","messages":[{"role":"user","content":"x"}]}`), envtest.Env(nil, envtest.ReasoningContent))
	if !strings.Contains(string(r.Body), `"thinkingConfig":{"includeThoughts":true}`) {
		t.Fatalf("includeThoughts not requested: %s", r.Body)
	}
	out, _ := r.Response([]byte(`{"candidates":[{"content":{"parts":[{"text":"hmm","thought":true},{"text":"ok"}]},"finishReason":"STOP"}]}`))
	if !strings.Contains(string(out), `"content":"ok","refusal":null,"reasoning_content":"hmm"`) {
		t.Fatalf("got %s", out)
	}
}

// reasoning_content is a deployment option: on models without thinking it
// must not add a thinkingConfig, which Gemini rejects with a 400.
func TestReasoningContentSkipsNonThinkingModels(t *testing.T) {
	for model, want := range map[string]bool{
		"gemini-2.0-flash": false, "gemini-2.0-flash-lite": false, "gemini-1.5-pro": false, "gemma-3-27b-it": false,
		"gemini-2.5-flash": true, "gemini-3-pro-preview": true, "gemini-flash-latest": true,
	} {
		r, e := ParseChat([]byte(`{"model":"`+model+`","messages":[{"role":"user","content":"x"}]}`), envtest.Env(nil, envtest.ReasoningContent))
		if e != nil {
			t.Fatal(e)
		}
		if got := strings.Contains(string(r.Body), `"includeThoughts":true`); got != want {
			t.Errorf("%s: includeThoughts sent = %v, want %v: %s", model, got, want, r.Body)
		}
	}
}

func TestResponseErrors(t *testing.T) {
	r := mustParse(t, `{"model":"gpt-4o","messages":[{"role":"user","content":"x"}]}`)
	for name, tc := range map[string]struct {
		body   string
		kind   apierror.Kind
		status int
	}{
		"malformed function call": {`{"candidates":[{"content":{},"finishReason":"MALFORMED_FUNCTION_CALL"}]}`, apierror.BadGateway, 502},
		"not json":                {`<html>`, apierror.BadGateway, 502},
		"error object in a 200":   {`{"error":{"code":503,"message":"overloaded","status":"UNAVAILABLE"}}`, apierror.Overloaded, 503},
	} {
		t.Run(name, func(t *testing.T) {
			_, e := r.Response([]byte(tc.body))
			if e == nil || e.Kind != tc.kind || e.Status != tc.status {
				t.Fatalf("got %+v", e)
			}
		})
	}
}

func TestErrorBodyShapes(t *testing.T) {
	tests := []struct {
		e    *apierror.Error
		want string
	}{
		{apierror.FromGemini(400, []byte(`{"error":{"code":400,"message":"API key not valid.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID"}]}}`)),
			`{"error":{"message":"API key not valid.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`},
		{apierror.FromGemini(429, []byte(`{"error":{"code":429,"message":"slow down","status":"RESOURCE_EXHAUSTED"}}`)),
			`{"error":{"message":"slow down","type":"rate_limit_error","param":null,"code":"rate_limit_exceeded"}}`},
		{apierror.FromGemini(404, []byte(`{"error":{"code":404,"message":"models/x is not found","status":"NOT_FOUND"}}`)),
			`{"error":{"message":"models/x is not found","type":"invalid_request_error","param":null,"code":"model_not_found"}}`},
		{apierror.Invalid("temperature", "bad"), `{"error":{"message":"bad","type":"invalid_request_error","param":"temperature","code":null}}`},
	}
	for _, tt := range tests {
		jsontest.Equal(t, ErrorBody(tt.e), tt.want)
	}
}

// streamEvents runs a stream through the translator with the upstream bytes
// split at the given points and returns the client's data payloads.
func streamEvents(t testing.TB, r *ChatRequest, upstream string, cuts ...int) []string {
	t.Helper()
	s := r.NewStream()
	var out []byte
	prev := 0
	for _, c := range append(cuts, len(upstream)) {
		out = s.Write(out, []byte(upstream[prev:c]))
		prev = c
	}
	out = s.Close(out)
	var events []string
	for _, block := range strings.Split(string(out), "\n\n") {
		if block == "" {
			continue
		}
		if !strings.HasPrefix(block, "data: ") || strings.Contains(block, "\n") {
			t.Fatalf("bad SSE framing: %q", block)
		}
		events = append(events, string(jsontest.NormalizeIDs([]byte(block[len("data: "):]))))
	}
	return events
}

const geminiStream = "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"Bon\"}]},\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":9,\"totalTokenCount\":9},\"responseId\":\"abc\"}\r\n\r\n" +
	"data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"jour 世界\"},{\"functionCall\":{\"name\":\"f\",\"args\":{\"a\":1}},\"thoughtSignature\":\"AAEC\"}]},\"index\":0}],\"responseId\":\"abc\"}\r\n\r\n" +
	"data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"functionCall\":{\"name\":\"g\",\"args\":{}}}]},\"finishReason\":\"STOP\",\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":9,\"candidatesTokenCount\":4,\"thoughtsTokenCount\":2,\"totalTokenCount\":15},\"responseId\":\"abc\"}\r\n\r\n"

func TestStream(t *testing.T) {
	r := mustParse(t, `{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"x"}]}`)
	p := `{"id":"chatcmpl-abc","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o","choices":[`
	want := []string{
		p + `{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}],"usage":null}`,
		p + `{"index":0,"delta":{"content":"Bon"},"logprobs":null,"finish_reason":null}],"usage":null}`,
		p + `{"index":0,"delta":{"content":"jour 世界"},"logprobs":null,"finish_reason":null}],"usage":null}`,
		p + `{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_X__ts_AAEC","type":"function","function":{"name":"f","arguments":"{\"a\":1}"},"extra_content":{"google":{"thought_signature":"AAEC"}}}]},"logprobs":null,"finish_reason":null}],"usage":null}`,
		p + `{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_X","type":"function","function":{"name":"g","arguments":"{}"}}]},"logprobs":null,"finish_reason":null}],"usage":null}`,
		p + `{"index":0,"delta":{},"logprobs":null,"finish_reason":"tool_calls"}],"usage":null}`,
		p + `],"usage":{"prompt_tokens":9,"completion_tokens":6,"total_tokens":15,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":2}}}`,
		`[DONE]`,
	}
	jsontest.SameEvents(t, "whole", streamEvents(t, r, geminiStream), want)
	// Every split point, including inside "\r\n" and inside 世界.
	for c := 0; c <= len(geminiStream); c++ {
		jsontest.SameEvents(t, "split", streamEvents(t, r, geminiStream, c), want)
	}
}

func TestStreamEndings(t *testing.T) {
	plain := mustParse(t, `{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"x"}]}`)
	tests := []struct {
		name, upstream string
		last           []string // expected final events (suffix)
	}{
		{"no include_usage: no usage chunk, no usage keys",
			"data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]},\"finishReason\":\"MAX_TOKENS\"}],\"responseId\":\"i\"}\r\n\r\n",
			[]string{`{"id":"chatcmpl-i","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"length"}]}`, `[DONE]`}},
		{"cut before finishReason is an error",
			"data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]}}],\"responseId\":\"i\"}\r\n\r\n",
			[]string{`{"error":{"message":"Gemini's stream ended before the answer was finished (no finishReason); the answer is incomplete. Retry the request.","type":"server_error","param":null,"code":null}}`}},
		{"empty stream is an error", "",
			[]string{`{"error":{"message":"Gemini's stream ended before the answer was finished (no finishReason); the answer is incomplete. Retry the request.","type":"server_error","param":null,"code":null}}`}},
		{"mid-stream error object",
			"data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]}}],\"responseId\":\"i\"}\r\n\r\n{\"error\":{\"code\":503,\"message\":\"overloaded\",\"status\":\"UNAVAILABLE\"}}\r\n",
			[]string{`{"error":{"message":"overloaded","type":"server_error","param":null,"code":"UNAVAILABLE"}}`}},
		{"blocked prompt",
			"data: {\"promptFeedback\":{\"blockReason\":\"PROHIBITED_CONTENT\"},\"usageMetadata\":{\"promptTokenCount\":13,\"totalTokenCount\":13},\"responseId\":\"i\"}\r\n\r\n",
			[]string{`{"id":"chatcmpl-i","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":null,"refusal":"Gemini blocked the prompt: PROHIBITED_CONTENT"},"logprobs":null,"finish_reason":null}]}`,
				`{"id":"chatcmpl-i","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"content_filter"}]}`, `[DONE]`}},
		{"malformed function call",
			"data: {\"candidates\":[{\"content\":{},\"finishReason\":\"MALFORMED_FUNCTION_CALL\"}],\"responseId\":\"i\"}\r\n\r\n",
			[]string{`{"error":{"message":"Gemini produced an invalid tool call (MALFORMED_FUNCTION_CALL); the answer was discarded. Retrying the request usually succeeds.","type":"server_error","param":null,"code":"MALFORMED_FUNCTION_CALL"}}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := streamEvents(t, plain, tt.upstream)
			if len(got) < len(tt.last) {
				t.Fatalf("got %q", got)
			}
			tail := got[len(got)-len(tt.last):]
			for i := range tt.last {
				if tail[i] != tt.last[i] {
					t.Fatalf("event %d\n got  %s\n want %s", i, tail[i], tt.last[i])
				}
			}
			for _, ev := range got {
				if ev != "[DONE]" && !json.Valid([]byte(ev)) {
					t.Fatalf("invalid JSON event %s", ev)
				}
			}
		})
	}
}

func TestStreamSeveralChoices(t *testing.T) {
	r := mustParse(t, `{"model":"gemini-2.5-flash","stream":true,"n":2,"messages":[{"role":"user","content":"x"}]}`)
	up := "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]},\"index\":0},{\"content\":{\"parts\":[{\"text\":\"b\"}]},\"index\":1}],\"responseId\":\"i\"}\r\n\r\n" +
		"data: {\"candidates\":[{\"finishReason\":\"STOP\",\"index\":0},{\"finishReason\":\"STOP\",\"index\":1}],\"responseId\":\"i\"}\r\n\r\n"
	got := strings.Join(streamEvents(t, r, up), "\n")
	for _, want := range []string{`{"index":1,"delta":{"content":"b"}`, `{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}`, `{"index":1,"delta":{},"logprobs":null,"finish_reason":"stop"}`} {
		if !strings.Contains(got, want) {
			t.Fatalf("missing %s in\n%s", want, got)
		}
	}
}

func FuzzStream(f *testing.F) {
	f.Add([]byte(geminiStream), 10)
	f.Add([]byte("data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"},{\"functionCall\":{\"name\":\"\"}}]},\"finishReason\":\"STOP\"}]}\r\n\r\n"), 30)
	f.Add([]byte("data: {\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"name\":\"f\",\"args\":"+jsontest.Deep(300)+"}}]}}]}\n\n"), 7)
	f.Add([]byte("data: {\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":\"f\"},{\"functionCall\":{\"name\":\"g\",\"args\":[]}}]},\"index\":1}]}\n\n"), 0)
	r, _ := ParseChat([]byte(`{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"x"}]}`), envtest.Env(nil, envtest.ReasoningContent))
	f.Fuzz(func(t *testing.T, up []byte, cut int) {
		s := r.NewStream()
		out := jsontest.WriteSplit(s, up, cut)
		for _, block := range strings.Split(string(out), "\n\n") {
			if block == "" || block == "data: [DONE]" {
				continue
			}
			if !strings.HasPrefix(block, "data: ") || !json.Valid([]byte(block[6:])) {
				t.Fatalf("bad event %q", block)
			}
		}
	})
}
