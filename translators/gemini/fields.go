package gemini

import (
	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonidx"
	"github.com/tidwall/gjson"
)

// Fields reads the typed fields of a client request that every protocol
// has (booleans, sampling numbers, token counts) and words what it refuses
// in the protocol's style: OpenAI's "Invalid type for 'x': expected a
// boolean.", Anthropic's "x: Input should be a valid boolean". Absent and
// null fields are unset, never an error.
type Fields struct {
	NotBool    func(param string) *apierror.Error
	NotNumber  func(param string) *apierror.Error
	NotInteger func(param string) *apierror.Error
	// OutOfRange refuses the number raw outside [lo, hi].
	OutOfRange func(param, raw string, lo, hi float64) *apierror.Error
	// Below refuses an integer below lo.
	Below func(param string, lo int64) *apierror.Error
	// TooMany refuses more than limit entries of param (what names them:
	// "tools", "domains"), a bound of this gateway rather than of the API.
	TooMany func(param string, limit int, what string) *apierror.Error
	// TooDeep refuses a JSON schema nested depth levels deep, beyond what
	// the gateway reads (CleanSchema).
	TooDeep func(param string, depth int) *apierror.Error
	// SafeIntegers refuses integers beyond ±2^53, which JSON numbers cannot
	// carry exactly (Anthropic's API does; OpenAI's passes them on).
	SafeIntegers bool
}

// NonEmpty refuses, in the protocol's words, a list (the request's param)
// that is not an array (notArray) or that has no element (empty).
func NonEmpty(list gjson.Result, param, notArray, empty string) *apierror.Error {
	if !list.IsArray() {
		return apierror.Invalid(param, notArray)
	}
	if jsonidx.Empty(list) {
		return apierror.Invalid(param, empty)
	}
	return nil
}

// Unset reports a field that is absent or null.
func Unset(v gjson.Result) bool { return !v.Exists() || v.Type == gjson.Null }

// Bool reads an optional boolean v into dst: true sets it; false, null and
// absent leave it.
func (f *Fields) Bool(v gjson.Result, param string, dst *bool) *apierror.Error {
	switch v.Type {
	case gjson.True:
		*dst = true
	case gjson.False, gjson.Null:
	default:
		if v.Exists() {
			return f.NotBool(param)
		}
	}
	return nil
}

// Int reads an optional integer v of at least lo; ok is false when unset.
func (f *Fields) Int(v gjson.Result, param string, lo int64) (n int64, ok bool, e *apierror.Error) {
	if Unset(v) {
		return 0, false, nil
	}
	if v.Type != gjson.Number || v.Num != float64(int64(v.Num)) || f.SafeIntegers && (v.Num > 1<<53 || v.Num < -(1<<53)) {
		return 0, false, f.NotInteger(param)
	}
	if int64(v.Num) < lo {
		return 0, false, f.Below(param, lo)
	}
	return int64(v.Num), true, nil
}

// Number reads an optional number v within [lo, hi] and returns it as the
// client wrote it; ok is false when unset.
func (f *Fields) Number(v gjson.Result, param string, lo, hi float64) (raw string, ok bool, e *apierror.Error) {
	if Unset(v) {
		return "", false, nil
	}
	if v.Type != gjson.Number {
		return "", false, f.NotNumber(param)
	}
	if v.Num < lo || v.Num > hi {
		return "", false, f.OutOfRange(param, v.Raw, lo, hi)
	}
	return v.Raw, true, nil
}
