// Package translator is what the filter knows of a translation: one
// interface, Translator, that every client protocol's translation of a
// request into Gemini calls implements (OpenAI chat completions, Responses
// and embeddings; Anthropic messages and count_tokens), and Env, what a
// translation is built with. The filter picks the Builder by endpoint and
// calls the Translator it returns directly.
package translator

import (
	"time"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonidx"
	"github.com/gemini-code-api/gemini-code-api/translators/models"
	"github.com/tidwall/gjson"
)

// Translator is a client request translated into Gemini calls: what the
// filter needs to send them and to translate the answers back. It lives
// until the client's answer ends (a stream's whole duration).
type Translator interface {
	// Models are the model the client asked for and the Gemini model that
	// serves it.
	Models() (client, upstream string)
	// Streaming reports an answer Gemini streams as SSE (NewStream).
	Streaming() bool
	// Notice says what of the request Gemini could not be given (web
	// search on a model that cannot combine it with functions, settings it
	// cannot enforce), for a response header; "" when nothing.
	Notice() string

	// Calls is how many Gemini calls the request needs: 1, or one per
	// batch for an embeddings request above Gemini's batch limit. A single
	// call goes upstream through Envoy in place of the client's request;
	// several are the filter's own HTTP callouts, answered by a local reply.
	Calls() int
	// UpstreamPath is the Gemini path of every call.
	UpstreamPath() string
	// UpstreamBody is the body of call i.
	UpstreamBody(i int) []byte
	// Release drops the upstream bodies once they were sent.
	Release()

	// NewAnswer starts translating Gemini's complete 200 answers, one per
	// call.
	NewAnswer() Answer
	// NewStream starts translating a 200 SSE answer (Streaming requests).
	NewStream() Stream
}

// Answer translates Gemini's complete answers to a request's calls, which
// may arrive in any order, into the client's answer.
type Answer interface {
	// CheckSize refuses the answer to call i by its size alone, before it
	// is read into the VM.
	CheckSize(i, size int) *apierror.Error
	// Add translates the answer to call i; body is not retained.
	Add(i int, body []byte) *apierror.Error
	// Join returns the client's answer once every call was answered.
	Join() ([]byte, *apierror.Error)
	// Usage is the usage Gemini reported in the answers added (none for
	// answers that carry none, such as token counts and embeddings).
	Usage() gemini.Usage
}

// Stream translates Gemini's SSE answer chunk by chunk, as it arrives.
type Stream interface {
	// Write consumes an upstream chunk and appends the client bytes it
	// completes to dst.
	Write(dst, chunk []byte) []byte
	// Close ends the stream at the end of the upstream body.
	Close(dst []byte) []byte
	// Usage is the last usage Gemini reported.
	Usage() gemini.Usage
	// Failed reports a stream that ended with an error event.
	Failed() bool
}

// Env is what translations are built with besides the request: the
// deployment's choices, and the sources of time and ids, injected so that
// tests can make answers deterministic.
type Env struct {
	// Models resolves the client's model names.
	Models *models.Map
	// ReasoningContent exposes Gemini thought summaries to OpenAI chat
	// clients as `reasoning_content`.
	ReasoningContent bool
	// ThinkingPings: streamed Anthropic requests that do not ask for
	// thinking get Gemini's thought summaries as `ping` events.
	ThinkingPings bool
	// MaxEmbeddingValues caps inputs × dimensions of an embeddings request.
	MaxEmbeddingValues int64
	// Now is the time answers report (`created`), in Unix seconds.
	Now func() int64
	// NewID mints the ids of an answer's items: prefix and a random part.
	NewID func(prefix string) string
	// Decls keeps the function declarations of tools for the requests
	// that declare them again (coding agents send theirs every turn). An
	// Env serves one VM, which runs one callback at a time: Decls is not
	// for concurrent use, and nil keeps nothing.
	Decls *gemini.DeclCache
}

// NewEnv is the gateway's Env over the model map mm: the clock and random
// ids; the options are off, and MaxEmbeddingValues 0 is the translator's
// default.
func NewEnv(mm *models.Map) *Env {
	return &Env{
		Models: mm,
		Now:    func() int64 { return time.Now().Unix() },
		NewID:  func(prefix string) string { return gemini.RandomID(prefix, 24) },
		Decls:  new(gemini.DeclCache),
	}
}

// Builder translates a request body for one endpoint.
type Builder func(body []byte, env *Env) (Translator, *apierror.Error)

// Build is parse, a protocol's request parser, as a Builder.
func Build[T Translator](parse func([]byte, *Env) (T, *apierror.Error)) Builder {
	return func(body []byte, env *Env) (Translator, *apierror.Error) {
		t, e := parse(body, env)
		if e != nil {
			return nil, e // not t: a nil pointer in an interface is not nil
		}
		return t, nil
	}
}

// Call is a translation into one generateContent call (a stream's
// streamGenerateContent): the protocols' request types embed it, and it
// answers the Translator methods about the call.
type Call struct {
	Model       string // the model name the client asked for, echoed back
	GeminiModel string // the model the request goes to
	Stream      bool   // the client asked for a stream
	Body        []byte // the Gemini request
	// NoticeText says what of the request Gemini could not be given (see
	// Translator.Notice).
	NoticeText string
	// Env is what the translation was built with.
	Env *Env
	// Answered is the usage Gemini reported in the complete answer
	// translated (Response), for metrics and access logs: read with the
	// answer, not again by the filter.
	Answered gemini.Usage
}

// Start reads what every request has: the body, parsed and indexed
// (jsonidx.ParseRequest; a tool list the VM has kept is recognised, not
// validated again), and its `model`, which model reads in the
// protocol's terms into the client's name and the Gemini model serving it;
// and, for a protocol that streams (fields not nil), `stream`, refused in
// the protocol's words (fields) when not a boolean.
func (c *Call) Start(body []byte, env *Env, model func(m gjson.Result, mm *models.Map) (client, upstream string, e *apierror.Error), fields *gemini.Fields) (jsonidx.Object, *apierror.Error) {
	root, e := jsonidx.ParseRequest(body, env.Decls.Known())
	if e != nil {
		return root, e
	}
	c.Env = env
	if c.Model, c.GeminiModel, e = model(root.Get("model"), env.Models); e != nil || fields == nil {
		return root, e
	}
	return root, fields.Bool(root.Get("stream"), "stream", &c.Stream)
}

// Models returns the client's model and the Gemini model.
func (c *Call) Models() (client, upstream string) { return c.Model, c.GeminiModel }

// Streaming reports a streamed answer.
func (c *Call) Streaming() bool { return c.Stream }

// Notice says what of the request Gemini could not be given.
func (c *Call) Notice() string { return c.NoticeText }

// Usage is the usage of the complete answer translated.
func (c *Call) Usage() gemini.Usage { return c.Answered }

// Calls is 1.
func (c *Call) Calls() int { return 1 }

// UpstreamPath is the Gemini path for the request.
func (c *Call) UpstreamPath() string {
	if c.Stream {
		return "/v1beta/models/" + c.GeminiModel + ":streamGenerateContent?alt=sse"
	}
	return "/v1beta/models/" + c.GeminiModel + ":generateContent"
}

// UpstreamBody is the Gemini request.
func (c *Call) UpstreamBody(int) []byte { return c.Body }

// Release drops the Gemini request.
func (c *Call) Release() { c.Body = nil }

// Responder translates Gemini's complete answer to a one-call translation.
type Responder interface {
	Response(body []byte) ([]byte, *apierror.Error)
	// Usage is the usage read from the answer Response translated.
	Usage() gemini.Usage
}

// Single is the Answer of a one-call translation.
func Single(r Responder) Answer { return &single{r: r} }

type single struct {
	r    Responder
	out  []byte
	err  *apierror.Error
	done bool
}

func (s *single) CheckSize(i, size int) *apierror.Error { return s.check(i) }

func (s *single) Add(i int, body []byte) *apierror.Error {
	if e := s.check(i); e != nil {
		return e
	}
	s.out, s.err = s.r.Response(body)
	s.done = true
	return s.err
}

func (s *single) Usage() gemini.Usage { return s.r.Usage() }

func (s *single) Join() ([]byte, *apierror.Error) {
	if !s.done {
		return nil, apierror.New(apierror.Server, "The gateway has no answer to join.")
	}
	return s.out, s.err
}

func (s *single) check(i int) *apierror.Error {
	if i != 0 || s.done {
		return apierror.New(apierror.Server, "The gateway got an answer to a call it did not make, or got it twice.")
	}
	return nil
}
