package host

// Header-map and buffer access for the effective context, following
// envoy context.cc getMap/getConstMap/getBuffer:
//   - request headers are reachable from on_request_headers until the filter
//     lets them go (Continue, or proxy_continue_stream): decodeHeaders nulls
//     request_headers_ on Continue. While held (StopIteration) they stay
//     reachable from body callbacks and callout callbacks, and edits made
//     there are what gets forwarded. Response headers likewise.
//   - a map that is not reachable: get -> BadArgument, pairs -> empty/Ok,
//     mutations -> BadArgument.
//   - in proxy_on_log both maps are readable (access-log phase), not writable.
//   - the body buffer is the current chunk, or - after the previous body
//     callback returned StopIterationAndBuffer - the whole buffered body.

func (v *vm) getMap(mt uint32) (hmap, uint32) {
	switch mt {
	case mapCallRespHeaders:
		if v.callResp == nil {
			return nil, resBadArgument
		}
		return v.callResp.headers, resOK
	case mapCallRespTrailers:
		if v.callResp == nil {
			return nil, resBadArgument
		}
		return v.callResp.trailers, resOK
	}
	c := v.eff
	if c == nil {
		return nil, resBadArgument
	}
	switch mt {
	case mapRequestHeaders, mapResponseHeaders:
		if m, ok := c.headerMap(mt); ok {
			return *m, resOK
		}
	case mapRequestTrailers, mapResponseTrailers:
		if c.inLog() {
			return nil, resNotFound
		}
	}
	return nil, resBadArgument
}

func (v *vm) mutateMap(mt uint32, f func(hmap) hmap) uint32 {
	c := v.eff
	if c == nil || c.inLog() {
		return resBadArgument
	}
	if mt != mapRequestHeaders && mt != mapResponseHeaders {
		return resBadArgument
	}
	m, ok := c.headerMap(mt)
	if !ok {
		return resBadArgument
	}
	*m = f(*m)
	return resOK
}

func (v *vm) getBuffer(bt uint32) ([]byte, uint32) {
	switch bt {
	case bufVMConfiguration:
		return v.h.cfg.VMConfig, resOK
	case bufPluginConfig:
		// Envoy: temp_plugin_ is only set while a root context is created
		// and configured (cpp-host ContextBase::onStart/onConfigure), so
		// this is the configuration of the plugin being configured.
		if v.configuring != nil {
			return v.configuring.config, resOK
		}
		return nil, resNotFound
	case bufCallResponse:
		if v.callResp == nil {
			return nil, resNotFound
		}
		return v.callResp.body, resOK
	case bufCallData:
		return nil, resOK
	case bufRequestBody, bufResponseBody:
		c := v.eff
		if c == nil {
			return nil, resOK
		}
		b := c.bodyRef(bt == bufRequestBody)
		if b == nil {
			return nil, resOK
		}
		return *b, resOK
	case bufDownstreamData, bufUpstreamData, bufGrpcReceive:
		return nil, resOK
	}
	if bt > bufCallData {
		return nil, resBadArgument
	}
	return nil, resNotFound
}

// setBuffer implements Envoy's Buffer::copyFrom on a live body buffer:
// start==0,length==0 prepends; start==0,length>=size replaces; start>=size
// appends; anything else is BadArgument.
func (v *vm) setBuffer(bt, start, length uint32, data []byte) uint32 {
	if bt != bufRequestBody && bt != bufResponseBody {
		if bt > bufCallData {
			return resBadArgument
		}
		return resBadArgument // immutable buffers
	}
	c := v.eff
	if c == nil {
		return resBadArgument
	}
	b := c.bodyRef(bt == bufRequestBody)
	if b == nil {
		return resBadArgument
	}
	size := uint32(len(*b))
	switch {
	case start == 0 && length == 0:
		*b = append(append([]byte{}, data...), *b...)
	case start == 0 && length >= size:
		*b = append([]byte{}, data...)
	case start >= size:
		*b = append(*b, data...)
	default:
		return resBadArgument
	}
	return resOK
}
