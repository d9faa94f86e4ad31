package openai

import (
	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonw"
	"github.com/tidwall/gjson"
)

// finishReasons maps a Gemini finish class to OpenAI's finish_reason.
var finishReasons = gemini.FinishNames{Stop: "stop", Length: "length", Filtered: "content_filter", ToolCalls: "tool_calls"}

// Response translates a complete Gemini GenerateContentResponse, on the
// scan's fast path where it can (gemini.Answer).
func (r *ChatRequest) Response(body []byte) ([]byte, *apierror.Error) {
	return gemini.Answer(body, r.fastResponse, r.slowResponse)
}

// fastResponse is slowResponse for an answer the scan read (sc); ok is
// false, nothing done, for one it leaves to slowResponse.
func (r *ChatRequest) fastResponse(sc *gemini.Scan, body []byte) (out []byte, ok bool, e *apierror.Error) {
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
		out = r.appendScannedChoice(out, sc, c)
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

// slowResponse is Response through gjson: the fallback of fastResponse and
// the reference of its differential tests.
func (r *ChatRequest) slowResponse(body []byte) ([]byte, *apierror.Error) {
	resp, e := gemini.ReadAnswer(body)
	if e != nil {
		return nil, e
	}
	out := r.appendHead(make([]byte, 0, len(body)+256), gemini.ResponseID(resp, "chatcmpl-", r.Env.NewID))
	cands := resp.Get("candidates")
	n := 0
	var failure *apierror.Error
	cands.ForEach(func(_, c gjson.Result) bool {
		finish := c.Get("finishReason").String()
		if gemini.ClassifyFinish(finish) == gemini.FinishMalformed {
			failure = gemini.MalformedCallError(finish)
			return false
		}
		if n > 0 {
			out = append(out, ',')
		}
		if out, failure = r.appendChoice(out, c, n); failure != nil {
			return false
		}
		n++
		return true
	})
	if failure != nil {
		return nil, failure
	}
	if n == 0 {
		reason := resp.Get("promptFeedback.blockReason").String()
		if reason == "" {
			reason = "no candidates returned"
		}
		out = append(out, `{"index":0,"message":{"role":"assistant","content":null,"refusal":`...)
		out = jsonw.String(out, "Gemini blocked the prompt: "+reason)
		out = append(out, `},"logprobs":null,"finish_reason":"content_filter"}`...)
	}
	out = append(out, ']')
	r.Answered = gemini.ReadUsage(resp)
	out = appendUsage(out, r.Answered)
	return append(out, '}'), nil
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
	out = jsonw.String(out, finishReasons.Name(gemini.ClassifyFinish(c.Finish), ch.nCalls > 0))
	return append(out, '}')
}

// appendHead writes a chat.completion up to the '[' of its choices.
func (r *ChatRequest) appendHead(out []byte, id string) []byte {
	out = append(out, `{"id":`...)
	out = jsonw.String(out, id)
	out = append(out, `,"object":"chat.completion","created":`...)
	out = jsonw.Int(out, r.Env.Now())
	out = append(out, `,"model":`...)
	out = jsonw.String(out, r.Model)
	return append(out, `,"choices":[`...)
}

func (r *ChatRequest) appendChoice(out []byte, c gjson.Result, i int) ([]byte, *apierror.Error) {
	idx := i
	if v := c.Get("index"); v.Exists() {
		idx = int(v.Int())
	}
	var ch choice
	var g *gemini.Grounding
	if r.builtins.Search {
		g = new(gemini.Grounding)
		g.Event(c)
	}
	failure := gemini.EachPart(c, func(k int, p *gemini.Part) { r.addPart(&ch, g, k, p) })
	if failure != nil {
		return nil, failure
	}
	out = r.appendMessage(out, idx, &ch, g)
	out = appendLogprobs(out, c.Get("logprobsResult"))
	out = append(out, `,"finish_reason":`...)
	finish := gemini.ClassifyFinish(c.Get("finishReason").String())
	out = jsonw.String(out, finishReasons.Name(finish, ch.nCalls > 0))
	return append(out, '}'), nil
}

// choice is what a candidate's parts make of a choice's message, read by
// appendChoice (gjson) or appendScannedChoice (the scan). Its grounding
// (nil without the search tool) is passed beside it: in the struct, the
// compiler would move it to the heap with the slices.
type choice struct {
	text, thoughts []byte
	calls          []byte // tool_calls, written by appendCall, comma-separated
	nCalls         int
}

// nextCall starts the next tool call in calls and returns its index.
func (ch *choice) nextCall() int {
	if ch.nCalls > 0 {
		ch.calls = append(ch.calls, ',')
	}
	ch.nCalls++
	return ch.nCalls - 1
}

// addText adds the text of the candidate's k-th part.
func (ch *choice) addText(g *gemini.Grounding, k int, text string, thought bool) {
	if thought {
		ch.thoughts = append(ch.thoughts, text...)
		return
	}
	ch.text = append(ch.text, text...)
	if g != nil {
		g.AddText(k, text)
	}
}

// addPart adds the candidate's k-th part, read by gemini.PartOf or the scan.
func (r *ChatRequest) addPart(ch *choice, g *gemini.Grounding, k int, p *gemini.Part) {
	if p.Call {
		n := ch.nextCall()
		ch.calls = r.appendCall(ch.calls, p.CallID, p.CallName, p.CallArgs, p.Signature, n, false)
	} else if p.IsText {
		ch.addText(g, k, p.Text, p.Thought)
	}
}

// appendMessage writes a choice up to its logprobs' value.
func (r *ChatRequest) appendMessage(out []byte, idx int, ch *choice, g *gemini.Grounding) []byte {
	out = append(out, `{"index":`...)
	out = jsonw.Int(out, int64(idx))
	out = append(out, `,"message":{"role":"assistant","content":`...)
	if len(ch.text) == 0 && ch.nCalls > 0 {
		out = append(out, "null"...)
	} else {
		out = jsonw.Bytes(out, ch.text)
	}
	out = append(out, `,"refusal":null`...)
	if g != nil {
		out = append(out, `,"annotations":[`...)
		out = appendAnnotations(out, g)
		out = append(out, ']')
	}
	if r.Env.ReasoningContent && len(ch.thoughts) > 0 {
		out = append(out, `,"reasoning_content":`...)
		out = jsonw.Bytes(out, ch.thoughts)
	}
	if ch.nCalls > 0 {
		out = append(out, `,"tool_calls":[`...)
		out = append(out, ch.calls...)
		out = append(out, ']')
	}
	return append(out, `},"logprobs":`...)
}

// appendCall writes one tool call (args is the raw arguments object, "" for
// none). The first call of a step carries the step's thought signature in
// its id and in the extra_content field of Google's own OpenAI endpoint
// (docs/thought-signatures.md). With stream set, it writes the streaming
// delta form (index first).
func (r *ChatRequest) appendCall(out []byte, id, name, args, sig string, index int, stream bool) []byte {
	if id == "" || !gemini.IDSafe(id) {
		id = r.Env.NewID("call_")
	}
	id = gemini.IDWithSignature(id, sig)
	out = append(out, '{')
	if stream {
		out = append(out, `"index":`...)
		out = jsonw.Int(out, int64(index))
		out = append(out, ',')
	}
	out = append(out, `"id":`...)
	out = jsonw.String(out, id)
	out = append(out, `,"type":"function","function":{"name":`...)
	out = jsonw.String(out, name)
	out = append(out, `,"arguments":`...)
	if args != "" {
		out = jsonw.String(out, args)
	} else {
		out = append(out, `"{}"`...)
	}
	out = append(out, '}')
	if sig != "" {
		out = append(out, `,"extra_content":{"google":{"thought_signature":`...)
		out = jsonw.String(out, sig)
		out = append(out, "}}"...)
	}
	return append(out, '}')
}

// appendLogprobs maps logprobsResult to OpenAI's logprobs.content.
func appendLogprobs(out []byte, lr gjson.Result) []byte {
	// Gemini's own answer, not the client's data: copying its arrays is
	// linear in a body Envoy already bounds, and top needs random access.
	chosen := lr.Get("chosenCandidates").Array()
	if len(chosen) == 0 {
		return append(out, "null"...)
	}
	top := lr.Get("topCandidates").Array()
	out = append(out, `{"content":[`...)
	for k, ch := range chosen {
		if k > 0 {
			out = append(out, ',')
		}
		out = appendTokenLogprob(out, ch)
		out = append(out, `,"top_logprobs":[`...)
		if k < len(top) {
			for j, tc := range top[k].Get("candidates").Array() {
				if j > 0 {
					out = append(out, ',')
				}
				out = appendTokenLogprob(out, tc)
				out = append(out, '}')
			}
		}
		out = append(out, "]}"...)
	}
	return append(out, `],"refusal":null}`...)
}

func appendTokenLogprob(out []byte, c gjson.Result) []byte {
	tok := c.Get("token").String()
	out = append(out, `{"token":`...)
	out = jsonw.String(out, tok)
	out = append(out, `,"logprob":`...)
	out = jsonw.Float(out, c.Get("logProbability").Float())
	out = append(out, `,"bytes":[`...)
	for i := 0; i < len(tok); i++ {
		if i > 0 {
			out = append(out, ',')
		}
		out = jsonw.Int(out, int64(tok[i]))
	}
	return append(out, ']')
}

// appendUsage writes `,"usage":{...}`: completion tokens include thoughts,
// which Gemini counts apart (docs/answer-mapping.md#usage).
func appendUsage(out []byte, u gemini.Usage) []byte {
	out = append(out, `,"usage":{"prompt_tokens":`...)
	out = jsonw.Int(out, u.Input())
	out = append(out, `,"completion_tokens":`...)
	out = jsonw.Int(out, u.Output())
	out = append(out, `,"total_tokens":`...)
	total := u.Total
	if total == 0 {
		total = u.Input() + u.Output()
	}
	out = jsonw.Int(out, total)
	out = append(out, `,"prompt_tokens_details":{"cached_tokens":`...)
	out = jsonw.Int(out, u.Cached)
	out = append(out, `},"completion_tokens_details":{"reasoning_tokens":`...)
	out = jsonw.Int(out, u.Thoughts)
	return append(out, "}}"...)
}

// appendAnnotations writes the url_citation annotations of the citations g
// can place now, comma-separated. Gemini locates cited text in UTF-8 bytes;
// OpenAI's start_index and end_index count characters of the message
// content, which its Python service indexes by code point: the offsets are
// converted so, over the whole content (the text parts joined).
func appendAnnotations(out []byte, g *gemini.Grounding) []byte {
	n := 0
	g.Cite(func(c gemini.Citation) {
		if n > 0 {
			out = append(out, ',')
		}
		n++
		src := g.Sources[c.Source]
		out = append(out, `{"type":"url_citation","url_citation":{"url":`...)
		out = jsonw.String(out, src.URI)
		out = append(out, `,"title":`...)
		out = jsonw.String(out, src.Title)
		out = append(out, `,"start_index":`...)
		out = jsonw.Int(out, int64(g.Runes(0, c.Start)))
		out = append(out, `,"end_index":`...)
		out = jsonw.Int(out, int64(g.Runes(0, c.End)))
		out = append(out, "}}"...)
	})
	return out
}
