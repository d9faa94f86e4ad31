package anthropic

import (
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
	"github.com/gemini-code-api/gemini-code-api/translators/internal/envtest"
	"github.com/gemini-code-api/gemini-code-api/translators/internal/jsontest"
)

// claudeCodeSearch is the request Claude Code 2.1.328's WebSearch tool
// sends (logged from the CLI against a stub server; billing header and
// metadata trimmed): only the web search server tool, tool_choice auto.
const claudeCodeSearch = `{"model":"claude-opus-5-5","messages":[{"role":"user","content":[{"type":"text","text":"Perform a web search for the query: quokka facts"}]}],
 "system":[{"type":"text","text":"You are a Claude agent, built on Anthropic's Claude Agent SDK."},{"type":"text","text":"You run a web search for another Claude model, which is waiting on the result and can search again. Search once, then reply with a brief summary of the results."}],
 "tools":[{"type":"web_search_20250305","name":"web_search","max_uses":8}],"tool_choice":{"type":"auto"},"metadata":{"user_id":"u"},
 "max_tokens":128000,"output_config":{"effort":"medium"},"stream":true}`

func TestWebSearchRequest(t *testing.T) {
	const user = `"messages":[{"role":"user","content":"x"}]`
	const fn = `{"name":"f","input_schema":{"type":"object"}}`
	tests := []envtest.Translation{
		{
			Name: "Claude Code's WebSearch request: Google Search only, no function config",
			In:   claudeCodeSearch,
			Want: `{"contents":[{"role":"user","parts":[{"text":"Perform a web search for the query: quokka facts"}]}],
				"systemInstruction":{"parts":[{"text":"You are a Claude agent, built on Anthropic's Claude Agent SDK."},{"text":"You run a web search for another Claude model, which is waiting on the result and can search again. Search once, then reply with a brief summary of the results."}]},
				"tools":[{"googleSearch":{}}],"generationConfig":{"maxOutputTokens":65536,"thinkingConfig":{"thinkingLevel":"MEDIUM"}}}`,
		},
		{
			Name: "forced web_search without functions: Gemini decides, no function config",
			In:   `{"model":"claude-haiku-4-5","max_tokens":10,` + user + `,"tools":[{"type":"web_search_20260209","name":"web_search"}],"tool_choice":{"type":"tool","name":"web_search"}}`,
			Want: `{"contents":[{"role":"user","parts":[{"text":"x"}]}],"tools":[{"googleSearch":{}}],"generationConfig":{"maxOutputTokens":10}}`,
		},
		{
			Name: "any with only server tools",
			In:   `{"model":"claude-haiku-4-5","max_tokens":10,` + user + `,"tools":[{"type":"web_search_20250305","name":"web_search"}],"tool_choice":{"type":"any"}}`,
			Want: `{"contents":[{"role":"user","parts":[{"text":"x"}]}],"tools":[{"googleSearch":{}}],"generationConfig":{"maxOutputTokens":10}}`,
		},
		{
			Name: "domains and location become an instruction; web_fetch is URL context",
			In: `{"model":"claude-haiku-4-5","max_tokens":10,"system":"sys",` + user + `,"tools":[{"type":"web_search_20250305","name":"web_search","max_uses":3,"allowed_domains":["go.dev","pkg.go.dev"],
				"user_location":{"type":"approximate","city":"Zürich","region":"ZH","country":"CH","timezone":"Europe/Zurich"}},{"type":"web_fetch_20250910","name":"web_fetch","max_uses":2,"citations":{"enabled":true}}]}`,
			Want: `{"contents":[{"role":"user","parts":[{"text":"x"}]}],"systemInstruction":{"parts":[{"text":"sys"},
				{"text":"When searching the web, use only results from these domains: go.dev, pkg.go.dev. The user's approximate location, for searches where it matters: Zürich, ZH, CH, time zone Europe/Zurich."}]},
				"tools":[{"googleSearch":{}},{"urlContext":{}}],"generationConfig":{"maxOutputTokens":10}}`,
			Notice: "allowed_domains and blocked_domains are given to the model as an instruction",
		},
		{
			Name:   "functions on Gemini 2.5: the functions win, search is left out and said so",
			In:     `{"model":"gemini-2.5-pro","max_tokens":10,` + user + `,"tools":[` + fn + `,{"type":"web_search_20250305","name":"web_search","blocked_domains":["x.example"]}]}`,
			Want:   `{"contents":[{"role":"user","parts":[{"text":"x"}]}],"tools":[{"functionDeclarations":[{"name":"f","parametersJsonSchema":{"type":"object"}}]}],"generationConfig":{"maxOutputTokens":10}}`,
			Notice: "gemini-2.5-pro cannot combine Google Search or URL context with function calling",
		},
		{
			Name: "functions on Gemini 3: combined, server-side invocations included",
			In:   `{"model":"gemini-3-pro-preview","max_tokens":10,` + user + `,"tools":[` + fn + `,{"type":"web_search_20260209","name":"web_search"}],"tool_choice":{"type":"auto"}}`,
			Want: `{"contents":[{"role":"user","parts":[{"text":"x"}]}],"tools":[{"functionDeclarations":[{"name":"f","parametersJsonSchema":{"type":"object"}}]},{"googleSearch":{}}],
				"toolConfig":{"functionCallingConfig":{"mode":"AUTO"},"includeServerSideToolInvocations":true},"generationConfig":{"maxOutputTokens":10}}`,
		},
		{
			Name: "functions on Gemini 3, web_search forced: no function calls",
			In:   `{"model":"gemini-3-pro-preview","max_tokens":10,` + user + `,"tools":[` + fn + `,{"type":"web_search_20260209","name":"web_search"}],"tool_choice":{"type":"tool","name":"web_search"}}`,
			Want: `{"contents":[{"role":"user","parts":[{"text":"x"}]}],"tools":[{"functionDeclarations":[{"name":"f","parametersJsonSchema":{"type":"object"}}]},{"googleSearch":{}}],
				"toolConfig":{"functionCallingConfig":{"mode":"NONE"},"includeServerSideToolInvocations":true},"generationConfig":{"maxOutputTokens":10}}`,
		},
		{
			Name: "tool_choice none: no tool at all",
			In:   `{"model":"claude-haiku-4-5","max_tokens":10,` + user + `,"tools":[{"type":"web_search_20250305","name":"web_search"}],"tool_choice":{"type":"none"}}`,
			Want: `{"contents":[{"role":"user","parts":[{"text":"x"}]}],"generationConfig":{"maxOutputTokens":10}}`,
		},
	}
	envtest.Translates(t, ParseMessages, nil, tests)
}

func TestWebSearchRequestRejects(t *testing.T) {
	const head = `{"model":"claude-haiku-4-5","max_tokens":10,"messages":[{"role":"user","content":"x"}],"tools":[`
	tests := []struct{ name, tool, param, msg string }{
		{"both domain lists", `{"type":"web_search_20250305","name":"web_search","allowed_domains":["a"],"blocked_domains":["b"]}`, "tools.0", "Cannot specify both"},
		{"max_uses not an integer", `{"type":"web_search_20250305","name":"web_search","max_uses":"5"}`, "tools.0.max_uses", "valid integer"},
		{"a domain not a string", `{"type":"web_fetch_20250910","name":"web_fetch","allowed_domains":[1]}`, "tools.0.allowed_domains.0", "valid string"},
		{"another server tool", `{"type":"code_execution_20250825","name":"code_execution"}`, "tools.0.type", "web_search and web_fetch"},
		{"too many domains", `{"type":"web_search_20250305","name":"web_search","blocked_domains":["a"` + strings.Repeat(`,"a"`, gemini.MaxDomains) + `]}`, "tools.0.blocked_domains", "at most 256 domains"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, e := ParseMessages([]byte(head+tt.tool+`]}`), envtest.Env(nil))
			if e == nil || e.Status != 400 || e.Param != tt.param || !strings.Contains(e.Message, tt.msg) {
				t.Fatalf("got %+v", e)
			}
		})
	}
}

// An answer with searches sent back as history: Gemini gets the queries
// and sources as text of the model's turn (never signed), the cited text as
// text, and the tool loop around it keeps its signatures.
func TestWebSearchHistory(t *testing.T) {
	in := `{"model":"gemini-3-pro-preview","max_tokens":10,"tools":[{"name":"f","input_schema":{"type":"object"}},{"type":"web_search_20250305","name":"web_search"},{"type":"web_fetch_20250910","name":"web_fetch"}],"messages":[
		{"role":"user","content":"Wie lang ist der Zürichsee?"},
		{"role":"assistant","content":[
			{"type":"thinking","thinking":"search","signature":"gsig1.tx.AAEC"},
			{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{"query":"Zürichsee Länge"}},
			{"type":"server_tool_use","id":"srvtoolu_2","name":"web_search","input":{"query":"Zürichsee Fläche"}},
			{"type":"web_search_tool_result","tool_use_id":"srvtoolu_2","content":[
				{"type":"web_search_result","url":"https://a.example/1","title":"wikipedia.org","encrypted_content":"gws1_aHR0cHM","page_age":null},
				{"type":"web_search_result","url":"https://b.example/2","title":"zuerich.com","encrypted_content":"EqgfCioIARgBIiQ3","page_age":"2 days ago"}]},
			{"type":"server_tool_use","id":"srvtoolu_3","name":"web_search","input":{"query":"x"}},
			{"type":"web_search_tool_result","tool_use_id":"srvtoolu_3","content":{"type":"web_search_tool_result_error","error_code":"max_uses_exceeded"}},
			{"type":"server_tool_use","id":"srvtoolu_4","name":"web_fetch","input":{"url":"https://c.example/"}},
			{"type":"web_fetch_tool_result","tool_use_id":"srvtoolu_4","content":{"type":"web_fetch_result","url":"https://c.example/","retrieved_at":null,
				"content":{"type":"document","source":{"type":"text","media_type":"text/plain","data":"Page text."},"title":"C"}}},
			{"type":"web_fetch_tool_result","tool_use_id":"srvtoolu_5","content":{"type":"web_fetch_tool_error","error_code":"url_not_accessible"}},
			{"type":"text","text":"Er ist 40 km lang.","citations":[{"type":"web_search_result_location","cited_text":"Er ist 40 km lang.","url":"https://a.example/1","title":"wikipedia.org","encrypted_index":"gwi1_MA"}]},
			{"type":"tool_use","id":"toolu_1","name":"f","input":{}}]},
		{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"ok"}]}]}`
	r, e := ParseMessages([]byte(in), envtest.Env(nil))
	if e != nil {
		t.Fatal(e)
	}
	const want = `{"contents":[{"role":"user","parts":[{"text":"Wie lang ist der Zürichsee?"}]},
		{"role":"model","parts":[
			{"text":"Web search for \"Zürichsee Länge\", \"Zürichsee Fläche\", results:\n- wikipedia.org https://a.example/1\n- zuerich.com https://b.example/2 (2 days ago)"},
			{"text":"Web search for \"x\" failed: max_uses_exceeded"},
			{"text":"Fetched https://c.example/ (C):\nPage text."},
			{"text":"Fetching a page failed: url_not_accessible"},
			{"text":"Er ist 40 km lang.","thoughtSignature":"AAEC"},
			{"functionCall":{"name":"f","args":{}},"thoughtSignature":"skip_thought_signature_validator"}]},
		{"role":"user","parts":[{"functionResponse":{"name":"f","response":{"output":"ok"}}}]}],
		"tools":[{"functionDeclarations":[{"name":"f","parametersJsonSchema":{"type":"object"}}]},{"googleSearch":{}},{"urlContext":{}}],
		"toolConfig":{"includeServerSideToolInvocations":true},"generationConfig":{"maxOutputTokens":10}}`
	jsontest.Equal(t, r.Body, want)
}

// groundedAnswer is an answer as Gemini gives it with Google Search, with
// the usage of the search.
const groundedAnswer = `{"candidates":[` + jsontest.GroundedCandidate + `],
 "usageMetadata":{"promptTokenCount":10,"candidatesTokenCount":20,"toolUsePromptTokenCount":300,"totalTokenCount":330},"responseId":"r"}`

const (
	uriA = jsontest.URIA
	uriB = jsontest.URIB
)

var srvID = regexp.MustCompile(`srvtoolu_[0-9A-Za-z]{24}`)

func webSearchResult(uri, title string) string {
	return `{"type":"web_search_result","url":"` + uri + `","title":"` + title + `","encrypted_content":"gws1_` + base64.RawURLEncoding.EncodeToString([]byte(uri)) + `","page_age":null}`
}

func citation(text, uri, title, index string) string {
	return `{"type":"web_search_result_location","cited_text":"` + text + `","url":"` + uri + `","title":"` + title + `","encrypted_index":"gwi1_` + index + `"}`
}

var groundedContent = `[
	{"type":"server_tool_use","id":"srvtoolu_X","name":"web_search","input":{"query":"Zürichsee Länge"}},
	{"type":"server_tool_use","id":"srvtoolu_X","name":"web_search","input":{"query":"Zürichsee Wasserqualität"}},
	{"type":"web_search_tool_result","tool_use_id":"srvtoolu_X","content":[` + webSearchResult(uriA, "wikipedia.org") + `,` + webSearchResult(uriB, "zuerich.com") + `]},
	{"type":"text","text":"Der Zürichsee ist etwa 40 km lang. Sein Wasser 🌊 ist sehr sauber.","citations":[` +
	citation("Der Zürichsee ist etwa 40 km lang.", uriA, "wikipedia.org", "MA") + `,` +
	citation("Sein Wasser 🌊 ist sehr sauber.", uriB, "zuerich.com", "MQ") + `,` +
	citation("Sein Wasser 🌊 ist sehr sauber.", uriA, "wikipedia.org", "MA") + `]}]`

const searchReq = `{"model":"claude-haiku-4-5","max_tokens":100,"messages":[{"role":"user","content":"Zürichsee?"}],"tools":[{"type":"web_search_20250305","name":"web_search"},{"type":"web_fetch_20250910","name":"web_fetch"}]}`

func TestWebSearchResponse(t *testing.T) {
	long := strings.Repeat("Größe ", 30) + "🌊" // 181 characters, 212 bytes
	tests := []struct {
		name, req, gemini, content, usage string
	}{
		{
			name:    "searches first, then the text with its citations",
			req:     searchReq,
			gemini:  groundedAnswer,
			content: groundedContent,
			usage:   `{"input_tokens":310,"output_tokens":20,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"server_tool_use":{"web_search_requests":2,"web_fetch_requests":0}}`,
		},
		{
			name: "cited_text is cut to 150 characters, never inside one",
			req:  searchReq,
			gemini: `{"candidates":[{"content":{"parts":[{"text":"` + long + `"}]},"finishReason":"STOP","groundingMetadata":{"webSearchQueries":["q"],
				"groundingChunks":[{"web":{"uri":"https://a.example/","title":"a.example"}}],
				"groundingSupports":[{"segment":{"endIndex":212,"text":"` + long + `"},"groundingChunkIndices":[0]}]}}]}`,
			content: `[{"type":"server_tool_use","id":"srvtoolu_X","name":"web_search","input":{"query":"q"}},
				{"type":"web_search_tool_result","tool_use_id":"srvtoolu_X","content":[` + webSearchResult("https://a.example/", "a.example") + `]},
				{"type":"text","text":"` + long + `","citations":[` + citation(strings.Repeat("Größe ", 25), "https://a.example/", "a.example", "MA") + `]}]`,
			usage: `{"input_tokens":0,"output_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"server_tool_use":{"web_search_requests":1,"web_fetch_requests":0}}`,
		},
		{
			name: "URLs read: web_fetch blocks; a source without a query is only cited",
			req:  searchReq,
			gemini: `{"candidates":[{"content":{"parts":[{"text":"Die Seite sagt Hallo."}]},"finishReason":"STOP",
				"groundingMetadata":{"groundingChunks":[{"web":{"uri":"https://c.example/","title":"c.example"}}],
					"groundingSupports":[{"segment":{"endIndex":21,"text":"Die Seite sagt Hallo."},"groundingChunkIndices":[0]}]},
				"urlContextMetadata":{"urlMetadata":[{"retrievedUrl":"https://c.example/","urlRetrievalStatus":"URL_RETRIEVAL_STATUS_SUCCESS"},
					{"retrievedUrl":"https://d.example/","urlRetrievalStatus":"URL_RETRIEVAL_STATUS_PAYWALL"}]}}]}`,
			content: `[{"type":"server_tool_use","id":"srvtoolu_X","name":"web_fetch","input":{"url":"https://c.example/"}},
				{"type":"web_fetch_tool_result","tool_use_id":"srvtoolu_X","content":{"type":"web_fetch_result","url":"https://c.example/","retrieved_at":null,
					"content":{"type":"document","source":{"type":"text","media_type":"text/plain","data":""},"title":null,"citations":null}}},
				{"type":"server_tool_use","id":"srvtoolu_X","name":"web_fetch","input":{"url":"https://d.example/"}},
				{"type":"web_fetch_tool_result","tool_use_id":"srvtoolu_X","content":{"type":"web_fetch_tool_error","error_code":"url_not_accessible"}},
				{"type":"text","text":"Die Seite sagt Hallo.","citations":[` + citation("Die Seite sagt Hallo.", "https://c.example/", "c.example", "MA") + `]}]`,
			usage: `{"input_tokens":0,"output_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"server_tool_use":{"web_search_requests":0,"web_fetch_requests":2}}`,
		},
		{
			name: "Gemini 3 mixing search and functions: the built-in tool's records are not content, their signature goes to the call",
			req:  `{"model":"gemini-3-pro-preview","max_tokens":100,"messages":[{"role":"user","content":"x"}],"tools":[{"name":"f","input_schema":{"type":"object"}},{"type":"web_search_20250305","name":"web_search"}]}`,
			gemini: `{"candidates":[{"content":{"parts":[
				{"toolCall":{"id":"s1","toolType":"GOOGLE_SEARCH_WEB","args":{"queries":["q"]}},"thoughtSignature":"AAEC"},
				{"toolResponse":{"id":"s1","toolType":"GOOGLE_SEARCH_WEB","response":{"search_suggestions":"…"}}},
				{"functionCall":{"name":"f","args":{}}}]},"finishReason":"STOP",
				"groundingMetadata":{"webSearchQueries":["q"],"groundingChunks":[{"web":{"uri":"https://a.example/","title":"a.example"}}]}}]}`,
			content: `[{"type":"server_tool_use","id":"srvtoolu_X","name":"web_search","input":{"query":"q"}},
				{"type":"web_search_tool_result","tool_use_id":"srvtoolu_X","content":[` + webSearchResult("https://a.example/", "a.example") + `]},
				{"type":"tool_use","id":"toolu_X__ts_AAEC","name":"f","input":{}}]`,
			usage: `{"input_tokens":0,"output_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"server_tool_use":{"web_search_requests":1,"web_fetch_requests":0}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, e := mustParse(t, tt.req).Response([]byte(tt.gemini))
			if e != nil {
				t.Fatal(e)
			}
			out = jsontest.NormalizeIDs(out)
			var m struct {
				Content, Usage json.RawMessage
			}
			if err := json.Unmarshal(out, &m); err != nil {
				t.Fatal(err)
			}
			jsontest.Equal(t, m.Content, tt.content)
			jsontest.Equal(t, m.Usage, tt.usage)
		})
	}
	// The result block refers to the last server_tool_use.
	out, _ := mustParse(t, searchReq).Response([]byte(groundedAnswer))
	ids := srvID.FindAllString(string(out), -1)
	if len(ids) != 3 || ids[1] != ids[2] || ids[0] == ids[1] {
		t.Fatalf("server tool ids %v", ids)
	}
}

// The same grounded answer streamed as Gemini streams it (text in pieces,
// the grounding with the last event) gives the same blocks, the searches
// after the text they informed, and the same citations, every byte split.
func TestWebSearchStream(t *testing.T) {
	r := mustParse(t, strings.Replace(searchReq, `"max_tokens":100,`, `"max_tokens":100,"stream":true,`, 1))
	up := jsontest.GroundedStream(`"usageMetadata":{"promptTokenCount":10,"candidatesTokenCount":20,"toolUsePromptTokenCount":300,"totalTokenCount":330},`)
	var whole []map[string]any
	if err := json.Unmarshal([]byte(srvID.ReplaceAllString(groundedContent, "srvtoolu_X")), &whole); err != nil {
		t.Fatal(err)
	}
	// Stream order: the text (with its citations), then the searches.
	want := append(append([]map[string]any{}, whole[3]), whole[:3]...)
	for c := 0; c <= len(up); c += 7 {
		out, _ := streamOut(r, up, c)
		evs := splitEvents(t, out)
		content, stop, err := accumulate(evs)
		if err != nil || stop != "end_turn" {
			t.Fatalf("split %d: %v (stop %q)\n%s", c, err, stop, out)
		}
		got, _ := json.Marshal(content)
		wantJSON, _ := json.Marshal(want)
		if srvID.ReplaceAllString(string(got), "srvtoolu_X") != string(wantJSON) {
			t.Fatalf("split %d:\n got %s\nwant %s", c, got, wantJSON)
		}
		last := evs[len(evs)-2].data
		if !strings.Contains(last, `"server_tool_use":{"web_search_requests":2,"web_fetch_requests":0}`) {
			t.Fatalf("message_delta %s", last)
		}
	}
}
