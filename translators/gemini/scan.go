package gemini

import (
	"math/bits"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/jsondepth"
	"github.com/tidwall/gjson"
)

// Scan is a GenerateContentResponse (a stream event or a whole answer) read
// by one forward pass over its bytes, the fast path of the answer
// translators (issue #13).
//
// The gjson path validates an event, measures its depth, indexes its top
// level and then walks candidates and parts with Get and ForEach: five or
// six passes, and in the Wasm module every gjson Result (88 bytes) passed or
// returned is copied through linear memory. Scan validates as it goes
// (exactly what gjson.Valid accepts, depth included), and keeps what the
// translators read as strings viewing the bytes: candidates, their parts,
// finishReason, index, usage, responseId.
//
// It reads only the common shape. Anything else makes Read return false and
// the caller translates the answer with the gjson path, which stays the
// reference: invalid JSON, too deep, an `error`, promptFeedback, a key
// written with escapes, a field of interest repeated or of an unexpected
// type, candidates or parts that are not objects, a part with any field
// besides text, thought, thoughtSignature, functionCall, toolCall and
// toolResponse, escapes in a signature, name or id, an index that is not
// a small integer, a usage read only by gjson (usageFast). The differential
// fuzz tests feed the same answers to both paths and require the same
// client bytes.
//
// Strings are valid while the scanned bytes are, and until the next Read
// (unescaped text lives in the Scan's buffer).
type Scan struct {
	ResponseID string // responseId ("" when absent)
	Usage      Usage  // usageMetadata; Present is false without one (or with lazyUsage)
	// UsageRaw is the usageMetadata object's bytes ("" without one),
	// which UsageOf reads as the scan does.
	UsageRaw   string
	Candidates []ScanCandidate
	Parts      []Part // every candidate's parts; ScanCandidate.Parts indexes them

	data    []byte
	unesc   []byte // unescaped strings
	pending []pendingText
	// lazyUsage: usageMetadata is only validated, its counts left in
	// UsageRaw (Usage stays empty). A stream sends it on every event and
	// only the last one counts: EventReader reads it when asked.
	lazyUsage bool
}

// ScanCandidate is one element of `candidates`.
type ScanCandidate struct {
	Index  int    // `index`, or the position in candidates when absent
	Finish string // finishReason
	// Grounded: the candidate has groundingMetadata or urlContextMetadata,
	// which Result gives to Grounding.Event.
	Grounded bool
	// Logprobs: the candidate has logprobsResult (read by gjson only).
	Logprobs    bool
	First, Last int // its parts are Parts[First:Last]
	raw         string
}

// Result is the candidate as gjson sees it (for Grounding.Event).
func (c *ScanCandidate) Result() gjson.Result { return gjson.Result{Type: gjson.JSON, Raw: c.raw} }

// Part is what the translators read of a content part. The gjson path fills
// it with PartOf, the scan directly.
type Part struct {
	Text      string // text, unescaped
	IsText    bool   // text is a JSON string
	Thought   bool   // thought is true
	Signature string // thoughtSignature
	// Call: the part has a functionCall, checked (CheckFunctionCall):
	// CallName is not empty and CallArgs is the raw args object, or ""
	// when args is absent or null.
	Call                       bool
	CallID, CallName, CallArgs string
	// ToolRecord: the part has a toolCall or toolResponse (a built-in
	// tool's record).
	ToolRecord bool
}

// PartOf reads a part with gjson, as the translators always did: the
// reference the scan is compared with. A functionCall that fails
// CheckFunctionCall is returned as the error.
func PartOf(p gjson.Result) (Part, *apierror.Error) {
	var pt Part
	pt.Signature = p.Get("thoughtSignature").String()
	if fc := p.Get("functionCall"); fc.Exists() {
		if e := CheckFunctionCall(fc); e != nil {
			return pt, e
		}
		pt.Call = true
		pt.CallID = fc.Get("id").String()
		pt.CallName = fc.Get("name").String()
		if a := fc.Get("args"); a.IsObject() {
			pt.CallArgs = a.Raw
		}
		return pt, nil
	}
	t := p.Get("text")
	pt.IsText = t.Type == gjson.String
	pt.Text = t.Str
	pt.Thought = IsThought(p)
	pt.ToolRecord = p.Get("toolCall").Exists() || p.Get("toolResponse").Exists()
	return pt, nil
}

type pendingText struct {
	part       int32
	start, end int32 // raw bytes of the string, between its quotes
}

// maxScanNest bounds the nesting of a value skipped by the scan (a tool
// call's arguments, safety ratings); deeper values take the gjson path.
const maxScanNest = 64

// Read scans data (a GenerateContentResponse, surrounded by JSON
// whitespace at most). It returns false when the answer is not of the
// shape described on Scan, or not valid JSON: the caller then uses the
// gjson path.
func (s *Scan) Read(data []byte) bool {
	s.data = data
	s.ResponseID, s.Usage, s.UsageRaw = "", Usage{}, ""
	s.Candidates, s.Parts = s.Candidates[:0], s.Parts[:0]
	s.unesc, s.pending = s.unesc[:0], s.pending[:0]
	i := ws(data, 0)
	if i >= len(data) || data[i] != '{' {
		return false
	}
	if i = s.top(ws(data, i+1)); i < 0 || ws(data, i) != len(data) {
		return false
	}
	return len(s.pending) == 0 || s.unescape()
}

// The readers below walk one object each, member by member (member), with
// no callback: in Wasm every call costs, and an event
// has a few dozen members. Each returns the index after its value, or -1
// when the value takes the gjson path.

// top reads the members of the response object; i is after its '{'.
func (s *Scan) top(i int) int {
	d, seen, n := s.data, uint8(0), 0
	k, i, more := member(s.data, i, true)
	for ; more; k, i, more = member(d, i, false) {
		if n++; n > 64 {
			return -1
		}
		switch k {
		case kCandidates:
			if seen&1 != 0 || i >= len(d) || d[i] != '[' {
				return -1
			}
			seen |= 1
			i = s.candidates(i + 1)
		case kUsageMetadata:
			if seen&2 != 0 {
				return -1
			}
			seen |= 2
			switch {
			case i >= len(d) || d[i] != '{':
				i = skip(d, i, 1)
			case s.lazyUsage:
				start := i
				if i = skip(d, i, 1); i >= 0 {
					s.UsageRaw = s.str(start, i)
				}
			default:
				start := i
				if i = s.usage(i + 1); i >= 0 {
					s.UsageRaw = s.str(start, i)
				}
			}
		case kResponseID:
			if seen&4 != 0 {
				return -1
			}
			seen |= 4
			s.ResponseID, i = s.plainString(i)
		case kError, kPromptFeedback:
			return -1
		default:
			i = skip(d, i, 1)
		}
	}
	return i
}

// usage reads usageMetadata as usageFast does; i is after its '{'.
func (s *Scan) usage(i int) int {
	d := s.data
	s.Usage.Present = true
	k, i, more := member(d, i, true)
	for ; more; k, i, more = member(d, i, false) {
		end, integer := number(d, i)
		if end >= 0 && integer {
			// A plain count (usageFast refuses more than 15 digits).
			n, ok := digits(d, i, end, 15)
			if !ok {
				return -1
			}
			s.Usage.setKey(k, n)
			i = end
		} else {
			if k >= kPromptTokenCount {
				return -1
			}
			if end >= 0 {
				i = end
			} else {
				i = skip(d, i, 2)
			}
		}
	}
	return i
}

// candidates reads the candidates array; i is after its '['.
func (s *Scan) candidates(i int) int {
	d := s.data
	var more bool
	for i, more = firstElement(d, i); more; i, more = nextElement(d, i) {
		ci := len(s.Candidates)
		if i >= len(d) || d[i] != '{' || ci == 1024 {
			return -1
		}
		s.Candidates = append(s.Candidates, ScanCandidate{Index: ci, First: len(s.Parts), Last: len(s.Parts)})
		start := i
		if i = s.candidate(i+1, ci); i < 0 {
			return -1
		}
		s.Candidates[ci].raw = s.str(start, i)
	}
	return i
}

// candidate reads a candidate; i is after its '{'.
func (s *Scan) candidate(i, ci int) int {
	d, seen := s.data, uint8(0)
	k, i, more := member(s.data, i, true)
	for ; more; k, i, more = member(d, i, false) {
		c := &s.Candidates[ci]
		switch k {
		case kContent:
			if seen&1 != 0 || i >= len(d) || d[i] != '{' {
				return -1
			}
			seen |= 1
			i = s.content(i+1, ci)
		case kFinishReason:
			if seen&2 != 0 {
				return -1
			}
			seen |= 2
			c.Finish, i = s.plainString(i)
		case kIndex:
			if seen&4 != 0 {
				return -1
			}
			seen |= 4
			if i+1 < len(d) && d[i]-'0' <= 9 && (d[i+1] == ',' || d[i+1] == '}') {
				c.Index, i = int(d[i]-'0'), i+1 // a digit: the common case, with no call
			} else {
				c.Index, i = smallInt(d, i)
			}
		case kGroundingMetadata, kURLContextMetadata:
			c.Grounded = true
			i = skip(d, i, 3)
		case kLogprobsResult:
			c.Logprobs = true
			i = skip(d, i, 3)
		default:
			i = skip(d, i, 3)
		}
	}
	return i
}

// content reads a candidate's content; i is after its '{'.
func (s *Scan) content(i, ci int) int {
	d, seen := s.data, false
	k, i, more := member(s.data, i, true)
	for ; more; k, i, more = member(d, i, false) {
		if k == kParts {
			if seen || i >= len(d) || d[i] != '[' {
				return -1
			}
			seen = true
			i = s.parts(i+1, ci)
		} else {
			i = skip(d, i, 4)
		}
	}
	return i
}

// parts reads a content's parts; i is after its '['.
func (s *Scan) parts(i, ci int) int {
	d := s.data
	var more bool
	for i, more = firstElement(d, i); more; i, more = nextElement(d, i) {
		if i >= len(d) || d[i] != '{' || len(s.Parts) == 1<<20 {
			return -1
		}
		s.Parts = append(s.Parts, Part{})
		s.Candidates[ci].Last = len(s.Parts)
		i = s.part(i+1, len(s.Parts)-1, false)
	}
	return i
}

// part reads a part, or with call its functionCall (whose members share
// the part's Part); i is after the object's '{'.
func (s *Scan) part(i, pi int, call bool) int {
	d, seen := s.data, uint8(0)
	k, i, more := member(s.data, i, true)
	for ; more; k, i, more = member(d, i, false) {
		p := &s.Parts[pi]
		bit := memberBit[k]
		if call != (bit >= bName) {
			bit = 0 // a member of the other object: unknown here
		}
		if bit == 0 {
			switch {
			case call:
				i = skip(d, i, 7)
			case k == kToolCall || k == kToolResponse:
				p.ToolRecord = true
				i = skip(d, i, 6)
			default:
				return -1 // inlineData, executableCode...: the gjson path
			}
			continue
		}
		if seen&bit != 0 || i >= len(d) {
			return -1
		}
		seen |= bit
		switch bit {
		case bText:
			if d[i] != '"' {
				return -1
			}
			end, esc := str(d, i+1)
			if end < 0 {
				return -1
			}
			p.IsText = true
			if esc {
				s.pending = append(s.pending, pendingText{int32(pi), int32(i + 1), int32(end - 1)})
			} else {
				p.Text = s.str(i+1, end-1)
			}
			i = end
		case bThought:
			switch {
			case has(d, i, "true"):
				p.Thought = true
				i += 4
			case has(d, i, "false"):
				i += 5
			default:
				return -1
			}
		case bSignature:
			p.Signature, i = s.plainString(i)
		case bCall:
			if d[i] != '{' {
				return -1
			}
			p.Call = true
			if i = s.part(i+1, pi, true); i >= 0 && s.Parts[pi].CallName == "" {
				return -1 // CheckFunctionCall's error: the gjson path
			}
		case bName:
			p.CallName, i = s.plainString(i)
		case bID:
			p.CallID, i = s.plainString(i)
		case bArgs:
			switch {
			case d[i] == '{':
				end := skip(d, i, 7)
				if end < 0 {
					return -1
				}
				p.CallArgs = s.str(i, end)
				i = end
			case has(d, i, "null"):
				i += 4
			default:
				return -1
			}
		}
	}
	return i
}

// memberBit marks the members part reads once each: a part's, then its
// functionCall's (from bName on).
const (
	bText uint8 = 1 << iota
	bThought
	bSignature
	bCall
	bName
	bID
	bArgs
)

var memberBit = [...]uint8{kText: bText, kThought: bThought, kThoughtSignature: bSignature, kFunctionCall: bCall,
	kName: bName, kID: bID, kArgs: bArgs, kTotalTokenCount: 0}

// unescape fills in the texts written with escapes, once the scan is done
// (the buffer is sized once, so earlier texts are never moved).
func (s *Scan) unescape() bool {
	n := 0
	for _, p := range s.pending {
		n += int(p.end - p.start)
	}
	if cap(s.unesc) < n {
		s.unesc = make([]byte, 0, n)
	}
	for _, p := range s.pending {
		start := len(s.unesc)
		s.unesc = appendUnescaped(s.unesc, s.data[p.start:p.end])
		b := s.unesc[start:]
		if len(b) > 0 {
			s.Parts[p.part].Text = unsafe.String(&b[0], len(b))
		}
	}
	return true
}

// str views data[i:j] as a string.
func (s *Scan) str(i, j int) string {
	if i >= j {
		return ""
	}
	return unsafe.String(&s.data[i], j-i)
}

// plainString reads a JSON string without escapes at i (an id, a name, a
// finishReason: escapes there take the gjson path); it returns its
// contents, viewing the bytes, and the index after it, or -1.
func (s *Scan) plainString(i int) (string, int) {
	d := s.data
	if i >= len(d) || d[i] != '"' {
		return "", -1
	}
	end, esc := str(d, i+1)
	if end < 0 || esc {
		return "", -1
	}
	return s.str(i+1, end-1), end
}

// keyID names the keys the scan reads, whatever object they are in.
type keyID uint8

const (
	kOther keyID = iota
	kCandidates
	kUsageMetadata
	kResponseID
	kError
	kPromptFeedback
	kContent
	kFinishReason
	kIndex
	kGroundingMetadata
	kURLContextMetadata
	kLogprobsResult
	kParts
	kText
	kThought
	kThoughtSignature
	kFunctionCall
	kToolCall
	kToolResponse
	kName
	kID
	kArgs
	// the counts of usageMetadata, last
	kPromptTokenCount
	kCandidatesTokenCount
	kThoughtsTokenCount
	kCachedContentTokenCount
	kToolUsePromptTokenCount
	kTotalTokenCount
)

var keyNames = [...]string{"", "candidates", "usageMetadata", "responseId", "error", "promptFeedback",
	"content", "finishReason", "index", "groundingMetadata", "urlContextMetadata", "logprobsResult",
	"parts", "text", "thought", "thoughtSignature", "functionCall", "toolCall", "toolResponse",
	"name", "id", "args",
	"promptTokenCount", "candidatesTokenCount", "thoughtsTokenCount", "cachedContentTokenCount",
	"toolUsePromptTokenCount", "totalTokenCount"}

// setKey is set for a key named by member: the counts' keys are in the
// order of usageNames.
func (us *Usage) setKey(id keyID, n int64) {
	if id >= kPromptTokenCount {
		*us.counts()[id-kPromptTokenCount] = n
	}
}

// member reads a member's key and colon: the first member's of an object
// (first: i is after its '{'), or the next one's after a member's value
// (ending at i, -1 for a value that could not be read). The key is named
// by keyTable and written without escapes; vi is the index of its value
// (whitespace skipped). more is false at the object's end, with vi after
// its '}', and where the member cannot be read here, with vi -1.
//
// One call per member, the key's naming included: in Wasm a call costs
// about as much as reading a short key.
func member(d []byte, i int, first bool) (key keyID, vi int, more bool) {
	if i < 0 {
		return kOther, -1, false
	}
	if i = ws(d, i); i >= len(d) {
		return kOther, -1, false
	}
	c := d[i]
	if c == '}' {
		return kOther, i + 1, false
	}
	if !first {
		if c != ',' {
			return kOther, -1, false
		}
		if i = ws(d, i+1); i >= len(d) {
			return kOther, -1, false
		}
		c = d[i]
	}
	if c != '"' {
		return kOther, -1, false
	}
	i++
	j := plainEnd(d, i)
	if j >= len(d) || d[j] != '"' {
		return kOther, -1, false // an escape, a control byte, the end
	}
	if n := j - i; n >= 2 {
		key = keyTable[(uint(n)*4+uint(d[i])<<1+uint(d[j-1]))&127]
		if !sameKey(d[i:j], keyNames[key]) {
			key = kOther
		}
	}
	if j = ws(d, j+1); j >= len(d) || d[j] != ':' {
		return kOther, -1, false
	}
	return key, ws(d, j+1), true
}

// keyTable names a key by its length and its first and last bytes (a
// perfect hash of keyNames, checked by TestKeyTable); member then compares
// the key with the name once.
var keyTable = func() (t [128]keyID) {
	for id := kCandidates; int(id) < len(keyNames); id++ {
		k := keyNames[id]
		t[(uint(len(k))*4+uint(k[0])<<1+uint(k[len(k)-1]))&127] = id
	}
	return
}()

// sameKey reports whether k is name (jsondepth.Same).
func sameKey(k []byte, name string) bool {
	return jsondepth.Same(unsafe.String(unsafe.SliceData(k), len(k)), name)
}

// firstElement and nextElement are member for an array: i is at the next
// element (whitespace skipped) while more is true.
func firstElement(d []byte, i int) (int, bool) {
	if i = ws(d, i); i < len(d) && d[i] == ']' {
		return i + 1, false
	}
	return i, true
}

func nextElement(d []byte, i int) (int, bool) {
	if i < 0 {
		return -1, false
	}
	if i = ws(d, i); i >= len(d) {
		return -1, false
	}
	switch d[i] {
	case ',':
		return ws(d, i+1), true
	case ']':
		return i + 1, false
	}
	return -1, false
}

func ws(d []byte, i int) int {
	for i < len(d) && (d[i] == ' ' || d[i] == '\n' || d[i] == '\r' || d[i] == '\t') {
		i++
	}
	return i
}

func has(d []byte, i int, lit string) bool {
	return len(d)-i >= len(lit) && string(d[i:i+len(lit)]) == lit
}

// plain[c] is true for a byte that stands for itself inside a JSON string.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return
}()

// str validates a JSON string whose contents start at i (after its quote)
// and returns the index after its closing quote, or -1; esc reports an
// escape in it. It accepts what gjson's validation accepts: no control
// byte, only JSON's escapes (bytes are not checked for UTF-8).
func str(d []byte, i int) (end int, esc bool) {
	for {
		if i = plainEnd(d, i); i >= len(d) {
			return -1, esc
		}
		switch d[i] {
		case '"':
			return i + 1, esc
		case '\\':
			esc = true
			if i+1 >= len(d) {
				return -1, esc
			}
			switch d[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if len(d)-i < 6 || !isHex(d[i+2]) || !isHex(d[i+3]) || !isHex(d[i+4]) || !isHex(d[i+5]) {
					return -1, esc
				}
				i += 6
			default:
				return -1, esc
			}
		default:
			return -1, esc // a control byte
		}
	}
}

// plainEnd is the index of the first byte from i that does not stand for
// itself in a JSON string (a quote, a backslash, a control byte), or
// len(d). Eight bytes at a time: most of an answer is in strings and keys,
// and in Wasm a byte loop costs several times this.
func plainEnd(d []byte, i int) int {
	for len(d)-i >= 8 {
		x := *(*uint64)(unsafe.Pointer(&d[i]))
		q, b := x^0x2222222222222222, x^0x5c5c5c5c5c5c5c5c
		// The lowest byte flagged is special (a false flag can only
		// follow a special byte).
		if m := ((x-0x2020202020202020)&^x | (q-lsb)&^q | (b-lsb)&^b) & msb; m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
		i += 8
	}
	for i < len(d) && plain[d[i]] {
		i++
	}
	return i
}

const lsb, msb = 0x0101010101010101, 0x8080808080808080

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// number validates a JSON number at i and returns the index after it, or
// -1; integer reports one without fraction or exponent.
func number(d []byte, i int) (end int, integer bool) {
	if i < len(d) && d[i] == '-' {
		i++
	}
	if i >= len(d) || d[i] < '0' || d[i] > '9' {
		return -1, false
	}
	if d[i] == '0' {
		i++
	} else {
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	}
	integer = true
	if i < len(d) && d[i] == '.' {
		integer = false
		i++
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			return -1, false
		}
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		integer = false
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			return -1, false
		}
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	}
	return i, integer
}

// smallInt reads an integer of at most 9 digits at i (what gjson's Int
// gives for it); end is -1 for anything else.
func smallInt(d []byte, i int) (n, end int) {
	end, integer := number(d, i)
	if end < 0 || !integer {
		return 0, -1
	}
	v, ok := digits(d, i, end, 9)
	if !ok {
		return 0, -1
	}
	return int(v), end
}

// digits is the value of the integer d[i:end] (validated by number, with
// no fraction or exponent); ok is false when it has more than maxDigits digits.
func digits(d []byte, i, end, maxDigits int) (n int64, ok bool) {
	neg := d[i] == '-'
	if neg {
		i++
	}
	if end-i > maxDigits {
		return 0, false
	}
	for ; i < end; i++ {
		n = n*10 + int64(d[i]-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// skip validates the JSON value at i (whitespace skipped) and returns the
// index after it, or -1. depth is the nesting of the value's container:
// the value may nest up to jsondepth.MaxDepth in all, and maxScanNest
// levels itself.
//
// Keys without escapes and integers are read here, with no call: they are
// most of what an event's skipped values (usageMetadata in a stream, safety
// ratings) hold.
func skip(d []byte, i, depth int) int {
	var stack uint64 // one bit per open container: 1 an object
	n := 0
	readKey := false
	for {
		i = ws(d, i)
		if readKey {
			// A member's key and colon.
			readKey = false
			if i >= len(d) || d[i] != '"' {
				return -1
			}
			if j := plainEnd(d, i+1); j < len(d) && d[j] == '"' {
				i = j + 1
			} else if i, _ = str(d, i+1); i < 0 {
				return -1
			}
			if i = ws(d, i); i >= len(d) || d[i] != ':' {
				return -1
			}
			i = ws(d, i+1)
		}
		// A value starts at i.
		if i >= len(d) {
			return -1
		}
		switch c := d[i]; {
		case c == '{' || c == '[':
			if n == maxScanNest || depth+n+1 > jsondepth.MaxDepth {
				return -1
			}
			n++
			stack <<= 1
			i = ws(d, i+1)
			if c == '{' {
				stack |= 1
				if i < len(d) && d[i] == '}' {
					i++
					n--
					stack >>= 1
					break
				}
				readKey = true
				continue
			}
			if i < len(d) && d[i] == ']' {
				i++
				n--
				stack >>= 1
				break
			}
			continue
		case c == '"':
			if i, _ = str(d, i+1); i < 0 {
				return -1
			}
		case c == 't':
			if !has(d, i, "true") {
				return -1
			}
			i += 4
		case c == 'f':
			if !has(d, i, "false") {
				return -1
			}
			i += 5
		case c == 'n':
			if !has(d, i, "null") {
				return -1
			}
			i += 4
		case c >= '1' && c <= '9':
			// An integer; a fraction or an exponent goes to number.
			j := i + 1
			for j < len(d) && d[j] >= '0' && d[j] <= '9' {
				j++
			}
			if j < len(d) && (d[j] == '.' || d[j] == 'e' || d[j] == 'E') {
				if i, _ = number(d, i); i < 0 {
					return -1
				}
			} else {
				i = j
			}
		default:
			if i, _ = number(d, i); i < 0 {
				return -1
			}
		}
		// After a value (a scalar, or a container that closed at once):
		// commas and closing brackets until the next value.
		for {
			if n == 0 {
				return i
			}
			i = ws(d, i)
			if i >= len(d) {
				return -1
			}
			obj := stack&1 == 1
			if d[i] == ',' {
				i++
				readKey = obj
				break
			}
			if obj && d[i] == '}' || !obj && d[i] == ']' {
				i++
				n--
				stack >>= 1
				continue
			}
			return -1
		}
	}
}

// appendUnescaped appends the JSON string contents raw (validated by str)
// unescaped, exactly as gjson does: a \u high surrogate followed by a low
// one makes one character, a lone surrogate U+FFFD.
func appendUnescaped(dst, raw []byte) []byte {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			dst = append(dst, c)
			continue
		}
		i++
		switch raw[i] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := hex4(raw[i+1:])
			i += 4
			if r >= 0xD800 && r < 0xDC00 && len(raw)-(i+1) >= 6 && raw[i+1] == '\\' && raw[i+2] == 'u' {
				if r2 := hex4(raw[i+3:]); r2 >= 0xDC00 && r2 < 0xE000 {
					r = utf16.DecodeRune(r, r2)
					i += 6
				}
			}
			dst = utf8.AppendRune(dst, r)
		default: // '"', '\\', '/'
			dst = append(dst, raw[i])
		}
	}
	return dst
}

func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		default:
			c -= 'A' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}
