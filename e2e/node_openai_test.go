package e2e_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/e2e/fakegemini"
	"github.com/gemini-code-api/gemini-code-api/e2e/harness"
)

// The openai npm package (e2e/node/openai.mjs) against the gateway.

func nodeOpenAI(t *testing.T, env *harness.Env, scenario string, v any) {
	t.Helper()
	nodeJSON(t, v, "openai.mjs", map[string]string{"GATEWAY_URL": env.URL, "API_KEY": "AIzaNODEKEY"}, scenario)
}

// upstreamKeyAndPath checks that request i of the fake went to path with
// the client's key in x-goog-api-key and no client credential left over.
func upstreamKeyAndPath(t *testing.T, r fakegemini.Request, path, key string) {
	t.Helper()
	if r.Path != path || r.Key != key || r.Header.Get("x-goog-api-key") != key ||
		r.Header.Get("Authorization") != "" || r.Header.Get("x-api-key") != "" || strings.Contains(r.RawQuery, "key=") {
		t.Fatalf("upstream request: %s %s?%s key=%q x-goog-api-key=%q authorization=%q x-api-key=%q",
			r.Method, r.Path, r.RawQuery, r.Key, r.Header.Get("x-goog-api-key"), r.Header.Get("Authorization"), r.Header.Get("x-api-key"))
	}
}

func TestNodeOpenAIChat(t *testing.T) {
	env := nodeHost(t)
	env.Fake.Enqueue("", fakegemini.Reply{Text: "Hello from Gemini", Usage: &fakegemini.Usage{Prompt: 7, Candidates: 4, Thoughts: 3}})
	var got struct {
		ID, Object, Model, Content string
		FinishReason               string `json:"finish_reason"`
		Choices                    int
		Usage                      struct {
			PromptTokens            int `json:"prompt_tokens"`
			CompletionTokens        int `json:"completion_tokens"`
			TotalTokens             int `json:"total_tokens"`
			CompletionTokensDetails struct {
				ReasoningTokens int `json:"reasoning_tokens"`
			} `json:"completion_tokens_details"`
		}
	}
	nodeOpenAI(t, env, "chat", &got)
	if got.Content != "Hello from Gemini" || got.FinishReason != "stop" || got.Model != "gpt-4o" || got.Choices != 1 ||
		got.Object != "chat.completion" || !strings.HasPrefix(got.ID, "chatcmpl-") {
		t.Fatalf("client saw %+v", got)
	}
	if got.Usage.PromptTokens != 7 || got.Usage.CompletionTokens != 7 || got.Usage.TotalTokens != 14 || got.Usage.CompletionTokensDetails.ReasoningTokens != 3 {
		t.Fatalf("usage %+v", got.Usage)
	}
	oneSayHello(t, env, "gemini-4-argon", 64, 0.3)
}

func TestNodeOpenAIStream(t *testing.T) {
	env := nodeStreamHost(t, fakegemini.Usage{Prompt: 5, Candidates: 9})
	var got struct {
		Chunks            int
		ContentDeltas     int `json:"content_deltas"`
		Deltas, Content   string
		FinishReason      string `json:"finish_reason"`
		Model             string
		UsageChunkChoices *int `json:"usage_chunk_choices"`
		Usage             *struct {
			PromptTokens     int `json:"prompt_tokens"`
			CompletionTokens int `json:"completion_tokens"`
			TotalTokens      int `json:"total_tokens"`
		}
	}
	nodeOpenAI(t, env, "stream", &got)
	if got.Content != countToFive || got.Deltas != countToFive || got.FinishReason != "stop" || got.Model != "gemini-2.5-flash" {
		t.Fatalf("client saw %+v", got)
	}
	if got.ContentDeltas < 2 {
		t.Fatalf("%d content deltas: the stream was not translated event by event", got.ContentDeltas)
	}
	if got.Usage == nil || got.Usage.PromptTokens != 5 || got.Usage.CompletionTokens != 9 || got.Usage.TotalTokens != 14 ||
		got.UsageChunkChoices == nil || *got.UsageChunkChoices != 0 {
		t.Fatalf("usage chunk: %+v (choices %v)", got.Usage, got.UsageChunkChoices)
	}
	oneStream(t, env, "/v1beta/models/gemini-2.5-flash:streamGenerateContent", "AIzaNODEKEY")
}

func TestNodeOpenAITools(t *testing.T) {
	env := nodeHost(t)
	env.Fake.Enqueue("",
		fakegemini.Reply{Parts: []json.RawMessage{json.RawMessage(`{"functionCall":{"name":"get_weather","args":{"city":"Paris","unit":"c"}}}`)}},
		fakegemini.Reply{Text: "It is 21 °C in Paris."},
	)
	var got struct {
		FirstFinishReason string `json:"first_finish_reason"`
		ToolCalls         []struct {
			ID, Type, Name string
			Arguments      map[string]any
		} `json:"tool_calls"`
		FinalContent      string `json:"final_content"`
		FinalFinishReason string `json:"final_finish_reason"`
	}
	nodeOpenAI(t, env, "tools", &got)
	if got.FirstFinishReason != "tool_calls" || len(got.ToolCalls) != 1 || got.ToolCalls[0].Name != "get_weather" ||
		got.ToolCalls[0].Type != "function" || got.ToolCalls[0].ID == "" || got.ToolCalls[0].Arguments["city"] != "Paris" {
		t.Fatalf("first answer: %+v", got)
	}
	if got.FinalContent != "It is 21 °C in Paris." || got.FinalFinishReason != "stop" {
		t.Fatalf("final answer: %+v", got)
	}
	reqs := env.Fake.Requests()
	if len(reqs) != 2 {
		t.Fatalf("upstream saw %d requests", len(reqs))
	}
	for _, r := range reqs {
		upstreamKeyAndPath(t, r, "/v1beta/models/gemini-4-argon:generateContent", "AIzaNODEKEY")
	}
	var first struct {
		Tools []struct {
			FunctionDeclarations []struct{ Name string } `json:"functionDeclarations"`
		}
	}
	if err := json.Unmarshal(reqs[0].Body, &first); err != nil || len(first.Tools) != 1 || len(first.Tools[0].FunctionDeclarations) != 1 ||
		first.Tools[0].FunctionDeclarations[0].Name != "get_weather" {
		t.Fatalf("first upstream body %s", reqs[0].Body)
	}
	var second geminiRequestBody
	if err := json.Unmarshal(reqs[1].Body, &second); err != nil {
		t.Fatal(err)
	}
	c := second.Contents
	if len(c) != 3 || c[0].Role != "user" || c[1].Role != "model" || c[2].Role != "user" ||
		len(c[1].Parts) != 1 || c[1].Parts[0].FunctionCall == nil || c[1].Parts[0].FunctionCall.Name != "get_weather" ||
		c[1].Parts[0].FunctionCall.Args["city"] != "Paris" ||
		len(c[2].Parts) != 1 || c[2].Parts[0].FunctionResponse == nil || c[2].Parts[0].FunctionResponse.Name != "get_weather" {
		t.Fatalf("second upstream body: want user, model functionCall, user functionResponse turns; got %s", reqs[1].Body)
	}
	resp, _ := json.Marshal(c[2].Parts[0].FunctionResponse.Response)
	if !strings.Contains(string(resp), "21") || !strings.Contains(string(resp), "Paris") {
		t.Fatalf("functionResponse does not carry the tool result: %s", resp)
	}
}

func TestNodeOpenAIError(t *testing.T) {
	env := nodeHost(t)
	env.Fake.Enqueue("", fakegemini.Reply{Status: 429, RetryDelay: "23s"})
	var got struct {
		IsAPIError       bool `json:"is_api_error"`
		IsRateLimitError bool `json:"is_rate_limit_error"`
		Status           int
		Type, Message    string
		RetryAfter       string `json:"retry_after"`
	}
	nodeOpenAI(t, env, "error", &got)
	if !got.IsAPIError || !got.IsRateLimitError || got.Status != 429 || got.Type != "rate_limit_error" || got.RetryAfter != "23" {
		t.Fatalf("client saw %+v", got)
	}
	// maxRetries: 0, so exactly one upstream call.
	if reqs := env.Fake.Requests(); len(reqs) != 1 || reqs[0].Status != 429 {
		t.Fatalf("upstream saw %d requests", len(reqs))
	}
}
