package filter

import (
	"strconv"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"
)

// handler is what a request is. OnHttpRequestHeaders decides it once the
// headers are read, and from then on the handler owns the request's
// callbacks: httpContext only delegates to it (and records the metrics at
// the end). A handler hands the request on when the request becomes
// something else:
//
//	translating  a translated endpoint (chat, Responses, embeddings,
//	             messages, count_tokens) until its body is translated; then
//	             *translated (one call, through Envoy) or calling (several)
//	*translated  the request went to Gemini; the answer is translated back
//	*native      Gemini's own API, passed through (native.go)
//	calling      the filter's own calls to Gemini are under way (model
//	             lists, embeddings above Gemini's batch limit); a local
//	             reply answers
//	answered     a local reply was sent (errors, 204, 426, /health, model
//	             lists, joined embeddings): everything else passes
//	envoyAnswer  Envoy answered before the request reached Gemini (413 past
//	             the buffer limit, a timeout during callouts): the answer is
//	             rewritten in the client's error shape
//	done         the filter finished the answer: the rest passes
//
// A request answered by an earlier filter in the chain reaches only the
// response callbacks: it is translating, and gets Envoy's own answer's
// treatment.
type handler interface {
	requestBody(h *httpContext, size int, end bool) types.Action
	responseHeaders(h *httpContext, end bool) types.Action
	responseBody(h *httpContext, size int, end bool) types.Action
	// usage is what Gemini reported of the answer so far (for an answer
	// cut short).
	usage() gemini.Usage
}

// passing lets every callback continue.
type passing struct{}

func (passing) requestBody(*httpContext, int, bool) types.Action  { return types.ActionContinue }
func (passing) responseHeaders(*httpContext, bool) types.Action   { return types.ActionContinue }
func (passing) responseBody(*httpContext, int, bool) types.Action { return types.ActionContinue }
func (passing) usage() gemini.Usage                               { return gemini.Usage{} }

// answered: a local reply was sent; its own response callbacks pass.
type answered struct{ passing }

// done: the filter finished the answer (replaced it whole, or ended the
// stream); what follows passes.
type done struct{ passing }

// calling: the filter's calls to Gemini are under way and the request waits
// for their answer; an answer arriving meanwhile is Envoy's own.
type calling struct{ passing }

func (calling) requestBody(*httpContext, int, bool) types.Action { return types.ActionPause }
func (calling) responseHeaders(h *httpContext, end bool) types.Action {
	return h.envoyAnswered(end)
}

// envoyAnswered starts an answer that Envoy made itself, before anything
// went to Gemini: an error gets the client's protocol's error shape, as
// every other error (envoyAnswer); anything else passes.
func (h *httpContext) envoyAnswered(end bool) types.Action {
	h.readStatus()
	if h.status < 400 || h.route.proto == protoGemini || h.route.kind == epHealth {
		return types.ActionContinue
	}
	_ = proxywasm.RemoveHttpResponseHeader("content-length")
	if end {
		return h.replaceWithLocal(envoyError(h.status, nil))
	}
	h.handler = envoyAnswer{}
	return types.ActionPause
}

// envoyAnswer rewrites Envoy's own error answer once its body is read.
type envoyAnswer struct{ passing }

func (envoyAnswer) responseBody(h *httpContext, size int, end bool) types.Action {
	if !end {
		return types.ActionPause
	}
	var body []byte
	if size > 0 {
		body = responseBody(size)
	}
	e := envoyError(h.status, body)
	status, out := h.errorAnswer(e)
	_ = proxywasm.ReplaceHttpResponseHeader(":status", apierror.Itoa(status))
	_ = proxywasm.ReplaceHttpResponseHeader("content-type", "application/json")
	_ = proxywasm.ReplaceHttpResponseBody(out)
	h.handler = done{}
	return types.ActionContinue
}

// envoyError describes a reply Envoy made itself, before any translation.
func envoyError(status int, body []byte) *apierror.Error {
	if status == 413 {
		return apierror.New(apierror.RequestTooLarge, "The request body is larger than the gateway's buffer limit (Envoy's per_connection_buffer_limit_bytes). Send a smaller request, or raise the limit in the Envoy configuration.")
	}
	e := apierror.FromGemini(status, body)
	e.Message = "The gateway answered HTTP " + apierror.Itoa(status) + " before the request reached Gemini"
	if text := apierror.Snippet(body); text != "" {
		e.Message += ": " + text
	}
	return e
}

// readStatus reads the upstream answer's status and removes the headers
// that must not reach the client.
func (h *httpContext) readStatus() {
	s, _ := responseHeader(":status")
	h.status, _ = strconv.Atoi(s)
	// Set by the upstream instance for the router's retry decision; the
	// last attempt's answer may still carry it.
	_ = proxywasm.RemoveHttpResponseHeader(failoverHeader)
	// Google advertises its own HTTP/3 endpoint; passed on, it would point
	// clients (browsers) at a QUIC port of the gateway's host that may not
	// exist or may be something else.
	_ = proxywasm.RemoveHttpResponseHeader("alt-svc")
}
