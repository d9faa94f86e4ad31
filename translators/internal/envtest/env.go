// Package envtest builds translator Envs for tests.
package envtest

import (
	"encoding/json"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
	"github.com/gemini-code-api/gemini-code-api/translators/internal/jsontest"
	"github.com/gemini-code-api/gemini-code-api/translators/jsondepth"
	"github.com/gemini-code-api/gemini-code-api/translators/models"
	"github.com/gemini-code-api/gemini-code-api/translators/translator"
)

// Created is the time (Unix seconds) answers built with Env report.
const Created = 1700000000

// Env is a translator.Env for tests over the model map mm (nil: the
// default map): answers report Created, and ids are numbered in order
// (prefix, then 24 digits), so the same request gives the same answer on
// every run.
func Env(mm *models.Map, opts ...Option) *translator.Env {
	if mm == nil {
		mm = models.Default()
	}
	env := translator.NewEnv(mm)
	n := 0
	env.Now = func() int64 { return Created }
	env.NewID = func(prefix string) string {
		n++
		s := strconv.Itoa(n)
		for len(s) < 24 {
			s = "0" + s
		}
		return prefix + s
	}
	for _, o := range opts {
		o(env)
	}
	return env
}

// Option changes an Env.
type Option func(*translator.Env)

// ReasoningContent turns on translator.Env.ReasoningContent.
func ReasoningContent(e *translator.Env) { e.ReasoningContent = true }

// ThinkingPings turns on translator.Env.ThinkingPings.
func ThinkingPings(e *translator.Env) { e.ThinkingPings = true }

// MaxEmbeddingValues sets translator.Env.MaxEmbeddingValues.
func MaxEmbeddingValues(n int64) Option {
	return func(e *translator.Env) { e.MaxEmbeddingValues = n }
}

// Parse translates in with parse (ParseChat, ParseMessages…) over
// Env(nil, opts...), failing t on a refusal.
func Parse[T any](t testing.TB, parse func([]byte, *translator.Env) (T, *apierror.Error), in string, opts ...Option) T {
	t.Helper()
	r, e := parse([]byte(in), Env(nil, opts...))
	if e != nil {
		t.Fatalf("unexpected error: %v", e)
	}
	return r
}

// ToolResultAsString checks that parse translates in, whose tool result
// holds result, and sends Gemini that result as the string it is: JSON
// inside it, however deep, is not parsed.
func ToolResultAsString[T translator.Translator](t *testing.T, parse func([]byte, *translator.Env) (T, *apierror.Error), in, result string) {
	t.Helper()
	r := Parse(t, parse, in)
	if body := r.UpstreamBody(0); !strings.Contains(string(body), `"response":{"output":"`+result+`"}`) {
		t.Fatalf("the result was not sent as a string: %.300s", body)
	}
}

// ParsesToJSON translates in with parse over env, as a fuzzer does, and
// fails t unless what comes out is JSON: the Gemini body, or errorBody's
// document for a refusal. ok reports a translation.
func ParsesToJSON[T translator.Translator](t *testing.T, parse func([]byte, *translator.Env) (T, *apierror.Error), env *translator.Env, in []byte, errorBody func(*apierror.Error) []byte) (r T, ok bool) {
	t.Helper()
	r, e := parse(in, env)
	if e != nil {
		if !json.Valid(errorBody(e)) {
			t.Fatalf("invalid error body")
		}
		return r, false
	}
	body := r.UpstreamBody(0)
	if !json.Valid(body) {
		t.Fatalf("invalid Gemini body for %s:\n%s", in, body)
	}
	if err := jsontest.Readable(body); err != nil {
		t.Fatalf("Gemini would refuse the body for %s: %v\n%s", in, err, body)
	}
	return r, true
}

// Translation is a request and the Gemini request it becomes: its body, a
// JSON document, its path (unchecked when empty), and the notice the client
// gets (a part of it; empty: none).
type Translation struct{ Name, In, Want, Path, Notice string }

// Translates checks each translation with parse over env (nil: Env(nil)).
func Translates[T translator.Translator](t *testing.T, parse func([]byte, *translator.Env) (T, *apierror.Error), env *translator.Env, cases []Translation) {
	if env == nil {
		env = Env(nil)
	}
	for _, tt := range cases {
		t.Run(tt.Name, func(t *testing.T) {
			r, e := parse([]byte(tt.In), env)
			if e != nil {
				t.Fatalf("unexpected error: %v", e)
			}
			jsontest.Equal(t, r.UpstreamBody(0), tt.Want)
			if err := jsontest.Readable(r.UpstreamBody(0)); err != nil {
				t.Fatalf("Gemini would refuse the body: %v", err)
			}
			if p := r.UpstreamPath(); tt.Path != "" && p != tt.Path {
				t.Fatalf("path %q, want %q", p, tt.Path)
			}
			if n := r.Notice(); (tt.Notice == "") != (n == "") || !strings.Contains(n, tt.Notice) {
				t.Fatalf("notice %q, want one with %q", n, tt.Notice)
			}
		})
	}
}

// SameWithCache fails t unless parse translates body over shared, whose
// declaration cache may hold its tools, to the Gemini request a fresh Env
// gives; what names the translation in a failure. It returns both
// translations for further checks.
func SameWithCache[T translator.Translator](t *testing.T, what string, parse func([]byte, *translator.Env) (T, *apierror.Error), body string, shared *translator.Env) (got, want T) {
	t.Helper()
	got, e := parse([]byte(body), shared)
	if e != nil {
		t.Fatal(e.Message)
	}
	want, _ = parse([]byte(body), Env(nil))
	if g, w := got.UpstreamBody(0), want.UpstreamBody(0); string(g) != string(w) {
		t.Fatalf("%s with the cache:\n%s\nfresh:\n%s", what, g, w)
	}
	return got, want
}

// BenchRequest benchmarks parse on body next to the encoding/json baseline
// (jsontest.BenchRequest).
func BenchRequest[T any](b *testing.B, parse func([]byte, *translator.Env) (T, *apierror.Error), body []byte) {
	env := Env(nil)
	jsontest.BenchRequest(b, body, func(body []byte) error {
		if _, e := parse(body, env); e != nil {
			return e
		}
		return nil
	})
}

// Refusal is a request refused with a 400 that names Param and says Msg.
type Refusal struct{ Name, In, Param, Msg string }

// Rejects checks each refusal with parse over Env(nil): an invalid request,
// a 400 naming Param whose message holds Msg; errorBody checks the
// document the client gets for it.
func Rejects[T any](t *testing.T, parse func([]byte, *translator.Env) (T, *apierror.Error), cases []Refusal, errorBody func(t *testing.T, e *apierror.Error)) {
	for _, tt := range cases {
		t.Run(tt.Name, func(t *testing.T) {
			_, e := parse([]byte(tt.In), Env(nil))
			if e == nil {
				t.Fatal("expected an error")
			}
			if e.Kind != apierror.InvalidRequest || e.Status != 400 || e.Param != tt.Param || !strings.Contains(e.Message, tt.Msg) {
				t.Fatalf("got kind=%d status=%d param=%q msg=%q", e.Kind, e.Status, e.Param, e.Message)
			}
			errorBody(t, e)
		})
	}
}

// RefusesDeep checks the depth limit of request bodies (jsondepth.MaxDepth)
// with parse, on a small stack (jsontest.SmallStack: the recursion of a
// reader that ran before the check would crash the test, as it would crash
// the VM). head is a request body up to the value of its last member, which
// the test completes with a value v and the closing brace, so that the body
// nests one level more than v: with v nesting a hundred thousand levels,
// then one level more than the limit, it is refused as an invalid request
// (400, no param) with exactly the message saying how deep it nests, and
// errorBody checks the document the client gets; with v at the limit, it
// is accepted. more are further refusals of parse, checked the same way
// against their Param and whole Msg.
func RefusesDeep[T any](t *testing.T, parse func([]byte, *translator.Env) (T, *apierror.Error), head string, errorBody func(t *testing.T, e *apierror.Error), more ...Refusal) {
	jsontest.SmallStack(t)
	cases := append([]Refusal{
		{Name: "a hundred thousand levels", In: head + jsontest.Deep(100000) + "}", Msg: "The request body nests JSON 100001 levels deep; the gateway accepts at most 256."},
		{Name: "one level too deep", In: head + jsontest.Deep(jsondepth.MaxDepth) + "}", Msg: "The request body nests JSON 257 levels deep; the gateway accepts at most 256."},
	}, more...)
	for _, tt := range cases {
		t.Run(tt.Name, func(t *testing.T) {
			_, e := parse([]byte(tt.In), Env(nil))
			if e == nil || e.Kind != apierror.InvalidRequest || e.Status != 400 || e.Param != tt.Param || e.Message != tt.Msg {
				t.Fatalf("got %+v", e)
			}
			errorBody(t, e)
		})
	}
	t.Run("at the limit", func(t *testing.T) {
		if _, e := parse([]byte(head+jsontest.Deep(jsondepth.MaxDepth-1)+"}"), Env(nil)); e != nil {
			t.Fatal(e)
		}
	})
}

// RefusesCheaply checks each refusal with parse, and that the refusal cost
// little memory: gjson's ParseBytes copies the body once and the output
// buffer is sized after it; beyond those, only small change. A translator
// that read a huge array whole before refusing its first element would
// copy it.
func RefusesCheaply[T any](t *testing.T, parse func([]byte, *translator.Env) (T, *apierror.Error), cases []Refusal) {
	env := Env(nil)
	for _, tt := range cases {
		t.Run(tt.Name, func(t *testing.T) {
			var e *apierror.Error
			body := []byte(tt.In)
			alloc := jsontest.AllocatedBytes(func() { _, e = parse(body, env) })
			if e == nil || e.Status != 400 || e.Param != tt.Param || !strings.Contains(e.Message, tt.Msg) {
				t.Fatalf("got %+v", e)
			}
			if limit := 2*uint64(len(body)) + 1<<20; alloc > limit {
				t.Fatalf("allocated %d bytes for a %d-byte body (limit %d): the array was copied", alloc, len(body), limit)
			}
		})
	}
}

// Outcome is a translation's line in a golden file: "ERR param | message"
// for a refusal, else the Gemini request body (body is called only then).
func Outcome(e *apierror.Error, body func() []byte) string {
	if e != nil {
		return "ERR " + e.Param + " | " + e.Message
	}
	return string(body())
}

// Golden holds lines, sorted, to the golden file path and reports the first
// line that differs. GCA_UPDATE_GOLDEN=1 rewrites the file.
func Golden(t *testing.T, path string, lines []string) {
	t.Helper()
	slices.Sort(lines)
	got := strings.Join(lines, "\n") + "\n"
	if os.Getenv("GCA_UPDATE_GOLDEN") != "" {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	wantLines, gotLines := strings.Split(string(want), "\n"), strings.Split(got, "\n")
	for i := range max(len(gotLines), len(wantLines)) {
		if i >= len(gotLines) || i >= len(wantLines) || gotLines[i] != wantLines[i] {
			t.Fatalf("%s: line %d differs:\ngot  %s\nwant %s", path, i+1, gotLines[min(i, len(gotLines)-1)], wantLines[min(i, len(wantLines)-1)])
		}
	}
}

// AnsweredUsage checks the usage a call kept from the complete answer body
// it translated (translator.Call.Answered, which the filter's metrics and
// access log read): what reading the answer's usageMetadata alone gives.
// It then forgets it, so the next translation must set it again. For
// jsontest.AnswerDiff's After.
func AnsweredUsage(t testing.TB, c *translator.Call, body []byte, e *apierror.Error) {
	t.Helper()
	if e == nil {
		if got, want := c.Usage(), gemini.ReadUsageBytes(body); got != want {
			t.Errorf("usage of the answer %q = %+v, want %+v", body, got, want)
		}
	}
	c.Answered = gemini.Usage{}
}

// OnPath is s, a client stream whose reader is events, as the differential
// tests run it (jsontest.StreamDiff's New): on the gjson path when slow (no
// fast path: the reference), else on the fast path its Start gave it.
func OnPath(s jsontest.Stream, events *gemini.EventReader, slow bool) jsontest.Stream {
	if slow {
		events.SetFast(nil)
	}
	return s
}

// Counting is s, a client stream whose reader is events, with its fast path
// fast counting in n the events it is given (jsontest.FastEvents).
func Counting(s jsontest.Stream, events *gemini.EventReader, fast gemini.FastHandler, n *int) jsontest.Stream {
	events.SetFast(func(sc *gemini.Scan) (bool, *apierror.Error) { *n++; return fast(sc) })
	return s
}
