package gemini

import (
	"strings"
	"unicode/utf8"

	"github.com/gemini-code-api/gemini-code-api/translators/jsondepth"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonw"
	"github.com/tidwall/gjson"
)

// Calls follows the function calls of one step of tool use until their
// results arrive. Gemini wants exactly one functionResponse per
// functionCall, in the user content right after the calls
// (docs/gemini-wire-notes.md#tool-turns): every client's history is
// matched against the calls of the step, a result for a call that is not
// there is dropped, and a call nobody answered gets an error result.
type Calls struct {
	// InOrder: calls sharing an id are answered in order (Anthropic's
	// tool_use ids). Otherwise only the first call with an id can be
	// answered, and a second result for it is dropped (OpenAI's call ids).
	InOrder bool
	// Lookups counts the calls examined to match results: tests check it
	// stays linear however many calls a step has.
	Lookups int

	list []pendingCall
	// at chains the calls by id, so a result finds its call in constant
	// work.
	at map[string]callChain
}

type pendingCall struct {
	id, name string
	answered bool
	next     int // the next call with the same id, -1 for none
}

// callChain locates the calls sharing an id: first is the first one that
// may still be answered (-1 once none may), last the last one added.
// Results are matched in call order, so the answered calls of an id are
// always the start of its chain.
type callChain struct{ first, last int }

// Add records a call of the current step, waiting for its result.
func (c *Calls) Add(id, name string) {
	k := len(c.list)
	c.list = append(c.list, pendingCall{id: id, name: name, next: -1})
	if c.at == nil {
		c.at = make(map[string]callChain)
	}
	ch, ok := c.at[id]
	if !ok {
		ch.first = k
	} else {
		c.list[ch.last].next = k
	}
	ch.last = k
	c.at[id] = ch
}

// Len is the number of calls in the step.
func (c *Calls) Len() int { return len(c.list) }

// Name is the function name of call k.
func (c *Calls) Name(k int) string { return c.list[k].name }

// Answer marks the call a result with id answers and returns its index,
// or -1 when it answers none (no such call in the step, or no call left to
// answer).
func (c *Calls) Answer(id string) int {
	ch, ok := c.at[id]
	if !ok {
		return -1
	}
	c.Lookups++
	k := ch.first
	if k < 0 {
		return -1
	}
	ch.first = -1
	if c.InOrder {
		ch.first = c.list[k].next
	}
	c.at[id] = ch
	c.list[k].answered = true
	return k
}

// Close ends the step: each call nobody answered gets an error result in
// contents (with a user role, after whatever results were added).
func (c *Calls) Close(contents *Contents) {
	for _, p := range c.list {
		if !p.answered {
			contents.Add("user", NoResult(p.name))
		}
	}
	c.Reset()
}

// Reset ends the step without answering anything.
func (c *Calls) Reset() {
	c.list = c.list[:0]
	if len(c.at) <= 16 {
		clear(c.at) // kept for the next step: a map per step cost allocations in every step
	} else {
		c.at = nil // a fresh map: clearing a large one would cost its size every time
	}
}

// FunctionResponse is the part answering a call to name with a tool's
// result text: {"functionResponse":{"name":…,"response":{"output":…}}}, or
// "error" for a failed call. Gemini reads the response as a protobuf
// Struct, so it is always an object; the text goes in it as a JSON value
// when it is a JSON object or array (the model reads structure better than
// an escaped string), as a string otherwise, for every error, and when it
// nests too deeply to validate safely: nothing is lost. media (images,
// documents) go inside the response, as Gemini 3 takes them. text is a
// JSON string token (jsonidx.Text, jsonw.Quote).
func FunctionResponse(name string, text jsonw.Quoted, isError bool, media [][]byte) []byte {
	p := make([]byte, 0, 64+len(name)+len(text))
	p = append(p, `{"functionResponse":{"name":`...)
	p = jsonw.String(p, name)
	if isError {
		p = append(p, `,"response":{"error":`...)
		p = jsonw.Append(p, text)
	} else {
		p = append(p, `,"response":{"output":`...)
		p = appendResult(p, text)
	}
	p = append(p, '}')
	if len(media) > 0 {
		p = append(p, `,"parts":[`...)
		for i, m := range media {
			if i > 0 {
				p = append(p, ',')
			}
			p = append(p, m...)
		}
		p = append(p, ']')
	}
	return append(p, "}}"...)
}

// NoResult is the error result of a call nobody answered.
func NoResult(name string) []byte { return FunctionResponse(name, `"no result returned"`, true, nil) }

func appendResult(dst []byte, text jsonw.Quoted) []byte {
	if !plainStart(text) {
		t := strings.TrimSpace(gjson.Parse(string(text)).Str)
		if strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") {
			// Valid JSON nesting at most MaxDepth levels, for the recursive
			// readers after this one.
			if _, valid := jsondepth.ValidString(t); valid {
				return AppendJSON(dst, t)
			}
		}
	}
	return jsonw.Append(dst, text)
}

// plainStart reports whether the text of the token q, after the spaces it
// starts with, starts with an ASCII character other than '{' and '[':
// then it is not JSON, and it need not be decoded to know. Anything else
// (a brace, an escape other than a space's, a byte of a multi-byte
// character, which may be a space strings.TrimSpace would pass) is
// decoded and looked at in full.
func plainStart(q jsonw.Quoted) bool {
	for i := 1; i < len(q)-1; i++ {
		switch c := q[i]; c {
		case ' ':
		case '\\':
			if i++; q[i] != 'n' && q[i] != 'r' && q[i] != 't' && q[i] != 'f' {
				return false
			}
		case '{', '[':
			return false
		default:
			return c < utf8.RuneSelf
		}
	}
	return true // empty, or only spaces
}

// AppendJSON appends raw, a JSON value that passed validation, as Gemini
// can read it: as it stands when it can (jsonw.Verbatim: UTF-8 throughout,
// every escaped UTF-16 surrogate paired), else with each string that it
// cannot read, keys included, decoded and written by jsonw.String (U+FFFD
// for what was not UTF-8). Validation lets both faults through, and
// Gemini's parser refuses a whole request for either, so a client's stray
// byte in a tool's arguments or schema must not reach it as it is.
func AppendJSON(dst []byte, raw string) []byte {
	from := 0 // raw[from:] is still to be copied
	if !jsonw.Verbatim(raw) {
		// Outside its strings JSON has no quote: from a quote to the end of
		// its string is a token, and what lies between tokens is copied.
		for i := 0; ; {
			q := strings.IndexByte(raw[i:], '"')
			if q < 0 {
				break
			}
			start := i + q
			end := jsondepth.StringEnd(raw, start+1)
			if end < 0 { // not closed: not from a validated document
				break
			}
			if tok := raw[start:end]; !jsonw.Verbatim(tok) {
				dst = jsonw.String(append(dst, raw[from:start]...), gjson.Parse(tok).Str)
				from = end
			}
			i = end
		}
	}
	return append(dst, raw[from:]...)
}
