package jsonidx

import (
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
	valid, e := jsondepth.ReadRequest(body)
	if e != nil {
		return gjson.Result{}, e
	}
	if !valid {
		return gjson.Result{}, apierror.Invalid("", "The request body is not valid JSON.")
	}
	parsed := gjson.Parse(unsafe.String(unsafe.SliceData(body), len(body)))
	if !parsed.IsObject() {
		return gjson.Result{}, apierror.Invalid("", "The request body must be a JSON object.")
	}
	return parsed, nil
}

// ParseRequest is Parse, then the body's top level indexed once: gjson's
// Get scans the object from its start on every call, skipping the whole
// `messages` array for each field after it or absent.
func ParseRequest(body []byte) (Object, *apierror.Error) {
	parsed, e := Parse(body)
	if e != nil {
		return Object{}, e
	}
	root, ok := Index(parsed)
	if !ok {
		return Object{}, apierror.Invalid("", "The request body has more than "+apierror.Itoa(MaxFields)+" top-level fields; the gateway accepts at most "+apierror.Itoa(MaxFields)+".")
	}
	return root, nil
}
