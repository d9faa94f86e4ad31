package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/gemini-code-api/gemini-code-api/e2e/host"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// profiler listens to every guest function (wazero's
// experimental.FunctionListener): calls, and time between entry and exit
// with the callees' time removed (self time). Listening makes each guest
// call far slower, small functions most, so self times are inflated for
// functions called very often; the call counts are exact.
type profiler struct {
	funcs map[uint32]*fnProfile
	stack []frame
	// allocs counts runtime.mallocgc calls by the innermost caller that is
	// the project's or the SDK's code (an allocation's runtime helpers,
	// such as growslice or concatstrings, are looked through).
	allocs map[*fnProfile]uint64
}

type fnProfile struct {
	name        string
	calls       uint64
	self, total time.Duration
}

type frame struct {
	fn       *fnProfile
	start    time.Time
	children time.Duration
	dup      bool // fn already on the stack: its total is counted once
}

func newProfiler() *profiler {
	return &profiler{funcs: map[uint32]*fnProfile{}, allocs: map[*fnProfile]uint64{}}
}

// ours reports whether a guest function is the project's or the SDK's.
func ours(name string) bool {
	return strings.Contains(name, "gemini_code_api") || strings.Contains(name, "proxy_wasm") || strings.Contains(name, "gjson")
}

func (p *profiler) NewFunctionListener(def api.FunctionDefinition) experimental.FunctionListener {
	f := &fnProfile{name: strings.TrimPrefix(def.DebugName(), ".")}
	p.funcs[def.Index()] = f
	return &listener{p: p, f: f}
}

type listener struct {
	p *profiler
	f *fnProfile
}

func (l *listener) Before(context.Context, api.Module, api.FunctionDefinition, []uint64, experimental.StackIterator) {
	dup := false
	for i := range l.p.stack {
		if l.p.stack[i].fn == l.f {
			dup = true
			break
		}
	}
	l.p.stack = append(l.p.stack, frame{fn: l.f, start: time.Now(), dup: dup})
	l.f.calls++
	if l.f.name == "runtime.mallocgc" {
		for i := len(l.p.stack) - 2; i >= 0; i-- {
			if fn := l.p.stack[i].fn; ours(fn.name) {
				l.p.allocs[fn]++
				break
			}
		}
	}
}

func (l *listener) After(context.Context, api.Module, api.FunctionDefinition, []uint64) { l.p.pop() }

func (l *listener) Abort(context.Context, api.Module, api.FunctionDefinition, error) { l.p.pop() }

func (p *profiler) pop() {
	n := len(p.stack) - 1
	if n < 0 {
		return
	}
	fr := p.stack[n]
	p.stack = p.stack[:n]
	d := time.Since(fr.start)
	fr.fn.self += d - fr.children
	if !fr.dup {
		fr.fn.total += d
	}
	if n > 0 {
		p.stack[n-1].children += d
	}
}

func (p *profiler) reset() {
	for _, f := range p.funcs {
		f.calls, f.self, f.total = 0, 0, 0
	}
	clear(p.allocs)
}

// profile runs a scenario on a host whose module is listened to and prints
// the guest functions with the most self time and the most calls.
func profile(up *upstream, wasm []byte, name string) error {
	var sc *scenario
	for _, s := range timedScenarios() {
		if s.name == name {
			sc = &s
		}
	}
	if sc == nil {
		return fmt.Errorf("no scenario %q", name)
	}
	p := newProfiler()
	h, err := startHost(wasm, up.addr(), p)
	if err != nil {
		return err
	}
	defer h.Close()
	m := module{name: "gemini-code-api", h: h}
	if _, err := run(m, up, *sc, 20); err != nil {
		return err
	}
	p.reset()
	n := *nFlag
	if sc.events > 0 {
		n = max(n/4, 10)
	}
	r, err := run(m, up, *sc, n)
	if err != nil {
		return err
	}
	// run's warm-up is in the profile too: count it.
	total := n + max(n/4, 5)
	fs := make([]*fnProfile, 0, len(p.funcs))
	var all time.Duration
	for _, f := range p.funcs {
		if f.calls > 0 {
			fs = append(fs, f)
			all += f.self
		}
	}
	fmt.Printf("profile of %s: %d requests, module time with listeners %.0f µs/request (self time below sums to %.0f µs/request)\n\n",
		sc.title, n, us(r.time), us(all)/float64(total))
	sort.Slice(fs, func(i, j int) bool { return fs[i].self > fs[j].self })
	fmt.Println("by self time:")
	fmt.Printf("  %7s %9s %9s %10s  %s\n", "self%", "self µs", "total µs", "calls", "function (per request)")
	for _, f := range fs[:min(40, len(fs))] {
		fmt.Printf("  %6.1f%% %9.2f %9.2f %10.1f  %s\n", 100*float64(f.self)/float64(all), us(f.self)/float64(total), us(f.total)/float64(total), float64(f.calls)/float64(total), f.name)
	}
	sort.Slice(fs, func(i, j int) bool { return fs[i].calls > fs[j].calls })
	sort.Slice(fs, func(i, j int) bool { return fs[i].total > fs[j].total })
	fmt.Println("\nby total time (the project's and the SDK's functions):")
	for _, f := range fs {
		if ours(f.name) || strings.HasPrefix(f.name, "env.") {
			fmt.Printf("  %9.2f %10.1f  %s\n", us(f.total)/float64(total), float64(f.calls)/float64(total), f.name)
		}
	}
	sort.Slice(fs, func(i, j int) bool { return fs[i].calls > fs[j].calls })
	fmt.Println("\nby calls:")
	for _, f := range fs[:min(30, len(fs))] {
		fmt.Printf("  %10.1f  %s\n", float64(f.calls)/float64(total), f.name)
	}
	fa := make([]*fnProfile, 0, len(p.allocs))
	for f := range p.allocs {
		fa = append(fa, f)
	}
	sort.Slice(fa, func(i, j int) bool { return p.allocs[fa[i]] > p.allocs[fa[j]] })
	fmt.Println("\nallocations (runtime.mallocgc calls) by the innermost project, SDK or gjson caller, per request:")
	for _, f := range fa[:min(40, len(fa))] {
		fmt.Printf("  %8.2f  %s\n", float64(p.allocs[f])/float64(total), f.name)
	}
	var gc []*fnProfile
	for _, f := range fs {
		switch f.name {
		case "runtime.gcStart", "runtime.mallocgc", "runtime.gcBgMarkWorker", "runtime.gcDrain", "runtime.markroot", "runtime.sweepone", "runtime.newstack", "runtime.copystack", "runtime.morestack", "runtime.morestack_noctxt", "runtime.wasmExportResume", "runtime.schedule", "runtime.gosched_m", "runtime.mcall",
			"runtime.scanobject", "runtime.growslice", "runtime.newobject", "runtime.makeslice", "runtime.concatstrings", "runtime.slicebytetostring":
			gc = append(gc, f)
		}
	}
	fmt.Println("\nruntime (per request: calls, total µs):")
	for _, f := range gc {
		fmt.Printf("  %-28s %8.1f %9.2f\n", f.name, float64(f.calls)/float64(total), us(f.total)/float64(total))
	}
	return nil
}

// memstats reads the module's allocation counters (Mallocs, TotalAlloc,
// NumGC) through the gca_memstats export of the memstats build variant.
func memstats(h *host.Host) (out [3]uint64) {
	h.WithGuest(0, func(m api.Module) {
		f := m.ExportedFunction("gca_memstats")
		if f == nil {
			return
		}
		res, err := f.Call(context.Background())
		if err != nil || len(res) == 0 {
			return
		}
		b, ok := m.Memory().Read(uint32(res[0]), 24)
		if !ok {
			return
		}
		for i := range out {
			out[i] = binary.LittleEndian.Uint64(b[8*i:])
		}
	})
	return out
}
