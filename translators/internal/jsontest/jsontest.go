// Package jsontest holds assertions the translator tests share.
package jsontest

import (
	"encoding/json"
	"reflect"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// Equal fails t unless got and want are the same JSON document (key order
// and spacing aside).
func Equal(t testing.TB, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want: %v\n%s", err, want)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// Member is the member name of doc, a JSON object (nil when absent); t
// fails when doc is not one.
func Member(t testing.TB, doc []byte, name string) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatalf("not a JSON object: %v\n%s", err, doc)
	}
	return m[name]
}

// SameEvents fails t unless got, the events a stream wrote (in the test's
// notation), are want, one by one.
func SameEvents(t testing.TB, label string, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d events, want %d:\n%s", label, len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s: event %d\n got  %s\n want %s", label, i, got[i], want[i])
		}
	}
}

// SmallStack caps goroutine stacks at 1 MiB for the rest of the test. Native
// Go grows a stack to a gigabyte, so a recursion as deep as a hostile
// document would pass unnoticed; V8 gives a Wasm module far less and traps
// near ten thousand levels of gjson's recursion. With the cap, such a
// recursion crashes the test binary ("stack overflow") as it would crash
// Envoy's VM, while the bounded recursion the translators allow (a few
// hundred levels) fits easily.
func SmallStack(t testing.TB) {
	old := debug.SetMaxStack(1 << 20)
	t.Cleanup(func() { debug.SetMaxStack(old) })
}

// Deep is n nested arrays around a number: a document that nests n levels.
func Deep(n int) string {
	return strings.Repeat("[", n) + "1" + strings.Repeat("]", n)
}

// AllocatedBytes is how many bytes of heap f allocates. Tests use it to show
// that a translator refusing a huge array did not first copy every element
// (gjson's Array makes an 80-byte Result per element before any check).
func AllocatedBytes(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// MatchedLinearly fails t unless the n tool results of a request were
// matched to their calls in linear work (lookups: pending calls examined,
// at most 2n) and all sent in contents (Gemini's contents).
func MatchedLinearly(t testing.TB, lookups, n int, contents string) {
	t.Helper()
	if lookups > 2*n {
		t.Fatalf("%d pending calls examined to match %d results", lookups, n)
	}
	if got := strings.Count(contents, `"functionResponse"`); got != n {
		t.Fatalf("%d results sent, want %d", got, n)
	}
}

// Many is a JSON array: first, then n copies of filler.
func Many(first, filler string, n int) string {
	return "[" + first + strings.Repeat(","+filler, n) + "]"
}

// GroundedCandidate is a candidate as Gemini returns it with Google Search:
// redirect URIs, domains as titles, supports with byte offsets (the second
// part's from its own start), a multi-byte character.
const GroundedCandidate = `{"content":{"role":"model","parts":[{"text":"Der Zürichsee ist etwa 40 km lang. "},{"text":"Sein Wasser 🌊 ist sehr sauber."}]},
 "finishReason":"STOP","index":0,
 "groundingMetadata":{
  "webSearchQueries":["Zürichsee Länge","Zürichsee Wasserqualität"],
  "searchEntryPoint":{"renderedContent":"<style>.container{}</style><div class=\"container\"></div>"},
  "groundingChunks":[
   {"web":{"uri":"https://vertexaisearch.cloud.google.com/grounding-api-redirect/AWQVqAKa1","title":"wikipedia.org"}},
   {"web":{"uri":"https://vertexaisearch.cloud.google.com/grounding-api-redirect/AWQVqAKb2","title":"zuerich.com"}}],
  "groundingSupports":[
   {"segment":{"endIndex":35,"text":"Der Zürichsee ist etwa 40 km lang."},"groundingChunkIndices":[0]},
   {"segment":{"partIndex":1,"endIndex":33,"text":"Sein Wasser 🌊 ist sehr sauber."},"groundingChunkIndices":[1,0]}],
  "retrievalMetadata":{}}}`

// MalformedCall is a functionCall part Gemini got wrong, and what the
// gateway's error calls it.
type MalformedCall struct{ Name, Part, What string }

// MalformedCalls are the functionCall parts the client could neither run
// nor answer: not an object, no name, args that are not an object.
var MalformedCalls = []MalformedCall{
	{"not an object", `{"functionCall":"get_weather"}`, "a functionCall that is not an object"},
	{"null", `{"functionCall":null}`, "a functionCall that is not an object"},
	{"no name", `{"functionCall":{"args":{}}}`, "a functionCall without a name"},
	{"empty name", `{"functionCall":{"name":"","args":{}}}`, "a functionCall without a name"},
	{"name not a string", `{"functionCall":{"name":7}}`, "a functionCall without a name"},
	{"args not an object", `{"functionCall":{"name":"f","args":[1]}}`, "a functionCall whose args are not an object"},
}

// Answer is a Gemini answer holding the part.
func (m MalformedCall) Answer() string {
	return `{"candidates":[{"content":{"parts":[{"text":"Let me check."},` + m.Part + `]},"finishReason":"STOP"}],"responseId":"i"}`
}

// Message is the error message the client gets.
func (m MalformedCall) Message() string {
	return "Gemini produced an invalid tool call (" + m.What + "); the answer was discarded. Retrying the request usually succeeds."
}

// The grounding redirects of GroundedCandidate and GroundedStream.
const (
	URIA = "https://vertexaisearch.cloud.google.com/grounding-api-redirect/AWQVqAKa1"
	URIB = "https://vertexaisearch.cloud.google.com/grounding-api-redirect/AWQVqAKb2"
)

// GroundedStream is GroundedCandidate's answer as Gemini streams it: the
// text in pieces, the grounding (offsets over the whole text) with the last
// event, whose other members are extra (the usage, say).
func GroundedStream(extra string) string {
	events := []string{
		`{"candidates":[{"content":{"role":"model","parts":[{"text":"Der Zürichsee ist etwa 40 km lang. "}]},"index":0}],"responseId":"r"}`,
		`{"candidates":[{"content":{"role":"model","parts":[{"text":"Sein Wasser 🌊 ist"}]},"index":0}],"responseId":"r"}`,
		`{"candidates":[{"content":{"role":"model","parts":[{"text":" sehr sauber."}]},"finishReason":"STOP","index":0,
		  "groundingMetadata":{"webSearchQueries":["Zürichsee Länge","Zürichsee Wasserqualität"],
		   "groundingChunks":[{"web":{"uri":"` + URIA + `","title":"wikipedia.org"}},{"web":{"uri":"` + URIB + `","title":"zuerich.com"}}],
		   "groundingSupports":[{"segment":{"endIndex":35,"text":"Der Zürichsee ist etwa 40 km lang."},"groundingChunkIndices":[0]},
		    {"segment":{"startIndex":36,"endIndex":69,"text":"Sein Wasser 🌊 ist sehr sauber."},"groundingChunkIndices":[1,0]}]}}],` + extra + `"responseId":"r"}`,
	}
	var up string
	for _, ev := range events {
		up += "data: " + strings.ReplaceAll(ev, "\n", "") + "\r\n\r\n"
	}
	return up
}

// DeepAnswer is an answer whose functionCall args nest deeper than the
// gateway reads; DeepAnswerError the message of the 502 it earns.
const DeepAnswerError = "Gemini's answer nests JSON 100008 levels deep; the gateway reads at most 256."

// DeepAnswer is the answer of DeepAnswerError.
func DeepAnswer() string {
	return `{"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":{"a":` + Deep(100000) + `}}}]},"finishReason":"STOP"}]}`
}
