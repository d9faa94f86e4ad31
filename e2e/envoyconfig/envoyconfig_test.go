package envoyconfig

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	accesslogv3 "github.com/envoyproxy/go-control-plane/envoy/config/accesslog/v3"
	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	otelv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/open_telemetry/v3"
	corsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/cors/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	wasmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/wasm/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"
	"sigs.k8s.io/yaml"
)

const repoConfig = "../../envoy.yaml"

// load reads the repository's envoy.yaml, and in it the two parts most
// tests look into: the listener's HTTP connection manager and the gemini
// cluster.
func load(t *testing.T) (*bootstrapv3.Bootstrap, *hcmv3.HttpConnectionManager, *clusterv3.Cluster) {
	t.Helper()
	b, err := Load(repoConfig)
	if err != nil {
		t.Fatal(err)
	}
	h, errHCM := HCM(b)
	c, errCluster := Cluster(b, ClusterName)
	if err := errors.Join(errHCM, errCluster); err != nil {
		t.Fatal(err)
	}
	return b, h, c
}

func TestDefaultPathIsRepoConfig(t *testing.T) {
	p, err := DefaultPath()
	if err != nil {
		t.Fatal(err)
	}
	var files [2]os.FileInfo
	for i, name := range []string{p, repoConfig} {
		if files[i], err = os.Stat(name); err != nil {
			t.Fatal(err)
		}
	}
	if !os.SameFile(files[0], files[1]) {
		t.Fatalf("DefaultPath() = %s, not %s", p, repoConfig)
	}
}

func TestEnvoyYAMLParsesAndValidates(t *testing.T) {
	load(t)
}

func TestAdminAndListener(t *testing.T) {
	b, _, _ := load(t)
	a := b.GetAdmin().GetAddress().GetSocketAddress()
	if a.GetAddress() != "127.0.0.1" || a.GetPortValue() != 9901 {
		t.Errorf("admin = %s:%d, want 127.0.0.1:9901 (admin must stay on loopback)", a.GetAddress(), a.GetPortValue())
	}
	l, err := Listener(b)
	if err != nil {
		t.Fatal(err)
	}
	if a := l.GetAddress().GetSocketAddress().GetAddress(); a != "127.0.0.1" {
		t.Errorf("listener address = %q, want 127.0.0.1: keys travel in headers, so the shipped listener stays on loopback", a)
	}
	if p := l.GetAddress().GetSocketAddress().GetPortValue(); p != 10000 {
		t.Errorf("listener port = %d, want 10000", p)
	}
	if got := l.GetPerConnectionBufferLimitBytes().GetValue(); got != 32<<20 {
		t.Errorf("listener per_connection_buffer_limit_bytes = %d, want 32 MiB (requests of coding agents exceed Envoy's 1 MiB default)", got)
	}
}

func TestHTTPFilterChain(t *testing.T) {
	_, h, _ := load(t)
	names := HTTPFilterNames(h)
	want := []string{CORSFilterName, WasmFilterName, RouterFilterName}
	if !slices.Equal(names, want) {
		t.Fatalf("HTTP filters = %v, want %v", names, want)
	}
	// Typed configs are of the expected types (the Any resolved to them).
	fs := h.GetHttpFilters()
	if !fs[0].GetTypedConfig().MessageIs(&corsv3.Cors{}) {
		t.Errorf("cors filter typed_config is %s", fs[0].GetTypedConfig().GetTypeUrl())
	}
	r := &routerv3.Router{}
	if err := fs[2].GetTypedConfig().UnmarshalTo(r); err != nil {
		t.Errorf("router typed_config: %v", err)
	}
}

func TestWasmFilter(t *testing.T) {
	_, h, _ := load(t)
	w, idx, err := WasmFilter(h)
	if err != nil {
		t.Fatal(err)
	}
	if r := slices.Index(HTTPFilterNames(h), RouterFilterName); r < 0 || idx > r {
		t.Errorf("wasm filter at %d must come before the router (at %d)", idx, r)
	}
	c := w.GetConfig()
	if c.GetName() != PluginName || c.GetRootId() != PluginName {
		t.Errorf("name/root_id = %q/%q, want %q", c.GetName(), c.GetRootId(), PluginName)
	}
	vm := c.GetVmConfig()
	if vm.GetRuntime() != WasmRuntimeV8 {
		t.Errorf("runtime = %q, want %q", vm.GetRuntime(), WasmRuntimeV8)
	}
	if f := vm.GetCode().GetLocal().GetFilename(); f != "dist/gemini-code-api.wasm" {
		t.Errorf("vm code = %q, want dist/gemini-code-api.wasm", f)
	}
	if c.GetFailurePolicy() != wasmv3.FailurePolicy_FAIL_RELOAD || c.GetReloadConfig().GetBackoff().GetBaseInterval() == nil {
		t.Errorf("failure_policy = %v (reload backoff %v), want FAIL_RELOAD with a backoff: a failed VM must come back", c.GetFailurePolicy(), c.GetReloadConfig())
	}
	if vm.GetVmId() == "" {
		t.Error("vm_config.vm_id unset: the upstream filter must share the VM and its key-health store")
	}
	//lint:ignore SA1019 asserting the deprecated field stays unset
	if c.GetFailOpen() {
		t.Error("fail_open is set; the config must fail closed")
	}
	if !c.GetAllowOnHeadersStopIteration().GetValue() {
		t.Error("allow_on_headers_stop_iteration must be true")
	}
	sv := &wrapperspb.StringValue{}
	if err := c.GetConfiguration().UnmarshalTo(sv); err != nil {
		t.Fatalf("configuration must be a google.protobuf.StringValue: %v", err)
	}
	if s := strings.TrimSpace(sv.GetValue()); !strings.HasPrefix(s, "{") {
		t.Errorf("configuration = %q, want a JSON object", s)
	}
}

func TestCORSPolicy(t *testing.T) {
	_, h, _ := load(t)
	vhs := h.GetRouteConfig().GetVirtualHosts()
	if len(vhs) != 1 {
		t.Fatalf("want 1 virtual host, have %d", len(vhs))
	}
	a, ok := vhs[0].GetTypedPerFilterConfig()[CORSFilterName]
	if !ok {
		t.Fatalf("virtual host has no typed_per_filter_config for %s", CORSFilterName)
	}
	p := &corsv3.CorsPolicy{}
	if err := a.UnmarshalTo(p); err != nil {
		t.Fatal(err)
	}
	anyOrigin := false
	for _, m := range p.GetAllowOriginStringMatch() {
		if m.GetExact() == "*" {
			anyOrigin = true
		}
	}
	if !anyOrigin {
		t.Error("CORS policy must allow any origin (exact \"*\")")
	}
	for _, m := range []string{"GET", "POST", "OPTIONS"} {
		if !strings.Contains(p.GetAllowMethods(), m) {
			t.Errorf("allow_methods %q lacks %s", p.GetAllowMethods(), m)
		}
	}
	allowed := strings.Split(strings.ReplaceAll(p.GetAllowHeaders(), " ", ""), ",")
	for _, hd := range []string{"authorization", "content-type", "x-api-key", "x-goog-api-key", "anthropic-version", "anthropic-beta", "x-stainless-retry-count"} {
		if !slices.Contains(allowed, hd) {
			t.Errorf("allow_headers lacks %s", hd)
		}
	}
	if p.GetMaxAge() == "" {
		t.Error("max_age unset")
	}
}

func TestRoute(t *testing.T) {
	_, h, _ := load(t)
	routes := h.GetRouteConfig().GetVirtualHosts()[0].GetRoutes()
	if len(routes) != 1 {
		t.Fatalf("want 1 route, have %d", len(routes))
	}
	ra := routes[0].GetRoute()
	if routes[0].GetMatch().GetPrefix() != "/" || ra.GetCluster() != ClusterName {
		t.Errorf("route = %v -> %q, want prefix / -> %q", routes[0].GetMatch(), ra.GetCluster(), ClusterName)
	}
	if ra.GetHostRewriteLiteral() != GeminiHost {
		t.Errorf("host_rewrite_literal = %q, want %q", ra.GetHostRewriteLiteral(), GeminiHost)
	}
	if d := ra.GetTimeout().AsDuration(); d != 0 && d.Seconds() < 300 {
		t.Errorf("route timeout %v is too short for long streams", d)
	}
	// Key failover: the filter sets the number of retries per request;
	// the route's own count (used when the filter did not run) is 0.
	rp := ra.GetRetryPolicy()
	on := strings.Split(strings.ReplaceAll(rp.GetRetryOn(), " ", ""), ",")
	for _, want := range []string{"retriable-headers", "retriable-status-codes", "reset", "connect-failure"} {
		if !slices.Contains(on, want) {
			t.Errorf("retry_on %q lacks %s", rp.GetRetryOn(), want)
		}
	}
	for _, bad := range []string{"5xx", "gateway-error", "retriable-4xx"} {
		if slices.Contains(on, bad) {
			t.Errorf("retry_on has %s: retries are the filter's decision (x-gca-failover) or the listed statuses", bad)
		}
	}
	if n := rp.GetNumRetries(); n == nil || n.GetValue() != 0 {
		t.Errorf("num_retries = %v, want 0 (the filter sets x-envoy-max-retries)", n)
	}
	codes := rp.GetRetriableStatusCodes()
	slices.Sort(codes)
	if !slices.Equal(codes, []uint32{429, 500, 502, 503, 504}) {
		t.Errorf("retriable_status_codes = %v, want [429 500 502 503 504]", codes)
	}
	if hs := rp.GetRetriableHeaders(); len(hs) != 1 || hs[0].GetName() != "x-gca-failover" || !hs[0].GetPresentMatch() {
		t.Errorf("retriable_headers = %v, want x-gca-failover present", hs)
	}
	if b := rp.GetRetryBackOff().GetBaseInterval().AsDuration(); b <= 0 || b > 50*time.Millisecond {
		t.Errorf("retry back-off %v: a retry goes to another key, it need not wait", b)
	}
	if rp.GetRateLimitedRetryBackOff() != nil {
		t.Error("rate_limited_retry_back_off would make Envoy wait out Gemini's delay instead of using the next key")
	}
	if !h.GetRouteConfig().GetVirtualHosts()[0].GetIncludeAttemptCountInResponse() {
		t.Error("include_attempt_count_in_response unset: clients cannot see that a key failed over")
	}
}

// The module runs again as the gemini cluster's upstream filter, in the
// same VM as the listener's (identical vm_config), with role "upstream".
func TestUpstreamFilter(t *testing.T) {
	_, h, c := load(t)
	hpo, err := HTTPOptions(c)
	if err != nil || hpo == nil {
		t.Fatalf("cluster %s HttpProtocolOptions: %v", ClusterName, err)
	}
	var names []string
	for _, f := range hpo.GetHttpFilters() {
		names = append(names, f.GetName())
	}
	if !slices.Equal(names, []string{WasmFilterName, UpstreamCodecFilterName}) {
		t.Fatalf("upstream http_filters = %v, want [%s %s]", names, WasmFilterName, UpstreamCodecFilterName)
	}
	up, _, err := UpstreamWasmFilter(c)
	if err != nil || up == nil {
		t.Fatalf("upstream wasm filter: %v", err)
	}
	down, _, err := WasmFilter(h)
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(up.GetConfig().GetVmConfig(), down.GetConfig().GetVmConfig()) {
		t.Errorf("upstream vm_config differs from the listener's:\n%v\n%v\n(the two must share one VM and one key-health store)", up.GetConfig().GetVmConfig(), down.GetConfig().GetVmConfig())
	}
	uc := up.GetConfig()
	if uc.GetName() != UpstreamPluginName || uc.GetRootId() != PluginName {
		t.Errorf("upstream name/root_id = %q/%q", uc.GetName(), uc.GetRootId())
	}
	if !uc.GetAllowOnHeadersStopIteration().GetValue() {
		t.Error("upstream allow_on_headers_stop_iteration must be true: error answers are held until their body is read")
	}
	if uc.GetFailurePolicy() != wasmv3.FailurePolicy_FAIL_RELOAD {
		t.Errorf("upstream failure_policy = %v, want FAIL_RELOAD", uc.GetFailurePolicy())
	}
	upCfg, err := PluginConfiguration(up)
	if err != nil {
		t.Fatal(err)
	}
	downCfg, err := PluginConfiguration(down)
	if err != nil {
		t.Fatal(err)
	}
	want, err := UpstreamPluginConfig(downCfg)
	if err != nil {
		t.Fatal(err)
	}
	var got, wantM map[string]any
	if json.Unmarshal([]byte(upCfg), &got) != nil || json.Unmarshal([]byte(want), &wantM) != nil || !reflect.DeepEqual(got, wantM) {
		t.Errorf("upstream configuration %s, want the listener's plus role upstream: %s", upCfg, want)
	}
}

// Edge hardening from Envoy's best practices for edge proxies.
func TestEdgeHardening(t *testing.T) {
	b, h, c := load(t)
	if d := h.GetRequestHeadersTimeout().AsDuration(); d <= 0 || d > time.Minute {
		t.Errorf("request_headers_timeout = %v", d)
	}
	if !h.GetUseRemoteAddress().GetValue() {
		t.Error("use_remote_address unset: client-sent x-envoy-* headers would be trusted")
	}
	h2 := h.GetHttp2ProtocolOptions()
	if n := h2.GetMaxConcurrentStreams().GetValue(); n == 0 || uint64(n)*32<<20 > 4<<30 {
		t.Errorf("http2 max_concurrent_streams = %d: streams x 32 MiB buffers must fit the heap bound", n)
	}
	if h2.GetInitialStreamWindowSize().GetValue() == 0 || h2.GetInitialConnectionWindowSize().GetValue() == 0 {
		t.Error("http2 flow-control windows unset")
	}
	om := b.GetOverloadManager()
	var monitors []string
	for _, m := range om.GetResourceMonitors() {
		monitors = append(monitors, m.GetName())
	}
	for _, want := range []string{"envoy.resource_monitors.fixed_heap", "envoy.resource_monitors.global_downstream_max_connections"} {
		if !slices.Contains(monitors, want) {
			t.Errorf("overload manager lacks %s", want)
		}
	}
	var actions []string
	for _, a := range om.GetActions() {
		actions = append(actions, a.GetName())
	}
	if !slices.Contains(actions, "envoy.overload_actions.stop_accepting_requests") {
		t.Errorf("overload actions %v lack stop_accepting_requests", actions)
	}
	th := c.GetCircuitBreakers().GetThresholds()
	if len(th) == 0 {
		t.Fatal("no circuit breakers on the gemini cluster")
	}
	if r, q := th[0].GetMaxRetries().GetValue(), th[0].GetMaxRequests().GetValue(); r < q || q <= 1024 {
		t.Errorf("max_requests %d, max_retries %d: long streams need more than the default 1024 requests, and a failed-over stream holds a retry slot until it ends", q, r)
	}
}

func TestGeminiCluster(t *testing.T) {
	_, _, c := load(t)
	if ty := c.GetType(); ty != clusterv3.Cluster_LOGICAL_DNS && ty != clusterv3.Cluster_STRICT_DNS {
		t.Errorf("cluster type = %v, want a DNS type", ty)
	}
	eps := c.GetLoadAssignment().GetEndpoints()
	if len(eps) != 1 || len(eps[0].GetLbEndpoints()) != 1 {
		t.Fatalf("want exactly one endpoint, have %v", eps)
	}
	sa := eps[0].GetLbEndpoints()[0].GetEndpoint().GetAddress().GetSocketAddress()
	if sa.GetAddress() != GeminiHost || sa.GetPortValue() != 443 {
		t.Errorf("endpoint = %s:%d, want %s:443", sa.GetAddress(), sa.GetPortValue(), GeminiHost)
	}
	tls, err := UpstreamTLS(c)
	if err != nil {
		t.Fatal(err)
	}
	if tls == nil {
		t.Fatal("cluster gemini has no TLS transport socket")
	}
	if tls.GetSni() != GeminiHost {
		t.Errorf("sni = %q, want %q", tls.GetSni(), GeminiHost)
	}
	vc := tls.GetCommonTlsContext().GetValidationContext()
	if vc.GetTrustedCa().GetFilename() == "" {
		t.Error("no trusted_ca: the server certificate would not be verified")
	}
	sanOK := false
	for _, m := range vc.GetMatchTypedSubjectAltNames() {
		if m.GetMatcher().GetExact() == GeminiHost {
			sanOK = true
		}
	}
	if !sanOK {
		t.Errorf("no SAN matcher for %s: any CA-signed certificate would be accepted", GeminiHost)
	}
	po, ok := c.GetTypedExtensionProtocolOptions()[HTTPProtocolOptionsKey]
	if !ok {
		t.Fatalf("no %s on the cluster", HTTPProtocolOptionsKey)
	}
	hpo := &httpv3.HttpProtocolOptions{}
	if err := po.UnmarshalTo(hpo); err != nil {
		t.Fatal(err)
	}
	if hpo.GetAutoConfig().GetHttp2ProtocolOptions() == nil && hpo.GetExplicitHttpConfig().GetHttp2ProtocolOptions() == nil {
		t.Error("upstream HTTP/2 not enabled")
	}
}

func TestAccessLogHasNoKeys(t *testing.T) {
	_, h, _ := load(t)
	formats, err := AccessLogFormats(h)
	if err != nil {
		t.Fatal(err)
	}
	if len(formats) == 0 {
		t.Fatal("no access log format found")
	}
	for _, leak := range AccessLogLeaks(formats) {
		t.Error(leak)
	}
	joined := strings.Join(formats, "\n")
	for _, want := range []string{"%REQ(:METHOD)%", "%RESPONSE_CODE%", "%DURATION%", "%UPSTREAM_HOST%", "%RESPONSE_FLAGS%",
		"%FILTER_STATE(wasm.gca_model:PLAIN)%", "%FILTER_STATE(wasm.gca_protocol:PLAIN)%", "%FILTER_STATE(wasm.gca_key_hash:PLAIN)%",
		"%FILTER_STATE(wasm.gca_input_tokens:PLAIN)%", "%FILTER_STATE(wasm.gca_output_tokens:PLAIN)%"} {
		if !strings.Contains(joined, want) {
			t.Errorf("access log lacks %s", want)
		}
	}
}

// The leak detector must itself catch leaks, or TestAccessLogHasNoKeys proves nothing.
func TestAccessLogLeaksDetects(t *testing.T) {
	for _, bad := range []string{
		"%REQ(AUTHORIZATION)%", "%REQ(x-api-key)%", "%REQ(X-GOOG-API-KEY):10%", "%REQ(X-FOO?AUTHORIZATION)%",
		"%REQ(:PATH)%", "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%", "%PATH%", "%PATH(WQ:ORIG)%", "%PATH(:PATH)%", "%QUERY_PARAM(key)%",
		"%FILTER_STATE(wasm.gca_keys:PLAIN)%",
		"<default format>",
	} {
		if len(AccessLogLeaks([]string{bad})) == 0 {
			t.Errorf("AccessLogLeaks missed %s", bad)
		}
	}
	for _, ok := range []string{"%PATH(NQ:PATH)%", "%PATH(NQ:ORIG)%", "%REQ_WITHOUT_QUERY(:PATH)%", "%REQ(USER-AGENT)%", "%QUERY_PARAM(alt)%", "%FILTER_STATE(wasm.gca_key_hash:PLAIN)%"} {
		if l := AccessLogLeaks([]string{ok}); len(l) != 0 {
			t.Errorf("AccessLogLeaks flagged a safe format: %v", l)
		}
	}
}

// Negative tests: the loader must reject what Envoy rejects, so the positive
// tests above cannot pass vacuously.
func TestRejectsBrokenConfig(t *testing.T) {
	orig, err := os.ReadFile(repoConfig)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, from, to string }{
		{"misspelled field", "use_remote_address:", "use_remote_adress:"},
		{"misspelled field in an upstream filter", "name: gemini-code-api-upstream", "nam: gemini-code-api-upstream"},
		{"misspelled typed_config field", "sni: generativelanguage.googleapis.com", "snii: generativelanguage.googleapis.com"},
		{"unknown enum value", "codec_type: AUTO", "codec_type: AUTOMATIC"},
		{"unregistered typed_config type", "envoy.extensions.filters.http.router.v3.Router", "envoy.extensions.filters.http.router.v3.Routr"},
		{"validation rule (retry back-off below 1 ms)", "base_interval: 0.005s", "base_interval: 0s"},
		{"validation rule (empty cluster name)", "cluster: gemini", "cluster: \"\""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if strings.Count(string(orig), tc.from) != 1 {
				t.Fatalf("envoy.yaml must contain %q exactly once for this test", tc.from)
			}
			mutated := strings.Replace(string(orig), tc.from, tc.to, 1)
			b, err := Parse([]byte(mutated))
			if err == nil {
				err = Validate(b)
			}
			if err == nil {
				t.Fatalf("config with %s (%q -> %q) was accepted", tc.name, tc.from, tc.to)
			}
			t.Logf("rejected as expected: %v", err)
		})
	}
}

func TestNoDeprecatedFields(t *testing.T) {
	b, _, _ := load(t)
	dep, err := DeprecatedFields(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dep {
		t.Errorf("deprecated field in envoy.yaml: %s", d)
	}
	// The detector works: fail_open is deprecated in favour of failure_policy.
	orig, err := os.ReadFile(repoConfig)
	if err != nil {
		t.Fatal(err)
	}
	// (true, because a false bool is proto3's zero value and is never "set".)
	mutated := strings.Replace(string(orig), "                failure_policy: FAIL_RELOAD", "                fail_open: true\n                failure_policy: FAIL_RELOAD", 1)
	mb, err := Parse([]byte(mutated))
	if err != nil {
		t.Fatal(err)
	}
	dep, err = DeprecatedFields(mb)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(dep, func(s string) bool { return strings.HasSuffix(s, ".fail_open") }) {
		t.Errorf("DeprecatedFields missed fail_open: %v", dep)
	}
}

// The access log carries every column of the original gateway's
// request_logs table, each from the Envoy operator or the filter state that
// knows it (README "Observability").
func TestAccessLogHasRequestLogColumns(t *testing.T) {
	_, h, _ := load(t)
	fields, err := AccessLogJSONFields(h)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range requestLogColumns {
		if got := fields[name]; got != want {
			t.Errorf("access log field %q = %q, want %q", name, got, want)
		}
	}
}

// requestLogColumns: the original request_logs columns (and the ones the
// issue adds) with the access log field and value that provide each.
var requestLogColumns = map[string]string{
	"request_id":            "%REQ(X-REQUEST-ID)%",
	"timestamp":             "%START_TIME%",
	"method":                "%REQ(:METHOD)%",
	"path":                  "%FILTER_STATE(wasm.gca_path:PLAIN)%",
	"client_type":           "%FILTER_STATE(wasm.gca_protocol:PLAIN)%",
	"client_ip":             "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%",
	"user_agent":            "%REQ(USER-AGENT)%",
	"key_hash":              "%FILTER_STATE(wasm.gca_key_hash:PLAIN)%",
	"requested_model":       "%FILTER_STATE(wasm.gca_client_model:PLAIN)%",
	"model":                 "%FILTER_STATE(wasm.gca_model:PLAIN)%",
	"status":                "%RESPONSE_CODE%",
	"response_time_ms":      "%DURATION%",
	"time_to_first_byte_ms": "%RESPONSE_DURATION%",
	"error_type":            "%FILTER_STATE(wasm.gca_error_type:PLAIN)%",
	"error_message":         "%FILTER_STATE(wasm.gca_error_message:PLAIN)%",
	"input_tokens":          "%FILTER_STATE(wasm.gca_input_tokens:PLAIN)%",
	"output_tokens":         "%FILTER_STATE(wasm.gca_output_tokens:PLAIN)%",
	"total_tokens":          "%FILTER_STATE(wasm.gca_total_tokens:PLAIN)%",
	"streamed":              "%FILTER_STATE(wasm.gca_streamed:PLAIN)%",
	"attempts":              "%UPSTREAM_REQUEST_ATTEMPT_COUNT%",
}

// The commented OpenTelemetry access log in envoy.yaml is a valid
// AccessLog once uncommented, sends the same columns and leaks no key.
func TestOTelAccessLogExample(t *testing.T) {
	data, err := os.ReadFile(repoConfig)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	start := -1
	for i, l := range lines {
		if strings.Contains(l, "# - name: envoy.access_loggers.open_telemetry") {
			start = i
			break
		}
	}
	if start < 0 {
		t.Fatal("no commented envoy.access_loggers.open_telemetry example in envoy.yaml")
	}
	col := strings.Index(lines[start], "#")
	var block []string
	for _, l := range lines[start:] {
		if len(l) <= col+1 || strings.TrimSpace(l[:col]) != "" || l[col] != '#' {
			break
		}
		block = append(block, strings.TrimPrefix(l[col+1:], " "))
	}
	js, err := yaml.YAMLToJSON([]byte(strings.Join(block, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	var list []json.RawMessage
	if err := json.Unmarshal(js, &list); err != nil || len(list) != 1 {
		t.Fatalf("example is not one list entry: %v %s", err, js)
	}
	al := &accesslogv3.AccessLog{}
	if err := protojson.Unmarshal(list[0], al); err != nil {
		t.Fatal(err)
	}
	if err := validateTree(al, "otel"); err != nil {
		t.Fatal(err)
	}
	cfg := &otelv3.OpenTelemetryAccessLogConfig{}
	if err := al.GetTypedConfig().UnmarshalTo(cfg); err != nil {
		t.Fatal(err)
	}
	attrs := map[string]string{}
	var formats []string
	for _, kv := range cfg.GetAttributes().GetValues() {
		attrs[kv.GetKey()] = kv.GetValue().GetStringValue()
		formats = append(formats, kv.GetValue().GetStringValue())
	}
	formats = append(formats, cfg.GetBody().GetStringValue())
	for _, leak := range AccessLogLeaks(formats) {
		t.Error(leak)
	}
	for name, want := range requestLogColumns {
		if attrs[name] != want {
			t.Errorf("OpenTelemetry attribute %q = %q, want %q", name, attrs[name], want)
		}
	}
}

// stats_tags: each regex is anchored to the module's stat names (Envoy's
// own stats are left alone), has the two groups Envoy's rule uses (removed
// part, value) and a tag name of its own, and compiles as RE2 (the subset
// that std::regex, Envoy's engine for stats_tags, reads the same way).
func TestStatsTags(t *testing.T) {
	b, _, _ := load(t)
	tags, err := StatsTags(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(tags) == 0 {
		t.Fatal("envoy.yaml has no stats_tags")
	}
	seen := map[string]bool{}
	for _, tag := range tags {
		if seen[tag.Name] {
			t.Errorf("tag %q twice", tag.Name)
		}
		seen[tag.Name] = true
		if !strings.HasPrefix(tag.Regex, `^wasmcustom\.gemini_code_api\.`) {
			t.Errorf("tag %q: regex %q is not anchored to the module's stats", tag.Name, tag.Regex)
		}
		re, err := regexp.Compile(tag.Regex)
		if err != nil {
			t.Errorf("tag %q: %v", tag.Name, err)
			continue
		}
		if re.NumSubexp() != 2 {
			t.Errorf("tag %q: %d groups, want 2 (removed part, value)", tag.Name, re.NumSubexp())
		}
	}
}

// WebSocket upgrades must reach the filter, which answers them with the 426
// Codex falls back to HTTP on; without upgrade_configs Envoy answers 403
// itself, before any filter runs.
func TestWebSocketUpgradesReachTheFilter(t *testing.T) {
	_, h, _ := load(t)
	for _, u := range h.GetUpgradeConfigs() {
		if strings.EqualFold(u.GetUpgradeType(), "websocket") && len(u.GetFilters()) == 0 && (u.GetEnabled() == nil || u.GetEnabled().GetValue()) {
			return
		}
	}
	t.Fatalf("upgrade_configs %v: websocket upgrades must be enabled with the default filter chain", h.GetUpgradeConfigs())
}
