// Package host is a test-only proxy-wasm host that emulates the parts of
// Envoy's HTTP Wasm filter (envoy.filters.http.wasm) that a Go proxy-wasm
// module observes. It runs the module on wazero behind a real 127.0.0.1
// HTTP/1.1 listener and forwards to plain-HTTP upstream "clusters".
//
// Sources read to reproduce the semantics (read, not copied):
//   - envoy source/extensions/common/wasm/context.cc (header/buffer access,
//     sendLocalResponse deferral, decode*/encode* wrappers, failStream,
//     metrics, http callouts),
//   - envoy source/common/http/filter_manager.cc (sendLocalReply routing,
//     StopIteration/StopIterationAndBuffer handling, buffer limits),
//   - proxy-wasm-cpp-host src/context.cc, src/exports.cc, src/shared_data.cc,
//     include/proxy-wasm/wasm.h (CHECK_FAIL, stopNextIteration, metric ids,
//     CAS numbering, context id allocation),
//   - proxy-wasm-go-sdk proxywasm/internal (imports/exports of the module).
//
// Each file documents the Envoy behaviour it emulates.
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
)

// Route is one entry of the route table: the first route whose Prefix
// prefixes the request :path wins (Envoy prefix match, in order).
type Route struct {
	Name    string // reported as the xds.route_name property
	Prefix  string
	Cluster string
	// Timeout is the route timeout (time until the upstream response is
	// complete). 0 disables it. Envoy's default is 15s; set it explicitly
	// in envoy.yaml and here alike.
	Timeout time.Duration
}

// Config configures a Host.
type Config struct {
	Wasm         []byte            // the compiled module
	PluginConfig []byte            // plugin configuration given to proxy_on_configure
	VMConfig     []byte            // vm configuration given to proxy_on_vm_start
	Workers      int               // number of VMs (Envoy: one per worker thread); default 2
	Clusters     map[string]string // cluster name -> "127.0.0.1:port"
	RouteCluster string            // cluster of the default route; default "gemini"
	Routes       []Route           // default: one route "/" -> RouteCluster
	BufferLimit  int               // per-stream buffer limit; default 1 MiB
	Log          io.Writer         // module logs and host diagnostics; nil = discard
	AccessLog    io.Writer         // one JSON line per finished request; nil = none
	PluginName   string            // plugin_name property; default "gemini-code-api"
	RootID       string            // plugin_root_id property; default ""
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
}

// Host is a running proxy.
type Host struct {
	cfg      Config
	rt       *runtime
	vms      []*vm
	rr       uint32
	rrMu     sync.Mutex
	ln, adm  net.Listener
	srv, asv *http.Server
	client   *http.Client
	shared   *sharedData
	metrics  *metricStore
	logMu    sync.Mutex
	alMu     sync.Mutex
	alog     []AccessLogEntry
	closed   chan struct{}
	active   atomic.Int64
	bg       sync.WaitGroup
	closeErr error
	once     sync.Once
}

// Start compiles (cached per process) and instantiates the module on
// cfg.Workers VMs, runs proxy_on_vm_start and proxy_on_configure on each and
// starts the listeners. Like Envoy, a false from either rejects the config.
func Start(cfg Config) (*Host, error) {
	if cfg.Workers <= 0 {
		cfg.Workers = 2
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
	h := &Host{
		cfg:     cfg,
		shared:  newSharedData(),
		metrics: newMetricStore(),
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
		for _, v := range h.vms {
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
			"response_code_details": e.ResponseDetails,
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
func (h *Host) pickVM() *vm {
	h.rrMu.Lock()
	defer h.rrMu.Unlock()
	v := h.vms[int(h.rr)%len(h.vms)]
	h.rr++
	return v
}

func (h *Host) serveAdmin(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/stats" {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
	io.WriteString(w, h.Stats())
}

// Stats returns the module's metrics as Envoy's admin /stats prints them.
func (h *Host) Stats() string { return h.metrics.text() }

// MemorySizes returns each VM's linear memory size in bytes, in VM order.
// Linear memory never shrinks, so after a workload this is the high-water
// mark of what the module needed. Each read takes the VM's lock, so it never
// observes a guest call half-way.
func (h *Host) MemorySizes() []uint32 {
	out := make([]uint32, len(h.vms))
	for i, v := range h.vms {
		v.mu.Lock()
		out[i] = v.mod.Memory().Size()
		v.mu.Unlock()
	}
	return out
}
