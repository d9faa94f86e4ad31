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
	npmCI(t)
	env := harness.NewHost(t, "")
	work := t.TempDir()
	const secret = "quokka-4711"
	secretPath, final := scriptFileRead(t, env, work, "Read", secret)

	out := runNode(t, claudeCodeCLI, map[string]string{
		"ANTHROPIC_BASE_URL":                       env.URL,
		"ANTHROPIC_API_KEY":                        "AIzaCLAUDECODE",
		"DISABLE_TELEMETRY":                        "1",
		"DISABLE_ERROR_REPORTING":                  "1",
		"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
		"DISABLE_AUTOUPDATER":                      "1",
		"PWD":                                      work, // HOME is a fresh temporary directory (runNode)
	}, "-p", "What word is written in secret.txt? Read the file.", "--output-format", "json", "--allowedTools", "Read")

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

	reqs := env.Fake.Requests()
	var gen []fakegemini.Request
	for i, r := range reqs {
		t.Logf("upstream %d: %s %s?%s status %d, %d bytes", i, r.Method, r.Path, r.RawQuery, r.Status, len(r.Body))
		if r.Status != 200 {
			t.Errorf("upstream request %d %s answered %d: %s", i, r.Path, r.Status, r.Body)
		}
		if r.Key != "AIzaCLAUDECODE" || r.Header.Get("x-api-key") != "" || r.Header.Get("Authorization") != "" {
			t.Fatalf("upstream request %d: key %q x-api-key %q authorization %q", i, r.Key, r.Header.Get("x-api-key"), r.Header.Get("Authorization"))
		}
		if r.Action == "generateContent" || r.Action == "streamGenerateContent" {
			gen = append(gen, r)
		}
	}
	if fakePending := env.Fake.Pending("", ""); fakePending != 0 || len(gen) < 2 {
		t.Fatalf("%d generate requests upstream, %d scripted replies left", len(gen), fakePending)
	}
	// The main conversation: the default model (a Sonnet) maps to
	// gemini-2.5-pro, streamed.
	for _, r := range gen[:2] {
		upstreamKeyAndPath(t, r, "/v1beta/models/gemini-2.5-pro:streamGenerateContent", "AIzaCLAUDECODE")
	}

	var first geminiRequestBody
	if err := json.Unmarshal(gen[0].Body, &first); err != nil {
		t.Fatal(err)
	}
	var names []string
	var readParams string
	for _, tool := range first.Tools {
		for _, d := range tool.FunctionDeclarations {
			names = append(names, d.Name)
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
