package host

import (
	"context"
	"strings"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// Map and buffer types (proxy-wasm ABI 0.2.1).
const (
	mapRequestHeaders   = 0
	mapRequestTrailers  = 1
	mapResponseHeaders  = 2
	mapResponseTrailers = 3
	mapCallRespHeaders  = 6
	mapCallRespTrailers = 7

	bufRequestBody     = 0
	bufResponseBody    = 1
	bufCallResponse    = 4
	bufVMConfiguration = 6
	bufPluginConfig    = 7
	bufCallData        = 8
)

func vmOf(ctx context.Context) *vm { return ctx.Value(vmCtxKey{}).(*vm) }

// exportABI defines module "env" with every proxy-wasm 0.2.x import (plus the
// 0.1.0 leftovers an SDK may still import) so any module instantiates; the
// ones this host does not emulate return Unimplemented instead of trapping.
func (h *Host) exportABI(ctx context.Context, r wazero.Runtime) error {
	b := r.NewHostModuleBuilder("env")
	fn := func(name string, f any) { b.NewFunctionBuilder().WithFunc(f).Export(name) }

	// --- logging, time, timers, context ---
	fn("proxy_log", func(ctx context.Context, m api.Module, level, ptr, size uint32) uint32 {
		v := vmOf(ctx)
		msg, err := readString(m, ptr, size)
		if err != nil {
			return resInvalidMemoryAccess
		}
		id := v.effRoot.id
		if v.eff != nil {
			id = v.eff.ctxID()
		}
		h.logf("[wasm vm%d ctx=%d %s] %s", v.idx, id, levelName(level), msg)
		return resOK
	})
	fn("proxy_get_log_level", func(ctx context.Context, m api.Module, ptr uint32) uint32 {
		// Envoy returns its logger level; its default is info (2).
		if !m.Memory().WriteUint32Le(ptr, 2) {
			return resInvalidMemoryAccess
		}
		return resOK
	})
	fn("proxy_get_current_time_nanoseconds", func(ctx context.Context, m api.Module, ptr uint32) uint32 {
		if !m.Memory().WriteUint64Le(ptr, uint64(time.Now().UnixNano())) {
			return resInvalidMemoryAccess
		}
		return resOK
	})
	fn("proxy_set_tick_period_milliseconds", func(ctx context.Context, m api.Module, ms uint32) uint32 {
		v := vmOf(ctx)
		v.setTick(v.effRoot, time.Duration(ms)*time.Millisecond)
		return resOK
	})
	fn("proxy_set_effective_context", func(ctx context.Context, m api.Module, id uint32) uint32 {
		v := vmOf(ctx)
		if r := v.rootByID(id); r != nil {
			v.eff, v.effRoot = nil, r
			return resOK
		}
		c, ok := v.ctxs[id]
		if !ok {
			return resBadArgument // cpp-host: unknown context -> BadArgument
		}
		v.eff, v.effRoot = c, c.root()
		return resOK
	})
	fn("proxy_done", func(ctx context.Context, m api.Module) uint32 { return resOK })
	fn("proxy_get_status", func(ctx context.Context, m api.Module, codePtr, msgPtrPtr, msgSizePtr uint32) uint32 {
		v := vmOf(ctx)
		code := uint32(0)
		msg := ""
		if v.callResp != nil && v.callResp.failed {
			code, msg = 11, "reset" // BrokenConnection, as Envoy's onHttpCallFailure
		}
		if !m.Memory().WriteUint32Le(codePtr, code) {
			return resInvalidMemoryAccess
		}
		return copyOut(ctx, m, []byte(msg), msgPtrPtr, msgSizePtr)
	})
	fn("proxy_get_configuration", func(ctx context.Context, m api.Module, ptrPtr, sizePtr uint32) uint32 {
		// ABI 0.1.0: the plugin configuration of the effective context's root.
		return copyOut(ctx, m, vmOf(ctx).effRoot.p.config, ptrPtr, sizePtr)
	})

	// --- header maps ---
	fn("proxy_get_header_map_value", func(ctx context.Context, m api.Module, mt, kp, ks, vpp, vsp uint32) uint32 {
		v := vmOf(ctx)
		key, err := readString(m, kp, ks)
		if err != nil {
			return resInvalidMemoryAccess
		}
		hm, st := v.getMap(mt)
		if st != resOK {
			return st
		}
		// Envoy returns the first value only (context.cc TODO about joining).
		val, ok := hm.get(key)
		if !ok {
			return resNotFound
		}
		return copyOut(ctx, m, []byte(val), vpp, vsp)
	})
	fn("proxy_get_header_map_pairs", func(ctx context.Context, m api.Module, mt, pp, sp uint32) uint32 {
		v := vmOf(ctx)
		hm, st := v.getMap(mt)
		if st != resOK {
			hm = nil // Envoy: an absent map serializes as empty pairs, status Ok
		}
		return copyOut(ctx, m, encodePairs(hm), pp, sp)
	})
	fn("proxy_get_header_map_size", func(ctx context.Context, m api.Module, mt, sp uint32) uint32 {
		v := vmOf(ctx)
		hm, st := v.getMap(mt)
		if st != resOK {
			return resBadArgument
		}
		n := 0
		for _, p := range hm {
			n += len(p[0]) + len(p[1])
		}
		if !m.Memory().WriteUint32Le(sp, uint32(n)) {
			return resInvalidMemoryAccess
		}
		return resOK
	})
	mutate := func(ctx context.Context, mt uint32, f func(hmap) hmap) uint32 {
		v := vmOf(ctx)
		return v.mutateMap(mt, f)
	}
	fn("proxy_add_header_map_value", func(ctx context.Context, m api.Module, mt, kp, ks, vp, vs uint32) uint32 {
		k, err1 := readString(m, kp, ks)
		val, err2 := readString(m, vp, vs)
		if err1 != nil || err2 != nil {
			return resInvalidMemoryAccess
		}
		return mutate(ctx, mt, func(hm hmap) hmap { return hm.add(k, val) })
	})
	fn("proxy_replace_header_map_value", func(ctx context.Context, m api.Module, mt, kp, ks, vp, vs uint32) uint32 {
		k, err1 := readString(m, kp, ks)
		val, err2 := readString(m, vp, vs)
		if err1 != nil || err2 != nil {
			return resInvalidMemoryAccess
		}
		return mutate(ctx, mt, func(hm hmap) hmap { return hm.set(k, val) })
	})
	fn("proxy_remove_header_map_value", func(ctx context.Context, m api.Module, mt, kp, ks uint32) uint32 {
		k, err := readString(m, kp, ks)
		if err != nil {
			return resInvalidMemoryAccess
		}
		return mutate(ctx, mt, func(hm hmap) hmap { return hm.remove(k) })
	})
	fn("proxy_set_header_map_pairs", func(ctx context.Context, m api.Module, mt, pp, ps uint32) uint32 {
		raw, err := readBytes(m, pp, ps)
		if err != nil {
			return resInvalidMemoryAccess
		}
		pairs, err := decodePairs(raw)
		if err != nil {
			return resInvalidMemoryAccess
		}
		return mutate(ctx, mt, func(hmap) hmap { return lowerPairs(pairs) })
	})

	// --- buffers ---
	fn("proxy_get_buffer_bytes", func(ctx context.Context, m api.Module, bt, start, length, pp, sp uint32) uint32 {
		v := vmOf(ctx)
		data, st := v.getBuffer(bt)
		if st != resOK {
			return st
		}
		s, l := uint64(start), uint64(length)
		if s > uint64(len(data)) {
			l = 0
		} else if s+l > uint64(len(data)) {
			l = uint64(len(data)) - s
		}
		if l == 0 {
			return copyOut(ctx, m, nil, pp, sp)
		}
		return copyOut(ctx, m, data[s:s+l], pp, sp)
	})
	fn("proxy_get_buffer_status", func(ctx context.Context, m api.Module, bt, lp, fp uint32) uint32 {
		v := vmOf(ctx)
		data, st := v.getBuffer(bt)
		if st != resOK {
			return st
		}
		if !m.Memory().WriteUint32Le(lp, uint32(len(data))) || !m.Memory().WriteUint32Le(fp, 0) {
			return resInvalidMemoryAccess
		}
		return resOK
	})
	fn("proxy_set_buffer_bytes", func(ctx context.Context, m api.Module, bt, start, length, dp, ds uint32) uint32 {
		v := vmOf(ctx)
		data, err := readBytes(m, dp, ds)
		if err != nil {
			return resInvalidMemoryAccess
		}
		return v.setBuffer(bt, start, length, data)
	})

	// --- stream control ---
	fn("proxy_continue_stream", func(ctx context.Context, m api.Module, st uint32) uint32 {
		return vmOf(ctx).streamAction(func(c hctx) uint32 { return c.queueContinue(st) })
	})
	fn("proxy_close_stream", func(ctx context.Context, m api.Module, st uint32) uint32 {
		return vmOf(ctx).streamAction(func(c hctx) uint32 { return c.queueClose(st) })
	})
	fn("proxy_continue_request", func(ctx context.Context, m api.Module) uint32 {
		return vmOf(ctx).streamAction(func(c hctx) uint32 { return c.queueContinue(0) })
	})
	fn("proxy_continue_response", func(ctx context.Context, m api.Module) uint32 {
		return vmOf(ctx).streamAction(func(c hctx) uint32 { return c.queueContinue(1) })
	})
	fn("proxy_clear_route_cache", func(ctx context.Context, m api.Module) uint32 {
		return vmOf(ctx).streamAction(func(c hctx) uint32 { c.clearRouteCache(); return resOK })
	})
	fn("proxy_send_local_response", func(ctx context.Context, m api.Module, code, dp, dsz, bp, bsz, hp, hsz uint32, grpc int32) uint32 {
		v := vmOf(ctx)
		details, e1 := readString(m, dp, dsz)
		body, e2 := readBytes(m, bp, bsz)
		hraw, e3 := readBytes(m, hp, hsz)
		if e1 != nil || e2 != nil || e3 != nil {
			return resInvalidMemoryAccess
		}
		hdrs, err := decodePairs(hraw)
		if err != nil {
			return resInvalidMemoryAccess
		}
		return v.streamAction(func(c hctx) uint32 {
			c.queueLocalReply(localReply{code: int(code), body: body, headers: lowerPairs(hdrs),
				details: strings.Join(strings.Fields(details), "_")})
			return resOK
		})
	})

	// --- http callouts ---
	fn("proxy_http_call", func(ctx context.Context, m api.Module, up, us, hp, hs, bp, bs, tp, ts, timeout, tokPtr uint32) uint32 {
		v := vmOf(ctx)
		cluster, e1 := readString(m, up, us)
		hraw, e2 := readBytes(m, hp, hs)
		body, e3 := readBytes(m, bp, bs)
		traw, e4 := readBytes(m, tp, ts)
		if e1 != nil || e2 != nil || e3 != nil || e4 != nil || !m.Memory().WriteUint32Le(tokPtr, 0) {
			return resInvalidMemoryAccess
		}
		hdrs, err := decodePairs(hraw)
		if err != nil {
			return resInvalidMemoryAccess
		}
		trailers, _ := decodePairs(traw)
		tok, st := v.httpCall(cluster, lowerPairs(hdrs), body, trailers, int32(timeout))
		if st != resOK {
			return st
		}
		m.Memory().WriteUint32Le(tokPtr, tok)
		return resOK
	})
	unimpl := func(name string, f any) { fn(name, f) }
	unimpl("proxy_grpc_call", func(ctx context.Context, m api.Module, a, b, c, d, e, f, g, hh, i, j, k, l uint32) uint32 {
		return resUnimplemented
	})
	unimpl("proxy_grpc_stream", func(ctx context.Context, m api.Module, a, b, c, d, e, f, g, hh, i uint32) uint32 {
		return resUnimplemented
	})
	unimpl("proxy_grpc_send", func(ctx context.Context, m api.Module, a, b, c, d uint32) uint32 { return resUnimplemented })
	unimpl("proxy_grpc_cancel", func(ctx context.Context, m api.Module, a uint32) uint32 { return resUnimplemented })
	unimpl("proxy_grpc_close", func(ctx context.Context, m api.Module, a uint32) uint32 { return resUnimplemented })

	// --- shared data and queues ---
	fn("proxy_get_shared_data", func(ctx context.Context, m api.Module, kp, ks, vpp, vsp, casPtr uint32) uint32 {
		key, err := readString(m, kp, ks)
		if err != nil {
			return resInvalidMemoryAccess
		}
		val, cas, ok := h.shared.get(key)
		if !ok {
			return resNotFound
		}
		if st := copyOut(ctx, m, val, vpp, vsp); st != resOK {
			return st
		}
		if !m.Memory().WriteUint32Le(casPtr, cas) {
			return resInvalidMemoryAccess
		}
		return resOK
	})
	fn("proxy_set_shared_data", func(ctx context.Context, m api.Module, kp, ks, vp, vs, cas uint32) uint32 {
		key, e1 := readString(m, kp, ks)
		val, e2 := readBytes(m, vp, vs)
		if e1 != nil || e2 != nil {
			return resInvalidMemoryAccess
		}
		return h.shared.set(key, val, cas)
	})
	// Shared queues are not used by the project; registering works (so a
	// module that only registers keeps running), the rest report NotFound.
	fn("proxy_register_shared_queue", func(ctx context.Context, m api.Module, np, ns, tokPtr uint32) uint32 {
		name, err := readString(m, np, ns)
		if err != nil {
			return resInvalidMemoryAccess
		}
		if !m.Memory().WriteUint32Le(tokPtr, h.shared.queueID(name)) {
			return resInvalidMemoryAccess
		}
		return resOK
	})
	fn("proxy_resolve_shared_queue", func(ctx context.Context, m api.Module, vp, vs, np, ns, tokPtr uint32) uint32 {
		return resNotFound
	})
	fn("proxy_dequeue_shared_queue", func(ctx context.Context, m api.Module, tok, pp, sp uint32) uint32 { return resEmpty })
	fn("proxy_enqueue_shared_queue", func(ctx context.Context, m api.Module, tok, p, s uint32) uint32 { return resNotFound })

	// --- metrics ---
	fn("proxy_define_metric", func(ctx context.Context, m api.Module, typ, np, ns, idPtr uint32) uint32 {
		name, err := readString(m, np, ns)
		if err != nil {
			return resInvalidMemoryAccess
		}
		id, st := vmOf(ctx).defineMetric(typ, name)
		if st != resOK {
			return st
		}
		if !m.Memory().WriteUint32Le(idPtr, id) {
			return resInvalidMemoryAccess
		}
		return resOK
	})
	fn("proxy_increment_metric", func(ctx context.Context, m api.Module, id uint32, off int64) uint32 {
		return vmOf(ctx).incrementMetric(id, off)
	})
	fn("proxy_record_metric", func(ctx context.Context, m api.Module, id uint32, val uint64) uint32 {
		return vmOf(ctx).recordMetric(id, val)
	})
	fn("proxy_get_metric", func(ctx context.Context, m api.Module, id, resPtr uint32) uint32 {
		val, st := vmOf(ctx).getMetric(id)
		if st != resOK {
			return st
		}
		if !m.Memory().WriteUint64Le(resPtr, val) {
			return resInvalidMemoryAccess
		}
		return resOK
	})

	// --- properties ---
	fn("proxy_get_property", func(ctx context.Context, m api.Module, pp, ps, vpp, vsp uint32) uint32 {
		raw, err := readBytes(m, pp, ps)
		if err != nil {
			return resInvalidMemoryAccess
		}
		v := vmOf(ctx)
		val, st := v.getProperty(splitPath(raw))
		if st != resOK {
			return st
		}
		return copyOut(ctx, m, val, vpp, vsp)
	})
	fn("proxy_set_property", func(ctx context.Context, m api.Module, pp, ps, vp, vs uint32) uint32 {
		raw, e1 := readBytes(m, pp, ps)
		val, e2 := readBytes(m, vp, vs)
		if e1 != nil || e2 != nil {
			return resInvalidMemoryAccess
		}
		return vmOf(ctx).setProperty(splitPath(raw), val)
	})

	// --- foreign functions ---
	fn("proxy_call_foreign_function", func(ctx context.Context, m api.Module, np, ns, ap, as, rpp, rsp uint32) uint32 {
		name, err := readString(m, np, ns)
		if err != nil {
			return resInvalidMemoryAccess
		}
		v := vmOf(ctx)
		switch name {
		case "clear_route_cache":
			// Envoy's registered foreign function: clears the stream's cached
			// route so the router re-evaluates it with the current headers.
			return v.streamAction(func(c hctx) uint32 { c.clearRouteCache(); return resOK })
		default:
			return resNotFound // cpp-host: unknown foreign function
		}
	})

	_, err := b.Instantiate(ctx)
	return err
}

func levelName(l uint32) string {
	switch l {
	case 0:
		return "trace"
	case 1:
		return "debug"
	case 2:
		return "info"
	case 3:
		return "warn"
	case 4:
		return "error"
	case 5:
		return "critical"
	}
	return "?"
}

// splitPath splits a property path on NUL (the SDK's serialization).
func splitPath(raw []byte) []string {
	if len(raw) == 0 {
		return nil
	}
	return strings.Split(string(raw), "\x00")
}

// streamAction runs f on the effective HTTP context; from a root
// context it is BadArgument (Envoy has no decoder callbacks there), except
// for send_local_response which Envoy silently ignores (Ok).
func (v *vm) streamAction(f func(hctx) uint32) uint32 {
	if v.eff == nil {
		return resBadArgument
	}
	st := f(v.eff)
	v.touched = append(v.touched, v.eff)
	return st
}
