package host

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// serveHTTP is the downstream listener: one stream per request, driven by
// an event loop on the handler goroutine.
func (h *Host) serveHTTP(w http.ResponseWriter, r *http.Request) {
	h.bg.Add(1)
	defer h.bg.Done()
	h.active.Add(1)
	defer h.active.Add(-1)
	s := &stream{
		h: h, vm: h.pickVM(), w: w, r: r, rc: http.NewResponseController(w),
		events: make(chan event, 256), doneCh: make(chan struct{}),
		start: time.Now(), filterState: map[string]string{},
		readerDone: make(chan struct{}), readerStop: make(chan struct{}),
	}
	// Envoy's HTTP/1 codec reads the request body while the response is
	// being produced; net/http needs full duplex for that.
	_ = s.rc.EnableFullDuplex()
	s.run()
	if s.reset {
		panic(http.ErrAbortHandler) // abrupt close, like an Envoy stream reset
	}
}

func (s *stream) run() {
	s.buildRequestHeaders()
	s.route = s.h.matchRoute(firstOr(s.reqHeaders, ":path", "/"))
	if s.route != nil {
		s.cluster = s.route.Cluster
	}
	s.reqEOS = s.r.ContentLength == 0
	if s.reqEOS {
		close(s.readerDone)
	} else {
		go s.readBody()
	}
	s.onRequestHeaders()
	for !s.done {
		select {
		case ev := <-s.events:
			s.handle(ev)
		case <-s.r.Context().Done():
			// downstream went away: Envoy resets the stream (flag DC).
			s.flags = append(s.flags, "DC")
			s.resetStream()
		case <-s.h.closed:
			s.resetStream()
		}
	}
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	close(s.doneCh)
	close(s.readerStop)
	select {
	case <-s.readerDone:
	default:
		// Unblock a body read still pending, then clear the deadline: a
		// deadline left in the past breaks net/http's background read on a
		// kept-alive connection, and the next request on it would start
		// with its context already cancelled.
		_ = s.rc.SetReadDeadline(time.Now())
		<-s.readerDone
		_ = s.rc.SetReadDeadline(time.Time{})
	}
	// Callout responses that were queued for this stream still reach the
	// module (Envoy's root-owned callouts outlive the stream; the SDK
	// ignores callbacks whose context was deleted).
	for {
		select {
		case ev := <-s.events:
			if ev.kind == evCallout {
				s.vm.deliverCallout(ev.callout, nil)
			}
		default:
			return
		}
	}
}

func (s *stream) handle(ev event) {
	switch ev.kind {
	case evReqData:
		s.onRequestData(ev.data, ev.eos)
	case evUpHeaders:
		if ev.gen != s.upGen || s.done {
			ev.resp.Body.Close()
			return
		}
		s.onUpstreamHeaders(ev.resp)
	case evUpData:
		if ev.gen != s.upGen || s.done {
			return
		}
		s.onResponseData(ev.data, ev.eos)
	case evUpError:
		if ev.gen != s.upGen || s.done {
			return
		}
		s.onUpstreamError(ev.err, ev.timeout)
	case evCallout:
		s.vm.deliverCallout(ev.callout, s)
		s.runPending()
	case evWake:
		s.failIfVMFailed()
		s.runPending()
	}
}

// buildRequestHeaders converts the Go request into Envoy's header map:
// lowercase names, pseudo-headers first; x-request-id is generated when
// absent (HCM generate_request_id default). A WebSocket upgrade keeps its
// upgrade and connection headers, as Envoy does for an upgrade type listed
// in the HCM's upgrade_configs (envoy.yaml lists websocket).
func (s *stream) buildRequestHeaders() {
	r := s.r
	hm := hmap{
		{":authority", r.Host},
		{":path", r.URL.RequestURI()},
		{":method", r.Method},
		{":scheme", "http"},
	}
	upgrade := strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
	for k, vs := range r.Header {
		lk := strings.ToLower(k)
		if hopByHop[lk] && lk != "te" && !(upgrade && (lk == "upgrade" || lk == "connection")) {
			continue
		}
		for _, v := range vs {
			hm = append(hm, [2]string{lk, v})
		}
	}
	if r.ContentLength > 0 {
		if _, ok := hm.get("content-length"); !ok {
			hm = append(hm, [2]string{"content-length", strconv.FormatInt(r.ContentLength, 10)})
		}
	} else if r.ContentLength < 0 {
		hm = append(hm, [2]string{"transfer-encoding", "chunked"})
	}
	if _, ok := hm.get("x-request-id"); !ok {
		hm = append(hm, [2]string{"x-request-id", uuid4()})
	}
	if _, ok := hm.get("x-forwarded-proto"); !ok {
		hm = append(hm, [2]string{"x-forwarded-proto", "http"})
	}
	s.reqHeaders = hm
}

// readBody delivers the client body as it arrives. As Envoy's codec does,
// the chunk that completes a content-length body carries end_stream, and a
// chunked body ends with an empty end_stream chunk.
func (s *stream) readBody() {
	defer close(s.readerDone)
	buf := make([]byte, 32<<10)
	var total int64
	cl := s.r.ContentLength
	for {
		n, err := s.r.Body.Read(buf)
		if n > 0 {
			total += int64(n)
			eos := cl > 0 && total >= cl
			if !s.post(event{kind: evReqData, data: append([]byte(nil), buf[:n]...), eos: eos}) || eos {
				return
			}
		}
		if err == io.EOF {
			s.post(event{kind: evReqData, eos: true})
			return
		}
		if err != nil {
			select {
			case <-s.readerStop:
			default:
				s.h.logf("[host] read request body: %v", err)
			}
			return
		}
	}
}

// matchRoute: first prefix match wins; nil means no route (router 404).
func (h *Host) matchRoute(path string) *Route {
	for i := range h.cfg.Routes {
		if strings.HasPrefix(path, h.cfg.Routes[i].Prefix) {
			return &h.cfg.Routes[i]
		}
	}
	return nil
}

// forwardHeaders is the router's decodeHeaders: pick the (cached) route,
// open the upstream request and send the headers with the first data.
// Envoy caches the route when the request headers arrive; a :path edit
// only changes the route if clear_route_cache was called.
func (s *stream) forwardHeaders(data []byte) {
	if s.reqAborted || s.reqForwarded || s.done {
		return
	}
	s.reqHdrAvail = false
	if s.routeDirty {
		s.routeDirty = false
		s.route = s.h.matchRoute(firstOr(s.reqHeaders, ":path", "/"))
		s.cluster = ""
		if s.route != nil {
			s.cluster = s.route.Cluster
		}
	}
	if s.route == nil {
		// Router: no route -> 404, empty body, details route_not_found, NR.
		s.sendLocalReply(localReply{code: 404, details: "route_not_found", flag: "NR"})
		return
	}
	addr, ok := s.h.cfg.Clusters[s.route.Cluster]
	if !ok {
		// Router: unknown cluster -> 503 cluster_not_found, NC.
		s.sendLocalReply(localReply{code: 503, details: "cluster_not_found", flag: "NC"})
		return
	}
	s.reqForwarded = true
	path := firstOr(s.reqHeaders, ":path", "/")
	method := firstOr(s.reqHeaders, ":method", "GET")
	ctx, cancel := context.WithCancel(context.Background())
	s.upCancel = cancel
	s.upGen++
	gen := s.upGen

	var body io.Reader
	var clen int64 = -1
	if v, ok := s.reqHeaders.get("content-length"); ok {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			clen = n
		}
	}
	if s.reqEOS {
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
		s.upQ = q
		q.push(data)
		body = q
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+addr+path, body)
	if err != nil {
		s.sendLocalReply(localReply{code: 503, details: "upstream_reset_before_response_started{invalid_request}", flag: "UPE",
			body: []byte("upstream connect error or disconnect/reset before headers. reset reason: protocol error")})
		return
	}
	if clen >= 0 {
		req.ContentLength = clen
	} else {
		req.ContentLength = -1
	}
	if body == http.NoBody {
		req.ContentLength = 0
	}
	req.Host = firstOr(s.reqHeaders, ":authority", addr)
	req.Header = http.Header{}
	for _, p := range s.reqHeaders {
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
	if s.route.Timeout > 0 {
		t := time.AfterFunc(s.route.Timeout, func() {
			s.post(event{kind: evUpError, gen: gen, err: errors.New("upstream request timeout"), timeout: true})
			cancel()
		})
		_ = t
	}
	s.upStart = time.Now()
	go s.doUpstream(req, gen)
}

func (s *stream) forwardData(data []byte) {
	if s.reqAborted || !s.reqForwarded || s.upQ == nil {
		return
	}
	s.upQ.push(data)
}

func (s *stream) endUpstreamBody() {
	if s.upQ != nil {
		s.upQ.close()
		s.upQ = nil
	}
}

func (s *stream) doUpstream(req *http.Request, gen int) {
	resp, err := s.h.client.Do(req)
	if err != nil {
		s.post(event{kind: evUpError, gen: gen, err: err})
		return
	}
	if !s.post(event{kind: evUpHeaders, gen: gen, resp: resp}) {
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
			if !s.post(event{kind: evUpData, gen: gen, data: append([]byte(nil), buf[:n]...), eos: eos}) || eos {
				return
			}
		}
		if err == io.EOF {
			s.post(event{kind: evUpData, gen: gen, eos: true})
			return
		}
		if err != nil {
			s.post(event{kind: evUpError, gen: gen, err: err})
			return
		}
	}
}

func (s *stream) onUpstreamHeaders(resp *http.Response) {
	if s.reqAborted {
		resp.Body.Close()
		return
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
	// Router adds x-envoy-upstream-service-time before the encoder filters.
	hm = append(hm, [2]string{"x-envoy-upstream-service-time", strconv.FormatInt(time.Since(s.upStart).Milliseconds(), 10)})
	s.respHeaders = hm
	if s.details == "" {
		s.details = "via_upstream"
	}
	s.onResponseHeadersReady(resp.ContentLength == 0)
}

// onUpstreamError mirrors the router: before response headers a local reply
// (503 connection failure "UF", 504 timeout "UT"); after them a reset.
func (s *stream) onUpstreamError(err error, timeout bool) {
	if s.reqAborted && !timeout {
		return
	}
	if s.respStarted {
		s.flags = append(s.flags, "UR")
		s.details = "upstream_reset_after_response_started"
		s.resetStream()
		return
	}
	if timeout {
		s.sendLocalReply(localReply{code: 504, body: []byte("upstream request timeout"), details: "upstream_response_timeout", flag: "UT"})
		return
	}
	reason := "connection failure"
	flag := "UF"
	var ne net.Error
	if errors.As(err, &ne) && !strings.Contains(err.Error(), "connect") {
		reason, flag = "connection termination", "UC"
	}
	s.h.logf("[host] stream %d upstream error: %v", s.id, err)
	s.sendLocalReply(localReply{code: 503, flag: flag,
		details: "upstream_reset_before_response_started{" + strings.ReplaceAll(reason, " ", "_") + "}",
		body:    []byte("upstream connect error or disconnect/reset before headers. reset reason: " + reason)})
}

// chunkQueue is an unbounded body pipe to the upstream transport.
type chunkQueue struct {
	mu     sync.Mutex
	cond   *sync.Cond
	items  [][]byte
	closed bool
}

func newChunkQueue() *chunkQueue {
	q := &chunkQueue{}
	q.cond = sync.NewCond(&q.mu)
	return q
}

func (q *chunkQueue) push(b []byte) {
	if len(b) == 0 {
		return
	}
	q.mu.Lock()
	q.items = append(q.items, append([]byte(nil), b...))
	q.mu.Unlock()
	q.cond.Broadcast()
}

func (q *chunkQueue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cond.Broadcast()
}

func (q *chunkQueue) Read(p []byte) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.items) == 0 && !q.closed {
		q.cond.Wait()
	}
	if len(q.items) == 0 {
		return 0, io.EOF
	}
	n := copy(p, q.items[0])
	if n == len(q.items[0]) {
		q.items = q.items[1:]
	} else {
		q.items[0] = q.items[0][n:]
	}
	return n, nil
}

func uuid4() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
