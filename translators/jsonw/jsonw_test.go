package jsonw

import (
	"encoding/json"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/internal/jsontest"
)

func TestStringRoundTrips(t *testing.T) {
	cases := []string{
		"", "plain", `quote " and \ backslash`, "nl\nret\rtab\t", "\x00\x01\x1f",
		"héllo 世界 🙂", "\u2028\u2029", "bad \xff utf8", "<script>&",
	}
	for _, in := range cases {
		out := String(nil, in)
		var got string
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("String(%q) = %s: not valid JSON: %v", in, out, err)
		}
		want := in
		if in == "bad \xff utf8" {
			want = "bad \ufffd utf8"
		}
		if got != want {
			t.Errorf("String(%q) decoded to %q", in, got)
		}
	}
}

func TestNumbers(t *testing.T) {
	if got := string(Float(Int(Key(nil, "a"), 42), 0.5)); got != `"a":420.5` {
		t.Fatalf("got %s", got)
	}
}

func FuzzString(f *testing.F) {
	f.Add("x\"y\\\n\xff")
	f.Fuzz(func(t *testing.T, s string) {
		if !json.Valid(String(nil, s)) {
			t.Fatalf("invalid JSON for %q", s)
		}
	})
}

func FuzzVerbatim(f *testing.F) {
	for _, s := range []string{`"a\nb"`, `"\ud83d\ude00"`, `"\ud83d"`, `"\ude00\ud83d"`, "\"\xff\"", `"\\ud800"`, `"\uD83D\uDE00 ok"`, "\"\u00e9\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if len(raw) < 2 || raw[0] != '"' || !json.Valid([]byte(raw)) {
			return // Verbatim reads tokens of a validated document
		}
		if got, want := Verbatim(raw), jsontest.Readable([]byte(raw)) == nil; got != want {
			t.Fatalf("Verbatim(%q) = %v, the rune-by-rune reading says %v", raw, got, want)
		}
	})
}
