package anthropic

import (
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/internal/envtest"
	"github.com/gemini-code-api/gemini-code-api/translators/internal/jsontest"
)

func TestCountTokens(t *testing.T) {
	in := `{"model":"claude-opus-4-1","system":"sys","tools":[{"name":"f","input_schema":{"type":"object","$schema":"x"}}],"tool_choice":{"type":"auto"},
		"thinking":{"type":"enabled","budget_tokens":2048},"messages":[{"role":"user","content":"hello"}]}`
	r, e := ParseCountTokens([]byte(in), envtest.Env(nil))
	if e != nil {
		t.Fatal(e)
	}
	if r.Model != "claude-opus-4-1" || r.GeminiModel != "gemini-4-argon" {
		t.Fatalf("models %q %q", r.Model, r.GeminiModel)
	}
	if p := r.UpstreamPath(); p != "/v1beta/models/gemini-4-argon:countTokens" {
		t.Fatalf("path %q", p)
	}
	jsontest.Equal(t, r.Body, `{"generateContentRequest":{"model":"models/gemini-4-argon","contents":[{"role":"user","parts":[{"text":"hello"}]}],
		"systemInstruction":{"parts":[{"text":"sys"}]},"tools":[{"functionDeclarations":[{"name":"f","parametersJsonSchema":{"type":"object"}}]}]}}`)

	out, e := r.Response([]byte(`{"totalTokens":2095,"cachedContentTokenCount":0,"promptTokensDetails":[{"modality":"TEXT","tokenCount":2095}]}`))
	if e != nil {
		t.Fatal(e)
	}
	jsontest.Equal(t, out, `{"input_tokens":2095}`)
	if out, _ := r.Response([]byte(`{}`)); string(out) != `{"input_tokens":0}` {
		t.Fatalf("empty answer: %s", out)
	}
	if _, e := r.Response([]byte(`[{"error":{"code":429,"message":"slow","status":"RESOURCE_EXHAUSTED"}}]`)); e == nil || e.Kind != apierror.RateLimited {
		t.Fatalf("array error: %+v", e)
	}
	if _, e := r.Response([]byte(`<html>`)); e == nil || e.Kind != apierror.BadGateway {
		t.Fatalf("html: %+v", e)
	}

	for name, tc := range map[string]struct{ in, param string }{
		"no model":    {`{"messages":[{"role":"user","content":"x"}]}`, "model"},
		"no messages": {`{"model":"m"}`, "messages"},
		"bad block":   {`{"model":"m","messages":[{"role":"user","content":[{"type":"nope"}]}]}`, "messages.0.content.0.type"},
	} {
		if _, e := ParseCountTokens([]byte(tc.in), envtest.Env(nil)); e == nil || e.Param != tc.param {
			t.Fatalf("%s: got %+v", name, e)
		}
	}
}
