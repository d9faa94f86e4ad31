package host

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// ------------------------------------------------------------- clusters

// clusterState is a cluster's endpoints, its retry circuit breaker and its
// retry stats.
type clusterState struct {
	name           string
	addrs          []string // "a:p" or "a:p,b:q": endpoints, picked round robin from the first
	rr             atomic.Uint32
	upstreamFilter bool // http_filters: [wasm, upstream_codec]

	mu          sync.Mutex
	maxRetries  int // circuit_breakers default priority max_retries
	openRetries int // retries outstanding (the breaker's resource count)

	stRetry, stRetrySuccess, stLimitExceeded, stOverflow, stBackoff, stAbandoned *metric
}

// Cluster stats as Envoy names them (cluster.<name>.<stat>), printed by
// Host.Stats with the module's metrics.
func (h *Host) newClusterState(name, addr string) *clusterState {
	cl := &clusterState{name: name, maxRetries: 3} // upstream_impl.cc: max_retries defaults to 3
	for _, a := range strings.Split(addr, ",") {
		if a = strings.TrimSpace(a); a != "" {
			cl.addrs = append(cl.addrs, a)
		}
	}
	if len(cl.addrs) == 0 {
		cl.addrs = []string{addr}
	}
	if n, ok := h.cfg.ClusterMaxRetries[name]; ok {
		cl.maxRetries = n
	}
	if u := h.cfg.Upstream; u != nil {
		cl.upstreamFilter = u.Clusters == nil || slices.Contains(u.Clusters, name)
	}
	stat := func(s string) *metric { return h.metrics.getOrCreate(metricCounter, "cluster."+name+"."+s) }
	cl.stRetry = stat("upstream_rq_retry")
	cl.stRetrySuccess = stat("upstream_rq_retry_success")
	cl.stLimitExceeded = stat("upstream_rq_retry_limit_exceeded")
	cl.stOverflow = stat("upstream_rq_retry_overflow")
	cl.stBackoff = stat("upstream_rq_retry_backoff_exponential")
	cl.stAbandoned = stat("retry_or_shadow_abandoned")
	return cl
}

func (h *Host) inc(m *metric) {
	h.metrics.mu.Lock()
	m.value++
	h.metrics.mu.Unlock()
}

func (cl *clusterState) pick() string {
	if len(cl.addrs) == 1 {
		return cl.addrs[0]
	}
	return cl.addrs[int(cl.rr.Add(1)-1)%len(cl.addrs)]
}

// tryRetry: ResourceManager retries().canCreate() then inc().
func (cl *clusterState) tryRetry() bool {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if cl.openRetries >= cl.maxRetries {
		return false
	}
	cl.openRetries++
	return true
}

func (cl *clusterState) doneRetry() {
	cl.mu.Lock()
	cl.openRetries--
	cl.mu.Unlock()
}

// ---------------------------------------------------------- retry state

// retry_on bits (RetryPolicy::RETRY_ON_*).
const (
	retryOn5xx = 1 << iota
	retryOnGatewayError
	retryOnReset
	retryOnConnectFailure
	retryOnRefusedStream
	retryOnResetBeforeRequest
	retryOnRetriable4xx
	retryOnRetriableStatusCodes
	retryOnRetriableHeaders
)

var retryOnNames = map[string]uint32{
	"5xx": retryOn5xx, "gateway-error": retryOnGatewayError, "reset": retryOnReset,
	"connect-failure": retryOnConnectFailure, "refused-stream": retryOnRefusedStream,
	"reset-before-request": retryOnResetBeforeRequest, "retriable-4xx": retryOnRetriable4xx,
	"retriable-status-codes": retryOnRetriableStatusCodes, "retriable-headers": retryOnRetriableHeaders,
}

// parseRetryOn: retry_state_impl.cc parseRetryOn - comma separated,
// unknown names ignored (and reported as not all valid).
func parseRetryOn(list []string) (uint32, bool) {
	var on uint32
	valid := true
	for _, item := range list {
		for _, t := range strings.Split(item, ",") {
			t = strings.TrimSpace(t)
			if t == "" {
				continue
			}
			if b, ok := retryOnNames[t]; ok {
				on |= b
			} else {
				valid = false
			}
		}
	}
	return on, valid
}

func validateRetryPolicy(p *RetryPolicy) error {
	if p == nil {
		return nil
	}
	if _, ok := parseRetryOn(p.RetryOn); !ok {
		return fmt.Errorf("retry policy: unsupported retry_on in %q", p.RetryOn)
	}
	if p.BackOffMax > 0 && p.BackOffMax < p.backoffBase() {
		return fmt.Errorf("retry policy: max_interval must be greater than or equal to the base_interval")
	}
	return nil
}

func (p *RetryPolicy) backoffBase() time.Duration {
	if p == nil || p.BackOffBase <= 0 {
		return 25 * time.Millisecond // runtime upstream.base_retry_backoff_ms default
	}
	return p.BackOffBase
}

// Retry and timeout headers the HCM strips from external requests before
// the filter chain runs (conn_manager_utility.cc cleanInternalHeaders; with
// this host's listener every request is external), so only a filter can
// set them.
var internalOnlyHeaders = []string{
	"x-envoy-retriable-status-codes", "x-envoy-retriable-header-names", "x-envoy-retry-on",
	"x-envoy-retry-grpc-on", "x-envoy-max-retries", "x-envoy-upstream-alt-stat-name",
	"x-envoy-upstream-rq-timeout-ms", "x-envoy-upstream-rq-per-try-timeout-ms",
	"x-envoy-upstream-rq-timeout-alt-response", "x-envoy-expected-rq-timeout-ms",
	"x-envoy-force-trace", "x-envoy-ip-tags", "x-envoy-original-url", "x-envoy-hedge-on-per-try-timeout",
}

type retryStatus int

const (
	retryNo retryStatus = iota
	retryYes
	retryNoOverflow
	retryNoLimit
)

// retryState is RetryStateImpl for one request.
type retryState struct {
	h         *Host
	cl        *clusterState
	on        uint32
	remaining int
	codes     []int
	headers   []string
	nextMs    int64 // JitteredExponentialBackOffStrategy next_interval_
	maxMs     int64
	armed     bool // a retry was granted and holds a breaker slot
	started   bool // some attempt sent bytes upstream (sticky)
}

// newRetryState is RetryStateImpl::create: a state exists when the route
// has retry_on or the request carries x-envoy-retry-on /
// x-envoy-retry-grpc-on; x-envoy-retry-on adds to the route's
// conditions, x-envoy-max-retries replaces num_retries (only when some
// retry_on is set), x-envoy-retriable-status-codes and
// x-envoy-retriable-header-names add codes and present-match header
// names. Whether or not a state is created, the retry headers are removed
// from the request so they never reach the upstream.
func newRetryState(h *Host, cl *clusterState, p *RetryPolicy, hdrs *hmap) *retryState {
	var rs *retryState
	_, hasOn := hdrs.get("x-envoy-retry-on")
	_, hasGrpcOn := hdrs.get("x-envoy-retry-grpc-on")
	if hasOn || hasGrpcOn || (p != nil && len(p.RetryOn) > 0) {
		rs = &retryState{h: h, cl: cl, remaining: 1}
		base := p.backoffBase()
		rs.nextMs = max(base.Milliseconds(), 1)
		rs.maxMs = 10 * rs.nextMs
		if p != nil {
			rs.on, _ = parseRetryOn(p.RetryOn)
			if p.NumRetries > 0 {
				rs.remaining = p.NumRetries
			} else if p.NumRetries < 0 {
				rs.remaining = 0
			}
			rs.codes = append(rs.codes, p.RetriableStatusCodes...)
			for _, n := range p.RetriableHeaders {
				rs.headers = append(rs.headers, strings.ToLower(n))
			}
			if p.BackOffMax > 0 {
				rs.maxMs = max(p.BackOffMax.Milliseconds(), rs.nextMs)
			}
		}
		if v, ok := hdrs.get("x-envoy-retry-on"); ok {
			b, _ := parseRetryOn([]string{v})
			rs.on |= b
		}
		if v, ok := hdrs.get("x-envoy-max-retries"); ok && rs.on != 0 {
			// "The max retries header takes precedence if set".
			if n, err := strconv.ParseUint(strings.TrimSpace(v), 10, 32); err == nil {
				rs.remaining = int(n)
			}
		}
		if v, ok := hdrs.get("x-envoy-retriable-status-codes"); ok {
			for _, c := range strings.Split(v, ",") {
				if n, err := strconv.Atoi(strings.TrimSpace(c)); err == nil {
					rs.codes = append(rs.codes, n)
				}
			}
		}
		if v, ok := hdrs.get("x-envoy-retriable-header-names"); ok {
			for _, n := range strings.Split(v, ",") {
				if n = strings.ToLower(strings.TrimSpace(n)); n != "" {
					rs.headers = append(rs.headers, n)
				}
			}
		}
	}
	for _, k := range []string{"x-envoy-retry-on", "x-envoy-retry-grpc-on", "x-envoy-max-retries",
		"x-envoy-hedge-on-per-try-timeout", "x-envoy-retriable-header-names",
		"x-envoy-retriable-status-codes", "x-envoy-upstream-rq-per-try-timeout-ms"} {
		*hdrs = hdrs.remove(k)
	}
	return rs
}

// enabled: retry_on_ != 0 (the router buffers the body only then).
func (rs *retryState) enabled() bool { return rs != nil && rs.on != 0 }

// wouldRetryFromHeaders (retry_state_impl.cc): checked on the response
// headers the router receives, i.e. after the upstream filters.
func (rs *retryState) wouldRetryFromHeaders(status int, hm hmap) bool {
	if _, ok := hm.get("x-envoy-ratelimited"); ok {
		return false // only envoy-ratelimited (not emulated) retries these
	}
	switch {
	case rs.on&retryOn5xx != 0 && status >= 500 && status < 600:
		return true
	case rs.on&retryOnGatewayError != 0 && (status == 502 || status == 503 || status == 504):
		return true
	case rs.on&retryOnRetriable4xx != 0 && status == 409:
		return true
	case rs.on&retryOnRetriableStatusCodes != 0 && slices.Contains(rs.codes, status):
		return true
	}
	if rs.on&retryOnRetriableHeaders != 0 {
		for _, n := range rs.headers {
			if _, ok := hm.get(n); ok {
				return true
			}
		}
	}
	return false
}

// wouldRetryFromReset (retry_state_impl.cc): connect-failure for pool
// connection failures; 5xx, gateway-error and reset for any reset;
// reset-before-request while no byte was ever sent upstream (approximated:
// every attempt so far failed to connect); refused-stream only for an
// HTTP/2 REFUSED_STREAM, which HTTP/1 upstreams never produce.
func (rs *retryState) wouldRetryFromReset(connectFailure bool) bool {
	if !connectFailure {
		rs.started = true
	}
	switch {
	case connectFailure && rs.on&retryOnConnectFailure != 0:
		return true
	case rs.on&(retryOn5xx|retryOnGatewayError|retryOnReset) != 0:
		return true
	case rs.on&retryOnResetBeforeRequest != 0 && !rs.started:
		return true
	}
	return false
}

// shouldRetry is RetryStateImpl::shouldRetry: a previously granted retry
// followed by a "no retry" outcome counts as upstream_rq_retry_success;
// the breaker slot of the previous retry is released at this decision;
// then the limit (URX), then the circuit breaker (UO), then the retry.
func (rs *retryState) shouldRetry(would bool) retryStatus {
	if rs.armed && !would {
		rs.h.inc(rs.cl.stRetrySuccess)
	}
	rs.release()
	if !would {
		return retryNo
	}
	if rs.remaining == 0 {
		rs.h.inc(rs.cl.stLimitExceeded)
		return retryNoLimit
	}
	rs.remaining--
	if !rs.cl.tryRetry() {
		rs.h.inc(rs.cl.stOverflow)
		return retryNoOverflow
	}
	rs.armed = true
	rs.h.inc(rs.cl.stRetry)
	return retryYes
}

// release is resetRetry (also run when the state is destroyed).
func (rs *retryState) release() {
	if rs != nil && rs.armed {
		rs.armed = false
		rs.cl.doneRetry()
	}
}

// backoff is JitteredExponentialBackOffStrategy::nextBackOffMs: uniform in
// [0, next_interval_), then next_interval_ doubles up to the max.
func (rs *retryState) backoff() time.Duration {
	b := rs.nextMs
	rs.nextMs = min(rs.nextMs*2, rs.maxMs)
	return time.Duration(rand.Int64N(b)) * time.Millisecond
}

// -------------------------------------------------------- stream router

// The router of a downstream stream (router.cc Filter), after the
// downstream Wasm filter:
//
//   - forwardHeaders (decodeHeaders) picks the route and cluster, builds
//     the retry state from the route's policy and the request headers as
//     the downstream filter left them (consuming the x-envoy-retry-*
//     headers), sets x-envoy-attempt-count when enabled, arms the route
//     timeout - which covers every attempt and the back-off between them -
//     and starts attempt 1;
//   - forwardData (decodeData) keeps a copy of the body while retries are
//     possible and gives the attempt a copy; over the buffer limit retries
//     are abandoned (retry_or_shadow_abandoned; 507 if in back-off);
//   - attemptHeaders (onUpstreamHeaders) decides on retry BEFORE anything
//     goes downstream: a retried attempt is reset (its upstream filter
//     destroyed) and its response discarded; otherwise the response starts
//     downstream and retries are over;
//   - attemptReset (onUpstreamReset / maybeRetryReset) retries resets
//     before the response started downstream, else answers 503 (or resets
//     the stream if the response has started);
//   - doRetry builds a new attempt on the same header map with the
//     buffered body replayed.

// forwardHeaders is the router's decodeHeaders (headers plus the first
// data the downstream filter lets through). Envoy caches the route when
// the request headers arrive; a :path edit only changes the route if
// clear_route_cache was called.
func (s *stream) forwardHeaders(data []byte) {
	if s.reqAborted || s.reqForwarded || s.done {
		return
	}
	s.req.hdrAvail = false
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
	cl, ok := s.h.clusters[s.route.Cluster]
	if !ok {
		// Router: unknown cluster -> 503 cluster_not_found, NC.
		s.sendLocalReply(localReply{code: 503, details: "cluster_not_found", flag: "NC"})
		return
	}
	s.cl = cl
	s.reqForwarded = true
	s.rtEOS = s.req.eos
	s.rs = newRetryState(s.h, cl, s.route.Retry, &s.reqHeaders)
	if s.route.Timeout > 0 {
		// Filter::onRequestComplete arms the global timer once; this host
		// arms it when the headers are forwarded (as it always has).
		s.routeTimer = time.AfterFunc(s.route.Timeout, func() { s.post(event{kind: evRouteTimeout}) })
	}
	// decodeHeaders: attempt_count_ starts at 1, the StreamInfo gets it and
	// the header is set (not gated by suppress_envoy_headers) before the
	// first UpstreamRequest exists.
	s.attempts = 1
	if s.h.cfg.IncludeAttemptCountInRequest {
		s.reqHeaders = s.reqHeaders.set("x-envoy-attempt-count", "1")
	}
	if s.rs.enabled() && len(data) > 0 {
		s.rtBody = append([]byte(nil), data...)
		data = append([]byte(nil), data...)
	}
	s.startAttempt(data, s.rtEOS)
}

func (s *stream) startAttempt(data []byte, eos bool) {
	s.upGen++
	a := newAttempt(s, s.vm, s.cl, s.attempts, s.upGen, &s.reqHeaders)
	s.cur = a
	a.decodeHeaders(data, eos)
}

// forwardData is the router's decodeData: while a retry state is enabled
// the router keeps the body and sends a copy (so upstream filter edits of
// one attempt's body are not replayed). The first body data is always
// kept; once the kept body plus new data exceed the buffer limit, retries
// are abandoned (stat retry_or_shadow_abandoned) and - if the request is
// in back-off, with no upstream request - answered with 507.
func (s *stream) forwardData(data []byte, eos bool) {
	if s.reqAborted || !s.reqForwarded || s.done {
		return
	}
	if eos {
		s.rtEOS = true
	}
	if s.rs.enabled() {
		if len(s.rtBody) > 0 && len(s.rtBody)+len(data) > s.h.cfg.BufferLimit {
			s.h.inc(s.cl.stAbandoned)
			s.dropRetryState()
			if s.cur == nil {
				s.sendLocalReply(localReply{code: 507, body: []byte("exceeded request buffer limit while retrying upstream"),
					details: "request_payload_exceeded_retry_buffer_limit"})
				return
			}
		} else {
			s.rtBody = append(s.rtBody, data...)
			data = append([]byte(nil), data...)
		}
	}
	if s.cur != nil && (len(data) > 0 || eos) {
		s.cur.decodeData(data, eos)
	}
}

func (s *stream) attemptFor(gen int) *attempt {
	if a := s.cur; a != nil && a.gen == gen && !a.dead && !s.done {
		return a
	}
	return nil
}

// dropRetryState: retry_state_.reset() (releases a held breaker slot).
func (s *stream) dropRetryState() {
	s.rs.release()
	s.rs = nil
	s.rtBody = nil
}

func (s *stream) attemptCountHeader() hmap {
	if s.h.cfg.IncludeAttemptCountInResponse && s.attempts > 0 {
		return hmap{{"x-envoy-attempt-count", strconv.Itoa(s.attempts)}}
	}
	return nil
}

// attemptHeaders is Filter::onUpstreamHeaders.
func (s *stream) attemptHeaders(a *attempt, hm hmap, eos bool) {
	if a != s.cur || s.done {
		a.reset()
		return
	}
	status, _ := strconv.Atoi(firstOr(hm, ":status", ""))
	if s.rs != nil {
		s.rs.started = true
		if s.retry(a, s.rs.wouldRetryFromHeaders(status, hm)) {
			return
		}
	}
	// downstream_response_started_ = true; retry_state_.reset().
	s.rtStarted = true
	s.dropRetryState()
	// Router adds x-envoy-upstream-service-time before the encoder filters,
	// and x-envoy-attempt-count when include_attempt_count_in_response (not
	// gated by suppress_envoy_headers).
	hm = append(hm, [2]string{"x-envoy-upstream-service-time", strconv.FormatInt(time.Since(a.start).Milliseconds(), 10)})
	for _, p := range s.attemptCountHeader() {
		hm = hm.set(p[0], p[1])
	}
	s.respHeaders = hm
	if s.details == "" {
		s.details = "via_upstream"
	}
	if eos {
		// onUpstreamComplete: the attempt (and its upstream filter) ends.
		a.reset()
		s.cur = nil
	}
	s.onResponseHeadersReady(eos)
}

// attemptData is Filter::onUpstreamData.
func (s *stream) attemptData(a *attempt, data []byte, eos bool) {
	if a != s.cur || s.done {
		return
	}
	if eos {
		a.reset()
		s.cur = nil
	}
	s.onResponseData(data, eos)
}

// retry acts on shouldRetry for attempt a (would: the outcome is
// retriable): true when a retry is scheduled; a refusal by the circuit
// breaker is flagged UO, by the retry limit URX.
func (s *stream) retry(a *attempt, would bool) bool {
	switch s.rs.shouldRetry(would) {
	case retryYes:
		s.scheduleRetry(a)
		return true
	case retryNoOverflow:
		s.flags = append(s.flags, "UO")
	case retryNoLimit:
		s.flags = append(s.flags, "URX")
	}
	return false
}

// scheduleRetry resets the attempt (its upstream filter gets on_done and
// on_delete now, before the next attempt exists) and arms the back-off
// timer; doRetry runs when it fires.
func (s *stream) scheduleRetry(a *attempt) {
	a.reset()
	s.cur = nil
	d := s.rs.backoff()
	s.h.inc(s.cl.stBackoff)
	s.backoffGen++
	g := s.backoffGen
	s.backoff = time.AfterFunc(d, func() { s.post(event{kind: evRetry, gen: g}) })
}

// doRetry is Filter::doRetry: attempt_count_++, the StreamInfo and (when
// enabled) x-envoy-attempt-count on the shared header map are updated
// before the new UpstreamRequest's chain sees the headers; the buffered
// body is replayed as a copy.
func (s *stream) doRetry() {
	s.backoff = nil
	s.attempts++
	s.isRetry = true
	if s.h.cfg.IncludeAttemptCountInRequest {
		s.reqHeaders = s.reqHeaders.set("x-envoy-attempt-count", strconv.Itoa(s.attempts))
	}
	s.startAttempt(append([]byte(nil), s.rtBody...), s.rtEOS)
}

// attemptReset is Filter::onUpstreamReset: once response headers went
// downstream the stream is reset (flag UR); before that maybeRetryReset
// may retry; otherwise a 503 local reply whose body says whether retries
// happened.
func (s *stream) attemptReset(a *attempt, err error) {
	if a != s.cur || s.done {
		return
	}
	if errors.Is(err, errInvalidUpstreamRequest) {
		a.reset()
		s.cur = nil
		s.sendLocalReply(localReply{code: 503, details: "upstream_reset_before_response_started{invalid_request}", flag: "UPE",
			body: []byte("upstream connect error or disconnect/reset before headers. reset reason: protocol error")})
		return
	}
	if s.rtStarted || s.respStarted {
		a.reset()
		s.cur = nil
		s.flags = append(s.flags, "UR")
		s.details = "upstream_reset_after_response_started"
		s.resetStream()
		return
	}
	s.h.logf("[host] stream %d attempt %d upstream error: %v", s.id, a.n, err)
	connectFailure := isConnectFailure(err)
	if s.rs != nil && s.retry(a, s.rs.wouldRetryFromReset(connectFailure)) {
		return
	}
	a.reset()
	s.cur = nil
	reason, flag := "connection failure", "UF"
	if !connectFailure {
		reason, flag = "connection termination", "UC"
	}
	retried := ""
	if s.isRetry {
		retried = "retried and the latest "
	}
	s.sendLocalReply(localReply{code: 503, flag: flag, headers: s.attemptCountHeader(),
		details: "upstream_reset_before_response_started{" + strings.ReplaceAll(reason, " ", "_") + "}",
		body:    []byte("upstream connect error or disconnect/reset before headers. " + retried + "reset reason: " + reason)})
}

// isConnectFailure: the connection could not be established (a pool
// failure: Local/RemoteConnectionFailure), so no byte was sent.
func isConnectFailure(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "dial"
}

// onRouteTimeout: the route timeout fired (during an attempt or back-off):
// every attempt is reset, 504 before the response started, a stream reset
// after.
func (s *stream) onRouteTimeout() {
	if s.done {
		return
	}
	s.cancelUpstream()
	if s.respStarted {
		s.flags = append(s.flags, "UR")
		s.details = "upstream_reset_after_response_started"
		s.resetStream()
		return
	}
	s.sendLocalReply(localReply{code: 504, body: []byte("upstream request timeout"), details: "upstream_response_timeout",
		flag: "UT", headers: s.attemptCountHeader()})
}

// attemptLocalReply: a local reply from an upstream filter is a local
// reply of the downstream stream; the router resets its upstream requests
// and does not retry.
func (s *stream) attemptLocalReply(a *attempt, lr localReply) { s.sendLocalReply(lr) }

// attemptCloseStream: proxy_close_stream from an upstream filter resets
// the downstream stream (the upstream callbacks' resetStream).
func (s *stream) attemptCloseStream(a *attempt) {
	if s.details == "" {
		s.details = "wasm_close_stream"
	}
	s.resetStream()
}

// attemptFailed: the VM failed in an upstream filter callback
// (CHECK_FAIL_HTTP -> failStream -> 503 wasm_fail_stream).
func (s *stream) attemptFailed(a *attempt) { s.failStream() }

func (s *stream) upstreamProps() propSource {
	return propSource{s: s, reqHeaders: s.reqHeaders, filterState: s.filterState, attempts: s.attempts, cluster: s.cluster}
}

// flagOrder is Envoy's ResponseFlag order, in which %RESPONSE_FLAGS%
// lists the flags.
var flagOrder = map[string]int{"UT": 2, "UR": 4, "UF": 5, "UC": 6, "UO": 7, "NR": 8, "DC": 14, "URX": 15, "UPE": 22, "NC": 23}

func sortFlags(flags []string) []string {
	out := slices.Clone(flags)
	slices.SortStableFunc(out, func(a, b string) int {
		ra, oka := flagOrder[a]
		rb, okb := flagOrder[b]
		if !oka {
			ra = 100
		}
		if !okb {
			rb = 100
		}
		return ra - rb
	})
	return slices.Compact(out)
}
