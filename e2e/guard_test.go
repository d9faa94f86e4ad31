package e2e_test

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gemini-code-api/gemini-code-api/e2e/envoyconfig"
	"github.com/gemini-code-api/gemini-code-api/e2e/fakegemini"
	"github.com/gemini-code-api/gemini-code-api/e2e/harness"
	"github.com/gemini-code-api/gemini-code-api/e2e/host"
	"github.com/gemini-code-api/gemini-code-api/internal/wasmbuild"
)

// panicTestModule builds the module with -tags gca_panictest: a request
// carrying x-gca-test-panic: <callback> panics in that callback.
func panicTestModule(t *testing.T) []byte {
	return wasmbuild.Cached(t, ".", wasmbuild.Options{Tags: "gca_panictest"})
}

// lockedBuffer collects the host's log.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestPanicGuard: a Go panic in any callback of the module (here provoked
// by the gca_panictest build) costs the request it happened in a 500 in its
// protocol's shape, or an error event when its stream had begun, and a log
// line naming the callback. The VM does not fail: the next requests on the
// same (single) VM are served.
func TestPanicGuard(t *testing.T) {
	wasm := panicTestModule(t)
	if bytes.Contains(mustRead(t, harness.ModulePath(t)), []byte("x-gca-test-panic")) {
		t.Fatal("the normal module contains the gca_panictest hook")
	}
	fake := fakegemini.New()
	t.Cleanup(fake.Close)
	limit, err := envoyconfig.BufferLimit()
	if err != nil {
		t.Fatal(err)
	}
	var log lockedBuffer
	start := func(config string) (*host.Host, error) {
		return host.Start(host.Config{
			BufferLimit: limit, Wasm: wasm, PluginConfig: []byte(config), Workers: 1,
			Clusters: map[string]string{"gemini": fake.Addr()},
			Routes:   []host.Route{{Name: "gemini_code_api", Prefix: "/", Cluster: "gemini", Timeout: 60 * time.Second}},
			Log:      &log,
		})
	}
	h, err := start("{}")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })

	const key = "AIzaGUARDKEY"
	do := func(method, path, panicIn, body string, hdr ...string) (int, string) {
		t.Helper()
		if panicIn != "" {
			hdr = append(hdr, "x-gca-test-panic", panicIn)
		}
		resp, b := send(t, method, h.URL()+path, body, hdr...)
		return resp.StatusCode, string(b)
	}
	chat := `{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"hi"}]}`
	chatStream := `{"model":"gemini-2.5-flash","stream":true,"messages":[{"role":"user","content":"hi"}]}`
	messages := `{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}`
	native := `{"contents":[{"parts":[{"text":"hi"}]}]}`
	openaiAuth := []string{"authorization", "Bearer " + key, "content-type", "application/json"}
	normal := func(after string) {
		t.Helper()
		fake.Enqueue("", fakegemini.Reply{Text: "still serving"})
		if st, body := do("POST", "/v1/chat/completions", "", chat, openaiAuth...); st != 200 || !strings.Contains(body, "still serving") {
			t.Fatalf("after a panic in %s, a normal request got %d %s", after, st, body)
		}
	}
	shape := func(name, body, path, want string) {
		t.Helper()
		var v map[string]any
		if err := json.Unmarshal([]byte(body), &v); err != nil {
			t.Fatalf("%s: not JSON: %s", name, body)
		}
		got := ""
		if e, ok := v["error"].(map[string]any); ok {
			for _, k := range strings.Split(path, ".") {
				got, _ = e[k].(string)
			}
		}
		if got != want || !strings.Contains(body, "internal error in ") {
			t.Fatalf("%s: want error.%s %q, got %s", name, path, want, body)
		}
	}

	normal("nothing yet")
	for _, tc := range []struct {
		callback, method, path, body string
		hdr                          []string
		field, want                  string // the protocol's error type or status
	}{
		{"on_request_headers", "POST", "/v1/chat/completions", chat, openaiAuth, "type", "server_error"},
		{"on_request_body", "POST", "/v1/messages", messages, []string{"x-api-key", key, "anthropic-version", "2023-06-01"}, "type", "api_error"},
		{"on_response_headers", "POST", "/v1beta/models/gemini-2.5-flash:generateContent", native, []string{"x-goog-api-key", key}, "status", "INTERNAL"},
		{"on_response_body", "POST", "/v1/chat/completions", chat, openaiAuth, "type", "server_error"},
		{"on_http_call_response", "GET", "/v1/models", "", openaiAuth, "type", "server_error"},
	} {
		st, body := do(tc.method, tc.path, tc.callback, tc.body, tc.hdr...)
		if st != 500 {
			t.Fatalf("panic in %s: status %d %s", tc.callback, st, body)
		}
		shape(tc.callback, body, tc.field, tc.want)
		normal(tc.callback)
	}

	// A stream whose answer has begun: it ends with an error event, and
	// nothing untranslated follows.
	fake.Enqueue("", fakegemini.Reply{Text: "one two three four five six seven eight"})
	st, body := do("POST", "/v1/chat/completions", "on_response_body", chatStream, openaiAuth...)
	if st != 200 || !strings.HasPrefix(body, `data: {"error":{"message":"The gateway failed while translating this answer (internal error in on_response_body)`) ||
		strings.Contains(body, "candidates") || strings.Contains(body, "[DONE]") {
		t.Fatalf("panic in a stream: %d %q", st, body)
	}
	normal("a stream")

	// After the answer: the request was served; only the log says.
	if st, body := do("POST", "/v1/chat/completions", "on_log", chat, openaiAuth...); st != 200 {
		t.Fatalf("panic in on_log: %d %s", st, body)
	}
	normal("on_log")

	logs := log.String()
	for _, cb := range []string{"on_request_headers", "on_request_body", "on_response_headers", "on_response_body", "on_http_call_response", "on_log"} {
		if !strings.Contains(logs, "recovered from a panic in "+cb+": runtime error: index out of range") {
			t.Errorf("no log line for the panic in %s", cb)
		}
	}
	if strings.Contains(logs, "wasm trap") || strings.Contains(logs, key) {
		t.Fatalf("the VM trapped, or a key reached the log:\n%s", logs)
	}
	for _, e := range h.AccessLog() {
		if e.ResponseDetails == "wasm_fail_stream" {
			t.Fatalf("a stream failed on the VM: %+v", e)
		}
	}

	// A panic while starting the plugin rejects the configuration, as an
	// invalid one does, without a trap.
	if bad, err := start("gca_panictest"); err == nil {
		bad.Close()
		t.Fatal("a plugin start that panicked was accepted")
	}
	logs = log.String()
	if !strings.Contains(logs, "recovered from a panic in on_configure") || strings.Contains(logs, "wasm trap") {
		t.Fatalf("plugin start panic:\n%s", logs)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
