package e2e_test

import (
	"net/http"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/e2e/internal/rawhttp"
)

// send makes a raw HTTP request within the test's deadline (headers as
// name, value pairs; no body when body is "") and reads the whole answer.
func send(t *testing.T, method, url, body string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	return rawhttp.Send(t, ctx(t), method, url, body, headers...)
}
