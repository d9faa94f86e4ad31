package fakegemini

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestAuth covers the key rules: x-goog-api-key or ?key=, and an
// Authorization header taken for an OAuth token.
func TestAuth(t *testing.T) {
	s := newServer(t)
	const path = "/v1beta/models/gemini-2.5-flash:generateContent"
	ok := body(contents(userHi))
	cases := []struct {
		name   string
		query  string
		header map[string]string
		status int
		gstat  string
		want   string
	}{
		{"x-goog-api-key header", "", map[string]string{"x-goog-api-key": "k1"}, 200, "", ""},
		{"key query parameter", "?key=k1", nil, 200, "", ""},
		{"same key in header and query", "?key=k1", map[string]string{"x-goog-api-key": "k1"}, 200, "", ""},
		{"no key", "", nil, 403, "PERMISSION_DENIED", "Method doesn't allow unregistered callers"},
		{"Authorization bearer with key", "", map[string]string{"x-goog-api-key": "k1", "Authorization": "Bearer k1"}, 401, "UNAUTHENTICATED", "Expected OAuth 2 access token"},
		{"Authorization bearer only", "", map[string]string{"Authorization": "Bearer k1"}, 401, "UNAUTHENTICATED", "Request had invalid authentication credentials."},
		{"x-api-key forwarded", "", map[string]string{"x-goog-api-key": "k1", "x-api-key": "sk-ant"}, 400, "INVALID_ARGUMENT", "x-api-key"},
		{"two keys in one header", "", map[string]string{"x-goog-api-key": "k1,k2"}, 400, "INVALID_ARGUMENT", "API key not valid."},
		{"different keys in header and query", "?key=k2", map[string]string{"x-goog-api-key": "k1"}, 400, "INVALID_ARGUMENT", "API key not valid."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, b, _ := call(t, s, "POST", path+tc.query, tc.header, ok)
			if code != tc.status {
				t.Fatalf("status %d, want %d: %s", code, tc.status, b)
			}
			if code == 200 {
				return
			}
			e := parseError(t, b)
			if e.Error.Status != tc.gstat || !strings.Contains(e.Error.Message, tc.want) {
				t.Errorf("got %s %q", e.Error.Status, e.Error.Message)
			}
		})
	}
}

func TestValidKeys(t *testing.T) {
	s := newServer(t)
	s.ValidKeys("good")
	code, b, _ := call(t, s, "POST", "/v1beta/models/gemini-2.5-flash:generateContent", map[string]string{"x-goog-api-key": "good"}, body(contents(userHi)))
	if code != 200 {
		t.Fatalf("valid key: %d %s", code, b)
	}
	code, b, _ = call(t, s, "POST", "/v1beta/models/gemini-2.5-flash:generateContent?key=bad", nil, body(contents(userHi)))
	e := parseError(t, b)
	if code != 400 || e.Error.Status != "INVALID_ARGUMENT" || e.Error.Message != "API key not valid. Please pass a valid API key." {
		t.Fatalf("bad key: %d %s", code, b)
	}
	var info struct {
		Type   string `json:"@type"`
		Reason string `json:"reason"`
		Domain string `json:"domain"`
	}
	if len(e.Error.Details) > 0 {
		_ = json.Unmarshal(e.Error.Details[0], &info)
	}
	if info.Type != "type.googleapis.com/google.rpc.ErrorInfo" || info.Reason != "API_KEY_INVALID" || info.Domain != "googleapis.com" {
		t.Errorf("details: %s", e.Error.Details)
	}
	// The invalid key is recorded as used.
	reqs := s.Requests()
	if last := reqs[len(reqs)-1]; last.Key != "bad" || last.Status != 400 {
		t.Errorf("log: %+v", last)
	}
}
