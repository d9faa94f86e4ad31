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
	"github.com/tetratelabs/wazero/experimental"
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
	rc := wazero.NewRuntimeConfig().WithMemoryLimitPages(h.cfg.MemoryLimitPages)
	if h.cfg.FunctionListeners == nil {
		rc = rc.WithCompilationCache(compCache)
	} else {
		ctx = experimental.WithFunctionListenerFactory(ctx, h.cfg.FunctionListeners)
	}
	r := wazero.NewRuntimeWithConfig(ctx, rc)
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

	roots  []*rootCtx // one per plugin, in Host.plugins order
	rootID uint32     // the downstream plugin's root context
	nextID uint32
	// HTTP contexts living on this VM (downstream and upstream filters),
	// by context id.
	ctxs map[uint32]hctx

	// Per-call state (valid while mu is held and a guest call runs).
	eff          hctx     // effective HTTP context; nil = a root context
	effRoot      *rootCtx // root context of the effective context
	configuring  *pluginCfg
	callResp     *calloutResponse // during proxy_on_http_call_response
	touched      []hctx           // contexts given after-call actions by this call
	nextCallout  uint32
	metricIDs    map[uint32]*metric
	nextMetricID [3]uint32

	stats vmStats // module time (stats.go)

	// Exported functions by name, looked up once: wazero's
	// ExportedFunction makes a new call engine (with a new 10 KiB stack)
	// on every lookup, which Envoy's runtimes do not (cpp-host resolves
	// each callback once per VM). alloc/allocMod: the allocator for copyOut.
	fns      map[string]api.Function
	alloc    api.Function
	allocMod api.Module
}

// export returns the exported function name (nil if absent), cached.
func (v *vm) export(name string) api.Function {
	if f, ok := v.fns[name]; ok {
		return f
	}
	if v.fns == nil {
		v.fns = map[string]api.Function{}
	}
	f := v.mod.ExportedFunction(name)
	v.fns[name] = f
	return f
}

var errVMFailed = errors.New("wasm vm failed")

// isFailed reads the failed flag under the VM's lock, for callers outside
// a guest call.
func (v *vm) isFailed() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.failed
}

func (h *Host) newVM(idx int) (*vm, error) {
	v := &vm{
		h: h, idx: idx, ctxs: map[uint32]hctx{}, metricIDs: map[uint32]*metric{},
		// proxy-wasm-cpp-host wasm.h: ids carry the type in the low 2 bits.
		nextMetricID: [3]uint32{metricCounter, metricGauge, metricHistogram},
		nextID:       1, // 0 is reserved for the VM context
		// Outside callbacks (the module's _initialize) the VM context (id 0)
		// is current.
		effRoot: &rootCtx{id: 0, p: h.plugins[0]},
	}
	v.ctx = context.WithValue(context.Background(), vmCtxKey{}, v)
	ictx := v.ctx
	if !h.cfg.CopyingMemory {
		ictx = experimental.WithMemoryAllocator(ictx, reservedMemory{})
	}
	mc := wazero.NewModuleConfig().
		// Unique per instance: a FAIL_RELOAD replacement lives in the same
		// runtime as the VM it replaces.
		WithName(fmt.Sprintf("vm%d.%d", idx, h.instances.Add(1))).
		WithStartFunctions("_initialize").
		WithSysWalltime().WithSysNanotime().WithSysNanosleep().
		WithRandSource(rand.Reader).
		WithStdout(logWriter{h, fmt.Sprintf("[vm%d stdout] ", idx)}).
		WithStderr(logWriter{h, fmt.Sprintf("[vm%d stderr] ", idx)})
	mod, err := h.rt.r.InstantiateModule(ictx, h.rt.compiled, mc)
	if err != nil {
		return nil, fmt.Errorf("instantiate vm%d: %w", idx, err)
	}
	v.mod = mod
	if mod.ExportedFunction("proxy_on_memory_allocate") == nil && mod.ExportedFunction("malloc") == nil {
		return nil, fmt.Errorf("vm%d: module exports neither proxy_on_memory_allocate nor malloc", idx)
	}
	// One root context per plugin, each started and configured before the
	// next (cpp-host wasm.cc getOrCreateThreadLocalPlugin: WasmBase::start
	// then WasmBase::configure). Per root, cpp-host context.cc
	// ContextBase::onStart calls on_context_create(root, 0) with the plugin
	// as temp_plugin_, then on_vm_start(root, vm_config_size) - once per
	// root context, not once per VM; the Go SDK just calls
	// VMContext.OnVMStart again - and ContextBase::onConfigure calls
	// on_configure(root, plugin_config_size) with temp_plugin_ set, so the
	// PluginConfiguration buffer is the configured plugin's. Root ids come
	// from the VM's context counter (the first root gets 1). Plugins are
	// started in Host.plugins order, downstream first (the order Envoy
	// creates them in is not something a module may rely on).
	v.mu.Lock()
	defer v.mu.Unlock()
	for _, p := range h.plugins {
		r := &rootCtx{id: v.allocID(), p: p}
		v.roots = append(v.roots, r)
		role := "plugin"
		if p.upstream {
			role = "upstream plugin"
		}
		v.configuring = p
		_, err := v.callRoot(r, "proxy_on_context_create", uint64(r.id), 0)
		v.configuring = nil
		if err != nil {
			return nil, fmt.Errorf("vm%d: %s proxy_on_context_create: %w", idx, role, err)
		}
		ok, err := v.callRoot(r, "proxy_on_vm_start", uint64(r.id), uint64(len(h.cfg.VMConfig)))
		if err != nil || (v.has("proxy_on_vm_start") && ok == 0) {
			return nil, fmt.Errorf("vm%d: %s proxy_on_vm_start failed (Envoy rejects the config): %v", idx, role, err)
		}
		v.configuring = p
		ok, err = v.callRoot(r, "proxy_on_configure", uint64(r.id), uint64(len(p.config)))
		v.configuring = nil
		if err != nil || (v.has("proxy_on_configure") && ok == 0) {
			return nil, fmt.Errorf("vm%d: %s proxy_on_configure failed (Envoy rejects the config): %v", idx, role, err)
		}
	}
	v.rootID = v.roots[0].id
	return v, nil
}

// downRoot / upRoot are the root contexts of the downstream and upstream
// plugins (upRoot is nil without Config.Upstream).
func (v *vm) downRoot() *rootCtx { return v.roots[0] }

func (v *vm) upRoot() *rootCtx {
	if len(v.roots) > 1 {
		return v.roots[1]
	}
	return nil
}

func (v *vm) rootByID(id uint32) *rootCtx {
	for _, r := range v.roots {
		if r.id == id {
			return r
		}
	}
	return nil
}

func (v *vm) allocID() uint32 {
	id := v.nextID
	v.nextID++
	return id
}

func (v *vm) has(name string) bool { return v.mod.ExportedFunction(name) != nil }

// call invokes an exported callback for the HTTP context eff with mu held.
// A missing export returns 0 (Continue), as proxy-wasm-cpp-host skips
// absent callbacks. A trap or proc_exit marks the VM failed (cpp-host
// FailState::RuntimeError): later calls fail fast.
func (v *vm) call(eff hctx, name string, args ...uint64) (uint64, error) {
	return v.invokeGuest(eff, eff.root(), name, args...)
}

// callRoot invokes an exported callback for root context r with mu held.
func (v *vm) callRoot(r *rootCtx, name string, args ...uint64) (uint64, error) {
	return v.invokeGuest(nil, r, name, args...)
}

func (v *vm) invokeGuest(eff hctx, root *rootCtx, name string, args ...uint64) (uint64, error) {
	if v.failed {
		return 0, errVMFailed
	}
	fn := v.export(name)
	if fn == nil {
		return 0, nil
	}
	if v.h.cfg.recordCalls {
		rec := callRecord{vm: v.idx, fn: name, root: root.id}
		if len(args) > 0 {
			rec.ctx = uint32(args[0])
		}
		if len(args) > 1 {
			rec.arg = uint32(args[1])
		}
		v.h.recordCall(rec)
	}
	prevEff, prevRoot := v.eff, v.effRoot
	v.eff, v.effRoot = eff, root
	t0 := time.Now()
	res, err := fn.Call(v.ctx, args...)
	v.stats.export(name, time.Since(t0))
	v.eff, v.effRoot = prevEff, prevRoot
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

// takeTouched returns and clears the contexts that received after-call
// actions during the last guest call(s).
func (v *vm) takeTouched() []hctx {
	t := v.touched
	v.touched = nil
	return t
}

// setTick emulates proxy_set_tick_period_milliseconds for root context r:
// one timer per root context calling proxy_on_tick(root) on the VM's own
// lock; 0 disables it.
func (v *vm) setTick(r *rootCtx, period time.Duration) {
	r.tickMu.Lock()
	defer r.tickMu.Unlock()
	if r.tickStop != nil {
		close(r.tickStop)
		r.tickStop = nil
	}
	if period <= 0 {
		return
	}
	stop := make(chan struct{})
	r.tickStop = stop
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
				v.callRoot(r, "proxy_on_tick", uint64(r.id))
				touched := v.takeTouched()
				v.mu.Unlock()
				wakeAll(touched, nil)
			}
		}
	}()
}

func (v *vm) stopTick() {
	for _, r := range v.roots {
		r.tickMu.Lock()
		if r.tickStop != nil {
			close(r.tickStop)
			r.tickStop = nil
		}
		r.tickMu.Unlock()
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
