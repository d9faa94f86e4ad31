package fakegemini

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func genKey(t *testing.T, s *Server, key, b string) (int, string) {
	t.Helper()
	code, out, _ := call(t, s, "POST", "/v1beta/models/gemini-2.5-flash:generateContent", map[string]string{"x-goog-api-key": key}, b)
	return code, out
}

// TestPerKeyScripts: key queue, any-key queue, key default, global default.
func TestPerKeyScripts(t *testing.T) {
	s := newServer(t)
	s.Enqueue("a", Reply{Text: "for a"})
	s.Enqueue("", Reply{Text: "for anyone"})
	s.SetDefault("b", Reply{Text: "b default"})
	s.SetDefault("", Reply{Text: "global default"})
	ok := body(contents(userHi))
	for i, tc := range []struct{ key, want string }{
		{"a", "for a"},
		{"a", "for anyone"},
		{"b", "b default"},
		{"c", "global default"},
		{"a", "global default"},
	} {
		code, b := genKey(t, s, tc.key, ok)
		if got := parseResponse(t, b).text(); code != 200 || got != tc.want {
			t.Errorf("call %d key %s: %d %q, want %q", i, tc.key, code, got, tc.want)
		}
	}
}

// TestValidationDoesNotConsume: a rejected request leaves the script alone.
func TestValidationDoesNotConsume(t *testing.T) {
	s := newServer(t)
	s.Enqueue("", Reply{Text: "scripted"})
	if code, _ := gen(t, s, "gemini-2.5-flash", "generateContent", `{}`); code != 400 {
		t.Fatal(code)
	}
	if s.Pending("", "") != 1 {
		t.Fatal("reply consumed by an invalid request")
	}
	if _, b := gen(t, s, "gemini-2.5-flash", "generateContent", body(contents(userHi))); parseResponse(t, b).text() != "scripted" {
		t.Fatal(b)
	}
}

func TestDefaultEcho(t *testing.T) {
	s := newServer(t)
	_, b := gen(t, s, "gemini-2.5-flash", "generateContent", body(contents(userHi)))
	r := parseResponse(t, b)
	if r.text() != "echo: What is the weather in Paris?" || r.Candidates[0].FinishReason != "STOP" || r.ModelVersion != "gemini-2.5-flash" {
		t.Fatal(b)
	}
	_, b = gen(t, s, "gemini-2.5-flash", "generateContent", body(contents(userHi, callTwo, respTwo)))
	if got := parseResponse(t, b).text(); got != "echo: function results for get_weather, get_time" {
		t.Fatal(got)
	}
	// usage follows the token estimate and countTokens agrees.
	_, cb := gen(t, s, "gemini-2.5-flash", "countTokens", body(contents(userHi)))
	var ct struct{ TotalTokens int }
	_ = json.Unmarshal([]byte(cb), &ct)
	_, b = gen(t, s, "gemini-2.5-flash", "generateContent", body(contents(userHi)))
	if u := parseResponse(t, b).UsageMetadata; u.PromptTokenCount != ct.TotalTokens || u.TotalTokenCount != u.PromptTokenCount+u.CandidatesTokenCount {
		t.Fatalf("usage %+v vs countTokens %d", u, ct.TotalTokens)
	}
}

// Test429RetryInfo: RESOURCE_EXHAUSTED with a RetryInfo detail.
func Test429RetryInfo(t *testing.T) {
	s := newServer(t)
	s.Enqueue("", Reply{Status: 429, RetryDelay: "23s", Header: http.Header{"X-Test": {"yes"}}})
	code, b, h := call(t, s, "POST", "/v1beta/models/gemini-2.5-flash:generateContent", keyHeader, body(contents(userHi)))
	e := parseError(t, b)
	if code != 429 || e.Error.Status != "RESOURCE_EXHAUSTED" || !strings.Contains(e.Error.Message, "Please retry in 23s.") || h.Get("X-Test") != "yes" {
		t.Fatalf("%d %s", code, b)
	}
	var retry string
	for _, d := range e.Error.Details {
		var v struct {
			Type       string `json:"@type"`
			RetryDelay string `json:"retryDelay"`
		}
		_ = json.Unmarshal(d, &v)
		if v.Type == "type.googleapis.com/google.rpc.RetryInfo" {
			retry = v.RetryDelay
		}
	}
	if retry != "23s" {
		t.Fatalf("RetryInfo missing: %s", b)
	}
	if code, _ := gen(t, s, "gemini-2.5-flash", "generateContent", body(contents(userHi))); code != 200 {
		t.Fatal("the 429 should be consumed")
	}
}

func TestScriptedBodiesAndShapes(t *testing.T) {
	s := newServer(t)
	raw := ErrorBody(500, "INTERNAL", "boom")
	s.Enqueue("",
		Reply{Status: 500, Body: raw},
		Reply{Body: `{"candidates":[{"content":{"parts":[{"text":"raw"}],"role":"model"},"finishReason":"STOP","index":0}]}`},
		Reply{BlockReason: "PROHIBITED_CONTENT"},
		Reply{FinishReason: "SAFETY"},
		Reply{Text: "cut", FinishReason: "MAX_TOKENS", Usage: &Usage{Prompt: 10, Candidates: 5, Thoughts: 100}},
		Reply{Parts: []json.RawMessage{json.RawMessage(`{"text":"pondering","thought":true}`), json.RawMessage(`{"text":"answer"}`)}},
	)
	ok := body(contents(userHi))
	if code, b := gen(t, s, "gemini-2.5-flash", "generateContent", ok); code != 500 || b != raw {
		t.Fatalf("raw error: %d %s", code, b)
	}
	if _, b := gen(t, s, "gemini-2.5-flash", "generateContent", ok); parseResponse(t, b).text() != "raw" {
		t.Fatal(b)
	}
	if _, b := gen(t, s, "gemini-2.5-flash", "generateContent", ok); parseResponse(t, b).PromptFeedback == nil || len(parseResponse(t, b).Candidates) != 0 {
		t.Fatalf("block: %s", b)
	}
	if _, b := gen(t, s, "gemini-2.5-flash", "generateContent", ok); parseResponse(t, b).Candidates[0].FinishReason != "SAFETY" || parseResponse(t, b).Candidates[0].Content != nil {
		t.Fatalf("safety: %s", b)
	}
	_, b := gen(t, s, "gemini-2.5-flash", "generateContent", ok)
	r := parseResponse(t, b)
	if r.Candidates[0].FinishReason != "MAX_TOKENS" || r.UsageMetadata.TotalTokenCount != 115 || r.UsageMetadata.ThoughtsTokenCount != 100 {
		t.Fatalf("usage: %s", b)
	}
	_, b = gen(t, s, "gemini-2.5-flash", "generateContent", ok)
	if r := parseResponse(t, b); len(r.parts()) != 2 || r.UsageMetadata.ThoughtsTokenCount != EstimateTokens("pondering") {
		t.Fatalf("thought parts: %s", b)
	}
}

func TestCandidateCount(t *testing.T) {
	s := newServer(t)
	_, b := gen(t, s, "gemini-2.5-flash", "generateContent", body(contents(userHi), `"generationConfig":{"candidateCount":3}`))
	if r := parseResponse(t, b); len(r.Candidates) != 3 || r.Candidates[2].Index != 2 {
		t.Fatal(b)
	}
}

func TestDelayAndRequestLog(t *testing.T) {
	s := newServer(t)
	s.Enqueue("", Reply{Delay: 60 * time.Millisecond})
	start := time.Now()
	call(t, s, "POST", "/v1beta/models/gemini-2.5-flash:generateContent?key=q-key", nil, body(contents(userHi)))
	if time.Since(start) < 60*time.Millisecond {
		t.Fatal("Delay not honoured")
	}
	call(t, s, "GET", "/v1/models/gemini-2.5-pro", keyHeader, "")
	reqs := s.Requests()
	if len(reqs) != 2 {
		t.Fatalf("%d requests", len(reqs))
	}
	r0, r1 := reqs[0], reqs[1]
	if r0.Method != "POST" || r0.Path != "/v1beta/models/gemini-2.5-flash:generateContent" || r0.RawQuery != "key=q-key" ||
		r0.Key != "q-key" || r0.Action != "generateContent" || r0.Model != "gemini-2.5-flash" || r0.Status != 200 ||
		!strings.Contains(string(r0.Body), "Paris") || r0.Header.Get("Content-Type") != "application/json" {
		t.Errorf("r0 %+v", r0)
	}
	if r1.Action != "get" || r1.Key != "test-key" || r1.Status != 200 {
		t.Errorf("r1 %+v", r1)
	}
	s.Reset()
	if len(s.Requests()) != 0 || len(s.IssuedSignatures()) != 0 {
		t.Fatal("Reset")
	}
}

func TestCloseAbortsDelays(t *testing.T) {
	s := New()
	s.Enqueue("", Reply{Delay: time.Hour})
	done := make(chan struct{})
	go func() {
		defer close(done)
		req, _ := http.NewRequest("POST", s.URL()+"/v1beta/models/gemini-2.5-flash:generateContent", strings.NewReader(body(contents(userHi))))
		req.Header.Set("x-goog-api-key", "k")
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	for len(s.Requests()) == 0 {
		time.Sleep(time.Millisecond)
	}
	s.Close()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not abort the delayed request")
	}
}
