// Package anthropic translates the Anthropic Messages API to Gemini and back.
package anthropic

import (
	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonw"
)

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
