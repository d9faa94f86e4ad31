package openai

import (
	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonw"
)

// fastResponse is slowResponse for an answer the scan reads (gemini.Scan);
// ok is false, nothing done, for any other.
func (r *ChatRequest) fastResponse(body []byte) (out []byte, ok bool, e *apierror.Error) {
	var sc gemini.Scan
	if !sc.Read(body) {
		return nil, false, nil
	}
	for i := range sc.Candidates {
		if sc.Candidates[i].Logprobs {
			return nil, false, nil // logprobsResult: read by gjson
		}
	}
	out = r.appendHead(make([]byte, 0, len(body)+256), gemini.ResponseIDOf(sc.ResponseID, "chatcmpl-", r.Env.NewID))
	for n := range sc.Candidates {
		c := &sc.Candidates[n]
		if gemini.ClassifyFinish(c.Finish) == gemini.FinishMalformed {
			return nil, true, gemini.MalformedCallError(c.Finish)
		}
		if n > 0 {
			out = append(out, ',')
		}
		out = r.appendScannedChoice(out, &sc, c)
	}
	if len(sc.Candidates) == 0 {
		out = append(out, `{"index":0,"message":{"role":"assistant","content":null,"refusal":`...)
		out = jsonw.String(out, "Gemini blocked the prompt: no candidates returned")
		out = append(out, `},"logprobs":null,"finish_reason":"content_filter"}`...)
	}
	out = append(out, ']')
	r.Answered = sc.Usage
	out = appendUsage(out, sc.Usage)
	return append(out, '}'), true, nil
}

// appendScannedChoice is appendChoice for a scanned candidate (fastResponse
// refuses logprobs).
func (r *ChatRequest) appendScannedChoice(out []byte, sc *gemini.Scan, c *gemini.ScanCandidate) []byte {
	var ch choice
	var g *gemini.Grounding
	if r.builtins.Search {
		g = new(gemini.Grounding)
		g.Event(c.Result())
	}
	for k := c.First; k < c.Last; k++ {
		r.addPart(&ch, g, k-c.First, &sc.Parts[k])
	}
	out = r.appendMessage(out, c.Index, &ch, g)
	out = append(out, `null,"finish_reason":`...)
	out = jsonw.String(out, finishString(gemini.ClassifyFinish(c.Finish), ch.nCalls > 0))
	return append(out, '}')
}

// fastResponse is slowResponse for an answer the scan reads (gemini.Scan);
// ok is false, nothing done, for any other.
func (r *ResponsesRequest) fastResponse(body []byte) (out []byte, ok bool, e *apierror.Error) {
	var sc gemini.Scan
	if !sc.Read(body) {
		return nil, false, nil
	}
	usage := sc.Usage
	r.Answered = usage
	c := collector{req: r}
	var st responseState
	// The Responses API has no `n`: only the first candidate can be shown.
	if len(sc.Candidates) == 0 {
		c.items = appendMessageItem(c.items, r.Env.NewID("msg_"), true, []byte("Gemini blocked the prompt: no candidates returned"), true, nil)
		st = responseState{status: "incomplete", incomplete: "content_filter"}
	} else {
		cand := &sc.Candidates[0]
		f := gemini.ClassifyFinish(cand.Finish)
		if f == gemini.FinishMalformed {
			return nil, true, gemini.MalformedCallError(cand.Finish)
		}
		m := newRespMachine(r)
		m.event(&c, cand.Result())
		for k := cand.First; k < cand.Last; k++ {
			m.readPart(&c, k-cand.First, &sc.Parts[k])
		}
		m.endEvent(&c)
		m.finish(&c)
		st = endState(f)
	}
	st.usage = &usage
	out = make([]byte, 0, len(body)+len(r.echo)+512)
	return r.appendResponse(out, gemini.ResponseIDOf(sc.ResponseID, "resp_", r.Env.NewID), r.Env.Now(), st, c.items), true, nil
}
