package gemini

import (
	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonw"
	"github.com/tidwall/gjson"
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

// MalformedCallError is what a MALFORMED_FUNCTION_CALL or
// UNEXPECTED_TOOL_CALL finish becomes: an error the client can retry. The
// candidate has no usable content, and passed off as a normal stop it would
// end an agent's loop with an empty answer and no error.
func MalformedCallError(reason string) *apierror.Error {
	return malformedCall(reason, reason)
}

// malformedCall is not inlined (an error path; 4 KB of Wasm inlined).
//
//go:noinline
func malformedCall(what, code string) *apierror.Error {
	e := apierror.New(apierror.BadGateway, "Gemini produced an invalid tool call ("+what+"); the answer was discarded. Retrying the request usually succeeds.")
	e.Upstream = code
	return e
}

// CheckFunctionCall vets the value of a part's functionCall: an object
// with a non-empty string name and, when present, object args. Anything
// else would reach the client as a tool call with no name, which it can
// neither run nor answer; it is the same failure as a
// MALFORMED_FUNCTION_CALL finish and gets the same error.
func CheckFunctionCall(fc gjson.Result) *apierror.Error {
	if !fc.IsObject() {
		return malformedCall("a functionCall that is not an object", "MALFORMED_FUNCTION_CALL")
	}
	if name := fc.Get("name"); name.Type != gjson.String || name.Str == "" {
		return malformedCall("a functionCall without a name", "MALFORMED_FUNCTION_CALL")
	}
	if args := fc.Get("args"); args.Exists() && args.Type != gjson.Null && !args.IsObject() {
		return malformedCall("a functionCall whose args are not an object", "MALFORMED_FUNCTION_CALL")
	}
	return nil
}

// TruncatedError is a stream that ended before its finishReason.
func TruncatedError() *apierror.Error {
	return apierror.New(apierror.BadGateway, "Gemini's stream ended before the answer was finished (no finishReason); the answer is incomplete. Retry the request.")
}
