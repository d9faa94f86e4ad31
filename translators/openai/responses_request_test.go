package openai

import (
	"encoding/json"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/internal/envtest"
	"github.com/gemini-code-api/gemini-code-api/translators/internal/jsontest"
	"github.com/gemini-code-api/gemini-code-api/translators/models"
)

func TestParseResponsesTranslates(t *testing.T) {
	tests := []envtest.Translation{
		{
			Name: "string input, instructions, sampling; fields without a Gemini equivalent ignored",
			In: `{"model":"gpt-4o","instructions":"be terse","input":"hi","temperature":0.2,"top_p":0.9,"max_output_tokens":100,
				"store":true,"include":["message.output_text.logprobs"],"prompt_cache_key":"k","metadata":{"a":"b"},"user":"u",
				"service_tier":"auto","truncation":"auto","text":{"verbosity":"low"},"client_metadata":{"x":"y"},"parallel_tool_calls":false,"unknown":1}`,
			Want: `{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"systemInstruction":{"parts":[{"text":"be terse"}]},
				"generationConfig":{"temperature":0.2,"topP":0.9,"maxOutputTokens":100}}`,
			Path: "/v1beta/models/gemini-4-argon:generateContent",
		},
		{
			// What Codex sends: developer messages inside input (hoisted),
			// messages with ids and several input_text parts, stream.
			Name: "message items: roles, content parts, hoisted system and developer",
			In: `{"model":"gemini-2.5-flash","stream":true,"input":[
				{"type":"message","id":"msg_1","role":"developer","content":[{"type":"input_text","text":"you are codex"}]},
				{"type":"message","role":"user","content":[{"type":"input_text","text":"<env>"},{"type":"input_text","text":"look"},{"type":"input_text","text":""},
					{"type":"input_image","image_url":"data:image/png;base64,iVBORw0KGgo=","detail":"high"},
					{"type":"input_image","image_url":"https://example.com/a.webp"},
					{"type":"input_file","filename":"doc.pdf","file_data":"data:application/pdf;base64,JVBERi0="},
					{"type":"input_file","file_url":"https://example.com/r.pdf"}]},
				{"role":"assistant","content":"looked"},
				{"type":"message","role":"assistant","content":[{"type":"output_text","text":"twice","annotations":[]}]},
				{"role":"system","content":"late system"},
				{"role":"user","content":"thanks"}]}`,
			Want: `{"contents":[{"role":"user","parts":[{"text":"<env>"},{"text":"look"},
					{"inlineData":{"mimeType":"image/png","data":"iVBORw0KGgo="}},
					{"fileData":{"mimeType":"image/webp","fileUri":"https://example.com/a.webp"}},
					{"inlineData":{"mimeType":"application/pdf","data":"JVBERi0="}},
					{"fileData":{"mimeType":"application/pdf","fileUri":"https://example.com/r.pdf"}}]},
				{"role":"model","parts":[{"text":"looked"},{"text":"twice"}]},
				{"role":"user","parts":[{"text":"thanks"}]}],
				"systemInstruction":{"parts":[{"text":"you are codex"},{"text":"late system"}]}}`,
			Path: "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
		},
		{
			// Parallel calls answered out of order, their outputs grouped in
			// one user content; the signature comes back from the call id;
			// a structured output goes as a value; the second step's call
			// is never answered and gets an error result; strict schemas
			// ask for constrained calls.
			Name: "function calls and outputs paired by call_id",
			In: `{"model":"gemini-3-pro-preview","input":[
				{"role":"user","content":"weather in Paris and Rome?"},
				{"type":"function_call","id":"fc_1","call_id":"call_a__ts_CtMBAdHt","name":"get_weather","arguments":"{\"city\":\"Paris\"}","status":"completed"},
				{"type":"function_call","call_id":"call_b","name":"get_weather","arguments":"{\"city\":\"Rome\"}"},
				{"type":"function_call_output","call_id":"call_b","output":"sunny"},
				{"type":"function_call_output","call_id":"call_a__ts_CtMBAdHt","output":"{\"temp\":18}"},
				{"type":"function_call_output","call_id":"call_unknown","output":"dropped"},
				{"type":"function_call","call_id":"call_c__ts_AAEC","name":"get_weather","arguments":""},
				{"role":"user","content":"and now?"}],
				"tools":[{"type":"function","name":"get_weather","description":"w","strict":true,
					"parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"],"additionalProperties":false}}]}`,
			Want: `{"contents":[{"role":"user","parts":[{"text":"weather in Paris and Rome?"}]},
				{"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{"city":"Paris"}},"thoughtSignature":"CtMBAdHt"},{"functionCall":{"name":"get_weather","args":{"city":"Rome"}}}]},
				{"role":"user","parts":[{"functionResponse":{"name":"get_weather","response":{"output":"sunny"}}},{"functionResponse":{"name":"get_weather","response":{"output":{"temp":18}}}}]},
				{"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{}},"thoughtSignature":"AAEC"}]},
				{"role":"user","parts":[{"functionResponse":{"name":"get_weather","response":{"error":"no result returned"}}},{"text":"and now?"}]}],
				"tools":[{"functionDeclarations":[{"name":"get_weather","description":"w","parametersJsonSchema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"],"additionalProperties":false}}]}],
				"toolConfig":{"functionCallingConfig":{"mode":"VALIDATED"}}}`,
			Path: "/v1beta/models/gemini-3-pro-preview:generateContent",
		},
		{
			// Clients often put each output right after its call. Gemini 3
			// signs the first call of every step, so an unsigned call after
			// an output is another call of the same step: the calls go
			// together, then their results, as Gemini wants. A signed call starts the
			// next step; a model content never starts unsigned (placeholder).
			Name: "interleaved outputs of parallel calls regrouped (Gemini 3)",
			In: `{"model":"gemini-3-flash-preview","input":[{"role":"user","content":"go"},
				{"type":"function_call","call_id":"c1__ts_AAEC","name":"f","arguments":"{\"n\":1}"},
				{"type":"function_call_output","call_id":"c1__ts_AAEC","output":"r1"},
				{"type":"function_call","call_id":"c2","name":"f","arguments":"{\"n\":2}"},
				{"type":"function_call_output","call_id":"c2","output":"r2"},
				{"type":"function_call","call_id":"c3__ts_AAED","name":"f","arguments":"{\"n\":3}"},
				{"type":"function_call_output","call_id":"c3__ts_AAED","output":"r3"},
				{"type":"message","role":"assistant","content":[{"type":"output_text","text":"checking"}]},
				{"type":"function_call","call_id":"c4","name":"f","arguments":"{\"n\":4}"},
				{"type":"function_call_output","call_id":"c4","output":"r4"}],
				"tools":[{"type":"function","name":"f"}]}`,
			Want: `{"contents":[{"role":"user","parts":[{"text":"go"}]},
				{"role":"model","parts":[{"functionCall":{"name":"f","args":{"n":1}},"thoughtSignature":"AAEC"},{"functionCall":{"name":"f","args":{"n":2}}}]},
				{"role":"user","parts":[{"functionResponse":{"name":"f","response":{"output":"r1"}}},{"functionResponse":{"name":"f","response":{"output":"r2"}}}]},
				{"role":"model","parts":[{"functionCall":{"name":"f","args":{"n":3}},"thoughtSignature":"AAED"}]},
				{"role":"user","parts":[{"functionResponse":{"name":"f","response":{"output":"r3"}}}]},
				{"role":"model","parts":[{"text":"checking"},{"functionCall":{"name":"f","args":{"n":4}},"thoughtSignature":"skip_thought_signature_validator"}]},
				{"role":"user","parts":[{"functionResponse":{"name":"f","response":{"output":"r4"}}}]}],
				"tools":[{"functionDeclarations":[{"name":"f"}]}]}`,
			Path: "/v1beta/models/gemini-3-flash-preview:generateContent",
		},
		{
			// Codex's tools: function tools, apply_patch as a custom tool
			// with a grammar, a namespace of functions, web_search (dropped).
			Name: "Codex tool types: function, custom, namespace, web_search",
			In: `{"model":"gemini-2.5-pro","input":[
				{"role":"user","content":"edit"},
				{"type":"custom_tool_call","call_id":"call_p","name":"apply_patch","input":"*** Begin Patch\n*** End Patch\n"},
				{"type":"custom_tool_call_output","call_id":"call_p","output":"Done"},
				{"type":"function_call","call_id":"call_n","namespace":"multi_agent_v1","name":"close_agent","arguments":"{\"target\":\"a\"}"},
				{"type":"function_call_output","call_id":"call_n","output":[{"type":"input_text","text":"closed"}]}],
				"tools":[{"type":"function","name":"exec_command","strict":false,"parameters":{"type":"object","properties":{"cmd":{"type":"string"}},"required":["cmd"],"additionalProperties":false}},
					{"type":"custom","name":"apply_patch","description":"Edit files.","format":{"type":"grammar","syntax":"lark","definition":"start: begin_patch"}},
					{"type":"namespace","name":"multi_agent_v1","description":"agents","tools":[{"type":"function","name":"close_agent","parameters":{"type":"object","properties":{"target":{"type":"string"}}}}]},
					{"type":"web_search","external_web_access":false}],
				"tool_choice":"auto","parallel_tool_calls":true}`,
			Want: `{"contents":[{"role":"user","parts":[{"text":"edit"}]},
				{"role":"model","parts":[{"functionCall":{"name":"apply_patch","args":{"input":"*** Begin Patch\n*** End Patch\n"}}}]},
				{"role":"user","parts":[{"functionResponse":{"name":"apply_patch","response":{"output":"Done"}}}]},
				{"role":"model","parts":[{"functionCall":{"name":"multi_agent_v1.close_agent","args":{"target":"a"}}}]},
				{"role":"user","parts":[{"functionResponse":{"name":"multi_agent_v1.close_agent","response":{"output":"closed"}}}]}],
				"tools":[{"functionDeclarations":[
					{"name":"exec_command","parametersJsonSchema":{"type":"object","properties":{"cmd":{"type":"string"}},"required":["cmd"],"additionalProperties":false}},
					{"name":"apply_patch","description":"Edit files.\n\nThe ` + "`input`" + ` argument must follow this lark grammar:\nstart: begin_patch",
						"parametersJsonSchema":` + customInputSchema + `},
					{"name":"multi_agent_v1.close_agent","parametersJsonSchema":{"type":"object","properties":{"target":{"type":"string"}}}}]}],
				"toolConfig":{"functionCallingConfig":{"mode":"AUTO"}}}`,
			Path:   "/v1beta/models/gemini-2.5-pro:generateContent",
			Notice: "cannot combine Google Search",
		},
		{
			// Our reasoning items carry text signatures: back on the last
			// text part of that model turn. Summaries are not sent back;
			// OpenAI's own encrypted reasoning is ignored.
			Name: "reasoning items give back text signatures",
			In: `{"model":"gemini-3-flash-preview","input":[
				{"role":"user","content":"hi"},
				{"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"thinking"}],"encrypted_content":"gAAAAB-openai-blob"},
				{"type":"message","role":"assistant","content":[{"type":"output_text","text":"Hello"}]},
				{"type":"message","role":"assistant","content":[{"type":"output_text","text":"there"}]},
				{"type":"reasoning","id":"rs_2","summary":[],"encrypted_content":"gsig1.tx.c2lnbmF0dXJl"},
				{"role":"user","content":"bye"}],
				"reasoning":{"effort":"low","summary":"auto"},"include":["reasoning.encrypted_content"]}`,
			Want: `{"contents":[{"role":"user","parts":[{"text":"hi"}]},
				{"role":"model","parts":[{"text":"Hello"},{"text":"there","thoughtSignature":"c2lnbmF0dXJl"}]},
				{"role":"user","parts":[{"text":"bye"}]}],
				"generationConfig":{"thinkingConfig":{"includeThoughts":true,"thinkingLevel":"LOW"}}}`,
			Path: "/v1beta/models/gemini-3-flash-preview:generateContent",
		},
		{
			// Gemini 3 takes images inside a function response (Codex's
			// view_image); earlier models get them after the responses.
			Name: "images in call outputs, Gemini 3",
			In: `{"model":"gemini-3-pro-preview","input":[{"role":"user","content":"look"},
				{"type":"function_call","call_id":"c1__ts_AAEC","name":"view_image","arguments":"{\"path\":\"a.png\"}"},
				{"type":"function_call_output","call_id":"c1__ts_AAEC","output":[{"type":"input_image","image_url":"data:image/png;base64,iVBORw0KGgo="}]}],
				"tools":[{"type":"function","name":"view_image","parameters":{"type":"object","properties":{"path":{"type":"string"}}}}]}`,
			Want: `{"contents":[{"role":"user","parts":[{"text":"look"}]},
				{"role":"model","parts":[{"functionCall":{"name":"view_image","args":{"path":"a.png"}},"thoughtSignature":"AAEC"}]},
				{"role":"user","parts":[{"functionResponse":{"name":"view_image","response":{"output":""},"parts":[{"inlineData":{"mimeType":"image/png","data":"iVBORw0KGgo="}}]}}]}],
				"tools":[{"functionDeclarations":[{"name":"view_image","parametersJsonSchema":{"type":"object","properties":{"path":{"type":"string"}}}}]}]}`,
			Path: "/v1beta/models/gemini-3-pro-preview:generateContent",
		},
		{
			Name: "images in call outputs, Gemini 2.5",
			In: `{"model":"gemini-2.5-flash","input":[{"role":"user","content":"look"},
				{"type":"function_call","call_id":"c1","name":"view_image","arguments":"{}"},
				{"type":"function_call_output","call_id":"c1","output":[{"type":"input_text","text":"here"},{"type":"input_image","image_url":"data:image/png;base64,iVBORw0KGgo="}]}],
				"tools":[{"type":"function","name":"view_image"}]}`,
			Want: `{"contents":[{"role":"user","parts":[{"text":"look"}]},
				{"role":"model","parts":[{"functionCall":{"name":"view_image","args":{}}}]},
				{"role":"user","parts":[{"functionResponse":{"name":"view_image","response":{"output":"here"}}},{"inlineData":{"mimeType":"image/png","data":"iVBORw0KGgo="}}]}],
				"tools":[{"functionDeclarations":[{"name":"view_image"}]}]}`,
			Path: "/v1beta/models/gemini-2.5-flash:generateContent",
		},
		{
			Name: "structured output and reasoning effort on 2.5",
			In: `{"model":"gemini-2.5-pro","input":"list","reasoning":{"effort":"minimal"},
				"text":{"format":{"type":"json_schema","name":"list","strict":true,"schema":{"$schema":"x","type":"object","properties":{"items":{"type":"array","items":{"type":"string"}}},"required":["items"],"additionalProperties":false}}}}`,
			Want: `{"contents":[{"role":"user","parts":[{"text":"list"}]}],
				"generationConfig":{"responseMimeType":"application/json","responseJsonSchema":{"type":"object","properties":{"items":{"type":"array","items":{"type":"string"}}},"required":["items"],"additionalProperties":false},
				"thinkingConfig":{"thinkingBudget":512}}}`,
			Path: "/v1beta/models/gemini-2.5-pro:generateContent",
		},
		{
			Name: "json_object; Gemini 3 Pro levels; output limit clamped",
			In:   `{"model":"gemini-3-pro-preview","input":"x","text":{"format":{"type":"json_object"}},"reasoning":{"effort":"medium","summary":"detailed"},"max_output_tokens":200000}`,
			Want: `{"contents":[{"role":"user","parts":[{"text":"x"}]}],
				"generationConfig":{"maxOutputTokens":65536,"responseMimeType":"application/json","thinkingConfig":{"includeThoughts":true,"thinkingLevel":"HIGH"}}}`,
			Path: "/v1beta/models/gemini-3-pro-preview:generateContent",
		},
		{
			// Codex asks every model for reasoning; one that cannot think
			// answers any thinkingConfig with a 400.
			Name: "reasoning dropped on a model that cannot think",
			In:   `{"model":"gemini-2.0-flash","input":"x","reasoning":{"effort":"high","summary":"auto"}}`,
			Want: `{"contents":[{"role":"user","parts":[{"text":"x"}]}]}`,
			Path: "/v1beta/models/gemini-2.0-flash:generateContent",
		},
		{
			Name: "tool_choice: named function, allowed tools",
			In: `{"model":"gemini-2.5-flash","input":"x","tools":[{"type":"function","name":"a"},{"type":"function","name":"b"},{"type":"web_search_preview"}],
				"tool_choice":{"type":"allowed_tools","mode":"auto","tools":[{"type":"function","name":"b"},{"type":"web_search_preview"}]}}`,
			Want: `{"contents":[{"role":"user","parts":[{"text":"x"}]}],"tools":[{"functionDeclarations":[{"name":"a"},{"name":"b"}]}],
				"toolConfig":{"functionCallingConfig":{"mode":"VALIDATED","allowedFunctionNames":["b"]}}}`,
			Path:   "/v1beta/models/gemini-2.5-flash:generateContent",
			Notice: "cannot combine Google Search",
		},
		{
			Name: "tool_choice: a custom tool by name, required",
			In:   `{"model":"gemini-2.5-flash","input":"x","tools":[{"type":"custom","name":"p"}],"tool_choice":{"type":"custom","name":"p"}}`,
			Want: `{"contents":[{"role":"user","parts":[{"text":"x"}]}],"tools":[{"functionDeclarations":[{"name":"p","parametersJsonSchema":` + customInputSchema + `}]}],
				"toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["p"]}}}`,
			Path: "/v1beta/models/gemini-2.5-flash:generateContent",
		},
	}
	envtest.Translates(t, ParseResponses, nil, tests)
}

func TestParseResponsesRejects(t *testing.T) {
	tests := []envtest.Refusal{
		{Name: "not JSON", In: `{`, Param: "", Msg: "not valid JSON"},
		{Name: "no model", In: `{"input":"x"}`, Param: "model", Msg: "model parameter"},
		{Name: "no input", In: `{"model":"gpt-4o"}`, Param: "input", Msg: "Missing required parameter"},
		{Name: "input number", In: `{"model":"gpt-4o","input":5}`, Param: "input", Msg: "string or an array"},
		{Name: "previous_response_id (stateless)", In: `{"model":"gpt-4o","input":"x","previous_response_id":"resp_1"}`, Param: "previous_response_id", Msg: "does not store responses"},
		{Name: "conversation (stateless)", In: `{"model":"gpt-4o","input":"x","conversation":"conv_1"}`, Param: "conversation", Msg: "does not store conversations"},
		{Name: "background", In: `{"model":"gpt-4o","input":"x","background":true}`, Param: "background", Msg: "does not store responses"},
		{Name: "item_reference", In: `{"model":"gpt-4o","input":[{"type":"item_reference","id":"msg_1"}]}`, Param: "input[0]", Msg: "item_reference"},
		{Name: "unknown item", In: `{"model":"gpt-4o","input":[{"type":"mcp_call"}]}`, Param: "input[0].type", Msg: "mcp_call"},
		{Name: "bad role", In: `{"model":"gpt-4o","input":[{"role":"tool","content":"x"}]}`, Param: "input[0].role", Msg: "Invalid role"},
		{Name: "image file_id", In: `{"model":"gpt-4o","input":[{"role":"user","content":[{"type":"input_image","file_id":"file-1"}]}]}`, Param: "input[0].content[0].file_id", Msg: "file ids"},
		{Name: "unknown part", In: `{"model":"gpt-4o","input":[{"role":"user","content":[{"type":"input_audio"}]}]}`, Param: "input[0].content[0].type", Msg: "input_audio"},
		{Name: "call without call_id", In: `{"model":"gpt-4o","input":[{"type":"function_call","name":"f","arguments":"{}"}]}`, Param: "input[0].call_id", Msg: "call_id"},
		{Name: "arguments not an object", In: `{"model":"gpt-4o","input":[{"type":"function_call","call_id":"c","name":"f","arguments":"[1]"}]}`, Param: "input[0].arguments", Msg: "JSON object"},
		{Name: "only system", In: `{"model":"gpt-4o","input":[{"role":"developer","content":"x"}]}`, Param: "input", Msg: "no user or assistant content"},
		{Name: "hosted tool", In: `{"model":"gpt-4o","input":"x","tools":[{"type":"file_search","vector_store_ids":["vs"]}]}`, Param: "tools[0].type", Msg: "file_search"},
		{Name: "tool twice", In: `{"model":"gpt-4o","input":"x","tools":[{"type":"function","name":"a"},{"type":"custom","name":"a"}]}`, Param: "tools[1].name", Msg: "declared twice"},
		{Name: "tool_choice unknown function", In: `{"model":"gpt-4o","input":"x","tools":[{"type":"function","name":"a"}],"tool_choice":{"type":"function","name":"b"}}`, Param: "tool_choice", Msg: "`b`"},
		{Name: "tool_choice required without tools", In: `{"model":"gpt-4o","input":"x","tool_choice":"required"}`, Param: "tool_choice", Msg: "requires 'tools'"},
		{Name: "text.format unknown", In: `{"model":"gpt-4o","input":"x","text":{"format":{"type":"xml"}}}`, Param: "text.format.type", Msg: "json_schema"},
		{Name: "json_schema without schema", In: `{"model":"gpt-4o","input":"x","text":{"format":{"type":"json_schema","name":"n"}}}`, Param: "text.format.schema", Msg: "schema"},
		{Name: "temperature range", In: `{"model":"gpt-4o","input":"x","temperature":3}`, Param: "temperature", Msg: "out of range"},
		{Name: "max_output_tokens type", In: `{"model":"gpt-4o","input":"x","max_output_tokens":1.5}`, Param: "max_output_tokens", Msg: "integer"},
		{Name: "effort unknown", In: `{"model":"gemini-2.5-pro","input":"x","reasoning":{"effort":"extreme"}}`, Param: "reasoning.effort", Msg: "expected none"},
		{Name: "summary unknown", In: `{"model":"gpt-4o","input":"x","reasoning":{"summary":"long"}}`, Param: "reasoning.summary", Msg: "expected auto"},
		{Name: "include not a list", In: `{"model":"gpt-4o","input":"x","include":"reasoning.encrypted_content"}`, Param: "include", Msg: "array"},
	}
	envtest.Rejects(t, ParseResponses, tests, invalidRequestBody)
}

// The Response object repeats the request's settings (OpenAI echoes them).
func TestResponsesEcho(t *testing.T) {
	r, e := ParseResponses([]byte(`{"model":"gpt-4o","input":"x","instructions":"i","max_output_tokens":9,"temperature":0.5,
		"tools":[{"type":"function","name":"f"}],"tool_choice":"required","reasoning":{"effort":"low"},"text":{"format":{"type":"json_object"}},"metadata":{"k":"v"}}`), envtest.Env(nil))
	if e != nil {
		t.Fatal(e)
	}
	got := r.appendResponse(nil, "resp_1", 5, responseState{status: "completed"}, nil)
	jsontest.Equal(t, got, `{"id":"resp_1","object":"response","created_at":5,"status":"completed","background":false,"error":null,"incomplete_details":null,
		"model":"gpt-4o","output":[],"instructions":"i","max_output_tokens":9,"metadata":{"k":"v"},"parallel_tool_calls":true,"previous_response_id":null,
		"reasoning":{"effort":"low","summary":null},"store":false,"temperature":0.5,"text":{"format":{"type":"json_object"}},"tool_choice":"required",
		"tools":[{"type":"function","name":"f"}],"top_p":1,"truncation":"disabled","user":null,"usage":null}`)
}

func FuzzParseResponses(f *testing.F) {
	f.Add([]byte(`{"model":"gpt-4o","input":"x"}`))
	f.Add([]byte(`{"model":"gemini-3-pro-preview","input":[{"role":"user","content":"x"},{"type":"reasoning","encrypted_content":"gsig1.tx.AAEC"},{"type":"function_call","call_id":"a__ts_AAEC","name":"f","arguments":"{}"},{"type":"function_call_output","call_id":"a__ts_AAEC","output":[{"type":"input_text","text":"r"}]}],"tools":[{"type":"namespace","name":"n","tools":[{"type":"function","name":"f"}]},{"type":"custom","name":"p"}]}`))
	// Texts in every place a text is copied as the body holds it, with
	// what Gemini refuses in them: a lone surrogate, bytes not UTF-8.
	f.Add([]byte(`{"model":"gpt-4o","instructions":"\ud800","input":[{"role":"developer","content":"\udc00"},{"role":"user","content":[{"type":"input_text","text":"\ud83d"}]},{"role":"assistant","content":[{"type":"output_text","text":"\ude00"}]},{"type":"function_call","call_id":"c","name":"f","arguments":"{}"},{"type":"function_call_output","call_id":"c","output":"\ud83d"},{"type":"function_call","call_id":"d","name":"f","arguments":"{}"},{"type":"function_call_output","call_id":"d","output":[{"type":"input_text","text":"\ud83d"},{"type":"input_text","text":"\ude00"}]}],"tools":[{"type":"function","name":"f","description":"\udfff"}]}`))
	f.Add([]byte("{\"model\":\"gpt-4o\",\"input\":\"\xff\"}"))
	mm := models.Default()
	f.Fuzz(func(t *testing.T, in []byte) {
		r, ok := envtest.ParsesToJSON(t, ParseResponses, envtest.Env(mm), in, ErrorBody)
		if ok && !json.Valid(r.appendResponse(nil, "resp_x", 1, responseState{status: "completed"}, nil)) {
			t.Fatalf("invalid Response object for %s", in)
		}
	})
}
