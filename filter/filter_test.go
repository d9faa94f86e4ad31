package filter_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/filter"
	"github.com/gemini-code-api/gemini-code-api/internal/wasmbuild"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/proxytest"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"
)

// The filter is tested twice: as the Go package (fast, debuggable) and as
// the compiled module through proxytest's wazero runner (what Envoy loads).

// compiledModule returns the module under test (wasmbuild.Module).
func compiledModule(t testing.TB) []byte { return wasmbuild.Module(t) }

// modes runs f against the Go package and the compiled module.
func modes(t *testing.T, f func(t *testing.T, vm types.VMContext)) {
	t.Run("go", func(t *testing.T) { f(t, filter.NewVMContext()) })
	t.Run("wasm", func(t *testing.T) {
		vm, err := proxytest.NewWasmVMContext(compiledModule(t))
		if err != nil {
			t.Fatal(err)
		}
		defer vm.Close()
		f(t, vm)
	})
}

// withPlugin runs f in both modes (modes) on a plugin started with config.
func withPlugin(t *testing.T, config string, f func(t *testing.T, e *env)) {
	modes(t, func(t *testing.T, vm types.VMContext) { f(t, start(t, vm, config)) })
}

type env struct {
	t            *testing.T
	host         proxytest.HostEmulator
	routeCleared int
}

func start(t *testing.T, vm types.VMContext, config string) *env {
	t.Helper()
	opt := proxytest.NewEmulatorOption().WithVMContext(vm).WithPluginConfiguration([]byte(config))
	host, reset := proxytest.NewHostEmulator(opt)
	t.Cleanup(reset)
	e := &env{t: t, host: host}
	host.RegisterForeignFunction("clear_route_cache", func([]byte) []byte { e.routeCleared++; return []byte{0} })
	if host.StartPlugin() != types.OnPluginStartStatusOK {
		t.Fatalf("plugin start failed: %v", host.GetCriticalLogs())
	}
	return e
}

func header(hs [][2]string, name string) (string, bool) {
	for _, h := range hs {
		if h[0] == name {
			return h[1], true
		}
	}
	return "", false
}

// exchange is one request through the filter.
type exchange struct {
	id         uint32
	reqHeaders [][2]string // what goes upstream
	reqBody    []byte
	local      *proxytest.LocalHttpResponse
}

func (e *env) send(method, path string, headers [][2]string, body string) *exchange {
	e.t.Helper()
	id := e.host.InitializeHttpContext()
	hs := append([][2]string{{":method", method}, {":path", path}, {":authority", "gw.local"}, {":scheme", "http"}}, headers...)
	x := &exchange{id: id}
	action := e.host.CallOnRequestHeaders(id, hs, body == "")
	if lr := e.host.GetSentLocalResponse(id); lr != nil {
		x.local = lr
		return x
	}
	if action != types.ActionPause {
		e.t.Fatalf("request headers: %v, want Pause", action)
	}
	if body != "" {
		// Deliver the body in two chunks, as Envoy may.
		half := len(body) / 2
		if a := e.host.CallOnRequestBody(id, []byte(body[:half]), false); a != types.ActionPause {
			e.t.Fatalf("first body chunk: %v, want Pause (buffer)", a)
		}
		e.host.CallOnRequestBody(id, []byte(body[half:]), true)
	}
	x.local = e.host.GetSentLocalResponse(id)
	x.reqHeaders = e.host.GetCurrentRequestHeaders(id)
	x.reqBody = e.host.GetCurrentRequestBody(id)
	return x
}

// respond feeds an upstream response and returns status, headers and the
// body the client receives. chunks are delivered one body callback each.
func (e *env) respond(x *exchange, status int, chunks ...string) (int, [][2]string, string) {
	e.t.Helper()
	hs := [][2]string{{":status", fmt.Sprint(status)}, {"content-type", "application/json"}, {"content-length", "999"}, {"alt-svc", `h3=":443"; ma=2592000`}}
	return e.respondWith(x, hs, chunks...)
}

// respondWith is respond with the upstream's response headers given.
func (e *env) respondWith(x *exchange, hs [][2]string, chunks ...string) (int, [][2]string, string) {
	e.t.Helper()
	e.host.CallOnResponseHeaders(x.id, hs, false)
	var client strings.Builder
	for i, c := range chunks {
		a := e.host.CallOnResponseBody(x.id, []byte(c), i == len(chunks)-1)
		if a == types.ActionContinue {
			client.Write(e.host.GetCurrentResponseBody(x.id))
		}
	}
	e.host.CompleteHttpContext(x.id)
	if lr := e.host.GetSentLocalResponse(x.id); lr != nil {
		return int(lr.StatusCode), lr.Headers, string(lr.Data)
	}
	rh := e.host.GetCurrentResponseHeaders(x.id)
	st, _ := header(rh, ":status")
	var code int
	fmt.Sscan(st, &code)
	return code, rh, client.String()
}

const chatBody = `{"model":"gpt-4o","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"Hello"}],"max_tokens":50}`

func TestChatNonStreaming(t *testing.T) {
	withPlugin(t, "", func(t *testing.T, e *env) {
		x := e.send("POST", "/v1/chat/completions", [][2]string{{"authorization", "Bearer AIzaKEY1"}, {"content-length", "120"}, {"accept-encoding", "gzip"}}, chatBody)
		if x.local != nil {
			t.Fatalf("unexpected local reply %d %s", x.local.StatusCode, x.local.Data)
		}
		for name, want := range map[string]string{
			":path": "/v1beta/models/gemini-4-argon:generateContent", ":authority": "generativelanguage.googleapis.com",
			"x-goog-api-key": "AIzaKEY1", "content-type": "application/json",
		} {
			if got, _ := header(x.reqHeaders, name); got != want {
				t.Errorf("upstream %s = %q, want %q", name, got, want)
			}
		}
		for _, gone := range []string{"authorization", "content-length", "accept-encoding", "x-api-key"} {
			if v, ok := header(x.reqHeaders, gone); ok {
				t.Errorf("upstream still has %s: %q", gone, v)
			}
		}
		if e.routeCleared != 1 {
			t.Errorf("clear_route_cache called %d times, want 1", e.routeCleared)
		}
		wantBody := `{"contents":[{"role":"user","parts":[{"text":"Hello"}]}],"systemInstruction":{"parts":[{"text":"be brief"}]},"generationConfig":{"maxOutputTokens":50}}`
		if string(x.reqBody) != wantBody {
			t.Fatalf("upstream body\n got  %s\n want %s", x.reqBody, wantBody)
		}
		gem := `{"candidates":[{"content":{"role":"model","parts":[{"text":"Hi there"}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":2,"totalTokenCount":7},"responseId":"resp1"}`
		status, hs, body := e.respond(x, 200, gem[:40], gem[40:])
		if status != 200 {
			t.Fatalf("status %d body %s", status, body)
		}
		if _, ok := header(hs, "content-length"); ok {
			t.Error("stale content-length kept")
		}
		if _, ok := header(hs, "alt-svc"); ok {
			t.Error("Google's alt-svc passed on to the client")
		}
		var got struct {
			ID      string `json:"id"`
			Object  string `json:"object"`
			Model   string `json:"model"`
			Choices []struct {
				Message      struct{ Content string }
				FinishReason string `json:"finish_reason"`
			}
			Usage struct{ PromptTokens, CompletionTokens, TotalTokens int } `json:"usage"`
		}
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatalf("%v: %s", err, body)
		}
		if got.ID != "chatcmpl-resp1" || got.Object != "chat.completion" || got.Model != "gpt-4o" ||
			len(got.Choices) != 1 || got.Choices[0].Message.Content != "Hi there" || got.Choices[0].FinishReason != "stop" {
			t.Fatalf("unexpected answer %s", body)
		}
		if c, _ := e.host.GetCounterMetric("gemini_code_api.tokens.type.output.model.gemini-4-argon"); c != 2 {
			t.Errorf("output_tokens metric = %d", c)
		}
	})
}

func TestChatStreaming(t *testing.T) {
	withPlugin(t, "{}", func(t *testing.T, e *env) {
		x := e.send("POST", "/v1/chat/completions", [][2]string{{"authorization", "Bearer K"}},
			`{"model":"gemini-2.5-flash","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Hi"}]}`)
		if p, _ := header(x.reqHeaders, ":path"); p != "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse" {
			t.Fatalf("path %q", p)
		}
		e.host.CallOnResponseHeaders(x.id, [][2]string{{":status", "200"}, {"content-type", "text/event-stream"}}, false)
		if ct, _ := header(e.host.GetCurrentResponseHeaders(x.id), "content-type"); ct != "text/event-stream" {
			t.Fatalf("content-type %q", ct)
		}
		ev1 := "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Bon\"}]},\"index\":0}],\"responseId\":\"s1\"}\r\n\r\n"
		ev2 := "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"jour\"}]},\"finishReason\":\"STOP\",\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":3,\"candidatesTokenCount\":2,\"totalTokenCount\":5},\"responseId\":\"s1\"}\r\n\r\n"
		// Chunk 1 ends mid-event: the client gets the role and "Bon" now,
		// without waiting for the rest (no buffering of the stream).
		cut := len(ev1) + 20
		up := ev1 + ev2
		if a := e.host.CallOnResponseBody(x.id, []byte(up[:cut]), false); a != types.ActionContinue {
			t.Fatalf("stream chunk action %v", a)
		}
		first := string(e.host.GetCurrentResponseBody(x.id))
		if !strings.Contains(first, `"delta":{"role":"assistant","content":""}`) || !strings.Contains(first, `"content":"Bon"`) || strings.Contains(first, "jour") {
			t.Fatalf("first chunk to client: %s", first)
		}
		e.host.CallOnResponseBody(x.id, []byte(up[cut:]), true)
		rest := string(e.host.GetCurrentResponseBody(x.id))
		for _, want := range []string{`"content":"jour"`, `"finish_reason":"stop"`, `"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5`, "data: [DONE]\n\n"} {
			if !strings.Contains(rest, want) {
				t.Fatalf("missing %s in\n%s", want, rest)
			}
		}
	})
}

func TestErrorsInOpenAIShape(t *testing.T) {
	withPlugin(t, "", func(t *testing.T, e *env) {
		type errBody struct {
			Error struct {
				Message, Type string
				Param, Code   any
			}
		}
		check := func(name string, status int, body string, wantStatus int, wantType, wantMsg string) {
			t.Helper()
			var eb errBody
			if err := json.Unmarshal([]byte(body), &eb); err != nil {
				t.Fatalf("%s: body is not JSON: %s", name, body)
			}
			if status != wantStatus || eb.Error.Type != wantType || !strings.Contains(eb.Error.Message, wantMsg) {
				t.Fatalf("%s: got %d %s", name, status, body)
			}
		}
		local := func(x *exchange) (int, string) {
			if x.local == nil {
				t.Fatal("expected a local reply")
			}
			return int(x.local.StatusCode), string(x.local.Data)
		}
		s, b := local(e.send("POST", "/v1/chat/completions", nil, chatBody))
		check("no key", s, b, 401, "invalid_request_error", "No API key provided")
		s, b = local(e.send("POST", "/v1/chat/completions", [][2]string{{"authorization", "Bearer a b"}}, chatBody))
		check("malformed key", s, b, 401, "invalid_request_error", "malformed")
		s, b = local(e.send("POST", "/v1/chat/completions", [][2]string{{"authorization", "Bearer K"}}, `{"model":`))
		check("bad json", s, b, 400, "invalid_request_error", "not valid JSON")
		s, b = local(e.send("POST", "/v1/chat/completions", [][2]string{{"authorization", "Bearer K"}}, `{"model":"gpt-4","messages":"hi"}`))
		check("wrong type", s, b, 400, "invalid_request_error", "messages")
		s, b = local(e.send("POST", "/v1/nope", [][2]string{{"authorization", "Bearer K"}}, `{}`))
		check("unknown path", s, b, 404, "invalid_request_error", "Unknown path")
		x := e.send("GET", "/v1/chat/completions", [][2]string{{"authorization", "Bearer K"}}, "")
		s, b = local(x)
		check("wrong method", s, b, 405, "invalid_request_error", "not allowed")
		if a, _ := header(x.local.Headers, "allow"); a != "POST" {
			t.Errorf("allow header %q", a)
		}
		s, b = local(e.send("POST", "/v1/chat/completions", [][2]string{{"authorization", "Bearer K"}}, ""))
		check("no body", s, b, 400, "invalid_request_error", "no body")

		// Upstream errors, mapped per the error map.
		up := func(status int, body string) (int, [][2]string, string) {
			x := e.send("POST", "/v1/chat/completions", [][2]string{{"authorization", "Bearer K"}}, chatBody)
			return e.respond(x, status, body)
		}
		s, hs, b := up(429, `{"error":{"code":429,"message":"Resource exhausted","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"23.5s"}]}}`)
		check("429", s, b, 429, "rate_limit_error", "Resource exhausted")
		if ra, _ := header(hs, "retry-after"); ra != "24" {
			t.Errorf("retry-after %q", ra)
		}
		if ra, _ := header(hs, "retry-after-ms"); ra != "23500" {
			t.Errorf("retry-after-ms %q", ra)
		}
		_, _, b = up(400, `{"error":{"code":400,"message":"API key not valid.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID"}]}}`)
		s, _, _ = up(400, `{"error":{"code":400,"message":"API key not valid.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID"}]}}`)
		check("invalid key", s, b, 401, "invalid_request_error", "API key not valid")
		s, _, b = up(503, `[{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}]`)
		check("503 array", s, b, 503, "server_error", "overloaded")
		s, _, b = up(500, `<html>oops</html>`)
		check("html 500", s, b, 500, "server_error", "could not be reached (HTTP 500): <html>oops</html>")
	})
}

func TestKeysAndQuery(t *testing.T) {
	withPlugin(t, "", func(t *testing.T, e *env) {
		seen := map[string]int{}
		for range 30 {
			x := e.send("POST", "/v1/chat/completions?key=k3&foo=bar", [][2]string{{"authorization", "Bearer k1, k2"}, {"x-api-key", "k2"}}, chatBody)
			if x.local != nil {
				t.Fatalf("local reply %d %s", x.local.StatusCode, x.local.Data)
			}
			k, _ := header(x.reqHeaders, "x-goog-api-key")
			seen[k]++
			if v, ok := header(x.reqHeaders, "x-api-key"); ok {
				t.Fatalf("x-api-key forwarded: %q", v)
			}
			if p, _ := header(x.reqHeaders, ":path"); strings.Contains(p, "key=") {
				t.Fatalf("query key forwarded in %q", p)
			}
			e.respond(x, 200, `{"candidates":[{"content":{"parts":[{"text":"x"}]},"finishReason":"STOP"}]}`)
		}
		if len(seen) != 3 {
			t.Fatalf("keys not spread across the client's pool: %v", seen)
		}
		for _, l := range append(e.host.GetInfoLogs(), e.host.GetDebugLogs()...) {
			if strings.Contains(l, "k1") || strings.Contains(l, "k3") {
				t.Fatalf("a key reached the logs: %q", l)
			}
		}
	})
}

func TestHealth(t *testing.T) {
	withPlugin(t, "", func(t *testing.T, e *env) {
		x := e.send("GET", "/health", nil, "")
		if x.local == nil || x.local.StatusCode != 200 {
			t.Fatalf("health: %+v", x.local)
		}
		var h struct {
			Status  string
			Version string
		}
		if err := json.Unmarshal(x.local.Data, &h); err != nil || h.Status != "healthy" || h.Version == "" {
			t.Fatalf("health body %s", x.local.Data)
		}
	})
}

func TestConfig(t *testing.T) {
	modes(t, func(t *testing.T, vm types.VMContext) {
		for _, tc := range []struct {
			config string
			ok     bool
			field  string
		}{
			{``, true, ""},
			{`{}`, true, ""},
			{`{"models":{"my-model":"gemini-2.5-flash"},"claude_families":{"opus":"gemini-3-pro-preview"},"reasoning_content":true}`, true, ""},
			{`{"modelz":{}}`, false, "modelz"},
			{`{"models":{"a":"bad/name"}}`, false, "models"},
			{`{"max_keys_per_request":"many"}`, false, "max_keys_per_request"},
			{`{"max_embedding_values":6291456}`, true, ""},
			{`{"max_embedding_values":0}`, false, "max_embedding_values"},
			{`{"max_embedding_values":6291457}`, false, "max_embedding_values"},
			{`{"claude_families":{"poet":"gemini-2.5-pro"}}`, false, "claude_families"},
			{`not json`, false, "not valid JSON"},
		} {
			opt := proxytest.NewEmulatorOption().WithVMContext(vm).WithPluginConfiguration([]byte(tc.config))
			host, reset := proxytest.NewHostEmulator(opt)
			status := host.StartPlugin()
			logs := strings.Join(host.GetCriticalLogs(), "\n")
			reset()
			if (status == types.OnPluginStartStatusOK) != tc.ok {
				t.Fatalf("config %q: start status %v, logs %s", tc.config, status, logs)
			}
			if !tc.ok && !strings.Contains(logs, tc.field) {
				t.Fatalf("config %q: log does not name %q: %s", tc.config, tc.field, logs)
			}
		}
	})
}

func TestModelAliasFromConfig(t *testing.T) {
	withPlugin(t, `{"models":{"gpt-4o":"gemini-3-pro-preview"}}`, func(t *testing.T, e *env) {
		x := e.send("POST", "/v1/chat/completions", [][2]string{{"authorization", "Bearer K"}}, chatBody)
		if p, _ := header(x.reqHeaders, ":path"); p != "/v1beta/models/gemini-3-pro-preview:generateContent" {
			t.Fatalf("path %q", p)
		}
	})
}

// TestManyRequestsOneVM runs 1,000 requests through one compiled VM: with
// the wazero that proxytest pins (v1.7.2) a Go module's heap broke after its
// first GC; go.mod requires v1.12+.
func TestManyRequestsOneVM(t *testing.T) {
	vm, err := proxytest.NewWasmVMContext(compiledModule(t))
	if err != nil {
		t.Fatal(err)
	}
	defer vm.Close()
	e := start(t, vm, "")
	gem := `{"candidates":[{"content":{"parts":[{"text":"` + strings.Repeat("lorem ipsum ", 200) + `"}]},"finishReason":"STOP"}],"responseId":"r"}`
	for i := range 1000 {
		body := `{"model":"gpt-4o","stream":` + fmt.Sprint(i%2 == 1) + `,"messages":[{"role":"user","content":"q` + strings.Repeat("x", i) + `"}]}`
		x := e.send("POST", "/v1/chat/completions", [][2]string{{"authorization", "Bearer K"}}, body)
		if x.local != nil {
			t.Fatalf("request %d: local reply %s", i, x.local.Data)
		}
		up := gem
		if i%2 == 1 {
			up = "data: " + gem + "\r\n\r\n"
		}
		status, _, out := e.respond(x, 200, up)
		if status != 200 || !strings.Contains(out, "lorem ipsum") {
			t.Fatalf("request %d: %d %.200s", i, status, out)
		}
	}
}

// TestQueryKeyVariantsNotForwarded: a key given as ?KEY= or ?%6Bey= is a key
// like ?key=: used upstream in x-goog-api-key, never left in the URL.
func TestQueryKeyVariantsNotForwarded(t *testing.T) {
	withPlugin(t, "", func(t *testing.T, e *env) {
		for _, q := range []string{"KEY=AIzaQ1", "%6Bey=AIzaQ1", "Key=AIzaQ1&alt=sse"} {
			id := e.host.InitializeHttpContext()
			e.host.CallOnRequestHeaders(id, [][2]string{{":method", "POST"}, {":path", "/v1beta/models/gemini-2.5-flash:streamGenerateContent?" + q}}, false)
			if lr := e.host.GetSentLocalResponse(id); lr != nil {
				t.Fatalf("%s: local reply %d %s", q, lr.StatusCode, lr.Data)
			}
			hs := e.host.GetCurrentRequestHeaders(id)
			p, _ := header(hs, ":path")
			if k, _ := header(hs, "x-goog-api-key"); k != "AIzaQ1" || strings.Contains(p, "AIzaQ1") {
				t.Fatalf("%s: upstream key %q, path %q", q, k, p)
			}
		}
	})
}
