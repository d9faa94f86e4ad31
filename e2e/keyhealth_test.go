package e2e_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gemini-code-api/gemini-code-api/e2e/fakegemini"
	"github.com/gemini-code-api/gemini-code-api/e2e/harness"
	"github.com/openai/openai-go/v3"
)

// A client with several keys: one that Gemini rate-limits is set aside for
// the RetryInfo delay and the other key serves, on every worker VM; after
// the delay the key is used again.
func TestKeyHealth(t *testing.T) {
	harness.Each(t, "", func(t *testing.T, env *harness.Env) {
		env.Fake.SetDefault("AIzaKEYA", fakegemini.Reply{Status: 429, RetryDelay: "3s"})
		c := openaiClient(env, "AIzaKEYA,AIzaKEYB")
		params := openai.ChatCompletionNewParams{Model: "gemini-2.5-flash", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}}
		var failures int
		for range 8 {
			if _, err := c.Chat.Completions.New(ctx(t), params); err != nil {
				if e := apiError(t, err); e.StatusCode != 429 {
					t.Fatalf("unexpected error %d", e.StatusCode)
				}
				failures++
			}
		}
		used := map[string]int{}
		for _, r := range env.Fake.Requests() {
			used[r.Key]++
		}
		// The rate-limited key is tried once, then avoided.
		if failures != 1 || used["AIzaKEYA"] != 1 || used["AIzaKEYB"] != 7 {
			t.Fatalf("failures=%d keys used upstream: %v", failures, used)
		}
		if !strings.Contains(env.Stats(), "wasmcustom.gemini_code_api.key_cooldowns: 1") {
			t.Fatalf("cool-down not counted:\n%s", env.Stats())
		}
		// After the RetryInfo delay the key is back in the rotation.
		env.Fake.SetDefault("AIzaKEYA", fakegemini.Reply{Text: "recovered"})
		time.Sleep(3100 * time.Millisecond)
		for range 4 {
			if _, err := c.Chat.Completions.New(ctx(t), params); err != nil {
				t.Fatal(err)
			}
		}
		if n := len(env.Fake.Requests()); n != 12 {
			t.Fatalf("%d upstream requests", n)
		}
		back := 0
		for _, r := range env.Fake.Requests()[8:] {
			if r.Key == "AIzaKEYA" {
				back++
			}
		}
		if back == 0 {
			t.Fatal("the key never came back after its cool-down")
		}
	})
}
