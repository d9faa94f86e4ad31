// Package jsonidx indexes the top-level fields of a JSON object once.
//
// gjson's Result.Get scans the document from its start on every call; a
// translator that reads twenty optional fields of a request whose
// `messages` array is most of the body would skip over that array twenty
// times. Object reads the top level once and answers each lookup from a
// small slice.
package jsonidx

import "github.com/tidwall/gjson"

// Object is an indexed JSON object. The zero value has no fields.
type Object struct {
	keys []string
	vals []gjson.Result
}

// Index reads the top-level fields of obj (a JSON object; anything else
// gives an empty Object). When a key repeats, the last value wins, as in
// encoding/json.
func Index(obj gjson.Result) Object {
	var o Object
	o.Load(obj)
	return o
}

// Load re-indexes o for obj, reusing its memory: for hot loops that index
// one object after another (stream events).
func (o *Object) Load(obj gjson.Result) {
	o.keys, o.vals = o.keys[:0], o.vals[:0]
	if !obj.IsObject() {
		return
	}
	obj.ForEach(func(k, v gjson.Result) bool {
		o.keys = append(o.keys, k.Str)
		o.vals = append(o.vals, v)
		return true
	})
}

// Get returns the field's value; a missing field is the zero Result
// (Exists() is false), like gjson.
func (o Object) Get(key string) gjson.Result {
	for i := len(o.keys) - 1; i >= 0; i-- {
		if o.keys[i] == key {
			return o.vals[i]
		}
	}
	return gjson.Result{}
}
