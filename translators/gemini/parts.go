package gemini

import "github.com/gemini-code-api/gemini-code-api/translators/jsonw"

// Parts of a GenerateContentRequest that every client's history turns
// into. The "open" forms leave the part's closing brace off, so that a
// thoughtSignature can still be added when the turn ends (Signed).

// TextPart is {"text":text}.
func TextPart(dst []byte, text string) []byte { return QuotedPart(dst, jsonw.Quote(text)) }

// QuotedPart is {"text":text} for a text already a JSON string token.
func QuotedPart(dst []byte, text jsonw.Quoted) []byte {
	return append(QuotedPartOpen(dst, text), '}')
}

// QuotedPartOpen is QuotedPart without its closing brace. Not inlined,
// like the other writers of text parts here: their appends, copied into
// every caller (and into the wrappers of method values), cost the module
// kilobytes.
//
//go:noinline
func QuotedPartOpen(dst []byte, text jsonw.Quoted) []byte {
	if dst == nil {
		dst = make([]byte, 0, len(text)+16)
	}
	dst = append(dst, `{"text":`...)
	return jsonw.Append(dst, text)
}

// FunctionCallOpen is {"functionCall":{"name":name,"args":args} without
// the part's closing brace; args is a JSON object.
func FunctionCallOpen(name, args string) []byte {
	p := make([]byte, 0, 48+len(name)+len(args))
	p = append(p, `{"functionCall":{"name":`...)
	p = jsonw.String(p, name)
	p = append(p, `,"args":`...)
	p = AppendJSON(p, args)
	return append(p, '}')
}

// Signed closes an open part, with its thought signature when sig is set.
func Signed(open []byte, sig string) []byte {
	if sig != "" {
		open = append(open, `,"thoughtSignature":`...)
		open = jsonw.String(open, sig)
	}
	return append(open, '}')
}

// System collects the text parts of the system instruction, in order.
// Gemini has one system instruction and no system turns: every client's
// system and developer text, wherever it stands, is hoisted into it.
type System struct {
	parts []byte // comma-separated text parts
}

// Add adds a text part; empty text is dropped (Gemini rejects an empty
// text part).
func (s *System) Add(text string) { s.AddQuoted(jsonw.Quote(text)) }

// AppendTo writes `,"systemInstruction":{"parts":[…]}`, nothing when the
// instruction is empty.
func (s *System) AppendTo(out []byte) []byte {
	if len(s.parts) == 0 {
		return out
	}
	out = append(out, `,"systemInstruction":{"parts":[`...)
	out = append(out, s.parts...)
	return append(out, "]}"...)
}

// AddQuoted is Add for a text already a JSON string token.
//
//go:noinline
func (s *System) AddQuoted(text jsonw.Quoted) {
	if text.Empty() {
		return
	}
	if s.parts == nil {
		// Room for the usual single part at once: a coding agent's
		// system prompt is kilobytes, grown through every doubling.
		s.parts = make([]byte, 0, len(text)+16)
	}
	if len(s.parts) > 0 {
		s.parts = append(s.parts, ',')
	}
	s.parts = QuotedPart(s.parts, text)
}

// Extend adds the parts of o after s's.
func (s *System) Extend(o *System) {
	if len(o.parts) == 0 {
		return
	}
	if len(s.parts) > 0 {
		s.parts = append(s.parts, ',')
	}
	s.parts = append(s.parts, o.parts...)
}
