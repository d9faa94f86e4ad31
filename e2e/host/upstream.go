package host

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// attemptOwner is the router an upstream request reports to: the router
// of a downstream stream (*stream) or the AsyncClient router of an HTTP
// callout (*calloutStream). It is also the event loop the attempt's
// transport and upstream filter context post to.
type attemptOwner interface {
	eventLoop
	// Response headers / data as released by the upstream filters
	// (upstream_request.h UpstreamRequestFilterManagerCallbacks::
	// encodeHeaders/encodeData -> UpstreamRequest::decodeHeaders/Data ->
	// the router's onUpstreamHeaders/onUpstreamData).
	attemptHeaders(a *attempt, hm hmap, eos bool)
	attemptData(a *attempt, data []byte, eos bool)
	// The upstream request failed: connect error, reset, invalid request.
	attemptReset(a *attempt, err error)
	// An upstream filter sent a local reply, closed the stream, or failed.
	attemptLocalReply(a *attempt, lr localReply)
	attemptCloseStream(a *attempt)
	attemptFailed(a *attempt)
	// upstreamProps is the StreamInfo an upstream filter of this owner sees.
	upstreamProps() propSource
}

var errInvalidUpstreamRequest = errors.New("invalid upstream request")

// attempt is one upstream request (Envoy's UpstreamRequest): a NEW
// upstream filter chain - here the optional upstream Wasm filter context,
// then the codec - and one HTTP exchange with an endpoint of the cluster
// (upstream_request.cc UpstreamRequest ctor: a new UpstreamFilterManager
// and createFilterChain for every attempt, retries included).
type attempt struct {
	h    *Host
	own  attemptOwner
	v    *vm
	cl   *clusterState
	n    int // 1-based attempt number
	gen  int // events of this attempt carry it
	addr string
	// hdrs is the request header map the upstream chain works on and the
	// codec sends: the router's downstream header map itself, shared by
	// every attempt (upstream_request.cc acceptHeadersFromRouter passes
	// *parent_.downstreamHeaders()), so upstream filter edits persist
	// across attempts.
	hdrs *hmap
	f    *upCtx // upstream Wasm filter; nil when the cluster has none

	// corked: the router is handing over headers and data in one go; the
	// codec starts the HTTP request once both went through the filter, so
	// that a complete body is sent with a content-length (as the host has
	// always done for the downstream path).
	corked   bool
	corkSent bool
	corkData []byte
	corkEOS  bool
	sent     bool
	q        *chunkQueue
	cancel   context.CancelFunc
	start    time.Time

	dead bool // reset or complete: late events are ignored
}

func newAttempt(own attemptOwner, v *vm, cl *clusterState, n, gen int, hdrs *hmap) *attempt {
	a := &attempt{h: v.h, own: own, v: v, cl: cl, n: n, gen: gen, hdrs: hdrs, addr: cl.pick()}
	if cl.upstreamFilter && v.upRoot() != nil {
		a.f = &upCtx{v: v, r: v.upRoot(), a: a}
	}
	return a
}

// decodeHeaders hands the request headers, with data (the router's first
// body data or its buffered body on a retry), to the upstream chain.
// eos: nothing follows data.
func (a *attempt) decodeHeaders(data []byte, eos bool) {
	if a.f == nil {
		a.transport(data, eos)
		return
	}
	if !a.f.create() {
		a.own.attemptFailed(a)
		return
	}
	a.corked = true
	hdrEOS := eos && len(data) == 0
	a.f.onRequestHeaders(hdrEOS)
	if !hdrEOS && !a.dead {
		a.f.onRequestData(data, eos)
	}
	a.uncork()
}

// decodeData hands more request body to the upstream chain (a copy: the
// router keeps its own for replays).
func (a *attempt) decodeData(data []byte, eos bool) {
	if a.dead {
		return
	}
	if a.f == nil {
		a.sendData(data, eos)
		return
	}
	a.f.onRequestData(data, eos)
}

func (a *attempt) uncork() {
	a.corked = false
	if a.corkSent && !a.dead {
		a.corkSent = false
		data, eos := a.corkData, a.corkEOS
		a.corkData = nil
		a.transport(data, eos)
	}
}

// send: the upstream chain released the headers (with data); complete
// means the whole request body is in data.
func (a *attempt) send(data []byte, complete bool) {
	if a.dead {
		return
	}
	if a.corked {
		a.corkSent = true
		a.corkData = append(a.corkData, data...)
		a.corkEOS = complete
		return
	}
	a.transport(data, complete)
}

// sendData: more body released by the upstream chain.
func (a *attempt) sendData(data []byte, eos bool) {
	if a.dead {
		return
	}
	if a.corked && a.corkSent {
		a.corkData = append(a.corkData, data...)
		a.corkEOS = eos
		return
	}
	if a.q == nil {
		return
	}
	a.q.push(data)
	if eos {
		a.q.close()
		a.q = nil
	}
}

// transport is the codec: it starts the HTTP request to the endpoint with
// the current header map. A complete body is sent with its length (the
// content-length header if present, else the body size); otherwise the
// body streams (chunked unless a content-length header says otherwise).
func (a *attempt) transport(data []byte, complete bool) {
	if a.dead || a.sent {
		return
	}
	a.sent = true
	hdrs := *a.hdrs
	path := firstOr(hdrs, ":path", "/")
	method := firstOr(hdrs, ":method", "GET")
	ctx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel

	var body io.Reader
	var clen int64 = -1
	if v, ok := hdrs.get("content-length"); ok {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			clen = n
		}
	}
	if complete {
		if clen < 0 {
			clen = int64(len(data))
		}
		if len(data) > 0 {
			body = bytes.NewReader(data)
		} else if clen > 0 {
			body = bytes.NewReader(nil)
		} else {
			body = http.NoBody
		}
	} else {
		q := newChunkQueue()
		a.q = q
		q.push(data)
		body = q
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+a.addr+path, body)
	if err != nil {
		a.own.attemptReset(a, errInvalidUpstreamRequest)
		return
	}
	req.ContentLength = clen
	if body == http.NoBody {
		req.ContentLength = 0
	}
	req.Host = firstOr(hdrs, ":authority", a.addr)
	req.Header = http.Header{}
	for _, p := range hdrs {
		k := p[0]
		if strings.HasPrefix(k, ":") || hopByHop[k] || k == "content-length" || k == "host" {
			continue
		}
		if k == "user-agent" {
			k = "User-Agent"
		}
		req.Header[k] = append(req.Header[k], p[1])
	}
	if _, ok := req.Header["User-Agent"]; !ok {
		req.Header["User-Agent"] = []string{""} // keep Go from adding its own
	}
	a.start = time.Now()
	go a.h.doUpstream(a.own, req, a.gen)
}

// onHeaders / onData: the upstream response, into the upstream filter.
func (a *attempt) onHeaders(resp *http.Response) {
	hm := hmap{{":status", strconv.Itoa(resp.StatusCode)}}
	for k, vs := range resp.Header {
		lk := strings.ToLower(k)
		if hopByHop[lk] {
			continue
		}
		for _, v := range vs {
			hm = append(hm, [2]string{lk, v})
		}
	}
	eos := resp.ContentLength == 0
	if a.f != nil {
		a.f.onResponseHeaders(hm, eos)
		return
	}
	a.deliverHeaders(hm, eos)
}

func (a *attempt) onData(data []byte, eos bool) {
	if a.f != nil {
		a.f.onResponseData(data, eos)
		return
	}
	a.deliverData(data, eos)
}

// deliverHeaders hands response headers to the router; false when the
// attempt is gone afterwards (retried or aborted).
func (a *attempt) deliverHeaders(hm hmap, eos bool) bool {
	if a.dead {
		return false
	}
	a.own.attemptHeaders(a, hm, eos)
	return !a.dead
}

func (a *attempt) deliverData(data []byte, eos bool) {
	if a.dead {
		return
	}
	a.own.attemptData(a, data, eos)
}

// reset ends the attempt: the HTTP exchange is cancelled and the upstream
// filter destroyed (proxy_on_done + proxy_on_delete, never proxy_on_log).
// The router calls it for a retried attempt BEFORE the next attempt
// starts (router.cc deferredDelete -> UpstreamRequest::deleteIsPending
// runs cleanUp at once), for the successful attempt when its response is
// complete (onUpstreamComplete), and when the stream ends (resetAll).
func (a *attempt) reset() {
	if a.dead {
		return
	}
	a.dead = true
	if a.cancel != nil {
		a.cancel()
	}
	if a.q != nil {
		a.q.close()
		a.q = nil
	}
	if a.f != nil {
		a.f.destroy()
	}
}

// doUpstream performs one HTTP exchange and posts its events to loop.
func (h *Host) doUpstream(loop eventLoop, req *http.Request, gen int) {
	resp, err := h.client.Do(req)
	if err != nil {
		loop.post(event{kind: evUpError, gen: gen, err: err})
		return
	}
	if !loop.post(event{kind: evUpHeaders, gen: gen, resp: resp}) {
		resp.Body.Close()
		return
	}
	defer resp.Body.Close()
	if resp.ContentLength == 0 {
		return
	}
	buf := make([]byte, 32<<10)
	var total int64
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 {
			total += int64(n)
			eos := resp.ContentLength > 0 && total >= resp.ContentLength
			if !loop.post(event{kind: evUpData, gen: gen, data: append([]byte(nil), buf[:n]...), eos: eos}) || eos {
				return
			}
		}
		if err == io.EOF {
			loop.post(event{kind: evUpData, gen: gen, eos: true})
			return
		}
		if err != nil {
			loop.post(event{kind: evUpError, gen: gen, err: err})
			return
		}
	}
}

// ------------------------------------------------------ upstream filter

// upCtx is the upstream Wasm filter of one attempt: a new HTTP context
// (new context id) on the upstream plugin's root context, on the same VM
// as the downstream stream. Filter iteration is the downstream filter's
// (allow_on_headers_stop_iteration: true), with the router as the
// previous stage and the codec as the next one on the request path, and
// the codec as the previous stage and the router as the next one on the
// response path:
//
//	request:  on_request_headers -> Continue sends the headers; Pause holds
//	          them (body callbacks continue) until proxy_continue_stream or
//	          a Continue from on_request_body; StopAllIteration* holds
//	          headers and body until proxy_continue_stream.
//	response: on_response_headers / on_response_body likewise; the router
//	          sees nothing - and decides nothing - until the headers are
//	          released (filter_manager.cc encodeHeaders only calls the
//	          router's callbacks after the last encoder filter continued).
//
// A local reply from it is a local reply of the downstream stream
// (upstream_request.cc UpstreamFilterManager::sendLocalReply forwards to
// the router's callbacks; it is not seen by upstream filters and not
// retried). It is destroyed (on_done, on_delete) when its attempt ends and
// never gets proxy_on_log (UpstreamRequest::cleanUp destroys the filters
// and logs only the router's upstream_log).
type upCtx struct {
	v         *vm
	r         *rootCtx
	a         *attempt
	id        uint32
	created   bool
	destroyed bool
	pending   []action

	reqHdrAvail  bool
	reqHeld      bool
	reqStopAll   bool
	reqBody      []byte
	reqCur       []byte
	inReqBody    bool
	reqBuffering bool
	reqEOS       bool

	respHeaders   hmap
	respStarted   bool
	respHdrAvail  bool
	respHeld      bool
	respStopAll   bool
	respBody      []byte
	respCur       []byte
	inRespBody    bool
	respBuffering bool
	respEOS       bool
}

func (u *upCtx) ctxID() uint32    { return u.id }
func (u *upCtx) root() *rootCtx   { return u.r }
func (u *upCtx) loop() eventLoop  { return u.a.own }
func (u *upCtx) inLog() bool      { return false }
func (u *upCtx) clearRouteCache() {} // context.cc: no downstreamCallbacks() upstream
func (u *upCtx) headerMap(mt uint32) (*hmap, bool) {
	switch mt {
	case mapRequestHeaders:
		if u.reqHdrAvail {
			return u.a.hdrs, true
		}
	case mapResponseHeaders:
		if u.respHdrAvail {
			return &u.respHeaders, true
		}
	}
	return nil, false
}

func (u *upCtx) props() propSource {
	ps := u.a.own.upstreamProps()
	ps.respHeaders, ps.respOK = u.respHeaders, u.respStarted
	return ps
}

func (u *upCtx) bodyRef(req bool) *[]byte {
	if req {
		if u.reqBuffering || u.reqStopAll {
			return &u.reqBody
		}
		if u.inReqBody {
			return &u.reqCur
		}
		return nil
	}
	if u.respBuffering || u.respStopAll {
		return &u.respBody
	}
	if u.inRespBody {
		return &u.respCur
	}
	return nil
}

func (u *upCtx) queueContinue(st uint32) uint32 {
	switch st {
	case 0:
		u.pending = append(u.pending, action{kind: actContinueReq})
	case 1:
		u.pending = append(u.pending, action{kind: actContinueResp})
	case 2, 3:
		return resUnimplemented
	default:
		return resBadArgument
	}
	return resOK
}

func (u *upCtx) queueClose(st uint32) uint32 {
	if st > 1 {
		return resBadArgument
	}
	u.pending = append(u.pending, action{kind: actReset})
	return resOK
}

func (u *upCtx) queueLocalReply(lr localReply) {
	u.pending = append(u.pending, action{kind: actLocalReply, lr: lr})
}

// create runs proxy_on_context_create(id, upstream root). False when the
// VM has failed (the stream then fails as a failed downstream filter
// would: CHECK_FAIL_HTTP -> 503 wasm_fail_stream).
func (u *upCtx) create() bool {
	v := u.v
	v.mu.Lock()
	if v.failed {
		v.mu.Unlock()
		return false
	}
	u.id = v.allocID()
	v.ctxs[u.id] = u
	_, err := v.call(u, "proxy_on_context_create", uint64(u.id), uint64(u.r.id))
	touched := v.takeTouched()
	v.mu.Unlock()
	wakeAll(touched, u)
	if err != nil {
		return false
	}
	u.created = true
	return true
}

// destroy: Context::onDestroy -> proxy_on_done, proxy_on_delete.
func (u *upCtx) destroy() {
	if u.destroyed {
		return
	}
	u.destroyed = true
	u.pending = nil
	u.reqHdrAvail, u.respHdrAvail = false, false
	v := u.v
	v.mu.Lock()
	if u.created && !v.failed {
		v.call(u, "proxy_on_done", uint64(u.id))
		v.call(u, "proxy_on_delete", uint64(u.id))
	}
	touched := v.takeTouched()
	delete(v.ctxs, u.id)
	v.mu.Unlock()
	wakeAll(touched, u)
}

func (u *upCtx) invoke(name string, args ...uint64) (uint64, bool) {
	if u.destroyed {
		return 0, false
	}
	v := u.v
	v.mu.Lock()
	r, err := v.call(u, name, args...)
	touched := v.takeTouched()
	v.mu.Unlock()
	wakeAll(touched, u)
	if err != nil {
		u.a.own.attemptFailed(u.a)
		return 0, false
	}
	return r, true
}

// runPending runs the after-VM-call actions; true when the callback's
// result must be ignored (local reply, reset, or the context is gone).
func (u *upCtx) runPending() bool {
	stopped := false
	for len(u.pending) > 0 && !u.destroyed {
		a := u.pending[0]
		u.pending = u.pending[1:]
		switch a.kind {
		case actLocalReply:
			stopped = true
			u.a.own.attemptLocalReply(u.a, a.lr)
		case actReset:
			stopped = true
			u.a.own.attemptCloseStream(u.a)
		case actContinueReq:
			u.resumeRequest()
		case actContinueResp:
			u.resumeResponse()
		}
	}
	return stopped || u.destroyed
}

func (u *upCtx) limit() int { return u.v.h.cfg.BufferLimit }

func (u *upCtx) onRequestHeaders(eos bool) {
	u.reqEOS = eos
	u.reqHdrAvail = true
	r, ok := u.invoke("proxy_on_request_headers", uint64(u.id), uint64(len(*u.a.hdrs)), b2u(eos))
	if !ok || u.runPending() {
		return
	}
	switch r {
	case 0:
		u.reqHdrAvail = false
		u.a.send(nil, eos)
	case 1:
		u.reqHeld = true
	default:
		u.reqHeld, u.reqStopAll = true, true
	}
}

// checkRequestLimit: the upstream filter manager's decoder buffer limit is
// the downstream one; going over it is a 413 local reply of the stream.
func (u *upCtx) checkRequestLimit() bool {
	if len(u.reqBody) <= u.limit() {
		return false
	}
	u.a.own.attemptLocalReply(u.a, localReply{code: 413, body: []byte("Payload Too Large"), details: "request_payload_too_large"})
	return true
}

func (u *upCtx) onRequestData(chunk []byte, eos bool) {
	if u.destroyed {
		return
	}
	if eos {
		u.reqEOS = true
	}
	if u.reqStopAll {
		u.reqBody = append(u.reqBody, chunk...)
		u.checkRequestLimit()
		return
	}
	if u.reqBuffering {
		u.reqBody = append(u.reqBody, chunk...)
		if u.checkRequestLimit() {
			return
		}
		u.reqCur = nil
	} else {
		u.reqCur = chunk
	}
	size := len(u.reqCur)
	if u.reqBuffering {
		size = len(u.reqBody)
	}
	u.inReqBody = true
	r, ok := u.invoke("proxy_on_request_body", uint64(u.id), uint64(size), b2u(eos))
	u.inReqBody = false
	if !ok || u.runPending() {
		return
	}
	switch r {
	case 0:
		data := u.reqCur
		if u.reqBuffering {
			data = u.reqBody
		}
		u.reqBody, u.reqCur, u.reqBuffering = nil, nil, false
		if u.reqHeld {
			u.reqHeld, u.reqHdrAvail = false, false
			u.a.send(data, u.reqEOS)
			return
		}
		u.a.sendData(data, u.reqEOS)
	case 1, 2:
		if !u.reqBuffering {
			u.reqBody = append(u.reqBody, u.reqCur...)
		}
		u.reqCur = nil
		u.reqBuffering = true
		u.checkRequestLimit()
	default:
		u.reqCur = nil
	}
}

func (u *upCtx) resumeRequest() {
	if u.destroyed {
		return
	}
	u.reqHdrAvail = false
	data := u.reqBody
	u.reqBody, u.reqBuffering = nil, false
	if u.reqHeld {
		u.reqHeld, u.reqStopAll = false, false
		u.a.send(data, u.reqEOS)
		return
	}
	if len(data) > 0 || u.reqEOS {
		u.a.sendData(data, u.reqEOS)
	}
}

func (u *upCtx) onResponseHeaders(hm hmap, eos bool) {
	if u.destroyed {
		return
	}
	u.respHeaders, u.respStarted, u.respEOS = hm, true, eos
	u.respHdrAvail = true
	r, ok := u.invoke("proxy_on_response_headers", uint64(u.id), uint64(len(hm)), b2u(eos))
	if !ok || u.runPending() {
		return
	}
	switch r {
	case 0:
		u.respHdrAvail = false
		u.a.deliverHeaders(u.respHeaders, eos)
	case 1:
		u.respHeld = true
	default:
		u.respHeld, u.respStopAll = true, true
	}
}

// checkResponseLimit: buffering more than the limit is answered like the
// downstream encoder limit (500 local reply, or a reset once headers went
// downstream). Envoy's upstream callbacks make onResponseDataTooLarge a
// no-op; what happens instead was not verified, so this is approximated.
func (u *upCtx) checkResponseLimit() bool {
	if len(u.respBody) <= u.limit() {
		return false
	}
	u.a.own.attemptLocalReply(u.a, localReply{code: 500, body: []byte("Internal Server Error"), details: "response_payload_too_large"})
	return true
}

func (u *upCtx) onResponseData(chunk []byte, eos bool) {
	if u.destroyed {
		return
	}
	if eos {
		u.respEOS = true
	}
	if u.respStopAll {
		u.respBody = append(u.respBody, chunk...)
		u.checkResponseLimit()
		return
	}
	if u.respBuffering {
		u.respBody = append(u.respBody, chunk...)
		if u.checkResponseLimit() {
			return
		}
		u.respCur = nil
	} else {
		u.respCur = chunk
	}
	size := len(u.respCur)
	if u.respBuffering {
		size = len(u.respBody)
	}
	u.inRespBody = true
	r, ok := u.invoke("proxy_on_response_body", uint64(u.id), uint64(size), b2u(eos))
	u.inRespBody = false
	if !ok || u.runPending() {
		return
	}
	switch r {
	case 0:
		data := u.respCur
		if u.respBuffering {
			data = u.respBody
		}
		u.respBody, u.respCur, u.respBuffering = nil, nil, false
		u.releaseResponse(data)
	case 1, 2:
		if !u.respBuffering {
			u.respBody = append(u.respBody, u.respCur...)
		}
		u.respCur = nil
		u.respBuffering = true
		u.checkResponseLimit()
	default:
		u.respCur = nil
	}
}

// releaseResponse passes held headers (if any) and then data on to the
// router: continueEncoding resumes the headers first, then the buffered
// data.
func (u *upCtx) releaseResponse(data []byte) {
	if u.respHeld {
		u.respHeld, u.respStopAll, u.respHdrAvail = false, false, false
		onlyHeaders := u.respEOS && len(data) == 0
		if !u.a.deliverHeaders(u.respHeaders, onlyHeaders) || onlyHeaders {
			return
		}
	}
	if len(data) > 0 || u.respEOS {
		u.a.deliverData(data, u.respEOS)
	}
}

func (u *upCtx) resumeResponse() {
	if u.destroyed || !u.respStarted {
		return
	}
	data := u.respBody
	u.respBody, u.respBuffering = nil, false
	if !u.respHeld && len(data) == 0 && !u.respEOS {
		return
	}
	u.releaseResponse(data)
}
