package host

import (
	"net"
	"net/http"
	"strconv"
	"strings"
)

// Properties, serialized as Envoy's serializeValue (context.cc): strings
// raw, integers and timestamps as 8-byte little-endian int64, maps as
// proxy-wasm pairs. A path the host does not know -> NotFound; after the
// well-known names Envoy looks the name up in filter state as "wasm.<name>"
// (what proxy_set_property stored), which is emulated too. Values that
// Envoy has not set yet (response.code before a response, cluster_name
// without a route) are NotFound; an empty string value is returned as Ok
// with zero bytes.
//
// response.flags is a bitmask of Envoy's ResponseFlag enum for the flags
// this host sets (UT 0x4, UR 0x10, UF 0x20, UC 0x40, UO 0x80, NR 0x100,
// DC 0x4000, URX 0x8000).
//
// plugin_name / plugin_root_id are those of the effective context's
// plugin (context.cc findValue reads the context's own plugin). An
// upstream filter context reads and writes the DOWNSTREAM stream's filter
// state and sees the router's (shared) request header map; its response
// headers are the attempt's. upstream.request_attempt_count is the
// stream's attempt count (expr context.cc: attemptCount().value_or(0), an
// 8-byte uint64), which the router bumps before each attempt.
func (v *vm) getProperty(path []string) ([]byte, uint32) {
	key := strings.Join(path, ".")
	switch key {
	case "plugin_name":
		return []byte(v.effRoot.p.name), resOK
	case "plugin_root_id":
		return []byte(v.effRoot.p.rootID), resOK
	case "plugin_vm_id":
		return []byte(""), resOK
	}
	if v.eff == nil {
		return nil, resNotFound
	}
	ps := v.eff.props()
	s := ps.s
	str := func(x string) ([]byte, uint32) { return []byte(x), resOK }
	hdr := func(k string) ([]byte, uint32) {
		if x, ok := ps.reqHeaders.get(k); ok {
			return str(x)
		}
		return nil, resNotFound
	}
	if len(path) == 3 && path[0] == "request" && path[1] == "headers" {
		return hdr(path[2])
	}
	if len(path) == 3 && path[0] == "response" && path[1] == "headers" {
		if x, ok := ps.respHeaders.get(path[2]); ok && ps.respOK {
			return str(x)
		}
		return nil, resNotFound
	}
	if name, ok := requestHeaderProps[key]; ok {
		return hdr(name)
	}
	switch key {
	case "request.url_path":
		p, _ := ps.reqHeaders.get(":path")
		if i := strings.IndexByte(p, '?'); i >= 0 {
			p = p[:i]
		}
		return str(p)
	case "request.headers":
		return encodePairs(ps.reqHeaders), resOK
	case "response.headers":
		if !ps.respOK {
			return nil, resNotFound
		}
		return encodePairs(ps.respHeaders), resOK
	case "upstream.request_attempt_count":
		return le64(int64(ps.attempts)), resOK
	case "cluster_name":
		if ps.cluster == "" {
			return nil, resNotFound
		}
		return str(ps.cluster)
	}
	if s == nil {
		// The upstream filter of a callout: no downstream connection or
		// route; only its own filter state.
		if val, ok := ps.filterState["wasm."+key]; ok {
			return []byte(val), resOK
		}
		return nil, resNotFound
	}
	switch key {
	case "request.time":
		return le64(s.start.UnixNano()), resOK
	case "request.protocol":
		return str("HTTP/1.1")
	case "request.size":
		if x, ok := ps.reqHeaders.get("content-length"); ok {
			if n, err := strconv.ParseInt(x, 10, 64); err == nil {
				return le64(n), resOK
			}
		}
		return nil, resNotFound
	case "source.address":
		return str(s.r.RemoteAddr)
	case "source.port":
		_, p, _ := net.SplitHostPort(s.r.RemoteAddr)
		n, _ := strconv.Atoi(p)
		return le64(int64(n)), resOK
	case "destination.address":
		if a, ok := s.r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
			return str(a.String())
		}
		return nil, resNotFound
	case "destination.port":
		if a, ok := s.r.Context().Value(http.LocalAddrContextKey).(*net.TCPAddr); ok {
			return le64(int64(a.Port)), resOK
		}
		return nil, resNotFound
	case "response.code":
		if s.respCode > 0 {
			return le64(int64(s.respCode)), resOK
		}
		return nil, resNotFound
	case "response.code_details":
		if s.details != "" {
			return str(s.details)
		}
		return nil, resNotFound
	case "response.flags":
		return le64(flagBits(s.flags)), resOK
	case "response.size":
		return le64(int64(s.bytesSent)), resOK
	case "xds.route_name", "route_name":
		if s.route == nil {
			return nil, resNotFound
		}
		return str(s.route.Name)
	case "connection_id":
		return le64(int64(s.id)), resOK
	}
	if val, ok := ps.filterState["wasm."+key]; ok {
		return []byte(val), resOK
	}
	return nil, resNotFound
}

// requestHeaderProps are the request attributes read from a request
// header (NotFound when the header is absent).
var requestHeaderProps = map[string]string{
	"request.path":      ":path",
	"request.host":      ":authority",
	"request.scheme":    ":scheme",
	"request.method":    ":method",
	"request.id":        "x-request-id",
	"request.referer":   "referer",
	"request.useragent": "user-agent",
}

// setProperty stores filter state "wasm.<path>" (Envoy's CelState with
// the default prototype: mutable, bytes) in the StreamInfo of the
// effective context: the downstream stream's for the downstream filter
// and for upstream filters of its attempts (context.cc setProperty uses
// getRequestStreamInfo, which upstream is the router's), the callout's
// own for a callout's upstream filter. From a root context there is no
// stream info -> NotFound.
func (v *vm) setProperty(path []string, val []byte) uint32 {
	if v.eff == nil {
		return resNotFound
	}
	if len(path) == 0 {
		return resBadArgument
	}
	v.eff.props().filterState["wasm."+strings.Join(path, ".")] = string(val)
	return resOK
}

func flagBits(flags []string) int64 {
	var b int64
	for _, f := range flags {
		switch f {
		case "UT":
			b |= 0x4
		case "UR":
			b |= 0x10
		case "UF":
			b |= 0x20
		case "UC":
			b |= 0x40
		case "UO":
			b |= 0x80
		case "NR":
			b |= 0x100
		case "DC":
			b |= 0x4000
		case "URX":
			b |= 0x8000
		}
	}
	return b
}
