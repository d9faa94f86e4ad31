// Package gemini holds what every client protocol shares about Gemini's wire
// format: building `contents` the way Gemini demands, reading usage and
// finish reasons from answers, and carrying thought signatures.
package gemini

import "github.com/gemini-code-api/gemini-code-api/translators/jsonw"

// Contents builds the `contents` array. Adjacent parts of the same role are
// merged into one content, which keeps a step's function responses in the
// single user content Gemini wants after the calls (filler turns between
// same-role contents are rejected). A content is opened only when a part is
// added, so none is ever empty, which Gemini also rejects. Callers just add
// parts in history order; see docs/gemini-wire-notes.md#parts.
type Contents struct {
	buf   []byte // the serialized contents so far, without the closing ']'
	role  string // role of the open content, "" if none
	count int    // number of contents written
	parts int    // parts in the open content
}

// Add appends one part (a complete JSON object) under role "user" or
// "model". Not inlined: its append cost the module hundreds of bytes at
// each of ten callers.
//
//go:noinline
func (c *Contents) Add(role string, part []byte) {
	c.open(role)
	c.buf = append(c.buf, part...)
}

// AddQuoted appends a text part, dropping empty text: Gemini rejects an
// empty text part as a part without data. The part is written in place.
// text is a JSON string token (jsonidx.Text, jsonw.Quote).
//
//go:noinline
func (c *Contents) AddQuoted(role string, text jsonw.Quoted) {
	if !text.Empty() {
		c.AddSignedQuoted(role, text, "")
	}
}

// AddSignedQuoted appends the text part {"text":text} (empty text
// included) with its thought signature when sig is set, as QuotedPart and
// Signed write it. The part is written in place.
//
//go:noinline
func (c *Contents) AddSignedQuoted(role string, text jsonw.Quoted, sig string) {
	c.open(role)
	c.buf = append(c.buf, `{"text":`...)
	c.buf = jsonw.Append(c.buf, text)
	if sig != "" {
		c.buf = append(c.buf, `,"thoughtSignature":`...)
		c.buf = jsonw.String(c.buf, sig)
	}
	c.buf = append(c.buf, '}')
}

// Start has the contents written straight after dst's bytes, into its
// spare room, rather than into a buffer of their own to be copied into
// the request: End then returns dst with `"contents":[...]` appended. dst
// must not be written to in between.
func (c *Contents) Start(dst []byte) {
	c.buf = append(dst, `"contents":[`...)
}

// End closes the contents begun by Start and returns the buffer that was
// given to Start with them appended.
func (c *Contents) End() []byte {
	c.closeOpen()
	return append(c.buf, ']')
}

// open starts a part under role: a new content when the role changes,
// else a comma after the open content's last part.
func (c *Contents) open(role string) {
	if role != c.role {
		c.closeOpen()
		if c.count > 0 {
			c.buf = append(c.buf, ',')
		}
		c.buf = append(c.buf, `{"role":`...)
		c.buf = jsonw.String(c.buf, role)
		c.buf = append(c.buf, `,"parts":[`...)
		c.role = role
		c.count++
		c.parts = 0
	}
	if c.parts > 0 {
		c.buf = append(c.buf, ',')
	}
	c.parts++
}

// Len is the number of contents.
func (c *Contents) Len() int { return c.count }

func (c *Contents) closeOpen() {
	if c.role != "" {
		c.buf = append(c.buf, "]}"...)
		c.role = ""
	}
}
