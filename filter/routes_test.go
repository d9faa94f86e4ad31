package filter

import (
	"strings"
	"testing"
)

func TestRouteFor(t *testing.T) {
	tests := []struct {
		path   string
		h      hints
		kind   endpointKind
		proto  protocol
		model  string
		action string
	}{
		{"/v1/chat/completions", hints{}, epChatCompletions, protoOpenAI, "", ""},
		{"/chat/completions", hints{}, epChatCompletions, protoOpenAI, "", ""},
		{"/v1/responses", hints{}, epResponses, protoOpenAI, "", ""},
		{"/responses", hints{}, epResponses, protoOpenAI, "", ""},
		{"/v1/responses/resp_1", hints{}, epUnknown, protoOpenAI, "", ""},
		{"/v1/embeddings", hints{}, epEmbeddings, protoOpenAI, "", ""},
		{"/v1/models", hints{}, epModels, protoOpenAI, "", ""},
		{"/v1/models/gpt-4o", hints{}, epModels, protoOpenAI, "gpt-4o", ""},
		{"/v1/models", hints{google: true}, epNative, protoGemini, "", ""},
		{"/v1/models/claude-sonnet-4-5", hints{anthropic: true}, epModels, protoAnthropic, "claude-sonnet-4-5", ""},
		{"/v1/models/gemini-2.5-flash:generateContent", hints{}, epNative, protoGemini, "gemini-2.5-flash", "generateContent"},
		{"/v1beta/models/gemini-2.5-flash:streamGenerateContent", hints{}, epNative, protoGemini, "gemini-2.5-flash", "streamGenerateContent"},
		{"/v1beta/models", hints{}, epNative, protoGemini, "", ""},
		{"/v1beta/tunedModels/x:generateContent", hints{}, epNative, protoGemini, "", ""},
		{"/v1beta/models/veo-3.0-generate-preview/operations/op1", hints{}, epNative, protoGemini, "veo-3.0-generate-preview", ""},
		{"/v1/messages", hints{anthropic: true}, epMessages, protoAnthropic, "", ""},
		{"/v1/messages/count_tokens", hints{}, epCountTokens, protoAnthropic, "", ""},
		{"/v1/messages/batches", hints{}, epUnknown, protoAnthropic, "", ""},
		{"/v1/files", hints{anthropic: true}, epUnknown, protoAnthropic, "", ""},
		{"/v1/files", hints{google: true}, epNative, protoGemini, "", ""},
		{"/v1/nope", hints{}, epUnknown, protoOpenAI, "", ""},
		{"/health", hints{}, epHealth, protoOpenAI, "", ""},
	}
	for _, tt := range tests {
		r := routeFor(tt.path, tt.h)
		if r.kind != tt.kind || r.proto != tt.proto || r.model != tt.model || r.nativeAction != tt.action {
			t.Errorf("routeFor(%q, %+v) = %+v", tt.path, tt.h, r)
		}
	}
}

func TestQueryKeys(t *testing.T) {
	keys, p := queryKeys("/v1beta/models/x:streamGenerateContent?alt=sse&key=a%2Bb&key=c")
	if strings.Join(keys, ",") != "a+b,c" || p != "/v1beta/models/x:streamGenerateContent?alt=sse" {
		t.Fatalf("%v %q", keys, p)
	}
	if keys, p := queryKeys("/v1/models?key=z"); len(keys) != 1 || p != "/v1/models" {
		t.Fatalf("%v %q", keys, p)
	}
}

func TestUsageTap(t *testing.T) {
	sseBody := "data: {\"candidates\":[],\"usageMetadata\":{\"promptTokenCount\":3}}\r\n\r\ndata: {\"usageMetadata\":{\"promptTokenCount\":3,\"candidatesTokenCount\":9,\"thoughtsTokenCount\":1}}\r\n\r\n"
	jsonBody := `{"candidates":[{"content":{"parts":[{"text":"` + strings.Repeat("x", 40000) + `"}]}}],"usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":7,"totalTokenCount":12},"modelVersion":"m"}`
	for _, tc := range []struct {
		name    string
		tap     usageTap
		body    string
		in, out int64
	}{
		{"sse", usageTap{active: true, sse: true}, sseBody, 3, 10},
		{"json with a long answer", usageTap{active: true}, jsonBody, 5, 7},
		{"json array stream", usageTap{active: true}, "[" + jsonBody + "\n,\r\n" + jsonBody + "]", 5, 7},
		{"inactive", usageTap{}, jsonBody, 0, 0},
	} {
		for _, step := range []int{1, 7, 4096, len(tc.body)} {
			tap := tc.tap
			for i := 0; i < len(tc.body); i += step {
				tap.write([]byte(tc.body[i:min(i+step, len(tc.body))]))
			}
			u := tap.usage()
			if u.Input() != tc.in || u.Output() != tc.out {
				t.Fatalf("%s (chunks of %d): %+v", tc.name, step, u)
			}
			if len(tap.tail) > tailWindow {
				t.Fatalf("%s: tail grew to %d", tc.name, len(tap.tail))
			}
		}
	}
}

func TestKeyHashIsShortAndStable(t *testing.T) {
	h := keyHash("AIzaSyExample")
	if len(h) != 12 || h != keyHash("AIzaSyExample") || h == keyHash("AIzaSyExamplf") || strings.Contains(h, "AIza") {
		t.Fatalf("keyHash %q", h)
	}
}
