// Package anthropic translates the Anthropic Messages API to Gemini and back.
package anthropic

import (
	"strconv"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
	"github.com/gemini-code-api/gemini-code-api/translators/jsondepth"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonw"
)

// fields reads typed request fields with Anthropic's wording of a refusal
// ("<path>: Input should be …").
var fields = gemini.Fields{
	NotBool:    func(p string) *apierror.Error { return apierror.Invalid(p, p+": Input should be a valid boolean") },
	NotNumber:  func(p string) *apierror.Error { return apierror.Invalid(p, p+": Input should be a valid number") },
	NotInteger: func(p string) *apierror.Error { return apierror.Invalid(p, p+": Input should be a valid integer") },
	OutOfRange: func(p, _ string, lo, hi float64) *apierror.Error {
		return apierror.Invalid(p, p+": Input should be between "+strconv.FormatFloat(lo, 'g', -1, 64)+" and "+strconv.FormatFloat(hi, 'g', -1, 64))
	},
	Below: func(p string, lo int64) *apierror.Error {
		return apierror.Invalid(p, p+": Input should be greater than or equal to "+strconv.FormatInt(lo, 10))
	},
	TooDeep: func(p string, depth int) *apierror.Error {
		return apierror.Invalid(p, p+": the schema nests JSON "+strconv.Itoa(depth)+" levels deep; the gateway accepts at most "+strconv.Itoa(jsondepth.MaxDepth))
	},
	SafeIntegers: true,
}

// errorType maps a kind to Anthropic's error type and HTTP status
// (docs/answer-mapping.md#errors): Anthropic reports overload as 529.
func errorType(e *apierror.Error) (typ string, status int) {
	switch e.Kind {
	case apierror.Authentication:
		return "authentication_error", 401
	case apierror.Permission:
		return "permission_error", 403
	case apierror.NotFound:
		return "not_found_error", 404
	case apierror.RequestTooLarge:
		return "request_too_large", 413
	case apierror.RateLimited, apierror.QuotaExhausted:
		return "rate_limit_error", 429
	case apierror.Overloaded:
		return "overloaded_error", 529
	case apierror.Timeout:
		return "timeout_error", 504
	case apierror.Server, apierror.BadGateway:
		return "api_error", e.Status
	}
	return "invalid_request_error", e.Status
}

// ErrorBody renders e in Anthropic's shape.
func ErrorBody(e *apierror.Error) []byte {
	typ, _ := errorType(e)
	b := make([]byte, 0, 64+len(e.Message))
	b = append(b, `{"type":"error","error":{"type":`...)
	b = jsonw.String(b, typ)
	b = append(b, `,"message":`...)
	b = jsonw.String(b, e.Message)
	return append(b, "}}"...)
}

// Status is the HTTP status Anthropic clients expect for e.
func Status(e *apierror.Error) int {
	_, s := errorType(e)
	return s
}
