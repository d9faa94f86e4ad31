package e2e_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gemini-code-api/gemini-code-api/e2e/fakegemini"
	"github.com/gemini-code-api/gemini-code-api/e2e/harness"
)

// The @anthropic-ai/sdk npm package (e2e/node/anthropic.mjs) against the
// gateway's Messages API. The scripts ask for claude-sonnet-4-6, which the
// default claude_families map sends to gemini-2.5-pro.

type nodeAnthropicMessage struct {
	ID, Type, Role, Model string
	StopReason            string `json:"stop_reason"`
	Text                  string
	Content               []struct{ Type, Text string }
	Usage                 struct {
		InputTokens  int `json:"input_tokens"`
		OutputTokens int `json:"output_tokens"`
	}
	Events []string
	Deltas string
}

func nodeAnthropic(t *testing.T, env *harness.Env, scenario, what string, v any) {
	t.Helper()
	out := runNode(t, "anthropic.mjs", map[string]string{"GATEWAY_URL": env.URL, "API_KEY": "AIzaNODEKEY"}, scenario)
	nodeAPIErrorFails(t, out, len(env.Fake.Requests()), what)
	decodeLastJSON(t, out, v)
}

func checkAnthropicUpstreamBody(t *testing.T, r fakegemini.Request) {
	t.Helper()
	var body struct {
		Contents []struct {
			Role  string
			Parts []struct{ Text string }
		}
		SystemInstruction struct{ Parts []struct{ Text string } }
		GenerationConfig  struct{ MaxOutputTokens int }
	}
	if err := json.Unmarshal(r.Body, &body); err != nil || len(body.Contents) != 1 || body.Contents[0].Role != "user" ||
		len(body.Contents[0].Parts) != 1 || body.Contents[0].Parts[0].Text != "Say hello" ||
		len(body.SystemInstruction.Parts) != 1 || body.SystemInstruction.Parts[0].Text != "Be brief." ||
		body.GenerationConfig.MaxOutputTokens != 128 {
		t.Fatalf("upstream body %s", r.Body)
	}
}

func TestNodeAnthropicCreate(t *testing.T) {
	npmCI(t)
	env := harness.NewHost(t, "")
	env.Fake.Enqueue("", fakegemini.Reply{Text: "Hello from Gemini", Usage: &fakegemini.Usage{Prompt: 11, Candidates: 5}})
	var got nodeAnthropicMessage
	nodeAnthropic(t, env, "create", "POST /v1/messages", &got)
	if got.Type != "message" || got.Role != "assistant" || !strings.HasPrefix(got.ID, "msg_") || got.Model != "claude-sonnet-4-6" ||
		got.StopReason != "end_turn" || len(got.Content) != 1 || got.Content[0].Type != "text" || got.Text != "Hello from Gemini" {
		t.Fatalf("client saw %+v", got)
	}
	if got.Usage.InputTokens != 11 || got.Usage.OutputTokens != 5 {
		t.Fatalf("usage %+v", got.Usage)
	}
	r := oneUpstream(t, env)
	upstreamKeyAndPath(t, r, "/v1beta/models/gemini-2.5-pro:generateContent", "AIzaNODEKEY")
	checkAnthropicUpstreamBody(t, r)
}

func TestNodeAnthropicStream(t *testing.T) {
	npmCI(t)
	env := harness.NewHost(t, "")
	env.Fake.Enqueue("", fakegemini.Reply{Text: "One, two, three, four, five.", EventDelay: 10 * time.Millisecond,
		Usage: &fakegemini.Usage{Prompt: 6, Candidates: 9}})
	var got nodeAnthropicMessage
	nodeAnthropic(t, env, "stream", "POST /v1/messages (stream)", &got)
	const want = "One, two, three, four, five."
	if got.Text != want || got.Deltas != want || got.StopReason != "end_turn" || got.Model != "claude-sonnet-4-6" ||
		got.Role != "assistant" || !strings.HasPrefix(got.ID, "msg_") {
		t.Fatalf("client saw %+v", got)
	}
	if got.Usage.OutputTokens != 9 {
		t.Fatalf("usage %+v", got.Usage)
	}
	// Anthropic's event grammar: message_start, one text block with its
	// deltas, message_delta, message_stop (ping events may appear anywhere).
	var ev []string
	deltas := 0
	for _, e := range got.Events {
		switch e {
		case "ping":
		case "content_block_delta":
			deltas++
			if ev[len(ev)-1] != e {
				ev = append(ev, e)
			}
		default:
			ev = append(ev, e)
		}
	}
	if !slices.Equal(ev, []string{"message_start", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop"}) || deltas < 2 {
		t.Fatalf("events %v (%d text deltas)", got.Events, deltas)
	}
	r := oneStream(t, env, "/v1beta/models/gemini-2.5-pro:streamGenerateContent", "AIzaNODEKEY")
	checkAnthropicUpstreamBody(t, r)
	var body struct{ GenerationConfig struct{ Temperature float64 } }
	if json.Unmarshal(r.Body, &body) != nil || body.GenerationConfig.Temperature != 0.2 {
		t.Fatalf("upstream body %s", r.Body)
	}
}

func TestNodeAnthropicCountTokens(t *testing.T) {
	npmCI(t)
	env := harness.NewHost(t, "")
	env.Fake.Enqueue("", fakegemini.Reply{Endpoint: "countTokens", Body: `{"totalTokens": 42}`})
	var got struct {
		InputTokens *int `json:"input_tokens"`
	}
	nodeAnthropic(t, env, "count_tokens", "POST /v1/messages/count_tokens", &got)
	if got.InputTokens == nil || *got.InputTokens != 42 {
		t.Fatalf("client saw input_tokens %v", got.InputTokens)
	}
	r := oneUpstream(t, env)
	upstreamKeyAndPath(t, r, "/v1beta/models/gemini-2.5-pro:countTokens", "AIzaNODEKEY")
	// The system prompt counts too, so the gateway has to send a whole
	// generateContentRequest (or fold the system text into contents).
	if !strings.Contains(string(r.Body), "How many tokens is this sentence?") || !strings.Contains(string(r.Body), "Be brief.") {
		t.Fatalf("upstream body %s", r.Body)
	}
}
