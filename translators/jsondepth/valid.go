package jsondepth

import (
	"bytes"
	"unsafe"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
)

// Validate is Check(b, MaxDepth) and gjson.ValidBytes(b) in one forward
// pass, without recursion or allocation: depth is exactly what Check
// reports for b, and valid is exactly gjson's verdict whenever depth is at
// most MaxDepth. A body nesting deeper is refused for its depth before
// anything else (valid is then false), so the nesting it reaches past an
// invalid byte counts as it does for Check.
//
// Every body the gateway reads went through both passes; in Go compiled to
// WebAssembly each of gjson's calls per value and each byte loop costs
// several times its native price, and the two passes were about a tenth of
// the module's time for a request (issue #13).
//
// The grammar is JSON's, as gjson's validator reads it: any byte from 0x20
// up inside strings (UTF-8 is not checked), only JSON's escapes, JSON's
// numbers, whitespace of space, tab, CR and LF around values, and one
// value in all.
func Validate(b []byte) (depth int, valid bool) {
	// objects holds a bit per open container, set for an object: what a
	// closing bracket or a comma must match. MaxDepth bits on the stack.
	var objects [MaxDepth / 64]uint64
	d := 0
	i := 0
	// r is where the validation stopped: the lenient count of Check goes
	// on from there, with the nesting d that b has at r, so the depth of
	// an invalid body is the one Check gives it. Every byte before r was
	// read as Check reads it (strings skipped, brackets counted).
	r := 0
	for {
		// A value starts at i, maybe after whitespace.
		if i < len(b) && b[i] <= ' ' {
			i = skipSpace(b, i)
		}
		if i >= len(b) {
			r = i
			goto invalid
		}
		switch c := b[i]; c {
		case '{', '[':
			if d == MaxDepth {
				r = i // too deep: Check counts this bracket and the rest
				goto invalid
			}
			open := c == '{'
			if open {
				objects[d>>6] |= 1 << (d & 63)
			} else {
				objects[d>>6] &^= 1 << (d & 63)
			}
			d++
			depth = max(depth, d)
			i++
			if i < len(b) && b[i] <= ' ' {
				i = skipSpace(b, i)
			}
			if i < len(b) && (open && b[i] == '}' || !open && b[i] == ']') {
				i++
				d--
				break // an empty container is a whole value
			}
			if open {
				if i = memberKey(b, i); i < 0 {
					r = -i - 1
					goto invalid
				}
			}
			continue
		case '"':
			end := stringValidEnd(b, i+1)
			if end < 0 {
				r = i // Check skips the string from its quote
				goto invalid
			}
			i = end
		case 't':
			if len(b)-i < 4 || b[i+1] != 'r' || b[i+2] != 'u' || b[i+3] != 'e' {
				r = i
				goto invalid
			}
			i += 4
		case 'f':
			if len(b)-i < 5 || b[i+1] != 'a' || b[i+2] != 'l' || b[i+3] != 's' || b[i+4] != 'e' {
				r = i
				goto invalid
			}
			i += 5
		case 'n':
			if len(b)-i < 4 || b[i+1] != 'u' || b[i+2] != 'l' || b[i+3] != 'l' {
				r = i
				goto invalid
			}
			i += 4
		default:
			end := numberEnd(b, i)
			if end < 0 {
				r = i
				goto invalid
			}
			i = end
		}
		// A value ended at i: close containers until a comma leads to the
		// next value.
		for {
			if i < len(b) && b[i] <= ' ' {
				i = skipSpace(b, i)
			}
			if d == 0 {
				if i == len(b) {
					return depth, true
				}
				r = i // something after the one value
				goto invalid
			}
			if i >= len(b) {
				r = i
				goto invalid
			}
			inObject := objects[(d-1)>>6]&(1<<((d-1)&63)) != 0
			if c := b[i]; c == ',' {
				i++
				if inObject {
					if i < len(b) && b[i] <= ' ' {
						i = skipSpace(b, i)
					}
					if i = memberKey(b, i); i < 0 {
						r = -i - 1
						goto invalid
					}
				}
				break
			} else if inObject && c == '}' || !inObject && c == ']' {
				i++
				d--
				continue
			}
			r = i
			goto invalid
		}
	}
invalid:
	return count(b, r, d, depth), false
}

// ValidString is Validate for JSON held in a string.
func ValidString(s string) (depth int, valid bool) {
	// Validate only reads its argument.
	return Validate(unsafe.Slice(unsafe.StringData(s), len(s)))
}

// ReadRequest is CheckRequest and gjson's validation of a client's request
// body in one pass: the same 400 for a body nesting deeper than MaxDepth,
// whatever else is wrong with it; otherwise nil and whether the body is
// valid JSON.
func ReadRequest(body []byte) (valid bool, e *apierror.Error) {
	d, valid := Validate(body)
	if d > MaxDepth {
		return false, tooDeepRequest(d)
	}
	return valid, nil
}

// ReadAnswer is CheckAnswer and gjson's validation of an answer of Gemini
// in one pass: the same 502 for an answer nesting deeper than MaxDepth;
// otherwise nil and whether the answer is valid JSON.
func ReadAnswer(body []byte) (valid bool, e *apierror.Error) {
	d, valid := Validate(body)
	if d > MaxDepth {
		return false, tooDeepAnswer(d)
	}
	return valid, nil
}

// skipSpace returns the index of the first byte from i that is not JSON
// whitespace.
func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// memberKey validates an object member's key and its colon at i and
// returns the index of the value after them (whitespace skipped), or, when
// they are invalid, -1 minus the index where Check must go on.
func memberKey(b []byte, i int) int {
	if i >= len(b) || b[i] != '"' {
		return -1 - i
	}
	end := stringValidEnd(b, i+1)
	if end < 0 {
		return -1 - i
	}
	if end < len(b) && b[end] <= ' ' {
		end = skipSpace(b, end)
	}
	if end >= len(b) || b[end] != ':' {
		return -1 - end
	}
	return end + 1
}

// Words of eight bytes, for the tests of a whole word at once.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// stringValidEnd validates a string whose contents start at i and returns
// the index after its closing quote, or -1. The closing quote is found by
// bytes.IndexByte; the bytes before it are tested eight at a time for a
// control byte or a backslash, and only escapes are read byte by byte.
// Each byte is looked at a bounded number of times.
func stringValidEnd(b []byte, i int) int {
	q := -1 // the first quote at or after i, once looked for
	for {
		if q < i {
			k := bytes.IndexByte(b[i:], '"')
			if k < 0 {
				return -1
			}
			q = i + k
		}
		for q-i >= 8 {
			w := *(*uint64)(unsafe.Pointer(&b[i]))
			bs := w ^ ('\\' * ones)
			// A byte below 0x20 borrows in w-0x20.. with its high bit
			// clear; a backslash is a zero byte of bs.
			if ((w-' '*ones)&^w|(bs-ones)&^bs)&highs != 0 {
				break
			}
			i += 8
		}
		for i < q && b[i] >= ' ' && b[i] != '\\' {
			i++
		}
		if i == q {
			return q + 1
		}
		if b[i] != '\\' || i+1 >= len(b) {
			return -1 // a control byte, or a backslash ending b
		}
		switch b[i+1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			i += 2
		case 'u':
			if len(b)-i < 6 || !hexDigit(b[i+2]) || !hexDigit(b[i+3]) || !hexDigit(b[i+4]) || !hexDigit(b[i+5]) {
				return -1
			}
			i += 6
		default:
			return -1
		}
	}
}

func hexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// numberEnd validates a number starting at i and returns the index after
// it, or -1: an optional minus, 0 or digits not starting with 0, then
// maybe a fraction and an exponent, each with at least one digit.
func numberEnd(b []byte, i int) int {
	if b[i] == '-' {
		i++
	}
	if i >= len(b) || b[i] < '0' || b[i] > '9' {
		return -1
	}
	if b[i] == '0' {
		i++
	} else {
		i = digitsEnd(b, i+1)
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return -1
		}
		i = digitsEnd(b, i+1)
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			return -1
		}
		i = digitsEnd(b, i+1)
	}
	return i
}

func digitsEnd(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}
