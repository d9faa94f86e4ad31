package host

import (
	"context"
	"time"

	"github.com/tetratelabs/wazero/api"
)

// Host functions are registered without reflection: wazero's WithFunc
// calls a Go function through reflect (allocating a []reflect.Value per
// call), which costs several times what Envoy's C++ host calls do and would
// count against the module in its measured time. goModuleFunc turns each
// host function signature used here into an api.GoModuleFunc that reads
// its parameters from the stack directly, and counts the call and its time
// in the calling VM's stats (module time, stats.go).

var (
	i32 = api.ValueTypeI32
	i64 = api.ValueTypeI64
)

// goModuleFunc returns a stack-based form of fn and its parameter types;
// ok is false for a signature it does not know (then WithFunc is used).
func goModuleFunc(fn any) (f func(ctx context.Context, m api.Module, s []uint64) uint32, params []api.ValueType, ok bool) {
	u := func(s []uint64, i int) uint32 { return uint32(s[i]) }
	n := func(k int) []api.ValueType {
		p := make([]api.ValueType, k)
		for i := range p {
			p[i] = i32
		}
		return p
	}
	switch fn := fn.(type) {
	case func(context.Context, api.Module) uint32:
		return func(c context.Context, m api.Module, s []uint64) uint32 { return fn(c, m) }, n(0), true
	case func(context.Context, api.Module, uint32) uint32:
		return func(c context.Context, m api.Module, s []uint64) uint32 { return fn(c, m, u(s, 0)) }, n(1), true
	case func(context.Context, api.Module, uint32, uint32) uint32:
		return func(c context.Context, m api.Module, s []uint64) uint32 { return fn(c, m, u(s, 0), u(s, 1)) }, n(2), true
	case func(context.Context, api.Module, uint32, uint32, uint32) uint32:
		return func(c context.Context, m api.Module, s []uint64) uint32 {
			return fn(c, m, u(s, 0), u(s, 1), u(s, 2))
		}, n(3), true
	case func(context.Context, api.Module, uint32, uint32, uint32, uint32) uint32:
		return func(c context.Context, m api.Module, s []uint64) uint32 {
			return fn(c, m, u(s, 0), u(s, 1), u(s, 2), u(s, 3))
		}, n(4), true
	case func(context.Context, api.Module, uint32, uint32, uint32, uint32, uint32) uint32:
		return func(c context.Context, m api.Module, s []uint64) uint32 {
			return fn(c, m, u(s, 0), u(s, 1), u(s, 2), u(s, 3), u(s, 4))
		}, n(5), true
	case func(context.Context, api.Module, uint32, uint32, uint32, uint32, uint32, uint32) uint32:
		return func(c context.Context, m api.Module, s []uint64) uint32 {
			return fn(c, m, u(s, 0), u(s, 1), u(s, 2), u(s, 3), u(s, 4), u(s, 5))
		}, n(6), true
	case func(context.Context, api.Module, uint32, uint32, uint32, uint32, uint32, uint32, uint32, uint32, uint32) uint32:
		return func(c context.Context, m api.Module, s []uint64) uint32 {
			return fn(c, m, u(s, 0), u(s, 1), u(s, 2), u(s, 3), u(s, 4), u(s, 5), u(s, 6), u(s, 7), u(s, 8))
		}, n(9), true
	case func(context.Context, api.Module, uint32, uint32, uint32, uint32, uint32, uint32, uint32, uint32, uint32, uint32) uint32:
		return func(c context.Context, m api.Module, s []uint64) uint32 {
			return fn(c, m, u(s, 0), u(s, 1), u(s, 2), u(s, 3), u(s, 4), u(s, 5), u(s, 6), u(s, 7), u(s, 8), u(s, 9))
		}, n(10), true
	case func(context.Context, api.Module, uint32, uint32, uint32, uint32, uint32, uint32, uint32, uint32, uint32, uint32, uint32, uint32) uint32:
		return func(c context.Context, m api.Module, s []uint64) uint32 {
			return fn(c, m, u(s, 0), u(s, 1), u(s, 2), u(s, 3), u(s, 4), u(s, 5), u(s, 6), u(s, 7), u(s, 8), u(s, 9), u(s, 10), u(s, 11))
		}, n(12), true
	case func(context.Context, api.Module, uint32, uint32, uint32, uint32, uint32, uint32, uint32, int32) uint32:
		return func(c context.Context, m api.Module, s []uint64) uint32 {
			return fn(c, m, u(s, 0), u(s, 1), u(s, 2), u(s, 3), u(s, 4), u(s, 5), u(s, 6), int32(u(s, 7)))
		}, n(8), true
	case func(context.Context, api.Module, uint32, int64) uint32:
		return func(c context.Context, m api.Module, s []uint64) uint32 { return fn(c, m, u(s, 0), int64(s[1])) },
			[]api.ValueType{i32, i64}, true
	case func(context.Context, api.Module, uint32, uint64) uint32:
		return func(c context.Context, m api.Module, s []uint64) uint32 { return fn(c, m, u(s, 0), s[1]) },
			[]api.ValueType{i32, i64}, true
	}
	return nil, nil, false
}

// countedHostFunc wraps host function number idx (in hostCalls order) so
// that each call is counted, with its time, in the calling VM's stats.
func countedHostFunc(idx int, f func(ctx context.Context, m api.Module, s []uint64) uint32) api.GoModuleFunc {
	return func(ctx context.Context, m api.Module, s []uint64) {
		t0 := time.Now()
		r := f(ctx, m, s)
		d := time.Since(t0)
		s[0] = uint64(r)
		if v, ok := ctx.Value(vmCtxKey{}).(*vm); ok {
			st := &v.stats
			st.hostCalls++
			st.hostTime += d
			if st.perImport == nil {
				st.perImport = make([]CallStat, len(v.h.importNames))
			}
			st.perImport[idx].Calls++
			st.perImport[idx].Time += d
		}
	}
}

func (h *Host) hostCallNames() []string { return h.importNames }
