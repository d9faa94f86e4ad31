package filter

import (
	"time"

	"github.com/gemini-code-api/gemini-code-api/translators/anthropic"
	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
	"github.com/gemini-code-api/gemini-code-api/translators/openai"
)

// noticeHeader carries a translation's notice to the client.
const noticeHeader = "x-gemini-code-api-notice"

// translation is a client request translated into one Gemini call: what the
// filter needs to forward it and to translate the answer back.
type translation interface {
	UpstreamPath() string
	upstreamBody() []byte
	streaming() bool
	models() (client, upstream string)
	// response translates a complete 200 answer.
	response(body []byte) ([]byte, *apierror.Error)
	// newStream starts translating a 200 SSE answer.
	newStream() streamer
	// release drops the upstream body once Envoy holds its own copy: the
	// translation lives until the answer ends, a stream's whole duration.
	release()
	// notice says what of the request Gemini could not be given (web
	// search left out, settings it cannot enforce); "" when nothing.
	notice() string
}

// streamer translates an SSE answer chunk by chunk.
type streamer interface {
	Write(dst, chunk []byte) []byte
	Close(dst []byte) []byte
	Usage() gemini.Usage
	Failed() bool
}

// parseRequest translates a buffered request body for the route.
func (h *httpContext) parseRequest(body []byte) (translation, *apierror.Error) {
	cfg := h.plugin.cfg
	switch h.route.kind {
	case epChatCompletions:
		r, e := openai.ParseChat(body, cfg.models, openai.Options{ReasoningContent: cfg.ReasoningContent})
		if e != nil {
			return nil, e
		}
		return chatTx{r}, nil
	case epResponses:
		r, e := openai.ParseResponses(body, cfg.models, openai.Options{ReasoningContent: cfg.ReasoningContent})
		if e != nil {
			return nil, e
		}
		return responsesTx{r}, nil
	case epMessages:
		r, e := anthropic.ParseMessages(body, cfg.models, anthropic.Options{ThinkingPings: cfg.ThinkingPings})
		if e != nil {
			return nil, e
		}
		return messagesTx{r}, nil
	case epCountTokens:
		r, e := anthropic.ParseCountTokens(body, cfg.models)
		if e != nil {
			return nil, e
		}
		return countTx{r}, nil
	}
	return nil, apierror.New(apierror.Server, "The gateway has no translation for this endpoint.")
}

type chatTx struct{ r *openai.ChatRequest }

func (t chatTx) UpstreamPath() string     { return t.r.UpstreamPath() }
func (t chatTx) upstreamBody() []byte     { return t.r.Body }
func (t chatTx) streaming() bool          { return t.r.Stream }
func (t chatTx) models() (string, string) { return t.r.Model, t.r.GeminiModel }
func (t chatTx) newStream() streamer      { return t.r.NewStream(time.Now().Unix()) }
func (t chatTx) release()                 { t.r.Body = nil }
func (t chatTx) notice() string           { return t.r.Notice }
func (t chatTx) response(b []byte) ([]byte, *apierror.Error) {
	return t.r.Response(b, time.Now().Unix())
}

type responsesTx struct{ r *openai.ResponsesRequest }

func (t responsesTx) UpstreamPath() string     { return t.r.UpstreamPath() }
func (t responsesTx) upstreamBody() []byte     { return t.r.Body }
func (t responsesTx) streaming() bool          { return t.r.Stream }
func (t responsesTx) models() (string, string) { return t.r.Model, t.r.GeminiModel }
func (t responsesTx) newStream() streamer      { return t.r.NewStream(time.Now().Unix()) }
func (t responsesTx) release()                 { t.r.Body = nil }
func (t responsesTx) notice() string           { return t.r.Notice }
func (t responsesTx) response(b []byte) ([]byte, *apierror.Error) {
	return t.r.Response(b, time.Now().Unix())
}

type messagesTx struct{ r *anthropic.MessagesRequest }

func (t messagesTx) UpstreamPath() string     { return t.r.UpstreamPath() }
func (t messagesTx) upstreamBody() []byte     { return t.r.Body }
func (t messagesTx) streaming() bool          { return t.r.Stream }
func (t messagesTx) models() (string, string) { return t.r.Model, t.r.GeminiModel }
func (t messagesTx) newStream() streamer      { return t.r.NewStream() }
func (t messagesTx) release()                 { t.r.Body = nil }
func (t messagesTx) notice() string           { return t.r.Notice }
func (t messagesTx) response(b []byte) ([]byte, *apierror.Error) {
	return t.r.Response(b)
}

type countTx struct{ r *anthropic.CountTokensRequest }

func (t countTx) UpstreamPath() string                        { return t.r.UpstreamPath() }
func (t countTx) upstreamBody() []byte                        { return t.r.Body }
func (t countTx) streaming() bool                             { return false }
func (t countTx) models() (string, string)                    { return t.r.Model, t.r.GeminiModel }
func (t countTx) newStream() streamer                         { return nil }
func (t countTx) release()                                    { t.r.Body = nil }
func (t countTx) notice() string                              { return "" }
func (t countTx) response(b []byte) ([]byte, *apierror.Error) { return t.r.Response(b) }

type embedTx struct{ r *openai.EmbeddingsRequest }

func (t embedTx) UpstreamPath() string     { return t.r.UpstreamPath() }
func (t embedTx) upstreamBody() []byte     { return t.r.Batches()[0] }
func (t embedTx) streaming() bool          { return false }
func (t embedTx) models() (string, string) { return t.r.Model, t.r.GeminiModel }
func (t embedTx) newStream() streamer      { return nil }
func (t embedTx) release()                 {} // the inputs are needed for the answer's usage
func (t embedTx) notice() string           { return "" }
func (t embedTx) response(b []byte) ([]byte, *apierror.Error) {
	return t.r.Response([][]byte{b})
}
