package jsondepth

import (
	"math/bits"
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
// value in all. Outside strings, each byte takes one step of a table
// (what the state expects, by the byte's class); strings are skipped by
// stringValidEnd. Go's WebAssembly backend makes each jump inside a
// function a trip through a dispatch table, so fewer branches mean both
// less code and less time.
func Validate(b []byte) (depth int, valid bool) {
	depth, valid, _ = validate(b, Commas{})
	return depth, valid
}

// Commas is where Validate's pass found the commas of the outermost
// container, for a reader of its members that need not look for them
// again (jsonidx.ParseRequest): At gets their indexes in order, at most
// Max of them (no more are noted: the reader refuses such a body for its
// member count). It is passed and returned by value, so that At's first
// array can live on the caller's stack.
//
// Known are values validated before that a body may hold again at its top
// level: a coding agent sends the same tool list, tens of kilobytes, with
// every turn. One found there (at the start of a member's value or of an
// element, its bytes the same to the last) is passed rather than read:
// JSON is valid whole when a complete valid value stands in a place for a
// value and the rest is valid, and it nests there as deep as it is found
// plus its own Depth. Same compares words at a time, several times
// faster than validating them.
type Commas struct {
	At    []int32
	Max   int
	Known []Known
}

// Known is a complete, valid JSON value (what Validate accepts) and the
// depth it nests by itself (Validate's depth for Raw alone). An empty Raw
// is ignored.
type Known struct {
	Raw   string
	Depth int
	// Not comparable: Go would write an equality function for Known, and
	// one for each array of it, which nothing here uses.
	_ [0]func()
}

// known returns the index after the value of list that b holds at i, and
// its depth; 0 when none is there. Not inlined, as Same: the validation
// loop calls it only for the values of the top level that are objects or
// arrays, a few a request.
//
//go:noinline
func known(b []byte, i int, list []Known) (end, depth int) {
	rest := unsafe.String(unsafe.SliceData(b[i:]), len(b)-i)
	for _, k := range list {
		if k.Raw != "" && len(rest) >= len(k.Raw) && Same(rest[:len(k.Raw)], k.Raw) {
			return i + len(k.Raw), k.Depth
		}
	}
	return 0, 0
}

// Same reports whether a and b are equal, reading words (four at a step
// while they last, then one). Go's Wasm compares strings a byte at a time
// (runtime.memequal: about 2.3 ns a byte on wazero, slower than validating
// the same JSON, and more than thirty nanoseconds a call).
//
//go:noinline
func Same(a, b string) bool {
	n := len(a)
	if n != len(b) {
		return false
	}
	if n < 8 {
		for i := range n {
			if a[i] != b[i] {
				return false
			}
		}
		return true
	}
	p, q := unsafe.Pointer(unsafe.StringData(a)), unsafe.Pointer(unsafe.StringData(b))
	i := 0
	// Four words a step while they last: each step of a Go loop costs far
	// more in Wasm than the loads (a kept tool list is tens of KB).
	for ; i+32 <= n; i += 32 {
		// (^ and | bind alike in Go: each difference in its parentheses.)
		if (word(p, i)^word(q, i))|(word(p, i+8)^word(q, i+8))|(word(p, i+16)^word(q, i+16))|(word(p, i+24)^word(q, i+24)) != 0 {
			return false
		}
	}
	for ; i < n-8; i += 8 {
		if word(p, i) != word(q, i) {
			return false
		}
	}
	// The last word overlaps the one before it when n is not a multiple
	// of eight: both are within a and b.
	return word(p, n-8) == word(q, n-8)
}

// word is the eight bytes at p+i.
func word(p unsafe.Pointer, i int) uint64 { return *(*uint64)(unsafe.Add(p, i)) }

func validate(b []byte, commas Commas) (depth int, valid bool, noted Commas) {
	// objects holds a bit per open container, set for an object: what a
	// closing bracket or a comma must match. MaxDepth bits on the stack;
	// the index is masked (MaxDepth/64 is a power of two) so that Go
	// need not check its bounds.
	var objects [MaxDepth / 64]uint64
	d := 0
	st := uint8(sValue)
	i := 0
	for ; i < len(b); i++ {
		c := b[i]
		next := steps[st&15][kinds[c]&classMask]
		if next < aOpenObject {
			if next == sError {
				break
			}
			st = next
			continue
		}
		switch next {
		case aOpenObject, aOpenArray:
			if d == 1 && len(commas.Known) > 0 {
				if end, kd := known(b, i, commas.Known); end > 0 && d+kd <= MaxDepth {
					depth = max(depth, d+kd)
					i = end - 1
					st = sAfter
					continue
				}
			}
			if d == MaxDepth {
				goto invalid // too deep: Check counts this bracket and the rest
			}
			bit := uint64(1) << (d & 63)
			objects[d>>6&(MaxDepth/64-1)] &^= bit
			st = sValueOrClose
			if next == aOpenObject {
				objects[d>>6&(MaxDepth/64-1)] |= bit
				st = sKeyOrClose
			}
			d++
			depth = max(depth, d)
		case aClose:
			// The bracket closes the innermost container if it is of its
			// kind ('}' is 0x7d, ']' 0x5d: bit 5 tells them apart).
			if d == 0 || objects[(d-1)>>6&(MaxDepth/64-1)]>>((d-1)&63)&1 != uint64(c>>5&1) {
				goto invalid
			}
			d--
			st = sAfter
		case aComma:
			if d == 0 {
				goto invalid
			}
			if d == 1 && len(commas.At) < commas.Max {
				commas.At = append(commas.At, int32(i))
			}
			st = sValue
			if objects[(d-1)>>6&(MaxDepth/64-1)]>>((d-1)&63)&1 != 0 {
				st = sKey
			}
		case aString, aKey:
			end := stringValidEnd(b, i+1)
			if end < 0 {
				goto invalid // Check skips the string from its quote
			}
			i = end - 1
			st = sAfter
			if next == aKey {
				st = sColon
			}
		case aLiteral:
			lit := "null"
			if c == 't' {
				lit = "true"
			} else if c == 'f' {
				lit = "false"
			}
			if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
				goto invalid
			}
			i += len(lit) - 1
			st = sAfter
		}
	}
	if i == len(b) && d == 0 && complete>>st&1 != 0 {
		return depth, true, commas
	}
invalid:
	// Every byte before i was read as Check reads it (strings skipped,
	// brackets counted) and b nests d levels at i: Check's lenient count
	// goes on from there, so an invalid body has the depth Check gives it.
	return count(b, i, d, depth), false, commas
}

// ValidString is Validate for JSON held in a string.
func ValidString(s string) (depth int, valid bool) {
	// Validate only reads its argument.
	return Validate(unsafe.Slice(unsafe.StringData(s), len(s)))
}

// StringEnd returns the index after the closing quote of the string in s
// whose contents start at i (after its opening quote), or -1 when it is
// not closed or not valid: the scan Validate reads strings with, for
// readers of a validated document (jsonidx) that skip strings.
func StringEnd(s string, i int) int {
	// stringValidEnd only reads its argument.
	return stringValidEnd(unsafe.Slice(unsafe.StringData(s), len(s)), i)
}

// ValueEnd returns the index after the JSON value that starts at s[i] (i
// itself when i is past the end), -1 for a string that is not closed or
// not valid: for readers of a validated document (jsonidx) that skip
// values. Strings are passed by StringEnd; inside an object or array,
// eight bytes at a time while none is a quote or a bracket.
func ValueEnd(s string, i int) int {
	if i >= len(s) {
		return i
	}
	b := unsafe.Slice(unsafe.StringData(s), len(s)) // only read
	switch b[i] {
	case '"':
		return stringValidEnd(b, i+1)
	case '{', '[':
		p := unsafe.Pointer(unsafe.SliceData(b))
		depth := 0
		for i < len(b) {
			if len(b)-i >= 8 {
				// '[' and ']' are '{' and '}' with bit 0x20 clear.
				w := *(*uint64)(unsafe.Add(p, i))
				y := w | ' '*ones
				quotes, opens, closes := w^('"'*ones), y^('{'*ones), y^('}'*ones)
				m := ((quotes-ones)&^quotes | (opens-ones)&^opens | (closes-ones)&^closes) & highs
				if m == 0 {
					i += 8
					continue
				}
				i += bits.TrailingZeros64(m) >> 3 // the first byte flagged (Wasm is little-endian)
			}
			switch b[i] {
			case '"':
				if i = stringValidEnd(b, i+1); i < 0 {
					return len(b)
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return len(b)
	}
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] > ' ' {
		i++
	}
	return i
}

// ReadRequest is CheckRequest and gjson's validation of a client's request
// body in one pass: the same 400 for a body nesting deeper than MaxDepth,
// whatever else is wrong with it; otherwise nil and whether the body is
// valid JSON. The commas of the body's outermost container are noted into
// commas (Commas; none when its Max is 0).
func ReadRequest(body []byte, commas Commas) (valid bool, noted Commas, e *apierror.Error) {
	d, valid, noted := validate(body, commas)
	if d > MaxDepth {
		return false, noted, tooDeepRequest(d)
	}
	return valid, noted, nil
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

// The states of Validate: what may come next, whitespace aside.
const (
	sError        = iota
	sValue        // a value
	sValueOrClose // a value or ']', after '['
	sKey          // a member's key, after a comma in an object
	sKeyOrClose   // a key or '}', after '{'
	sColon        // the colon after a key
	sAfter        // after a value: a comma, a closing bracket, or the end
	sMinus        // a number's minus sign
	sZero         // a number's integer part that is 0
	sInteger      // a number's integer part, more digits to come maybe
	sPoint        // a number's decimal point
	sFraction     // a number's fraction digits
	sExponent     // a number's e or E
	sExpSign      // the sign of an exponent
	sExpDigits    // an exponent's digits

	// Steps at or above aOpenObject are actions, done in Validate's switch.
	aOpenObject = 16 + iota
	aOpenArray
	aClose
	aComma
	aString
	aKey
	aLiteral
)

// complete has a bit for each state where the text can end: after a
// value, including in a number that has all its parts.
const complete = 1<<sAfter | 1<<sZero | 1<<sInteger | 1<<sFraction | 1<<sExpDigits

// Byte classes for the steps (the low four bits of kinds), and two more
// bits for strings.
const (
	cOther = iota
	cSpace
	cOpenObject
	cOpenArray
	cClose
	cColon
	cComma
	cQuote
	cMinus
	cZero
	cDigit
	cPoint
	cExponent
	cPlus
	cLiteral // t, f, n

	classMask = 15
	escaped   = 16 // stands for itself after a backslash
	hex       = 32 // a hexadecimal digit
)

var kinds = [256]uint8{
	' ': cSpace, '\t': cSpace, '\n': cSpace, '\r': cSpace,
	'{': cOpenObject, '[': cOpenArray, '}': cClose, ']': cClose, ':': cColon, ',': cComma,
	'"': cQuote | escaped, '\\': escaped, '/': escaped,
	'-': cMinus, '0': cZero | hex, '1': cDigit | hex, '2': cDigit | hex, '3': cDigit | hex,
	'4': cDigit | hex, '5': cDigit | hex, '6': cDigit | hex, '7': cDigit | hex, '8': cDigit | hex,
	'9': cDigit | hex, '.': cPoint, 'e': cExponent | hex, 'E': cExponent | hex, '+': cPlus,
	't': cLiteral | escaped, 'f': cLiteral | escaped | hex, 'n': cLiteral | escaped, 'b': escaped | hex, 'r': escaped,
	'a': hex, 'c': hex, 'd': hex, 'A': hex, 'B': hex, 'C': hex, 'D': hex, 'F': hex,
}

// steps[state][class] is the next state or an action; sError where the
// byte cannot come. A number ends at whatever cannot continue it, which
// must then be what may follow a value.
var steps = [16][16]uint8{
	sValue:        {cSpace: sValue, cOpenObject: aOpenObject, cOpenArray: aOpenArray, cQuote: aString, cMinus: sMinus, cZero: sZero, cDigit: sInteger, cLiteral: aLiteral},
	sValueOrClose: {cSpace: sValueOrClose, cOpenObject: aOpenObject, cOpenArray: aOpenArray, cQuote: aString, cMinus: sMinus, cZero: sZero, cDigit: sInteger, cLiteral: aLiteral, cClose: aClose},
	sKey:          {cSpace: sKey, cQuote: aKey},
	sKeyOrClose:   {cSpace: sKeyOrClose, cQuote: aKey, cClose: aClose},
	sColon:        {cSpace: sColon, cColon: sValue},
	sAfter:        {cSpace: sAfter, cComma: aComma, cClose: aClose},
	sMinus:        {cZero: sZero, cDigit: sInteger},
	sZero:         {cSpace: sAfter, cComma: aComma, cClose: aClose, cPoint: sPoint, cExponent: sExponent},
	sInteger:      {cSpace: sAfter, cComma: aComma, cClose: aClose, cPoint: sPoint, cExponent: sExponent, cZero: sInteger, cDigit: sInteger},
	sPoint:        {cZero: sFraction, cDigit: sFraction},
	sFraction:     {cSpace: sAfter, cComma: aComma, cClose: aClose, cExponent: sExponent, cZero: sFraction, cDigit: sFraction},
	sExponent:     {cPlus: sExpSign, cMinus: sExpSign, cZero: sExpDigits, cDigit: sExpDigits},
	sExpSign:      {cZero: sExpDigits, cDigit: sExpDigits},
	sExpDigits:    {cSpace: sAfter, cComma: aComma, cClose: aClose, cZero: sExpDigits, cDigit: sExpDigits},
}

// Words of eight bytes, for the tests of a whole word at once.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// stringValidEnd validates a string whose contents start at i and returns
// the index after its closing quote, or -1. Bytes that stand for
// themselves are passed eight at a time, in the same pass that finds the
// closing quote; only escapes are read byte by byte.
func stringValidEnd(b []byte, i int) int {
	p := unsafe.Pointer(unsafe.SliceData(b))
	for {
		for len(b)-i >= 8 {
			w := *(*uint64)(unsafe.Add(p, i))
			quotes, backslashes := w^('"'*ones), w^('\\'*ones)
			// A control byte borrows in w-0x20.. with its high bit clear;
			// a quote or a backslash is a zero byte of quotes or
			// backslashes.
			if m := ((w-' '*ones)&^w | (quotes-ones)&^quotes | (backslashes-ones)&^backslashes) & highs; m != 0 {
				// The lowest bit set marks the first such byte exactly
				// (a borrow only marks bytes above it): go straight there
				// rather than byte by byte (Wasm is little-endian).
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		for i < len(b) && b[i] >= ' ' && b[i] != '"' && b[i] != '\\' {
			i++
		}
		switch {
		case i >= len(b):
			return -1
		case b[i] == '"':
			return i + 1
		case b[i] != '\\' || i+1 >= len(b):
			return -1 // a control byte, or a backslash ending b
		case kinds[b[i+1]]&escaped != 0:
			i += 2
			continue
		case b[i+1] != 'u' || len(b)-i < 6:
			return -1
		}
		h := b[i+2 : i+6]
		if kinds[h[0]]&kinds[h[1]]&kinds[h[2]]&kinds[h[3]]&hex == 0 {
			return -1
		}
		i += 6
	}
}
