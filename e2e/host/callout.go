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
