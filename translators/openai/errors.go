package openai

import (
	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonw"
)

// errorType returns OpenAI's error type and code for a kind
// (docs/answer-mapping.md#errors).
func errorType(e *apierror.Error) (typ, code string) {
	switch e.Kind {
	case apierror.Authentication:
		return "invalid_request_error", "invalid_api_key"
	case apierror.Permission:
		return "permission_error", ""
	case apierror.NotFound:
		if e.Param == "model" || e.Upstream == "NOT_FOUND" {
			return "invalid_request_error", "model_not_found"
		}
		return "invalid_request_error", "unknown_url"
	case apierror.RateLimited:
		return "rate_limit_error", "rate_limit_exceeded"
	case apierror.QuotaExhausted:
		return "insufficient_quota", "insufficient_quota"
	case apierror.Server, apierror.BadGateway, apierror.Overloaded, apierror.Timeout:
		return "server_error", ""
	}
	return "invalid_request_error", ""
}

// ErrorBody renders e in OpenAI's shape: all four keys present, param and
// code null when unknown (openai-go and openai-python read `error`).
func ErrorBody(e *apierror.Error) []byte {
	typ, code := errorType(e)
	if code == "" && e.Upstream != "" {
		code = e.Upstream // Google's status, for debugging
	}
	b := make([]byte, 0, 96+len(e.Message))
	b = append(b, `{"error":{"message":`...)
	b = jsonw.String(b, e.Message)
	b = append(b, `,"type":`...)
	b = jsonw.String(b, typ)
	b = append(b, `,"param":`...)
	if e.Param != "" {
		b = jsonw.String(b, e.Param)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"code":`...)
	if code != "" {
		b = jsonw.String(b, code)
	} else {
		b = append(b, "null"...)
	}
	return append(b, "}}"...)
}

// Status is the HTTP status OpenAI clients expect for e.
func Status(e *apierror.Error) int { return e.Status }
