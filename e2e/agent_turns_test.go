package e2e_test

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/e2e/harness"
	"github.com/gemini-code-api/gemini-code-api/internal/benchdata"
)

const agentKey = "AIzaAGENTKEY"

// A coding agent sends the same tools with every turn, and a VM keeps
// their declarations after the first (gemini.DeclCache): through the
// module, every later turn must reach Gemini as the first did, byte for
// byte, in each client protocol. Four turns: each of the host's two
// worker VMs translates one afresh, then serves one from its cache.
func TestAgentTurnsReachGeminiAlike(t *testing.T) {
	// Codex asks for a model of its own; its users map it.
	harness.Each(t, `{"models":{"gpt-5-codex":"gemini-2.5-pro"}}`, func(t *testing.T, env *harness.Env) {
		for _, tc := range []struct {
			name, path string
			body       []byte
			headers    []string
		}{
			{"claude code", "/v1/messages", benchdata.ClaudeCodeTurn(), []string{"x-api-key", agentKey, "anthropic-version", "2023-06-01", "content-type", "application/json"}},
			{"chat agent", "/v1/chat/completions", benchdata.ChatAgentTurn(), []string{"authorization", "Bearer " + agentKey, "content-type", "application/json"}},
			{"codex", "/v1/responses", benchdata.CodexTurn(), []string{"authorization", "Bearer " + agentKey, "content-type", "application/json"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				env.Fake.Reset()
				const turns = 4
				for turn := range turns {
					resp, body := send(t, http.MethodPost, env.URL+tc.path, string(tc.body), tc.headers...)
					if resp.StatusCode != http.StatusOK {
						t.Fatalf("turn %d: %d %s", turn, resp.StatusCode, body)
					}
				}
				reqs := env.Fake.Requests()
				if len(reqs) != turns {
					t.Fatalf("%d upstream requests, want %d", len(reqs), turns)
				}
				for i, r := range reqs[1:] {
					if at, a, b := firstDifference(r.Body, reqs[0].Body); at >= 0 {
						t.Fatalf("turn %d reached Gemini otherwise than the first, from byte %d:\n%s\nthe first:\n%s", i+1, at, a, b)
					}
				}
				if !bytes.Contains(reqs[0].Body, []byte(`"functionDeclarations"`)) {
					t.Fatalf("no declarations upstream: %.300s", reqs[0].Body)
				}
			})
		}
	})
}

// firstDifference is the first index where a and b differ, -1 when they
// are equal, with a window of each from there.
func firstDifference(a, b []byte) (int, []byte, []byte) {
	if bytes.Equal(a, b) {
		return -1, nil, nil
	}
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	window := func(s []byte) []byte { return s[max(i-60, 0):min(i+60, len(s))] }
	return i, window(a), window(b)
}
