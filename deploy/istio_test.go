package deploy

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"

	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	endpointv3 "github.com/envoyproxy/go-control-plane/envoy/config/endpoint/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	upstreamcodecv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/upstream_codec/v3"
	wasmfilterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/wasm/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	previoushostsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/retry/host/previous_hosts/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
	extensions "istio.io/api/extensions/v1alpha1"
	networking "istio.io/api/networking/v1alpha3"

	"github.com/gemini-code-api/gemini-code-api/e2e/envoyconfig"
)

const istioDir = "istio"

// istioKinds maps each kind used to the API versions Istio serves it under
// and its field in istioManifests, whose type is Istio's spec type for it.
var istioKinds = map[string]docKind[istioManifests]{
	"ServiceEntry":    {[]string{"networking.istio.io/v1"}, func(m *istioManifests) any { return &m.se }},
	"DestinationRule": {[]string{"networking.istio.io/v1"}, func(m *istioManifests) any { return &m.dr }},
	"Gateway":         {[]string{"networking.istio.io/v1"}, func(m *istioManifests) any { return &m.gw }},
	"VirtualService":  {[]string{"networking.istio.io/v1"}, func(m *istioManifests) any { return &m.vs }},
	"EnvoyFilter":     {[]string{"networking.istio.io/v1alpha3"}, func(m *istioManifests) any { return &m.ef }},
}

// istioObject decodes an Istio object into spec (a proto.Message): the
// envelope strictly, the spec with protojson, and it must be named in a
// namespace.
func istioObject(js []byte, spec any) error {
	meta, err := protoObject(js, spec.(proto.Message))
	if err != nil {
		return err
	}
	if meta.Name == "" || meta.Namespace == "" {
		return errors.New("metadata needs name and namespace")
	}
	return nil
}

// decodeIstio decodes d into its field of m.
func decodeIstio(d doc, m *istioManifests) error {
	return decodeKind(d, istioDir, m, istioKinds, istioObject)
}

// istioManifests holds the decoded Istio manifests.
type istioManifests struct {
	se  *networking.ServiceEntry
	dr  *networking.DestinationRule
	gw  *networking.Gateway
	vs  *networking.VirtualService
	ef  *networking.EnvoyFilter
	doc map[string]doc
}

func loadIstio(t *testing.T) *istioManifests {
	t.Helper()
	m := &istioManifests{}
	m.doc = loadKinds(t, istioDir, m, istioKinds, istioObject)
	return m
}

// patches returns the Envoy value of each EnvoyFilter patch of that kind
// (applyTo), decoded into its Envoy type as Istio does (and strictly).
func (m *istioManifests) patches(t *testing.T, applyTo networking.EnvoyFilter_ApplyTo) []*networking.EnvoyFilter_EnvoyConfigObjectPatch {
	t.Helper()
	var out []*networking.EnvoyFilter_EnvoyConfigObjectPatch
	for _, p := range m.ef.GetConfigPatches() {
		if p.GetApplyTo() == applyTo {
			out = append(out, p)
		}
	}
	return out
}

// envoyTypes holds, for each applyTo of an EnvoyFilter patch, the Envoy
// message its value is (Istio: pilot/pkg/networking/core/envoyfilter, xds
// BuildXDSObjectFromStruct).
var envoyTypes = map[networking.EnvoyFilter_ApplyTo]func() proto.Message{
	networking.EnvoyFilter_LISTENER:         func() proto.Message { return &listenerv3.Listener{} },
	networking.EnvoyFilter_HTTP_FILTER:      func() proto.Message { return &hcmv3.HttpFilter{} },
	networking.EnvoyFilter_VIRTUAL_HOST:     func() proto.Message { return &routev3.VirtualHost{} },
	networking.EnvoyFilter_HTTP_ROUTE:       func() proto.Message { return &routev3.Route{} },
	networking.EnvoyFilter_CLUSTER:          func() proto.Message { return &clusterv3.Cluster{} },
	networking.EnvoyFilter_EXTENSION_CONFIG: func() proto.Message { return &corev3.TypedExtensionConfig{} },
}

// envoyTypeFor is a new Envoy message for a patch value of that applyTo.
func envoyTypeFor(applyTo networking.EnvoyFilter_ApplyTo) (proto.Message, error) {
	if mk, ok := envoyTypes[applyTo]; ok {
		return mk(), nil
	}
	return nil, fmt.Errorf("no Envoy type known for applyTo %v", applyTo)
}

func patchValue(t *testing.T, p *networking.EnvoyFilter_EnvoyConfigObjectPatch) proto.Message {
	t.Helper()
	m, err := envoyTypeFor(p.GetApplyTo())
	if err != nil {
		t.Fatal(err)
	}
	js, err := protojson.Marshal(p.GetPatch().GetValue())
	if err != nil {
		t.Fatal(err)
	}
	if err := envoyJSON(js, m); err != nil {
		t.Fatalf("%v patch: value is not a valid %s: %v", p.GetApplyTo(), m.ProtoReflect().Descriptor().FullName(), err)
	}
	return m
}

// istioMerge merges src into dst as Istio's EnvoyFilter MERGE does
// (istio pkg/proto/merge): proto.Merge semantics (lists appended, map
// entries replaced, messages merged), except that durations are replaced.
func istioMerge(dst, src proto.Message) {
	mergeMsg(dst.ProtoReflect(), src.ProtoReflect())
}

func mergeMsg(dst, src protoreflect.Message) {
	src.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList():
			dl := dst.Mutable(fd).List()
			for i := 0; i < v.List().Len(); i++ {
				if fd.Message() != nil {
					e := dl.NewElement()
					mergeMsg(e.Message(), v.List().Get(i).Message())
					dl.Append(e)
				} else {
					dl.Append(v.List().Get(i))
				}
			}
		case fd.IsMap():
			dm := dst.Mutable(fd).Map()
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				if fd.MapValue().Message() != nil {
					nv := dm.NewValue()
					mergeMsg(nv.Message(), mv.Message())
					dm.Set(k, nv)
				} else {
					dm.Set(k, mv)
				}
				return true
			})
		case fd.Message() != nil && fd.Message().FullName() == "google.protobuf.Duration":
			dst.Set(fd, protoreflect.ValueOfMessage(proto.Clone(v.Message().Interface()).ProtoReflect()))
		case fd.Message() != nil:
			mergeMsg(dst.Mutable(fd).Message(), v.Message())
		default:
			dst.Set(fd, v)
		}
		return true
	})
}

// istioRetryPolicy converts a VirtualService retry policy as Istio does
// (pilot/pkg/networking/core/route/retry/retry.go, ConvertPolicy): defaults
// (2 retries, Istio's retry_on, previous-hosts predicate, 5 host selection
// attempts), then attempts, retryOn (numbers become retriable status codes,
// and add retriable-status-codes), backoff as base_interval.
func istioRetryPolicy(t *testing.T, in *networking.HTTPRetry) *routev3.RetryPolicy {
	t.Helper()
	if in == nil || in.GetAttempts() <= 0 {
		t.Fatal("the VirtualService must carry a retry policy with attempts > 0 (attempts: 0 removes the route's retry policy, and with it key failover)")
	}
	prev, err := anypb.New(&previoushostsv3.PreviousHostsPredicate{})
	if err != nil {
		t.Fatal(err)
	}
	out := &routev3.RetryPolicy{
		NumRetries:                    wrapperspb.UInt32(uint32(in.GetAttempts())),
		RetryOn:                       "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes",
		HostSelectionRetryMaxAttempts: 5,
		RetryHostPredicate: []*routev3.RetryPolicy_RetryHostPredicate{{
			Name:       "envoy.retry_host_predicates.previous_hosts",
			ConfigType: &routev3.RetryPolicy_RetryHostPredicate_TypedConfig{TypedConfig: prev},
		}},
	}
	if in.GetRetryOn() != "" {
		var on []string
		var codes []uint32
		for _, part := range strings.Split(in.GetRetryOn(), ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			if n, err := strconv.Atoi(part); err == nil && http.StatusText(n) != "" {
				codes = append(codes, uint32(n))
			} else {
				on = append(on, part)
			}
		}
		out.RetryOn, out.RetriableStatusCodes = strings.Join(on, ","), codes
		if len(codes) > 0 && !strings.Contains(out.RetryOn, "retriable-status-codes") {
			out.RetryOn += ",retriable-status-codes"
		}
	}
	if in.GetPerTryTimeout() != nil {
		t.Error("the VirtualService sets perTryTimeout: thinking models may take minutes before the first byte (envoy.yaml sets none)")
	}
	if in.GetBackoff() != nil {
		out.RetryBackOff = &routev3.RetryPolicy_RetryBackOff{BaseInterval: durationpb.New(in.GetBackoff().AsDuration())}
	}
	return out
}

func TestIstioManifestsDecodeStrictly(t *testing.T) {
	loadIstio(t)
}

func TestIstioStrictDecodingRejectsTypos(t *testing.T) {
	m := loadIstio(t)
	for _, kind := range []string{"EnvoyFilter", "VirtualService"} {
		d := m.doc[kind]
		for _, typo := range []struct{ from, to string }{
			{`"spec":{`, `"spec":{"workloadSelectr":{},`},
			{`"metadata":{`, `"metadata":{"nmae":"x",`},
		} {
			bad := d
			bad.JSON = []byte(strings.Replace(string(d.JSON), typo.from, typo.to, 1))
			if string(bad.JSON) == string(d.JSON) {
				t.Fatalf("%v: could not inject %q", d, typo.to)
			}
			if err := decodeIstio(bad, &istioManifests{}); err == nil {
				t.Errorf("%v: accepted an unknown field (%s)", d, typo.to)
			}
		}
	}
	// And inside a patch: an unknown Envoy field must fail too.
	var p networking.EnvoyFilter_EnvoyConfigObjectPatch
	if err := protojson.Unmarshal([]byte(`{"applyTo":"CLUSTER","patch":{"operation":"MERGE","value":{"per_conection_buffer_limit_bytes":1}}}`), &p); err != nil {
		t.Fatal(err)
	}
	js, _ := protojson.Marshal(p.GetPatch().GetValue())
	if err := envoyJSON(js, &clusterv3.Cluster{}); err == nil {
		t.Error("an unknown field in a patch value was accepted")
	}
}

// TestIstioEnvoyFilterPatchesValidate decodes every patch value into its
// Envoy type and validates it: a complete value (ADD, INSERT_*) as it is, a
// MERGE after merging it into what Istio generates for that object.
func TestIstioEnvoyFilterPatchesValidate(t *testing.T) {
	m := loadIstio(t)
	bases := istioGenerated(t, m)
	for i, p := range m.ef.GetConfigPatches() {
		where := fmt.Sprintf("configPatches[%d] (%v %v)", i, p.GetApplyTo(), p.GetPatch().GetOperation())
		v := patchValue(t, p)
		if p.GetApplyTo() != networking.EnvoyFilter_EXTENSION_CONFIG && p.GetMatch().GetContext() != networking.EnvoyFilter_GATEWAY {
			t.Errorf("%s: match.context %v, want GATEWAY (the module runs on the gateway only)", where, p.GetMatch().GetContext())
		}
		switch p.GetPatch().GetOperation() {
		case networking.EnvoyFilter_Patch_MERGE:
			base, ok := bases[p.GetApplyTo()]
			if !ok {
				t.Fatalf("%s: no generated object to merge into", where)
			}
			merged := proto.Clone(base)
			istioMerge(merged, v)
			if err := validate(merged); err != nil {
				t.Errorf("%s: after the merge: %v", where, err)
			}
		case networking.EnvoyFilter_Patch_ADD, networking.EnvoyFilter_Patch_INSERT_BEFORE:
			if err := validate(v); err != nil {
				t.Errorf("%s: %v", where, err)
			}
		default:
			t.Errorf("%s: operation not covered by this test", where)
		}
	}
}

// istioGenerated builds, for each MERGE target, the object Istio generates
// from these manifests (only what the patches and Envoy's validation need).
func istioGenerated(t *testing.T, m *istioManifests) map[networking.EnvoyFilter_ApplyTo]proto.Message {
	t.Helper()
	host := m.se.GetHosts()[0]
	port := m.se.GetPorts()[0].GetNumber()
	clusterName := fmt.Sprintf("outbound|%d||%s", port, host)
	h1, _ := anypb.New(&httpv3.HttpProtocolOptions{})
	cluster := &clusterv3.Cluster{
		Name:                 clusterName,
		ClusterDiscoveryType: &clusterv3.Cluster_Type{Type: clusterv3.Cluster_STRICT_DNS},
		LoadAssignment: &endpointv3.ClusterLoadAssignment{ClusterName: clusterName, Endpoints: []*endpointv3.LocalityLbEndpoints{{
			LbEndpoints: []*endpointv3.LbEndpoint{{HostIdentifier: &endpointv3.LbEndpoint_Endpoint{Endpoint: &endpointv3.Endpoint{
				Address: &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
					Address: host, PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: port}}}}}}}},
		}}},
		TypedExtensionProtocolOptions: map[string]*anypb.Any{envoyconfig.HTTPProtocolOptionsKey: h1},
	}
	vs := m.vs.GetHttp()[0]
	route := &routev3.Route{
		Name:  vs.GetName(),
		Match: &routev3.RouteMatch{PathSpecifier: &routev3.RouteMatch_Prefix{Prefix: "/"}},
		Action: &routev3.Route_Route{Route: &routev3.RouteAction{
			ClusterSpecifier: &routev3.RouteAction_Cluster{Cluster: clusterName},
			Timeout:          durationpb.New(vs.GetTimeout().AsDuration()),
			RetryPolicy:      istioRetryPolicy(t, vs.GetRetries()),
		}},
	}
	server := m.gw.GetServers()[0]
	vhost := &routev3.VirtualHost{
		Name:    fmt.Sprintf("%s:%d", server.GetHosts()[0], server.GetPort().GetNumber()),
		Domains: []string{server.GetHosts()[0], server.GetHosts()[0] + ":*"},
		Routes:  []*routev3.Route{route},
	}
	listener := &listenerv3.Listener{
		Name: fmt.Sprintf("0.0.0.0_%d", server.GetPort().GetNumber()),
		Address: &corev3.Address{Address: &corev3.Address_SocketAddress{SocketAddress: &corev3.SocketAddress{
			Address: "0.0.0.0", PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: server.GetPort().GetNumber()}}}},
	}
	return map[networking.EnvoyFilter_ApplyTo]proto.Message{
		networking.EnvoyFilter_CLUSTER:      cluster,
		networking.EnvoyFilter_HTTP_ROUTE:   route,
		networking.EnvoyFilter_VIRTUAL_HOST: vhost,
		networking.EnvoyFilter_LISTENER:     listener,
	}
}

// extensionConfigs returns the EnvoyFilter's ECDS resources by name.
func extensionConfigs(t *testing.T, m *istioManifests) map[string]*wasmfilterv3.Wasm {
	t.Helper()
	out := map[string]*wasmfilterv3.Wasm{}
	for _, p := range m.patches(t, networking.EnvoyFilter_EXTENSION_CONFIG) {
		if p.GetPatch().GetOperation() != networking.EnvoyFilter_Patch_ADD {
			t.Errorf("EXTENSION_CONFIG patches must ADD (Istio ignores other operations)")
		}
		ec := patchValue(t, p).(*corev3.TypedExtensionConfig)
		w := &wasmfilterv3.Wasm{}
		if err := ec.GetTypedConfig().UnmarshalTo(w); err != nil {
			t.Fatalf("extension config %q: %v", ec.GetName(), err)
		}
		out[ec.GetName()] = w
	}
	return out
}

// ecdsName returns the ECDS resource an HTTP filter is configured from.
func ecdsName(t *testing.T, where string, f *hcmv3.HttpFilter) string {
	t.Helper()
	cd := f.GetConfigDiscovery()
	if cd == nil {
		t.Fatalf("%s: filter %q is not configured from ECDS", where, f.GetName())
	}
	if !contains(cd.GetTypeUrls(), "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm") {
		t.Errorf("%s: type_urls %v lack the Wasm filter", where, cd.GetTypeUrls())
	}
	if cd.GetConfigSource().GetAds() == nil {
		t.Errorf("%s: config_source must be ADS (Istio serves ECDS on the ADS stream)", where)
	}
	if cd.GetConfigSource().GetInitialFetchTimeout().AsDuration() != 0 {
		t.Errorf("%s: initial_fetch_timeout must be 0s: wait for the module rather than run without it", where)
	}
	return f.GetName()
}

// TestIstioModuleMatchesEnvoyYAML checks the two placements against
// envoy.yaml: the same settings, one VM configuration shared by both, the
// configuration plus "role": "upstream" upstream, and each filter configured
// from its ECDS resource.
func TestIstioModuleMatchesEnvoyYAML(t *testing.T) {
	ref := loadReference(t)
	m := loadIstio(t)
	ecs := extensionConfigs(t, m)

	// The listener filter: before the router, from ECDS.
	filters := m.patches(t, networking.EnvoyFilter_HTTP_FILTER)
	if len(filters) != 1 {
		t.Fatalf("want one HTTP_FILTER patch, have %d", len(filters))
	}
	fp := filters[0]
	if fp.GetPatch().GetOperation() != networking.EnvoyFilter_Patch_INSERT_BEFORE ||
		fp.GetMatch().GetListener().GetFilterChain().GetFilter().GetSubFilter().GetName() != envoyconfig.RouterFilterName {
		t.Errorf("the listener filter must be inserted before %s", envoyconfig.RouterFilterName)
	}
	downName := ecdsName(t, "HTTP_FILTER", patchValue(t, fp).(*hcmv3.HttpFilter))

	// The upstream filter: the cluster's first upstream HTTP filter, from
	// ECDS, then upstream_codec.
	clusters := m.patches(t, networking.EnvoyFilter_CLUSTER)
	if len(clusters) != 1 {
		t.Fatalf("want one CLUSTER patch, have %d", len(clusters))
	}
	cm := clusters[0].GetMatch().GetCluster()
	if cm.GetService() != envoyconfig.GeminiHost || cm.GetPortNumber() != m.se.GetPorts()[0].GetNumber() {
		t.Errorf("CLUSTER patch matches %s:%d, want the ServiceEntry's %s:%d", cm.GetService(), cm.GetPortNumber(), envoyconfig.GeminiHost, m.se.GetPorts()[0].GetNumber())
	}
	cl := patchValue(t, clusters[0]).(*clusterv3.Cluster)
	hpo, err := envoyconfig.HTTPOptions(cl)
	if err != nil || hpo == nil {
		t.Fatalf("CLUSTER patch: no HttpProtocolOptions (%v)", err)
	}
	hf := hpo.GetHttpFilters()
	if len(hf) != 2 || hf[1].GetName() != envoyconfig.UpstreamCodecFilterName || !hf[1].GetTypedConfig().MessageIs(&upstreamcodecv3.UpstreamCodec{}) {
		t.Fatalf("cluster upstream filters %v: want the module, then %s", hf, envoyconfig.UpstreamCodecFilterName)
	}
	upName := ecdsName(t, "CLUSTER http_filters[0]", hf[0])
	if cl.GetPerConnectionBufferLimitBytes().GetValue() != ref.bufferLimit {
		t.Errorf("cluster per_connection_buffer_limit_bytes %d, envoy.yaml %d", cl.GetPerConnectionBufferLimitBytes().GetValue(), ref.bufferLimit)
	}
	// The MERGE replaces the HttpProtocolOptions entry, so it must select the
	// upstream protocol as envoy.yaml's cluster does.
	refCluster := func() *httpv3.HttpProtocolOptions {
		b, _ := envoyconfig.LoadDefault()
		c, _ := envoyconfig.Cluster(b, envoyconfig.ClusterName)
		o, _ := envoyconfig.HTTPOptions(c)
		return o
	}()
	if !proto.Equal(hpo.GetAutoConfig(), refCluster.GetAutoConfig()) {
		t.Errorf("cluster auto_config %v, envoy.yaml %v", hpo.GetAutoConfig(), refCluster.GetAutoConfig())
	}

	down, up := ecs[downName], ecs[upName]
	if down == nil || up == nil || len(ecs) != 2 {
		t.Fatalf("ECDS resources %v: want %q (listener) and %q (cluster)", keys(ecs), downName, upName)
	}
	checkWasmLikeReference(t, "listener ECDS "+downName, down, ref.listenerWasm)
	checkWasmLikeReference(t, "upstream ECDS "+upName, up, ref.upstreamWasm)
	if !proto.Equal(down.GetConfig().GetVmConfig(), up.GetConfig().GetVmConfig()) {
		t.Errorf("the two placements' vm_config differ; they must be identical to share one VM and its key records:\n%v\n%v", down.GetConfig().GetVmConfig(), up.GetConfig().GetVmConfig())
	}
	if down.GetConfig().GetVmConfig().GetVmId() == "" {
		t.Error("vm_id is empty: every other plugin with an empty vm_id would share the key records' namespace")
	}
	if down.GetConfig().GetName() == up.GetConfig().GetName() {
		t.Errorf("both placements are named %q; the names tell them apart in logs and stats", down.GetConfig().GetName())
	}

	// Code: fetched by the istio-agent from the registry, digest-pinned.
	remote := down.GetConfig().GetVmConfig().GetCode().GetRemote()
	u, err := url.Parse(remote.GetHttpUri().GetUri())
	if err != nil || u.Scheme != "oci" {
		t.Fatalf("code uri %q: want oci://registry/repository:tag (the istio-agent pulls it)", remote.GetHttpUri().GetUri())
	}
	if u.Host+u.Path != placeholderImage {
		t.Errorf("image %s, the other manifests use %s", u.Host+u.Path, placeholderImage)
	}
	if !sha256Hex.MatchString(remote.GetSha256()) {
		t.Errorf("sha256 %q: want the image's manifest digest, 64 hex digits without sha256:", remote.GetSha256())
	}
	if remote.GetSha256() != placeholderDigest {
		t.Errorf("sha256 %s, the other manifests use %s", remote.GetSha256(), placeholderDigest)
	}
	env := down.GetConfig().GetVmConfig().GetEnvironmentVariables().GetKeyValues()
	if p := env["ISTIO_META_WASM_IMAGE_PULL_POLICY"]; p != "IfNotPresent" && p != "Always" {
		t.Errorf("ISTIO_META_WASM_IMAGE_PULL_POLICY = %q, want IfNotPresent or Always (the values the istio-agent knows)", p)
	}

	// Plugin configurations: the listener's as envoy.yaml's, the upstream's
	// the same plus "role": "upstream".
	checkPluginConfigs(t, "listener", down, up, ref)

	// The listener's request buffer limit.
	ls := m.patches(t, networking.EnvoyFilter_LISTENER)
	if len(ls) != 1 {
		t.Fatalf("want one LISTENER patch, have %d", len(ls))
	}
	if got := patchValue(t, ls[0]).(*listenerv3.Listener).GetPerConnectionBufferLimitBytes().GetValue(); got != ref.bufferLimit {
		t.Errorf("listener per_connection_buffer_limit_bytes %d, envoy.yaml %d", got, ref.bufferLimit)
	}
	if p := ls[0].GetMatch().GetListener().GetPortNumber(); p != m.gw.GetServers()[0].GetPort().GetNumber() {
		t.Errorf("LISTENER patch matches port %d, the Gateway serves %d", p, m.gw.GetServers()[0].GetPort().GetNumber())
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestIstioRouteMatchesEnvoyYAML derives the gateway's route as Istio would
// (the VirtualService's retry policy, then the EnvoyFilter's HTTP_ROUTE and
// VIRTUAL_HOST merges) and compares it with envoy.yaml's route.
func TestIstioRouteMatchesEnvoyYAML(t *testing.T) {
	ref := loadReference(t)
	m := loadIstio(t)
	gen := istioGenerated(t, m)

	route := proto.Clone(gen[networking.EnvoyFilter_HTTP_ROUTE]).(*routev3.Route)
	rp := m.patches(t, networking.EnvoyFilter_HTTP_ROUTE)
	if len(rp) != 1 {
		t.Fatalf("want one HTTP_ROUTE patch, have %d", len(rp))
	}
	if n := rp[0].GetMatch().GetRouteConfiguration().GetVhost().GetRoute().GetName(); n != route.GetName() || n == "" {
		t.Errorf("HTTP_ROUTE patch matches route %q, the VirtualService's route is %q", n, route.GetName())
	}
	istioMerge(route, patchValue(t, rp[0]))
	if err := validate(route); err != nil {
		t.Fatal(err)
	}
	checkRetryLikeReference(t, "Istio route", route.GetRoute().GetRetryPolicy(), ref.route.GetRoute().GetRetryPolicy())
	if got, want := route.GetRoute().GetTimeout().AsDuration(), ref.route.GetRoute().GetTimeout().AsDuration(); got != want {
		t.Errorf("route timeout %v, envoy.yaml %v", got, want)
	}
	if got, want := route.GetRoute().GetIdleTimeout().AsDuration(), ref.route.GetRoute().GetIdleTimeout().AsDuration(); got != want {
		t.Errorf("route idle_timeout %v, envoy.yaml %v", got, want)
	}
	if a := m.vs.GetHttp()[0].GetRewrite().GetAuthority(); a != envoyconfig.GeminiHost {
		t.Errorf("VirtualService rewrites the authority to %q, want %s", a, envoyconfig.GeminiHost)
	}

	vhost := proto.Clone(gen[networking.EnvoyFilter_VIRTUAL_HOST]).(*routev3.VirtualHost)
	vp := m.patches(t, networking.EnvoyFilter_VIRTUAL_HOST)
	if len(vp) != 1 {
		t.Fatalf("want one VIRTUAL_HOST patch, have %d", len(vp))
	}
	if n := vp[0].GetMatch().GetRouteConfiguration().GetVhost().GetName(); n != vhost.GetName() {
		t.Errorf("VIRTUAL_HOST patch matches %q, Istio names the gateway's virtual host %q", n, vhost.GetName())
	}
	istioMerge(vhost, patchValue(t, vp[0]))
	if vhost.GetIncludeAttemptCountInResponse() != ref.vhost.GetIncludeAttemptCountInResponse() {
		t.Errorf("include_attempt_count_in_response %v, envoy.yaml %v", vhost.GetIncludeAttemptCountInResponse(), ref.vhost.GetIncludeAttemptCountInResponse())
	}

	// CORS: the same headers allowed as envoy.yaml.
	got := append([]string(nil), m.vs.GetHttp()[0].GetCorsPolicy().GetAllowHeaders()...)
	if fmt.Sprint(splitList(strings.Join(got, ","))) != fmt.Sprint(ref.cors) {
		t.Errorf("CORS allowHeaders %v, envoy.yaml %v", splitList(strings.Join(got, ",")), ref.cors)
	}
}

// TestIstioMeshResourcesAgree checks the names that tie the manifests
// together, and the cluster's limits against envoy.yaml.
func TestIstioMeshResourcesAgree(t *testing.T) {
	ref := loadReference(t)
	m := loadIstio(t)
	if !reflect.DeepEqual(m.ef.GetWorkloadSelector().GetLabels(), m.gw.GetSelector()) {
		t.Errorf("EnvoyFilter selects %v, the Gateway runs on %v", m.ef.GetWorkloadSelector().GetLabels(), m.gw.GetSelector())
	}
	if h := m.se.GetHosts(); len(h) != 1 || h[0] != envoyconfig.GeminiHost || m.dr.GetHost() != envoyconfig.GeminiHost {
		t.Errorf("ServiceEntry hosts %v, DestinationRule host %q; want %s", h, m.dr.GetHost(), envoyconfig.GeminiHost)
	}
	dest := m.vs.GetHttp()[0].GetRoute()[0].GetDestination()
	if dest.GetHost() != envoyconfig.GeminiHost || dest.GetPort().GetNumber() != m.se.GetPorts()[0].GetNumber() {
		t.Errorf("VirtualService routes to %s:%d, not the ServiceEntry", dest.GetHost(), dest.GetPort().GetNumber())
	}
	if !contains(m.vs.GetGateways(), m.doc["Gateway"].Name) {
		t.Errorf("VirtualService gateways %v lack %s", m.vs.GetGateways(), m.doc["Gateway"].Name)
	}
	tls := m.dr.GetTrafficPolicy().GetTls()
	if tls.GetMode() != networking.ClientTLSSettings_SIMPLE || tls.GetSni() != envoyconfig.GeminiHost || !contains(tls.GetSubjectAltNames(), envoyconfig.GeminiHost) {
		t.Errorf("DestinationRule TLS %v: want SIMPLE origination to %s, verifying that name", tls, envoyconfig.GeminiHost)
	}
	if s := m.gw.GetServers()[0]; s.GetTls().GetMode() != networking.ServerTLSSettings_SIMPLE {
		t.Errorf("the Gateway must serve HTTPS (keys travel in headers), has %v", s.GetTls())
	}
	// Istio's connection pool → the cluster's circuit breaker thresholds
	// (pilot applyConnectionPool): tcp.maxConnections, http1MaxPendingRequests,
	// http2MaxRequests, maxRetries.
	cp := m.dr.GetTrafficPolicy().GetConnectionPool()
	got := map[string]uint32{
		"max_connections":      uint32(cp.GetTcp().GetMaxConnections()),
		"max_pending_requests": uint32(cp.GetHttp().GetHttp1MaxPendingRequests()),
		"max_requests":         uint32(cp.GetHttp().GetHttp2MaxRequests()),
		"max_retries":          uint32(cp.GetHttp().GetMaxRetries()),
	}
	if !reflect.DeepEqual(got, ref.clusterLimits) {
		t.Errorf("DestinationRule limits %v, envoy.yaml %v", got, ref.clusterLimits)
	}
	// The VirtualService's attempts: the module's default max_attempts - 1.
	if a := m.vs.GetHttp()[0].GetRetries().GetAttempts(); a != 4 {
		t.Errorf("retries.attempts %d, want 4 (key_pool.max_attempts 5 - 1)", a)
	}
	js, _ := json.Marshal(got)
	t.Logf("cluster limits %s", js)
}

// TestIstioWasmPluginLacksStopIteration records why deploy/istio places the
// module with an EnvoyFilter instead of a WasmPlugin: the WasmPlugin API has
// no allow_on_headers_stop_iteration. If a newer istio.io/api adds it, this
// fails, and a WasmPlugin may replace the EXTENSION_CONFIG resources.
func TestIstioWasmPluginLacksStopIteration(t *testing.T) {
	fields := (&extensions.WasmPlugin{}).ProtoReflect().Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		if n := string(fields.Get(i).Name()); strings.Contains(n, "stop_iteration") || strings.Contains(n, "allow_on_headers") {
			t.Errorf("istio.io/api WasmPlugin now has %q: reconsider a WasmPlugin for the listener placement (README \"Why an EnvoyFilter\")", n)
		}
	}
}
