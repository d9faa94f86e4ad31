package fakegemini

import (
	"strings"
	"testing"
)

const (
	userHi   = `{"role":"user","parts":[{"text":"What is the weather in Paris?"}]}`
	callOne  = `{"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{"city":"Paris"}}}]}`
	respOne  = `{"role":"user","parts":[{"functionResponse":{"name":"get_weather","response":{"output":{"temp_c":18}}}}]}`
	callTwo  = `{"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{"city":"Paris"}}},{"functionCall":{"name":"get_time","args":{"tz":"CET"}}}]}`
	respTwo  = `{"role":"user","parts":[{"functionResponse":{"name":"get_weather","response":{"output":18}}},{"functionResponse":{"name":"get_time","response":{"output":"12:00"}}}]}`
	respTime = `{"role":"user","parts":[{"functionResponse":{"name":"get_time","response":{"output":"12:00"}}}]}`
)

func contents(cs ...string) string { return `"contents":[` + strings.Join(cs, ",") + `]` }

// tool wraps one function declaration in tools[0].
func tool(decl string) string { return `"tools":[{"functionDeclarations":[` + decl + `]}]` }

func body(fields ...string) string { return "{" + strings.Join(fields, ",") + "}" }

// TestGenerateStrictness proves each rule with a valid and an invalid request.
func TestGenerateStrictness(t *testing.T) {
	s := newServer(t)
	cases := []struct {
		name   string
		model  string // default gemini-2.5-flash
		body   string
		status int
		want   string // substring of error message
	}{
		// Body shape and unknown fields (strict proto-JSON).
		{"minimal valid", "", body(contents(userHi)), 200, ""},
		{"snake_case accepted", "", body(contents(userHi), `"system_instruction":{"parts":[{"text":"be brief"}]}`, `"generation_config":{"max_output_tokens":64,"stop_sequences":["END"]}`), 200, ""},
		{"unknown top-level field", "", body(contents(userHi), `"messages":[]`), 400, `Invalid JSON payload received. Unknown name "messages": Cannot find field.`},
		{"OpenAI field at top level", "", body(contents(userHi), `"max_tokens":10`), 400, `Unknown name "max_tokens": Cannot find field.`},
		{"invalid JSON", "", `{"contents":`, 400, "Invalid JSON payload received."},
		{"root not an object", "", `[]`, 400, "Root element must be a message."},

		// contents: not empty, valid roles, one data field per part.
		{"contents missing", "", `{}`, 400, "* GenerateContentRequest.contents: contents is not specified"},
		{"contents empty", "", body(`"contents":[]`), 400, "contents is not specified"},
		{"role assistant", "", body(contents(`{"role":"assistant","parts":[{"text":"hi"}]}`)), 400, "Please use a valid role: user, model."},
		{"role system", "", body(contents(`{"role":"system","parts":[{"text":"hi"}]}`, userHi)), 400, "Please use a valid role: user, model."},
		{"single content without role", "", body(contents(`{"parts":[{"text":"hi"}]}`)), 200, ""},
		{"multi-turn content without role", "", body(contents(userHi, `{"parts":[{"text":"hi"}]}`)), 400, "Please use a valid role: user, model."},
		{"empty parts", "", body(contents(userHi, `{"role":"model","parts":[]}`, userHi)), 400, "* GenerateContentRequest.contents[1].parts: contents.parts must not be empty."},
		{"empty text part", "", body(contents(`{"role":"user","parts":[{"text":""}]}`)), 400, "* GenerateContentRequest.contents[0].parts[0].data: required oneof field 'data' must have one initialized field"},
		{"part without data", "", body(contents(`{"role":"user","parts":[{"thought":true}]}`)), 400, "required oneof field 'data' must have one initialized field"},
		{"empty text with signature", "", body(contents(userHi, `{"role":"model","parts":[{"text":"ok"},{"text":"","thoughtSignature":"skip_thought_signature_validator"}]}`, userHi)), 200, ""},
		{"two data fields in a part", "", body(contents(`{"role":"user","parts":[{"text":"a","inlineData":{"mimeType":"image/png","data":"AAAA"}}]}`)), 400, "Oneof field 'data' is already set. Cannot set 'inlineData'"},
		{"inlineData valid", "", body(contents(`{"role":"user","parts":[{"text":"describe"},{"inline_data":{"mime_type":"image/png","data":"iVBORw0KGgo="}}]}`)), 200, ""},
		{"inlineData not base64", "", body(contents(`{"role":"user","parts":[{"inlineData":{"mimeType":"image/png","data":"%%%"}}]}`)), 400, "Base64 decoding failed"},
		{"signature inside functionCall", "", body(contents(userHi, `{"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{},"thoughtSignature":"abc"}}]}`, respOne)), 400, `Unknown name "thoughtSignature" at 'contents[1].parts[0].function_call': Cannot find field.`},
		{"functionCall args as string", "", body(contents(userHi, `{"role":"model","parts":[{"functionCall":{"name":"get_weather","args":"{\"city\":\"Paris\"}"}}]}`, respOne)), 400, "Invalid value at 'contents[1].parts[0].function_call.args' (type.googleapis.com/google.protobuf.Struct)"},
		{"functionCall without name", "", body(contents(userHi, `{"role":"model","parts":[{"functionCall":{"args":{}}}]}`, respOne)), 400, "function_call.name: Name cannot be empty."},

		// functionResponse.response must be an object (a protobuf Struct).
		{"function response object", "", body(contents(userHi, callOne, respOne)), 200, ""},
		{"function response list", "", body(contents(userHi, callOne, `{"role":"user","parts":[{"functionResponse":{"name":"get_weather","response":[1,2]}}]}`)), 400, `Unknown name "response" at 'contents[2].parts[0].function_response': Proto field is not repeating, cannot start list.`},
		{"function response string", "", body(contents(userHi, callOne, `{"role":"user","parts":[{"functionResponse":{"name":"get_weather","response":"sunny"}}]}`)), 400, `Invalid value at 'contents[2].parts[0].function_response.response' (type.googleapis.com/google.protobuf.Struct), "sunny"`},

		// Turn order of function calls and responses.
		{"parallel calls answered in one content", "", body(contents(userHi, callTwo, respTwo)), 200, ""},
		{"parallel calls, one response", "", body(contents(userHi, callTwo, respOne)), 400, msgResponseCount},
		{"parallel results split over contents", "", body(contents(userHi, callTwo, respOne, respTime)), 400, msgResponseCount},
		{"call followed by model text", "", body(contents(userHi, callOne, `{"role":"model","parts":[{"text":"done"}]}`)), 400, msgResponseCount},
		{"response without a call", "", body(contents(userHi, `{"role":"model","parts":[{"text":"ok"}]}`, respOne)), 400, msgResponsePlace},
		{"history starts with a call", "", body(contents(callOne, respOne)), 400, msgCallPlacement},
		{"call right after a model turn", "", body(contents(userHi, `{"role":"model","parts":[{"text":"let me check"}]}`, callOne, respOne)), 400, msgCallPlacement},
		{"call as last content is allowed", "", body(contents(userHi, callOne)), 200, ""},

		// Tools: the Schema proto subset of `parameters`.
		{"parameters valid", "", body(contents(userHi), tool(`{"name":"get_weather","description":"d","parameters":{"type":"OBJECT","properties":{"city":{"type":"STRING","description":"c","enum":["Paris","Rome"]},"days":{"type":"INTEGER","format":"int32","minimum":1},"tags":{"type":"ARRAY","items":{"type":"STRING"},"maxItems":"3"},"when":{"type":"STRING","format":"date-time","nullable":true}},"required":["city"],"propertyOrdering":["city","days"]}}`)), 200, ""},
		{"lowercase types accepted", "", body(contents(userHi), tool(`{"name":"f","parameters":{"type":"object","properties":{"a":{"type":"string"}}}}`)), 200, ""},
		{"additionalProperties in parameters", "", body(contents(userHi), tool(`{"name":"f","parameters":{"type":"OBJECT","properties":{"a":{"type":"STRING"}},"additionalProperties":false}}`)), 400, `Invalid JSON payload received. Unknown name "additionalProperties" at 'tools[0].function_declarations[0].parameters': Cannot find field.`},
		{"nested additionalProperties", "", body(contents(userHi), tool(`{"name":"f","parameters":{"type":"OBJECT","properties":{"a":{"type":"STRING"},"o":{"type":"OBJECT","properties":{"x":{"type":"STRING"}},"additionalProperties":false}}}}`)), 400, `Unknown name "additionalProperties" at 'tools[0].function_declarations[0].parameters.properties[1].value': Cannot find field.`},
		{"$schema in parameters", "", body(contents(userHi), tool(`{"name":"f","parameters":{"$schema":"http://json-schema.org/draft-07/schema#","type":"OBJECT","properties":{"a":{"type":"STRING"}}}}`)), 400, `Unknown name "$schema" at 'tools[0].function_declarations[0].parameters': Cannot find field.`},
		{"const in parameters", "", body(contents(userHi), tool(`{"name":"f","parameters":{"type":"OBJECT","properties":{"a":{"type":"STRING","const":"x"}}}}`)), 400, `Unknown name "const"`},
		{"type array", "", body(contents(userHi), tool(`{"name":"f","parameters":{"type":"OBJECT","properties":{"a":{"type":["string","null"]}}}}`)), 400, "Proto field is not repeating, cannot start list."},
		{"integer enum", "", body(contents(userHi), tool(`{"name":"f","parameters":{"type":"OBJECT","properties":{"a":{"type":"STRING","enum":[1,2]}}}}`)), 400, "Invalid value at 'tools[0].function_declarations[0].parameters.properties[0].value.enum[0]' (TYPE_STRING), 1"},
		{"empty properties on OBJECT", "", body(contents(userHi), tool(`{"name":"f","parameters":{"type":"OBJECT","properties":{}}}`)), 400, "parameters.properties: should be non-empty for OBJECT type"},
		{"root not OBJECT", "", body(contents(userHi), tool(`{"name":"f","parameters":{"type":"STRING"}}`)), 400, "parameters.type: should be of type OBJECT"},
		{"no-arg tool without parameters", "", body(contents(userHi), tool(`{"name":"now","description":"current time"}`)), 200, ""},
		{"unsupported string format", "", body(contents(userHi), tool(`{"name":"f","parameters":{"type":"OBJECT","properties":{"u":{"type":"STRING","format":"uri"}}}}`)), 400, "parameters.properties[u].format: only 'enum' and 'date-time' are supported for STRING type"},
		{"ARRAY without items", "", body(contents(userHi), tool(`{"name":"f","parameters":{"type":"OBJECT","properties":{"l":{"type":"ARRAY"}}}}`)), 400, "parameters.properties[l].items: missing field."},
		{"required names an unknown property", "", body(contents(userHi), tool(`{"name":"f","parameters":{"type":"OBJECT","properties":{"a":{"type":"STRING"}},"required":["b"]}}`)), 400, "parameters.required[0]: property is not defined"},
		{"parameters and parametersJsonSchema", "", body(contents(userHi), tool(`{"name":"f","parameters":{"type":"OBJECT","properties":{"a":{"type":"STRING"}}},"parametersJsonSchema":{"type":"object"}}`)), 400, "parameters and parameters_json_schema are mutually exclusive"},
		{"parametersJsonSchema free JSON Schema", "", body(contents(userHi), tool(`{"name":"f","parametersJsonSchema":{"type":"object","properties":{"a":{"type":["string","null"]},"b":{"$ref":"#/$defs/B"},"c":{"const":"x"}},"$defs":{"B":{"type":"integer","exclusiveMinimum":0}},"additionalProperties":false,"required":["a"]}}`)), 200, ""},
		{"parametersJsonSchema not an object", "", body(contents(userHi), tool(`{"name":"f","parametersJsonSchema":"object"}`)), 400, "parameters_json_schema: must be a JSON object"},
		{"parametersJsonSchema root not object", "", body(contents(userHi), tool(`{"name":"f","parametersJsonSchema":{"type":"string"}}`)), 400, "parameters_json_schema.type"},
		{"function name with a space", "", body(contents(userHi), tool(`{"name":"get weather"}`)), 400, "tools[0].function_declarations[0].name: Invalid function name."},
		{"function name starting with a digit", "", body(contents(userHi), tool(`{"name":"1tool"}`)), 400, "Invalid function name."},
		{"function name with dots, colons, dashes", "", body(contents(userHi), tool(`{"name":"mcp__srv:read.file-v2"}`)), 200, ""},
		{"function name too long", "", body(contents(userHi), tool(`{"name":"`+strings.Repeat("a", 129)+`"}`)), 400, "Invalid function name."},
		{"duplicate function names", "", body(contents(userHi), tool(`{"name":"f"},{"name":"f"}`)), 400, "Duplicate function declaration found: f"},
		{"unknown field in declaration", "", body(contents(userHi), tool(`{"name":"f","strict":true}`)), 400, `Unknown name "strict" at 'tools[0].function_declarations[0]': Cannot find field.`},
		{"OpenAI tool shape", "", body(contents(userHi), `"tools":[{"type":"function","function":{"name":"f"}}]`), 400, `Unknown name "type" at 'tools[0]': Cannot find field.`},
		{"toolConfig valid", "", body(contents(userHi), tool(`{"name":"f"}`), `"toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["f"]}}`), 200, ""},
		{"toolConfig invalid mode", "", body(contents(userHi), tool(`{"name":"f"}`), `"toolConfig":{"functionCallingConfig":{"mode":"required"}}`), 400, "Invalid value at 'tool_config.function_calling_config.mode'"},

		// generationConfig.
		{"generationConfig unknown field", "", body(contents(userHi), `"generationConfig":{"max_tokens":10}`), 400, `Unknown name "max_tokens" at 'generation_config': Cannot find field.`},
		{"generationConfig wrong type", "", body(contents(userHi), `"generationConfig":{"temperature":"hot"}`), 400, `Invalid value at 'generation_config.temperature' (TYPE_FLOAT), "hot"`},
		{"temperature out of range", "", body(contents(userHi), `"generationConfig":{"temperature":2.5}`), 400, "generation_config.temperature"},
		{"thinkingConfig valid on 2.5", "", body(contents(userHi), `"generationConfig":{"thinkingConfig":{"thinkingBudget":1024,"includeThoughts":true}}`), 200, ""},
		{"thinkingLevel valid on 3", "gemini-3-pro-preview", body(contents(userHi), `"generationConfig":{"thinkingConfig":{"thinkingLevel":"LOW"}}`), 200, ""},
		{"thinkingBudget with thinkingLevel", "gemini-3-pro-preview", body(contents(userHi), `"generationConfig":{"thinkingConfig":{"thinkingBudget":1024,"thinkingLevel":"HIGH"}}`), 400, "Thinking budget and thinking level cannot be set at the same time"},
		{"thinkingLevel on 2.5", "", body(contents(userHi), `"generationConfig":{"thinkingConfig":{"thinkingLevel":"HIGH"}}`), 400, "Thinking level is not supported for this model."},
		{"budget 0 on 2.5 pro", "gemini-2.5-pro", body(contents(userHi), `"generationConfig":{"thinkingConfig":{"thinkingBudget":0}}`), 400, "Budget 0 is invalid. This model only works in thinking mode."},
		{"budget out of range", "gemini-2.5-flash", body(contents(userHi), `"generationConfig":{"thinkingConfig":{"thinkingBudget":50000}}`), 400, "The thinking budget 50000 is invalid."},
		{"thinking on a non-thinking model", "gemini-2.0-flash", body(contents(userHi), `"generationConfig":{"thinkingConfig":{"includeThoughts":true}}`), 400, "Thinking is not enabled for this model."},
		{"a thinking budget on Gemini 4", "gemini-4-argon", body(contents(userHi), `"generationConfig":{"thinkingConfig":{"thinkingBudget":1024}}`), 400, "Thinking budget is not supported for this model."},
		{"MINIMAL on Gemini 4", "gemini-4-argon", body(contents(userHi), `"generationConfig":{"thinkingConfig":{"thinkingLevel":"MINIMAL"}}`), 400, "'minimal' is not a supported thinking level for this model. Allowed values are: low, medium, high."},
		{"MINIMAL on 3.8 Flash", "gemini-3.8-flash", body(contents(userHi), `"generationConfig":{"thinkingConfig":{"thinkingLevel":"MINIMAL"}}`), 400, "'minimal' is not a supported thinking level"},
		{"MINIMAL on 3.5 Flash-Lite", "gemini-3.5-flash-lite", body(contents(userHi), `"generationConfig":{"thinkingConfig":{"thinkingLevel":"MINIMAL"}}`), 200, ""},
		{"MEDIUM on Gemini 4", "gemini-4-argon", body(contents(userHi), `"generationConfig":{"thinkingConfig":{"thinkingLevel":"MEDIUM","includeThoughts":true}}`), 200, ""},
		{"XHIGH on Gemini 4 Neon", "gemini-4-neon", body(contents(userHi), `"generationConfig":{"thinkingConfig":{"thinkingLevel":"XHIGH"}}`), 200, ""},
		{"XHIGH on Gemini 4 Argon", "gemini-4-argon", body(contents(userHi), `"generationConfig":{"thinkingConfig":{"thinkingLevel":"XHIGH"}}`), 400, "'xhigh' is not a supported thinking level"},
		{"XHIGH on Gemini 3 Pro", "gemini-3-pro-preview", body(contents(userHi), `"generationConfig":{"thinkingConfig":{"thinkingLevel":"XHIGH"}}`), 400, "'xhigh' is not a supported thinking level for this model. Allowed values are: minimal, low, medium, high."},
		{"penalties on Gemini 4 Neon", "gemini-4-neon", body(contents(userHi), `"generationConfig":{"presencePenalty":0}`), 400, "Penalty is not enabled for models/gemini-4-neon"},
		{"penalties on Gemini 4 Argon", "gemini-4-argon", body(contents(userHi), `"generationConfig":{"frequencyPenalty":0.5}`), 200, ""},
		{"candidateCount 2 on 4", "gemini-4-argon", body(contents(userHi), `"generationConfig":{"candidateCount":2}`), 400, "Multiple candidates is not enabled for this model"},
		{"thinkingLevel on the flash alias", "gemini-flash-latest", body(contents(userHi), `"generationConfig":{"thinkingConfig":{"thinkingLevel":"LOW"}}`), 200, ""},
		{"candidateCount 2 on 2.5", "", body(contents(userHi), `"generationConfig":{"candidateCount":2}`), 200, ""},
		{"candidateCount 2 on 3", "gemini-3-pro-preview", body(contents(userHi), `"generationConfig":{"candidateCount":2}`), 400, "Multiple candidates is not enabled for this model"},
		{"maxOutputTokens at the model's limit", "gemini-2.5-pro", body(contents(userHi), `"generationConfig":{"maxOutputTokens":65536}`), 200, ""},
		{"maxOutputTokens above the model's limit", "gemini-2.5-pro", body(contents(userHi), `"generationConfig":{"maxOutputTokens":128000}`), 400, "has a maxOutputTokens value of 128000 but the supported range is from 1 (inclusive) to 65537 (exclusive)"},
		{"maxOutputTokens above 2.0's limit", "gemini-2.0-flash", body(contents(userHi), `"generationConfig":{"maxOutputTokens":8193}`), 400, "supported range is from 1 (inclusive) to 8193 (exclusive)"},
		{"responseJsonSchema with JSON mime", "", body(contents(userHi), `"generationConfig":{"responseMimeType":"application/json","responseJsonSchema":{"type":"object","additionalProperties":false}}`), 200, ""},
		{"responseSchema with JSON mime", "", body(contents(userHi), `"generationConfig":{"responseMimeType":"application/json","responseSchema":{"type":"ARRAY","items":{"type":"STRING"}}}`), 200, ""},
		{"responseJsonSchema without mime", "", body(contents(userHi), `"generationConfig":{"responseJsonSchema":{"type":"object"}}`), 400, "response_mime_type must be `application/json`"},
		{"responseSchema with text mime", "", body(contents(userHi), `"generationConfig":{"responseMimeType":"text/plain","responseSchema":{"type":"STRING"}}`), 400, "When using response_schema"},
		{"responseSchema and responseJsonSchema", "", body(contents(userHi), `"generationConfig":{"responseMimeType":"application/json","responseSchema":{"type":"STRING"},"responseJsonSchema":{"type":"string"}}`), 400, "response_schema and response_json_schema are mutually exclusive"},
		{"unsupported mime type", "", body(contents(userHi), `"generationConfig":{"responseMimeType":"application/x-ndjson"}`), 400, "allowed mimetypes are"},
		{"logprobs without responseLogprobs", "", body(contents(userHi), `"generationConfig":{"logprobs":3}`), 400, "logprobs can only be set when response_logprobs is true"},

		// systemInstruction: text parts only.
		{"systemInstruction text", "", body(contents(userHi), `"systemInstruction":{"role":"system","parts":[{"text":"be terse"}]}`), 200, ""},
		{"systemInstruction image", "", body(contents(userHi), `"systemInstruction":{"parts":[{"inlineData":{"mimeType":"image/png","data":"AAAA"}}]}`), 400, "system_instruction.parts[0]: only text parts are supported"},
		{"systemInstruction empty text", "", body(contents(userHi), `"systemInstruction":{"parts":[{"text":""}]}`), 400, "system_instruction.parts[0].data: required oneof field 'data'"},

		// Safety settings and cached content.
		{"safety settings valid", "", body(contents(userHi), `"safetySettings":[{"category":"HARM_CATEGORY_HARASSMENT","threshold":"BLOCK_NONE"}]`), 200, ""},
		{"safety category invalid", "", body(contents(userHi), `"safetySettings":[{"category":"HARASSMENT","threshold":"BLOCK_NONE"}]`), 400, "Invalid value at 'safety_settings[0].category'"},
		{"cachedContent with systemInstruction", "", body(contents(userHi), `"cachedContent":"cachedContents/abc"`, `"systemInstruction":{"parts":[{"text":"x"}]}`), 400, "CachedContent can not be used with GenerateContent request setting system_instruction"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			model := tc.model
			if model == "" {
				model = "gemini-2.5-flash"
			}
			code, b := gen(t, s, model, "generateContent", tc.body)
			if code != tc.status {
				t.Fatalf("status %d, want %d\n%s", code, tc.status, b)
			}
			if tc.status == 200 {
				if r := parseResponse(t, b); len(r.Candidates) == 0 {
					t.Fatalf("no candidates: %s", b)
				}
				return
			}
			e := parseError(t, b)
			if e.Error.Code != tc.status || e.Error.Status != StatusFor(tc.status) {
				t.Errorf("error envelope %d %s", e.Error.Code, e.Error.Status)
			}
			if !strings.Contains(e.Error.Message, tc.want) {
				t.Errorf("message %q\nwant substring %q", e.Error.Message, tc.want)
			}
		})
	}
}

func TestCachedContentNotFound(t *testing.T) {
	s := newServer(t)
	code, b := gen(t, s, "gemini-2.5-flash", "generateContent", body(contents(userHi), `"cachedContent":"cachedContents/abc"`))
	if e := parseError(t, b); code != 403 || e.Error.Status != "PERMISSION_DENIED" {
		t.Fatalf("%d %s", code, b)
	}
}

func TestQueryParameters(t *testing.T) {
	s := newServer(t)
	for _, tc := range []struct {
		query  string
		status int
	}{
		{"?alt=sse", 200},
		{"?prettyPrint=false", 200},
		{"?beta=true", 400}, // Claude Code's query leaking upstream
	} {
		code, b, _ := call(t, s, "POST", "/v1beta/models/gemini-2.5-flash:generateContent"+tc.query, keyHeader, body(contents(userHi)))
		if code != tc.status {
			t.Fatalf("%s: %d %s", tc.query, code, b)
		}
		if code == 400 && !strings.Contains(parseError(t, b).Error.Message, `Unknown name "beta": Cannot bind query parameter.`) {
			t.Errorf("message: %s", b)
		}
	}
}
