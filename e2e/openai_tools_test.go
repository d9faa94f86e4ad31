package e2e_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/e2e/fakegemini"
	"github.com/gemini-code-api/gemini-code-api/e2e/harness"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
	"github.com/tidwall/gjson"
)

// oaToolsReq is the part of an upstream GenerateContentRequest these tests
// look at.
type oaToolsReq struct {
	Contents []oaToolsContent
	Tools    []struct {
		FunctionDeclarations []struct {
			Name                 string
			ParametersJSONSchema json.RawMessage `json:"parametersJsonSchema"`
		}
	}
	ToolConfig *struct {
		FunctionCallingConfig struct{ Mode string }
	}
	GenerationConfig *struct {
		ResponseMimeType   string
		ResponseJSONSchema json.RawMessage `json:"responseJsonSchema"`
		CandidateCount     int
		ThinkingConfig     *struct {
			IncludeThoughts bool
			ThinkingBudget  *int
			ThinkingLevel   string
		}
	}
}

type oaToolsContent struct {
	Role  string
	Parts []oaToolsPart
}

type oaToolsPart struct {
	Text             *string
	Thought          bool
	ThoughtSignature string
	InlineData       *struct{ MimeType, Data string }
	FileData         *struct {
		MimeType string
		FileURI  string `json:"fileUri"`
	}
	FunctionCall *struct {
		Name string
		Args map[string]any
	}
	FunctionResponse *struct {
		Name     string
		Response map[string]any
	}
}

// oaToolsUpstream decodes the i-th request the fake received (negative i
// counts from the end).
func oaToolsUpstream(t *testing.T, env *harness.Env, i int) (fakegemini.Request, oaToolsReq) {
	t.Helper()
	reqs := env.Fake.Requests()
	if i < 0 {
		i += len(reqs)
	}
	if i < 0 || i >= len(reqs) {
		t.Fatalf("upstream request %d of %d", i, len(reqs))
	}
	var body oaToolsReq
	if err := json.Unmarshal(reqs[i].Body, &body); err != nil {
		t.Fatalf("upstream body %d: %v\n%s", i, err, reqs[i].Body)
	}
	return reqs[i], body
}

// oaToolsClient is the client the tool tests share.
func oaToolsClient(env *harness.Env) openai.Client {
	return openaiClient(env, "K")
}

func oaToolsCall(name, args string) json.RawMessage {
	return json.RawMessage(`{"functionCall":{"name":"` + name + `","args":` + args + `}}`)
}

// oaToolsDecls are two tools with the JSON-Schema keywords real clients send
// ($schema, additionalProperties:false, const, type arrays, nested objects);
// none of it may cause a Gemini 400.
func oaToolsDecls() []openai.ChatCompletionToolUnionParam {
	return []openai.ChatCompletionToolUnionParam{
		openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
			Name:        "get_weather",
			Description: openai.String("Current weather of a city"),
			Strict:      openai.Bool(true),
			Parameters: shared.FunctionParameters{
				"$schema":              "http://json-schema.org/draft-07/schema#",
				"type":                 "object",
				"additionalProperties": false,
				"properties": map[string]any{
					"city": map[string]any{"type": "string", "description": "City name"},
					"unit": map[string]any{"type": []string{"string", "null"}, "enum": []any{"c", "f", nil}},
					"kind": map[string]any{"const": "current"},
					"options": map[string]any{
						"type":                 "object",
						"additionalProperties": false,
						"properties":           map[string]any{"detail": map[string]any{"type": []string{"boolean", "null"}}},
						"required":             []string{"detail"},
					},
				},
				"required": []string{"city", "unit", "kind", "options"},
			},
		}),
		openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
			Name:        "get_time",
			Description: openai.String("Local time in a time zone"),
			Parameters: shared.FunctionParameters{
				"$schema":              "https://json-schema.org/draft/2020-12/schema",
				"type":                 "object",
				"additionalProperties": false,
				"properties":           map[string]any{"tz": map[string]any{"type": "string", "pattern": "^[A-Za-z_/]+$"}},
				"required":             []string{"tz"},
			},
		}),
	}
}

// oaToolsArgs parses a tool call's arguments: they must be a JSON string
// holding an object.
func oaToolsArgs(t *testing.T, tc openai.ChatCompletionMessageToolCallUnion) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(tc.Function.Arguments), &m); err != nil {
		t.Fatalf("arguments of %s are not a JSON object string: %q", tc.Function.Name, tc.Function.Arguments)
	}
	return m
}

// oaToolsCheckSchemas: every declaration went as parametersJsonSchema
// without the keywords Gemini rejects.
func oaToolsCheckSchemas(t *testing.T, body oaToolsReq) {
	t.Helper()
	if len(body.Tools) != 1 || len(body.Tools[0].FunctionDeclarations) != 2 {
		t.Fatalf("tools upstream: %+v", body.Tools)
	}
	for _, d := range body.Tools[0].FunctionDeclarations {
		s := string(d.ParametersJSONSchema)
		if s == "" {
			t.Fatalf("%s: no parametersJsonSchema", d.Name)
		}
		for _, bad := range []string{`"$schema"`, `"const"`} {
			if strings.Contains(s, bad) {
				t.Fatalf("%s: parametersJsonSchema still has %s: %s", d.Name, bad, s)
			}
		}
		var root map[string]any
		if err := json.Unmarshal(d.ParametersJSONSchema, &root); err != nil || root["type"] != "object" {
			t.Fatalf("%s: root schema %s", d.Name, s)
		}
		if d.Name == "get_weather" {
			// const "current" must survive as a one-value enum.
			kind, _ := root["properties"].(map[string]any)["kind"].(map[string]any)
			if e, _ := kind["enum"].([]any); len(e) != 1 || e[0] != "current" {
				t.Fatalf("const not kept as enum: %s", s)
			}
		}
	}
}

// A Gemini 3 tool loop: two parallel calls, a sequential call, then text.
// Every step passes the fake's thought-signature check only if the gateway
// carried the signatures through the client.
func TestOpenAIToolsMultiStepGemini3(t *testing.T) {
	harness.Each(t, "", func(t *testing.T, env *harness.Env) {
		const model = "gemini-3-pro-preview"
		c := oaToolsClient(env)
		params := openai.ChatCompletionNewParams{
			Model: model,
			Messages: []openai.ChatCompletionMessageParamUnion{
				openai.SystemMessage("You are a travel assistant."),
				openai.UserMessage("Weather and time in Paris, then London's weather."),
			},
			Tools: oaToolsDecls(),
		}
		seenIDs := map[string]bool{}
		checkIDs := func(calls []openai.ChatCompletionMessageToolCallUnion) {
			t.Helper()
			for _, tc := range calls {
				if tc.ID == "" || seenIDs[tc.ID] {
					t.Fatalf("tool call id %q empty or reused (seen %v)", tc.ID, seenIDs)
				}
				if tc.Type != "function" {
					t.Fatalf("tool call type %q", tc.Type)
				}
				seenIDs[tc.ID] = true
			}
		}

		// Step 1: two parallel calls.
		env.Fake.Enqueue("", fakegemini.Reply{Parts: []json.RawMessage{
			oaToolsCall("get_weather", `{"city":"Paris","unit":"c","kind":"current","options":{"detail":true}}`),
			oaToolsCall("get_time", `{"tz":"Europe/Paris"}`),
		}})
		r1, err := c.Chat.Completions.New(ctx(t), params)
		if err != nil {
			t.Fatal(err)
		}
		m1 := r1.Choices[0].Message
		if len(r1.Choices) != 1 || r1.Choices[0].FinishReason != "tool_calls" || len(m1.ToolCalls) != 2 || m1.Content != "" {
			t.Fatalf("step 1: %s", r1.RawJSON())
		}
		checkIDs(m1.ToolCalls)
		if a := oaToolsArgs(t, m1.ToolCalls[0]); m1.ToolCalls[0].Function.Name != "get_weather" || a["city"] != "Paris" || a["options"].(map[string]any)["detail"] != true {
			t.Fatalf("call 0: %+v", m1.ToolCalls[0].Function)
		}
		if a := oaToolsArgs(t, m1.ToolCalls[1]); m1.ToolCalls[1].Function.Name != "get_time" || a["tz"] != "Europe/Paris" {
			t.Fatalf("call 1: %+v", m1.ToolCalls[1].Function)
		}
		if raw := gjson.Get(r1.RawJSON(), "choices.0.message.tool_calls.1.function.arguments"); raw.Type != gjson.String {
			t.Fatalf("arguments are not a JSON string on the wire: %s", raw.Raw)
		}

		// Step 2: the client sends the assistant message as returned and both
		// results; Gemini calls one more tool.
		params.Messages = append(params.Messages, m1.ToParam(),
			openai.ToolMessage(`{"temp_c":21,"sky":"clear"}`, m1.ToolCalls[0].ID),
			// a result as text parts: joined into one string
			openai.ToolMessage([]openai.ChatCompletionContentPartTextParam{{Text: "14:"}, {Text: "05"}}, m1.ToolCalls[1].ID))
		env.Fake.Enqueue("", fakegemini.Reply{Parts: []json.RawMessage{
			oaToolsCall("get_weather", `{"city":"London","unit":null,"kind":"current","options":{"detail":false}}`),
		}})
		r2, err := c.Chat.Completions.New(ctx(t), params)
		if err != nil {
			t.Fatalf("step 2: %v", err)
		}
		m2 := r2.Choices[0].Message
		if r2.Choices[0].FinishReason != "tool_calls" || len(m2.ToolCalls) != 1 {
			t.Fatalf("step 2: %s", r2.RawJSON())
		}
		checkIDs(m2.ToolCalls)
		if a := oaToolsArgs(t, m2.ToolCalls[0]); a["city"] != "London" || a["unit"] != nil {
			t.Fatalf("step 2 call: %+v", m2.ToolCalls[0].Function)
		}

		// Step 3: the last result; Gemini answers with text.
		params.Messages = append(params.Messages, m2.ToParam(),
			openai.ToolMessage(`{"temp_c":12,"sky":"rain"}`, m2.ToolCalls[0].ID))
		env.Fake.Enqueue("", fakegemini.Reply{Text: "Paris: 21°C and clear at 14:05; London: 12°C and rain."})
		r3, err := c.Chat.Completions.New(ctx(t), params)
		if err != nil {
			t.Fatalf("step 3: %v", err)
		}
		if r3.Choices[0].FinishReason != "stop" || r3.Choices[0].Message.Content != "Paris: 21°C and clear at 14:05; London: 12°C and rain." ||
			len(r3.Choices[0].Message.ToolCalls) != 0 {
			t.Fatalf("step 3: %s", r3.RawJSON())
		}

		// Upstream: every request accepted, the issued signatures sent back
		// on the first call of each step, results grouped after their calls.
		reqs := env.Fake.Requests()
		if len(reqs) != 3 {
			t.Fatalf("%d upstream requests", len(reqs))
		}
		for i, r := range reqs {
			if r.Status != http.StatusOK || r.Path != "/v1beta/models/"+model+":generateContent" {
				t.Fatalf("upstream %d: %s → %d", i, r.Path, r.Status)
			}
		}
		sigs := env.Fake.IssuedSignatures()
		if len(sigs) < 2 {
			t.Fatalf("fake issued %d signatures", len(sigs))
		}
		_, b0 := oaToolsUpstream(t, env, 0)
		oaToolsCheckSchemas(t, b0)
		for i := range 3 {
			_, b := oaToolsUpstream(t, env, i)
			if len(b.Tools) != 1 {
				t.Fatalf("request %d lost the tools", i)
			}
		}
		_, b2 := oaToolsUpstream(t, env, 1)
		oaToolsCheckStep(t, b2.Contents[1:3], sigs[0], []string{"get_weather", "get_time"})
		if len(b2.Contents) != 3 || b2.Contents[0].Role != "user" {
			t.Fatalf("step 2 contents: %s", reqs[1].Body)
		}
		if out := b2.Contents[2].Parts[1].FunctionResponse.Response["output"]; out != "14:05" {
			t.Fatalf("string result: %v", out)
		}
		if out, _ := b2.Contents[2].Parts[0].FunctionResponse.Response["output"].(map[string]any); out["sky"] != "clear" {
			t.Fatalf("JSON result not sent as a value: %s", reqs[1].Body)
		}
		_, b3 := oaToolsUpstream(t, env, 2)
		if len(b3.Contents) != 5 {
			t.Fatalf("step 3 contents: %s", reqs[2].Body)
		}
		oaToolsCheckStep(t, b3.Contents[1:3], sigs[0], []string{"get_weather", "get_time"})
		oaToolsCheckStep(t, b3.Contents[3:5], sigs[1], []string{"get_weather"})
	})
}

// oaToolsCheckStep checks a model call turn and the user turn after it: the
// signature sits on the first functionCall only, and the functionResponse
// parts come in one content, in order, with names resolved from the ids.
func oaToolsCheckStep(t *testing.T, step []oaToolsContent, sig string, names []string) {
	t.Helper()
	call, resp := step[0], step[1]
	if call.Role != "model" || resp.Role != "user" || len(call.Parts) != len(names) || len(resp.Parts) != len(names) {
		t.Fatalf("step %v: call turn %+v, response turn %+v", names, call, resp)
	}
	for i, p := range call.Parts {
		if p.FunctionCall == nil || p.FunctionCall.Name != names[i] {
			t.Fatalf("call part %d: %+v", i, p)
		}
		want := ""
		if i == 0 {
			want = sig
		}
		if p.ThoughtSignature != want {
			t.Fatalf("call part %d (%s): signature %q, want %q", i, names[i], p.ThoughtSignature, want)
		}
	}
	for i, p := range resp.Parts {
		if p.FunctionResponse == nil || p.FunctionResponse.Name != names[i] {
			t.Fatalf("response part %d: %+v", i, p)
		}
	}
}

// The first step streamed: parallel calls arrive one per upstream event and
// must keep indexes 0 and 1, with whole arguments; the accumulated message
// sent back passes the signature check.
func TestOpenAIToolsStreamedGemini3(t *testing.T) {
	harness.Each(t, "", func(t *testing.T, env *harness.Env) {
		t.Run("one call per upstream event", func(t *testing.T) {
			env.Fake.Reset()
			env.Fake.Enqueue("", fakegemini.Reply{Text: "Checking both.", Parts: []json.RawMessage{
				oaToolsCall("get_weather", `{"city":"Paris","unit":"c","kind":"current","options":{"detail":true}}`),
				oaToolsCall("get_time", `{"tz":"Europe/Paris"}`),
			}})
			oaToolsStreamedStep(t, env, func() string { return env.Fake.IssuedSignatures()[0] })
		})
		t.Run("parallel calls in one upstream event", func(t *testing.T) {
			env.Fake.Reset()
			// Standard base64 with padding: it must survive the id round trip
			// byte for byte.
			const sig = "c2lnbmF0dXJlLWZvci1wYXJhbGxlbC1jYWxscw=="
			env.Fake.Enqueue("", fakegemini.Reply{Events: []string{
				`{"candidates":[{"content":{"role":"model","parts":[{"text":"Checking both."}]},"index":0}],"usageMetadata":{"promptTokenCount":30,"totalTokenCount":30},"modelVersion":"gemini-3-pro-preview","responseId":"r1"}`,
				`{"candidates":[{"content":{"role":"model","parts":[` +
					`{"functionCall":{"name":"get_weather","args":{"city":"Paris","unit":"c","kind":"current","options":{"detail":true}}},"thoughtSignature":"` + sig + `"},` +
					`{"functionCall":{"name":"get_time","args":{"tz":"Europe/Paris"}}}` +
					`]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":30,"candidatesTokenCount":20,"totalTokenCount":50},"modelVersion":"gemini-3-pro-preview","responseId":"r1"}`,
			}})
			oaToolsStreamedStep(t, env, func() string { return sig })
		})
	})
}

// oaToolsStreamedStep streams the scripted first step, checks the tool call
// deltas and the accumulated message, sends that message back with both
// results and checks the next request carries wantSig on the first call.
func oaToolsStreamedStep(t *testing.T, env *harness.Env, wantSig func() string) {
	t.Helper()
	const model = "gemini-3-pro-preview"
	c := oaToolsClient(env)
	params := openai.ChatCompletionNewParams{
		Model:         model,
		Messages:      []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Weather and time in Paris.")},
		Tools:         oaToolsDecls(),
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	}
	stream := c.Chat.Completions.NewStreaming(ctx(t), params)
	var acc openai.ChatCompletionAccumulator
	idsByIndex := map[int64]string{}
	var finishes []string
	for stream.Next() {
		ch := stream.Current()
		if !acc.AddChunk(ch) {
			t.Fatalf("accumulator rejected %s", ch.RawJSON())
		}
		for _, choice := range ch.Choices {
			if choice.FinishReason != "" {
				finishes = append(finishes, choice.FinishReason)
			}
			for _, tc := range choice.Delta.ToolCalls {
				if !tc.JSON.Index.Valid() {
					t.Fatalf("tool call delta without index: %s", ch.RawJSON())
				}
				if tc.ID != "" {
					if prev, ok := idsByIndex[tc.Index]; ok && prev != tc.ID {
						t.Fatalf("index %d reused for %s and %s", tc.Index, prev, tc.ID)
					}
					idsByIndex[tc.Index] = tc.ID
				}
			}
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if len(idsByIndex) != 2 || idsByIndex[0] == "" || idsByIndex[1] == "" || idsByIndex[0] == idsByIndex[1] {
		t.Fatalf("tool call indexes/ids: %v", idsByIndex)
	}
	if !slices.Equal(finishes, []string{"tool_calls"}) {
		t.Fatalf("finish reasons %v", finishes)
	}
	if len(acc.Choices) != 1 || acc.Choices[0].FinishReason != "tool_calls" || acc.Choices[0].Message.Content != "Checking both." {
		t.Fatalf("accumulated: %+v", acc.Choices)
	}
	calls := acc.Choices[0].Message.ToolCalls
	if len(calls) != 2 || calls[0].ID != idsByIndex[0] || calls[1].ID != idsByIndex[1] {
		t.Fatalf("accumulated calls: %+v", calls)
	}
	if a := oaToolsArgs(t, calls[0]); calls[0].Function.Name != "get_weather" || a["city"] != "Paris" || a["kind"] != "current" {
		t.Fatalf("call 0: %+v", calls[0].Function)
	}
	if a := oaToolsArgs(t, calls[1]); calls[1].Function.Name != "get_time" || a["tz"] != "Europe/Paris" {
		t.Fatalf("call 1: %+v", calls[1].Function)
	}
	if acc.Usage.TotalTokens == 0 {
		t.Fatalf("no usage chunk")
	}

	// Next step with the accumulated message.
	params.Messages = append(params.Messages, acc.Choices[0].Message.ToParam(),
		openai.ToolMessage(`{"temp_c":21}`, calls[0].ID),
		openai.ToolMessage(`{"time":"14:05"}`, calls[1].ID))
	env.Fake.Enqueue("", fakegemini.Reply{Text: "21°C, 14:05."})
	r2, err := c.Chat.Completions.New(ctx(t), params)
	if err != nil {
		t.Fatalf("step 2 after a streamed step: %v", err)
	}
	if r2.Choices[0].Message.Content != "21°C, 14:05." || r2.Choices[0].FinishReason != "stop" {
		t.Fatalf("step 2: %s", r2.RawJSON())
	}
	sig := wantSig()
	_, b := oaToolsUpstream(t, env, 1)
	if len(b.Contents) != 3 {
		t.Fatalf("step 2 contents: %d", len(b.Contents))
	}
	model1 := b.Contents[1]
	// The streamed answer's text comes first in the model turn, then the
	// calls; the call signature is the one issued on the first call.
	var callParts []oaToolsPart
	for _, p := range model1.Parts {
		if p.FunctionCall != nil {
			callParts = append(callParts, p)
		}
	}
	if len(callParts) != 2 || callParts[0].ThoughtSignature != sig || callParts[1].ThoughtSignature != "" {
		t.Fatalf("call parts sent back: %+v (want signature %q on the first)", callParts, sig)
	}
	if resp := b.Contents[2]; len(resp.Parts) != 2 || resp.Parts[0].FunctionResponse.Name != "get_weather" || resp.Parts[1].FunctionResponse.Name != "get_time" {
		t.Fatalf("response turn: %+v", resp)
	}
}

// response_format json_schema (strict) asks Gemini for JSON constrained by
// the (cleaned) schema; the JSON text comes back as content.
func TestOpenAIFeaturesJSONSchema(t *testing.T) {
	harness.Each(t, "", func(t *testing.T, env *harness.Env) {
		const answer = `{"city":"Paris","temp_c":21,"tags":["sunny"]}`
		env.Fake.Enqueue("", fakegemini.Reply{Text: answer})
		c := oaToolsClient(env)
		resp, err := c.Chat.Completions.New(ctx(t), openai.ChatCompletionNewParams{
			Model:    "gemini-2.5-flash",
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Weather in Paris as JSON")},
			ResponseFormat: openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONSchema: &shared.ResponseFormatJSONSchemaParam{
				JSONSchema: shared.ResponseFormatJSONSchemaJSONSchemaParam{
					Name:   "weather",
					Strict: openai.Bool(true),
					Schema: map[string]any{
						"$schema":              "http://json-schema.org/draft-07/schema#",
						"type":                 "object",
						"additionalProperties": false,
						"properties": map[string]any{
							"city":   map[string]any{"type": "string"},
							"temp_c": map[string]any{"type": "number"},
							"tags":   map[string]any{"type": "array", "items": map[string]any{"type": "string"}},
						},
						"required": []string{"city", "temp_c", "tags"},
					},
				},
			}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Choices[0].Message.Content != answer || resp.Choices[0].FinishReason != "stop" {
			t.Fatalf("%s", resp.RawJSON())
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(resp.Choices[0].Message.Content), &got); err != nil || got["city"] != "Paris" {
			t.Fatalf("content is not the JSON answer: %q", resp.Choices[0].Message.Content)
		}
		r, b := oaToolsUpstream(t, env, -1)
		gc := b.GenerationConfig
		if r.Status != 200 || gc == nil || gc.ResponseMimeType != "application/json" || len(gc.ResponseJSONSchema) == 0 {
			t.Fatalf("upstream %d %s", r.Status, r.Body)
		}
		s := gjson.ParseBytes(gc.ResponseJSONSchema)
		if s.Get("type").String() != "object" || s.Get("properties.temp_c.type").String() != "number" ||
			s.Get("properties.tags.items.type").String() != "string" || len(s.Get("required").Array()) != 3 || s.Get(`\$schema`).Exists() {
			t.Fatalf("responseJsonSchema: %s", gc.ResponseJSONSchema)
		}
	})
}

// A PNG data URL becomes inlineData; an https image URL becomes fileData.
func TestOpenAIFeaturesImages(t *testing.T) {
	harness.Each(t, "", func(t *testing.T, env *harness.Env) {
		png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")
		data := base64.StdEncoding.EncodeToString(png)
		const url = "https://example.com/images/cat.png"
		c := oaToolsClient(env)
		resp, err := c.Chat.Completions.New(ctx(t), openai.ChatCompletionNewParams{
			Model: "gpt-4o",
			Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage([]openai.ChatCompletionContentPartUnionParam{
				openai.TextContentPart("Compare these images"),
				openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: "data:image/png;base64," + data, Detail: "low"}),
				openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: url}),
			})},
		})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Choices[0].Message.Content != "echo: Compare these images" {
			t.Fatalf("%s", resp.RawJSON())
		}
		r, b := oaToolsUpstream(t, env, -1)
		if len(b.Contents) != 1 || len(b.Contents[0].Parts) != 3 {
			t.Fatalf("upstream %s", r.Body)
		}
		parts := b.Contents[0].Parts
		if parts[0].Text == nil || *parts[0].Text != "Compare these images" {
			t.Fatalf("text part %s", r.Body)
		}
		if in := parts[1].InlineData; in == nil || in.MimeType != "image/png" || in.Data != data {
			t.Fatalf("data URL part: %s", r.Body)
		}
		if fd := parts[2].FileData; fd == nil || fd.FileURI != url || fd.MimeType != "image/png" {
			t.Fatalf("https URL part: %s", r.Body)
		}
	})
}

// reasoning_effort maps to a thinking budget on Gemini 2.5; without the
// reasoning_content option a thought part never reaches the client.
func TestOpenAIFeaturesReasoningEffort(t *testing.T) {
	harness.Each(t, "", func(t *testing.T, env *harness.Env) {
		c := oaToolsClient(env)
		for effort, budget := range map[shared.ReasoningEffort]int{"none": 0, "low": 1024, "medium": 8192, "high": 24576} {
			env.Fake.Enqueue("", fakegemini.Reply{Parts: []json.RawMessage{
				json.RawMessage(`{"text":"secret chain of thought","thought":true}`),
				json.RawMessage(`{"text":"4"}`),
			}})
			resp, err := c.Chat.Completions.New(ctx(t), openai.ChatCompletionNewParams{
				Model:           "gemini-2.5-flash",
				Messages:        []openai.ChatCompletionMessageParamUnion{openai.UserMessage("2+2?")},
				ReasoningEffort: effort,
			})
			if err != nil {
				t.Fatalf("%s: %v", effort, err)
			}
			if resp.Choices[0].Message.Content != "4" || strings.Contains(resp.RawJSON(), "secret") {
				t.Fatalf("%s: thought leaked or answer lost: %s", effort, resp.RawJSON())
			}
			r, b := oaToolsUpstream(t, env, -1)
			gc := b.GenerationConfig
			if gc == nil || gc.ThinkingConfig == nil || gc.ThinkingConfig.ThinkingBudget == nil ||
				*gc.ThinkingConfig.ThinkingBudget != budget || gc.ThinkingConfig.ThinkingLevel != "" || gc.ThinkingConfig.IncludeThoughts {
				t.Fatalf("%s: upstream %s", effort, r.Body)
			}
		}
	})
}

// With reasoning_content on, Gemini is asked for thought summaries and they
// arrive as reasoning_content (message field and stream deltas), never in
// content.
func TestOpenAIFeaturesReasoningContent(t *testing.T) {
	harness.Each(t, `{"reasoning_content":true}`, func(t *testing.T, env *harness.Env) {
		c := oaToolsClient(env)
		params := openai.ChatCompletionNewParams{
			Model:           "gemini-2.5-flash",
			Messages:        []openai.ChatCompletionMessageParamUnion{openai.UserMessage("2+2?")},
			ReasoningEffort: "medium",
		}
		reply := fakegemini.Reply{Parts: []json.RawMessage{
			json.RawMessage(`{"text":"Adding two and two.","thought":true}`),
			json.RawMessage(`{"text":"The answer is 4."}`),
		}}
		t.Run("non-streaming", func(t *testing.T) {
			env.Fake.Enqueue("", reply)
			resp, err := c.Chat.Completions.New(ctx(t), params)
			if err != nil {
				t.Fatal(err)
			}
			msg := resp.Choices[0].Message
			rc, ok := msg.JSON.ExtraFields["reasoning_content"]
			if msg.Content != "The answer is 4." || !ok || rc.Raw() != `"Adding two and two."` {
				t.Fatalf("%s", resp.RawJSON())
			}
			if resp.Usage.CompletionTokensDetails.ReasoningTokens == 0 {
				t.Fatalf("reasoning tokens: %+v", resp.Usage)
			}
			r, b := oaToolsUpstream(t, env, -1)
			tc := b.GenerationConfig.ThinkingConfig
			if tc == nil || !tc.IncludeThoughts || tc.ThinkingBudget == nil || *tc.ThinkingBudget != 8192 {
				t.Fatalf("upstream %s", r.Body)
			}
		})
		t.Run("streaming", func(t *testing.T) {
			env.Fake.Enqueue("", reply)
			stream := c.Chat.Completions.NewStreaming(ctx(t), params)
			var content, reasoning strings.Builder
			for stream.Next() {
				ch := stream.Current()
				for _, choice := range ch.Choices {
					content.WriteString(choice.Delta.Content)
					if f, ok := choice.Delta.JSON.ExtraFields["reasoning_content"]; ok {
						var s string
						if err := json.Unmarshal([]byte(f.Raw()), &s); err != nil {
							t.Fatalf("reasoning_content delta %s", f.Raw())
						}
						reasoning.WriteString(s)
					}
				}
			}
			if err := stream.Err(); err != nil {
				t.Fatal(err)
			}
			if content.String() != "The answer is 4." || reasoning.String() != "Adding two and two." {
				t.Fatalf("content %q reasoning %q", content.String(), reasoning.String())
			}
		})
		// The deployment option must not break models that cannot think:
		// Gemini answers includeThoughts on them with a 400.
		t.Run("model without thinking", func(t *testing.T) {
			resp, err := c.Chat.Completions.New(ctx(t), chatParams("gemini-2.0-flash", "2+2?"))
			if err != nil {
				t.Fatalf("reasoning_content broke a non-thinking model: %v", err)
			}
			if resp.Choices[0].Message.Content != "echo: 2+2?" {
				t.Fatalf("%s", resp.RawJSON())
			}
			if r, b := oaToolsUpstream(t, env, -1); b.GenerationConfig != nil && b.GenerationConfig.ThinkingConfig != nil {
				t.Fatalf("thinkingConfig sent to a non-thinking model: %s", r.Body)
			}
		})
	})
}

// n maps to candidateCount on models that support it; Gemini 3 gets a 400
// before any upstream call.
func TestOpenAIFeaturesN(t *testing.T) {
	harness.Each(t, "", func(t *testing.T, env *harness.Env) {
		c := oaToolsClient(env)
		params := chatParams("gemini-2.5-flash", "Name a color")
		params.N = openai.Int(2)
		t.Run("gemini-2.5 non-streaming", func(t *testing.T) {
			env.Fake.Enqueue("", fakegemini.Reply{Text: "Blue"})
			resp, err := c.Chat.Completions.New(ctx(t), params)
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.Choices) != 2 || resp.Choices[0].Index != 0 || resp.Choices[1].Index != 1 {
				t.Fatalf("%s", resp.RawJSON())
			}
			for _, ch := range resp.Choices {
				if ch.Message.Content != "Blue" || ch.FinishReason != "stop" {
					t.Fatalf("%s", resp.RawJSON())
				}
			}
			if r, b := oaToolsUpstream(t, env, -1); b.GenerationConfig == nil || b.GenerationConfig.CandidateCount != 2 {
				t.Fatalf("upstream %s", r.Body)
			}
		})
		t.Run("gemini-2.5 streaming", func(t *testing.T) {
			env.Fake.Enqueue("", fakegemini.Reply{Text: "Deep ocean blue"})
			stream := c.Chat.Completions.NewStreaming(ctx(t), params)
			var acc openai.ChatCompletionAccumulator
			for stream.Next() {
				acc.AddChunk(stream.Current())
			}
			if err := stream.Err(); err != nil {
				t.Fatal(err)
			}
			if len(acc.Choices) != 2 {
				t.Fatalf("%d choices", len(acc.Choices))
			}
			for i, ch := range acc.Choices {
				if ch.Message.Content != "Deep ocean blue" || ch.FinishReason != "stop" || ch.Index != int64(i) {
					t.Fatalf("choice %d: %+v", i, ch)
				}
			}
		})
		t.Run("gemini-3 rejected before upstream", func(t *testing.T) {
			before := len(env.Fake.Requests())
			p := params
			p.Model = "gemini-3-pro-preview"
			_, err := c.Chat.Completions.New(ctx(t), p)
			e := apiError(t, err)
			if e.StatusCode != 400 || e.Param != "n" || e.Type != "invalid_request_error" {
				t.Fatalf("got %d %s", e.StatusCode, e.RawJSON())
			}
			if n := len(env.Fake.Requests()) - before; n != 0 {
				t.Fatalf("%d upstream calls", n)
			}
		})
	})
}

// Gemini's finish reasons: filtered answers and blocked prompts are
// content_filter; MALFORMED_FUNCTION_CALL is an error, never a silent stop.
func TestOpenAIFeaturesFinishReasons(t *testing.T) {
	harness.Each(t, "", func(t *testing.T, env *harness.Env) {
		c := oaToolsClient(env)
		params := chatParams("gemini-2.5-flash", "something")
		params.Tools = oaToolsDecls()
		stream := func(t *testing.T) (openai.ChatCompletionAccumulator, []string, error) {
			s := c.Chat.Completions.NewStreaming(ctx(t), params)
			var acc openai.ChatCompletionAccumulator
			var finishes []string
			for s.Next() {
				ch := s.Current()
				acc.AddChunk(ch)
				for _, choice := range ch.Choices {
					if choice.FinishReason != "" {
						finishes = append(finishes, choice.FinishReason)
					}
				}
			}
			return acc, finishes, s.Err()
		}
		safety := fakegemini.Reply{Text: "The first part of the answer", FinishReason: "SAFETY"}
		blocked := fakegemini.Reply{BlockReason: "PROHIBITED_CONTENT"}
		malformed := fakegemini.Reply{FinishReason: "MALFORMED_FUNCTION_CALL"}

		// A filtered answer keeps what came before the filter; a blocked
		// prompt has no content, only a refusal naming the reason. Both end
		// as content_filter, whole and streamed.
		for _, tc := range []struct {
			name             string
			reply            fakegemini.Reply
			content, refusal string // the content; what the refusal contains
		}{
			{"SAFETY", safety, "The first part of the answer", ""},
			{"blocked prompt", blocked, "", "PROHIBITED_CONTENT"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				env.Fake.Enqueue("", tc.reply)
				resp, err := c.Chat.Completions.New(ctx(t), params)
				if err != nil {
					t.Fatal(err)
				}
				if len(resp.Choices) != 1 {
					t.Fatalf("%s", resp.RawJSON())
				}
				if ch := resp.Choices[0]; ch.FinishReason != "content_filter" || ch.Message.Content != tc.content || !strings.Contains(ch.Message.Refusal, tc.refusal) {
					t.Fatalf("%s", resp.RawJSON())
				}
			})
			t.Run(tc.name+" streaming", func(t *testing.T) {
				env.Fake.Enqueue("", tc.reply)
				acc, finishes, err := stream(t)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(finishes, []string{"content_filter"}) || len(acc.Choices) != 1 ||
					acc.Choices[0].Message.Content != tc.content || !strings.Contains(acc.Choices[0].Message.Refusal, tc.refusal) {
					t.Fatalf("finishes %v, %+v", finishes, acc.Choices)
				}
			})
		}
		t.Run("MALFORMED_FUNCTION_CALL", func(t *testing.T) {
			env.Fake.Enqueue("", malformed)
			_, err := c.Chat.Completions.New(ctx(t), params)
			e := apiError(t, err)
			if e.StatusCode != 502 || !strings.Contains(e.Message, "MALFORMED_FUNCTION_CALL") {
				t.Fatalf("got %d %s", e.StatusCode, e.RawJSON())
			}
		})
		t.Run("MALFORMED_FUNCTION_CALL streaming", func(t *testing.T) {
			env.Fake.Enqueue("", malformed)
			var resp *http.Response
			params := params
			s := c.Chat.Completions.NewStreaming(ctx(t), params, option.WithResponseInto(&resp))
			var finishes []string
			for s.Next() {
				for _, choice := range s.Current().Choices {
					if choice.FinishReason != "" {
						finishes = append(finishes, choice.FinishReason)
					}
				}
			}
			err := s.Err()
			if err == nil || len(finishes) != 0 {
				t.Fatalf("malformed call ended as a normal stream: err=%v finishes=%v", err, finishes)
			}
			if resp != nil && resp.StatusCode == 200 && !strings.Contains(err.Error(), "MALFORMED_FUNCTION_CALL") {
				t.Fatalf("stream error does not name the cause: %v", err)
			}
			if resp != nil && resp.StatusCode != 200 && resp.StatusCode != 502 {
				t.Fatalf("status %d", resp.StatusCode)
			}
		})
	})
}
