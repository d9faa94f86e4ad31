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
//   - the callout belongs to the ROOT context (exports.cc uses
//     contextOrEffectiveContext()->root_context()), so its response is
//     delivered with proxy_on_http_call_response(rootID, token, ...), even
//     after the stream that dispatched it has ended;
//   - unknown cluster, negative timeout, or missing :method/:path/:authority
//     -> BadArgument; a non-empty body sets content-length; timeout 0 means
//     no timeout;
//   - Envoy's AsyncClient runs the router, so a timeout arrives as a
//     504 "upstream request timeout" RESPONSE and a connection failure as a
//     503 "upstream connect error ..." RESPONSE (onHttpCallSuccess), not as
//     a failure. Only a reset after headers is onHttpCallFailure, delivered
//     as (0 headers, 0 body, 0 trailers) with proxy_get_status =
//     BrokenConnection "reset".
type calloutResponse struct {
	headers  hmap
	body     []byte
	trailers hmap
	failed   bool
}

type calloutResult struct {
	token uint32
	resp  *calloutResponse
}

func (v *vm) httpCall(cluster string, hdrs hmap, body []byte, trailers [][2]string, timeoutMs int32) (uint32, uint32) {
	if timeoutMs < 0 {
		return 0, resBadArgument
	}
	addr, ok := v.h.cfg.Clusters[cluster]
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
	owner := v.eff
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
	timeout := time.Duration(timeoutMs) * time.Millisecond
	v.h.bg.Add(1)
	go func() {
		defer v.h.bg.Done()
		res := &calloutResult{token: tok, resp: v.h.performCallout(req, timeout)}
		if owner != nil && owner.post(event{kind: evCallout, callout: res}) {
			return
		}
		v.deliverCallout(res, nil)
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
	_, err := v.call(nil, "proxy_on_http_call_response", uint64(v.rootID), uint64(res.token), uint64(nh), uint64(nb), uint64(nt))
	v.callResp = nil
	touched := v.takeTouched()
	var all []*stream
	if err != nil {
		for _, s := range v.streams {
			all = append(all, s)
		}
	}
	v.mu.Unlock()
	wakeAll(touched, self)
	if err != nil {
		// The VM failed: streams waiting on it would never resume; wake them
		// so that each fails with 503 (CHECK_FAIL on their next step).
		wakeAll(all, self)
		if self != nil {
			self.failIfVMFailed()
		}
	}
}

func (s *stream) failIfVMFailed() {
	if s.vm.failed && s.ctxCreated && !s.failureReply && !s.done {
		s.failStream()
	}
}
