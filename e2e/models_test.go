package e2e_test

import (
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/gemini-code-api/gemini-code-api/e2e/harness"
	"github.com/openai/openai-go/v3"
	"github.com/tidwall/gjson"
)

// The models of late 2026 through the module, against the fake's rules for
// them (Gemini 4 takes thinking levels only and Neon no penalties; MINIMAL
// is refused by 3.8 Flash and Gemini 4).
func TestCurrentModels(t *testing.T) {
	harness.Each(t, "", func(t *testing.T, env *harness.Env) {
		oc := openaiClient(env, "AIzaMODELS")
		t.Run("OpenAI's default penalties of 0 do not reach Gemini 4 Neon", func(t *testing.T) {
			p := chatParams("gemini-4-neon", "hi")
			p.PresencePenalty, p.FrequencyPenalty = openai.Float(0), openai.Float(0)
			p.ReasoningEffort = "xhigh"
			if _, err := oc.Chat.Completions.New(ctx(t), p); err != nil {
				t.Fatal(err)
			}
			b := gjson.ParseBytes(lastRequest(t, env).Body)
			if b.Get("generationConfig.presencePenalty").Exists() || b.Get("generationConfig.thinkingConfig.thinkingLevel").String() != "XHIGH" {
				t.Fatalf("upstream body %s", b.Raw)
			}
		})
		t.Run("a penalty Neon cannot apply is Gemini's 400, in OpenAI's shape", func(t *testing.T) {
			p := chatParams("gemini-4-neon", "hi")
			p.PresencePenalty = openai.Float(0.5)
			_, err := oc.Chat.Completions.New(ctx(t), p)
			if e := apiError(t, err); e.StatusCode != 400 || e.Type != "invalid_request_error" || !strings.Contains(e.Message, "Penalty is not enabled") {
				t.Fatalf("got %d %s", e.StatusCode, e.RawJSON())
			}
		})
		t.Run("the lowest effort on 3.8 Flash is LOW", func(t *testing.T) {
			p := chatParams("gemini-3.8-flash", "hi")
			p.ReasoningEffort = "minimal"
			if _, err := oc.Chat.Completions.New(ctx(t), p); err != nil {
				t.Fatal(err)
			}
			if l := gjson.GetBytes(lastRequest(t, env).Body, "generationConfig.thinkingConfig.thinkingLevel").String(); l != "LOW" {
				t.Fatalf("thinkingLevel %q", l)
			}
		})
		t.Run("Claude's thinking budget on the default Opus model", func(t *testing.T) {
			ac := anthropicClient(env, "AIzaMODELS")
			msg, err := ac.Messages.New(ctx(t), anthropic.MessageNewParams{
				Model: "claude-opus-4-5", MaxTokens: 32000,
				Thinking: anthropic.ThinkingConfigParamOfEnabled(31999),
				Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hi"))},
			})
			if err != nil {
				t.Fatal(err)
			}
			r := lastRequest(t, env)
			tc := gjson.GetBytes(r.Body, "generationConfig.thinkingConfig")
			if r.Path != "/v1beta/models/gemini-4-argon:generateContent" || tc.Get("thinkingLevel").String() != "HIGH" || tc.Get("thinkingBudget").Exists() || msg.Model != "claude-opus-4-5" {
				t.Fatalf("upstream %s %s; answer %s", r.Path, tc.Raw, msg.RawJSON())
			}
		})
	})
}
