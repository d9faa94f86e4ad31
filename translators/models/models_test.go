package models

import (
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/internal/jsontest"
)

func TestResolve(t *testing.T) {
	m := Default()
	m.Aliases["my-alias"] = "gemini-3-pro-preview"
	tests := []struct{ in, want string }{
		{"gpt-4", "gemini-4-argon"},
		{"gpt-4o", "gemini-4-argon"},
		{"gpt-3.5-turbo", "gemini-3.8-flash"},
		{"claude-3-5-sonnet-20241022", "gemini-4-argon"},
		{"claude-3-5-haiku-20241022", "gemini-3.8-flash"},
		{"text-embedding-ada-002", "gemini-embedding-001"},
		{"gemini-2.5-flash", "gemini-2.5-flash"},
		{"models/gemini-2.5-pro", "gemini-2.5-pro"},
		{"claude-opus-4-1-20250805", "gemini-4-argon"},
		{"claude-sonnet-4-5", "gemini-4-argon"},
		{"claude-haiku-4-5-20251001", "gemini-3.8-flash"},
		{"GPT-4", "gemini-4-argon"},
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

func TestCheckClientName(t *testing.T) {
	tests := []struct {
		name, msg string // msg "" means accepted
	}{
		{"claude-sonnet-4-5-20250929", ""},
		{"claude-3-5-sonnet@20240620", ""},
		{"claude-opus-4-1", ""},
		{"gpt-4o", ""},
		{"gpt-3.5-turbo", ""},
		{"GPT-4", ""},
		{"o1", ""},
		{"gemini-2.5-flash", ""},
		{"models/gemini-2.5-pro", ""},
		{"text-embedding-ada-002", ""},
		{"text-embedding-004", ""},
		{"ft:gpt-4o-mini:my-org:custom_suffix:id", ""},
		{"openai/gpt-4o", ""},
		{"vendor/model+variant", ""},
		{strings.Repeat("a", MaxClientNameLen), ""},
		{"", "The model name is empty."},
		{strings.Repeat("a", MaxClientNameLen+1), "The model name is 257 bytes long; the gateway accepts at most 256."},
		{strings.Repeat("gpt-4\n", 500000), "The model name is 3000000 bytes long; the gateway accepts at most 256."},
		{"gpt-4\nX-Forged: 1", `The model name contains '\n' at byte 5; a model name holds only letters, digits and . _ - : / @ +`},
		{"gpt 4", `The model name contains ' ' at byte 3; a model name holds only letters, digits and . _ - : / @ +`},
		{"gpt-4\x00", `The model name contains '\x00' at byte 5; a model name holds only letters, digits and . _ - : / @ +`},
		{"modèle", `The model name contains '\u00e8' at byte 3; a model name holds only letters, digits and . _ - : / @ +`},
		{"a\xffb", `The model name contains '\ufffd' at byte 1; a model name holds only letters, digits and . _ - : / @ +`},
		{"a?b", `The model name contains '?' at byte 1; a model name holds only letters, digits and . _ - : / @ +`},
		{"a%2e", `The model name contains '%' at byte 1; a model name holds only letters, digits and . _ - : / @ +`},
		{`a"b`, `The model name contains '"' at byte 1; a model name holds only letters, digits and . _ - : / @ +`},
	}
	for _, tt := range tests {
		e := CheckClientName(tt.name)
		switch {
		case tt.msg == "" && e != nil:
			t.Errorf("%.40q refused: %s", tt.name, e.Message)
		case tt.msg != "" && (e == nil || e.Status != 400 || e.Param != "model" || e.Message != tt.msg):
			t.Errorf("%.40q: got %+v, want %q", tt.name, e, tt.msg)
		}
	}
}
