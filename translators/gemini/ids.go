package gemini

import (
	"math/rand/v2"
	"strings"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/tidwall/gjson"
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// RandomID returns prefix and n random base62 characters. Gemini seldom
// sends a call id and never a stable one, so every tool call gets one,
// minted once and used in every representation of the call.
func RandomID(prefix string, n int) string {
	b := make([]byte, len(prefix), len(prefix)+n)
	copy(b, prefix)
	for range n {
		b = append(b, base62[rand.IntN(len(base62))])
	}
	return string(b)
}

// IDSafe reports whether s can be used inside a client-visible id:
// [A-Za-z0-9_-], at most 64 characters.
func IDSafe(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return len(s) <= 64
}

// MalformedCallError is what a MALFORMED_FUNCTION_CALL or
// UNEXPECTED_TOOL_CALL finish becomes: an error the client can retry. The
// candidate has no usable content, and passed off as a normal stop it would
// end an agent's loop with an empty answer and no error.
func MalformedCallError(reason string) *apierror.Error {
	return malformedCall(reason, reason)
}

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

// IsGemini3 reports a Gemini 3 model: thinking levels instead of budgets,
// thought signatures validated, a single candidate.
func IsGemini3(model string) bool { return strings.HasPrefix(model, "gemini-3") }

// CanThink reports whether a model accepts a thinkingConfig; Gemini
// answers 400 "Thinking is not enabled for this model" on the others.
func CanThink(model string) bool {
	for _, p := range [...]string{"gemini-1.", "gemini-2.0", "gemma-"} {
		if strings.HasPrefix(model, p) {
			return false
		}
	}
	return true
}

// ResponseID is prefix + Gemini's responseId when it is id-safe, else
// prefix + a random id: the client's message id.
func ResponseID(resp gjson.Result, prefix string) string {
	if id := resp.Get("responseId").String(); id != "" && IDSafe(id) {
		return prefix + id
	}
	return RandomID(prefix, 24)
}
