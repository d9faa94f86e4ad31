package models

import (
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/internal/jsontest"
)

func TestResolve(t *testing.T) {
	m := Default()
	m.Aliases["my-alias"] = "gemini-3-pro-preview"
	tests := []struct{ in, want string }{
		{"gpt-4", "gemini-2.5-pro"},
		{"gpt-4o", "gemini-2.5-pro"},
		{"gpt-3.5-turbo", "gemini-2.5-flash"},
		{"claude-3-5-sonnet-20241022", "gemini-2.5-pro"},
		{"claude-3-5-haiku-20241022", "gemini-2.5-flash"},
		{"text-embedding-ada-002", "text-embedding-004"},
		{"gemini-2.5-flash", "gemini-2.5-flash"},
		{"models/gemini-2.5-pro", "gemini-2.5-pro"},
		{"claude-opus-4-1-20250805", "gemini-2.5-pro"},
		{"claude-sonnet-4-5", "gemini-2.5-pro"},
		{"claude-haiku-4-5-20251001", "gemini-2.5-flash"},
		{"GPT-4", "gemini-2.5-pro"},
		{"my-alias", "gemini-3-pro-preview"},
		{"gpt-4o-mini", "gpt-4o-mini"},
	}
	for _, tt := range tests {
		if got := m.Resolve(tt.in); got != tt.want {
			t.Errorf("Resolve(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	m.Fallback = "gemini-2.5-flash"
	if got := m.Resolve("gpt-4o-mini"); got != "gemini-2.5-flash" {
		t.Errorf("fallback: got %q", got)
	}
}

func TestValidName(t *testing.T) {
	for name, want := range map[string]bool{
		"gemini-2.5-flash": true, "gemini-3-pro-preview": true, "a_b.c": true,
		"": false, "../x": false, "a/b": false, "a?b": false, "a b": false, "x:y": false, "%2e": false,
	} {
		if got := ValidName(name); got != want {
			t.Errorf("ValidName(%q) = %v", name, got)
		}
	}
}

func TestFromGeminiRefusesDeepAnswers(t *testing.T) {
	jsontest.SmallStack(t)
	_, e := FromGemini([]byte(`{"models":[{"name":"models/gemini-2.5-flash","supportedGenerationMethods":["generateContent"]}]}`),
		[]byte(`{"models":[`+jsontest.Deep(100000)+`]}`))
	if e == nil || e.Kind != apierror.BadGateway || e.Message != "Gemini's answer nests JSON 100002 levels deep; the gateway reads at most 256." {
		t.Fatalf("got %+v", e)
	}
}
