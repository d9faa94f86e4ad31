package e2e_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/e2e/fakegemini"
)

// geminiCLI is the Gemini CLI's entry point in e2e/node (the version is
// pinned in e2e/node/package.json).
const geminiCLI = "node_modules/@google/gemini-cli/bundle/gemini.js"

// geminiCLISettings is ~/.gemini/settings.json for the test's HOME: API-key
// auth (with GOOGLE_GEMINI_BASE_URL set and no selected auth type, 0.61.0
// picks its "gateway" auth type, which its non-interactive mode then
// rejects as "Invalid auth method selected"), no telemetry, no usage
// statistics, no update checks.
const geminiCLISettings = `{
  "security": {"auth": {"selectedType": "gemini-api-key"}},
  "general": {"enableAutoUpdate": false, "enableAutoUpdateNotification": false},
  "privacy": {"usageStatisticsEnabled": false},
  "telemetry": {"enabled": false}
}`

// The Gemini CLI, headless (-p, --output-format json), through the
// gateway's native Gemini endpoints: the model (the fake Gemini) asks it to
// read a file with its read_file tool, the CLI runs it and sends the result
// back, then the model answers.
func TestNodeGeminiCLIReadsAFile(t *testing.T) {
	env := nodeHost(t)
	home, work := t.TempDir(), t.TempDir()
	writeFile(t, geminiCLISettings, home, ".gemini", "settings.json")
	const secret = "wombat-2903"
	secretPath, final := scriptFileRead(t, env, work, "read_file", secret)

	out := runNode(t, geminiCLI, map[string]string{
		"GOOGLE_GEMINI_BASE_URL": env.URL, // read by the CLI's content generator (and by @google/genai)
		"GEMINI_API_KEY":         "AIzaGEMINICLI",
		"HOME":                   home,
		"PWD":                    work,
		"TMPDIR":                 t.TempDir(), // error reports go to os.tmpdir()
		"GEMINI_CLI_NO_RELAUNCH": "true",      // no child process with a larger heap
	}, "-p", "What word is written in secret.txt? Read the file.", "--output-format", "json",
		"-m", "gemini-2.5-flash", // a fixed model: no routing classifier on a flash-lite model
		"--skip-trust")

	var res struct {
		SessionID string `json:"session_id"`
		Response  string
		Error     json.RawMessage
		Stats     struct {
			Models map[string]struct {
				API struct {
					TotalRequests int `json:"totalRequests"`
					TotalErrors   int `json:"totalErrors"`
				} `json:"api"`
			}
			Tools struct {
				TotalCalls   int            `json:"totalCalls"`
				TotalSuccess int            `json:"totalSuccess"`
				ByName       map[string]any `json:"byName"`
			}
		}
	}
	decodeLastJSON(t, out, &res)
	if res.Response != final || res.Error != nil || res.Stats.Tools.TotalCalls != 1 || res.Stats.Tools.TotalSuccess != 1 ||
		res.Stats.Tools.ByName["read_file"] == nil || res.Stats.Models["gemini-2.5-flash"].API.TotalErrors != 0 {
		t.Fatalf("Gemini CLI's result: %s", out)
	}

	gen := generations(t, env, 2, func(i int, r fakegemini.Request) {
		if r.Key != "AIzaGEMINICLI" || r.Header.Get("x-goog-api-key") != "AIzaGEMINICLI" || strings.Contains(r.RawQuery, "key=") {
			t.Fatalf("upstream request %d: key %q x-goog-api-key %q query %q", i, r.Key, r.Header.Get("x-goog-api-key"), r.RawQuery)
		}
	})
	for _, r := range gen[:2] {
		upstreamKeyAndPath(t, r, "/v1beta/models/gemini-2.5-flash:streamGenerateContent", "AIzaGEMINICLI")
		if r.RawQuery != "alt=sse" || !strings.HasPrefix(r.Header.Get("User-Agent"), "GeminiCLI") {
			t.Fatalf("upstream ?%s user-agent %q", r.RawQuery, r.Header.Get("User-Agent"))
		}
	}

	_, names := declaredTools(t, gen[0].Body)
	t.Logf("the Gemini CLI declared %d tools: %v", len(names), names)
	if !slices.Contains(names, "read_file") {
		t.Fatalf("no read_file tool among %v", names)
	}

	checkToolRoundTrip(t, gen[1].Body, "read_file", secretPath, secret)
}
