package jsonidx

import (
	"strings"

	"github.com/gemini-code-api/gemini-code-api/translators/jsondepth"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonw"
	"github.com/tidwall/gjson"
)

// The members of an object are read here rather than by gjson's ForEach,
// which decodes every string value it passes, asked for or not: a tool's
// long description, a system prompt, a tool result. A value read here
// stays as the document holds it until a caller asks for it decoded, and
// a text the caller only copies into Gemini's request never is (Text).
//
// The walk trusts the document's syntax no further than bounds: on
// anything malformed it stops early or reads a value short, and never
// reads past the end (FuzzMembers holds it to ForEach on valid JSON and
// runs it on any bytes).

// member reads the member of the object s that starts at or after i
// (whitespace and a comma are skipped): its key as it stands between its
// quotes, its value's raw text, and the index after the value. ok is
// false at the object's end or at anything that is not a member.
func member(s string, i int) (key, val string, next int, ok bool) {
	i = skip(s, i)
	if i < len(s) && s[i] == ',' {
		i++
	}
	if key, i, ok = memberKey(s, i, len(s)); !ok {
		return "", "", i, false
	}
	end := valueEnd(s, i)
	if end <= i {
		return "", "", i, false
	}
	return key, s[i:end], end, true
}

// between reads the member that stands in s[start:end], between commas of
// a validated object: its key as member gives it, and its value, found
// without reading it. ok is false when there is none (an empty object).
func between(s string, start, end int) (key, val string, ok bool) {
	key, i, ok := memberKey(s, start, end)
	for ok && end > i && space(s[end-1]) {
		end--
	}
	if !ok || end <= i {
		return "", "", false
	}
	return key, s[i:end], true
}

// memberKey reads a member's key and colon, from i (whitespace first) to
// at most end: the key as it stands between its quotes, and the index of
// the value (whitespace passed).
func memberKey(s string, i, end int) (key string, value int, ok bool) {
	i = skip(s, i)
	if i >= end || s[i] != '"' {
		return "", i, false
	}
	k := stringEnd(s, i)
	if k < 0 || k > end {
		return "", i, false
	}
	key, i = s[i+1:k-1], skip(s, k)
	if i >= end || s[i] != ':' {
		return "", i, false
	}
	return key, skip(s, i+1), true
}

// skip passes JSON whitespace.
func skip(s string, i int) int {
	for i < len(s) && space(s[i]) {
		i++
	}
	return i
}

// space reports whether c is JSON whitespace.
func space(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

// stringEnd returns the index after the closing quote of the string whose
// opening quote is s[i], -1 when it is not closed. The validation's own
// scan (eight bytes at a time, escapes checked) finds it.
func stringEnd(s string, i int) int { return jsondepth.StringEnd(s, i+1) }

// valueEnd returns the index after the value that starts at s[i], -1
// for a string that is not closed: the validation's own scans find it.
func valueEnd(s string, i int) int { return jsondepth.ValueEnd(s, i) }

// result is a member's value as a gjson Result. A string with escapes is
// left undecoded (Str empty, which no decoded escaped string is): decode
// gives it its Str, Text copies it as it stands. Not inlined, as decode
// and Text: each is called at many places, where a copy of its body cost
// the module kilobytes.
//
//go:noinline
func result(val string) gjson.Result {
	if val[0] == '"' {
		if strings.IndexByte(val, '\\') < 0 {
			return gjson.Result{Type: gjson.String, Raw: val, Str: val[1 : len(val)-1]}
		}
		return gjson.Result{Type: gjson.String, Raw: val}
	}
	return gjson.Parse(val)
}

// undecoded reports whether r is a string result still to be decoded.
func undecoded(r gjson.Result) bool {
	return r.Type == gjson.String && r.Str == "" && len(r.Raw) > 2
}

// decode gives an undecoded string result its Str; other results are
// returned as they are.
//
//go:noinline
func decode(r gjson.Result) gjson.Result {
	if undecoded(r) {
		return gjson.Parse(r.Raw)
	}
	return r
}

// keyText is a member's key as it stands between its quotes, decoded.
func keyText(key string) string {
	if strings.IndexByte(key, '\\') < 0 {
		return key
	}
	return gjson.Parse(`"` + key + `"`).Str
}

// RawMember is the member key of obj as MembersRaw reads it: a string
// left as the body holds it, for Text (which copies it into Gemini's
// request as it stands) or a type check.
func RawMember(obj gjson.Result, key string) gjson.Result {
	keys := [1]string{key}
	var v [1]gjson.Result
	MembersRaw(obj, keys[:], v[:], 1)
	return v[0]
}

// Text is the string r as a token to copy into Gemini's request: r's own
// text when it may stand as it is (jsonw.Verbatim), else its decoded text
// escaped again. r must be a string read by this package (a Members value
// asked for raw, or Object.Raw) or by gjson.
//
//go:noinline
func Text(r gjson.Result) jsonw.Quoted {
	if r.Raw != "" && r.Raw[0] == '"' && jsonw.Verbatim(r.Raw) {
		return jsonw.Quoted(r.Raw)
	}
	return jsonw.Quote(decode(r).Str)
}
