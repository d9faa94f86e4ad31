package host

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gemini-code-api/gemini-code-api/internal/wasmbuild"
)

// behaveWasm builds testdata/behave once per test binary.
func behaveWasm(t *testing.T) []byte {
	t.Helper()
	return wasmbuild.Cached(t, "./e2e/host/testdata/behave", wasmbuild.Options{})
}

type upstreamReq struct {
	Method, Path, Host string
	Header             http.Header
	Body               string
}

// recorder is an upstream that records requests and answers with handler.
type recorder struct {
	mu   sync.Mutex
	reqs []upstreamReq
	srv  *httptest.Server
}

func newUpstream(t *testing.T, handler func(w http.ResponseWriter, r *http.Request)) *recorder {
	rec := &recorder{}
	rec.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, upstreamReq{r.Method, r.URL.RequestURI(), r.Host, r.Header.Clone(), string(b)})
		rec.mu.Unlock()
		if handler != nil {
			handler(w, r)
			return
		}
		io.WriteString(w, "upstream-ok")
	}))
	t.Cleanup(rec.srv.Close)
	return rec
}

func (r *recorder) addr() string { return strings.TrimPrefix(r.srv.URL, "http://") }

func (r *recorder) last(t *testing.T) upstreamReq {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.reqs) == 0 {
		t.Fatal("upstream got no request")
	}
	return r.reqs[len(r.reqs)-1]
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.reqs)
}

func startHost(t *testing.T, cfg Config) *Host {
	t.Helper()
	cfg.Wasm = behaveWasm(t)
	if testing.Verbose() {
		cfg.Log = testWriter{t}
	}
	h, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

var client = &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{DisableCompression: true}}

func do(t *testing.T, h *Host, method, path string, hdr map[string]string, body string) (*http.Response, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, h.URL()+path, rd)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return resp, string(b)
}

func TestRequestPath(t *testing.T) {
	up := newUpstream(t, nil)
	h := startHost(t, Config{Clusters: map[string]string{"gemini": up.addr()}})
	cases := []struct {
		name, mode, body string
		check            func(t *testing.T, got upstreamReq)
	}{
		{"pause headers, buffer body, rewrite at end", "hold-buffer-rewrite", strings.Repeat("x", 100000), func(t *testing.T, got upstreamReq) {
			if got.Path != "/rewritten" || got.Header.Get("x-body-len") != "100000" || len(got.Body) != 100000 {
				t.Fatalf("path=%q x-body-len=%q body=%d", got.Path, got.Header.Get("x-body-len"), len(got.Body))
			}
			if got.Header.Get("x-upper") != "v" {
				t.Fatalf("header added with upper-case name not forwarded lowercase: %v", got.Header)
			}
			if got.Header.Get("x-request-id") == "" {
				t.Fatalf("x-request-id not generated")
			}
		}},
		{"body replacement", "replace-body", "hello", func(t *testing.T, got upstreamReq) {
			if got.Body != "replaced:HELLO" || got.Path != "/v1/x" {
				t.Fatalf("body=%q path=%q", got.Body, got.Path)
			}
		}},
		{"pass-through GET without body", "", "", func(t *testing.T, got upstreamReq) {
			if got.Method != "GET" || got.Body != "" || got.Host != "api.example" {
				t.Fatalf("%+v", got)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			method := "POST"
			if tc.body == "" {
				method = "GET"
			}
			req, _ := http.NewRequest(method, h.URL()+"/v1/x", nil)
			if tc.body != "" {
				req.Body = io.NopCloser(strings.NewReader(tc.body))
				req.ContentLength = int64(len(tc.body))
			}
			req.Host = "api.example"
			req.Header.Set("x-test", tc.mode)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || string(b) != "upstream-ok" {
				t.Fatalf("status %d body %q", resp.StatusCode, b)
			}
			tc.check(t, up.last(t))
		})
	}
}

func TestStreamingChunkByChunk(t *testing.T) {
	clientGot := make(chan struct{})
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("content-type", "text/event-stream")
		w.WriteHeader(200)
		io.WriteString(w, "data: one\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-clientGot:
		case <-time.After(5 * time.Second):
			io.WriteString(w, "data: TOO-LATE\n\n")
			return
		}
		io.WriteString(w, "data: two\n\n")
	})
	h := startHost(t, Config{Clusters: map[string]string{"gemini": up.addr()}})
	req, _ := http.NewRequest("GET", h.URL()+"/stream", nil)
	req.Header.Set("x-test", "stream")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	line, err := br.ReadString('\n')
	if err != nil || line != "> data: one\n" {
		t.Fatalf("first line %q %v", line, err)
	}
	close(clientGot)
	rest, _ := io.ReadAll(br)
	if !strings.Contains(string(rest), "> data: two") || strings.Contains(string(rest), "TOO-LATE") {
		t.Fatalf("rest %q", rest)
	}
	if resp.Header.Get("x-resp-hook") != "200" {
		t.Fatalf("headers %v", resp.Header)
	}
}

func TestResponseBufferedHeaderChange(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		for i := 0; i < 3; i++ {
			fmt.Fprintf(w, "part%d;", i)
			w.(http.Flusher).Flush()
		}
	})
	h := startHost(t, Config{Clusters: map[string]string{"gemini": up.addr()}, BufferLimit: 64 << 10})
	resp, body := do(t, h, "GET", "/x", map[string]string{"x-test": "resp-buffer-status"}, "")
	if resp.StatusCode != 201 || body != "wrapped(part0;part1;part2;)" || resp.Header.Get("x-resp-len") != "18" {
		t.Fatalf("status %d body %q hdr %v", resp.StatusCode, body, resp.Header)
	}
}

func TestLocalReplies(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("x-upstream", "1")
		io.WriteString(w, "upstream body")
	})
	h := startHost(t, Config{Clusters: map[string]string{"gemini": up.addr()}, BufferLimit: 64 << 10})
	cases := []struct {
		mode, body   string
		status       int
		wantBody     string
		wantHook     string // x-resp-hook: the local reply went through on_response_headers
		wantUpstream bool
	}{
		{"local-req-headers", "", 403, "denied", "403", false},
		{"local-req-body", "payload", 400, "bad body", "400", false},
		{"local-resp-headers", "", 502, "replaced upstream", "", true},
		{"local-resp-body", "", 500, "body rejected", "", true},
		{"limit", strings.Repeat("y", 100<<10), 413, "Payload Too Large", "413", false},
	}
	for _, tc := range cases {
		t.Run(tc.mode, func(t *testing.T) {
			before := up.count()
			method := "GET"
			if tc.body != "" {
				method = "POST"
			}
			resp, body := do(t, h, method, "/x", map[string]string{"x-test": tc.mode}, tc.body)
			if resp.StatusCode != tc.status || body != tc.wantBody {
				t.Fatalf("got %d %q want %d %q", resp.StatusCode, body, tc.status, tc.wantBody)
			}
			if got := resp.Header.Get("x-resp-hook"); got != tc.wantHook {
				t.Fatalf("x-resp-hook=%q want %q", got, tc.wantHook)
			}
			if resp.Header.Get("x-upstream") != "" {
				t.Fatalf("upstream headers leaked into local reply: %v", resp.Header)
			}
			if (up.count() > before) != tc.wantUpstream {
				t.Fatalf("upstream contacted=%v want %v", up.count() > before, tc.wantUpstream)
			}
		})
	}
}

func TestResponseOverLimit(t *testing.T) {
	big := strings.Repeat("z", 200<<10)
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, big) })
	h := startHost(t, Config{Clusters: map[string]string{"gemini": up.addr()}, BufferLimit: 64 << 10})
	resp, body := do(t, h, "GET", "/x", map[string]string{"x-test": "resp-limit"}, "")
	if resp.StatusCode != 500 || body != "Internal Server Error" {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
}

func TestCallouts(t *testing.T) {
	slow := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/callout" {
			time.Sleep(300 * time.Millisecond)
		}
		io.WriteString(w, "main:"+r.Header.Get("x-callout-status")+":"+r.Header.Get("x-callout-body"))
	})
	auth := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(202)
		io.WriteString(w, "authz")
	})
	h := startHost(t, Config{Clusters: map[string]string{"gemini": slow.addr(), "auth": auth.addr(), "slow": slow.addr()}})
	cases := []struct {
		name, cluster, timeout string
		status                 int
		want                   string
	}{
		{"success", "auth", "2000", 200, "main:202:authz"},
		{"timeout", "slow", "50", 200, "main:504:upstream request timeout"},
		{"unknown cluster", "nope", "1000", 500, "dispatch: error status returned by host: bad argument"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := do(t, h, "GET", "/x", map[string]string{"x-test": "callout", "x-cluster": tc.cluster, "x-timeout": tc.timeout}, "")
			if resp.StatusCode != tc.status || body != tc.want {
				t.Fatalf("got %d %q want %d %q", resp.StatusCode, body, tc.status, tc.want)
			}
		})
	}
}

func TestSharedDataCASAcrossVMs(t *testing.T) {
	h := startHost(t, Config{Workers: 2})
	get := func() string {
		_, b := do(t, h, "GET", "/", map[string]string{"x-test": "shared-get", "x-key": "k"}, "")
		return b
	}
	set := func(val, cas string) (int, string) {
		r, b := do(t, h, "GET", "/", map[string]string{"x-test": "shared-set", "x-key": "k", "x-val": val, "x-cas": cas}, "")
		return r.StatusCode, b
	}
	if b := get(); b != "error status returned by host: not found" {
		t.Fatalf("missing key: %q", b)
	}
	if c, b := set("a", "0"); c != 200 {
		t.Fatalf("set: %d %q", c, b)
	}
	// Round robin: consecutive requests land on different VMs.
	b1 := get()
	b2 := get()
	if b1 != b2 || !strings.HasPrefix(b1, "a|") {
		t.Fatalf("vm views differ: %q %q", b1, b2)
	}
	cas := strings.TrimPrefix(b1, "a|")
	if c, _ := set("b", cas); c != 200 {
		t.Fatalf("set with matching cas failed")
	}
	if c, b := set("c", cas); c != 409 || b != "error status returned by host: cas mismatch" {
		t.Fatalf("stale cas: %d %q", c, b)
	}
	if b := get(); !strings.HasPrefix(b, "b|") || b == "b|"+cas {
		t.Fatalf("after set: %q (cas must change)", b)
	}
}

func TestMetrics(t *testing.T) {
	h := startHost(t, Config{})
	_, body := do(t, h, "GET", "/", map[string]string{"x-test": "metrics"}, "")
	for _, want := range []string{"inc0=increment", "inc2=ok", "sameid=false", "inc-again=ok", "value=5",
		"gauge=ok", "gaugev=-3", "rec=ok", "histget=get metric of"} {
		if !strings.Contains(body, want) {
			t.Fatalf("missing %q in\n%s", want, body)
		}
	}
	if !strings.Contains(body, "inc0=increment") || !strings.Contains(body, "bad argument") {
		t.Fatalf("counter +0 not rejected with BadArgument:\n%s", body)
	}
	stats := h.Stats()
	for _, want := range []string{"wasmcustom.test_counter: 5\n", "wasmcustom.test_gauge: -3\n", "wasmcustom.test_hist: P0(5,5) P25(5,5) P50(5,5)"} {
		if !strings.Contains(stats, want) {
			t.Fatalf("stats missing %q:\n%s", want, stats)
		}
	}
	resp, err := http.Get(h.AdminURL() + "/stats")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != h.Stats() {
		t.Fatalf("admin /stats differs:\n%s", b)
	}
}

// settled returns what read returns once it holds each of want, or after
// five seconds: the host calls proxy_on_log once the answer's last byte is
// written, so a client can hold the whole answer before that callback ran
// (Envoy too logs a stream once it is complete, with no ordering against
// what the client reads).
func settled(read func() string, want ...string) string {
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, all := read(), true
		for _, w := range want {
			all = all && strings.Contains(got, w)
		}
		if all || time.Now().After(deadline) {
			return got
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// /stats/prometheus as Envoy renders it: stats_tags cut labels out of the
// names (the first group is removed, the second is the value), "wasmcustom."
// is dropped, histograms become buckets, and Envoy's default cluster_name
// tag applies to cluster stats.
func TestPrometheusStats(t *testing.T) {
	h := startHost(t, Config{StatsTags: []StatsTag{
		{Name: "kind", Regex: `^wasmcustom\.test(_(counter|gauge))$`},
		{Name: "part", Regex: `^wasmcustom\.test(_hist)$`},    // one group: value and cut alike
		{Name: "kind", Regex: `^wasmcustom\.(test)_counter$`}, // same name: the first match wins
	}})
	do(t, h, "GET", "/", map[string]string{"x-test": "metrics"}, "")
	got := settled(h.PrometheusStats, "log_calls_downstream{} 1\n")
	for _, want := range []string{
		"# TYPE test counter\ntest{kind=\"counter\"} 5\n",
		"# TYPE test gauge\ntest{kind=\"gauge\"} -3\n",
		"# TYPE test histogram\n",
		`test_bucket{part="_hist",le="1"} 0`, `test_bucket{part="_hist",le="5"} 1`, `test_bucket{part="_hist",le="3600000"} 1`,
		`test_bucket{part="_hist",le="+Inf"} 1`, `test_sum{part="_hist"} 5`, `test_count{part="_hist"} 1`,
		"log_calls_downstream{} 1\n",
	} {
		if !strings.Contains(got, want) {
			t.Fatalf("missing %q in\n%s", want, got)
		}
	}
	if strings.Contains(got, "wasmcustom") || strings.Contains(got, `kind="test"`) {
		t.Fatalf("namespace kept or duplicate tag applied:\n%s", got)
	}
	resp, err := http.Get(h.AdminURL() + "/stats/prometheus")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("admin /stats/prometheus: %d", resp.StatusCode)
	}
	tp, _ := newTagProducer(nil)
	if name, tags := tp.produce("cluster.gemini.upstream_rq_retry"); name != "cluster.upstream_rq_retry" || len(tags) != 1 || tags[0] != (statTag{"envoy.cluster_name", "gemini"}) {
		t.Fatalf("cluster stat: %q %v", name, tags)
	}
	if promName("cluster.upstream_rq_retry") != "envoy_cluster_upstream_rq_retry" {
		t.Fatal(promName("cluster.upstream_rq_retry"))
	}
	if _, err := newTagProducer([]StatsTag{{Name: "x", Regex: `(?=a)`}}); err == nil {
		t.Fatal("a regex outside RE2's syntax was accepted")
	}
}

func TestPropertiesAndAccessLog(t *testing.T) {
	var alog bytes.Buffer
	var mu sync.Mutex
	h := startHost(t, Config{Clusters: map[string]string{"gemini": "127.0.0.1:1"}, AccessLog: lockedWriter{&mu, &alog},
		Routes: []Route{{Name: "r1", Prefix: "/", Cluster: "gemini"}}})
	_, body := do(t, h, "GET", "/p/q?a=1", map[string]string{"x-test": "props"}, "")
	for _, want := range []string{"request.path=/p/q?a=1", "request.url_path=/p/q", "request.method=GET",
		"request.scheme=http", "request.protocol=HTTP/1.1", "source.address=127.0.0.1:", "destination.address=127.0.0.1:",
		"plugin_name=gemini-code-api", "plugin_root_id=\n", "cluster_name=gemini", "xds.route_name=r1", "myprop=hello",
		"response.code=ERR:error status returned by host: not found", "nope.nothing=ERR:error status returned by host: not found",
		"request.headers.x-test=props"} {
		if !strings.Contains(body+"\n", want) {
			t.Fatalf("missing %q in\n%s", want, body)
		}
	}
	if strings.Contains(body, "source.port=ERR") || strings.Contains(body, "request.time=ERR") || strings.Contains(body, "request.id=ERR") {
		t.Fatalf("int props:\n%s", body)
	}
	entries := h.AccessLog()
	if len(entries) != 1 {
		t.Fatalf("access log: %+v", entries)
	}
	e := entries[0]
	if e.FilterState["wasm.myprop"] != "hello" || e.Status != 200 || e.Path != "/p/q?a=1" || e.Method != "GET" {
		t.Fatalf("entry %+v", e)
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(alog.String(), `"wasm.myprop":"hello"`) {
		t.Fatalf("json access log: %s", alog.String())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestClearRouteCache(t *testing.T) {
	main := newUpstream(t, nil)
	other := newUpstream(t, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "other-ok") })
	h := startHost(t, Config{
		Clusters: map[string]string{"gemini": main.addr(), "other": other.addr()},
		Routes:   []Route{{Name: "other", Prefix: "/other", Cluster: "other"}, {Name: "main", Prefix: "/v1", Cluster: "gemini"}},
	})
	// Without clear_route_cache the route cached from the original path
	// stays: the rewritten path goes to the old cluster.
	_, body := do(t, h, "GET", "/v1/a", map[string]string{"x-test": "reroute"}, "")
	if body != "upstream-ok" || main.last(t).Path != "/other/x" {
		t.Fatalf("no clear: %q", body)
	}
	_, body = do(t, h, "GET", "/v1/a", map[string]string{"x-test": "reroute", "x-clear": "1"}, "")
	if body != "other-ok" || other.last(t).Path != "/other/x" {
		t.Fatalf("clear: %q", body)
	}
	// No route at all -> router 404 with empty body, flag NR.
	resp, body := do(t, h, "GET", "/none", nil, "")
	if resp.StatusCode != 404 || body != "" {
		t.Fatalf("no route: %d %q", resp.StatusCode, body)
	}
	log := h.AccessLog()
	if last := log[len(log)-1]; last.ResponseFlags != "NR" || last.ResponseDetails != "route_not_found" {
		t.Fatalf("no route entry %+v", last)
	}
	if log[1].RouteCacheCleared != 1 || log[1].UpstreamCluster != "other" {
		t.Fatalf("clear entry %+v", log[1])
	}
}

func TestRoundRobinAcrossVMs(t *testing.T) {
	h := startHost(t, Config{Workers: 3})
	seen := map[string]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := 0; i < 12; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, b := do(t, h, "GET", "/", map[string]string{"x-test": "vm-id"}, "")
			mu.Lock()
			seen[b]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if len(seen) != 3 {
		t.Fatalf("want 3 VMs, saw %v", seen)
	}
	for id, n := range seen {
		if n != 4 {
			t.Fatalf("uneven spread %v (%s)", seen, id)
		}
	}
}

func TestTrapFailsStream(t *testing.T) {
	up := newUpstream(t, nil)
	h := startHost(t, Config{Workers: 1, Clusters: map[string]string{"gemini": up.addr()}})
	start := time.Now()
	resp, _ := do(t, h, "GET", "/", map[string]string{"x-test": "trap"}, "")
	if resp.StatusCode != 503 {
		t.Fatalf("trap: %d", resp.StatusCode)
	}
	// The VM is failed now: later streams on it fail fast with 503 too.
	resp, _ = do(t, h, "GET", "/", nil, "")
	if resp.StatusCode != 503 || time.Since(start) > 5*time.Second || up.count() != 0 {
		t.Fatalf("after trap: %d, upstream=%d", resp.StatusCode, up.count())
	}
	if e := h.AccessLog(); e[0].ResponseDetails != "wasm_fail_stream" {
		t.Fatalf("%+v", e)
	}
}

// FAIL_RELOAD: the stream that trapped gets 503; within the reload backoff
// so does the next; after it, a new VM serves, and shared data (keyed by
// vm_id in Envoy) survives the reload.
func TestFailReload(t *testing.T) {
	up := newUpstream(t, nil)
	h := startHost(t, Config{Workers: 1, Clusters: map[string]string{"gemini": up.addr()},
		FailurePolicy: "FAIL_RELOAD", ReloadBackoff: 300 * time.Millisecond})
	h.shared.set("kept", []byte("across reloads"), 0)
	if resp, _ := do(t, h, "GET", "/", map[string]string{"x-test": "trap"}, ""); resp.StatusCode != 503 {
		t.Fatalf("trap: %d", resp.StatusCode)
	}
	if resp, _ := do(t, h, "GET", "/", nil, ""); resp.StatusCode != 503 || h.Reloads() != 0 {
		t.Fatalf("within the backoff: %d, reloads %d", resp.StatusCode, h.Reloads())
	}
	time.Sleep(350 * time.Millisecond)
	if resp, _ := do(t, h, "GET", "/", nil, ""); resp.StatusCode != 200 || h.Reloads() != 1 || h.Failed() {
		t.Fatalf("after the backoff: %d, reloads %d, failed %v", resp.StatusCode, h.Reloads(), h.Failed())
	}
	if v, _, ok := h.shared.get("kept"); !ok || string(v) != "across reloads" {
		t.Fatalf("shared data lost in the reload: %q", v)
	}
	// A second failure backs off for twice as long.
	do(t, h, "GET", "/", map[string]string{"x-test": "trap"}, "")
	time.Sleep(350 * time.Millisecond)
	if resp, _ := do(t, h, "GET", "/", nil, ""); resp.StatusCode != 503 {
		t.Fatalf("second failure, 350 ms later: %d, want 503 (backoff 600 ms)", resp.StatusCode)
	}
	time.Sleep(300 * time.Millisecond)
	if resp, _ := do(t, h, "GET", "/", nil, ""); resp.StatusCode != 200 || h.Reloads() != 2 {
		t.Fatalf("second reload: %d, reloads %d", resp.StatusCode, h.Reloads())
	}
}

// The memory limit: a module that grows past it traps, as in Envoy.
func TestMemoryLimit(t *testing.T) {
	up := newUpstream(t, nil)
	h := startHost(t, Config{Workers: 1, BufferLimit: 16 << 20, MemoryLimitPages: 256, // 16 MiB
		Clusters: map[string]string{"gemini": up.addr()}})
	resp, _ := do(t, h, "POST", "/v1/x", map[string]string{"x-test": "hold-buffer-rewrite"}, strings.Repeat("x", 15<<20))
	if resp.StatusCode != 503 || !h.Failed() {
		t.Fatalf("a 15 MiB body copied into a 16 MiB VM: %d, failed %v, memory %v", resp.StatusCode, h.Failed(), h.MemoryBytes())
	}
}

func TestConfigureRejected(t *testing.T) {
	_, err := Start(Config{Wasm: behaveWasm(t), PluginConfig: []byte("reject")})
	if err == nil || !strings.Contains(err.Error(), "proxy_on_configure") {
		t.Fatalf("want configure error, got %v", err)
	}
}

func TestMemoryBytes(t *testing.T) {
	up := newUpstream(t, nil)
	h := startHost(t, Config{Workers: 2, BufferLimit: 16 << 20, Clusters: map[string]string{"gemini": up.addr()}})
	before := h.MemoryBytes()
	if len(before) != 2 {
		t.Fatalf("%d sizes for 2 VMs", len(before))
	}
	for i, s := range before {
		if s == 0 || s%65536 != 0 {
			t.Fatalf("vm%d: %d bytes is not a whole number of wasm pages", i, s)
		}
	}
	// The guest copies the whole buffered body into its memory, so the VM
	// that served the request must have grown by at least the body's size.
	const size = 8 << 20
	resp, _ := do(t, h, "POST", "/v1/x", map[string]string{"x-test": "hold-buffer-rewrite"}, strings.Repeat("x", size))
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	after := h.MemoryBytes()
	grew := false
	for i := range after {
		if after[i] < before[i] {
			t.Fatalf("vm%d shrank from %d to %d bytes", i, before[i], after[i])
		}
		grew = grew || after[i]-before[i] >= size
	}
	if !grew {
		t.Fatalf("no VM grew by the %d-byte body: %v -> %v", size, before, after)
	}
}
