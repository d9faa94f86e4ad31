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

func TestParseResponsesTranslates(t *testing.T) {
	tests := []envtest.Translation{
		{
			Name: "string input, instructions, sampling; fields without a Gemini equivalent ignored",
			In: `{"model":"gpt-4o","instructions":"be terse","input":"hi","temperature":0.2,"top_p":0.9,"max_output_tokens":100,
				"store":true,"include":["message.output_text.logprobs"],"prompt_cache_key":"k","metadata":{"a":"b"},"user":"u",
				"service_tier":"auto","truncation":"auto","text":{"verbosity":"low"},"client_metadata":{"x":"y"},"parallel_tool_calls":false,"unknown":1}`,
			Want: `{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"systemInstruction":{"parts":[{"text":"be terse"}]},
				"generationConfig":{"temperature":0.2,"topP":0.9,"maxOutputTokens":100}}`,
			Path: "/v1beta/models/gemini-2.5-pro:generateContent",
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
	tests := []struct{ name, in, param, msg string }{
		{"not JSON", `{`, "", "not valid JSON"},
		{"no model", `{"input":"x"}`, "model", "model parameter"},
		{"no input", `{"model":"gpt-4o"}`, "input", "Missing required parameter"},
		{"input number", `{"model":"gpt-4o","input":5}`, "input", "string or an array"},
		{"previous_response_id (stateless)", `{"model":"gpt-4o","input":"x","previous_response_id":"resp_1"}`, "previous_response_id", "does not store responses"},
		{"conversation (stateless)", `{"model":"gpt-4o","input":"x","conversation":"conv_1"}`, "conversation", "does not store conversations"},
		{"background", `{"model":"gpt-4o","input":"x","background":true}`, "background", "does not store responses"},
		{"item_reference", `{"model":"gpt-4o","input":[{"type":"item_reference","id":"msg_1"}]}`, "input[0]", "item_reference"},
		{"unknown item", `{"model":"gpt-4o","input":[{"type":"mcp_call"}]}`, "input[0].type", "mcp_call"},
		{"bad role", `{"model":"gpt-4o","input":[{"role":"tool","content":"x"}]}`, "input[0].role", "Invalid role"},
		{"image file_id", `{"model":"gpt-4o","input":[{"role":"user","content":[{"type":"input_image","file_id":"file-1"}]}]}`, "input[0].content[0].file_id", "file ids"},
		{"unknown part", `{"model":"gpt-4o","input":[{"role":"user","content":[{"type":"input_audio"}]}]}`, "input[0].content[0].type", "input_audio"},
		{"call without call_id", `{"model":"gpt-4o","input":[{"type":"function_call","name":"f","arguments":"{}"}]}`, "input[0].call_id", "call_id"},
		{"arguments not an object", `{"model":"gpt-4o","input":[{"type":"function_call","call_id":"c","name":"f","arguments":"[1]"}]}`, "input[0].arguments", "JSON object"},
		{"only system", `{"model":"gpt-4o","input":[{"role":"developer","content":"x"}]}`, "input", "no user or assistant content"},
		{"hosted tool", `{"model":"gpt-4o","input":"x","tools":[{"type":"file_search","vector_store_ids":["vs"]}]}`, "tools[0].type", "file_search"},
		{"tool twice", `{"model":"gpt-4o","input":"x","tools":[{"type":"function","name":"a"},{"type":"custom","name":"a"}]}`, "tools[1].name", "declared twice"},
		{"tool_choice unknown function", `{"model":"gpt-4o","input":"x","tools":[{"type":"function","name":"a"}],"tool_choice":{"type":"function","name":"b"}}`, "tool_choice", "`b`"},
		{"tool_choice required without tools", `{"model":"gpt-4o","input":"x","tool_choice":"required"}`, "tool_choice", "requires 'tools'"},
		{"text.format unknown", `{"model":"gpt-4o","input":"x","text":{"format":{"type":"xml"}}}`, "text.format.type", "json_schema"},
		{"json_schema without schema", `{"model":"gpt-4o","input":"x","text":{"format":{"type":"json_schema","name":"n"}}}`, "text.format.schema", "schema"},
		{"temperature range", `{"model":"gpt-4o","input":"x","temperature":3}`, "temperature", "out of range"},
		{"max_output_tokens type", `{"model":"gpt-4o","input":"x","max_output_tokens":1.5}`, "max_output_tokens", "integer"},
		{"effort unknown", `{"model":"gemini-2.5-pro","input":"x","reasoning":{"effort":"extreme"}}`, "reasoning.effort", "expected none"},
		{"summary unknown", `{"model":"gpt-4o","input":"x","reasoning":{"summary":"long"}}`, "reasoning.summary", "expected auto"},
		{"include not a list", `{"model":"gpt-4o","input":"x","include":"reasoning.encrypted_content"}`, "include", "array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, e := ParseResponses([]byte(tt.in), envtest.Env(nil))
			if e == nil {
				t.Fatal("accepted")
			}
			if e.Kind != apierror.InvalidRequest || e.Status != 400 || e.Param != tt.param || !strings.Contains(e.Message, tt.msg) {
				t.Fatalf("got kind=%d status=%d param=%q msg=%q", e.Kind, e.Status, e.Param, e.Message)
			}
			var b struct{ Error struct{ Type, Param string } }
			if json.Unmarshal(ErrorBody(e), &b) != nil || b.Error.Type != "invalid_request_error" {
				t.Fatalf("error body %s", ErrorBody(e))
			}
		})
	}
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
	mm := models.Default()
	f.Fuzz(func(t *testing.T, in []byte) {
		r, e := ParseResponses(in, envtest.Env(mm))
		if e != nil {
			if !json.Valid(ErrorBody(e)) {
				t.Fatalf("invalid error body")
			}
			return
		}
		if !json.Valid(r.Body) {
			t.Fatalf("invalid Gemini body for %s:\n%s", in, r.Body)
		}
		if !json.Valid(r.appendResponse(nil, "resp_x", 1, responseState{status: "completed"}, nil)) {
			t.Fatalf("invalid Response object for %s", in)
		}
	})
}
