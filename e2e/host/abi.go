package host

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// Map types (proxy-wasm ABI 0.2.1 WasmHeaderMapType).
const (
	mapRequestHeaders      = 0
	mapRequestTrailers     = 1
	mapResponseHeaders     = 2
	mapResponseTrailers    = 3
	mapGrpcReceiveInitial  = 4
	mapGrpcReceiveTrailing = 5
	mapCallRespHeaders     = 6
	mapCallRespTrailers    = 7
)

// Buffer types (proxy-wasm ABI 0.2.1 WasmBufferType).
const (
	bufRequestBody     = 0
	bufResponseBody    = 1
	bufDownstreamData  = 2
	bufUpstreamData    = 3
	bufCallResponse    = 4
	bufGrpcReceive     = 5
	bufVMConfiguration = 6
	bufPluginConfig    = 7
	bufCallData        = 8
)

// Log levels (proxy-wasm LogLevel).
const (
	logTrace = iota
	logDebug
	logInfo
	logWarn
	logError
	logCritical
)

func vmOf(ctx context.Context) *vm { return ctx.Value(vmCtxKey{}).(*vm) }

// putU32 / putU64 write a result into guest memory: Ok, or
// InvalidMemoryAccess when ptr is out of bounds.
func putU32(m api.Module, ptr, v uint32) uint32 {
	if !m.Memory().WriteUint32Le(ptr, v) {
		return resInvalidMemoryAccess
	}
	return resOK
}

func putU64(m api.Module, ptr uint32, v uint64) uint32 {
	if !m.Memory().WriteUint64Le(ptr, v) {
		return resInvalidMemoryAccess
	}
	return resOK
}

// hostCall is one import of module "env": its name and a Go function with
// the import's signature (context, calling module, then the ABI's
// parameters), as wazero's HostFunctionBuilder.WithFunc takes it.
type hostCall struct {
	name string
	fn   any
}

// exportABI defines module "env" with every proxy-wasm 0.2.x import (plus the
// 0.1.0 leftovers an SDK may still import) so any module instantiates; the
// ones this host does not emulate return Unimplemented instead of trapping.
// Each import is one function below, documented with the Envoy /
// proxy-wasm-cpp-host behaviour it emulates (cpp-host src/exports.cc
// unpacks the arguments and calls the context's method in Envoy's
// source/extensions/common/wasm/context.cc).
func (h *Host) exportABI(ctx context.Context, r wazero.Runtime) error {
	b := r.NewHostModuleBuilder("env")
	calls := h.hostCalls()
	h.importNames = make([]string, len(calls))
	for i, c := range calls {
		h.importNames[i] = c.name
		f, params, ok := goModuleFunc(c.fn)
		if !ok {
			return fmt.Errorf("host function %s: signature without a stack-based adapter (hostfunc.go)", c.name)
		}
		b.NewFunctionBuilder().WithGoModuleFunction(countedHostFunc(i, f), params, []api.ValueType{i32}).Export(c.name)
	}
	_, err := b.Instantiate(ctx)
	return err
}

func (h *Host) hostCalls() []hostCall {
	return []hostCall{
		// logging, time, timers, context
		{"proxy_log", h.proxyLog},
		{"proxy_get_log_level", proxyGetLogLevel},
		{"proxy_get_current_time_nanoseconds", proxyGetCurrentTimeNanoseconds},
		{"proxy_set_tick_period_milliseconds", proxySetTickPeriodMilliseconds},
		{"proxy_set_effective_context", proxySetEffectiveContext},
		{"proxy_done", proxyDone},
		{"proxy_get_status", proxyGetStatus},
		{"proxy_get_configuration", proxyGetConfiguration},

		// header maps
		{"proxy_get_header_map_value", proxyGetHeaderMapValue},
		{"proxy_get_header_map_pairs", proxyGetHeaderMapPairs},
		{"proxy_get_header_map_size", proxyGetHeaderMapSize},
		{"proxy_add_header_map_value", proxyAddHeaderMapValue},
		{"proxy_replace_header_map_value", proxyReplaceHeaderMapValue},
		{"proxy_remove_header_map_value", proxyRemoveHeaderMapValue},
		{"proxy_set_header_map_pairs", proxySetHeaderMapPairs},

		// buffers
		{"proxy_get_buffer_bytes", proxyGetBufferBytes},
		{"proxy_get_buffer_status", proxyGetBufferStatus},
		{"proxy_set_buffer_bytes", proxySetBufferBytes},

		// stream control
		{"proxy_continue_stream", proxyContinueStream},
		{"proxy_close_stream", proxyCloseStream},
		{"proxy_continue_request", proxyContinueRequest},
		{"proxy_continue_response", proxyContinueResponse},
		{"proxy_clear_route_cache", proxyClearRouteCache},
		{"proxy_send_local_response", proxySendLocalResponse},

		// http and grpc callouts
		{"proxy_http_call", proxyHTTPCall},
		{"proxy_grpc_call", func(ctx context.Context, m api.Module, a, b, c, d, e, f, g, hh, i, j, k, l uint32) uint32 {
			return resUnimplemented
		}},
		{"proxy_grpc_stream", func(ctx context.Context, m api.Module, a, b, c, d, e, f, g, hh, i uint32) uint32 {
			return resUnimplemented
		}},
		{"proxy_grpc_send", func(ctx context.Context, m api.Module, a, b, c, d uint32) uint32 { return resUnimplemented }},
		{"proxy_grpc_cancel", func(ctx context.Context, m api.Module, a uint32) uint32 { return resUnimplemented }},
		{"proxy_grpc_close", func(ctx context.Context, m api.Module, a uint32) uint32 { return resUnimplemented }},

		// shared data and queues
		{"proxy_get_shared_data", h.proxyGetSharedData},
		{"proxy_set_shared_data", h.proxySetSharedData},
		{"proxy_register_shared_queue", h.proxyRegisterSharedQueue},
		{"proxy_resolve_shared_queue", func(ctx context.Context, m api.Module, vp, vs, np, ns, tokPtr uint32) uint32 {
			return resNotFound
		}},
		{"proxy_dequeue_shared_queue", func(ctx context.Context, m api.Module, tok, pp, sp uint32) uint32 { return resEmpty }},
		{"proxy_enqueue_shared_queue", func(ctx context.Context, m api.Module, tok, p, s uint32) uint32 { return resNotFound }},

		// metrics
		{"proxy_define_metric", proxyDefineMetric},
		{"proxy_increment_metric", proxyIncrementMetric},
		{"proxy_record_metric", proxyRecordMetric},
		{"proxy_get_metric", proxyGetMetric},

		// properties
		{"proxy_get_property", proxyGetProperty},
		{"proxy_set_property", proxySetProperty},

		// foreign functions
		{"proxy_call_foreign_function", proxyCallForeignFunction},
	}
}

// ------------------------------------------- logging, time, timers, context

// proxyLog: the message goes to the host log, tagged with the VM, the
// effective context and the level.
func (h *Host) proxyLog(ctx context.Context, m api.Module, level, ptr, size uint32) uint32 {
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
}

// proxyGetLogLevel: Envoy returns its logger level; its default is info.
func proxyGetLogLevel(ctx context.Context, m api.Module, ptr uint32) uint32 {
	return putU32(m, ptr, logInfo)
}

func proxyGetCurrentTimeNanoseconds(ctx context.Context, m api.Module, ptr uint32) uint32 {
	return putU64(m, ptr, uint64(time.Now().UnixNano()))
}

// proxySetTickPeriodMilliseconds: cpp-host ContextBase::setTimerPeriod sets
// the tick of the effective context's root context (see vm.setTick).
func proxySetTickPeriodMilliseconds(ctx context.Context, m api.Module, ms uint32) uint32 {
	v := vmOf(ctx)
	v.setTick(v.effRoot, time.Duration(ms)*time.Millisecond)
	return resOK
}

// proxySetEffectiveContext: later host calls of this guest call act for
// context id (a root or an HTTP context of this VM).
func proxySetEffectiveContext(ctx context.Context, m api.Module, id uint32) uint32 {
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
}

func proxyDone(ctx context.Context, m api.Module) uint32 { return resOK }

// proxyGetStatus: during proxy_on_http_call_response of a failed callout
// the status is BrokenConnection "reset", as Envoy's onHttpCallFailure
// sets it; otherwise Ok with an empty message.
func proxyGetStatus(ctx context.Context, m api.Module, codePtr, msgPtrPtr, msgSizePtr uint32) uint32 {
	v := vmOf(ctx)
	code := uint32(resOK)
	msg := ""
	if v.callResp != nil && v.callResp.failed {
		code, msg = resBrokenConnection, "reset"
	}
	if !m.Memory().WriteUint32Le(codePtr, code) {
		return resInvalidMemoryAccess
	}
	return copyOut(ctx, m, []byte(msg), msgPtrPtr, msgSizePtr)
}

// proxyGetConfiguration (ABI 0.1.0): the plugin configuration of the
// effective context's root.
func proxyGetConfiguration(ctx context.Context, m api.Module, ptrPtr, sizePtr uint32) uint32 {
	return copyOut(ctx, m, vmOf(ctx).effRoot.p.config, ptrPtr, sizePtr)
}

// ------------------------------------------------------------ header maps
// (reachability rules: buffers.go)

// proxyGetHeaderMapValue: Envoy returns the first value only (context.cc
// TODO about joining); a missing header is NotFound.
func proxyGetHeaderMapValue(ctx context.Context, m api.Module, mt, kp, ks, vpp, vsp uint32) uint32 {
	v := vmOf(ctx)
	key, err := readString(m, kp, ks)
	if err != nil {
		return resInvalidMemoryAccess
	}
	hm, st := v.getMap(mt)
	if st != resOK {
		return st
	}
	val, ok := hm.get(key)
	if !ok {
		return resNotFound
	}
	return copyOut(ctx, m, []byte(val), vpp, vsp)
}

// proxyGetHeaderMapPairs: Envoy serializes an absent map as empty pairs,
// status Ok.
func proxyGetHeaderMapPairs(ctx context.Context, m api.Module, mt, pp, sp uint32) uint32 {
	v := vmOf(ctx)
	hm, st := v.getMap(mt)
	if st != resOK {
		hm = nil
	}
	return copyOut(ctx, m, encodePairs(hm), pp, sp)
}

// proxyGetHeaderMapSize: the byte size of names and values (Envoy's
// HeaderMap::byteSize); an unreachable map is BadArgument.
func proxyGetHeaderMapSize(ctx context.Context, m api.Module, mt, sp uint32) uint32 {
	v := vmOf(ctx)
	hm, st := v.getMap(mt)
	if st != resOK {
		return resBadArgument
	}
	n := 0
	for _, p := range hm {
		n += len(p[0]) + len(p[1])
	}
	return putU32(m, sp, uint32(n))
}

// readKeyValue reads the name and value of a header mutation.
func readKeyValue(m api.Module, kp, ks, vp, vs uint32) (string, string, bool) {
	k, err1 := readString(m, kp, ks)
	val, err2 := readString(m, vp, vs)
	return k, val, err1 == nil && err2 == nil
}

// proxyAddHeaderMapValue: context.cc addHeaderMapValue (addCopy: a
// duplicate name adds another value).
func proxyAddHeaderMapValue(ctx context.Context, m api.Module, mt, kp, ks, vp, vs uint32) uint32 {
	k, val, ok := readKeyValue(m, kp, ks, vp, vs)
	if !ok {
		return resInvalidMemoryAccess
	}
	return vmOf(ctx).mutateMap(mt, func(hm hmap) hmap { return hm.add(k, val) })
}

// proxyReplaceHeaderMapValue: context.cc replaceHeaderMapValue (setCopy).
func proxyReplaceHeaderMapValue(ctx context.Context, m api.Module, mt, kp, ks, vp, vs uint32) uint32 {
	k, val, ok := readKeyValue(m, kp, ks, vp, vs)
	if !ok {
		return resInvalidMemoryAccess
	}
	return vmOf(ctx).mutateMap(mt, func(hm hmap) hmap { return hm.set(k, val) })
}

// proxyRemoveHeaderMapValue: context.cc removeHeaderMapValue (every value
// of the name).
func proxyRemoveHeaderMapValue(ctx context.Context, m api.Module, mt, kp, ks uint32) uint32 {
	k, err := readString(m, kp, ks)
	if err != nil {
		return resInvalidMemoryAccess
	}
	return vmOf(ctx).mutateMap(mt, func(hm hmap) hmap { return hm.remove(k) })
}

// proxySetHeaderMapPairs: context.cc setHeaderMapPairs replaces the whole
// map, lowercasing the names.
func proxySetHeaderMapPairs(ctx context.Context, m api.Module, mt, pp, ps uint32) uint32 {
	raw, err := readBytes(m, pp, ps)
	if err != nil {
		return resInvalidMemoryAccess
	}
	pairs, err := decodePairs(raw)
	if err != nil {
		return resInvalidMemoryAccess
	}
	return vmOf(ctx).mutateMap(mt, func(hmap) hmap { return lowerPairs(pairs) })
}

// ---------------------------------------------------------------- buffers
// (which buffer is reachable when: buffers.go)

// proxyGetBufferBytes: the range [start, start+length) clamped to the
// buffer (a start past the end gives no bytes).
func proxyGetBufferBytes(ctx context.Context, m api.Module, bt, start, length, pp, sp uint32) uint32 {
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
}

// proxyGetBufferStatus: the buffer's length; flags are always 0.
func proxyGetBufferStatus(ctx context.Context, m api.Module, bt, lp, fp uint32) uint32 {
	v := vmOf(ctx)
	data, st := v.getBuffer(bt)
	if st != resOK {
		return st
	}
	if !m.Memory().WriteUint32Le(lp, uint32(len(data))) || !m.Memory().WriteUint32Le(fp, 0) {
		return resInvalidMemoryAccess
	}
	return resOK
}

// proxySetBufferBytes: Buffer::copyFrom semantics, see vm.setBuffer.
func proxySetBufferBytes(ctx context.Context, m api.Module, bt, start, length, dp, ds uint32) uint32 {
	v := vmOf(ctx)
	data, err := readBytes(m, dp, ds)
	if err != nil {
		return resInvalidMemoryAccess
	}
	return v.setBuffer(bt, start, length, data)
}

// --------------------------------------------------------- stream control
// These act on the effective HTTP context and are deferred until the
// guest call returns (context.cc addAfterVmCallAction; see filter.go).

// proxyContinueStream: continueDecoding / continueEncoding for
// streamRequest / streamResponse; the network stream types are
// Unimplemented for an HTTP filter, others BadArgument.
func proxyContinueStream(ctx context.Context, m api.Module, st uint32) uint32 {
	return vmOf(ctx).streamAction(func(c hctx) uint32 { return c.queueContinue(st) })
}

// proxyCloseStream: Envoy's closeStream resets the stream.
func proxyCloseStream(ctx context.Context, m api.Module, st uint32) uint32 {
	return vmOf(ctx).streamAction(func(c hctx) uint32 { return c.queueClose(st) })
}

// proxyContinueRequest / proxyContinueResponse: the ABI 0.1.0 forms of
// proxy_continue_stream (exports.cc continue_request/continue_response).
func proxyContinueRequest(ctx context.Context, m api.Module) uint32 {
	return vmOf(ctx).streamAction(func(c hctx) uint32 { return c.queueContinue(streamRequest) })
}

func proxyContinueResponse(ctx context.Context, m api.Module) uint32 {
	return vmOf(ctx).streamAction(func(c hctx) uint32 { return c.queueContinue(streamResponse) })
}

// proxyClearRouteCache: the router re-evaluates the route with the
// current headers (a no-op for an upstream filter).
func proxyClearRouteCache(ctx context.Context, m api.Module) uint32 {
	return vmOf(ctx).streamAction(func(c hctx) uint32 { c.clearRouteCache(); return resOK })
}

// proxySendLocalResponse: context.cc sendLocalResponse, deferred until the
// callback returns (see stream.sendLocalReply); runs of whitespace in the
// details become "_" and the extra headers' names are lowercased.
func proxySendLocalResponse(ctx context.Context, m api.Module, code, dp, dsz, bp, bsz, hp, hsz uint32, grpc int32) uint32 {
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
}

// --------------------------------------------------------------- callouts

// proxyHTTPCall: context.cc httpCall, see vm.httpCall (upstream.go).
func proxyHTTPCall(ctx context.Context, m api.Module, up, us, hp, hs, bp, bs, tp, ts, timeout, tokPtr uint32) uint32 {
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
}

// ------------------------------------------------- shared data and queues
// (cpp-host src/shared_data.cc rules: shareddata.go)

func (h *Host) proxyGetSharedData(ctx context.Context, m api.Module, kp, ks, vpp, vsp, casPtr uint32) uint32 {
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
	return putU32(m, casPtr, cas)
}

func (h *Host) proxySetSharedData(ctx context.Context, m api.Module, kp, ks, vp, vs, cas uint32) uint32 {
	key, e1 := readString(m, kp, ks)
	val, e2 := readBytes(m, vp, vs)
	if e1 != nil || e2 != nil {
		return resInvalidMemoryAccess
	}
	return h.shared.set(key, val, cas)
}

// proxyRegisterSharedQueue: shared queues are not used by the project;
// registering works (so a module that only registers keeps running), the
// rest report NotFound (dequeue: Empty).
func (h *Host) proxyRegisterSharedQueue(ctx context.Context, m api.Module, np, ns, tokPtr uint32) uint32 {
	name, err := readString(m, np, ns)
	if err != nil {
		return resInvalidMemoryAccess
	}
	return putU32(m, tokPtr, h.shared.queueID(name))
}

// ---------------------------------------------------------------- metrics
// (context.cc defineMetric ... getMetric rules: metrics.go)

func proxyDefineMetric(ctx context.Context, m api.Module, typ, np, ns, idPtr uint32) uint32 {
	name, err := readString(m, np, ns)
	if err != nil {
		return resInvalidMemoryAccess
	}
	id, st := vmOf(ctx).defineMetric(typ, name)
	if st != resOK {
		return st
	}
	return putU32(m, idPtr, id)
}

func proxyIncrementMetric(ctx context.Context, m api.Module, id uint32, off int64) uint32 {
	return vmOf(ctx).incrementMetric(id, off)
}

func proxyRecordMetric(ctx context.Context, m api.Module, id uint32, val uint64) uint32 {
	return vmOf(ctx).recordMetric(id, val)
}

func proxyGetMetric(ctx context.Context, m api.Module, id, resPtr uint32) uint32 {
	val, st := vmOf(ctx).getMetric(id)
	if st != resOK {
		return st
	}
	return putU64(m, resPtr, val)
}

// ------------------------------------------------------------- properties
// (context.cc getProperty/setProperty: properties.go)

func proxyGetProperty(ctx context.Context, m api.Module, pp, ps, vpp, vsp uint32) uint32 {
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
}

func proxySetProperty(ctx context.Context, m api.Module, pp, ps, vp, vs uint32) uint32 {
	raw, e1 := readBytes(m, pp, ps)
	val, e2 := readBytes(m, vp, vs)
	if e1 != nil || e2 != nil {
		return resInvalidMemoryAccess
	}
	return vmOf(ctx).setProperty(splitPath(raw), val)
}

// ------------------------------------------------------ foreign functions

// proxyCallForeignFunction: Envoy's registered "clear_route_cache" clears
// the stream's cached route so the router re-evaluates it with the current
// headers; an unknown foreign function is NotFound (cpp-host exports.cc
// call_foreign_function).
func proxyCallForeignFunction(ctx context.Context, m api.Module, np, ns, ap, as, rpp, rsp uint32) uint32 {
	name, err := readString(m, np, ns)
	if err != nil {
		return resInvalidMemoryAccess
	}
	v := vmOf(ctx)
	switch name {
	case "clear_route_cache":
		return v.streamAction(func(c hctx) uint32 { c.clearRouteCache(); return resOK })
	default:
		return resNotFound
	}
}

func levelName(l uint32) string {
	switch l {
	case logTrace:
		return "trace"
	case logDebug:
		return "debug"
	case logInfo:
		return "info"
	case logWarn:
		return "warn"
	case logError:
		return "error"
	case logCritical:
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
