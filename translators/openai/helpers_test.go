package openai

import (
	"encoding/json"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
)

// invalidRequestBody checks the document a client gets for a refused
// request: OpenAI's error object, of type invalid_request_error, with its
// message, type, param and code.
func invalidRequestBody(t *testing.T, e *apierror.Error) {
	t.Helper()
	var body map[string]map[string]any
	if err := json.Unmarshal(ErrorBody(e), &body); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"message", "type", "param", "code"} {
		if _, ok := body["error"][k]; !ok {
			t.Fatalf("error body lacks %q: %s", k, ErrorBody(e))
		}
	}
	if body["error"]["type"] != "invalid_request_error" {
		t.Fatalf("error body %s", ErrorBody(e))
	}
}
