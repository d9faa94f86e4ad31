package jsontest

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
)

// The differential tests of the answer translators' fast path (gemini.Scan)
// send the same Gemini answers through the fast path and through the gjson
// path (the reference, forced by the translator's `slow` switch): the
// client bytes must be identical but for the random ids. Each translator
// says how to start its stream or translate an answer on either path; the
// runners below are the same for all of them.

// SameBytes fails t unless fast and slow, what the two paths wrote for up,
// are the same bytes but for the random ids (NormalizeIDs).
func SameBytes(t testing.TB, label string, up, fast, slow []byte) {
	t.Helper()
	if f, s := NormalizeIDs(fast), NormalizeIDs(slow); !bytes.Equal(f, s) {
		t.Fatalf("%s: the fast path differs for %q\nfast: %s\nslow: %s", label, up, f, s)
	}
}

// StreamDiff compares a stream translation on its two paths, for each of
// Requests (the translator's options: thinking, candidates, tools...).
type StreamDiff[R any] struct {
	Label    string
	Requests []R
	Ups      []string // upstream SSE bodies
	// New starts r's stream, on the gjson path when slow.
	New func(r R, slow bool) Stream
}

func (d StreamDiff[R]) check(t testing.TB, r R, up []byte, cut int) {
	t.Helper()
	fast, slow := d.New(r, false), d.New(r, true)
	SameBytes(t, d.Label, up, WriteSplit(fast, up, cut), WriteSplit(slow, up, cut))
	// What the stream reports for metrics and access logs: the same too.
	if f, s := reported(fast), reported(slow); !reflect.DeepEqual(f, s) {
		t.Fatalf("%s: the fast path reports %v for %q, the slow path %v", d.Label, f, up, s)
	}
}

// reported is what a stream reports besides its bytes: the results of its
// Usage and Failed methods (translator.Stream's), when it has them.
func reported(s Stream) []any {
	var out []any
	v := reflect.ValueOf(s)
	for _, name := range []string{"Usage", "Failed"} {
		if m := v.MethodByName(name); m.IsValid() && m.Type().NumIn() == 0 {
			for _, r := range m.Call(nil) {
				out = append(out, r.Interface())
			}
		}
	}
	return out
}

// Test compares the paths on every body of Ups, cut in two every 7 bytes
// (an event split between chunks), for every request.
func (d StreamDiff[R]) Test(t *testing.T) {
	for _, up := range d.Ups {
		for cut := 0; cut <= len(up); cut += 7 {
			for _, r := range d.Requests {
				d.check(t, r, []byte(up), cut)
			}
		}
	}
}

// Fuzz compares the paths on any body, cut anywhere, for any one request;
// Ups are the seeds.
func (d StreamDiff[R]) Fuzz(f *testing.F) {
	for _, up := range d.Ups {
		f.Add([]byte(up), len(up)/3, uint8(len(up)))
	}
	f.Fuzz(func(t *testing.T, up []byte, cut int, which uint8) {
		d.check(t, d.Requests[int(which)%len(d.Requests)], up, cut)
	})
}

// FastEvents fails t unless, for each of rs, want of up's events take the
// fast path: it guards the differential tests against comparing the gjson
// path with itself. counted starts r's stream, counting in n the events
// that take the fast path.
func FastEvents[R any](t *testing.T, rs []R, counted func(r R, n *int) Stream, up string, want int) {
	for _, r := range rs {
		n := 0
		s := counted(r, &n)
		s.Close(s.Write(nil, []byte(up)))
		if n != want {
			t.Fatalf("%d of %d events took the fast path", n, want)
		}
	}
}

// AnswerCheck compares a whole-answer translation on its two paths.
type AnswerCheck interface {
	Check(t testing.TB, body []byte)
}

// AnswerDiff is the AnswerCheck of a translator, for each of Requests.
type AnswerDiff[R any] struct {
	Label    string
	Requests []R
	// Fast translates body for r as the translator does (the fast path
	// when it can), Slow on the gjson path.
	Fast, Slow func(r R, body []byte) ([]byte, *apierror.Error)
	// ErrorBody is the translator's error document: an error must be the
	// same on both paths too.
	ErrorBody func(*apierror.Error) []byte
	// After, when set, checks r after each path translated body (what a
	// translation keeps besides its bytes, such as the answer's usage); e
	// is the translation's error.
	After func(t testing.TB, r R, body []byte, e *apierror.Error)
}

// Check compares the paths on body for every request.
func (d AnswerDiff[R]) Check(t testing.TB, body []byte) {
	t.Helper()
	for _, r := range d.Requests {
		fast := d.run(t, r, body, d.Fast)
		slow := d.run(t, r, body, d.Slow)
		SameBytes(t, d.Label, body, fast, slow)
	}
}

// run translates body for r on one path, checks r with After, and returns
// the answer's bytes (answer).
func (d AnswerDiff[R]) run(t testing.TB, r R, body []byte, path func(R, []byte) ([]byte, *apierror.Error)) []byte {
	t.Helper()
	out, e := path(r, body)
	if d.After != nil {
		d.After(t, r, body, e)
	}
	return d.answer(out, e)
}

// answer is a translation's bytes, or its error's.
func (d AnswerDiff[R]) answer(out []byte, e *apierror.Error) []byte {
	if e != nil {
		return append([]byte("error: "), d.ErrorBody(e)...)
	}
	return out
}

// TestAnswers runs every check on every body.
func TestAnswers(t *testing.T, bodies []string, checks ...AnswerCheck) {
	for _, body := range bodies {
		for _, c := range checks {
			c.Check(t, []byte(body))
		}
	}
}

// FuzzAnswers runs every check on any body; bodies are the seeds.
func FuzzAnswers(f *testing.F, bodies []string, checks ...AnswerCheck) {
	for _, body := range bodies {
		f.Add([]byte(body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, c := range checks {
			c.Check(t, body)
		}
	})
}

// EventsOf is the events of SSE bodies, each a whole answer for the
// differential tests of whole answers.
func EventsOf(ups []string) []string {
	var out []string
	for _, up := range ups {
		for _, ev := range strings.Split(up, "\r\n\r\n") {
			if d, ok := strings.CutPrefix(ev, "data: "); ok {
				out = append(out, d)
			}
		}
	}
	return out
}
