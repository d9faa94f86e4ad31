package e2e_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/e2e/fakegemini"
)

// The @anthropic-ai/sdk npm package (e2e/node/anthropic.mjs) against the
// gateway's Messages API. The scripts ask for claude-sonnet-4-6, which the
// default claude_families map sends to gemini-4-argon.

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

func TestNodeAnthropicCreate(t *testing.T) {
	env := nodeHost(t)
	env.Fake.Enqueue("", fakegemini.Reply{Text: "Hello from Gemini", Usage: &fakegemini.Usage{Prompt: 11, Candidates: 5}})
	var got nodeAnthropicMessage
	nodeSDK(t, env, "anthropic.mjs", "create", "POST /v1/messages", &got)
	if got.Type != "message" || got.Role != "assistant" || !strings.HasPrefix(got.ID, "msg_") || got.Model != "claude-sonnet-4-6" ||
		got.StopReason != "end_turn" || len(got.Content) != 1 || got.Content[0].Type != "text" || got.Text != "Hello from Gemini" {
		t.Fatalf("client saw %+v", got)
	}
	if got.Usage.InputTokens != 11 || got.Usage.OutputTokens != 5 {
		t.Fatalf("usage %+v", got.Usage)
	}
	oneSayHello(t, env, "gemini-4-argon", 128, 0)
}

func TestNodeAnthropicStream(t *testing.T) {
	env := nodeStreamHost(t, fakegemini.Usage{Prompt: 6, Candidates: 9})
	var got nodeAnthropicMessage
	nodeSDK(t, env, "anthropic.mjs", "stream", "POST /v1/messages (stream)", &got)
	if got.Text != countToFive || got.Deltas != countToFive || got.StopReason != "end_turn" || got.Model != "claude-sonnet-4-6" ||
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
	r := oneStream(t, env, "/v1beta/models/gemini-4-argon:streamGenerateContent", "AIzaNODEKEY")
	checkSayHello(t, r, 128, 0.2)
}

func TestNodeAnthropicCountTokens(t *testing.T) {
	// The system prompt counts too, so the gateway has to send a whole
	// generateContentRequest (or fold the system text into contents).
	nodeCountTokens(t, "anthropic.mjs", "POST /v1/messages/count_tokens", "input_tokens", "gemini-4-argon",
		"How many tokens is this sentence?", "Be brief.")
}
