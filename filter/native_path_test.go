package filter_test

import (
	"encoding/json"
	"github.com/gemini-code-api/gemini-code-api/filter"
	"testing"
)

// FuzzNativePath sends arbitrary paths with Gemini-style credentials: the
// filter must not panic, a local reply must be JSON, and whatever it
// forwards to Gemini (aliases resolved, keys removed) must pass
// checkNativePath.
func FuzzNativePath(f *testing.F) {
	for _, s := range []string{
		"/v1beta/models/gemini-2.5-flash:generateContent",
		"/v1beta/models/my-flash:streamGenerateContent?alt=sse&KEY=x",
		"/v1beta/models/gemini-2.5-flash:generateContent%00",
		"/v1beta/models/", "/v1beta//files", "/v1/models/..:x", "/v1alpha/files/a/../b",
		"/v1beta/models/my-embed:batchEmbedContents", "/v1beta/models/veo-3/operations/x",
		"/v1/models?key=k", "/v1/files?pageSize=1", "/v1beta/models/x:y?\x01", "/v1beta/models/dots:generateContent",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		host := start(t, filter.NewVMContext(), `{"models":{"my-flash":"gemini-2.5-flash","my-embed":"text-embedding-004","dots":"..."}}`).host
		id := host.InitializeHttpContext()
		host.CallOnRequestHeaders(id, [][2]string{{":method", "POST"}, {":path", path}, {":authority", "gw.local"}, {"x-goog-api-key", "K"}}, false)
		if lr := host.GetSentLocalResponse(id); lr != nil {
			if !json.Valid(lr.Data) {
				t.Fatalf("local reply is not JSON: %q", lr.Data)
			}
			return
		}
		var authority, forwarded string
		for _, h := range host.GetCurrentRequestHeaders(id) {
			switch h[0] {
			case ":authority":
				authority = h[1]
			case ":path":
				forwarded = h[1]
			}
		}
		if authority != "generativelanguage.googleapis.com" {
			return // not a native request: translated endpoints wait for their body
		}
		if e := filter.CheckNativePath(forwarded); e != nil {
			t.Fatalf("%q forwarded as %q, which checkNativePath refuses: %s", path, forwarded, e.Message)
		}
	})
}
