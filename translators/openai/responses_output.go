package openai

import (
	"encoding/base64"
	"strings"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonw"
	"github.com/tidwall/gjson"
)

// Output items of a response, shared by the complete answer and the stream
// so that both produce the same items and signatures.
//
// Where Gemini 3 thought signatures ride (docs/thought-signatures.md): a
// functionCall's signature in its call_id (`call_<random>__ts_<base64url>`,
// as for chat completions), since every client echoes call ids; a signature
// on text or thought parts in the encrypted_content of a reasoning item
// ("gsig1.tx.<base64url>", the format of the Anthropic thinking
// signatures), which clients replay when they ask for
// include:["reasoning.encrypted_content"] as Codex does. A text signature
// arrives on the last text part, after the text was streamed, so it rides in
// a reasoning item after the message (or in the thought item when it came
// with the thoughts); the request side puts it back on the last text part of
// that model turn.

// itemSink receives output items as the machine recognizes them.
type itemSink interface {
	open(kind byte) // 'r': a reasoning item (thought summary), 'm': a message
	delta(text string)
	close(kind byte, encrypted string) // encrypted only for a reasoning item
	call(name, args, callID string)    // args: the raw arguments object, "" for none
	carrier(encrypted string)          // a reasoning item that only carries a signature
	// annotation adds a url_citation (a JSON object) to the open message.
	annotation(a []byte)
	// searchCall writes a complete web_search_call item (its action).
	searchCall(action []byte)
}

// respMachine turns Gemini parts into output items.
type respMachine struct {
	req   *ResponsesRequest
	open  byte
	sig   string // a text or thought signature waiting for a carrier
	calls int

	// g follows the grounding of Google Search; nil when the request sent
	// no built-in tool.
	g         *gemini.Grounding
	itemStart int            // where the open message's text starts in g's text
	wait      gemini.Pending // searches waiting for their web_search_call
}

// newRespMachine starts the part machine for an answer to r.
func newRespMachine(r *ResponsesRequest) respMachine {
	m := respMachine{req: r}
	if r.builtins.Any() {
		m.g = new(gemini.Grounding)
	}
	return m
}

// event starts a candidate (a stream event, or the whole answer): its
// grounding is read, and a complete search goes out first when no item is
// open, so a complete answer lists its web_search_call before the message,
// as OpenAI's do.
func (m *respMachine) event(s itemSink, cand gjson.Result) {
	if m.g != nil {
		m.wait.Add(m.g, cand, false) // the Responses API shows no URLs read
		if m.open == 0 {
			m.searchCall(s, false)
		}
	}
}

// endEvent ends a candidate's event: the open message gets the annotations
// its text now allows, then a search that became complete follows. Gemini's
// stream sends the grounding with the end of the answer, so in a stream the
// search comes after the message.
func (m *respMachine) endEvent(s itemSink) {
	if m.open == 'm' && m.g != nil {
		m.annotate(s)
	}
	m.searchCall(s, false)
}

// searchCall writes the waiting queries and sources as one web_search_call
// (its search action has every query: Gemini does not say which query found
// which source). Sources always come with it, as with include
// web_search_call.action.sources. The open item is finished first.
func (m *respMachine) searchCall(s itemSink, final bool) {
	w := &m.wait
	if !w.Ready(final) {
		return
	}
	m.close(s)
	a := append(make([]byte, 0, 256), `{"type":"search"`...)
	if len(w.Queries) > 0 {
		a = append(a, `,"query":`...)
		a = jsonw.String(a, w.Queries[0])
	}
	a = append(a, `,"queries":[`...)
	for i, q := range w.Queries {
		if i > 0 {
			a = append(a, ',')
		}
		a = jsonw.String(a, q)
	}
	a = append(a, `],"sources":[`...)
	for i, k := range w.Sources {
		if i > 0 {
			a = append(a, ',')
		}
		a = append(a, `{"type":"url","url":`...)
		a = jsonw.String(a, m.g.Sources[k].URI)
		a = append(a, '}')
	}
	s.searchCall(append(a, "]}"...))
	w.SearchShown()
}

// annotate gives the open message the url_citation annotations of the
// supports whose text lies in it. Gemini locates cited text in UTF-8
// bytes; OpenAI's start_index and end_index count characters (code points,
// as its Python service indexes strings) of the output_text's own text.
// A support of text in a message already finished (a stream whose
// grounding came after a tool call) cannot be attached any more. Not
// inlined: its two callers each held a copy of its closure (2.4 KB of Wasm).
//
//go:noinline
func (m *respMachine) annotate(s itemSink) {
	m.g.Cite(func(c gemini.Citation) {
		if c.Start < m.itemStart {
			return
		}
		src := m.g.Sources[c.Source]
		a := append(make([]byte, 0, 192), `{"type":"url_citation","start_index":`...)
		a = jsonw.Int(a, int64(m.g.Runes(m.itemStart, c.Start)))
		a = append(a, `,"end_index":`...)
		a = jsonw.Int(a, int64(m.g.Runes(m.itemStart, c.End)))
		a = append(a, `,"url":`...)
		a = jsonw.String(a, src.URI)
		a = append(a, `,"title":`...)
		a = jsonw.String(a, src.Title)
		s.annotation(append(a, '}'))
	})
}

// readPart handles a part read by gemini.EachPart or the scan (either
// refuses a functionCall the client could neither run nor answer: no name,
// args not an object).
func (m *respMachine) readPart(s itemSink, k int, p *gemini.Part) {
	sig := p.Signature
	if p.Call {
		m.close(s)
		if sig == "" {
			// A signature seen on a thought part before an unsigned call
			// (Gemini 2.5) belongs to the call (as for Anthropic).
			sig, m.sig = m.sig, ""
		}
		s.call(p.CallName, p.CallArgs, gemini.IDWithSignature(m.req.Env.NewID("call_"), sig))
		m.calls++
		return
	}
	if !p.IsText {
		if sig != "" && p.ToolRecord {
			// A built-in tool's call or response (Gemini 3 mixing Google
			// Search with functions) may hold the step's signature: the
			// next call without one takes it.
			m.sig = strings.Clone(sig)
		}
		return // executableCode, inlineData, server tool records: shown from the grounding, or not at all
	}
	if sig != "" {
		m.sig = strings.Clone(sig) // kept past the upstream event
	}
	if p.Text == "" {
		return // a signature carrier, not content
	}
	kind := byte('m')
	if p.Thought {
		if !m.req.summaries {
			return // thoughts are never content
		}
		kind = 'r'
	}
	if m.open != kind {
		m.close(s)
		m.open = kind
		if m.g != nil {
			m.itemStart = m.g.Len()
		}
		s.open(kind)
	}
	if kind == 'm' && m.g != nil {
		m.g.AddText(k, p.Text)
	}
	s.delta(p.Text)
}

func (m *respMachine) close(s itemSink) {
	if m.open == 'm' && m.g != nil {
		m.annotate(s)
	}
	switch m.open {
	case 'r':
		enc := ""
		if m.sig != "" && m.req.encrypted {
			enc, m.sig = encodeSignature(m.sig), ""
		}
		s.close('r', enc)
	case 'm':
		s.close('m', "")
	}
	m.open = 0
}

// finish closes the open item, writes a search still waiting and emits a
// signature still waiting.
func (m *respMachine) finish(s itemSink) {
	m.close(s)
	m.searchCall(s, true)
	if m.sig != "" && m.req.encrypted {
		if enc := encodeSignature(m.sig); enc != "" {
			s.carrier(enc)
		}
	}
	m.sig = ""
}

// encodeSignature carries a text signature in encrypted_content
// (gemini.CarrySignature); "" when it is not base64.
func encodeSignature(sig string) string {
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || len(raw) == 0 {
		return ""
	}
	return gemini.CarrySignature('t', raw)
}

// callShape is how a Gemini functionCall is shown to the client.
type callShape struct {
	custom    bool
	name      string
	namespace string
	payload   string // arguments (JSON text) or a custom tool's input
}

func (r *ResponsesRequest) callShape(gname, args string) callShape {
	c := callShape{name: gname}
	ref, ok := r.tools[gname]
	if ok {
		c.custom, c.name, c.namespace = ref.custom, ref.name, ref.namespace
	}
	switch {
	case c.custom:
		if in := gjson.Get(args, "input"); in.Type == gjson.String {
			c.payload = in.Str
		} else if args != "" {
			c.payload = args // not the declared shape: show what came
		}
	case args != "":
		c.payload = args
	default:
		c.payload = "{}"
	}
	return c
}

// appendItemStart writes the start of an output item: its id, type and
// status, completed when done, else in_progress (the item as the stream's
// response.output_item.added shows it).
func appendItemStart(out []byte, id, typ string, done bool) []byte {
	out = append(out, `{"id":`...)
	out = jsonw.String(out, id)
	out = append(out, `,"type":"`...)
	out = append(out, typ...)
	if done {
		return append(out, `","status":"completed"`...)
	}
	return append(out, `","status":"in_progress"`...)
}

// appendCallItem writes a function_call or custom_tool_call item; with
// done false, its in-progress form with an empty payload (stream start).
func appendCallItem(out []byte, id, callID string, c callShape, done bool) []byte {
	typ := "function_call"
	if c.custom {
		typ = "custom_tool_call"
	}
	out = appendItemStart(out, id, typ, done)
	out = append(out, `,"call_id":`...)
	out = jsonw.String(out, callID)
	if c.namespace != "" {
		out = append(out, `,"namespace":`...)
		out = jsonw.String(out, c.namespace)
	}
	out = append(out, `,"name":`...)
	out = jsonw.String(out, c.name)
	if c.custom {
		out = append(out, `,"input":`...)
	} else {
		out = append(out, `,"arguments":`...)
	}
	if done {
		out = jsonw.String(out, c.payload)
	} else {
		out = append(out, `""`...)
	}
	return append(out, '}')
}

// appendSearchCallItem writes a web_search_call item; with done false, its
// in-progress form (stream start).
func appendSearchCallItem(out []byte, id string, done bool, action []byte) []byte {
	out = appendItemStart(out, id, "web_search_call", done)
	out = append(out, `,"action":`...)
	out = append(out, action...)
	return append(out, '}')
}

// appendMessageItem writes an assistant message with one output_text part
// (or, with refusal set, one refusal part); annots are its url_citation
// annotations, comma-separated.
func appendMessageItem(out []byte, id string, done bool, text []byte, refusal bool, annots []byte) []byte {
	out = appendItemStart(out, id, "message", done)
	out = append(out, `,"role":"assistant","content":[`...)
	if done {
		out = appendContentPart(out, text, refusal, annots)
	}
	return append(out, "]}"...)
}

func appendContentPart(out []byte, text []byte, refusal bool, annots []byte) []byte {
	if refusal {
		out = append(out, `{"type":"refusal","refusal":`...)
		out = jsonw.Bytes(out, text)
		return append(out, '}')
	}
	out = append(out, `{"type":"output_text","text":`...)
	out = jsonw.Bytes(out, text)
	out = append(out, `,"annotations":[`...)
	out = append(out, annots...)
	return append(out, `],"logprobs":[]}`...)
}

// appendReasoningItem writes a reasoning item: the summary text (none for a
// signature carrier) and our encrypted_content.
func appendReasoningItem(out []byte, id string, done bool, text []byte, encrypted string) []byte {
	out = append(out, `{"id":`...)
	out = jsonw.String(out, id)
	out = append(out, `,"type":"reasoning","summary":[`...)
	if done && len(text) > 0 {
		out = append(out, `{"type":"summary_text","text":`...)
		out = jsonw.Bytes(out, text)
		out = append(out, '}')
	}
	out = append(out, ']')
	if encrypted != "" {
		out = append(out, `,"encrypted_content":`...)
		out = jsonw.String(out, encrypted)
	}
	return append(out, '}')
}

// appendResponseUsage writes the usage object: input includes
// cached tokens, output includes thoughts, as OpenAI counts them.
func appendResponseUsage(out []byte, u gemini.Usage) []byte {
	out = append(out, `{"input_tokens":`...)
	out = jsonw.Int(out, u.Input())
	out = append(out, `,"input_tokens_details":{"cached_tokens":`...)
	out = jsonw.Int(out, u.Cached)
	out = append(out, `},"output_tokens":`...)
	out = jsonw.Int(out, u.Output())
	out = append(out, `,"output_tokens_details":{"reasoning_tokens":`...)
	out = jsonw.Int(out, u.Thoughts)
	out = append(out, `},"total_tokens":`...)
	total := u.Total
	if total == 0 {
		total = u.Input() + u.Output()
	}
	out = jsonw.Int(out, total)
	return append(out, '}')
}

// responseState is what the Response object says about how it ended.
type responseState struct {
	status     string // in_progress, completed, incomplete, failed
	incomplete string // incomplete_details.reason
	err        *apierror.Error
	usage      *gemini.Usage
}

// appendResponse writes a Response object with the given output items
// (comma-separated item objects).
func (r *ResponsesRequest) appendResponse(out []byte, id string, created int64, st responseState, items []byte) []byte {
	out = append(out, `{"id":`...)
	out = jsonw.String(out, id)
	out = append(out, `,"object":"response","created_at":`...)
	out = jsonw.Int(out, created)
	out = append(out, `,"status":`...)
	out = jsonw.String(out, st.status)
	out = append(out, `,"background":false,"error":`...)
	if st.err != nil {
		out = appendFailure(out, st.err)
	} else {
		out = append(out, "null"...)
	}
	out = append(out, `,"incomplete_details":`...)
	if st.incomplete != "" {
		out = append(out, `{"reason":`...)
		out = jsonw.String(out, st.incomplete)
		out = append(out, '}')
	} else {
		out = append(out, "null"...)
	}
	out = append(out, `,"model":`...)
	out = jsonw.String(out, r.Model)
	out = append(out, `,"output":[`...)
	out = append(out, items...)
	out = append(out, ']')
	out = append(out, r.echo...)
	out = append(out, `,"usage":`...)
	if st.usage != nil {
		out = appendResponseUsage(out, *st.usage)
	} else {
		out = append(out, "null"...)
	}
	return append(out, '}')
}

// appendFailure writes a Response's `error` ({code, message}). Codex reads
// the code: rate_limit_exceeded is retried after the delay it finds in the
// message ("try again in 23s"), insufficient_quota is not retried.
func appendFailure(out []byte, e *apierror.Error) []byte {
	_, code := errorType(e)
	switch {
	case e.Kind == apierror.RateLimited, e.Kind == apierror.QuotaExhausted:
	case e.Status >= 500:
		code = "server_error"
	case code == "":
		code = "invalid_request_error"
	}
	msg := e.Message
	if s := e.RetryAfterSeconds(); s > 0 && e.Kind == apierror.RateLimited {
		msg += " Please try again in " + itoa(s) + "s."
	}
	out = append(out, `{"code":`...)
	out = jsonw.String(out, code)
	out = append(out, `,"message":`...)
	out = jsonw.String(out, msg)
	return append(out, '}')
}

func itoa(v int64) string { return string(jsonw.Int(nil, v)) }

// responseID is "resp_" + Gemini's responseId, or a new id.
func (r *ResponsesRequest) responseID(resp gjson.Result) string {
	return gemini.ResponseID(resp, "resp_", r.Env.NewID)
}

// endState maps the finish of the answer to the Response's status
// (docs/answer-mapping.md#finish-reasons): MAX_TOKENS and safety stops are
// incomplete responses.
func endState(f gemini.Finish) responseState {
	switch f {
	case gemini.FinishLength:
		return responseState{status: "incomplete", incomplete: "max_output_tokens"}
	case gemini.FinishFiltered:
		return responseState{status: "incomplete", incomplete: "content_filter"}
	}
	return responseState{status: "completed"}
}
