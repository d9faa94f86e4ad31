package host

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// Compilation of a Go wasm module takes seconds, so every Host in the process
// shares one in-memory wazero CompilationCache: the second CompileModule of
// the same bytes (in a new Runtime) reuses the machine code.
var (
	compCacheOnce sync.Once
	compCache     wazero.CompilationCache
	compiledMu    sync.Mutex
	compiledSeen  = map[[32]byte]bool{}
)

type runtime struct {
	r        wazero.Runtime
	compiled wazero.CompiledModule
}

func newRuntime(h *Host) (*runtime, error) {
	compCacheOnce.Do(func() { compCache = wazero.NewCompilationCache() })
	ctx := context.Background()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCompilationCache(compCache))
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, r); err != nil {
		r.Close(ctx)
		return nil, err
	}
	if err := h.exportABI(ctx, r); err != nil {
		r.Close(ctx)
		return nil, err
	}
	sum := sha256.Sum256(h.cfg.Wasm)
	t0 := time.Now()
	cm, err := r.CompileModule(ctx, h.cfg.Wasm)
	if err != nil {
		r.Close(ctx)
		return nil, fmt.Errorf("compile wasm: %w", err)
	}
	compiledMu.Lock()
	first := !compiledSeen[sum]
	compiledSeen[sum] = true
	compiledMu.Unlock()
	h.logf("[host] compiled module (%s, first=%v)", time.Since(t0).Round(time.Millisecond), first)
	return &runtime{r: r, compiled: cm}, nil
}

func (rt *runtime) close() error { return rt.r.Close(context.Background()) }

// vmCtxKey carries the *vm into host functions: wazero passes the context
// given to api.Function.Call to every host function the guest calls.
type vmCtxKey struct{}

// vm is one module instance (Envoy: the per-worker-thread Wasm clone).
// It is used by one goroutine at a time: mu guards every guest call and all
// VM-level state touched by host functions.
type vm struct {
	h      *Host
	idx    int
	mu     sync.Mutex
	mod    api.Module
	ctx    context.Context
	failed bool

	rootID uint32
	nextID uint32
	// streams live on this VM, by context id.
	streams map[uint32]*stream

	// Per-call state (valid while mu is held and a guest call runs).
	eff          *stream // effective context; nil = root context
	inVMStart    bool
	inConfigure  bool
	callResp     *calloutResponse // during proxy_on_http_call_response
	touched      []*stream        // streams given after-call actions by this call
	nextCallout  uint32
	metricIDs    map[uint32]*metric
	nextMetricID [3]uint32

	tickMu     sync.Mutex
	tickPeriod time.Duration
	tickStop   chan struct{}
}

var errVMFailed = errors.New("wasm vm failed")

func (h *Host) newVM(idx int) (*vm, error) {
	v := &vm{
		h: h, idx: idx, streams: map[uint32]*stream{}, metricIDs: map[uint32]*metric{},
		nextMetricID: [3]uint32{0, 1, 2}, // proxy-wasm-cpp-host wasm.h: ids carry the type in the low 2 bits
		nextID:       1,                  // 0 is reserved for the VM context
	}
	v.ctx = context.WithValue(context.Background(), vmCtxKey{}, v)
	mc := wazero.NewModuleConfig().
		WithName(fmt.Sprintf("vm%d", idx)).
		WithStartFunctions("_initialize").
		WithSysWalltime().WithSysNanotime().WithSysNanosleep().
		WithRandSource(rand.Reader).
		WithStdout(logWriter{h, fmt.Sprintf("[vm%d stdout] ", idx)}).
		WithStderr(logWriter{h, fmt.Sprintf("[vm%d stderr] ", idx)})
	mod, err := h.rt.r.InstantiateModule(v.ctx, h.rt.compiled, mc)
	if err != nil {
		return nil, fmt.Errorf("instantiate vm%d: %w", idx, err)
	}
	v.mod = mod
	if mod.ExportedFunction("proxy_on_memory_allocate") == nil && mod.ExportedFunction("malloc") == nil {
		return nil, fmt.Errorf("vm%d: module exports neither proxy_on_memory_allocate nor malloc", idx)
	}
	// proxy-wasm-cpp-host: the root context gets the first allocated id (1),
	// then on_context_create(root, 0), on_vm_start(root, vm_config_size),
	// on_configure(root, plugin_config_size).
	v.mu.Lock()
	defer v.mu.Unlock()
	v.rootID = v.allocID()
	if _, err := v.call(nil, "proxy_on_context_create", uint64(v.rootID), 0); err != nil {
		return nil, fmt.Errorf("vm%d: proxy_on_context_create: %w", idx, err)
	}
	v.inVMStart = true
	ok, err := v.call(nil, "proxy_on_vm_start", uint64(v.rootID), uint64(len(h.cfg.VMConfig)))
	v.inVMStart = false
	if err != nil || (v.has("proxy_on_vm_start") && ok == 0) {
		return nil, fmt.Errorf("vm%d: proxy_on_vm_start failed (Envoy rejects the config): %v", idx, err)
	}
	v.inConfigure = true
	ok, err = v.call(nil, "proxy_on_configure", uint64(v.rootID), uint64(len(h.cfg.PluginConfig)))
	v.inConfigure = false
	if err != nil || (v.has("proxy_on_configure") && ok == 0) {
		return nil, fmt.Errorf("vm%d: proxy_on_configure failed (Envoy rejects the config): %v", idx, err)
	}
	return v, nil
}

func (v *vm) allocID() uint32 {
	id := v.nextID
	v.nextID++
	return id
}

func (v *vm) has(name string) bool { return v.mod.ExportedFunction(name) != nil }

// call invokes an exported callback with mu held. eff is the context the
// call is made for (nil = root). A missing export returns 0 (Continue), as
// proxy-wasm-cpp-host skips absent callbacks. A trap or proc_exit marks the
// VM failed (cpp-host FailState::RuntimeError): later calls fail fast.
func (v *vm) call(eff *stream, name string, args ...uint64) (uint64, error) {
	if v.failed {
		return 0, errVMFailed
	}
	fn := v.mod.ExportedFunction(name)
	if fn == nil {
		return 0, nil
	}
	prevEff := v.eff
	v.eff = eff
	res, err := fn.Call(v.ctx, args...)
	v.eff = prevEff
	if err != nil {
		v.failed = true
		v.h.logf("[vm%d] wasm trap in %s: %v (VM marked failed)", v.idx, name, err)
		return 0, err
	}
	if len(res) > 0 {
		return res[0], nil
	}
	return 0, nil
}

// takeTouched returns and clears the streams that received after-call
// actions during the last guest call(s).
func (v *vm) takeTouched() []*stream {
	t := v.touched
	v.touched = nil
	return t
}

// setTick emulates proxy_set_tick_period_milliseconds: one timer per VM
// calling proxy_on_tick(root) on the VM's own lock; 0 disables it.
func (v *vm) setTick(period time.Duration) {
	v.tickMu.Lock()
	defer v.tickMu.Unlock()
	if v.tickStop != nil {
		close(v.tickStop)
		v.tickStop = nil
	}
	v.tickPeriod = period
	if period <= 0 {
		return
	}
	stop := make(chan struct{})
	v.tickStop = stop
	v.h.bg.Add(1)
	go func() {
		defer v.h.bg.Done()
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-v.h.closed:
				return
			case <-t.C:
				v.mu.Lock()
				v.call(nil, "proxy_on_tick", uint64(v.rootID))
				touched := v.takeTouched()
				v.mu.Unlock()
				wakeAll(touched, nil)
			}
		}
	}()
}

func (v *vm) stopTick() {
	v.tickMu.Lock()
	defer v.tickMu.Unlock()
	if v.tickStop != nil {
		close(v.tickStop)
		v.tickStop = nil
	}
}

type logWriter struct {
	h      *Host
	prefix string
}

func (l logWriter) Write(p []byte) (int, error) {
	l.h.logf("%s%s", l.prefix, p)
	return len(p), nil
}
