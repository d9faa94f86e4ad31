package host

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// upstreamCfg is the module as upstream filter of cluster gemini, with a
// retry policy on the default route.
func upstreamCfg(addr string, retry *RetryPolicy) Config {
	return Config{
		Clusters:                      map[string]string{"gemini": addr},
		Upstream:                      &UpstreamFilter{PluginConfig: []byte("upstream"), RootID: "up"},
		Routes:                        []Route{{Name: "r", Prefix: "/", Cluster: "gemini", Retry: retry}},
		IncludeAttemptCountInRequest:  true,
		IncludeAttemptCountInResponse: true,
		recordCalls:                   true,
	}
}

func fastRetry(on ...string) *RetryPolicy {
	return &RetryPolicy{RetryOn: on, BackOffBase: time.Millisecond}
}

func (r *recorder) all() []upstreamReq {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.reqs)
}

// deadAddr is a 127.0.0.1 port nothing listens on.
func deadAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func onlyEntry(t *testing.T, h *Host) AccessLogEntry {
	t.Helper()
	log := h.AccessLog()
	if len(log) != 1 {
		t.Fatalf("access log: %+v", log)
	}
	return log[0]
}

func wantStats(t *testing.T, h *Host, want ...string) {
	t.Helper()
	lines := make([]string, len(want))
	for i, w := range want {
		lines[i] = w + "\n"
	}
	stats := settled(h.Stats, lines...)
	for _, w := range lines {
		if !strings.Contains(stats, w) {
			t.Fatalf("stats lack %q:\n%s", w, stats)
		}
	}
}

// upCtxLife is the callbacks one upstream filter context got.
type upCtxLife struct {
	vm    int
	id    uint32
	calls []string
}

// upstreamContexts lists the HTTP contexts created on the upstream
// plugin's root (the second root context of each VM), with their
// callbacks in order, and the VMs downstream contexts were created on.
func upstreamContexts(h *Host) (ups []*upCtxLife, downVMs []int) {
	roots := map[int][]uint32{}
	byCtx := map[[2]uint32]*upCtxLife{}
	for _, c := range h.calls() {
		if c.fn == "proxy_on_context_create" && c.arg == 0 {
			roots[c.vm] = append(roots[c.vm], c.ctx)
			continue
		}
		if c.fn == "proxy_on_context_create" && len(roots[c.vm]) > 1 && c.arg == roots[c.vm][1] {
			l := &upCtxLife{vm: c.vm, id: c.ctx}
			ups = append(ups, l)
			byCtx[[2]uint32{uint32(c.vm), c.ctx}] = l
		} else if c.fn == "proxy_on_context_create" && c.arg == roots[c.vm][0] {
			downVMs = append(downVMs, c.vm)
		}
		if l := byCtx[[2]uint32{uint32(c.vm), c.ctx}]; l != nil {
			l.calls = append(l.calls, strings.TrimPrefix(c.fn, "proxy_on_"))
		}
	}
	return ups, downVMs
}

// checkUpstreamLifecycles: every upstream context ended with on_done and
// on_delete, none got on_log, and each ended before the next started.
func checkUpstreamLifecycles(t *testing.T, h *Host, want int) []*upCtxLife {
	t.Helper()
	ups, downVMs := upstreamContexts(h)
	if len(ups) != want {
		t.Fatalf("%d upstream contexts, want %d: %+v", len(ups), want, ups)
	}
	for _, u := range ups {
		n := len(u.calls)
		if n < 3 || u.calls[0] != "context_create" || u.calls[n-2] != "done" || u.calls[n-1] != "delete" || slices.Contains(u.calls, "log") {
			t.Fatalf("upstream context %d lifecycle %v", u.id, u.calls)
		}
		if len(downVMs) == 1 && u.vm != downVMs[0] {
			t.Fatalf("upstream context on vm%d, stream on vm%d", u.vm, downVMs[0])
		}
	}
	// Sequential attempts: context i was deleted before context i+1 was created.
	calls := h.calls()
	for i := 0; i+1 < len(ups); i++ {
		del := slices.IndexFunc(calls, func(c callRecord) bool { return c.fn == "proxy_on_delete" && c.ctx == ups[i].id && c.vm == ups[i].vm })
		cre := slices.IndexFunc(calls, func(c callRecord) bool {
			return c.fn == "proxy_on_context_create" && c.ctx == ups[i+1].id && c.vm == ups[i+1].vm
		})
		if del < 0 || cre < 0 || del > cre {
			t.Fatalf("context %d deleted at %d, next created at %d", ups[i].id, del, cre)
		}
	}
	wantStats(t, h, "wasmcustom.log_calls.upstream: 0")
	return ups
}

func TestTwoPluginsOneVM(t *testing.T) {
	up := newUpstream(t, nil)
	cfg := upstreamCfg(up.addr(), nil)
	cfg.PluginConfig = []byte("down-cfg")
	cfg.RootID = "down-root"
	cfg.Upstream = &UpstreamFilter{PluginConfig: []byte("upstream-cfg"), RootID: "up-root", PluginName: "up-name"}
	h := startHost(t, cfg)

	// Each VM: one root context per plugin, each created, started and
	// configured (cpp-host WasmBase::start + configure per plugin).
	perVM := map[int][]string{}
	for _, c := range h.calls() {
		perVM[c.vm] = append(perVM[c.vm], fmt.Sprintf("%s(%d,%d)", strings.TrimPrefix(c.fn, "proxy_on_"), c.ctx, c.arg))
	}
	want := []string{"context_create(1,0)", "vm_start(1,0)", "configure(1,8)", "context_create(2,0)", "vm_start(2,0)", "configure(2,12)"}
	if len(perVM) != 2 || !slices.Equal(perVM[0], want) || !slices.Equal(perVM[1], want) {
		t.Fatalf("root lifecycles %v, want %v per VM", perVM, want)
	}
	wantStats(t, h, "wasmcustom.plugin_starts: 4") // both plugins' metric is one stat

	_, body := do(t, h, "GET", "/", map[string]string{"x-test": "plugin-info"}, "")
	if body != "cfg=down-cfg root=down-root name=gemini-code-api" {
		t.Fatalf("downstream plugin: %q", body)
	}
	do(t, h, "GET", "/", map[string]string{"x-up": "count"}, "")
	got := up.last(t)
	if got.Header.Get("x-up-cfg") != "upstream-cfg" || got.Header.Get("x-up-root") != "up-root" {
		t.Fatalf("upstream plugin saw cfg %q root %q", got.Header.Get("x-up-cfg"), got.Header.Get("x-up-root"))
	}

	cfg.Upstream.PluginConfig = []byte("upstream-reject")
	cfg.Wasm = behaveWasm(t)
	if _, err := Start(cfg); err == nil || !strings.Contains(err.Error(), "upstream plugin proxy_on_configure") {
		t.Fatalf("upstream configure rejection: %v", err)
	}
}

func TestRetry503ThenSuccess(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("x-envoy-attempt-count") == "1" {
			w.WriteHeader(503)
			io.WriteString(w, "busy")
			return
		}
		io.WriteString(w, "ok")
	})
	h := startHost(t, upstreamCfg(up.addr(), fastRetry("5xx")))
	resp, body := do(t, h, "GET", "/", map[string]string{"x-test": "retry-down", "x-up": "count"}, "")
	if resp.StatusCode != 200 || body != "ok" {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
	// Only the final response reached the downstream filter and client.
	if resp.Header.Get("x-envoy-attempt-count") != "2" || resp.Header.Get("x-up-resp-attempt") != "2" ||
		resp.Header.Get("x-resp-hook") != "200" || resp.Header.Get("x-down-saw-up-attempts") != "2" ||
		resp.Header.Get("x-down-prop-attempts") != "2" {
		t.Fatalf("response headers %v", resp.Header)
	}
	reqs := up.all()
	if len(reqs) != 2 {
		t.Fatalf("%d upstream requests", len(reqs))
	}
	for i, r := range reqs {
		n := fmt.Sprint(i + 1)
		if r.Header.Get("x-up-attempt") != n || r.Header.Get("x-envoy-attempt-count") != n || r.Header.Get("x-up-prop-attempt") != n {
			t.Fatalf("attempt %s headers %v", n, r.Header)
		}
		// Upstream filters see the downstream filter's filter state and header edits.
		if r.Header.Get("x-up-saw-down-note") != "from-down" || r.Header.Get("x-up-saw-down-added") != "1" {
			t.Fatalf("attempt %s did not see the downstream stream: %v", n, r.Header)
		}
	}
	// The header map is the router's: attempt 1's addition is still there in attempt 2.
	if p := reqs[1].Header.Values("x-up-persist"); !slices.Equal(p, []string{"1", "2"}) {
		t.Fatalf("x-up-persist on attempt 2: %v", p)
	}
	e := onlyEntry(t, h)
	if e.Status != 200 || e.Attempts != 2 || e.ResponseFlags != "-" || e.FilterState["wasm.down_statuses"] != "200" ||
		e.FilterState["wasm.up_attempts"] != "2" {
		t.Fatalf("access log %+v", e)
	}
	wantStats(t, h, "cluster.gemini.upstream_rq_retry: 1", "cluster.gemini.upstream_rq_retry_success: 1",
		"cluster.gemini.upstream_rq_retry_limit_exceeded: 0", "wasmcustom.log_calls.downstream: 1")
	ups := checkUpstreamLifecycles(t, h, 2)
	if !slices.Equal(ups[0].calls, []string{"context_create", "request_headers", "response_headers", "done", "delete"}) {
		t.Fatalf("retried attempt's context: %v", ups[0].calls)
	}
}

func TestRetriableHeadersFromUpstreamFilter(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("x-envoy-attempt-count") == "1" {
			io.WriteString(w, "please RETRY")
			return
		}
		io.WriteString(w, "fine")
	})
	retry := fastRetry("retriable-headers")
	retry.RetriableHeaders = []string{"X-Retry-Me"}
	h := startHost(t, upstreamCfg(up.addr(), retry))
	resp, body := do(t, h, "GET", "/", map[string]string{"x-test": "retry-down", "x-up": "count,inspect"}, "")
	if resp.StatusCode != 200 || body != "fine" || resp.Header.Get("x-up-resp-len") != "4" || resp.Header.Get("x-retry-me") != "" {
		t.Fatalf("%d %q %v", resp.StatusCode, body, resp.Header)
	}
	e := onlyEntry(t, h)
	if up.count() != 2 || e.Attempts != 2 || e.FilterState["wasm.down_statuses"] != "200" {
		t.Fatalf("upstream %d, log %+v", up.count(), e)
	}
	ups := checkUpstreamLifecycles(t, h, 2)
	if !slices.Contains(ups[0].calls, "response_body") {
		t.Fatalf("first attempt's filter did not read the body: %v", ups[0].calls)
	}
}

func TestRetryLimitExhausted(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(503)
		io.WriteString(w, "busy-"+r.Header.Get("x-envoy-attempt-count"))
	})
	retry := fastRetry("5xx")
	retry.NumRetries = 2
	h := startHost(t, upstreamCfg(up.addr(), retry))
	resp, body := do(t, h, "GET", "/", map[string]string{"x-test": "retry-down", "x-up": "count"}, "")
	if resp.StatusCode != 503 || body != "busy-3" || resp.Header.Get("x-envoy-attempt-count") != "3" || resp.Header.Get("x-up-resp-attempt") != "3" {
		t.Fatalf("%d %q %v", resp.StatusCode, body, resp.Header)
	}
	e := onlyEntry(t, h)
	if e.ResponseFlags != "URX" || e.Attempts != 3 || e.Status != 503 || e.FilterState["wasm.down_statuses"] != "503" {
		t.Fatalf("access log %+v", e)
	}
	wantStats(t, h, "cluster.gemini.upstream_rq_retry: 2", "cluster.gemini.upstream_rq_retry_success: 0",
		"cluster.gemini.upstream_rq_retry_limit_exceeded: 1")
	checkUpstreamLifecycles(t, h, 3)
}

func TestConnectFailureRetried(t *testing.T) {
	for _, on := range []string{"connect-failure", "reset-before-request", "reset", "5xx", "gateway-error"} {
		t.Run(on, func(t *testing.T) {
			up := newUpstream(t, nil)
			// Two endpoints, round robin from the first: attempt 1 cannot connect.
			h := startHost(t, upstreamCfg(deadAddr(t)+","+up.addr(), fastRetry(on)))
			resp, body := do(t, h, "GET", "/", map[string]string{"x-up": "count"}, "")
			if resp.StatusCode != 200 || body != "upstream-ok" || up.count() != 1 || up.last(t).Header.Get("x-up-attempt") != "2" {
				t.Fatalf("%d %q, upstream %d", resp.StatusCode, body, up.count())
			}
			if e := onlyEntry(t, h); e.Attempts != 2 || e.ResponseFlags != "-" {
				t.Fatalf("access log %+v", e)
			}
			ups := checkUpstreamLifecycles(t, h, 2)
			if !slices.Equal(ups[0].calls, []string{"context_create", "request_headers", "done", "delete"}) {
				t.Fatalf("failed attempt's context: %v", ups[0].calls)
			}
		})
	}
	t.Run("not retriable", func(t *testing.T) {
		h := startHost(t, upstreamCfg(deadAddr(t), fastRetry("retriable-status-codes")))
		resp, body := do(t, h, "GET", "/", nil, "")
		if resp.StatusCode != 503 || body != "upstream connect error or disconnect/reset before headers. reset reason: connection failure" {
			t.Fatalf("%d %q", resp.StatusCode, body)
		}
		if e := onlyEntry(t, h); e.Attempts != 1 || e.ResponseFlags != "UF" {
			t.Fatalf("access log %+v", e)
		}
	})
}

func TestResetRetriesExhausted(t *testing.T) {
	retry := fastRetry("connect-failure")
	retry.NumRetries = 2
	h := startHost(t, upstreamCfg(deadAddr(t), retry))
	resp, body := do(t, h, "GET", "/", map[string]string{"x-test": "retry-down"}, "")
	if resp.StatusCode != 503 || body != "upstream connect error or disconnect/reset before headers. retried and the latest reset reason: connection failure" {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
	// The router's local reply goes through the downstream filter and carries the attempt count.
	if resp.Header.Get("x-envoy-attempt-count") != "3" || resp.Header.Get("x-resp-hook") != "503" {
		t.Fatalf("headers %v", resp.Header)
	}
	e := onlyEntry(t, h)
	if e.Attempts != 3 || e.ResponseFlags != "UF,URX" || e.ResponseDetails != "upstream_reset_before_response_started{connection_failure}" {
		t.Fatalf("access log %+v", e)
	}
	wantStats(t, h, "cluster.gemini.upstream_rq_retry: 2", "cluster.gemini.upstream_rq_retry_limit_exceeded: 1")
	checkUpstreamLifecycles(t, h, 3)
}

// cutFirst closes the connection of the first attempt before any response.
func cutFirst(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("x-envoy-attempt-count") == "1" {
		c, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			c.Close()
		}
		return
	}
	io.WriteString(w, "second")
}

func TestConnectionCutBeforeHeaders(t *testing.T) {
	t.Run("retried on reset", func(t *testing.T) {
		up := newUpstream(t, cutFirst)
		h := startHost(t, upstreamCfg(up.addr(), fastRetry("reset")))
		resp, body := do(t, h, "GET", "/", nil, "")
		if resp.StatusCode != 200 || body != "second" || up.count() != 2 {
			t.Fatalf("%d %q, upstream %d", resp.StatusCode, body, up.count())
		}
	})
	t.Run("not a connect failure", func(t *testing.T) {
		up := newUpstream(t, cutFirst)
		h := startHost(t, upstreamCfg(up.addr(), fastRetry("connect-failure", "reset-before-request")))
		resp, body := do(t, h, "GET", "/", nil, "")
		if resp.StatusCode != 503 || body != "upstream connect error or disconnect/reset before headers. reset reason: connection termination" {
			t.Fatalf("%d %q", resp.StatusCode, body)
		}
		if e := onlyEntry(t, h); e.ResponseFlags != "UC" || e.Attempts != 1 {
			t.Fatalf("access log %+v", e)
		}
	})
}

func TestNoRetryAfterHeadersSent(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("content-length", "100")
		w.WriteHeader(200)
		io.WriteString(w, "partial")
		w.(http.Flusher).Flush()
		time.Sleep(50 * time.Millisecond)
		panic(http.ErrAbortHandler) // cut the connection mid-body
	})
	h := startHost(t, upstreamCfg(up.addr(), fastRetry("reset", "5xx")))
	req, _ := http.NewRequest("GET", h.URL()+"/", nil)
	req.Header.Set("x-up", "count")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || err == nil || string(b) != "partial" {
		t.Fatalf("%d %q %v", resp.StatusCode, b, err)
	}
	e := onlyEntry(t, h)
	if up.count() != 1 || e.Attempts != 1 || e.ResponseFlags != "UR" || e.ResponseDetails != "upstream_reset_after_response_started" {
		t.Fatalf("upstream %d, log %+v", up.count(), e)
	}
	checkUpstreamLifecycles(t, h, 1)
}

func TestBodyReplayedPerAttempt(t *testing.T) {
	body := strings.Repeat("0123456789", 10000) // several 32 KiB reads
	fail2 := func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("x-envoy-attempt-count") != "3" {
			w.WriteHeader(503)
			return
		}
		io.WriteString(w, "done")
	}
	retry := fastRetry("5xx")
	retry.NumRetries = 2
	t.Run("upstream filter edits each attempt's copy", func(t *testing.T) {
		up := newUpstream(t, fail2)
		h := startHost(t, upstreamCfg(up.addr(), retry))
		resp, got := do(t, h, "POST", "/", map[string]string{"x-up": "count,hold-req"}, body)
		if resp.StatusCode != 200 || got != "done" {
			t.Fatalf("%d %q", resp.StatusCode, got)
		}
		reqs := up.all()
		if len(reqs) != 3 {
			t.Fatalf("%d upstream requests", len(reqs))
		}
		for i, r := range reqs {
			if r.Body != body+fmt.Sprintf("|up%d", i+1) || r.Header.Get("x-up-body-len") != "100000" {
				t.Fatalf("attempt %d: body %d bytes ...%q, x-up-body-len %q", i+1, len(r.Body), r.Body[max(0, len(r.Body)-12):], r.Header.Get("x-up-body-len"))
			}
		}
		checkUpstreamLifecycles(t, h, 3)
	})
	t.Run("no upstream filter", func(t *testing.T) {
		up := newUpstream(t, fail2)
		cfg := upstreamCfg(up.addr(), retry)
		cfg.Upstream = nil
		h := startHost(t, cfg)
		resp, got := do(t, h, "POST", "/", nil, body)
		if resp.StatusCode != 200 || got != "done" {
			t.Fatalf("%d %q", resp.StatusCode, got)
		}
		for i, r := range up.all() {
			if r.Body != body || r.Header.Get("content-length") != "100000" {
				t.Fatalf("attempt %d: %d bytes, content-length %q", i+1, len(r.Body), r.Header.Get("content-length"))
			}
		}
		if up.count() != 3 {
			t.Fatalf("%d upstream requests", up.count())
		}
	})
}

func TestRetryBufferLimitAbandons(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(503)
		io.WriteString(w, "busy")
	})
	cfg := upstreamCfg(up.addr(), fastRetry("5xx"))
	cfg.BufferLimit = 64 << 10
	h := startHost(t, cfg)
	resp, got := do(t, h, "POST", "/", nil, strings.Repeat("b", 100000))
	if resp.StatusCode != 503 || got != "busy" || up.count() != 1 {
		t.Fatalf("%d %q, upstream %d", resp.StatusCode, got, up.count())
	}
	if e := onlyEntry(t, h); e.Attempts != 1 || e.ResponseFlags != "-" {
		t.Fatalf("access log %+v", e)
	}
	wantStats(t, h, "cluster.gemini.retry_or_shadow_abandoned: 1", "cluster.gemini.upstream_rq_retry: 0")
}

func TestRetryHeadersFromDownstreamFilter(t *testing.T) {
	busy := func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("x-envoy-attempt-count") == "1" {
			w.WriteHeader(418)
			return
		}
		w.WriteHeader(503)
	}
	teapot := fastRetry("5xx", "retriable-status-codes")
	teapot.RetriableStatusCodes = []int{418}
	cases := []struct {
		name     string
		retry    *RetryPolicy
		hdr      map[string]string
		attempts int
	}{
		{"x-envoy-max-retries overrides num_retries", teapot,
			map[string]string{"x-set-max-retries": "3", "x-envoy-max-retries": "0", "x-envoy-retry-on": "reset"}, 4},
		{"x-envoy-retry-on without a route policy", nil, map[string]string{"x-set-retry-on": "5xx,retriable-status-codes",
			"x-set-retriable-codes": "418", "x-set-max-retries": "2"}, 3},
		{"client's own retry headers are stripped", nil, map[string]string{"x-envoy-retry-on": "5xx,retriable-4xx", "x-envoy-max-retries": "5"}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			up := newUpstream(t, busy)
			h := startHost(t, upstreamCfg(up.addr(), tc.retry))
			hdr := map[string]string{"x-test": "retry-down"}
			for k, v := range tc.hdr {
				hdr[k] = v
			}
			resp, _ := do(t, h, "GET", "/", hdr, "")
			if up.count() != tc.attempts || resp.Header.Get("x-envoy-attempt-count") != fmt.Sprint(tc.attempts) {
				t.Fatalf("%d upstream requests, x-envoy-attempt-count %q, want %d", up.count(), resp.Header.Get("x-envoy-attempt-count"), tc.attempts)
			}
			for _, r := range up.all() {
				for _, k := range []string{"x-envoy-max-retries", "x-envoy-retry-on", "x-envoy-retriable-status-codes"} {
					if v := r.Header.Get(k); v != "" {
						t.Fatalf("%s: %q sent upstream", k, v)
					}
				}
			}
			if e := onlyEntry(t, h); e.FilterState["wasm.saw_client_max"] != "no" {
				t.Fatalf("the downstream filter saw the client's x-envoy-max-retries: %+v", e)
			}
		})
	}
}

func TestRetryCircuitBreakerOverflow(t *testing.T) {
	t.Run("max_retries 0", func(t *testing.T) {
		up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) })
		cfg := upstreamCfg(up.addr(), fastRetry("5xx"))
		cfg.ClusterMaxRetries = map[string]int{"gemini": 0}
		h := startHost(t, cfg)
		resp, _ := do(t, h, "GET", "/", nil, "")
		if e := onlyEntry(t, h); resp.StatusCode != 503 || up.count() != 1 || e.ResponseFlags != "UO" || e.Attempts != 1 {
			t.Fatalf("%d, upstream %d, log %+v", resp.StatusCode, up.count(), e)
		}
		wantStats(t, h, "cluster.gemini.upstream_rq_retry_overflow: 1", "cluster.gemini.upstream_rq_retry: 0")
	})
	t.Run("max_retries 1, concurrent", func(t *testing.T) {
		aRetrying, release := make(chan struct{}), make(chan struct{})
		up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("x-envoy-attempt-count") == "1" {
				w.WriteHeader(503)
				return
			}
			if r.Header.Get("x-id") == "A" {
				close(aRetrying) // A's retry holds the only slot until its next decision
				<-release
			}
			io.WriteString(w, r.Header.Get("x-id")+"-ok")
		})
		cfg := upstreamCfg(up.addr(), fastRetry("5xx"))
		cfg.ClusterMaxRetries = map[string]int{"gemini": 1}
		h := startHost(t, cfg)
		var wg sync.WaitGroup
		var aCode int
		var aBody string
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, body := do(t, h, "GET", "/", map[string]string{"x-id": "A"}, "")
			aCode, aBody = resp.StatusCode, body
		}()
		select {
		case <-aRetrying:
		case <-time.After(5 * time.Second):
			t.Fatal("A was not retried")
		}
		resp, _ := do(t, h, "GET", "/", map[string]string{"x-id": "B"}, "")
		close(release)
		wg.Wait()
		if resp.StatusCode != 503 || aCode != 200 || aBody != "A-ok" {
			t.Fatalf("B %d, A %d %q", resp.StatusCode, aCode, aBody)
		}
		flags := map[int]string{}
		for _, e := range h.AccessLog() {
			flags[e.Attempts] = e.ResponseFlags
		}
		if flags[1] != "UO" || flags[2] != "-" {
			t.Fatalf("flags by attempts: %v", flags)
		}
		wantStats(t, h, "cluster.gemini.upstream_rq_retry_overflow: 1", "cluster.gemini.upstream_rq_retry: 1",
			"cluster.gemini.upstream_rq_retry_success: 1")
	})
}

func TestCalloutThroughUpstreamFilter(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/callout" {
			w.WriteHeader(503)
			io.WriteString(w, "callout-busy")
			return
		}
		io.WriteString(w, "main:"+r.Header.Get("x-callout-status")+":"+r.Header.Get("x-callout-body"))
	})
	auth := newUpstream(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "authz") })
	cfg := upstreamCfg(up.addr(), fastRetry("5xx"))
	cfg.Clusters["auth"] = auth.addr()
	cfg.Upstream.Clusters = []string{"gemini"}
	h := startHost(t, cfg)

	resp, body := do(t, h, "GET", "/", map[string]string{"x-test": "callout-up", "x-cluster": "gemini",
		"x-callout-up": "mark-callout", "x-up": "count"}, "")
	// The callout got the 503 as its response: callouts never retry.
	if resp.StatusCode != 200 || body != "main:503:callout-busy" {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
	var callout, main upstreamReq
	for _, r := range up.all() {
		if r.Path == "/callout" {
			callout = r
		} else {
			main = r
		}
	}
	if up.count() != 2 {
		t.Fatalf("%d requests to gemini", up.count())
	}
	// The callout's upstream filter has the callout's own StreamInfo.
	if callout.Header.Get("x-up-saw-down-note") != "none" || callout.Header.Get("x-up-prop-attempt") != "1" ||
		callout.Header.Get("x-up-cluster") != "gemini" || callout.Header.Get("x-up-saw-callout-note") != "from-callout-upstream" {
		t.Fatalf("callout headers %v", callout.Header)
	}
	if main.Header.Get("x-up-saw-down-note") != "from-down" || main.Header.Get("x-up-attempt") != "1" {
		t.Fatalf("main headers %v", main.Header)
	}
	e := onlyEntry(t, h)
	if _, ok := e.FilterState["wasm.callout_note"]; ok || e.FilterState["wasm.down_note"] != "from-down" || e.Attempts != 1 {
		t.Fatalf("access log %+v", e)
	}
	checkUpstreamLifecycles(t, h, 2)

	// A cluster without the upstream filter: nothing in between.
	_, body = do(t, h, "GET", "/", map[string]string{"x-test": "callout-up", "x-cluster": "auth", "x-callout-up": "mark-callout"}, "")
	if body != "main:200:authz" || auth.last(t).Header.Get("x-up-saw-down-note") != "" {
		t.Fatalf("%q %v", body, auth.last(t).Header)
	}
}

func TestUpstreamFilterCallsOut(t *testing.T) {
	up := newUpstream(t, nil)
	auth := newUpstream(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "authz") })
	cfg := upstreamCfg(up.addr(), nil)
	cfg.Clusters["auth"] = auth.addr()
	cfg.Upstream.Clusters = []string{"gemini"}
	h := startHost(t, cfg)
	// Paused request headers, resumed from the callout response (delivered
	// to the upstream plugin's root context).
	resp, body := do(t, h, "GET", "/", map[string]string{"x-up": "count,callout", "x-up-callout-cluster": "auth"}, "")
	if resp.StatusCode != 200 || body != "upstream-ok" || up.last(t).Header.Get("x-up-callout-body") != "authz" {
		t.Fatalf("%d %q %v", resp.StatusCode, body, up.last(t).Header)
	}
	checkUpstreamLifecycles(t, h, 1)
}

func TestUpstreamLocalReply(t *testing.T) {
	up := newUpstream(t, nil)
	retry := fastRetry("5xx", "retriable-4xx", "retriable-status-codes")
	retry.RetriableStatusCodes = []int{418}
	h := startHost(t, upstreamCfg(up.addr(), retry))
	resp, body := do(t, h, "GET", "/", map[string]string{"x-up": "local-reply"}, "")
	// A local reply of the downstream stream: through the downstream filter, not retried.
	if resp.StatusCode != 418 || body != "from upstream filter" || resp.Header.Get("x-up-local") != "yes" || resp.Header.Get("x-resp-hook") != "418" {
		t.Fatalf("%d %q %v", resp.StatusCode, body, resp.Header)
	}
	if e := onlyEntry(t, h); up.count() != 0 || e.Attempts != 1 {
		t.Fatalf("upstream %d, log %+v", up.count(), e)
	}
	checkUpstreamLifecycles(t, h, 1)
}

func TestRouteTimeoutCoversRetries(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(40 * time.Millisecond)
		w.WriteHeader(503)
	})
	retry := &RetryPolicy{RetryOn: []string{"5xx"}, NumRetries: 100, BackOffBase: 20 * time.Millisecond, BackOffMax: 40 * time.Millisecond}
	cfg := upstreamCfg(up.addr(), retry)
	cfg.Routes[0].Timeout = 400 * time.Millisecond
	h := startHost(t, cfg)
	start := time.Now()
	resp, body := do(t, h, "GET", "/", map[string]string{"x-up": "count"}, "")
	if d := time.Since(start); resp.StatusCode != 504 || body != "upstream request timeout" || d > 2*time.Second {
		t.Fatalf("%d %q after %v", resp.StatusCode, body, d)
	}
	e := onlyEntry(t, h)
	if e.ResponseFlags != "UT" || e.Attempts < 3 || resp.Header.Get("x-envoy-attempt-count") != fmt.Sprint(e.Attempts) {
		t.Fatalf("attempt header %q, log %+v", resp.Header.Get("x-envoy-attempt-count"), e)
	}
	checkUpstreamLifecycles(t, h, e.Attempts)
}
