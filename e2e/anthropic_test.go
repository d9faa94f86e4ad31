package e2e_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/anthropics/anthropic-sdk-go/option"
	"github.com/gemini-code-api/gemini-code-api/e2e/fakegemini"
	"github.com/gemini-code-api/gemini-code-api/e2e/harness"
	"github.com/tidwall/gjson"
)

// anthropicHTTP is the transport of the Anthropic clients (kept-alive connections, as SDKs use).
var anthropicHTTP = &http.Client{}

func anthropicClient(env *harness.Env, key string, opts ...option.RequestOption) anthropic.Client {
	return anthropic.NewClient(append([]option.RequestOption{
		option.WithoutEnvironmentDefaults(), // no ANTHROPIC_* variable or profile may leak in
		option.WithHTTPClient(anthropicHTTP),
		option.WithBaseURL(env.URL),
		option.WithAPIKey(key),
		option.WithMaxRetries(0),
		option.WithRequestTimeout(30 * time.Second),
	}, opts...)...)
}

// anthropicError unwraps the SDK's API error.
func anthropicError(t *testing.T, err error) *anthropic.Error {
	return asError[*anthropic.Error](t, err)
}

// lastRequest is the newest upstream request.
func lastRequest(t *testing.T, env *harness.Env) fakegemini.Request {
	t.Helper()
	reqs := env.Fake.Requests()
	if len(reqs) == 0 {
		t.Fatal("no upstream request")
	}
	return reqs[len(reqs)-1]
}

// messageParams is a request to model for at most maxTokens, with one user
// message, text.
func messageParams(model anthropic.Model, maxTokens int64, text string) anthropic.MessageNewParams {
	return anthropic.MessageNewParams{Model: model, MaxTokens: maxTokens, Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(text))}}
}

// newMessage sends params with c; an error fails t.
func newMessage(t *testing.T, c anthropic.Client, params anthropic.MessageNewParams) *anthropic.Message {
	t.Helper()
	msg, err := c.Messages.New(ctx(t), params)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

func rawParts(parts ...string) []json.RawMessage {
	out := make([]json.RawMessage, len(parts))
	for i, p := range parts {
		out[i] = json.RawMessage(p)
	}
	return out
}

var weatherTool = anthropic.ToolParam{
	Name:        "get_weather",
	Description: anthropic.String("Current weather of a city"),
	InputSchema: anthropic.ToolInputSchemaParam{
		Properties: map[string]any{"city": map[string]any{"type": "string"}},
		Required:   []string{"city"},
	},
}

func TestAnthropicMessages(t *testing.T) {
	harness.Each(t, "", func(t *testing.T, env *harness.Env) {
		env.Fake.Enqueue("", fakegemini.Reply{Text: "Hello from Gemini", Usage: &fakegemini.Usage{Prompt: 20, Cached: 5, Candidates: 4, Thoughts: 3}})
		c := anthropicClient(env, "AIzaTESTKEY")
		msg := newMessage(t, c, anthropic.MessageNewParams{
			Model:       "claude-sonnet-4-5",
			System:      []anthropic.TextBlockParam{{Text: "Be brief."}},
			Messages:    []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Say hello"))},
			MaxTokens:   64,
			Temperature: anthropic.Float(0.3),
		})
		if !strings.HasPrefix(msg.ID, "msg_") || msg.Model != "claude-sonnet-4-5" || msg.Role != "assistant" || msg.Type != "message" {
			t.Fatalf("unexpected message: %s", msg.RawJSON())
		}
		if len(msg.Content) != 1 || msg.Content[0].Type != "text" || msg.Content[0].Text != "Hello from Gemini" || msg.StopReason != anthropic.StopReasonEndTurn {
			t.Fatalf("content/stop_reason: %s", msg.RawJSON())
		}
		// input_tokens excludes the cached prompt; output_tokens counts thoughts.
		if u := msg.Usage; u.InputTokens != 15 || u.CacheReadInputTokens != 5 || u.OutputTokens != 7 {
			t.Fatalf("usage: %s", msg.Usage.RawJSON())
		}
		reqs := env.Fake.Requests()
		if len(reqs) != 1 {
			t.Fatalf("upstream saw %d requests", len(reqs))
		}
		r := reqs[0]
		if r.Method != "POST" || r.Path != "/v1beta/models/gemini-4-argon:generateContent" || r.RawQuery != "" {
			t.Fatalf("upstream request: %s %s?%s", r.Method, r.Path, r.RawQuery)
		}
		if r.Header.Get("X-Goog-Api-Key") != "AIzaTESTKEY" || r.Header.Get("Authorization") != "" || r.Header.Get("X-Api-Key") != "" {
			t.Fatalf("upstream credentials: goog=%q auth=%q x-api-key=%q", r.Header.Get("X-Goog-Api-Key"), r.Header.Get("Authorization"), r.Header.Get("X-Api-Key"))
		}
		b := gjson.ParseBytes(r.Body)
		if b.Get("systemInstruction.parts.0.text").String() != "Be brief." || b.Get("contents.0.role").String() != "user" ||
			b.Get("contents.0.parts.0.text").String() != "Say hello" || b.Get("generationConfig.maxOutputTokens").Int() != 64 ||
			b.Get("generationConfig.temperature").Float() != 0.3 {
			t.Fatalf("upstream body %s", r.Body)
		}

		// Claude Code's beta client adds ?beta=true and anthropic-beta; an
		// auth token (Authorization: Bearer) works as the key too. None of
		// it may reach Gemini, whose strict API rejects unknown parameters.
		bearer := anthropic.NewClient(option.WithoutEnvironmentDefaults(), option.WithHTTPClient(anthropicHTTP),
			option.WithBaseURL(env.URL), option.WithAuthToken("AIzaBEARER"), option.WithMaxRetries(0))
		msg, err := bearer.Messages.New(ctx(t), messageParams("claude-haiku-4-5", 32, "ping"), option.WithQuery("beta", "true"), option.WithHeader("anthropic-beta", "interleaved-thinking-2025-05-14"))
		if err != nil {
			t.Fatal(err)
		}
		r = lastRequest(t, env)
		if msg.Content[0].Text != "echo: ping" || msg.Model != "claude-haiku-4-5" || r.Path != "/v1beta/models/gemini-3.8-flash:generateContent" ||
			r.RawQuery != "" || r.Key != "AIzaBEARER" || r.Header.Get("Authorization") != "" || r.Header.Get("X-Goog-Api-Key") != "AIzaBEARER" {
			t.Fatalf("bearer/beta request: %s?%s key=%q auth=%q -> %s", r.Path, r.RawQuery, r.Key, r.Header.Get("Authorization"), msg.RawJSON())
		}
	})
}

// The same scripted upstream answered once as a whole and once as a stream
// must give the same message once the stream is accumulated by the SDK.
func TestAnthropicStreamMatchesMessage(t *testing.T) {
	cases := []struct {
		name   string
		reply  fakegemini.Reply
		stop   anthropic.StopReason
		blocks []string // block types
		check  func(t *testing.T, m *anthropic.Message)
	}{
		{
			name: "thinking, text and a tool call",
			reply: fakegemini.Reply{Parts: rawParts(
				`{"text":"The user wants the weather. ","thought":true}`,
				`{"text":"I should call the tool.","thought":true}`,
				`{"text":"Let me look that up "}`,
				`{"text":"for you."}`,
				`{"functionCall":{"name":"get_weather","args":{"city":"Paris"}}}`,
			), EventDelay: 5 * time.Millisecond},
			stop:   anthropic.StopReasonToolUse,
			blocks: []string{"thinking", "text", "tool_use"},
			check: func(t *testing.T, m *anthropic.Message) {
				if m.Content[0].Thinking != "The user wants the weather. I should call the tool." || m.Content[1].Text != "Let me look that up for you." ||
					m.Content[2].Name != "get_weather" || gjson.GetBytes(m.Content[2].Input, "city").String() != "Paris" ||
					!strings.HasPrefix(m.Content[2].ID, "toolu_") {
					t.Fatalf("content: %s", m.RawJSON())
				}
			},
		},
		{
			name:   "cached prompt and thoughts in usage",
			reply:  fakegemini.Reply{Text: "Plain answer in a few pieces.", Usage: &fakegemini.Usage{Prompt: 40, Cached: 30, Candidates: 8, Thoughts: 5}},
			stop:   anthropic.StopReasonEndTurn,
			blocks: []string{"text"},
			check: func(t *testing.T, m *anthropic.Message) {
				if u := m.Usage; u.InputTokens != 10 || u.CacheReadInputTokens != 30 || u.OutputTokens != 13 {
					t.Fatalf("usage: %s", m.Usage.RawJSON())
				}
			},
		},
		{
			name:   "max tokens",
			reply:  fakegemini.Reply{Text: "This answer was cut", FinishReason: "MAX_TOKENS"},
			stop:   anthropic.StopReasonMaxTokens,
			blocks: []string{"text"},
		},
		{
			name:   "safety stop",
			reply:  fakegemini.Reply{Text: "Partial", FinishReason: "SAFETY"},
			stop:   anthropic.StopReasonRefusal,
			blocks: []string{"text"},
		},
	}
	harness.Each(t, "", func(t *testing.T, env *harness.Env) {
		c := anthropicClient(env, "K")
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				env.Fake.Enqueue("", tc.reply, tc.reply)
				params := anthropic.MessageNewParams{
					Model:     "claude-sonnet-4-5",
					MaxTokens: 4096,
					Thinking:  anthropic.ThinkingConfigParamOfEnabled(1024),
					Tools:     []anthropic.ToolUnionParam{{OfTool: &weatherTool}},
					Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Weather in Paris?"))},
				}
				whole := newMessage(t, c, params)
				acc, types, err := streamMessage(t, c, params)
				if err != nil {
					t.Fatal(err)
				}
				if types[0] != "message_start" || types[len(types)-1] != "message_stop" || types[len(types)-2] != "message_delta" {
					t.Fatalf("event sequence %v", types)
				}
				if env.Fake.Pending("", "") != 0 {
					t.Fatal("script not consumed")
				}
				if r := lastRequest(t, env); r.Action != "streamGenerateContent" || r.RawQuery != "alt=sse" {
					t.Fatalf("stream upstream %s ?%s", r.Action, r.RawQuery)
				}
				if !strings.HasPrefix(acc.ID, "msg_") || acc.Model != whole.Model || acc.Model != "claude-sonnet-4-5" || acc.Role != whole.Role || acc.Type != whole.Type {
					t.Fatalf("header fields differ:\nstream %s\nwhole  %s", acc.RawJSON(), whole.RawJSON())
				}
				if acc.StopReason != tc.stop || whole.StopReason != tc.stop {
					t.Fatalf("stop_reason stream %q whole %q, want %q", acc.StopReason, whole.StopReason, tc.stop)
				}
				if acc.Usage.InputTokens != whole.Usage.InputTokens || acc.Usage.OutputTokens != whole.Usage.OutputTokens ||
					acc.Usage.CacheReadInputTokens != whole.Usage.CacheReadInputTokens || whole.Usage.InputTokens == 0 || whole.Usage.OutputTokens == 0 {
					t.Fatalf("usage stream %s whole %s", acc.Usage.RawJSON(), whole.Usage.RawJSON())
				}
				if len(acc.Content) != len(whole.Content) || len(whole.Content) != len(tc.blocks) {
					t.Fatalf("content stream %s\nwhole %s", acc.RawJSON(), whole.RawJSON())
				}
				for i := range whole.Content {
					s, w := acc.Content[i], whole.Content[i]
					if s.Type != w.Type || w.Type != tc.blocks[i] || s.Text != w.Text || s.Thinking != w.Thinking || s.Signature != w.Signature ||
						s.Name != w.Name || (w.Type == "tool_use" && !jsonEqual(s.Input, w.Input)) {
						t.Fatalf("block %d differs:\nstream %s\nwhole  %s", i, s.RawJSON(), w.RawJSON())
					}
				}
				if tc.check != nil {
					tc.check(t, whole)
					tc.check(t, acc)
				}
			})
		}
	})
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return string(xb) == string(yb)
}

// functionCallSignatures returns, for the model turns of an upstream
// generateContent body, the thoughtSignature of each functionCall part.
func functionCallSignatures(body []byte) (names, sigs []string) {
	gjson.GetBytes(body, "contents").ForEach(func(_, c gjson.Result) bool {
		if c.Get("role").String() != "model" {
			return true
		}
		c.Get("parts").ForEach(func(_, p gjson.Result) bool {
			if fc := p.Get("functionCall"); fc.Exists() {
				names = append(names, fc.Get("name").String())
				sigs = append(sigs, p.Get("thoughtSignature").String())
			}
			return true
		})
		return true
	})
	return names, sigs
}

// Gemini 3 rejects a step whose function call comes back without the
// signature it issued: the fake signs the call of step 1 and checks it in
// step 2, so these tests prove the round trip through the SDK.
func TestAnthropicToolLoopGemini3(t *testing.T) {
	harness.Each(t, `{"models":{"claude-test":"gemini-3-pro-preview"}}`, func(t *testing.T, env *harness.Env) {
		c := anthropicClient(env, "K")
		base := func(msgs ...anthropic.MessageParam) anthropic.MessageNewParams {
			return anthropic.MessageNewParams{
				Model:     "claude-test",
				MaxTokens: 4096,
				Thinking:  anthropic.ThinkingConfigParamOfEnabled(1024),
				Tools:     []anthropic.ToolUnionParam{{OfTool: &weatherTool}},
				Messages:  msgs,
			}
		}
		question := anthropic.NewUserMessage(anthropic.NewTextBlock("Weather in Paris?"))
		step1 := fakegemini.Reply{Parts: rawParts(
			`{"text":"I need the weather tool.","thought":true}`,
			`{"functionCall":{"name":"get_weather","args":{"city":"Paris"}}}`,
		)}

		// run drives step 1 (streamed or not), lets edit change the
		// assistant message param, answers the call and checks step 2.
		run := func(t *testing.T, streamed bool, edit func(*anthropic.MessageParam)) {
			env.Fake.Reset()
			env.Fake.Enqueue("", step1, fakegemini.Reply{Text: "It is sunny in Paris."})
			send := newMessage
			if streamed {
				send = accumulateStream
			}
			first := *send(t, c, base(question))
			if first.StopReason != anthropic.StopReasonToolUse || len(first.Content) != 2 ||
				first.Content[0].Type != "thinking" || first.Content[0].Signature == "" || first.Content[1].Type != "tool_use" {
				t.Fatalf("step 1: %s", first.RawJSON())
			}
			issued := env.Fake.IssuedSignatures()
			if len(issued) != 1 {
				t.Fatalf("fake issued %d signatures in step 1, want 1", len(issued))
			}
			if r := lastRequest(t, env); gjson.GetBytes(r.Body, "generationConfig.thinkingConfig.thinkingLevel").String() != "LOW" ||
				gjson.GetBytes(r.Body, "generationConfig.thinkingConfig.includeThoughts").Bool() != true {
				t.Fatalf("step 1 thinkingConfig: %s", r.Body)
			}
			assistant := first.ToParam()
			if edit != nil {
				edit(&assistant)
			}
			call := first.Content[1]
			second, err := c.Messages.New(ctx(t), base(question, assistant,
				anthropic.NewUserMessage(anthropic.NewToolResultBlock(call.ID, `{"temp_c":21,"sky":"sunny"}`, false))))
			if err != nil {
				t.Fatalf("step 2: %v", err)
			}
			if second.StopReason != anthropic.StopReasonEndTurn || len(second.Content) != 1 || second.Content[0].Text != "It is sunny in Paris." {
				t.Fatalf("step 2: %s", second.RawJSON())
			}
			r := lastRequest(t, env)
			if r.Status != 200 || r.Path != "/v1beta/models/gemini-3-pro-preview:generateContent" {
				t.Fatalf("step 2 upstream %s -> %d", r.Path, r.Status)
			}
			names, sigs := functionCallSignatures(r.Body)
			if len(names) != 1 || names[0] != "get_weather" || sigs[0] != issued[0] {
				t.Fatalf("step 2 function calls %v signatures %q, issued %q\n%s", names, sigs, issued[0], r.Body)
			}
			b := gjson.ParseBytes(r.Body)
			if fr := b.Get("contents.2.parts.0.functionResponse"); b.Get("contents.2.role").String() != "user" ||
				fr.Get("name").String() != "get_weather" || fr.Get("response.output.temp_c").Int() != 21 {
				t.Fatalf("step 2 tool result: %s", r.Body)
			}
			if strings.Contains(string(r.Body), "I need the weather tool.") {
				t.Fatalf("thought text was sent back upstream: %s", r.Body)
			}
		}
		t.Run("history as returned", func(t *testing.T) { run(t, false, nil) })
		t.Run("streamed step 1", func(t *testing.T) { run(t, true, nil) })
		t.Run("client drops thinking blocks", func(t *testing.T) {
			run(t, false, func(m *anthropic.MessageParam) {
				kept := m.Content[:0]
				for _, b := range m.Content {
					if b.OfThinking == nil {
						kept = append(kept, b)
					}
				}
				m.Content = kept
				if len(m.Content) != 1 || m.Content[0].OfToolUse == nil {
					t.Fatalf("edited history: %+v", m.Content)
				}
			})
		})

		// Claude Code's shape: streamed steps, thinking blocks not sent
		// back, three steps in one turn. Gemini 3 checks the first call of
		// every step of the current turn, so each keeps its own signature.
		t.Run("three streamed steps without thinking blocks", func(t *testing.T) {
			env.Fake.Reset()
			env.Fake.Enqueue("",
				fakegemini.Reply{Parts: rawParts(`{"text":"Paris first.","thought":true}`, `{"functionCall":{"name":"get_weather","args":{"city":"Paris"}}}`)},
				fakegemini.Reply{Parts: rawParts(`{"text":"Now London.","thought":true}`, `{"functionCall":{"name":"get_weather","args":{"city":"London"}}}`)},
				fakegemini.Reply{Text: "Paris is sunny, London is rainy."})
			history := []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Weather in Paris, then London?"))}
			results := []string{"sunny", "rainy"}
			var final anthropic.Message
			for step := 0; step < 3; step++ {
				mp, _, err := streamMessage(t, c, base(history...))
				if err != nil {
					t.Fatalf("step %d: %v", step+1, err)
				}
				m := *mp
				if step == 2 {
					final = m
					break
				}
				assistant := m.ToParam()
				var kept []anthropic.ContentBlockParamUnion
				var callID string
				for _, b := range assistant.Content {
					if b.OfToolUse != nil {
						kept = append(kept, b)
						callID = b.OfToolUse.ID
					}
				}
				if m.StopReason != anthropic.StopReasonToolUse || len(kept) != 1 {
					t.Fatalf("step %d: %s", step+1, m.RawJSON())
				}
				assistant.Content = kept
				history = append(history, assistant, anthropic.NewUserMessage(anthropic.NewToolResultBlock(callID, results[step], false)))
			}
			if final.StopReason != anthropic.StopReasonEndTurn || len(final.Content) != 1 || final.Content[0].Text != "Paris is sunny, London is rainy." {
				t.Fatalf("step 3: %s", final.RawJSON())
			}
			issued := env.Fake.IssuedSignatures()
			names, sigs := functionCallSignatures(lastRequest(t, env).Body)
			if len(issued) < 2 || len(sigs) != 2 || sigs[0] != issued[0] || sigs[1] != issued[1] {
				t.Fatalf("step 3 calls %v signatures %q, issued %q", names, sigs, issued)
			}
		})

		// History made by real Claude (foreign ids and thinking signatures)
		// has no Gemini signature: the call gets Google's documented
		// placeholder instead of a 400.
		t.Run("foreign history", func(t *testing.T) {
			env.Fake.Reset()
			env.Fake.Enqueue("", fakegemini.Reply{Text: "Done."})
			m := newMessage(t, c, base(question,
				anthropic.NewAssistantMessage(
					anthropic.NewThinkingBlock("EqQBCkYIBxgCKkDclaudeSignature==", "Claude thought here."),
					anthropic.NewToolUseBlock("toolu_01A09q90qw90lq917835lq9", map[string]any{"city": "Paris"}, "get_weather"),
				),
				anthropic.NewUserMessage(anthropic.NewToolResultBlock("toolu_01A09q90qw90lq917835lq9", "sunny", false)),
			))
			if m.Content[0].Text != "Done." {
				t.Fatalf("%s", m.RawJSON())
			}
			_, sigs := functionCallSignatures(lastRequest(t, env).Body)
			if len(sigs) != 1 || sigs[0] != "skip_thought_signature_validator" {
				t.Fatalf("signatures %q", sigs)
			}
		})

		t.Run("parallel calls", func(t *testing.T) {
			env.Fake.Reset()
			env.Fake.Enqueue("", fakegemini.Reply{Parts: rawParts(
				`{"text":"Two cities, two calls.","thought":true}`,
				`{"functionCall":{"name":"get_weather","args":{"city":"Paris"}}}`,
				`{"functionCall":{"name":"get_weather","args":{"city":"London"}}}`,
			)}, fakegemini.Reply{Text: "Paris is sunny, London is rainy."})
			q := anthropic.NewUserMessage(anthropic.NewTextBlock("Weather in Paris and London?"))
			first := newMessage(t, c, base(q))
			if first.StopReason != anthropic.StopReasonToolUse || len(first.Content) != 3 ||
				first.Content[1].Type != "tool_use" || first.Content[2].Type != "tool_use" || first.Content[1].ID == first.Content[2].ID {
				t.Fatalf("step 1: %s", first.RawJSON())
			}
			issued := env.Fake.IssuedSignatures()
			if len(issued) != 1 {
				t.Fatalf("fake issued %d signatures, want 1", len(issued))
			}
			paris, london := first.Content[1], first.Content[2]
			if gjson.GetBytes(paris.Input, "city").String() != "Paris" || gjson.GetBytes(london.Input, "city").String() != "London" {
				t.Fatalf("call inputs: %s", first.RawJSON())
			}
			// Both results in one user message, in the reverse order.
			second, err := c.Messages.New(ctx(t), base(q, first.ToParam(), anthropic.NewUserMessage(
				anthropic.NewToolResultBlock(london.ID, "rainy, 14C", false),
				anthropic.NewToolResultBlock(paris.ID, "sunny, 21C", false),
			)))
			if err != nil {
				t.Fatalf("step 2: %v", err)
			}
			if second.Content[0].Text != "Paris is sunny, London is rainy." {
				t.Fatalf("step 2: %s", second.RawJSON())
			}
			r := lastRequest(t, env)
			names, sigs := functionCallSignatures(r.Body)
			if len(names) != 2 || sigs[0] != issued[0] {
				t.Fatalf("step 2 calls %v signatures %q, issued %q\n%s", names, sigs, issued, r.Body)
			}
			b := gjson.ParseBytes(r.Body)
			if b.Get("contents.#").Int() != 3 || b.Get("contents.2.role").String() != "user" {
				t.Fatalf("step 2 contents: %s", r.Body)
			}
			// Gemini wants the responses in call order.
			got := []string{b.Get("contents.2.parts.0.functionResponse.response.output").String(), b.Get("contents.2.parts.1.functionResponse.response.output").String()}
			if got[0] != "sunny, 21C" || got[1] != "rainy, 14C" || b.Get("contents.2.parts.#").Int() != 2 {
				t.Fatalf("function responses %q: %s", got, r.Body)
			}
		})
	})
}

// A 1x1 transparent PNG.
const tinyPNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="

func TestAnthropicImage(t *testing.T) {
	harness.Each(t, "", func(t *testing.T, env *harness.Env) {
		if _, err := base64.StdEncoding.DecodeString(tinyPNG); err != nil {
			t.Fatal(err)
		}
		c := anthropicClient(env, "K")
		msg := newMessage(t, c, anthropic.MessageNewParams{
			Model:     "claude-3-5-haiku-20241022",
			MaxTokens: 256,
			Messages: []anthropic.MessageParam{anthropic.NewUserMessage(
				anthropic.NewImageBlockBase64("image/png", tinyPNG),
				anthropic.NewTextBlock("What is in this image?"),
			)},
		})
		if msg.Content[0].Text != "echo: What is in this image?" {
			t.Fatalf("answer: %s", msg.RawJSON())
		}
		r := lastRequest(t, env)
		b := gjson.ParseBytes(r.Body)
		if r.Path != "/v1beta/models/gemini-3.8-flash:generateContent" ||
			b.Get("contents.0.parts.0.inlineData.mimeType").String() != "image/png" ||
			b.Get("contents.0.parts.0.inlineData.data").String() != tinyPNG ||
			b.Get("contents.0.parts.1.text").String() != "What is in this image?" {
			t.Fatalf("upstream %s: %s", r.Path, r.Body)
		}
		// The fake counts an image as 258 tokens: the prompt went as media.
		if msg.Usage.InputTokens != int64(258+fakegemini.EstimateTokens("What is in this image?")) {
			t.Fatalf("usage %s", msg.Usage.RawJSON())
		}
	})
}

func TestAnthropicCountTokens(t *testing.T) {
	harness.Each(t, "", func(t *testing.T, env *harness.Env) {
		c := anthropicClient(env, "K")
		const sys, q1, a1, q2 = "You are a weather bot.", "Hello there", "Hi! Ask me about the weather.", "Weather in Paris?"
		res, err := c.Messages.CountTokens(ctx(t), anthropic.MessageCountTokensParams{
			Model:  "claude-sonnet-4-5",
			System: anthropic.MessageCountTokensParamsSystemUnion{OfTextBlockArray: []anthropic.TextBlockParam{{Text: sys}}},
			Messages: []anthropic.MessageParam{
				anthropic.NewUserMessage(anthropic.NewTextBlock(q1)),
				anthropic.NewAssistantMessage(anthropic.NewTextBlock(a1)),
				anthropic.NewUserMessage(anthropic.NewTextBlock(q2)),
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		for _, s := range []string{sys, q1, a1, q2} {
			want += fakegemini.EstimateTokens(s)
		}
		if res.InputTokens != int64(want) {
			t.Fatalf("input_tokens %d, want %d (%s)", res.InputTokens, want, res.RawJSON())
		}
		r := lastRequest(t, env)
		b := gjson.ParseBytes(r.Body)
		if r.Path != "/v1beta/models/gemini-4-argon:countTokens" || r.Status != 200 || b.Get("contents").Exists() ||
			b.Get("generateContentRequest.model").String() != "models/gemini-4-argon" ||
			b.Get("generateContentRequest.contents.#").Int() != 3 ||
			b.Get("generateContentRequest.systemInstruction.parts.0.text").String() != sys {
			t.Fatalf("upstream %s -> %d: %s", r.Path, r.Status, r.Body)
		}

		// Tools count too: the same request with a tool costs more.
		withTool, err := c.Messages.CountTokens(ctx(t), anthropic.MessageCountTokensParams{
			Model:    "claude-sonnet-4-5",
			System:   anthropic.MessageCountTokensParamsSystemUnion{OfTextBlockArray: []anthropic.TextBlockParam{{Text: sys}}},
			Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(q1)), anthropic.NewAssistantMessage(anthropic.NewTextBlock(a1)), anthropic.NewUserMessage(anthropic.NewTextBlock(q2))},
			Tools:    []anthropic.MessageCountTokensToolUnionParam{{OfTool: &weatherTool}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if withTool.InputTokens <= res.InputTokens || !gjson.GetBytes(lastRequest(t, env).Body, "generateContentRequest.tools").Exists() {
			t.Fatalf("with a tool: %d tokens (without: %d)", withTool.InputTokens, res.InputTokens)
		}
	})
}

func TestAnthropicErrors(t *testing.T) {
	harness.Each(t, "", func(t *testing.T, env *harness.Env) {
		params := messageParams("claude-sonnet-4-5", 100, "hi")
		expect := func(t *testing.T, err error, status int, typ string) *anthropic.Error {
			t.Helper()
			e := anthropicError(t, err)
			if e.StatusCode != status || string(e.Type()) != typ || gjson.Get(e.RawJSON(), "type").String() != "error" ||
				gjson.Get(e.RawJSON(), "error.message").String() == "" {
				t.Fatalf("got %d %q, want %d %q: %s", e.StatusCode, e.Type(), status, typ, e.RawJSON())
			}
			return e
		}
		// refused sends p with key and checks the error the client gets.
		refused := func(t *testing.T, key string, p anthropic.MessageNewParams, status int, typ string, opts ...option.RequestOption) *anthropic.Error {
			t.Helper()
			c := anthropicClient(env, key)
			_, err := c.Messages.New(ctx(t), p, opts...)
			return expect(t, err, status, typ)
		}
		upstream := func(t *testing.T, rep fakegemini.Reply, p anthropic.MessageNewParams, status int, typ string) *anthropic.Error {
			t.Helper()
			env.Fake.Enqueue("", rep)
			return refused(t, "K", p, status, typ)
		}

		t.Run("missing max_tokens is 400 without an upstream call", func(t *testing.T) {
			before := len(env.Fake.Requests())
			e := refused(t, "K", params, 400, "invalid_request_error", option.WithJSONDel("max_tokens"))
			if !strings.Contains(e.RawJSON(), "max_tokens") {
				t.Fatalf("message does not name the field: %s", e.RawJSON())
			}
			if len(env.Fake.Requests()) != before {
				t.Fatal("an invalid request reached Gemini")
			}
		})
		t.Run("missing key is 401 without an upstream call", func(t *testing.T) {
			before := len(env.Fake.Requests())
			refused(t, "", params, 401, "authentication_error", option.WithHeaderDel("x-api-key"))
			if len(env.Fake.Requests()) != before {
				t.Fatal("a request without key reached Gemini")
			}
		})
		t.Run("invalid key is 401", func(t *testing.T) {
			env.Fake.ValidKeys("GOODKEY")
			// ValidKeys() with no key would reject every key: start over.
			defer env.Fake.Reset()
			refused(t, "BADKEY", params, 401, "authentication_error")
			if r := lastRequest(t, env); r.Key != "BADKEY" || r.Status != 400 {
				t.Fatalf("upstream key %q status %d", r.Key, r.Status)
			}
		})
		t.Run("403 is permission_error", func(t *testing.T) {
			upstream(t, fakegemini.Reply{Status: 403}, params, 403, "permission_error")
		})
		t.Run("unknown model is 404", func(t *testing.T) {
			p := params
			p.Model = "gemini-0-no-such-model"
			refused(t, "K", p, 404, "not_found_error")
			if r := lastRequest(t, env); r.Model != "gemini-0-no-such-model" || r.Status != 404 {
				t.Fatalf("upstream %s -> %d", r.Path, r.Status)
			}
		})
		t.Run("429 keeps retry-after", func(t *testing.T) {
			e := upstream(t, fakegemini.Reply{Status: 429, RetryDelay: "23s"}, params, 429, "rate_limit_error")
			if got := e.Response.Header.Get("Retry-After"); got != "23" {
				t.Fatalf("retry-after %q", got)
			}
		})
		t.Run("503 is 529 overloaded", func(t *testing.T) {
			upstream(t, fakegemini.Reply{Status: 503}, params, 529, "overloaded_error")
		})
		t.Run("500 is api_error", func(t *testing.T) {
			upstream(t, fakegemini.Reply{Status: 500}, params, 500, "api_error")
		})
		t.Run("streamed request with an upstream error", func(t *testing.T) {
			env.Fake.Enqueue("", fakegemini.Reply{Status: 503})
			c := anthropicClient(env, "K")
			stream := c.Messages.NewStreaming(ctx(t), params)
			for stream.Next() {
			}
			expect(t, stream.Err(), 529, "overloaded_error")
		})
		// An upstream connection cut after the headers resets the client's
		// stream too (Envoy cannot add bytes to a reset stream): the SDK
		// must report an error, never a clean end.
		t.Run("stream cut mid-way is an error", func(t *testing.T) {
			env.Fake.Enqueue("", fakegemini.Reply{Text: "one two three four five six seven eight", CutAfter: 1})
			c := anthropicClient(env, "K")
			stream := c.Messages.NewStreaming(ctx(t), params)
			var types []string
			for stream.Next() {
				types = append(types, stream.Current().Type)
			}
			if stream.Err() == nil {
				t.Fatalf("a truncated upstream stream ended like a complete answer: %v", types)
			}
			for _, ty := range types {
				if ty == "message_stop" || ty == "message_delta" {
					t.Fatalf("truncated stream carried %s: %v", ty, types)
				}
			}
			t.Logf("cut stream: events %v, then %v", types, stream.Err())
		})
		// An upstream stream that ends cleanly without a finishReason is
		// incomplete: the gateway says so with Anthropic's `event: error`,
		// which the SDK turns into an API error of the event's type.
		t.Run("stream ending without finishReason is an error event", func(t *testing.T) {
			env.Fake.Enqueue("", fakegemini.Reply{Events: []string{
				`{"candidates":[{"content":{"role":"model","parts":[{"text":"one two"}]},"index":0}],"usageMetadata":{"promptTokenCount":1,"totalTokenCount":1}}`,
				`{"candidates":[{"content":{"role":"model","parts":[{"text":" three"}]},"index":0}],"usageMetadata":{"promptTokenCount":1,"totalTokenCount":1}}`,
			}})
			c := anthropicClient(env, "K")
			acc, types, err := streamMessage(t, c, params)
			for _, ty := range types {
				if ty == "message_stop" || ty == "message_delta" {
					t.Fatalf("truncated stream carried %s: %v", ty, types)
				}
			}
			var e *anthropic.Error
			if !errors.As(err, &e) || e.Type() != "api_error" || !strings.Contains(e.RawJSON(), "finishReason") {
				t.Fatalf("want an error event, got %T %v (events %v)", err, err, types)
			}
			if len(acc.Content) != 1 || acc.Content[0].Text != "one two three" {
				t.Fatalf("text before the error: %s", acc.RawJSON())
			}
		})
		t.Run("request over the buffer limit is 413", func(t *testing.T) {
			p := params
			p.Messages = []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(strings.Repeat("a", env.BufferLimit+1<<20)))}
			c := anthropicClient(env, "K")
			_, err := c.Messages.New(ctx(t), p)
			e := anthropicError(t, err)
			if e.StatusCode != 413 {
				t.Fatalf("got %d: %s", e.StatusCode, e.RawJSON())
			}
			if e.Type() != "request_too_large" || !strings.Contains(e.RawJSON(), "buffer limit") {
				t.Fatalf("Envoy's 413 must reach the client in Anthropic's shape: %s", e.RawJSON())
			}
		})
		for _, tc := range []struct {
			name string
			send func(*testing.T, anthropic.Client, anthropic.MessageNewParams) *anthropic.Message
		}{
			{"blocked prompt is a refusal", newMessage},
			{"blocked prompt is a refusal when streamed", accumulateStream},
		} {
			t.Run(tc.name, func(t *testing.T) {
				env.Fake.Enqueue("", fakegemini.Reply{BlockReason: "SAFETY"})
				msg := tc.send(t, anthropicClient(env, "K"), params)
				if msg.StopReason != anthropic.StopReasonRefusal || len(msg.Content) != 0 {
					t.Fatalf("blocked: %s", msg.RawJSON())
				}
			})
		}
	})
}

// A forced tool, then a tool_result carrying an image next to a failed
// result, a PDF and text in the same user message (Claude Code's shape).
func TestAnthropicToolResultsWithMedia(t *testing.T) {
	harness.Each(t, "", func(t *testing.T, env *harness.Env) {
		env.Fake.Enqueue("", fakegemini.Reply{Parts: rawParts(
			`{"functionCall":{"name":"take_screenshot","args":{}}}`,
			`{"functionCall":{"name":"get_weather","args":{"city":"Oslo"}}}`,
		)}, fakegemini.Reply{Text: "A tiny image."})
		c := anthropicClient(env, "K")
		shot := anthropic.ToolParam{Name: "take_screenshot", InputSchema: anthropic.ToolInputSchemaParam{Properties: map[string]any{}}}
		params := anthropic.MessageNewParams{
			Model:      "claude-opus-4-1",
			MaxTokens:  1024,
			Tools:      []anthropic.ToolUnionParam{{OfTool: &shot}, {OfTool: &weatherTool}},
			ToolChoice: anthropic.ToolChoiceParamOfTool("take_screenshot"),
			Messages:   []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Screenshot, then Oslo weather."))},
		}
		first := newMessage(t, c, params)
		if b := gjson.ParseBytes(lastRequest(t, env).Body); b.Get("toolConfig.functionCallingConfig.mode").String() != "ANY" ||
			b.Get("toolConfig.functionCallingConfig.allowedFunctionNames.0").String() != "take_screenshot" ||
			b.Get("tools.0.functionDeclarations.#").Int() != 2 {
			t.Fatalf("step 1 upstream: %s", lastRequest(t, env).Body)
		}
		if len(first.Content) != 2 || first.Content[0].Name != "take_screenshot" || first.Content[1].Name != "get_weather" {
			t.Fatalf("step 1: %s", first.RawJSON())
		}
		img := anthropic.NewImageBlockBase64("image/png", tinyPNG)
		pdf := base64.StdEncoding.EncodeToString([]byte("%PDF-1.4 tiny"))
		params.ToolChoice = anthropic.ToolChoiceUnionParam{}
		params.Messages = append(params.Messages, first.ToParam(), anthropic.NewUserMessage(
			anthropic.ContentBlockParamUnion{OfToolResult: &anthropic.ToolResultBlockParam{
				ToolUseID: first.Content[0].ID,
				Content: []anthropic.ToolResultBlockParamContentUnion{
					{OfText: &anthropic.TextBlockParam{Text: "captured"}},
					{OfImage: img.OfImage},
				},
			}},
			anthropic.NewToolResultBlock(first.Content[1].ID, "weather service down", true),
			anthropic.NewDocumentBlock(anthropic.Base64PDFSourceParam{Data: pdf}),
			anthropic.NewTextBlock("Describe the screenshot."),
		))
		second := newMessage(t, c, params)
		if second.Content[0].Text != "A tiny image." {
			t.Fatalf("step 2: %s", second.RawJSON())
		}
		r := lastRequest(t, env)
		b := gjson.ParseBytes(r.Body)
		user := b.Get("contents.2")
		if b.Get("contents.#").Int() != 3 || user.Get("role").String() != "user" || b.Get("toolConfig").Exists() ||
			user.Get("parts.0.functionResponse.name").String() != "take_screenshot" ||
			user.Get("parts.0.functionResponse.response.output").String() != "captured" ||
			user.Get("parts.1.functionResponse.name").String() != "get_weather" ||
			user.Get("parts.1.functionResponse.response.error").String() != "weather service down" ||
			user.Get("parts.2.inlineData.mimeType").String() != "image/png" || user.Get("parts.2.inlineData.data").String() != tinyPNG ||
			user.Get("parts.3.inlineData.mimeType").String() != "application/pdf" || user.Get("parts.3.inlineData.data").String() != pdf ||
			user.Get("parts.4.text").String() != "Describe the screenshot." || user.Get("parts.#").Int() != 5 {
			t.Fatalf("step 2 upstream: %s", r.Body)
		}
	})
}

// Every thinking setting a Claude client sends must be accepted by every
// thinking Gemini model it can be mapped to (budget ranges, levels, never a
// budget and a level together).
func TestAnthropicThinkingSettings(t *testing.T) {
	harness.Each(t, "", func(t *testing.T, env *harness.Env) {
		c := anthropicClient(env, "K")
		settings := map[string]anthropic.ThinkingConfigParamUnion{
			"enabled 31999 (Claude Code)": anthropic.ThinkingConfigParamOfEnabled(31999),
			"enabled 1024":                anthropic.ThinkingConfigParamOfEnabled(1024),
			"enabled 10000":               anthropic.ThinkingConfigParamOfEnabled(10000),
			"disabled":                    {OfDisabled: &anthropic.ThinkingConfigDisabledParam{}},
			"adaptive":                    {OfAdaptive: &anthropic.ThinkingConfigAdaptiveParam{}},
		}
		for _, model := range []string{"gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-3-pro-preview", "gemini-3-flash-preview"} {
			for name, th := range settings {
				_, err := c.Messages.New(ctx(t), anthropic.MessageNewParams{
					Model: anthropic.Model(model), MaxTokens: 32000, Thinking: th,
					Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("think"))},
				})
				if err != nil {
					t.Errorf("%s, thinking %s: %v\nupstream body: %s", model, name, err, lastRequest(t, env).Body)
				}
			}
		}
	})
}

// The Anthropic SDK's model list: Gemini's models and the aliases, in
// Anthropic's shape.
func TestAnthropicModels(t *testing.T) {
	harness.Each(t, `{"models":{"claude-test":"gemini-2.5-flash"}}`, func(t *testing.T, env *harness.Env) {
		c := anthropicClient(env, "K")
		page, err := c.Models.List(ctx(t), anthropic.ModelListParams{})
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]bool{}
		for _, m := range page.Data {
			ids[m.ID] = true
			if m.Type != "model" || m.DisplayName == "" {
				t.Fatalf("model %+v", m)
			}
		}
		if !ids["claude-test"] || !ids["gemini-2.5-pro"] || page.HasMore {
			t.Fatalf("list: %v", ids)
		}
		m, err := c.Models.Get(ctx(t), "claude-test", anthropic.ModelGetParams{})
		if err != nil || m.ID != "claude-test" {
			t.Fatalf("get: %v %+v", err, m)
		}
		_, err = c.Models.Get(ctx(t), "claude-nope", anthropic.ModelGetParams{})
		if e := anthropicError(t, err); e.StatusCode != 404 {
			t.Fatalf("unknown model: %d", e.StatusCode)
		}
	})
}

// A streamed request without `thinking`: Gemini's thought summaries keep the
// stream alive as pings and never become content.
func TestAnthropicThinkingPings(t *testing.T) {
	harness.Each(t, "", func(t *testing.T, env *harness.Env) {
		reply := fakegemini.Reply{Parts: []json.RawMessage{
			json.RawMessage(`{"text":"Considering the question","thought":true}`),
			json.RawMessage(`{"text":"Still considering","thought":true}`),
			json.RawMessage(`{"text":"The answer is 42."}`),
		}}
		params := messageParams("claude-sonnet-4-5", 256, "question")
		// What the SDK makes of it: one text block, no thinking.
		env.Fake.Enqueue("", reply)
		c := anthropicClient(env, "K")
		msg := accumulateStream(t, c, params)
		if len(msg.Content) != 1 || msg.Content[0].Type != "text" || msg.Content[0].Text != "The answer is 42." {
			t.Fatalf("content: %s", msg.RawJSON())
		}
		reqs := env.Fake.Requests()
		if !strings.Contains(string(reqs[len(reqs)-1].Body), `"includeThoughts":true`) {
			t.Fatalf("thought summaries not requested: %s", reqs[len(reqs)-1].Body)
		}
		// On the wire (the SDK hides pings): one after message_start, one
		// per thought.
		env.Fake.Enqueue("", reply)
		body, _ := json.Marshal(map[string]any{"model": "claude-sonnet-4-5", "max_tokens": 256, "stream": true,
			"messages": []map[string]any{{"role": "user", "content": "question"}}})
		_, raw := send(t, "POST", env.URL+"/v1/messages", string(body), "x-api-key", "K", "anthropic-version", "2023-06-01")
		if n := strings.Count(string(raw), "event: ping\n"); n != 3 || strings.Contains(string(raw), "thinking") {
			t.Fatalf("%d pings:\n%s", n, raw)
		}
	})
}

// accumulateStream sends params as a stream and accumulates the answer as
// the SDK does.
func accumulateStream(t *testing.T, c anthropic.Client, params anthropic.MessageNewParams) *anthropic.Message {
	t.Helper()
	acc, _, err := streamMessage(t, c, params)
	if err != nil {
		t.Fatal(err)
	}
	return acc
}

// streamMessage sends params with c as a stream and accumulates its events
// (one that does not accumulate fails t); it returns the message, the
// events' types in order and the stream's error.
func streamMessage(t *testing.T, c anthropic.Client, params anthropic.MessageNewParams) (*anthropic.Message, []string, error) {
	t.Helper()
	stream := c.Messages.NewStreaming(ctx(t), params)
	var acc anthropic.Message
	var types []string
	for stream.Next() {
		ev := stream.Current()
		types = append(types, ev.Type)
		if err := acc.Accumulate(ev); err != nil {
			t.Fatalf("accumulate %s: %v", ev.Type, err)
		}
	}
	return &acc, types, stream.Err()
}
