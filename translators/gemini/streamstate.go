package gemini

import (
	"strings"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
)

// StreamState is what every client stream translator keeps beside its own
// state: the reader of Gemini's events, the output of the current Write or
// Close, and how the stream ended. Embedded in a translator's stream and
// bound to it (Start), it provides translator.Stream: Write and Close run
// the stream's EventTranslator, Failed and Usage report the end.
type StreamState struct {
	Events EventReader
	Out    []byte // output of the current Write or Close
	Done   bool   // finished, or an error was emitted: ignore the rest
	Broken bool   // the stream ended with an error event
	t      EventTranslator
}

// EventTranslator is a client protocol's translation of Gemini's stream,
// which StreamState drives. Each writes to the StreamState's Out.
type EventTranslator interface {
	// Event translates an event read through gjson.
	Event(Event) *apierror.Error
	// FastEvent translates an event read by the scan, or returns false,
	// having done nothing, to have it read through gjson (FastHandler).
	FastEvent(*Scan) (handled bool, err *apierror.Error)
	// Fail writes the client's error event and ends the stream (Done).
	Fail(*apierror.Error)
	// Finish writes the end of a stream whose events all arrived, or
	// Fails it when Gemini had not finished it.
	Finish()
}

// Start binds the stream's translator t (the stream that embeds s) and
// gives the reader t's fast path; once, when the stream starts (an
// interface: Write and Close then allocate nothing to reach it).
func (s *StreamState) Start(t EventTranslator) {
	s.t = t
	s.Events.SetFast(t.FastEvent)
}

// Failed reports whether the stream ended with an error event.
func (s *StreamState) Failed() bool { return s.Broken }

// Blocked is why Gemini blocked the prompt, "" when it did not say so.
func (s *StreamState) Blocked() string { return s.Events.Blocked() }

// Usage is the last usage Gemini reported (for metrics and access logs):
// running values, the last one authoritative. An event's usage is there
// before the translator gets the event.
func (s *StreamState) Usage() Usage { return s.Events.Usage() }

// Write consumes an upstream chunk: dst becomes the output, the complete
// events of chunk go to the translator's Event; an error that ends the
// stream (an error object sent mid-stream, unreadable bytes) goes to its
// Fail. It returns the output.
func (s *StreamState) Write(dst, chunk []byte) []byte {
	s.Out = dst
	if !s.Done {
		if e := s.Events.Feed(chunk, s.t.Event); e != nil {
			s.t.Fail(e)
		}
	}
	return s.Out
}

// Close ends the stream at the end of the upstream body: dst becomes the
// output, an event left unterminated is delivered, then the translator's
// Finish writes the end, unless the stream ended already or ends now
// through Fail. It returns the output.
func (s *StreamState) Close(dst []byte) []byte {
	s.Out = dst
	if s.Done {
		return s.Out
	}
	if e := s.Events.Finish(s.t.Event); e != nil {
		s.t.Fail(e)
		return s.Out
	}
	s.t.Finish()
	return s.Out
}

// KeepFinish keeps a stream's finishReason f in *finish past the event
// (cloned; "" leaves *finish as it is) and returns the error of a
// malformed call: never a silent empty success.
func KeepFinish(finish *string, f string) *apierror.Error {
	if f == "" {
		return nil
	}
	*finish = strings.Clone(f)
	if ClassifyFinish(f) == FinishMalformed {
		return MalformedCallError(f)
	}
	return nil
}
