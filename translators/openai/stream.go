package openai

import (
	"strings"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonw"
	"github.com/gemini-code-api/gemini-code-api/translators/translator"
	"github.com/tidwall/gjson"
)

// Stream translates Gemini's SSE stream into OpenAI chat.completion.chunk
// events, event by event, as the upstream bytes arrive. Its memory is
// one unfinished upstream event plus a few counters per choice.
type Stream struct {
	req     *ChatRequest
	created int64
	events  gemini.EventReader
	prefix  []byte // `data: {"id":…,"object":…,"created":…,"model":…,"choices":[`
	choices []choiceState
	usage   gemini.Usage
	blocked string // promptFeedback.blockReason
	done    bool   // finished, or an error was emitted: ignore the rest
	failed  bool   // the stream ended with an error event
	out     []byte // output of the current Write
	// scratch reused from event to event
	delta, text, thought []byte
	// slow: every event takes the gjson path (the reference of the
	// differential tests)
	slow bool
	fast gemini.FastHandler // s.fastEvent, made once
}

type choiceState struct {
	seen      bool
	toolIndex int // next tool_calls index; global for the choice (restarting it merges parallel calls)
	finish    string
	// g follows the choice's grounding (web search); nil without it.
	g *gemini.Grounding
}

// NewStream starts a stream translation.
func (r *ChatRequest) NewStream() translator.Stream {
	return &Stream{req: r, created: r.Env.Now()}
}

// Write consumes an upstream chunk and appends the client bytes it completes
// to dst.
func (s *Stream) Write(dst, chunk []byte) []byte {
	s.out = dst
	if s.done {
		return s.out
	}
	if e := s.events.FeedFast(chunk, s.fastHandler(), s.event); e != nil {
		s.fail(e)
	}
	return s.out
}

// Close ends the stream: the final finish_reason chunk per choice, the usage
// chunk when asked for, and [DONE]; or an error event when the upstream ended
// before it finished.
func (s *Stream) Close(dst []byte) []byte {
	s.out = dst
	if s.done {
		return s.out
	}
	if e := s.events.FinishFast(s.fastHandler(), s.event); e != nil {
		s.fail(e)
		return s.out
	}
	if s.blocked == "" && len(s.choices) == 0 {
		s.fail(gemini.TruncatedError())
		return s.out
	}
	if s.blocked != "" && len(s.choices) == 0 {
		s.ensurePrefix(gjson.Result{})
		s.choices = append(s.choices, choiceState{seen: true, finish: "SAFETY"})
		s.chunk(0, `{"role":"assistant","content":null,"refusal":`+string(jsonw.String(nil, "Gemini blocked the prompt: "+s.blocked))+`}`, "")
	}
	for i := range s.choices {
		c := &s.choices[i]
		if !c.seen {
			continue
		}
		f := gemini.ClassifyFinish(c.finish)
		if f == gemini.FinishNone {
			s.fail(gemini.TruncatedError())
			return s.out
		}
		s.chunk(i, "{}", finishString(f, c.toolIndex > 0))
	}
	if s.req.IncludeUsage {
		s.out = append(s.out, s.prefix...)
		s.out = append(s.out, ']')
		s.out = appendUsage(s.out, s.usage)
		s.out = append(s.out, "}\n\n"...)
	}
	s.out = append(s.out, "data: [DONE]\n\n"...)
	s.done = true
	return s.out
}

// Failed reports whether the stream ended with an error event.
func (s *Stream) Failed() bool { return s.failed }

// Usage is the last usage Gemini reported (for metrics and access logs).
func (s *Stream) Usage() gemini.Usage { return s.usage }

func (s *Stream) fail(e *apierror.Error) {
	s.out = append(s.out, "data: "...)
	s.out = append(s.out, ErrorBody(e)...)
	s.out = append(s.out, "\n\n"...)
	s.done = true
	s.failed = true
}

func (s *Stream) ensurePrefix(resp gjson.Result) {
	if s.prefix != nil {
		return
	}
	s.setPrefix(s.req.completionID(resp))
}

func (s *Stream) setPrefix(id string) {
	p := append(make([]byte, 0, 128), `data: {"id":`...)
	p = jsonw.String(p, id)
	p = append(p, `,"object":"chat.completion.chunk","created":`...)
	p = jsonw.Int(p, s.created)
	p = append(p, `,"model":`...)
	p = jsonw.String(p, s.req.Model)
	s.prefix = append(p, `,"choices":[`...)
}

// chunk writes one chunk for choice i with the given delta object.
func (s *Stream) chunk(i int, delta string, finish string) {
	s.chunkBytes(i, unsafeBytes(delta), finish)
}

func (s *Stream) chunkBytes(i int, delta []byte, finish string) {
	s.out = append(s.out, s.prefix...)
	s.out = append(s.out, `{"index":`...)
	s.out = jsonw.Int(s.out, int64(i))
	s.out = append(s.out, `,"delta":`...)
	s.out = append(s.out, delta...)
	s.out = append(s.out, `,"logprobs":null,"finish_reason":`...)
	if finish == "" {
		s.out = append(s.out, "null"...)
	} else {
		s.out = jsonw.String(s.out, finish)
	}
	s.out = append(s.out, "}]"...)
	if s.req.IncludeUsage {
		s.out = append(s.out, `,"usage":null`...)
	}
	s.out = append(s.out, "}\n\n"...)
}

func (s *Stream) event(ev gemini.Event) *apierror.Error {
	s.ensurePrefix(ev.Resp)
	if ev.Usage.Present {
		s.usage = ev.Usage // running values; the last one is authoritative
	}
	if ev.BlockReason != "" {
		s.blocked = ev.BlockReason
	}
	var failure *apierror.Error
	delta := s.delta[:0]
	defer func() { s.delta = delta[:0] }()
	ev.Candidates.ForEach(func(k, c gjson.Result) bool {
		i := int(k.Int())
		if v := c.Get("index"); v.Exists() {
			i = int(v.Int())
		}
		if i < 0 || i > 7 {
			return true
		}
		for len(s.choices) <= i {
			s.choices = append(s.choices, choiceState{})
		}
		st := &s.choices[i]
		if !st.seen {
			st.seen = true
			s.chunk(i, `{"role":"assistant","content":""}`, "")
			if s.req.builtins.Search {
				st.g = new(gemini.Grounding)
			}
		}
		if st.g != nil {
			st.g.Event(c)
		}
		if f := c.Get("finishReason").String(); f != "" {
			st.finish = strings.Clone(f)
			if gemini.ClassifyFinish(f) == gemini.FinishMalformed {
				failure = gemini.MalformedCallError(f)
				return false
			}
		}
		text, thought := s.text[:0], s.thought[:0]
		defer func() { s.text, s.thought = text[:0], thought[:0] }()
		flush := func() {
			if len(text) > 0 {
				delta = append(delta[:0], `{"content":`...)
				delta = jsonw.Bytes(delta, text)
				delta = append(delta, '}')
				s.chunkBytes(i, delta, "")
				text = text[:0]
			}
			if len(thought) > 0 {
				delta = append(delta[:0], `{"reasoning_content":`...)
				delta = jsonw.Bytes(delta, thought)
				delta = append(delta, '}')
				s.chunkBytes(i, delta, "")
				thought = thought[:0]
			}
		}
		c.Get("content.parts").ForEach(func(k, p gjson.Result) bool {
			if fc := p.Get("functionCall"); fc.Exists() {
				if failure = gemini.CheckFunctionCall(fc); failure != nil {
					return false
				}
				flush()
				delta = append(delta[:0], `{"tool_calls":[`...)
				delta = s.req.appendToolCall(delta, fc, p.Get("thoughtSignature").String(), st.toolIndex, true)
				delta = append(delta, "]}"...)
				st.toolIndex++
				s.chunkBytes(i, delta, "")
				return true
			}
			t := p.Get("text")
			if t.Type != gjson.String || t.Str == "" {
				return true
			}
			if gemini.IsThought(p) {
				if s.req.Env.ReasoningContent {
					thought = append(thought, t.Str...)
				}
			} else {
				text = append(text, t.Str...)
				if st.g != nil {
					st.g.AddText(int(k.Int()), t.Str)
				}
			}
			return true
		})
		if failure != nil {
			return false
		}
		flush()
		if st.g != nil {
			// The annotations of text sent so far, in a delta of their
			// own (as OpenAI's search models stream them).
			delta = append(delta[:0], `{"annotations":[`...)
			n := len(delta)
			if delta = appendAnnotations(delta, st.g); len(delta) > n {
				delta = append(delta, "]}"...)
				s.chunkBytes(i, delta, "")
			}
		}
		return true
	})
	return failure
}
