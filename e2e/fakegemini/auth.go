package fakegemini

import (
	"net/http"
	"net/url"
	"strings"
)

// Messages of the real front end for credentials it does not accept.
const (
	msgUnauthenticated = "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
	msgUnregistered    = "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API."
	msgKeyInvalid      = "API key not valid. Please pass a valid API key."
)

// apiKeyInvalid is the 400 Google answers for a bad key (a 400 with reason
// API_KEY_INVALID, not a 401).
func apiKeyInvalid() *apiError {
	return invalidArgument(msgKeyInvalid,
		ErrorInfoDetail("API_KEY_INVALID", "googleapis.com",
			map[string]string{"service": "generativelanguage.googleapis.com"}),
		LocalizedMessageDetail(msgKeyInvalid))
}

// requestKey returns the key a request carries, for the request log and
// scripts: the x-goog-api-key header first, then ?key=.
func requestKey(r *http.Request) string {
	if v := strings.TrimSpace(r.Header.Get("X-Goog-Api-Key")); v != "" {
		return v
	}
	return strings.TrimSpace(r.URL.Query().Get("key"))
}

// authenticate applies the key rules. rpc is the fully qualified RPC name
// used in the ErrorInfo metadata of the 401.
func (s *Server) authenticate(r *http.Request, q url.Values, rpc string) (string, *apiError) {
	// An Authorization header (or access_token) is parsed as an OAuth
	// token, even when a valid key is present as well.
	if r.Header.Get("Authorization") != "" || q.Get("access_token") != "" {
		return "", newError(http.StatusUnauthorized, msgUnauthenticated,
			ErrorInfoDetail("ACCESS_TOKEN_TYPE_UNSUPPORTED", "googleapis.com",
				map[string]string{"method": rpc, "service": "generativelanguage.googleapis.com"}))
	}
	// Fake-specific: an Anthropic-style key header forwarded upstream is a
	// gateway bug, refused loudly (the brief asks for a 400).
	if len(r.Header.Values("X-Api-Key")) > 0 {
		return "", invalidArgument(`Request contains an unsupported header "x-api-key"; ` +
			`the Gemini API takes its key from the "x-goog-api-key" header or the "key" query parameter.`)
	}
	var keys []string
	seen := map[string]bool{}
	for _, v := range append(r.Header.Values("X-Goog-Api-Key"), q["key"]...) {
		v = strings.TrimSpace(v)
		if v == "" || seen[v] {
			continue
		}
		seen[v] = true
		keys = append(keys, v)
	}
	if len(keys) == 0 {
		return "", newError(http.StatusForbidden, msgUnregistered)
	}
	// Several distinct keys (header + query, repeated header, "k1,k2").
	if len(keys) > 1 || strings.Contains(keys[0], ",") {
		return "", apiKeyInvalid()
	}
	s.mu.Lock()
	valid := s.validKeys
	s.mu.Unlock()
	if valid != nil && !valid[keys[0]] {
		return "", apiKeyInvalid()
	}
	return keys[0], nil
}
