package host

import "sync"

// pluginCfg is one configured Wasm plugin (Envoy's PluginBase): the
// downstream HTTP filter, or the upstream HTTP filter of some clusters.
// Both use the same vm_config, so they share one VM per worker
// (cpp-host wasm.cc makeVmKey hashes vm_id, vm configuration and code
// only) and get one root context each (the plugin key hashes root_id,
// plugin configuration, name and traffic direction, and the downstream
// and upstream filters always differ in direction: wasm_filter.cc passes
// OUTBOUND and no listener metadata for the upstream one).
type pluginCfg struct {
	name, rootID string
	config       []byte
	upstream     bool
}

// rootCtx is a plugin's root context on one VM, with its own tick timer
// (cpp-host exports.cc: set_tick_period applies to the root context of
// the effective context).
type rootCtx struct {
	id       uint32
	p        *pluginCfg
	tickMu   sync.Mutex
	tickStop chan struct{}
}

// eventLoop is a goroutine that owns some HTTP contexts: a downstream
// stream, or an HTTP callout routed through an upstream filter. Host
// functions called for one of its contexts from another goroutine (a
// callout response, a tick) leave after-call actions that the loop runs
// when woken.
type eventLoop interface {
	post(ev event) bool
}

// mailbox is the event queue of an event loop (a downstream stream or a
// callout's AsyncClient stream).
type mailbox struct {
	events chan event
	mu     sync.Mutex // guards closed (for posters)
	closed bool
	doneCh chan struct{}
}

func newMailbox() mailbox {
	return mailbox{events: make(chan event, 256), doneCh: make(chan struct{})}
}

// post delivers an event unless the loop is gone; it reports whether the
// event was accepted.
func (m *mailbox) post(ev event) bool {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return false
	}
	m.mu.Unlock()
	select {
	case m.events <- ev:
		return true
	case <-m.doneCh:
		return false
	}
}

// close refuses further events; drain then hands those still queued to f.
func (m *mailbox) close() {
	m.mu.Lock()
	m.closed = true
	m.mu.Unlock()
	close(m.doneCh)
}

func (m *mailbox) drain(f func(event)) {
	for {
		select {
		case ev := <-m.events:
			f(ev)
		default:
			return
		}
	}
}

// hctx is a Wasm HTTP context the host functions act on: the downstream
// filter of a stream (*stream) or an upstream filter instance (*upCtx).
type hctx interface {
	ctxID() uint32
	root() *rootCtx
	loop() eventLoop
	// headerMap returns the request or response header map when it is
	// reachable from the module right now.
	headerMap(mt uint32) (*hmap, bool)
	inLog() bool
	bodyRef(req bool) *[]byte
	queueContinue(st uint32) uint32
	queueClose(st uint32) uint32
	queueLocalReply(lr localReply)
	clearRouteCache()
	props() propSource
}

// propSource is what proxy_get_property/proxy_set_property see for a
// context. s is the downstream stream whose StreamInfo the context uses
// (upstream filters use the downstream stream's: upstream_request.cc
// UpstreamFilterManager::streamInfo returns the router's callbacks'
// StreamInfo); nil for the upstream filter of an HTTP callout, which has
// the AsyncClient stream's own StreamInfo.
type propSource struct {
	s           *stream
	reqHeaders  hmap
	respHeaders hmap
	respOK      bool
	filterState map[string]string
	attempts    int
	cluster     string
}

// callRecord is one guest callback, recorded when Config.recordCalls is
// set (tests check context lifecycles with it).
type callRecord struct {
	vm   int
	fn   string
	ctx  uint32 // first argument: the context id
	arg  uint32 // second argument (the parent context of on_context_create)
	root uint32 // root context of the call
}

func (h *Host) recordCall(r callRecord) {
	h.callsMu.Lock()
	h.callLog = append(h.callLog, r)
	h.callsMu.Unlock()
}

// calls returns the recorded guest callbacks.
func (h *Host) calls() []callRecord {
	h.callsMu.Lock()
	defer h.callsMu.Unlock()
	return append([]callRecord(nil), h.callLog...)
}

// wakeAll asks the loops owning the touched contexts to run their
// after-call actions; skip is the context whose caller runs them itself.
func wakeAll(touched []hctx, skip hctx) {
	seen := map[eventLoop]bool{}
	for _, c := range touched {
		if c == skip {
			continue
		}
		l := c.loop()
		if l == nil || seen[l] {
			continue
		}
		seen[l] = true
		go l.post(event{kind: evWake})
	}
}
