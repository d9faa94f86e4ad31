package e2e_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/e2e/fakegemini"
	"github.com/gemini-code-api/gemini-code-api/e2e/harness"
)

// claudeCodeCLI is Claude Code's entry point in e2e/node (the version is
// pinned in e2e/node/package.json). Current releases ship a native binary in
// a platform package (@anthropic-ai/claude-code-<platform>) that their
// postinstall script copies over bin/claude.exe; npmCI runs no install
// scripts, so the test starts the package's own fallback launcher, which
// finds the platform binary and runs it.
const claudeCodeCLI = "node_modules/@anthropic-ai/claude-code/cli-wrapper.cjs"

// claudeCodeEnv runs Claude Code against the gateway with the key
// AIzaCLAUDECODE, in work (HOME is a fresh temporary directory: runNode),
// without telemetry, error reports, other traffic or updates.
func claudeCodeEnv(env *harness.Env, work string) map[string]string {
	return map[string]string{
		"ANTHROPIC_BASE_URL":                       env.URL,
		"ANTHROPIC_API_KEY":                        "AIzaCLAUDECODE",
		"DISABLE_TELEMETRY":                        "1",
		"DISABLE_ERROR_REPORTING":                  "1",
		"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
		"DISABLE_AUTOUPDATER":                      "1",
		"PWD":                                      work,
	}
}

// geminiPart is a content part of an upstream request, as far as the
// tool tests need it.
type geminiPart struct {
	Text         string
	FunctionCall *struct {
		Name string
		Args map[string]any
	} `json:"functionCall"`
	FunctionResponse *struct {
		Name     string
		Response json.RawMessage
	} `json:"functionResponse"`
}

type geminiRequestBody struct {
	Contents []struct {
		Role  string
		Parts []geminiPart
	}
	Tools []struct {
		FunctionDeclarations []struct {
			Name                 string
			Parameters           json.RawMessage
			ParametersJSONSchema json.RawMessage `json:"parametersJsonSchema"`
		} `json:"functionDeclarations"`
	}
}

// Claude Code itself, headless (-p, --output-format json), through the
// gateway: the model (the fake Gemini) asks it to Read a file, Claude Code
// runs the tool locally and sends the result back, then the model answers.
func TestNodeClaudeCodeReadsAFile(t *testing.T) {
	env := nodeHost(t)
	work := t.TempDir()
	const secret = "quokka-4711"
	secretPath, final := scriptFileRead(t, env, work, "Read", secret)

	out := runNode(t, claudeCodeCLI, claudeCodeEnv(env, work), "-p", "What word is written in secret.txt? Read the file.", "--output-format", "json", "--allowedTools", "Read")

	var res struct {
		Type, Subtype string
		IsError       bool `json:"is_error"`
		Result        string
		NumTurns      int    `json:"num_turns"`
		StopReason    string `json:"stop_reason"`
		Denials       []any  `json:"permission_denials"`
	}
	decodeLastJSON(t, out, &res)
	if res.Type != "result" || res.Subtype != "success" || res.IsError || res.Result != final || res.NumTurns != 2 || len(res.Denials) != 0 {
		t.Fatalf("Claude Code's result: %s", out)
	}

	gen := generations(t, env, 2, func(i int, r fakegemini.Request) {
		if r.Key != "AIzaCLAUDECODE" || r.Header.Get("x-api-key") != "" || r.Header.Get("Authorization") != "" {
			t.Fatalf("upstream request %d: key %q x-api-key %q authorization %q", i, r.Key, r.Header.Get("x-api-key"), r.Header.Get("Authorization"))
		}
	})
	// The main conversation: the default model (a Sonnet) maps to
	// gemini-2.5-pro, streamed.
	for _, r := range gen[:2] {
		upstreamKeyAndPath(t, r, "/v1beta/models/gemini-4-argon:streamGenerateContent", "AIzaCLAUDECODE")
	}

	first, names := declaredTools(t, gen[0].Body)
	var readParams string
	for _, tool := range first.Tools {
		for _, d := range tool.FunctionDeclarations {
			if d.Name == "Read" {
				readParams = string(d.Parameters) + string(d.ParametersJSONSchema)
			}
		}
	}
	t.Logf("Claude Code declared %d tools: %v", len(names), names)
	if !slices.Contains(names, "Read") || !strings.Contains(readParams, "file_path") {
		t.Fatalf("no Read tool with file_path among %v (Read parameters %s)", names, readParams)
	}
	if last := first.Contents[len(first.Contents)-1]; last.Role != "user" ||
		!strings.Contains(last.Parts[len(last.Parts)-1].Text, "secret.txt") {
		t.Fatalf("first request does not end with the prompt: %+v", last)
	}

	checkToolRoundTrip(t, gen[1].Body, "Read", secretPath, secret)
}

// lastContents returns the last n entries of a request's contents as JSON.
func lastContents(body []byte, n int) string {
	var b struct{ Contents []json.RawMessage }
	if json.Unmarshal(body, &b) != nil || len(b.Contents) < n {
		return string(body)
	}
	out, _ := json.Marshal(b.Contents[len(b.Contents)-n:])
	return string(out)
}

// Claude Code's WebSearch tool through the gateway. The model (the fake
// Gemini) calls WebSearch; Claude Code 2.1.328 then sends a request of its
// own with only Anthropic's web search server tool (web_search_20250305,
// max_uses 8, tool_choice auto) and reads the server_tool_use,
// web_search_tool_result and text blocks of the streamed answer; the
// gateway runs it on Gemini's Google Search, and the links reach the main
// conversation as WebSearch's result.
func TestNodeClaudeCodeWebSearch(t *testing.T) {
	env := nodeHost(t)
	work := t.TempDir()
	final := "Quokkas are small marsupials of Rottnest Island (sources: Wikipedia)."
	env.Fake.Enqueue("",
		fakegemini.Reply{Parts: []json.RawMessage{json.RawMessage(`{"functionCall":{"name":"WebSearch","args":{"query":"quokka facts"}}}`)}},
		searchReplyFor("Quokkas are small marsupials. They live on Rottnest Island near Perth.", "quokka facts",
			fakegemini.Source{URI: "https://vertexaisearch.cloud.google.com/grounding-api-redirect/Qk1", Title: "wikipedia.org"},
			fakegemini.Source{URI: "https://vertexaisearch.cloud.google.com/grounding-api-redirect/Qk2", Title: "rottnestisland.com"}),
		fakegemini.Reply{Text: final},
	)
	env.Fake.SetDefault("", fakegemini.Reply{Text: "ok"})

	out := runNode(t, claudeCodeCLI, claudeCodeEnv(env, work), "-p", "Search the web for quokka facts.", "--output-format", "json", "--allowedTools", "WebSearch")

	var res struct {
		Type, Subtype string
		IsError       bool `json:"is_error"`
		Result        string
	}
	decodeLastJSON(t, out, &res)
	if res.Type != "result" || res.Subtype != "success" || res.IsError || res.Result != final {
		t.Fatalf("Claude Code's result: %s", out)
	}
	gen := generations(t, env, 3, nil)
	// The search request: Google Search alone, no function declaration and
	// no function-calling config (Gemini refuses one without declarations).
	search := gen[1]
	if testing.Verbose() {
		t.Logf("search request: %s", search.Body)
	}
	var sb struct {
		Contents []struct{ Parts []geminiPart }
		Tools    []map[string]json.RawMessage
	}
	if err := json.Unmarshal(search.Body, &sb); err != nil {
		t.Fatal(err)
	}
	if len(sb.Tools) != 1 || string(sb.Tools[0]["googleSearch"]) != "{}" || strings.Contains(string(search.Body), "toolConfig") ||
		!strings.Contains(sb.Contents[len(sb.Contents)-1].Parts[0].Text, "quokka facts") {
		t.Fatalf("search request: %s", search.Body)
	}
	// WebSearch's result in the main conversation: the sources Gemini gave
	// (title and URL, as Claude Code lists them) and the grounded summary.
	var mainReq geminiRequestBody
	if err := json.Unmarshal(gen[2].Body, &mainReq); err != nil {
		t.Fatal(err)
	}
	var result string
	for _, c := range mainReq.Contents {
		for _, p := range c.Parts {
			if p.FunctionResponse != nil && p.FunctionResponse.Name == "WebSearch" {
				result = string(p.FunctionResponse.Response)
			}
		}
	}
	if testing.Verbose() {
		t.Logf("WebSearch result: %s", result)
	}
	for _, want := range []string{"quokka facts", "rottnestisland.com", "grounding-api-redirect/Qk2", "Rottnest Island near Perth"} {
		if !strings.Contains(result, want) {
			t.Fatalf("WebSearch's result lacks %q: %s", want, result)
		}
	}
}

// searchReplyFor scripts a grounded answer: text whose sentences cite the
// sources in turn.
func searchReplyFor(text, query string, sources ...fakegemini.Source) fakegemini.Reply {
	var supports []fakegemini.Support
	for i, s := range strings.SplitAfter(text, ". ") {
		if s = strings.TrimSpace(s); s != "" {
			supports = append(supports, fakegemini.Support{Text: s, Sources: []int{i % len(sources)}})
		}
	}
	return fakegemini.Reply{Text: text, Grounding: fakegemini.GroundingFor(text, []string{query}, sources, supports...)}
}
