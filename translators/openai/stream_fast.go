package openai

import (
	"strings"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonw"
)

// fastHandler is the stream's fast path (nil when slow is set).
func (s *Stream) fastHandler() gemini.FastHandler {
	if s.slow {
		return nil
	}
	if s.fast == nil {
		s.fast = s.fastEvent
	}
	return s.fast
}

// fastEvent is event for an event read by the scan: the same chunks,
// from strings that view the event instead of gjson Results.
func (s *Stream) fastEvent(sc *gemini.Scan) (bool, *apierror.Error) {
	if s.prefix == nil {
		s.setPrefix(gemini.ResponseIDOf(sc.ResponseID, "chatcmpl-", s.req.Env.NewID))
	}
	if sc.Usage.Present {
		s.usage = sc.Usage // running values; the last one is authoritative
	}
	for ci := range sc.Candidates {
		c := &sc.Candidates[ci]
		i := c.Index
		if i < 0 || i > 7 {
			continue
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
			st.g.Event(c.Result())
		}
		if c.Finish != "" {
			st.finish = strings.Clone(c.Finish)
			if gemini.ClassifyFinish(c.Finish) == gemini.FinishMalformed {
				return true, gemini.MalformedCallError(c.Finish)
			}
		}
		text, thought := s.text[:0], s.thought[:0]
		for k := c.First; k < c.Last; k++ {
			p := &sc.Parts[k]
			if p.Call {
				text, thought = s.flushText(i, text, thought)
				d := append(s.delta[:0], `{"tool_calls":[`...)
				d = s.req.appendCall(d, p.CallID, p.CallName, p.CallArgs, p.Signature, st.toolIndex, true)
				s.delta = append(d, "]}"...)
				st.toolIndex++
				s.chunkBytes(i, s.delta, "")
				continue
			}
			if !p.IsText || p.Text == "" {
				continue
			}
			if p.Thought {
				if s.req.Env.ReasoningContent {
					thought = append(thought, p.Text...)
				}
			} else {
				text = append(text, p.Text...)
				if st.g != nil {
					st.g.AddText(k-c.First, p.Text)
				}
			}
		}
		text, thought = s.flushText(i, text, thought)
		s.text, s.thought = text, thought
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
	return true, nil
}

// flushText writes the text and the thoughts gathered for choice i, each
// as one chunk, and returns the emptied buffers.
func (s *Stream) flushText(i int, text, thought []byte) ([]byte, []byte) {
	if len(text) > 0 {
		d := append(s.delta[:0], `{"content":`...)
		d = jsonw.Bytes(d, text)
		s.delta = append(d, '}')
		s.chunkBytes(i, s.delta, "")
	}
	if len(thought) > 0 {
		d := append(s.delta[:0], `{"reasoning_content":`...)
		d = jsonw.Bytes(d, thought)
		s.delta = append(d, '}')
		s.chunkBytes(i, s.delta, "")
	}
	return text[:0], thought[:0]
}
