// Package rawhttp sends the raw HTTP requests of the end-to-end tests and of
// the fake Gemini's own tests: any method, headers exactly as given, the
// whole answer read. It is its own package because the fake's tests cannot
// import the e2e packages that import the fake.
package rawhttp

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Send makes a request (no body when body is ""; headers as name, value
// pairs, set in order, so a later one replaces an earlier one of the same
// name) and reads the whole answer, failing t on any transport error.
func Send(t testing.TB, ctx context.Context, method, url, body string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", method, url, err)
	}
	return resp, b
}
