package gemini

import (
	"strings"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
)

// StreamState is what every client stream translator keeps beside its own
// state: the reader of Gemini's events, the output of the current Write or
// Close, and how the stream ended. Embedded in a translator's stream, it
// provides translator.Stream's Failed and Usage.
type StreamState struct {
	Events EventReader
	Out    []byte // output of the current Write or Close
	Done   bool   // finished, or an error was emitted: ignore the rest
	Broken bool   // the stream ended with an error event
}

// Failed reports whether the stream ended with an error event.
func (s *StreamState) Failed() bool { return s.Broken }

// Usage is the last usage Gemini reported (for metrics and access logs):
// running values, the last one authoritative. An event's usage is there
// before the translator gets the event.
func (s *StreamState) Usage() Usage { return s.Events.Usage() }

// Feed is a translator's Write: it sets dst as the output and runs the
// complete events of chunk through event; an error that ends the stream
// (an error object sent mid-stream, unreadable bytes) goes to fail, which
// writes the client's error event and sets Done. It returns the output.
func (s *StreamState) Feed(dst, chunk []byte, event func(Event) *apierror.Error, fail func(*apierror.Error)) []byte {
	s.Out = dst
	if !s.Done {
		if e := s.Events.Feed(chunk, event); e != nil {
			fail(e)
		}
	}
	return s.Out
}

// End begins a translator's Close: it sets dst as the output and delivers
// an event left unterminated at the end of the body. It reports whether
// Close has its ending to write: false when the stream already ended or
// ends now through fail.
func (s *StreamState) End(dst []byte, event func(Event) *apierror.Error, fail func(*apierror.Error)) bool {
	s.Out = dst
	if s.Done {
		return false
	}
	if e := s.Events.Finish(event); e != nil {
		fail(e)
		return false
	}
	return true
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
