package filter

import (
	"encoding/hex"
	"slices"
	"strings"

	"github.com/gemini-code-api/gemini-code-api/filter/internal/sha256"
)

// clientKeys collects the Gemini keys a client sent. Clients of every
// protocol put their key where their SDK does: OpenAI's Authorization
// Bearer, Anthropic's x-api-key, Gemini's x-goog-api-key or ?key=. Several
// keys may be given comma-separated; they are the client's own pool.
type clientKeys struct {
	keys []string
}

// add splits a header value into keys, skipping duplicates and blanks.
func (k *clientKeys) add(value string, max int) bool {
	for rest, more := value, true; more; {
		var part string
		part, rest, more = strings.Cut(rest, ",")
		key := strings.TrimSpace(part)
		if key == "" {
			continue
		}
		if !validKey(key) {
			return false
		}
		if !slices.Contains(k.keys, key) && len(k.keys) < max {
			k.keys = append(k.keys, key)
		}
	}
	return true
}

// validKey admits the characters of API keys and tokens. Anything else
// (spaces, control characters, quotes) could never be a Gemini key and must
// not be copied into an upstream header.
func validKey(k string) bool {
	if len(k) > 256 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if !keyByte[k[i]] {
			return false
		}
	}
	return true
}

// keyByte marks the bytes validKey admits: one lookup per byte rather
// than a search of the punctuation for each.
var keyByte = func() (t [256]bool) {
	for c := range 256 {
		t[c] = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.~+/=", byte(c)) >= 0
	}
	return t
}()

// bearer returns the token of an Authorization header, "" if it is not a
// Bearer credential.
func bearer(v string) string {
	if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
		return strings.TrimSpace(v[7:])
	}
	return ""
}

// queryKeys returns the key query parameters of a path and the path with
// them removed, so a key is neither forwarded in the URL nor logged. A
// parameter is a key when its name, percent-decoded, is "key" in any case:
// Google decodes names before matching, so `?KEY=` or `?%6Bey=` would
// otherwise carry a key past the filter to Gemini's URL and the access log.
// Every other parameter is kept byte for byte, in order; when no key is
// found the path is returned unchanged.
func queryKeys(path string) (keys []string, stripped string) {
	base, query, ok := strings.Cut(path, "?")
	if !ok {
		return nil, path
	}
	var kept []byte
	found := false
	for rest := query; ; {
		kv, next, more := strings.Cut(rest, "&")
		name, value, _ := strings.Cut(kv, "=")
		if isKeyName(name) {
			found = true
			if v, ok := queryUnescape(value); ok {
				keys = append(keys, v)
			} else {
				keys = append(keys, value)
			}
		} else if kv != "" {
			if len(kept) > 0 {
				kept = append(kept, '&')
			}
			kept = append(kept, kv...)
		}
		if !more {
			break
		}
		rest = next
	}
	if !found {
		return nil, path
	}
	if len(kept) == 0 {
		return keys, base
	}
	return keys, base + "?" + string(kept)
}

// isKeyName reports whether a raw query parameter name decodes to "key"
// (ASCII case-insensitively, as strings.EqualFold compares). Escapes are
// decoded leniently: a malformed one stays as it is, and can never spell
// "key".
func isKeyName(name string) bool {
	// Whatever folds to "key" decodes to at most 5 bytes (the Kelvin sign
	// folds to k and is 3), so at most 15 escaped.
	if len(name) < 3 || len(name) > 15 {
		return false
	}
	if strings.IndexByte(name, '%') < 0 && strings.IndexByte(name, '+') < 0 {
		return strings.EqualFold(name, "key")
	}
	var buf [15]byte
	b := buf[:0]
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '%' && i+2 < len(name) && isHex(name[i+1]) && isHex(name[i+2]):
			c = unhex(name[i+1])<<4 | unhex(name[i+2])
			i += 2
		case c == '+':
			c = ' '
		}
		b = append(b, c)
	}
	return strings.EqualFold(string(b), "key")
}

// queryUnescape decodes a query value as net/url's QueryUnescape does
// (%XX escapes, '+' for a space; ok is false for a malformed escape),
// without linking net/url and what it imports into the module.
func queryUnescape(s string) (string, bool) {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s, true
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return "", false
			}
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		case c == '+':
			b = append(b, ' ')
		default:
			b = append(b, c)
		}
	}
	return string(b), true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// keyHash is the short fingerprint used wherever a key must be identified
// (logs, metrics, access logs): never the key itself.
func keyHash(key string) string {
	sum := sha256.Sum256(key)
	return hex.EncodeToString(sum[:6])
}
