package gemini

import (
	"strings"
	"unsafe"

	"github.com/gemini-code-api/gemini-code-api/translators/jsondepth"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonw"
	"github.com/tidwall/gjson"
)

// Gemini's parametersJsonSchema / responseJsonSchema honour a documented
// subset of JSON Schema. Everything else is either ignored or, worse,
// answered with a 400: Claude Code's tool schemas carry $schema, const,
// exclusiveMinimum and propertyNames. CleanSchema keeps only the subset,
// rewriting what has an equivalent.
var schemaKeep = map[string]uint8{
	"type": kVerbatim, "format": kVerbatim, "title": kVerbatim, "description": kVerbatim,
	"enum": kVerbatim, "required": kVerbatim, "minItems": kVerbatim, "maxItems": kVerbatim,
	"minimum": kVerbatim, "maximum": kVerbatim, "propertyOrdering": kVerbatim, "nullable": kVerbatim,
	"$id": kVerbatim, "$ref": kVerbatim, "$anchor": kVerbatim,
	"properties": kSchemaMap, "$defs": kSchemaMap, "definitions": kSchemaMap,
	"items": kSchemaOrList, "additionalProperties": kSchemaOrBool,
	"anyOf": kSchemaList, "oneOf": kSchemaList, "prefixItems": kSchemaList,
}

const (
	kVerbatim uint8 = iota + 1
	kSchemaMap
	kSchemaList
	kSchemaOrList
	kSchemaOrBool
)

// CleanSchema appends a copy of schema restricted to Gemini's JSON Schema
// subset. root forces an object schema at the top, as function parameters
// must describe an object. Keywords whose value has the wrong shape for a
// schema (`properties` that is not an object, `anyOf` that is not an array)
// are dropped; a sub-schema that is neither an object nor a boolean becomes
// {}. The output is valid JSON whatever the schema holds.
//
// The schema is read in one forward pass over its bytes: a sub-schema is
// not re-read by each of its ancestors, so the work is linear in the
// schema's size however deep it nests. The pass recurses once per level, so
// a schema nesting deeper than jsondepth.MaxDepth is refused: ok is false,
// dst is returned unchanged, and depth says how deep the schema nests, for
// the caller's 400. schema must come from a document that passed
// validation; malformed bytes are also refused (ok false), never a panic.
func CleanSchema(dst []byte, schema gjson.Result, root bool) (out []byte, depth int, ok bool) {
	return cleanSchema(dst, schema.Raw, root, jsondepth.MaxDepth)
}

func cleanSchema(dst []byte, raw string, root bool, maxDepth int) ([]byte, int, bool) {
	c := cleaner{src: raw, dst: dst, max: maxDepth}
	c.ws()
	if c.i == len(c.src) {
		if root {
			return append(dst, `{"type":"object","properties":{}}`...), 0, true
		}
		return append(dst, '{', '}'), 0, true
	}
	c.schema(root)
	if c.ws(); c.i != len(c.src) {
		c.bad = true // trailing bytes: not one JSON value
	}
	if c.bad {
		// The walk stopped at the first level too many; measure the whole
		// schema (one pass, no recursion) so the caller's 400 says how deep
		// it really nests.
		d, _ := jsondepth.CheckString(raw, maxDepth)
		return dst, d, false
	}
	if cleaned := c.dst[len(dst):]; !jsonw.Verbatim(unsafe.String(unsafe.SliceData(cleaned), len(cleaned))) {
		// Keys and values are copied as the client wrote them: one
		// Gemini cannot read is written again (AppendJSON), from a copy.
		return AppendJSON(dst, string(cleaned)), c.deepest, true
	}
	return c.dst, c.deepest, true
}

// cleaner walks a schema's bytes once, writing the cleaned copy. Every
// method stops doing anything once bad is set, so a refused schema costs
// no more than the bytes read up to the fault.
type cleaner struct {
	src     string
	i       int
	dst     []byte
	depth   int // open objects and arrays around src[i]
	deepest int // the largest depth so far
	max     int
	bad     bool // too deep, or not JSON
	steps   int  // tokens read: a linear walk reads each token once (tests)
}

func (c *cleaner) ws() {
	for c.i < len(c.src) {
		switch c.src[c.i] {
		case ' ', '\t', '\n', '\r':
			c.i++
		default:
			return
		}
	}
}

// at reports whether the next byte is b (after whitespace).
func (c *cleaner) at(b byte) bool {
	c.ws()
	return c.i < len(c.src) && c.src[c.i] == b
}

// open enters an object or array at src[i].
func (c *cleaner) open() {
	c.steps++
	c.i++
	c.depth++
	c.deepest = max(c.deepest, c.depth)
	if c.depth > c.max {
		c.bad = true
	}
}

// close leaves the object or array whose closing bracket is at src[i].
func (c *cleaner) close() {
	c.steps++
	c.i++
	c.depth--
}

// str reads the string at src[i] and returns it with its quotes.
func (c *cleaner) str() string {
	c.steps++
	start := c.i
	i := c.i + 1
	for {
		q := strings.IndexByte(c.src[i:], '"')
		if q < 0 {
			c.bad = true
			c.i = len(c.src)
			return ""
		}
		q += i
		n := 0
		for j := q - 1; j > start && c.src[j] == '\\'; j-- {
			n++
		}
		if n%2 == 0 {
			c.i = q + 1
			return c.src[start:c.i]
		}
		i = q + 1
	}
}

// skip reads one value of any kind without recursion, keeping track of how
// deep it nests.
func (c *cleaner) skip() {
	c.ws()
	if c.i >= len(c.src) {
		c.bad = true
		return
	}
	base := c.depth
	for !c.bad {
		if c.i >= len(c.src) {
			c.bad = true // unclosed object or array
			return
		}
		switch ch := c.src[c.i]; ch {
		case '"':
			c.str()
		case '{', '[':
			c.open()
		case '}', ']':
			if c.depth == base {
				c.bad = true // closes something it did not open
				return
			}
			c.close()
		case ' ', '\t', '\n', '\r', ',', ':':
			c.i++
			continue // separators only inside a container, checked by gjson before
		default:
			if ch != '-' && (ch < '0' || ch > '9') && (ch < 'a' || ch > 'z') {
				c.bad = true
				return
			}
			c.steps++
			for c.i < len(c.src) && (c.src[c.i] == '-' || c.src[c.i] == '+' || c.src[c.i] == '.' ||
				c.src[c.i] >= '0' && c.src[c.i] <= '9' || c.src[c.i] >= 'a' && c.src[c.i] <= 'z' || c.src[c.i] >= 'A' && c.src[c.i] <= 'Z') {
				c.i++
			}
		}
		if c.depth == base {
			return
		}
	}
}

// copyValue appends the next value verbatim.
func (c *cleaner) copyValue() {
	c.ws()
	start := c.i
	c.skip()
	if !c.bad {
		c.dst = append(c.dst, c.src[start:c.i]...)
	}
}

// schema writes the cleaned form of the sub-schema at src[i].
func (c *cleaner) schema(root bool) {
	c.ws()
	switch {
	case c.i < len(c.src) && c.src[c.i] == '{':
		c.object(root)
	case root:
		c.skip()
		c.dst = append(c.dst, `{"type":"object","properties":{}}`...)
	case strings.HasPrefix(c.src[c.i:], "true") || strings.HasPrefix(c.src[c.i:], "false"):
		c.copyValue()
	default:
		c.skip()
		c.dst = append(c.dst, '{', '}')
	}
}

// members calls fn for each member of the object at src[i], with the raw
// key (quotes included) and src[i] at the value. fn must read the value.
func (c *cleaner) members(fn func(rawKey string)) {
	for more := c.first('}'); more; more = c.next('}') {
		if !c.at('"') {
			c.bad = true
			return
		}
		k := c.str()
		if !c.at(':') {
			c.bad = true
			return
		}
		c.i++
		fn(k)
	}
}

// elements calls fn for each element of the array at src[i], with src[i]
// at the element. fn must read the element.
func (c *cleaner) elements(fn func(n int)) {
	n := 0
	for more := c.first(']'); more; more = c.next(']') {
		fn(n)
		n++
	}
}

// first enters the object or array at src[i], which end closes, and
// reports whether a member or element follows: false when it is empty
// (then closed) or bad.
func (c *cleaner) first(end byte) bool {
	c.open()
	if c.at(end) {
		c.close()
		return false
	}
	return !c.bad
}

// next reads what follows a member or element: true after a comma, with
// src[i] at the next one; false at end (then closed) or when bad.
func (c *cleaner) next(end byte) bool {
	switch {
	case c.bad:
	case c.at(','):
		c.i++
		return true
	case c.at(end):
		c.close()
	default:
		c.bad = true
	}
	return false
}

// keyName is a raw key without its quotes, unescaped when it holds escapes
// (rare: only then does it allocate).
func keyName(raw string) string {
	if strings.IndexByte(raw, '\\') < 0 {
		return raw[1 : len(raw)-1]
	}
	return gjson.Parse(raw).Str
}

func (c *cleaner) object(root bool) {
	c.dst = append(c.dst, '{')
	n := 0
	sep := func() {
		if n > 0 {
			c.dst = append(c.dst, ',')
		}
		n++
	}
	key := func(name string) {
		sep()
		c.dst = append(c.dst, '"')
		c.dst = append(c.dst, name...)
		c.dst = append(c.dst, '"', ':')
	}
	hasType := false
	c.members(func(rawKey string) {
		name := keyName(rawKey)
		switch name {
		case "const": // one-value enum
			key("enum")
			c.dst = append(c.dst, '[')
			c.copyValue()
			c.dst = append(c.dst, ']')
			return
		case "allOf":
			// Not supported: the common use is composing object parts, which
			// anyOf expresses well enough for a tool schema.
			if c.at('[') {
				key("anyOf")
				c.list()
			} else {
				c.skip()
			}
			return
		}
		switch schemaKeep[name] {
		case kVerbatim:
			hasType = hasType || name == "type"
			key(name)
			c.copyValue()
		case kSchemaMap:
			if !c.at('{') {
				c.skip()
				return
			}
			key(name)
			c.dst = append(c.dst, '{')
			i := 0
			c.members(func(prop string) {
				if i > 0 {
					c.dst = append(c.dst, ',')
				}
				i++
				c.dst = append(c.dst, prop...) // a JSON string already
				c.dst = append(c.dst, ':')
				c.schema(false)
			})
			c.dst = append(c.dst, '}')
		case kSchemaList:
			if !c.at('[') {
				c.skip()
				return
			}
			key(name)
			c.list()
		case kSchemaOrList:
			key(name)
			if c.at('[') {
				c.list()
			} else {
				c.schema(false)
			}
		case kSchemaOrBool:
			key(name)
			c.schema(false)
		default:
			c.skip()
		}
	})
	if root && !hasType {
		sep()
		c.dst = append(c.dst, `"type":"object"`...)
	}
	c.dst = append(c.dst, '}')
}

// list writes the array of sub-schemas at src[i], each cleaned.
func (c *cleaner) list() {
	c.dst = append(c.dst, '[')
	c.elements(func(n int) {
		if n > 0 {
			c.dst = append(c.dst, ',')
		}
		c.schema(false)
	})
	c.dst = append(c.dst, ']')
}
