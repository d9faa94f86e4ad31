// Package pretty stands in for github.com/tidwall/pretty, which gjson
// imports only for its @pretty and @ugly path modifiers. The gateway uses
// neither, but the original package links encoding/json and reflect into
// every binary that imports gjson (about 0.4 MB of the Wasm module). This
// package is written for gemini-code-api (go.mod replaces the original with
// it) and offers the same API with a simpler formatter:
//
//   - Ugly removes the whitespace outside strings;
//   - Pretty puts every object member and array element on its own line,
//     indented; Options.Width is not honoured (nothing is kept on one line
//     but empty objects and arrays), and SortKeys orders members by their
//     raw (still escaped) key bytes.
//
// Input is assumed to be JSON (gjson only passes it JSON it parsed); other
// bytes pass through without a panic.
package pretty

import (
	"bytes"
)

// Options are the formatting choices of PrettyOptions.
type Options struct {
	Width    int    // accepted for compatibility; not honoured
	Prefix   string // written at the start of every line
	Indent   string // one level of indentation
	SortKeys bool   // order object members by key
}

// DefaultOptions are the options of Pretty.
var DefaultOptions = &Options{Width: 80, Prefix: "", Indent: "  ", SortKeys: false}

// Pretty formats json with DefaultOptions.
func Pretty(json []byte) []byte { return PrettyOptions(json, nil) }

// PrettyOptions formats json one member or element per line.
func PrettyOptions(json []byte, opts *Options) []byte {
	if opts == nil {
		opts = DefaultOptions
	}
	v := parse(Ugly(json))
	var out []byte
	out = append(out, opts.Prefix...)
	out = v.write(out, opts, 0)
	return append(out, '\n')
}

// Ugly removes the whitespace outside strings.
func Ugly(json []byte) []byte {
	out := make([]byte, 0, len(json))
	in := false
	for i := 0; i < len(json); i++ {
		c := json[i]
		if in {
			out = append(out, c)
			switch c {
			case '\\':
				if i+1 < len(json) {
					i++
					out = append(out, json[i])
				}
			case '"':
				in = false
			}
			continue
		}
		switch c {
		case ' ', '\t', '\n', '\r':
		case '"':
			in = true
			out = append(out, c)
		default:
			out = append(out, c)
		}
	}
	return out
}

// value is a parsed compact JSON value: a scalar (raw bytes) or a container.
type value struct {
	raw     []byte   // scalars
	object  bool     // container kind
	array   bool     //
	keys    [][]byte // object member keys, quoted
	members []value
}

// parse reads the compact JSON in b (as Ugly leaves it).
func parse(b []byte) value {
	v, _ := parseAt(b, 0)
	return v
}

func parseAt(b []byte, i int) (value, int) {
	if i >= len(b) {
		return value{}, i
	}
	switch b[i] {
	case '{', '[':
		obj := b[i] == '{'
		v := value{object: obj, array: !obj}
		close := byte(']')
		if obj {
			close = '}'
		}
		i++
		for i < len(b) && b[i] != close {
			if obj {
				end := stringEnd(b, i)
				v.keys = append(v.keys, b[i:end])
				i = end
				if i < len(b) && b[i] == ':' {
					i++
				}
			}
			var m value
			m, i = parseAt(b, i)
			v.members = append(v.members, m)
			if i < len(b) && b[i] == ',' {
				i++
			} else if i < len(b) && b[i] != close {
				break // not JSON: stop here rather than loop
			}
		}
		if obj && len(v.keys) > len(v.members) {
			v.keys = v.keys[:len(v.members)]
		}
		return v, min(i+1, len(b))
	case '"':
		end := stringEnd(b, i)
		return value{raw: b[i:end]}, end
	}
	j := i
	for j < len(b) && b[j] != ',' && b[j] != ']' && b[j] != '}' && b[j] != ':' {
		j++
	}
	if j == i { // a stray separator: take it as is, so parsing moves on
		j++
	}
	return value{raw: b[i:j]}, j
}

// stringEnd returns the index just past the string starting at b[i].
func stringEnd(b []byte, i int) int {
	if i >= len(b) || b[i] != '"' {
		return i
	}
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(b)
}

func (v value) write(out []byte, opts *Options, depth int) []byte {
	if !v.object && !v.array {
		return append(out, v.raw...)
	}
	open, close := byte('['), byte(']')
	if v.object {
		open, close = '{', '}'
	}
	if len(v.members) == 0 {
		return append(out, open, close)
	}
	order := make([]int, len(v.members))
	for i := range order {
		order[i] = i
	}
	if v.object && opts.SortKeys {
		// By insertion (stable): the gateway never asks gjson for
		// sorted keys, and a sort's generic code costs the module 6 KB.
		for i := 1; i < len(order); i++ {
			for j := i; j > 0 && bytes.Compare(v.keys[order[j]], v.keys[order[j-1]]) < 0; j-- {
				order[j], order[j-1] = order[j-1], order[j]
			}
		}
	}
	out = append(out, open, '\n')
	for n, i := range order {
		out = append(out, opts.Prefix...)
		for range depth + 1 {
			out = append(out, opts.Indent...)
		}
		if v.object {
			out = append(out, v.keys[i]...)
			out = append(out, ':', ' ')
		}
		out = v.members[i].write(out, opts, depth+1)
		if n < len(order)-1 {
			out = append(out, ',')
		}
		out = append(out, '\n')
	}
	out = append(out, opts.Prefix...)
	for range depth {
		out = append(out, opts.Indent...)
	}
	return append(out, close)
}
