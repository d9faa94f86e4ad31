package filter

import (
	"runtime"
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
// Native Gemini requests skip the buffering and pass through.
type httpContext struct {
	types.DefaultHttpContext
	plugin *pluginContext
	route  route

	key       string    // the first key sent upstream (the upstream instance may fail over)
	keys      []string  // the request's keys, kept out of logged error messages
	start     time.Time // when the request's headers arrived
	sentAt    time.Time // when the request went upstream
	replied   bool      // a local reply was sent: let everything else pass
	tx        translation
	stream    streamer
	native    *usageTap // native passthrough: reads usage from the answer
	nativeErr bool      // a native error answer, held until checked (nativeErrorBody)
	status    int       // upstream response status
	out       []byte    // reused output buffer for stream chunks
	finalized bool
	pending   *calloutSet // in-flight HTTP callouts (models, large embeddings)
	// aliasFrom/aliasTo: a native batchEmbedContents whose body must name
	// the resolved model too.
	aliasFrom, aliasTo string
	envoyReply         bool // rewriting an Envoy local reply into the client's error shape
	guard              guardState
	// codexCatalog: a model list request from Codex (?client_version=),
	// answered with Codex's model catalog as well.
	codexCatalog bool
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
	endAt        time.Time    // when the answer ended
	firstBodyAt  time.Time    // when a streamed answer's first bytes arrived
	nativeStream bool         // a native streamGenerateContent request
	streamed     bool         // a 200 stream began
	streamEnded  bool         // ...and reached its end
	streamFailed bool         // ...where Gemini had not finished it (error event, no finish reason)
}

// collectAfterBody is the request body size from which the translation's
// garbage is collected at once (see OnHttpRequestBody).
const collectAfterBody = 1 << 20

// envoyError describes a reply Envoy made itself, before any translation.
func envoyError(status int, body []byte) *apierror.Error {
	if status == 413 {
		return apierror.New(apierror.RequestTooLarge, "The request body is larger than the gateway's buffer limit (Envoy's per_connection_buffer_limit_bytes). Send a smaller request, or raise the limit in the Envoy configuration.")
	}
	e := apierror.FromGemini(status, body)
	e.Message = "The gateway answered HTTP " + strconv.Itoa(status) + " before the request reached Gemini"
	if text := apierror.Snippet(body); text != "" {
		e.Message += ": " + text
	}
	return e
}

func (h *httpContext) OnHttpRequestHeaders(numHeaders int, endOfStream bool) types.Action {
	h.reqHeaders, _ = proxywasm.GetHttpRequestHeaders()
	defer func() { h.reqHeaders = nil }()
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
	h.start = time.Now()
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
		h.replied = true
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
	setProperty(propKeyHash, keyHash(h.key))

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
		h.sentAt = time.Now()
		return h.nativeRequest(bare)
	case epModels:
		h.codexCatalog = h.route.proto == protoOpenAI && strings.Contains(bare, "client_version=")
		return h.models()
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
	if h.route.kind == epNative {
		return h.nativeBody(bodySize, endOfStream)
	}
	if h.pending != nil {
		return types.ActionPause
	}
	if !endOfStream {
		return types.ActionPause // buffer the whole body
	}
	body, err := proxywasm.GetHttpRequestBody(0, bodySize)
	if err != nil && bodySize > 0 {
		return h.fail(apierror.New(apierror.Server, "The gateway could not read the request body."))
	}
	var tx translation
	var e *apierror.Error
	if h.route.kind == epEmbeddings {
		var r *openai.EmbeddingsRequest
		if r, e = openai.ParseEmbeddings(body, h.plugin.cfg.models, int64(h.plugin.cfg.MaxEmbeddingValues)); e == nil {
			if len(r.Inputs) > openai.MaxEmbedBatch {
				h.setModels(r.Model, r.GeminiModel)
				return h.embedInBatches(r)
			}
			tx = embedTx{r}
		}
	} else {
		tx, e = h.parseRequest(body)
	}
	if e != nil {
		return h.fail(e)
	}
	h.tx = tx
	h.setModels(tx.models())
	setStreamed(tx.streaming())
	if err := proxywasm.ReplaceHttpRequestBody(tx.upstreamBody()); err != nil {
		return h.fail(apierror.New(apierror.Server, "The gateway could not replace the request body."))
	}
	tx.release()
	body = nil
	if bodySize >= collectAfterBody {
		// A Go module in a Wasm VM runs no goroutine between callbacks, so
		// the collector only progresses inside them; requests with large
		// bodies arriving back to back can then grow the VM's memory far
		// beyond what they hold. Collecting here, once per large request,
		// returns the several copies of the body this translation made.
		runtime.GC()
	}
	_ = proxywasm.ReplaceHttpRequestHeader(":path", tx.UpstreamPath())
	if h.route.method != "POST" { // translated routes take POST only: it is POST already
		_ = proxywasm.ReplaceHttpRequestHeader(":method", "POST")
	}
	_ = proxywasm.ReplaceHttpRequestHeader(":authority", h.plugin.cfg.GeminiHost)
	_ = proxywasm.ReplaceHttpRequestHeader("content-type", "application/json")
	if h.hadContentLength {
		_ = proxywasm.RemoveHttpRequestHeader("content-length")
	}
	clearRouteCache()
	h.sentAt = time.Now()
	return types.ActionContinue
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
		latency = time.Since(h.sentAt)
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
	if _, err := proxywasm.CallForeignFunction("clear_route_cache", nil); err != nil {
		proxywasm.LogDebug("clear_route_cache unavailable: " + err.Error())
	}
}

func (h *httpContext) OnHttpResponseHeaders(numHeaders int, endOfStream bool) types.Action {
	if h.replied {
		return types.ActionContinue
	}
	s, _ := proxywasm.GetHttpResponseHeader(":status")
	h.status, _ = strconv.Atoi(s)
	// Set by the upstream instance for the router's retry decision; the
	// last attempt's answer may still carry it.
	_ = proxywasm.RemoveHttpResponseHeader(failoverHeader)
	// Google advertises its own HTTP/3 endpoint; passed on, it would point
	// clients (browsers) at a QUIC port of the gateway's host that may not
	// exist or may be something else.
	_ = proxywasm.RemoveHttpResponseHeader("alt-svc")
	if h.native != nil {
		h.report(h.status, nil)
		if h.status != 200 {
			h.finish(gemini.Usage{}, true)
		} else if h.nativeStream {
			h.streamed = true
		}
		if h.status >= 400 {
			return h.nativeErrorHeaders(endOfStream)
		}
		if endOfStream {
			h.native = nil
		}
		return types.ActionContinue
	}
	if h.tx == nil {
		if h.status >= 400 && h.route.proto != protoGemini && h.route.kind != epHealth {
			// Envoy's own reply before the request was translated (413 when
			// the body exceeds the buffer limit): give it the client's
			// protocol's error shape, as every other error.
			h.envoyReply = true
			_ = proxywasm.RemoveHttpResponseHeader("content-length")
			if endOfStream {
				h.finalized = true
				return h.replaceWithLocal(envoyError(h.status, nil))
			}
			return types.ActionPause
		}
		return types.ActionContinue
	}
	_ = proxywasm.RemoveHttpResponseHeader("content-length")
	if n := h.tx.notice(); n != "" {
		// What the translation had to leave out (web search on a model
		// that cannot combine it with functions, search settings Gemini
		// cannot enforce): the answer itself stays the client's protocol.
		_ = proxywasm.ReplaceHttpResponseHeader(noticeHeader, n)
	}
	if h.status == 200 && h.tx.streaming() {
		h.report(200, nil)
		h.stream = h.tx.newStream()
		h.streamed = true
		_ = proxywasm.ReplaceHttpResponseHeader("content-type", "text/event-stream")
		_ = proxywasm.ReplaceHttpResponseHeader("cache-control", "no-cache")
		if endOfStream { // a 200 with no body at all: still tell the client
			h.finalized = true
			return h.replaceWithLocal(apierror.New(apierror.BadGateway, "Gemini answered 200 with an empty stream."))
		}
		return types.ActionContinue
	}
	if endOfStream {
		h.finalized = true
		e := apierror.FromGemini(h.status, nil)
		if h.status == 200 {
			e = apierror.New(apierror.BadGateway, "Gemini answered 200 with an empty body.")
		}
		h.finish(gemini.Usage{}, true)
		return h.replaceWithLocal(e)
	}
	// Hold the headers: the status may change once the body is read.
	return types.ActionPause
}

func (h *httpContext) OnHttpResponseBody(bodySize int, endOfStream bool) types.Action {
	if h.replied || h.finalized {
		return types.ActionContinue
	}
	if h.native != nil {
		if h.nativeErr {
			return h.nativeErrorBody(bodySize, endOfStream)
		}
		if bodySize > 0 {
			h.firstBytes()
			if chunk, err := proxywasm.GetHttpResponseBody(0, bodySize); err == nil {
				h.native.write(chunk)
			}
		}
		if endOfStream && h.status == 200 {
			h.streamEnded = h.streamed
			h.finish(h.native.usage(), false)
		}
		return types.ActionContinue
	}
	if h.envoyReply {
		if !endOfStream {
			return types.ActionPause
		}
		var body []byte
		if bodySize > 0 {
			body, _ = proxywasm.GetHttpResponseBody(0, bodySize)
		}
		e := envoyError(h.status, body)
		h.noteError(e)
		status, out := renderError(h.route.proto, e)
		h.sentStatus = status
		_ = proxywasm.ReplaceHttpResponseHeader(":status", strconv.Itoa(status))
		_ = proxywasm.ReplaceHttpResponseHeader("content-type", "application/json")
		_ = proxywasm.ReplaceHttpResponseBody(out)
		h.finalized = true
		return types.ActionContinue
	}
	if h.tx == nil {
		return types.ActionContinue
	}
	if h.stream != nil {
		var chunk []byte
		if bodySize > 0 {
			h.firstBytes()
			chunk, _ = proxywasm.GetHttpResponseBody(0, bodySize)
		}
		h.out = h.stream.Write(h.out[:0], chunk)
		if endOfStream {
			h.out = h.stream.Close(h.out)
			h.streamEnded = true
			h.streamFailed = h.stream.Failed()
			if h.streamFailed {
				h.noteError(apierror.New(apierror.BadGateway, "Gemini's stream ended before it finished (an error event, or no finish reason)."))
			}
			h.finish(h.stream.Usage(), h.streamFailed)
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
		h.report(200, nil)
		out, e = h.tx.response(body)
		if e == nil {
			h.finish(gemini.ReadUsageBytes(body), false)
		}
	} else {
		e = apierror.FromGemini(h.status, body)
		h.report(h.status, e)
	}
	if e != nil {
		h.noteError(e)
		h.finish(gemini.Usage{}, true)
		var status int
		status, out = renderError(h.route.proto, e)
		h.sentStatus = status
		_ = proxywasm.ReplaceHttpResponseHeader(":status", strconv.Itoa(status))
		setRetryAfter(e, proxywasm.ReplaceHttpResponseHeader)
	}
	_ = proxywasm.ReplaceHttpResponseHeader("content-type", "application/json")
	_ = proxywasm.ReplaceHttpResponseBody(out)
	h.finalized = true
	return types.ActionContinue
}

// finish ends the answer: its usage goes to the access log now (filter
// state must be set before the stream ends: Envoy runs the connection
// manager's access logs before the filter's own proxy_on_log) and to the
// metrics at the end (OnHttpStreamDone).
func (h *httpContext) finish(u gemini.Usage, failed bool) {
	h.endAt = time.Now()
	if failed {
		setProperty("gca_error", "true")
	}
	if u.Present {
		h.usage = u
		setProperty("gca_input_tokens", strconv.FormatInt(u.Input(), 10))
		setProperty("gca_output_tokens", strconv.FormatInt(u.Output(), 10))
		setProperty("gca_total_tokens", strconv.FormatInt(u.Input()+u.Output(), 10))
	}
}

// firstBytes notes when a streamed answer's first bytes arrived (time to
// first token: Gemini sends its first event when it has its first tokens).
func (h *httpContext) firstBytes() {
	if h.streamed && h.firstBodyAt.IsZero() {
		h.firstBodyAt = time.Now()
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
	now := time.Now()
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
		// A stream cut short: count what Gemini reported so far.
		if h.stream != nil {
			u = h.stream.Usage()
		} else if h.native != nil {
			u = h.native.usage()
		}
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
			p.stats.flush(now.UnixMilli())
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
	h.replied = true
	h.noteError(e)
	status, body := renderError(h.route.proto, e)
	h.sentStatus = status
	_ = proxywasm.SendHttpResponse(uint32(status), [][2]string{{"content-type", "application/json"}}, body, -1)
	return types.ActionPause
}

// fail answers the client with e in its own protocol's shape.
func (h *httpContext) fail(e *apierror.Error) types.Action { return h.failWith(e) }

func (h *httpContext) failWith(e *apierror.Error, extra ...[2]string) types.Action {
	h.replied = true
	h.noteError(e)
	status, body := renderError(h.route.proto, e)
	h.sentStatus = status
	headers := append([][2]string{{"content-type", "application/json"}}, extra...)
	setRetryAfter(e, func(k, v string) error { headers = append(headers, [2]string{k, v}); return nil })
	if err := proxywasm.SendHttpResponse(uint32(status), headers, body, -1); err != nil {
		proxywasm.LogError("gemini-code-api: local reply failed: " + err.Error())
	}
	return types.ActionPause
}

// reply sends a successful local answer (models list, joined embeddings).
func (h *httpContext) reply(body []byte) {
	h.replied = true
	h.sentStatus = 200
	_ = proxywasm.SendHttpResponse(200, [][2]string{{"content-type", "application/json"}}, body, -1)
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
	h.replied = true
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
