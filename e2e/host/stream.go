package host

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// stream is one downstream HTTP request and its Wasm HTTP context. All of
// its fields are owned by the handler goroutine running stream.run; host
// functions touch them only during guest calls that goroutine makes (the
// VM mutex is held then). Callout responses for a live stream are therefore
// delivered through the stream's event loop, as Envoy runs them on the
// stream's worker thread.
//
// Filter iteration (filter.go) is Envoy's FilterManager with one Wasm
// filter followed by the router, with allow_on_headers_stop_iteration:
// true: the request goes on to the router (forwardHeaders/forwardData),
// the response to the client (writeHeaders/writeBody).
//
// Local replies (proxy_send_local_response, failStream, 413, router
// 404/503/504) follow FilterManager::sendLocalReply:
//
//	no response headers yet  -> "via filter chain": the reply's headers and
//	                           body pass through THIS filter's
//	                           on_response_headers / on_response_body (the
//	                           encoder chain starts at the first filter), so
//	                           the module sees and may edit its own reply;
//	                           nothing more is sent upstream.
//	headers set, not sent     -> sendDirectLocalReply: the reply replaces the
//	                           upstream response without any filter callback.
//	headers already sent      -> the stream is reset (connection closed).
//
// A Wasm local reply is deferred until the callback returns (context.cc
// addAfterVmCallAction) and the callback's own result is then ignored
// (cpp-host stopNextIteration forces StopAllIterationAndWatermark).
type stream struct {
	filter // the downstream Wasm filter: s.req, s.resp, s.id, s.vm
	mailbox

	h  *Host
	w  http.ResponseWriter
	r  *http.Request
	rc *http.ResponseController

	start time.Time
	done  bool
	reset bool

	// request side (iteration state: s.req)
	reqHeaders   hmap
	reqAborted   bool
	reqForwarded bool
	bytesRecv    int
	readerDone   chan struct{}
	readerStop   chan struct{}

	// routing
	route        *Route
	routeDirty   bool
	routeCleared int
	cluster      string

	// router (see router.go)
	cl         *clusterState
	upGen      int         // last attempt's event generation
	cur        *attempt    // the upstream request in flight; nil before, in back-off, after
	rs         *retryState // nil: no retries (none configured, abandoned, or response started)
	attempts   int         // StreamInfo attempt count
	isRetry    bool
	rtBody     []byte // the router's copy of the request body, for replays
	rtEOS      bool   // the router has the whole request
	rtStarted  bool   // downstream_response_started_
	backoffGen int
	backoff    *time.Timer
	routeTimer *time.Timer

	// response side (iteration state: s.resp)
	respHeaders     hmap
	respStarted     bool // response headers exist (upstream or local reply)
	respHeadersSent bool
	respCode        int
	bytesSent       int
	failureReply    bool // Envoy failure_local_reply_sent_

	details     string
	flags       []string
	filterState map[string]string
}

func newStream(h *Host, w http.ResponseWriter, r *http.Request) *stream {
	s := &stream{
		h: h, w: w, r: r, rc: http.NewResponseController(w),
		mailbox: newMailbox(),
		start:   time.Now(), filterState: map[string]string{},
		readerDone: make(chan struct{}), readerStop: make(chan struct{}),
	}
	s.filter = newFilter(s, h.pickVM(), &s.reqHeaders, &s.respHeaders)
	s.resp.keepHeaders = true
	return s
}

type localReply struct {
	code       int
	body       []byte
	headers    hmap
	details    string
	flag       string
	skipFilter bool // failStream: Envoy does not call the failed VM again
}

type eventKind int

const (
	evReqData eventKind = iota
	evUpHeaders
	evUpData
	evUpError
	evCallout
	evWake
	evRouteTimeout
	evRetry
)

type event struct {
	kind    eventKind
	gen     int
	data    []byte
	eos     bool
	resp    *http.Response
	err     error
	callout *calloutResult
}

// The downstream filter as an hctx (the host functions' view of it); the
// rest of hctx is the filter's.
func (s *stream) root() *rootCtx  { return s.vm.downRoot() }
func (s *stream) loop() eventLoop { return s }

func (s *stream) props() propSource {
	return propSource{s: s, reqHeaders: s.reqHeaders, respHeaders: s.respHeaders, respOK: s.respStarted,
		filterState: s.filterState, attempts: s.attempts, cluster: s.cluster}
}

// invoke makes one guest call for this stream under the VM lock. On a trap
// it performs Envoy's CHECK_FAIL_HTTP: failStream -> 503 local reply with
// details "wasm_fail_stream" that no longer passes through the VM.
func (s *stream) invoke(name string, args ...uint64) (uint64, bool) {
	r, err := s.vm.callHTTP(s, name, args...)
	if err != nil {
		s.failStream()
		return 0, false
	}
	return r, true
}

func (s *stream) failStream() {
	if s.failureReply {
		return
	}
	s.failureReply = true
	s.pending = nil
	s.sendLocalReply(localReply{code: 503, details: "wasm_fail_stream", skipFilter: true})
}

func (s *stream) filterActive() bool {
	return s.created && !s.failureReply && !s.vm.failed
}

// queueClose: Envoy closeStream resets the stream (details wasm_close_stream).
func (s *stream) queueClose(st uint32) uint32 {
	if st > streamResponse {
		return resBadArgument
	}
	if s.details == "" {
		s.details = "wasm_close_stream"
	}
	return s.filter.queueClose(st)
}

func (s *stream) clearRouteCache() {
	s.routeCleared++
	s.routeDirty = true
}

// The downstream filter's place in the chain (filterStage).

func (s *stream) gone() bool { return s.done }

// open: continueDecoding stops once the request was aborted (a local reply
// or reset); continueEncoding needs response headers.
func (s *stream) open(d *direction) bool {
	if d.request {
		return !s.reqAborted && !s.done
	}
	return !s.done && s.respStarted
}

// passHeaders: the request's next stage is the router (decodeHeaders), the
// response's is the client connection.
func (s *stream) passHeaders(d *direction, data []byte) {
	if d.request {
		s.forwardHeaders(data)
		return
	}
	s.writeHeaders()
	s.passData(d, data)
}

func (s *stream) passData(d *direction, data []byte) {
	if d.request {
		s.forwardData(data, d.eos)
		return
	}
	s.writeBody(data)
	if d.eos {
		s.finishResponse()
	}
}

func (s *stream) localReply(lr localReply) { s.sendLocalReply(lr) }
func (s *stream) closeStream()             { s.resetStream() }

// ---------------------------------------------------------------- request

func (s *stream) onRequestHeaders() {
	if s.vm.failed {
		// CHECK_FAIL_HTTP at the top of onRequestHeaders: no context is
		// created on a failed VM, the stream gets 503 wasm_fail_stream.
		s.failStream()
		return
	}
	if s.create(s, s.root()) != nil {
		s.failStream()
		return
	}
	s.onHeaders(&s.req)
}

func (s *stream) onRequestData(chunk []byte, eos bool) {
	s.bytesRecv += len(chunk)
	if eos {
		s.req.eos = true
	}
	if s.reqAborted || s.done {
		return
	}
	if !s.filterActive() {
		s.forwardData(chunk, eos)
		return
	}
	s.onData(&s.req, chunk, eos)
}

// --------------------------------------------------------------- response

// onResponseHeadersReady runs the encoder path for s.respHeaders (from the
// upstream or a via-filter-chain local reply).
func (s *stream) onResponseHeadersReady(eos bool) {
	s.respStarted = true
	s.resp.eos = eos
	if code, err := strconv.Atoi(firstOr(s.respHeaders, ":status", "")); err == nil {
		s.respCode = code
	}
	if !s.filterActive() {
		s.writeHeaders()
		if eos {
			s.finishResponse()
		}
		return
	}
	s.onHeaders(&s.resp)
}

func (s *stream) onResponseData(chunk []byte, eos bool) {
	if s.done {
		return
	}
	if eos {
		s.resp.eos = true
	}
	if !s.filterActive() {
		if s.resp.held {
			s.resp.body = append(s.resp.body, chunk...)
			return
		}
		s.writeBody(chunk)
		if eos {
			s.finishResponse()
		}
		return
	}
	s.onData(&s.resp, chunk, eos)
}

// ------------------------------------------------------------ local reply

func localReplyHeaders(lr localReply) hmap {
	// Http::Utility::prepareLocalReply (source/common/http/utility.cc): the
	// :status, then modify_headers adds the module's extra headers (addCopy,
	// so duplicates are possible); then, for a non-empty body, content-length
	// is set and content-type becomes text/plain only if no content-type is
	// present yet; an empty body drops both.
	hm := hmap{{":status", strconv.Itoa(lr.code)}}
	for _, p := range lr.headers {
		hm = hm.add(p[0], p[1])
	}
	if len(lr.body) > 0 {
		hm = hm.set("content-length", strconv.Itoa(len(lr.body)))
		if _, ok := hm.get("content-type"); !ok {
			hm = hm.add("content-type", "text/plain")
		}
	} else {
		hm = hm.remove("content-length").remove("content-type")
	}
	return hm
}

func (s *stream) sendLocalReply(lr localReply) {
	if s.done {
		return
	}
	if lr.details != "" {
		s.details = lr.details
	}
	if lr.flag != "" {
		s.flags = append(s.flags, lr.flag)
	}
	s.abortRequest()
	hm := localReplyHeaders(lr)
	switch {
	case !s.respStarted:
		// via filter chain
		s.respHeaders = hm
		if lr.skipFilter || !s.filterActive() {
			s.respStarted = true
			s.respCode = lr.code
			s.writeHeaders()
			s.writeBody(lr.body)
			s.finishResponse()
			return
		}
		s.onResponseHeadersReady(len(lr.body) == 0)
		if len(lr.body) > 0 && !s.done {
			s.onResponseData(lr.body, true)
		}
	case !s.respHeadersSent:
		// sendDirectLocalReply: bypasses the filters, replaces the response.
		s.resp.drop()
		s.respHeaders = hm
		s.respCode = lr.code
		s.writeHeaders()
		s.writeBody(lr.body)
		s.finishResponse()
	default:
		s.resetStream()
	}
}

// abortRequest stops everything upstream-bound: no further request
// callbacks, the upstream request (if any) is cancelled.
func (s *stream) abortRequest() {
	s.reqAborted = true
	s.req.held = false
	s.req.hdrAvail = false
	s.cancelUpstream()
}

// cancelUpstream resets the attempt in flight (its upstream filter is
// destroyed) and stops a pending retry.
func (s *stream) cancelUpstream() {
	if s.cur != nil {
		s.cur.reset()
		s.cur = nil
	}
	s.backoffGen++
	if s.backoff != nil {
		s.backoff.Stop()
		s.backoff = nil
	}
}

func (s *stream) resetStream() {
	if s.done {
		return
	}
	// Rare, and a client sees only an EOF: say why.
	s.h.logf("[host] stream %d reset (flags %v, details %q)", s.id, s.flags, s.details)
	s.reset = true
	s.cancelUpstream()
	s.finish()
}

// --------------------------------------------------------------- writing

func (s *stream) writeHeaders() {
	if s.respHeadersSent || s.done {
		return
	}
	status, err := strconv.Atoi(firstOr(s.respHeaders, ":status", ""))
	if err != nil || status < 100 || status > 999 {
		// FilterManager::encodeHeaders -> checkRequiredResponseHeaders: 502.
		s.respHeaders = localReplyHeaders(localReply{code: 502, body: []byte("missing required header: :status")})
		s.details = "filter_removed_required_response_headers"
		status = 502
	}
	s.respCode = status
	hdr := s.w.Header()
	hasCT := false
	for _, p := range s.respHeaders {
		k := p[0]
		if strings.HasPrefix(k, ":") || hopByHop[k] {
			continue
		}
		switch k {
		case "content-length", "content-type", "date", "server":
			// net/http only recognizes these under their canonical names.
			ck := http.CanonicalHeaderKey(k)
			if k == "content-type" {
				hasCT = true
			}
			hdr[ck] = append(hdr[ck], p[1])
		default:
			hdr[k] = append(hdr[k], p[1])
		}
	}
	if !hasCT {
		hdr["Content-Type"] = nil // no sniffing: Envoy never invents a content-type
	}
	if _, ok := hdr["Server"]; !ok {
		hdr["Server"] = []string{"envoy"} // HCM server_header_transformation: OVERWRITE
	}
	if s.reqAborted && !s.req.eos {
		hdr["Connection"] = []string{"close"} // request not fully read: HTTP/1 codec closes
	}
	s.w.WriteHeader(status)
	s.respHeadersSent = true
	s.rc.Flush()
}

func (s *stream) writeBody(b []byte) {
	if len(b) == 0 || s.done {
		return
	}
	n, err := s.w.Write(b)
	s.bytesSent += n
	if err != nil {
		s.h.logf("[host] stream %d: write to client: %v", s.id, err)
		s.resetStream()
		return
	}
	s.rc.Flush()
}

func (s *stream) finishResponse() {
	if s.done {
		return
	}
	if !s.respHeadersSent {
		s.writeHeaders()
	}
	s.finish()
}

// finish ends the stream the way Envoy does for an HTTP filter: the access
// log runs first (Context::log -> proxy_on_log) and then the filter is
// destroyed (Context::onDestroy -> proxy_on_done, proxy_on_delete). On a
// failed VM nothing is called (cpp-host checks isFailed()).
func (s *stream) finish() {
	if s.done {
		return
	}
	s.done = true
	v := s.vm
	// The connection manager's access logs run before the filter's own
	// access-log handler (proxy_on_log): ActiveStream's constructor adds
	// them to the filter manager's access_log_handlers_ before the filter
	// chain is created, and the Wasm filter factory adds the filter as a
	// handler only then (conn_manager_impl.cc ActiveStream::ActiveStream,
	// extensions/filters/http/wasm/config.cc; FilterManager::log runs the
	// handlers in order). So filter state a module sets in proxy_on_log
	// never reaches the access log: the entry takes it from here.
	fs := map[string]string{}
	for k, val := range s.filterState {
		fs[k] = val
	}
	// HCM doDeferredStreamDestroy: the access log first, then the filters
	// are destroyed in order: this filter, then the router, whose
	// onDestroy resets the attempt in flight (destroying its upstream
	// filter) and drops the retry state (releasing a breaker slot).
	if s.created && !v.failed {
		s.logPhase = true
		v.mu.Lock()
		v.call(s, "proxy_on_log", uint64(s.id))
		v.call(s, "proxy_on_done", uint64(s.id))
		v.call(s, "proxy_on_delete", uint64(s.id))
		v.takeTouched()
		v.mu.Unlock()
		s.logPhase = false
	}
	s.pending = nil
	v.mu.Lock()
	delete(v.ctxs, s.id)
	v.mu.Unlock()
	s.cancelUpstream()
	s.dropRetryState()
	if s.routeTimer != nil {
		s.routeTimer.Stop()
	}
	flags := "-"
	if len(s.flags) > 0 {
		flags = strings.Join(sortFlags(s.flags), ",")
	}
	status := s.respCode
	if s.reset && !s.respHeadersSent {
		status = 0
	}
	s.h.recordAccessLog(AccessLogEntry{
		Method:            firstOr(s.reqHeaders, ":method", s.r.Method),
		Path:              firstOr(s.reqHeaders, ":path", s.r.URL.RequestURI()),
		Status:            status,
		Duration:          time.Since(s.start),
		BytesReceived:     s.bytesRecv,
		BytesSent:         s.bytesSent,
		FilterState:       fs,
		ResponseFlags:     flags,
		UpstreamCluster:   s.cluster,
		ResponseDetails:   s.details,
		RouteCacheCleared: s.routeCleared,
		Attempts:          s.attempts,
	})
}

func firstOr(m hmap, k, def string) string {
	if v, ok := m.get(k); ok {
		return v
	}
	return def
}
