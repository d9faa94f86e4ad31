package gemini

import (
	"github.com/gemini-code-api/gemini-code-api/translators/jsonw"
	"github.com/tidwall/gjson"
)

// Gemini's parametersJsonSchema / responseJsonSchema honour a documented
// subset of JSON Schema (protocol-mapping §1.6). Everything else is either
// ignored or, worse, answered with a 400 (P1): Claude Code's tool schemas
// carry $schema, const, exclusiveMinimum and propertyNames. CleanSchema keeps
// only the subset, rewriting what has an equivalent.
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
// must describe an object.
func CleanSchema(dst []byte, schema gjson.Result, root bool) []byte {
	if !schema.IsObject() {
		if root {
			return append(dst, `{"type":"object","properties":{}}`...)
		}
		if schema.Type == gjson.True || schema.Type == gjson.False {
			return append(dst, schema.Raw...)
		}
		return append(dst, '{', '}')
	}
	dst = append(dst, '{')
	n := 0
	sep := func() {
		if n > 0 {
			dst = append(dst, ',')
		}
		n++
	}
	hasType := false
	schema.ForEach(func(k, v gjson.Result) bool {
		key := k.String()
		switch key {
		case "const": // one-value enum
			sep()
			dst = append(dst, `"enum":[`...)
			dst = append(dst, v.Raw...)
			dst = append(dst, ']')
			return true
		case "allOf":
			// Not supported: the common use is composing object parts, which
			// anyOf with one branch expresses well enough for a tool schema.
			if v.IsArray() {
				sep()
				dst = append(dst, `"anyOf":[`...)
				dst = cleanList(dst, v)
				dst = append(dst, ']')
			}
			return true
		}
		kind := schemaKeep[key]
		if kind == 0 {
			return true
		}
		if key == "type" {
			hasType = true
		}
		sep()
		dst = jsonw.String(dst, key)
		dst = append(dst, ':')
		switch kind {
		case kVerbatim:
			dst = append(dst, v.Raw...)
		case kSchemaMap:
			dst = append(dst, '{')
			i := 0
			v.ForEach(func(pk, pv gjson.Result) bool {
				if i > 0 {
					dst = append(dst, ',')
				}
				i++
				dst = jsonw.String(dst, pk.String())
				dst = append(dst, ':')
				dst = CleanSchema(dst, pv, false)
				return true
			})
			dst = append(dst, '}')
		case kSchemaList:
			dst = append(dst, '[')
			dst = cleanList(dst, v)
			dst = append(dst, ']')
		case kSchemaOrList:
			if v.IsArray() {
				dst = append(dst, '[')
				dst = cleanList(dst, v)
				dst = append(dst, ']')
			} else {
				dst = CleanSchema(dst, v, false)
			}
		case kSchemaOrBool:
			dst = CleanSchema(dst, v, false)
		}
		return true
	})
	if root && !hasType {
		sep()
		dst = append(dst, `"type":"object"`...)
	}
	return append(dst, '}')
}

func cleanList(dst []byte, list gjson.Result) []byte {
	i := 0
	list.ForEach(func(_, item gjson.Result) bool {
		if i > 0 {
			dst = append(dst, ',')
		}
		i++
		dst = CleanSchema(dst, item, false)
		return true
	})
	return dst
}
