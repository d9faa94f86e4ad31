package openai

import (
	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
)

// FastEvent is Event for an event read by the scan: the same chunks,
// from strings that view the event instead of gjson Results.
func (s *Stream) FastEvent(sc *gemini.Scan) (bool, *apierror.Error) {
	if s.prefix == nil {
		s.setPrefix(gemini.ResponseIDOf(sc.ResponseID, "chatcmpl-", s.req.Env.NewID))
	}
	for ci := range sc.Candidates {
		c := &sc.Candidates[ci]
		i := c.Index
		if i < 0 || i > 7 {
			continue
		}
		st := s.choice(i)
		if st.g != nil {
			st.g.Event(c.Result())
		}
		if c.Finish != "" { // the last event's only: no call on the others
			if e := gemini.KeepFinish(&st.finish, c.Finish); e != nil {
				return true, e
			}
		}
		text, thought := s.text[:0], s.thought[:0]
		for k := c.First; k < c.Last; k++ {
			text, thought = s.part(i, st, k-c.First, &sc.Parts[k], text, thought)
		}
		s.endCandidate(i, st, text, thought)
	}
	return true, nil
}
