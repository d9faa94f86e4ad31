package host

import (
	"crypto/rand"
	"fmt"
	"io"
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
	s := newStream(h, w, r)
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
	s.req.eos = s.r.ContentLength == 0
	if s.req.eos {
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
	s.mailbox.close()
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
	s.drain(func(ev event) {
		if ev.kind == evCallout {
			s.vm.deliverCallout(ev.callout, nil)
		}
	})
}

func (s *stream) handle(ev event) {
	switch ev.kind {
	case evReqData:
		s.onRequestData(ev.data, ev.eos)
	case evUpHeaders, evUpData, evUpError:
		upstreamEvent(s.attemptFor(ev.gen), ev)
	case evRouteTimeout:
		s.onRouteTimeout()
	case evRetry:
		if ev.gen == s.backoffGen && !s.done && !s.reqAborted && s.cur == nil && s.rs != nil {
			s.doRetry()
		}
	case evCallout:
		s.vm.deliverCallout(ev.callout, s)
		s.runAllPending()
	case evWake:
		s.failIfVMFailed()
		s.runAllPending()
	}
}

// runAllPending runs the after-call actions of the stream's downstream
// filter and of its current attempt's upstream filter.
func (s *stream) runAllPending() {
	s.runPending()
	if a := s.cur; a != nil && a.f != nil && !s.done {
		a.f.runPending()
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
	// conn_manager_utility.cc mutateRequestHeaders: a request that is not
	// internal (every request here: no use_remote_address) loses the
	// internal-only x-envoy-* headers before the filter chain runs.
	for _, k := range internalOnlyHeaders {
		hm = hm.remove(k)
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
