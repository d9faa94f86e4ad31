package openai

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/internal/envtest"
	"github.com/gemini-code-api/gemini-code-api/translators/internal/jsontest"
	"github.com/gemini-code-api/gemini-code-api/translators/models"
)

func TestParseChatTranslates(t *testing.T) {
	tests := []envtest.Translation{
		{
			Name: "text roles and sampling",
			In: `{"model":"gpt-4o","messages":[
				{"role":"system","content":"be terse"},
				{"role":"developer","content":[{"type":"text","text":"use French"}]},
				{"role":"user","content":"hi"},
				{"role":"assistant","content":"salut"},
				{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":""},{"type":"text","text":"b"}]}],
				"temperature":0.2,"top_p":0.9,"max_tokens":100,"stop":["END"],"seed":7,
				"presence_penalty":0.5,"frequency_penalty":-0.5,"user":"u1","metadata":{"a":"b"},"store":false,"unknown_field":1}`,
			Want: `{"contents":[{"role":"user","parts":[{"text":"hi"}]},{"role":"model","parts":[{"text":"salut"}]},{"role":"user","parts":[{"text":"a"},{"text":"b"}]}],
				"systemInstruction":{"parts":[{"text":"be terse"},{"text":"use French"}]},
				"generationConfig":{"temperature":0.2,"topP":0.9,"presencePenalty":0.5,"frequencyPenalty":-0.5,"maxOutputTokens":100,"seed":7,"stopSequences":["END"]}}`,
			Path: "/v1beta/models/gemini-2.5-pro:generateContent",
		},
		{
			Name: "max_completion_tokens wins, stop string, n, stream",
			In:   `{"model":"gemini-2.5-flash","stream":true,"messages":[{"role":"user","content":"x"}],"max_tokens":5,"max_completion_tokens":50,"stop":"\n\n","n":2}`,
			Want: `{"contents":[{"role":"user","parts":[{"text":"x"}]}],"generationConfig":{"maxOutputTokens":50,"candidateCount":2,"stopSequences":["\n\n"]}}`,
			Path: "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
		},
		{
			Name: "consecutive same-role messages merge",
			In:   `{"model":"gpt-4","messages":[{"role":"user","content":"a"},{"role":"user","content":"b"},{"role":"assistant","content":""},{"role":"assistant","content":"c"}]}`,
			Want: `{"contents":[{"role":"user","parts":[{"text":"a"},{"text":"b"}]},{"role":"model","parts":[{"text":"c"}]}]}`,
			Path: "/v1beta/models/gemini-2.5-pro:generateContent",
		},
		{
			Name: "tools, parallel calls and results grouped",
			In: `{"model":"gemini-2.5-flash","messages":[
				{"role":"user","content":"weather in Paris and Rome?"},
				{"role":"assistant","content":null,"tool_calls":[
					{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},
					{"id":"call_2","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Rome\"}"}}]},
				{"role":"tool","tool_call_id":"call_1","content":"{\"temp\":18}"},
				{"role":"tool","tool_call_id":"call_2","content":"sunny"},
				{"role":"user","content":"thanks"}],
				"tools":[{"type":"function","function":{"name":"get_weather","description":"w","parameters":{"$schema":"x","type":"object","properties":{"city":{"type":"string"}},"additionalProperties":false}}}],
				"tool_choice":"required"}`,
			Want: `{"contents":[{"role":"user","parts":[{"text":"weather in Paris and Rome?"}]},
				{"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{"city":"Paris"}}},{"functionCall":{"name":"get_weather","args":{"city":"Rome"}}}]},
				{"role":"user","parts":[{"functionResponse":{"name":"get_weather","response":{"output":{"temp":18}}}},{"functionResponse":{"name":"get_weather","response":{"output":"sunny"}}},{"text":"thanks"}]}],
				"tools":[{"functionDeclarations":[{"name":"get_weather","description":"w","parametersJsonSchema":{"type":"object","properties":{"city":{"type":"string"}},"additionalProperties":false}}]}],
				"toolConfig":{"functionCallingConfig":{"mode":"ANY"}}}`,
			Path: "/v1beta/models/gemini-2.5-flash:generateContent",
		},
		{
			Name: "unanswered call gets an error result; gemini-3 gets a placeholder signature; id signature restored",
			In: `{"model":"gemini-3-pro-preview","messages":[
				{"role":"user","content":"go"},
				{"role":"assistant","tool_calls":[{"id":"call_a__ts_CtMBAdHt","type":"function","function":{"name":"f","arguments":""}}]},
				{"role":"tool","tool_call_id":"call_a__ts_CtMBAdHt","content":"ok"},
				{"role":"assistant","tool_calls":[{"id":"call_b","type":"function","function":{"name":"f","arguments":"{}"}}]},
				{"role":"user","content":"continue"}],
				"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{"type":"function","function":{"name":"f"}}}`,
			Want: `{"contents":[{"role":"user","parts":[{"text":"go"}]},
				{"role":"model","parts":[{"functionCall":{"name":"f","args":{}},"thoughtSignature":"CtMBAdHt"}]},
				{"role":"user","parts":[{"functionResponse":{"name":"f","response":{"output":"ok"}}}]},
				{"role":"model","parts":[{"functionCall":{"name":"f","args":{}},"thoughtSignature":"skip_thought_signature_validator"}]},
				{"role":"user","parts":[{"functionResponse":{"name":"f","response":{"error":"no result returned"}}},{"text":"continue"}]}],
				"tools":[{"functionDeclarations":[{"name":"f"}]}],
				"toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["f"]}}}`,
			Path: "/v1beta/models/gemini-3-pro-preview:generateContent",
		},
		{
			Name: "multimodal parts",
			In: `{"model":"gemini-2.5-flash","messages":[{"role":"user","content":[
				{"type":"text","text":"what?"},
				{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo=","detail":"high"}},
				{"type":"image_url","image_url":{"url":"https://example.com/cat.webp?x=1"}},
				{"type":"input_audio","input_audio":{"data":"UklGRg==","format":"wav"}},
				{"type":"file","file":{"filename":"a.pdf","file_data":"data:application/pdf;base64,JVBERi0="}}]}]}`,
			Want: `{"contents":[{"role":"user","parts":[{"text":"what?"},
				{"inlineData":{"mimeType":"image/png","data":"iVBORw0KGgo="}},
				{"fileData":{"mimeType":"image/webp","fileUri":"https://example.com/cat.webp?x=1"}},
				{"inlineData":{"mimeType":"audio/wav","data":"UklGRg=="}},
				{"inlineData":{"mimeType":"application/pdf","data":"JVBERi0="}}]}]}`,
			Path: "/v1beta/models/gemini-2.5-flash:generateContent",
		},
		{
			Name: "json_schema, reasoning effort on 2.5, logprobs",
			In: `{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"x"}],
				"response_format":{"type":"json_schema","json_schema":{"name":"n","strict":true,"schema":{"type":"object","properties":{"a":{"type":"integer","exclusiveMinimum":0}},"required":["a"],"additionalProperties":false}}},
				"reasoning_effort":"low","logprobs":true,"top_logprobs":3}`,
			Want: `{"contents":[{"role":"user","parts":[{"text":"x"}]}],"generationConfig":{"responseLogprobs":true,"logprobs":3,
				"responseMimeType":"application/json","responseJsonSchema":{"type":"object","properties":{"a":{"type":"integer"}},"required":["a"],"additionalProperties":false},
				"thinkingConfig":{"thinkingBudget":1024}}}`,
			Path: "/v1beta/models/gemini-2.5-flash:generateContent",
		},
		{
			Name: "reasoning effort on gemini 3 pro clamps to its levels",
			In:   `{"model":"gemini-3-pro-preview","messages":[{"role":"user","content":"x"}],"reasoning_effort":"medium","response_format":{"type":"json_object"}}`,
			Want: `{"contents":[{"role":"user","parts":[{"text":"x"}]}],"generationConfig":{"responseMimeType":"application/json","thinkingConfig":{"thinkingLevel":"HIGH"}}}`,
			Path: "/v1beta/models/gemini-3-pro-preview:generateContent",
		},
	}
	envtest.Translates(t, ParseChat, nil, tests)
}

func TestParseChatRejects(t *testing.T) {
	tests := []struct {
		name, in, param, msgPart string
	}{
		{"not json", `{"model":`, "", "not valid JSON"},
		{"array body", `[1]`, "", "JSON object"},
		{"no model", `{"messages":[{"role":"user","content":"x"}]}`, "model", "model"},
		{"model not a string", `{"model":4,"messages":[{"role":"user","content":"x"}]}`, "model", "model"},
		{"model with a slash", `{"model":"../x","messages":[{"role":"user","content":"x"}]}`, "model", "not a valid model name"},
		{"no messages", `{"model":"gpt-4"}`, "messages", "required"},
		{"empty messages", `{"model":"gpt-4","messages":[]}`, "messages", "at least one"},
		{"only system", `{"model":"gpt-4","messages":[{"role":"system","content":"x"}]}`, "messages", "no user or assistant"},
		{"bad role", `{"model":"gpt-4","messages":[{"role":"robot","content":"x"}]}`, "messages[0].role", "expected one of"},
		{"message not object", `{"model":"gpt-4","messages":["hi"]}`, "messages[0]", "expected an object"},
		{"content number", `{"model":"gpt-4","messages":[{"role":"user","content":5}]}`, "messages[0].content", "expected a string"},
		{"temperature string", `{"model":"gpt-4","messages":[{"role":"user","content":"x"}],"temperature":"hot"}`, "temperature", "expected a number"},
		{"temperature range", `{"model":"gpt-4","messages":[{"role":"user","content":"x"}],"temperature":3}`, "temperature", "out of range"},
		{"max_tokens float", `{"model":"gpt-4","messages":[{"role":"user","content":"x"}],"max_tokens":1.5}`, "max_tokens", "integer"},
		{"max_tokens zero", `{"model":"gpt-4","messages":[{"role":"user","content":"x"}],"max_tokens":0}`, "max_tokens", "at least 1"},
		{"stream string", `{"model":"gpt-4","messages":[{"role":"user","content":"x"}],"stream":"yes"}`, "stream", "boolean"},
		{"stop object", `{"model":"gpt-4","messages":[{"role":"user","content":"x"}],"stop":{}}`, "stop", "string or an array"},
		{"n on gemini 3", `{"model":"gemini-3-pro-preview","messages":[{"role":"user","content":"x"}],"n":2}`, "n", "does not support"},
		{"logit_bias", `{"model":"gpt-4","messages":[{"role":"user","content":"x"}],"logit_bias":{"50256":-100}}`, "logit_bias", "not supported"},
		{"bad tool arguments", `{"model":"gpt-4","messages":[{"role":"user","content":"x"},{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{oops"}}]}]}`, "messages[1].tool_calls[0].function.arguments", "JSON object"},
		{"tool without id", `{"model":"gpt-4","messages":[{"role":"user","content":"x"},{"role":"tool","content":"r"}]}`, "messages[1].tool_call_id", "must name"},
		{"unknown part", `{"model":"gpt-4","messages":[{"role":"user","content":[{"type":"video","video":{}}]}]}`, "messages[0].content[0].type", "unsupported"},
		{"bad data url", `{"model":"gpt-4","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png,notbase64"}}]}]}`, "messages[0].content[0].image_url.url", "base64"},
		{"file id", `{"model":"gpt-4","messages":[{"role":"user","content":[{"type":"file","file":{"file_id":"file-1"}}]}]}`, "messages[0].content[0].file.file_id", "inline"},
		{"tool_choice unknown function", `{"model":"gpt-4","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{"type":"function","function":{"name":"g"}}}`, "tool_choice", "not among"},
		{"tool_choice without tools", `{"model":"gpt-4","messages":[{"role":"user","content":"x"}],"tool_choice":"required"}`, "tool_choice", "requires 'tools'"},
		{"custom tool", `{"model":"gpt-4","messages":[{"role":"user","content":"x"}],"tools":[{"type":"custom","custom":{"name":"x"}}]}`, "tools[0].type", "only `function`"},
		{"bad reasoning effort", `{"model":"gpt-4","messages":[{"role":"user","content":"x"}],"reasoning_effort":"extreme"}`, "reasoning_effort", "expected none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, e := ParseChat([]byte(tt.in), envtest.Env(nil))
			if e == nil {
				t.Fatal("expected an error")
			}
			if e.Kind != apierror.InvalidRequest || e.Status != 400 || e.Param != tt.param || !strings.Contains(e.Message, tt.msgPart) {
				t.Fatalf("got kind=%d status=%d param=%q msg=%q", e.Kind, e.Status, e.Param, e.Message)
			}
			var body map[string]map[string]any
			if err := json.Unmarshal(ErrorBody(e), &body); err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"message", "type", "param", "code"} {
				if _, ok := body["error"][k]; !ok {
					t.Fatalf("error body lacks %q: %s", k, ErrorBody(e))
				}
			}
		})
	}
}

func FuzzParseChat(f *testing.F) {
	f.Add([]byte(`{"model":"gpt-4","messages":[{"role":"user","content":"x"}]}`))
	f.Add([]byte(`{"model":"gpt-4","messages":[{"role":"assistant","tool_calls":[{"id":"a__ts_x","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"a__ts_x","content":[{"type":"text","text":"r"}]}],"tools":[{"type":"function","function":{"name":"f","parameters":{"properties":{"a":{"const":1}}}}}]}`))
	// Hardening cases: nesting at and past the limit, JSON nested in strings,
	// arrays past their count limits, model names, schemas of odd shapes.
	f.Add([]byte(`{"model":"gpt-4","messages":[{"role":"user","content":"x"}],"metadata":` + jsontest.Deep(255) + `}`))
	f.Add([]byte(`{"model":"gpt-4","messages":[{"role":"user","content":"x"}],"metadata":` + jsontest.Deep(256) + `}`))
	f.Add([]byte(`{"model":"gpt-4","messages":[{"role":"user","content":"x"},{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"[[[[[\"\\\"]]]]]"}}]},{"role":"tool","tool_call_id":"c","content":"{\"a\":[[[1]]]}"}]}`))
	f.Add([]byte(`{"model":"gpt-4","messages":[{"role":"user","content":"x"}],"modalities":["text","text","text","text","text"],"stop":["a","b","c","d","e","f"],"logit_bias":{}}`))
	f.Add([]byte(`{"model":"gpt-4
","messages":[{"role":"user","content":"x"}]}`))
	f.Add([]byte(`{"model":"ft:gpt-4o:org::x@y+z/w","messages":[{"role":"user","content":"x"}]}`))
	f.Add([]byte(`{"model":"gpt-4","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"properties":"x","anyOf":{},"items":[true,{"const":[[]]}],"allOf":[{"typ\u0065":"string"}]}}}],"response_format":{"type":"json_schema","json_schema":{"schema":{"additionalProperties":{"items":3}}}}}`))
	f.Add([]byte(`{"model":"gpt-4","messages":[{"role":"user","content":"x"},{"role":"assistant","tool_calls":[{"id":"a","function":{"name":"f"}},{"id":"a","function":{"name":"g"}},{"id":"b","function":{"name":"h"}}]},{"role":"tool","tool_call_id":"a","content":"1"},{"role":"tool","tool_call_id":"a","content":"2"},{"role":"tool","tool_call_id":"b","content":"3"}]}`))
	mm := models.Default()
	f.Fuzz(func(t *testing.T, in []byte) {
		r, e := ParseChat(in, envtest.Env(mm, envtest.ReasoningContent))
		if e != nil {
			if !json.Valid(ErrorBody(e)) {
				t.Fatalf("invalid error body")
			}
			return
		}
		if !json.Valid(r.Body) {
			t.Fatalf("invalid Gemini body for %s:\n%s", in, r.Body)
		}
	})
}
