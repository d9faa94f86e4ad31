// Package jsondepth measures how deeply a JSON text nests, without recursion.
//
// gjson validates a document by recursion, one call per nesting level, and
// Go compiled to WebAssembly makes each of those calls on the engine's own
// stack: in V8, Envoy's runtime, the module traps near ten thousand levels,
// so ten kilobytes of "[" would kill a worker's VM. Every body the gateway
// reads (client requests, Gemini's answers and stream events, JSON inside
// strings) is measured here first, in one forward pass with a counter, and
// refused when it nests deeper than MaxDepth. Only then may gjson, or any
// other recursive reader, look at it.
package jsondepth

import (
	"bytes"
	"unsafe"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
)

// MaxDepth is the deepest nesting of arrays and objects the gateway reads,
// in requests, in Gemini's answers and in JSON schemas. Real Claude Code and
// Codex requests nest fewer than 30 levels, and a tool schema for deeply
// structured arguments rarely passes 40. 256 leaves honest documents plenty
// of room while keeping every recursive reader a few hundred frames deep,
// far below any engine's stack limit.
const MaxDepth = 256

// Check returns the deepest nesting of arrays and objects in b (0 for a
// scalar) and whether it is at most max. It reads b once, from start to
// end, skipping string contents (escaped quotes included), and allocates
// nothing. b need not be valid JSON: closing brackets without an opening
// one are ignored, so the depth reported is never below the depth a
// validating parser would reach before it gave up on b.
func Check(b []byte, max int) (depth int, ok bool) {
	depth = count(b, 0, 0, 0)
	return depth, depth <= max
}

// count is Check's pass from i on, where b nests d levels deep and has
// reached depth so far; it returns the deepest nesting of all.
func count(b []byte, i, d, depth int) int {
	for ; i < len(b); i++ {
		switch b[i] {
		case '"':
			i = stringEnd(b, i+1)
		case '[', '{':
			d++
			if d > depth {
				depth = d
			}
		case ']', '}':
			if d > 0 {
				d--
			}
		}
	}
	return depth
}

// CheckString is Check for a string (JSON held inside a JSON string, such
// as a tool call's arguments).
func CheckString(s string, max int) (depth int, ok bool) {
	// Check only reads b, so viewing the string's bytes is safe and saves
	// copying a possibly large value.
	return Check(unsafe.Slice(unsafe.StringData(s), len(s)), max)
}

// stringEnd returns the index of the quote that closes a string whose
// contents start at i, or len(b) when the string never ends. A quote is
// escaped when an odd number of backslashes precedes it; each byte is looked
// at a bounded number of times, so long runs of backslashes stay linear.
func stringEnd(b []byte, i int) int {
	for i < len(b) {
		q := bytes.IndexByte(b[i:], '"')
		if q < 0 {
			return len(b)
		}
		q += i
		n := 0
		for j := q - 1; j >= i && b[j] == '\\'; j-- {
			n++
		}
		if n%2 == 0 {
			return q
		}
		i = q + 1
	}
	return len(b)
}

// CheckRequest refuses a client's request body that nests deeper than
// MaxDepth, with a 400 that names the limit; nil otherwise.
func CheckRequest(body []byte) *apierror.Error {
	if d, ok := Check(body, MaxDepth); !ok {
		return tooDeepRequest(d)
	}
	return nil
}

func tooDeepRequest(d int) *apierror.Error {
	return apierror.Invalid("", "The request body nests JSON "+apierror.Itoa(d)+" levels deep; the gateway accepts at most "+apierror.Itoa(MaxDepth)+".")
}

// CheckAnswer refuses an answer of Gemini (a body or one stream event) that
// nests deeper than MaxDepth: a 502, since the client asked nothing wrong
// and the gateway cannot read what came back.
func CheckAnswer(body []byte) *apierror.Error {
	if d, ok := Check(body, MaxDepth); !ok {
		return tooDeepAnswer(d)
	}
	return nil
}

func tooDeepAnswer(d int) *apierror.Error {
	return apierror.New(apierror.BadGateway, "Gemini's answer nests JSON "+apierror.Itoa(d)+" levels deep; the gateway reads at most "+apierror.Itoa(MaxDepth)+".")
}
