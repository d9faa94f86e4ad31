package host

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// stream is one downstream HTTP request and its Wasm HTTP context. All of
// its fields are owned by the handler goroutine running stream.run; host
// functions touch them only during guest calls that goroutine makes (the
// VM mutex is held then). Callout responses for a live stream are therefore
// delivered through the stream's event loop, as Envoy runs them on the
// stream's worker thread.
//
// Filter iteration follows Envoy's FilterManager with one Wasm filter
// followed by the router, with allow_on_headers_stop_iteration: true:
//
//	request:  on_request_headers -> Continue forwards the headers;
//	          Pause (StopIteration) holds them while body callbacks continue.
//	          on_request_body per chunk; Pause (StopIterationAndBuffer) buffers
//	          and the next call sees the whole buffer; Continue forwards the
//	          held headers (with edits) plus what is left in the buffer.
//	response: the same with on_response_headers / on_response_body.
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
	h  *Host
	vm *vm
	id uint32
	w  http.ResponseWriter
	r  *http.Request
	rc *http.ResponseController

	events chan event
	mu     sync.Mutex // guards closed (for posters)
	closed bool
	doneCh chan struct{}

	start      time.Time
	ctxCreated bool
	done       bool
	reset      bool
	logPhase   bool

	// request side
	reqHeaders   hmap
	reqHdrAvail  bool
	reqHeld      bool
	reqStopAll   bool
	reqBody      []byte
	reqCur       []byte
	inReqBody    bool
	reqBuffering bool
	reqEOS       bool
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

	// response side
	respHeaders     hmap
	respHdrAvail    bool
	respHeld        bool
	respStopAll     bool
	respBody        []byte
	respCur         []byte
	inRespBody      bool
	respBuffering   bool
	respEOS         bool
	respStarted     bool // response headers exist (upstream or local reply)
	respHeadersSent bool
	respCode        int
	bytesSent       int
	failureReply    bool // Envoy failure_local_reply_sent_

	details     string
	flags       []string
	filterState map[string]string
	pending     []action
}

type actionKind int

const (
	actContinueReq actionKind = iota
	actContinueResp
	actLocalReply
	actReset
)

type action struct {
	kind actionKind
	lr   localReply
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

// post delivers an event unless the stream is gone; it reports whether the
// event was accepted.
func (s *stream) post(ev event) bool {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return false
	}
	s.mu.Unlock()
	select {
	case s.events <- ev:
		return true
	case <-s.doneCh:
		return false
	}
}

// The downstream filter as an hctx (the host functions' view of it).
func (s *stream) ctxID() uint32   { return s.id }
func (s *stream) root() *rootCtx  { return s.vm.downRoot() }
func (s *stream) loop() eventLoop { return s }
func (s *stream) inLog() bool     { return s.logPhase }

// headerMap: request headers are reachable from on_request_headers until
// the filter lets them go, response headers likewise; in proxy_on_log
// both are readable (access-log phase).
func (s *stream) headerMap(mt uint32) (*hmap, bool) {
	switch mt {
	case mapRequestHeaders:
		if s.reqHdrAvail || s.logPhase {
			return &s.reqHeaders, true
		}
	case mapResponseHeaders:
		if s.respHdrAvail || s.logPhase {
			return &s.respHeaders, true
		}
	}
	return nil, false
}

func (s *stream) props() propSource {
	return propSource{s: s, reqHeaders: s.reqHeaders, respHeaders: s.respHeaders, respOK: s.respStarted,
		filterState: s.filterState, attempts: s.attempts, cluster: s.cluster}
}

// invoke makes one guest call for this stream under the VM lock. On a trap
// it performs Envoy's CHECK_FAIL_HTTP: failStream -> 503 local reply with
// details "wasm_fail_stream" that no longer passes through the VM.
func (s *stream) invoke(name string, args ...uint64) (uint64, bool) {
	v := s.vm
	v.mu.Lock()
	r, err := v.call(s, name, args...)
	touched := v.takeTouched()
	v.mu.Unlock()
	wakeAll(touched, s)
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
	return s.ctxCreated && !s.failureReply && !s.vm.failed
}

func (s *stream) queueContinue(st uint32) uint32 {
	switch st {
	case 0:
		s.pending = append(s.pending, action{kind: actContinueReq})
	case 1:
		s.pending = append(s.pending, action{kind: actContinueResp})
	case 2, 3:
		return resUnimplemented
	default:
		return resBadArgument
	}
	return resOK
}

// queueClose: Envoy closeStream resets the stream (details wasm_close_stream).
func (s *stream) queueClose(st uint32) uint32 {
	if st > 1 {
		return resBadArgument
	}
	if s.details == "" {
		s.details = "wasm_close_stream"
	}
	s.pending = append(s.pending, action{kind: actReset})
	return resOK
}

func (s *stream) queueLocalReply(lr localReply) {
	s.pending = append(s.pending, action{kind: actLocalReply, lr: lr})
}

func (s *stream) clearRouteCache() {
	s.routeCleared++
	s.routeDirty = true
}

// runPending executes the after-VM-call actions. It reports true when a
// local reply or reset happened (the callback's result must be ignored).
func (s *stream) runPending() bool {
	stopped := false
	for len(s.pending) > 0 && !s.done {
		a := s.pending[0]
		s.pending = s.pending[1:]
		switch a.kind {
		case actLocalReply:
			stopped = true
			s.sendLocalReply(a.lr)
		case actReset:
			stopped = true
			s.resetStream()
		case actContinueReq:
			s.resumeRequest()
		case actContinueResp:
			s.resumeResponse()
		}
	}
	return stopped || s.done
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// ---------------------------------------------------------------- request

func (s *stream) onRequestHeaders() {
	if s.vm.failed {
		// CHECK_FAIL_HTTP at the top of onRequestHeaders: no context is
		// created on a failed VM, the stream gets 503 wasm_fail_stream.
		s.failStream()
		return
	}
	v := s.vm
	v.mu.Lock()
	s.id = v.allocID()
	v.ctxs[s.id] = s
	_, err := v.call(s, "proxy_on_context_create", uint64(s.id), uint64(v.rootID))
	touched := v.takeTouched()
	v.mu.Unlock()
	wakeAll(touched, s)
	if err != nil {
		s.failStream()
		return
	}
	s.ctxCreated = true
	s.reqHdrAvail = true
	r, ok := s.invoke("proxy_on_request_headers", uint64(s.id), uint64(len(s.reqHeaders)), b2u(s.reqEOS))
	if !ok || s.runPending() {
		return
	}
	switch r {
	case 0:
		s.reqHdrAvail = false
		s.forwardHeaders(nil)
	case 1:
		s.reqHeld = true
	default: // StopAllIteration*: no body callbacks until continued
		s.reqHeld = true
		s.reqStopAll = true
	}
}

func (s *stream) onRequestData(chunk []byte, eos bool) {
	s.bytesRecv += len(chunk)
	if eos {
		s.reqEOS = true
	}
	if s.reqAborted || s.done {
		return
	}
	if !s.filterActive() {
		s.forwardData(chunk, eos)
		return
	}
	if s.reqStopAll {
		s.reqBody = append(s.reqBody, chunk...)
		s.checkRequestLimit()
		return
	}
	if s.reqBuffering {
		// Context::decodeData: addDecodedData before calling the VM; going
		// over the limit is a 413 before the module sees the data.
		s.reqBody = append(s.reqBody, chunk...)
		if s.checkRequestLimit() {
			return
		}
		s.reqCur = nil
	} else {
		s.reqCur = chunk
	}
	size := len(s.reqCur)
	if s.reqBuffering {
		size = len(s.reqBody)
	}
	s.inReqBody = true
	r, ok := s.invoke("proxy_on_request_body", uint64(s.id), uint64(size), b2u(eos))
	s.inReqBody = false
	if !ok || s.runPending() {
		return
	}
	switch r {
	case 0:
		data := s.reqCur
		if s.reqBuffering {
			data = s.reqBody
		}
		s.reqBody, s.reqCur, s.reqBuffering = nil, nil, false
		if s.reqHeld {
			// commonHandleAfterDataCallback: Continue while headers are
			// stopped continues the headers too.
			s.reqHeld = false
			s.forwardHeaders(data)
			return
		}
		s.forwardData(data, s.reqEOS)
	case 1, 2:
		if !s.reqBuffering {
			s.reqBody = append(s.reqBody, s.reqCur...)
		}
		s.reqCur = nil
		s.reqBuffering = true
		s.checkRequestLimit()
	default: // StopIterationNoBuffer: the chunk is dropped by the filter manager
		s.reqCur = nil
	}
}

// checkRequestLimit: a decoder buffer over the limit is answered by Envoy
// with 413 "Payload Too Large" (details request_payload_too_large).
func (s *stream) checkRequestLimit() bool {
	if len(s.reqBody) <= s.h.cfg.BufferLimit {
		return false
	}
	s.sendLocalReply(localReply{code: 413, body: []byte("Payload Too Large"), details: "request_payload_too_large"})
	return true
}

// resumeRequest is Envoy's continueDecoding (proxy_continue_stream(Request)).
func (s *stream) resumeRequest() {
	if s.reqAborted || s.done {
		return
	}
	s.reqHdrAvail = false
	data := s.reqBody
	s.reqBody, s.reqBuffering = nil, false
	if s.reqHeld {
		s.reqHeld, s.reqStopAll = false, false
		s.forwardHeaders(data)
		return
	}
	if !s.reqForwarded {
		return
	}
	s.forwardData(data, s.reqEOS)
}

// --------------------------------------------------------------- response

// onResponseHeadersReady runs the encoder path for s.respHeaders (from the
// upstream or a via-filter-chain local reply).
func (s *stream) onResponseHeadersReady(eos bool) {
	s.respStarted = true
	s.respEOS = eos
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
	s.respHdrAvail = true
	r, ok := s.invoke("proxy_on_response_headers", uint64(s.id), uint64(len(s.respHeaders)), b2u(eos))
	if !ok || s.runPending() {
		return
	}
	switch r {
	case 0:
		s.respHdrAvail = false
		s.writeHeaders()
		if eos {
			s.finishResponse()
		}
	case 1:
		s.respHeld = true
	default:
		s.respHeld = true
		s.respStopAll = true
	}
}

func (s *stream) onResponseData(chunk []byte, eos bool) {
	if s.done {
		return
	}
	if eos {
		s.respEOS = true
	}
	if !s.filterActive() {
		if s.respHeld {
			s.respBody = append(s.respBody, chunk...)
			return
		}
		s.writeBody(chunk)
		if eos {
			s.finishResponse()
		}
		return
	}
	if s.respStopAll {
		s.respBody = append(s.respBody, chunk...)
		s.checkResponseLimit()
		return
	}
	if s.respBuffering {
		s.respBody = append(s.respBody, chunk...)
		if s.checkResponseLimit() {
			return
		}
		s.respCur = nil
	} else {
		s.respCur = chunk
	}
	size := len(s.respCur)
	if s.respBuffering {
		size = len(s.respBody)
	}
	s.inRespBody = true
	r, ok := s.invoke("proxy_on_response_body", uint64(s.id), uint64(size), b2u(eos))
	s.inRespBody = false
	if !ok || s.runPending() {
		return
	}
	switch r {
	case 0:
		data := s.respCur
		if s.respBuffering {
			data = s.respBody
		}
		s.respBody, s.respCur, s.respBuffering = nil, nil, false
		if s.respHeld {
			s.respHeld = false
			s.writeHeaders()
		}
		s.writeBody(data)
		if s.respEOS {
			s.finishResponse()
		}
	case 1, 2:
		if !s.respBuffering {
			s.respBody = append(s.respBody, s.respCur...)
		}
		s.respCur = nil
		s.respBuffering = true
		s.checkResponseLimit()
	default:
		s.respCur = nil
	}
}

// checkResponseLimit: ActiveStreamEncoderFilter::responseDataTooLarge sends
// 500 (details response_payload_too_large) if headers were not sent, which
// sendLocalReply turns into a direct reply; otherwise the stream is reset.
func (s *stream) checkResponseLimit() bool {
	if len(s.respBody) <= s.h.cfg.BufferLimit {
		return false
	}
	s.sendLocalReply(localReply{code: 500, body: []byte("Internal Server Error"), details: "response_payload_too_large"})
	return true
}

// resumeResponse is Envoy's continueEncoding.
func (s *stream) resumeResponse() {
	if s.done || !s.respStarted {
		return
	}
	data := s.respBody
	s.respBody, s.respBuffering = nil, false
	if s.respHeld {
		s.respHeld, s.respStopAll = false, false
		s.writeHeaders()
	}
	s.writeBody(data)
	if s.respEOS {
		s.finishResponse()
	}
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
		s.respHeld, s.respStopAll, s.respBuffering = false, false, false
		s.respHdrAvail = false
		s.respBody, s.respCur = nil, nil
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
	s.reqHeld = false
	s.reqHdrAvail = false
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
	if s.reqAborted && !s.reqEOS {
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
	if s.ctxCreated && !v.failed {
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
