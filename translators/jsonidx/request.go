package jsonidx

import (
	"strings"
	"unsafe"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/jsondepth"
	"github.com/tidwall/gjson"
)

// Parse checks that a client's request body is a JSON object the
// translators may read: nesting first, then JSON (both in jsondepth's one
// pass, which reports a body too deep before anything else wrong in it),
// then an object.
//
// The result views body without copying it (gjson.ParseBytes would copy
// the whole body, an allocation and a copy per request): body must not be
// modified while the result and the strings read from it are in use. The
// translators copy what they keep beyond the request (answers outlive the
// body), and the filter never writes a body it has read.
func Parse(body []byte) (gjson.Result, *apierror.Error) {
	parsed, _, e := parse(body, jsondepth.Commas{})
	return parsed, e
}

// parse is Parse noting the top-level commas into commas.
func parse(body []byte, commas jsondepth.Commas) (gjson.Result, jsondepth.Commas, *apierror.Error) {
	valid, commas, e := jsondepth.ReadRequest(body, commas)
	if e != nil {
		return gjson.Result{}, commas, e
	}
	if !valid {
		return gjson.Result{}, commas, apierror.Invalid("", "The request body is not valid JSON.")
	}
	parsed := gjson.Parse(unsafe.String(unsafe.SliceData(body), len(body)))
	if !parsed.IsObject() {
		return gjson.Result{}, commas, apierror.Invalid("", "The request body must be a JSON object.")
	}
	return parsed, commas, nil
}

// ParseRequest is Parse, then the body's top level indexed: gjson's Get
// scans the object from its start on every call, skipping the whole
// `messages` array for each field after it or absent. The validation has
// noted where the top-level commas stand (jsondepth.Commas), so the
// members are read between them, and no value is read to find its end.
//
// known are values that the body may hold at its top level and that were
// validated before (jsondepth.Commas): they are recognised, not read.
func ParseRequest(body []byte, known []jsondepth.Known) (Object, *apierror.Error) {
	var at [32]int32
	parsed, commas, e := parse(body, jsondepth.Commas{At: at[:0], Max: MaxFields, Known: known})
	if e != nil {
		return Object{}, e
	}
	if len(commas.At) >= MaxFields {
		return Object{}, apierror.Invalid("", "The request body has more than "+apierror.Itoa(MaxFields)+" top-level fields; the gateway accepts at most "+apierror.Itoa(MaxFields)+".")
	}
	s := parsed.Raw // from the opening brace to the body's end
	base := len(body) - len(s)
	o := Object{fields: make([]field, 0, len(commas.At)+1)}
	start, last := 1, strings.LastIndexByte(s, '}')
	for k := 0; k <= len(commas.At); k++ {
		end := last
		if k < len(commas.At) {
			end = int(commas.At[k]) - base
		}
		if key, val, ok := between(s, start, end); ok {
			o.fields = append(o.fields, field{keyText(key), result(val)})
		}
		start = end + 1
	}
	return o, nil
}
