package fakegemini

import (
	"encoding/json"
	"net/http"
	"time"
)

// Reply scripts one answer of the fake upstream. The zero Reply is the
// built-in default: a valid answer echoing the last user text.
type Reply struct {
	// Endpoint selects which calls consume this reply: "" (generateContent
	// and streamGenerateContent), "countTokens", "embed" (embedContent and
	// batchEmbedContents) or "models" (models.list / models.get).
	Endpoint string

	Status int    // default 200
	Body   string // raw body sent verbatim (non-stream, custom stream or error body)

	Text         string            // synthesize a candidate with this text
	Parts        []json.RawMessage // synthesize a candidate with these raw parts (after Text)
	FinishReason string            // default STOP
	BlockReason  string            // answer a prompt-level block: promptFeedback only, no candidates
	Usage        *Usage            // usageMetadata; synthesized from the token estimate when nil

	// Events are the raw JSON objects of streamGenerateContent, one per
	// event. An entry that does not start with '{' is written verbatim
	// (e.g. a non-"data:" error line, as Gemini sends mid-stream failures).
	// When nil, the events are
	// synthesized: Text split into a few pieces, then one event per Part,
	// finishReason and the final usage on the last event.
	Events []string

	Delay      time.Duration // before answering
	EventDelay time.Duration // between stream events (each event is flushed)
	CutAfter   int           // abort the connection after N stream events
	RetryDelay string        // with Status 429: RetryInfo detail ("23s")
	Header     http.Header   // extra response headers

	// Hold keeps a stream open after its first event until the channel is
	// closed (or the request ends), so a test can have many streams in
	// flight at once and decide when they finish.
	Hold <-chan struct{}

	// NoSignatures stops the server from adding thoughtSignatures to the
	// synthesized parts of a gemini-3* answer (to simulate their absence).
	NoSignatures bool

	// Grounding is the candidate's groundingMetadata (see GroundingFor),
	// sent with the last event, as the real stream sends it. Like the real
	// service, the fake grounds only a request that enabled googleSearch
	// (or urlContext): otherwise it is left out. On a Gemini 3 request
	// that mixes built-in tools with functions
	// (includeServerSideToolInvocations), the answer also starts with the
	// search's toolCall and toolResponse parts.
	Grounding json.RawMessage
	// URLContext is the candidate's urlContextMetadata, sent with the last
	// event when the request enabled urlContext.
	URLContext json.RawMessage
}

// Usage is usageMetadata. Total defaults to the sum of the others
// (Cached is part of Prompt, so it is not added).
type Usage struct {
	Prompt, Candidates, Thoughts, Cached, ToolUsePrompt, Total int
}

func (u Usage) total() int {
	if u.Total != 0 {
		return u.Total
	}
	return u.Prompt + u.Candidates + u.Thoughts + u.ToolUsePrompt
}

type scriptKey struct{ key, endpoint string }

// endpointClass maps Reply.Endpoint / route actions to a script queue.
func endpointClass(e string) string {
	switch e {
	case "", "generate", "generateContent", "streamGenerateContent":
		return "generate"
	case "embed", "embedContent", "batchEmbedContents":
		return "embed"
	case "models", "list", "get":
		return "models"
	}
	return e
}

// Enqueue appends replies to the queue of key ("" = any key). Replies are
// consumed in order; a key's own queue is used before the any-key queue.
func (s *Server) Enqueue(key string, r ...Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rep := range r {
		k := scriptKey{key, endpointClass(rep.Endpoint)}
		s.queues[k] = append(s.queues[k], rep)
	}
}

// SetDefault sets the reply used for key ("" = any key) when no queued reply
// is left.
func (s *Server) SetDefault(key string, r Reply) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.defaults[scriptKey{key, endpointClass(r.Endpoint)}] = r
}

// ValidKeys restricts the accepted API keys; any other key gets Google's
// 400 API_KEY_INVALID. Without a call, or after ValidKeys() with no keys,
// every key is accepted.
func (s *Server) ValidKeys(keys ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(keys) == 0 {
		s.validKeys = nil
		return
	}
	s.validKeys = map[string]bool{}
	for _, k := range keys {
		s.validKeys[k] = true
	}
}

// next picks the reply: key queue, any-key queue, key default, global
// default, built-in zero Reply.
func (s *Server) next(key, class string) Reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range []scriptKey{{key, class}, {"", class}} {
		if q := s.queues[k]; len(q) > 0 {
			s.queues[k] = q[1:]
			return q[0]
		}
	}
	for _, k := range []scriptKey{{key, class}, {"", class}} {
		if r, ok := s.defaults[k]; ok {
			return r
		}
	}
	return Reply{}
}

// Pending reports how many queued replies are left for key and endpoint
// class ("" = generate), so a test can assert its script was consumed.
func (s *Server) Pending(key, endpoint string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queues[scriptKey{key, endpointClass(endpoint)}])
}
