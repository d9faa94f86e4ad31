// Package jsonidx indexes the top-level fields of a JSON object once, and
// walks arrays without copying them.
//
// gjson's Result.Get scans the document from its start on every call; a
// translator that reads twenty optional fields of a request whose
// `messages` array is most of the body would skip over that array twenty
// times. Object reads the top level once and answers each lookup from a
// small slice.
package jsonidx

import (
	"strings"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/tidwall/gjson"
)

// MaxFields is the most top-level fields an indexed object may have. Each
// field costs about a hundred bytes of index while `"a":0,` takes six in the
// body, so without a bound a 30 MB body of tiny fields made gigabytes of
// index. Real requests have a few dozen fields, Gemini's answers fewer.
const MaxFields = 1024

// Object is an indexed JSON object. The zero value has no fields.
type Object struct {
	fields []field // one slice, one allocation
}

type field struct {
	key string
	val gjson.Result
}

// Load indexes the top-level fields of obj (a JSON object; anything else
// gives an empty Object), reusing o's memory: for hot loops that index one
// object after another (stream events). When a key repeats, the last value
// wins, as in encoding/json. It reports false, having read no further,
// when obj has more than MaxFields fields: o then holds only the first
// MaxFields, and callers refuse obj. (A request's top level is indexed by
// ParseRequest, from the commas its validation noted.)
func (o *Object) Load(obj gjson.Result) bool {
	o.fields = o.fields[:0]
	if !obj.IsObject() {
		return true
	}
	if o.fields == nil {
		// Room for a request's or an event's fields in one allocation,
		// rather than growing through 1, 2, 4, 8, 16.
		o.fields = make([]field, 0, 16)
	}
	s := obj.Raw
	i := strings.IndexByte(s, '{') + 1
	for {
		key, val, next, ok := member(s, i)
		if !ok {
			return true
		}
		if len(o.fields) == MaxFields {
			return false
		}
		o.fields = append(o.fields, field{keyText(key), result(val)})
		i = next
	}
}

// Get returns the field's value; a missing field is the zero Result
// (Exists() is false), like gjson. It is not inlined: the translators call
// it at some hundred places, each of which would hold the decoding.
//
//go:noinline
func (o Object) Get(key string) gjson.Result { return decode(o.Raw(key)) }

// Raw is Get with a string value left as the document holds it, for Text.
// Not inlined: a copy of its loop at each caller cost the module more
// than the call costs a request (a few nanoseconds, a few dozen times).
//
//go:noinline
func (o Object) Raw(key string) gjson.Result {
	for i := len(o.fields) - 1; i >= 0; i-- {
		if o.fields[i].key == key {
			return o.fields[i].val
		}
	}
	return gjson.Result{}
}

// Each calls fn for each element of the array arr, in order, with its
// position, and stops at the first error fn returns, which Each returns.
// gjson's Array would first copy every element into a slice (an 80-byte
// Result each) before the caller could refuse the first one: a few
// megabytes of a hostile array cost seconds. Each reads only the elements
// it hands to fn, so a check that fails, or a count limit fn enforces,
// ends the work there. arr must be an array; anything else has no elements.
//
// The elements are found by the walk that reads objects' members
// (walk.go), not by gjson's ForEach, which finds the end of an object or
// array one byte at a time, strings included: a Claude Code turn's
// messages array is most of its 50 KB body. Each element reaches fn as
// ForEach gives it (a string decoded); on malformed JSON the walk stops
// early rather than read past the array (FuzzEach).
func Each(arr gjson.Result, fn func(i int, v gjson.Result) *apierror.Error) *apierror.Error {
	return elements(arr, nil, 0, nil, fn)
}

// elements walks the array arr for Each and EachObject: with keys, the
// members of each object element named keys are read into vals in the
// pass that finds its end.
func elements(arr gjson.Result, keys []string, raw uint, vals []gjson.Result, fn func(i int, v gjson.Result) *apierror.Error) *apierror.Error {
	if !arr.IsArray() {
		return nil
	}
	s := arr.Raw
	for i, n := 1, 0; ; n++ {
		i = skip(s, i)
		if i >= len(s) || s[i] == ']' {
			return nil
		}
		end := elementEnd(s, i, keys, raw, vals)
		if end <= i {
			return nil
		}
		if err := fn(n, decode(result(s[i:end]))); err != nil {
			return err
		}
		if i = skip(s, end); i >= len(s) || s[i] != ',' {
			return nil
		}
		i++
	}
}

// HasMembers reports whether obj is an object with at least one member,
// reading no further than the first one (gjson's Map would copy them all).
func HasMembers(obj gjson.Result) bool {
	has := false
	if obj.IsObject() {
		obj.ForEach(func(_, _ gjson.Result) bool {
			has = true
			return false
		})
	}
	return has
}

// Members reads the members of obj named keys into vals (vals[i] is the
// value of keys[i]; len(vals) >= len(keys)) in one pass over obj: a Get
// per key would scan obj from its start each time, and past all of it
// for a key that is absent. When a key repeats the first wins, as with
// Get; a key absent leaves its value as it was (the zero Result). The
// reading stops once every key is found. Members decodes no string it
// does not hand over.
func Members(obj gjson.Result, keys []string, vals []gjson.Result) {
	MembersRaw(obj, keys, vals, 0)
}

// MembersRaw is Members, except that the string values of the keys whose
// bit is set in raw (1<<i for keys[i]) are left as the document holds
// them: read them with Text, which copies them as they stand. Such a
// value's Str is empty when the string has escapes; its Type and Raw are
// as Members gives them.
func MembersRaw(obj gjson.Result, keys []string, vals []gjson.Result, raw uint) {
	if !obj.IsObject() {
		return
	}
	s := obj.Raw
	i := strings.IndexByte(s, '{') + 1
	found := 0
	for found < len(keys) {
		key, val, next, ok := member(s, i)
		if !ok {
			return
		}
		i = next
		if take(keyText(key), val, keys, vals, raw) {
			found++
		}
	}
}

// take keeps val as the value of key when key is one of keys not found
// before (the first of a repeated key wins, as with Get), as MembersRaw
// reads it; it reports whether it did.
func take(key, val string, keys []string, vals []gjson.Result, raw uint) bool {
	for k, name := range keys {
		if key == name {
			if vals[k].Exists() {
				return false
			}
			vals[k] = result(val)
			if raw&(1<<k) == 0 {
				vals[k] = decode(vals[k])
			}
			return true
		}
	}
	return false
}

// EachObject is Each for an array of objects of which fn reads the
// members keys, as MembersRaw reads them (raw likewise): vals holds them
// while fn runs (zero Results for an element that is not an object). They
// are read in the pass that finds each element's end, where Each and then
// MembersRaw would read every element twice: a coding agent's messages
// are most of its turn, and each is read once instead (FuzzEachObject
// holds it to Each and MembersRaw).
func EachObject(arr gjson.Result, keys []string, raw uint, vals []gjson.Result, fn func(i int, v gjson.Result) *apierror.Error) *apierror.Error {
	return elements(arr, keys, raw, vals, fn)
}

// elementEnd is the index after the element that starts at s[i]; with
// keys, an object's members named keys are read into vals on the way.
func elementEnd(s string, i int, keys []string, raw uint, vals []gjson.Result) int {
	if keys == nil {
		return valueEnd(s, i)
	}
	clear(vals[:len(keys)])
	if s[i] == '{' {
		if end := objectEnd(s, i, keys, vals, raw); end >= 0 {
			return end
		}
		// An object that does not close where its members end: found as
		// Each finds it, its members as MembersRaw reads them there.
		clear(vals[:len(keys)])
		end := valueEnd(s, i)
		if end > i {
			MembersRaw(gjson.Result{Type: gjson.JSON, Raw: s[i:end]}, keys, vals, raw)
		}
		return end
	}
	return valueEnd(s, i)
}

// objectEnd reads the members of the object that opens at s[i], keeping
// those named keys in vals, and returns the index after its closing
// brace; -1 when the members end at anything else.
func objectEnd(s string, i int, keys []string, vals []gjson.Result, raw uint) int {
	for i++; ; {
		key, val, next, ok := member(s, i)
		if !ok {
			if next < len(s) && s[next] == '}' {
				return next + 1
			}
			return -1
		}
		i = next
		take(keyText(key), val, keys, vals, raw)
	}
}

// Empty reports whether the array arr has no elements (anything but an
// array has none).
func Empty(arr gjson.Result) bool {
	if !arr.IsArray() {
		return true
	}
	i := skip(arr.Raw, strings.IndexByte(arr.Raw, '[')+1)
	return i >= len(arr.Raw) || arr.Raw[i] == ']'
}
