package anthropic

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/internal/envtest"
	"github.com/gemini-code-api/gemini-code-api/translators/internal/jsontest"
	"github.com/gemini-code-api/gemini-code-api/translators/models"
)

// A Claude Code–like tool list: $schema, additionalProperties,
// exclusiveMinimum, const and propertyNames are all there, none of which
// Gemini's tool schemas take.
const claudeCodeTools = `[
 {"name":"Read","description":"Reads a file","input_schema":{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","additionalProperties":false,
   "properties":{"file_path":{"type":"string","description":"absolute path"},"offset":{"type":"number","exclusiveMinimum":0},"limit":{"type":"integer","exclusiveMinimum":0,"maximum":9007199254740991}},
   "required":["file_path"]},"cache_control":{"type":"ephemeral"}},
 {"name":"Bash","input_schema":{"$schema":"http://json-schema.org/draft-07/schema#","type":"object",
   "properties":{"command":{"type":"string"},"mode":{"const":"run"},"env":{"type":"object","propertyNames":{"pattern":"^[A-Z_]+$"},"additionalProperties":{"type":"string"}}},
   "required":["command"],"additionalProperties":false}}]`

const claudeCodeDecls = `[{"functionDeclarations":[
 {"name":"Read","description":"Reads a file","parametersJsonSchema":{"type":"object","additionalProperties":false,
   "properties":{"file_path":{"type":"string","description":"absolute path"},"offset":{"type":"number"},"limit":{"type":"integer","maximum":9007199254740991}},
   "required":["file_path"]}},
 {"name":"Bash","parametersJsonSchema":{"type":"object",
   "properties":{"command":{"type":"string"},"mode":{"enum":["run"]},"env":{"type":"object","additionalProperties":{"type":"string"}}},
   "required":["command"],"additionalProperties":false}}]}]`

func TestParseMessagesTranslates(t *testing.T) {
	tests := []envtest.Translation{
		{
			Name: "text, system blocks, sampling, ignored fields",
			In: `{"model":"claude-sonnet-4-5-20250929","max_tokens":1024,
				"system":[{"type":"text","text":"be terse","cache_control":{"type":"ephemeral"}},{"type":"text","text":""},{"type":"text","text":"use French"}],
				"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"salut"},
					{"role":"user","content":[{"type":"text","text":"a","cache_control":{"type":"ephemeral","ttl":"1h"}},{"type":"text","text":""},{"type":"text","text":"b","citations":null}]}],
				"temperature":0.5,"top_p":0.9,"top_k":40,"stop_sequences":["END",""],
				"metadata":{"user_id":"u1"},"service_tier":"auto","container":null,"cache_control":{"type":"ephemeral"},"inference_geo":"us","unknown_field":1}`,
			Want: `{"contents":[{"role":"user","parts":[{"text":"hi"}]},{"role":"model","parts":[{"text":"salut"}]},{"role":"user","parts":[{"text":"a"},{"text":"b"}]}],
				"systemInstruction":{"parts":[{"text":"be terse"},{"text":"use French"}]},
				"generationConfig":{"maxOutputTokens":1024,"temperature":0.5,"topP":0.9,"topK":40,"stopSequences":["END"]}}`,
			Path: "/v1beta/models/gemini-4-argon:generateContent",
		},
		{
			Name: "stream, system string, same-role merge, thinking-only turn dropped",
			In: `{"model":"gemini-2.5-flash","max_tokens":5,"stream":true,"system":"sys",
				"messages":[{"role":"user","content":"a"},{"role":"user","content":[{"type":"text","text":"b"}]},
					{"role":"assistant","content":[{"type":"thinking","thinking":"hmm","signature":"EqQBCkYIBxgCKkD"},{"type":"text","text":""}]},
					{"role":"user","content":"c"}]}`,
			Want: `{"contents":[{"role":"user","parts":[{"text":"a"},{"text":"b"},{"text":"c"}]}],
				"systemInstruction":{"parts":[{"text":"sys"}]},"generationConfig":{"maxOutputTokens":5}}`,
			Path: "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
		},
		{
			Name: "images and documents",
			In: `{"model":"gemini-2.5-flash","max_tokens":10,"messages":[{"role":"user","content":[
				{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}},
				{"type":"image","source":{"type":"url","url":"https://example.com/cat.webp?x=1"}},
				{"type":"image","source":{"type":"url","url":"https://example.com/noext"}},
				{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBERi0="},"title":"Report","context":"Q3"},
				{"type":"document","source":{"type":"text","media_type":"text/plain","data":"plain doc"}},
				{"type":"document","source":{"type":"url","url":"https://example.com/a.pdf"}},
				{"type":"document","source":{"type":"content","content":[{"type":"text","text":"chunk"},{"type":"image","source":{"type":"base64","media_type":"image/jpeg","data":"/9j/"}}]}},
				{"type":"search_result","source":"https://s","title":"T","content":[{"type":"text","text":"found"}]},
				{"type":"text","text":"what?"}]}]}`,
			Want: `{"contents":[{"role":"user","parts":[
				{"inlineData":{"mimeType":"image/png","data":"iVBORw0KGgo="}},
				{"fileData":{"mimeType":"image/webp","fileUri":"https://example.com/cat.webp?x=1"}},
				{"fileData":{"mimeType":"image/jpeg","fileUri":"https://example.com/noext"}},
				{"text":"Report\nQ3"},{"inlineData":{"mimeType":"application/pdf","data":"JVBERi0="}},
				{"text":"plain doc"},
				{"fileData":{"mimeType":"application/pdf","fileUri":"https://example.com/a.pdf"}},
				{"text":"chunk"},{"inlineData":{"mimeType":"image/jpeg","data":"/9j/"}},
				{"text":"T\nhttps://s\nfound"},
				{"text":"what?"}]}],"generationConfig":{"maxOutputTokens":10}}`,
			Path: "/v1beta/models/gemini-2.5-flash:generateContent",
		},
		{
			Name: "Claude Code tools, parallel results reordered, attachments after results, orphans",
			In: `{"model":"claude-haiku-4-5","max_tokens":100,"tools":` + claudeCodeTools + `,"tool_choice":{"type":"any","disable_parallel_tool_use":true},
				"messages":[
				{"role":"user","content":"read both"},
				{"role":"assistant","content":[{"type":"text","text":"Reading."},
					{"type":"tool_use","id":"toolu_1","name":"Read","input":{"file_path":"/a"}},
					{"type":"tool_use","id":"toolu_2","name":"Read","input":{"file_path":"/b.png"}}]},
				{"role":"user","content":[
					{"type":"tool_result","tool_use_id":"toolu_2","content":[{"type":"text","text":"an image:"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBO"}}]},
					{"type":"tool_result","tool_use_id":"toolu_1","content":"{\"lines\":3}"},
					{"type":"tool_result","tool_use_id":"toolu_unknown","content":"dropped"},
					{"type":"text","text":"now run ls"}]},
				{"role":"assistant","content":[{"type":"tool_use","id":"toolu_3","name":"Bash","input":{"command":"ls"}}]},
				{"role":"user","content":[{"type":"text","text":"never mind"},{"type":"tool_result","tool_use_id":"toolu_1","content":"late, dropped"}]},
				{"role":"assistant","content":[{"type":"tool_use","id":"toolu_4","name":"Bash","input":{"command":"false"}}]},
				{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_4","is_error":true,"content":"exit 1"}]}]}`,
			Want: `{"contents":[
				{"role":"user","parts":[{"text":"read both"}]},
				{"role":"model","parts":[{"text":"Reading."},{"functionCall":{"name":"Read","args":{"file_path":"/a"}},"thoughtSignature":"skip_thought_signature_validator"},{"functionCall":{"name":"Read","args":{"file_path":"/b.png"}}}]},
				{"role":"user","parts":[
					{"functionResponse":{"name":"Read","response":{"output":{"lines":3}}}},
					{"functionResponse":{"name":"Read","response":{"output":"an image:"}}},
					{"inlineData":{"mimeType":"image/png","data":"iVBO"}},
					{"text":"now run ls"}]},
				{"role":"model","parts":[{"functionCall":{"name":"Bash","args":{"command":"ls"}},"thoughtSignature":"skip_thought_signature_validator"}]},
				{"role":"user","parts":[{"functionResponse":{"name":"Bash","response":{"error":"no result returned"}}},{"text":"never mind"}]},
				{"role":"model","parts":[{"functionCall":{"name":"Bash","args":{"command":"false"}},"thoughtSignature":"skip_thought_signature_validator"}]},
				{"role":"user","parts":[{"functionResponse":{"name":"Bash","response":{"error":"exit 1"}}}]}],
				"tools":` + claudeCodeDecls + `,
				"toolConfig":{"functionCallingConfig":{"mode":"ANY"}},
				"generationConfig":{"maxOutputTokens":100}}`,
			Path: "/v1beta/models/gemini-3.8-flash:generateContent",
		},
		{
			Name: "history ending on a call gets an error result; tool_choice tool",
			In: `{"model":"gemini-2.5-flash","max_tokens":10,"tools":[{"name":"f","input_schema":{"type":"object"}},{"type":"custom","name":"g","input_schema":{"type":"object","properties":{}}}],
				"tool_choice":{"type":"tool","name":"g"},
				"messages":[{"role":"user","content":"go"},{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"f"}]}]}`,
			Want: `{"contents":[{"role":"user","parts":[{"text":"go"}]},{"role":"model","parts":[{"functionCall":{"name":"f","args":{}}}]},
				{"role":"user","parts":[{"functionResponse":{"name":"f","response":{"error":"no result returned"}}}]}],
				"tools":[{"functionDeclarations":[{"name":"f","parametersJsonSchema":{"type":"object"}},{"name":"g","parametersJsonSchema":{"type":"object","properties":{}}}]}],
				"toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["g"]}},"generationConfig":{"maxOutputTokens":10}}`,
			Path: "/v1beta/models/gemini-2.5-flash:generateContent",
		},
		{
			Name: "tool_choice none and auto without tools",
			In:   `{"model":"gemini-2.5-flash","max_tokens":10,"tools":[{"name":"f","input_schema":{"type":"object"}}],"tool_choice":{"type":"none"},"messages":[{"role":"user","content":"x"}]}`,
			Want: `{"contents":[{"role":"user","parts":[{"text":"x"}]}],"tools":[{"functionDeclarations":[{"name":"f","parametersJsonSchema":{"type":"object"}}]}],
				"toolConfig":{"functionCallingConfig":{"mode":"NONE"}},"generationConfig":{"maxOutputTokens":10}}`,
			Path: "/v1beta/models/gemini-2.5-flash:generateContent",
		},
		{
			Name: "signatures: tx to first text, fc to first call, id marker wins, foreign dropped",
			In: `{"model":"gemini-2.5-flash","max_tokens":10,"messages":[
				{"role":"user","content":"q"},
				{"role":"assistant","content":[{"type":"thinking","thinking":"t","signature":"gsig1.tx.Q3R-_w"},{"type":"text","text":"first"},{"type":"text","text":"second"}]},
				{"role":"user","content":"q2"},
				{"role":"assistant","content":[{"type":"thinking","thinking":"t","signature":"gsig1.fc.AAEC"},{"type":"redacted_thinking","data":"xyz"},{"type":"text","text":"calling"},
					{"type":"tool_use","id":"toolu_a","name":"f","input":{}},{"type":"tool_use","id":"toolu_b","name":"f","input":{}}]},
				{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_a"},{"type":"tool_result","tool_use_id":"toolu_b","content":[]}]},
				{"role":"assistant","content":[{"type":"thinking","thinking":"t","signature":"gsig1.fc.AAEC"},{"type":"tool_use","id":"toolu_c__ts_Q3R-_w","name":"f","input":{}}]},
				{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_c__ts_Q3R-_w","content":"ok"}]},
				{"role":"assistant","content":[{"type":"thinking","thinking":"claude","signature":"EqQBCkYIBxgCKkDClaude"},{"type":"text","text":"done"}]}]}`,
			Want: `{"contents":[
				{"role":"user","parts":[{"text":"q"}]},
				{"role":"model","parts":[{"text":"first","thoughtSignature":"Q3R+/w=="},{"text":"second"}]},
				{"role":"user","parts":[{"text":"q2"}]},
				{"role":"model","parts":[{"text":"calling"},{"functionCall":{"name":"f","args":{}},"thoughtSignature":"AAEC"},{"functionCall":{"name":"f","args":{}}}]},
				{"role":"user","parts":[{"functionResponse":{"name":"f","response":{"output":""}}},{"functionResponse":{"name":"f","response":{"output":""}}}]},
				{"role":"model","parts":[{"functionCall":{"name":"f","args":{}},"thoughtSignature":"Q3R+/w=="}]},
				{"role":"user","parts":[{"functionResponse":{"name":"f","response":{"output":"ok"}}}]},
				{"role":"model","parts":[{"text":"done"}]}],
				"generationConfig":{"maxOutputTokens":10}}`,
			Path: "/v1beta/models/gemini-2.5-flash:generateContent",
		},
		{
			Name: "gemini 3: unsigned first call of a step gets the placeholder",
			In: `{"model":"gemini-3-pro-preview","max_tokens":10,"messages":[
				{"role":"user","content":"q"},
				{"role":"assistant","content":[{"type":"tool_use","id":"x1","name":"f","input":{"a":1}},{"type":"tool_use","id":"x2","name":"f","input":{"a":2}}]},
				{"role":"user","content":[{"type":"tool_result","tool_use_id":"x1","content":"1"},{"type":"tool_result","tool_use_id":"x2","content":"2"}]}]}`,
			Want: `{"contents":[{"role":"user","parts":[{"text":"q"}]},
				{"role":"model","parts":[{"functionCall":{"name":"f","args":{"a":1}},"thoughtSignature":"skip_thought_signature_validator"},{"functionCall":{"name":"f","args":{"a":2}}}]},
				{"role":"user","parts":[{"functionResponse":{"name":"f","response":{"output":"1"}}},{"functionResponse":{"name":"f","response":{"output":"2"}}}]}],
				"generationConfig":{"maxOutputTokens":10}}`,
			Path: "/v1beta/models/gemini-3-pro-preview:generateContent",
		},
		{
			Name: "output_config.format becomes a response schema",
			In: `{"model":"gemini-2.5-flash","max_tokens":10,"messages":[{"role":"user","content":"x"}],
				"output_config":{"effort":"high","format":{"type":"json_schema","schema":{"$schema":"x","type":"object","properties":{"a":{"type":"integer","exclusiveMinimum":0}}}}}}`,
			Want: `{"contents":[{"role":"user","parts":[{"text":"x"}]}],"generationConfig":{"maxOutputTokens":10,
				"responseMimeType":"application/json","responseJsonSchema":{"type":"object","properties":{"a":{"type":"integer"}}},
				"thinkingConfig":{"thinkingBudget":24576}}}`,
			Path: "/v1beta/models/gemini-2.5-flash:generateContent",
		},
		{
			// Claude Code 2.1.328: adaptive thinking with an effort, a
			// per-turn system message (text hoisted, a late tool declared),
			// ToolSearch results as tool references, deferred tools.
			Name: "Claude Code 2.1.3xx shapes: system messages, tool references, effort",
			In: `{"model":"gemini-3-pro-preview","max_tokens":128000,"stream":true,
				"thinking":{"type":"adaptive","display":"omitted"},"output_config":{"effort":"medium"},
				"context_management":{"edits":[{"type":"clear_thinking_20251015","keep":"all"}]},
				"system":[{"type":"text","text":"base"}],
				"tools":[{"name":"ToolSearch","input_schema":{"type":"object","properties":{"query":{"type":"string"}}}},
					{"name":"Late","defer_loading":true,"input_schema":{"type":"object"}}],
				"messages":[{"role":"user","content":"find a tool"},
					{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"ToolSearch","input":{"query":"late"}}]},
					{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":[{"type":"tool_reference","tool_name":"Late"}]}]},
					{"role":"system","content":[{"type":"text","text":"reminder"},
						{"type":"tool_addition","tool":{"type":"tool_definition","definition":{"name":"Mcp","description":"d","input_schema":{"type":"object"}}}},
						{"type":"tool_addition","tool":{"type":"tool_reference","name":"Late"}},
						{"type":"tool_removal","tool":{"type":"tool_reference","name":"Gone"}}],"output_config":{"effort":"high"}},
					{"role":"user","content":"go on"}]}`,
			Want: `{"contents":[{"role":"user","parts":[{"text":"find a tool"}]},
				{"role":"model","parts":[{"functionCall":{"name":"ToolSearch","args":{"query":"late"}},"thoughtSignature":"skip_thought_signature_validator"}]},
				{"role":"user","parts":[{"functionResponse":{"name":"ToolSearch","response":{"output":"Tool available: Late"}}},{"text":"go on"}]}],
				"systemInstruction":{"parts":[{"text":"base"},{"text":"reminder"}]},
				"tools":[{"functionDeclarations":[{"name":"ToolSearch","parametersJsonSchema":{"type":"object","properties":{"query":{"type":"string"}}}},
					{"name":"Late","parametersJsonSchema":{"type":"object"}},{"name":"Mcp","description":"d","parametersJsonSchema":{"type":"object"}}]}],
				"generationConfig":{"maxOutputTokens":65536,"thinkingConfig":{"includeThoughts":true,"thinkingLevel":"HIGH"}}}`,
			Path: "/v1beta/models/gemini-3-pro-preview:streamGenerateContent?alt=sse",
		},
		{
			// Texts are copied as the body holds them, escapes and all;
			// the ones Gemini would refuse (a lone surrogate) are decoded
			// and written again, the surrogate as U+FFFD. Joined tool
			// result texts keep their newline; a result whose text is JSON
			// (after spaces, escaped or not) still goes as JSON.
			Name: "texts with escapes, everywhere",
			In: `{"model":"gemini-2.5-flash","max_tokens":9,"system":"a\n\"b\" \u00e9 \ud83d\ude00 \/ \\ud800",
				"messages":[{"role":"user","content":[{"type":"text","text":"lone \ud800 x"}]},
					{"role":"assistant","content":[{"type":"text","text":"t\tab"},{"type":"tool_use","id":"u1","name":"f","input":{}},{"type":"tool_use","id":"u2","name":"f","input":{}}]},
					{"role":"user","content":[{"type":"tool_result","tool_use_id":"u1","content":[{"type":"text","text":"one\u0021"},{"type":"text","text":""},{"type":"text","text":"two \ude00"}]},
						{"type":"tool_result","tool_use_id":"u2","content":" \n\t{\"k\": [1]}"}]}],
				"tools":[{"name":"f","description":"does \"f\"\nwell","input_schema":{"type":"object"}}]}`,
			Want: `{"contents":[{"role":"user","parts":[{"text":"lone \ufffd x"}]},
				{"role":"model","parts":[{"text":"t\tab"},{"functionCall":{"name":"f","args":{}}},{"functionCall":{"name":"f","args":{}}}]},
				{"role":"user","parts":[{"functionResponse":{"name":"f","response":{"output":"one!\ntwo \ufffd"}}},{"functionResponse":{"name":"f","response":{"output":{"k":[1]}}}}]}],
				"systemInstruction":{"parts":[{"text":"a\n\"b\" \u00e9 \ud83d\ude00 / \\ud800"}]},
				"tools":[{"functionDeclarations":[{"name":"f","description":"does \"f\"\nwell","parametersJsonSchema":{"type":"object"}}]}],
				"generationConfig":{"maxOutputTokens":9}}`,
		},
	}
	envtest.Translates(t, ParseMessages, nil, tests)
}

func TestParseMessagesThinking(t *testing.T) {
	tests := []struct{ model, thinking, want string }{
		{"gemini-2.5-flash", `{"type":"enabled","budget_tokens":4096}`, `{"includeThoughts":true,"thinkingBudget":4096}`},
		{"gemini-2.5-flash", `{"type":"enabled","budget_tokens":31999}`, `{"includeThoughts":true,"thinkingBudget":24576}`},
		{"gemini-2.5-pro", `{"type":"enabled","budget_tokens":31999}`, `{"includeThoughts":true,"thinkingBudget":31999}`},
		{"gemini-3-flash-preview", `{"type":"enabled","budget_tokens":2048}`, `{"includeThoughts":true,"thinkingLevel":"LOW"}`},
		{"gemini-3-flash-preview", `{"type":"enabled","budget_tokens":10000}`, `{"includeThoughts":true,"thinkingLevel":"MEDIUM"}`},
		{"gemini-3-pro-preview", `{"type":"enabled","budget_tokens":10000}`, `{"includeThoughts":true,"thinkingLevel":"HIGH"}`},
		{"gemini-3-flash-preview", `{"type":"enabled","budget_tokens":20000}`, `{"includeThoughts":true,"thinkingLevel":"HIGH"}`},
		{"gemini-2.5-flash", `{"type":"disabled"}`, `{"thinkingBudget":0}`},
		{"gemini-2.5-pro", `{"type":"disabled"}`, `{"thinkingBudget":128}`},
		{"gemini-3-flash-preview", `{"type":"disabled"}`, `{"thinkingLevel":"MINIMAL"}`},
		{"gemini-3-pro-preview", `{"type":"disabled"}`, `{"thinkingLevel":"LOW"}`},
		// Gemini 4 takes levels only; it, 3.1 Pro and 3.8 Flash cannot think
		// less than LOW, the Flash-Lite models can.
		{"gemini-4-argon", `{"type":"enabled","budget_tokens":31999}`, `{"includeThoughts":true,"thinkingLevel":"HIGH"}`},
		{"gemini-4-argon", `{"type":"enabled","budget_tokens":10000}`, `{"includeThoughts":true,"thinkingLevel":"MEDIUM"}`},
		{"gemini-3.1-pro-preview", `{"type":"enabled","budget_tokens":10000}`, `{"includeThoughts":true,"thinkingLevel":"MEDIUM"}`},
		{"gemini-4-argon", `{"type":"disabled"}`, `{"thinkingLevel":"LOW"}`},
		{"gemini-3.8-flash", `{"type":"disabled"}`, `{"thinkingLevel":"LOW"}`},
		{"gemini-3.5-flash-lite", `{"type":"disabled"}`, `{"thinkingLevel":"MINIMAL"}`},
		{"gemini-3-pro-preview", `{"type":"adaptive","display":"summarized"}`, `{"includeThoughts":true}`},
		{"gemini-2.5-flash", `{"type":"adaptive"}`, `{"includeThoughts":true}`},
	}
	for _, tt := range tests {
		t.Run(tt.model+" "+tt.thinking, func(t *testing.T) {
			in := `{"model":"` + tt.model + `","max_tokens":32000,"thinking":` + tt.thinking + `,"messages":[{"role":"user","content":"x"}]}`
			r, e := ParseMessages([]byte(in), envtest.Env(nil))
			if e != nil {
				t.Fatal(e)
			}
			jsontest.Equal(t, r.Body, `{"contents":[{"role":"user","parts":[{"text":"x"}]}],"generationConfig":{"maxOutputTokens":32000,"thinkingConfig":`+tt.want+`}}`)
			if strings.Contains(string(r.Body), "thinkingBudget") && strings.Contains(string(r.Body), "thinkingLevel") {
				t.Fatal("budget and level together (Gemini rejects both at once)")
			}
		})
	}
}

// Claude Code sends output_config.effort with adaptive thinking: each
// model gets the level closest to it that it knows.
func TestParseMessagesEffort(t *testing.T) {
	tests := []struct{ model, effort, want string }{
		{"gemini-4-neon", "max", `{"includeThoughts":true,"thinkingLevel":"XHIGH"}`},
		{"gemini-4-argon", "max", `{"includeThoughts":true,"thinkingLevel":"HIGH"}`},
		{"gemini-4-argon", "low", `{"includeThoughts":true,"thinkingLevel":"LOW"}`},
		{"gemini-3-pro-preview", "medium", `{"includeThoughts":true,"thinkingLevel":"HIGH"}`},
		{"gemini-2.5-pro", "max", `{"includeThoughts":true,"thinkingBudget":32768}`},
		{"gemini-2.5-flash", "medium", `{"includeThoughts":true,"thinkingBudget":8192}`},
	}
	for _, tt := range tests {
		in := `{"model":"` + tt.model + `","max_tokens":32000,"thinking":{"type":"adaptive"},"output_config":{"effort":"` + tt.effort + `"},"messages":[{"role":"user","content":"x"}]}`
		r, e := ParseMessages([]byte(in), envtest.Env(nil))
		if e != nil {
			t.Fatalf("%s %s: %v", tt.model, tt.effort, e)
		}
		jsontest.Equal(t, r.Body, `{"contents":[{"role":"user","parts":[{"text":"x"}]}],"generationConfig":{"maxOutputTokens":32000,"thinkingConfig":`+tt.want+`}}`)
	}
}

func TestParseMessagesRejects(t *testing.T) {
	const msgs = `"messages":[{"role":"user","content":"x"}]`
	tests := []envtest.Refusal{
		{Name: "not json", In: `{"model":`, Param: "", Msg: "not valid JSON"},
		{Name: "array body", In: `[1]`, Param: "", Msg: "JSON object"},
		{Name: "no model", In: `{"max_tokens":1,` + msgs + `}`, Param: "model", Msg: "model: Field required"},
		{Name: "model number", In: `{"model":4,"max_tokens":1,` + msgs + `}`, Param: "model", Msg: "model: Input should be"},
		{Name: "model with slash", In: `{"model":"a/b","max_tokens":1,` + msgs + `}`, Param: "model", Msg: "not a valid model name"},
		{Name: "no max_tokens", In: `{"model":"claude-sonnet-4-5",` + msgs + `}`, Param: "max_tokens", Msg: "max_tokens: Field required"},
		{Name: "max_tokens string", In: `{"model":"m","max_tokens":"5",` + msgs + `}`, Param: "max_tokens", Msg: "max_tokens: Input should be a valid integer"},
		{Name: "max_tokens zero", In: `{"model":"m","max_tokens":0,` + msgs + `}`, Param: "max_tokens", Msg: "greater than or equal to 1"},
		{Name: "no messages", In: `{"model":"m","max_tokens":1}`, Param: "messages", Msg: "messages: Field required"},
		{Name: "messages object", In: `{"model":"m","max_tokens":1,"messages":{}}`, Param: "messages", Msg: "valid list"},
		{Name: "empty messages", In: `{"model":"m","max_tokens":1,"messages":[]}`, Param: "messages", Msg: "at least one"},
		{Name: "only empty text", In: `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":""}]}`, Param: "messages", Msg: "no message has content"},
		{Name: "bad role", In: `{"model":"m","max_tokens":1,"messages":[{"role":"tool","content":"x"}]}`, Param: "messages.0.role", Msg: "'user', 'assistant' or 'system'"},
		{Name: "unknown block in a system message", In: `{"model":"m","max_tokens":1,"messages":[{"role":"system","content":[{"type":"image"}]},{"role":"user","content":"x"}]}`, Param: "messages.0.content.0.type", Msg: "system message"},
		{Name: "message string", In: `{"model":"m","max_tokens":1,"messages":["hi"]}`, Param: "messages.0", Msg: "valid dictionary"},
		{Name: "content missing", In: `{"model":"m","max_tokens":1,"messages":[{"role":"user"}]}`, Param: "messages.0.content", Msg: "Field required"},
		{Name: "content number", In: `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":5}]}`, Param: "messages.0.content", Msg: "valid string or a list"},
		{Name: "unknown block", In: `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"video"}]}]}`, Param: "messages.0.content.0.type", Msg: "'video'"},
		{Name: "tool_use in user turn", In: `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"tool_use","id":"a","name":"f","input":{}}]}]}`, Param: "messages.0.content.0.type", Msg: "user message"},
		{Name: "image in assistant turn", In: `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"},{"role":"assistant","content":[{"type":"image"}]}]}`, Param: "messages.1.content.0.type", Msg: "assistant message"},
		{Name: "block without type", In: `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"text":"x"}]}]}`, Param: "messages.0.content.0.type", Msg: "Field required"},
		{Name: "text not string", In: `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"text","text":1}]}]}`, Param: "messages.0.content.0.text", Msg: "valid string"},
		{Name: "image media type", In: `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/bmp","data":"AAAA"}}]}]}`, Param: "messages.0.content.0.source.media_type", Msg: "image/jpeg"},
		{Name: "image bad base64", In: `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"not base64!"}}]}]}`, Param: "messages.0.content.0.source.data", Msg: "base64"},
		{Name: "image file id", In: `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"file","file_id":"file_1"}}]}]}`, Param: "messages.0.content.0.source.file_id", Msg: "Files API"},
		{Name: "image ftp url", In: `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"url","url":"ftp://x"}}]}]}`, Param: "messages.0.content.0.source.url", Msg: "http(s)"},
		{Name: "document not pdf", In: `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"document","source":{"type":"base64","media_type":"text/html","data":"AAAA"}}]}]}`, Param: "messages.0.content.0.source.media_type", Msg: "application/pdf"},
		{Name: "tool_result without id", In: `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"tool_result","content":"x"}]}]}`, Param: "messages.0.content.0.tool_use_id", Msg: "Field required"},
		{Name: "tool_result is_error string", In: `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"a","is_error":"yes"}]}]}`, Param: "messages.0.content.0.is_error", Msg: "valid boolean"},
		{Name: "tool_result bad inner block", In: `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"a","content":[{"type":"tool_use"}]}]}]}`, Param: "messages.0.content.0.content.0.type", Msg: "'tool_use'"},
		{Name: "tool_use without id", In: `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"},{"role":"assistant","content":[{"type":"tool_use","name":"f","input":{}}]}]}`, Param: "messages.1.content.0.id", Msg: "Field required"},
		{Name: "tool_use input string", In: `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"},{"role":"assistant","content":[{"type":"tool_use","id":"a","name":"f","input":"{}"}]}]}`, Param: "messages.1.content.0.input", Msg: "valid dictionary"},
		{Name: "system number", In: `{"model":"m","max_tokens":1,"system":3,` + msgs + `}`, Param: "system", Msg: "system:"},
		{Name: "system image block", In: `{"model":"m","max_tokens":1,"system":[{"type":"image"}],` + msgs + `}`, Param: "system.0.type", Msg: "'text'"},
		{Name: "temperature above 1", In: `{"model":"m","max_tokens":1,"temperature":1.5,` + msgs + `}`, Param: "temperature", Msg: "between 0 and 1"},
		{Name: "top_p string", In: `{"model":"m","max_tokens":1,"top_p":"x",` + msgs + `}`, Param: "top_p", Msg: "valid number"},
		{Name: "top_k float", In: `{"model":"m","max_tokens":1,"top_k":1.5,` + msgs + `}`, Param: "top_k", Msg: "valid integer"},
		{Name: "six stop sequences", In: `{"model":"m","max_tokens":1,"stop_sequences":["a","b","c","d","e","f"],` + msgs + `}`, Param: "stop_sequences", Msg: "at most 5"},
		{Name: "stop sequence number", In: `{"model":"m","max_tokens":1,"stop_sequences":[1],` + msgs + `}`, Param: "stop_sequences.0", Msg: "valid string"},
		{Name: "stream string", In: `{"model":"m","max_tokens":1,"stream":"yes",` + msgs + `}`, Param: "stream", Msg: "valid boolean"},
		{Name: "server tool", In: `{"model":"m","max_tokens":1,"tools":[{"type":"bash_20250124","name":"bash"}],` + msgs + `}`, Param: "tools.0.type", Msg: "bash_20250124"},
		{Name: "bash tool", In: `{"model":"m","max_tokens":1,"tools":[{"type":"bash_20250124","name":"bash"}],` + msgs + `}`, Param: "tools.0.type", Msg: "bash_20250124"},
		{Name: "tool without schema", In: `{"model":"m","max_tokens":1,"tools":[{"name":"f"}],` + msgs + `}`, Param: "tools.0.input_schema", Msg: "Field required"},
		{Name: "tool without name", In: `{"model":"m","max_tokens":1,"tools":[{"input_schema":{"type":"object"}}],` + msgs + `}`, Param: "tools.0.name", Msg: "Field required"},
		{Name: "tools object", In: `{"model":"m","max_tokens":1,"tools":{},` + msgs + `}`, Param: "tools", Msg: "valid list"},
		{Name: "tool_choice string", In: `{"model":"m","max_tokens":1,"tool_choice":"auto",` + msgs + `}`, Param: "tool_choice", Msg: "valid dictionary"},
		{Name: "tool_choice bad type", In: `{"model":"m","max_tokens":1,"tool_choice":{"type":"required"},` + msgs + `}`, Param: "tool_choice.type", Msg: "'required'"},
		{Name: "tool_choice any without tools", In: `{"model":"m","max_tokens":1,"tool_choice":{"type":"any"},` + msgs + `}`, Param: "tool_choice", Msg: "requires `tools`"},
		{Name: "tool_choice unknown tool", In: `{"model":"m","max_tokens":1,"tools":[{"name":"f","input_schema":{}}],"tool_choice":{"type":"tool","name":"g"},` + msgs + `}`, Param: "tool_choice.name", Msg: "not among"},
		{Name: "disable_parallel string", In: `{"model":"m","max_tokens":1,"tool_choice":{"type":"auto","disable_parallel_tool_use":"no"},` + msgs + `}`, Param: "tool_choice.disable_parallel_tool_use", Msg: "valid boolean"},
		{Name: "thinking bad type", In: `{"model":"m","max_tokens":1,"thinking":{"type":"on"},` + msgs + `}`, Param: "thinking.type", Msg: "'on'"},
		{Name: "thinking without budget", In: `{"model":"m","max_tokens":5000,"thinking":{"type":"enabled"},` + msgs + `}`, Param: "thinking.budget_tokens", Msg: "Field required"},
		{Name: "thinking budget too small", In: `{"model":"m","max_tokens":5000,"thinking":{"type":"enabled","budget_tokens":100},` + msgs + `}`, Param: "thinking.budget_tokens", Msg: "greater than or equal to 1024"},
		{Name: "thinking budget over max_tokens", In: `{"model":"m","max_tokens":2000,"thinking":{"type":"enabled","budget_tokens":2000},` + msgs + `}`, Param: "thinking.budget_tokens", Msg: "must be greater than"},
		{Name: "output_config bad format", In: `{"model":"m","max_tokens":1,"output_config":{"format":{"type":"xml"}},` + msgs + `}`, Param: "output_config.format", Msg: "json_schema"},
	}
	envtest.Rejects(t, ParseMessages, tests, invalidRequestBody)
}

func FuzzParseMessages(f *testing.F) {
	f.Add([]byte(`{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"x"}]}`))
	f.Add([]byte(`{"model":"gemini-3-pro-preview","max_tokens":4000,"thinking":{"type":"enabled","budget_tokens":2000},"system":[{"type":"text","text":"s"}],"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAAA"}}]},{"role":"assistant","content":[{"type":"thinking","thinking":"t","signature":"gsig1.fc.AAEC"},{"type":"tool_use","id":"a__ts_AAEC","name":"f","input":{"x":1}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"a__ts_AAEC","content":[{"type":"text","text":"r"},{"type":"document","source":{"type":"text","data":"d"}}],"is_error":true}]}],"tools":[{"name":"f","input_schema":{"properties":{"a":{"const":1}}}}],"tool_choice":{"type":"tool","name":"f"}}`))
	f.Add([]byte(`{"model":"m","messages":[{"role":"assistant","content":[{"type":"text","text":"\u2028"}]}],"max_tokens":1,"stop_sequences":["x"]}`))
	// Hardening cases: nesting at and past the limit, JSON nested in strings,
	// arrays past their count limits, model names, schemas of odd shapes,
	// duplicate tool ids.
	f.Add([]byte(`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"metadata":` + jsontest.Deep(255) + `}`))
	f.Add([]byte(`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"metadata":` + jsontest.Deep(256) + `}`))
	f.Add([]byte(`{"model":"claude\r\n","max_tokens":1,"messages":[{"role":"user","content":"x"}],"stop_sequences":["a","b","c","d","e","f"]}`))
	f.Add([]byte(`{"model":"claude-3-5-sonnet@20240620","max_tokens":1,"messages":[{"role":"user","content":"x"},{"role":"assistant","content":[{"type":"tool_use","id":"a","name":"f","input":{}},{"type":"tool_use","id":"a","name":"g","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"a","content":"[[[\"]]]\"]]]"},{"type":"tool_result","tool_use_id":"a","content":"{}"},{"type":"tool_result","tool_use_id":"a","content":"x"}]}],"tools":[{"name":"f","input_schema":{"properties":[1],"oneOf":"x","items":[{"const":{}}],"$defs":{"a":{"allOf":[true]}}}}]}`))
	// Texts in every place a text is copied as the body holds it, with
	// what Gemini refuses in them: a lone surrogate, bytes not UTF-8.
	f.Add([]byte(`{"model":"m","max_tokens":1,"system":"s\ud800","messages":[{"role":"user","content":[{"type":"text","text":"\udc00x"},{"type":"tool_result","tool_use_id":"a","content":[{"type":"text","text":"\ud83d"},{"type":"text","text":"\ude00"}]}]},{"role":"assistant","content":"a\ud83d\ude00"}],"tools":[{"name":"f","description":"d\udbff","input_schema":{}}]}`))
	f.Add([]byte("{\"model\":\"m\",\"max_tokens\":1,\"system\":[{\"type\":\"text\",\"text\":\"\xff\"}],\"messages\":[{\"role\":\"user\",\"content\":\"\xc3\"}]}"))
	mm := models.Default()
	f.Fuzz(func(t *testing.T, in []byte) {
		r, e := ParseMessages(in, envtest.Env(mm))
		if e != nil {
			if !json.Valid(ErrorBody(e)) || e.Status != 400 {
				t.Fatalf("bad error %+v", e)
			}
		} else if !json.Valid(r.Body) {
			t.Fatalf("invalid Gemini body for %s:\n%s", in, r.Body)
		} else if err := jsontest.Readable(r.Body); err != nil {
			t.Fatalf("Gemini would refuse the body for %s: %v\n%s", in, err, r.Body)
		}
		c, e := ParseCountTokens(in, envtest.Env(mm))
		if e == nil && !json.Valid(c.Body) {
			t.Fatalf("invalid countTokens body for %s:\n%s", in, c.Body)
		}
	})
}

func TestThinkingDroppedForModelsWithoutThinking(t *testing.T) {
	for _, model := range []string{"gemini-2.0-flash", "gemma-3-27b-it"} {
		r, e := ParseMessages([]byte(`{"model":"`+model+`","max_tokens":2048,"thinking":{"type":"enabled","budget_tokens":1024},"messages":[{"role":"user","content":"x"}]}`), envtest.Env(nil))
		if e != nil {
			t.Fatal(e)
		}
		if strings.Contains(string(r.Body), "thinkingConfig") {
			t.Fatalf("%s: thinkingConfig sent to a model without thinking: %s", model, r.Body)
		}
	}
	// Still validated: a bad thinking object is a 400 whatever the model.
	if _, e := ParseMessages([]byte(`{"model":"gemini-2.0-flash","max_tokens":2048,"thinking":{"type":"sometimes"},"messages":[{"role":"user","content":"x"}]}`), envtest.Env(nil)); e == nil {
		t.Fatal("invalid thinking accepted")
	}
}
