// Package jsonw appends JSON values to byte slices.
//
// The translators write every response by appending to one buffer instead of
// building maps and calling encoding/json: on the hot path of a gateway that is
// the difference between one allocation per event and dozens.
package jsonw

import (
	"math/bits"
	"strconv"
	"unicode/utf8"
)

const hex = "0123456789abcdef"

const lsb, msb = 0x0101010101010101, 0x8080808080808080

// safe[b] is true when ASCII byte b needs no escaping inside a JSON string.
var safe = func() (t [utf8.RuneSelf]bool) {
	for i := 0x20; i < utf8.RuneSelf; i++ {
		t[i] = i != '"' && i != '\\'
	}
	return
}()

// String appends s as a quoted JSON string. Invalid UTF-8 becomes U+FFFD so the
// output is always valid JSON, whatever bytes the input held.
//
// String, Int and Key are not inlined: they are called at hundreds of places,
// and an inlined append (its growth path and a call) costs far more Wasm than
// a call (100 KB of the module in all; a call is a few ns).
//
//go:noinline
func String(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst = appendEscaped(dst, s)
	return append(dst, '"')
}

// Bytes is String for a byte slice.
func Bytes(dst []byte, b []byte) []byte {
	dst = append(dst, '"')
	dst = appendEscapedBytes(dst, b)
	return append(dst, '"')
}

func appendEscaped(dst []byte, s string) []byte { return escape(dst, s, true) }

// escape appends s escaped. words skips eight bytes at a time while none of
// them needs a look (a quote, a backslash, a control byte, a byte of a
// multi-byte character): in Wasm a byte loop costs several times that. The
// tests turn it off to hold the word loop to the byte loop.
func escape(dst []byte, s string, words bool) []byte {
	start := 0
	for i := 0; i < len(s); {
		for words && len(s)-i >= 8 {
			x := load64(s, i)
			q, b := x^0x2222222222222222, x^0x5c5c5c5c5c5c5c5c
			if m := ((x-0x2020202020202020)&^x | (q-lsb)&^q | (b-lsb)&^b | x) & msb; m != 0 {
				// The lowest byte flagged needs a look (a false flag can
				// only follow one): straight there (Wasm is little-endian).
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if safe[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			dst = appendControl(dst, c)
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		// U+2028 and U+2029 are valid JSON but break JavaScript parsers that
		// treat the payload as a script; escape them as encoding/json does.
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\u202`...)
			dst = append(dst, hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(dst, s[start:]...)
}

func appendEscapedBytes(dst []byte, b []byte) []byte {
	// Converting to string here does not allocate: the compiler sees the
	// conversion only feeds a non-escaping read.
	return appendEscaped(dst, unsafeString(b))
}

func appendControl(dst []byte, c byte) []byte {
	switch c {
	case '"':
		return append(dst, '\\', '"')
	case '\\':
		return append(dst, '\\', '\\')
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	return append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
}

// Int appends an integer.
//
//go:noinline
func Int(dst []byte, v int64) []byte { return strconv.AppendInt(dst, v, 10) }

// Float appends a float in the shortest form that round-trips.
func Float(dst []byte, v float64) []byte { return strconv.AppendFloat(dst, v, 'g', -1, 64) }

// Bool appends true or false.
func Bool(dst []byte, v bool) []byte { return strconv.AppendBool(dst, v) }

// Key appends `"name":` — name must not need escaping (it is always one of
// our own field names).
//
//go:noinline
func Key(dst []byte, name string) []byte {
	dst = append(dst, '"')
	dst = append(dst, name...)
	return append(dst, '"', ':')
}
