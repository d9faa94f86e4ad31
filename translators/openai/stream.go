package openai

import (
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
	gemini.StreamState
	req     *ChatRequest
	created int64
	prefix  []byte // `data: {"id":…,"object":…,"created":…,"model":…,"choices":[{"index":`
	choices []choiceState
	// scratch reused from event to event
	delta, text, thought []byte
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
	s := &Stream{req: r, created: r.Env.Now()}
	s.Start(s)
	return s
}

// Finish ends the stream: the final finish_reason chunk per choice, the
// usage chunk when asked for, and [DONE]; or an error event when the
// upstream ended before it finished.
func (s *Stream) Finish() {
	blocked := s.Blocked()
	if blocked == "" && len(s.choices) == 0 {
		s.Fail(gemini.TruncatedError())
		return
	}
	if blocked != "" && len(s.choices) == 0 {
		s.ensurePrefix(gjson.Result{})
		s.choices = append(s.choices, choiceState{seen: true, finish: "SAFETY"})
		s.chunk(0, `{"role":"assistant","content":null,"refusal":`+string(jsonw.String(nil, "Gemini blocked the prompt: "+blocked))+`}`, "")
	}
	for i := range s.choices {
		c := &s.choices[i]
		if !c.seen {
			continue
		}
		f := gemini.ClassifyFinish(c.finish)
		if f == gemini.FinishNone {
			s.Fail(gemini.TruncatedError())
			return
		}
		s.chunk(i, "{}", finishReasons.Name(f, c.toolIndex > 0))
	}
	if s.req.IncludeUsage {
		s.Out = append(s.Out, s.prefix[:len(s.prefix)-len(indexKey)]...)
		s.Out = append(s.Out, ']')
		s.Out = appendUsage(s.Out, s.Usage())
		s.Out = append(s.Out, "}\n\n"...)
	}
	s.Out = append(s.Out, "data: [DONE]\n\n"...)
	s.Done = true
}

// Fail emits the error as a data event; nothing follows it.
func (s *Stream) Fail(e *apierror.Error) {
	s.Out = append(s.Out, "data: "...)
	s.Out = append(s.Out, ErrorBody(e)...)
	s.Out = append(s.Out, "\n\n"...)
	s.Done = true
	s.Broken = true
}

func (s *Stream) ensurePrefix(resp gjson.Result) {
	if s.prefix != nil {
		return
	}
	s.setPrefix(gemini.ResponseID(resp, "chatcmpl-", s.req.Env.NewID))
}

func (s *Stream) setPrefix(id string) {
	p := append(make([]byte, 0, 128), `data: {"id":`...)
	p = jsonw.String(p, id)
	p = append(p, `,"object":"chat.completion.chunk","created":`...)
	p = jsonw.Int(p, s.created)
	p = append(p, `,"model":`...)
	p = jsonw.String(p, s.req.Model)
	s.prefix = append(p, `,"choices":[`+indexKey...)
}

// indexKey ends the prefix: every chunk but the usage one has a choice.
const indexKey = `{"index":`

// chunk writes one chunk for choice i with the given delta object.
func (s *Stream) chunk(i int, delta string, finish string) {
	s.chunkBytes(i, unsafeBytes(delta), finish)
}

func (s *Stream) chunkBytes(i int, delta []byte, finish string) {
	s.chunkHead(i)
	s.Out = append(s.Out, `,"delta":`...)
	s.Out = append(s.Out, delta...)
	s.chunkTail(finish)
}

// chunkHead writes a chunk for choice i up to its index; the caller writes
// the delta member and chunkTail the rest. Most chunks are written so, in
// place: one per upstream event.
func (s *Stream) chunkHead(i int) {
	s.Out = append(s.Out, s.prefix...)
	if i < 10 { // a choice is 0 to 7
		s.Out = append(s.Out, byte('0'+i))
	} else {
		s.Out = jsonw.Int(s.Out, int64(i))
	}
}

func (s *Stream) chunkTail(finish string) {
	if finish == "" {
		if s.req.IncludeUsage {
			s.Out = append(s.Out, `,"logprobs":null,"finish_reason":null}],"usage":null}`+"\n\n"...)
		} else {
			s.Out = append(s.Out, `,"logprobs":null,"finish_reason":null}]}`+"\n\n"...)
		}
		return
	}
	s.Out = append(s.Out, `,"logprobs":null,"finish_reason":`...)
	s.Out = jsonw.String(s.Out, finish)
	s.Out = append(s.Out, "}]"...)
	if s.req.IncludeUsage {
		s.Out = append(s.Out, `,"usage":null`...)
	}
	s.Out = append(s.Out, "}\n\n"...)
}

// Event is FastEvent for an event the scan leaves to gjson; its parts are
// read by gemini.PartOf, the reference of the scan.
func (s *Stream) Event(ev gemini.Event) *apierror.Error {
	s.ensurePrefix(ev.Resp)
	var failure *apierror.Error
	ev.Candidates.ForEach(func(k, c gjson.Result) bool {
		i := int(k.Int())
		if v := c.Get("index"); v.Exists() {
			i = int(v.Int())
		}
		if i < 0 || i > 7 {
			return true
		}
		st := s.choice(i)
		if st.g != nil {
			st.g.Event(c)
		}
		if failure = gemini.KeepFinish(&st.finish, c.Get("finishReason").String()); failure != nil {
			return false
		}
		text, thought := s.text[:0], s.thought[:0]
		failure = gemini.EachPart(c, func(k int, p *gemini.Part) {
			text, thought = s.part(i, st, k, p, text, thought)
		})
		if failure != nil {
			s.text, s.thought = text[:0], thought[:0]
			return false
		}
		s.endCandidate(i, st, text, thought)
		return true
	})
	return failure
}

// choice is the state of choice i, started (its role chunk, its grounding)
// on its first event.
func (s *Stream) choice(i int) *choiceState {
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
	return st
}

// part handles the candidate's k-th part for choice i: a call is a chunk
// of its own, after the text and thoughts gathered before it; text and
// thoughts gather (in text, thought, returned) until the candidate's end.
func (s *Stream) part(i int, st *choiceState, k int, p *gemini.Part, text, thought []byte) ([]byte, []byte) {
	if p.Call {
		text, thought = s.flushText(i, text, thought)
		d := append(s.delta[:0], `{"tool_calls":[`...)
		d = s.req.appendCall(d, p.CallID, p.CallName, p.CallArgs, p.Signature, st.toolIndex, true)
		s.delta = append(d, "]}"...)
		st.toolIndex++
		s.chunkBytes(i, s.delta, "")
		return text, thought
	}
	if !p.IsText || p.Text == "" {
		return text, thought
	}
	if p.Thought {
		if s.req.Env.ReasoningContent {
			thought = append(thought, p.Text...)
		}
	} else {
		text = append(text, p.Text...)
		if st.g != nil {
			st.g.AddText(k, p.Text)
		}
	}
	return text, thought
}

// flushText writes the text and the thoughts gathered for choice i, each
// as one chunk, and returns the emptied buffers.
func (s *Stream) flushText(i int, text, thought []byte) ([]byte, []byte) {
	if len(text) > 0 {
		s.textChunk(i, `,"delta":{"content":`, text)
	}
	if len(thought) > 0 {
		s.textChunk(i, `,"delta":{"reasoning_content":`, thought)
	}
	return text[:0], thought[:0]
}

// textChunk writes text as the delta member named in head.
func (s *Stream) textChunk(i int, head string, text []byte) {
	s.chunkHead(i)
	s.Out = append(s.Out, head...)
	s.Out = jsonw.Bytes(s.Out, text)
	s.Out = append(s.Out, '}')
	s.chunkTail("")
}

// endCandidate writes what choice i gathered of its candidate, then the
// annotations of the text sent so far, in a delta of their own (as
// OpenAI's search models stream them).
func (s *Stream) endCandidate(i int, st *choiceState, text, thought []byte) {
	s.text, s.thought = s.flushText(i, text, thought)
	if st.g != nil {
		d := append(s.delta[:0], `{"annotations":[`...)
		n := len(d)
		if d = appendAnnotations(d, st.g); len(d) > n {
			d = append(d, "]}"...)
			s.chunkBytes(i, d, "")
		}
		s.delta = d[:0]
	}
}
