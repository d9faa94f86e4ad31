package host

// Filter iteration for one Wasm HTTP filter context, as Envoy's
// FilterManager runs it for the Wasm filter with
// allow_on_headers_stop_iteration: true. One implementation serves both
// placements of the filter:
//
//   - the downstream HTTP filter of a stream (*stream): the router is the
//     next stage of the request, the client connection that of the
//     response;
//   - the upstream HTTP filter of one attempt (*upCtx): the codec is the
//     next stage of the request, the router that of the response.
//
// Per direction (request = decoder side, response = encoder side):
//
//	headers:  on_*_headers -> Continue passes the headers on; StopIteration
//	          holds them while body callbacks continue; StopAllIteration*
//	          holds headers and body (no body callbacks) until
//	          proxy_continue_stream.
//	body:     on_*_body per chunk; StopIterationAndBuffer (or ...Watermark)
//	          buffers, and the next call sees the whole buffer (Context::
//	          decodeData adds the chunk to the buffer before calling the VM);
//	          Continue passes the held headers (with edits) on plus what is
//	          left in the buffer (commonHandleAfterDataCallback: Continue
//	          while headers are stopped continues the headers too);
//	          StopIterationNoBuffer drops the chunk.
//	limit:    a buffer over the stream's buffer limit is a local reply (see
//	          direction.tooLarge).
//
// A Wasm local reply or proxy_close_stream is deferred until the callback
// returns (context.cc addAfterVmCallAction) and the callback's own result
// is then ignored (cpp-host stopNextIteration forces
// StopAllIterationAndWatermark).

// Results of the headers callbacks (proxy-wasm ABI 0.2.1; proxy-wasm-cpp-host
// FilterHeadersStatus). The Go SDK returns only Continue or StopIteration
// (types.ActionPause); this host treats every value other than those two as
// a StopAllIteration*: headers and body are held until continued.
const (
	headersContinue                     = 0
	headersStopIteration                = 1
	headersContinueAndEndStream         = 2
	headersStopAllIterationAndBuffer    = 3
	headersStopAllIterationAndWatermark = 4
)

// Results of the body callbacks (proxy-wasm FilterDataStatus). Values above
// StopIterationNoBuffer are StopIterationNoBuffer (cpp-host
// convertVmCallResultToFilterDataStatus).
const (
	dataContinue                  = 0
	dataStopIterationAndBuffer    = 1
	dataStopIterationAndWatermark = 2
	dataStopIterationNoBuffer     = 3
)

// Stream types of proxy_continue_stream / proxy_close_stream (proxy-wasm
// WasmStreamType).
const (
	streamRequest    = 0
	streamResponse   = 1
	streamDownstream = 2
	streamUpstream   = 3
)

// direction is one side of a filter's iteration - the request (decoder) or
// the response (encoder) - as the FilterManager keeps it for the filter
// (its ActiveStreamDecoderFilter / ActiveStreamEncoderFilter and the
// buffered data) and context.cc exposes it to the module (the header map
// pointer and the body buffer of the current callback).
type direction struct {
	request bool  // decoder side (proxy_on_request_*); else encoder side
	hdrs    *hmap // the header map this filter works on
	// hdrAvail: the headers are reachable from the module (context.cc
	// request_headers_ / response_headers_): from the headers callback until
	// the filter lets them go (see keepHeaders).
	hdrAvail bool
	// keepHeaders: released headers stay reachable. Envoy's Context forgets
	// its header map only when on_*_headers returns Continue; the downstream
	// response keeps it after a release by a body callback's Continue or by
	// proxy_continue_stream, the other directions end access on release.
	keepHeaders bool
	held        bool   // headers stopped and not continued yet
	stopAll     bool   // StopAllIteration*: body buffered without callbacks
	body        []byte // buffered body
	cur         []byte // the chunk of the body callback in progress (not buffering)
	inBody      bool   // a body callback is running
	buffering   bool   // the last body callback returned StopIterationAndBuffer
	eos         bool   // end_stream has been seen
}

func (d *direction) headersCallback() string {
	if d.request {
		return "proxy_on_request_headers"
	}
	return "proxy_on_response_headers"
}

func (d *direction) bodyCallback() string {
	if d.request {
		return "proxy_on_request_body"
	}
	return "proxy_on_response_body"
}

// bodyRef returns the buffer a body host call operates on: the whole
// buffered body while buffering (or stopped), the current chunk during a
// body callback, else nil (nothing reachable right now).
func (d *direction) bodyRef() *[]byte {
	if d.buffering || d.stopAll {
		return &d.body
	}
	if d.inBody {
		return &d.cur
	}
	return nil
}

// tooLarge is the local reply for a buffer over the limit:
//   - request: a decoder buffer over the limit is answered by Envoy with 413
//     "Payload Too Large" (details request_payload_too_large); the upstream
//     filter manager's decoder buffer limit is the downstream one, and going
//     over it is a 413 local reply of the stream;
//   - response: ActiveStreamEncoderFilter::responseDataTooLarge sends 500
//     (details response_payload_too_large) if headers were not sent, which
//     sendLocalReply turns into a direct reply; otherwise the stream is
//     reset. Upstream filters get the same: Envoy's upstream callbacks make
//     onResponseDataTooLarge a no-op; what happens instead was not
//     verified, so this is approximated.
func (d *direction) tooLarge() localReply {
	if d.request {
		return localReply{code: 413, body: []byte("Payload Too Large"), details: "request_payload_too_large"}
	}
	return localReply{code: 500, body: []byte("Internal Server Error"), details: "response_payload_too_large"}
}

// drop forgets the direction's iteration state (sendDirectLocalReply
// replaces the response without filter callbacks).
func (d *direction) drop() {
	d.held, d.stopAll, d.buffering, d.hdrAvail = false, false, false, false
	d.body, d.cur = nil, nil
}

// filterStage is what differs between the placements: the guest call
// (with its failure handling), the stages before and after the filter,
// and what a local reply or a close means there.
type filterStage interface {
	// invoke makes one guest call for the filter; false when it failed (the
	// stage has then handled the failure: CHECK_FAIL_HTTP) or the filter is
	// gone.
	invoke(name string, args ...uint64) (uint64, bool)
	// gone: no more callbacks (the stream finished, the upstream filter
	// was destroyed); pending after-call actions are dropped.
	gone() bool
	// open: d can still be continued (proxy_continue_stream).
	open(d *direction) bool
	// passHeaders hands d's headers to the next stage with data (the body
	// let through with them, possibly nil); end_stream is d.eos.
	passHeaders(d *direction, data []byte)
	// passData hands more of d's body to the next stage.
	passData(d *direction, data []byte)
	// localReply sends a local reply of the stream (a deferred
	// proxy_send_local_response, or a buffer over the limit).
	localReply(lr localReply)
	// closeStream runs a deferred proxy_close_stream.
	closeStream()
}

// filter is one Wasm HTTP context in a filter chain: its context id, both
// directions and its after-VM-call actions. It implements the parts of
// hctx that do not depend on the placement.
type filter struct {
	vm       *vm
	id       uint32
	created  bool // proxy_on_context_create succeeded
	logPhase bool // proxy_on_log is running: both header maps are readable
	req      direction
	resp     direction
	pending  []action
	stage    filterStage
}

func newFilter(stage filterStage, v *vm, reqHdrs, respHdrs *hmap) filter {
	return filter{vm: v, stage: stage,
		req: direction{request: true, hdrs: reqHdrs}, resp: direction{hdrs: respHdrs}}
}

type actionKind int

const (
	actContinueReq actionKind = iota
	actContinueResp
	actLocalReply
	actReset
)

// action is an after-VM-call action (context.cc addAfterVmCallAction).
type action struct {
	kind actionKind
	lr   localReply
}

func (f *filter) ctxID() uint32 { return f.id }
func (f *filter) inLog() bool   { return f.logPhase }

// headerMap: request headers are reachable from on_request_headers until
// the filter lets them go, response headers likewise; in proxy_on_log
// both are readable (access-log phase).
func (f *filter) headerMap(mt uint32) (*hmap, bool) {
	d := &f.req
	switch mt {
	case mapRequestHeaders:
	case mapResponseHeaders:
		d = &f.resp
	default:
		return nil, false
	}
	if d.hdrAvail || f.logPhase {
		return d.hdrs, true
	}
	return nil, false
}

func (f *filter) bodyRef(req bool) *[]byte {
	if req {
		return f.req.bodyRef()
	}
	return f.resp.bodyRef()
}

func (f *filter) queueContinue(st uint32) uint32 {
	switch st {
	case streamRequest:
		f.pending = append(f.pending, action{kind: actContinueReq})
	case streamResponse:
		f.pending = append(f.pending, action{kind: actContinueResp})
	case streamDownstream, streamUpstream:
		return resUnimplemented
	default:
		return resBadArgument
	}
	return resOK
}

func (f *filter) queueClose(st uint32) uint32 {
	if st > streamResponse {
		return resBadArgument
	}
	f.pending = append(f.pending, action{kind: actReset})
	return resOK
}

func (f *filter) queueLocalReply(lr localReply) {
	f.pending = append(f.pending, action{kind: actLocalReply, lr: lr})
}

// create allocates the context id and runs proxy_on_context_create(id,
// root) for self, the hctx embedding f.
func (f *filter) create(self hctx, root *rootCtx) error {
	v := f.vm
	v.mu.Lock()
	if v.failed {
		v.mu.Unlock()
		return errVMFailed
	}
	f.id = v.allocID()
	v.ctxs[f.id] = self
	_, err := v.call(self, "proxy_on_context_create", uint64(f.id), uint64(root.id))
	touched := v.takeTouched()
	v.mu.Unlock()
	wakeAll(touched, self)
	if err != nil {
		return err
	}
	f.created = true
	return nil
}

// callHTTP makes one guest call for the HTTP context c under the VM lock
// and wakes the loops of the other contexts it gave after-call actions
// (c's own are run by the caller).
func (v *vm) callHTTP(c hctx, name string, args ...uint64) (uint64, error) {
	v.mu.Lock()
	r, err := v.call(c, name, args...)
	touched := v.takeTouched()
	v.mu.Unlock()
	wakeAll(touched, c)
	return r, err
}

// runPending executes the after-VM-call actions. It reports true when the
// callback's result must be ignored (a local reply or close happened, or
// the filter is gone).
func (f *filter) runPending() bool {
	stopped := false
	for len(f.pending) > 0 && !f.stage.gone() {
		a := f.pending[0]
		f.pending = f.pending[1:]
		switch a.kind {
		case actLocalReply:
			stopped = true
			f.stage.localReply(a.lr)
		case actReset:
			stopped = true
			f.stage.closeStream()
		case actContinueReq:
			f.resume(&f.req)
		case actContinueResp:
			f.resume(&f.resp)
		}
	}
	return stopped || f.stage.gone()
}

// onHeaders runs d's headers callback (end_stream d.eos) and acts on its
// result.
func (f *filter) onHeaders(d *direction) {
	d.hdrAvail = true
	r, ok := f.stage.invoke(d.headersCallback(), uint64(f.id), uint64(len(*d.hdrs)), b2u(d.eos))
	if !ok || f.runPending() {
		return
	}
	switch r {
	case headersContinue:
		d.hdrAvail = false
		f.stage.passHeaders(d, nil)
	case headersStopIteration:
		d.held = true
	default: // StopAllIteration* (and ContinueAndEndStream, see above): no body callbacks until continued
		d.held, d.stopAll = true, true
	}
}

// onData runs d's body callback for one chunk (eos: it ends the stream) and
// acts on its result.
func (f *filter) onData(d *direction, chunk []byte, eos bool) {
	if eos {
		d.eos = true
	}
	if d.stopAll {
		d.body = append(d.body, chunk...)
		f.overLimit(d)
		return
	}
	if d.buffering {
		// Context::decodeData: addDecodedData before calling the VM; going
		// over the limit is a 413 (500 for a response) before the module
		// sees the data.
		d.body = append(d.body, chunk...)
		if f.overLimit(d) {
			return
		}
		d.cur = nil
	} else {
		d.cur = chunk
	}
	size := len(d.cur)
	if d.buffering {
		size = len(d.body)
	}
	d.inBody = true
	r, ok := f.stage.invoke(d.bodyCallback(), uint64(f.id), uint64(size), b2u(eos))
	d.inBody = false
	if !ok || f.runPending() {
		return
	}
	switch r {
	case dataContinue:
		data := d.cur
		if d.buffering {
			data = d.body
		}
		d.body, d.cur, d.buffering = nil, nil, false
		if d.held {
			// commonHandleAfterDataCallback: Continue while headers are
			// stopped continues the headers too.
			f.release(d, data)
			return
		}
		f.stage.passData(d, data)
	case dataStopIterationAndBuffer, dataStopIterationAndWatermark:
		if !d.buffering {
			d.body = append(d.body, d.cur...)
		}
		d.cur = nil
		d.buffering = true
		f.overLimit(d)
	default: // StopIterationNoBuffer: the chunk is dropped by the filter manager
		d.cur = nil
	}
}

// release passes held headers on with data (continueDecoding /
// continueEncoding resume the headers first, then the buffered data).
func (f *filter) release(d *direction, data []byte) {
	d.held, d.stopAll = false, false
	if !d.keepHeaders {
		d.hdrAvail = false
	}
	f.stage.passHeaders(d, data)
}

// resume is proxy_continue_stream(d) - Envoy's continueDecoding /
// continueEncoding: held headers go on with the buffered body, or else the
// buffered body alone. proxy_continue_stream(Request) also ends the
// module's access to the request headers when they were not held.
func (f *filter) resume(d *direction) {
	if !f.stage.open(d) {
		return
	}
	if d.request {
		d.hdrAvail = false
	}
	data := d.body
	d.body, d.buffering = nil, false
	if d.held {
		f.release(d, data)
		return
	}
	if len(data) > 0 || d.eos {
		f.stage.passData(d, data)
	}
}

// overLimit answers d's buffer over the stream's buffer limit with
// d.tooLarge (true).
func (f *filter) overLimit(d *direction) bool {
	if len(d.body) <= f.vm.h.cfg.BufferLimit {
		return false
	}
	f.stage.localReply(d.tooLarge())
	return true
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}
