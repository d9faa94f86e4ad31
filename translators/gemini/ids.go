package gemini

import (
	"math/rand/v2"
	"strings"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/tidwall/gjson"
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// RandomID returns prefix and n random base62 characters. Gemini never
// supplies stable call ids (P9): every tool call gets one, minted once.
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
// UNEXPECTED_TOOL_CALL finish becomes: an error the client can retry, never
// a silent empty answer (P15).
func MalformedCallError(reason string) *apierror.Error {
	e := apierror.New(apierror.BadGateway, "Gemini produced an invalid tool call ("+reason+"); the answer was discarded. Retrying the request usually succeeds.")
	e.Upstream = reason
	return e
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
