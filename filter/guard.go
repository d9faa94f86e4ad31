package filter

import (
	"runtime"
	"runtime/debug"

	"github.com/gemini-code-api/gemini-code-api/translators/anthropic"
	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/openai"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"
)

// Every callback the host makes into the module runs behind a recover. A Go
// panic that leaves an exported callback aborts the Go runtime, which Envoy
// takes as a failed VM: every stream of that worker then gets 503
// wasm_fail_stream until the VM is replaced. A bug met by one request must
// cost that request only: it gets a 500 in its protocol's shape while a
// local reply can still be sent, its stream is otherwise left to end
// cleanly, and the log names the callback.

// guardState is what the guard knows of a request beyond the filter's own
// state.
type guardState struct {
	respSent bool // response headers went to the client: no local reply any more
	broken   bool // a panic hit after respSent: the filter is not called again
}

// guardedPlugin wraps the plugin context; NewHttpContext hands out guarded
// request contexts.
type guardedPlugin struct{ p *pluginContext }

func (g guardedPlugin) OnPluginStart(size int) (st types.OnPluginStartStatus) {
	defer func() {
		if r := recover(); r != nil {
			logPanic("on_configure", r)
			st = types.OnPluginStartStatusFailed // Envoy rejects the configuration
		}
	}()
	panicPoint(nil, "on_configure")
	return g.p.OnPluginStart(size)
}

func (g guardedPlugin) OnPluginDone() (done bool) {
	defer func() {
		if r := recover(); r != nil {
			logPanic("on_done", r)
			done = true
		}
	}()
	return g.p.OnPluginDone()
}

func (g guardedPlugin) OnQueueReady(queueID uint32) {
	defer recoverPlugin("on_queue_ready")
	g.p.OnQueueReady(queueID)
}

func (g guardedPlugin) OnTick() {
	defer recoverPlugin("on_tick")
	g.p.OnTick()
}

func (g guardedPlugin) NewTcpContext(contextID uint32) types.TcpContext {
	return nil // an HTTP filter only
}

func (g guardedPlugin) NewHttpContext(contextID uint32) types.HttpContext {
	// Each wrapper holds its context: one allocation per context, not two.
	if g.p.cfg.Role == roleUpstream {
		gu := &guardedUpstream{ctx: upstreamContext{plugin: g.p}}
		gu.u = &gu.ctx
		return gu
	}
	gh := &guardedHTTP{ctx: g.p.newHttpContext()}
	gh.h = &gh.ctx
	return gh
}

func recoverPlugin(callback string) {
	if r := recover(); r != nil {
		logPanic(callback, r)
	}
}

// guardedHTTP wraps one request's context.
type guardedHTTP struct {
	h   *httpContext // &ctx
	ctx httpContext
}

func (g *guardedHTTP) OnHttpRequestHeaders(numHeaders int, endOfStream bool) (a types.Action) {
	defer g.recover("on_request_headers", &a)
	panicPoint(g.h, "on_request_headers")
	return g.h.OnHttpRequestHeaders(numHeaders, endOfStream)
}

func (g *guardedHTTP) OnHttpRequestBody(bodySize int, endOfStream bool) (a types.Action) {
	defer g.recover("on_request_body", &a)
	if g.h.guard.broken {
		return types.ActionContinue
	}
	panicPoint(g.h, "on_request_body")
	return g.h.OnHttpRequestBody(bodySize, endOfStream)
}

func (g *guardedHTTP) OnHttpRequestTrailers(numTrailers int) (a types.Action) {
	defer g.recover("on_request_trailers", &a)
	if g.h.guard.broken {
		return types.ActionContinue
	}
	return g.h.OnHttpRequestTrailers(numTrailers)
}

func (g *guardedHTTP) OnHttpResponseHeaders(numHeaders int, endOfStream bool) (a types.Action) {
	defer g.recover("on_response_headers", &a)
	panicPoint(g.h, "on_response_headers")
	return g.sent(g.h.OnHttpResponseHeaders(numHeaders, endOfStream))
}

func (g *guardedHTTP) OnHttpResponseBody(bodySize int, endOfStream bool) (a types.Action) {
	defer g.recover("on_response_body", &a)
	if g.h.guard.broken {
		if g.h.route.proto != protoGemini {
			// The filter was translating this answer: what Gemini
			// sends now would reach the client untranslated.
			_ = proxywasm.ReplaceHttpResponseBody(nil)
		}
		return types.ActionContinue
	}
	panicPoint(g.h, "on_response_body")
	return g.sent(g.h.OnHttpResponseBody(bodySize, endOfStream))
}

func (g *guardedHTTP) OnHttpResponseTrailers(numTrailers int) (a types.Action) {
	defer g.recover("on_response_trailers", &a)
	if g.h.guard.broken {
		return types.ActionContinue
	}
	return g.sent(g.h.OnHttpResponseTrailers(numTrailers))
}

func (g *guardedHTTP) OnHttpStreamDone() {
	defer func() {
		if r := recover(); r != nil {
			logPanic("on_log", r)
		}
	}()
	panicPoint(g.h, "on_log")
	g.h.OnHttpStreamDone()
}

// sent notes that a response callback let the headers go to the client.
func (g *guardedHTTP) sent(a types.Action) types.Action {
	if a == types.ActionContinue {
		g.h.guard.respSent = true
	}
	return a
}

// recover is deferred by each request callback: a panic becomes the
// callback's answer (*a).
func (g *guardedHTTP) recover(callback string, a *types.Action) {
	if r := recover(); r != nil {
		*a = g.h.recovered(callback, r)
	}
}

// recoverCallout is deferred by the callbacks of the filter's own HTTP
// calls to Gemini, which run on the request's behalf.
func (h *httpContext) recoverCallout() {
	if r := recover(); r != nil {
		h.recovered("on_http_call_response", r)
	}
}

// recovered answers a request whose callback panicked and returns what the
// callback returns to the host.
func (h *httpContext) recovered(callback string, r any) types.Action {
	logPanic(callback, r)
	defer func() {
		// Answering must not be what takes the VM down.
		if r := recover(); r != nil {
			logPanic(callback+" (while answering a panic)", r)
		}
	}()
	if _, ok := h.handler.(answered); ok {
		// A local reply is on its way; it passes the response callbacks.
		return types.ActionContinue
	}
	if !h.guard.respSent {
		h.fail(apierror.New(apierror.Server, "The gateway failed while handling this request (internal error in "+callback+"); it was not completed. Please report this bug to the gateway's operator."))
		return types.ActionPause
	}
	// The answer has begun: end a translated stream with an error event in
	// the client's protocol and drop the rest of what Gemini sends (the
	// guard calls the filter no more); a native answer (Google's own bytes)
	// passes on as it is.
	h.guard.broken = true
	e := apierror.New(apierror.Server, "The gateway failed while translating this answer (internal error in "+callback+"); the answer is incomplete.")
	h.noteError(e)
	switch {
	case h.route.proto == protoGemini:
	case callback != "on_response_body":
		// Nothing of the answer is at hand: the next body callback drops.
	case h.route.proto == protoAnthropic:
		_ = proxywasm.ReplaceHttpResponseBody(append(append([]byte("event: error\ndata: "), anthropic.ErrorBody(e)...), "\n\n"...))
	default:
		_ = proxywasm.ReplaceHttpResponseBody(append(append([]byte("data: "), openai.ErrorBody(e)...), "\n\n"...))
	}
	return types.ActionContinue
}

// logPanic logs a recovered panic. Runtime errors (index out of range, nil
// map...) say nothing of the request; other panic values might carry
// request data, keys included, so only their type is logged. The stack
// holds function names and argument words, never the data.
func logPanic(callback string, r any) {
	what := "a panic value of another type"
	switch v := r.(type) {
	case runtime.Error:
		what = v.Error()
	case string:
		what = "a string panic (" + apierror.Itoa(len(v)) + " bytes, not logged)"
	case error:
		what = "an error panic (not logged)"
	}
	stack := debug.Stack()
	if len(stack) > 4096 {
		stack = stack[:4096]
	}
	proxywasm.LogCritical("gemini-code-api: recovered from a panic in " + callback + ": " + what + "; the VM carries on\n" + string(stack))
}

// guardedUpstream wraps one attempt in the upstream instance. It only
// chooses the attempt's key and records its outcome: after a panic the
// attempt proceeds untouched (whatever key it already carries), which is
// better than failing a request the downstream filter translated.
type guardedUpstream struct {
	u      *upstreamContext // &ctx
	ctx    upstreamContext
	broken bool
}

func (g *guardedUpstream) recover(callback string, a *types.Action) {
	if r := recover(); r != nil {
		logPanic("upstream "+callback, r)
		g.broken = true
		*a = types.ActionContinue
	}
}

func (g *guardedUpstream) OnHttpRequestHeaders(numHeaders int, endOfStream bool) (a types.Action) {
	defer g.recover("on_request_headers", &a)
	return g.u.OnHttpRequestHeaders(numHeaders, endOfStream)
}

func (g *guardedUpstream) OnHttpRequestBody(int, bool) types.Action { return types.ActionContinue }

func (g *guardedUpstream) OnHttpRequestTrailers(int) types.Action { return types.ActionContinue }

func (g *guardedUpstream) OnHttpResponseHeaders(numHeaders int, endOfStream bool) (a types.Action) {
	defer g.recover("on_response_headers", &a)
	if g.broken {
		return types.ActionContinue
	}
	return g.u.OnHttpResponseHeaders(numHeaders, endOfStream)
}

func (g *guardedUpstream) OnHttpResponseBody(bodySize int, endOfStream bool) (a types.Action) {
	defer g.recover("on_response_body", &a)
	if g.broken {
		return types.ActionContinue
	}
	return g.u.OnHttpResponseBody(bodySize, endOfStream)
}

func (g *guardedUpstream) OnHttpResponseTrailers(int) types.Action { return types.ActionContinue }

func (g *guardedUpstream) OnHttpStreamDone() {
	defer func() {
		if r := recover(); r != nil {
			logPanic("upstream on_done", r)
		}
	}()
	if !g.broken {
		g.u.OnHttpStreamDone()
	}
}
