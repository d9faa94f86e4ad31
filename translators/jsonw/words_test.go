package jsonw

import (
	"bytes"
	"testing"
)

// bytewise is appendEscaped without its eight-bytes-at-a-time loop: the
// reference the word loop must match byte for byte.
func bytewise(dst []byte, s string) []byte { return escape(dst, s, false) }

// TestWordsMatchBytewise puts every byte value at every position of a
// 17-byte string of plain text (so in either of two words or the tail),
// and the multi-byte characters that need a look across word boundaries.
func TestWordsMatchBytewise(t *testing.T) {
	check := func(s string) {
		t.Helper()
		if got, want := appendEscaped(nil, s), bytewise(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("appendEscaped(%q) = %q, want %q", s, got, want)
		}
	}
	plain := []byte("abcdefghijklmnopq")
	for pos := range plain {
		for c := 0; c < 256; c++ {
			b := bytes.Clone(plain)
			b[pos] = byte(c)
			check(string(b))
		}
		for _, r := range []string{"é", "\u2028", "\u2029", "😀", "\xe2\x80", "\xff"} {
			check(string(plain[:pos]) + r + string(plain[pos:]))
		}
	}
}

func FuzzWordsMatchBytewise(f *testing.F) {
	f.Add("plain text, long enough for two words \"quoted\" \\ \n\u2028 é \xff")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := appendEscaped(nil, s), bytewise(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("appendEscaped(%q) = %q, want %q", s, got, want)
		}
	})
}
