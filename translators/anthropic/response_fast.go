package anthropic

import (
	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
	"github.com/tidwall/gjson"
)

// fastResponse is slowResponse for an answer the scan reads (gemini.Scan);
// ok is false, nothing done, for any other.
func (r *MessagesRequest) fastResponse(body []byte) (out []byte, ok bool, e *apierror.Error) {
	var sc gemini.Scan
	if !sc.Read(body) {
		return nil, false, nil
	}
	cand := scanCandidate0(&sc)
	finish := gemini.FinishFiltered // no candidate: the prompt was blocked
	if cand != nil {
		if finish = gemini.ClassifyFinish(cand.Finish); finish == gemini.FinishMalformed {
			return nil, true, gemini.MalformedCallError(cand.Finish) // never a silent empty success
		}
	}
	c := collector{out: r.appendHead(make([]byte, 0, len(body)+256), gemini.ResponseIDOf(sc.ResponseID, "msg_", r.Env.NewID))}
	m := r.newMachine()
	if cand == nil {
		m.event(&c, gjson.Result{})
	} else {
		m.event(&c, cand.Result())
		for k := cand.First; k < cand.Last; k++ {
			m.readPart(&c, k-cand.First, &sc.Parts[k])
		}
	}
	m.endEvent(&c)
	m.finish(&c)
	r.Answered = sc.Usage
	return appendTail(c.out, finish, &m, sc.Usage), true, nil
}
