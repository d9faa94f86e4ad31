package gemini

import (
	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonw"
)

var googleStatus = map[apierror.Kind]string{
	apierror.InvalidRequest: "INVALID_ARGUMENT", apierror.Authentication: "UNAUTHENTICATED",
	apierror.Permission: "PERMISSION_DENIED", apierror.NotFound: "NOT_FOUND",
	apierror.MethodNotAllowed: "UNIMPLEMENTED", apierror.RequestTooLarge: "INVALID_ARGUMENT",
	apierror.RateLimited: "RESOURCE_EXHAUSTED", apierror.QuotaExhausted: "RESOURCE_EXHAUSTED",
	apierror.Server: "INTERNAL", apierror.BadGateway: "UNAVAILABLE", apierror.Overloaded: "UNAVAILABLE",
	apierror.Timeout: "DEADLINE_EXCEEDED",
}

// ErrorBody renders a gateway error in Google's shape, for native Gemini
// clients: {"error":{"code","message","status"}}.
func ErrorBody(e *apierror.Error) []byte {
	status := e.Upstream
	if status == "" {
		status = googleStatus[e.Kind]
	}
	b := make([]byte, 0, 64+len(e.Message))
	b = append(b, `{"error":{"code":`...)
	b = jsonw.Int(b, int64(e.Status))
	b = append(b, `,"message":`...)
	b = jsonw.String(b, e.Message)
	b = append(b, `,"status":`...)
	b = jsonw.String(b, status)
	return append(b, "}}"...)
}
