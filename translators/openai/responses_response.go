package openai

import (
	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
)

// Response translates a complete Gemini GenerateContentResponse into a
// Response object, on the scan's fast path where it can (gemini.Answer).
func (r *ResponsesRequest) Response(body []byte) ([]byte, *apierror.Error) {
	return gemini.Answer(body, r.fastResponse, r.slowResponse)
}

// fastResponse is slowResponse for an answer the scan read (sc); ok is
// false, nothing done, for one it leaves to slowResponse.
func (r *ResponsesRequest) fastResponse(sc *gemini.Scan, body []byte) (out []byte, ok bool, e *apierror.Error) {
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

// slowResponse is Response through gjson: the fallback of fastResponse and
// the reference of its differential tests.
func (r *ResponsesRequest) slowResponse(body []byte) ([]byte, *apierror.Error) {
	resp, e := gemini.ReadAnswer(body)
	if e != nil {
		return nil, e
	}
	usage := gemini.ReadUsage(resp)
	r.Answered = usage
	c := collector{req: r}
	var st responseState
	// The Responses API has no `n`: only the first candidate can be shown.
	cand := resp.Get("candidates.0")
	if !cand.Exists() {
		reason := resp.Get("promptFeedback.blockReason").String()
		if reason == "" {
			reason = "no candidates returned"
		}
		c.items = appendMessageItem(c.items, r.Env.NewID("msg_"), true, []byte("Gemini blocked the prompt: "+reason), true, nil)
		st = responseState{status: "incomplete", incomplete: "content_filter"}
	} else {
		f := gemini.ClassifyFinish(cand.Get("finishReason").String())
		if f == gemini.FinishMalformed {
			return nil, gemini.MalformedCallError(cand.Get("finishReason").String())
		}
		m := newRespMachine(r)
		m.event(&c, cand)
		if e := gemini.EachPart(cand, func(k int, p *gemini.Part) { m.readPart(&c, k, p) }); e != nil {
			return nil, e
		}
		m.endEvent(&c)
		m.finish(&c)
		st = endState(f)
	}
	st.usage = &usage
	out := make([]byte, 0, len(body)+len(r.echo)+512)
	return r.appendResponse(out, r.responseID(resp), r.Env.Now(), st, c.items), nil
}

// collector is the itemSink of a complete answer: items are written whole.
type collector struct {
	req    *ResponsesRequest
	items  []byte
	text   []byte
	annots []byte // the open message's annotations, comma-separated
}

func (c *collector) sep() {
	if len(c.items) > 0 {
		c.items = append(c.items, ',')
	}
}

func (c *collector) open(byte)         { c.text, c.annots = c.text[:0], c.annots[:0] }
func (c *collector) delta(text string) { c.text = append(c.text, text...) }

func (c *collector) close(kind byte, encrypted string) {
	c.sep()
	if kind == 'r' {
		c.items = appendReasoningItem(c.items, c.req.Env.NewID("rs_"), true, c.text, encrypted)
		return
	}
	c.items = appendMessageItem(c.items, c.req.Env.NewID("msg_"), true, c.text, false, c.annots)
}

func (c *collector) annotation(a []byte) {
	if len(c.annots) > 0 {
		c.annots = append(c.annots, ',')
	}
	c.annots = append(c.annots, a...)
}

func (c *collector) searchCall(action []byte) {
	c.sep()
	c.items = appendSearchCallItem(c.items, c.req.Env.NewID("ws_"), true, action)
}

func (c *collector) call(name, args, callID string) {
	c.sep()
	shape := c.req.callShape(name, args)
	prefix := "fc_"
	if shape.custom {
		prefix = "ctc_"
	}
	c.items = appendCallItem(c.items, c.req.Env.NewID(prefix), callID, shape, true)
}

func (c *collector) carrier(encrypted string) {
	c.sep()
	c.items = appendReasoningItem(c.items, c.req.Env.NewID("rs_"), true, nil, encrypted)
}
