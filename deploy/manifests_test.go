package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	wasmfilterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/wasm/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/gemini-code-api/gemini-code-api/e2e/envoyconfig"

	// Types named by typed_config in the patches, registered so that the
	// Anys resolve (as e2e/envoyconfig does for envoy.yaml).
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/upstream_codec/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/wasm/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/retry/host/previous_hosts/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
)

// doc is one YAML document of a manifest file.
type doc struct {
	File       string
	APIVersion string
	Kind       string
	Name       string
	JSON       []byte // the whole document as JSON
}

func (d doc) String() string { return fmt.Sprintf("%s: %s %s", d.File, d.Kind, d.Name) }

// readDocs returns the documents of every YAML file in dir.
func readDocs(t *testing.T, dir string) []doc {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in %s (%v)", dir, err)
	}
	sort.Strings(files)
	var out []doc
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, part := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(data), -1) {
			if strings.TrimSpace(stripComments(part)) == "" {
				continue
			}
			js, err := yaml.YAMLToJSON([]byte(part))
			if err != nil {
				t.Fatalf("%s document %d: %v", f, i, err)
			}
			var head struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
				Metadata   struct {
					Name string `json:"name"`
				} `json:"metadata"`
			}
			if err := json.Unmarshal(js, &head); err != nil {
				t.Fatalf("%s document %d: %v", f, i, err)
			}
			out = append(out, doc{File: filepath.Base(f), APIVersion: head.APIVersion, Kind: head.Kind, Name: head.Metadata.Name, JSON: js})
		}
	}
	return out
}

func stripComments(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// docKind is one kind of object a manifests directory holds: the API versions
// it is served under and the field of the manifests struct M that keeps it.
// Naming the field here, rather than in a type switch after decoding, keeps
// a kind's type, versions and home in one table row.
type docKind[M any] struct {
	versions []string
	field    func(m *M) any // a pointer to a *T field of m; newIn fills it
}

// newIn stores a new T in the *T field that field points to and returns it
// (the *T), for a decoder to fill.
func newIn(field any) any {
	p := reflect.ValueOf(field).Elem()
	p.Set(reflect.New(p.Type().Elem()))
	return p.Interface()
}

// decodeKind checks d's kind and apiVersion against kinds, then decodes d
// with decode into a new object in m's field for that kind.
func decodeKind[M any](d doc, dir string, m *M, kinds map[string]docKind[M], decode func(js []byte, obj any) error) error {
	k, ok := kinds[d.Kind]
	if !ok {
		return fmt.Errorf("%v: kind not expected in %s/", d, dir)
	}
	if !contains(k.versions, d.APIVersion) {
		return fmt.Errorf("%v: apiVersion %q, want one of %v", d, d.APIVersion, k.versions)
	}
	if err := decode(d.JSON, newIn(k.field(m))); err != nil {
		return fmt.Errorf("%v: %w", d, err)
	}
	return nil
}

// loadKinds decodes every document of dir into m (see decodeKind) and
// returns the documents by kind. Each kind of kinds must be there, once.
func loadKinds[M any](t *testing.T, dir string, m *M, kinds map[string]docKind[M], decode func(js []byte, obj any) error) map[string]doc {
	t.Helper()
	byKind := map[string]doc{}
	for _, d := range readDocs(t, dir) {
		if err := decodeKind(d, dir, m, kinds, decode); err != nil {
			t.Fatal(err)
		}
		if _, dup := byKind[d.Kind]; dup {
			t.Fatalf("two %s documents", d.Kind)
		}
		byKind[d.Kind] = d
	}
	for k := range kinds {
		if _, ok := byKind[k]; !ok {
			t.Fatalf("%s/ has no %s", dir, k)
		}
	}
	return byKind
}

func contains[T comparable](s []T, v T) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// strictJSON decodes js into v, rejecting unknown fields (a typo in a
// manifest is an error, as kubectl's server-side field validation makes it).
func strictJSON(js []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data")
	}
	return nil
}

// protoObject is a Kubernetes object whose spec is a protobuf message
// (Istio's API): the envelope is decoded strictly with Kubernetes' types,
// the spec with protojson, where unknown fields are errors too.
func protoObject(js []byte, spec proto.Message) (*metav1.ObjectMeta, error) {
	var env struct {
		APIVersion string            `json:"apiVersion"`
		Kind       string            `json:"kind"`
		Metadata   metav1.ObjectMeta `json:"metadata"`
		Spec       json.RawMessage   `json:"spec"`
	}
	if err := strictJSON(js, &env); err != nil {
		return nil, err
	}
	if len(env.Spec) == 0 {
		return nil, fmt.Errorf("no spec")
	}
	if err := (protojson.UnmarshalOptions{}).Unmarshal(env.Spec, spec); err != nil {
		return nil, fmt.Errorf("spec: %w", err)
	}
	return &env.Metadata, nil
}

// envoyJSON decodes an Envoy configuration fragment (JSON, proto field
// names, "@type" for Anys) into m: unknown fields and unresolvable Any types
// are errors.
func envoyJSON(js []byte, m proto.Message) error {
	return (protojson.UnmarshalOptions{DiscardUnknown: false}).Unmarshal(js, m)
}

// validate applies Envoy's proto-validate rules to m and to every Any below
// it, with e2e/envoyconfig's Validate: m is carried in a bootstrap as an Any
// (typed_dns_resolver_config's typed_config), which Validate resolves and
// checks like any other typed_config.
func validate(m proto.Message) error {
	a, err := anypb.New(m)
	if err != nil {
		return err
	}
	b := &bootstrapv3.Bootstrap{TypedDnsResolverConfig: &corev3.TypedExtensionConfig{Name: "fragment", TypedConfig: a}}
	return envoyconfig.Validate(b)
}

// reference is what the manifests must agree with: the repository's
// envoy.yaml.
type reference struct {
	listenerWasm   *wasmfilterv3.Wasm
	upstreamWasm   *wasmfilterv3.Wasm
	route          *routev3.Route
	vhost          *routev3.VirtualHost
	cors           []string // allowed headers
	bufferLimit    uint32
	clusterLimits  map[string]uint32
	downstreamConf string
	upstreamConf   string
}

func loadReference(t *testing.T) *reference {
	t.Helper()
	b, h, err := envoyconfig.LoadDefaultHCM()
	if err != nil {
		t.Fatal(err)
	}
	ref := &reference{}
	if ref.listenerWasm, _, err = envoyconfig.WasmFilter(h); err != nil {
		t.Fatal(err)
	}
	c, err := envoyconfig.Cluster(b, envoyconfig.ClusterName)
	if err != nil {
		t.Fatal(err)
	}
	if ref.upstreamWasm, _, err = envoyconfig.UpstreamWasmFilter(c); err != nil || ref.upstreamWasm == nil {
		t.Fatalf("envoy.yaml: no upstream Wasm filter on the gemini cluster (%v)", err)
	}
	vhs := h.GetRouteConfig().GetVirtualHosts()
	if len(vhs) != 1 || len(vhs[0].GetRoutes()) != 1 {
		t.Fatalf("envoy.yaml: want one virtual host with one route")
	}
	ref.vhost, ref.route = vhs[0], vhs[0].GetRoutes()[0]
	if ref.downstreamConf, err = envoyconfig.PluginConfiguration(ref.listenerWasm); err != nil {
		t.Fatal(err)
	}
	if ref.upstreamConf, err = envoyconfig.PluginConfiguration(ref.upstreamWasm); err != nil {
		t.Fatal(err)
	}
	l, err := envoyconfig.Listener(b)
	if err != nil {
		t.Fatal(err)
	}
	ref.bufferLimit = l.GetPerConnectionBufferLimitBytes().GetValue()
	th := c.GetCircuitBreakers().GetThresholds()
	if len(th) != 1 {
		t.Fatalf("envoy.yaml: want one circuit breaker threshold, have %d", len(th))
	}
	ref.clusterLimits = map[string]uint32{
		"max_connections":      th[0].GetMaxConnections().GetValue(),
		"max_pending_requests": th[0].GetMaxPendingRequests().GetValue(),
		"max_requests":         th[0].GetMaxRequests().GetValue(),
		"max_retries":          th[0].GetMaxRetries().GetValue(),
	}
	if ref.clusterLimits["max_retries"] != ref.clusterLimits["max_requests"] {
		t.Fatalf("envoy.yaml: max_retries %d != max_requests %d", ref.clusterLimits["max_retries"], ref.clusterLimits["max_requests"])
	}
	corsAny := ref.vhost.GetTypedPerFilterConfig()[envoyconfig.CORSFilterName]
	if corsAny == nil {
		t.Fatal("envoy.yaml: no CORS policy on the virtual host")
	}
	var cors map[string]any
	js, err := protojson.Marshal(corsAny)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(js, &cors); err != nil {
		t.Fatal(err)
	}
	ref.cors = splitList(fmt.Sprint(cors["allowHeaders"]))
	return ref
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// sameJSON reports whether two JSON texts hold the same value.
// checkPluginConfigs: the downstream filter's plugin configuration is
// envoy.yaml's, the upstream's the same plus "role": "upstream" (which is
// envoy.yaml's too).
func checkPluginConfigs(t *testing.T, what string, down, up *wasmfilterv3.Wasm, ref *reference) {
	t.Helper()
	var confs [2]string
	for i, w := range []*wasmfilterv3.Wasm{down, up} {
		c, err := envoyconfig.PluginConfiguration(w)
		if err != nil {
			t.Fatal(err)
		}
		confs[i] = c
	}
	downConf, upConf := confs[0], confs[1]
	if !sameJSON(t, downConf, ref.downstreamConf) {
		t.Errorf("%s configuration %s, envoy.yaml %s", what, downConf, ref.downstreamConf)
	}
	wantUp, err := envoyconfig.UpstreamPluginConfig(downConf)
	if err != nil {
		t.Fatal(err)
	}
	if !sameJSON(t, upConf, wantUp) {
		t.Errorf("upstream configuration %s, want %s (the %s plus role upstream)", upConf, wantUp, what)
	}
	if !sameJSON(t, upConf, ref.upstreamConf) {
		t.Errorf("upstream configuration %s, envoy.yaml %s", upConf, ref.upstreamConf)
	}
}

func sameJSON(t *testing.T, a, b string) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal([]byte(a), &va); err != nil {
		t.Fatalf("%q: %v", a, err)
	}
	if err := json.Unmarshal([]byte(b), &vb); err != nil {
		t.Fatalf("%q: %v", b, err)
	}
	ja, _ := json.Marshal(va)
	jb, _ := json.Marshal(vb)
	return bytes.Equal(ja, jb)
}

// checkWasmLikeReference compares the settings of a Wasm filter that must be
// as envoy.yaml's: root_id, failure policy and reload backoff,
// allow_on_headers_stop_iteration, runtime.
func checkWasmLikeReference(t *testing.T, where string, got, want *wasmfilterv3.Wasm) {
	t.Helper()
	g, w := got.GetConfig(), want.GetConfig()
	if g.GetRootId() != w.GetRootId() {
		t.Errorf("%s: root_id %q, envoy.yaml %q", where, g.GetRootId(), w.GetRootId())
	}
	if g.GetFailurePolicy() != w.GetFailurePolicy() {
		t.Errorf("%s: failure_policy %v, envoy.yaml %v", where, g.GetFailurePolicy(), w.GetFailurePolicy())
	}
	if !proto.Equal(g.GetReloadConfig(), w.GetReloadConfig()) {
		t.Errorf("%s: reload_config %v, envoy.yaml %v", where, g.GetReloadConfig(), w.GetReloadConfig())
	}
	if !g.GetAllowOnHeadersStopIteration().GetValue() {
		t.Errorf("%s: allow_on_headers_stop_iteration must be true (the module holds headers until the body arrives)", where)
	}
	if g.GetVmConfig().GetRuntime() != w.GetVmConfig().GetRuntime() {
		t.Errorf("%s: runtime %q, envoy.yaml %q", where, g.GetVmConfig().GetRuntime(), w.GetVmConfig().GetRuntime())
	}
}

// retryOn returns the retry_on conditions as a sorted list.
func retryOn(p *routev3.RetryPolicy) []string { return splitList(p.GetRetryOn()) }

func statusCodes(p *routev3.RetryPolicy) []uint32 {
	c := append([]uint32(nil), p.GetRetriableStatusCodes()...)
	sort.Slice(c, func(i, j int) bool { return c[i] < c[j] })
	return c
}

// checkRetryLikeReference compares a route's retry policy with envoy.yaml's
// in what decides key failover: the conditions, the status codes, the
// retriable header and the back-off. num_retries is not compared: the module
// sets x-envoy-max-retries on every request it sends, which overrides it.
func checkRetryLikeReference(t *testing.T, where string, got, want *routev3.RetryPolicy) {
	t.Helper()
	if g, w := retryOn(got), retryOn(want); fmt.Sprint(g) != fmt.Sprint(w) {
		t.Errorf("%s: retry_on %v, envoy.yaml %v", where, g, w)
	}
	if g, w := statusCodes(got), statusCodes(want); fmt.Sprint(g) != fmt.Sprint(w) {
		t.Errorf("%s: retriable_status_codes %v, envoy.yaml %v", where, g, w)
	}
	if len(got.GetRetriableHeaders()) != len(want.GetRetriableHeaders()) {
		t.Errorf("%s: retriable_headers %v, envoy.yaml %v", where, got.GetRetriableHeaders(), want.GetRetriableHeaders())
	} else {
		for i := range want.GetRetriableHeaders() {
			if !proto.Equal(got.GetRetriableHeaders()[i], want.GetRetriableHeaders()[i]) {
				t.Errorf("%s: retriable_headers[%d] %v, envoy.yaml %v", where, i, got.GetRetriableHeaders()[i], want.GetRetriableHeaders()[i])
			}
		}
	}
	// Envoy's max_interval defaults to 10 × base_interval.
	maxOf := func(b *routev3.RetryPolicy_RetryBackOff) int64 {
		if b.GetMaxInterval() != nil {
			return b.GetMaxInterval().AsDuration().Nanoseconds()
		}
		return 10 * b.GetBaseInterval().AsDuration().Nanoseconds()
	}
	gb, wb := got.GetRetryBackOff(), want.GetRetryBackOff()
	if gb.GetBaseInterval().AsDuration() != wb.GetBaseInterval().AsDuration() || maxOf(gb) != maxOf(wb) {
		t.Errorf("%s: retry_back_off %v, envoy.yaml %v", where, gb, wb)
	}
}

// Image references: the manifests' placeholders must agree with each other,
// so replacing them is one substitution.
var (
	placeholderImage  = "registry.example.com/gemini-code-api:0.1.0"
	placeholderDigest = strings.Repeat("0", 64)
	sha256Hex         = regexp.MustCompile(`^[0-9a-f]{64}$`)
)
