package realenvoy

import (
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/gemini-code-api/gemini-code-api/e2e/envoyconfig"
)

func TestParseVersion(t *testing.T) {
	for _, tc := range []struct {
		out  string
		want [3]int
	}{
		{"\nenvoy  version: 5f1e0c0d9e2b4a7c8f1e0c0d9e2b4a7c8f1e0c0d/1.40.0/Clean/RELEASE/BoringSSL\n\n", [3]int{1, 40, 0}},
		{"envoy  version: abc123/1.39.2-dev/Modified/DEBUG/BoringSSL-FIPS", [3]int{1, 39, 2}},
		{"envoy version 1.38.1", [3]int{1, 38, 1}},
	} {
		got, err := parseVersion(tc.out)
		if err != nil || got != tc.want {
			t.Errorf("parseVersion(%q) = %v, %v; want %v", tc.out, got, err, tc.want)
		}
	}
	if _, err := parseVersion("command not found"); err == nil {
		t.Error("parseVersion accepted output without a version")
	}
	if !less([3]int{1, 38, 9}, MinEnvoy) || less([3]int{1, 39, 0}, MinEnvoy) || less([3]int{1, 40, 0}, MinEnvoy) {
		t.Error("version comparison against MinEnvoy is wrong")
	}
}

func loadBase(t *testing.T) *bootstrapv3.Bootstrap {
	t.Helper()
	b, err := envoyconfig.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The config derivation runs without Envoy: derive, validate with the same
// path as e2e/envoyconfig, and round-trip through the JSON written for Envoy.
func TestDeriveConfig(t *testing.T) {
	base := loadBase(t)
	baseCopy := proto.Clone(base)
	wasm := filepath.Join(t.TempDir(), "gemini-code-api.wasm")
	const plugin = `{"fallback_model":"gemini-2.5-flash"}`

	cfg, err := deriveConfig(base, wasm, plugin, "127.0.0.1:18080")
	if err != nil {
		t.Fatal(err)
	}
	if err := envoyconfig.Validate(cfg); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(base, baseCopy) {
		t.Error("deriveConfig modified its input")
	}

	// Loopback, free ports.
	if a := cfg.GetAdmin().GetAddress().GetSocketAddress(); a.GetAddress() != "127.0.0.1" || a.GetPortValue() != 0 {
		t.Errorf("admin = %s:%d, want 127.0.0.1:0", a.GetAddress(), a.GetPortValue())
	}
	l, err := envoyconfig.Listener(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if a := l.GetAddress().GetSocketAddress(); a.GetAddress() != "127.0.0.1" || a.GetPortValue() != 0 {
		t.Errorf("listener = %s:%d, want 127.0.0.1:0", a.GetAddress(), a.GetPortValue())
	}

	// Same filters, wasm path and plugin config replaced.
	var hcms [2]*hcmv3.HttpConnectionManager
	for i, b := range []*bootstrapv3.Bootstrap{cfg, base} {
		if hcms[i], err = envoyconfig.HCM(b); err != nil {
			t.Fatal(err)
		}
	}
	h, bh := hcms[0], hcms[1]
	if got, want := envoyconfig.HTTPFilterNames(h), envoyconfig.HTTPFilterNames(bh); !slices.Equal(got, want) {
		t.Errorf("filters = %v, want envoy.yaml's %v", got, want)
	}
	w, _, err := envoyconfig.WasmFilter(h)
	if err != nil {
		t.Fatal(err)
	}
	if f := w.GetConfig().GetVmConfig().GetCode().GetLocal().GetFilename(); f != wasm {
		t.Errorf("wasm filename = %q, want %q", f, wasm)
	}
	sv := &wrapperspb.StringValue{}
	if err := w.GetConfig().GetConfiguration().UnmarshalTo(sv); err != nil || sv.GetValue() != plugin {
		t.Errorf("plugin configuration = %q (%v), want %q", sv.GetValue(), err, plugin)
	}
	bw, _, _ := envoyconfig.WasmFilter(bh)
	if w.GetConfig().GetFailurePolicy() != bw.GetConfig().GetFailurePolicy() ||
		w.GetConfig().GetAllowOnHeadersStopIteration().GetValue() != bw.GetConfig().GetAllowOnHeadersStopIteration().GetValue() ||
		w.GetConfig().GetVmConfig().GetRuntime() != bw.GetConfig().GetVmConfig().GetRuntime() {
		t.Error("derived wasm filter differs from envoy.yaml beyond path and configuration")
	}
	if !proto.Equal(h.GetAccessLog()[0], bh.GetAccessLog()[0]) || !proto.Equal(h.GetRouteConfig(), bh.GetRouteConfig()) {
		t.Error("derived access log or routes differ from envoy.yaml")
	}

	// gemini cluster: plain HTTP/1.1 to the fake.
	c, err := envoyconfig.Cluster(cfg, envoyconfig.ClusterName)
	if err != nil {
		t.Fatal(err)
	}
	if c.GetTransportSocket() != nil {
		t.Error("derived gemini cluster still has a transport socket (TLS)")
	}
	hpo, err := envoyconfig.HTTPOptions(c)
	if err != nil || hpo == nil {
		t.Fatalf("derived gemini cluster lost its HttpProtocolOptions: %v", err)
	}
	if hpo.GetAutoConfig() != nil || hpo.GetExplicitHttpConfig().GetHttpProtocolOptions() == nil {
		t.Error("derived gemini cluster does not speak plain HTTP/1.1 (auto_config needs TLS)")
	}
	// The upstream filter (key failover) stays, with the test's module and
	// configuration plus "role": "upstream".
	uw, _, err := envoyconfig.UpstreamWasmFilter(c)
	if err != nil || uw == nil {
		t.Fatalf("derived gemini cluster lost its upstream wasm filter: %v", err)
	}
	if f := uw.GetConfig().GetVmConfig().GetCode().GetLocal().GetFilename(); f != wasm {
		t.Errorf("upstream wasm filename = %q, want %q", f, wasm)
	}
	if !proto.Equal(uw.GetConfig().GetVmConfig(), w.GetConfig().GetVmConfig()) {
		t.Error("derived upstream vm_config differs from the listener's: the two would not share a VM")
	}
	if up, _ := envoyconfig.PluginConfiguration(uw); up != `{"fallback_model":"gemini-2.5-flash","role":"upstream"}` {
		t.Errorf("upstream plugin configuration = %s", up)
	}
	if c.GetType() != clusterv3.Cluster_STATIC {
		t.Errorf("cluster type = %v, want STATIC for an IP", c.GetType())
	}
	sa := c.GetLoadAssignment().GetEndpoints()[0].GetLbEndpoints()[0].GetEndpoint().GetAddress().GetSocketAddress()
	if sa.GetAddress() != "127.0.0.1" || sa.GetPortValue() != 18080 {
		t.Errorf("endpoint = %s:%d, want 127.0.0.1:18080", sa.GetAddress(), sa.GetPortValue())
	}

	// What Start writes for Envoy parses back to the same config.
	js, err := envoyconfig.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	back, err := envoyconfig.Parse(js)
	if err != nil {
		t.Fatalf("rendered config does not parse: %v", err)
	}
	if err := envoyconfig.Validate(back); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(back, cfg) {
		t.Error("rendered config does not round-trip")
	}
	if dep, _ := envoyconfig.DeprecatedFields(cfg); len(dep) != 0 {
		t.Errorf("derived config uses deprecated fields: %v", dep)
	}

	// Empty plugin config keeps envoy.yaml's.
	cfg2, err := deriveConfig(base, wasm, "", "localhost:18080")
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := envoyconfig.HCM(cfg2)
	w2, _, _ := envoyconfig.WasmFilter(h2)
	if !proto.Equal(w2.GetConfig().GetConfiguration(), bw.GetConfig().GetConfiguration()) {
		t.Error("empty PluginConfig did not keep envoy.yaml's configuration")
	}
	c2, _ := envoyconfig.Cluster(cfg2, envoyconfig.ClusterName)
	if c2.GetType() != clusterv3.Cluster_STRICT_DNS {
		t.Errorf("cluster type for a host name = %v, want STRICT_DNS", c2.GetType())
	}
}

func TestDeriveConfigRejectsBadOptions(t *testing.T) {
	base := loadBase(t)
	abs := filepath.Join(t.TempDir(), "m.wasm")
	for name, args := range map[string][3]string{
		"relative wasm path":  {"dist/gemini-code-api.wasm", "", "127.0.0.1:1"},
		"no port":             {abs, "", "127.0.0.1"},
		"port 0":              {abs, "", "127.0.0.1:0"},
		"plugin config !JSON": {abs, "{nope", "127.0.0.1:1"},
	} {
		if _, err := deriveConfig(base, args[0], args[1], args[2]); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestListenerAddr(t *testing.T) {
	const js = `{"listener_statuses":[{"name":"gemini_code_api","local_address":{"socket_address":{"address":"127.0.0.1","port_value":43117}}}]}`
	got, err := listenerAddr(js)
	if err != nil || got != "127.0.0.1:43117" {
		t.Fatalf("listenerAddr = %q, %v", got, err)
	}
	if _, err := listenerAddr(`{"listener_statuses":[]}`); err == nil {
		t.Error("listenerAddr accepted an empty listener list")
	}
}

// TestStartProxiesToUpstream needs a real envoy (>= 1.39) and the built
// module; without an envoy binary it skips.
func TestStartProxiesToUpstream(t *testing.T) {
	const key = "test-key-0123456789abcdef"
	var hits atomic.Int32
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"candidates":[{"content":{"role":"model","parts":[{"text":"hello"}]},"finishReason":"STOP","index":0}],`+
			`"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":1,"totalTokenCount":4},"modelVersion":"gemini-2.5-flash"}`)
	}))
	defer upstream.Close()

	e := Start(t, Options{UpstreamAddr: strings.TrimPrefix(upstream.URL, "http://")})

	// CORS preflight is answered by Envoy and never reaches the upstream.
	pre, err := http.NewRequest(http.MethodOptions, e.URL()+"/v1/messages", nil)
	if err != nil {
		t.Fatal(err)
	}
	pre.Header.Set("Origin", "https://app.example")
	pre.Header.Set("Access-Control-Request-Method", "POST")
	pre.Header.Set("Access-Control-Request-Headers", "x-api-key,content-type")
	resp, err := http.DefaultClient.Do(pre)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example" {
		t.Errorf("preflight: %s, allow-origin %q", resp.Status, resp.Header.Get("Access-Control-Allow-Origin"))
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("preflight reached the upstream (%d hits)", n)
	}

	// One request through the filter to the fake Gemini.
	req, err := http.NewRequest(http.MethodPost, e.URL()+"/v1beta/models/gemini-2.5-flash:generateContent",
		strings.NewReader(`{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-goog-api-key", key)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("request through Envoy: %s: %s", resp.Status, body)
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("upstream hits = %d, want 1", n)
	}
	if s := e.Stats(); !strings.Contains(s, "cluster.gemini.upstream_rq_total") {
		t.Errorf("stats lack cluster.gemini: %.500s", s)
	}

	// The access log gets a line, and never the key.
	deadline := time.Now().Add(5 * time.Second)
	for e.AccessLog() == "" && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if e.AccessLog() == "" {
		t.Error("no access log line written")
	}
	if strings.Contains(e.AccessLog(), key) || strings.Contains(e.Log(), key) {
		t.Error("the API key appears in Envoy's output")
	}
}
