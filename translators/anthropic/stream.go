package anthropic

import (
	"strings"

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
	req     *MessagesRequest
	events  gemini.EventReader
	m       machine
	next    int  // index of the next content block: contiguous from 0 (Anthropic's SDK rejects gaps)
	kind    bool // the open block is a thinking block
	started bool // message_start was sent
	usage   gemini.Usage
	finish  string // last non-empty finishReason of candidate 0
	blocked string // promptFeedback.blockReason
	done    bool   // finished, or an error was emitted: ignore the rest
	failed  bool   // the stream ended with an error event
	out     []byte // output of the current Write
}

// NewStream starts a stream translation.
func (r *MessagesRequest) NewStream() translator.Stream {
	s := &Stream{req: r, m: r.newMachine()}
	s.events.SetFast(s.fastEvent)
	return s
}

// Write consumes an upstream chunk and appends the client bytes it
// completes to dst.
func (s *Stream) Write(dst, chunk []byte) []byte {
	s.out = dst
	if s.done {
		return s.out
	}
	if e := s.events.Feed(chunk, s.event); e != nil {
		s.fail(e) // an error object sent mid-stream, or unreadable bytes
	}
	return s.out
}

// Close ends the stream at the end of the upstream body: open block closed,
// message_delta, message_stop; or an error event when the upstream ended
// before it said how the answer finished.
func (s *Stream) Close(dst []byte) []byte {
	s.out = dst
	if s.done {
		return s.out
	}
	if e := s.events.Finish(s.event); e != nil {
		s.fail(e)
		return s.out
	}
	f := gemini.ClassifyFinish(s.finish)
	if f == gemini.FinishNone && s.blocked != "" {
		f = gemini.FinishFiltered // blocked prompt: refusal
	}
	if !s.started || f == gemini.FinishNone {
		s.fail(gemini.TruncatedError())
		return s.out
	}
	s.m.finish(s)
	s.begin("message_delta")
	s.out = append(s.out, `{"type":"message_delta","delta":{"stop_reason":`...)
	s.out = jsonw.String(s.out, stopReason(f, s.m.calls > 0))
	s.out = append(s.out, `,"stop_sequence":null},"usage":{"output_tokens":`...)
	s.out = jsonw.Int(s.out, s.usage.Output())
	s.out = append(s.out, `,"input_tokens":`...)
	s.out = jsonw.Int(s.out, inputTokens(s.usage))
	s.out = append(s.out, `,"cache_read_input_tokens":`...)
	s.out = jsonw.Int(s.out, s.usage.Cached)
	s.out = appendServerToolUse(s.out, s.m.g)
	s.out = append(s.out, "}}\n\n"...)
	s.begin("message_stop")
	s.out = append(s.out, `{"type":"message_stop"}`+"\n\n"...)
	s.done = true
	return s.out
}

// Failed reports whether the stream ended with an error event.
func (s *Stream) Failed() bool { return s.failed }

// Usage is the last usage Gemini reported (for metrics and access logs).
func (s *Stream) Usage() gemini.Usage { return s.usage }

// begin writes the `event:` line and the `data: ` prefix; the caller writes
// the JSON whose `type` equals name (the SDK dispatches on the event name).
// Not inlined: its three appends at each caller cost 11 KB of Wasm.
//
//go:noinline
func (s *Stream) begin(name string) {
	s.out = append(s.out, "event: "...)
	s.out = append(s.out, name...)
	s.out = append(s.out, "\ndata: "...)
}

// fail emits Anthropic's error event; nothing follows it.
func (s *Stream) fail(e *apierror.Error) {
	s.begin("error")
	s.out = append(s.out, ErrorBody(e)...)
	s.out = append(s.out, "\n\n"...)
	s.done = true
	s.failed = true
}

func (s *Stream) event(ev gemini.Event) *apierror.Error {
	if ev.Usage.Present {
		s.usage = ev.Usage // running values; the last one is authoritative
	}
	if !s.started {
		s.messageStart(ev.Resp)
	}
	if ev.BlockReason != "" {
		s.blocked = ev.BlockReason
	}
	cand := candidate0Of(ev.Candidates)
	if f := cand.Get("finishReason").String(); f != "" {
		s.finish = strings.Clone(f) // kept past the event
		if gemini.ClassifyFinish(f) == gemini.FinishMalformed {
			return gemini.MalformedCallError(f) // never a silent empty success
		}
	}
	s.m.event(s, cand)
	var failure *apierror.Error
	cand.Get("content.parts").ForEach(func(k, p gjson.Result) bool {
		failure = s.m.part(s, int(k.Int()), p)
		return failure == nil
	})
	if failure == nil {
		s.m.endEvent(s)
	}
	return failure
}

func (s *Stream) messageStart(resp gjson.Result) { s.messageStartID(s.req.messageID(resp)) }

func (s *Stream) messageStartID(id string) {
	s.started = true
	s.begin("message_start")
	s.out = append(s.out, `{"type":"message_start","message":{"id":`...)
	s.out = jsonw.String(s.out, id)
	s.out = append(s.out, `,"type":"message","role":"assistant","model":`...)
	s.out = jsonw.String(s.out, s.req.Model)
	s.out = append(s.out, `,"content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":`...)
	s.out = jsonw.Int(s.out, inputTokens(s.usage))
	s.out = append(s.out, `,"output_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":`...)
	s.out = jsonw.Int(s.out, s.usage.Cached)
	s.out = append(s.out, "}}}\n\n"...)
	s.keepAlive()
}

func (s *Stream) blockStart(block string) {
	s.begin("content_block_start")
	s.out = append(s.out, `{"type":"content_block_start","index":`...)
	s.out = jsonw.Int(s.out, int64(s.next))
	s.out = append(s.out, `,"content_block":`...)
	s.out = append(s.out, block...)
	s.out = append(s.out, "}\n\n"...)
}

// blockDelta writes a content_block_delta for the open block; the caller
// appends the delta's fields after `"delta":{"type":`.
func (s *Stream) blockDelta() {
	s.begin("content_block_delta")
	s.out = append(s.out, `{"type":"content_block_delta","index":`...)
	s.out = jsonw.Int(s.out, int64(s.next-1))
	s.out = append(s.out, `,"delta":{"type":`...)
}

func (s *Stream) blockStop() {
	s.begin("content_block_stop")
	s.out = append(s.out, `{"type":"content_block_stop","index":`...)
	s.out = jsonw.Int(s.out, int64(s.next-1))
	s.out = append(s.out, "}\n\n"...)
}

// keepAlive sends a ping: the client sees activity while Gemini thinks.
func (s *Stream) keepAlive() {
	s.begin("ping")
	s.out = append(s.out, `{"type":"ping"}`+"\n\n"...)
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
	s.blockDelta()
	if s.kind {
		s.out = append(s.out, `"thinking_delta","thinking":`...)
	} else {
		s.out = append(s.out, `"text_delta","text":`...)
	}
	s.out = jsonw.String(s.out, text)
	s.out = append(s.out, "}}\n\n"...)
}

// stopBlock closes the open block; a thinking block gets its one
// signature_delta right before its stop (Accumulate concatenates them).
func (s *Stream) stopBlock(signature string) {
	if s.kind && signature != "" {
		s.blockDelta()
		s.out = append(s.out, `"signature_delta","signature":`...)
		s.out = jsonw.String(s.out, signature)
		s.out = append(s.out, "}}\n\n"...)
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
	s.out = append(s.out, `"input_json_delta","partial_json":`...)
	s.out = jsonw.String(s.out, args)
	s.out = append(s.out, "}}\n\n"...)
	s.blockStop()
}

// citation adds a citation to the open text block (citations_delta).
func (s *Stream) citation(c []byte) {
	s.blockDelta()
	s.out = append(s.out, `"citations_delta","citation":`...)
	s.out = append(s.out, c...)
	s.out = append(s.out, "}}\n\n"...)
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
		s.out = append(s.out, `"input_json_delta","partial_json":`...)
		s.out = jsonw.String(s.out, input)
		s.out = append(s.out, "}}\n\n"...)
	}
	s.blockStop()
}
