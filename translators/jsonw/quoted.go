package jsonw

import (
	"math/bits"
	"unicode/utf8"
)

// Quoted is a JSON string token, quotes included, that may be written as
// it stands. The request translators carry a client's texts this way:
// a text read from the client's JSON keeps its escapes and is copied into
// Gemini's request, where decoding it and escaping it again cost about a
// quarter of translating a coding agent's turn, most of it the long
// system prompt, tool descriptions and tool results.
type Quoted string

// Quote escapes s as String writes it. Quote, Append and Joined.Add are
// not inlined, as String is not: copies of their appends at every caller
// (and in the wrappers of method values) cost the module kilobytes.
//
//go:noinline
func Quote(s string) Quoted {
	if s == "" {
		return `""`
	}
	return Quoted(String(make([]byte, 0, len(s)+2), s))
}

// Empty reports whether q is the empty string (or unset).
func (q Quoted) Empty() bool { return len(q) <= 2 }

// Append writes q; an unset q is written as "".
//
//go:noinline
func Append(dst []byte, q Quoted) []byte {
	if q == "" {
		return append(dst, '"', '"')
	}
	return append(dst, q...)
}

// Verbatim reports whether raw, a string token of a JSON document that
// passed validation (its escapes and control bytes are checked), may be
// copied as it stands into the JSON Gemini reads; or any stretch of such a
// document, a whole value for one (outside its strings JSON has no
// backslash and no byte past ASCII). Validation leaves two
// things unchecked that Gemini's parser refuses and String repairs: bytes
// that are not UTF-8, and an escaped UTF-16 surrogate without its other
// half (`\ud83d` alone). A token with either must be decoded and written
// by String. Eight bytes are passed at a time while none of them is a
// backslash or part of a multi-byte character: a byte loop costs several
// times that in Wasm.
func Verbatim(raw string) bool {
	const backslashes = 0x5c5c5c5c5c5c5c5c
	for i := 0; i < len(raw); {
		if len(raw)-i >= 8 {
			x := load64(raw, i)
			b := x ^ backslashes
			m := ((b-lsb)&^b | x) & msb
			if m == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(m) >> 3 // the first byte flagged, as in escape
		}
		switch c := raw[i]; {
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRuneInString(raw[i:])
			if r == utf8.RuneError && size == 1 {
				return false
			}
			i += size
		case c != '\\':
			i++
		case i+1 < len(raw) && raw[i+1] == 'u':
			switch surrogate(raw, i+2) {
			case 'h': // a high half must have a low half next
				if surrogate(raw, i+8) != 'l' || raw[i+6] != '\\' || raw[i+7] != 'u' {
					return false
				}
				i += 12
			case 'l':
				return false
			default:
				i += 6
			}
		default:
			i += 2 // the escaped byte, which may be a backslash
		}
	}
	return true
}

// surrogate classifies the four hex digits at raw[i:]: 'h' for a high
// surrogate (D800–DBFF), 'l' for a low one (DC00–DFFF), 0 for anything
// else, including too few bytes.
func surrogate(raw string, i int) byte {
	if i+4 > len(raw) || raw[i]|0x20 != 'd' {
		return 0
	}
	switch raw[i+1] | 0x20 {
	case '8', '9', 'a', 'b':
		return 'h'
	case 'c', 'd', 'e', 'f':
		return 'l'
	}
	return 0
}

// Joined joins texts into one token, Sep between them: a single text (the
// common case) is kept as it is, uncopied, and more are appended to one
// buffer. The zero value joins with nothing between.
type Joined struct {
	Sep   string // escaped already, as `\n`
	first Quoted
	buf   []byte
}

// Add appends q's text; an empty q is skipped, as Gemini refuses empty
// text (and the clients' own joins skip them).
//
//go:noinline
func (j *Joined) Add(q Quoted) {
	switch {
	case q.Empty():
		return
	case j.first == "":
		j.first = q
		return
	case j.buf == nil:
		j.buf = append(j.buf, j.first...)
	}
	j.buf = append(append(j.buf[:len(j.buf)-1], j.Sep...), q[1:]...)
}

// Quoted is the texts joined ("" when none was added).
func (j *Joined) Quoted() Quoted {
	if j.buf != nil {
		return Quoted(j.buf)
	}
	return j.first
}

// Builder builds a Quoted from pieces, each escaped as it is added: the
// notes the translators write for the model (what a web search found)
// are made of many. The zero value is empty.
type Builder struct{ buf []byte }

// WriteString appends s. It is not inlined: an append inlined at each of
// a note's many calls cost the module kilobytes.
//
//go:noinline
func (b *Builder) WriteString(s string) {
	if b.buf == nil {
		b.buf = append(make([]byte, 0, 64+len(s)), '"')
	}
	b.buf = appendEscaped(b.buf, s)
}

// Quoted is what was written, as a token.
func (b *Builder) Quoted() Quoted {
	if b.buf == nil {
		return `""`
	}
	return Quoted(append(b.buf, '"'))
}
