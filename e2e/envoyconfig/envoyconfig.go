// Package envoyconfig loads the repository's envoy.yaml into the typed Envoy
// v3 API (go-control-plane) and gives access to the parts of it that the
// project relies on. It is shared by the config validation test and by the
// real-Envoy test runner (e2e/realenvoy), which derives its config from the
// same file.
//
// Parsing follows what Envoy itself does with a YAML bootstrap: YAML is turned
// into JSON, the JSON into the Bootstrap proto (unknown fields are errors),
// and the proto-validate rules are applied. Typed configs (Any) resolve only
// for the extensions blank-imported below; add an import when envoy.yaml gains
// a new typed_config.
package envoyconfig

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	streamv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/stream/v3"
	wasmfilterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/wasm/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	tlsv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	httpv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
	"sigs.k8s.io/yaml"

	// Extensions referenced by typed_config in envoy.yaml. Importing a package
	// registers its message types, so protojson can resolve the Any.
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/access_loggers/stream/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/cors/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/upstream_codec/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/wasm/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/resource_monitors/downstream_connections/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/resource_monitors/fixed_heap/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
)

// Names used in envoy.yaml that the project depends on.
const (
	HCMFilterName    = "envoy.filters.network.http_connection_manager"
	CORSFilterName   = "envoy.filters.http.cors"
	WasmFilterName   = "envoy.filters.http.wasm"
	RouterFilterName = "envoy.filters.http.router"
	// UpstreamCodecFilterName must end a cluster's upstream HTTP filters.
	UpstreamCodecFilterName = "envoy.filters.http.upstream_codec"
	// UpstreamPluginName is config.name of the Wasm filter the gemini
	// cluster runs per attempt (its root_id is PluginName).
	UpstreamPluginName = "gemini-code-api-upstream"
	// KeysProperty is the filter state holding a request's keys; no
	// access log may name it.
	KeysProperty  = "wasm.gca_keys"
	PluginName    = "gemini-code-api" // config.name and config.root_id of the Wasm filter
	ClusterName   = "gemini"
	GeminiHost    = "generativelanguage.googleapis.com"
	WasmRuntimeV8 = "envoy.wasm.runtime.v8"
	// HTTPProtocolOptionsKey is the typed_extension_protocol_options key for
	// upstream HTTP protocol selection on a cluster.
	HTTPProtocolOptionsKey = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"
)

// RepoRoot returns the repository root (the directory holding go.mod),
// located from this source file so it works from any test's working directory.
func RepoRoot() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("envoyconfig: cannot locate source file")
	}
	dir := filepath.Dir(file)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("envoyconfig: no go.mod above %s", filepath.Dir(file))
		}
		dir = parent
	}
}

// DefaultPath is the absolute path of the repository's envoy.yaml.
func DefaultPath() (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "envoy.yaml"), nil
}

// LoadDefault loads the repository's envoy.yaml (DefaultPath, Load).
func LoadDefault() (*bootstrapv3.Bootstrap, error) {
	path, err := DefaultPath()
	if err != nil {
		return nil, err
	}
	return Load(path)
}

// LoadDefaultHCM loads the repository's envoy.yaml and its listener's HTTP
// connection manager.
func LoadDefaultHCM() (*bootstrapv3.Bootstrap, *hcmv3.HttpConnectionManager, error) {
	b, err := LoadDefault()
	if err != nil {
		return nil, nil, err
	}
	h, err := HCM(b)
	return b, h, err
}

// Parse converts YAML (or JSON, which is YAML) into a Bootstrap. Unknown
// fields and unresolvable typed_config types are errors. It does not apply
// the validation rules: see Validate.
func Parse(data []byte) (*bootstrapv3.Bootstrap, error) {
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, fmt.Errorf("envoyconfig: YAML: %w", err)
	}
	b := &bootstrapv3.Bootstrap{}
	if err := (protojson.UnmarshalOptions{}).Unmarshal(js, b); err != nil {
		return nil, fmt.Errorf("envoyconfig: bootstrap: %w", err)
	}
	return b, nil
}

// Validate applies the API's proto-validate rules to b and to every
// typed_config (Any) inside it, at any depth. The generated ValidateAll stops
// at Any fields, so on its own it would not check the HTTP connection
// manager, the filters, the TLS context and so on.
func Validate(b *bootstrapv3.Bootstrap) error {
	if err := validateTree(b, "bootstrap"); err != nil {
		return fmt.Errorf("envoyconfig: validation: %w", err)
	}
	return nil
}

type validator interface{ ValidateAll() error }

// validateTree validates m, then every message packed in an Any below it.
func validateTree(m proto.Message, where string) error {
	if v, ok := m.(validator); ok {
		if err := v.ValidateAll(); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
	}
	var errs []error
	walkAnys(m.ProtoReflect(), where, func(a *anypb.Any, at string) {
		inner, err := a.UnmarshalNew()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", at, err))
			return
		}
		if err := validateTree(inner, at+"<"+a.GetTypeUrl()+">"); err != nil {
			errs = append(errs, err)
		}
	})
	return errors.Join(errs...)
}

// walkAnys calls fn for each Any directly reachable from m (not descending
// into the Anys themselves).
func walkAnys(m protoreflect.Message, where string, fn func(*anypb.Any, string)) {
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		at := where + "." + string(fd.Name())
		visit := func(mv protoreflect.Message, at string) {
			if a, ok := mv.Interface().(*anypb.Any); ok {
				fn(a, at)
				return
			}
			walkAnys(mv, at, fn)
		}
		switch {
		case fd.IsList() && fd.Message() != nil:
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				visit(l.Get(i).Message(), fmt.Sprintf("%s[%d]", at, i))
			}
		case fd.IsMap() && fd.MapValue().Message() != nil:
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				visit(mv.Message(), fmt.Sprintf("%s[%s]", at, k.String()))
				return true
			})
		case !fd.IsList() && !fd.IsMap() && fd.Message() != nil:
			visit(v.Message(), at)
		}
		return true
	})
}

// Load reads, parses and validates the file at path.
func Load(path string) (*bootstrapv3.Bootstrap, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	b, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := Validate(b); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}

// Marshal renders b as indented JSON with proto field names, a form Envoy
// loads with -c (JSON is accepted as YAML too).
func Marshal(b *bootstrapv3.Bootstrap) ([]byte, error) {
	return protojson.MarshalOptions{Multiline: true, Indent: "  ", UseProtoNames: true}.Marshal(b)
}

// Listener returns the single static listener.
func Listener(b *bootstrapv3.Bootstrap) (*listenerv3.Listener, error) {
	ls := b.GetStaticResources().GetListeners()
	if len(ls) != 1 {
		return nil, fmt.Errorf("envoyconfig: want exactly 1 static listener, have %d", len(ls))
	}
	return ls[0], nil
}

// HCM returns the listener's HTTP connection manager, decoded.
func HCM(b *bootstrapv3.Bootstrap) (*hcmv3.HttpConnectionManager, error) {
	l, err := Listener(b)
	if err != nil {
		return nil, err
	}
	for _, fc := range l.GetFilterChains() {
		for _, f := range fc.GetFilters() {
			if f.GetName() != HCMFilterName {
				continue
			}
			h := &hcmv3.HttpConnectionManager{}
			if err := f.GetTypedConfig().UnmarshalTo(h); err != nil {
				return nil, fmt.Errorf("envoyconfig: %s: %w", HCMFilterName, err)
			}
			return h, nil
		}
	}
	return nil, fmt.Errorf("envoyconfig: listener %q has no %s", l.GetName(), HCMFilterName)
}

// SetHCM re-encodes h into the listener's HTTP connection manager filter.
func SetHCM(b *bootstrapv3.Bootstrap, h *hcmv3.HttpConnectionManager) error {
	l, err := Listener(b)
	if err != nil {
		return err
	}
	for _, fc := range l.GetFilterChains() {
		for _, f := range fc.GetFilters() {
			if f.GetName() != HCMFilterName {
				continue
			}
			return f.GetTypedConfig().MarshalFrom(h)
		}
	}
	return fmt.Errorf("envoyconfig: listener %q has no %s", l.GetName(), HCMFilterName)
}

// HTTPFilterNames lists the HTTP filter chain in order.
func HTTPFilterNames(h *hcmv3.HttpConnectionManager) []string {
	var names []string
	for _, f := range h.GetHttpFilters() {
		names = append(names, f.GetName())
	}
	return names
}

// WasmFilter returns the decoded Wasm filter config and its index in the HTTP
// filter chain.
func WasmFilter(h *hcmv3.HttpConnectionManager) (*wasmfilterv3.Wasm, int, error) {
	for i, f := range h.GetHttpFilters() {
		if f.GetName() != WasmFilterName {
			continue
		}
		w := &wasmfilterv3.Wasm{}
		if err := f.GetTypedConfig().UnmarshalTo(w); err != nil {
			return nil, i, fmt.Errorf("envoyconfig: %s: %w", WasmFilterName, err)
		}
		return w, i, nil
	}
	return nil, -1, fmt.Errorf("envoyconfig: no %s in the HTTP filter chain", WasmFilterName)
}

// SetWasmFilter re-encodes w into the HTTP filter chain's Wasm filter.
func SetWasmFilter(h *hcmv3.HttpConnectionManager, w *wasmfilterv3.Wasm) error {
	for _, f := range h.GetHttpFilters() {
		if f.GetName() == WasmFilterName {
			return f.GetTypedConfig().MarshalFrom(w)
		}
	}
	return fmt.Errorf("envoyconfig: no %s in the HTTP filter chain", WasmFilterName)
}

// Cluster returns the static cluster called name.
func Cluster(b *bootstrapv3.Bootstrap, name string) (*clusterv3.Cluster, error) {
	for _, c := range b.GetStaticResources().GetClusters() {
		if c.GetName() == name {
			return c, nil
		}
	}
	return nil, fmt.Errorf("envoyconfig: no cluster %q", name)
}

// UpstreamTLS decodes the cluster's TLS transport socket, or returns nil, nil
// when the cluster has no transport socket (plain text).
func UpstreamTLS(c *clusterv3.Cluster) (*tlsv3.UpstreamTlsContext, error) {
	ts := c.GetTransportSocket()
	if ts == nil {
		return nil, nil
	}
	t := &tlsv3.UpstreamTlsContext{}
	if err := ts.GetTypedConfig().UnmarshalTo(t); err != nil {
		return nil, fmt.Errorf("envoyconfig: cluster %q transport socket: %w", c.GetName(), err)
	}
	return t, nil
}

// AccessLogFormats returns every format string of the HTTP connection
// manager's access logs (each value of a json_format, or the text format), so
// callers can check what gets logged. Access loggers other than stdout/stderr
// are reported as an error rather than skipped.
func AccessLogFormats(h *hcmv3.HttpConnectionManager) ([]string, error) {
	var out []string
	for _, al := range h.GetAccessLog() {
		var f *corev3.SubstitutionFormatString
		switch tc := al.GetTypedConfig(); {
		case tc.MessageIs(&streamv3.StdoutAccessLog{}):
			m := &streamv3.StdoutAccessLog{}
			if err := tc.UnmarshalTo(m); err != nil {
				return nil, err
			}
			f = m.GetLogFormat()
		case tc.MessageIs(&streamv3.StderrAccessLog{}):
			m := &streamv3.StderrAccessLog{}
			if err := tc.UnmarshalTo(m); err != nil {
				return nil, err
			}
			f = m.GetLogFormat()
		default:
			return nil, fmt.Errorf("envoyconfig: access log %q: unchecked type %s", al.GetName(), tc.GetTypeUrl())
		}
		if f == nil { // Envoy's default text format
			out = append(out, "<default format>")
			continue
		}
		//lint:ignore SA1019 a deprecated text_format still writes the log, so it is checked too
		if s := f.GetTextFormat(); s != "" {
			out = append(out, s)
		}
		if s := f.GetTextFormatSource().GetInlineString(); s != "" {
			out = append(out, s)
		}
		if js := f.GetJsonFormat(); js != nil {
			out = appendStructStrings(out, structpb.NewStructValue(js))
		}
	}
	return out, nil
}

func appendStructStrings(out []string, v *structpb.Value) []string {
	switch k := v.GetKind().(type) {
	case *structpb.Value_StringValue:
		out = append(out, k.StringValue)
	case *structpb.Value_StructValue:
		for _, f := range k.StructValue.GetFields() {
			out = appendStructStrings(out, f)
		}
	case *structpb.Value_ListValue:
		for _, e := range k.ListValue.GetValues() {
			out = appendStructStrings(out, e)
		}
	}
	return out
}

// AccessLogJSONFields returns the fields of the stdout access log's
// json_format, by name (nested objects are not used by envoy.yaml and are
// reported as an error).
func AccessLogJSONFields(h *hcmv3.HttpConnectionManager) (map[string]string, error) {
	for _, al := range h.GetAccessLog() {
		tc := al.GetTypedConfig()
		if !tc.MessageIs(&streamv3.StdoutAccessLog{}) {
			continue
		}
		m := &streamv3.StdoutAccessLog{}
		if err := tc.UnmarshalTo(m); err != nil {
			return nil, err
		}
		out := map[string]string{}
		for k, v := range m.GetLogFormat().GetJsonFormat().GetFields() {
			sv, ok := v.GetKind().(*structpb.Value_StringValue)
			if !ok {
				return nil, fmt.Errorf("envoyconfig: access log field %q is not a string", k)
			}
			out[k] = sv.StringValue
		}
		return out, nil
	}
	return nil, errors.New("envoyconfig: no stdout access log")
}

// StatsTag is a bootstrap stats_config.stats_tags entry with a regex.
type StatsTag struct{ Name, Regex string }

// StatsTags returns the bootstrap's stats_tags, in order. Entries with a
// fixed value (no regex) are reported as an error: envoy.yaml has none.
func StatsTags(b *bootstrapv3.Bootstrap) ([]StatsTag, error) {
	var out []StatsTag
	for _, t := range b.GetStatsConfig().GetStatsTags() {
		if t.GetRegex() == "" {
			return nil, fmt.Errorf("envoyconfig: stats tag %q has no regex", t.GetTagName())
		}
		out = append(out, StatsTag{Name: t.GetTagName(), Regex: t.GetRegex()})
	}
	return out, nil
}

// KeyHeaders are the request headers that can carry an API key; none may
// appear in an access log format.
var KeyHeaders = []string{"authorization", "x-api-key", "x-goog-api-key"}

// AccessLogLeaks lists the format strings that could write an API key to the
// log: any mention of a key-bearing header (whatever the command operator),
// and any form of the request path that keeps its query string (?key=...).
func AccessLogLeaks(formats []string) []string {
	var leaks []string
	for _, s := range formats {
		ls := strings.ToLower(s)
		for _, h := range KeyHeaders {
			if strings.Contains(ls, h) {
				leaks = append(leaks, fmt.Sprintf("%q mentions header %s", s, h))
			}
		}
		if strings.Contains(ls, "gca_keys") {
			leaks = append(leaks, fmt.Sprintf("%q logs %s, the request's keys", s, KeysProperty))
		}
		if s == "<default format>" {
			leaks = append(leaks, "default access log format logs the full path with its query")
		}
		for _, p := range pathOperators(ls) {
			leaks = append(leaks, fmt.Sprintf("%q logs the path with its query (%s); use %%PATH(NQ:PATH)%%", s, p))
		}
	}
	return leaks
}

// pathOperators finds command operators in a lower-cased format string that
// print the request path including its query.
func pathOperators(ls string) []string {
	var found []string
	// %REQ(...:path...)% and %REQ(x-envoy-original-path...)% keep the query.
	for rest := ls; ; {
		i := strings.Index(rest, "%req(")
		if i < 0 {
			break
		}
		rest = rest[i+len("%req("):]
		end := strings.Index(rest, ")")
		if end < 0 {
			break
		}
		arg := rest[:end]
		if strings.Contains(arg, ":path") || strings.Contains(arg, "original-path") {
			found = append(found, "%REQ("+arg+")%")
		}
	}
	// %PATH%, %PATH(WQ...)% and %PATH(:...)% keep the query; only NQ strips it.
	for rest := ls; ; {
		i := strings.Index(rest, "%path")
		if i < 0 {
			break
		}
		rest = rest[i+len("%path"):]
		if !strings.HasPrefix(rest, "(nq") {
			found = append(found, "%PATH"+firstToken(rest))
		}
	}
	// %QUERY_PARAM(key)% is the Gemini key itself.
	for rest := ls; ; {
		i := strings.Index(rest, "%query_param(")
		if i < 0 {
			break
		}
		rest = rest[i+len("%query_param("):]
		if arg, _, _ := strings.Cut(rest, ")"); strings.TrimSpace(arg) == "key" {
			found = append(found, "%QUERY_PARAM(key)%")
		}
	}
	// CEL expressions on request.path / request.url_path-like attributes.
	if strings.Contains(ls, "%cel(") && strings.Contains(ls, "request.path") {
		found = append(found, "%CEL(request.path)%")
	}
	return found
}

func firstToken(s string) string {
	if i := strings.Index(s, "%"); i >= 0 {
		return s[:i+1]
	}
	return s
}

// DeprecatedFields lists the deprecated fields and enum values set anywhere in
// b, typed configs included. Envoy warns about these, and rejects the ones it
// has moved to "disallowed by default", so the shipped config uses none.
func DeprecatedFields(b *bootstrapv3.Bootstrap) ([]string, error) {
	var out []string
	var errs []error
	var walk func(m protoreflect.Message, where string)
	walk = func(m protoreflect.Message, where string) {
		if a, ok := m.Interface().(*anypb.Any); ok {
			inner, err := a.UnmarshalNew()
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", where, err))
				return
			}
			walk(inner.ProtoReflect(), where+"<"+a.GetTypeUrl()+">")
			return
		}
		m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
			at := where + "." + string(fd.Name())
			if isDeprecated(fd.Options()) {
				out = append(out, at)
			}
			checkEnum := func(ev protoreflect.EnumNumber, at string) {
				if d := fd.Enum().Values().ByNumber(ev); d != nil && isDeprecated(d.Options()) {
					out = append(out, at+"="+string(d.Name()))
				}
			}
			switch {
			case fd.IsList():
				l := v.List()
				for i := 0; i < l.Len(); i++ {
					ati := fmt.Sprintf("%s[%d]", at, i)
					if fd.Message() != nil {
						walk(l.Get(i).Message(), ati)
					} else if fd.Enum() != nil {
						checkEnum(l.Get(i).Enum(), ati)
					}
				}
			case fd.IsMap():
				if fd.MapValue().Message() != nil {
					v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
						walk(mv.Message(), fmt.Sprintf("%s[%s]", at, k.String()))
						return true
					})
				}
			case fd.Message() != nil:
				walk(v.Message(), at)
			case fd.Enum() != nil:
				checkEnum(v.Enum(), at)
			}
			return true
		})
	}
	walk(b.ProtoReflect(), "bootstrap")
	return out, errors.Join(errs...)
}

func isDeprecated(opts proto.Message) bool {
	switch o := opts.(type) {
	case *descriptorpb.FieldOptions:
		return o.GetDeprecated()
	case *descriptorpb.EnumValueOptions:
		return o.GetDeprecated()
	}
	return false
}

// HTTPOptions decodes the cluster's HttpProtocolOptions (nil, nil when the
// cluster has none).
func HTTPOptions(c *clusterv3.Cluster) (*httpv3.HttpProtocolOptions, error) {
	po, ok := c.GetTypedExtensionProtocolOptions()[HTTPProtocolOptionsKey]
	if !ok {
		return nil, nil
	}
	hpo := &httpv3.HttpProtocolOptions{}
	if err := po.UnmarshalTo(hpo); err != nil {
		return nil, fmt.Errorf("envoyconfig: cluster %q %s: %w", c.GetName(), HTTPProtocolOptionsKey, err)
	}
	return hpo, nil
}

// SetHTTPOptions re-encodes the cluster's HttpProtocolOptions.
func SetHTTPOptions(c *clusterv3.Cluster, hpo *httpv3.HttpProtocolOptions) error {
	a, err := anypb.New(hpo)
	if err != nil {
		return err
	}
	if c.TypedExtensionProtocolOptions == nil {
		c.TypedExtensionProtocolOptions = map[string]*anypb.Any{}
	}
	c.TypedExtensionProtocolOptions[HTTPProtocolOptionsKey] = a
	return nil
}

// UpstreamWasmFilter returns the decoded Wasm filter among the cluster's
// upstream HTTP filters, and its index there; nil when it has none.
func UpstreamWasmFilter(c *clusterv3.Cluster) (*wasmfilterv3.Wasm, int, error) {
	hpo, err := HTTPOptions(c)
	if err != nil || hpo == nil {
		return nil, -1, err
	}
	for i, f := range hpo.GetHttpFilters() {
		if f.GetName() != WasmFilterName {
			continue
		}
		w := &wasmfilterv3.Wasm{}
		if err := f.GetTypedConfig().UnmarshalTo(w); err != nil {
			return nil, i, fmt.Errorf("envoyconfig: cluster %q upstream %s: %w", c.GetName(), WasmFilterName, err)
		}
		return w, i, nil
	}
	return nil, -1, nil
}

// PluginConfiguration returns a Wasm filter's plugin configuration (the
// StringValue given to the module).
func PluginConfiguration(w *wasmfilterv3.Wasm) (string, error) {
	sv := &wrapperspb.StringValue{}
	if err := w.GetConfig().GetConfiguration().UnmarshalTo(sv); err != nil {
		return "", fmt.Errorf("envoyconfig: %s configuration must be a google.protobuf.StringValue: %w", w.GetConfig().GetName(), err)
	}
	return sv.GetValue(), nil
}

// UpstreamPluginConfig derives the upstream instance's plugin configuration
// from the downstream one: the same settings (key_pool thresholds must
// agree, since both update the same key records) plus "role": "upstream".
func UpstreamPluginConfig(downstream string) (string, error) {
	m := map[string]any{}
	if strings.TrimSpace(downstream) != "" {
		if err := json.Unmarshal([]byte(downstream), &m); err != nil {
			return "", fmt.Errorf("envoyconfig: plugin configuration: %w", err)
		}
	}
	m["role"] = "upstream"
	b, err := json.Marshal(m)
	return string(b), err
}

// BufferLimit is the listener's per_connection_buffer_limit_bytes in the
// repository's envoy.yaml: the largest request body the filter can buffer.
// The e2e host uses it so that both gateways under test behave alike.
func BufferLimit() (int, error) {
	path, err := DefaultPath()
	if err != nil {
		return 0, err
	}
	b, err := Load(path)
	if err != nil {
		return 0, err
	}
	l, err := Listener(b)
	if err != nil {
		return 0, err
	}
	if v := l.GetPerConnectionBufferLimitBytes(); v != nil {
		return int(v.GetValue()), nil
	}
	return 1 << 20, nil // Envoy's default
}

// Gateway is what the e2e host needs to behave like envoy.yaml: the route's
// timeout and retry policy, the virtual host's attempt-count settings, the
// gemini cluster's retry circuit breaker and its upstream Wasm filter.
type Gateway struct {
	BufferLimit                   int
	RouteName                     string
	RouteTimeout                  time.Duration
	RetryOn                       []string
	NumRetries                    int // -1: explicit 0
	RetriableStatusCodes          []int
	RetriableHeaders              []string
	BackOffBase, BackOffMax       time.Duration
	IncludeAttemptCountInRequest  bool
	IncludeAttemptCountInResponse bool
	MaxRetries                    int // the gemini cluster's circuit breaker (-1: Envoy's default)
	// UpstreamFilter is true when the gemini cluster runs the module as an
	// upstream filter; UpstreamPluginName and UpstreamRootID name it.
	UpstreamFilter     bool
	UpstreamPluginName string
	UpstreamRootID     string
	// FailurePolicy of the listener's Wasm filter ("FAIL_CLOSED",
	// "FAIL_RELOAD"...) and its reload backoff.
	FailurePolicy                   string
	ReloadBackoff, ReloadBackoffMax time.Duration
	// StatsTags are the bootstrap's stats_config.stats_tags.
	StatsTags []StatsTag
}

// GatewaySettings reads the repository's envoy.yaml into Gateway.
func GatewaySettings() (Gateway, error) {
	var g Gateway
	path, err := DefaultPath()
	if err != nil {
		return g, err
	}
	b, err := Load(path)
	if err != nil {
		return g, err
	}
	if g.BufferLimit, err = BufferLimit(); err != nil {
		return g, err
	}
	if g.StatsTags, err = StatsTags(b); err != nil {
		return g, err
	}
	h, err := HCM(b)
	if err != nil {
		return g, err
	}
	vhs := h.GetRouteConfig().GetVirtualHosts()
	if len(vhs) != 1 || len(vhs[0].GetRoutes()) != 1 {
		return g, errors.New("envoyconfig: want one virtual host with one route")
	}
	vh := vhs[0]
	g.IncludeAttemptCountInRequest = vh.GetIncludeRequestAttemptCount()
	g.IncludeAttemptCountInResponse = vh.GetIncludeAttemptCountInResponse()
	r := vh.GetRoutes()[0]
	g.RouteName = h.GetRouteConfig().GetName()
	ra := r.GetRoute()
	g.RouteTimeout = ra.GetTimeout().AsDuration()
	if ra.GetTimeout() == nil {
		g.RouteTimeout = 15 * time.Second // Envoy's default
	}
	if rp := ra.GetRetryPolicy(); rp != nil {
		for _, on := range strings.Split(rp.GetRetryOn(), ",") {
			if on = strings.TrimSpace(on); on != "" {
				g.RetryOn = append(g.RetryOn, on)
			}
		}
		g.NumRetries = 1
		if n := rp.GetNumRetries(); n != nil {
			g.NumRetries = int(n.GetValue())
			if g.NumRetries == 0 {
				g.NumRetries = -1
			}
		}
		for _, c := range rp.GetRetriableStatusCodes() {
			g.RetriableStatusCodes = append(g.RetriableStatusCodes, int(c))
		}
		for _, m := range rp.GetRetriableHeaders() {
			g.RetriableHeaders = append(g.RetriableHeaders, m.GetName())
		}
		g.BackOffBase = rp.GetRetryBackOff().GetBaseInterval().AsDuration()
		g.BackOffMax = rp.GetRetryBackOff().GetMaxInterval().AsDuration()
	}
	w, _, err := WasmFilter(h)
	if err != nil {
		return g, err
	}
	g.FailurePolicy = w.GetConfig().GetFailurePolicy().String()
	g.ReloadBackoff = w.GetConfig().GetReloadConfig().GetBackoff().GetBaseInterval().AsDuration()
	g.ReloadBackoffMax = w.GetConfig().GetReloadConfig().GetBackoff().GetMaxInterval().AsDuration()
	c, err := Cluster(b, ClusterName)
	if err != nil {
		return g, err
	}
	g.MaxRetries = -1
	for _, t := range c.GetCircuitBreakers().GetThresholds() {
		if t.GetPriority() == corev3.RoutingPriority_DEFAULT && t.GetMaxRetries() != nil {
			g.MaxRetries = int(t.GetMaxRetries().GetValue())
		}
	}
	up, _, err := UpstreamWasmFilter(c)
	if err != nil {
		return g, err
	}
	if up != nil {
		g.UpstreamFilter = true
		g.UpstreamPluginName = up.GetConfig().GetName()
		g.UpstreamRootID = up.GetConfig().GetRootId()
	}
	return g, nil
}
