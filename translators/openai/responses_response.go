package openai

import (
	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
	"github.com/gemini-code-api/gemini-code-api/translators/jsondepth"
	"github.com/tidwall/gjson"
)

// Response translates a complete Gemini GenerateContentResponse into a
// Response object. created is the Unix time to report.
func (r *ResponsesRequest) Response(body []byte, created int64) ([]byte, *apierror.Error) {
	if out, ok, e := r.fastResponse(body, created); ok {
		return out, e
	}
	return r.slowResponse(body, created)
}

// slowResponse is Response through gjson: the fallback of fastResponse and
// the reference of its differential tests.
func (r *ResponsesRequest) slowResponse(body []byte, created int64) ([]byte, *apierror.Error) {
	if e := jsondepth.CheckAnswer(body); e != nil {
		return nil, e
	}
	if !gjson.ValidBytes(body) {
		return nil, apierror.New(apierror.BadGateway, "Gemini answered with a body that is not JSON.")
	}
	resp := gjson.ParseBytes(body)
	if resp.Get("error").Exists() {
		return nil, apierror.FromGemini(0, body)
	}
	usage := gemini.ReadUsage(resp)
	c := collector{req: r}
	var st responseState
	// The Responses API has no `n`: only the first candidate can be shown.
	cand := resp.Get("candidates.0")
	if !cand.Exists() {
		reason := resp.Get("promptFeedback.blockReason").String()
		if reason == "" {
			reason = "no candidates returned"
		}
		c.items = appendMessageItem(c.items, gemini.RandomID("msg_", 24), true, []byte("Gemini blocked the prompt: "+reason), true, nil)
		st = responseState{status: "incomplete", incomplete: "content_filter"}
	} else {
		f := gemini.ClassifyFinish(cand.Get("finishReason").String())
		if f == gemini.FinishMalformed {
			return nil, gemini.MalformedCallError(cand.Get("finishReason").String())
		}
		m := newRespMachine(r)
		m.event(&c, cand)
		var failure *apierror.Error
		cand.Get("content.parts").ForEach(func(k, p gjson.Result) bool {
			failure = m.part(&c, int(k.Int()), p)
			return failure == nil
		})
		if failure != nil {
			return nil, failure
		}
		m.endEvent(&c)
		m.finish(&c)
		st = endState(f)
	}
	st.usage = &usage
	out := make([]byte, 0, len(body)+len(r.echo)+512)
	return r.appendResponse(out, responseID(resp), created, st, c.items), nil
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
		c.items = appendReasoningItem(c.items, gemini.RandomID("rs_", 24), true, c.text, encrypted)
		return
	}
	c.items = appendMessageItem(c.items, gemini.RandomID("msg_", 24), true, c.text, false, c.annots)
}

func (c *collector) annotation(a []byte) {
	if len(c.annots) > 0 {
		c.annots = append(c.annots, ',')
	}
	c.annots = append(c.annots, a...)
}

func (c *collector) searchCall(action []byte) {
	c.sep()
	c.items = appendSearchCallItem(c.items, gemini.RandomID("ws_", 24), true, action)
}

func (c *collector) call(name, args, callID string) {
	c.sep()
	shape := c.req.callShape(name, args)
	prefix := "fc_"
	if shape.custom {
		prefix = "ctc_"
	}
	c.items = appendCallItem(c.items, gemini.RandomID(prefix, 24), callID, shape, true)
}

func (c *collector) carrier(encrypted string) {
	c.sep()
	c.items = appendReasoningItem(c.items, gemini.RandomID("rs_", 24), true, nil, encrypted)
}
