package gemini

import (
	"strings"
	"unsafe"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/jsondepth"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonidx"
	"github.com/gemini-code-api/gemini-code-api/translators/sse"
	"github.com/tidwall/gjson"
)

// Event is one GenerateContentResponse of Gemini's SSE stream. Its results
// view the upstream bytes and are valid only during the callback; clone
// any string kept beyond it.
type Event struct {
	Resp       gjson.Result // the whole response
	Candidates gjson.Result // `candidates` (may not exist)
	Usage      Usage        // usageMetadata; Present is false without one
}

// EventReader turns the bytes of streamGenerateContent?alt=sse into
// Events as they arrive, for every client protocol: SSE framing for any
// split of the bytes, JSON validation, mid-stream error objects (Gemini
// sends them as a `data:` event or as a bare line, array-wrapped or not; see
// docs/gemini-wire-notes.md#streaming), and one pass over each event's top
// level.
type EventReader struct {
	parser sse.Parser
	idx    jsonidx.Object
	err    *apierror.Error
	// fast is the translator's fast path (SetFast); nil: every event
	// takes the gjson path.
	fast FastHandler
	scan Scan
	// usage is the last usageMetadata of the stream; when due, the newer
	// one is usageRaw, a copy of its bytes read only when asked (Usage):
	// Gemini sends one on every event and only the last one counts.
	usage    Usage
	usageRaw []byte
	due      bool
	// blocked is the last promptFeedback.blockReason (the prompt was
	// blocked: no candidates follow), cloned.
	blocked string
}

// Blocked is why Gemini blocked the prompt, "" when it did not say so: a
// stream that ends with no candidate is then a refusal, not a cut.
func (r *EventReader) Blocked() string { return r.blocked }

// Usage is the last usage Gemini reported: running values, the last one
// authoritative.
func (r *EventReader) Usage() Usage {
	if r.due {
		r.due = false
		r.usage = UsageOf(gjson.Result{Type: gjson.JSON, Raw: unsafe.String(unsafe.SliceData(r.usageRaw), len(r.usageRaw))})
	}
	return r.usage
}

// FastHandler translates an event read by the scan (Scan), whose Usage
// is left to the reader (EventReader.Usage). It returns
// false, having written nothing and changed nothing, for an event it
// leaves to the gjson path, which then gets it as an Event.
type FastHandler func(*Scan) (handled bool, err *apierror.Error)

// SetFast gives the reader a fast path: Feed and Finish then scan each
// event once (Scan) and hand it to fast; an event the scan cannot read, or
// fast declines, goes to their fn as an Event. A translator sets it when
// its stream starts, once (a method value allocates); nil, the default,
// sends every event down the gjson path (the reference of the
// differential tests).
func (r *EventReader) SetFast(fast FastHandler) {
	r.fast = fast
	r.scan.lazyUsage = true
}

// Feed reads a chunk and calls fn for each complete event. It returns the
// error that ends the stream (an upstream error object, unreadable bytes),
// after which the reader ignores everything.
func (r *EventReader) Feed(chunk []byte, fn func(Event) *apierror.Error) *apierror.Error {
	if r.err != nil {
		return r.err
	}
	if err := r.parser.Feed(chunk, func(ev sse.Event) error { return r.event(ev, fn) }); err != nil && r.err == nil {
		r.err = apierror.New(apierror.BadGateway, "Gemini's stream could not be read: "+err.Error())
	}
	return r.err
}

// Finish delivers an event left unterminated at the end of the body.
func (r *EventReader) Finish(fn func(Event) *apierror.Error) *apierror.Error {
	if r.err != nil {
		return r.err
	}
	if err := r.parser.Finish(func(ev sse.Event) error { return r.event(ev, fn) }); err != nil && r.err == nil {
		r.err = apierror.New(apierror.BadGateway, "Gemini's stream could not be read: "+err.Error())
	}
	return r.err
}

// stop is returned to the SSE parser to stop at the first error.
type stop struct{}

func (stop) Error() string { return "stopped" }

func (r *EventReader) event(ev sse.Event, fn func(Event) *apierror.Error) error {
	if r.err != nil {
		return stop{}
	}
	if r.fast != nil && !ev.Bare && r.scan.Read(ev.Data) {
		if u := r.scan.UsageRaw; u != "" {
			r.usageRaw = append(r.usageRaw[:0], u...)
			r.due = true
		}
		handled, err := r.fast(&r.scan)
		if err != nil {
			r.err = err
			return stop{}
		}
		if handled {
			return nil
		}
	}
	valid, tooDeep := jsondepth.ReadAnswer(ev.Data) // before gjson, which recurses per level
	if tooDeep != nil {
		r.err = tooDeep
		return stop{}
	}
	if !valid {
		r.err = apierror.New(apierror.BadGateway, "Gemini's stream carried an event that is not JSON.")
		return stop{}
	}
	// Parsed in place: the event's bytes live until this call returns.
	resp := gjson.Parse(unsafe.String(unsafe.SliceData(ev.Data), len(ev.Data)))
	if !r.idx.Load(resp) {
		r.err = apierror.New(apierror.BadGateway, "Gemini's stream carried an event with more than "+apierror.Itoa(jsonidx.MaxFields)+" top-level fields.")
		return stop{}
	}
	if !resp.IsObject() || r.idx.Get("error").Exists() {
		r.err = apierror.FromGemini(0, ev.Data)
		return stop{}
	}
	e := Event{
		Resp:       resp,
		Candidates: r.idx.Get("candidates"),
		Usage:      UsageOf(r.idx.Get("usageMetadata")),
	}
	if e.Usage.Present {
		r.usage, r.due = e.Usage, false
	}
	if br := r.idx.Get("promptFeedback").Get("blockReason").String(); br != "" {
		r.blocked = strings.Clone(br)
	}
	if err := fn(e); err != nil {
		r.err = err
		return stop{}
	}
	return nil
}
