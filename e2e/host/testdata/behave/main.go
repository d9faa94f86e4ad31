// Command behave is a test module for the e2e host: the request header
// x-test selects the behaviour of the downstream filter under test. The
// same module also runs as an upstream filter (plugin configuration
// "upstream..."): there the request header x-up, a comma-separated list,
// selects its behaviours.
package main

import (
	"encoding/binary"
	"fmt"
	"math/rand"
	"strconv"
	"strings"

	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"
)

func main() {}

// The module reads no VM configuration: the SDK's plugin-context entry
// point stands for a VM context of its own.
func init() {
	proxywasm.SetPluginContext(func(uint32) types.PluginContext { return &plugin{} })
}

type plugin struct {
	types.DefaultPluginContext
	vmID     string
	cfg      string
	upstream bool
	counter  proxywasm.MetricCounter
	gauge    proxywasm.MetricGauge
	hist     proxywasm.MetricHistogram
	logCalls proxywasm.MetricCounter
}

func (p *plugin) OnPluginStart(int) types.OnPluginStartStatus {
	cfg, _ := proxywasm.GetPluginConfiguration()
	if string(cfg) == "reject" || string(cfg) == "upstream-reject" {
		return types.OnPluginStartStatusFailed
	}
	p.cfg = string(cfg)
	p.upstream = strings.HasPrefix(p.cfg, "upstream")
	p.vmID = strconv.FormatInt(rand.Int63(), 36)
	// Both plugins define these: same name, same stat.
	p.counter = proxywasm.DefineCounterMetric("test_counter")
	p.gauge = proxywasm.DefineGaugeMetric("test_gauge")
	p.hist = proxywasm.DefineHistogramMetric("test_hist")
	role := "downstream"
	if p.upstream {
		role = "upstream"
	}
	p.logCalls = proxywasm.DefineCounterMetric("log_calls." + role)
	proxywasm.DefineCounterMetric("plugin_starts").Increment(1) // one stat for both plugins
	return types.OnPluginStartStatusOK
}

func (p *plugin) NewHttpContext(id uint32) types.HttpContext {
	if p.upstream {
		return &upCtx{p: p, id: id}
	}
	return &httpCtx{p: p, id: id}
}

type httpCtx struct {
	types.DefaultHttpContext
	p    *plugin
	id   uint32
	mode string
}

func reply(code uint32, body string) types.Action {
	if err := proxywasm.SendHttpResponse(code, [][2]string{{"X-Local", "yes"}}, []byte(body), -1); err != nil {
		proxywasm.LogErrorf("send: %v", err)
	}
	return types.ActionPause
}

func catch(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	f()
	return "ok"
}

func (h *httpCtx) OnHttpRequestHeaders(n int, eos bool) types.Action {
	h.mode, _ = proxywasm.GetHttpRequestHeader("x-test")
	switch h.mode {
	case "hold-buffer-rewrite", "limit":
		proxywasm.RemoveHttpRequestHeader("content-length")
		return types.ActionPause
	case "replace-body":
		proxywasm.RemoveHttpRequestHeader("content-length")
		return types.ActionContinue
	case "local-req-headers":
		return reply(403, "denied")
	case "trap":
		panic("boom")
	case "vm-id":
		return reply(200, h.p.vmID)
	case "shared-set":
		k, _ := proxywasm.GetHttpRequestHeader("x-key")
		v, _ := proxywasm.GetHttpRequestHeader("x-val")
		c, _ := proxywasm.GetHttpRequestHeader("x-cas")
		cas, _ := strconv.ParseUint(c, 10, 32)
		if err := proxywasm.SetSharedData(k, []byte(v), uint32(cas)); err != nil {
			return reply(409, err.Error())
		}
		return reply(200, "ok")
	case "shared-get":
		k, _ := proxywasm.GetHttpRequestHeader("x-key")
		v, cas, err := proxywasm.GetSharedData(k)
		if err != nil {
			return reply(404, err.Error())
		}
		return reply(200, fmt.Sprintf("%s|%d", v, cas))
	case "metrics":
		var out []string
		out = append(out, "inc0="+catch(func() { h.p.counter.Increment(0) }))
		out = append(out, "inc2="+catch(func() { h.p.counter.Increment(2) }))
		again := proxywasm.DefineCounterMetric("test_counter")
		out = append(out, fmt.Sprintf("sameid=%v", uint32(again) == uint32(h.p.counter)))
		out = append(out, "inc-again="+catch(func() { again.Increment(3) }))
		out = append(out, fmt.Sprintf("value=%d", h.p.counter.Value()))
		out = append(out, "gauge="+catch(func() { h.p.gauge.Add(-3) }))
		out = append(out, fmt.Sprintf("gaugev=%d", h.p.gauge.Value()))
		out = append(out, "rec="+catch(func() { h.p.hist.Record(5) }))
		out = append(out, "histget="+catch(func() { h.p.hist.Value() }))
		return reply(200, strings.Join(out, "\n"))
	case "props":
		if err := proxywasm.SetProperty([]string{"myprop"}, []byte("hello")); err != nil {
			return reply(500, err.Error())
		}
		var out []string
		for _, name := range []string{"request.path", "request.url_path", "request.method", "request.host",
			"request.scheme", "request.id", "request.protocol", "source.address", "destination.address",
			"plugin_name", "plugin_root_id", "cluster_name", "xds.route_name", "myprop", "response.code", "nope.nothing"} {
			v, err := proxywasm.GetProperty(strings.Split(name, "."))
			if err != nil {
				out = append(out, name+"=ERR:"+err.Error())
			} else {
				out = append(out, name+"="+string(v))
			}
		}
		for _, name := range []string{"source.port", "request.time"} {
			v, err := proxywasm.GetProperty(strings.Split(name, "."))
			if err != nil || len(v) != 8 {
				out = append(out, name+"=ERR")
			} else {
				out = append(out, fmt.Sprintf("%s=%d", name, int64(binary.LittleEndian.Uint64(v))))
			}
		}
		m, err := proxywasm.GetPropertyMap([]string{"request", "headers"})
		if err != nil {
			out = append(out, "request.headers=ERR:"+err.Error())
		}
		for _, kv := range m {
			if kv[0] == "x-test" {
				out = append(out, "request.headers.x-test="+kv[1])
			}
		}
		return reply(200, strings.Join(out, "\n"))
	case "plugin-info":
		root, _ := proxywasm.GetProperty([]string{"plugin_root_id"})
		name, _ := proxywasm.GetProperty([]string{"plugin_name"})
		return reply(200, fmt.Sprintf("cfg=%s root=%s name=%s", h.p.cfg, root, name))
	case "retry-down":
		// What a key-failover filter does: enable retries for this request
		// and leave notes for the upstream filter.
		_, err := proxywasm.GetHttpRequestHeader("x-envoy-max-retries")
		saw := "no"
		if err == nil {
			saw = "yes"
		}
		proxywasm.SetProperty([]string{"saw_client_max"}, []byte(saw))
		proxywasm.SetProperty([]string{"down_note"}, []byte("from-down"))
		if v, err := proxywasm.GetHttpRequestHeader("x-set-max-retries"); err == nil {
			proxywasm.AddHttpRequestHeader("x-envoy-max-retries", v)
		}
		if v, err := proxywasm.GetHttpRequestHeader("x-set-retry-on"); err == nil {
			proxywasm.AddHttpRequestHeader("x-envoy-retry-on", v)
		}
		if v, err := proxywasm.GetHttpRequestHeader("x-set-retriable-codes"); err == nil {
			proxywasm.AddHttpRequestHeader("x-envoy-retriable-status-codes", v)
		}
		proxywasm.AddHttpRequestHeader("x-down-added", "1")
		return types.ActionContinue
	case "callout-up":
		cluster, _ := proxywasm.GetHttpRequestHeader("x-cluster")
		up, _ := proxywasm.GetHttpRequestHeader("x-callout-up")
		proxywasm.SetProperty([]string{"down_note"}, []byte("from-down"))
		_, err := proxywasm.DispatchHttpCall(cluster, [][2]string{
			{":method", "GET"}, {":path", "/callout"}, {":authority", "callout.local"}, {"x-up", up}}, nil, nil, 5000,
			func(nh, bs, nt int) {
				st := "failed"
				if hs, err := proxywasm.GetHttpCallResponseHeaders(); err == nil {
					for _, kv := range hs {
						if kv[0] == ":status" {
							st = kv[1]
						}
					}
				}
				b, _ := proxywasm.GetHttpCallResponseBody(0, bs)
				proxywasm.AddHttpRequestHeader("x-callout-status", st)
				proxywasm.AddHttpRequestHeader("x-callout-body", string(b))
				proxywasm.ResumeHttpRequest()
			})
		if err != nil {
			return reply(500, "dispatch: "+err.Error())
		}
		return types.ActionPause
	case "reroute":
		proxywasm.ReplaceHttpRequestHeader(":path", "/other/x")
		if c, _ := proxywasm.GetHttpRequestHeader("x-clear"); c == "1" {
			if _, err := proxywasm.CallForeignFunction("clear_route_cache", nil); err != nil {
				return reply(500, err.Error())
			}
		}
		return types.ActionContinue
	case "callout":
		cluster, _ := proxywasm.GetHttpRequestHeader("x-cluster")
		t, _ := proxywasm.GetHttpRequestHeader("x-timeout")
		timeout, _ := strconv.Atoi(t)
		_, err := proxywasm.DispatchHttpCall(cluster, [][2]string{
			{":method", "GET"}, {":path", "/callout"}, {":authority", "callout.local"}}, nil, nil, uint32(timeout),
			func(nh, bs, nt int) {
				if nh == 0 {
					proxywasm.AddHttpRequestHeader("x-callout-status", "failed")
				} else {
					st, _ := proxywasm.GetHttpCallResponseHeaders()
					for _, kv := range st {
						if kv[0] == ":status" {
							proxywasm.AddHttpRequestHeader("x-callout-status", kv[1])
						}
					}
					b, _ := proxywasm.GetHttpCallResponseBody(0, bs)
					proxywasm.AddHttpRequestHeader("x-callout-body", string(b))
				}
				proxywasm.ResumeHttpRequest()
			})
		if err != nil {
			return reply(500, "dispatch: "+err.Error())
		}
		return types.ActionPause
	}
	return types.ActionContinue
}

// whole is a body callback's action when it wants the whole body: pause
// (the host buffers) until the last of it has come (eos), then read it all
// with get, hand it to use and continue.
func whole(eos bool, size int, get func(start, maxSize int) ([]byte, error), use func(body []byte)) types.Action {
	if !eos {
		return types.ActionPause
	}
	body, _ := get(0, size)
	use(body)
	return types.ActionContinue
}

func (h *httpCtx) OnHttpRequestBody(size int, eos bool) types.Action {
	switch h.mode {
	case "hold-buffer-rewrite":
		return whole(eos, size, proxywasm.GetHttpRequestBody, func(body []byte) {
			proxywasm.ReplaceHttpRequestHeader(":path", "/rewritten")
			proxywasm.AddHttpRequestHeader("x-body-len", strconv.Itoa(len(body)))
			proxywasm.AddHttpRequestHeader("X-Upper", "v")
		})
	case "replace-body":
		return whole(eos, size, proxywasm.GetHttpRequestBody, func(body []byte) {
			proxywasm.ReplaceHttpRequestBody([]byte("replaced:" + strings.ToUpper(string(body))))
		})
	case "local-req-body", "limit":
		if !eos {
			return types.ActionPause
		}
		if h.mode == "limit" {
			return types.ActionContinue
		}
		return reply(400, "bad body")
	}
	return types.ActionContinue
}

func (h *httpCtx) OnHttpResponseHeaders(n int, eos bool) types.Action {
	st, _ := proxywasm.GetHttpResponseHeader(":status")
	proxywasm.AddHttpResponseHeader("x-resp-hook", st)
	switch h.mode {
	case "retry-down":
		// The downstream filter sees only the response the router lets
		// through; the upstream filter's notes are in the filter state.
		prev, _ := proxywasm.GetProperty([]string{"down_statuses"})
		all := st
		if len(prev) > 0 {
			all = string(prev) + "," + st
		}
		proxywasm.SetProperty([]string{"down_statuses"}, []byte(all))
		n, err := proxywasm.GetProperty([]string{"up_attempts"})
		if err != nil {
			n = []byte("none")
		}
		proxywasm.AddHttpResponseHeader("x-down-saw-up-attempts", string(n))
		if c, err := proxywasm.GetProperty([]string{"upstream", "request_attempt_count"}); err == nil && len(c) == 8 {
			proxywasm.AddHttpResponseHeader("x-down-prop-attempts", strconv.FormatUint(binary.LittleEndian.Uint64(c), 10))
		}
	case "resp-buffer-status", "local-resp-body", "resp-limit":
		return types.ActionPause
	case "local-resp-headers":
		return reply(502, "replaced upstream")
	}
	return types.ActionContinue
}

func (h *httpCtx) OnHttpResponseBody(size int, eos bool) types.Action {
	switch h.mode {
	case "resp-buffer-status", "resp-limit":
		return whole(eos, size, proxywasm.GetHttpResponseBody, func(body []byte) {
			proxywasm.ReplaceHttpResponseHeader(":status", "201")
			proxywasm.AddHttpResponseHeader("x-resp-len", strconv.Itoa(len(body)))
			proxywasm.RemoveHttpResponseHeader("content-length")
			proxywasm.ReplaceHttpResponseBody([]byte("wrapped(" + string(body) + ")"))
		})
	case "local-resp-body":
		if !eos {
			return types.ActionPause
		}
		return reply(500, "body rejected")
	case "stream":
		proxywasm.PrependHttpResponseBody([]byte("> "))
	}
	return types.ActionContinue
}

func (h *httpCtx) OnHttpStreamDone() { h.p.logCalls.Increment(1) }

// upCtx is the module as an upstream filter (one per attempt).
type upCtx struct {
	types.DefaultHttpContext
	p     *plugin
	id    uint32
	modes map[string]bool
	n     int
}

func (u *upCtx) OnHttpStreamDone() { u.p.logCalls.Increment(1) } // must never run upstream

func prop(path ...string) string {
	v, err := proxywasm.GetProperty(path)
	if err != nil {
		return "none"
	}
	return string(v)
}

func (u *upCtx) OnHttpRequestHeaders(n int, eos bool) types.Action {
	x, _ := proxywasm.GetHttpRequestHeader("x-up")
	u.modes = map[string]bool{}
	for _, m := range strings.Split(x, ",") {
		u.modes[strings.TrimSpace(m)] = true
	}
	if u.modes["count"] {
		// A per-attempt counter kept in (the downstream stream's) filter state.
		u.n, _ = strconv.Atoi(prop("up_attempts"))
		u.n++
		proxywasm.SetProperty([]string{"up_attempts"}, []byte(strconv.Itoa(u.n)))
		proxywasm.ReplaceHttpRequestHeader("x-up-attempt", strconv.Itoa(u.n))
		proxywasm.AddHttpRequestHeader("x-up-persist", strconv.Itoa(u.n)) // the header map is shared by attempts
		c, _ := proxywasm.GetProperty([]string{"upstream", "request_attempt_count"})
		if len(c) == 8 {
			proxywasm.ReplaceHttpRequestHeader("x-up-prop-attempt", strconv.FormatUint(binary.LittleEndian.Uint64(c), 10))
		}
		proxywasm.ReplaceHttpRequestHeader("x-up-saw-down-note", prop("down_note"))
		proxywasm.ReplaceHttpRequestHeader("x-up-saw-down-added", prop("request", "headers", "x-down-added"))
		proxywasm.ReplaceHttpRequestHeader("x-up-root", prop("plugin_root_id"))
		proxywasm.ReplaceHttpRequestHeader("x-up-cfg", u.p.cfg)
	}
	if u.modes["mark-callout"] {
		proxywasm.ReplaceHttpRequestHeader("x-up-saw-down-note", prop("down_note"))
		proxywasm.ReplaceHttpRequestHeader("x-up-cluster", prop("cluster_name"))
		c, _ := proxywasm.GetProperty([]string{"upstream", "request_attempt_count"})
		if len(c) == 8 {
			proxywasm.ReplaceHttpRequestHeader("x-up-prop-attempt", strconv.FormatUint(binary.LittleEndian.Uint64(c), 10))
		}
		proxywasm.SetProperty([]string{"callout_note"}, []byte("from-callout-upstream"))
		proxywasm.ReplaceHttpRequestHeader("x-up-saw-callout-note", prop("callout_note"))
	}
	if u.modes["local-reply"] {
		proxywasm.SendHttpResponse(418, [][2]string{{"x-up-local", "yes"}}, []byte("from upstream filter"), -1)
		return types.ActionPause
	}
	if u.modes["callout"] {
		cluster, _ := proxywasm.GetHttpRequestHeader("x-up-callout-cluster")
		_, err := proxywasm.DispatchHttpCall(cluster, [][2]string{
			{":method", "GET"}, {":path", "/up-callout"}, {":authority", "callout.local"}}, nil, nil, 5000,
			func(nh, bs, nt int) {
				b, _ := proxywasm.GetHttpCallResponseBody(0, bs)
				proxywasm.ReplaceHttpRequestHeader("x-up-callout-body", string(b))
				proxywasm.ResumeHttpRequest()
			})
		if err != nil {
			proxywasm.ReplaceHttpRequestHeader("x-up-callout-body", "dispatch: "+err.Error())
			return types.ActionContinue
		}
		return types.ActionPause
	}
	if u.modes["hold-req"] {
		proxywasm.RemoveHttpRequestHeader("content-length")
		return types.ActionPause
	}
	return types.ActionContinue
}

func (u *upCtx) OnHttpRequestBody(size int, eos bool) types.Action {
	if !u.modes["hold-req"] {
		return types.ActionContinue
	}
	return whole(eos, size, proxywasm.GetHttpRequestBody, func(body []byte) {
		proxywasm.ReplaceHttpRequestHeader("x-up-body-len", strconv.Itoa(len(body)))
		// Edit this attempt's body; the router replays its own copy next time.
		proxywasm.ReplaceHttpRequestBody(append(body, []byte("|up"+strconv.Itoa(u.n))...))
	})
}

func (u *upCtx) OnHttpResponseHeaders(n int, eos bool) types.Action {
	if u.modes["count"] {
		proxywasm.AddHttpResponseHeader("x-up-resp-attempt", strconv.Itoa(u.n))
	}
	if u.modes["inspect"] && !eos {
		return types.ActionPause // read the body before the router sees the headers
	}
	return types.ActionContinue
}

func (u *upCtx) OnHttpResponseBody(size int, eos bool) types.Action {
	if !u.modes["inspect"] {
		return types.ActionContinue
	}
	return whole(eos, size, proxywasm.GetHttpResponseBody, func(body []byte) {
		if strings.Contains(string(body), "RETRY") {
			proxywasm.AddHttpResponseHeader("x-retry-me", "yes")
		}
		proxywasm.AddHttpResponseHeader("x-up-resp-len", strconv.Itoa(len(body)))
	})
}
