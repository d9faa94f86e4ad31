package filter_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/proxytest"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"
)

const (
	rateLimited = `{"error":{"code":429,"message":"Resource exhausted","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"20s"}]}}`
	keyInvalid  = `{"error":{"code":400,"message":"API key not valid.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID"}]}}`
	badRequest  = `{"error":{"code":400,"message":"Invalid JSON payload received.","status":"INVALID_ARGUMENT"}}`
	overloaded  = `{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}`
	geminiOK    = `{"candidates":[{"content":{"parts":[{"text":"x"}]},"finishReason":"STOP"}]}`
)

// attempt drives one attempt through the upstream instance, the way
// Envoy's router does for each try: request headers (the router's shared
// header map), then Gemini's answer. It returns the key sent, whether the
// response headers were held for the body, and the response headers as the
// router sees them.
func attempt(t *testing.T, host proxytest.HostEmulator, status int, body string) (key string, held bool, resp [][2]string) {
	t.Helper()
	id := host.InitializeHttpContext()
	hs := [][2]string{{":method", "POST"}, {":path", "/v1beta/models/gemini-2.5-flash:generateContent"}, {":authority", "generativelanguage.googleapis.com"}, {"x-goog-api-key", "AIzaFIRST"}}
	if a := host.CallOnRequestHeaders(id, hs, false); a != types.ActionContinue {
		t.Fatalf("request headers: %v", a)
	}
	key, _ = header(host.GetCurrentRequestHeaders(id), "x-goog-api-key")
	a := host.CallOnResponseHeaders(id, [][2]string{{":status", fmt.Sprint(status)}, {"content-type", "application/json"}}, false)
	held = a == types.ActionPause
	// Two chunks, as Gemini's error bodies may arrive.
	half := len(body) / 2
	host.CallOnResponseBody(id, []byte(body[:half]), false)
	if a := host.CallOnResponseBody(id, []byte(body[half:]), true); a != types.ActionContinue {
		t.Fatalf("last body chunk: %v", a)
	}
	resp = host.GetCurrentResponseHeaders(id)
	host.CompleteHttpContext(id)
	return key, held, resp
}

func TestUpstreamAttempts(t *testing.T) {
	type try struct {
		status   int
		body     string
		key      string // the key the attempt must send
		held     bool   // error answers are held until their body is read
		failover string // x-gca-failover the router sees ("" = none)
	}
	tests := map[string]struct {
		keys  string // the downstream instance's order ("" = none handed over)
		tries []try
	}{
		"429 fails over to the next key": {"AIzaK1,AIzaK2,AIzaK3", []try{
			{429, rateLimited, "AIzaK1", true, "rate_limited"},
			{200, geminiOK, "AIzaK2", false, ""},
		}},
		"invalid key and overload fail over; the last key's error stays": {"AIzaK1,AIzaK2,AIzaK3", []try{
			{400, keyInvalid, "AIzaK1", true, "invalid_key"},
			{503, overloaded, "AIzaK2", true, "failure"},
			{429, rateLimited, "AIzaK3", true, ""},
		}},
		"the request's own 400 is not retried": {"AIzaK1,AIzaK2", []try{
			{400, badRequest, "AIzaK1", true, ""},
		}},
		"no order handed over: the header's key, no failover": {"", []try{
			{429, rateLimited, "AIzaFIRST", true, ""},
		}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			modes(t, func(t *testing.T, vm types.VMContext) {
				opt := proxytest.NewEmulatorOption().WithVMContext(vm).WithPluginConfiguration([]byte(`{"role":"upstream"}`))
				if tc.keys != "" {
					opt = opt.WithProperty([]string{"gca_keys"}, []byte(tc.keys))
				}
				host, reset := proxytest.NewHostEmulator(opt)
				defer reset()
				if host.StartPlugin() != types.OnPluginStartStatusOK {
					t.Fatal("plugin start failed")
				}
				for i, tr := range tc.tries {
					key, held, resp := attempt(t, host, tr.status, tr.body)
					if key != tr.key || held != tr.held {
						t.Fatalf("attempt %d: key %q held %v, want %q %v", i+1, key, held, tr.key, tr.held)
					}
					if got, _ := header(resp, "x-gca-failover"); got != tr.failover {
						t.Fatalf("attempt %d: x-gca-failover %q, want %q", i+1, got, tr.failover)
					}
					n, _ := host.GetProperty([]string{"gca_attempts"})
					if string(n) != fmt.Sprint(i+1) {
						t.Fatalf("attempt %d: gca_attempts %q", i+1, n)
					}
				}
				last := tc.tries[len(tc.tries)-1].key
				if h, _ := host.GetProperty([]string{"gca_key_hash"}); tc.keys != "" && string(h) != hashOf(last) {
					t.Fatalf("gca_key_hash %q, want the last attempt's key hash %s", h, hashOf(last))
				}
				for _, l := range append(host.GetInfoLogs(), host.GetDebugLogs()...) {
					if strings.Contains(l, "AIzaK") {
						t.Fatalf("a key reached the logs: %q", l)
					}
				}
			})
		})
	}
}

// Without the upstream instance (no attempts counted in filter state) the
// downstream instance records Gemini's answers itself: a rate-limited key
// is not planned first afterwards, and /health shows it cooling, under its
// hash, to a caller holding it.
func TestDownstreamRecordsWithoutUpstream(t *testing.T) {
	withPlugin(t, "", func(t *testing.T, e *env) {
		for {
			x := e.send("POST", "/v1/chat/completions", [][2]string{{"authorization", "Bearer AIzaSLOW,AIzaGOOD"}}, chatBody)
			k, _ := header(x.reqHeaders, "x-goog-api-key")
			if k == "AIzaSLOW" {
				e.respond(x, 429, rateLimited)
				break
			}
			e.respond(x, 200, geminiOK)
		}
		for range 10 {
			x := e.send("POST", "/v1/chat/completions", [][2]string{{"authorization", "Bearer AIzaSLOW,AIzaGOOD"}}, chatBody)
			if k, _ := header(x.reqHeaders, "x-goog-api-key"); k != "AIzaGOOD" {
				t.Fatalf("planned %q first although it is cooling", k)
			}
			// One key left once the cooling one is set aside: no retries.
			if r, _ := header(x.reqHeaders, "x-envoy-max-retries"); r != "0" {
				t.Fatalf("x-envoy-max-retries %q", r)
			}
			e.respond(x, 200, geminiOK)
		}
		x := e.send("GET", "/health", [][2]string{{"x-goog-api-key", "AIzaSLOW"}}, "")
		var h struct {
			Keys struct{ Cooling, Healthy int }
			Your []struct {
				KeyHash string `json:"key_hash"`
				State   string
				Reason  string
			} `json:"your_keys"`
		}
		if err := json.Unmarshal(x.local.Data, &h); err != nil {
			t.Fatal(err)
		}
		if h.Keys.Cooling != 1 || h.Keys.Healthy != 1 || len(h.Your) != 1 || h.Your[0].State != "cooling" || h.Your[0].Reason != "rate_limited" || h.Your[0].KeyHash != hashOf("AIzaSLOW") {
			t.Fatalf("health %s", x.local.Data)
		}
		if strings.Contains(string(x.local.Data), "AIzaSLOW") {
			t.Fatalf("health shows the key: %s", x.local.Data)
		}
		// Without a key, only the counts.
		if x := e.send("GET", "/health", nil, ""); strings.Contains(string(x.local.Data), "your_keys") {
			t.Fatalf("health shows keys to a caller without any: %s", x.local.Data)
		}
	})
}

func TestDownstreamHandsOverTheOrder(t *testing.T) {
	withPlugin(t, "", func(t *testing.T, e *env) {
		x := e.send("POST", "/v1/chat/completions", [][2]string{{"authorization", "Bearer AIzaA,AIzaB,AIzaC"}}, chatBody)
		order, err := e.host.GetProperty([]string{"gca_keys"})
		if err != nil || len(strings.Split(string(order), ",")) != 3 {
			t.Fatalf("gca_keys %q %v", order, err)
		}
		first, _ := header(x.reqHeaders, "x-goog-api-key")
		if !strings.HasPrefix(string(order), first+",") {
			t.Fatalf("x-goog-api-key %q is not the first of %q", first, order)
		}
		if r, _ := header(x.reqHeaders, "x-envoy-max-retries"); r != "2" {
			t.Fatalf("x-envoy-max-retries %q", r)
		}
		// The upstream instance's failover marker never reaches the client.
		_, hs, _ := e.respondWith(x, [][2]string{{":status", "429"}, {"content-type", "application/json"}, {"x-gca-failover", "rate_limited"}}, rateLimited)
		if v, ok := header(hs, "x-gca-failover"); ok {
			t.Fatalf("x-gca-failover reached the client: %q", v)
		}
	})
}

func TestFailoverOff(t *testing.T) {
	withPlugin(t, `{"key_pool":{"failover":false}}`, func(t *testing.T, e *env) {
		x := e.send("POST", "/v1/chat/completions", [][2]string{{"authorization", "Bearer AIzaA,AIzaB"}}, chatBody)
		if r, _ := header(x.reqHeaders, "x-envoy-max-retries"); r != "0" {
			t.Fatalf("x-envoy-max-retries %q", r)
		}
		if order, err := e.host.GetProperty([]string{"gca_keys"}); err == nil {
			t.Fatalf("key order handed over with failover off: %q", order)
		}
	})
}

func hashOf(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:6])
}
