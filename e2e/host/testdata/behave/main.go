// Command behave is a test module for the e2e host: the request header
// x-test selects the behaviour under test.
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

func init() { proxywasm.SetVMContext(&vmCtx{}) }

type vmCtx struct{ types.DefaultVMContext }

func (*vmCtx) NewPluginContext(uint32) types.PluginContext { return &plugin{} }

type plugin struct {
	types.DefaultPluginContext
	vmID    string
	counter proxywasm.MetricCounter
	gauge   proxywasm.MetricGauge
	hist    proxywasm.MetricHistogram
}

func (p *plugin) OnPluginStart(int) types.OnPluginStartStatus {
	cfg, _ := proxywasm.GetPluginConfiguration()
	if string(cfg) == "reject" {
		return types.OnPluginStartStatusFailed
	}
	p.vmID = strconv.FormatInt(rand.Int63(), 36)
	p.counter = proxywasm.DefineCounterMetric("test_counter")
	p.gauge = proxywasm.DefineGaugeMetric("test_gauge")
	p.hist = proxywasm.DefineHistogramMetric("test_hist")
	return types.OnPluginStartStatusOK
}

func (p *plugin) NewHttpContext(id uint32) types.HttpContext { return &httpCtx{p: p, id: id} }

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

func (h *httpCtx) OnHttpRequestBody(size int, eos bool) types.Action {
	switch h.mode {
	case "hold-buffer-rewrite":
		if !eos {
			return types.ActionPause
		}
		body, _ := proxywasm.GetHttpRequestBody(0, size)
		proxywasm.ReplaceHttpRequestHeader(":path", "/rewritten")
		proxywasm.AddHttpRequestHeader("x-body-len", strconv.Itoa(len(body)))
		proxywasm.AddHttpRequestHeader("X-Upper", "v")
		return types.ActionContinue
	case "replace-body":
		if !eos {
			return types.ActionPause
		}
		body, _ := proxywasm.GetHttpRequestBody(0, size)
		proxywasm.ReplaceHttpRequestBody([]byte("replaced:" + strings.ToUpper(string(body))))
		return types.ActionContinue
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
		if !eos {
			return types.ActionPause
		}
		body, _ := proxywasm.GetHttpResponseBody(0, size)
		proxywasm.ReplaceHttpResponseHeader(":status", "201")
		proxywasm.AddHttpResponseHeader("x-resp-len", strconv.Itoa(len(body)))
		proxywasm.RemoveHttpResponseHeader("content-length")
		proxywasm.ReplaceHttpResponseBody([]byte("wrapped(" + string(body) + ")"))
		return types.ActionContinue
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
