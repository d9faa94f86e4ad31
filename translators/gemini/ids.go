package gemini

import (
	"math/rand/v2"

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

// ResponseID is prefix + Gemini's responseId when it is id-safe, else a
// new id (newID, as translator.Env.NewID): the client's message id.
func ResponseID(resp gjson.Result, prefix string, newID func(prefix string) string) string {
	return ResponseIDOf(resp.Get("responseId").String(), prefix, newID)
}

// ResponseIDOf is ResponseID for a responseId already read.
func ResponseIDOf(id, prefix string, newID func(prefix string) string) string {
	if id != "" && IDSafe(id) {
		return prefix + id
	}
	return newID(prefix)
}
