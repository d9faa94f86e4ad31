package anthropic

import (
	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonw"
	"github.com/gemini-code-api/gemini-code-api/translators/translator"
	"github.com/tidwall/gjson"
)

// Stream translates Gemini's SSE stream into Anthropic's event sequence,
// event by event as the upstream bytes arrive. Its memory is one unfinished
// upstream event plus a few counters: thinking and text go out as deltas,
// each functionCall arrives whole (Gemini does not stream arguments) and
// leaves at once.
type Stream struct {
	gemini.StreamState
	req     *MessagesRequest
	m       machine
	next    int    // index of the next content block: contiguous from 0 (Anthropic's SDK rejects gaps)
	kind    bool   // the open block is a thinking block
	started bool   // message_start was sent
	finish  string // last non-empty finishReason of candidate 0
}

// NewStream starts a stream translation.
func (r *MessagesRequest) NewStream() translator.Stream {
	s := &Stream{req: r, m: r.newMachine()}
	s.Start(s)
	return s
}

// Finish ends the stream at the end of the upstream body: open block
// closed, message_delta, message_stop; or an error event when the upstream
// ended before it said how the answer finished.
func (s *Stream) Finish() {
	f := gemini.ClassifyFinish(s.finish)
	if f == gemini.FinishNone && s.Blocked() != "" {
		f = gemini.FinishFiltered // blocked prompt: refusal
	}
	if !s.started || f == gemini.FinishNone {
		s.Fail(gemini.TruncatedError())
		return
	}
	s.m.finish(s)
	u := s.Usage()
	s.begin("message_delta")
	s.Out = append(s.Out, `{"type":"message_delta","delta":{"stop_reason":`...)
	s.Out = jsonw.String(s.Out, stopReasons.Name(f, s.m.calls > 0))
	s.Out = append(s.Out, `,"stop_sequence":null},"usage":{"output_tokens":`...)
	s.Out = jsonw.Int(s.Out, u.Output())
	s.Out = append(s.Out, `,"input_tokens":`...)
	s.Out = jsonw.Int(s.Out, inputTokens(u))
	s.Out = append(s.Out, `,"cache_read_input_tokens":`...)
	s.Out = jsonw.Int(s.Out, u.Cached)
	s.Out = appendServerToolUse(s.Out, s.m.g)
	s.Out = append(s.Out, "}}\n\n"...)
	s.begin("message_stop")
	s.Out = append(s.Out, `{"type":"message_stop"}`+"\n\n"...)
	s.Done = true
}

// begin writes the `event:` line and the `data: ` prefix; the caller writes
// the JSON whose `type` equals name (the SDK dispatches on the event name).
// Not inlined: its three appends at each caller cost 11 KB of Wasm.
//
//go:noinline
func (s *Stream) begin(name string) {
	s.Out = append(s.Out, "event: "...)
	s.Out = append(s.Out, name...)
	s.Out = append(s.Out, "\ndata: "...)
}

// Fail emits Anthropic's error event; nothing follows it.
func (s *Stream) Fail(e *apierror.Error) {
	s.begin("error")
	s.Out = append(s.Out, ErrorBody(e)...)
	s.Out = append(s.Out, "\n\n"...)
	s.Done = true
	s.Broken = true
}

// Event translates an event the scan leaves to gjson (FastEvent is its
// fast path).
func (s *Stream) Event(ev gemini.Event) *apierror.Error {
	if !s.started {
		s.messageStart(ev.Resp)
	}
	cand := candidate0Of(ev.Candidates)
	if e := gemini.KeepFinish(&s.finish, cand.Get("finishReason").String()); e != nil {
		return e
	}
	s.m.event(s, cand)
	failure := gemini.EachPart(cand, func(k int, p *gemini.Part) { s.m.readPart(s, k, p) })
	if failure == nil {
		s.m.endEvent(s)
	}
	return failure
}

func (s *Stream) messageStart(resp gjson.Result) {
	s.messageStartID(gemini.ResponseID(resp, "msg_", s.req.Env.NewID))
}

func (s *Stream) messageStartID(id string) {
	s.started = true
	u := s.Usage()
	s.begin("message_start")
	s.Out = append(s.Out, `{"type":"message_start","message":{"id":`...)
	s.Out = jsonw.String(s.Out, id)
	s.Out = append(s.Out, `,"type":"message","role":"assistant","model":`...)
	s.Out = jsonw.String(s.Out, s.req.Model)
	s.Out = append(s.Out, `,"content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":`...)
	s.Out = jsonw.Int(s.Out, inputTokens(u))
	s.Out = append(s.Out, `,"output_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":`...)
	s.Out = jsonw.Int(s.Out, u.Cached)
	s.Out = append(s.Out, "}}}\n\n"...)
	s.keepAlive()
}

func (s *Stream) blockStart(block string) {
	s.begin("content_block_start")
	s.Out = append(s.Out, `{"type":"content_block_start","index":`...)
	s.Out = jsonw.Int(s.Out, int64(s.next))
	s.Out = append(s.Out, `,"content_block":`...)
	s.Out = append(s.Out, block...)
	s.Out = append(s.Out, "}\n\n"...)
}

// blockDelta writes a content_block_delta for the open block; the caller
// appends the delta's fields after `"delta":{"type":`.
func (s *Stream) blockDelta() {
	s.deltaHead()
	s.Out = append(s.Out, `,"delta":{"type":`...)
}

// deltaHead writes a content_block_delta up to the open block's index, in
// one append: a text delta is written on every upstream event.
func (s *Stream) deltaHead() {
	s.Out = append(s.Out, "event: content_block_delta\ndata: "+`{"type":"content_block_delta","index":`...)
	s.Out = jsonw.Int(s.Out, int64(s.next-1))
}

func (s *Stream) blockStop() {
	s.begin("content_block_stop")
	s.Out = append(s.Out, `{"type":"content_block_stop","index":`...)
	s.Out = jsonw.Int(s.Out, int64(s.next-1))
	s.Out = append(s.Out, "}\n\n"...)
}

// keepAlive sends a ping: the client sees activity while Gemini thinks.
func (s *Stream) keepAlive() {
	s.begin("ping")
	s.Out = append(s.Out, `{"type":"ping"}`+"\n\n"...)
}

func (s *Stream) startBlock(thinking bool) {
	s.kind = thinking
	if thinking {
		s.blockStart(`{"type":"thinking","thinking":"","signature":""}`)
	} else {
		s.blockStart(`{"type":"text","text":""}`)
	}
	s.next++
}

func (s *Stream) delta(text string) {
	s.deltaHead()
	if s.kind {
		s.Out = append(s.Out, `,"delta":{"type":"thinking_delta","thinking":`...)
	} else {
		s.Out = append(s.Out, `,"delta":{"type":"text_delta","text":`...)
	}
	s.Out = jsonw.String(s.Out, text)
	s.Out = append(s.Out, "}}\n\n"...)
}

// stopBlock closes the open block; a thinking block gets its one
// signature_delta right before its stop (Accumulate concatenates them).
func (s *Stream) stopBlock(signature string) {
	if s.kind && signature != "" {
		s.blockDelta()
		s.Out = append(s.Out, `"signature_delta","signature":`...)
		s.Out = jsonw.String(s.Out, signature)
		s.Out = append(s.Out, "}}\n\n"...)
	}
	s.blockStop()
}

func (s *Stream) toolUse(id, name, args string) {
	b := make([]byte, 0, 64+len(id)+len(name))
	b = append(b, `{"type":"tool_use","id":`...)
	b = jsonw.String(b, id)
	b = append(b, `,"name":`...)
	b = jsonw.String(b, name)
	b = append(b, `,"input":{}}`...)
	s.blockStart(string(b))
	s.next++
	s.kind = false
	// One input_json_delta with the whole arguments: the call arrived whole.
	s.blockDelta()
	s.Out = append(s.Out, `"input_json_delta","partial_json":`...)
	s.Out = jsonw.String(s.Out, args)
	s.Out = append(s.Out, "}}\n\n"...)
	s.blockStop()
}

// citation adds a citation to the open text block (citations_delta).
func (s *Stream) citation(c []byte) {
	s.blockDelta()
	s.Out = append(s.Out, `"citations_delta","citation":`...)
	s.Out = append(s.Out, c...)
	s.Out = append(s.Out, "}}\n\n"...)
}

// serverBlock writes a server tool block as Anthropic streams them: a
// server_tool_use starts with an empty input that one input_json_delta
// fills (Claude Code reads the query from it); a result block comes whole
// in its content_block_start.
func (s *Stream) serverBlock(block []byte, input string) {
	s.blockStart(string(block))
	s.next++
	s.kind = false
	if input != "" {
		s.blockDelta()
		s.Out = append(s.Out, `"input_json_delta","partial_json":`...)
		s.Out = jsonw.String(s.Out, input)
		s.Out = append(s.Out, "}}\n\n"...)
	}
	s.blockStop()
}
