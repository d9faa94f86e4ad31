package openai

import (
	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonw"
	"github.com/gemini-code-api/gemini-code-api/translators/translator"
	"github.com/tidwall/gjson"
)

// ResponsesStream translates Gemini's SSE stream into Responses API stream
// events, one upstream event at a time, as the bytes arrive.
//
// The event grammar: response.created and response.in_progress first; per
// output item output_item.added, its part's .added event, the deltas (one
// per upstream event), the .done events and output_item.done; then
// response.completed, response.incomplete or response.failed last. Every
// event has a sequence_number, increasing from 0.
//
// Text is forwarded as it arrives; what the translator keeps is what the
// protocol repeats: the open item's text (its .done events carry it whole)
// and the finished items (the terminal event carries the whole Response,
// which SDK helpers such as finalResponse() return).
type ResponsesStream struct {
	gemini.StreamState
	req     *ResponsesRequest
	created int64
	m       respMachine

	id      string // the response id
	seq     int64  // next sequence_number
	started bool
	seen    bool   // the first candidate appeared
	finish  string // its finishReason

	itemID string // the open item
	index  int64  // its output_index (the next one when none is open)
	text   []byte // the open item's text so far
	pend   []byte // text of this upstream event not yet sent
	kind   byte   // kind of the open item: 'r' or 'm'
	items  []byte // finished items, comma-separated, for the terminal event
	annots []byte // the open message's annotations, comma-separated
	nAnnot int64  // how many annotations the open message has
}

// NewStream starts a stream translation.
func (r *ResponsesRequest) NewStream() translator.Stream {
	s := &ResponsesStream{req: r, created: r.Env.Now(), m: newRespMachine(r)}
	s.Start(s)
	return s
}

// Finish ends the stream: the open item is finished and the terminal
// event written; a stream Gemini ended early ends with response.failed.
func (s *ResponsesStream) Finish() {
	s.start("")
	var st responseState
	switch {
	case !s.seen && s.Blocked() != "":
		s.refusal("Gemini blocked the prompt: " + s.Blocked())
		st = responseState{status: "incomplete", incomplete: "content_filter"}
	case !s.seen:
		s.Fail(gemini.TruncatedError())
		return
	default:
		f := gemini.ClassifyFinish(s.finish)
		if f == gemini.FinishNone {
			s.Fail(gemini.TruncatedError())
			return
		}
		s.m.finish(s)
		st = endState(f)
	}
	u := s.Usage()
	st.usage = &u
	s.terminal(st)
}

// Event translates an event the scan leaves to gjson (FastEvent is its
// fast path).
func (s *ResponsesStream) Event(ev gemini.Event) *apierror.Error {
	if !s.started {
		s.start(ev.Resp.Get("responseId").String()) // looked up for the first event only
	}
	var failure *apierror.Error
	ev.Candidates.ForEach(func(k, c gjson.Result) bool {
		i := k.Int()
		if v := c.Get("index"); v.Exists() {
			i = v.Int()
		}
		if i != 0 {
			return true // only the first candidate can be shown
		}
		s.seen = true
		if failure = gemini.KeepFinish(&s.finish, c.Get("finishReason").String()); failure != nil {
			return false
		}
		s.m.event(s, c)
		failure = gemini.EachPart(c, func(k int, p *gemini.Part) { s.m.readPart(s, k, p) })
		if failure == nil {
			s.m.endEvent(s)
		}
		return failure == nil
	})
	s.flush() // one delta per upstream event
	return failure
}

// begin writes the start of an event of type typ, up to its last field;
// end closes it.
func (s *ResponsesStream) begin(typ string) {
	s.Out = append(s.Out, "event: "...)
	s.Out = append(s.Out, typ...)
	s.Out = append(s.Out, "\ndata: {\"type\":\""...)
	s.Out = append(s.Out, typ...)
	s.Out = append(s.Out, `","sequence_number":`...)
	s.Out = jsonw.Int(s.Out, s.seq)
	s.seq++
}

// end closes an event's JSON and the event. Not inlined: an append at each
// of its callers cost 8 KB of Wasm.
//
//go:noinline
func (s *ResponsesStream) end() { s.Out = append(s.Out, "}\n\n"...) }

// itemRef writes `,"item_id":…,"output_index":…` for the open item.
func (s *ResponsesStream) itemRef() {
	s.Out = append(s.Out, `,"item_id":`...)
	s.Out = jsonw.String(s.Out, s.itemID)
	s.Out = append(s.Out, `,"output_index":`...)
	s.Out = jsonw.Int(s.Out, s.index)
}

// start writes response.created and response.in_progress once.
func (s *ResponsesStream) start(geminiID string) {
	if s.started {
		return
	}
	s.started = true
	s.id = gemini.ResponseIDOf(geminiID, "resp_", s.req.Env.NewID)
	for _, typ := range [...]string{"response.created", "response.in_progress"} {
		s.begin(typ)
		s.Out = append(s.Out, `,"response":`...)
		s.Out = s.req.appendResponse(s.Out, s.id, s.created, responseState{status: "in_progress"}, nil)
		s.end()
	}
}

// terminal writes the last event, with the whole Response.
func (s *ResponsesStream) terminal(st responseState) {
	typ := "response.completed"
	switch st.status {
	case "incomplete":
		typ = "response.incomplete"
	case "failed":
		typ = "response.failed"
	}
	s.begin(typ)
	s.Out = append(s.Out, `,"response":`...)
	s.Out = s.req.appendResponse(s.Out, s.id, s.created, st, s.items)
	s.end()
	s.Done = true
}

// Fail ends the stream with response.failed carrying the mapped error, so a
// client sees a broken Gemini stream as a failure (Codex retries it), never
// as a short answer.
func (s *ResponsesStream) Fail(e *apierror.Error) {
	s.start("")
	s.Broken = true
	u := s.Usage()
	s.terminal(responseState{status: "failed", err: e, usage: &u})
}

func (s *ResponsesStream) addItem(item []byte) {
	if len(s.items) > 0 {
		s.items = append(s.items, ',')
	}
	s.items = append(s.items, item...)
}

// itemAdded writes response.output_item.added for the open item.
func (s *ResponsesStream) itemAdded(item []byte) { s.itemEvent("response.output_item.added", item) }

// itemDone writes response.output_item.done, keeps the item for the
// terminal event and moves to the next output index.
func (s *ResponsesStream) itemDone(item []byte) {
	s.itemEvent("response.output_item.done", item)
	s.addItem(item)
	s.index++
	s.itemID = ""
}

// itemEvent writes the event typ about the item at the current output
// index.
func (s *ResponsesStream) itemEvent(typ string, item []byte) {
	s.begin(typ)
	s.Out = append(s.Out, `,"output_index":`...)
	s.Out = jsonw.Int(s.Out, s.index)
	s.Out = append(s.Out, `,"item":`...)
	s.Out = append(s.Out, item...)
	s.end()
}

func (s *ResponsesStream) open(kind byte) {
	s.kind = kind
	s.text, s.pend = s.text[:0], s.pend[:0]
	if kind == 'r' {
		s.itemID = s.req.Env.NewID("rs_")
		s.itemAdded(appendReasoningItem(nil, s.itemID, false, nil, ""))
		s.begin("response.reasoning_summary_part.added")
		s.itemRef()
		s.Out = append(s.Out, `,"summary_index":0,"part":{"type":"summary_text","text":""}`...)
		s.end()
		return
	}
	s.itemID = s.req.Env.NewID("msg_")
	s.annots, s.nAnnot = s.annots[:0], 0
	s.itemAdded(appendMessageItem(nil, s.itemID, false, nil, false, nil))
	s.begin("response.content_part.added")
	s.itemRef()
	s.Out = append(s.Out, `,"content_index":0,"part":{"type":"output_text","text":"","annotations":[],"logprobs":[]}`...)
	s.end()
}

func (s *ResponsesStream) delta(text string) {
	s.text = append(s.text, text...)
	s.pend = append(s.pend, text...)
}

// flush sends the text of this upstream event as one delta event.
func (s *ResponsesStream) flush() {
	if len(s.pend) == 0 || s.itemID == "" {
		s.pend = s.pend[:0]
		return
	}
	if s.kind == 'r' {
		s.begin("response.reasoning_summary_text.delta")
		s.itemRef()
		s.Out = append(s.Out, `,"summary_index":0,"delta":`...)
	} else {
		s.begin("response.output_text.delta")
		s.itemRef()
		s.Out = append(s.Out, `,"content_index":0,"delta":`...)
	}
	s.Out = jsonw.Bytes(s.Out, s.pend)
	if s.kind != 'r' {
		s.Out = append(s.Out, `,"logprobs":[]`...)
	}
	s.end()
	s.pend = s.pend[:0]
}

func (s *ResponsesStream) close(kind byte, encrypted string) {
	s.flush()
	if kind == 'r' {
		s.begin("response.reasoning_summary_text.done")
		s.itemRef()
		s.Out = append(s.Out, `,"summary_index":0,"text":`...)
		s.Out = jsonw.Bytes(s.Out, s.text)
		s.end()
		s.begin("response.reasoning_summary_part.done")
		s.itemRef()
		s.Out = append(s.Out, `,"summary_index":0,"part":{"type":"summary_text","text":`...)
		s.Out = jsonw.Bytes(s.Out, s.text)
		s.Out = append(s.Out, '}')
		s.end()
		s.itemDone(appendReasoningItem(nil, s.itemID, true, s.text, encrypted))
		return
	}
	s.begin("response.output_text.done")
	s.itemRef()
	s.Out = append(s.Out, `,"content_index":0,"text":`...)
	s.Out = jsonw.Bytes(s.Out, s.text)
	s.Out = append(s.Out, `,"logprobs":[]`...)
	s.end()
	s.begin("response.content_part.done")
	s.itemRef()
	s.Out = append(s.Out, `,"content_index":0,"part":`...)
	s.Out = appendContentPart(s.Out, s.text, false, s.annots)
	s.end()
	s.itemDone(appendMessageItem(nil, s.itemID, true, s.text, false, s.annots))
}

// call writes a whole function or custom tool call: Gemini sends each
// functionCall complete (it does not stream arguments), so its arguments
// are one delta.
func (s *ResponsesStream) call(name, args, callID string) {
	shape := s.req.callShape(name, args)
	prefix := "fc_"
	if shape.custom {
		prefix = "ctc_"
	}
	s.itemID = s.req.Env.NewID(prefix)
	s.itemAdded(appendCallItem(nil, s.itemID, callID, shape, false))
	deltaType, doneType, field := "response.function_call_arguments.delta", "response.function_call_arguments.done", "arguments"
	if shape.custom {
		deltaType, doneType, field = "response.custom_tool_call_input.delta", "response.custom_tool_call_input.done", "input"
	}
	s.begin(deltaType)
	s.itemRef()
	s.Out = append(s.Out, `,"delta":`...)
	s.Out = jsonw.String(s.Out, shape.payload)
	s.end()
	s.begin(doneType)
	s.itemRef()
	if !shape.custom {
		s.Out = append(s.Out, `,"name":`...)
		s.Out = jsonw.String(s.Out, shape.name)
	}
	s.Out = append(s.Out, ',')
	s.Out = jsonw.Key(s.Out, field)
	s.Out = jsonw.String(s.Out, shape.payload)
	s.end()
	s.itemDone(appendCallItem(nil, s.itemID, callID, shape, true))
}

func (s *ResponsesStream) carrier(encrypted string) {
	s.itemID = s.req.Env.NewID("rs_")
	s.itemAdded(appendReasoningItem(nil, s.itemID, false, nil, encrypted))
	s.itemDone(appendReasoningItem(nil, s.itemID, true, nil, encrypted))
}

// refusal writes a message item holding a refusal (a blocked prompt).
func (s *ResponsesStream) refusal(text string) {
	s.itemID = s.req.Env.NewID("msg_")
	s.itemAdded(appendMessageItem(nil, s.itemID, false, nil, true, nil))
	s.begin("response.content_part.added")
	s.itemRef()
	s.Out = append(s.Out, `,"content_index":0,"part":{"type":"refusal","refusal":""}`...)
	s.end()
	for _, typ := range [...]string{"response.refusal.delta", "response.refusal.done"} {
		s.begin(typ)
		s.itemRef()
		if typ == "response.refusal.delta" {
			s.Out = append(s.Out, `,"content_index":0,"delta":`...)
		} else {
			s.Out = append(s.Out, `,"content_index":0,"refusal":`...)
		}
		s.Out = jsonw.String(s.Out, text)
		s.end()
	}
	s.begin("response.content_part.done")
	s.itemRef()
	s.Out = append(s.Out, `,"content_index":0,"part":`...)
	s.Out = appendContentPart(s.Out, []byte(text), true, nil)
	s.end()
	s.itemDone(appendMessageItem(nil, s.itemID, true, []byte(text), true, nil))
}

// annotation adds a url_citation to the open message: its text so far is
// sent first, then response.output_text.annotation.added.
func (s *ResponsesStream) annotation(a []byte) {
	s.flush()
	if len(s.annots) > 0 {
		s.annots = append(s.annots, ',')
	}
	s.annots = append(s.annots, a...)
	s.begin("response.output_text.annotation.added")
	s.itemRef()
	s.Out = append(s.Out, `,"content_index":0,"annotation_index":`...)
	s.Out = jsonw.Int(s.Out, s.nAnnot)
	s.Out = append(s.Out, `,"annotation":`...)
	s.Out = append(s.Out, a...)
	s.end()
	s.nAnnot++
}

// searchCall writes a web_search_call item with the events OpenAI streams
// for one: added, in_progress, searching, completed, done. The search has
// already happened at Gemini's; the events keep the grammar clients know.
func (s *ResponsesStream) searchCall(action []byte) {
	s.itemID = s.req.Env.NewID("ws_")
	s.itemAdded(appendSearchCallItem(nil, s.itemID, false, action))
	for _, typ := range [...]string{"response.web_search_call.in_progress", "response.web_search_call.searching", "response.web_search_call.completed"} {
		s.begin(typ)
		s.itemRef()
		s.end()
	}
	s.itemDone(appendSearchCallItem(nil, s.itemID, true, action))
}
