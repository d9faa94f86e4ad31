package e2e_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/e2e/fakegemini"
	"github.com/gemini-code-api/gemini-code-api/e2e/harness"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/responses"
	"github.com/openai/openai-go/v3/shared"
)

// The Responses API (POST /v1/responses) with the official Go client.

func TestOpenAIResponsesText(t *testing.T) {
	harness.Each(t, "", func(t *testing.T, env *harness.Env) {
		env.Fake.Enqueue("", fakegemini.Reply{Text: "Bonjour le monde", Usage: &fakegemini.Usage{Prompt: 11, Candidates: 4, Thoughts: 2, Cached: 3}})
		c := openaiClient(env, "AIzaRESP")
		resp, err := c.Responses.New(ctx(t), responses.ResponseNewParams{
			Model:           "gemini-2.5-flash",
			Instructions:    openai.String("Answer in French."),
			Input:           responses.ResponseNewParamsInputUnion{OfString: openai.String("Say hello")},
			MaxOutputTokens: openai.Int(200),
			Temperature:     openai.Float(0.3),
			Store:           openai.Bool(false),
		})
		if err != nil {
			t.Fatal(err)
		}
		if resp.OutputText() != "Bonjour le monde" || resp.Status != responses.ResponseStatusCompleted || resp.Model != "gemini-2.5-flash" || !strings.HasPrefix(resp.ID, "resp_") {
			t.Fatalf("response: %s", resp.RawJSON())
		}
		u := resp.Usage
		if u.InputTokens != 11 || u.OutputTokens != 6 || u.InputTokensDetails.CachedTokens != 3 || u.OutputTokensDetails.ReasoningTokens != 2 || u.TotalTokens != 17 {
			t.Fatalf("usage %+v", u)
		}
		r, body := oaToolsUpstream(t, env, -1)
		upstreamKeyAndPath(t, r, "/v1beta/models/gemini-2.5-flash:generateContent", "AIzaRESP")
		if body.GenerationConfig == nil || !strings.Contains(string(r.Body), `"systemInstruction":{"parts":[{"text":"Answer in French."}]}`) ||
			!strings.Contains(string(r.Body), `"maxOutputTokens":200`) {
			t.Fatalf("upstream body %s", r.Body)
		}
	})
}

func TestOpenAIResponsesStream(t *testing.T) {
	harness.Each(t, "", func(t *testing.T, env *harness.Env) {
		env.Fake.Enqueue("", fakegemini.Reply{
			Parts: []json.RawMessage{json.RawMessage(`{"text":"Counting.","thought":true}`)},
			Text:  "one two three four",
		})
		c := openaiClient(env, "K")
		stream := c.Responses.NewStreaming(ctx(t), responses.ResponseNewParams{
			Model:     "gemini-3-flash-preview",
			Input:     responses.ResponseNewParamsInputUnion{OfString: openai.String("Count to four")},
			Reasoning: shared.ReasoningParam{Effort: shared.ReasoningEffortLow, Summary: shared.ReasoningSummaryAuto},
			Include:   []responses.ResponseIncludable{responses.ResponseIncludableReasoningEncryptedContent},
		})
		var kinds []string
		var deltas, summary strings.Builder
		var final responses.Response
		seq := int64(-1)
		for stream.Next() {
			ev := stream.Current()
			if ev.SequenceNumber != seq+1 {
				t.Fatalf("sequence_number %d after %d", ev.SequenceNumber, seq)
			}
			seq = ev.SequenceNumber
			kinds = append(kinds, ev.Type)
			switch ev.Type {
			case "response.output_text.delta":
				deltas.WriteString(ev.Delta)
			case "response.reasoning_summary_text.delta":
				summary.WriteString(ev.Delta)
			case "response.completed":
				final = ev.Response
			}
		}
		if err := stream.Err(); err != nil {
			t.Fatal(err)
		}
		if kinds[0] != "response.created" || kinds[1] != "response.in_progress" || kinds[len(kinds)-1] != "response.completed" {
			t.Fatalf("events %v", kinds)
		}
		// The fake splits the text over several events; each is one delta.
		if n := strings.Count(strings.Join(kinds, " "), "response.output_text.delta"); n < 2 {
			t.Fatalf("%d text deltas: %v", n, kinds)
		}
		if deltas.String() != "one two three four" || summary.String() != "Counting." || final.OutputText() != "one two three four" {
			t.Fatalf("deltas %q summary %q final %s", deltas.String(), summary.String(), final.RawJSON())
		}
		// Gemini 3 signed the text: it rides in a reasoning item.
		var carried bool
		for _, item := range final.Output {
			if r := item.AsReasoning(); item.Type == "reasoning" && strings.HasPrefix(r.EncryptedContent, "gsig1.tx.") {
				carried = true
			}
		}
		if !carried {
			t.Fatalf("no reasoning item carries the text's signature: %s", final.RawJSON())
		}
	})
}

// A tool loop on Gemini 3 with the client's own bookkeeping: the output
// items of each response go back as input. The fake Gemini checks the
// thought signatures, so the loop works only if they survive the client.
func TestOpenAIResponsesFunctionLoop(t *testing.T) {
	harness.Each(t, "", func(t *testing.T, env *harness.Env) {
		const model = "gemini-3-pro-preview"
		env.Fake.Enqueue("",
			fakegemini.Reply{Parts: []json.RawMessage{oaToolsCall("get_weather", `{"city":"Paris"}`), oaToolsCall("get_weather", `{"city":"Rome"}`)}},
			fakegemini.Reply{Parts: []json.RawMessage{oaToolsCall("get_weather", `{"city":"London"}`)}},
			fakegemini.Reply{Text: "Paris 18, Rome 25, London 12."},
		)
		c := openaiClient(env, "K")
		tools := []responses.ToolUnionParam{{OfFunction: &responses.FunctionToolParam{
			Name:        "get_weather",
			Description: openai.String("Current weather of a city"),
			Strict:      openai.Bool(true),
			Parameters: map[string]any{
				"type": "object", "additionalProperties": false,
				"properties": map[string]any{"city": map[string]any{"type": "string"}},
				"required":   []string{"city"},
			},
		}}}
		input := responses.ResponseInputParam{responses.ResponseInputItemParamOfMessage("Weather in Paris and Rome, then London?", responses.EasyInputMessageRoleUser)}
		temps := map[string]string{"Paris": "18", "Rome": "25", "London": "12"}
		var answer string
		for step := 0; step < 3; step++ {
			resp, err := c.Responses.New(ctx(t), responses.ResponseNewParams{
				Model: model, Tools: tools, Store: openai.Bool(false),
				Input:   responses.ResponseNewParamsInputUnion{OfInputItemList: input},
				Include: []responses.ResponseIncludable{responses.ResponseIncludableReasoningEncryptedContent},
			})
			if err != nil {
				t.Fatalf("step %d: %v", step, err)
			}
			calls := 0
			for _, item := range resp.Output {
				switch item.Type {
				case "function_call":
					fc := item.AsFunctionCall()
					var args struct{ City string }
					if err := json.Unmarshal([]byte(fc.Arguments), &args); err != nil || temps[args.City] == "" {
						t.Fatalf("step %d: arguments %q", step, fc.Arguments)
					}
					input = append(input, responses.ResponseInputItemUnionParam{OfFunctionCall: new(fc.ToParam())})
					out := responses.ResponseInputItemParamOfFunctionCallOutput(`{"temp_c":` + temps[args.City] + `}`)
					out.OfFunctionCallOutput.CallID = openai.String(fc.CallID)
					input = append(input, out)
					calls++
				case "reasoning":
					input = append(input, responses.ResponseInputItemUnionParam{OfReasoning: new(item.AsReasoning().ToParam())})
				case "message":
					input = append(input, responses.ResponseInputItemUnionParam{OfOutputMessage: new(item.AsMessage().ToParam())})
				}
			}
			if calls == 0 {
				answer = resp.OutputText()
				break
			}
		}
		if answer != "Paris 18, Rome 25, London 12." {
			t.Fatalf("answer %q", answer)
		}
		// The last request replays both steps with their signatures.
		_, body := oaToolsUpstream(t, env, -1)
		var signed int
		for _, c := range body.Contents {
			for _, p := range c.Parts {
				if p.FunctionCall != nil && p.ThoughtSignature != "" {
					signed++
				}
			}
		}
		if signed != 2 || body.ToolConfig == nil || body.ToolConfig.FunctionCallingConfig.Mode != "VALIDATED" {
			t.Fatalf("last request: %d signed calls, tool config %+v", signed, body.ToolConfig)
		}
	})
}

func TestOpenAIResponsesStructuredOutput(t *testing.T) {
	harness.Each(t, "", func(t *testing.T, env *harness.Env) {
		env.Fake.Enqueue("", fakegemini.Reply{Text: `{"city":"Paris","temp_c":18}`})
		c := openaiClient(env, "K")
		resp, err := c.Responses.New(ctx(t), responses.ResponseNewParams{
			Model: "gemini-2.5-pro",
			Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("Weather in Paris as JSON")},
			Text: responses.ResponseTextConfigParam{Format: responses.ResponseFormatTextConfigUnionParam{OfJSONSchema: &responses.ResponseFormatTextJSONSchemaConfigParam{
				Name:   "weather",
				Strict: openai.Bool(true),
				Schema: map[string]any{
					"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object", "additionalProperties": false,
					"properties": map[string]any{"city": map[string]any{"type": "string"}, "temp_c": map[string]any{"type": "integer"}},
					"required":   []string{"city", "temp_c"},
				},
			}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			City  string
			TempC int `json:"temp_c"`
		}
		if err := json.Unmarshal([]byte(resp.OutputText()), &got); err != nil || got.City != "Paris" || got.TempC != 18 {
			t.Fatalf("output %q", resp.OutputText())
		}
		_, body := oaToolsUpstream(t, env, -1)
		gc := body.GenerationConfig
		if gc == nil || gc.ResponseMimeType != "application/json" || !strings.Contains(string(gc.ResponseJSONSchema), `"temp_c"`) || strings.Contains(string(gc.ResponseJSONSchema), "$schema") {
			t.Fatalf("generationConfig %+v", gc)
		}
	})
}

// Errors: Gemini's status reaches the client in OpenAI's shape, as for chat
// completions; a stateful request is refused before Gemini is called.
func TestOpenAIResponsesErrors(t *testing.T) {
	harness.Each(t, "", func(t *testing.T, env *harness.Env) {
		env.Fake.Enqueue("", fakegemini.Reply{Status: 429, RetryDelay: "3s"})
		c := openaiClient(env, "K")
		params := responses.ResponseNewParams{Model: "gemini-2.5-flash", Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("x")}}
		_, err := c.Responses.New(ctx(t), params)
		var apiErr *openai.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusTooManyRequests || apiErr.Type != "rate_limit_error" || apiErr.Response.Header.Get("retry-after") != "3" {
			t.Fatalf("429: %v", err)
		}
		before := len(env.Fake.Requests())
		params.PreviousResponseID = openai.String("resp_earlier")
		_, err = c.Responses.New(ctx(t), params)
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Param != "previous_response_id" || len(env.Fake.Requests()) != before {
			t.Fatalf("previous_response_id: %v", err)
		}
	})
}
