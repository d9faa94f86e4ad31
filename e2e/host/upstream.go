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
		a.f = newUpCtx(v, a)
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
	if !a.f.createContext() {
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

// upstreamEvent hands a transport event (evUpHeaders, evUpData,
// evUpError) to a, the attempt it belongs to; nil: the attempt is gone
// and the event is dropped.
func upstreamEvent(a *attempt, ev event) {
	switch ev.kind {
	case evUpHeaders:
		if a == nil {
			ev.resp.Body.Close()
			return
		}
		a.onHeaders(ev.resp)
	case evUpData:
		if a != nil {
			a.onData(ev.data, ev.eos)
		}
	case evUpError:
		if a != nil {
			a.own.attemptReset(a, ev.err)
		}
	}
}

// responseHeaderMap is Envoy's header map of an upstream response: :status
// first, lowercase names, no hop-by-hop headers.
func responseHeaderMap(resp *http.Response) hmap {
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
	return hm
}

// onHeaders / onData: the upstream response, into the upstream filter.
func (a *attempt) onHeaders(resp *http.Response) {
	hm := responseHeaderMap(resp)
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
// (filter.go, allow_on_headers_stop_iteration: true), with the router as
// the previous stage and the codec as the next one on the request path,
// and the codec as the previous stage and the router as the next one on
// the response path:
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
	filter // u.req works on the router's header map *a.hdrs

	r         *rootCtx
	a         *attempt
	destroyed bool

	respHeaders hmap
	respStarted bool
}

func newUpCtx(v *vm, a *attempt) *upCtx {
	u := &upCtx{r: v.upRoot(), a: a}
	u.filter = newFilter(u, v, a.hdrs, &u.respHeaders)
	return u
}

func (u *upCtx) root() *rootCtx   { return u.r }
func (u *upCtx) loop() eventLoop  { return u.a.own }
func (u *upCtx) clearRouteCache() {} // context.cc: no downstreamCallbacks() upstream

func (u *upCtx) props() propSource {
	ps := u.a.own.upstreamProps()
	ps.respHeaders, ps.respOK = u.respHeaders, u.respStarted
	return ps
}

// destroy: Context::onDestroy -> proxy_on_done, proxy_on_delete.
func (u *upCtx) destroy() {
	if u.destroyed {
		return
	}
	u.destroyed = true
	u.pending = nil
	u.req.hdrAvail, u.resp.hdrAvail = false, false
	v := u.vm
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

// The upstream filter's place in the chain (filterStage).

// invoke: a trap fails the stream as a failed downstream filter would
// (CHECK_FAIL_HTTP -> 503 wasm_fail_stream, attemptFailed).
func (u *upCtx) invoke(name string, args ...uint64) (uint64, bool) {
	if u.destroyed {
		return 0, false
	}
	r, err := u.vm.callHTTP(u, name, args...)
	if err != nil {
		u.a.own.attemptFailed(u.a)
		return 0, false
	}
	return r, true
}

func (u *upCtx) gone() bool { return u.destroyed }

func (u *upCtx) open(d *direction) bool {
	return !u.destroyed && (d.request || u.respStarted)
}

// passHeaders: the request goes to the codec (with data), the response to
// the router - headers first, then data (continueEncoding resumes the
// headers first, then the buffered data).
func (u *upCtx) passHeaders(d *direction, data []byte) {
	if d.request {
		u.a.send(data, d.eos)
		return
	}
	onlyHeaders := d.eos && len(data) == 0
	if !u.a.deliverHeaders(u.respHeaders, onlyHeaders) || onlyHeaders {
		return
	}
	u.passData(d, data)
}

func (u *upCtx) passData(d *direction, data []byte) {
	if d.request {
		u.a.sendData(data, d.eos)
		return
	}
	if len(data) > 0 || d.eos {
		u.a.deliverData(data, d.eos)
	}
}

func (u *upCtx) localReply(lr localReply) { u.a.own.attemptLocalReply(u.a, lr) }
func (u *upCtx) closeStream()             { u.a.own.attemptCloseStream(u.a) }

// createContext runs proxy_on_context_create(id, upstream root). False when the
// VM has failed (the stream then fails as a failed downstream filter
// would: CHECK_FAIL_HTTP -> 503 wasm_fail_stream).
func (u *upCtx) createContext() bool { return u.create(u, u.r) == nil }

func (u *upCtx) onRequestHeaders(eos bool) {
	u.req.eos = eos
	u.onHeaders(&u.req)
}

func (u *upCtx) onRequestData(chunk []byte, eos bool) {
	if u.destroyed {
		return
	}
	u.onData(&u.req, chunk, eos)
}

func (u *upCtx) onResponseHeaders(hm hmap, eos bool) {
	if u.destroyed {
		return
	}
	u.respHeaders, u.respStarted, u.resp.eos = hm, true, eos
	u.onHeaders(&u.resp)
}

func (u *upCtx) onResponseData(chunk []byte, eos bool) {
	if u.destroyed {
		return
	}
	u.onData(&u.resp, chunk, eos)
}

// ------------------------------------------------------------ callouts

// proxy_http_call, as Envoy's Context::httpCall (context.cc):
//   - the callout belongs to the ROOT context of the calling context
//     (exports.cc uses contextOrEffectiveContext()->root_context()), so its
//     response is delivered with proxy_on_http_call_response(thatRootID,
//     token, ...) - the upstream plugin's root for a callout made by an
//     upstream filter - even after the context that dispatched it ended;
//   - unknown cluster, negative timeout, or missing :method/:path/:authority
//     -> BadArgument; a non-empty body sets content-length; timeout 0 means
//     no timeout;
//   - Envoy's AsyncClient runs the router, so a timeout arrives as a
//     504 "upstream request timeout" RESPONSE and a connection failure as a
//     503 "upstream connect error ..." RESPONSE (onHttpCallSuccess), not as
//     a failure. Only a reset after headers is onHttpCallFailure, delivered
//     as (0 headers, 0 body, 0 trailers) with proxy_get_status =
//     BrokenConnection "reset".
//   - a callout to a cluster with the upstream Wasm filter passes through
//     a fresh upstream filter context (AsyncClient streams run a real
//     router, and each UpstreamRequest builds the cluster's upstream
//     chain), with the callout's OWN StreamInfo and filter state, attempt
//     count 1 and no retries (Context::httpCall sets no retry policy).
type calloutResponse struct {
	headers  hmap
	body     []byte
	trailers hmap
	failed   bool
}

type calloutResult struct {
	token uint32
	root  *rootCtx
	resp  *calloutResponse
}

func (v *vm) httpCall(cluster string, hdrs hmap, body []byte, trailers [][2]string, timeoutMs int32) (uint32, uint32) {
	if timeoutMs < 0 {
		return 0, resBadArgument
	}
	cl, ok := v.h.clusters[cluster]
	if !ok {
		return 0, resBadArgument
	}
	path, ok1 := hdrs.get(":path")
	method, ok2 := hdrs.get(":method")
	authority, ok3 := hdrs.get(":authority")
	if !ok1 || !ok2 || !ok3 {
		return 0, resBadArgument
	}
	v.nextCallout++
	tok := v.nextCallout
	owner, root := v.eff, v.effRoot
	deliver := func(res *calloutResult) {
		if owner != nil && owner.loop().post(event{kind: evCallout, callout: res}) {
			return
		}
		v.deliverCallout(res, nil)
	}
	timeout := time.Duration(timeoutMs) * time.Millisecond
	if cl.upstreamFilter && v.upRoot() != nil {
		cs := &calloutStream{h: v.h, v: v, cl: cl, headers: hdrs.clone(), body: body, timeout: timeout,
			filterState: map[string]string{}, mailbox: newMailbox()}
		v.h.bg.Add(1)
		go func() {
			defer v.h.bg.Done()
			deliver(&calloutResult{token: tok, root: root, resp: cs.run()})
		}()
		return tok, resOK
	}
	addr := cl.pick()
	req, err := http.NewRequest(method, "http://"+addr+path, bytes.NewReader(body))
	if err != nil {
		return 0, resBadArgument
	}
	req.ContentLength = int64(len(body))
	if len(body) == 0 {
		req.Body = http.NoBody
	}
	req.Host = authority
	req.Header = http.Header{"User-Agent": {""}}
	for _, p := range hdrs {
		if strings.HasPrefix(p[0], ":") || hopByHop[p[0]] || p[0] == "content-length" {
			continue
		}
		req.Header[p[0]] = append(req.Header[p[0]], p[1])
	}
	v.h.bg.Add(1)
	go func() {
		defer v.h.bg.Done()
		deliver(&calloutResult{token: tok, root: root, resp: v.h.performCallout(req, timeout)})
	}()
	return tok, resOK
}

func (h *Host) performCallout(req *http.Request, timeout time.Duration) *calloutResponse {
	ctx, cancel := context.WithCancel(context.Background())
	if timeout > 0 {
		ctx, cancel = context.WithTimeout(context.Background(), timeout)
	}
	defer cancel()
	go func() {
		select {
		case <-h.closed:
			cancel()
		case <-ctx.Done():
		}
	}()
	resp, err := h.client.Do(req.WithContext(ctx))
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return localCalloutResponse(504, "upstream request timeout")
		}
		return localCalloutResponse(503, "upstream connect error or disconnect/reset before headers. reset reason: connection failure")
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			// Timeout after headers: the async client's router resets the
			// stream -> onFailure.
			return &calloutResponse{failed: true}
		}
		return &calloutResponse{failed: true}
	}
	hm := responseHeaderMap(resp)
	var tr hmap
	for k, vs := range resp.Trailer {
		for _, v := range vs {
			tr = append(tr, [2]string{strings.ToLower(k), v})
		}
	}
	return &calloutResponse{headers: hm, body: body, trailers: tr}
}

func localCalloutResponse(code int, body string) *calloutResponse {
	return &calloutResponse{headers: hmap{
		{":status", strconv.Itoa(code)},
		{"content-length", strconv.Itoa(len(body))},
		{"content-type", "text/plain"},
	}, body: []byte(body)}
}

// deliverCallout calls proxy_on_http_call_response on the VM. self is the
// stream whose goroutine is delivering (nil when delivered from the callout
// goroutine); after-call actions for other streams wake those streams.
func (v *vm) deliverCallout(res *calloutResult, self *stream) {
	v.mu.Lock()
	if v.failed {
		v.mu.Unlock()
		if self != nil {
			self.failIfVMFailed()
		}
		return
	}
	r := res.resp
	v.callResp = r
	var nh, nb, nt int
	if !r.failed {
		nh, nb, nt = len(r.headers), len(r.body), len(r.trailers)
	}
	_, err := v.callRoot(res.root, "proxy_on_http_call_response", uint64(res.root.id), uint64(res.token), uint64(nh), uint64(nb), uint64(nt))
	v.callResp = nil
	touched := v.takeTouched()
	var all []hctx
	if err != nil {
		for _, c := range v.ctxs {
			all = append(all, c)
		}
	}
	v.mu.Unlock()
	wakeAll(touched, nil)
	if err != nil {
		// The VM failed: streams waiting on it would never resume; wake them
		// so that each fails with 503 (CHECK_FAIL on their next step).
		wakeAll(all, nil)
		if self != nil {
			self.failIfVMFailed()
		}
	}
}

func (s *stream) failIfVMFailed() {
	if s.vm.failed && s.created && !s.failureReply && !s.done {
		s.failStream()
	}
}

// calloutStream is an HTTP callout to a cluster with the upstream Wasm
// filter: an AsyncClient stream whose router sends one attempt (no retry
// policy) through a fresh upstream filter context. It has its own event
// loop (the goroutine running run) and its own StreamInfo.
type calloutStream struct {
	h           *Host
	v           *vm
	cl          *clusterState
	headers     hmap
	body        []byte
	timeout     time.Duration
	filterState map[string]string

	mailbox

	a          *attempt
	gotHeaders bool
	respHdrs   hmap
	respBody   []byte
	result     *calloutResponse
}

func (cs *calloutStream) run() *calloutResponse {
	cs.a = newAttempt(cs, cs.v, cs.cl, 1, 1, &cs.headers)
	if cs.timeout > 0 {
		t := time.AfterFunc(cs.timeout, func() { cs.post(event{kind: evRouteTimeout}) })
		defer t.Stop()
	}
	cs.a.decodeHeaders(cs.body, true)
	for cs.result == nil {
		select {
		case ev := <-cs.events:
			cs.handle(ev)
		case <-cs.h.closed:
			cs.result = &calloutResponse{failed: true}
		}
	}
	cs.a.reset()
	cs.close()
	cs.drain(func(ev event) {
		switch ev.kind {
		case evCallout:
			cs.v.deliverCallout(ev.callout, nil)
		case evUpHeaders:
			ev.resp.Body.Close()
		}
	})
	return cs.result
}

func (cs *calloutStream) current(gen int) *attempt {
	if cs.a != nil && cs.a.gen == gen && !cs.a.dead && cs.result == nil {
		return cs.a
	}
	return nil
}

func (cs *calloutStream) handle(ev event) {
	switch ev.kind {
	case evUpHeaders, evUpData, evUpError:
		upstreamEvent(cs.current(ev.gen), ev)
	case evRouteTimeout:
		if cs.result != nil {
			return
		}
		cs.a.reset()
		if cs.gotHeaders {
			cs.result = &calloutResponse{failed: true}
		} else {
			cs.result = localCalloutResponse(504, "upstream request timeout")
		}
	case evCallout:
		cs.v.deliverCallout(ev.callout, nil)
		cs.runPending()
	case evWake:
		cs.runPending()
	}
}

func (cs *calloutStream) runPending() {
	if cs.result != nil || cs.a.f == nil {
		return
	}
	if cs.v.failed && cs.a.f.created && !cs.a.f.destroyed {
		cs.attemptFailed(cs.a)
		return
	}
	cs.a.f.runPending()
}

func (cs *calloutStream) attemptHeaders(a *attempt, hm hmap, eos bool) {
	cs.gotHeaders = true
	cs.respHdrs = hm
	if eos {
		cs.result = &calloutResponse{headers: hm}
		a.reset()
	}
}

func (cs *calloutStream) attemptData(a *attempt, data []byte, eos bool) {
	cs.respBody = append(cs.respBody, data...)
	if eos {
		cs.result = &calloutResponse{headers: cs.respHdrs, body: cs.respBody}
		a.reset()
	}
}

func (cs *calloutStream) attemptReset(a *attempt, err error) {
	a.reset()
	if cs.gotHeaders {
		cs.result = &calloutResponse{failed: true}
		return
	}
	reason := "connection failure"
	if !isConnectFailure(err) {
		reason = "connection termination"
	}
	cs.result = localCalloutResponse(503, "upstream connect error or disconnect/reset before headers. reset reason: "+reason)
}

// attemptLocalReply: the AsyncStream's sendLocalReply - the callout gets
// the local reply as its response (or fails if headers were delivered).
func (cs *calloutStream) attemptLocalReply(a *attempt, lr localReply) {
	a.reset()
	if cs.gotHeaders {
		cs.result = &calloutResponse{failed: true}
		return
	}
	cs.result = &calloutResponse{headers: localReplyHeaders(lr), body: lr.body}
}

func (cs *calloutStream) attemptCloseStream(a *attempt) {
	a.reset()
	cs.result = &calloutResponse{failed: true}
}

// attemptFailed: failStream -> a 503 local reply with an empty body.
func (cs *calloutStream) attemptFailed(a *attempt) {
	cs.attemptLocalReply(a, localReply{code: 503, details: "wasm_fail_stream"})
}

func (cs *calloutStream) upstreamProps() propSource {
	return propSource{reqHeaders: cs.headers, filterState: cs.filterState, attempts: 1, cluster: cs.cl.name}
}
