package e2e_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/gemini-code-api/gemini-code-api/e2e/fakegemini"
	"github.com/gemini-code-api/gemini-code-api/e2e/harness"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/responses"
	"github.com/tidwall/gjson"
)

// Web search on Gemini's Google Search with the official Go SDKs: the
// strict fake Gemini grounds an answer only when the request enabled
// googleSearch, so every assertion on sources and citations proves the tool
// was sent; the answer's text has multi-byte characters before and inside
// the cited spans, so character offsets are checked against byte offsets.

const (
	searchText = "Der Zürichsee ist etwa 40 km lang. Sein Wasser 🌊 ist sehr sauber."
	searchURIA = "https://vertexaisearch.cloud.google.com/grounding-api-redirect/AWQVqAKa1"
	searchURIB = "https://vertexaisearch.cloud.google.com/grounding-api-redirect/AWQVqAKb2"
)

func searchReply() fakegemini.Reply {
	return fakegemini.Reply{
		Text: searchText,
		Grounding: fakegemini.GroundingFor(searchText, []string{"Zürichsee Länge", "Zürichsee Wasserqualität"},
			[]fakegemini.Source{{URI: searchURIA, Title: "wikipedia.org"}, {URI: searchURIB, Title: "zuerich.com"}},
			fakegemini.Support{Text: "Der Zürichsee ist etwa 40 km lang.", Sources: []int{0}},
			fakegemini.Support{Text: "Sein Wasser 🌊 ist sehr sauber.", Sources: []int{1}}),
		EventDelay: 2 * time.Millisecond,
	}
}

// checkSearchUpstream asserts the upstream request enabled Google Search.
func checkSearchUpstream(t *testing.T, r fakegemini.Request) {
	t.Helper()
	if r.Status != 200 || !strings.Contains(string(r.Body), `{"googleSearch":{}}`) {
		t.Fatalf("upstream %s answered %d: %s", r.Path, r.Status, r.Body)
	}
}

func TestAnthropicWebSearch(t *testing.T) {
	harness.Each(t, "", func(t *testing.T, env *harness.Env) {
		c := anthropicClient(env, "K")
		params := anthropic.MessageNewParams{
			Model:     "claude-haiku-4-5",
			MaxTokens: 1024,
			Tools: []anthropic.ToolUnionParam{{OfWebSearchTool20250305: &anthropic.WebSearchTool20250305Param{
				MaxUses: anthropic.Int(5), UserLocation: anthropic.UserLocationParam{City: anthropic.String("Zürich"), Country: anthropic.String("CH")}}}},
			Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Wie lang ist der Zürichsee?"))},
		}
		check := func(t *testing.T, m *anthropic.Message) {
			t.Helper()
			var types []string
			for _, b := range m.Content {
				types = append(types, b.Type)
			}
			if len(m.Content) != 4 {
				t.Fatalf("content %v: %s", types, m.RawJSON())
			}
			var text anthropic.ContentBlockUnion
			for _, b := range m.Content {
				switch b.Type {
				case "server_tool_use":
					if b.Name != "web_search" || !strings.HasPrefix(b.ID, "srvtoolu_") || !strings.HasPrefix(gjson.GetBytes(b.Input, "query").String(), "Zürichsee") {
						t.Fatalf("server_tool_use %s", b.RawJSON())
					}
				case "web_search_tool_result":
					results := b.Content.AsWebSearchResultBlockArray()
					if len(results) != 2 || results[0].URL != searchURIA || results[1].Title != "zuerich.com" || results[0].EncryptedContent == "" {
						t.Fatalf("results %s", b.RawJSON())
					}
				case "text":
					text = b
				}
			}
			if text.Text != searchText || len(text.Citations) != 2 {
				t.Fatalf("text block %s", text.RawJSON())
			}
			if c := text.Citations[1]; c.Type != "web_search_result_location" || c.URL != searchURIB || c.Title != "zuerich.com" || c.CitedText != "Sein Wasser 🌊 ist sehr sauber." {
				t.Fatalf("citation %s", c.RawJSON())
			}
			if m.Usage.ServerToolUse.WebSearchRequests != 2 {
				t.Fatalf("usage %s", m.Usage.RawJSON())
			}
		}
		env.Fake.Enqueue("", searchReply(), searchReply())
		whole, err := c.Messages.New(ctx(t), params)
		if err != nil {
			t.Fatal(err)
		}
		check(t, whole)
		r := lastRequest(t, env)
		checkSearchUpstream(t, r)
		if !strings.Contains(string(r.Body), "approximate location, for searches where it matters: Zürich, CH") {
			t.Fatalf("no location hint: %s", r.Body)
		}
		check(t, accumulateStream(t, c, params))

		// The answer sent back as history: Gemini accepts what it becomes.
		env.Fake.Enqueue("", fakegemini.Reply{Text: "Gern."})
		params.Messages = append(params.Messages, whole.ToParam(), anthropic.NewUserMessage(anthropic.NewTextBlock("Danke!")))
		next, err := c.Messages.New(ctx(t), params)
		if err != nil {
			t.Fatal(err)
		}
		r = lastRequest(t, env)
		if next.Content[0].Text != "Gern." || !strings.Contains(string(r.Body), `Web search for \"Zürichsee Länge\", \"Zürichsee Wasserqualität\", results:\n- wikipedia.org `+searchURIA) {
			t.Fatalf("history request: %s", r.Body)
		}
	})
}

// Custom tools with web search: Gemini 3 combines them (and returns its
// search's records, which are not content); Gemini 2.5 cannot, so the
// custom tools are kept, search left out, and the response says so.
func TestAnthropicWebSearchWithFunctions(t *testing.T) {
	harness.Each(t, `{"models":{"claude-g3":"gemini-3-pro-preview","claude-g25":"gemini-2.5-pro"}}`, func(t *testing.T, env *harness.Env) {
		body := func(model string) string {
			return `{"model":"` + model + `","max_tokens":100,"messages":[{"role":"user","content":"Wetter in Zürich?"}],
				"tools":[{"name":"get_weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}},{"type":"web_search_20260209","name":"web_search"}]}`
		}
		post := func(model string) (*http.Response, string) {
			req, _ := http.NewRequest("POST", env.URL+"/v1/messages", strings.NewReader(body(model)))
			req.Header.Set("x-api-key", "K")
			req.Header.Set("anthropic-version", "2023-06-01")
			req.Header.Set("content-type", "application/json")
			resp, err := anthropicHTTP.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp, string(b)
		}
		reply := searchReply()
		reply.Parts = rawParts(`{"functionCall":{"name":"get_weather","args":{"city":"Zürich"}}}`)
		env.Fake.Enqueue("", reply, fakegemini.Reply{Text: "ok"})
		resp, out := post("claude-g3")
		r := lastRequest(t, env)
		checkSearchUpstream(t, r)
		if resp.StatusCode != 200 || resp.Header.Get("x-gemini-code-api-notice") != "" || !strings.Contains(string(r.Body), `"includeServerSideToolInvocations":true`) {
			t.Fatalf("Gemini 3: %d %v %s\nupstream %s", resp.StatusCode, resp.Header, out, r.Body)
		}
		// The fake signed its search's toolCall part; the call's id carries
		// the signature, as for a text part's.
		calls := gjson.Get(out, `content.#(type=="tool_use")#`).Array()
		if len(calls) != 1 || !strings.Contains(calls[0].Get("id").String(), "__ts_") || gjson.Get(out, `content.#(type=="web_search_tool_result")`).Raw == "" {
			t.Fatalf("Gemini 3 answer %s", out)
		}
		resp, out = post("claude-g25")
		r = lastRequest(t, env)
		if resp.StatusCode != 200 || strings.Contains(string(r.Body), "googleSearch") ||
			!strings.Contains(resp.Header.Get("x-gemini-code-api-notice"), "gemini-2.5-pro cannot combine Google Search") {
			t.Fatalf("Gemini 2.5: %d %v %s\nupstream %s", resp.StatusCode, resp.Header, out, r.Body)
		}
	})
}

func TestOpenAIChatWebSearch(t *testing.T) {
	harness.Each(t, "", func(t *testing.T, env *harness.Env) {
		env.Fake.Enqueue("", searchReply())
		c := openaiClient(env, "K")
		resp, err := c.Chat.Completions.New(ctx(t), openai.ChatCompletionNewParams{
			Model:            "gemini-2.5-flash",
			Messages:         []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Wie lang ist der Zürichsee?")},
			WebSearchOptions: openai.ChatCompletionNewParamsWebSearchOptions{SearchContextSize: "low"},
		})
		if err != nil {
			t.Fatal(err)
		}
		checkSearchUpstream(t, lastRequest(t, env))
		m := resp.Choices[0].Message
		if m.Content != searchText || len(m.Annotations) != 2 {
			t.Fatalf("message %s", m.RawJSON())
		}
		// Character offsets (code points): the second sentence is bytes
		// 36..69 of the UTF-8 text.
		a := m.Annotations[1].URLCitation
		if a.URL != searchURIB || a.Title != "zuerich.com" || a.StartIndex != 35 || a.EndIndex != 65 ||
			string([]rune(m.Content)[a.StartIndex:a.EndIndex]) != "Sein Wasser 🌊 ist sehr sauber." {
			t.Fatalf("annotation %s", m.Annotations[1].RawJSON())
		}
	})
}

func TestOpenAIResponsesWebSearch(t *testing.T) {
	harness.Each(t, "", func(t *testing.T, env *harness.Env) {
		c := openaiClient(env, "K")
		params := responses.ResponseNewParams{
			Model: "gemini-2.5-flash",
			Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("Wie lang ist der Zürichsee?")},
			Tools: []responses.ToolUnionParam{{OfWebSearch: &responses.WebSearchToolParam{Type: responses.WebSearchToolTypeWebSearch}}},
		}
		check := func(t *testing.T, resp *responses.Response) {
			t.Helper()
			var search responses.ResponseFunctionWebSearch
			var text responses.ResponseOutputText
			for _, item := range resp.Output {
				switch item.Type {
				case "web_search_call":
					search = item.AsWebSearchCall()
				case "message":
					text = item.AsMessage().Content[0].AsOutputText()
				}
			}
			if search.Status != "completed" || len(search.Action.Queries) != 2 || len(search.Action.Sources) != 2 || search.Action.Sources[1].URL != searchURIB {
				t.Fatalf("web_search_call in %s", resp.RawJSON())
			}
			if text.Text != searchText || len(text.Annotations) != 2 {
				t.Fatalf("output_text in %s", resp.RawJSON())
			}
			if a := text.Annotations[1]; a.Type != "url_citation" || a.URL != searchURIB || a.StartIndex != 35 || a.EndIndex != 65 {
				t.Fatalf("annotation %s", a.RawJSON())
			}
		}
		env.Fake.Enqueue("", searchReply(), searchReply())
		resp, err := c.Responses.New(ctx(t), params)
		if err != nil {
			t.Fatal(err)
		}
		checkSearchUpstream(t, lastRequest(t, env))
		check(t, resp)

		stream := c.Responses.NewStreaming(ctx(t), params)
		var kinds []string
		var final responses.Response
		annotations := 0
		for stream.Next() {
			ev := stream.Current()
			kinds = append(kinds, ev.Type)
			switch ev.Type {
			case "response.output_text.annotation.added":
				annotations++
			case "response.completed":
				final = ev.Response
			}
		}
		if err := stream.Err(); err != nil {
			t.Fatal(err)
		}
		got := strings.Join(kinds, " ")
		if annotations != 2 || !strings.Contains(got, "response.web_search_call.in_progress response.web_search_call.searching response.web_search_call.completed") {
			t.Fatalf("events %s", got)
		}
		check(t, &final)

		// Replayed as input (as Codex does), the items are accepted.
		env.Fake.Enqueue("", fakegemini.Reply{Text: "Gern."})
		var input []responses.ResponseInputItemUnionParam
		input = append(input, responses.ResponseInputItemParamOfMessage("Wie lang ist der Zürichsee?", responses.EasyInputMessageRoleUser))
		for _, item := range resp.Output {
			var p responses.ResponseInputItemUnionParam
			if err := json.Unmarshal([]byte(item.RawJSON()), &p); err != nil {
				t.Fatal(err)
			}
			input = append(input, p)
		}
		input = append(input, responses.ResponseInputItemParamOfMessage("Danke!", responses.EasyInputMessageRoleUser))
		params.Input = responses.ResponseNewParamsInputUnion{OfInputItemList: input}
		next, err := c.Responses.New(ctx(t), params)
		if err != nil {
			t.Fatal(err)
		}
		if r := lastRequest(t, env); next.OutputText() != "Gern." || !strings.Contains(string(r.Body), `Web search for \"Zürichsee Länge\", \"Zürichsee Wasserqualität\", sources:`) {
			t.Fatalf("history request %s", r.Body)
		}
	})
}
