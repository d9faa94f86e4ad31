package e2e_test

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/e2e/fakegemini"
)

// The @google/genai npm package (e2e/node/genai.mjs) against the gateway's
// native Gemini endpoints (passed through with the client's key).

func TestNodeGenAIGenerateContent(t *testing.T) {
	env := nodeHost(t)
	env.Fake.Enqueue("", fakegemini.Reply{Text: "Hello from Gemini", Usage: &fakegemini.Usage{Prompt: 4, Candidates: 3}})
	var got struct {
		Text         string
		FinishReason string `json:"finish_reason"`
		Usage        struct{ PromptTokenCount, CandidatesTokenCount, TotalTokenCount int }
	}
	nodeSDK(t, env, "genai.mjs", "generate", "POST /v1beta/models/{model}:generateContent", &got)
	if got.Text != "Hello from Gemini" || got.FinishReason != "STOP" || got.Usage.PromptTokenCount != 4 ||
		got.Usage.CandidatesTokenCount != 3 || got.Usage.TotalTokenCount != 7 {
		t.Fatalf("client saw %+v", got)
	}
	oneSayHello(t, env, "gemini-2.5-flash", 100, 0.5)
}

func TestNodeGenAIGenerateContentStream(t *testing.T) {
	env := nodeStreamHost(t, fakegemini.Usage{Prompt: 4, Candidates: 8})
	var got struct {
		Chunks       int
		Text         string
		FinishReason string `json:"finish_reason"`
		Usage        struct{ TotalTokenCount int }
	}
	nodeSDK(t, env, "genai.mjs", "stream", "POST /v1beta/models/{model}:streamGenerateContent", &got)
	if got.Text != countToFive || got.Chunks < 2 || got.FinishReason != "STOP" || got.Usage.TotalTokenCount != 12 {
		t.Fatalf("client saw %+v", got)
	}
	oneStream(t, env, "/v1beta/models/gemini-2.5-flash:streamGenerateContent", "AIzaNODEKEY")
}

func TestNodeGenAICountTokens(t *testing.T) {
	nodeCountTokens(t, "genai.mjs", "POST /v1beta/models/{model}:countTokens", "total_tokens", "gemini-2.5-flash",
		"How many tokens is this sentence?")
}

func TestNodeGenAIEmbedContent(t *testing.T) {
	env := nodeHost(t)
	var got struct{ Embeddings [][]float64 }
	nodeSDK(t, env, "genai.mjs", "embed", "POST /v1beta/models/{model}:batchEmbedContents", &got)
	texts := []string{"hello world", "good night"}
	if len(got.Embeddings) != len(texts) {
		t.Fatalf("client saw %d embeddings", len(got.Embeddings))
	}
	for i, text := range texts {
		want := fakegemini.EmbeddingFor(text, 8, 3072)
		if len(got.Embeddings[i]) != len(want) {
			t.Fatalf("embedding %d has %d values, want %d", i, len(got.Embeddings[i]), len(want))
		}
		for j := range want {
			if math.Abs(got.Embeddings[i][j]-float64(want[j])) > 1e-6 {
				t.Fatalf("embedding %d value %d: %v, want %v", i, j, got.Embeddings[i][j], want[j])
			}
		}
	}
	r := oneUpstream(t, env)
	// @google/genai sends embedContent as batchEmbedContents on the Gemini API.
	upstreamKeyAndPath(t, r, "/v1beta/models/gemini-embedding-001:batchEmbedContents", "AIzaNODEKEY")
	var body struct {
		Requests []struct {
			Model                string
			OutputDimensionality int
		}
	}
	if err := json.Unmarshal(r.Body, &body); err != nil || len(body.Requests) != 2 ||
		body.Requests[0].Model != "models/gemini-embedding-001" || body.Requests[0].OutputDimensionality != 8 {
		t.Fatalf("upstream body %s", r.Body)
	}
}

func TestNodeGenAIListModels(t *testing.T) {
	env := nodeHost(t)
	var got struct{ Models []string }
	nodeSDK(t, env, "genai.mjs", "list", "GET /v1beta/models", &got)
	for _, m := range []string{"models/gemini-2.5-flash", "models/gemini-2.5-pro", "models/gemini-embedding-001"} {
		if !slices.Contains(got.Models, m) {
			t.Fatalf("client saw models %v, missing %s", got.Models, m)
		}
	}
	r := oneUpstream(t, env)
	upstreamKeyAndPath(t, r, "/v1beta/models", "AIzaNODEKEY")
	if r.Method != "GET" || !strings.Contains(r.RawQuery, "pageSize=50") {
		t.Fatalf("upstream %s %s?%s", r.Method, r.Path, r.RawQuery)
	}
}
