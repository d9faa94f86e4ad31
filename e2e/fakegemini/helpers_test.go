package fakegemini

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/e2e/internal/rawhttp"
)

func newServer(t *testing.T) *Server {
	t.Helper()
	s := New()
	t.Cleanup(s.Close)
	return s
}

// call sends a request and returns status, body and headers; a body goes
// as JSON.
func call(t *testing.T, s *Server, method, path string, header map[string]string, body string) (int, string, http.Header) {
	t.Helper()
	var pairs []string
	for k, v := range header {
		pairs = append(pairs, k, v)
	}
	if body != "" {
		pairs = append(pairs, "Content-Type", "application/json")
	}
	resp, b := rawhttp.Send(t, t.Context(), method, s.URL()+path, body, pairs...)
	return resp.StatusCode, string(b), resp.Header
}

var keyHeader = map[string]string{"x-goog-api-key": "test-key"}

// gen posts to models/{model}:{action} with the test key.
func gen(t *testing.T, s *Server, model, action, body string) (int, string) {
	t.Helper()
	code, b, _ := call(t, s, "POST", "/v1beta/models/"+model+":"+action, keyHeader, body)
	return code, b
}

type googleError struct {
	Error struct {
		Code    int               `json:"code"`
		Message string            `json:"message"`
		Status  string            `json:"status"`
		Details []json.RawMessage `json:"details"`
	} `json:"error"`
}

func parseError(t *testing.T, body string) googleError {
	t.Helper()
	return parseAs[googleError](t, body, "a Google error body")
}

// parseAs decodes body as a T, which is what, or fails t.
func parseAs[T any](t *testing.T, body, what string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("not %s: %v\n%s", what, err, body)
	}
	return v
}

type genResponse struct {
	Candidates []struct {
		Content *struct {
			Parts []map[string]json.RawMessage `json:"parts"`
			Role  string                       `json:"role"`
		} `json:"content"`
		FinishReason string `json:"finishReason"`
		Index        int    `json:"index"`
	} `json:"candidates"`
	PromptFeedback *struct {
		BlockReason string `json:"blockReason"`
	} `json:"promptFeedback"`
	UsageMetadata *struct {
		PromptTokenCount     int `json:"promptTokenCount"`
		CandidatesTokenCount int `json:"candidatesTokenCount"`
		ThoughtsTokenCount   int `json:"thoughtsTokenCount"`
		TotalTokenCount      int `json:"totalTokenCount"`
	} `json:"usageMetadata"`
	ModelVersion string `json:"modelVersion"`
	ResponseID   string `json:"responseId"`
}

func parseResponse(t *testing.T, body string) genResponse {
	t.Helper()
	return parseAs[genResponse](t, body, "a GenerateContentResponse")
}

// text concatenates the text parts of candidate 0.
func (r genResponse) text() string {
	var b strings.Builder
	if len(r.Candidates) == 0 || r.Candidates[0].Content == nil {
		return ""
	}
	for _, p := range r.Candidates[0].Content.Parts {
		if raw, ok := p["text"]; ok {
			var s string
			_ = json.Unmarshal(raw, &s)
			b.WriteString(s)
		}
	}
	return b.String()
}

func (r genResponse) parts() []map[string]json.RawMessage {
	if len(r.Candidates) == 0 || r.Candidates[0].Content == nil {
		return nil
	}
	return r.Candidates[0].Content.Parts
}

func str_(raw json.RawMessage) string {
	var s string
	_ = json.Unmarshal(raw, &s)
	return s
}
