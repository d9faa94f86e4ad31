package e2e_test

// Helpers for the Node e2e tests (node_*_test.go): the official JavaScript
// SDKs and CLIs (e2e/node/package.json) run against the gateway. Each
// scenario is a script in e2e/node/*.mjs that prints one JSON object on
// stdout; the Go test scripts the fake Gemini, runs the script and asserts
// on what the client saw and on what the fake received.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gemini-code-api/gemini-code-api/e2e/fakegemini"
	"github.com/gemini-code-api/gemini-code-api/e2e/harness"
)

// nodeScriptTimeout bounds one runNode call (an SDK call or a CLI run).
const nodeScriptTimeout = 90 * time.Second

// nodeDir is the absolute path of e2e/node.
func nodeDir() string {
	_, here, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(here), "node")
}

// minNodeMajor is the oldest Node.js the pinned packages support
// (@google/genai 2.x and the Gemini CLI declare engines node >= 20).
const minNodeMajor = 20

var (
	nodeCheckOnce sync.Once
	nodeSkip      string
)

// nodeOrSkip skips the test when node or npm is not installed, or node is
// older than minNodeMajor.
func nodeOrSkip(t *testing.T) {
	t.Helper()
	nodeCheckOnce.Do(func() {
		for _, tool := range []string{"node", "npm"} {
			if _, err := exec.LookPath(tool); err != nil {
				nodeSkip = fmt.Sprintf("skipping the Node e2e tests: %s is not installed (install Node.js >= %d with npm to run them)", tool, minNodeMajor)
				return
			}
		}
		out, err := exec.Command("node", "--version").Output()
		v := strings.TrimSpace(string(out))
		var major int
		if _, perr := fmt.Sscanf(v, "v%d.", &major); err != nil || perr != nil || major < minNodeMajor {
			nodeSkip = fmt.Sprintf("skipping the Node e2e tests: node --version says %q (err %v); they need Node.js >= %d", v, err, minNodeMajor)
		}
	})
	if nodeSkip != "" {
		t.Skip(nodeSkip)
	}
}

var (
	npmOnce sync.Once
	npmErr  error
)

// npmStamp is written into node_modules after a successful install: a copy
// of the package-lock.json it was installed from. (npm's own hidden
// lockfile, node_modules/.package-lock.json, is not a byte copy of
// package-lock.json: it leaves out the root package and skipped optional
// packages, so it cannot tell an up-to-date install by itself.)
const npmStamp = ".gca-installed-package-lock.json"

// npmCI installs e2e/node's locked dependencies once per test binary with
// `npm ci --no-audit --no-fund --ignore-scripts`, unless node_modules was installed from a
// package-lock.json identical byte for byte to the current one. A file lock
// serializes installs of concurrent test binaries (go test ./... runs
// packages in parallel, and developers run several go test at once).
// Install scripts are not run: none of the tested code needs one (they
// build the Gemini CLI's optional native keychain and PTY modules, which
// headless runs do not use), and recent npm releases skip unapproved
// scripts anyway, so every npm version installs the same tree.
func npmCI(t *testing.T) {
	t.Helper()
	nodeOrSkip(t)
	npmOnce.Do(func() { npmErr = npmInstall() })
	if npmErr != nil {
		t.Fatal(npmErr)
	}
}

func npmInstall() error {
	dir := nodeDir()
	want, err := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		return err
	}
	upToDate := func() bool {
		have, err := os.ReadFile(filepath.Join(dir, "node_modules", npmStamp))
		if err != nil || !bytes.Equal(have, want) {
			return false
		}
		_, err = os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json"))
		return err == nil
	}
	if upToDate() {
		return nil
	}
	unlock, err := lockFile(filepath.Join(os.TempDir(), fmt.Sprintf("gca-e2e-node-%x.lock", sha256.Sum256([]byte(dir)))))
	if err != nil {
		return err
	}
	defer unlock()
	if upToDate() { // installed by another process while we waited
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("npm ci in %s: %v\n%s", dir, err, out)
	}
	return os.WriteFile(filepath.Join(dir, "node_modules", npmStamp), want, 0o644)
}

// runNode runs e2e/node/<script> with node (after npmCI) and returns its
// stdout; a non-zero exit or a timeout fails the test with stderr. env is
// added to a minimal environment (PATH, and HOME set to a fresh temporary
// directory unless env sets it), so no user configuration leaks in. A
// script path that is not under e2e/node (e.g. a CLI entry point) may be
// given relative to e2e/node. The working directory is env["PWD"] when set,
// else e2e/node.
func runNode(t *testing.T, script string, env map[string]string, args ...string) string {
	t.Helper()
	stdout, stderr, err := runNodeRaw(t, script, env, args...)
	if err != nil {
		t.Fatalf("node %s %s: %v\nstderr:\n%s\nstdout:\n%s", script, strings.Join(args, " "), err, tail(stderr, 8000), tail(stdout, 4000))
	}
	return stdout
}

// runNodeRaw is runNode without the failure: it returns stdout, stderr and
// the exit error.
func runNodeRaw(t *testing.T, script string, env map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	npmCI(t)
	dir := nodeDir()
	ctx, cancel := context.WithTimeout(context.Background(), nodeScriptTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", append([]string{filepath.Join(dir, script)}, args...)...)
	cmd.Dir = dir
	if wd := env["PWD"]; wd != "" {
		cmd.Dir = wd
	}
	cmd.Env = nodeEnv(t, env)
	cmd.WaitDelay = 5 * time.Second
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err = cmd.Run()
	if ctx.Err() != nil {
		err = errors.New("timed out after " + nodeScriptTimeout.String())
	}
	return o.String(), e.String(), err
}

func nodeEnv(t *testing.T, env map[string]string) []string {
	m := map[string]string{
		"PATH":     os.Getenv("PATH"),
		"HOME":     t.TempDir(),
		"NO_COLOR": "1",
		"CI":       "1",
		"TERM":     "dumb",
	}
	for _, k := range []string{"TMPDIR", "SYSTEMROOT", "LANG"} {
		if v, ok := os.LookupEnv(k); ok {
			m[k] = v
		}
	}
	for k, v := range env {
		m[k] = v
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, 0, len(m))
	for _, k := range keys {
		out = append(out, k+"="+m[k])
	}
	return out
}

// nodeJSON runs a script and decodes the JSON object it printed into v.
func nodeJSON(t *testing.T, v any, script string, env map[string]string, args ...string) {
	t.Helper()
	out := runNode(t, script, env, args...)
	decodeLastJSON(t, out, v)
}

// decodeLastJSON decodes a script's output: the whole of stdout when it is
// one JSON value (possibly indented), else its last non-empty line (a CLI
// may print something before its result).
func decodeLastJSON(t *testing.T, out string, v any) {
	t.Helper()
	out = strings.TrimSpace(out)
	if json.Valid([]byte(out)) {
		if err := json.Unmarshal([]byte(out), v); err != nil {
			t.Fatalf("decoding the script's output: %v\n%s", err, tail(out, 4000))
		}
		return
	}
	lines := strings.Split(out, "\n")
	last := strings.TrimSpace(lines[len(lines)-1])
	if err := json.Unmarshal([]byte(last), v); err != nil {
		t.Fatalf("decoding the script's output: %v\n%s", err, tail(out, 4000))
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// nodeAPIError is what the anthropic.mjs and genai.mjs scripts print when
// the SDK threw an API error.
type nodeAPIError struct {
	APIError *struct {
		Status  *int            `json:"status"`
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
	} `json:"api_error"`
}

// nodeAPIErrorFails fails the test when a script reported an API error,
// with the status, the error body and how many requests reached Gemini
// (none: the gateway answered by itself, e.g. a 404 for an unrouted path).
func nodeAPIErrorFails(t *testing.T, out string, upstreamRequests int, what string) {
	t.Helper()
	var e nodeAPIError
	decodeLastJSON(t, out, &e)
	if e.APIError == nil {
		return
	}
	status := 0
	if e.APIError.Status != nil {
		status = *e.APIError.Status
	}
	t.Fatalf("%s: the SDK got an API error (status %d, %d upstream requests): %s %s", what, status, upstreamRequests, e.APIError.Message, e.APIError.Error)
}

// checkToolRoundTrip asserts that a CLI's second Gemini request carries the
// tool call the fake scripted (tool reading path) followed by the tool's
// result holding secret.
func checkToolRoundTrip(t *testing.T, body []byte, tool, path, secret string) {
	t.Helper()
	if testing.Verbose() {
		t.Logf("second request, last contents: %s", lastContents(body, 2))
	}
	var second geminiRequestBody
	if err := json.Unmarshal(body, &second); err != nil {
		t.Fatal(err)
	}
	var call, resp *geminiPart
	for ci, c := range second.Contents {
		for pi := range c.Parts {
			p := &second.Contents[ci].Parts[pi]
			if p.FunctionCall != nil && c.Role == "model" {
				call = p
			}
			if p.FunctionResponse != nil && c.Role == "user" && call != nil {
				resp = p
			}
		}
	}
	if call == nil || call.FunctionCall.Name != tool || call.FunctionCall.Args["file_path"] != path {
		t.Fatalf("second request has no model functionCall %s(%s): %.3000s", tool, path, body)
	}
	if resp == nil || resp.FunctionResponse.Name != tool || !strings.Contains(string(resp.FunctionResponse.Response), secret) {
		t.Fatalf("second request has no user functionResponse carrying %q: %.3000s", secret, body)
	}
}

// writeFile writes content to the file the path elements name, creating
// its folders, and returns its path.
func writeFile(t *testing.T, content string, elem ...string) string {
	t.Helper()
	name := filepath.Join(elem...)
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

// scriptFileRead writes secret into dir/secret.txt and scripts the fake
// Gemini for a CLI's two-step tool loop: first a call of tool on that file,
// then the final text (returned); any extra call the CLI makes (titles,
// routing, loop checks) gets a valid answer.
func scriptFileRead(t *testing.T, env *harness.Env, dir, tool, secret string) (secretPath, final string) {
	t.Helper()
	secretPath = writeFile(t, secret+"\n", dir, "secret.txt")
	final = "The word in secret.txt is " + secret + "."
	args, _ := json.Marshal(map[string]string{"file_path": secretPath})
	env.Fake.Enqueue("",
		fakegemini.Reply{Parts: []json.RawMessage{json.RawMessage(`{"functionCall":{"name":"` + tool + `","args":` + string(args) + `}}`)}},
		fakegemini.Reply{Text: final},
	)
	env.Fake.SetDefault("", fakegemini.Reply{Text: "ok"})
	return secretPath, final
}

// generations returns the generate requests the fake received: every
// request is logged and must have been answered 200, check (when set) looks
// at each; at least min must have come, and no scripted reply may be left.
func generations(t *testing.T, env *harness.Env, min int, check func(i int, r fakegemini.Request)) []fakegemini.Request {
	t.Helper()
	var gen []fakegemini.Request
	for i, r := range env.Fake.Requests() {
		t.Logf("upstream %d: %s %s?%s status %d, %d bytes, user-agent %q", i, r.Method, r.Path, r.RawQuery, r.Status, len(r.Body), r.Header.Get("User-Agent"))
		if r.Status != 200 {
			t.Errorf("upstream request %d %s answered %d: %s", i, r.Path, r.Status, r.Body)
		}
		if check != nil {
			check(i, r)
		}
		if r.Action == "generateContent" || r.Action == "streamGenerateContent" {
			gen = append(gen, r)
		}
	}
	if pending := env.Fake.Pending("", ""); pending != 0 || len(gen) < min {
		t.Fatalf("%d generate requests upstream, %d scripted replies left", len(gen), pending)
	}
	return gen
}

// declaredTools returns the request body and the names of the functions
// it declares.
func declaredTools(t *testing.T, body []byte) (geminiRequestBody, []string) {
	t.Helper()
	var req geminiRequestBody
	if err := json.Unmarshal(body, &req); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range req.Tools {
		for _, d := range tool.FunctionDeclarations {
			names = append(names, d.Name)
		}
	}
	return req, names
}

func oneUpstream(t *testing.T, env *harness.Env) fakegemini.Request {
	t.Helper()
	reqs := env.Fake.Requests()
	if len(reqs) != 1 {
		t.Fatalf("upstream saw %d requests", len(reqs))
	}
	return reqs[0]
}

// oneStream is the one request the fake received: a stream (alt=sse) to
// path with key.
func oneStream(t *testing.T, env *harness.Env, path, key string) fakegemini.Request {
	t.Helper()
	r := oneUpstream(t, env)
	upstreamKeyAndPath(t, r, path, key)
	if r.RawQuery != "alt=sse" {
		t.Fatalf("upstream query %q", r.RawQuery)
	}
	return r
}

// oneSayHello checks that the one request the fake saw is the SDK script's
// "Say hello" (see checkSayHello) to model's generateContent, with the
// client's key.
func oneSayHello(t *testing.T, env *harness.Env, model string, maxOutputTokens int, temperature float64) {
	t.Helper()
	r := oneUpstream(t, env)
	upstreamKeyAndPath(t, r, "/v1beta/models/"+model+":generateContent", "AIzaNODEKEY")
	checkSayHello(t, r, maxOutputTokens, temperature)
}

// checkSayHello checks the generateContent request the SDK scripts' first
// scenario becomes: the user's "Say hello" and the system's "Be brief.",
// each alone, with the scenario's maxOutputTokens and temperature (0 where
// the scenario sets none).
func checkSayHello(t *testing.T, r fakegemini.Request, maxOutputTokens int, temperature float64) {
	t.Helper()
	var body struct {
		Contents []struct {
			Role  string
			Parts []struct{ Text string }
		}
		SystemInstruction struct{ Parts []struct{ Text string } }
		GenerationConfig  struct {
			Temperature     float64
			MaxOutputTokens int
		}
	}
	if err := json.Unmarshal(r.Body, &body); err != nil || len(body.Contents) != 1 || body.Contents[0].Role != "user" ||
		len(body.Contents[0].Parts) != 1 || body.Contents[0].Parts[0].Text != "Say hello" ||
		len(body.SystemInstruction.Parts) != 1 || body.SystemInstruction.Parts[0].Text != "Be brief." ||
		body.GenerationConfig.MaxOutputTokens != maxOutputTokens || body.GenerationConfig.Temperature != temperature {
		t.Fatalf("upstream body %s", r.Body)
	}
}

// nodeHost is a host for a Node test, its packages installed.
func nodeHost(t *testing.T) *harness.Env {
	t.Helper()
	npmCI(t)
	return harness.NewHost(t, "")
}

// countToFive is what the SDK stream tests have the fake answer, a word an
// event 10ms apart, so that a client that does not stream event by event
// shows it (fewer chunks or deltas).
const countToFive = "One, two, three, four, five."

// nodeStreamHost is a nodeHost whose fake streams countToFive next, with
// that usage.
func nodeStreamHost(t *testing.T, usage fakegemini.Usage) *harness.Env {
	t.Helper()
	env := nodeHost(t)
	env.Fake.Enqueue("", fakegemini.Reply{Text: countToFive, EventDelay: 10 * time.Millisecond, Usage: &usage})
	return env
}

// nodeSDK runs scenario of an SDK script (e2e/node/<script>) against env
// with the key AIzaNODEKEY, fails on an API error it printed (what names
// the call) and decodes its result into v.
func nodeSDK(t *testing.T, env *harness.Env, script, scenario, what string, v any) {
	t.Helper()
	out := runNode(t, script, map[string]string{"GATEWAY_URL": env.URL, "API_KEY": "AIzaNODEKEY"}, scenario)
	nodeAPIErrorFails(t, out, len(env.Fake.Requests()), what)
	decodeLastJSON(t, out, v)
}

// nodeCountTokens runs the count_tokens scenario of an SDK script (what
// names the call), the fake answering 42 tokens, and checks that the client
// read 42 from its result's field, and that the one request went to
// model's countTokens with the client's key, carrying each of sent.
func nodeCountTokens(t *testing.T, script, what, field, model string, sent ...string) {
	t.Helper()
	env := nodeHost(t)
	env.Fake.Enqueue("", fakegemini.Reply{Endpoint: "countTokens", Body: `{"totalTokens": 42}`})
	var got map[string]json.RawMessage
	nodeSDK(t, env, script, "count_tokens", what, &got)
	if string(got[field]) != "42" {
		t.Fatalf("client saw %s %s", field, got[field])
	}
	r := oneUpstream(t, env)
	upstreamKeyAndPath(t, r, "/v1beta/models/"+model+":countTokens", "AIzaNODEKEY")
	for _, text := range sent {
		if !strings.Contains(string(r.Body), text) {
			t.Fatalf("upstream body lacks %q: %s", text, r.Body)
		}
	}
}
