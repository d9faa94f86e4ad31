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

// httpContext is one request: what every kind of request shares (route,
// keys, times, the figures its metrics and access log are made of). What
// the request is, and what its callbacks do, is its handler (handler.go),
// chosen by OnHttpRequestHeaders.
type httpContext struct {
	types.DefaultHttpContext
	plugin  *pluginContext
	route   route
	handler handler

	key string // the first key sent upstream (the upstream instance may fail over)
	// keyHash is key's fingerprint (keyHash), for the access log and the
	// model-list cache.
	keyHash string
	keys    []string // the request's keys, kept out of logged error messages
	start   instant  // when the request's headers arrived
	sentAt  instant  // when the request went upstream
	status  int      // upstream response status
	guard   guardState
	// reqHeaders: the request headers, read in one host call while
	// on_request_headers runs (each single read is a host call and a call
	// back into the module to allocate the value); nil after it.
	reqHeaders [][2]string
	// hadContentLength: the client's request carried content-length.
	hadContentLength bool

	// What the request's metrics are made of (recorded once, at its end:
	// OnHttpStreamDone).
	served       string       // the model served (Gemini's), "" when none
	sentStatus   int          // the status of an answer the filter made or rewrote (0: h.status)
	usage        gemini.Usage // the answer's final usage
	endAt        instant      // when the answer ended
	firstBodyAt  instant      // when a streamed answer's first bytes arrived
	nativeStream bool         // a native streamGenerateContent request
	streamed     bool         // a 200 stream began
	streamEnded  bool         // ...and reached its end
	streamFailed bool         // ...where Gemini had not finished it (error event, no finish reason)
}

func (h *httpContext) OnHttpRequestHeaders(numHeaders int, endOfStream bool) types.Action {
	h.reqHeaders = requestHeaders(h.plugin.headerScratch[:0])
	defer func() {
		// Keep the slice for the next request, not the header bytes it views.
		clear(h.reqHeaders)
		h.plugin.headerScratch, h.reqHeaders = h.reqHeaders[:0], nil
	}()
	method, _ := h.header(":method")
	path, _ := h.header(":path")
	_, h.hadContentLength = h.header("content-length")
	qkeys, bare := queryKeys(path)
	onlyPath, _, _ := strings.Cut(bare, "?")
	hs := hints{
		anthropic: h.hasHeader("anthropic-version") || h.hasHeader("x-api-key"),
		google:    h.hasHeader("x-goog-api-key") || len(qkeys) > 0,
	}
	h.route = routeFor(onlyPath, hs)
	h.start = monoNow()
	setProperty("gca_protocol", h.route.proto.String())
	// The client's path without its query (where keys may be), for the
	// access log: :path is rewritten for Gemini.
	setProperty("gca_path", truncate(onlyPath, maxLoggedPath))

	switch {
	case h.isWebSocketUpgrade():
		// Codex tries a WebSocket to /v1/responses first when its provider
		// says it supports them, and falls back to HTTP at once on a 426 (any
		// other answer is retried as a transient error first). The gateway
		// serves plain HTTP only.
		e := apierror.New(apierror.InvalidRequest, "This gateway does not serve WebSocket connections; send the request over HTTP (POST /v1/responses with \"stream\": true streams the answer).")
		e.Status = 426
		return h.fail(e)
	case h.route.kind == epUnknown:
		return h.fail(apierror.New(apierror.NotFound, "Unknown path "+strconvQuote(onlyPath)+". This gateway serves /v1/chat/completions, /v1/responses, /v1/embeddings, /v1/models, /v1/messages, /v1/messages/count_tokens, Gemini's /v1beta/models/... and /health."))
	case method == "OPTIONS" && h.route.kind != epNative:
		// Preflights are Envoy's CORS filter's job; one that reaches us
		// came without CORS configured: answer it plainly.
		h.handler = answered{}
		h.sentStatus = 204
		_ = proxywasm.SendHttpResponse(204, [][2]string{{"allow", h.route.method + ", OPTIONS"}}, nil, -1)
		return types.ActionPause
	case h.route.method != "" && method != h.route.method:
		e := apierror.New(apierror.MethodNotAllowed, "Method "+method+" is not allowed on "+onlyPath+"; use "+h.route.method+".")
		return h.failWith(e, [2]string{"allow", h.route.method})
	case h.route.kind == epHealth:
		keys, _ := h.requestKeys(qkeys)
		return h.health(keys.keys)
	}

	keys, ok := h.requestKeys(qkeys)
	if !ok {
		return h.fail(apierror.New(apierror.Authentication, "The API key is malformed: a Gemini API key is a single token of letters, digits and -_.~+/= (several keys may be separated by commas)."))
	}
	if len(keys.keys) == 0 {
		return h.fail(apierror.New(apierror.Authentication, "No API key provided. Send your Gemini API key as `Authorization: Bearer <key>`, `x-api-key`, `x-goog-api-key` or `?key=`; separate several keys with commas."))
	}
	order := h.plugin.plan(keys.keys)
	h.key, h.keys = order[0], order
	h.keyHash = keyHash(h.key)
	setProperty(propKeyHash, h.keyHash)

	// Exactly one credential goes upstream, in the header Gemini reads. A
	// client's Authorization would be taken for an OAuth token (a 401).
	// (Headers the request does not carry are not removed: each removal
	// is a host call.)
	for _, name := range [...]string{"authorization", "x-api-key"} {
		if _, ok := h.header(name); ok {
			_ = proxywasm.RemoveHttpRequestHeader(name)
		}
	}
	_ = proxywasm.ReplaceHttpRequestHeader("x-goog-api-key", h.key)
	h.setFailover(order)
	// The answer must come back uncompressed for the filter to read it.
	if _, ok := h.header("accept-encoding"); ok {
		_ = proxywasm.RemoveHttpRequestHeader("accept-encoding")
	}

	switch h.route.kind {
	case epNative:
		h.sentAt = monoNow()
		return h.passThrough(bare)
	case epModels:
		return h.listModels(h.route.proto == protoOpenAI && strings.Contains(bare, "client_version="))
	}
	if endOfStream {
		return h.fail(apierror.Invalid("", "The request has no body; send a JSON request body."))
	}
	// Hold the headers until the body is translated (Envoy config sets
	// allow_on_headers_stop_iteration so body callbacks still arrive).
	h.handler = translating{}
	return types.ActionPause
}

func (h *httpContext) OnHttpRequestBody(bodySize int, endOfStream bool) types.Action {
	return h.handler.requestBody(h, bodySize, endOfStream)
}

func (h *httpContext) OnHttpResponseHeaders(numHeaders int, endOfStream bool) types.Action {
	return h.handler.responseHeaders(h, endOfStream)
}

func (h *httpContext) OnHttpResponseBody(bodySize int, endOfStream bool) types.Action {
	return h.handler.responseBody(h, bodySize, endOfStream)
}

// requestKeys collects the client's own Gemini keys from wherever its SDK
// puts them; ok is false when one of them is malformed.
func (h *httpContext) requestKeys(qkeys []string) (keys clientKeys, ok bool) {
	limit := h.plugin.cfg.MaxKeys
	ok = true
	if v, found := h.header("authorization"); found {
		if b := bearer(v); b != "" {
			ok = keys.add(b, limit) && ok
		}
	}
	for _, name := range [...]string{"x-api-key", "x-goog-api-key"} {
		if v, found := h.header(name); found {
			ok = keys.add(v, limit) && ok
		}
	}
	for _, k := range qkeys {
		ok = keys.add(k, limit) && ok
	}
	return keys, ok
}

// setFailover hands the key order to the upstream instance (one key per
// attempt) and tells the router how many retries it may make: one per
// further key, none with a single key, where a retry would only hit the
// same limit again. Envoy strips a client's own x-envoy-max-retries from
// external requests; this value replaces any that is left.
func (h *httpContext) setFailover(order []string) {
	retries := 0
	if h.plugin.cfg.KeyPool.Failover && len(order) > 1 {
		setProperty(propKeys, joinKeys(order))
		retries = len(order) - 1
	}
	_ = proxywasm.ReplaceHttpRequestHeader("x-envoy-max-retries", strconv.Itoa(retries))
}

// report records Gemini's answer for the key when no upstream instance did
// (the module is not installed as the cluster's upstream filter).
func (h *httpContext) report(status int, e *apierror.Error) {
	if h.key == "" || upstreamRecorded() {
		return
	}
	var latency time.Duration
	if !h.sentAt.IsZero() {
		latency = since(h.sentAt)
	}
	o := outcomeOf(status, e, latency)
	h.plugin.record(h.key, o)
	h.plugin.metrics.attempt(1, attemptResult(o, true))
}

func (h *httpContext) setModels(client, upstream string) {
	h.served = upstream
	setProperty("gca_model", upstream)
	setProperty("gca_client_model", client)
}

// clearRouteCache asks Envoy to match the route again, so route rules see
// the rewritten request rather than the client's path.
func clearRouteCache() {
	if !callForeign("clear_route_cache") {
		proxywasm.LogDebug("clear_route_cache unavailable: the host has no such foreign function, or it failed")
	}
}

// finish ends the answer: its usage goes to the access log now (filter
// state must be set before the stream ends: Envoy runs the connection
// manager's access logs before the filter's own proxy_on_log) and to the
// metrics at the end (OnHttpStreamDone).
func (h *httpContext) finish(u gemini.Usage, failed bool) {
	h.endAt = monoNow()
	if failed {
		setProperty("gca_error", "true")
	}
	if u.Present {
		h.usage = u
		setPropertyInt("gca_input_tokens", u.Input())
		setPropertyInt("gca_output_tokens", u.Output())
		setPropertyInt("gca_total_tokens", u.Input()+u.Output())
	}
}

// firstBytes notes when a streamed answer's first bytes arrived (time to
// first token: Gemini sends its first event when it has its first tokens).
func (h *httpContext) firstBytes() {
	if h.streamed && h.firstBodyAt.IsZero() {
		h.firstBodyAt = monoNow()
	}
}

// setStreamed tells the access log whether the client asked for a stream.
func setStreamed(streamed bool) {
	v := "false"
	if streamed {
		v = "true"
	}
	setProperty("gca_streamed", v)
}

// maxLoggedPath and maxLoggedError bound what the access log gets of a
// client's path and of an error message.
const (
	maxLoggedPath  = 256
	maxLoggedError = 512
)

// noteError puts an error's type and message in the access log. The
// message is the one the client gets (the gateway's, or Gemini's): it
// never holds a key, but the request's keys are removed from it anyway, in
// case a client sent a key where a model name or a path belongs.
func (h *httpContext) noteError(e *apierror.Error) {
	msg := truncate(e.Message, maxLoggedError)
	for _, k := range h.keys {
		if strings.Contains(msg, k) {
			msg = strings.ReplaceAll(msg, k, "[key]")
		}
	}
	setProperty("gca_error", "true")
	setProperty("gca_error_type", errorType(e.Kind))
	if msg != "" {
		setProperty("gca_error_message", msg)
	}
}

func errorType(k apierror.Kind) string {
	switch k {
	case apierror.InvalidRequest:
		return "invalid_request"
	case apierror.Authentication:
		return "authentication"
	case apierror.Permission:
		return "permission"
	case apierror.NotFound:
		return "not_found"
	case apierror.MethodNotAllowed:
		return "method_not_allowed"
	case apierror.RequestTooLarge:
		return "request_too_large"
	case apierror.RateLimited:
		return "rate_limited"
	case apierror.QuotaExhausted:
		return "quota_exhausted"
	case apierror.BadGateway:
		return "bad_gateway"
	case apierror.Overloaded:
		return "overloaded"
	case apierror.Timeout:
		return "timeout"
	}
	return "server"
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// OnHttpStreamDone (proxy_on_log) ends every request, whatever became of
// it: answered, refused, reset by Gemini or left by the client. Its
// metrics are recorded here, once.
func (h *httpContext) OnHttpStreamDone() {
	p := h.plugin
	m := &p.metrics
	now := monoNow()
	status := h.sentStatus
	if status == 0 {
		status = h.status
	}
	m.request(h.route.proto, h.route.kind, status, h.served)

	if h.streamed {
		o := streamCompleted
		switch {
		case !h.streamEnded && downstreamGone():
			o = streamClientCancelled
		case !h.streamEnded || h.streamFailed:
			o = streamUpstreamCut
		}
		m.streams[h.route.proto][o].Increment(1)
	}

	u := h.usage
	if !u.Present && h.streamed && !h.streamEnded {
		u = h.handler.usage() // a stream cut short: count what Gemini reported so far
	}
	if u.Present {
		cs := m.tokenCounters(h.served)
		add(cs[tokInput], u.Input())
		add(cs[tokOutput], u.Output())
		add(cs[tokThinking], u.Thoughts)
		add(cs[tokCached], u.Cached)
	}

	if !h.sentAt.IsZero() && h.status != 0 {
		end := h.endAt
		if end.IsZero() {
			end = now
		}
		streamed := 0
		if h.streamed {
			streamed = 1
		}
		m.latency[streamed].Record(millis(end.Sub(h.sentAt)))
		if h.streamed && !h.firstBodyAt.IsZero() {
			m.ttft.Record(millis(h.firstBodyAt.Sub(h.sentAt)))
		}
	}

	if h.route.kind != epHealth && !h.start.IsZero() {
		// /health's figures: API requests only, not the probes.
		d := &p.stats.pending
		d.requests++
		if status >= 400 {
			d.errors++
		}
		if status >= 500 {
			d.serverErrors++
		}
		d.durationMs += millis(now.Sub(h.start))
		if d.requests >= statsFlushEvery {
			p.stats.flush(time.Now().UnixMilli())
		}
	}
}

func millis(d time.Duration) uint64 {
	if d < 0 {
		return 0
	}
	return uint64(d.Milliseconds())
}

// replaceWithLocal answers with a local reply from a response callback; the
// upstream's headers were not sent yet, so the reply replaces them.
func (h *httpContext) replaceWithLocal(e *apierror.Error) types.Action {
	h.handler = answered{}
	status, body := h.errorAnswer(e)
	_ = proxywasm.SendHttpResponse(uint32(status), [][2]string{{"content-type", "application/json"}}, body, -1)
	return types.ActionPause
}

// fail answers the client with e in its own protocol's shape.
func (h *httpContext) fail(e *apierror.Error) types.Action { return h.failWith(e) }

func (h *httpContext) failWith(e *apierror.Error, extra ...[2]string) types.Action {
	h.handler = answered{}
	status, body := h.errorAnswer(e)
	headers := append([][2]string{{"content-type", "application/json"}}, extra...)
	setRetryAfter(e, func(k, v string) error { headers = append(headers, [2]string{k, v}); return nil })
	if err := proxywasm.SendHttpResponse(uint32(status), headers, body, -1); err != nil {
		proxywasm.LogError("gemini-code-api: local reply failed: " + err.Error())
	}
	return types.ActionPause
}

// reply sends a successful local answer (models list, joined embeddings).
func (h *httpContext) reply(body []byte) {
	h.handler = answered{}
	h.sentStatus = 200
	_ = proxywasm.SendHttpResponse(200, [][2]string{{"content-type", "application/json"}}, body, -1)
}

// errorAnswer is the answer that carries e to the client: e goes to the
// access log, and its status is the one the request's metrics record.
func (h *httpContext) errorAnswer(e *apierror.Error) (status int, body []byte) {
	h.noteError(e)
	status, body = renderError(h.route.proto, e)
	h.sentStatus = status
	return status, body
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

func (h *httpContext) health(keys []string) types.Action {
	h.handler = answered{}
	h.sentStatus = 200
	_ = proxywasm.SendHttpResponse(200, [][2]string{{"content-type", "application/json"}, {"cache-control", "no-store"}}, h.plugin.healthBody(keys), -1)
	return types.ActionPause
}

// isWebSocketUpgrade reports a WebSocket upgrade request (Envoy passes the
// upgrade header through when the listener allows websocket upgrades).
func (h *httpContext) isWebSocketUpgrade() bool {
	v, ok := h.header("upgrade")
	return ok && strings.EqualFold(strings.TrimSpace(v), "websocket")
}

func (h *httpContext) hasHeader(name string) bool {
	v, ok := h.header(name)
	return ok && v != ""
}

// header is the first value of a request header, as Envoy's
// proxy_get_header_map_value returns it, from the headers read once by
// OnHttpRequestHeaders.
func (h *httpContext) header(name string) (string, bool) {
	for _, kv := range h.reqHeaders {
		if len(kv[0]) == len(name) && strings.EqualFold(kv[0], name) {
			return kv[1], true
		}
	}
	return "", false
}

func strconvQuote(s string) string {
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return strconv.Quote(strings.ToValidUTF8(s, "?"))
}
