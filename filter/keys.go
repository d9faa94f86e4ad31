package filter

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"strings"
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
	for _, part := range strings.Split(value, ",") {
		key := strings.TrimSpace(part)
		if key == "" {
			continue
		}
		if !validKey(key) {
			return false
		}
		dup := false
		for _, have := range k.keys {
			if have == key {
				dup = true
				break
			}
		}
		if !dup && len(k.keys) < max {
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
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.~+/=", c) >= 0) {
			return false
		}
	}
	return true
}

// bearer returns the token of an Authorization header, "" if it is not a
// Bearer credential.
func bearer(v string) string {
	if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
		return strings.TrimSpace(v[7:])
	}
	return ""
}

// queryKeys returns the `key` query parameters of a path and the path with
// them removed, so the key is neither forwarded in the URL nor logged.
func queryKeys(path string) (keys []string, stripped string) {
	base, query, ok := strings.Cut(path, "?")
	if !ok {
		return nil, path
	}
	var kept []string
	for _, kv := range strings.Split(query, "&") {
		name, value, _ := strings.Cut(kv, "=")
		if name == "key" {
			if v, err := url.QueryUnescape(value); err == nil {
				keys = append(keys, v)
			} else {
				keys = append(keys, value)
			}
			continue
		}
		if kv != "" {
			kept = append(kept, kv)
		}
	}
	if len(kept) == 0 {
		return keys, base
	}
	return keys, base + "?" + strings.Join(kept, "&")
}

// keyHash is the short fingerprint used wherever a key must be identified
// (logs, metrics, access logs): never the key itself.
func keyHash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:6])
}
