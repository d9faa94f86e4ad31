package filter_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"
)

// sendNative starts a native request (headers only; the body would pass
// untouched) and reports what the filter did with it.
func (e *env) sendNative(path string) *exchange {
	e.t.Helper()
	id := e.host.InitializeHttpContext()
	hs := [][2]string{{":method", "POST"}, {":path", path}, {":authority", "gw.local"}, {"x-goog-api-key", "AIzaNATIVE"}}
	e.host.CallOnRequestHeaders(id, hs, false)
	return &exchange{id: id, local: e.host.GetSentLocalResponse(id), reqHeaders: e.host.GetCurrentRequestHeaders(id)}
}

type googleError struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  string `json:"status"`
	} `json:"error"`
}

func parseGoogleError(t *testing.T, body []byte) googleError {
	t.Helper()
	var g googleError
	if err := json.Unmarshal(body, &g); err != nil || g.Error.Code == 0 || g.Error.Message == "" || g.Error.Status == "" {
		t.Fatalf("not Google's error shape: %s", body)
	}
	return g
}

func TestNativePaths(t *testing.T) {
	withPlugin(t, `{"models":{"my-flash":"gemini-2.5-flash"}}`, func(t *testing.T, e *env) {
		forwarded := map[string]string{
			"/v1beta/models/gemini-2.5-flash:generateContent":       "",
			"/v1beta/models/my-flash:streamGenerateContent?alt=sse": "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
			"/v1beta/models": "",
			"/v1beta/models?pageSize=50&pageToken=abc":                       "",
			"/v1/models/gemini-2.5-flash:countTokens":                        "",
			"/v1alpha/models/gemini-2.5-flash":                               "",
			"/v1beta/tunedModels/my-model-1:generateContent":                 "",
			"/v1beta/files/abc-123":                                          "",
			"/v1beta/cachedContents/c.1_x~y":                                 "",
			"/v1beta/models/veo-3.0-generate-preview/operations/op123":       "",
			"/v1beta/models/gemini-2.5-flash:generateContent?alt=json&key=K": "/v1beta/models/gemini-2.5-flash:generateContent?alt=json",
		}
		for path, want := range forwarded {
			x := e.sendNative(path)
			if x.local != nil {
				t.Fatalf("%s: local reply %d %s", path, x.local.StatusCode, x.local.Data)
			}
			if want == "" {
				want = path
			}
			if got, _ := header(x.reqHeaders, ":path"); got != want {
				t.Fatalf("%s: forwarded as %q, want %q", path, got, want)
			}
		}
		for _, tc := range []struct {
			path   string
			status int
		}{
			{"/v1beta/models/gemini-2.5-flash:generateContent%00", 404},
			{"/v1beta/models/gemini-2.5-flash:generateContent/", 404},
			{"/v1beta/models/", 404},
			{"/v1beta/", 404},
			{"/v1beta//models", 404},
			{"/v1beta/files/../models/x:generateContent", 404},
			{"/v1beta/./models", 404},
			{"/v1beta/models/gemini-2.5-flash:gen-content", 404},
			{"/v1beta/models/gemini-2.5-flash:", 404},
			{"/v1beta/models/a:b:c", 404},
			{"/v1beta/files/a\x01b", 404},
			{"/v1beta/files/a%2Fb", 404},
			{"/v1beta/models/gemini-2.5-flash:generateContent#x", 404},
			{"/v1beta/files/" + strings.Repeat("a", 3000), 400},
			{"/v1beta/models/bad%20name:generateContent", 400},
			{"/v1beta/models/..:generateContent", 400},
			{"/v1beta/models/gemini\x7f:generateContent", 400},
			{"/v1beta/models/gemini-2.5-flash:generateContent?alt=sse\x01", 400},
		} {
			x := e.sendNative(tc.path)
			if x.local == nil {
				p, _ := header(x.reqHeaders, ":path")
				t.Fatalf("%q forwarded as %q", tc.path, p)
			}
			g := parseGoogleError(t, x.local.Data)
			if int(x.local.StatusCode) != tc.status || g.Error.Code != tc.status {
				t.Fatalf("%q: %d %s, want %d", tc.path, x.local.StatusCode, x.local.Data, tc.status)
			}
		}
	})
}

func TestNativeUpstreamErrorBodies(t *testing.T) {
	withPlugin(t, "", func(t *testing.T, e *env) {
		const path = "/v1beta/models/gemini-2.5-flash:generateContent"
		googleErr := `{"error":{"code":429,"message":"Resource exhausted","status":"RESOURCE_EXHAUSTED"}}`
		arrayErr := "[{\n  \"error\": {\"code\": 400, \"message\": \"bad\", \"status\": \"INVALID_ARGUMENT\"}\n}\n]"
		for _, tc := range []struct {
			name      string
			status    int
			chunks    []string
			passes    bool   // the body reaches the client byte for byte
			inMessage string // otherwise: the Google-shaped message says this
		}{
			{"google error", 429, []string{googleErr[:20], googleErr[20:]}, true, ""},
			{"array-wrapped google error", 400, []string{arrayErr}, true, ""},
			{"html page", 404, []string{"<!DOCTYPE html><html><title>Error 404 (Not Found)", "</title></html>"}, false, "<!DOCTYPE html><html><title>Error 404 (Not Found)</title></html>"},
			{"json that is not google's", 502, []string{`{"detail":"bad gateway"}`}, false, `{"detail":"bad gateway"}`},
			{"plain text", 503, []string{"upstream connect error"}, false, "upstream connect error"},
			{"oversized", 500, []string{strings.Repeat("x", 40<<10), strings.Repeat("y", 40<<10), "z"}, false, "larger than"},
		} {
			x := e.sendNative(path)
			if x.local != nil {
				t.Fatalf("%s: local reply %s", tc.name, x.local.Data)
			}
			status, hs, body := e.respond(x, tc.status, tc.chunks...)
			if status != tc.status {
				t.Fatalf("%s: status %d, want %d (%s)", tc.name, status, tc.status, body)
			}
			if tc.passes {
				if body != strings.Join(tc.chunks, "") {
					t.Fatalf("%s: body changed: %s", tc.name, body)
				}
				continue
			}
			g := parseGoogleError(t, []byte(body))
			if g.Error.Code != tc.status || !strings.Contains(g.Error.Message, tc.inMessage) || len(g.Error.Message) > 600 {
				t.Fatalf("%s: %s", tc.name, body)
			}
			if ct, _ := header(hs, "content-type"); !strings.HasPrefix(ct, "application/json") {
				t.Fatalf("%s: content-type %q", tc.name, ct)
			}
		}

		// No body at all.
		x := e.sendNative(path)
		e.host.CallOnResponseHeaders(x.id, [][2]string{{":status", "502"}}, true)
		lr := e.host.GetSentLocalResponse(x.id)
		if lr == nil || lr.StatusCode != 502 || parseGoogleError(t, lr.Data).Error.Code != 502 {
			t.Fatalf("empty 502: %+v", lr)
		}

		// A success is never held back: every chunk passes as it comes.
		x = e.sendNative(path)
		if a := e.host.CallOnResponseHeaders(x.id, [][2]string{{":status", "200"}}, false); a != types.ActionContinue {
			t.Fatalf("200 headers: %v", a)
		}
		for i, c := range []string{`{"candidates":`, `[]}`} {
			if a := e.host.CallOnResponseBody(x.id, []byte(c), i == 1); a != types.ActionContinue {
				t.Fatalf("200 chunk %d: %v", i, a)
			}
			if got := string(e.host.GetCurrentResponseBody(x.id)); got != c {
				t.Fatalf("200 chunk %d changed: %q", i, got)
			}
		}
	})
}
