package openai

import (
	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
)

// FastEvent is Event for an event read by the scan.
func (s *ResponsesStream) FastEvent(sc *gemini.Scan) (bool, *apierror.Error) {
	s.start(sc.ResponseID)
	var failure *apierror.Error
	for ci := range sc.Candidates {
		c := &sc.Candidates[ci]
		if c.Index != 0 {
			continue // only the first candidate can be shown
		}
		s.seen = true
		if failure = gemini.KeepFinish(&s.finish, c.Finish); failure != nil {
			break
		}
		if s.m.g != nil {
			s.m.event(s, c.Result())
		}
		for k := c.First; k < c.Last; k++ {
			s.m.readPart(s, k-c.First, &sc.Parts[k])
		}
		s.m.endEvent(s)
	}
	s.flush() // one delta per upstream event
	return true, failure
}
