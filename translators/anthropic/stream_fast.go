package anthropic

import (
	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
	"github.com/tidwall/gjson"
)

// FastEvent is Event for an event read by the scan: the same events, from
// strings that view the upstream event instead of gjson Results.
func (s *Stream) FastEvent(sc *gemini.Scan) (bool, *apierror.Error) {
	if !s.started {
		s.messageStartID(gemini.ResponseIDOf(sc.ResponseID, "msg_", s.req.Env.NewID))
	}
	c := scanCandidate0(sc)
	if c == nil {
		s.m.event(s, gjson.Result{})
		s.m.endEvent(s)
		return true, nil
	}
	if e := gemini.KeepFinish(&s.finish, c.Finish); e != nil {
		return true, e
	}
	if s.m.g != nil {
		s.m.event(s, c.Result())
	}
	for k := c.First; k < c.Last; k++ {
		s.m.readPart(s, k-c.First, &sc.Parts[k])
	}
	s.m.endEvent(s)
	return true, nil
}

// scanCandidate0 is candidate0Of for a scanned answer: the first candidate
// whose index is 0; nil when there is none.
func scanCandidate0(sc *gemini.Scan) *gemini.ScanCandidate {
	for i := range sc.Candidates {
		if sc.Candidates[i].Index == 0 {
			return &sc.Candidates[i]
		}
	}
	return nil
}
