package openai

import (
	"testing"

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
			Path: "/v1beta/models/gemini-4-argon:generateContent",
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
			Path: "/v1beta/models/gemini-4-argon:generateContent",
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
		{
			Name: "penalties of 0 are not sent (models without penalties refuse even 0)",
			In:   `{"model":"gemini-4-neon","messages":[{"role":"user","content":"x"}],"presence_penalty":0,"frequency_penalty":0.0,"temperature":0}`,
			Want: `{"contents":[{"role":"user","parts":[{"text":"x"}]}],"generationConfig":{"temperature":0}}`,
			Path: "/v1beta/models/gemini-4-neon:generateContent",
		},
		{
			Name: "reasoning effort on Gemini 4: a level, never a budget",
			In:   `{"model":"gemini-4-argon","messages":[{"role":"user","content":"x"}],"reasoning_effort":"minimal"}`,
			Want: `{"contents":[{"role":"user","parts":[{"text":"x"}]}],"generationConfig":{"thinkingConfig":{"thinkingLevel":"LOW"}}}`,
			Path: "/v1beta/models/gemini-4-argon:generateContent",
		},
		{
			Name: "xhigh on Gemini 4 Neon",
			In:   `{"model":"gemini-4-neon","messages":[{"role":"user","content":"x"}],"reasoning_effort":"xhigh"}`,
			Want: `{"contents":[{"role":"user","parts":[{"text":"x"}]}],"generationConfig":{"thinkingConfig":{"thinkingLevel":"XHIGH"}}}`,
			Path: "/v1beta/models/gemini-4-neon:generateContent",
		},
	}
	envtest.Translates(t, ParseChat, nil, tests)
}

func TestParseChatRejects(t *testing.T) {
	tests := []envtest.Refusal{
		{Name: "not json", In: `{"model":`, Param: "", Msg: "not valid JSON"},
		{Name: "array body", In: `[1]`, Param: "", Msg: "JSON object"},
		{Name: "no model", In: `{"messages":[{"role":"user","content":"x"}]}`, Param: "model", Msg: "model"},
		{Name: "model not a string", In: `{"model":4,"messages":[{"role":"user","content":"x"}]}`, Param: "model", Msg: "model"},
		{Name: "model with a slash", In: `{"model":"../x","messages":[{"role":"user","content":"x"}]}`, Param: "model", Msg: "not a valid model name"},
		{Name: "no messages", In: `{"model":"gpt-4"}`, Param: "messages", Msg: "required"},
		{Name: "empty messages", In: `{"model":"gpt-4","messages":[]}`, Param: "messages", Msg: "at least one"},
		{Name: "only system", In: `{"model":"gpt-4","messages":[{"role":"system","content":"x"}]}`, Param: "messages", Msg: "no user or assistant"},
		{Name: "bad role", In: `{"model":"gpt-4","messages":[{"role":"robot","content":"x"}]}`, Param: "messages[0].role", Msg: "expected one of"},
		{Name: "message not object", In: `{"model":"gpt-4","messages":["hi"]}`, Param: "messages[0]", Msg: "expected an object"},
		{Name: "content number", In: `{"model":"gpt-4","messages":[{"role":"user","content":5}]}`, Param: "messages[0].content", Msg: "expected a string"},
		{Name: "temperature string", In: `{"model":"gpt-4","messages":[{"role":"user","content":"x"}],"temperature":"hot"}`, Param: "temperature", Msg: "expected a number"},
		{Name: "temperature range", In: `{"model":"gpt-4","messages":[{"role":"user","content":"x"}],"temperature":3}`, Param: "temperature", Msg: "out of range"},
		{Name: "max_tokens float", In: `{"model":"gpt-4","messages":[{"role":"user","content":"x"}],"max_tokens":1.5}`, Param: "max_tokens", Msg: "integer"},
		{Name: "max_tokens zero", In: `{"model":"gpt-4","messages":[{"role":"user","content":"x"}],"max_tokens":0}`, Param: "max_tokens", Msg: "at least 1"},
		{Name: "stream string", In: `{"model":"gpt-4","messages":[{"role":"user","content":"x"}],"stream":"yes"}`, Param: "stream", Msg: "boolean"},
		{Name: "stop object", In: `{"model":"gpt-4","messages":[{"role":"user","content":"x"}],"stop":{}}`, Param: "stop", Msg: "string or an array"},
		{Name: "n on gemini 3", In: `{"model":"gemini-3-pro-preview","messages":[{"role":"user","content":"x"}],"n":2}`, Param: "n", Msg: "does not support"},
		{Name: "n on gemini 4", In: `{"model":"gemini-4-argon","messages":[{"role":"user","content":"x"}],"n":2}`, Param: "n", Msg: "does not support"},
		{Name: "logit_bias", In: `{"model":"gpt-4","messages":[{"role":"user","content":"x"}],"logit_bias":{"50256":-100}}`, Param: "logit_bias", Msg: "not supported"},
		{Name: "bad tool arguments", In: `{"model":"gpt-4","messages":[{"role":"user","content":"x"},{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{oops"}}]}]}`, Param: "messages[1].tool_calls[0].function.arguments", Msg: "JSON object"},
		{Name: "tool without id", In: `{"model":"gpt-4","messages":[{"role":"user","content":"x"},{"role":"tool","content":"r"}]}`, Param: "messages[1].tool_call_id", Msg: "must name"},
		{Name: "unknown part", In: `{"model":"gpt-4","messages":[{"role":"user","content":[{"type":"video","video":{}}]}]}`, Param: "messages[0].content[0].type", Msg: "unsupported"},
		{Name: "bad data url", In: `{"model":"gpt-4","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png,notbase64"}}]}]}`, Param: "messages[0].content[0].image_url.url", Msg: "base64"},
		{Name: "file id", In: `{"model":"gpt-4","messages":[{"role":"user","content":[{"type":"file","file":{"file_id":"file-1"}}]}]}`, Param: "messages[0].content[0].file.file_id", Msg: "inline"},
		{Name: "tool_choice unknown function", In: `{"model":"gpt-4","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{"type":"function","function":{"name":"g"}}}`, Param: "tool_choice", Msg: "not among"},
		{Name: "tool_choice without tools", In: `{"model":"gpt-4","messages":[{"role":"user","content":"x"}],"tool_choice":"required"}`, Param: "tool_choice", Msg: "requires 'tools'"},
		{Name: "custom tool", In: `{"model":"gpt-4","messages":[{"role":"user","content":"x"}],"tools":[{"type":"custom","custom":{"name":"x"}}]}`, Param: "tools[0].type", Msg: "only `function`"},
		{Name: "bad reasoning effort", In: `{"model":"gpt-4","messages":[{"role":"user","content":"x"}],"reasoning_effort":"extreme"}`, Param: "reasoning_effort", Msg: "expected none"},
	}
	envtest.Rejects(t, ParseChat, tests, invalidRequestBody)
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
	// Texts in every place a text is copied as the body holds it, with
	// what Gemini refuses in them: a lone surrogate, bytes not UTF-8.
	f.Add([]byte(`{"model":"gpt-4","messages":[{"role":"system","content":"s\ud800"},{"role":"user","content":[{"type":"text","text":"\udc00"}]},{"role":"assistant","content":"\ud83d","tool_calls":[{"id":"c","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c","content":[{"type":"text","text":"\ud83d"},{"type":"text","text":"\ude00"}]},{"role":"user","content":"\udbff"}],"tools":[{"type":"function","function":{"name":"f","description":"\udfff"}}]}`))
	f.Add([]byte("{\"model\":\"gpt-4\",\"messages\":[{\"role\":\"user\",\"content\":\"\xff\"}]}"))
	mm := models.Default()
	f.Fuzz(func(t *testing.T, in []byte) {
		envtest.ParsesToJSON(t, ParseChat, envtest.Env(mm, envtest.ReasoningContent), in, ErrorBody)
	})
}

// A tool call's arguments, a tool result that is JSON and a tool's schema
// are copied as the client wrote them; bytes Gemini cannot read in them
// (not UTF-8, a lone escaped surrogate) are written again as U+FFFD, or
// Gemini would refuse the whole request.
func TestUnreadableBytesAreRepaired(t *testing.T) {
	for name, body := range map[string]string{
		"chat": "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}," +
			"{\"role\":\"assistant\",\"tool_calls\":[{\"id\":\"c\",\"type\":\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"a\\\":\\\"\xc6\\\"}\"}}]}," +
			"{\"role\":\"tool\",\"tool_call_id\":\"c\",\"content\":\"{\\\"r\\\":\\\"\\\\ud800\\\"}\"}]," +
			"\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"type\":\"object\",\"properties\":{\"\xc6\":{\"type\":\"string\"}}}}}]}",
	} {
		r, e := ParseChat([]byte(body), envtest.Env(nil))
		if e != nil {
			t.Fatalf("%s: %s", name, e.Message)
		}
		if err := jsontest.Readable(r.Body); err != nil {
			t.Errorf("%s: %v: %s", name, err, r.Body)
		}
	}
}
