package filter

import (
	"strconv"
	"strings"
	"time"

	"github.com/gemini-code-api/gemini-code-api/translators/anthropic"
	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
	"github.com/gemini-code-api/gemini-code-api/translators/openai"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"
)

// httpContext is one request. Its life: headers (route, keys) -> body
// (buffered to the end, translated) -> upstream -> response headers ->
// response body (translated at the end, or event by event for streams).
type httpContext struct {
	types.DefaultHttpContext
	plugin *pluginContext
	route  route

	key       string // the one key sent upstream
	replied   bool   // a local reply was sent: let everything else pass
	chat      *openai.ChatRequest
	stream    *openai.Stream
	status    int    // upstream response status
	out       []byte // reused output buffer for stream chunks
	finalized bool
}

func (h *httpContext) OnHttpRequestHeaders(numHeaders int, endOfStream bool) types.Action {
	method, _ := proxywasm.GetHttpRequestHeader(":method")
	path, _ := proxywasm.GetHttpRequestHeader(":path")
	anthropicHeaders := hasHeader("anthropic-version") || hasHeader("x-api-key")
	qkeys, bare := queryKeys(path)
	onlyPath, _, _ := strings.Cut(bare, "?")
	h.route = routeFor(onlyPath, anthropicHeaders)
	h.plugin.metrics.requests[h.route.proto].Increment(1)
	_ = proxywasm.SetProperty([]string{"gca_protocol"}, []byte(h.route.proto.String()))

	switch {
	case h.route.kind == epUnknown:
		return h.fail(apierror.New(apierror.NotFound, "Unknown path "+strconvQuote(onlyPath)+". This gateway serves POST /v1/chat/completions and GET /health."))
	case method == "OPTIONS":
		// Preflights are Envoy's CORS filter's job; one that reaches us
		// came without CORS configured: answer it plainly.
		h.replied = true
		_ = proxywasm.SendHttpResponse(204, [][2]string{{"allow", h.route.method + ", OPTIONS"}}, nil, -1)
		return types.ActionPause
	case method != h.route.method:
		e := apierror.New(apierror.MethodNotAllowed, "Method "+method+" is not allowed on "+onlyPath+"; use "+h.route.method+".")
		return h.failWith(e, [2]string{"allow", h.route.method})
	case h.route.kind == epHealth:
		return h.health()
	}

	// Keys: the client's own Gemini keys, from wherever its SDK puts them.
	var keys clientKeys
	max := h.plugin.cfg.MaxKeys
	ok := true
	if v, err := proxywasm.GetHttpRequestHeader("authorization"); err == nil {
		if b := bearer(v); b != "" {
			ok = keys.add(b, max) && ok
		}
	}
	for _, name := range [...]string{"x-api-key", "x-goog-api-key"} {
		if v, err := proxywasm.GetHttpRequestHeader(name); err == nil {
			ok = keys.add(v, max) && ok
		}
	}
	for _, k := range qkeys {
		ok = keys.add(k, max) && ok
	}
	if !ok {
		return h.fail(apierror.New(apierror.Authentication, "The API key is malformed: a Gemini API key is a single token of letters, digits and -_.~+/= (several keys may be separated by commas)."))
	}
	if len(keys.keys) == 0 {
		return h.fail(apierror.New(apierror.Authentication, "No API key provided. Send your Gemini API key as `Authorization: Bearer <key>`, `x-api-key`, `x-goog-api-key` or `?key=`; separate several keys with commas."))
	}
	h.key = keys.keys[int(h.plugin.rr%uint32(len(keys.keys)))]
	h.plugin.rr++
	_ = proxywasm.SetProperty([]string{"gca_key_hash"}, []byte(keyHash(h.key)))

	// Exactly one credential goes upstream, in the header Gemini reads. A
	// client's Authorization would be taken for an OAuth token (P20).
	_ = proxywasm.RemoveHttpRequestHeader("authorization")
	_ = proxywasm.RemoveHttpRequestHeader("x-api-key")
	_ = proxywasm.ReplaceHttpRequestHeader("x-goog-api-key", h.key)
	// The answer must come back uncompressed for the translators to read it.
	_ = proxywasm.RemoveHttpRequestHeader("accept-encoding")
	if bare != path {
		_ = proxywasm.ReplaceHttpRequestHeader(":path", bare)
	}
	if endOfStream {
		return h.fail(apierror.Invalid("", "The request has no body; send a JSON request body."))
	}
	// Hold the headers until the body is translated (Envoy config sets
	// allow_on_headers_stop_iteration so body callbacks still arrive).
	return types.ActionPause
}

func (h *httpContext) OnHttpRequestBody(bodySize int, endOfStream bool) types.Action {
	if h.replied {
		return types.ActionContinue
	}
	if !endOfStream {
		return types.ActionPause // buffer the whole body
	}
	body, err := proxywasm.GetHttpRequestBody(0, bodySize)
	if err != nil && bodySize > 0 {
		return h.fail(apierror.New(apierror.Server, "The gateway could not read the request body."))
	}
	cfg := h.plugin.cfg
	req, e := openai.ParseChat(body, cfg.models, openai.Options{ReasoningContent: cfg.ReasoningContent})
	if e != nil {
		return h.fail(e)
	}
	h.chat = req
	_ = proxywasm.SetProperty([]string{"gca_model"}, []byte(req.GeminiModel))
	_ = proxywasm.SetProperty([]string{"gca_client_model"}, []byte(req.Model))
	if err := proxywasm.ReplaceHttpRequestBody(req.Body); err != nil {
		return h.fail(apierror.New(apierror.Server, "The gateway could not replace the request body."))
	}
	_ = proxywasm.ReplaceHttpRequestHeader(":path", req.UpstreamPath())
	_ = proxywasm.ReplaceHttpRequestHeader(":authority", cfg.GeminiHost)
	_ = proxywasm.ReplaceHttpRequestHeader("content-type", "application/json")
	_ = proxywasm.RemoveHttpRequestHeader("content-length")
	// Route rules must see the rewritten request, not the client's path.
	if _, err := proxywasm.CallForeignFunction("clear_route_cache", nil); err != nil {
		proxywasm.LogDebugf("clear_route_cache unavailable: %v", err)
	}
	return types.ActionContinue
}

func (h *httpContext) OnHttpResponseHeaders(numHeaders int, endOfStream bool) types.Action {
	if h.replied || h.chat == nil {
		return types.ActionContinue
	}
	s, _ := proxywasm.GetHttpResponseHeader(":status")
	h.status, _ = strconv.Atoi(s)
	_ = proxywasm.RemoveHttpResponseHeader("content-length")
	if h.status == 200 && h.chat.Stream {
		h.stream = h.chat.NewStream(time.Now().Unix())
		h.plugin.metrics.streams.Increment(1)
		_ = proxywasm.ReplaceHttpResponseHeader("content-type", "text/event-stream")
		_ = proxywasm.ReplaceHttpResponseHeader("cache-control", "no-cache")
		if endOfStream { // a 200 with no body at all: still tell the client
			h.finalized = true
			return h.replaceWithLocal(502, openai.ErrorBody(apierror.New(apierror.BadGateway, "Gemini answered 200 with an empty stream.")))
		}
		return types.ActionContinue
	}
	if endOfStream {
		h.finalized = true
		e := apierror.FromGemini(h.status, nil)
		if h.status == 200 {
			e = apierror.New(apierror.BadGateway, "Gemini answered 200 with an empty body.")
		}
		h.plugin.metrics.upstreamErrors.Increment(1)
		return h.replaceWithLocal(e.Status, openai.ErrorBody(e))
	}
	// Hold the headers: the status may change once the body is read.
	return types.ActionPause
}

func (h *httpContext) OnHttpResponseBody(bodySize int, endOfStream bool) types.Action {
	if h.replied || h.chat == nil || h.finalized {
		return types.ActionContinue
	}
	if h.stream != nil {
		var chunk []byte
		if bodySize > 0 {
			chunk, _ = proxywasm.GetHttpResponseBody(0, bodySize)
		}
		h.out = h.stream.Write(h.out[:0], chunk)
		if endOfStream {
			h.out = h.stream.Close(h.out)
			h.finish(h.stream.Usage(), h.stream.Failed())
		}
		_ = proxywasm.ReplaceHttpResponseBody(h.out)
		return types.ActionContinue
	}
	if !endOfStream {
		return types.ActionPause
	}
	var body []byte
	if bodySize > 0 {
		body, _ = proxywasm.GetHttpResponseBody(0, bodySize)
	}
	var out []byte
	var e *apierror.Error
	if h.status == 200 {
		out, e = h.chat.Response(body, time.Now().Unix())
		if e == nil {
			h.finish(gemini.ReadUsageBytes(body), false)
		}
	} else {
		e = apierror.FromGemini(h.status, body)
		h.plugin.metrics.upstreamErrors.Increment(1)
	}
	if e != nil {
		h.finish(gemini.Usage{}, true)
		out = openai.ErrorBody(e)
		_ = proxywasm.ReplaceHttpResponseHeader(":status", strconv.Itoa(e.Status))
		setRetryAfter(e, proxywasm.ReplaceHttpResponseHeader)
	}
	_ = proxywasm.ReplaceHttpResponseHeader("content-type", "application/json")
	_ = proxywasm.ReplaceHttpResponseBody(out)
	h.finalized = true
	return types.ActionContinue
}

// finish records usage for metrics and the access log.
func (h *httpContext) finish(u gemini.Usage, failed bool) {
	m := &h.plugin.metrics
	if failed {
		m.errors[h.route.proto].Increment(1)
		_ = proxywasm.SetProperty([]string{"gca_error"}, []byte("true"))
	}
	if u.Present {
		add(m.inputTokens, u.Input())
		add(m.outputTokens, u.Output())
		_ = proxywasm.SetProperty([]string{"gca_input_tokens"}, []byte(strconv.FormatInt(u.Input(), 10)))
		_ = proxywasm.SetProperty([]string{"gca_output_tokens"}, []byte(strconv.FormatInt(u.Output(), 10)))
	}
}

// replaceWithLocal answers with a local reply from a response callback; the
// upstream's headers were not sent yet, so the reply replaces them.
func (h *httpContext) replaceWithLocal(status int, body []byte) types.Action {
	h.replied = true
	_ = proxywasm.SendHttpResponse(uint32(status), [][2]string{{"content-type", "application/json"}}, body, -1)
	return types.ActionPause
}

// fail answers the client with e in its own protocol's shape.
func (h *httpContext) fail(e *apierror.Error) types.Action { return h.failWith(e) }

func (h *httpContext) failWith(e *apierror.Error, extra ...[2]string) types.Action {
	h.replied = true
	h.plugin.metrics.errors[h.route.proto].Increment(1)
	_ = proxywasm.SetProperty([]string{"gca_error"}, []byte("true"))
	status, body := renderError(h.route.proto, e)
	headers := append([][2]string{{"content-type", "application/json"}}, extra...)
	setRetryAfter(e, func(k, v string) error { headers = append(headers, [2]string{k, v}); return nil })
	if err := proxywasm.SendHttpResponse(uint32(status), headers, body, -1); err != nil {
		proxywasm.LogErrorf("gemini-code-api: local reply failed: %v", err)
	}
	return types.ActionPause
}

func renderError(p protocol, e *apierror.Error) (int, []byte) {
	switch p {
	case protoAnthropic:
		return anthropic.Status(e), anthropic.ErrorBody(e)
	case protoGemini:
		return e.Status, gemini.ErrorBody(e)
	}
	return openai.Status(e), openai.ErrorBody(e)
}

// setRetryAfter passes Gemini's RetryInfo on, in seconds for every client
// and in milliseconds for the OpenAI SDKs, which honour retry-after-ms.
func setRetryAfter(e *apierror.Error, set func(k, v string) error) {
	if s := e.RetryAfterSeconds(); s > 0 {
		_ = set("retry-after", strconv.FormatInt(s, 10))
		_ = set("retry-after-ms", strconv.FormatInt(e.RetryAfterMs, 10))
	}
}

func (h *httpContext) health() types.Action {
	h.replied = true
	p := h.plugin
	body := `{"status":"ok","service":"gemini-code-api","version":"` + Version +
		`","uptime_seconds":` + strconv.FormatInt(int64(time.Since(p.started).Seconds()), 10) +
		`,"timestamp":` + strconv.FormatInt(time.Now().UnixMilli(), 10) + `}`
	_ = proxywasm.SendHttpResponse(200, [][2]string{{"content-type", "application/json"}, {"cache-control", "no-store"}}, []byte(body), -1)
	return types.ActionPause
}

func hasHeader(name string) bool {
	v, err := proxywasm.GetHttpRequestHeader(name)
	return err == nil && v != ""
}

func strconvQuote(s string) string {
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return strconv.Quote(strings.ToValidUTF8(s, "?"))
}
