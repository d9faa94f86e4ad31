package filter

import (
	"encoding/binary"
	"strconv"
	"strings"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"
)

// upstreamContext is one attempt of a request, in the instance of the
// module that runs as the gemini cluster's upstream HTTP filter ("role":
// "upstream"). Envoy builds a new upstream filter chain for every attempt,
// so this runs once per attempt, after the router decided to (re)try:
//
//   - request headers: it picks the attempt's key from the order the
//     downstream instance left in filter state (attempt n uses the n-th
//     key) and sets it as x-goog-api-key;
//   - response headers: a 2xx is recorded as a success with its latency to
//     first byte; an error answer is held until its (small) body is read,
//     so the key's outcome is classified from Google's error object
//     (RetryInfo delay, API_KEY_INVALID), then released with failoverHeader
//     added when another key may succeed, which makes the router retry;
//   - stream end without an answer (reset, timeout, no connection): a failure.
//
// The module's own HTTP callouts (model lists, embedding batches) pass
// through this filter too, with their own filter state: they carry their
// key already and are only recorded.
type upstreamContext struct {
	types.DefaultHttpContext
	plugin *pluginContext

	key      string
	attempt  int // 1 for the first attempt, 2 for the first retry...
	start    instant
	last     bool // no further key: the router must not be asked to retry
	status   int
	holding  bool // an error answer's headers are held while its body is read
	recorded bool
}

// errorBodyLimit bounds what is read of an error answer to classify it;
// Google's error objects are well under 2 KiB.
const errorBodyLimit = 64 << 10

func (u *upstreamContext) OnHttpRequestHeaders(numHeaders int, endOfStream bool) types.Action {
	attempt := 1
	if v, ok := getProperty(propAttempts); ok {
		if n, err := strconv.Atoi(string(v)); err == nil && n > 0 {
			attempt = n + 1
		}
	}
	setProperty(propAttempts, strconv.Itoa(attempt))

	u.last = true
	if list, ok := getProperty(propKeys); ok && len(list) > 0 {
		keys := strings.Split(string(list), ",")
		u.key = keys[(attempt-1)%len(keys)]
		u.last = attempt >= len(keys)
		if !validKey(u.key) {
			u.key = ""
		} else {
			_ = proxywasm.ReplaceHttpRequestHeader("x-goog-api-key", u.key)
			setProperty(propKeyHash, keyHash(u.key))
		}
	}
	if u.key == "" {
		// A single-key request or a callout: the key is already set.
		u.key, _ = requestHeader("x-goog-api-key")
	}
	u.attempt = attempt
	u.start = monoNow()
	return types.ActionContinue
}

func (u *upstreamContext) OnHttpResponseHeaders(numHeaders int, endOfStream bool) types.Action {
	s, _ := responseHeader(":status")
	u.status, _ = strconv.Atoi(s)
	if u.key == "" || u.status < 400 {
		u.finish(nil)
		return types.ActionContinue
	}
	if endOfStream {
		u.finish(nil)
		return types.ActionContinue
	}
	// Hold the headers: the router decides on a retry when it sees them,
	// and the decision needs the body (envoy.yaml sets
	// allow_on_headers_stop_iteration so the body still arrives).
	u.holding = true
	return types.ActionPause
}

func (u *upstreamContext) OnHttpResponseBody(bodySize int, endOfStream bool) types.Action {
	if !u.holding {
		return types.ActionContinue
	}
	if !endOfStream && bodySize < errorBodyLimit {
		return types.ActionPause // buffer the error body
	}
	body := responseBody(min(bodySize, errorBodyLimit))
	u.holding = false
	u.finish(body)
	return types.ActionContinue
}

// OnHttpStreamDone ends the attempt; Envoy calls it for every attempt,
// including one reset for a retry (proxy_on_log does not run for upstream
// filters).
func (u *upstreamContext) OnHttpStreamDone() {
	if u.recorded || u.key == "" {
		return
	}
	if u.holding {
		u.finish(nil) // cut while its error body was read
		return
	}
	u.recorded = true
	if downstreamGone() {
		// The client went away: nothing is known about the key.
		u.plugin.metrics.attempt(u.attempt, attemptCancelled)
		return
	}
	u.plugin.record(u.key, outcomeOf(503, apierror.New(apierror.BadGateway, ""), 0))
	u.plugin.metrics.attempt(u.attempt, attemptReset)
}

// finish records the attempt's outcome from its status (and error body)
// and, when another key may do better, asks the router to retry.
func (u *upstreamContext) finish(body []byte) {
	if u.recorded || u.key == "" {
		return
	}
	u.recorded = true
	var e *apierror.Error
	if u.status >= 400 {
		e = apierror.FromGemini(u.status, body)
	}
	o := outcomeOf(u.status, e, since(u.start))
	u.plugin.record(u.key, o)
	u.plugin.metrics.attempt(u.attempt, attemptResult(o, u.last))
	if !u.last && failoverWorthy(o) {
		_ = proxywasm.ReplaceHttpResponseHeader(failoverHeader, o.Kind.String())
	}
}

// downstreamGone reports whether the client reset the request (Envoy's
// response flag DC, downstream connection termination), which ends the
// attempt without saying anything about the key.
func downstreamGone() bool {
	v, ok := getProperty("response", "flags")
	if !ok || len(v) != 8 {
		return false
	}
	const downstreamConnectionTermination = 0x4000
	return binary.LittleEndian.Uint64(v)&downstreamConnectionTermination != 0
}
