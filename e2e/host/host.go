// Package host is a test-only proxy-wasm host that emulates the parts of
// Envoy's HTTP Wasm filter (envoy.filters.http.wasm) that a Go proxy-wasm
// module observes. It runs the module on wazero behind a real 127.0.0.1
// HTTP/1.1 listener and forwards to plain-HTTP upstream "clusters". The
// same module can also run as an upstream HTTP filter of some clusters
// (cluster http_filters: [wasm, upstream_codec]) in the same VM, and the
// router retries as a route's retry policy says.
//
// Sources read to reproduce the semantics (read, not copied):
//   - envoy source/extensions/common/wasm/context.cc (header/buffer access,
//     sendLocalResponse deferral, decode*/encode* wrappers, failStream,
//     metrics, http callouts, setProperty/findValue on the request's
//     StreamInfo, onDestroy -> onDone + onDelete),
//   - envoy source/common/http/filter_manager.cc (sendLocalReply routing,
//     StopIteration/StopIterationAndBuffer handling, buffer limits,
//     ActiveStreamFilterBase::streamInfo),
//   - envoy source/common/router/router.cc (Filter::decodeHeaders,
//     decodeData retry buffering, onUpstreamHeaders retry check, doRetry,
//     maybeRetryReset, onUpstreamReset local reply text, attempt counting),
//     router.h, upstream_request.cc/.h (UpstreamRequest builds a new
//     upstream filter chain per attempt on the downstream header map and
//     StreamInfo; UpstreamFilterManager::sendLocalReply; cleanUp destroys
//     the filters and runs no filter access log),
//     upstream_codec_filter.cc,
//   - envoy source/common/router/retry_state_impl.cc (RetryStateImpl::create,
//     parseRetryOn, wouldRetryFromHeaders/wouldRetryFromReset, shouldRetry:
//     limit, circuit breaker, success accounting) and
//     source/common/common/backoff_strategy.cc
//     (JitteredExponentialBackOffStrategy),
//   - envoy source/common/http/conn_manager_utility.cc (cleanInternalHeaders),
//   - envoy source/extensions/filters/http/wasm/config.cc/.h, wasm_filter.cc,
//     source/extensions/common/wasm/wasm.cc, plugin.h (one VM per vm_config
//     and worker, one root context per plugin),
//   - envoy source/common/http/async_client_impl.h (callouts run a router,
//     so they pass through the cluster's upstream filters),
//   - proxy-wasm-cpp-host src/context.cc, src/exports.cc, src/shared_data.cc,
//     src/wasm.cc, include/proxy-wasm/wasm.h (CHECK_FAIL, stopNextIteration,
//     metric ids, CAS numbering, context id allocation, WasmBase::start and
//     ContextBase::onStart/onConfigure per root context),
//   - proxy-wasm-go-sdk proxywasm/internal (imports/exports of the module).
//
// Citations of the form "router.cc Filter::doRetry" name the function
// whose behaviour is emulated (Envoy 1.28-1.35 router.cc and
// retry_state_impl.cc, recent upstream_request.*, filter_manager.cc and
// Wasm files, proxy-wasm-cpp-host 52a0291). Each file documents the Envoy
// behaviour it emulates.
package host

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero/experimental"
)

// Route is one entry of the route table: the first route whose Prefix
// prefixes the request :path wins (Envoy prefix match, in order).
type Route struct {
	Name    string // reported as the xds.route_name property
	Prefix  string
	Cluster string
	// Timeout is the route timeout (time until the upstream response is
	// complete). 0 disables it. Envoy's default is 15s; set it explicitly
	// in envoy.yaml and here alike. It covers every retry attempt and the
	// back-off between them (router.cc: one global timer per request).
	Timeout time.Duration
	// Retry is the route's retry_policy; nil = none (a filter can still
	// enable retries with x-envoy-retry-on).
	Retry *RetryPolicy
}

// RetryPolicy is Envoy's route retry_policy (config.route.v3.RetryPolicy),
// the parts this host emulates.
type RetryPolicy struct {
	// RetryOn: "5xx", "gateway-error", "reset", "connect-failure",
	// "refused-stream", "reset-before-request", "retriable-4xx",
	// "retriable-status-codes", "retriable-headers". Unknown names make
	// Start fail.
	RetryOn []string
	// NumRetries is num_retries: 0 means Envoy's default (1), a negative
	// value means an explicit 0.
	NumRetries int
	// RetriableStatusCodes (for "retriable-status-codes").
	RetriableStatusCodes []int
	// RetriableHeaders are response header names matched with
	// present_match (for "retriable-headers").
	RetriableHeaders []string
	// BackOffBase / BackOffMax are retry_back_off base_interval and
	// max_interval (millisecond granularity, as Envoy). Defaults: 25ms and
	// 10 x base.
	BackOffBase, BackOffMax time.Duration
}

// UpstreamFilter runs the SAME module (same vm_config, so the same VM per
// worker) as an upstream HTTP filter of some clusters, with its own plugin
// configuration and root context.
type UpstreamFilter struct {
	PluginConfig []byte   // given to proxy_on_configure of the upstream root context
	Clusters     []string // clusters with http_filters [wasm, upstream_codec]; nil = every cluster
	RootID       string   // plugin_root_id property of the upstream plugin
	PluginName   string   // plugin_name property; default Config.PluginName
}

// Config configures a Host.
type Config struct {
	Wasm         []byte            // the compiled module
	PluginConfig []byte            // plugin configuration given to proxy_on_configure
	VMConfig     []byte            // vm configuration given to proxy_on_vm_start
	Workers      int               // number of VMs (Envoy: one per worker thread); default 2
	Clusters     map[string]string // cluster name -> "127.0.0.1:port" (or "a:p,b:q": endpoints picked round robin, from the first)
	RouteCluster string            // cluster of the default route; default "gemini"
	Routes       []Route           // default: one route "/" -> RouteCluster
	BufferLimit  int               // per-stream buffer limit; default 1 MiB
	Log          io.Writer         // module logs and host diagnostics; nil = discard
	AccessLog    io.Writer         // one JSON line per finished request; nil = none
	PluginName   string            // plugin_name property; default "gemini-code-api"
	RootID       string            // plugin_root_id property; default ""

	// Upstream, when set, adds the module as an upstream HTTP filter.
	Upstream *UpstreamFilter
	// ClusterMaxRetries is each cluster's circuit breaker max_retries
	// (default priority): how many retries may be outstanding at once
	// across the cluster. A cluster not listed gets Envoy's default 3.
	ClusterMaxRetries map[string]int
	// The virtual host's include_request_attempt_count /
	// include_attempt_count_in_response: x-envoy-attempt-count on the
	// upstream request / the downstream response.
	IncludeAttemptCountInRequest  bool
	IncludeAttemptCountInResponse bool

	// FailurePolicy is the Wasm filter's failure_policy: "FAIL_CLOSED"
	// (default: a failed VM answers every later stream of its worker 503)
	// or "FAIL_RELOAD" (a new VM replaces it for the next stream, at most
	// once per ReloadBackoff, which doubles up to ReloadBackoffMax).
	FailurePolicy                   string
	ReloadBackoff, ReloadBackoffMax time.Duration
	// MemoryLimitPages caps each VM's linear memory (64 KiB pages); a
	// module that needs more traps, as in Envoy, whose Wasm runtimes stop
	// a VM at 1 GiB (proxy-wasm-cpp-host's limit). Default 16384 (1 GiB).
	MemoryLimitPages uint32
	// StatsTags are the bootstrap's stats_config.stats_tags: the tags
	// /stats/prometheus extracts from stat names (Envoy's defaults apply
	// too; see tagProducer).
	StatsTags []StatsTag

	// CopyingMemory gives each VM wazero's default linear memory, which
	// copies the whole memory into a larger buffer whenever it grows
	// beyond its capacity. The default instead reserves the memory limit
	// up front (virtual address space, one mmap) and grows in place, as
	// V8 and the other runtimes Envoy embeds do: a module's measured time
	// then holds no copying that Envoy would not do.
	CopyingMemory bool
	// FunctionListeners, when set, is given to wazero when the module is
	// compiled (experimental.FunctionListenerFactory: profiling the guest,
	// see tools/modbench). The module is then compiled for this host only,
	// not shared through the process's compilation cache.
	FunctionListeners experimental.FunctionListenerFactory

	recordCalls bool // tests: record every guest callback (Host.calls)
}

// AccessLogEntry describes one finished downstream request.
type AccessLogEntry struct {
	Method, Path      string
	Status            int
	Duration          time.Duration
	BytesReceived     int
	BytesSent         int
	FilterState       map[string]string // "wasm.<name>" like Envoy's %FILTER_STATE%
	ResponseFlags     string            // Envoy short flags ("NR", "UF", "UT", "DC", "UPE", ...) or "-"
	UpstreamCluster   string
	ResponseDetails   string // %RESPONSE_CODE_DETAILS%
	RouteCacheCleared int    // number of clear_route_cache foreign calls made by the stream
	Attempts          int    // %UPSTREAM_REQUEST_ATTEMPT_COUNT%: upstream attempts (0 = none)
}

// Host is a running proxy.
type Host struct {
	cfg       Config
	rt        *runtime
	vms       []*vm // guarded by rrMu once the host runs (FAIL_RELOAD replaces entries)
	retired   []*vm // failed VMs replaced by a reload, closed with the host
	reloads   []reloadState
	rr        uint32
	rrMu      sync.Mutex
	ln, adm   net.Listener
	srv, asv  *http.Server
	client    *http.Client
	shared    *sharedData
	metrics   *metricStore
	tags      *tagProducer
	logMu     sync.Mutex
	alMu      sync.Mutex
	alog      []AccessLogEntry
	closed    chan struct{}
	active    atomic.Int64
	bg        sync.WaitGroup
	closeErr  error
	reloaded  atomic.Int32
	instances atomic.Int32 // module instances created (names them)
	once      sync.Once

	plugins  []*pluginCfg             // [0] downstream filter, [1] upstream filter (if any)
	clusters map[string]*clusterState // by cluster name
	callsMu  sync.Mutex
	// importNames are the host functions' names, by index (stats.go).
	importNames []string
	callLog     []callRecord
}

// Start compiles (cached per process) and instantiates the module on
// cfg.Workers VMs, creates, starts (proxy_on_vm_start) and configures
// (proxy_on_configure) one root context per plugin on each - the
// downstream filter, then the upstream filter if cfg.Upstream is set - and
// starts the listeners. Like Envoy, a false from either rejects the config.
func Start(cfg Config) (*Host, error) {
	if cfg.Workers <= 0 {
		cfg.Workers = 2
	}
	if cfg.ReloadBackoff <= 0 {
		cfg.ReloadBackoff = time.Second // Envoy's default reload backoff base
	}
	if cfg.ReloadBackoffMax < cfg.ReloadBackoff {
		cfg.ReloadBackoffMax = 10 * cfg.ReloadBackoff
	}
	if cfg.MemoryLimitPages == 0 {
		cfg.MemoryLimitPages = 16384
	}
	if cfg.RouteCluster == "" {
		cfg.RouteCluster = "gemini"
	}
	if len(cfg.Routes) == 0 {
		cfg.Routes = []Route{{Name: "default", Prefix: "/", Cluster: cfg.RouteCluster}}
	}
	if cfg.BufferLimit <= 0 {
		cfg.BufferLimit = 1 << 20
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.PluginName == "" {
		cfg.PluginName = "gemini-code-api"
	}
	for i := range cfg.Routes {
		if err := validateRetryPolicy(cfg.Routes[i].Retry); err != nil {
			return nil, fmt.Errorf("route %q: %w", cfg.Routes[i].Name, err)
		}
	}
	tags, err := newTagProducer(cfg.StatsTags)
	if err != nil {
		return nil, err
	}
	h := &Host{
		cfg:     cfg,
		shared:  newSharedData(),
		metrics: newMetricStore(),
		tags:    tags,
		closed:  make(chan struct{}),
		client: &http.Client{
			Transport: &http.Transport{
				Proxy:               nil,
				DisableCompression:  true, // Envoy does not add accept-encoding nor decompress
				MaxIdleConnsPerHost: 64,
				IdleConnTimeout:     30 * time.Second,
			},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	h.plugins = []*pluginCfg{{name: cfg.PluginName, rootID: cfg.RootID, config: cfg.PluginConfig}}
	if u := cfg.Upstream; u != nil {
		name := u.PluginName
		if name == "" {
			name = cfg.PluginName
		}
		h.plugins = append(h.plugins, &pluginCfg{name: name, rootID: u.RootID, config: u.PluginConfig, upstream: true})
	}
	h.clusters = map[string]*clusterState{}
	for name, addr := range cfg.Clusters {
		h.clusters[name] = h.newClusterState(name, addr)
	}
	rt, err := newRuntime(h)
	if err != nil {
		return nil, err
	}
	h.rt = rt
	for i := 0; i < cfg.Workers; i++ {
		v, err := h.newVM(i)
		if err != nil {
			h.rt.close()
			return nil, err
		}
		h.vms = append(h.vms, v)
		h.reloads = append(h.reloads, reloadState{lastLoad: time.Now(), interval: cfg.ReloadBackoff})
	}
	h.ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		h.Close()
		return nil, err
	}
	h.adm, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		h.Close()
		return nil, err
	}
	h.srv = &http.Server{Handler: http.HandlerFunc(h.serveHTTP), ErrorLog: nil}
	h.asv = &http.Server{Handler: http.HandlerFunc(h.serveAdmin)}
	go h.srv.Serve(h.ln)
	go h.asv.Serve(h.adm)
	return h, nil
}

// URL is the listener's base URL.
func (h *Host) URL() string { return "http://" + h.ln.Addr().String() }

// AdminURL is the admin listener's base URL (GET /stats).
func (h *Host) AdminURL() string { return "http://" + h.adm.Addr().String() }

// Close stops the listeners, ticks and VMs.
func (h *Host) Close() error {
	h.once.Do(func() {
		close(h.closed)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if h.srv != nil {
			if err := h.srv.Shutdown(ctx); err != nil {
				h.srv.Close()
			}
		}
		if h.asv != nil {
			h.asv.Close()
		}
		h.bg.Wait()
		for _, v := range append(h.vms, h.retired...) {
			v.stopTick()
		}
		if h.rt != nil {
			h.closeErr = h.rt.close()
		}
		if t, ok := h.client.Transport.(*http.Transport); ok {
			t.CloseIdleConnections()
		}
	})
	return h.closeErr
}

// AccessLog returns one entry per finished request, in completion order.
// A client can read a complete response a moment before the stream has
// run proxy_on_log/on_done/on_delete, so this waits (up to 2s) for streams
// in flight to finish first.
func (h *Host) AccessLog() []AccessLogEntry {
	for deadline := time.Now().Add(2 * time.Second); h.active.Load() > 0 && time.Now().Before(deadline); {
		time.Sleep(2 * time.Millisecond)
	}
	h.alMu.Lock()
	defer h.alMu.Unlock()
	return append([]AccessLogEntry(nil), h.alog...)
}

func (h *Host) recordAccessLog(e AccessLogEntry) {
	h.alMu.Lock()
	h.alog = append(h.alog, e)
	h.alMu.Unlock()
	if h.cfg.AccessLog != nil {
		b, _ := json.Marshal(map[string]any{
			"method": e.Method, "path": e.Path, "status": e.Status,
			"duration_ms": e.Duration.Milliseconds(), "bytes_received": e.BytesReceived,
			"bytes_sent": e.BytesSent, "filter_state": e.FilterState,
			"response_flags": e.ResponseFlags, "upstream_cluster": e.UpstreamCluster,
			"response_code_details": e.ResponseDetails, "upstream_request_attempt_count": e.Attempts,
		})
		h.logMu.Lock()
		h.cfg.AccessLog.Write(append(b, '\n'))
		h.logMu.Unlock()
	}
}

func (h *Host) logf(format string, args ...any) {
	h.logMu.Lock()
	defer h.logMu.Unlock()
	fmt.Fprintf(h.cfg.Log, format+"\n", args...)
}

// pickVM hands streams to VMs round robin, like Envoy's per-worker
// connection distribution (one VM per worker thread).
//
// With FAIL_RELOAD, a new stream on a worker whose VM failed at runtime
// gets a new VM, unless the last load on that worker is more recent than
// the reload backoff, in which case it gets the failed VM (and so a 503).
// envoy source/extensions/common/wasm/wasm.cc
// PluginConfig::maybeReloadHandleIfNeeded: only a RuntimeError fail state
// reloads; the backoff is the reload_config's, measured from the last load;
// the new thread-local plugin comes from getOrCreateThreadLocalPlugin.
// Approximation: here one reload gives both plugins of the VM a new
// instance; the interval doubles per reload up to the maximum, where Envoy
// draws it from a jittered exponential backoff.
func (h *Host) pickVM() *vm {
	h.rrMu.Lock()
	defer h.rrMu.Unlock()
	i := int(h.rr) % len(h.vms)
	h.rr++
	v := h.vms[i]
	if h.cfg.FailurePolicy != "FAIL_RELOAD" || !v.isFailed() {
		return v
	}
	rs := &h.reloads[i]
	if time.Since(rs.lastLoad) < rs.interval {
		return v
	}
	rs.lastLoad = time.Now()
	nv, err := h.newVM(i)
	if err != nil {
		h.logf("[host] reloading vm%d failed: %v", i, err)
		return v
	}
	h.logf("[host] vm%d failed; reloaded (FAIL_RELOAD)", i)
	rs.interval = min(rs.interval*2, h.cfg.ReloadBackoffMax)
	h.retired = append(h.retired, v)
	h.vms[i] = nv
	h.reloaded.Add(1)
	return nv
}

// reloadState is one worker's FAIL_RELOAD bookkeeping.
type reloadState struct {
	lastLoad time.Time
	interval time.Duration
}

// Reloads reports how many VMs FAIL_RELOAD replaced.
func (h *Host) Reloads() int { return int(h.reloaded.Load()) }

// Failed reports whether any current VM has failed (trapped).
func (h *Host) Failed() bool {
	h.rrMu.Lock()
	defer h.rrMu.Unlock()
	for _, v := range h.vms {
		if v.isFailed() {
			return true
		}
	}
	return false
}

func (h *Host) serveAdmin(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/stats":
		w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
		io.WriteString(w, h.Stats())
	case "/stats/prometheus":
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=UTF-8")
		io.WriteString(w, h.PrometheusStats())
	default:
		http.NotFound(w, r)
	}
}

// PrometheusStats returns the same stats as Envoy's admin
// /stats/prometheus renders them: tags extracted by Envoy's defaults and
// Config.StatsTags, Wasm stats without their "wasmcustom." namespace,
// histograms as buckets (see metricStore.prometheus).
func (h *Host) PrometheusStats() string { return h.metrics.prometheus(h.tags) }

// Stats returns the module's metrics and each cluster's retry counters
// (cluster.<name>.upstream_rq_retry, ..._retry_success,
// ..._retry_limit_exceeded, ..._retry_overflow,
// ..._retry_backoff_exponential, retry_or_shadow_abandoned) as Envoy's
// admin /stats prints them.
func (h *Host) Stats() string { return h.metrics.text() }
