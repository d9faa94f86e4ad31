package filter

import (
	"runtime"

	"github.com/gemini-code-api/gemini-code-api/translators/anthropic"
	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
	"github.com/gemini-code-api/gemini-code-api/translators/openai"
	"github.com/gemini-code-api/gemini-code-api/translators/translator"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"
)

// noticeHeader carries a translation's notice to the client.
const noticeHeader = "x-gemini-code-api-notice"

// collectAfterBody is the request body size from which the translation's
// garbage is collected at once (see translating.requestBody).
const collectAfterBody = 1 << 20

// translators builds each translated endpoint's translation.
var translators = [epCount]translator.Builder{
	epChatCompletions: translator.Build(openai.ParseChat),
	epResponses:       translator.Build(openai.ParseResponses),
	epEmbeddings:      translator.Build(openai.ParseEmbeddings),
	epMessages:        translator.Build(anthropic.ParseMessages),
	epCountTokens:     translator.Build(anthropic.ParseCountTokens),
}

// translating is a translated endpoint's request until its body is
// translated: the body is buffered to its end (Envoy holds the headers,
// allow_on_headers_stop_iteration) and translated whole. An answer before
// that is Envoy's own.
type translating struct{ passing }

func (translating) responseHeaders(h *httpContext, end bool) types.Action {
	return h.envoyAnswered(end)
}

func (translating) requestBody(h *httpContext, size int, end bool) types.Action {
	if !end {
		return types.ActionPause // buffer the whole body
	}
	body := requestBody(size)
	if body == nil && size > 0 {
		return h.fail(apierror.New(apierror.Server, "The gateway could not read the request body."))
	}
	build := translators[h.route.kind]
	if build == nil {
		return h.fail(apierror.New(apierror.Server, "The gateway has no translation for this endpoint."))
	}
	tx, e := build(body, h.plugin.env)
	if e != nil {
		return h.fail(e)
	}
	h.setModels(tx.Models())
	if tx.Calls() > 1 {
		return h.callGemini(tx)
	}
	setStreamed(tx.Streaming())
	if err := proxywasm.ReplaceHttpRequestBody(tx.UpstreamBody(0)); err != nil {
		return h.fail(apierror.New(apierror.Server, "The gateway could not replace the request body."))
	}
	tx.Release()
	body = nil
	if size >= collectAfterBody {
		// A Go module in a Wasm VM runs no goroutine between callbacks, so
		// the collector only progresses inside them; requests with large
		// bodies arriving back to back can then grow the VM's memory far
		// beyond what they hold. Collecting here, once per large request,
		// returns the several copies of the body this translation made.
		runtime.GC()
	}
	_ = proxywasm.ReplaceHttpRequestHeader(":path", tx.UpstreamPath())
	if h.route.method != "POST" { // translated routes take POST only: it is POST already
		_ = proxywasm.ReplaceHttpRequestHeader(":method", "POST")
	}
	_ = proxywasm.ReplaceHttpRequestHeader(":authority", h.plugin.cfg.GeminiHost)
	_ = proxywasm.ReplaceHttpRequestHeader("content-type", "application/json")
	if h.hadContentLength {
		_ = proxywasm.RemoveHttpRequestHeader("content-length")
	}
	clearRouteCache()
	h.handler = &translated{tx: tx}
	h.sentAt = monoNow()
	return types.ActionContinue
}

// translated is a request that went to Gemini in one call; its answer is
// translated back: event by event for a stream, whole otherwise.
type translated struct {
	passing
	tx     translator.Translator
	stream translator.Stream // the 200 stream being translated
	out    []byte            // reused output buffer for stream chunks
}

func (t *translated) usage() gemini.Usage {
	if t.stream == nil {
		return gemini.Usage{}
	}
	return t.stream.Usage()
}

func (t *translated) responseHeaders(h *httpContext, end bool) types.Action {
	h.readStatus()
	_ = proxywasm.RemoveHttpResponseHeader("content-length")
	if n := t.tx.Notice(); n != "" {
		// What the translation had to leave out (web search on a model
		// that cannot combine it with functions, search settings Gemini
		// cannot enforce): the answer itself stays the client's protocol.
		_ = proxywasm.ReplaceHttpResponseHeader(noticeHeader, n)
	}
	if h.status == 200 && t.tx.Streaming() {
		h.report(200, nil)
		t.stream = t.tx.NewStream()
		h.streamed = true
		_ = proxywasm.ReplaceHttpResponseHeader("content-type", "text/event-stream")
		_ = proxywasm.ReplaceHttpResponseHeader("cache-control", "no-cache")
		if end { // a 200 with no body at all: still tell the client
			return h.replaceWithLocal(apierror.New(apierror.BadGateway, "Gemini answered 200 with an empty stream."))
		}
		return types.ActionContinue
	}
	if end {
		e := apierror.FromGemini(h.status, nil)
		if h.status == 200 {
			e = apierror.New(apierror.BadGateway, "Gemini answered 200 with an empty body.")
		}
		h.finish(gemini.Usage{}, true)
		return h.replaceWithLocal(e)
	}
	// Hold the headers: the status may change once the body is read.
	return types.ActionPause
}

func (t *translated) responseBody(h *httpContext, size int, end bool) types.Action {
	if t.stream != nil {
		return t.streamBody(h, size, end)
	}
	if !end {
		return types.ActionPause
	}
	var body []byte
	if size > 0 {
		body = responseBody(size)
	}
	var out []byte
	var e *apierror.Error
	if h.status == 200 {
		h.report(200, nil)
		ans := t.tx.NewAnswer()
		if e = ans.Add(0, body); e == nil {
			out, e = ans.Join()
		}
		if e == nil {
			h.finish(ans.Usage(), false)
		}
	} else {
		e = apierror.FromGemini(h.status, body)
		h.report(h.status, e)
	}
	if e != nil {
		var status int
		status, out = h.errorAnswer(e)
		h.finish(gemini.Usage{}, true)
		_ = proxywasm.ReplaceHttpResponseHeader(":status", apierror.Itoa(status))
		setRetryAfter(e, proxywasm.ReplaceHttpResponseHeader)
	}
	_ = proxywasm.ReplaceHttpResponseHeader("content-type", "application/json")
	_ = proxywasm.ReplaceHttpResponseBody(out)
	h.handler = done{}
	return types.ActionContinue
}

// streamBody translates a 200 stream's chunk.
func (t *translated) streamBody(h *httpContext, size int, end bool) types.Action {
	var chunk []byte
	if size > 0 {
		h.firstBytes()
		chunk = responseBody(size)
	}
	t.out = t.stream.Write(t.out[:0], chunk)
	if end {
		t.out = t.stream.Close(t.out)
		h.streamEnded = true
		h.streamFailed = t.stream.Failed()
		if h.streamFailed {
			h.noteError(apierror.New(apierror.BadGateway, "Gemini's stream ended before it finished (an error event, or no finish reason)."))
		}
		h.finish(t.stream.Usage(), h.streamFailed)
	}
	_ = proxywasm.ReplaceHttpResponseBody(t.out)
	return types.ActionContinue
}
