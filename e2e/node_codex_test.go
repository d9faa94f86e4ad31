package e2e_test

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/e2e/fakegemini"
)

// codexCLI is Codex CLI's entry point in e2e/node (the version is pinned in
// e2e/node/package.json): a Node launcher for the native binary that npm
// installs as an optional dependency (@openai/codex-<platform>).
const codexCLI = "node_modules/@openai/codex/bin/codex.js"

// codexConfig is ~/.codex/config.toml for a test: a custom provider on the
// gateway's Responses API (the README's configuration) plus provider lines
// in extra, no retries (a failure must show at once) and no update checks.
func codexConfig(gateway, model string, extra string) string {
	return `model = "` + model + `"
model_provider = "gca"
check_for_update_on_startup = false

[model_providers.gca]
name = "gemini-code-api"
base_url = "` + gateway + `/v1"
env_key = "GCA_KEY"
wire_api = "responses"
request_max_retries = 0
stream_max_retries = 0
` + extra + `
[analytics]
enabled = false
`
}

// codexEvent is one line of `codex exec --json`.
type codexEvent struct {
	Type string
	Item struct {
		ID, Type, Text, Command, Status string
		AggregatedOutput                string `json:"aggregated_output"`
		Changes                         []struct{ Path, Kind string }
		Message                         string
	}
	Message string
	Error   struct{ Message string }
}

// codexWorkDir is a new working directory for Codex holding notes.txt
// (its path is notes) with that content, for the run to change.
func codexWorkDir(t *testing.T, content string) (work, notes string) {
	t.Helper()
	work = t.TempDir()
	return work, writeFile(t, content, work, "notes.txt")
}

// runCodex runs `codex exec --json` in work with HOME holding config and
// returns the events it printed.
func runCodex(t *testing.T, home, work, prompt string, env map[string]string) []codexEvent {
	t.Helper()
	e := map[string]string{"HOME": home, "PWD": work, "GCA_KEY": "AIzaCODEX", "RUST_LOG": "warn"}
	for k, v := range env {
		e[k] = v
	}
	out := runNode(t, codexCLI, e, "exec", "--json", "--skip-git-repo-check",
		// The fake Gemini drives the commands; no sandbox is needed (and
		// bubblewrap may not run inside the test's container).
		"--dangerously-bypass-approvals-and-sandbox", prompt)
	var events []codexEvent
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var ev codexEvent
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("codex printed a line that is not an event: %v\n%s", err, line)
		}
		events = append(events, ev)
	}
	if testing.Verbose() {
		t.Logf("codex output:\n%s", tail(out, 6000))
	}
	return events
}

func writeCodexHome(t *testing.T, config string) string {
	t.Helper()
	home := t.TempDir()
	writeFile(t, config, home, ".codex", "config.toml")
	return home
}

// Codex CLI itself, headless (codex exec), through the gateway's Responses
// API on a Gemini 3 model, configured with the gateway's model catalog and
// WebSocket support: Codex tries a WebSocket first and must fall back to
// HTTP at once; then the model (the fake Gemini, which checks thought
// signatures) has Codex run a shell command, edit a file with its
// apply_patch tool, and answer. The file must be changed on disk.
func TestNodeCodexRunsAndPatches(t *testing.T) {
	env := nodeHost(t)
	work, notes := codexWorkDir(t, "colour: blue\nsize: small\n")
	const model = "gemini-3-pro-preview"
	home := writeCodexHome(t, codexConfig(env.URL, model,
		`model_catalog_url = "`+env.URL+`/v1/models"
supports_websockets = true
`))

	patch := "*** Begin Patch\n*** Update File: notes.txt\n@@\n-colour: blue\n+colour: green\n size: small\n*** End Patch\n"
	patchArgs, _ := json.Marshal(map[string]string{"input": patch})
	final := "notes.txt now says the colour is green."
	env.Fake.Enqueue("",
		fakegemini.Reply{Parts: []json.RawMessage{
			json.RawMessage(`{"text":"Reading the notes first.","thought":true}`),
			json.RawMessage(`{"functionCall":{"name":"exec_command","args":{"cmd":"cat notes.txt"}}}`),
		}},
		fakegemini.Reply{Parts: []json.RawMessage{json.RawMessage(`{"functionCall":{"name":"apply_patch","args":` + string(patchArgs) + `}}`)}},
		fakegemini.Reply{Text: final},
	)
	env.Fake.SetDefault("", fakegemini.Reply{Text: "ok"})

	events := runCodex(t, home, work, "Change the colour in notes.txt to green.", nil)

	got, err := os.ReadFile(notes)
	if err != nil || string(got) != "colour: green\nsize: small\n" {
		t.Fatalf("notes.txt after the run: %q (%v)", got, err)
	}
	var answer, summary string
	var ran, patched bool
	for _, ev := range events {
		if ev.Type == "error" || ev.Type == "turn.failed" {
			t.Fatalf("codex reported an error: %+v", ev)
		}
		if ev.Type != "item.completed" {
			continue
		}
		switch ev.Item.Type {
		case "agent_message":
			answer = ev.Item.Text
		case "reasoning":
			summary = ev.Item.Text
		case "command_execution":
			ran = strings.Contains(ev.Item.Command, "cat notes.txt") && strings.Contains(ev.Item.AggregatedOutput, "colour: blue")
		case "file_change":
			patched = len(ev.Item.Changes) == 1 && strings.HasSuffix(ev.Item.Changes[0].Path, "notes.txt")
		case "error":
			if strings.Contains(ev.Item.Message, "metadata") {
				t.Fatalf("codex did not take the gateway's model catalog: %s", ev.Item.Message)
			}
		}
	}
	if answer != final || !ran || !patched || summary != "Reading the notes first." {
		t.Fatalf("codex events: answer %q, ran cat %v, patched %v, reasoning summary %q", answer, ran, patched, summary)
	}

	// One WebSocket attempt answered 426, the catalog fetched, then HTTP.
	var ws, catalog, posts int
	for _, a := range env.Host.AccessLog() {
		switch {
		case a.Method == "GET" && a.Path == "/v1/responses" && a.Status == 426:
			ws++
		case a.Method == "GET" && strings.HasPrefix(a.Path, "/v1/models?client_version=") && a.Status == 200:
			catalog++
		case a.Method == "POST" && a.Status == 200:
			posts++
		default:
			t.Errorf("unexpected request %s %s: %d", a.Method, a.Path, a.Status)
		}
	}
	if ws != 1 || catalog == 0 || posts != 3 {
		t.Fatalf("%d WebSocket attempts (want 1), %d catalog requests, %d responses requests (want 3)", ws, catalog, posts)
	}

	gen := generations(t, env, 3, nil)
	upstreamKeyAndPath(t, gen[0], "/v1beta/models/"+model+":streamGenerateContent", "AIzaCODEX")

	_, names := declaredTools(t, gen[0].Body)
	t.Logf("Codex declared %d tools: %v", len(names), names)
	for _, want := range []string{"exec_command", "apply_patch"} {
		if !slices.Contains(names, want) {
			t.Fatalf("no %s among the declared tools %v", want, names)
		}
	}
	// The catalog's reasoning summaries reach Gemini as thought summaries.
	if !strings.Contains(string(gen[0].Body), `"includeThoughts":true`) {
		t.Fatalf("first request asks for no thought summaries: %.2000s", gen[0].Body)
	}
	// The third request replays both steps: each call (with its thought
	// signature, or the fake would have answered 400) and its result.
	third := string(gen[2].Body)
	for _, want := range []string{`"name":"exec_command"`, `colour: blue`, `"name":"apply_patch"`, `"thoughtSignature"`} {
		if !strings.Contains(third, want) {
			t.Fatalf("third request lacks %s: %s", want, lastContents(gen[2].Body, 4))
		}
	}
}

// The minimal configuration (no model catalog): Codex runs on its generic
// metadata, its own prompt and tools (no apply_patch tool; patches go
// through exec_command, which Codex intercepts), on a Gemini 3 model.
func TestNodeCodexMinimalConfig(t *testing.T) {
	env := nodeHost(t)
	work, notes := codexWorkDir(t, "colour: blue\n")
	home := writeCodexHome(t, codexConfig(env.URL, "gemini-3-flash-preview", ""))
	cmd, _ := json.Marshal(map[string]string{"cmd": "apply_patch <<'EOF'\n*** Begin Patch\n*** Update File: notes.txt\n@@\n-colour: blue\n+colour: red\n*** End Patch\nEOF\n"})
	env.Fake.Enqueue("",
		fakegemini.Reply{Parts: []json.RawMessage{json.RawMessage(`{"text":"Patching."}`), json.RawMessage(`{"functionCall":{"name":"exec_command","args":` + string(cmd) + `}}`)}},
		fakegemini.Reply{Text: "Now red."},
	)
	env.Fake.SetDefault("", fakegemini.Reply{Text: "ok"})

	events := runCodex(t, home, work, "Make the colour red.", nil)
	if got, err := os.ReadFile(notes); err != nil || string(got) != "colour: red\n" {
		t.Fatalf("notes.txt after the run: %q (%v)", got, err)
	}
	var messages []string
	for _, ev := range events {
		if ev.Type == "error" || ev.Type == "turn.failed" {
			t.Fatalf("codex reported an error: %+v", ev)
		}
		if ev.Type == "item.completed" && ev.Item.Type == "agent_message" {
			messages = append(messages, ev.Item.Text)
		}
	}
	if strings.Join(messages, "|") != "Patching.|Now red." {
		t.Fatalf("agent messages %q", messages)
	}
	reqs := env.Fake.Requests()
	if len(reqs) != 2 || env.Fake.Pending("", "") != 0 {
		t.Fatalf("%d upstream requests", len(reqs))
	}
	// Codex's fallback tools: a namespace of functions, and no apply_patch.
	second := string(reqs[1].Body)
	if !strings.Contains(second, `"name":"multi_agent_v1.spawn_agent"`) || strings.Contains(second, `"name":"apply_patch"`) ||
		!strings.Contains(second, `"text":"Patching.","thoughtSignature"`) {
		t.Fatalf("second request: %s", lastContents(reqs[1].Body, 3))
	}
}
