package deploy

import (
	"encoding/json"
	"fmt"
	"path"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	egvalidation "github.com/envoyproxy/gateway/api/v1alpha1/validation"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	upstreamcodecv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/upstream_codec/v3"
	wasmfilterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/wasm/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	wasmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/wasm/v3"
	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/ohler55/ojg/jp"
	"github.com/ohler55/ojg/oj"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/gemini-code-api/gemini-code-api/e2e/envoyconfig"
)

const egDir = "envoy-gateway"

// egManifests holds the decoded Envoy Gateway manifests.
type egManifests struct {
	gateway *gwapiv1.Gateway
	route   *gwapiv1.HTTPRoute
	tls     *gwapiv1.BackendTLSPolicy
	proxy   *egv1a1.EnvoyProxy
	backend *egv1a1.Backend
	btp     *egv1a1.BackendTrafficPolicy
	ctp     *egv1a1.ClientTrafficPolicy
	eep     *egv1a1.EnvoyExtensionPolicy
	epp     *egv1a1.EnvoyPatchPolicy
	doc     map[string]doc
}

// The API versions of the Gateway API and of Envoy Gateway's own.
var (
	gwAPIv1 = []string{"gateway.networking.k8s.io/v1"}
	egAPI   = []string{"gateway.envoyproxy.io/v1alpha1"}
)

// egKinds maps each kind to its API version and its field in egManifests,
// whose type is the projects' own Go type for it.
var egKinds = map[string]docKind[egManifests]{
	"Gateway":              {gwAPIv1, func(m *egManifests) any { return &m.gateway }},
	"HTTPRoute":            {gwAPIv1, func(m *egManifests) any { return &m.route }},
	"BackendTLSPolicy":     {gwAPIv1, func(m *egManifests) any { return &m.tls }},
	"EnvoyProxy":           {egAPI, func(m *egManifests) any { return &m.proxy }},
	"Backend":              {egAPI, func(m *egManifests) any { return &m.backend }},
	"BackendTrafficPolicy": {egAPI, func(m *egManifests) any { return &m.btp }},
	"ClientTrafficPolicy":  {egAPI, func(m *egManifests) any { return &m.ctp }},
	"EnvoyExtensionPolicy": {egAPI, func(m *egManifests) any { return &m.eep }},
	"EnvoyPatchPolicy":     {egAPI, func(m *egManifests) any { return &m.epp }},
}

// decodeEG decodes d strictly into its field of m.
func decodeEG(d doc, m *egManifests) error {
	return decodeKind(d, egDir, m, egKinds, strictJSON)
}

func loadEG(t *testing.T) *egManifests {
	t.Helper()
	m := &egManifests{}
	m.doc = loadKinds(t, egDir, m, egKinds, strictJSON)
	return m
}

func TestEnvoyGatewayManifestsDecodeStrictly(t *testing.T) {
	m := loadEG(t)
	if err := egvalidation.ValidateEnvoyProxy(m.proxy); err != nil {
		t.Errorf("EnvoyProxy: %v", err)
	}
}

func TestEnvoyGatewayStrictDecodingRejectsTypos(t *testing.T) {
	m := loadEG(t)
	for _, kind := range []string{"EnvoyExtensionPolicy", "EnvoyPatchPolicy", "HTTPRoute"} {
		d := m.doc[kind]
		bad := d
		bad.JSON = []byte(strings.Replace(string(d.JSON), `"spec":{`, `"spec":{"targetRefz":[],`, 1))
		if string(bad.JSON) == string(d.JSON) {
			t.Fatalf("%v: could not inject a typo", d)
		}
		if err := decodeEG(bad, &egManifests{}); err == nil {
			t.Errorf("%v: accepted an unknown field", d)
		}
	}
}

// egNames are the xDS names Envoy Gateway gives to what the manifests
// declare (internal/gatewayapi: irListenerName, irConfigNameForWasm,
// irRouteName; internal/xds/translator/wasm.go).
type egNames struct {
	listener   string // also the route configuration
	wasmFilter string
	vmID       string
	routeName  string
	vhostName  string
	cluster    string
}

func namesOf(t *testing.T, m *egManifests) egNames {
	t.Helper()
	gw := m.gateway
	if len(gw.Spec.Listeners) != 1 {
		t.Fatalf("want one Gateway listener, have %d", len(gw.Spec.Listeners))
	}
	l := gw.Spec.Listeners[0]
	host := strings.ReplaceAll(string(*l.Hostname), ".", "_")
	listener := fmt.Sprintf("%s/%s/%s", gw.Namespace, gw.Name, l.Name)
	cfg := fmt.Sprintf("envoyextensionpolicy/%s/%s/wasm/0", m.eep.Namespace, m.eep.Name)
	prefix := fmt.Sprintf("httproute/%s/%s/", m.route.Namespace, m.route.Name)
	return egNames{
		listener:   listener,
		wasmFilter: "envoy.filters.http.wasm/" + cfg,
		vmID:       cfg,
		routeName:  prefix + "rule/0/match/0/" + host,
		vhostName:  listener + "/" + host,
		cluster:    prefix + "rule/0",
	}
}

// egListener builds the listener Envoy Gateway generates for the Gateway and
// the EnvoyExtensionPolicy (its Wasm filter as wasmConfig/buildHCMWasmFilter
// make it: remote code from Envoy Gateway's Wasm cache, disabled on the HCM,
// enabled per route), before any patch.
func egListener(t *testing.T, m *egManifests, n egNames) *listenerv3.Listener {
	t.Helper()
	if len(m.eep.Spec.Wasm) != 1 {
		t.Fatalf("want one Wasm in the EnvoyExtensionPolicy, have %d", len(m.eep.Spec.Wasm))
	}
	w := m.eep.Spec.Wasm[0]
	conf := ""
	if w.Config != nil {
		conf = string(w.Config.Raw)
	}
	confAny, _ := anypb.New(wrapperspb.String(conf))
	wasm := &wasmfilterv3.Wasm{Config: &wasmv3.PluginConfig{
		Name:          *w.Name,
		RootId:        *w.RootID,
		Configuration: confAny,
		FailurePolicy: failurePolicy(w.FailOpen),
		Vm: &wasmv3.PluginConfig_VmConfig{VmConfig: &wasmv3.VmConfig{
			VmId:    n.vmID,
			Runtime: envoyconfig.WasmRuntimeV8,
			Code: &corev3.AsyncDataSource{Specifier: &corev3.AsyncDataSource_Remote{Remote: &corev3.RemoteDataSource{
				HttpUri: &corev3.HttpUri{
					Uri:              "https://envoy-gateway.envoy-gateway-system.svc.cluster.local:18002/Zm9vYmFyYmF6.wasm",
					HttpUpstreamType: &corev3.HttpUri_Cluster{Cluster: "wasm_cluster"},
					Timeout:          durationpb.New(10 * time.Second),
				},
				Sha256: strings.Repeat("a", 64),
			}}},
		}},
	}}
	wasmAny, _ := anypb.New(wasm)
	routerAny, _ := anypb.New(&routerv3.Router{SuppressEnvoyHeaders: true})
	hcm := &hcmv3.HttpConnectionManager{
		StatPrefix: "https-10443",
		RouteSpecifier: &hcmv3.HttpConnectionManager_Rds{Rds: &hcmv3.Rds{
			RouteConfigName: n.listener,
			ConfigSource:    &corev3.ConfigSource{ConfigSourceSpecifier: &corev3.ConfigSource_Ads{Ads: &corev3.AggregatedConfigSource{}}, ResourceApiVersion: corev3.ApiVersion_V3},
		}},
		HttpFilters: []*hcmv3.HttpFilter{
			{Name: n.wasmFilter, Disabled: true, ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: wasmAny}},
			{Name: envoyconfig.RouterFilterName, ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: routerAny}},
		},
	}
	hcmAny, _ := anypb.New(hcm)
	return &listenerv3.Listener{
		Name: n.listener,
		Address: &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
			Address: "0.0.0.0", PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: 10443}}}},
		FilterChains: []*listenerv3.FilterChain{{
			Name:    n.listener,
			Filters: []*listenerv3.Filter{{Name: envoyconfig.HCMFilterName, ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: hcmAny}}},
		}},
	}
}

// egRouteConfiguration builds the route configuration Envoy Gateway
// generates for the HTTPRoute, before any patch.
func egRouteConfiguration(t *testing.T, m *egManifests, n egNames) *routev3.RouteConfiguration {
	t.Helper()
	timeout, err := time.ParseDuration(string(*m.route.Spec.Rules[0].Timeouts.Request))
	if err != nil {
		t.Fatal(err)
	}
	return &routev3.RouteConfiguration{
		Name: n.listener,
		VirtualHosts: []*routev3.VirtualHost{{
			Name:    n.vhostName,
			Domains: []string{string(*m.gateway.Spec.Listeners[0].Hostname)},
			Routes: []*routev3.Route{{
				Name:  n.routeName,
				Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
				Action: &routev3.Route_Route{Route: &routev3.RouteAction{
					ClusterSpecifier:     &routev3.RouteAction_Cluster{Cluster: n.cluster},
					Timeout:              durationpb.New(timeout),
					HostRewriteSpecifier: &routev3.RouteAction_HostRewriteLiteral{HostRewriteLiteral: envoyconfig.GeminiHost},
				}},
			}},
		}},
	}
}

// applyEG applies the EnvoyPatchPolicy's patches for one resource as Envoy
// Gateway does (internal/xds/translator/jsonpatch.go and
// internal/utils/jsonpatch, with the same libraries): the resource as JSON
// with proto field names, each jsonPath turned into JSON pointers (the path
// appended), RFC 6902 operations creating missing parents on add, then the
// result decoded strictly back into the resource's type. A patch whose
// jsonPath selects nothing is an error, as Envoy Gateway reports it.
func applyEG(t *testing.T, epp *egv1a1.EnvoyPatchPolicy, typ egv1a1.EnvoyResourceType, res proto.Message) (applied int) {
	t.Helper()
	name := res.ProtoReflect().Get(res.ProtoReflect().Descriptor().Fields().ByName("name")).String()
	doc, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	opts := jsonpatch.NewApplyOptions()
	opts.EnsurePathExistsOnAdd = true
	for i, p := range epp.Spec.JSONPatches {
		if p.Type != typ || p.Name != name {
			continue
		}
		where := fmt.Sprintf("jsonPatches[%d] (%s %s)", i, p.Operation.Op, deref(p.Operation.Path))
		var pointers []string
		if p.Operation.JSONPath != nil {
			pointers = jsonPathPointers(t, where, doc, *p.Operation.JSONPath, deref(p.Operation.Path))
		} else {
			pointers = []string{deref(p.Operation.Path)}
		}
		for _, ptr := range pointers {
			op := map[string]any{"op": string(p.Operation.Op), "path": ptr}
			if p.Operation.From != nil {
				op["from"] = *p.Operation.From
			}
			if p.Operation.Value != nil {
				op["value"] = json.RawMessage(p.Operation.Value.Raw)
			}
			raw, _ := json.Marshal([]any{op})
			patch, err := jsonpatch.DecodePatch(raw)
			if err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			if doc, err = patch.ApplyWithOptions(doc, opts); err != nil {
				t.Fatalf("%s at %s: %v", where, ptr, err)
			}
		}
		applied++
	}
	out := res.ProtoReflect().New().Interface()
	if err := envoyJSON(doc, out); err != nil {
		t.Fatalf("%s %s after the patches: %v", typ, name, err)
	}
	proto.Reset(res)
	proto.Merge(res, out)
	return applied
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// jsonPathPointers evaluates a jsonPath on doc and returns JSON pointers to
// what it selects, with path appended.
func jsonPathPointers(t *testing.T, where string, doc []byte, jsonPath, path string) []string {
	t.Helper()
	obj, err := oj.Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	x, err := jp.ParseString(jsonPath)
	if err != nil {
		t.Fatalf("%s: jsonPath %q: %v", where, jsonPath, err)
	}
	var out []string
	for _, loc := range x.Locate(obj, 0) {
		var b strings.Builder
		for _, f := range loc {
			switch v := f.(type) {
			case jp.Root:
			case jp.Child:
				b.WriteString("/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(string(v)))
			case jp.Nth:
				b.WriteString("/" + strconv.Itoa(int(v)))
			default:
				t.Fatalf("%s: jsonPath location %v has a fragment %T", where, loc, f)
			}
		}
		p := strings.TrimSuffix(b.String(), "/")
		if path != "" {
			p += "/" + strings.TrimPrefix(path, "/")
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		t.Fatalf("%s: jsonPath %q selects nothing (Envoy Gateway would reject the policy)", where, jsonPath)
	}
	return out
}

// TestEnvoyGatewayPatchesApply applies the EnvoyPatchPolicy to the listener
// and route configuration Envoy Gateway generates for these manifests,
// validates the results against Envoy's API and compares them with
// envoy.yaml.
func TestEnvoyGatewayPatchesApply(t *testing.T) {
	ref := loadReference(t)
	m := loadEG(t)
	n := namesOf(t, m)
	if m.epp.Spec.Type != egv1a1.JSONPatchEnvoyPatchType {
		t.Fatalf("EnvoyPatchPolicy type %q", m.epp.Spec.Type)
	}
	for i, p := range m.epp.Spec.JSONPatches {
		if p.Name != n.listener {
			t.Errorf("jsonPatches[%d] patches %q; Envoy Gateway names the listener and route configuration %q", i, p.Name, n.listener)
		}
	}

	listener := egListener(t, m, n)
	if err := validate(listener); err != nil {
		t.Fatalf("generated listener: %v", err)
	}
	nl := applyEG(t, m.epp, egv1a1.ListenerEnvoyResourceType, listener)
	if err := validate(listener); err != nil {
		t.Fatalf("patched listener: %v", err)
	}
	rc := egRouteConfiguration(t, m, n)
	nr := applyEG(t, m.epp, egv1a1.RouteConfigurationEnvoyResourceType, rc)
	if err := validate(rc); err != nil {
		t.Fatalf("patched route configuration: %v", err)
	}
	if nl+nr != len(m.epp.Spec.JSONPatches) {
		t.Errorf("%d of %d patches applied to the listener and the route configuration", nl+nr, len(m.epp.Spec.JSONPatches))
	}

	hcm := &hcmv3.HttpConnectionManager{}
	if err := listener.GetFilterChains()[0].GetFilters()[0].GetTypedConfig().UnmarshalTo(hcm); err != nil {
		t.Fatal(err)
	}
	var down *wasmfilterv3.Wasm
	var router *routerv3.Router
	for _, f := range hcm.GetHttpFilters() {
		switch f.GetName() {
		case n.wasmFilter:
			down = &wasmfilterv3.Wasm{}
			if err := f.GetTypedConfig().UnmarshalTo(down); err != nil {
				t.Fatal(err)
			}
		case envoyconfig.RouterFilterName:
			router = &routerv3.Router{}
			if err := f.GetTypedConfig().UnmarshalTo(router); err != nil {
				t.Fatal(err)
			}
		}
	}
	checkWasmLikeReference(t, "the policy's Wasm filter", down, ref.listenerWasm)

	// The upstream instance: the router's upstream filters, the module then
	// upstream_codec.
	uf := router.GetUpstreamHttpFilters()
	if len(uf) != 2 || uf[0].GetName() != envoyconfig.WasmFilterName || uf[1].GetName() != envoyconfig.UpstreamCodecFilterName ||
		!uf[1].GetTypedConfig().MessageIs(&upstreamcodecv3.UpstreamCodec{}) {
		t.Fatalf("router upstream_http_filters %v: want the module, then %s", uf, envoyconfig.UpstreamCodecFilterName)
	}
	up := &wasmfilterv3.Wasm{}
	if err := uf[0].GetTypedConfig().UnmarshalTo(up); err != nil {
		t.Fatal(err)
	}
	checkWasmLikeReference(t, "the upstream filter", up, ref.upstreamWasm)
	if g, w := up.GetConfig().GetVmConfig().GetVmId(), down.GetConfig().GetVmConfig().GetVmId(); g != w {
		t.Errorf("upstream vm_id %q, the policy's filter %q: shared data (key health) is keyed by vm_id", g, w)
	}
	if up.GetConfig().GetRootId() != down.GetConfig().GetRootId() {
		t.Errorf("upstream root_id %q, the policy's %q", up.GetConfig().GetRootId(), down.GetConfig().GetRootId())
	}
	checkPluginConfigs(t, "the policy's", down, up, ref)
	// Its code is the EnvoyProxy's image volume.
	mounts := m.proxy.Spec.Provider.Kubernetes.EnvoyDeployment.Container.VolumeMounts
	if len(mounts) != 1 {
		t.Fatalf("EnvoyProxy mounts %v, want the module's image volume", mounts)
	}
	if f, want := up.GetConfig().GetVmConfig().GetCode().GetLocal().GetFilename(), path.Join(mounts[0].MountPath, "plugin.wasm"); f != want {
		t.Errorf("upstream code %q, the image volume holds %s", f, want)
	}

	// The route: envoy.yaml's key failover.
	r := rc.GetVirtualHosts()[0].GetRoutes()[0].GetRoute()
	checkRetryLikeReference(t, "Envoy Gateway route", r.GetRetryPolicy(), ref.route.GetRoute().GetRetryPolicy())
	if !proto.Equal(r.GetRetryPolicy(), ref.route.GetRoute().GetRetryPolicy()) {
		t.Errorf("retry_policy %v, envoy.yaml %v", r.GetRetryPolicy(), ref.route.GetRoute().GetRetryPolicy())
	}
	if r.GetIdleTimeout().AsDuration() != ref.route.GetRoute().GetIdleTimeout().AsDuration() {
		t.Errorf("idle_timeout %v, envoy.yaml %v", r.GetIdleTimeout().AsDuration(), ref.route.GetRoute().GetIdleTimeout().AsDuration())
	}
	if r.GetTimeout().AsDuration() != ref.route.GetRoute().GetTimeout().AsDuration() {
		t.Errorf("HTTPRoute timeout %v, envoy.yaml %v", r.GetTimeout().AsDuration(), ref.route.GetRoute().GetTimeout().AsDuration())
	}
	if !rc.GetVirtualHosts()[0].GetIncludeAttemptCountInResponse() {
		t.Error("include_attempt_count_in_response not set on the virtual host")
	}
}

// TestEnvoyGatewayResourcesAgree checks the references between the
// manifests, the image pins, and the limits against envoy.yaml.
func TestEnvoyGatewayResourcesAgree(t *testing.T) {
	ref := loadReference(t)
	m := loadEG(t)
	gw := m.gateway
	gwRef := func(where string, group, kind, name string) {
		if group != gwapiv1.GroupName || kind != "Gateway" || name != gw.Name {
			t.Errorf("%s targets %s/%s %s, want the Gateway %s", where, group, kind, name, gw.Name)
		}
	}
	tr := m.eep.Spec.TargetRefs
	if len(tr) != 1 {
		t.Fatalf("EnvoyExtensionPolicy targetRefs %v", tr)
	}
	gwRef("EnvoyExtensionPolicy", string(tr[0].Group), string(tr[0].Kind), string(tr[0].Name))
	gwRef("EnvoyPatchPolicy", string(m.epp.Spec.TargetRef.Group), string(m.epp.Spec.TargetRef.Kind), string(m.epp.Spec.TargetRef.Name))
	gwRef("ClientTrafficPolicy", string(m.ctp.Spec.TargetRefs[0].Group), string(m.ctp.Spec.TargetRefs[0].Kind), string(m.ctp.Spec.TargetRefs[0].Name))
	if p := gw.Spec.Infrastructure.ParametersRef; p == nil || p.Kind != "EnvoyProxy" || p.Name != m.proxy.Name {
		t.Errorf("the Gateway's parametersRef %v, want the EnvoyProxy %s", p, m.proxy.Name)
	}
	if l := gw.Spec.Listeners[0]; l.Protocol != gwapiv1.HTTPSProtocolType || l.TLS == nil {
		t.Errorf("the Gateway must serve HTTPS (keys travel in headers), has %s", l.Protocol)
	}
	if pr := m.route.Spec.ParentRefs; len(pr) != 1 || string(pr[0].Name) != gw.Name {
		t.Errorf("HTTPRoute parentRefs %v, want the Gateway", pr)
	}
	rule := m.route.Spec.Rules[0]
	if b := rule.BackendRefs; len(b) != 1 || string(b[0].Name) != m.backend.Name || string(*b[0].Kind) != "Backend" {
		t.Errorf("HTTPRoute backendRefs %v, want the Backend %s", b, m.backend.Name)
	}
	if len(rule.Filters) != 1 || rule.Filters[0].URLRewrite == nil || string(*rule.Filters[0].URLRewrite.Hostname) != envoyconfig.GeminiHost {
		t.Errorf("HTTPRoute must rewrite the host to %s", envoyconfig.GeminiHost)
	}
	if ep := m.backend.Spec.Endpoints; len(ep) != 1 || ep[0].FQDN == nil || ep[0].FQDN.Hostname != envoyconfig.GeminiHost || ep[0].FQDN.Port != 443 {
		t.Errorf("Backend endpoints %v, want %s:443", ep, envoyconfig.GeminiHost)
	}
	v := m.tls.Spec.Validation
	if string(v.Hostname) != envoyconfig.GeminiHost || v.WellKnownCACertificates == nil || *v.WellKnownCACertificates != gwapiv1.WellKnownCACertificatesSystem ||
		len(m.tls.Spec.TargetRefs) != 1 || string(m.tls.Spec.TargetRefs[0].Name) != m.backend.Name {
		t.Errorf("BackendTLSPolicy %+v: want the Backend verified against the system CAs for %s", m.tls.Spec, envoyconfig.GeminiHost)
	}
	if btr := m.btp.Spec.TargetRefs; len(btr) != 1 || string(btr[0].Kind) != "HTTPRoute" || string(btr[0].Name) != m.route.Name {
		t.Errorf("BackendTrafficPolicy targets %v, want the HTTPRoute", btr)
	}

	// Limits: the circuit breakers and buffer limits of envoy.yaml.
	cb := m.btp.Spec.CircuitBreaker
	got := map[string]uint32{
		"max_connections":      uint32(*cb.MaxConnections),
		"max_pending_requests": uint32(*cb.MaxPendingRequests),
		"max_requests":         uint32(*cb.MaxParallelRequests),
		"max_retries":          uint32(*cb.MaxParallelRetries),
	}
	if !reflect.DeepEqual(got, ref.clusterLimits) {
		t.Errorf("BackendTrafficPolicy circuit breaker %v, envoy.yaml %v", got, ref.clusterLimits)
	}
	if b := m.ctp.Spec.Connection.BufferLimit.Value(); b != int64(ref.bufferLimit) {
		t.Errorf("ClientTrafficPolicy bufferLimit %d, envoy.yaml listener %d", b, ref.bufferLimit)
	}
	if b := m.btp.Spec.Connection.BufferLimit.Value(); b != int64(ref.bufferLimit) {
		t.Errorf("BackendTrafficPolicy bufferLimit %d, envoy.yaml cluster %d", b, ref.bufferLimit)
	}

	// The image: the same module for both placements, pinned.
	w := m.eep.Spec.Wasm[0]
	if w.Code.Type != egv1a1.ImageWasmCodeSourceType || w.Code.Image == nil {
		t.Fatalf("EnvoyExtensionPolicy code %+v, want an Image", w.Code)
	}
	if w.Code.Image.URL != placeholderImage || w.Code.Image.SHA256 == nil || *w.Code.Image.SHA256 != placeholderDigest {
		t.Errorf("EnvoyExtensionPolicy image %s sha256 %v, the other manifests use %s / %s", w.Code.Image.URL, w.Code.Image.SHA256, placeholderImage, placeholderDigest)
	}
	if w.Code.PullPolicy == nil {
		t.Error("EnvoyExtensionPolicy: set pullPolicy explicitly")
	}
	if w.FailOpen == nil || *w.FailOpen {
		t.Error("EnvoyExtensionPolicy: failOpen must be false (requests must not reach Google untranslated)")
	}
	if w.RootID == nil || *w.RootID != *ref.listenerWasmRootID() {
		t.Errorf("EnvoyExtensionPolicy rootID %v, envoy.yaml %s", w.RootID, *ref.listenerWasmRootID())
	}
	vols := m.proxy.Spec.Provider.Kubernetes.EnvoyDeployment.Pod.Volumes
	if len(vols) != 1 || vols[0].Image == nil {
		t.Fatalf("EnvoyProxy volumes %v, want one image volume", vols)
	}
	if r, want := vols[0].Image.Reference, placeholderImage+"@sha256:"+placeholderDigest; r != want {
		t.Errorf("image volume %s, want %s (the EnvoyExtensionPolicy's image)", r, want)
	}
	if vols[0].Name != m.proxy.Spec.Provider.Kubernetes.EnvoyDeployment.Container.VolumeMounts[0].Name {
		t.Error("the image volume is not the one mounted")
	}
}

func (r *reference) listenerWasmRootID() *string {
	s := r.listenerWasm.GetConfig().GetRootId()
	return &s
}

// failurePolicy is how Envoy Gateway turns an EnvoyExtensionPolicy's
// failOpen into the Wasm filter's failure policy.
func failurePolicy(failOpen *bool) wasmv3.FailurePolicy {
	if failOpen != nil && *failOpen {
		return wasmv3.FailurePolicy_FAIL_OPEN
	}
	return wasmv3.FailurePolicy_FAIL_CLOSED
}
