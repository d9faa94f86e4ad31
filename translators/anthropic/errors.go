// Package anthropic translates the Anthropic Messages API to Gemini and back.
package anthropic

import (
	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonw"
)

// errorType maps a kind to Anthropic's error type and HTTP status
// (docs/answer-mapping.md#errors): Anthropic reports overload as 529.
func errorType(e *apierror.Error) (typ string, status int) {
	t, ok := errorTypes[e.Kind]
	if !ok {
		return "invalid_request_error", e.Status
	}
	if t.status == 0 {
		return t.typ, e.Status
	}
	return t.typ, t.status
}

// errorTypes: Anthropic's error type and status of each kind (status 0:
// the error's own).
var errorTypes = map[apierror.Kind]struct {
	typ    string
	status int
}{
	apierror.Authentication: {"authentication_error", 401}, apierror.Permission: {"permission_error", 403},
	apierror.NotFound: {"not_found_error", 404}, apierror.RequestTooLarge: {"request_too_large", 413},
	apierror.RateLimited: {"rate_limit_error", 429}, apierror.QuotaExhausted: {"rate_limit_error", 429},
	apierror.Overloaded: {"overloaded_error", 529}, apierror.Timeout: {"timeout_error", 504},
	apierror.Server: {"api_error", 0}, apierror.BadGateway: {"api_error", 0},
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
