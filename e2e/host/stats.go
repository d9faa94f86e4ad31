package host

import (
	"sort"
	"time"

	"github.com/tetratelabs/wazero/api"
)

// Module time: the host measures every guest call it makes (the exported
// callbacks, around api.Function.Call) and counts the host functions the
// module calls, per VM. This is the module's own cost - what Envoy's worker
// thread spends inside the Wasm filter - without the host's HTTP plumbing,
// the network or the upstream. Time spent in host functions during a guest
// call is part of the guest call (it is in Envoy too); it is also reported
// on its own.

// ModuleStats sums the guest calls of one or more VMs.
type ModuleStats struct {
	Calls     uint64        // exported callbacks the host called
	Time      time.Duration // wall time inside them, host functions included
	HostCalls uint64        // host functions ("env" imports) the module called
	HostTime  time.Duration // wall time inside those host functions
	// PerExport and PerImport count calls by function name.
	PerExport map[string]CallStat
	PerImport map[string]CallStat
}

// CallStat is the number of calls of one function and their total time.
type CallStat struct {
	Calls uint64
	Time  time.Duration
}

// Sub returns s minus an earlier snapshot of the same VMs.
func (s ModuleStats) Sub(before ModuleStats) ModuleStats {
	out := ModuleStats{
		Calls: s.Calls - before.Calls, Time: s.Time - before.Time,
		HostCalls: s.HostCalls - before.HostCalls, HostTime: s.HostTime - before.HostTime,
		PerExport: map[string]CallStat{}, PerImport: map[string]CallStat{},
	}
	for k, v := range s.PerExport {
		b := before.PerExport[k]
		if d := (CallStat{v.Calls - b.Calls, v.Time - b.Time}); d.Calls > 0 {
			out.PerExport[k] = d
		}
	}
	for k, v := range s.PerImport {
		b := before.PerImport[k]
		if d := (CallStat{v.Calls - b.Calls, v.Time - b.Time}); d.Calls > 0 {
			out.PerImport[k] = d
		}
	}
	return out
}

// Names returns the keys of a per-function map, most calls first.
func Names(m map[string]CallStat) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if m[out[i]].Calls != m[out[j]].Calls {
			return m[out[i]].Calls > m[out[j]].Calls
		}
		return out[i] < out[j]
	})
	return out
}

// vmStats is one VM's counters, guarded by vm.mu (guest calls and the host
// functions they make run with it held).
type vmStats struct {
	calls, hostCalls uint64
	time, hostTime   time.Duration
	perExport        map[string]*CallStat
	perImport        []CallStat // by index in hostCalls()
}

func (s *vmStats) export(name string, d time.Duration) {
	s.calls++
	s.time += d
	if s.perExport == nil {
		s.perExport = map[string]*CallStat{}
	}
	c := s.perExport[name]
	if c == nil {
		c = &CallStat{}
		s.perExport[name] = c
	}
	c.Calls++
	c.Time += d
}

// ModuleStats returns the counters of every VM (current and retired),
// summed. Each VM is read under its lock, never during a guest call.
func (h *Host) ModuleStats() ModuleStats {
	h.rrMu.Lock()
	vms := append(append([]*vm(nil), h.vms...), h.retired...)
	h.rrMu.Unlock()
	out := ModuleStats{PerExport: map[string]CallStat{}, PerImport: map[string]CallStat{}}
	names := h.hostCallNames()
	for _, v := range vms {
		v.mu.Lock()
		s := &v.stats
		out.Calls += s.calls
		out.Time += s.time
		out.HostCalls += s.hostCalls
		out.HostTime += s.hostTime
		for k, c := range s.perExport {
			t := out.PerExport[k]
			out.PerExport[k] = CallStat{t.Calls + c.Calls, t.Time + c.Time}
		}
		for i, c := range s.perImport {
			if c.Calls == 0 {
				continue
			}
			t := out.PerImport[names[i]]
			out.PerImport[names[i]] = CallStat{t.Calls + c.Calls, t.Time + c.Time}
		}
		v.mu.Unlock()
	}
	return out
}

// WithGuest runs f with VM i's module under the VM's lock, between guest
// calls (benchmarks read the module's own exports or memory with it).
func (h *Host) WithGuest(i int, f func(m api.Module)) {
	h.rrMu.Lock()
	v := h.vms[i]
	h.rrMu.Unlock()
	v.mu.Lock()
	defer v.mu.Unlock()
	f(v.mod)
}

// WaitIdle waits (up to timeout) until no downstream stream is in flight:
// a client has its whole answer a moment before the stream has run
// proxy_on_log, on_done and on_delete.
func (h *Host) WaitIdle(timeout time.Duration) bool {
	for deadline := time.Now().Add(timeout); h.active.Load() > 0; {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(100 * time.Microsecond)
	}
	return true
}
