package e2e_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/e2e/fakegemini"
	"github.com/gemini-code-api/gemini-code-api/e2e/harness"
	"google.golang.org/genai"
)

func genaiClient(t *testing.T, env *harness.Env, key string) *genai.Client {
	t.Helper()
	c, err := genai.NewClient(ctx(t), &genai.ClientConfig{
		APIKey:      key,
		Backend:     genai.BackendGeminiAPI,
		HTTPOptions: genai.HTTPOptions{BaseURL: env.URL},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestGeminiNative(t *testing.T) {
	harness.Each(t, `{"models":{"my-flash":"gemini-2.5-flash","my-embed":"text-embedding-004"}}`, func(t *testing.T, env *harness.Env) {
		c := genaiClient(t, env, "AIzaK1,AIzaK2")
		last := func() fakegemini.Request {
			r := env.Fake.Requests()
			return r[len(r)-1]
		}
		t.Run("generate", func(t *testing.T) {
			env.Fake.Enqueue("", fakegemini.Reply{Text: "native hello", Usage: &fakegemini.Usage{Prompt: 3, Candidates: 2}})
			resp, err := c.Models.GenerateContent(ctx(t), "gemini-2.5-flash", genai.Text("hi"), nil)
			if err != nil {
				t.Fatal(err)
			}
			if resp.Text() != "native hello" {
				t.Fatalf("text %q", resp.Text())
			}
			r := last()
			if r.Path != "/v1beta/models/gemini-2.5-flash:generateContent" || (r.Key != "AIzaK1" && r.Key != "AIzaK2") {
				t.Fatalf("upstream %s key %q", r.Path, r.Key)
			}
		})
		t.Run("alias rewritten in the path, body untouched", func(t *testing.T) {
			env.Fake.Enqueue("", fakegemini.Reply{Text: "aliased"})
			resp, err := c.Models.GenerateContent(ctx(t), "my-flash", genai.Text("hi"), &genai.GenerateContentConfig{Temperature: genai.Ptr[float32](0.5)})
			if err != nil {
				t.Fatal(err)
			}
			r := last()
			if resp.Text() != "aliased" || r.Path != "/v1beta/models/gemini-2.5-flash:generateContent" {
				t.Fatalf("%q %s", resp.Text(), r.Path)
			}
			if !strings.Contains(string(r.Body), `"temperature":0.5`) {
				t.Fatalf("body changed: %s", r.Body)
			}
		})
		t.Run("stream", func(t *testing.T) {
			env.Fake.Enqueue("", fakegemini.Reply{Text: "one two three four"})
			var text strings.Builder
			n := 0
			for resp, err := range c.Models.GenerateContentStream(ctx(t), "gemini-2.5-flash", genai.Text("count"), nil) {
				if err != nil {
					t.Fatal(err)
				}
				text.WriteString(resp.Text())
				n++
			}
			if text.String() != "one two three four" || n < 2 {
				t.Fatalf("%d events, text %q", n, text.String())
			}
			if r := last(); r.Action != "streamGenerateContent" || r.RawQuery != "alt=sse" {
				t.Fatalf("upstream %s ?%s", r.Action, r.RawQuery)
			}
		})
		t.Run("count tokens", func(t *testing.T) {
			resp, err := c.Models.CountTokens(ctx(t), "gemini-2.5-flash", genai.Text("a fairly short sentence"), nil)
			if err != nil {
				t.Fatal(err)
			}
			if resp.TotalTokens != int32(fakegemini.EstimateTokens("a fairly short sentence")) {
				t.Fatalf("tokens %d", resp.TotalTokens)
			}
		})
		t.Run("embed", func(t *testing.T) {
			resp, err := c.Models.EmbedContent(ctx(t), "text-embedding-004", genai.Text("vector me"), nil)
			if err != nil {
				t.Fatal(err)
			}
			want := fakegemini.EmbeddingFor("vector me", 768, 768)
			if len(resp.Embeddings) != 1 || len(resp.Embeddings[0].Values) != 768 || resp.Embeddings[0].Values[3] != want[3] {
				t.Fatalf("embedding mismatch")
			}
		})
		t.Run("embed through an alias", func(t *testing.T) {
			resp, err := c.Models.EmbedContent(ctx(t), "my-embed", genai.Text("vector me"), nil)
			if err != nil {
				t.Fatal(err)
			}
			if r := last(); r.Path != "/v1beta/models/text-embedding-004:batchEmbedContents" || len(resp.Embeddings) != 1 {
				t.Fatalf("upstream %s", r.Path)
			}
		})
		t.Run("list and get models", func(t *testing.T) {
			page, err := c.Models.List(ctx(t), nil)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, m := range page.Items {
				found = found || m.Name == "models/gemini-2.5-pro"
			}
			if !found {
				t.Fatalf("models.list through the gateway lacks gemini-2.5-pro: %d items", len(page.Items))
			}
			m, err := c.Models.Get(ctx(t), "gemini-2.5-pro", nil)
			if err != nil || m.Name != "models/gemini-2.5-pro" {
				t.Fatalf("get: %v %+v", err, m)
			}
		})
		t.Run("upstream errors pass through in Google's shape", func(t *testing.T) {
			// Both of the client's keys are rate-limited: the second attempt
			// (key failover) gets the 429 too, and that reaches the client.
			env.Fake.Enqueue("", fakegemini.Reply{Status: 429, RetryDelay: "7s"}, fakegemini.Reply{Status: 429, RetryDelay: "7s"})
			_, err := c.Models.GenerateContent(ctx(t), "gemini-2.5-flash", genai.Text("hi"), nil)
			var apiErr genai.APIError
			if !asAPIError(err, &apiErr) || apiErr.Code != 429 || apiErr.Status != "RESOURCE_EXHAUSTED" {
				t.Fatalf("got %T %v", err, err)
			}
		})
	})
}

func asAPIError(err error, out *genai.APIError) bool {
	switch e := err.(type) {
	case genai.APIError:
		*out = e
		return true
	case *genai.APIError:
		*out = *e
		return true
	}
	return false
}

// Raw HTTP: query keys, the JSON-array stream, unknown methods forwarded,
// malformed model paths and missing keys in Google's error shape, and usage
// read from the passing answer into the access log.
func TestGeminiNativeRaw(t *testing.T) {
	env := harness.NewHost(t, "")
	do := func(method, path, body string, hdr map[string]string) (int, string) {
		t.Helper()
		var pairs []string
		for k, v := range hdr {
			pairs = append(pairs, k, v)
		}
		resp, b := send(t, method, env.URL+path, body, pairs...)
		return resp.StatusCode, string(b)
	}
	gen := `{"contents":[{"role":"user","parts":[{"text":"hello there"}]}]}`

	env.Fake.Enqueue("", fakegemini.Reply{Text: "from query key", Usage: &fakegemini.Usage{Prompt: 11, Candidates: 5, Thoughts: 2}})
	st, body := do("POST", "/v1beta/models/gemini-2.5-flash:generateContent?key=QKEY", gen, map[string]string{"content-type": "application/json"})
	r := env.Fake.Requests()[0]
	if st != 200 || !strings.Contains(body, "from query key") || r.Key != "QKEY" || strings.Contains(r.RawQuery, "key=") {
		t.Fatalf("query key: %d %s (upstream key %q query %q)", st, body, r.Key, r.RawQuery)
	}

	env.Fake.Enqueue("", fakegemini.Reply{Text: "array stream text", Usage: &fakegemini.Usage{Prompt: 4, Candidates: 3}})
	st, body = do("POST", "/v1/models/gemini-2.5-flash:streamGenerateContent", gen, map[string]string{"x-goog-api-key": "K"})
	var arr []json.RawMessage
	if st != 200 || json.Unmarshal([]byte(body), &arr) != nil || len(arr) < 2 {
		t.Fatalf("JSON-array stream must pass byte for byte: %d %.300s", st, body)
	}

	st, body = do("POST", "/v1beta/models/gemini-2.5-flash:generateContent", gen, nil)
	if st != 401 || !strings.Contains(body, `"status":"UNAUTHENTICATED"`) {
		t.Fatalf("missing key: %d %s", st, body)
	}
	st, body = do("POST", "/v1beta/models/bad%20name:generateContent", gen, map[string]string{"x-goog-api-key": "K"})
	if st != 400 || !strings.Contains(body, `"status":"INVALID_ARGUMENT"`) {
		t.Fatalf("malformed model: %d %s", st, body)
	}
	before := len(env.Fake.Requests())
	st, _ = do("POST", "/v1beta/models/gemini-2.5-flash:someFutureMethod", gen, map[string]string{"x-goog-api-key": "K"})
	rs := env.Fake.Requests()
	if len(rs) != before+1 || rs[len(rs)-1].Path != "/v1beta/models/gemini-2.5-flash:someFutureMethod" || rs[len(rs)-1].Key != "K" {
		t.Fatalf("unknown native method not forwarded (status %d)", st)
	}

	var sawUsage, sawStream bool
	for _, e := range env.Host.AccessLog() {
		fs := e.FilterState
		if strings.HasSuffix(e.Path, ":generateContent") && fs["wasm.gca_input_tokens"] == "11" && fs["wasm.gca_output_tokens"] == "7" && fs["wasm.gca_protocol"] == "gemini" {
			sawUsage = true
		}
		if strings.Contains(e.Path, "streamGenerateContent") && fs["wasm.gca_input_tokens"] == "4" && fs["wasm.gca_output_tokens"] == "3" {
			sawStream = true
		}
		for _, v := range fs {
			if strings.Contains(v, "QKEY") {
				t.Fatal("a key reached the access log")
			}
		}
	}
	if !sawUsage || !sawStream {
		t.Fatalf("usage not in the access log: %+v", env.Host.AccessLog())
	}
}

// Malformed native paths are answered by the gateway in Google's error
// shape and never reach Gemini; upstream error answers that are not
// Google's error object (an HTML page, text, an oversized body, Envoy's own
// reply) are turned into one with the status kept, while Google's own error
// objects pass byte for byte.
func TestGeminiNativeMalformedPathsAndErrorBodies(t *testing.T) {
	env := harness.NewHost(t, "")
	do := func(path string) (int, http.Header, string) {
		t.Helper()
		resp, b := send(t, "POST", env.URL+path, `{"contents":[{"parts":[{"text":"hi"}]}]}`, "x-goog-api-key", "K", "content-type", "application/json")
		return resp.StatusCode, resp.Header, string(b)
	}
	googleShape := func(name string, status int, body, inMessage string) {
		t.Helper()
		var g struct {
			Error struct {
				Code            int
				Message, Status string
			}
		}
		if err := json.Unmarshal([]byte(body), &g); err != nil || g.Error.Code != status || g.Error.Status == "" || !strings.Contains(g.Error.Message, inMessage) {
			t.Fatalf("%s: want Google's error shape with code %d and %q in the message, got %s", name, status, inMessage, body)
		}
	}

	for _, tc := range []struct {
		path   string
		status int
	}{
		{"/v1beta/models/gemini-2.5-flash:generateContent%00", 404},
		{"/v1beta/models/gemini-2.5-flash:generateContent/", 404},
		{"/v1beta/models/gemini-2.5-flash/../x:generateContent", 404},
		{"/v1beta//models/gemini-2.5-flash:generateContent", 404},
		{"/v1beta/models/gemini-2.5-flash:generate-content", 404},
		{"/v1beta/files/" + strings.Repeat("f", 3000), 400},
		{"/v1beta/models/gemini%2F2.5:generateContent", 400},
	} {
		st, _, body := do(tc.path)
		if st != tc.status {
			t.Fatalf("%.80s: status %d, want %d: %s", tc.path, st, tc.status, body)
		}
		googleShape(tc.path, tc.status, body, "")
	}
	if n := len(env.Fake.Requests()); n != 0 {
		t.Fatalf("%d malformed requests reached Gemini: %+v", n, env.Fake.Requests())
	}

	const gen = "/v1beta/models/gemini-2.5-flash:generateContent"
	html := "<!DOCTYPE html>\n<html lang=en><title>Error 404 (Not Found)!!1</title><p><b>404.</b> That’s an error.</html>"
	env.Fake.Enqueue("", fakegemini.Reply{Status: 404, Body: html, Header: http.Header{"Content-Type": {"text/html; charset=UTF-8"}}})
	st, hdr, body := do(gen)
	if st != 404 || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
		t.Fatalf("HTML 404: %d %s %s", st, hdr.Get("Content-Type"), body)
	}
	googleShape("HTML 404", 404, body, "with a body that is not a Google error object: <!DOCTYPE html> <html lang=en><title>Error 404")

	env.Fake.Enqueue("", fakegemini.Reply{Status: 500, Body: strings.Repeat("x", 200<<10)})
	st, _, body = do(gen)
	if st != 500 || len(body) > 1000 {
		t.Fatalf("oversized error body: %d %.300s", st, body)
	}
	googleShape("oversized", 500, body, "larger than 64 KiB")

	// An error body that nests 60,000 levels (within the 64 KiB read):
	// deciding whether it is Google's error object must not recurse per
	// level (gjson's validation did: Go's Wasm calls use the engine's
	// stack, and V8 traps near ten thousand levels); it is not Google's
	// shape, so the client gets one.
	env.Fake.Enqueue("", fakegemini.Reply{Status: 500, Body: strings.Repeat("[", 60000)})
	st, _, body = do(gen)
	if st != 500 {
		t.Fatalf("deep error body: %d %.300s", st, body)
	}
	googleShape("deep error body", 500, body, "not a Google error object")
	env.Fake.Enqueue("", fakegemini.Reply{Text: "still serving"})
	if st, _, body = do(gen); st != 200 || !strings.Contains(body, "still serving") {
		t.Fatalf("after the deep error body: %d %.300s", st, body)
	}

	arrayErr := "[{\n  \"error\": {\n    \"code\": 400,\n    \"message\": \"bad thing\",\n    \"status\": \"INVALID_ARGUMENT\"\n  }\n}\n]"
	env.Fake.Enqueue("", fakegemini.Reply{Status: 400, Body: arrayErr})
	if st, _, body = do("/v1beta/models/gemini-2.5-flash:streamGenerateContent"); st != 400 || body != arrayErr {
		t.Fatalf("Google's array-wrapped error must pass byte for byte: %d %q", st, body)
	}

	// Envoy's own reply (the upstream refuses connections): said to come
	// from the gateway, in Google's shape.
	dead := harness.NewHost(t, "")
	dead.Fake.Close()
	resp, b := send(t, "POST", dead.URL+gen, `{}`, "x-goog-api-key", "K")
	if resp.StatusCode != 503 {
		t.Fatalf("dead upstream: %d %s", resp.StatusCode, b)
	}
	googleShape("dead upstream", 503, string(b), "before the request reached Gemini: upstream connect error")
}
